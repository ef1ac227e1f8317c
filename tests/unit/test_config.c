/*
 * Unit tests of provider configuration parsing: typed, string and secret-wrapped forms are all
 * accepted; each invalid setting is reported under its own key with what is allowed; unknown
 * keys are collected for a warning; credentials come in pairs; assumeRole (an object, or the
 * JSON string stack config sends) and assumeRoles (a chained list) are read into the STS
 * AssumeRole parameters, and each bad field is named (assumeRole.roleArn, ...); apiRateScale
 * is a positive number from the configuration or else its environment variable.
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

static sa_value *parse_json_value(const char *json)
{
    return sa_value_string(json);
}

static void test_assume_role(void **state)
{
    sa_value *args = sa_value_object(), *role = sa_value_object(), *tags = sa_value_object();
    sa_value *keys = sa_value_list(), *list = sa_value_list();
    sa_config c;
    sa_config_failures f;
    (void)state;

    /* typed, as an explicit provider's struct arrives */
    sa_value_object_set(role, "roleArn",
                        sa_value_string("arn:aws:iam::123456789012:role/ops/deployer"));
    sa_value_object_set(role, "sessionName", sa_value_string("ci-run.42@x"));
    sa_value_object_set(role, "externalId", sa_value_secret(sa_value_string("ext-id:1/2")));
    sa_value_object_set(role, "durationSeconds", sa_value_number(3600));
    sa_value_object_set(role, "policy", sa_value_string("{\"Version\":\"2012-10-17\"}"));
    sa_value_object_set(tags, "Team", sa_value_string("payments"));
    sa_value_object_set(tags, "Cost Center", sa_value_string("a/b=c"));
    sa_value_object_set(role, "tags", tags);
    sa_value_list_push(keys, sa_value_string("Team"));
    sa_value_object_set(role, "transitiveTagKeys", keys);
    sa_value_object_set(args, "assumeRole", role);
    assert_int_equal(sa_config_parse(&c, args, &f), SA_OK);
    assert_string_equal(f.unknown_keys, "");
    assert_int_equal(c.assume_role_count, 1);
    assert_string_equal(c.assume_roles[0].role_arn, "arn:aws:iam::123456789012:role/ops/deployer");
    assert_string_equal(c.assume_roles[0].session_name, "ci-run.42@x");
    assert_string_equal(c.assume_roles[0].external_id, "ext-id:1/2");
    assert_int_equal(c.assume_roles[0].duration_seconds, 3600);
    assert_string_equal(c.assume_roles[0].policy, "{\"Version\":\"2012-10-17\"}");
    assert_int_equal(c.assume_roles[0].tag_count, 2);
    assert_string_equal(c.assume_roles[0].tag_keys[1], "Cost Center");
    assert_string_equal(c.assume_roles[0].tag_values[1], "a/b=c");
    assert_int_equal(c.assume_roles[0].transitive_tag_key_count, 1);
    assert_string_equal(c.assume_roles[0].transitive_tag_keys[0], "Team");
    sa_config_dispose(&c);

    /* stack config (`pulumi config set --path secureapi:assumeRole.roleArn ...`) sends JSON */
    sa_value_object_set(args, "assumeRole",
                        parse_json_value("{\"roleArn\":\"arn:aws-cn:iam::123456789012:role/r\","
                                         "\"durationSeconds\":\"900\"}"));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_OK);
    assert_int_equal(c.assume_role_count, 1);
    assert_string_equal(c.assume_roles[0].role_arn, "arn:aws-cn:iam::123456789012:role/r");
    assert_int_equal(c.assume_roles[0].duration_seconds, 900);
    assert_null(c.assume_roles[0].session_name);
    sa_config_dispose(&c);

    /* every bad field named, before any AWS call */
    sa_value_object_set(args, "assumeRole",
                        parse_json_value("{\"roleArn\":\"arn:aws:iam::123456789012:user/bob\","
                                         "\"sessionName\":\"has space\",\"externalId\":\"x\","
                                         "\"durationSeconds\":899,\"policy\":\"not json\","
                                         "\"tags\":{\"bad!key\":\"v\"},"
                                         "\"transitiveTagKeys\":\"Team\",\"roleARN\":\"x\"}"));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_EINVAL);
    assert_true(has_failure(&f, "assumeRole.roleArn", "must be an IAM role ARN"));
    assert_true(has_failure(&f, "assumeRole.sessionName", "2 to 64"));
    assert_true(has_failure(&f, "assumeRole.externalId", "2 to 1224"));
    assert_true(has_failure(&f, "assumeRole.durationSeconds", "900 to 43200"));
    assert_true(has_failure(&f, "assumeRole.policy", "JSON object"));
    assert_true(has_failure(&f, "assumeRole.tags.bad!key", "session tag key"));
    assert_true(has_failure(&f, "assumeRole.transitiveTagKeys", "list"));
    assert_true(has_failure(&f, "assumeRole.roleARN", "not a setting of a role"));
    assert_int_equal(f.len, 8);
    sa_config_dispose(&c);
    sa_value_object_set(args, "assumeRole", parse_json_value("{\"durationSeconds\":43201}"));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_EINVAL);
    assert_true(has_failure(&f, "assumeRole.roleArn", "is required"));
    assert_true(has_failure(&f, "assumeRole.durationSeconds", "900 to 43200"));
    sa_config_dispose(&c);

    /* assumeRoles: a chain, in order; not together with assumeRole */
    sa_value_object_remove(args, "assumeRole");
    role = sa_value_object();
    sa_value_object_set(role, "roleArn", sa_value_string("arn:aws:iam::111111111111:role/a"));
    sa_value_list_push(list, role);
    sa_value_list_push(list, sa_value_string("nope"));
    sa_value_object_set(args, "assumeRoles", list);
    assert_int_equal(sa_config_parse(&c, args, &f), SA_EINVAL);
    assert_true(has_failure(&f, "assumeRoles[1]", "expected an object"));
    assert_int_equal(f.len, 1);
    sa_config_dispose(&c);
    sa_value_object_set(args, "assumeRoles", parse_json_value("{\"roleArn\":\"x\"}"));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_EINVAL);
    assert_true(has_failure(&f, "assumeRoles", "list of role objects"));
    sa_config_dispose(&c);
    sa_value_object_set(args, "assumeRoles",
                        parse_json_value("[{\"roleArn\":\"arn:aws:iam::111111111111:role/a\"},"
                                         "{\"roleArn\":\"arn:aws:iam::222222222222:role/b\","
                                         "\"sessionName\":\"hop2\"}]"));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_OK);
    assert_int_equal(c.assume_role_count, 2);
    assert_string_equal(c.assume_roles[1].role_arn, "arn:aws:iam::222222222222:role/b");
    assert_string_equal(c.assume_roles[1].session_name, "hop2");
    sa_config_dispose(&c);
    sa_value_object_set(args, "assumeRoles",
                        parse_json_value("[{\"roleArn\":\"arn:aws:iam::111111111111:role/a\"},"
                                         "{\"roleArn\":\"arn:aws:iam::1:role/b\"}]"));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_EINVAL);
    assert_true(has_failure(&f, "assumeRoles[1].roleArn", "must be an IAM role ARN"));
    sa_config_dispose(&c);
    sa_value_object_set(args, "assumeRole",
                        parse_json_value("{\"roleArn\":\"arn:aws:iam::111111111111:role/a\"}"));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_EINVAL);
    assert_true(has_failure(&f, "assumeRole", "both set"));
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

static const char *rate_env_value;

static const char *rate_env(const char *name)
{
    return strcmp(name, SA_CONFIG_API_RATE_SCALE_ENV) == 0 ? rate_env_value : NULL;
}

static void test_api_rate_scale(void **state)
{
    static const char *const bad[] = {"0", "-1", "fast", "", "nan", "inf", "2000000"};
    sa_value *args = sa_value_object();
    sa_config c;
    sa_config_failures f;
    (void)state;

    /* unset: 0, and the environment then gives it */
    assert_int_equal(sa_config_parse(&c, args, &f), SA_OK);
    assert_true(c.api_rate_scale == 0);
    rate_env_value = "2.5";
    assert_int_equal(sa_config_from_env(&c, rate_env, &f), SA_OK);
    assert_true(c.api_rate_scale == 2.5);
    sa_config_dispose(&c);
    /* typed, string and secret forms; the configuration wins over the environment */
    sa_value_object_set(args, "apiRateScale", sa_value_number(10));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_OK);
    assert_int_equal(sa_config_from_env(&c, rate_env, &f), SA_OK);
    assert_true(c.api_rate_scale == 10);
    sa_config_dispose(&c);
    sa_value_object_set(args, "apiRateScale", sa_value_secret(sa_value_string("0.5")));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_OK);
    assert_true(c.api_rate_scale == 0.5);
    assert_string_equal(f.unknown_keys, "");
    sa_config_dispose(&c);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sa_value_object_set(args, "apiRateScale", sa_value_string(bad[i]));
        assert_int_equal(sa_config_parse(&c, args, &f), SA_EINVAL);
        assert_true(has_failure(&f, "apiRateScale", "positive number"));
        sa_config_dispose(&c);
        /* the same values from the environment fail naming the setting and the variable */
        sa_value_object_set(args, "apiRateScale", sa_value_null());
        assert_int_equal(sa_config_parse(&c, args, &f), SA_OK);
        rate_env_value = bad[i];
        if (bad[i][0] != '\0') {
            assert_int_equal(sa_config_from_env(&c, rate_env, &f), SA_EINVAL);
            assert_true(has_failure(&f, "apiRateScale", SA_CONFIG_API_RATE_SCALE_ENV));
        }
        sa_config_dispose(&c);
    }
    sa_value_object_set(args, "apiRateScale", sa_value_number(-3));
    assert_int_equal(sa_config_parse(&c, args, &f), SA_EINVAL);
    assert_true(has_failure(&f, "apiRateScale", "positive number"));
    sa_config_dispose(&c);
    rate_env_value = NULL;
    sa_value_free(args);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_and_typed_forms),
        cmocka_unit_test(test_api_rate_scale),
        cmocka_unit_test(test_each_invalid_setting_named),
        cmocka_unit_test(test_unknowns_skipped),
        cmocka_unit_test(test_validators),
        cmocka_unit_test(test_assume_role),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
