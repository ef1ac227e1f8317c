// A secure serverless API on AWS as one resource: a customer-managed KMS key, a KMS-encrypted log group, an IAM role, a Lambda function and a regional API Gateway REST API with a stage.
package secureapi
