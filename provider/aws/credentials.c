/*
 * The credential chain and its local sources: provider config, environment and shared files (see
 * credentials.h). The two HTTP sources, container endpoint and instance metadata, are in
 * credentials_remote.c; a profile's credential_process is run by credentials_process.c.
 */
#include "aws/credentials.h"
#include "base/util.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/buf.h"
#include "base/alloc.h"
#include "base/platform.h"

void sa_aws_credentials_dispose(sa_aws_credentials *c)
{
    if (c == NULL)
        return;
    sa_wipe_free(c->access_key_id);
    sa_wipe_free(c->secret_access_key);
    sa_wipe_free(c->session_token);
    OPENSSL_cleanse(c, sizeof(*c));
    memset(c, 0, sizeof(*c));
}

int sa_aws_credentials_set(sa_aws_credentials *out, const char *access_key_id,
                           const char *secret_access_key, const char *session_token,
                           time_t expiration, const char *source, sa_error *err)
{
    sa_aws_credentials c = {0};

    c.access_key_id = sa_strdup(access_key_id);
    c.secret_access_key = sa_strdup(secret_access_key);
    if (session_token != NULL && session_token[0] != '\0')
        c.session_token = sa_strdup(session_token);
    if (c.access_key_id == NULL || c.secret_access_key == NULL ||
        (session_token != NULL && session_token[0] != '\0' && c.session_token == NULL)) {
        sa_aws_credentials_dispose(&c);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    c.expiration = expiration;
    snprintf(c.source, sizeof(c.source), "%s", source);
    *out = c;
    return SA_OK;
}

int sa_aws_credentials_copy(sa_aws_credentials *out, const sa_aws_credentials *src, sa_error *err)
{
    return sa_aws_credentials_set(out, src->access_key_id, src->secret_access_key,
                                  src->session_token, src->expiration, src->source, err);
}

static bool present(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* Key ids and secrets go into an HTTP header: no whitespace or control characters. */
static bool header_safe(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x21 || (unsigned char)*s == 0x7f)
            return false;
    }
    return true;
}

int sa_aws_credentials_set_checked(sa_aws_credentials *out, const char *ak, const char *sk,
                                   const char *tok, time_t expiration, const char *source,
                                   sa_error *err)
{
    if (!header_safe(ak) || !header_safe(sk) || (tok != NULL && !header_safe(tok)))
        return sa_error_set(err, SA_EINVAL,
                            "credentials from %s contain whitespace or control characters", source);
    return sa_aws_credentials_set(out, ak, sk, tok, expiration, source, err);
}

int sa_aws_credentials_from_settings(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                                     sa_error *err)
{
    if (s == NULL || (!present(s->access_key_id) && !present(s->secret_access_key))) {
        if (s != NULL && present(s->session_token))
            return sa_error_set(err, SA_EINVAL,
                                "the provider config sets token but not accessKey and secretKey");
        return sa_error_set(err, SA_ENOTFOUND, "provider config: no accessKey/secretKey");
    }
    if (!present(s->access_key_id))
        return sa_error_set(err, SA_EINVAL, "the provider config sets secretKey but not accessKey");
    if (!present(s->secret_access_key))
        return sa_error_set(err, SA_EINVAL, "the provider config sets accessKey but not secretKey");
    return sa_aws_credentials_set_checked(out, s->access_key_id, s->secret_access_key,
                                          s->session_token, 0, "provider config", err);
}

int sa_aws_credentials_from_env(sa_aws_credentials *out, const sa_aws_env *env, sa_error *err)
{
    const char *ak = sa_aws_env_get(env, "AWS_ACCESS_KEY_ID");
    const char *sk = sa_aws_env_get(env, "AWS_SECRET_ACCESS_KEY");

    if (ak == NULL && sk == NULL)
        return sa_error_set(err, SA_ENOTFOUND, "environment: AWS_ACCESS_KEY_ID is not set");
    if (ak == NULL)
        return sa_error_set(err, SA_EINVAL,
                            "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    if (sk == NULL)
        return sa_error_set(err, SA_EINVAL,
                            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    return sa_aws_credentials_set_checked(out, ak, sk, sa_aws_env_get(env, "AWS_SESSION_TOKEN"), 0,
                                          "environment", err);
}

/* The order inside a profile is botocore's (credentials.py, CredentialResolver): its
 * SharedCredentialProvider (static keys of the credentials file) comes before ProcessProvider
 * (credential_process, from either file, the credentials file winning), which comes before
 * ConfigProvider (static keys of the config file). So static keys in the credentials file win
 * over credential_process, and credential_process wins over static keys in the config file. */
int sa_aws_credentials_from_profile(sa_aws_credentials *out, const sa_aws_credentials_ctx *ctx,
                                    sa_error *err)
{
    const sa_aws_shared_config *shared = ctx->shared;
    const char *name;
    const char *ak;
    const char *sk;
    const char *process;
    char source[96];
    bool explicit_profile;
    int rc;

    if (shared == NULL || shared->profile_name == NULL)
        return sa_error_set(err, SA_ENOTFOUND, "shared files: not consulted");
    name = shared->profile_name;
    explicit_profile = strcmp(shared->profile_from, "default") != 0;
    if (!sa_aws_shared_config_has_profile(shared)) {
        if (explicit_profile)
            return sa_error_set(
                err, SA_EINVAL, "profile '%.64s' (from %s) is not in %s or %s", name,
                shared->profile_from,
                shared->credentials_path ? shared->credentials_path : "(no HOME or USERPROFILE)",
                shared->config_path ? shared->config_path : "(no HOME or USERPROFILE)");
        return sa_error_set(err, SA_ENOTFOUND, "shared files: no profile '%.64s' in %s or %s", name,
                            shared->credentials_path ? shared->credentials_path
                                                     : "(no HOME or USERPROFILE)",
                            shared->config_path ? shared->config_path : "(no HOME or USERPROFILE)");
    }
    process = sa_aws_shared_config_get(shared, "credential_process");
    ak = sa_aws_shared_config_get(shared, "aws_access_key_id");
    sk = sa_aws_shared_config_get(shared, "aws_secret_access_key");
    snprintf(source, sizeof(source), "profile '%.64s'", name);
    /* botocore's SSOProvider (sso_account_id, sso_role_name) comes before the profile's static
     * keys and credential_process */
    rc = sa_aws_credentials_from_sso(out, name, ctx, err);
    if (rc != SA_ENOTFOUND)
        return rc;
    /* with a credential_process, only the credentials file's static keys come first */
    if (process == NULL || sa_aws_profile_get(sa_aws_profile_file_find(&shared->credentials, name),
                                              "aws_access_key_id") != NULL) {
        if (ak != NULL && sk != NULL)
            return sa_aws_credentials_set_checked(
                out, ak, sk, sa_aws_shared_config_get(shared, "aws_session_token"), 0, source, err);
        if (ak != NULL || sk != NULL)
            return sa_error_set(err, SA_EINVAL, "profile '%.64s' has %s but not %s", name,
                                ak ? "aws_access_key_id" : "aws_secret_access_key",
                                ak ? "aws_secret_access_key" : "aws_access_key_id");
    }
    if (process != NULL)
        return sa_aws_credentials_from_process(out, name, process, ctx, err);
    return sa_error_set(err, SA_ENOTFOUND, "shared files: profile '%.64s' has no credentials",
                        name);
}

typedef int (*source_fn)(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                         const sa_aws_credentials_ctx *ctx, sa_error *err);

static int src_settings(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                        const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    (void)ctx;
    return sa_aws_credentials_from_settings(out, s, err);
}

/* A profile chosen explicitly (secureapi:profile, like botocore's Session(profile=...)) takes the
 * environment's keys out of the chain, so the profile is what signs; AWS_PROFILE does not. The
 * environment stays readable as a role profile's credential_source = Environment. */
static bool profile_chosen_by_config(const sa_aws_credentials_ctx *ctx)
{
    return ctx->shared != NULL && ctx->shared->profile_from != NULL &&
           strcmp(ctx->shared->profile_from, "provider config") == 0;
}

static int src_env(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                   const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    (void)s;
    if (profile_chosen_by_config(ctx))
        return sa_error_set(err, SA_ENOTFOUND,
                            "environment: not used, the provider config chooses profile '%.64s'",
                            ctx->shared->profile_name);
    return sa_aws_credentials_from_env(out, ctx->env, err);
}

static int src_role(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                    const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    (void)s;
    return sa_aws_credentials_from_role(out, ctx, err);
}

static int src_profile(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                       const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    (void)s;
    return sa_aws_credentials_from_profile(out, ctx, err);
}

static int src_container(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                         const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    (void)s;
    return sa_aws_credentials_from_container(out, ctx, err);
}

static int src_imds(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                    const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    if (s != NULL && s->skip_metadata)
        return sa_error_set(err, SA_ENOTFOUND,
                            "EC2 instance metadata: skipped by the provider config");
    return sa_aws_credentials_from_imds(out, ctx, err);
}

/* The provider config's roles, in order, on top of the chain's credentials (consumed). */
static int assume_roles(sa_aws_credentials *out, sa_aws_credentials *found,
                        const sa_aws_credentials_settings *s, const sa_aws_credentials_ctx *ctx,
                        sa_error *err)
{
    size_t n = s != NULL ? s->assume_role_count : 0;

    for (size_t i = 0; i < n; i++) {
        sa_aws_credentials next = {0};
        char what[64];
        int rc;

        if (n == 1)
            snprintf(what, sizeof(what), "provider config assumeRole");
        else
            snprintf(what, sizeof(what), "provider config assumeRoles[%zu]", i);
        rc = sa_aws_credentials_assume(&next, found, &s->assume_roles[i], what, ctx, err);
        sa_aws_credentials_dispose(found);
        if (rc != SA_OK)
            return rc;
        *found = next;
    }
    *out = *found;
    return SA_OK;
}

int sa_aws_credentials_resolve(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                               const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    static const source_fn sources[] = {src_settings, src_env,       src_role,
                                        src_profile,  src_container, src_imds};
    sa_aws_buf tried;
    int rc = SA_ENOTFOUND;

    sa_aws_buf_init(&tried, SA_ERROR_MESSAGE_MAX);
    for (size_t i = 0; i < SA_N(sources); i++) {
        sa_error why = {0};
        sa_aws_credentials c = {0};

        if (ctx->cancelled != NULL && atomic_load(ctx->cancelled)) {
            rc = sa_error_set(err, SA_ECANCELLED, "cancelled while looking for AWS credentials");
            goto out;
        }
        rc = sources[i](&c, s, ctx, &why);
        if (rc == SA_OK && c.expiration != 0 && c.expiration <= ctx->now) {
            rc = sa_error_set(err, SA_EINVAL, "the credentials from %s have expired", c.source);
            sa_aws_credentials_dispose(&c);
            goto out;
        }
        if (rc == SA_OK) {
            rc = assume_roles(out, &c, s, ctx, err);
            goto out;
        }
        if (rc != SA_ENOTFOUND) {
            sa_error_set(err, rc, "%s", why.message);
            goto out;
        }
        /* Best effort: a summary cut at the message limit is still useful. */
        (void)sa_aws_buf_printf(&tried, NULL, "%s%s", tried.len ? "; " : "", why.message);
    }
    rc = sa_error_set(err, SA_ENOTFOUND, "no AWS credentials found; tried %s",
                      tried.data ? tried.data : "nothing");
out:
    sa_aws_buf_dispose(&tried);
    return rc;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int sa_aws_parse_iso8601(time_t *out, const char *s)
{
    struct tm tm = {0};
    int year, mon, day, hour, min, sec;
    const char *p;
    long offset = 0;

    if (s == NULL || strlen(s) < 19 || digits(s, 4, &year) || s[4] != '-' ||
        digits(s + 5, 2, &mon) || s[7] != '-' || digits(s + 8, 2, &day) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &hour) ||
        s[13] != ':' || digits(s + 14, 2, &min) || s[16] != ':' || digits(s + 17, 2, &sec))
        return SA_EINVAL;
    p = s + 19;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
            return SA_EINVAL;
        offset = (oh * 3600L + om * 60L) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return SA_EINVAL;
    }
    if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
        sec > 60)
        return SA_EINVAL;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    *out = sa_timegm(&tm) - offset;
    return SA_OK;
}
