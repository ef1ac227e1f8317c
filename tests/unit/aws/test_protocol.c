/*
 * Tests of the wire-protocol helpers on their own: path templates (escaping, ':' kept raw,
 * greedy labels, label count checks), form encoding, request building errors, the endpoint base
 * path, and reading success bodies (JSON required for JSON 1.1, optional for REST, XML for Query).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "aws/protocol.h"

static void test_path_build(void **state)
{
    static const struct {
        const char *tmpl;
        const char *labels[3];
        size_t n;
        const char *want; /* NULL: error */
    } cases[] = {
        {"/2015-03-31/functions/{}/configuration",
         {"my-fn"},
         1,
         "/2015-03-31/functions/my-fn/configuration"},
        {"/2017-03-31/tags/{}",
         {"arn:aws:lambda:us-east-1:123456789012:function:f"},
         1,
         "/2017-03-31/tags/arn:aws:lambda:us-east-1:123456789012:function:f"},
        {"/restapis/{}/resources/{}", {"a1", "b/c d"}, 2, "/restapis/a1/resources/b%2Fc%20d"},
        {"/x/{+}", {"a/b c/$"}, 1, "/x/a/b%20c/%24"},
        {"/2015-03-31/functions/", {NULL}, 0, "/2015-03-31/functions/"},
        {"/a/{}", {NULL}, 0, NULL},
        {"/a/{}", {""}, 1, NULL},
        {"/a", {"extra"}, 1, NULL},
        {"a/{}", {"x"}, 1, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        sa_error err = {0};
        int rc = sa_aws_path_build(&out, cases[i].tmpl, cases[i].labels, cases[i].n, &err);
        if (cases[i].want == NULL) {
            assert_int_equal(rc, SA_EINVAL);
            continue;
        }
        if (rc != SA_OK || strcmp(out, cases[i].want) != 0)
            fail_msg("%s: got %s (%s)", cases[i].tmpl, out ? out : "-", err.message);
        free(out);
    }
}

static void test_form_encode(void **state)
{
    sa_aws_param p[] = {{"Action", "CreateRole"},
                        {"AssumeRolePolicyDocument", "{\"a\": [1, \"b&c=d\"]}"},
                        {"Empty", ""},
                        {"Null", NULL}};
    sa_aws_param bad[] = {{"", "x"}};
    sa_aws_buf b;
    sa_error err = {0};
    (void)state;
    sa_aws_buf_init(&b, 4096);
    assert_int_equal(sa_aws_form_encode(&b, p, 4, &err), SA_OK);
    assert_string_equal(b.data, "Action=CreateRole&AssumeRolePolicyDocument=%7B%22a%22%3A%20%5B1%"
                                "2C%20%22b%26c%3Dd%22%5D%7D&Empty=&Null=");
    assert_int_equal(sa_aws_form_encode(&b, bad, 1, &err), SA_EINVAL);
    sa_aws_buf_dispose(&b);
}

static sa_aws_endpoint endpoint(const char *base)
{
    sa_aws_endpoint ep = {0};
    ep.origin = strdup("http://127.0.0.1:9");
    ep.base_path = strdup(base);
    ep.signing_region = strdup("us-east-1");
    return ep;
}

static void test_build_errors_and_base_path(void **state)
{
    sa_aws_endpoint ep = endpoint("/base");
    sa_aws_http_request req = {0};
    sa_error err = {0};
    sa_aws_operation bad_name = {.service = "kms", .name = "List Keys"};
    sa_aws_operation bad_method = {
        .service = "lambda", .name = "X", .method = "TRACE", .path = "/x"};
    sa_aws_operation no_path = {.service = "lambda", .name = "X", .method = "GET"};
    sa_aws_param bad_hdr[] = {{"X-Bad", "a\r\nInjected: 1"}};
    sa_aws_operation bad_header = {
        .service = "kms", .name = "ListKeys", .headers = bad_hdr, .header_count = 1};
    sa_aws_operation ok = {.service = "kms", .name = "ListKeys"};
    sa_aws_operation rest = {.service = "lambda",
                             .name = "ListFunctions",
                             .method = "GET",
                             .path = "/2015-03-31/functions/"};
    (void)state;

    assert_int_equal(sa_aws_protocol_build(&req, sa_aws_service_find("kms"), &bad_name, &ep, &err),
                     SA_EINVAL);
    assert_int_equal(
        sa_aws_protocol_build(&req, sa_aws_service_find("lambda"), &bad_method, &ep, &err),
        SA_EINVAL);
    assert_non_null(strstr(err.message, "unsupported HTTP method TRACE"));
    assert_int_equal(
        sa_aws_protocol_build(&req, sa_aws_service_find("lambda"), &no_path, &ep, &err), SA_EINVAL);
    assert_int_equal(
        sa_aws_protocol_build(&req, sa_aws_service_find("kms"), &bad_header, &ep, &err), SA_EINVAL);

    assert_int_equal(sa_aws_protocol_build(&req, sa_aws_service_find("kms"), &ok, &ep, &err),
                     SA_OK);
    assert_string_equal(req.path, "/base/");
    assert_string_equal(req.method, "POST");
    sa_aws_http_request_dispose(&req);
    assert_int_equal(sa_aws_protocol_build(&req, sa_aws_service_find("lambda"), &rest, &ep, &err),
                     SA_OK);
    assert_string_equal(req.path, "/base/2015-03-31/functions/");
    assert_null(req.query);
    assert_null(req.body);
    sa_aws_http_request_dispose(&req);
    sa_aws_endpoint_dispose(&ep);
}

static int read_body(sa_aws_response *out, const char *service, const char *body, sa_error *err)
{
    sa_aws_http_response http = {0};
    int rc;
    http.status = 200;
    if (body != NULL) {
        http.body = (unsigned char *)strdup(body);
        http.body_len = strlen(body);
    }
    sa_aws_headers_add(&http.headers, "x-amz-request-id", "rid", err);
    rc = sa_aws_protocol_read_success(out, sa_aws_service_find(service), &http, "T", err);
    sa_aws_http_response_dispose(&http);
    return rc;
}

static void test_read_success(void **state)
{
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    assert_int_equal(read_body(&r, "kms", "{\"a\":1}", &err), SA_OK);
    assert_non_null(r.json);
    assert_string_equal(r.request_id, "rid");
    sa_aws_response_dispose(&r);
    assert_int_equal(read_body(&r, "kms", "", &err), SA_OK);
    assert_null(r.json);
    sa_aws_response_dispose(&r);
    assert_int_equal(read_body(&r, "kms", "not json", &err), SA_EIO);
    assert_non_null(strstr(err.message, "T: the response is not valid JSON"));
    assert_int_equal(read_body(&r, "lambda", "  [1]", &err), SA_OK);
    assert_true(cJSON_IsArray(r.json));
    sa_aws_response_dispose(&r);
    assert_int_equal(read_body(&r, "lambda", "{broken", &err), SA_EIO);
    assert_int_equal(read_body(&r, "iam", NULL, &err), SA_EIO);
    assert_int_equal(read_body(&r, "iam", "<a><b>", &err), SA_EIO);
    assert_int_equal(read_body(&r, "sts", "<A xmlns=\"urn:x\"><B><C>v</C></B><C>w</C></A>", &err),
                     SA_OK);
    assert_non_null(sa_aws_xml_find(&r, "B/C"));
    assert_non_null(sa_aws_xml_find(&r, "A/C"));
    assert_null(sa_aws_xml_find(&r, "B/D"));
    assert_null(sa_aws_xml_find(&r, "Z"));
    sa_aws_response_dispose(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_build),
        cmocka_unit_test(test_form_encode),
        cmocka_unit_test(test_build_errors_and_base_path),
        cmocka_unit_test(test_read_success),
    };
    int rc;
    xmlInitParser();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
