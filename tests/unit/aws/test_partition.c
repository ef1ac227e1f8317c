/*
 * The partition facts of aws/partition.c against AWS's documented values: which partition a
 * region belongs to; ARNs, the CloudWatch Logs service principal (logs.<region>.amazonaws.com.cn
 * in China, the form a KMS key policy for a log group needs), the Lambda and API Gateway
 * principals, the AWS-managed policy ARN, and the endpoints of a regional service and of IAM in
 * aws, aws-cn and aws-us-gov (botocore's endpoints.json and endpoint rule sets); and what an AWS
 * region name is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "aws/endpoints.h"
#include "aws/partition.h"
#include "aws/services.h"
#include "fakes.h"

typedef struct partition_case {
    const char *region;
    const char *partition;
    const char *logs_principal;
    const char *root_arn; /* of account 123456789012 */
    const char *managed_policy;
    const char *log_group_arn; /* /aws/lambda/fn in account 123456789012 */
    const char *lambda_endpoint;
    const char *iam_endpoint;
    const char *iam_signing_region;
} partition_case;

static const partition_case cases[] = {
    {"ap-southeast-1", "aws", "logs.ap-southeast-1.amazonaws.com", "arn:aws:iam::123456789012:root",
     "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
     "arn:aws:logs:ap-southeast-1:123456789012:log-group:/aws/lambda/fn",
     "https://lambda.ap-southeast-1.amazonaws.com", "https://iam.amazonaws.com", "us-east-1"},
    {"cn-north-1", "aws-cn", "logs.cn-north-1.amazonaws.com.cn",
     "arn:aws-cn:iam::123456789012:root",
     "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
     "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/lambda/fn",
     "https://lambda.cn-north-1.amazonaws.com.cn", "https://iam.cn-north-1.amazonaws.com.cn",
     "cn-north-1"},
    {"cn-northwest-1", "aws-cn", "logs.cn-northwest-1.amazonaws.com.cn",
     "arn:aws-cn:iam::123456789012:root",
     "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
     "arn:aws-cn:logs:cn-northwest-1:123456789012:log-group:/aws/lambda/fn",
     "https://lambda.cn-northwest-1.amazonaws.com.cn", "https://iam.cn-north-1.amazonaws.com.cn",
     "cn-north-1"},
    {"us-gov-west-1", "aws-us-gov", "logs.us-gov-west-1.amazonaws.com",
     "arn:aws-us-gov:iam::123456789012:root",
     "arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
     "arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/aws/lambda/fn",
     "https://lambda.us-gov-west-1.amazonaws.com", "https://iam.us-gov.amazonaws.com",
     "us-gov-west-1"},
    {"us-gov-east-1", "aws-us-gov", "logs.us-gov-east-1.amazonaws.com",
     "arn:aws-us-gov:iam::123456789012:root",
     "arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
     "arn:aws-us-gov:logs:us-gov-east-1:123456789012:log-group:/aws/lambda/fn",
     "https://lambda.us-gov-east-1.amazonaws.com", "https://iam.us-gov.amazonaws.com",
     "us-gov-west-1"},
};

static void test_partitions(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const partition_case *c = &cases[i];
        const sa_aws_partition *p = sa_aws_partition_of_region(c->region);
        char buf[256];
        sa_aws_endpoint ep = {0};
        fake_env fe;
        sa_error err = {0};

        fake_env_init(&fe, NULL, NULL);
        assert_string_equal(p->name, c->partition);
        assert_ptr_equal(sa_aws_partition_named(c->partition), p);
        assert_true(sa_aws_service_principal(buf, sizeof(buf), p, "logs", c->region));
        assert_string_equal(buf, c->logs_principal);
        /* Lambda and API Gateway use the same principal in every partition */
        assert_true(sa_aws_service_principal(buf, sizeof(buf), p, "lambda", c->region));
        assert_string_equal(buf, "lambda.amazonaws.com");
        assert_true(sa_aws_service_principal(buf, sizeof(buf), p, "apigateway", c->region));
        assert_string_equal(buf, "apigateway.amazonaws.com");
        assert_true(sa_aws_arn(buf, sizeof(buf), p, "iam", "", "123456789012", "root"));
        assert_string_equal(buf, c->root_arn);
        assert_true(sa_aws_arn(buf, sizeof(buf), p, "iam", "", "aws",
                               "policy/service-role/AWSLambdaBasicExecutionRole"));
        assert_string_equal(buf, c->managed_policy);
        assert_true(sa_aws_arn(buf, sizeof(buf), p, "logs", c->region, "123456789012",
                               "log-group:/aws/lambda/fn"));
        assert_string_equal(buf, c->log_group_arn);

        assert_int_equal(sa_aws_endpoint_resolve(&ep, sa_aws_service_find("lambda"), c->region,
                                                 NULL, 0, &fe.env, &err),
                         SA_OK);
        assert_string_equal(ep.origin, c->lambda_endpoint);
        assert_string_equal(ep.signing_region, c->region);
        sa_aws_endpoint_dispose(&ep);
        assert_int_equal(sa_aws_endpoint_resolve(&ep, sa_aws_service_find("iam"), c->region, NULL,
                                                 0, &fe.env, &err),
                         SA_OK);
        assert_string_equal(ep.origin, c->iam_endpoint);
        assert_string_equal(ep.signing_region, c->iam_signing_region);
        sa_aws_endpoint_dispose(&ep);
    }
}

static void test_arn_that_does_not_fit(void **state)
{
    char small[16];
    (void)state;
    assert_false(sa_aws_arn(small, sizeof(small), sa_aws_partition_named("aws"), "logs",
                            "ap-southeast-1", "123456789012", "log-group:x"));
    assert_null(sa_aws_partition_named("aws-moon"));
}

static void test_region_names(void **state)
{
    (void)state;
    assert_true(sa_aws_region_name_valid("ap-southeast-1"));
    assert_true(sa_aws_region_name_valid("us-gov-west-1"));
    assert_true(sa_aws_region_name_valid("cn-northwest-1"));
    assert_false(sa_aws_region_name_valid("moon-1"));
    assert_false(sa_aws_region_name_valid("ap-southeast"));
    assert_false(sa_aws_region_name_valid("AP-southeast-1"));
    assert_false(sa_aws_region_name_valid(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partitions),
        cmocka_unit_test(test_arn_that_does_not_fit),
        cmocka_unit_test(test_region_names),
    };
    return cmocka_run_group_tests_name("aws_partition", tests, NULL, NULL);
}
