/*
 * Table tests of the credential chain on a faked environment, in-memory shared files and a fake
 * transport standing in for the container endpoint and EC2 instance metadata (nothing here ever
 * reaches 169.254.x.x): source order, partial settings, profiles, unsupported profile kinds,
 * container and IMDSv2 exchanges, the "nothing found" summary, expiry, and that no message carries
 * key material. The credential_process tests run real tiny shell scripts written to a temporary
 * folder (their output, exit status, arguments, stderr, timeout and cancellation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/credentials.h"
#include "fakes.h"

#define NOW 1440938160 /* 2015-08-30T12:36:00Z */

typedef struct chain_case {
    const char *name;
    sa_aws_credentials_settings settings;
    fake_var vars[8];
    fake_file files[3];
    const char *profile; /* provider config profile */
    int want_rc;
    const char *want_key; /* access key id on success */
    const char *want_secret;
    const char *want_token;
    const char *want_source; /* source on success, or a substring of the error */
} chain_case;

#define SECRET_A "secretA-never-in-messages"
#define SECRET_B "secretB-never-in-messages"

static const chain_case cases[] = {
    {"provider config first",
     {"AKIA_CFG", SECRET_A, "tokA", false},
     {{"AWS_ACCESS_KEY_ID", "AKIA_ENV"}, {"AWS_SECRET_ACCESS_KEY", SECRET_B}, {NULL, NULL}},
     {{NULL, NULL}},
     NULL,
     SA_OK,
     "AKIA_CFG",
     SECRET_A,
     "tokA",
     "provider config"},
    {"provider config partial",
     {"AKIA_CFG", NULL, NULL, false},
     {{NULL, NULL}},
     {{NULL, NULL}},
     NULL,
     SA_EINVAL,
     NULL,
     NULL,
     NULL,
     "sets accessKey but not secretKey"},
    {"token alone",
     {NULL, NULL, "tok", false},
     {{NULL, NULL}},
     {{NULL, NULL}},
     NULL,
     SA_EINVAL,
     NULL,
     NULL,
     NULL,
     "sets token but not accessKey"},
    {"environment",
     {0},
     {{"AWS_ACCESS_KEY_ID", "AKIA_ENV"},
      {"AWS_SECRET_ACCESS_KEY", SECRET_B},
      {"AWS_SESSION_TOKEN", "tokB"},
      {"HOME", "/h"},
      {NULL, NULL}},
     {{"/h/.aws/credentials", "[default]\naws_access_key_id = AKIA_FILE\n"
                              "aws_secret_access_key = " SECRET_A "\n"},
      {NULL, NULL}},
     NULL,
     SA_OK,
     "AKIA_ENV",
     SECRET_B,
     "tokB",
     "environment"},
    {"environment partial",
     {0},
     {{"AWS_ACCESS_KEY_ID", "AKIA_ENV"}, {NULL, NULL}},
     {{NULL, NULL}},
     NULL,
     SA_EINVAL,
     NULL,
     NULL,
     NULL,
     "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"},
    {"empty env values are unset",
     {0},
     {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}, {"HOME", "/h"}, {NULL, NULL}},
     {{"/h/.aws/credentials", "[default]\naws_access_key_id = AKIA_FILE\n"
                              "aws_secret_access_key = " SECRET_A "\n"},
      {NULL, NULL}},
     NULL,
     SA_OK,
     "AKIA_FILE",
     SECRET_A,
     NULL,
     "profile 'default'"},
    {"default profile from the credentials file",
     {0},
     {{"HOME", "/h"}, {NULL, NULL}},
     {{"/h/.aws/credentials", "# comment\n[default]\naws_access_key_id=AKIA_FILE\n"
                              "aws_secret_access_key=" SECRET_A "\naws_session_token = tokF\n"},
      {NULL, NULL}},
     NULL,
     SA_OK,
     "AKIA_FILE",
     SECRET_A,
     "tokF",
     "profile 'default'"},
    {"AWS_PROFILE picks a [profile x] of the config file",
     {0},
     {{"HOME", "/h"}, {"AWS_PROFILE", "dev"}, {NULL, NULL}},
     {{"/h/.aws/config",
       "[default]\nregion=us-east-1\n[profile dev]\naws_access_key_id = AKIA_DEV\n"
       "aws_secret_access_key = " SECRET_B "\n"},
      {NULL, NULL}},
     NULL,
     SA_OK,
     "AKIA_DEV",
     SECRET_B,
     NULL,
     "profile 'dev'"},
    {"credentials file wins over config for the same profile",
     {0},
     {{"HOME", "/h"}, {"AWS_PROFILE", "dev"}, {NULL, NULL}},
     {{"/h/.aws/config", "[profile dev]\naws_access_key_id = AKIA_CONFIG\n"
                         "aws_secret_access_key = " SECRET_B "\n"},
      {"/h/.aws/credentials", "[dev]\naws_access_key_id = AKIA_CREDS\n"
                              "aws_secret_access_key = " SECRET_A "\n"}},
     NULL,
     SA_OK,
     "AKIA_CREDS",
     SECRET_A,
     NULL,
     "profile 'dev'"},
    {"file locations from the environment",
     {0},
     {{"AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"},
      {"AWS_CONFIG_FILE", "/etc/conf"},
      {NULL, NULL}},
     {{"/etc/creds", "[ops]\naws_access_key_id = AKIA_OPS\naws_secret_access_key = " SECRET_A "\n"},
      {NULL, NULL}},
     "ops",
     SA_OK,
     "AKIA_OPS",
     SECRET_A,
     NULL,
     "profile 'ops'"},
    {"explicit profile missing",
     {0},
     {{"HOME", "/h"}, {"AWS_PROFILE", "nope"}, {NULL, NULL}},
     {{NULL, NULL}},
     NULL,
     SA_EINVAL,
     NULL,
     NULL,
     NULL,
     "profile 'nope' (from AWS_PROFILE) is not in /h/.aws/credentials or /h/.aws/config"},
    {"provider config profile missing",
     {0},
     {{"HOME", "/h"}, {NULL, NULL}},
     {{NULL, NULL}},
     "prod",
     SA_EINVAL,
     NULL,
     NULL,
     NULL,
     "profile 'prod' (from provider config)"},
    {"assume-role profile whose source_profile is missing",
     {0},
     {{"HOME", "/h"}, {"AWS_PROFILE", "ar"}, {NULL, NULL}},
     {{"/h/.aws/config", "[profile ar]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = d\n"},
      {NULL, NULL}},
     NULL,
     SA_EINVAL,
     NULL,
     NULL,
     NULL,
     "profile 'ar': its source_profile 'd' is not in /h/.aws/credentials or /h/.aws/config"},
    {"SSO profile whose sso-session section is missing",
     {0},
     {{"HOME", "/h"}, {"AWS_PROFILE", "sso"}, {NULL, NULL}},
     {{"/h/.aws/config", "[profile sso]\nsso_session = s\nsso_account_id = 1\n"}, {NULL, NULL}},
     NULL,
     SA_EINVAL,
     NULL,
     NULL,
     NULL,
     "profile 'sso' names sso_session 's', but /h/.aws/config has no [sso-session s] section"},
    {"profile half configured",
     {0},
     {{"HOME", "/h"}, {NULL, NULL}},
     {{"/h/.aws/credentials", "[default]\naws_access_key_id = AKIA_HALF\n"}, {NULL, NULL}},
     NULL,
     SA_EINVAL,
     NULL,
     NULL,
     NULL,
     "has aws_access_key_id but not aws_secret_access_key"},
    {"nothing anywhere",
     {0},
     {{"HOME", "/h"}, {"AWS_EC2_METADATA_DISABLED", "true"}, {NULL, NULL}},
     {{"/h/.aws/config", "[default]\nregion = eu-west-1\n"}, {NULL, NULL}},
     NULL,
     SA_ENOTFOUND,
     NULL,
     NULL,
     NULL,
     "no AWS credentials found; tried provider config: no accessKey/secretKey; environment: "
     "AWS_ACCESS_KEY_ID is not set; web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set; shared "
     "files: profile 'default' has no credentials; "
     "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/_FULL_URI not set; EC2 instance "
     "metadata: disabled by AWS_EC2_METADATA_DISABLED"},
    {"skip metadata",
     {NULL, NULL, NULL, true},
     {{NULL, NULL}},
     {{NULL, NULL}},
     NULL,
     SA_ENOTFOUND,
     NULL,
     NULL,
     NULL,
     "EC2 instance metadata: skipped by the provider config"},
};

static bool contains_secret(const char *s)
{
    return strstr(s, SECRET_A) != NULL || strstr(s, SECRET_B) != NULL;
}

static void test_chain(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const chain_case *c = &cases[i];
        fake_env env;
        fake_transport t;
        sa_aws_shared_config shared = {0};
        sa_aws_credentials creds = {0};
        sa_error err = {0};
        sa_aws_credentials_ctx ctx = {0};
        int rc;

        fake_env_init(&env, c->vars, c->files);
        fake_transport_init(&t, NULL, 0);
        assert_int_equal(sa_aws_shared_config_load(&shared, c->profile, NULL, NULL, &env.env, &err),
                         SA_OK);
        ctx.env = &env.env;
        ctx.shared = &shared;
        ctx.transport = &t.seam;
        ctx.now = NOW;
        rc = sa_aws_credentials_resolve(&creds, &c->settings, &ctx, &err);
        if (rc != c->want_rc)
            fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->want_rc, err.message);
        if (rc == SA_OK) {
            if (strcmp(creds.access_key_id, c->want_key) != 0 ||
                strcmp(creds.secret_access_key, c->want_secret) != 0 ||
                (c->want_token == NULL) != (creds.session_token == NULL) ||
                (c->want_token && strcmp(creds.session_token, c->want_token) != 0) ||
                strcmp(creds.source, c->want_source) != 0)
                fail_msg("%s: got %s from %s", c->name, creds.access_key_id, creds.source);
        } else if (strstr(err.message, c->want_source) == NULL) {
            fail_msg("%s: message '%s' lacks '%s'", c->name, err.message, c->want_source);
        }
        if (contains_secret(err.message))
            fail_msg("%s: a secret leaked into '%s'", c->name, err.message);
        /* the chain never asked the network when a local source answered or IMDS was off */
        assert_int_equal(t.request_count, 0);
        sa_aws_credentials_dispose(&creds);
        sa_aws_shared_config_dispose(&shared);
        fake_transport_dispose(&t);
    }
}

/* ---- container endpoint ------------------------------------------------------------------ */

static int run_remote(sa_aws_credentials *out, fake_transport *t, const fake_var *vars,
                      const fake_file *files, sa_error *err)
{
    fake_env env;
    sa_aws_credentials_ctx ctx = {0};
    sa_aws_credentials_settings s = {0};
    int rc;

    fake_env_init(&env, vars, files);
    ctx.env = &env.env;
    ctx.transport = &t->seam;
    ctx.now = NOW;
    rc = sa_aws_credentials_resolve(out, &s, &ctx, err);
    return rc;
}

static const char container_json[] =
    "{\"AccessKeyId\":\"ASIA_CONTAINER\",\"SecretAccessKey\":\"" SECRET_A "\","
    "\"Token\":\"tokC\",\"Expiration\":\"2015-08-30T18:36:00Z\"}";

static void test_container_relative(void **state)
{
    static const fake_var vars[] = {
        {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc?x=1"},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-token"},
        {NULL, NULL}};
    fake_reply replies[] = {{SA_OK, 200, NULL, container_json}};
    fake_transport t;
    sa_aws_credentials c = {0};
    sa_error err = {0};
    (void)state;

    fake_transport_init(&t, replies, 1);
    assert_int_equal(run_remote(&c, &t, vars, NULL, &err), SA_OK);
    assert_int_equal(t.request_count, 1);
    assert_string_equal(t.requests[0].method, "GET");
    assert_string_equal(t.requests[0].url, "http://169.254.170.2/v2/credentials/abc?x=1");
    assert_string_equal(sa_aws_headers_get(&t.requests[0].headers, "Authorization"), "auth-token");
    assert_true(t.requests[0].timeout_ms > 0 && t.requests[0].timeout_ms <= 2000);
    assert_string_equal(c.access_key_id, "ASIA_CONTAINER");
    assert_string_equal(c.session_token, "tokC");
    assert_int_equal(c.expiration, NOW + 6 * 3600);
    assert_string_equal(c.source, "container credentials endpoint");
    sa_aws_credentials_dispose(&c);
    fake_transport_dispose(&t);
}

static void test_container_full_uri(void **state)
{
    static const fake_var ok_vars[] = {
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:51679/creds"},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/var/run/token"},
        {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored"},
        {NULL, NULL}};
    static const fake_file files[] = {{"/var/run/token", "file-token\n"}, {NULL, NULL}};
    static const fake_var bad_host[] = {
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.1/creds"}, {NULL, NULL}};
    static const fake_var https_ok[] = {
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://creds.example.test/x"}, {NULL, NULL}};
    fake_reply replies[] = {{SA_OK, 200, NULL, container_json}};
    fake_reply fail[] = {{SA_OK, 500, NULL, ""}, {SA_EIO, 0, NULL, NULL}, {SA_OK, 403, NULL, ""}};
    fake_transport t;
    sa_aws_credentials c = {0};
    sa_error err = {0};
    (void)state;

    fake_transport_init(&t, replies, 1);
    assert_int_equal(run_remote(&c, &t, ok_vars, files, &err), SA_OK);
    assert_string_equal(t.requests[0].url, "http://127.0.0.1:51679/creds");
    assert_string_equal(sa_aws_headers_get(&t.requests[0].headers, "Authorization"), "file-token");
    sa_aws_credentials_dispose(&c);
    fake_transport_dispose(&t);

    fake_transport_init(&t, replies, 1);
    assert_int_equal(run_remote(&c, &t, bad_host, NULL, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https"));
    assert_int_equal(t.request_count, 0);

    fake_transport_init(&t, fail, 3);
    assert_int_equal(run_remote(&c, &t, https_ok, NULL, &err), SA_EIO);
    assert_int_equal(t.request_count, 3); /* 500 and a connection error are retried, 403 is not */
    assert_non_null(strstr(err.message, "returned HTTP 403"));
    fake_transport_dispose(&t);
}

static void test_container_bad_answers(void **state)
{
    static const fake_var vars[] = {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}, {NULL, NULL}};
    fake_reply not_json[] = {{SA_OK, 200, NULL, "<html>"}};
    fake_reply no_keys[] = {{SA_OK, 200, NULL, "{\"Token\":\"t\"}"}};
    fake_reply expired[] = {{SA_OK, 200, NULL,
                             "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET_B "\","
                             "\"Expiration\":\"2015-08-30T12:00:00Z\"}"}};
    fake_transport t;
    sa_aws_credentials c = {0};
    sa_error err = {0};
    (void)state;

    fake_transport_init(&t, not_json, 1);
    assert_int_equal(run_remote(&c, &t, vars, NULL, &err), SA_EIO);
    assert_non_null(strstr(err.message, "not JSON"));
    fake_transport_dispose(&t);
    fake_transport_init(&t, no_keys, 1);
    assert_int_equal(run_remote(&c, &t, vars, NULL, &err), SA_EIO);
    assert_non_null(strstr(err.message, "no AccessKeyId"));
    fake_transport_dispose(&t);
    fake_transport_init(&t, expired, 1);
    assert_int_equal(run_remote(&c, &t, vars, NULL, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "have expired"));
    assert_false(contains_secret(err.message));
    fake_transport_dispose(&t);
}

/* ---- EC2 instance metadata --------------------------------------------------------------- */

static void test_imds_v2(void **state)
{
    static const fake_var vars[] = {{NULL, NULL}};
    fake_reply replies[] = {
        {SA_OK, 200, NULL, "imds-session-token"},
        {SA_OK, 200, NULL, "my-role\n"},
        {SA_OK, 200, NULL,
         "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIA_IMDS\","
         "\"SecretAccessKey\":\"" SECRET_B "\",\"Token\":\"tokI\","
         "\"Expiration\":\"2015-08-30T13:36:00Z\"}"},
    };
    fake_transport t;
    sa_aws_credentials c = {0};
    sa_error err = {0};
    (void)state;

    fake_transport_init(&t, replies, 3);
    assert_int_equal(run_remote(&c, &t, vars, NULL, &err), SA_OK);
    assert_int_equal(t.request_count, 3);
    assert_string_equal(t.requests[0].method, "PUT");
    assert_string_equal(t.requests[0].url, "http://169.254.169.254/latest/api/token");
    assert_string_equal(
        sa_aws_headers_get(&t.requests[0].headers, "X-aws-ec2-metadata-token-ttl-seconds"),
        "21600");
    assert_string_equal(t.requests[1].url,
                        "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
    assert_string_equal(sa_aws_headers_get(&t.requests[1].headers, "X-aws-ec2-metadata-token"),
                        "imds-session-token");
    assert_string_equal(t.requests[2].url,
                        "http://169.254.169.254/latest/meta-data/iam/security-credentials/my-role");
    for (size_t i = 0; i < 3; i++) {
        assert_true(t.requests[i].connect_timeout_ms <= 1000);
        assert_true(t.requests[i].timeout_ms <= 1000);
    }
    assert_string_equal(c.access_key_id, "ASIA_IMDS");
    assert_string_equal(c.session_token, "tokI");
    assert_string_equal(c.source, "EC2 instance metadata");
    sa_aws_credentials_dispose(&c);
    fake_transport_dispose(&t);
}

static void test_imds_unavailable(void **state)
{
    static const fake_var vars[] = {{"HOME", "/h"}, {NULL, NULL}};
    static const fake_var ipv6[] = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"},
                                    {NULL, NULL}};
    static const fake_var custom[] = {
        {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338/"}, {NULL, NULL}};
    static const fake_var bad[] = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "nope"}, {NULL, NULL}};
    fake_reply timeout[] = {{SA_ETIMEOUT, 0, NULL, NULL}};
    fake_reply no_role[] = {{SA_OK, 200, NULL, "tok"}, {SA_OK, 404, NULL, ""}};
    fake_reply forbidden[] = {{SA_OK, 403, NULL, ""}};
    fake_transport t;
    sa_aws_credentials c = {0};
    sa_error err = {0};
    (void)state;

    fake_transport_init(&t, timeout, 1);
    assert_int_equal(run_remote(&c, &t, vars, NULL, &err), SA_ENOTFOUND);
    assert_non_null(strstr(err.message, "EC2 instance metadata: no answer from "
                                        "http://169.254.169.254"));
    fake_transport_dispose(&t);

    fake_transport_init(&t, no_role, 2);
    assert_int_equal(run_remote(&c, &t, ipv6, NULL, &err), SA_ENOTFOUND);
    assert_string_equal(t.requests[0].url, "http://[fd00:ec2::254]/latest/api/token");
    assert_non_null(strstr(err.message, "no IAM role is attached"));
    fake_transport_dispose(&t);

    fake_transport_init(&t, forbidden, 1);
    assert_int_equal(run_remote(&c, &t, custom, NULL, &err), SA_ENOTFOUND);
    assert_string_equal(t.requests[0].url, "http://127.0.0.1:1338/latest/api/token");
    assert_non_null(strstr(err.message, "the token request returned HTTP 403"));
    fake_transport_dispose(&t);

    fake_transport_init(&t, forbidden, 1);
    assert_int_equal(run_remote(&c, &t, bad, NULL, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "AWS_EC2_METADATA_SERVICE_ENDPOINT"));
    fake_transport_dispose(&t);
}

static void test_cancelled_chain(void **state)
{
    fake_env env;
    atomic_bool cancelled;
    sa_aws_credentials_ctx ctx = {0};
    sa_aws_credentials c = {0};
    sa_error err = {0};
    (void)state;

    atomic_init(&cancelled, true);
    fake_env_init(&env, NULL, NULL);
    ctx.env = &env.env;
    ctx.cancelled = &cancelled;
    assert_int_equal(sa_aws_credentials_resolve(&c, NULL, &ctx, &err), SA_ECANCELLED);
}

/* ---- credential_process ------------------------------------------------------------------ */

static char proc_dir[64]; /* the scripts' folder, made by proc_setup */

typedef struct proc_script {
    const char *name; /* under proc_dir */
    const char *body; /* after "#!/bin/sh\n" */
} proc_script;

#define PROC_JSON(fields) "cat <<'EOF'\n{\"Version\": 1, " fields "}\nEOF\n"

static const proc_script proc_scripts[] = {
    {"good.sh", PROC_JSON("\"AccessKeyId\": \"AKIA_PROC\", \"SecretAccessKey\": \"" SECRET_A "\"")},
    {"full.sh", PROC_JSON("\"AccessKeyId\": \"ASIA_PROC\", \"SecretAccessKey\": \"" SECRET_B "\", "
                          "\"SessionToken\": \"tokP\", \"Expiration\": \"2015-08-30T18:36:00Z\"")},
    {"nulls.sh", PROC_JSON("\"AccessKeyId\": \"AKIA_PROC\", \"SecretAccessKey\": \"" SECRET_A "\", "
                           "\"SessionToken\": null, \"Expiration\": null")},
    {"with space/args.sh",
     "[ \"$#\" = 4 ] && [ \"$1\" = 'a b' ] && [ \"$2\" = 'c\"d' ] && [ \"$3\" = 'e f' ] &&\n"
     "  [ \"$4\" = 'g\\h' ] || { echo \"args.sh: unexpected arguments ($#)\" >&2; exit 9; "
     "}\n" PROC_JSON("\"AccessKeyId\": \"AKIA_ARGS\", \"SecretAccessKey\": \"" SECRET_A "\"")},
    {"v2.sh", "cat <<'EOF'\n{\"Version\": 2, \"AccessKeyId\": \"AKIA_PROC\", "
              "\"SecretAccessKey\": \"" SECRET_A "\"}\nEOF\n"},
    {"noversion.sh",
     "cat <<'EOF'\n{\"AccessKeyId\": \"AKIA_PROC\", \"SecretAccessKey\": \"" SECRET_A "\"}\nEOF\n"},
    {"badjson.sh", "printf '%s' '{\"Version\": 1, \"AccessKeyId\": \"AKIA_PROC\", "
                   "\"SecretAccessKey\": \"" SECRET_A "\"'\n"},
    {"noak.sh", PROC_JSON("\"SecretAccessKey\": \"" SECRET_A "\"")},
    {"nosk.sh", PROC_JSON("\"AccessKeyId\": \"AKIA_PROC\"")},
    {"fail.sh", "echo 'helper: please log in again' >&2\nexit 3\n"},
    {"signal.sh", "kill -9 $$\n"},
    {"expired.sh",
     PROC_JSON("\"AccessKeyId\": \"AKIA_PROC\", \"SecretAccessKey\": \"" SECRET_A "\", "
               "\"Expiration\": \"2015-08-30T12:00:00Z\"")},
    {"badexp.sh",
     PROC_JSON("\"AccessKeyId\": \"AKIA_PROC\", \"SecretAccessKey\": \"" SECRET_A "\", "
               "\"Expiration\": \"tomorrow\"")},
    /* exactly SA_AWS_CREDENTIAL_PROCESS_OUTPUT_MAX bytes (spaces, then the JSON), and one more */
    {"max.sh", "j='{\"Version\": 1, \"AccessKeyId\": \"AKIA_MAX\", \"SecretAccessKey\": \"" SECRET_A
               "\"}'\nhead -c $((65536 - ${#j})) /dev/zero | tr '\\000' ' '\nprintf '%s' \"$j\"\n"},
    {"over.sh",
     "j='{\"Version\": 1, \"AccessKeyId\": \"AKIA_MAX\", \"SecretAccessKey\": \"" SECRET_A
     "\"}'\nhead -c $((65537 - ${#j})) /dev/zero | tr '\\000' ' '\nprintf '%s' \"$j\"\n"},
    {"sleep.sh", "exec sleep 10\n"},
    {"stdin.sh", "if read -r line; then exit 4; fi\n" PROC_JSON(
                     "\"AccessKeyId\": \"AKIA_STDIN\", \"SecretAccessKey\": \"" SECRET_A "\"")},
};

static int proc_setup(void **state)
{
    char path[256];
    (void)state;

    snprintf(proc_dir, sizeof(proc_dir), "/tmp/sa_credproc_XXXXXX");
    if (mkdtemp(proc_dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/with space", proc_dir);
    if (mkdir(path, 0700) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(proc_scripts) / sizeof(proc_scripts[0]); i++) {
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", proc_dir, proc_scripts[i].name);
        f = fopen(path, "w");
        if (f == NULL)
            return -1;
        fprintf(f, "#!/bin/sh\n%s", proc_scripts[i].body);
        if (fclose(f) != 0 || chmod(path, 0700) != 0)
            return -1;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int proc_teardown(void **state)
{
    (void)state;
    return nftw(proc_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Resolves the chain for profile 'team' of the given config (a format with one %s, the scripts'
 * folder) and credentials file (may be NULL). */
static int run_process_profile(sa_aws_credentials *out, const char *config_fmt,
                               const char *credentials, long timeout_ms,
                               const atomic_bool *cancelled, sa_error *err)
{
    char config[1024];
    fake_var vars[] = {{"HOME", "/h"},
                       {"AWS_PROFILE", "team"},
                       {"AWS_EC2_METADATA_DISABLED", "true"},
                       {NULL, NULL}};
    fake_file files[] = {{"/h/.aws/config", config},
                         {credentials ? "/h/.aws/credentials" : NULL, credentials},
                         {NULL, NULL}};
    fake_env env;
    sa_aws_shared_config shared = {0};
    sa_aws_credentials_ctx ctx = {0};
    sa_aws_credentials_settings s = {0};
    int rc;

    snprintf(config, sizeof(config), config_fmt, proc_dir);
    fake_env_init(&env, vars, files);
    rc = sa_aws_shared_config_load(&shared, NULL, NULL, NULL, &env.env, err);
    if (rc != SA_OK)
        return rc;
    ctx.env = &env.env;
    ctx.shared = &shared;
    ctx.now = NOW;
    ctx.cancelled = cancelled;
    ctx.process_timeout_ms = timeout_ms;
    rc = sa_aws_credentials_resolve(out, &s, &ctx, err);
    sa_aws_shared_config_dispose(&shared);
    return rc;
}

#define PROC_SOURCE "profile 'team' (credential_process)"

typedef struct proc_case {
    const char *name;
    const char *config;      /* format: %s is the scripts' folder */
    const char *credentials; /* the credentials file, or NULL */
    int want_rc;
    const char *want_key;
    const char *want_secret;
    const char *want_token;
    time_t want_expiration;
    const char *want; /* the source on success, else a substring of the error */
} proc_case;

static const proc_case proc_cases[] = {
    {"key and secret", "[profile team]\ncredential_process = %s/good.sh\n", NULL, SA_OK,
     "AKIA_PROC", SECRET_A, NULL, 0, PROC_SOURCE},
    {"token and expiration", "[profile team]\ncredential_process = %s/full.sh\n", NULL, SA_OK,
     "ASIA_PROC", SECRET_B, "tokP", NOW + 6 * 3600, PROC_SOURCE},
    {"null SessionToken and Expiration", "[profile team]\ncredential_process = %s/nulls.sh\n", NULL,
     SA_OK, "AKIA_PROC", SECRET_A, NULL, 0, PROC_SOURCE},
    {"quoted arguments with spaces",
     "[profile team]\ncredential_process = \"%s/with space/args.sh\" 'a b' \"c\\\"d\" e\\ f "
     "'g\\h'\n",
     NULL, SA_OK, "AKIA_ARGS", SECRET_A, NULL, 0, PROC_SOURCE},
    {"stdin is /dev/null", "[profile team]\ncredential_process = %s/stdin.sh\n", NULL, SA_OK,
     "AKIA_STDIN", SECRET_A, NULL, 0, PROC_SOURCE},
    {"Version 2 refused", "[profile team]\ncredential_process = %s/v2.sh\n", NULL, SA_EIO, NULL,
     NULL, NULL, 0, "/v2.sh' printed Version 2; only Version 1 is supported"},
    {"no Version", "[profile team]\ncredential_process = %s/noversion.sh\n", NULL, SA_EIO, NULL,
     NULL, NULL, 0, "printed no Version"},
    {"bad JSON", "[profile team]\ncredential_process = %s/badjson.sh\n", NULL, SA_EIO, NULL, NULL,
     NULL, 0, "/badjson.sh' printed something that is not JSON"},
    {"missing AccessKeyId", "[profile team]\ncredential_process = %s/noak.sh\n", NULL, SA_EIO, NULL,
     NULL, NULL, 0, "/noak.sh' printed no AccessKeyId"},
    {"missing SecretAccessKey", "[profile team]\ncredential_process = %s/nosk.sh\n", NULL, SA_EIO,
     NULL, NULL, NULL, 0, "printed no SecretAccessKey"},
    {"non-zero exit", "[profile team]\ncredential_process = %s/fail.sh\n", NULL, SA_EIO, NULL, NULL,
     NULL, 0, "/fail.sh' exited with status 3"},
    {"killed by a signal", "[profile team]\ncredential_process = %s/signal.sh\n", NULL, SA_EIO,
     NULL, NULL, NULL, 0, "/signal.sh' was killed by signal 9"},
    {"expired Expiration", "[profile team]\ncredential_process = %s/expired.sh\n", NULL, SA_EINVAL,
     NULL, NULL, NULL, 0,
     "/expired.sh' printed credentials that expired at "
     "2015-08-30T12:00:00Z"},
    {"unreadable Expiration", "[profile team]\ncredential_process = %s/badexp.sh\n", NULL, SA_EIO,
     NULL, NULL, NULL, 0, "printed an Expiration that is not an ISO 8601 time"},
    {"64 KB of output", "[profile team]\ncredential_process = %s/max.sh\n", NULL, SA_OK, "AKIA_MAX",
     SECRET_A, NULL, 0, PROC_SOURCE},
    {"too much output", "[profile team]\ncredential_process = %s/over.sh\n", NULL, SA_EIO, NULL,
     NULL, NULL, 0, "/over.sh' printed more than 65536 bytes"},
    {"command not found (path)", "[profile team]\ncredential_process = %s/missing-helper --x\n",
     NULL, SA_EIO, NULL, NULL, NULL, 0,
     "/missing-helper' could not be started: No such file or directory"},
    {"command not found (PATH)", "[profile team]\ncredential_process = sa-no-such-helper-4711\n",
     NULL, SA_EIO, NULL, NULL, NULL, 0,
     "credential_process 'sa-no-such-helper-4711' could not be started: No such file or directory"},
    {"unclosed quote", "[profile team]\ncredential_process = \"%s/good.sh\n", NULL, SA_EINVAL, NULL,
     NULL, NULL, 0, "profile 'team': credential_process has an unclosed quote"},
    {"only quotes", "[profile team]\ncredential_process = ''\n", NULL, SA_EIO, NULL, NULL, NULL, 0,
     "credential_process '' could not be started: No such file or directory"},
    /* botocore: SharedCredentialProvider (credentials file) comes before ProcessProvider */
    {"credentials file keys win over credential_process",
     "[profile team]\ncredential_process = %s/fail.sh\n",
     "[team]\naws_access_key_id = AKIA_FILE\naws_secret_access_key = " SECRET_B "\n", SA_OK,
     "AKIA_FILE", SECRET_B, NULL, 0, "profile 'team'"},
    /* ... and ProcessProvider before ConfigProvider (the config file's static keys) */
    {"credential_process wins over config file keys",
     "[profile team]\naws_access_key_id = AKIA_CONFIG\naws_secret_access_key = " SECRET_B
     "\ncredential_process = %s/good.sh\n",
     NULL, SA_OK, "AKIA_PROC", SECRET_A, NULL, 0, PROC_SOURCE},
    {"credential_process in the credentials file", "[profile team]\nregion = eu-west-1\n",
     "[team]\ncredential_process = /bin/false\n", SA_EIO, NULL, NULL, NULL, 0,
     "credential_process '/bin/false' exited with status 1"},
    /* role_arn comes first in botocore's chain (AssumeRoleProvider); without a source it is an
     * error, not an occasion to run the process instead */
    {"role_arn beside credential_process",
     "[profile team]\nrole_arn = arn:aws:iam::1:role/x\ncredential_process = %s/good.sh\n", NULL,
     SA_EINVAL, NULL, NULL, NULL, 0,
     "profile 'team' sets role_arn but neither source_profile nor credential_source"},
};

static void test_process_cases(void **state)
{
    int failed = 0;
    (void)state;

    /* every case runs and every failing one is named */
    for (size_t i = 0; i < sizeof(proc_cases) / sizeof(proc_cases[0]); i++) {
        const proc_case *c = &proc_cases[i];
        sa_aws_credentials creds = {0};
        sa_error err = {0};
        int rc = run_process_profile(&creds, c->config, c->credentials, 0, NULL, &err);
        bool ok = rc == c->want_rc;

        if (ok && rc == SA_OK)
            ok = strcmp(creds.access_key_id, c->want_key) == 0 &&
                 strcmp(creds.secret_access_key, c->want_secret) == 0 &&
                 (c->want_token == NULL) == (creds.session_token == NULL) &&
                 (c->want_token == NULL || strcmp(creds.session_token, c->want_token) == 0) &&
                 creds.expiration == c->want_expiration && strcmp(creds.source, c->want) == 0;
        else if (ok)
            ok = (strstr(err.message, c->want) != NULL ||
                  /* where posix_spawnp cannot report a failed exec (under valgrind, which spawns
                   * by fork and exec), the child exits with 127 */
                  (strstr(c->want, "could not be started") != NULL &&
                   strstr(err.message, "' exited with status 127: the command was not found") !=
                       NULL)) &&
                 strncmp(err.message, "profile 'team'", 14) == 0;
        if (!ok) {
            print_error("FAIL %s: rc %d (want %d), %s / %s\n", c->name, rc, c->want_rc,
                        rc == SA_OK ? creds.source : err.message, c->want);
            failed++;
        }
        if (contains_secret(err.message)) {
            print_error("FAIL %s: a secret leaked into '%s'\n", c->name, err.message);
            failed++;
        }
        sa_aws_credentials_dispose(&creds);
    }
    assert_int_equal(failed, 0);
}

/* Runs fn with our stderr sent to a file, and returns what was written there. */
static void with_stderr_captured(char *text, size_t cap, void (*fn)(void *), void *arg)
{
    char path[128];
    int fd, saved;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/stderr.txt", proc_dir);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    fflush(stderr);
    saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    fn(arg);
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    n = pread(fd, text, cap - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
}

typedef struct proc_call {
    const char *config;
    long timeout_ms;
    const atomic_bool *cancelled;
    int rc;
    sa_error err;
    sa_aws_credentials creds;
} proc_call;

static void do_proc_call(void *arg)
{
    proc_call *p = arg;
    p->rc = run_process_profile(&p->creds, p->config, NULL, p->timeout_ms, p->cancelled, &p->err);
}

static void test_process_stderr_passed_on(void **state)
{
    proc_call call = {"[profile team]\ncredential_process = %s/fail.sh\n", 0, NULL, 0, {0}, {0}};
    char text[4096];
    (void)state;

    with_stderr_captured(text, sizeof(text), do_proc_call, &call);
    assert_int_equal(call.rc, SA_EIO);
    assert_non_null(strstr(text, "helper: please log in again"));
    assert_non_null(strstr(call.err.message, "exited with status 3"));
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_process_timeout(void **state)
{
    sa_aws_credentials creds = {0};
    sa_error err = {0};
    int64_t t0 = mono_ms();
    (void)state;

    assert_int_equal(run_process_profile(&creds,
                                         "[profile team]\ncredential_process = %s/sleep.sh\n", NULL,
                                         300, NULL, &err),
                     SA_ETIMEOUT);
    assert_true(mono_ms() - t0 < 5000);
    assert_non_null(strstr(err.message, "/sleep.sh' did not finish within 300 ms and was killed"));
}

typedef struct raiser {
    atomic_bool *flag;
    long after_ms;
} raiser;

static void *raise_later(void *p)
{
    raiser *r = p;
    struct timespec ts = {r->after_ms / 1000, (r->after_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    atomic_store(r->flag, true);
    return NULL;
}

static void test_process_cancelled(void **state)
{
    atomic_bool cancelled;
    raiser r = {&cancelled, 200};
    pthread_t th;
    sa_aws_credentials creds = {0};
    sa_error err = {0};
    int64_t t0 = mono_ms();
    (void)state;

    atomic_init(&cancelled, false);
    assert_int_equal(pthread_create(&th, NULL, raise_later, &r), 0);
    assert_int_equal(run_process_profile(&creds,
                                         "[profile team]\ncredential_process = %s/sleep.sh\n", NULL,
                                         0, &cancelled, &err),
                     SA_ECANCELLED);
    pthread_join(th, NULL);
    assert_true(mono_ms() - t0 < 5000);
    assert_non_null(strstr(err.message, "profile 'team'"));
}

/* sa_aws_split_command_line against Python's shlex.split (the expected words were produced by
 * shlex.split itself, Python 3.11). */
typedef struct split_case {
    const char *line;
    const char *words[5];
    size_t count;
} split_case;

static const split_case split_cases[] = {
    {"helper", {"helper"}, 1},
    {"  /usr/bin/helper   --profile   dev  ", {"/usr/bin/helper", "--profile", "dev"}, 3},
    {"a\011b\012c\015d", {"a", "b", "c", "d"}, 4},
    {"\"/opt/my tools/helper\" --name \"a b\"", {"/opt/my tools/helper", "--name", "a b"}, 3},
    {"'it''s' x", {"its", "x"}, 2},
    {"a'b c'd", {"ab cd"}, 1},
    {"\"c\\\"d\" \"e\\\\f\" \"g\\h\" \"\\$x\"", {"c\"d", "e\\f", "g\\h", "\\$x"}, 4},
    {"e\\ f g\\\\h \\'q\\' \\\"r\\\"", {"e f", "g\\h", "'q'", "\"r\""}, 4},
    {"'single \\ kept' 'with \\\"'", {"single \\ kept", "with \\\""}, 2},
    {"'' \\\"\\\" x", {"", "\"\"", "x"}, 3},
    {"a''", {"a"}, 1},
    {"a#b # c ;d", {"a#b", "#", "c", ";d"}, 4},
    {"$HOME `id` ~/x *.json", {"$HOME", "`id`", "~/x", "*.json"}, 4},
    {"\303\251t\303\251 caf\303\251", {"\303\251t\303\251", "caf\303\251"}, 2},
    {"a\013b\014c", {"a\013b\014c"}, 1},
    {"", {NULL}, 0},
    {"   ", {NULL}, 0},
};

static void test_split_command_line(void **state)
{
    static const char *const bad[] = {"\"abc", "'abc", "abc\\", "\"abc\\", "a 'b", "\"a\\\""};
    (void)state;

    for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
        const split_case *c = &split_cases[i];
        char **argv = NULL;
        size_t argc = 99;
        sa_error err = {0};

        if (sa_aws_split_command_line(&argv, &argc, c->line, "cmd", &err) != SA_OK)
            fail_msg("case %zu: %s", i, err.message);
        if (argc != c->count)
            fail_msg("case %zu: %zu words, want %zu", i, argc, c->count);
        for (size_t j = 0; j < argc; j++) {
            if (strcmp(argv[j], c->words[j]) != 0)
                fail_msg("case %zu word %zu: '%s', want '%s'", i, j, argv[j], c->words[j]);
        }
        assert_null(argv[argc]);
        free(argv);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char **argv = NULL;
        size_t argc = 0;
        sa_error err = {0};

        assert_int_equal(sa_aws_split_command_line(&argv, &argc, bad[i], "cmd", &err), SA_EINVAL);
        assert_true(strncmp(err.message, "cmd ", 4) == 0);
        assert_null(argv);
    }
}

static void test_iso8601(void **state)
{
    time_t t = 0;
    (void)state;
    assert_int_equal(sa_aws_parse_iso8601(&t, "2015-08-30T12:36:00Z"), SA_OK);
    assert_int_equal(t, NOW);
    assert_int_equal(sa_aws_parse_iso8601(&t, "2015-08-30T12:36:00.123456Z"), SA_OK);
    assert_int_equal(t, NOW);
    assert_int_equal(sa_aws_parse_iso8601(&t, "2015-08-30T14:36:00+02:00"), SA_OK);
    assert_int_equal(t, NOW);
    assert_int_not_equal(sa_aws_parse_iso8601(&t, "2015-08-30"), SA_OK);
    assert_int_not_equal(sa_aws_parse_iso8601(&t, "2015-13-30T12:36:00Z"), SA_OK);
    assert_int_not_equal(sa_aws_parse_iso8601(&t, "2015-08-30T12:36:00"), SA_OK);
    assert_int_not_equal(sa_aws_parse_iso8601(&t, NULL), SA_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_container_relative),
        cmocka_unit_test(test_container_full_uri),
        cmocka_unit_test(test_container_bad_answers),
        cmocka_unit_test(test_imds_v2),
        cmocka_unit_test(test_imds_unavailable),
        cmocka_unit_test(test_cancelled_chain),
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_split_command_line),
        cmocka_unit_test_setup_teardown(test_process_cases, proc_setup, proc_teardown),
        cmocka_unit_test_setup_teardown(test_process_stderr_passed_on, proc_setup, proc_teardown),
        cmocka_unit_test_setup_teardown(test_process_timeout, proc_setup, proc_teardown),
        cmocka_unit_test_setup_teardown(test_process_cancelled, proc_setup, proc_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
