/*
 * Role assumption and web identity (credentials_sts.c) through the credential chain, on a faked
 * environment, in-memory shared files and a fake transport standing in for STS: the requests
 * (Action, RoleArn, RoleSessionName, ExternalId, DurationSeconds, WebIdentityToken, signed with
 * the right key or unsigned, the endpoint), source_profile chains and their loops and length,
 * a profile naming itself, credential_source, the refused settings, STS errors, that no message
 * carries a key, session token or web identity token, and (through a client on a fake clock)
 * that the role is assumed again, with the token file read again, before the credentials expire.
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
#include "aws/credentials.h"
#include "fakes.h"

#define NOW 1440938160 /* 2015-08-30T12:36:00Z */
#define SECRET_A "secretA-never-in-messages"
#define TOKEN_A "eyJ-web-identity-token-A"
#define TOKEN_B "eyJ-web-identity-token-B"
#define ROLE_DEV "arn:aws:iam::123456789012:role/dev"
#define ROLE_DEV_ENC "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdev"
#define ROLE_WEB "arn:aws:iam::123456789012:role/web"
#define ROLE_WEB_ENC "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb"
#define FORM "application/x-www-form-urlencoded; charset=utf-8"

/* An STS answer with credentials (ak, secret "sk-"ak, token "tok-"ak) expiring at exp. */
#define STS_OK(op, ak, exp)                                                                        \
    "<" op "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" op "Result>"           \
    "<Credentials><AccessKeyId>" ak "</AccessKeyId><SecretAccessKey>sk-" ak "</SecretAccessKey>"   \
    "<SessionToken>tok-" ak "</SessionToken><Expiration>" exp "</Expiration></Credentials>"        \
    "<AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn:aws:sts::123456789012:"        \
    "assumed-role/dev/s</Arn></AssumedRoleUser></" op "Result><ResponseMetadata><RequestId>r-1"    \
    "</RequestId></ResponseMetadata></" op "Response>"
#define IN_1H "2015-08-30T13:36:00Z"
#define ASSUMED(ak)                                                                                \
    {                                                                                              \
        SA_OK, 200, "Content-Type: text/xml", STS_OK("AssumeRole", ak, IN_1H)                      \
    }
#define WEB_ASSUMED(ak)                                                                            \
    {                                                                                              \
        SA_OK, 200, "Content-Type: text/xml", STS_OK("AssumeRoleWithWebIdentity", ak, IN_1H)       \
    }

typedef struct run {
    fake_env env;
    fake_transport t;
    sa_aws_shared_config shared;
    sa_aws_credentials creds;
    sa_error err;
    int rc;
} run;

/* Runs the whole chain with these variables, files and STS replies. */
static void run_chain(run *r, const fake_var *vars, const fake_file *files, const char *profile,
                      const fake_reply *replies, size_t n)
{
    sa_aws_credentials_settings s = {0};
    sa_aws_credentials_ctx ctx = {0};
    sa_error lerr = {0};

    memset(r, 0, sizeof(*r));
    fake_env_init(&r->env, vars, files);
    fake_transport_init(&r->t, replies, n);
    r->t.repeat_last = true; /* long chains: the last answer again and again */
    if (sa_aws_shared_config_load(&r->shared, profile, NULL, NULL, &r->env.env, &lerr) != SA_OK)
        fail_msg("shared config: %s", lerr.message);
    ctx.env = &r->env.env;
    ctx.shared = &r->shared;
    ctx.transport = &r->t.seam;
    ctx.now = NOW;
    r->rc = sa_aws_credentials_resolve(&r->creds, &s, &ctx, &r->err);
}

static void run_dispose(run *r)
{
    sa_aws_credentials_dispose(&r->creds);
    sa_aws_shared_config_dispose(&r->shared);
    fake_transport_dispose(&r->t);
}

static const char *hdr(const run *r, size_t i, const char *name)
{
    assert_true(i < r->t.request_count);
    return sa_aws_headers_get(&r->t.requests[i].headers, name);
}

static void assert_no_secret(const char *s)
{
    if (strstr(s, SECRET_A) != NULL || strstr(s, TOKEN_A) != NULL || strstr(s, "sk-ASIA") ||
        strstr(s, "tok-ASIA"))
        fail_msg("a secret leaked into '%s'", s);
}

static void assert_ok(const run *r)
{
    if (r->rc != SA_OK)
        fail_msg("rc %d: %s", r->rc, r->err.message);
}

static void assert_fails(const run *r, int rc, const char *want)
{
    if (r->rc != rc || strstr(r->err.message, want) == NULL)
        fail_msg("rc %d (want %d): '%s' lacks '%s'", r->rc, rc, r->err.message, want);
    assert_no_secret(r->err.message);
}

/* ---- web identity -------------------------------------------------------------------------- */

static void test_web_identity_from_env(void **state)
{
    static const fake_var vars[] = {{"AWS_ROLE_ARN", ROLE_WEB},
                                    {"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"},
                                    {"AWS_REGION", "eu-west-1"},
                                    {"HOME", "/h"},
                                    {NULL, NULL}};
    static const fake_file files[] = {{"/var/run/token", TOKEN_A "\n"}, {NULL, NULL}};
    fake_reply replies[] = {WEB_ASSUMED("ASIA_WEB")};
    run r;
    (void)state;

    run_chain(&r, vars, files, NULL, replies, 1);
    assert_ok(&r);
    assert_int_equal(r.t.request_count, 1);
    assert_string_equal(r.t.requests[0].method, "POST");
    assert_string_equal(r.t.requests[0].url, "https://sts.eu-west-1.amazonaws.com/");
    assert_string_equal(r.t.requests[0].body,
                        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" ROLE_WEB_ENC
                        "&RoleSessionName=secureapi-session-1440938160&WebIdentityToken=" TOKEN_A);
    assert_string_equal(hdr(&r, 0, "Content-Type"), FORM);
    assert_non_null(hdr(&r, 0, "User-Agent"));
    /* unsigned: the token is the credential */
    assert_null(hdr(&r, 0, "Authorization"));
    assert_null(hdr(&r, 0, "X-Amz-Security-Token"));
    assert_string_equal(r.creds.access_key_id, "ASIA_WEB");
    assert_string_equal(r.creds.secret_access_key, "sk-ASIA_WEB");
    assert_string_equal(r.creds.session_token, "tok-ASIA_WEB");
    assert_int_equal(r.creds.expiration, NOW + 3600);
    assert_string_equal(r.creds.source, "web identity (AWS_ROLE_ARN)");
    run_dispose(&r);
}

static void test_web_identity_settings(void **state)
{
    static const fake_var named[] = {{"AWS_ROLE_ARN", ROLE_WEB},
                                     {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"},
                                     {"AWS_ROLE_SESSION_NAME", "ci-job-7"},
                                     {NULL, NULL}};
    static const fake_var keys_first[] = {{"AWS_ACCESS_KEY_ID", "AKIA_ENV"},
                                          {"AWS_SECRET_ACCESS_KEY", SECRET_A},
                                          {"AWS_ROLE_ARN", ROLE_WEB},
                                          {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"},
                                          {NULL, NULL}};
    static const fake_var no_role[] = {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"}, {NULL, NULL}};
    static const fake_var missing[] = {
        {"AWS_ROLE_ARN", ROLE_WEB}, {"AWS_WEB_IDENTITY_TOKEN_FILE", "/nope"}, {NULL, NULL}};
    static const fake_var profile_vars[] = {{"HOME", "/h"}, {"AWS_PROFILE", "wi"}, {NULL, NULL}};
    static const fake_var explicit_vars[] = {{"HOME", "/h"},
                                             {"AWS_ROLE_ARN", ROLE_WEB},
                                             {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"},
                                             {"AWS_EC2_METADATA_DISABLED", "true"},
                                             {NULL, NULL}};
    static const fake_file files[] = {
        {"/t", TOKEN_A},
        {"/h/.aws/config", "[profile wi]\nrole_arn = " ROLE_WEB "\nweb_identity_token_file = /t\n"
                           "role_session_name = wi-session\nduration_seconds = 900\n"
                           "[profile plain]\nregion = eu-west-1\n"},
        {NULL, NULL}};
    fake_reply replies[] = {WEB_ASSUMED("ASIA_WEB")};
    run r;
    (void)state;

    /* AWS_ROLE_SESSION_NAME names the session */
    run_chain(&r, named, files, NULL, replies, 1);
    assert_ok(&r);
    assert_non_null(strstr(r.t.requests[0].body, "&RoleSessionName=ci-job-7&"));
    run_dispose(&r);
    /* the environment's keys come first */
    run_chain(&r, keys_first, files, NULL, replies, 1);
    assert_ok(&r);
    assert_string_equal(r.creds.source, "environment");
    assert_int_equal(r.t.request_count, 0);
    run_dispose(&r);
    run_chain(&r, no_role, files, NULL, replies, 1);
    assert_fails(&r, SA_EINVAL, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    run_dispose(&r);
    run_chain(&r, missing, files, NULL, replies, 1);
    assert_fails(&r, SA_EINVAL, "cannot read the web identity token file /nope");
    assert_int_equal(r.t.request_count, 0);
    run_dispose(&r);
    /* a profile with role_arn and web_identity_token_file */
    run_chain(&r, profile_vars, files, NULL, replies, 1);
    assert_ok(&r);
    assert_string_equal(r.t.requests[0].body,
                        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" ROLE_WEB_ENC
                        "&RoleSessionName=wi-session&WebIdentityToken=" TOKEN_A
                        "&DurationSeconds=900");
    assert_string_equal(r.creds.source, "profile 'wi' (web identity)");
    run_dispose(&r);
    /* a profile chosen by the provider config turns the environment's settings off (botocore's
     * disable_env_vars for an explicit profile) */
    run_chain(&r, explicit_vars, files, "plain", replies, 1);
    assert_int_equal(r.rc, SA_ENOTFOUND);
    assert_int_equal(r.t.request_count, 0);
    run_dispose(&r);
}

static void test_web_identity_endpoints(void **state)
{
    static const fake_var sts_url[] = {{"AWS_ROLE_ARN", ROLE_WEB},
                                       {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"},
                                       {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4566/sts"},
                                       {"AWS_ENDPOINT_URL", "http://127.0.0.1:9999"},
                                       {NULL, NULL}};
    static const fake_var any_url[] = {{"AWS_ROLE_ARN", ROLE_WEB},
                                       {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"},
                                       {"AWS_ENDPOINT_URL", "http://127.0.0.1:9999"},
                                       {NULL, NULL}};
    static const fake_var legacy[] = {{"AWS_ROLE_ARN", ROLE_WEB},
                                      {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"},
                                      {"AWS_REGION", "us-west-2"},
                                      {"AWS_STS_REGIONAL_ENDPOINTS", "legacy"},
                                      {NULL, NULL}};
    static const fake_var bad_mode[] = {{"AWS_ROLE_ARN", ROLE_WEB},
                                        {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"},
                                        {"AWS_STS_REGIONAL_ENDPOINTS", "global"},
                                        {NULL, NULL}};
    static const fake_file files[] = {{"/t", TOKEN_A}, {NULL, NULL}};
    fake_reply replies[] = {WEB_ASSUMED("ASIA_WEB")};
    run r;
    (void)state;

    run_chain(&r, sts_url, files, NULL, replies, 1);
    assert_ok(&r);
    assert_string_equal(r.t.requests[0].url, "http://127.0.0.1:4566/sts/");
    run_dispose(&r);
    run_chain(&r, any_url, files, NULL, replies, 1);
    assert_ok(&r);
    assert_string_equal(r.t.requests[0].url, "http://127.0.0.1:9999/");
    run_dispose(&r);
    run_chain(&r, legacy, files, NULL, replies, 1);
    assert_ok(&r);
    assert_string_equal(r.t.requests[0].url, "https://sts.amazonaws.com/");
    run_dispose(&r);
    run_chain(&r, bad_mode, files, NULL, replies, 1);
    assert_fails(&r, SA_EINVAL, "AWS_STS_REGIONAL_ENDPOINTS must be regional or legacy");
    run_dispose(&r);
}

/* ---- AssumeRole ---------------------------------------------------------------------------- */

static const fake_var dev_vars[] = {
    {"HOME", "/h"}, {"AWS_PROFILE", "dev"}, {"AWS_EC2_METADATA_DISABLED", "true"}, {NULL, NULL}};

static void test_assume_role_static_source(void **state)
{
    static const fake_file files[] = {
        {"/h/.aws/config", "[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = base\n"
                           "external_id = ext-1\nrole_session_name = me\n"
                           "duration_seconds = 1800\n"},
        {"/h/.aws/credentials",
         "[base]\naws_access_key_id = AKIA_BASE\naws_secret_access_key = " SECRET_A "\n"},
        {NULL, NULL}};
    fake_reply replies[] = {ASSUMED("ASIA_DEV")};
    run r;
    (void)state;

    run_chain(&r, dev_vars, files, NULL, replies, 1);
    assert_ok(&r);
    assert_int_equal(r.t.request_count, 1);
    assert_string_equal(r.t.requests[0].url, "https://sts.ap-southeast-1.amazonaws.com/");
    assert_string_equal(r.t.requests[0].body,
                        "Action=AssumeRole&Version=2011-06-15&RoleArn=" ROLE_DEV_ENC
                        "&RoleSessionName=me&DurationSeconds=1800&ExternalId=ext-1");
    assert_non_null(strstr(hdr(&r, 0, "Authorization"),
                           "Credential=AKIA_BASE/20150830/ap-southeast-1/sts/aws4_request"));
    assert_string_equal(hdr(&r, 0, "X-Amz-Date"), "20150830T123600Z");
    assert_null(hdr(&r, 0, "X-Amz-Security-Token"));
    assert_string_equal(r.creds.access_key_id, "ASIA_DEV");
    assert_string_equal(r.creds.session_token, "tok-ASIA_DEV");
    assert_int_equal(r.creds.expiration, NOW + 3600);
    assert_string_equal(r.creds.source, "profile 'dev' (assume role)");
    run_dispose(&r);
}

static void test_assume_role_chain(void **state)
{
    /* dev -> mid (role) -> web (role with web identity); then dev -> proc (credential_process) */
    static const fake_file files[] = {
        {"/h/.aws/config", "[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = mid\n"
                           "[profile mid]\nrole_arn = arn:aws:iam::1:role/mid\n"
                           "source_profile = web\n"
                           "[profile web]\nrole_arn = " ROLE_WEB "\n"
                           "web_identity_token_file = /t\n"},
        {"/t", TOKEN_A},
        {NULL, NULL}};
    static const fake_file proc_files[] = {
        {"/h/.aws/config",
         "[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = proc\n"
         "[profile proc]\nrole_arn = arn:aws:iam::1:role/unused\n"
         "aws_access_key_id = AKIA_PROC_STATIC\naws_secret_access_key = " SECRET_A "\n"
         "[profile p2]\ncredential_process = /bin/echo '{\"Version\": 1, \"AccessKeyId\": "
         "\"AKIA_PROC\", \"SecretAccessKey\": \"" SECRET_A "\"}'\n"},
        {NULL, NULL}};
    static const fake_var p2_vars[] = {{"HOME", "/h"}, {"AWS_PROFILE", "dev2"}, {NULL, NULL}};
    static const fake_file p2_files[] = {
        {"/h/.aws/config",
         "[profile dev2]\nrole_arn = " ROLE_DEV "\nsource_profile = p2\n"
         "[profile p2]\ncredential_process = /bin/echo '{\"Version\": 1, \"AccessKeyId\": "
         "\"AKIA_PROC\", \"SecretAccessKey\": \"" SECRET_A "\"}'\n"},
        {NULL, NULL}};
    fake_reply replies[] = {WEB_ASSUMED("ASIA_WEB"), ASSUMED("ASIA_MID"), ASSUMED("ASIA_DEV")};
    run r;
    (void)state;

    run_chain(&r, dev_vars, files, NULL, replies, 3);
    assert_ok(&r);
    assert_int_equal(r.t.request_count, 3);
    assert_non_null(strstr(r.t.requests[0].body, "Action=AssumeRoleWithWebIdentity&"));
    assert_null(hdr(&r, 0, "Authorization"));
    assert_non_null(strstr(r.t.requests[1].body, "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fmid&"));
    assert_non_null(strstr(hdr(&r, 1, "Authorization"), "Credential=ASIA_WEB/"));
    assert_string_equal(hdr(&r, 1, "X-Amz-Security-Token"), "tok-ASIA_WEB");
    assert_non_null(strstr(r.t.requests[2].body,
                           "Action=AssumeRole&Version=2011-06-15&RoleArn=" ROLE_DEV_ENC "&"));
    assert_non_null(strstr(hdr(&r, 2, "Authorization"), "Credential=ASIA_MID/"));
    assert_string_equal(hdr(&r, 2, "X-Amz-Security-Token"), "tok-ASIA_MID");
    assert_string_equal(r.creds.access_key_id, "ASIA_DEV");
    run_dispose(&r);

    /* a source profile with static keys is used for its keys even though it has a role_arn */
    run_chain(&r, dev_vars, proc_files, NULL, replies + 2, 1);
    assert_ok(&r);
    assert_int_equal(r.t.request_count, 1);
    assert_non_null(strstr(hdr(&r, 0, "Authorization"), "Credential=AKIA_PROC_STATIC/"));
    run_dispose(&r);
    /* a source profile with credential_process */
    run_chain(&r, p2_vars, p2_files, NULL, replies + 2, 1);
    assert_ok(&r);
    assert_int_equal(r.t.request_count, 1);
    assert_non_null(strstr(hdr(&r, 0, "Authorization"), "Credential=AKIA_PROC/"));
    assert_string_equal(r.creds.access_key_id, "ASIA_DEV");
    run_dispose(&r);
}

static void test_assume_role_loops(void **state)
{
    static const fake_file cycle[] = {
        {"/h/.aws/config", "[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = b\n"
                           "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = dev\n"},
        {NULL, NULL}};
    static const fake_file self_no_keys[] = {
        {"/h/.aws/config", "[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = dev\n"},
        {NULL, NULL}};
    static const fake_file self_keys[] = {
        {"/h/.aws/config", "[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = dev\n"
                           "aws_access_key_id = AKIA_SELF\naws_secret_access_key = " SECRET_A "\n"},
        {NULL, NULL}};
    fake_reply replies[] = {ASSUMED("ASIA_DEV")};
    run r;
    (void)state;

    run_chain(&r, dev_vars, cycle, NULL, replies, 1);
    assert_fails(&r, SA_EINVAL,
                 "profile 'b': its source_profile makes a loop: 'dev' -> 'b' -> 'dev'");
    assert_int_equal(r.t.request_count, 0);
    run_dispose(&r);
    run_chain(&r, dev_vars, self_no_keys, NULL, replies, 1);
    assert_fails(&r, SA_EINVAL, "profile 'dev': its source_profile makes a loop: 'dev' -> 'dev'");
    run_dispose(&r);
    /* botocore: a profile naming itself uses its own static keys to assume its role */
    run_chain(&r, dev_vars, self_keys, NULL, replies, 1);
    assert_ok(&r);
    assert_int_equal(r.t.request_count, 1);
    assert_non_null(strstr(hdr(&r, 0, "Authorization"), "Credential=AKIA_SELF/"));
    assert_string_equal(r.creds.access_key_id, "ASIA_DEV");
    assert_string_equal(r.creds.source, "profile 'dev' (assume role)");
    run_dispose(&r);
}

/* dev -> p1 -> ... -> p<roles-1> (roles role profiles in all) -> base (static keys) */
static void chain_config(char *buf, size_t size, int roles)
{
    size_t used = (size_t)snprintf(buf, size, "[profile dev]\nrole_arn = %s\nsource_profile = %s\n",
                                   ROLE_DEV, roles > 1 ? "p1" : "base");
    for (int i = 1; i < roles; i++) {
        char next[16];
        snprintf(next, sizeof(next), i + 1 < roles ? "p%d" : "base", i + 1);
        used += (size_t)snprintf(buf + used, size - used,
                                 "[profile p%d]\nrole_arn = arn:aws:iam::1:role/p%d\n"
                                 "source_profile = %s\n",
                                 i, i, next);
    }
    snprintf(buf + used, size - used,
             "[profile base]\naws_access_key_id = AKIA_BASE\naws_secret_access_key = %s\n",
             SECRET_A);
}

static void test_assume_role_depth(void **state)
{
    static char config[8192];
    fake_file files[] = {{"/h/.aws/config", config}, {NULL, NULL}};
    fake_reply replies[] = {ASSUMED("ASIA_HOP")};
    run r;
    (void)state;

    /* SA_AWS_ROLE_CHAIN_MAX role hops are fine ... */
    chain_config(config, sizeof(config), SA_AWS_ROLE_CHAIN_MAX);
    run_chain(&r, dev_vars, files, NULL, replies, 1);
    assert_ok(&r);
    assert_int_equal(r.t.request_count, SA_AWS_ROLE_CHAIN_MAX);
    run_dispose(&r);
    /* ... one more is refused before any request */
    chain_config(config, sizeof(config), SA_AWS_ROLE_CHAIN_MAX + 1);
    run_chain(&r, dev_vars, files, NULL, replies, 1);
    assert_fails(&r, SA_EINVAL,
                 "profile 'dev': its chain of source_profile roles is longer than 16 hops ('dev' "
                 "-> 'p1' -> 'p2' -> 'p3' -> ... -> 'p15' -> 'p16')");
    assert_int_equal(r.t.request_count, 0);
    run_dispose(&r);
}

static void test_credential_source(void **state)
{
    static const fake_file ecs[] = {{"/h/.aws/config", "[profile dev]\nrole_arn = " ROLE_DEV
                                                       "\ncredential_source = EcsContainer\n"},
                                    {NULL, NULL}};
    static const fake_var ecs_vars[] = {{"HOME", "/h"},
                                        {"AWS_PROFILE", "dev"},
                                        {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"},
                                        {NULL, NULL}};
    static const fake_file imds[] = {{"/h/.aws/config",
                                      "[profile dev]\nrole_arn = " ROLE_DEV
                                      "\ncredential_source = Ec2InstanceMetadata\n"},
                                     {NULL, NULL}};
    static const fake_var imds_vars[] = {{"HOME", "/h"}, {"AWS_PROFILE", "dev"}, {NULL, NULL}};
    static const fake_file env_src[] = {{"/h/.aws/config", "[profile dev]\nrole_arn = " ROLE_DEV
                                                           "\ncredential_source = Environment\n"},
                                        {NULL, NULL}};
    static const fake_var env_vars[] = {{"HOME", "/h"},
                                        {"AWS_ACCESS_KEY_ID", "AKIA_ENV"},
                                        {"AWS_SECRET_ACCESS_KEY", SECRET_A},
                                        {NULL, NULL}};
    static const fake_file bogus[] = {
        {"/h/.aws/config", "[profile dev]\nrole_arn = " ROLE_DEV "\ncredential_source = Ec2\n"},
        {NULL, NULL}};
    fake_reply ecs_replies[] = {{SA_OK, 200, NULL,
                                 "{\"AccessKeyId\":\"ASIA_ECS\",\"SecretAccessKey\":\"" SECRET_A
                                 "\",\"Token\":\"tokE\","
                                 "\"Expiration\":\"2015-08-30T18:36:00Z\"}"},
                                ASSUMED("ASIA_DEV")};
    fake_reply imds_replies[] = {
        {SA_OK, 200, NULL, "imds-session"},
        {SA_OK, 200, NULL, "ec2-role"},
        {SA_OK, 200, NULL,
         "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIA_EC2\",\"SecretAccessKey\":\"" SECRET_A
         "\",\"Token\":\"tokI\",\"Expiration\":\"2015-08-30T18:36:00Z\"}"},
        ASSUMED("ASIA_DEV")};
    fake_reply replies[] = {ASSUMED("ASIA_DEV")};
    run r;
    (void)state;

    run_chain(&r, ecs_vars, ecs, NULL, ecs_replies, 2);
    assert_ok(&r);
    assert_int_equal(r.t.request_count, 2);
    assert_string_equal(r.t.requests[0].url, "http://169.254.170.2/c");
    assert_non_null(strstr(hdr(&r, 1, "Authorization"), "Credential=ASIA_ECS/"));
    assert_string_equal(hdr(&r, 1, "X-Amz-Security-Token"), "tokE");
    assert_string_equal(r.creds.access_key_id, "ASIA_DEV");
    run_dispose(&r);

    run_chain(&r, imds_vars, imds, NULL, imds_replies, 4);
    assert_ok(&r);
    assert_int_equal(r.t.request_count, 4);
    assert_non_null(strstr(hdr(&r, 3, "Authorization"), "Credential=ASIA_EC2/"));
    assert_string_equal(r.creds.access_key_id, "ASIA_DEV");
    run_dispose(&r);

    /* Environment: in the chain the environment's keys answer first (as in botocore unless the
     * profile is explicit), so this asks the source directly */
    {
        sa_aws_credentials_ctx ctx = {0};

        memset(&r, 0, sizeof(r));
        fake_env_init(&r.env, env_vars, env_src);
        fake_transport_init(&r.t, replies, 1);
        assert_int_equal(
            sa_aws_shared_config_load(&r.shared, "dev", NULL, NULL, &r.env.env, &r.err), SA_OK);
        ctx.env = &r.env.env;
        ctx.shared = &r.shared;
        ctx.transport = &r.t.seam;
        ctx.now = NOW;
        r.rc = sa_aws_credentials_from_role(&r.creds, &ctx, &r.err);
        assert_ok(&r);
        assert_non_null(strstr(hdr(&r, 0, "Authorization"), "Credential=AKIA_ENV/"));
        assert_string_equal(r.creds.source, "profile 'dev' (assume role)");
        run_dispose(&r);
    }
    run_chain(&r, imds_vars, env_src, NULL, replies, 1);
    assert_fails(&r, SA_EINVAL,
                 "profile 'dev': no credentials found in credential_source Environment");
    assert_int_equal(r.t.request_count, 0);
    run_dispose(&r);
    run_chain(&r, imds_vars, bogus, NULL, replies, 1);
    assert_fails(&r, SA_EINVAL,
                 "profile 'dev': credential_source 'Ec2' is not supported; use Environment, "
                 "Ec2InstanceMetadata or EcsContainer");
    run_dispose(&r);
}

static void test_refused_settings(void **state)
{
    static const struct {
        const char *config;
        int rc;
        const char *want;
    } cases[] = {
        {"[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = b\ncredential_source = "
         "Environment\n[profile b]\naws_access_key_id = A\naws_secret_access_key = S\n",
         SA_EINVAL, "profile 'dev' sets both source_profile and credential_source"},
        {"[profile dev]\nrole_arn = " ROLE_DEV "\n", SA_EINVAL,
         "profile 'dev' sets role_arn but neither source_profile nor credential_source"},
        {"[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = gone\n", SA_EINVAL,
         "profile 'dev': its source_profile 'gone' is not in /h/.aws/credentials or "
         "/h/.aws/config"},
        {"[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = b\n[profile b]\nregion = x\n",
         SA_EINVAL, "profile 'dev': its source_profile 'b' has no credentials"},
        {"[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = b\nmfa_serial = "
         "arn:aws:iam::1:mfa/me\n[profile b]\naws_access_key_id = A\naws_secret_access_key = S\n",
         SA_EUNSUPPORTED, "profile 'dev' sets mfa_serial"},
        {"[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = b\nduration_seconds = 1h\n"
         "[profile b]\naws_access_key_id = A\naws_secret_access_key = S\n",
         SA_EINVAL, "profile 'dev': duration_seconds must be a whole number of seconds"},
        {"[profile dev]\nweb_identity_token_file = /t\n", SA_EINVAL,
         "profile 'dev' sets web_identity_token_file but not role_arn"},
    };
    fake_reply replies[] = {ASSUMED("ASIA_DEV")};
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_file files[] = {{"/h/.aws/config", cases[i].config}, {NULL, NULL}};
        run r;

        run_chain(&r, dev_vars, files, NULL, replies, 1);
        assert_fails(&r, cases[i].rc, cases[i].want);
        assert_int_equal(r.t.request_count, 0);
        run_dispose(&r);
    }
}

static void test_sts_errors(void **state)
{
    static const fake_file files[] = {
        {"/h/.aws/config", "[profile dev]\nrole_arn = " ROLE_DEV "\nsource_profile = base\n"},
        {"/h/.aws/credentials",
         "[base]\naws_access_key_id = AKIA_BASE\naws_secret_access_key = " SECRET_A "\n"},
        {"/t", TOKEN_A},
        {NULL, NULL}};
    static const fake_var web_vars[] = {
        {"AWS_ROLE_ARN", ROLE_WEB}, {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"}, {NULL, NULL}};
    fake_reply denied[] = {
        {SA_OK, 403, "x-amzn-RequestId: req-9",
         "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender"
         "</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/base is "
         "not authorized to perform: sts:AssumeRole</Message></Error><RequestId>req-9</RequestId>"
         "</ErrorResponse>"}};
    fake_reply bad_token[] = {
        {SA_OK, 400, NULL,
         "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>"
         "Couldn't retrieve verification key from your identity provider</Message></Error>"
         "</ErrorResponse>"}};
    fake_reply no_creds[] = {{SA_OK, 200, NULL,
                              "<AssumeRoleResponse><AssumeRoleResult/>"
                              "</AssumeRoleResponse>"}};
    fake_reply down[] = {{SA_EIO, 0, NULL, NULL}};
    run r;
    (void)state;

    run_chain(&r, dev_vars, files, NULL, denied, 1);
    assert_fails(&r, SA_EAWS,
                 "profile 'dev': assuming role " ROLE_DEV ": AccessDenied: User: "
                 "arn:aws:iam::123456789012:user/base is not authorized to perform: "
                 "sts:AssumeRole (HTTP 403, request id req-9)");
    run_dispose(&r);
    run_chain(&r, web_vars, files, NULL, bad_token, 1);
    assert_fails(&r, SA_EAWS,
                 "AWS_ROLE_ARN: assuming role " ROLE_WEB
                 " with web identity: InvalidIdentityToken: "
                 "Couldn't retrieve verification key");
    run_dispose(&r);
    run_chain(&r, dev_vars, files, NULL, no_creds, 1);
    assert_fails(&r, SA_EIO,
                 "profile 'dev': assuming role " ROLE_DEV ": STS answered without "
                 "Credentials");
    run_dispose(&r);
    run_chain(&r, dev_vars, files, NULL, down, 1);
    assert_fails(&r, SA_EIO,
                 "profile 'dev': assuming role " ROLE_DEV ": STS at "
                 "https://sts.ap-southeast-1.amazonaws.com: ");
    run_dispose(&r);
}

/* ---- through a client: cached until 5 minutes before Expiration, then assumed again -------- */

static void test_client_assumes_again_before_expiry(void **state)
{
    static const fake_var vars[] = {{"AWS_ROLE_ARN", ROLE_WEB},
                                    {"AWS_WEB_IDENTITY_TOKEN_FILE", "/t"},
                                    {"AWS_EC2_METADATA_DISABLED", "true"},
                                    {NULL, NULL}};
    fake_file files[] = {{"/t", TOKEN_A}, {NULL, NULL}};
    fake_reply replies[] = {
        WEB_ASSUMED("ASIA_FIRST"),
        {SA_OK, 200, NULL, "{\"Keys\":[]}"},
        {SA_OK, 200, NULL, "{\"Keys\":[]}"},
        {SA_OK, 200, "Content-Type: text/xml",
         STS_OK("AssumeRoleWithWebIdentity", "ASIA_SECOND", "2015-08-30T14:36:00Z")},
        {SA_OK, 200, NULL, "{\"Keys\":[]}"},
    };
    fake_env env;
    fake_transport t;
    fake_clock clock;
    debug_sink debug = {0};
    sa_aws_client_config cfg = {0};
    sa_aws_client *c = NULL;
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_response resp = {0};
    sa_error err = {0};
    (void)state;

    fake_env_init(&env, vars, files);
    fake_transport_init(&t, replies, 5);
    fake_clock_init(&clock);
    cfg.env = &env.env;
    cfg.transport = &t.seam;
    cfg.clock = &clock.clock;
    cfg.rng_seed = 1;
    cfg.debug = debug_sink_line;
    cfg.debug_ctx = &debug;
    assert_int_equal(sa_aws_client_new(&c, &cfg, &err), SA_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sa_aws_call(&resp, c, &op, NULL, NULL, &err), SA_OK);
        sa_aws_response_dispose(&resp);
    }
    assert_int_equal(t.request_count, 3); /* assumed once, then cached */
    assert_non_null(strstr(sa_aws_headers_get(&t.requests[2].headers, "Authorization"),
                           "Credential=ASIA_FIRST/"));
    assert_string_equal(sa_aws_headers_get(&t.requests[2].headers, "X-Amz-Security-Token"),
                        "tok-ASIA_FIRST");
    /* the token on disk is rotated; 56 minutes later the role is assumed again with it */
    files[0].content = TOKEN_B;
    clock.mono_ms += 56 * 60 * 1000;
    assert_int_equal(sa_aws_call(&resp, c, &op, NULL, NULL, &err), SA_OK);
    sa_aws_response_dispose(&resp);
    assert_int_equal(t.request_count, 5);
    assert_non_null(strstr(t.requests[3].body, "&WebIdentityToken=" TOKEN_B));
    assert_non_null(strstr(sa_aws_headers_get(&t.requests[4].headers, "Authorization"),
                           "Credential=ASIA_SECOND/"));
    assert_non_null(strstr(debug.text, "using credentials from web identity (AWS_ROLE_ARN)"));
    assert_no_secret(debug.text);
    assert_null(strstr(debug.text, TOKEN_B));
    sa_aws_client_release(c);
    fake_transport_dispose(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_web_identity_from_env),
        cmocka_unit_test(test_web_identity_settings),
        cmocka_unit_test(test_web_identity_endpoints),
        cmocka_unit_test(test_assume_role_static_source),
        cmocka_unit_test(test_assume_role_chain),
        cmocka_unit_test(test_assume_role_loops),
        cmocka_unit_test(test_assume_role_depth),
        cmocka_unit_test(test_credential_source),
        cmocka_unit_test(test_refused_settings),
        cmocka_unit_test(test_sts_errors),
        cmocka_unit_test(test_client_assumes_again_before_expiry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
