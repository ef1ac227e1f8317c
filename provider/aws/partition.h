/*
 * AWS partitions: the facts that differ between the commercial regions (aws), China (aws-cn) and
 * AWS GovCloud (US) (aws-us-gov), as botocore's endpoints.json and AWS's China and GovCloud
 * documentation give them: which regions belong to which partition, the DNS suffix, the home
 * region of global services (IAM), the service principal forms, and ARN formatting. Everything
 * that writes an ARN, a principal or a URL asks here instead of assuming "aws".
 */
#ifndef SA_AWS_PARTITION_H
#define SA_AWS_PARTITION_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sa_aws_partition {
    const char *name;             /* "aws", "aws-cn", "aws-us-gov": the ARN partition */
    const char *region_prefix;    /* how its region names start ("" for the rest: aws) */
    const char *dns_suffix;       /* "amazonaws.com", "amazonaws.com.cn" */
    const char *global_region;    /* where global services (IAM) live and are signed for */
    const char *global_label;     /* the label between a global service's prefix and the DNS
                                     suffix: "" (iam.amazonaws.com), "cn-north-1", "us-gov" */
    bool regional_logs_principal; /* CloudWatch Logs' principal is logs.<region>.<dns suffix> */
} sa_aws_partition;

/* Whether a string is an AWS region name: two lowercase letters, one or more -word parts, then
 * -digits (ap-southeast-1, us-gov-west-1, cn-northwest-1). Endpoint resolution is laxer
 * (sa_aws_region_valid) so emulators can use names like "local". */
bool sa_aws_region_name_valid(const char *region);

/* The partition a region belongs to (aws for any region no other partition claims). */
const sa_aws_partition *sa_aws_partition_of_region(const char *region);

/* The partition with that ARN name, or NULL. */
const sa_aws_partition *sa_aws_partition_named(const char *name);

/* arn:<partition>:<service>:<region>:<account>:<resource>; region/account may be "" (IAM,
 * API Gateway). Returns false when it did not fit in cap. */
bool sa_aws_arn(char *out, size_t cap, const sa_aws_partition *p, const char *service,
                const char *region, const char *account, const char *resource);

/* The service principal of a service in region: "<service>.amazonaws.com" for most services in
 * every partition, "logs.<region>.<dns suffix>" for CloudWatch Logs (the form its KMS key policy
 * condition needs). Returns false when it did not fit. */
bool sa_aws_service_principal(char *out, size_t cap, const sa_aws_partition *p, const char *service,
                              const char *region);

#endif
