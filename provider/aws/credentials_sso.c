/*
 * The IAM Identity Center (SSO) source of a profile (see credentials.h), as botocore's
 * SSOProvider and SSOCredentialFetcher and the SDKs' "IAM Identity Center credential provider": a
 * profile with sso_account_id or sso_role_name takes sso_start_url and sso_region from the
 * [sso-session NAME] section its sso_session names (or from its own legacy sso_* keys), reads the
 * access token the AWS CLI's `aws sso login` left in ~/.aws/sso/cache/<SHA-1 hex of the session
 * name, or of the start URL for a legacy profile>.json, and trades it for role credentials with
 * the portal's GetRoleCredentials (GET /federation/credentials?role_name=&account_id=, the token in
 * the x-amz-sso_bearer_token header, not signed) on portal.sso.<sso_region>.amazonaws.com or
 * AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL. The credentials carry their expiration, so the client
 * comes back here before they expire. A missing, unreadable or expired token, or a token the
 * portal refuses, is an error that names the profile and says to run `aws sso login --profile
 * NAME`; the SSO token is not refreshed here. The token never appears in a message; it, the cache
 * file's text and the portal's answer are wiped after use.
 */
#include "aws/credentials.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/buf.h"
#include "aws/endpoints.h"
#include "aws/errors.h"
#include "aws/services.h"
#include "aws/uri.h"
#include "base/alloc.h"
#include "base/platform.h"
#include "base/util.h"

#define TOKEN_CACHE_MAX ((size_t)64 * 1024) /* a larger cache file is refused */
#define PORTAL_CONNECT_TIMEOUT_MS 10000L
#define PORTAL_TIMEOUT_MS 60000L
#define PORTAL_ATTEMPTS 3     /* a transport failure, 429 or 5xx is tried again */
#define PORTAL_BACKOFF_MS 200 /* then 400 */
#define VALUE_SHOWN_MAX "128" /* characters of a setting's value in messages */

/* The portal is not in the service table: no per-service code calls it, it is not signed, and the
 * table's endpoint settings are checked at configure time for every row. */
static const sa_aws_service sso_portal = {
    "sso", "SSO",        "awsssoportal", "portal.sso", "SSO", SA_AWS_PROTOCOL_REST_JSON,
    NULL,  "2019-06-10", false,
};

/* ---- the profile's settings ---------------------------------------------------------------- */

/* A setting of profile `name`: the credentials file wins over the config file (botocore merges
 * both into one profile). Empty means absent. */
static const char *profile_value(const sa_aws_shared_config *shared, const char *name,
                                 const char *key)
{
    const char *v = sa_aws_profile_get(sa_aws_profile_file_find(&shared->credentials, name), key);
    if (v == NULL)
        v = sa_aws_profile_get(sa_aws_profile_file_find(&shared->config, name), key);
    return (v != NULL && v[0] != '\0') ? v : NULL;
}

typedef struct sso_settings {
    const char *session; /* NULL for a legacy profile */
    const char *start_url;
    const char *region;
    const char *account_id;
    const char *role_name;
} sso_settings;

/* Resolves the profile's settings as botocore's _load_sso_config: SA_ENOTFOUND when it has neither
 * sso_account_id nor sso_role_name. */
static int load_settings(sso_settings *s, const sa_aws_shared_config *shared, const char *name,
                         sa_error *err)
{
    static const char *const session_keys[] = {"sso_start_url", "sso_region"};
    const sa_aws_profile *section = NULL;
    size_t n = 0;
    char missing[160] = "";

    memset(s, 0, sizeof(*s));
    s->account_id = profile_value(shared, name, "sso_account_id");
    s->role_name = profile_value(shared, name, "sso_role_name");
    s->session = profile_value(shared, name, "sso_session");
    s->start_url = profile_value(shared, name, "sso_start_url");
    s->region = profile_value(shared, name, "sso_region");
    if (s->account_id == NULL && s->role_name == NULL) {
        if (s->session != NULL || s->start_url != NULL)
            return sa_error_set(err, SA_ENOTFOUND,
                                "shared files: profile '%.64s' has %s but no sso_account_id or "
                                "sso_role_name",
                                name, s->session ? "sso_session" : "sso_start_url");
        return sa_error_set(err, SA_ENOTFOUND,
                            "shared files: profile '%.64s' is not an SSO profile", name);
    }
    if (s->session != NULL) {
        section = sa_aws_profile_file_find_sso_session(&shared->config, s->session);
        if (section == NULL)
            return sa_error_set(err, SA_EINVAL,
                                "profile '%.64s' names sso_session '%.64s', but %s has no "
                                "[sso-session %.64s] section",
                                name, s->session,
                                shared->config_path ? shared->config_path : "the config file",
                                s->session);
        /* as botocore: every key the session sets must match the profile's, if it has one */
        for (size_t i = 0; i < section->count; i++) {
            const char *key = section->entries[i].key;
            const char *in_session = section->entries[i].value;
            const char *mine = profile_value(shared, name, key);

            if (mine != NULL && strcmp(mine, in_session) != 0)
                return sa_error_set(err, SA_EINVAL,
                                    "profile '%.64s': the value for %.64s is inconsistent between "
                                    "the profile (%." VALUE_SHOWN_MAX "s) and sso-session "
                                    "'%.64s' (%." VALUE_SHOWN_MAX "s)",
                                    name, key, mine, s->session, in_session);
        }
        for (size_t i = 0; i < SA_N(session_keys); i++) {
            const char *in_session = sa_aws_profile_get(section, session_keys[i]);

            if (in_session != NULL && in_session[0] != '\0')
                *(i == 0 ? &s->start_url : &s->region) = in_session;
        }
    }
    {
        const char *const keys[] = {"sso_start_url", "sso_region", "sso_account_id",
                                    "sso_role_name"};
        const char *const values[] = {s->start_url, s->region, s->account_id, s->role_name};

        for (size_t i = 0; i < SA_N(keys); i++) {
            size_t used = strlen(missing);
            if (values[i] != NULL)
                continue;
            snprintf(missing + used, sizeof(missing) - used, "%s%s", n ? ", " : "", keys[i]);
            n++;
        }
    }
    if (n > 0 && s->session != NULL)
        return sa_error_set(err, SA_EINVAL,
                            "profile '%.64s' is configured to use SSO but is missing %s (in the "
                            "profile or its [sso-session %.64s])",
                            name, missing, s->session);
    if (n > 0)
        return sa_error_set(err, SA_EINVAL,
                            "profile '%.64s' is configured to use SSO but is missing %s", name,
                            missing);
    if (!sa_aws_region_valid(s->region))
        return sa_error_set(err, SA_EINVAL,
                            "profile '%.64s': sso_region '%.64s' is not a region name like "
                            "us-east-1",
                            name, s->region);
    return SA_OK;
}

/* ---- the token cache ----------------------------------------------------------------------- */

int sa_aws_sso_cache_file(char **out, const sa_aws_env *env, const char *key, sa_error *err)
{
    const char *home = sa_aws_env_home(env);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    size_t n;

    *out = NULL;
    if (home == NULL)
        return sa_error_set(
            err, SA_EINVAL,
            "neither HOME nor USERPROFILE is set, so the SSO token cache (~/.aws/sso/cache) cannot "
            "be found");
    if (EVP_Digest(key, strlen(key), md, &md_len, EVP_sha1(), NULL) != 1)
        return sa_error_set(err, SA_EINTERNAL, "SHA-1 failed");
    for (unsigned int i = 0; i < md_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    n = strlen(home) + sizeof("/.aws/sso/cache/") + 2 * md_len + sizeof(".json");
    *out = sa_malloc(n);
    if (*out == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    snprintf(*out, n, "%s/.aws/sso/cache/%s.json", home, hex);
    return SA_OK;
}

static void wipe_json(cJSON *item)
{
    for (; item != NULL; item = item->next) {
        if (cJSON_IsString(item) && item->valuestring != NULL)
            OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
        wipe_json(item->child);
    }
}

static bool header_safe(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x21 || (unsigned char)*s == 0x7f)
            return false;
    }
    return true;
}

/* expiresAt as the AWS CLI writes it ("2026-08-30T12:36:00Z"; early CLI v2 releases wrote
 * "2019-11-14T04:05:45UTC", which botocore's dateutil also reads). */
static int parse_expires_at(time_t *out, const char *s)
{
    size_t n = strlen(s);
    char buf[64];

    if (n > 3 && n < sizeof(buf) && strcmp(s + n - 3, "UTC") == 0) {
        snprintf(buf, sizeof(buf), "%.*sZ", (int)(n - 3), s);
        return sa_aws_parse_iso8601(out, buf);
    }
    return sa_aws_parse_iso8601(out, s);
}

/* Reads the access token `aws sso login` cached; every failure says to log in again. */
static int load_token(char **out, const char *profile, const sso_settings *s,
                      const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    const char *key = s->session ? s->session : s->start_url;
    char *path = NULL;
    char *text = NULL;
    size_t len = 0;
    cJSON *doc = NULL;
    const cJSON *tok, *exp;
    time_t expires = 0;
    sa_error why = {0};
    int rc;

    *out = NULL;
    rc = sa_aws_sso_cache_file(&path, ctx->env, key, err);
    if (rc != SA_OK)
        return rc;
    rc = sa_aws_env_read_file(&text, &len, ctx->env, path, TOKEN_CACHE_MAX, &why);
    if (rc == SA_ENOMEM) {
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        goto out;
    }
    if (rc != SA_OK) {
        rc = sa_error_set(err, SA_EINVAL,
                          "profile '%.64s': no SSO token for %s '%." VALUE_SHOWN_MAX
                          "s' (%s); run: aws sso login --profile %.64s",
                          profile, s->session ? "sso-session" : "start URL", key,
                          rc == SA_ENOTFOUND ? "no cache file" : why.message, profile);
        goto out;
    }
    if (memchr(text, '\0', len) == NULL)
        doc = cJSON_ParseWithLength(text, len);
    tok = cJSON_GetObjectItemCaseSensitive(doc, "accessToken");
    exp = cJSON_GetObjectItemCaseSensitive(doc, "expiresAt");
    if (!cJSON_IsObject(doc) || !cJSON_IsString(tok) || tok->valuestring[0] == '\0' ||
        !cJSON_IsString(exp) || parse_expires_at(&expires, exp->valuestring) != SA_OK ||
        !header_safe(tok->valuestring)) {
        rc = sa_error_set(err, SA_EINVAL,
                          "profile '%.64s': the SSO token cache file %s is not readable (JSON "
                          "with accessToken and expiresAt); run: aws sso login --profile %.64s",
                          profile, path, profile);
        goto out;
    }
    if (expires <= ctx->now) {
        struct tm tm;
        char when[32] = "?";

        if (sa_gmtime(&expires, &tm) != NULL)
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        rc = sa_error_set(err, SA_EINVAL,
                          "profile '%.64s': the SSO token expired at %s; run: aws sso login "
                          "--profile %.64s",
                          profile, when, profile);
        goto out;
    }
    *out = sa_strdup(tok->valuestring);
    rc = *out != NULL ? SA_OK : sa_error_set(err, SA_ENOMEM, "out of memory");
out:
    if (doc != NULL)
        wipe_json(doc);
    cJSON_Delete(doc);
    sa_wipe_free_n(text, len);
    free(path);
    return rc;
}

/* ---- GetRoleCredentials -------------------------------------------------------------------- */

static int build_request(sa_aws_http_request *req, const sa_aws_endpoint *ep, const char *token,
                         const sso_settings *s, const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    sa_aws_buf path, query;
    int rc;

    memset(req, 0, sizeof(*req));
    sa_aws_buf_init(&path, SA_AWS_BUF_DEFAULT_MAX);
    sa_aws_buf_init(&query, SA_AWS_BUF_DEFAULT_MAX);
    rc = sa_aws_buf_printf(&path, err, "%s/federation/credentials", ep->base_path);
    if (rc == SA_OK)
        rc = sa_aws_buf_printf(&query, err, "role_name=");
    if (rc == SA_OK)
        rc = sa_aws_uri_encode(&query, s->role_name, strlen(s->role_name), NULL, err);
    if (rc == SA_OK)
        rc = sa_aws_buf_printf(&query, err, "&account_id=");
    if (rc == SA_OK)
        rc = sa_aws_uri_encode(&query, s->account_id, strlen(s->account_id), NULL, err);
    if (rc == SA_OK)
        rc = sa_aws_buf_detach(&req->path, &path, err);
    if (rc == SA_OK)
        rc = sa_aws_buf_detach(&req->query, &query, err);
    if (rc == SA_OK) {
        req->method = sa_strdup("GET");
        req->origin = sa_strdup(ep->origin);
        if (req->method == NULL || req->origin == NULL)
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    if (rc == SA_OK)
        rc = sa_aws_headers_add(&req->headers, "User-Agent", SA_AWS_USER_AGENT, err);
    if (rc == SA_OK)
        rc = sa_aws_headers_add(&req->headers, "x-amz-sso_bearer_token", token, err);
    req->connect_timeout_ms = PORTAL_CONNECT_TIMEOUT_MS;
    req->timeout_ms = PORTAL_TIMEOUT_MS;
    req->cancelled = ctx->cancelled;
    sa_aws_buf_dispose(&path);
    sa_aws_buf_dispose(&query);
    return rc;
}

/* What the portal's error answer means for the user. */
static int portal_error(const sa_aws_http_response *resp, const char *profile, const char *token,
                        const sso_settings *s, sa_error *err)
{
    sa_aws_error e;
    const char *msg;

    sa_aws_error_parse(&e, resp->status, &resp->headers, resp->body, resp->body_len);
    /* never repeat a message that somehow echoes the token */
    msg = strstr(e.message, token) == NULL ? e.message : "(message withheld)";
    if (resp->status == 401 || sa_aws_error_is(&e, "UnauthorizedException") ||
        sa_aws_error_is(&e, "InvalidGrantException") ||
        sa_aws_error_is(&e, "ExpiredTokenException"))
        return sa_error_set(err, SA_EAWS,
                            "profile '%.64s': IAM Identity Center refused the SSO token (%s: %s): "
                            "the SSO session has expired or is otherwise invalid; run: aws sso "
                            "login --profile %.64s",
                            profile, e.code, msg, profile);
    if (resp->status == 403 || sa_aws_error_is(&e, "ForbiddenException") ||
        sa_aws_error_is(&e, "AccessDeniedException"))
        return sa_error_set(err, SA_EAWS,
                            "profile '%.64s': IAM Identity Center gives no access to role "
                            "'%.64s' in account %.20s (%s: %s)",
                            profile, s->role_name, s->account_id, e.code, msg);
    return sa_error_set(err, SA_EAWS,
                        "profile '%.64s': IAM Identity Center GetRoleCredentials failed: HTTP %ld "
                        "%s: %s",
                        profile, resp->status, e.code, msg);
}

static bool retryable(int rc, long status)
{
    if (rc == SA_EIO || rc == SA_ETIMEOUT)
        return true;
    return rc == SA_OK && (status == 429 || status >= 500);
}

static int parse_answer(sa_aws_credentials *out, const sa_aws_http_response *resp,
                        const char *profile, const char *source, sa_error *err)
{
    cJSON *doc = NULL;
    const cJSON *rc_obj, *ak, *sk, *tok, *exp;
    int rc;

    if (resp->body_len > 0 && memchr(resp->body, '\0', resp->body_len) == NULL)
        doc = cJSON_ParseWithLength((const char *)resp->body, resp->body_len);
    rc_obj = cJSON_GetObjectItemCaseSensitive(doc, "roleCredentials");
    ak = cJSON_GetObjectItemCaseSensitive(rc_obj, "accessKeyId");
    sk = cJSON_GetObjectItemCaseSensitive(rc_obj, "secretAccessKey");
    tok = cJSON_GetObjectItemCaseSensitive(rc_obj, "sessionToken");
    exp = cJSON_GetObjectItemCaseSensitive(rc_obj, "expiration");
    if (!cJSON_IsObject(rc_obj) || !cJSON_IsString(ak) || ak->valuestring[0] == '\0' ||
        !cJSON_IsString(sk) || sk->valuestring[0] == '\0' || !cJSON_IsString(tok) ||
        tok->valuestring[0] == '\0')
        rc = sa_error_set(err, SA_EIO,
                          "profile '%.64s': IAM Identity Center GetRoleCredentials answered "
                          "without roleCredentials accessKeyId, secretAccessKey and sessionToken",
                          profile);
    /* NaN fails both comparisons; up to 9999-12-31 */
    else if (!cJSON_IsNumber(exp) ||
             !(exp->valuedouble >= 1000.0 && exp->valuedouble <= 253402300799000.0))
        rc = sa_error_set(err, SA_EIO,
                          "profile '%.64s': IAM Identity Center GetRoleCredentials answered "
                          "without a readable expiration (epoch milliseconds)",
                          profile);
    else /* epoch milliseconds, as botocore's _parse_timestamp; whole seconds, rounded down */
        rc = sa_aws_credentials_set_checked(out, ak->valuestring, sk->valuestring, tok->valuestring,
                                            (time_t)(exp->valuedouble / 1000.0), source, err);
    if (doc != NULL)
        wipe_json(doc);
    cJSON_Delete(doc);
    return rc;
}

static int get_role_credentials(sa_aws_credentials *out, const char *profile, const char *token,
                                const sso_settings *s, const sa_aws_credentials_ctx *ctx,
                                sa_error *err)
{
    sa_aws_endpoint ep = {0};
    sa_aws_http_request req = {0};
    sa_aws_http_response resp = {0};
    char source[96];
    int rc;

    snprintf(source, sizeof(source), "profile '%.64s' (sso)", profile);
    rc = sa_aws_endpoint_resolve(&ep, &sso_portal, s->region, NULL, 0, ctx->env, err);
    if (rc == SA_OK)
        rc = build_request(&req, &ep, token, s, ctx, err);
    if (rc != SA_OK)
        goto out;
    for (int attempt = 1;; attempt++) {
        sa_error terr = {0};

        sa_aws_http_response_dispose(&resp);
        if (ctx->cancelled != NULL && atomic_load(ctx->cancelled)) {
            rc = sa_error_set(err, SA_ECANCELLED,
                              "profile '%.64s': cancelled while asking IAM Identity Center for "
                              "credentials",
                              profile);
            goto out;
        }
        rc = sa_aws_transport_send(ctx->transport, &resp, &req, &terr);
        if (rc == SA_OK && resp.status >= 200 && resp.status < 300)
            break;
        if (attempt < PORTAL_ATTEMPTS && retryable(rc, resp.status)) {
            struct timespec ts = {0, (long)PORTAL_BACKOFF_MS * attempt * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        if (rc == SA_OK)
            rc = portal_error(&resp, profile, token, s, err);
        else
            sa_error_set(err, rc, "profile '%.64s': IAM Identity Center at %s (from %s): %s",
                         profile, ep.origin, ep.source, terr.message);
        goto out;
    }
    rc = parse_answer(out, &resp, profile, source, err);
out:
    sa_aws_http_request_dispose(&req);
    sa_aws_http_response_dispose(&resp);
    sa_aws_endpoint_dispose(&ep);
    return rc;
}

int sa_aws_credentials_from_sso(sa_aws_credentials *out, const char *profile,
                                const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    sso_settings s;
    char *token = NULL;
    int rc;

    if (ctx->shared == NULL)
        return sa_error_set(err, SA_ENOTFOUND, "shared files: not consulted");
    rc = load_settings(&s, ctx->shared, profile, err);
    if (rc != SA_OK)
        return rc;
    if (ctx->transport == NULL)
        return sa_error_set(err, SA_EINVAL,
                            "profile '%.64s' uses IAM Identity Center, but no HTTP transport is "
                            "available",
                            profile);
    rc = load_token(&token, profile, &s, ctx, err);
    if (rc == SA_OK)
        rc = get_role_credentials(out, profile, token, &s, ctx, err);
    sa_wipe_free(token);
    return rc;
}
