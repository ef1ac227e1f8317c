/*
 * Tests of the IAM Identity Center (SSO) source through the credential chain, on a faked
 * environment (in-memory config and token cache files) and a fake transport standing in for the
 * SSO portal: the token cache file name (SHA-1 hex of the sso-session name, or of the start URL
 * for a legacy profile, as botocore's SSOTokenLoader), the GetRoleCredentials request (GET
 * /federation/credentials?role_name=&account_id=, the bearer token header, no SigV4), the
 * sso-session and legacy forms, missing settings, conflicts between profile and session, missing,
 * unreadable and expired tokens (no request sent), the portal's error answers, the expiration
 * converted from epoch milliseconds, the endpoint settings, and that no message carries the token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "base/platform.h"
#include "fakes.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define TOKEN "sso-access-token-never-in-messages"
#define ROLE_SECRET "role-secret-never-in-messages"

/* sha1("my-sso") and sha1("https://d-abc123.awsapps.com/start") (botocore's own test vector) */
#define SESSION_CACHE "/h/.aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json"
#define LEGACY_CACHE "/h/.aws/sso/cache/40a89917e3175433e361b710a9d43528d7f1890a.json"

#define CACHE_JSON(expires)                                                                        \
    "{\"startUrl\": \"https://d-abc123.awsapps.com/start\", \"region\": \"eu-west-1\", "           \
    "\"accessToken\": \"" TOKEN "\", \"expiresAt\": \"" expires "\", "                             \
    "\"clientId\": \"cid\", \"clientSecret\": \"csecret\", \"refreshToken\": \"rtoken\"}"
#define FRESH_CACHE CACHE_JSON("2026-01-01T08:00:00Z")

#define SESSION_CONFIG                                                                             \
    "[profile dev]\n"                                                                              \
    "sso_session = my-sso\n"                                                                       \
    "sso_account_id = 111122223333\n"                                                              \
    "sso_role_name = Admin Role\n"                                                                 \
    "region = us-west-2\n"                                                                         \
    "[sso-session my-sso]\n"                                                                       \
    "sso_start_url = https://d-abc123.awsapps.com/start\n"                                         \
    "sso_region = eu-west-1\n"                                                                     \
    "sso_registration_scopes = sso:account:access\n"

#define LEGACY_CONFIG                                                                              \
    "[profile dev]\n"                                                                              \
    "sso_start_url = https://d-abc123.awsapps.com/start\n"                                         \
    "sso_region = eu-west-1\n"                                                                     \
    "sso_account_id = 111122223333\n"                                                              \
    "sso_role_name = Admin Role\n"

/* expiration 1767229200123 ms = 2026-01-01T01:00:00.123Z */
static const char role_answer[] =
    "{\"roleCredentials\": {\"accessKeyId\": \"ASIA_SSO\", \"secretAccessKey\": \"" ROLE_SECRET
    "\", \"sessionToken\": \"role-session-token\", \"expiration\": 1767229200123}}";

static const fake_reply ok_reply = {SA_OK, 200, "Content-Type: application/json\n", role_answer};

typedef struct run_result {
    int rc;
    sa_error err;
    sa_aws_credentials creds;
} run_result;

/* Resolves the chain with AWS_PROFILE=dev, HOME=/h, the given config and files; extra env vars. */
static void run(run_result *r, fake_transport *t, const char *config, const char *cache_path,
                const char *cache_text, const fake_var *extra)
{
    fake_var vars[12] = {
        {"HOME", "/h"}, {"AWS_PROFILE", "dev"}, {"AWS_EC2_METADATA_DISABLED", "true"}};
    fake_file files[4] = {{"/h/.aws/config", config}};
    size_t nv = 3, nf = 1;
    fake_env env;
    sa_aws_shared_config shared = {0};
    sa_aws_credentials_ctx ctx = {0};
    sa_error lerr = {0};

    for (; extra != NULL && extra->name != NULL; extra++)
        vars[nv++] = *extra;
    if (cache_path != NULL)
        files[nf++] = (fake_file){cache_path, cache_text};
    fake_env_init(&env, vars, files);
    memset(r, 0, sizeof(*r));
    assert_int_equal(sa_aws_shared_config_load(&shared, NULL, NULL, NULL, &env.env, &lerr), SA_OK);
    ctx.env = &env.env;
    ctx.shared = &shared;
    ctx.transport = &t->seam;
    ctx.now = NOW;
    r->rc = sa_aws_credentials_resolve(&r->creds, NULL, &ctx, &r->err);
    sa_aws_shared_config_dispose(&shared);
}

static void no_secret_in(const char *s)
{
    if (strstr(s, TOKEN) != NULL || strstr(s, ROLE_SECRET) != NULL || strstr(s, "rtoken") != NULL)
        fail_msg("a secret leaked into '%s'", s);
}

/* ---- the cache file ------------------------------------------------------------------------ */

static void test_cache_file_name(void **state)
{
    fake_var vars[] = {{"HOME", "/h"}, {NULL, NULL}};
    fake_var none[] = {{NULL, NULL}};
    fake_env env;
    char *path = NULL;
    sa_error err = {0};

    (void)state;
    fake_env_init(&env, vars, NULL);
    assert_int_equal(sa_aws_sso_cache_file(&path, &env.env, "my-sso", &err), SA_OK);
    assert_string_equal(path, SESSION_CACHE);
    free(path);
    assert_int_equal(
        sa_aws_sso_cache_file(&path, &env.env, "https://d-abc123.awsapps.com/start", &err), SA_OK);
    assert_string_equal(path, LEGACY_CACHE);
    free(path);
    fake_env_init(&env, none, NULL);
    assert_int_equal(sa_aws_sso_cache_file(&path, &env.env, "my-sso", &err), SA_EINVAL);
    assert_null(path);
    assert_non_null(strstr(err.message, "neither HOME nor USERPROFILE is set"));
}

/* Windows: without HOME the cache is under USERPROFILE, as the SDKs find it; HOME wins when both
 * are set, and an empty HOME counts as unset. */
static void test_cache_file_under_userprofile(void **state)
{
    fake_var windows[] = {{"USERPROFILE", "C:\\Users\\me"}, {NULL, NULL}};
    fake_var both[] = {{"HOME", "/h"}, {"USERPROFILE", "C:\\Users\\me"}, {NULL, NULL}};
    fake_var empty_home[] = {{"HOME", ""}, {"USERPROFILE", "C:\\Users\\me"}, {NULL, NULL}};
    const char *want = "C:\\Users\\me/.aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json";
    fake_env env;
    char *path = NULL;
    sa_error err = {0};

    (void)state;
    fake_env_init(&env, windows, NULL);
    assert_int_equal(sa_aws_sso_cache_file(&path, &env.env, "my-sso", &err), SA_OK);
    assert_string_equal(path, want);
    free(path);
    fake_env_init(&env, empty_home, NULL);
    assert_int_equal(sa_aws_sso_cache_file(&path, &env.env, "my-sso", &err), SA_OK);
    assert_string_equal(path, want);
    free(path);
    fake_env_init(&env, both, NULL); /* the platform's own variable wins (platform.h) */
    assert_int_equal(sa_aws_sso_cache_file(&path, &env.env, "my-sso", &err), SA_OK);
    assert_string_equal(path,
                        strcmp(sa_platform_home_variable(0), "HOME") == 0 ? SESSION_CACHE : want);
    free(path);
}

/* ---- the exchange -------------------------------------------------------------------------- */

static void check_request(const fake_transport *t, const char *want_url)
{
    const fake_request *q = &t->requests[0];

    assert_int_equal(t->request_count, 1);
    assert_string_equal(q->method, "GET");
    assert_string_equal(q->url, want_url);
    assert_string_equal(sa_aws_headers_get(&q->headers, "x-amz-sso_bearer_token"), TOKEN);
    /* not signed */
    assert_null(sa_aws_headers_get(&q->headers, "Authorization"));
    assert_null(sa_aws_headers_get(&q->headers, "X-Amz-Date"));
    assert_null(sa_aws_headers_get(&q->headers, "x-amz-content-sha256"));
    assert_true(q->body == NULL || q->body[0] == '\0');
}

static void test_sso_session_profile(void **state)
{
    fake_transport t;
    run_result r;

    (void)state;
    fake_transport_init(&t, &ok_reply, 1);
    run(&r, &t, SESSION_CONFIG, SESSION_CACHE, FRESH_CACHE, NULL);
    if (r.rc != SA_OK)
        fail_msg("rc %d: %s", r.rc, r.err.message);
    check_request(&t, "https://portal.sso.eu-west-1.amazonaws.com/federation/credentials"
                      "?role_name=Admin%20Role&account_id=111122223333");
    assert_string_equal(r.creds.access_key_id, "ASIA_SSO");
    assert_string_equal(r.creds.secret_access_key, ROLE_SECRET);
    assert_string_equal(r.creds.session_token, "role-session-token");
    /* epoch milliseconds to seconds */
    assert_int_equal((long long)r.creds.expiration, 1767229200LL);
    assert_string_equal(r.creds.source, "profile 'dev' (sso)");
    sa_aws_credentials_dispose(&r.creds);
    fake_transport_dispose(&t);
}

static void test_legacy_profile(void **state)
{
    fake_transport t;
    run_result r;

    (void)state;
    fake_transport_init(&t, &ok_reply, 1);
    /* the legacy token lives under the start URL's hash; a session-named file is not looked at */
    run(&r, &t, LEGACY_CONFIG, LEGACY_CACHE, FRESH_CACHE, NULL);
    if (r.rc != SA_OK)
        fail_msg("rc %d: %s", r.rc, r.err.message);
    check_request(&t, "https://portal.sso.eu-west-1.amazonaws.com/federation/credentials"
                      "?role_name=Admin%20Role&account_id=111122223333");
    assert_string_equal(r.creds.access_key_id, "ASIA_SSO");
    sa_aws_credentials_dispose(&r.creds);
    fake_transport_dispose(&t);

    /* the session form does not read the legacy file */
    fake_transport_init(&t, &ok_reply, 1);
    run(&r, &t, SESSION_CONFIG, LEGACY_CACHE, FRESH_CACHE, NULL);
    assert_int_equal(r.rc, SA_EINVAL);
    assert_int_equal(t.request_count, 0);
    fake_transport_dispose(&t);
}

static void test_endpoint_settings(void **state)
{
    const fake_var per_service[] = {{"AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:4001/portal"},
                                    {"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"},
                                    {NULL, NULL}};
    const fake_var global[] = {{"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}, {NULL, NULL}};
    const fake_var bad[] = {{"AWS_ENDPOINT_URL_SSO", "ftp://x"}, {NULL, NULL}};
    const char *china = "[profile dev]\n"
                        "sso_start_url = https://d-abc123.awsapps.com/start\n"
                        "sso_region = cn-north-1\nsso_account_id = 1\nsso_role_name = r\n";
    fake_transport t;
    run_result r;

    (void)state;
    fake_transport_init(&t, &ok_reply, 1);
    run(&r, &t, SESSION_CONFIG, SESSION_CACHE, FRESH_CACHE, per_service);
    assert_int_equal(r.rc, SA_OK);
    assert_string_equal(t.requests[0].url, "http://127.0.0.1:4001/portal/federation/credentials"
                                           "?role_name=Admin%20Role&account_id=111122223333");
    sa_aws_credentials_dispose(&r.creds);
    fake_transport_dispose(&t);

    fake_transport_init(&t, &ok_reply, 1);
    run(&r, &t, SESSION_CONFIG, SESSION_CACHE, FRESH_CACHE, global);
    assert_int_equal(r.rc, SA_OK);
    assert_string_equal(t.requests[0].url, "http://127.0.0.1:5000/federation/credentials"
                                           "?role_name=Admin%20Role&account_id=111122223333");
    sa_aws_credentials_dispose(&r.creds);
    fake_transport_dispose(&t);

    fake_transport_init(&t, &ok_reply, 1);
    run(&r, &t, china, LEGACY_CACHE, FRESH_CACHE, NULL);
    assert_int_equal(r.rc, SA_OK);
    assert_string_equal(t.requests[0].url, "https://portal.sso.cn-north-1.amazonaws.com.cn"
                                           "/federation/credentials?role_name=r&account_id=1");
    sa_aws_credentials_dispose(&r.creds);
    fake_transport_dispose(&t);

    fake_transport_init(&t, &ok_reply, 1);
    run(&r, &t, SESSION_CONFIG, SESSION_CACHE, FRESH_CACHE, bad);
    assert_int_equal(r.rc, SA_EINVAL);
    assert_non_null(strstr(r.err.message, "AWS_ENDPOINT_URL_SSO"));
    assert_int_equal(t.request_count, 0);
    fake_transport_dispose(&t);
}

/* botocore's order inside a profile: SSO before static keys and credential_process */
static void test_sso_comes_before_keys_and_process(void **state)
{
    const char *config = "[profile dev]\n"
                         "credential_process = /nonexistent/never-run\n"
                         "aws_access_key_id = AKIA_STATIC\n"
                         "aws_secret_access_key = static-secret\n"
                         "sso_session = my-sso\nsso_account_id = 111122223333\n"
                         "sso_role_name = Admin Role\n"
                         "[sso-session my-sso]\n"
                         "sso_start_url = https://d-abc123.awsapps.com/start\n"
                         "sso_region = eu-west-1\n";
    fake_transport t;
    run_result r;

    (void)state;
    fake_transport_init(&t, &ok_reply, 1);
    run(&r, &t, config, SESSION_CACHE, FRESH_CACHE, NULL);
    if (r.rc != SA_OK)
        fail_msg("rc %d: %s", r.rc, r.err.message);
    assert_string_equal(r.creds.access_key_id, "ASIA_SSO");
    sa_aws_credentials_dispose(&r.creds);
    fake_transport_dispose(&t);
}

/* ---- failures before any request ----------------------------------------------------------- */

typedef struct fail_case {
    const char *name;
    const char *config;
    const char *cache_path;
    const char *cache_text;
    int want_rc;
    const char *want[3]; /* substrings of the message */
} fail_case;

#define LOGIN "run: aws sso login --profile dev"

static const fail_case fail_cases[] = {
    {"token file missing",
     SESSION_CONFIG,
     NULL,
     NULL,
     SA_EINVAL,
     {"profile 'dev': no SSO token for sso-session 'my-sso' (no cache file)", LOGIN}},
    {"legacy token file missing",
     LEGACY_CONFIG,
     NULL,
     NULL,
     SA_EINVAL,
     {"no SSO token for start URL 'https://d-abc123.awsapps.com/start'", LOGIN}},
    {"token expired",
     SESSION_CONFIG,
     SESSION_CACHE,
     CACHE_JSON("2025-12-31T23:59:59Z"),
     SA_EINVAL,
     {"profile 'dev': the SSO token expired at 2025-12-31T23:59:59Z", LOGIN}},
    {"token expires now",
     LEGACY_CONFIG,
     LEGACY_CACHE,
     CACHE_JSON("2026-01-01T00:00:00Z"),
     SA_EINVAL,
     {"the SSO token expired at 2026-01-01T00:00:00Z", LOGIN}},
    {"old CLI's UTC suffix, expired",
     SESSION_CONFIG,
     SESSION_CACHE,
     CACHE_JSON("2019-11-14T04:05:45UTC"),
     SA_EINVAL,
     {"the SSO token expired at 2019-11-14T04:05:45Z", LOGIN}},
    {"not JSON",
     SESSION_CONFIG,
     SESSION_CACHE,
     "{\"accessToken\": \"" TOKEN "\", ",
     SA_EINVAL,
     {"the SSO token cache file " SESSION_CACHE " is not readable", LOGIN}},
    {"no accessToken",
     SESSION_CONFIG,
     SESSION_CACHE,
     "{\"expiresAt\": \"2026-01-01T08:00:00Z\"}",
     SA_EINVAL,
     {"is not readable (JSON with accessToken and expiresAt)", LOGIN}},
    {"no expiresAt",
     SESSION_CONFIG,
     SESSION_CACHE,
     "{\"accessToken\": \"" TOKEN "\"}",
     SA_EINVAL,
     {"is not readable", LOGIN}},
    {"unreadable expiresAt",
     SESSION_CONFIG,
     SESSION_CACHE,
     CACHE_JSON("tomorrow"),
     SA_EINVAL,
     {"is not readable", LOGIN}},
    {"legacy profile missing sso_region and the role",
     "[profile dev]\nsso_start_url = https://x\nsso_account_id = 1\n",
     NULL,
     NULL,
     SA_EINVAL,
     {"profile 'dev' is configured to use SSO but is missing sso_region, sso_role_name"}},
    {"session profile missing its account",
     "[profile dev]\nsso_session = s\nsso_role_name = r\n"
     "[sso-session s]\nsso_start_url = https://x\nsso_region = eu-west-1\n",
     NULL,
     NULL,
     SA_EINVAL,
     {"profile 'dev' is configured to use SSO but is missing sso_account_id"}},
    {"session without its region",
     "[profile dev]\nsso_session = s\nsso_role_name = r\nsso_account_id = 1\n"
     "[sso-session s]\nsso_start_url = https://x\n",
     NULL,
     NULL,
     SA_EINVAL,
     {"is missing sso_region (in the profile or its [sso-session s])"}},
    {"session section missing",
     "[profile dev]\nsso_session = nope\nsso_role_name = r\nsso_account_id = 1\n"
     "[profile nope]\nsso_region = eu-west-1\n",
     NULL,
     NULL,
     SA_EINVAL,
     {"profile 'dev' names sso_session 'nope', but /h/.aws/config has no [sso-session nope] "
      "section"}},
    {"profile and session disagree",
     "[profile dev]\nsso_session = s\nsso_role_name = r\nsso_account_id = 1\n"
     "sso_region = us-east-1\n"
     "[sso-session s]\nsso_start_url = https://x\nsso_region = eu-west-1\n",
     NULL,
     NULL,
     SA_EINVAL,
     {"profile 'dev': the value for sso_region is inconsistent between the profile (us-east-1) "
      "and sso-session 's' (eu-west-1)"}},
    {"any key the session sets must match the profile's",
     "[profile dev]\nsso_session = s\nsso_role_name = r\nsso_account_id = 1\n"
     "sso_registration_scopes = a\n"
     "[sso-session s]\nsso_start_url = https://x\nsso_region = eu-west-1\n"
     "sso_registration_scopes = b\n",
     NULL,
     NULL,
     SA_EINVAL,
     {"the value for sso_registration_scopes is inconsistent between the profile (a) and "
      "sso-session 's' (b)"}},
    {"bad sso_region",
     "[profile dev]\nsso_start_url = https://x\nsso_region = Europe 1\n"
     "sso_account_id = 1\nsso_role_name = r\n",
     NULL,
     NULL,
     SA_EINVAL,
     {"profile 'dev': sso_region 'Europe 1' is not a region name"}},
    {"sso_session alone is not an SSO credentials profile (as botocore)",
     "[profile dev]\nsso_session = s\n"
     "[sso-session s]\nsso_start_url = https://x\nsso_region = eu-west-1\n",
     NULL,
     NULL,
     SA_ENOTFOUND,
     {"shared files: profile 'dev' has no credentials"}},
};

static void test_failures_before_any_request(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fail_cases) / sizeof(fail_cases[0]); i++) {
        const fail_case *c = &fail_cases[i];
        fake_transport t;
        run_result r;

        fake_transport_init(&t, &ok_reply, 1);
        run(&r, &t, c->config, c->cache_path, c->cache_text, NULL);
        if (r.rc != c->want_rc)
            fail_msg("%s: rc %d, want %d (%s)", c->name, r.rc, c->want_rc, r.err.message);
        for (size_t j = 0; j < 3 && c->want[j] != NULL; j++) {
            if (strstr(r.err.message, c->want[j]) == NULL)
                fail_msg("%s: message '%s' lacks '%s'", c->name, r.err.message, c->want[j]);
        }
        no_secret_in(r.err.message);
        if (t.request_count != 0)
            fail_msg("%s: %zu requests sent", c->name, t.request_count);
        fake_transport_dispose(&t);
    }
}

/* ---- the portal's answers ------------------------------------------------------------------ */

typedef struct portal_case {
    const char *name;
    fake_reply replies[3];
    size_t reply_count;
    int want_rc;
    size_t want_requests;
    const char *want[3];
    const char *not_want;
} portal_case;

static const portal_case portal_cases[] = {
    {"401 UnauthorizedException",
     {{SA_OK, 401, "x-amzn-ErrorType: UnauthorizedException\nx-amzn-RequestId: r1\n",
       "{\"message\": \"Session token not found or invalid\"}"}},
     1,
     SA_EAWS,
     1,
     {"profile 'dev': IAM Identity Center refused the SSO token (UnauthorizedException: Session "
      "token not found or invalid)",
      "has expired or is otherwise invalid", LOGIN},
     NULL},
    {"403 ForbiddenException",
     {{SA_OK, 403, "x-amzn-ErrorType: ForbiddenException\n", "{\"message\": \"No access\"}"}},
     1,
     SA_EAWS,
     1,
     {"profile 'dev': IAM Identity Center gives no access to role 'Admin Role' in account "
      "111122223333 (ForbiddenException: No access)"},
     "aws sso login"},
    {"404 ResourceNotFoundException",
     {{SA_OK, 404, "x-amzn-ErrorType: ResourceNotFoundException\n",
       "{\"message\": \"Could not find Role\"}"}},
     1,
     SA_EAWS,
     1,
     {"GetRoleCredentials failed: HTTP 404 ResourceNotFoundException: Could not find Role"},
     "aws sso login"},
    {"a message echoing the token is withheld",
     {{SA_OK, 401, "x-amzn-ErrorType: UnauthorizedException\n",
       "{\"message\": \"bad token " TOKEN "\"}"}},
     1,
     SA_EAWS,
     1,
     {"(UnauthorizedException: (message withheld))", LOGIN},
     NULL},
    {"5xx then success",
     {{SA_OK, 500, NULL, "{\"message\": \"oops\"}"},
      {SA_EIO, 0, NULL, NULL},
      {SA_OK, 200, NULL, role_answer}},
     3,
     SA_OK,
     3,
     {NULL},
     NULL},
    {"429 three times",
     {{SA_OK, 429, "x-amzn-ErrorType: TooManyRequestsException\n", "{\"message\": \"slow\"}"}},
     1,
     SA_EAWS,
     3,
     {"HTTP 429 TooManyRequestsException: slow"},
     NULL},
    {"transport failure three times",
     {{SA_EIO, 0, NULL, NULL}},
     1,
     SA_EIO,
     3,
     {"profile 'dev': IAM Identity Center at https://portal.sso.eu-west-1.amazonaws.com (from "
      "default)"},
     NULL},
    {"answer without roleCredentials",
     {{SA_OK, 200, NULL, "{}"}},
     1,
     SA_EIO,
     1,
     {"answered without roleCredentials accessKeyId, secretAccessKey and sessionToken"},
     NULL},
    {"answer with an ISO expiration",
     {{SA_OK, 200, NULL,
       "{\"roleCredentials\": {\"accessKeyId\": \"A\", \"secretAccessKey\": \"" ROLE_SECRET
       "\", \"sessionToken\": \"t\", \"expiration\": \"2026-01-01T01:00:00Z\"}}"}},
     1,
     SA_EIO,
     1,
     {"without a readable expiration (epoch milliseconds)"},
     NULL},
    {"answer already expired",
     {{SA_OK, 200, NULL,
       "{\"roleCredentials\": {\"accessKeyId\": \"A\", \"secretAccessKey\": \"" ROLE_SECRET
       "\", \"sessionToken\": \"t\", \"expiration\": 1767225599000}}"}},
     1,
     SA_EINVAL,
     1,
     {"the credentials from profile 'dev' (sso) have expired"},
     NULL},
};

static void test_portal_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(portal_cases) / sizeof(portal_cases[0]); i++) {
        const portal_case *c = &portal_cases[i];
        fake_transport t;
        run_result r;

        fake_transport_init(&t, c->replies, c->reply_count);
        t.repeat_last = true;
        run(&r, &t, SESSION_CONFIG, SESSION_CACHE, FRESH_CACHE, NULL);
        if (r.rc != c->want_rc)
            fail_msg("%s: rc %d, want %d (%s)", c->name, r.rc, c->want_rc, r.err.message);
        if (t.request_count != c->want_requests)
            fail_msg("%s: %zu requests, want %zu", c->name, t.request_count, c->want_requests);
        for (size_t j = 0; j < 3 && c->want[j] != NULL; j++) {
            if (strstr(r.err.message, c->want[j]) == NULL)
                fail_msg("%s: message '%s' lacks '%s'", c->name, r.err.message, c->want[j]);
        }
        if (c->not_want != NULL && strstr(r.err.message, c->not_want) != NULL)
            fail_msg("%s: message '%s' has '%s'", c->name, r.err.message, c->not_want);
        no_secret_in(r.err.message);
        sa_aws_credentials_dispose(&r.creds);
        fake_transport_dispose(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_file_name),
        cmocka_unit_test(test_cache_file_under_userprofile),
        cmocka_unit_test(test_sso_session_profile),
        cmocka_unit_test(test_legacy_profile),
        cmocka_unit_test(test_endpoint_settings),
        cmocka_unit_test(test_sso_comes_before_keys_and_process),
        cmocka_unit_test(test_failures_before_any_request),
        cmocka_unit_test(test_portal_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
