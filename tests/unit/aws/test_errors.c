/*
 * Table tests of AWS error response parsing: every shape we meet (JSON with __type/code/message in
 * their spellings, x-amzn-ErrorType, XML ErrorResponse/Error and Response/Errors/Error, HTML pages,
 * plain text, empty bodies) must yield the code, message, HTTP status and request id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <string.h>

#include "aws/errors.h"

typedef struct error_case {
    const char *name;
    long status;
    const char *headers; /* "Name: value\n..." */
    const char *body;
    const char *code;
    const char *message;
    const char *request_id;
    bool html;
} error_case;

static const error_case cases[] = {
    {"kms json", 400, "x-amzn-RequestId: r1",
     "{\"__type\":\"NotFoundException\",\"message\":\"Key 'x' does not exist\"}",
     "NotFoundException", "Key 'x' does not exist", "r1", false},
    {"prefixed __type", 400, NULL,
     "{\"__type\":\"com.amazonaws.logs#ResourceNotFoundException\",\"message\":\"gone\"}",
     "ResourceNotFoundException", "gone", "", false},
    {"__type with suffix", 400, NULL,
     "{\"__type\":\"ValidationException:http://internal.amazon.com/coral/\",\"Message\":\"M\"}",
     "ValidationException", "M", "", false},
    {"code and Message", 404, "x-amz-request-id: r2",
     "{\"code\":\"NotFoundException\",\"Message\":\"Invalid API identifier specified\"}",
     "NotFoundException", "Invalid API identifier specified", "r2", false},
    {"Code key", 409, NULL, "{\"Code\":\"ConflictException\",\"message\":\"busy\"}",
     "ConflictException", "busy", "", false},
    {"lambda header type", 404,
     "X-Amzn-ErrorType: ResourceNotFoundException:http://x\n"
     "x-amzn-RequestId: r3",
     "{\"Message\":\"Function not found: arn:aws:lambda:f\",\"Type\":\"User\"}",
     "ResourceNotFoundException", "Function not found: arn:aws:lambda:f", "r3", false},
    {"json without code", 400, NULL, "{\"message\":\"Too Many Requests\"}", "400",
     "Too Many Requests", "", false},
    {"iam xml", 404, NULL,
     "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender"
     "</Type><Code>NoSuchEntity</Code><Message>The role with name r cannot be found.</Message>"
     "</Error><RequestId>r4</RequestId></ErrorResponse>",
     "NoSuchEntity", "The role with name r cannot be found.", "r4", false},
    {"auth xml from a json service", 403, NULL,
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Errors><Error><Code>"
     "SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match"
     "</Message></Error></Errors><RequestId>r5</RequestId></ErrorResponse>",
     "SignatureDoesNotMatch", "The request signature we calculated does not match", "r5", false},
    {"ec2 style", 400, NULL,
     "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
     "exceeded.</Message></Error></Errors><RequestID>r6</RequestID></Response>",
     "RequestLimitExceeded", "Request limit exceeded.", "r6", false},
    {"header id wins over body id", 403, "x-amzn-RequestId: hdr",
     "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error>"
     "<RequestId>body</RequestId></ErrorResponse>",
     "AccessDenied", "no", "hdr", false},
    {"html page", 500, "Content-Type: text/html",
     "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal "
     "Server Error</h1>\n<p>The server encountered an internal error.</p>\n",
     "500",
     "HTML error page: 500 Internal Server Error - The server encountered an internal "
     "error.",
     "", true},
    {"html from a proxy", 502, NULL,
     "<html><head><title>502 Bad Gateway</title></head><body>bad</body></html>", "502",
     "HTML error page: 502 Bad Gateway", "", true},
    {"empty", 503, NULL, "", "503", "HTTP 503 with an empty body", "", false},
    {"whitespace only", 500, "x-amzn-ErrorType: InternalFailure", "  \n", "InternalFailure",
     "HTTP 500 with an empty body", "", false},
    {"plain text", 400, NULL, "Bad\nRequest\x01!", "400", "Bad Request !", "", false},
    {"broken json", 400, NULL, "{\"__type\":", "400", "{\"__type\":", "", false},
    {"broken xml", 400, NULL, "<ErrorResponse><Error>", "400", "<ErrorResponse><Error>", "", false},
    {"json array is shown as text", 400, NULL, "[1,2]", "400", "[1,2]", "", false},
};

static void parse_headers(sa_aws_headers *h, const char *text)
{
    const char *p = text;
    sa_error err = {0};
    while (p != NULL && *p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        assert_int_equal(
            sa_aws_headers_addn(h, p, (size_t)(colon - p), v, len - (size_t)(v - p), &err), SA_OK);
        p = end ? end + 1 : NULL;
    }
}

static void test_error_shapes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const error_case *c = &cases[i];
        sa_aws_headers h = {0};
        sa_aws_error e;
        parse_headers(&h, c->headers);
        sa_aws_error_parse(&e, c->status, &h, (const unsigned char *)c->body, strlen(c->body));
        if (strcmp(e.code, c->code) != 0 || strcmp(e.message, c->message) != 0 ||
            strcmp(e.request_id, c->request_id) != 0 || e.html != c->html ||
            e.http_status != c->status)
            fail_msg("%s: got code '%s' message '%s' id '%s' html %d", c->name, e.code, e.message,
                     e.request_id, e.html);
        sa_aws_headers_dispose(&h);
    }
}

static void test_long_message_truncated_to_one_line(void **state)
{
    char body[4096];
    sa_aws_error e;
    (void)state;
    memset(body, 0, sizeof(body));
    strcpy(body, "{\"__type\":\"X\",\"message\":\"");
    for (size_t i = strlen(body); i < 3000; i++)
        body[i] = (i % 50 == 0) ? '\n' : 'a';
    strcat(body, "\"}");
    sa_aws_error_parse(&e, 400, NULL, (const unsigned char *)body, strlen(body));
    assert_true(strlen(e.message) < SA_AWS_ERROR_MESSAGE_MAX);
    assert_true(strlen(e.message) > 500);
    assert_null(strchr(e.message, '\n'));
}

static void test_no_body_pointer(void **state)
{
    sa_aws_error e;
    (void)state;
    sa_aws_error_parse(&e, 404, NULL, NULL, 0);
    assert_string_equal(e.code, "404");
    assert_false(sa_aws_error_is(&e, "NotFound"));
    assert_false(sa_aws_error_is(NULL, "404"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_shapes),
        cmocka_unit_test(test_long_message_truncated_to_one_line),
        cmocka_unit_test(test_no_body_pointer),
    };
    int rc;
    xmlInitParser();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
