/*
 * Table tests of region and endpoint resolution (the documented order, partitions, the global IAM
 * endpoint, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
 * provider overrides) and of endpoint URL validation, whose errors must name the setting. Also
 * checks the service table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aws/endpoints.h"
#include "aws/uri.h"
#include "fakes.h"

typedef struct region_case {
    const char *name;
    const char *resource;
    const char *config;
    fake_var vars[4];
    const char *config_file; /* ~/.aws/config contents, HOME=/h */
    const char *want;        /* NULL: expect an error */
    const char *want_source;
} region_case;

static void test_region_order(void **state)
{
    static const region_case cases[] = {
        {"resource first",
         "eu-west-1",
         "us-east-2",
         {{"AWS_REGION", "us-west-1"}, {NULL, NULL}},
         NULL,
         "eu-west-1",
         "resource region"},
        {"provider config",
         NULL,
         "us-east-2",
         {{"AWS_REGION", "us-west-1"}, {NULL, NULL}},
         NULL,
         "us-east-2",
         "provider config region"},
        {"AWS_REGION",
         NULL,
         NULL,
         {{"AWS_REGION", "us-west-1"}, {"AWS_DEFAULT_REGION", "us-west-2"}, {NULL, NULL}},
         NULL,
         "us-west-1",
         "AWS_REGION"},
        {"AWS_DEFAULT_REGION",
         NULL,
         NULL,
         {{"AWS_DEFAULT_REGION", "us-west-2"}, {"HOME", "/h"}, {NULL, NULL}},
         "[default]\nregion = eu-north-1\n",
         "us-west-2",
         "AWS_DEFAULT_REGION"},
        {"profile",
         NULL,
         NULL,
         {{"HOME", "/h"}, {NULL, NULL}},
         "[default]\nregion = eu-north-1\n",
         "eu-north-1",
         "profile region"},
        {"named profile",
         NULL,
         NULL,
         {{"HOME", "/h"}, {"AWS_PROFILE", "dev"}, {NULL, NULL}},
         "[default]\nregion = eu-north-1\n[profile dev]\nregion = ca-central-1\n",
         "ca-central-1",
         "profile region"},
        {"default", NULL, NULL, {{NULL, NULL}}, NULL, "ap-southeast-1", "default region"},
        {"empty values skipped",
         "",
         "",
         {{"AWS_REGION", ""}, {NULL, NULL}},
         NULL,
         "ap-southeast-1",
         "default region"},
        {"bad env region",
         NULL,
         NULL,
         {{"AWS_REGION", "us_east_1"}, {NULL, NULL}},
         NULL,
         NULL,
         "AWS_REGION"},
        {"bad resource region", "US-EAST-1", NULL, {{NULL, NULL}}, NULL, NULL, "resource region"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const region_case *c = &cases[i];
        fake_file files[] = {{"/h/.aws/config", c->config_file}, {NULL, NULL}};
        fake_env env;
        sa_aws_shared_config shared = {0};
        sa_error err = {0};
        char *region = NULL;
        const char *source = NULL;
        int rc;

        fake_env_init(&env, c->vars, c->config_file ? files : NULL);
        assert_int_equal(sa_aws_shared_config_load(&shared, NULL, NULL, NULL, &env.env, &err),
                         SA_OK);
        rc = sa_aws_region_resolve(&region, &source, c->resource, c->config, &env.env, &shared,
                                   &err);
        if (c->want == NULL) {
            if (rc != SA_EINVAL || strstr(err.message, c->want_source) == NULL)
                fail_msg("%s: expected an error naming %s, got %d '%s'", c->name, c->want_source,
                         rc, err.message);
        } else {
            if (rc != SA_OK || strcmp(region, c->want) != 0 || strcmp(source, c->want_source) != 0)
                fail_msg("%s: got %s from %s (%s)", c->name, region ? region : "-",
                         source ? source : "-", err.message);
        }
        free(region);
        sa_aws_shared_config_dispose(&shared);
    }
}

typedef struct endpoint_case {
    const char *name;
    const char *service;
    const char *region;
    const char *override; /* provider config URL for the service, or NULL */
    fake_var vars[4];
    const char *want_origin; /* NULL: expect an error */
    const char *want_base;
    const char *want_signing_region;
    const char *want_source; /* or the setting the error names */
} endpoint_case;

static void test_endpoints(void **state)
{
    static const endpoint_case cases[] = {
        {"kms default",
         "kms",
         "ap-southeast-1",
         NULL,
         {{NULL, NULL}},
         "https://kms.ap-southeast-1.amazonaws.com",
         "",
         "ap-southeast-1",
         "default"},
        {"logs",
         "logs",
         "eu-west-1",
         NULL,
         {{NULL, NULL}},
         "https://logs.eu-west-1.amazonaws.com",
         "",
         "eu-west-1",
         "default"},
        {"apigateway",
         "apigateway",
         "us-east-1",
         NULL,
         {{NULL, NULL}},
         "https://apigateway.us-east-1.amazonaws.com",
         "",
         "us-east-1",
         "default"},
        {"lambda china",
         "lambda",
         "cn-north-1",
         NULL,
         {{NULL, NULL}},
         "https://lambda.cn-north-1.amazonaws.com.cn",
         "",
         "cn-north-1",
         "default"},
        {"sts regional",
         "sts",
         "eu-central-1",
         NULL,
         {{NULL, NULL}},
         "https://sts.eu-central-1.amazonaws.com",
         "",
         "eu-central-1",
         "default"},
        {"iam global",
         "iam",
         "ap-southeast-1",
         NULL,
         {{NULL, NULL}},
         "https://iam.amazonaws.com",
         "",
         "us-east-1",
         "default"},
        {"iam china",
         "iam",
         "cn-northwest-1",
         NULL,
         {{NULL, NULL}},
         "https://iam.cn-north-1.amazonaws.com.cn",
         "",
         "cn-north-1",
         "default"},
        {"iam govcloud",
         "iam",
         "us-gov-east-1",
         NULL,
         {{NULL, NULL}},
         "https://iam.us-gov.amazonaws.com",
         "",
         "us-gov-west-1",
         "default"},
        {"service env",
         "kms",
         "us-east-1",
         NULL,
         {{"AWS_ENDPOINT_URL", "http://127.0.0.1:1"},
          {"AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:2"},
          {NULL, NULL}},
         "http://127.0.0.1:2",
         "",
         "us-east-1",
         "AWS_ENDPOINT_URL_KMS"},
        {"global env",
         "logs",
         "us-east-1",
         NULL,
         {{"AWS_ENDPOINT_URL", "http://127.0.0.1:1/"},
          {"AWS_ENDPOINT_URL_KMS", "http://x:2"},
          {NULL, NULL}},
         "http://127.0.0.1:1",
         "",
         "us-east-1",
         "AWS_ENDPOINT_URL"},
        {"logs env name",
         "logs",
         "us-east-1",
         NULL,
         {{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "https://logs.example.test/base/"}, {NULL, NULL}},
         "https://logs.example.test",
         "/base",
         "us-east-1",
         "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"},
        {"apigw env name",
         "apigateway",
         "us-east-1",
         NULL,
         {{"AWS_ENDPOINT_URL_API_GATEWAY", "http://[::1]:4566"}, {NULL, NULL}},
         "http://[::1]:4566",
         "",
         "us-east-1",
         "AWS_ENDPOINT_URL_API_GATEWAY"},
        {"lambda env name",
         "lambda",
         "us-east-1",
         NULL,
         {{"AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9"}, {NULL, NULL}},
         "http://127.0.0.1:9",
         "",
         "us-east-1",
         "AWS_ENDPOINT_URL_LAMBDA"},
        {"iam custom endpoint signs us-east-1",
         "iam",
         "eu-west-1",
         NULL,
         {{"AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:9"}, {NULL, NULL}},
         "http://127.0.0.1:9",
         "",
         "us-east-1",
         "AWS_ENDPOINT_URL_IAM"},
        {"ignore configured",
         "kms",
         "us-east-1",
         NULL,
         {{"AWS_ENDPOINT_URL", "http://127.0.0.1:1"},
          {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"},
          {NULL, NULL}},
         "https://kms.us-east-1.amazonaws.com",
         "",
         "us-east-1",
         "default"},
        {"override beats env and ignore",
         "kms",
         "us-east-1",
         "HTTPS://KMS.Example.test:8443",
         {{"AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:2"},
          {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"},
          {NULL, NULL}},
         "https://kms.example.test:8443",
         "",
         "us-east-1",
         "provider config endpoints.kms"},
        {"bad scheme",
         "kms",
         "us-east-1",
         NULL,
         {{"AWS_ENDPOINT_URL_KMS", "ftp://127.0.0.1"}, {NULL, NULL}},
         NULL,
         NULL,
         NULL,
         "AWS_ENDPOINT_URL_KMS"},
        {"no host",
         "sts",
         "us-east-1",
         NULL,
         {{"AWS_ENDPOINT_URL", "http://"}, {NULL, NULL}},
         NULL,
         NULL,
         NULL,
         "AWS_ENDPOINT_URL"},
        {"bad override",
         "lambda",
         "us-east-1",
         "localhost:4566",
         {{NULL, NULL}},
         NULL,
         NULL,
         NULL,
         "provider config endpoints.lambda"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const endpoint_case *c = &cases[i];
        const sa_aws_service *svc = sa_aws_service_find(c->service);
        sa_aws_endpoint_override ov = {c->service, c->override};
        fake_env env;
        sa_aws_endpoint ep = {0};
        sa_error err = {0};
        int rc;

        assert_non_null(svc);
        fake_env_init(&env, c->vars, NULL);
        rc = sa_aws_endpoint_resolve(&ep, svc, c->region, &ov, c->override ? 1 : 0, &env.env, &err);
        if (c->want_origin == NULL) {
            if (rc != SA_EINVAL || strstr(err.message, c->want_source) == NULL)
                fail_msg("%s: expected an error naming %s, got %d '%s'", c->name, c->want_source,
                         rc, err.message);
            continue;
        }
        if (rc != SA_OK)
            fail_msg("%s: %s", c->name, err.message);
        if (strcmp(ep.origin, c->want_origin) != 0 || strcmp(ep.base_path, c->want_base) != 0 ||
            strcmp(ep.signing_region, c->want_signing_region) != 0 ||
            strcmp(ep.source, c->want_source) != 0)
            fail_msg("%s: got %s base '%s' region %s source %s", c->name, ep.origin, ep.base_path,
                     ep.signing_region, ep.source);
        sa_aws_endpoint_dispose(&ep);
    }
}

typedef struct url_case {
    const char *url;
    const char *scheme, *host;
    int port;
    const char *base;
    const char *error; /* substring of the error, or NULL */
} url_case;

static void test_url_parse(void **state)
{
    static const url_case cases[] = {
        {"http://127.0.0.1:5000", "http", "127.0.0.1", 5000, "", NULL},
        {"https://example.com/", "https", "example.com", 0, "", NULL},
        {"HTTPS://Example.COM/a/b//", "https", "example.com", 0, "/a/b", NULL},
        {"http://[fd00:ec2::254]", "http", "[fd00:ec2::254]", 0, "", NULL},
        {"http://localhost:65535/x", "http", "localhost", 65535, "/x", NULL},
        {"ftp://x", NULL, NULL, 0, NULL, "scheme must be http or https"},
        {"127.0.0.1:5000", NULL, NULL, 0, NULL, "expected http://host"},
        {"http://", NULL, NULL, 0, NULL, "host is missing"},
        {"http://:80", NULL, NULL, 0, NULL, "host is missing"},
        {"http://h:0", NULL, NULL, 0, NULL, "port"},
        {"http://h:65536", NULL, NULL, 0, NULL, "port"},
        {"http://h:12a", NULL, NULL, 0, NULL, "port"},
        {"http://user:pw@h", NULL, NULL, 0, NULL, "user information"},
        {"http://h/?a=b", NULL, NULL, 0, NULL, "query"},
        {"http://h#f", NULL, NULL, 0, NULL, "query or fragment"},
        {"http://h o", NULL, NULL, 0, NULL, "spaces"},
        {"http://h$x", NULL, NULL, 0, NULL, "characters a host name cannot have"},
        {"http://[zz]", NULL, NULL, 0, NULL, "IPv6"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const url_case *c = &cases[i];
        sa_aws_url u = {0};
        sa_error err = {0};
        int rc = sa_aws_url_parse(&u, c->url, "SETTING_X", &err);
        if (c->error != NULL) {
            if (rc != SA_EINVAL || strstr(err.message, c->error) == NULL ||
                strstr(err.message, "SETTING_X") == NULL)
                fail_msg("%s: expected error '%s', got %d '%s'", c->url, c->error, rc, err.message);
            continue;
        }
        if (rc != SA_OK || strcmp(u.scheme, c->scheme) != 0 || strcmp(u.host, c->host) != 0 ||
            u.port != c->port || strcmp(u.base_path, c->base) != 0)
            fail_msg("%s: got %d %s %s %d %s (%s)", c->url, rc, u.scheme, u.host, u.port,
                     u.base_path, err.message);
        sa_aws_url_dispose(&u);
    }
}

static void test_region_valid(void **state)
{
    (void)state;
    assert_true(sa_aws_region_valid("us-east-1"));
    assert_true(sa_aws_region_valid("us-gov-west-1"));
    assert_true(sa_aws_region_valid("local"));
    assert_false(sa_aws_region_valid(""));
    assert_false(sa_aws_region_valid(NULL));
    assert_false(sa_aws_region_valid("-us"));
    assert_false(sa_aws_region_valid("us--east"));
    assert_false(sa_aws_region_valid("us.east.1"));
    assert_false(sa_aws_region_valid("us-east-1/"));
}

static void test_service_table(void **state)
{
    struct {
        const char *id, *signing, *env, *target, *version;
        sa_aws_protocol proto;
    } want[] = {
        {"sts", "sts", "STS", NULL, "2011-06-15", SA_AWS_PROTOCOL_QUERY},
        {"kms", "kms", "KMS", "TrentService", "2014-11-01", SA_AWS_PROTOCOL_JSON},
        {"iam", "iam", "IAM", NULL, "2010-05-08", SA_AWS_PROTOCOL_QUERY},
        {"lambda", "lambda", "LAMBDA", NULL, "2015-03-31", SA_AWS_PROTOCOL_REST_JSON},
        {"logs", "logs", "CLOUDWATCH_LOGS", "Logs_20140328", "2014-03-28", SA_AWS_PROTOCOL_JSON},
        {"apigateway", "apigateway", "API_GATEWAY", NULL, "2015-07-09", SA_AWS_PROTOCOL_REST_JSON},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const sa_aws_service *s = sa_aws_service_find(want[i].id);
        assert_non_null(s);
        assert_string_equal(s->signing_name, want[i].signing);
        assert_string_equal(s->env_suffix, want[i].env);
        assert_string_equal(s->api_version, want[i].version);
        assert_int_equal(s->protocol, want[i].proto);
        if (want[i].target)
            assert_string_equal(s->json_target_prefix, want[i].target);
    }
    assert_true(sa_aws_service_find("iam")->global);
    assert_null(sa_aws_service_find("s3"));
    assert_null(sa_aws_service_find(NULL));
    assert_string_equal(sa_aws_protocol_name(SA_AWS_PROTOCOL_REST_JSON), "rest-json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_order),  cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_url_parse),     cmocka_unit_test(test_region_valid),
        cmocka_unit_test(test_service_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
