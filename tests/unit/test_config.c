/*
 * Unit tests of provider configuration parsing: typed, string and secret-wrapped forms are all
 * accepted; each invalid setting is reported under its own key with what is allowed; unknown
 * keys are collected for a warning; credentials come in pairs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "aws/partition.h"
#include "base/value.h"
#include "plugin/config.h"

static bool has_failure(const sa_config_failures *f, const char *property, const char *needle)
{
    for (size_t i = 0; i < f->len; i++)
        if (strcmp(f->items[i].property, property) == 0 && strstr(f->items[i].reason, needle))
            return true;
    return false;
}

static void test_string_and_typed_forms(void **state)
{
    sa_value *args = sa_value_object(), *ep = sa_value_object();
    sa_config c;
    sa_config_failures f;
    (void)state;

    sa_value_object_set(args, "region", sa_value_string("eu-west-1"));
    sa_value_object_set(args, "skipCredentialsValidation", sa_value_string("true"));
    sa_value_object_set(args, "maxRetries", sa_value_number(5));
    sa_value_object_set(args, "httpTimeoutSeconds", sa_value_number(30));
    sa_value_object_set(args, "accessKey", sa_value_secret(sa_value_string("AKIAEXAMPLE")));
    sa_value_object_set(args, "secretKey", sa_value_secret(sa_value_string("s3cr3t")));
    sa_value_object_set(ep, "kms", sa_value_string("http://127.0.0.1:5000"));
    sa_value_object_set(args, "endpoints", ep);
    sa_value_object_set(args, "version", sa_value_string("0.1.0"));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_OK);
    assert_string_equal(c.region, "eu-west-1");
    assert_true(c.skip_credentials_validation);
    assert_int_equal(c.max_retries, 5);
    assert_int_equal(c.http_timeout_seconds, 30);
    assert_string_equal(c.access_key, "AKIAEXAMPLE");
    assert_string_equal(c.endpoints[SA_SVC_KMS], "http://127.0.0.1:5000");
    assert_null(c.endpoints[SA_SVC_IAM]);
    assert_string_equal(f.unknown_keys, "");
    sa_config_dispose(&c);

    /* explicit providers in generated SDKs send JSON strings */
    sa_value_object_set(args, "endpoints",
                        sa_value_string("{\"iam\":\"https://iam.example.test\"}"));
    sa_value_object_set(args, "maxRetries", sa_value_string("0"));
    sa_value_object_set(args, "httpTimeoutSeconds", sa_value_secret(sa_value_string("1")));
    sa_value_object_set(args, "skipCredentialsValidation", sa_value_bool(false));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_OK);
    assert_string_equal(c.endpoints[SA_SVC_IAM], "https://iam.example.test");
    assert_int_equal(c.max_retries, 0);
    assert_int_equal(c.http_timeout_seconds, 1);
    assert_false(c.skip_credentials_validation);
    sa_config_dispose(&c);
    sa_value_free(args);
}

static void test_each_invalid_setting_named(void **state)
{
    sa_value *args = sa_value_object(), *ep = sa_value_object();
    sa_config c;
    sa_config_failures f;
    (void)state;

    sa_value_object_set(args, "region", sa_value_string("mars-1"));
    sa_value_object_set(args, "profile", sa_value_number(3));
    sa_value_object_set(args, "maxRetries", sa_value_number(99));
    sa_value_object_set(args, "httpTimeoutSeconds", sa_value_number(0));
    sa_value_object_set(args, "skipCredentialsValidation", sa_value_string("yes"));
    sa_value_object_set(args, "accessKey", sa_value_string("AKIAONLY"));
    sa_value_object_set(ep, "kms", sa_value_string("ftp://x"));
    sa_value_object_set(ep, "s3", sa_value_string("http://127.0.0.1:1"));
    sa_value_object_set(args, "endpoints", ep);
    sa_value_object_set(args, "regoin", sa_value_string("typo"));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_EINVAL);
    assert_true(has_failure(&f, "region", "mars-1"));
    assert_true(has_failure(&f, "profile", "expected a string"));
    assert_true(has_failure(&f, "maxRetries", "0 to 25"));
    assert_true(has_failure(&f, "httpTimeoutSeconds", "1 to 3600"));
    assert_true(has_failure(&f, "skipCredentialsValidation", "true or false"));
    assert_true(has_failure(&f, "secretKey", "required when accessKey"));
    assert_true(has_failure(&f, "endpoints.kms", "http:// or https://"));
    assert_true(has_failure(&f, "endpoints.s3", "unknown service"));
    assert_string_equal(f.unknown_keys, "regoin");
    sa_config_dispose(&c);
    sa_value_free(args);
}

static void test_unknowns_skipped(void **state)
{
    sa_value *args = sa_value_object();
    sa_config c;
    sa_config_failures f;
    (void)state;

    sa_value_object_set(args, "region", sa_value_unknown(SA_UNKNOWN_STRING));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_OK);
    assert_null(c.region);
    sa_config_dispose(&c);
    sa_value_free(args);
}

static void test_validators(void **state)
{
    (void)state;
    assert_true(sa_aws_region_name_valid("ap-southeast-1"));
    assert_true(sa_aws_region_name_valid("us-gov-west-1"));
    assert_true(sa_aws_region_name_valid("cn-northwest-1"));
    assert_false(sa_aws_region_name_valid("ap-southeast"));
    assert_false(sa_aws_region_name_valid("AP-southeast-1"));
    assert_false(sa_aws_region_name_valid("ap-southeast-1 "));
    assert_false(sa_aws_region_name_valid(""));
    assert_true(sa_config_endpoint_valid("http://127.0.0.1:4566"));
    assert_true(sa_config_endpoint_valid("https://kms.eu-west-1.amazonaws.com/"));
    assert_true(sa_config_endpoint_valid("http://[::1]:4566"));
    assert_false(sa_config_endpoint_valid("127.0.0.1:4566"));
    assert_false(sa_config_endpoint_valid("http://"));
    assert_false(sa_config_endpoint_valid("http://user:pw@host/"));
    assert_false(sa_config_endpoint_valid("http://ho st/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_and_typed_forms),
        cmocka_unit_test(test_each_invalid_setting_named),
        cmocka_unit_test(test_unknowns_skipped),
        cmocka_unit_test(test_validators),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
