/*
 * Unit tests of sa_aws_call on faked seams (environment, transport, clock): the request each wire
 * protocol puts on the wire (method, URL, headers, signed headers, body, User-Agent), endpoint
 * selection, success reading, error details, and the retry loop (throttling, 5xx, connection
 * errors, terminal errors, HTML 500, quotas, caller rules with budgets, the retry quota, deadlines,
 * cancellation before a call and during a wait), plus redaction of debug output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/sigv4.h"
#include "fakes.h"

typedef struct fixture {
    fake_env env;
    fake_transport transport;
    fake_clock clock;
    debug_sink debug;
    sa_aws_client *client;
    atomic_bool cancel;
} fixture;

static const fake_var base_vars[] = {
    {"AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY},
    {"AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY},
    {"AWS_EC2_METADATA_DISABLED", "true"},
    {NULL, NULL},
};

static fixture *fixture_new(const fake_var *vars, const fake_reply *replies, size_t n,
                            const sa_aws_client_config *extra)
{
    fixture *f = calloc(1, sizeof(*f));
    sa_aws_client_config cfg = {0};
    sa_error err = {0};

    assert_non_null(f);
    if (extra != NULL)
        cfg = *extra;
    fake_env_init(&f->env, vars ? vars : base_vars, NULL);
    fake_transport_init(&f->transport, replies, n);
    fake_clock_init(&f->clock);
    f->transport.clock = &f->clock;
    f->transport.latency_ms = 10;
    atomic_init(&f->cancel, false);
    f->clock.cancel = &f->cancel;
    cfg.env = &f->env.env;
    cfg.transport = &f->transport.seam;
    cfg.clock = &f->clock.clock;
    cfg.rng_seed = 42;
    cfg.debug = debug_sink_line;
    cfg.debug_ctx = &f->debug;
    if (sa_aws_client_new(&f->client, &cfg, &err) != SA_OK)
        fail_msg("client_new: %s", err.message);
    return f;
}

static void fixture_free(fixture *f)
{
    sa_aws_client_release(f->client);
    fake_transport_dispose(&f->transport);
    free(f);
}

static const char *req_header(const fixture *f, size_t i, const char *name)
{
    assert_true(i < f->transport.request_count);
    return sa_aws_headers_get(&f->transport.requests[i].headers, name);
}

#define OK_JSON                                                                                    \
    {                                                                                              \
        SA_OK, 200, "x-amzn-RequestId: req-1\nContent-Type: text/html", "{\"Keys\":[]}"            \
    }

/* ---- request shapes ---------------------------------------------------------------------- */

static void test_json_protocol_request(void **state)
{
    fake_reply replies[] = {OK_JSON};
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_operation op = {
        .service = "kms", .name = "CreateKey", .body = "{\"Description\":\"d\"}"};
    sa_aws_response r = {0};
    sa_error err = {0};
    char sha[65];
    const char *auth;
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    assert_int_equal(f->transport.request_count, 1);
    assert_string_equal(f->transport.requests[0].method, "POST");
    assert_string_equal(f->transport.requests[0].url, "https://kms.ap-southeast-1.amazonaws.com/");
    assert_string_equal(f->transport.requests[0].body, "{\"Description\":\"d\"}");
    assert_string_equal(req_header(f, 0, "Content-Type"), "application/x-amz-json-1.1");
    assert_string_equal(req_header(f, 0, "X-Amz-Target"), "TrentService.CreateKey");
    assert_string_equal(req_header(f, 0, "User-Agent"), "pulumi-resource-secureapi/" SA_VERSION);
    assert_string_equal(req_header(f, 0, "Host"), "kms.ap-southeast-1.amazonaws.com");
    assert_string_equal(req_header(f, 0, "X-Amz-Date"), "20150830T123600Z");
    sa_aws_sha256_hex(sha, "{\"Description\":\"d\"}", 19);
    assert_string_equal(req_header(f, 0, "x-amz-content-sha256"), sha);
    auth = req_header(f, 0, "Authorization");
    assert_non_null(
        strstr(auth, "Credential=AKIDEXAMPLE/20150830/ap-southeast-1/kms/aws4_request"));
    assert_non_null(strstr(auth, "SignedHeaders=content-type;host;x-amz-content-sha256;"
                                 "x-amz-date;x-amz-target, Signature="));
    assert_null(req_header(f, 0, "X-Amz-Security-Token"));
    /* the response: JSON parsed although labelled text/html (as moto does) */
    assert_int_equal(r.http_status, 200);
    assert_string_equal(r.request_id, "req-1");
    assert_non_null(r.json);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(r.json, "Keys")));
    assert_int_equal(r.attempts, 1);
    sa_aws_response_dispose(&r);
    fixture_free(f);
}

static void test_json_protocol_empty_body_is_braces(void **state)
{
    fake_reply replies[] = {OK_JSON};
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_operation op = {.service = "logs", .name = "DescribeLogGroups"};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    assert_string_equal(f->transport.requests[0].body, "{}");
    assert_string_equal(req_header(f, 0, "X-Amz-Target"), "Logs_20140328.DescribeLogGroups");
    assert_string_equal(f->transport.requests[0].url, "https://logs.ap-southeast-1.amazonaws.com/");
    sa_aws_response_dispose(&r);
    fixture_free(f);
}

static void test_query_protocol_request(void **state)
{
    fake_reply replies[] = {
        {SA_OK, 200, NULL,
         "<ListRolesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListRolesResult>"
         "<Roles><member><RoleName>r1</RoleName></member></Roles><IsTruncated>false</IsTruncated>"
         "</ListRolesResult><ResponseMetadata><RequestId>rid-9</RequestId></ResponseMetadata>"
         "</ListRolesResponse>"},
    };
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_param params[] = {{"PathPrefix", "/service-role/"}, {"MaxItems", "10"}};
    sa_aws_operation op = {
        .service = "iam", .name = "ListRoles", .params = params, .param_count = 2};
    sa_aws_response r = {0};
    sa_error err = {0};
    char *name = NULL;
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    assert_string_equal(f->transport.requests[0].url, "https://iam.amazonaws.com/");
    assert_string_equal(f->transport.requests[0].body,
                        "Action=ListRoles&Version=2010-05-08&PathPrefix=%2Fservice-role%2F&"
                        "MaxItems=10");
    assert_string_equal(req_header(f, 0, "Content-Type"),
                        "application/x-www-form-urlencoded; charset=utf-8");
    /* IAM is global: signed for us-east-1 whatever the client's region */
    assert_non_null(
        strstr(req_header(f, 0, "Authorization"), "/20150830/us-east-1/iam/aws4_request"));
    assert_non_null(r.xml);
    assert_int_equal(sa_aws_xml_text(&name, &r, "ListRolesResult/Roles/member/RoleName", &err),
                     SA_OK);
    assert_string_equal(name, "r1");
    free(name);
    assert_int_equal(sa_aws_xml_text(&name, &r, "ListRolesResult/Marker", &err), SA_ENOTFOUND);
    sa_aws_response_dispose(&r);
    fixture_free(f);
}

static void test_sts_version(void **state)
{
    fake_reply replies[] = {
        {SA_OK, 200, NULL,
         "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account>"
         "</GetCallerIdentityResult></GetCallerIdentityResponse>"},
    };
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_operation op = {.service = "sts", .name = "GetCallerIdentity"};
    sa_aws_call_options o = {.region = "eu-west-1"};
    sa_aws_response r = {0};
    sa_error err = {0};
    char *account = NULL;
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, NULL, &err), SA_OK);
    assert_string_equal(f->transport.requests[0].body,
                        "Action=GetCallerIdentity&Version=2011-06-15");
    /* the resource's region wins over the client's */
    assert_string_equal(f->transport.requests[0].url, "https://sts.eu-west-1.amazonaws.com/");
    assert_int_equal(sa_aws_xml_text(&account, &r, "Account", &err), SA_OK);
    assert_string_equal(account, "123456789012");
    free(account);
    sa_aws_response_dispose(&r);
    fixture_free(f);
}

static void test_rest_protocol_request(void **state)
{
    fake_reply replies[] = {{SA_OK, 200, NULL, "{\"Configuration\":{}}"}};
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    const char *labels[] = {"arn:aws:lambda:ap-southeast-1:123456789012:function:my fn"};
    sa_aws_param query[] = {{"Qualifier", "$LATEST"}};
    sa_aws_operation op = {.service = "lambda",
                           .name = "GetFunction",
                           .method = "GET",
                           .query = query,
                           .query_count = 1};
    sa_aws_response r = {0};
    sa_error err = {0};
    char *path = NULL;
    (void)state;

    assert_int_equal(sa_aws_path_build(&path, "/2015-03-31/functions/{}", labels, 1, &err), SA_OK);
    op.path = path;
    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    assert_string_equal(f->transport.requests[0].method, "GET");
    assert_string_equal(f->transport.requests[0].url,
                        "https://lambda.ap-southeast-1.amazonaws.com/2015-03-31/functions/"
                        "arn:aws:lambda:ap-southeast-1:123456789012:function:my%20fn"
                        "?Qualifier=%24LATEST");
    assert_string_equal(f->transport.requests[0].body, "");
    assert_null(req_header(f, 0, "Content-Type"));
    assert_string_equal(req_header(f, 0, "Accept"), "application/json");
    assert_string_equal(req_header(f, 0, "x-amz-content-sha256"),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_non_null(strstr(req_header(f, 0, "Authorization"),
                           "SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date, "));
    assert_non_null(r.json);
    sa_aws_response_dispose(&r);
    free(path);
    fixture_free(f);
}

static void test_rest_post_body_and_headers(void **state)
{
    fake_reply replies[] = {{SA_OK, 201, NULL, "{\"id\":\"abc\"}"}};
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_param headers[] = {{"X-Amz-Invocation-Type", "Event"}};
    sa_aws_operation op = {.service = "apigateway",
                           .name = "CreateRestApi",
                           .method = "POST",
                           .path = "/restapis",
                           .body = "{\"name\":\"api\"}",
                           .headers = headers,
                           .header_count = 1};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    assert_string_equal(f->transport.requests[0].url,
                        "https://apigateway.ap-southeast-1.amazonaws.com/restapis");
    assert_string_equal(req_header(f, 0, "Content-Type"), "application/json");
    assert_string_equal(req_header(f, 0, "X-Amz-Invocation-Type"), "Event");
    assert_int_equal(r.http_status, 201);
    assert_string_equal(cJSON_GetObjectItem(r.json, "id")->valuestring, "abc");
    sa_aws_response_dispose(&r);
    fixture_free(f);
}

static void test_rest_non_json_payload_kept_raw(void **state)
{
    fake_reply replies[] = {{SA_OK, 200, NULL, "Simple Lambda happy path OK"}};
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_operation op = {.service = "lambda",
                           .name = "Invoke",
                           .method = "POST",
                           .path = "/2015-03-31/functions/f/invocations",
                           .body = "{}"};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    assert_null(r.json);
    assert_string_equal((const char *)r.body, "Simple Lambda happy path OK");
    sa_aws_response_dispose(&r);
    fixture_free(f);
}

static void test_endpoint_from_env_and_session_token(void **state)
{
    static const fake_var vars[] = {
        {"AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY},
        {"AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY},
        {"AWS_SESSION_TOKEN", "session-token-value"},
        {"AWS_ENDPOINT_URL", "http://127.0.0.1:4566/"},
        {"AWS_ENDPOINT_URL_KMS", "http://LocalHost:5000/kms-prefix/"},
        {"AWS_REGION", "us-west-2"},
        {NULL, NULL},
    };
    fake_reply replies[] = {OK_JSON, OK_JSON};
    fixture *f = fixture_new(vars, replies, 2, NULL);
    sa_aws_operation kms = {.service = "kms", .name = "ListKeys"};
    sa_aws_operation logs = {.service = "logs", .name = "DescribeLogGroups"};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &kms, NULL, NULL, &err), SA_OK);
    sa_aws_response_dispose(&r);
    assert_int_equal(sa_aws_call(&r, f->client, &logs, NULL, NULL, &err), SA_OK);
    sa_aws_response_dispose(&r);
    assert_string_equal(f->transport.requests[0].url, "http://localhost:5000/kms-prefix/");
    assert_string_equal(req_header(f, 0, "Host"), "localhost:5000");
    assert_string_equal(f->transport.requests[1].url, "http://127.0.0.1:4566/");
    assert_string_equal(req_header(f, 0, "X-Amz-Security-Token"), "session-token-value");
    assert_non_null(strstr(req_header(f, 0, "Authorization"), "x-amz-security-token"));
    assert_non_null(strstr(req_header(f, 1, "Authorization"), "/us-west-2/logs/aws4_request"));
    fixture_free(f);
}

static void test_unknown_service_and_bad_region(void **state)
{
    fixture *f = fixture_new(NULL, NULL, 0, NULL);
    sa_aws_operation op = {.service = "s3", .name = "ListBuckets"};
    sa_aws_operation kms = {.service = "kms", .name = "ListKeys"};
    sa_aws_call_options o = {.region = "eu-west-1/evil"};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "unknown AWS service 's3'"));
    assert_int_equal(sa_aws_call(&r, f->client, &kms, &o, NULL, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "invalid region"));
    assert_int_equal(f->transport.request_count, 0);
    fixture_free(f);
}

/* ---- errors ------------------------------------------------------------------------------ */

static void test_terminal_error_returned_at_once(void **state)
{
    fake_reply replies[] = {
        {SA_OK, 400, "x-amzn-RequestId: rid-7",
         "{\"__type\":\"com.amazonaws.kms#ValidationException\",\"message\":\"bad key spec\"}"},
    };
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_operation op = {.service = "kms", .name = "CreateKey"};
    sa_aws_response r = {0};
    sa_aws_error ae = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, &ae, &err), SA_EAWS);
    assert_int_equal(f->transport.request_count, 1);
    assert_int_equal(f->clock.sleep_count, 0);
    assert_string_equal(ae.code, "ValidationException");
    assert_string_equal(ae.message, "bad key spec");
    assert_int_equal(ae.http_status, 400);
    assert_string_equal(ae.request_id, "rid-7");
    assert_int_equal(ae.attempts, 1);
    assert_string_equal(err.message,
                        "KMS CreateKey: ValidationException: bad key spec (HTTP 400, request id "
                        "rid-7)");
    fixture_free(f);
}

static void test_throttling_then_success(void **state)
{
    fake_reply replies[] = {
        {SA_OK, 400, NULL, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}"},
        {SA_OK, 429, NULL, "{\"message\":\"Too Many Requests\"}"},
        {SA_OK, 503, NULL, ""},
        OK_JSON,
    };
    sa_aws_client_config cfg = {.max_attempts = 4};
    fixture *f = fixture_new(NULL, replies, 4, &cfg);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    assert_int_equal(r.attempts, 4);
    assert_int_equal(f->clock.sleep_count, 3);
    /* full jitter within the ceilings: throttle base 500 ms (x1, x2), then transient 100 x4 */
    assert_true(f->clock.sleeps[0] >= 0 && f->clock.sleeps[0] <= 500);
    assert_true(f->clock.sleeps[1] >= 0 && f->clock.sleeps[1] <= 1000);
    assert_true(f->clock.sleeps[2] >= 0 && f->clock.sleeps[2] <= 400);
    /* each attempt is signed afresh */
    assert_non_null(req_header(f, 3, "Authorization"));
    sa_aws_response_dispose(&r);
    fixture_free(f);
}

static void test_default_three_attempts(void **state)
{
    fake_reply replies[] = {
        {SA_OK, 503, "x-amzn-ErrorType: ServiceUnavailableException:http://internal", ""},
    };
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_response r = {0};
    sa_aws_error ae = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, &ae, &err), SA_EAWS);
    assert_int_equal(f->transport.request_count, 3);
    assert_int_equal(ae.attempts, 3);
    assert_string_equal(ae.code, "ServiceUnavailableException");
    assert_non_null(strstr(err.message, "3 attempts; gave up: max attempts reached"));
    fixture_free(f);
}

static void test_html_500_not_retried(void **state)
{
    fake_reply replies[] = {
        {SA_OK, 500, "Content-Type: text/html; charset=utf-8",
         "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
         "<h1>Internal Server Error</h1>\n<p>The server encountered an internal error.</p>\n"},
    };
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_operation op = {.service = "logs", .name = "AssociateKmsKey"};
    sa_aws_response r = {0};
    sa_aws_error ae = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, &ae, &err), SA_EAWS);
    assert_int_equal(f->transport.request_count, 1);
    assert_true(ae.html);
    assert_int_equal(ae.http_status, 500);
    assert_non_null(strstr(ae.message, "500 Internal Server Error"));
    fixture_free(f);
}

static void test_connection_error_retried_tls_error_not(void **state)
{
    fake_reply replies[] = {{SA_EIO, 0, NULL, NULL}, {SA_ETIMEOUT, 0, NULL, NULL}, OK_JSON};
    fake_reply tls[] = {{SA_EINVAL, 0, NULL, NULL}};
    fixture *f = fixture_new(NULL, replies, 3, NULL);
    fixture *g = fixture_new(NULL, tls, 1, NULL);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_response r = {0};
    sa_aws_error ae = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    assert_int_equal(r.attempts, 3);
    sa_aws_response_dispose(&r);
    assert_int_equal(sa_aws_call(&r, g->client, &op, NULL, &ae, &err), SA_EINVAL);
    assert_int_equal(g->transport.request_count, 1);
    assert_int_equal(ae.http_status, 0);
    assert_non_null(strstr(err.message, "KMS ListKeys: fake transport failure"));
    fixture_free(f);
    fixture_free(g);
}

static void test_transport_failure_exhausts_attempts(void **state)
{
    fake_reply replies[] = {{SA_EIO, 0, NULL, NULL}};
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_EIO);
    assert_int_equal(f->transport.request_count, 3);
    assert_non_null(strstr(err.message, "(after 3 attempts; gave up: max attempts reached)"));
    fixture_free(f);
}

static void test_quota_limit_not_retried(void **state)
{
    fake_reply quota[] = {
        {SA_OK, 429, NULL,
         "{\"message\":\"Maximum number of Resources for this API has been reached\","
         "\"__type\":\"LimitExceededException\"}"},
    };
    fake_reply rate[] = {
        {SA_OK, 429, NULL, "{\"message\":\"Rate exceeded\",\"__type\":\"LimitExceededException\"}"},
        {SA_OK, 200, NULL, "{}"},
    };
    fixture *f = fixture_new(NULL, quota, 1, NULL);
    fixture *g = fixture_new(NULL, rate, 2, NULL);
    sa_aws_operation op = {.service = "apigateway",
                           .name = "CreateResource",
                           .method = "POST",
                           .path = "/restapis/a/resources/b",
                           .body = "{}"};
    sa_aws_response r = {0};
    sa_aws_error ae = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, &ae, &err), SA_EAWS);
    assert_int_equal(f->transport.request_count, 1);
    assert_string_equal(ae.code, "LimitExceededException");
    assert_int_equal(sa_aws_call(&r, g->client, &op, NULL, NULL, &err), SA_OK);
    assert_int_equal(r.attempts, 2);
    sa_aws_response_dispose(&r);
    fixture_free(f);
    fixture_free(g);
}

static const char propagation_body[] =
    "{\"__type\":\"InvalidParameterValueException\",\"message\":\"The role defined for the "
    "function cannot be assumed by Lambda.\"}";

static void test_caller_rule_retries_past_max_attempts(void **state)
{
    fake_reply replies[] = {
        {SA_OK, 400, NULL, propagation_body},           {SA_OK, 400, NULL, propagation_body},
        {SA_OK, 400, NULL, propagation_body},           {SA_OK, 400, NULL, propagation_body},
        {SA_OK, 201, NULL, "{\"FunctionName\":\"f\"}"},
    };
    fixture *f = fixture_new(NULL, replies, 5, NULL);
    sa_aws_retry_rule rule = {.error_code = "InvalidParameterValueException",
                              .message_contains = "cannot be assumed by Lambda",
                              .budget_ms = 120000,
                              .base_delay_ms = 1000};
    sa_aws_call_options o = {.rules = &rule, .rule_count = 1};
    sa_aws_operation op = {.service = "lambda",
                           .name = "CreateFunction",
                           .method = "POST",
                           .path = "/2015-03-31/functions",
                           .body = "{}"};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, NULL, &err), SA_OK);
    assert_int_equal(r.attempts, 5);
    for (size_t i = 0; i < f->clock.sleep_count; i++)
        assert_true(f->clock.sleeps[i] <= 1000 << i);
    sa_aws_response_dispose(&r);
    fixture_free(f);
}

static void test_caller_rule_budget_ends_retries(void **state)
{
    fake_reply replies[] = {{SA_OK, 400, NULL, propagation_body}};
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_retry_rule rule = {.error_code = "InvalidParameterValueException",
                              .message_contains = "cannot be assumed",
                              .budget_ms = 5000,
                              .base_delay_ms = 2000};
    sa_aws_retry_rule other = {.error_code = "InvalidParameterValueException",
                               .message_contains = "something else"};
    sa_aws_call_options o = {.rules = &rule, .rule_count = 1};
    sa_aws_call_options o2 = {.rules = &other, .rule_count = 1};
    sa_aws_operation op = {.service = "lambda",
                           .name = "CreateFunction",
                           .method = "POST",
                           .path = "/2015-03-31/functions",
                           .body = "{}"};
    sa_aws_response r = {0};
    sa_aws_error ae = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, &ae, &err), SA_EAWS);
    assert_true(f->clock.mono_ms < 5000 + 10 * (int64_t)ae.attempts);
    assert_true(ae.attempts >= 2);
    assert_non_null(strstr(err.message, "time budget"));
    /* a rule whose message does not match leaves the error terminal */
    fake_transport_dispose(&f->transport);
    f->transport.next = 0;
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o2, &ae, &err), SA_EAWS);
    assert_int_equal(ae.attempts, 1);
    fixture_free(f);
}

static void test_deadline_bounds_retries(void **state)
{
    fake_reply replies[] = {{SA_OK, 503, NULL, ""}};
    sa_aws_client_config cfg = {.max_attempts = 50, .retry_base_delay_ms = 1000};
    fixture *f = fixture_new(NULL, replies, 1, &cfg);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_call_options o = {0};
    sa_aws_response r = {0};
    sa_aws_error ae = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    o.deadline_ms = sa_aws_client_now_ms(f->client) + 3000;
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, &ae, &err), SA_EAWS);
    assert_true(f->clock.mono_ms <= 3000);
    assert_true(ae.attempts < 50);
    /* every exchange got a timeout no longer than what was left */
    for (size_t i = 0; i < f->transport.request_count; i++)
        assert_true(f->transport.requests[i].timeout_ms <= 3000);
    /* a deadline already passed: no request at all */
    fake_transport_dispose(&f->transport);
    o.deadline_ms = sa_aws_client_now_ms(f->client) - 1;
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, &ae, &err), SA_ETIMEOUT);
    assert_int_equal(f->transport.request_count, 0);
    fixture_free(f);
}

/* ---- find before repeating an operation that makes a new object ---------------------------- */

typedef struct finder {
    int calls;
    bool found;
    int rc;
} finder;

static int find_fake(void *ctx, bool *ret_found, sa_error *err)
{
    finder *f = ctx;

    f->calls++;
    if (f->rc != SA_OK)
        return sa_error_set(err, f->rc, "KMS DescribeKey: boom");
    *ret_found = f->found;
    return SA_OK;
}

static void test_lost_answer_looked_for_before_repeating(void **state)
{
    fake_reply lost[] = {{SA_ETIMEOUT, 0, NULL, NULL}, OK_JSON};
    fake_reply five[] = {{SA_OK, 503, NULL, ""}, OK_JSON};
    fake_reply throttled[] = {{SA_OK, 400, NULL, "{\"__type\":\"ThrottlingException\"}"}, OK_JSON};
    sa_aws_operation op = {.service = "kms", .name = "CreateKey", .body = "{}"};
    finder fd = {0};
    sa_aws_call_options o = {.find = find_fake, .find_ctx = &fd};
    sa_aws_response r = {0};
    sa_aws_error ae = {0};
    sa_error err = {0};
    fixture *f;
    (void)state;

    /* found: the call ends after the lost attempt, with an empty response */
    f = fixture_new(NULL, lost, 2, NULL);
    fd = (finder){0, true, SA_OK};
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, &ae, &err), SA_OK);
    assert_int_equal(f->transport.request_count, 1);
    assert_int_equal(fd.calls, 1);
    assert_int_equal(r.http_status, 0);
    assert_null(r.json);
    assert_int_equal(r.attempts, 1);
    sa_aws_response_dispose(&r);
    fixture_free(f);

    /* not found after a 5xx: repeated, each time on a new connection (which libcurl never sends
     * again by itself) */
    f = fixture_new(NULL, five, 2, NULL);
    fd = (finder){0, false, SA_OK};
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, &ae, &err), SA_OK);
    assert_int_equal(f->transport.request_count, 2);
    assert_int_equal(fd.calls, 1);
    assert_int_equal(r.http_status, 200);
    assert_true(f->transport.requests[0].fresh_connection);
    assert_true(f->transport.requests[1].fresh_connection);
    sa_aws_response_dispose(&r);
    /* an ordinary call may use a pooled connection */
    f->transport.next = 1;
    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, &ae, &err), SA_OK);
    assert_false(f->transport.requests[2].fresh_connection);
    sa_aws_response_dispose(&r);
    fixture_free(f);

    /* throttled: AWS did nothing, so nothing is looked for */
    f = fixture_new(NULL, throttled, 2, NULL);
    fd = (finder){0, true, SA_OK};
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, &ae, &err), SA_OK);
    assert_int_equal(fd.calls, 0);
    assert_int_equal(r.http_status, 200);
    sa_aws_response_dispose(&r);
    fixture_free(f);

    /* looking failed: that error, after what befell the attempt */
    f = fixture_new(NULL, lost, 2, NULL);
    fd = (finder){0, false, SA_ETIMEOUT};
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, &ae, &err), SA_ETIMEOUT);
    assert_int_equal(f->transport.request_count, 1);
    assert_non_null(strstr(err.message, "KMS CreateKey: fake transport failure -6 (attempt 1), "
                                        "then looking for what it may have made: "
                                        "KMS DescribeKey: boom"));
    assert_int_equal(ae.attempts, 1);
    fixture_free(f);
}

static void test_cancel_before_and_during_wait(void **state)
{
    fake_reply replies[] = {{SA_OK, 503, NULL, ""}};
    sa_aws_client_config cfg = {.max_attempts = 10};
    fixture *f = fixture_new(NULL, replies, 1, &cfg);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_call_options o = {.cancelled = &f->cancel};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    f->clock.cancel_at_sleep = 2;
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, NULL, &err), SA_ECANCELLED);
    assert_int_equal(f->transport.request_count, 2);
    assert_non_null(strstr(err.message, "cancelled while waiting to retry"));
    /* already cancelled: nothing is sent */
    fake_transport_dispose(&f->transport);
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o, NULL, &err), SA_ECANCELLED);
    assert_int_equal(f->transport.request_count, 0);
    fixture_free(f);
}

static void test_retry_quota_runs_out(void **state)
{
    fake_reply replies[] = {{SA_OK, 503, NULL, ""}};
    fixture *f = fixture_new(NULL, replies, 1, NULL);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_response r = {0};
    sa_aws_error ae = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    /* 500 tokens, 5 per retry, 2 retries per call: 50 calls drain the bucket */
    for (int i = 0; i < 50; i++) {
        assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, &ae, &err), SA_EAWS);
        assert_int_equal(ae.attempts, 3);
        fake_transport_dispose(&f->transport);
    }
    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, &ae, &err), SA_EAWS);
    assert_int_equal(ae.attempts, 1);
    assert_non_null(strstr(err.message, "retry quota"));
    fixture_free(f);
}

static void test_same_seed_same_delays(void **state)
{
    fake_reply replies[] = {{SA_OK, 503, NULL, ""}};
    sa_aws_client_config cfg = {.max_attempts = 6};
    fixture *f = fixture_new(NULL, replies, 1, &cfg);
    fixture *g = fixture_new(NULL, replies, 1, &cfg);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_rng rng1, rng2;
    sa_aws_call_options o1 = {.rng = &rng1}, o2 = {.rng = &rng2};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    sa_aws_rng_seed(&rng1, 7);
    sa_aws_rng_seed(&rng2, 7);
    f->transport.repeat_last = g->transport.repeat_last = true;
    assert_int_equal(sa_aws_call(&r, f->client, &op, &o1, NULL, &err), SA_EAWS);
    assert_int_equal(sa_aws_call(&r, g->client, &op, &o2, NULL, &err), SA_EAWS);
    assert_int_equal(f->clock.sleep_count, 5);
    assert_memory_equal(f->clock.sleeps, g->clock.sleeps, 5 * sizeof(int64_t));
    fixture_free(f);
    fixture_free(g);
}

/* ---- credentials and redaction ----------------------------------------------------------- */

static void test_no_credentials(void **state)
{
    static const fake_var vars[] = {
        {"AWS_EC2_METADATA_DISABLED", "true"}, {"HOME", "/home/nobody"}, {NULL, NULL}};
    fixture *f = fixture_new(vars, NULL, 0, NULL);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_ENOTFOUND);
    assert_int_equal(f->transport.request_count, 0);
    assert_non_null(strstr(err.message, "KMS ListKeys: no AWS credentials found; tried"));
    assert_non_null(strstr(err.message, "AWS_ACCESS_KEY_ID"));
    assert_non_null(strstr(err.message, "/home/nobody/.aws/credentials"));
    assert_non_null(strstr(err.message, "AWS_EC2_METADATA_DISABLED"));
    fixture_free(f);
}

static void test_debug_output_is_redacted(void **state)
{
    static const fake_var vars[] = {{"AWS_EC2_METADATA_DISABLED", "true"}, {NULL, NULL}};
    fake_reply replies[] = {{SA_OK, 400, NULL, "{\"__type\":\"ThrottlingException\"}"}, OK_JSON};
    sa_aws_client_config cfg = {.access_key_id = "AKIAPROVIDERCONFIG",
                                .secret_access_key = "very-secret-key-material",
                                .session_token = "very-secret-session-token"};
    fixture *f = fixture_new(vars, replies, 2, &cfg);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_response r = {0};
    sa_error err = {0};
    char check[32];
    (void)state;

    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    sa_aws_response_dispose(&r);
    assert_true(f->debug.len > 0);
    assert_null(strstr(f->debug.text, "very-secret-key-material"));
    assert_null(strstr(f->debug.text, "very-secret-session-token"));
    assert_null(strstr(f->debug.text, "Signature="));
    assert_non_null(strstr(f->debug.text, "Authorization: <redacted>"));
    assert_non_null(strstr(f->debug.text, "X-Amz-Security-Token: <redacted>"));
    assert_non_null(strstr(f->debug.text, "retrying in"));
    assert_non_null(strstr(f->debug.text, "credentials from provider config"));
    /* the signature that was sent does not appear either */
    snprintf(check, sizeof(check), "%.16s",
             strstr(req_header(f, 0, "Authorization"), "Signature=") + 10);
    assert_null(strstr(f->debug.text, check));
    fixture_free(f);
}

static void test_temporary_credentials_cached_then_refreshed(void **state)
{
    static const fake_var vars[] = {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"},
                                    {NULL, NULL}};
    fake_reply replies[] = {
        {SA_OK, 200, NULL,
         "{\"AccessKeyId\":\"ASIAFIRST\",\"SecretAccessKey\":\"s1\",\"Token\":\"t1\","
         "\"Expiration\":\"2015-08-30T13:36:00Z\"}"},
        OK_JSON,
        OK_JSON,
        {SA_OK, 200, NULL,
         "{\"AccessKeyId\":\"ASIASECOND\",\"SecretAccessKey\":\"s2\",\"Token\":\"t2\","
         "\"Expiration\":\"2015-08-30T14:36:00Z\"}"},
        OK_JSON,
    };
    fixture *f = fixture_new(vars, replies, 5, NULL);
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_response r = {0};
    sa_error err = {0};
    char source[64] = "";
    (void)state;

    assert_int_equal(sa_aws_client_check_credentials(source, sizeof(source), f->client, NULL, &err),
                     SA_OK);
    assert_string_equal(source, "container credentials endpoint");
    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    sa_aws_response_dispose(&r);
    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    sa_aws_response_dispose(&r);
    assert_int_equal(f->transport.request_count, 3); /* fetched once, then cached */
    assert_string_equal(f->transport.requests[0].url, "http://169.254.170.2/creds");
    assert_string_equal(req_header(f, 2, "X-Amz-Security-Token"), "t1");
    /* 56 minutes later the credentials expire within 5 minutes: fetched again */
    f->clock.mono_ms += 56 * 60 * 1000;
    assert_int_equal(sa_aws_call(&r, f->client, &op, NULL, NULL, &err), SA_OK);
    sa_aws_response_dispose(&r);
    assert_int_equal(f->transport.request_count, 5);
    assert_non_null(strstr(req_header(f, 4, "Authorization"), "Credential=ASIASECOND/"));
    assert_string_equal(req_header(f, 4, "X-Amz-Security-Token"), "t2");
    fixture_free(f);
}

static void test_client_config_errors(void **state)
{
    static const fake_var bad_env[] = {{"AWS_ENDPOINT_URL_LAMBDA", "ftp://x"}, {NULL, NULL}};
    static const fake_var bad_attempts[] = {{"AWS_MAX_ATTEMPTS", "zero"}, {NULL, NULL}};
    sa_aws_endpoint_override bad_override = {"kms", "http://"};
    fake_env env;
    fake_transport t;
    sa_aws_client_config cfg = {0};
    sa_aws_client *c = NULL;
    sa_error err = {0};
    (void)state;

    fake_transport_init(&t, NULL, 0);
    cfg.transport = &t.seam;
    cfg.env = &env.env;
    fake_env_init(&env, bad_env, NULL);
    assert_int_equal(sa_aws_client_new(&c, &cfg, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "AWS_ENDPOINT_URL_LAMBDA"));
    fake_env_init(&env, bad_attempts, NULL);
    assert_int_equal(sa_aws_client_new(&c, &cfg, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "AWS_MAX_ATTEMPTS"));
    fake_env_init(&env, NULL, NULL);
    cfg.endpoints = &bad_override;
    cfg.endpoint_count = 1;
    assert_int_equal(sa_aws_client_new(&c, &cfg, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "provider config endpoints.kms"));
    cfg.endpoint_count = 0;
    cfg.region = "Not A Region";
    assert_int_equal(sa_aws_client_new(&c, &cfg, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "provider config region"));
    cfg.region = NULL;
    assert_int_equal(sa_aws_client_new(&c, &cfg, &err), SA_OK);
    assert_string_equal(sa_aws_client_region(c), "ap-southeast-1");
    assert_string_equal(sa_aws_client_region_source(c), "default region");
    sa_aws_client_release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_protocol_request),
        cmocka_unit_test(test_json_protocol_empty_body_is_braces),
        cmocka_unit_test(test_query_protocol_request),
        cmocka_unit_test(test_sts_version),
        cmocka_unit_test(test_rest_protocol_request),
        cmocka_unit_test(test_rest_post_body_and_headers),
        cmocka_unit_test(test_rest_non_json_payload_kept_raw),
        cmocka_unit_test(test_endpoint_from_env_and_session_token),
        cmocka_unit_test(test_unknown_service_and_bad_region),
        cmocka_unit_test(test_terminal_error_returned_at_once),
        cmocka_unit_test(test_throttling_then_success),
        cmocka_unit_test(test_default_three_attempts),
        cmocka_unit_test(test_html_500_not_retried),
        cmocka_unit_test(test_connection_error_retried_tls_error_not),
        cmocka_unit_test(test_transport_failure_exhausts_attempts),
        cmocka_unit_test(test_quota_limit_not_retried),
        cmocka_unit_test(test_caller_rule_retries_past_max_attempts),
        cmocka_unit_test(test_caller_rule_budget_ends_retries),
        cmocka_unit_test(test_deadline_bounds_retries),
        cmocka_unit_test(test_cancel_before_and_during_wait),
        cmocka_unit_test(test_retry_quota_runs_out),
        cmocka_unit_test(test_same_seed_same_delays),
        cmocka_unit_test(test_no_credentials),
        cmocka_unit_test(test_debug_output_is_redacted),
        cmocka_unit_test(test_temporary_credentials_cached_then_refreshed),
        cmocka_unit_test(test_client_config_errors),
        cmocka_unit_test(test_lost_answer_looked_for_before_repeating),
    };
    sa_error err = {0};
    int rc;

    if (sa_aws_global_init(&err) != SA_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    sa_aws_global_cleanup();
    return rc;
}
