/*
 * SigV4 conformance and unit tests. Every header-mode case of the two official suites in
 * tests/data/sigv4 (v4/ from aws-c-auth, aws4_testsuite-2015/ from botocore) is one cmocka
 * test: the canonical request, string to sign, signature and Authorization header must match byte
 * for byte, and for v4/ the signed request's header set too. The query-mode (presign) files of v4/
 * are not used: the signer does not implement presigning. The vectors are found through
 * SECUREAPI_SIGV4_DIR or the path meson compiled in; if they are missing the test fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "aws/sigv4.h"
#include "base/platform.h"

extern const char sa_test_sigv4_dir[];

#define V4_CASES 38
#define SUITE2015_CASES 34
#define MAX_CASES 128

static const char *const access_key = "AKIDEXAMPLE";
static const char *const secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static const char *const short_token =
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
static const char *const sts_token =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
    "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7"
    "WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8"
    "FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

typedef enum suite { SUITE_V4, SUITE_2015 } suite;

typedef struct vector_case {
    suite suite;
    char dir[PATH_MAX + 1024];
    char name[128];
    char test_name[160];
} vector_case;

static vector_case cases[MAX_CASES];
static size_t case_count;
static size_t v4_count, s2015_count;
static char vectors_dir[PATH_MAX];

/* ---- helpers ----------------------------------------------------------------------------- */

static char *slurp(const char *dir, const char *file)
{
    char path[PATH_MAX + 256];
    FILE *f;
    char *data;
    long len;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)len + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
    data[len] = '\0';
    fclose(f);
    return data;
}

static char *slurp_required(const char *dir, const char *file)
{
    char *s = slurp(dir, file);
    if (s == NULL)
        fail_msg("missing vector file %s/%s", dir, file);
    return s;
}

/* Drops one trailing newline (some expected files end with one, some do not). */
static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* Parses an HTTP/1.1 request in the vector format: request line, headers (continuation lines
 * start with whitespace), blank line, body. The path may contain spaces. */
static void parse_request(sa_aws_http_request *req, const char *text)
{
    const char *line_end = strchr(text, '\n');
    const char *sp = strchr(text, ' ');
    const char *proto;
    const char *target;
    const char *q;
    const char *p;
    sa_error err = {0};
    size_t line_len;

    memset(req, 0, sizeof(*req));
    assert_non_null(sp);
    line_len = line_end ? (size_t)(line_end - text) : strlen(text);
    req->method = strndup(text, (size_t)(sp - text));
    target = sp + 1;
    proto = NULL;
    for (const char *s = text + line_len; s > target; s--) {
        if (*s == ' ') {
            proto = s;
            break;
        }
    }
    assert_non_null(proto);
    q = memchr(target, '?', (size_t)(proto - target));
    if (q != NULL) {
        req->path = strndup(target, (size_t)(q - target));
        req->query = strndup(q + 1, (size_t)(proto - q - 1));
    } else {
        req->path = strndup(target, (size_t)(proto - target));
    }
    req->origin = strdup("https://example.amazonaws.com");

    p = line_end ? line_end + 1 : text + line_len;
    while (*p && *p != '\n') {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if ((*p == ' ' || *p == '\t') && req->headers.count > 0) {
            sa_aws_header *last = &req->headers.items[req->headers.count - 1];
            size_t old = strlen(last->value);
            char *v = realloc(last->value, old + 1 + len + 1);
            assert_non_null(v);
            v[old] = '\n';
            memcpy(v + old + 1, p, len);
            v[old + 1 + len] = '\0';
            last->value = v;
        } else {
            const char *colon = memchr(p, ':', len);
            assert_non_null(colon);
            assert_int_equal(sa_aws_headers_addn(&req->headers, p, (size_t)(colon - p), colon + 1,
                                                 len - (size_t)(colon - p) - 1, &err),
                             SA_OK);
        }
        p = end ? end + 1 : p + len;
    }
    if (*p == '\n') {
        p++;
        req->body_len = strlen(p);
        if (req->body_len > 0) {
            req->body = (unsigned char *)strdup(p);
            assert_non_null(req->body);
        }
    }
}

static time_t vector_time(void)
{
    struct tm tm = {0};
    tm.tm_year = 2015 - 1900;
    tm.tm_mon = 7;
    tm.tm_mday = 30;
    tm.tm_hour = 12;
    tm.tm_min = 36;
    return sa_timegm(&tm);
}

static void assert_text_equal(const char *what, const char *name, const char *expected,
                              const char *got)
{
    if (strcmp(expected, got) != 0)
        fail_msg("%s: %s differs\n--- expected ---\n%s\n--- got ---\n%s\n", name, what, expected,
                 got);
}

static int header_cmp(const void *a, const void *b)
{
    const sa_aws_header *x = a;
    const sa_aws_header *y = b;
    int c = strcasecmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->value, y->value);
}

/* The signed request must carry exactly the expected headers (order aside). */
static void assert_same_headers(const char *name, const sa_aws_headers *expected,
                                const sa_aws_headers *got)
{
    sa_aws_header *e = calloc(expected->count + 1, sizeof(*e));
    sa_aws_header *g = calloc(got->count + 1, sizeof(*g));

    assert_non_null(e);
    assert_non_null(g);
    memcpy(e, expected->items, expected->count * sizeof(*e));
    memcpy(g, got->items, got->count * sizeof(*g));
    qsort(e, expected->count, sizeof(*e), header_cmp);
    qsort(g, got->count, sizeof(*g), header_cmp);
    if (expected->count != got->count)
        fail_msg("%s: signed request has %zu headers, expected %zu", name, got->count,
                 expected->count);
    for (size_t i = 0; i < got->count; i++) {
        if (header_cmp(&e[i], &g[i]) != 0)
            fail_msg("%s: signed header differs: expected '%s:%s', got '%s:%s'", name, e[i].name,
                     e[i].value, g[i].name, g[i].value);
    }
    free(e);
    free(g);
}

/* ---- the two suites ---------------------------------------------------------------------- */

static void run_v4_case(void **state)
{
    const vector_case *vc = *state;
    char *context_text = slurp_required(vc->dir, "context.json");
    char *request_text = slurp_required(vc->dir, "request.txt");
    char *exp_creq = slurp_required(vc->dir, "header-canonical-request.txt");
    char *exp_sts = slurp_required(vc->dir, "header-string-to-sign.txt");
    char *exp_sig = slurp_required(vc->dir, "header-signature.txt");
    char *exp_signed = slurp_required(vc->dir, "header-signed-request.txt");
    cJSON *ctx = cJSON_Parse(context_text);
    cJSON *creds;
    const cJSON *token;
    const cJSON *omit;
    sa_aws_http_request req;
    sa_aws_http_request expected_req;
    sa_aws_sigv4_trace trace = {0};
    sa_aws_sigv4_params params = {0};
    sa_error err = {0};
    char expected_auth[1024];

    assert_non_null(ctx);
    creds = cJSON_GetObjectItemCaseSensitive(ctx, "credentials");
    assert_non_null(creds);
    token = cJSON_GetObjectItemCaseSensitive(creds, "token");
    omit = cJSON_GetObjectItemCaseSensitive(ctx, "omit_session_token");
    params.access_key_id = cJSON_GetObjectItemCaseSensitive(creds, "access_key_id")->valuestring;
    params.secret_access_key =
        cJSON_GetObjectItemCaseSensitive(creds, "secret_access_key")->valuestring;
    params.session_token = cJSON_IsString(token) ? token->valuestring : NULL;
    params.region = cJSON_GetObjectItemCaseSensitive(ctx, "region")->valuestring;
    params.service = cJSON_GetObjectItemCaseSensitive(ctx, "service")->valuestring;
    params.when = vector_time();
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ctx, "timestamp")->valuestring,
                        "2015-08-30T12:36:00Z");
    params.normalize_path = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctx, "normalize"));
    params.sign_body = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ctx, "sign_body"));
    params.omit_session_token = cJSON_IsTrue(omit);

    parse_request(&req, request_text);
    parse_request(&expected_req, exp_signed);
    if (sa_aws_sigv4_sign(&req, &trace, &params, &err) != SA_OK)
        fail_msg("%s: sign failed: %s", vc->name, err.message);

    chomp(exp_creq);
    chomp(exp_sts);
    chomp(exp_sig);
    assert_text_equal("canonical request", vc->name, exp_creq, trace.canonical_request);
    assert_text_equal("string to sign", vc->name, exp_sts, trace.string_to_sign);
    assert_text_equal("signature", vc->name, exp_sig, trace.signature);
    snprintf(expected_auth, sizeof(expected_auth), "%s",
             sa_aws_headers_get(&expected_req.headers, "Authorization"));
    assert_text_equal("Authorization", vc->name, expected_auth,
                      sa_aws_headers_get(&req.headers, "Authorization"));
    assert_same_headers(vc->name, &expected_req.headers, &req.headers);
    if (expected_req.body_len > 0 || req.body_len > 0) {
        assert_int_equal(expected_req.body_len, req.body_len);
        assert_memory_equal(expected_req.body, req.body, req.body_len);
    }

    sa_aws_sigv4_trace_dispose(&trace);
    sa_aws_http_request_dispose(&req);
    sa_aws_http_request_dispose(&expected_req);
    cJSON_Delete(ctx);
    free(context_text);
    free(request_text);
    free(exp_creq);
    free(exp_sts);
    free(exp_sig);
    free(exp_signed);
}

static char *slurp_ext(const vector_case *vc, const char *ext)
{
    char file[256];
    snprintf(file, sizeof(file), "%s.%s", vc->name, ext);
    return slurp_required(vc->dir, file);
}

static void run_2015_case(void **state)
{
    const vector_case *vc = *state;
    char *request_text = slurp_ext(vc, "req");
    char *exp_creq = slurp_ext(vc, "creq");
    char *exp_sts = slurp_ext(vc, "sts");
    char *exp_authz = slurp_ext(vc, "authz");
    sa_aws_http_request req;
    sa_aws_sigv4_trace trace = {0};
    sa_aws_sigv4_params params = {0};
    sa_error err = {0};

    params.access_key_id = access_key;
    params.secret_access_key = secret_key;
    params.region = "us-east-1";
    params.service = "service";
    params.when = vector_time();
    params.normalize_path = true;
    /* The suite's README (post-sts-token/readme.txt and the shared README): the session-token
     * case gets its token added and signed; "after" adds it once signed; "before" already has it
     * in the request. */
    if (strcmp(vc->name, "get-vanilla-with-session-token") == 0) {
        params.session_token = short_token;
    } else if (strcmp(vc->name, "post-sts-header-after") == 0) {
        params.session_token = sts_token;
        params.omit_session_token = true;
    } else if (strcmp(vc->name, "post-sts-header-before") == 0) {
        params.session_token = sts_token;
    }

    parse_request(&req, request_text);
    if (sa_aws_sigv4_sign(&req, &trace, &params, &err) != SA_OK)
        fail_msg("%s: sign failed: %s", vc->name, err.message);
    chomp(exp_creq);
    chomp(exp_sts);
    chomp(exp_authz);
    assert_text_equal("canonical request", vc->name, exp_creq, trace.canonical_request);
    assert_text_equal("string to sign", vc->name, exp_sts, trace.string_to_sign);
    assert_text_equal("Authorization", vc->name, exp_authz,
                      sa_aws_headers_get(&req.headers, "Authorization"));
    if (params.session_token != NULL)
        assert_string_equal(sa_aws_headers_get(&req.headers, "X-Amz-Security-Token"),
                            params.session_token);

    sa_aws_sigv4_trace_dispose(&trace);
    sa_aws_http_request_dispose(&req);
    free(request_text);
    free(exp_creq);
    free(exp_sts);
    free(exp_authz);
}

static void test_vectors_present(void **state)
{
    (void)state;
    if (v4_count != V4_CASES || s2015_count != SUITE2015_CASES)
        fail_msg("SigV4 vectors missing or incomplete under %s: found %zu v4 cases (want %d) and "
                 "%zu aws4_testsuite-2015 cases (want %d); set SECUREAPI_SIGV4_DIR",
                 vectors_dir, v4_count, V4_CASES, s2015_count, SUITE2015_CASES);
}

/* ---- plain unit tests -------------------------------------------------------------------- */

static void check_path(const char *in, bool normalize, const char *want)
{
    sa_aws_buf b;
    sa_error err = {0};
    sa_aws_buf_init(&b, 1 << 20);
    assert_int_equal(sa_aws_sigv4_canonical_path(&b, in, normalize, &err), SA_OK);
    assert_string_equal(b.data, want);
    sa_aws_buf_dispose(&b);
}

static void test_canonical_path(void **state)
{
    (void)state;
    check_path("", true, "/");
    check_path("/", true, "/");
    check_path("/a/b/../c/./d/", true, "/a/c/d/");
    check_path("/../..", true, "/");
    check_path("/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f", true,
               "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af");
    /* an already-escaped wire path is encoded again (non-S3 rule) */
    check_path("/a%20b", true, "/a%2520b");
    check_path("//x//", false, "//x//");
}

static void check_query(const char *in, const char *want)
{
    sa_aws_buf b;
    sa_error err = {0};
    sa_aws_buf_init(&b, 1 << 20);
    assert_int_equal(sa_aws_sigv4_canonical_query(&b, in, &err), SA_OK);
    assert_string_equal(b.data ? b.data : "", want);
    sa_aws_buf_dispose(&b);
}

static void test_canonical_query(void **state)
{
    (void)state;
    check_query("", "");
    check_query("b=2&a=1", "a=1&b=2");
    check_query("a", "a=");
    check_query("a=1&&b", "a=1&b=");
    check_query("x=a%20b&x=a+b", "x=a%20b&x=a%2Bb");
    check_query("k=%7e%2f", "k=~%2F");
}

static void test_header_value(void **state)
{
    sa_aws_buf b;
    sa_error err = {0};
    (void)state;
    sa_aws_buf_init(&b, 1024);
    assert_int_equal(sa_aws_sigv4_canonical_header_value(&b, "  a \t b\r\n  c  ", &err), SA_OK);
    assert_string_equal(b.data, "a b c");
    sa_aws_buf_dispose(&b);
}

static void test_signing_key(void **state)
{
    /* The documented example: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215,
     * us-east-1, iam. */
    unsigned char key[32];
    char hex[65];
    static const char digits[] = "0123456789abcdef";
    (void)state;
    sa_aws_sigv4_signing_key(key, secret_key, "20120215", "us-east-1", "iam");
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[key[i] >> 4];
        hex[2 * i + 1] = digits[key[i] & 15];
    }
    hex[64] = '\0';
    assert_string_equal(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

static void test_sha256_empty(void **state)
{
    char hex[65];
    (void)state;
    sa_aws_sha256_hex(hex, NULL, 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_rejects_bad_params(void **state)
{
    sa_aws_http_request req = {0};
    sa_aws_sigv4_params p = {.access_key_id = access_key,
                             .secret_access_key = secret_key,
                             .region = "us-east-1/x",
                             .service = "kms",
                             .when = 1440938160};
    sa_error err = {0};
    (void)state;
    req.method = strdup("GET");
    req.origin = strdup("https://kms.us-east-1.amazonaws.com");
    req.path = strdup("/");
    assert_int_equal(sa_aws_sigv4_sign(&req, NULL, &p, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "region"));
    p.region = "us-east-1";
    p.secret_access_key = "";
    assert_int_equal(sa_aws_sigv4_sign(&req, NULL, &p, &err), SA_EINVAL);
    /* the message never carries key material */
    assert_null(strstr(err.message, access_key));
    sa_aws_http_request_dispose(&req);
}

static void test_real_request_shape(void **state)
{
    /* What the client sends: Host from the origin, x-amz-content-sha256 signed, the token
     * signed, User-Agent present but not signed. */
    sa_aws_http_request req = {0};
    sa_aws_sigv4_params p = {.access_key_id = "AKIAEXAMPLE",
                             .secret_access_key = "secret",
                             .session_token = "tok",
                             .region = "ap-southeast-1",
                             .service = "lambda",
                             .when = 1440938160,
                             .normalize_path = true,
                             .sign_body = true};
    sa_aws_sigv4_trace trace = {0};
    sa_error err = {0};
    const char *auth;
    (void)state;
    req.method = strdup("GET");
    req.origin = strdup("http://127.0.0.1:5000");
    req.path = strdup("/2015-03-31/functions/");
    assert_int_equal(sa_aws_headers_add(&req.headers, "User-Agent", "x/1", &err), SA_OK);
    assert_int_equal(sa_aws_sigv4_sign(&req, &trace, &p, &err), SA_OK);
    assert_string_equal(sa_aws_headers_get(&req.headers, "Host"), "127.0.0.1:5000");
    auth = sa_aws_headers_get(&req.headers, "Authorization");
    assert_non_null(strstr(auth, "SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                                 "x-amz-security-token, "));
    assert_non_null(strstr(auth, "/20150830/ap-southeast-1/lambda/aws4_request"));
    assert_string_equal(sa_aws_headers_get(&req.headers, "x-amz-content-sha256"),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* signing twice (a retry) replaces, never duplicates */
    sa_aws_sigv4_trace_dispose(&trace);
    p.when += 5;
    assert_int_equal(sa_aws_sigv4_sign(&req, NULL, &p, &err), SA_OK);
    {
        size_t n_auth = 0, n_date = 0, n_tok = 0;
        for (size_t i = 0; i < req.headers.count; i++) {
            n_auth += strcasecmp(req.headers.items[i].name, "authorization") == 0;
            n_date += strcasecmp(req.headers.items[i].name, "x-amz-date") == 0;
            n_tok += strcasecmp(req.headers.items[i].name, "x-amz-security-token") == 0;
        }
        assert_int_equal(n_auth, 1);
        assert_int_equal(n_date, 1);
        assert_int_equal(n_tok, 1);
    }
    assert_string_equal(sa_aws_headers_get(&req.headers, "X-Amz-Date"), "20150830T123605Z");
    sa_aws_http_request_dispose(&req);
}

/* ---- discovery --------------------------------------------------------------------------- */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool file_exists(const char *dir, const char *name)
{
    char path[PATH_MAX + 1024];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_case(suite s, const char *dir, const char *name)
{
    vector_case *vc;
    if (case_count >= MAX_CASES)
        return;
    vc = &cases[case_count++];
    vc->suite = s;
    snprintf(vc->dir, sizeof(vc->dir), "%s", dir);
    snprintf(vc->name, sizeof(vc->name), "%s", name);
    snprintf(vc->test_name, sizeof(vc->test_name), "%s/%s", s == SUITE_V4 ? "v4" : "2015", name);
    if (s == SUITE_V4)
        v4_count++;
    else
        s2015_count++;
}

/* Walks dir; a folder holding request.txt (v4) or <name>.req (2015) is a case. */
static void discover(suite s, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char *names[256];
    size_t n = 0;

    if (d == NULL || depth > 3) {
        if (d)
            closedir(d);
        return;
    }
    while ((e = readdir(d)) != NULL && n < 256) {
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_cmp);
    for (size_t i = 0; i < n; i++) {
        char sub[PATH_MAX + 512];
        char req_name[300];
        snprintf(sub, sizeof(sub), "%s/%s", dir, names[i]);
        snprintf(req_name, sizeof(req_name), "%s.req", names[i]);
        if (is_dir(sub)) {
            if (s == SUITE_V4 && file_exists(sub, "request.txt"))
                add_case(s, sub, names[i]);
            else if (s == SUITE_2015 && file_exists(sub, req_name))
                add_case(s, sub, names[i]);
            else
                discover(s, sub, depth + 1);
        }
        free(names[i]);
    }
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_vectors_present),    cmocka_unit_test(test_canonical_path),
        cmocka_unit_test(test_canonical_query),    cmocka_unit_test(test_header_value),
        cmocka_unit_test(test_signing_key),        cmocka_unit_test(test_sha256_empty),
        cmocka_unit_test(test_rejects_bad_params), cmocka_unit_test(test_real_request_shape),
    };
    struct CMUnitTest tests[MAX_CASES + sizeof(fixed) / sizeof(fixed[0])];
    size_t n = 0;
    const char *env_dir = getenv("SECUREAPI_SIGV4_DIR");
    char sub[PATH_MAX + 32];

    snprintf(vectors_dir, sizeof(vectors_dir), "%s",
             env_dir && env_dir[0] ? env_dir : sa_test_sigv4_dir);
    snprintf(sub, sizeof(sub), "%s/v4", vectors_dir);
    discover(SUITE_V4, sub, 0);
    snprintf(sub, sizeof(sub), "%s/aws4_testsuite-2015", vectors_dir);
    discover(SUITE_2015, sub, 0);

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < case_count; i++) {
        struct CMUnitTest t = {
            .name = cases[i].test_name,
            .test_func = cases[i].suite == SUITE_V4 ? run_v4_case : run_2015_case,
            .setup_func = NULL,
            .teardown_func = NULL,
            .initial_state = &cases[i],
        };
        tests[n++] = t;
    }
    return _cmocka_run_group_tests("sigv4", tests, n, NULL, NULL);
}
