/*
 * Role assumption and web identity (see credentials.h), as botocore's AssumeRoleProvider,
 * AssumeRoleWithWebIdentityProvider and CanonicalNameCredentialSourcer and the SDKs' "assume role
 * credential provider": a profile with role_arn gets its source credentials from its
 * source_profile (followed hop by hop, each role hop an STS AssumeRole signed with the previous
 * hop's credentials) or its credential_source, then assumes the role; AWS_ROLE_ARN with
 * AWS_WEB_IDENTITY_TOKEN_FILE (or a profile's role_arn with web_identity_token_file) makes an
 * unsigned AssumeRoleWithWebIdentity with the token read from its file on every call. STS is
 * reached through the caller's transport, at the endpoint the rest of the client would use; its
 * answer is read with libxml2 and the parsed secrets are wiped before the document is freed.
 * Messages name the profile and the step, never a key, a session token or the token.
 */
#include "aws/credentials.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/errors.h"
#include "aws/protocol.h"
#include "aws/services.h"
#include "aws/sigv4.h"
#include "base/alloc.h"
#include "base/util.h"

/* The model's limit of WebIdentityToken (20000 characters), plus room for a trailing newline. */
#define TOKEN_FILE_MAX 20480
#define ROLE_SHOWN "%.200s" /* a role ARN in messages */
#define NAME_SHOWN "%.64s"  /* a profile name in messages */

/* ---- profiles ------------------------------------------------------------------------------ */

static bool profile_exists(const sa_aws_shared_config *sh, const char *name)
{
    return sa_aws_profile_file_find(&sh->credentials, name) != NULL ||
           sa_aws_profile_file_find(&sh->config, name) != NULL;
}

/* A setting of any profile: the credentials file wins over the config file, as botocore merges
 * them. NULL when absent or empty. */
static const char *pget(const sa_aws_shared_config *sh, const char *name, const char *key)
{
    const char *v = sa_aws_profile_get(sa_aws_profile_file_find(&sh->credentials, name), key);

    if (v == NULL)
        v = sa_aws_profile_get(sa_aws_profile_file_find(&sh->config, name), key);
    return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* botocore's _has_static_credentials: either key is present. */
static bool has_static_keys(const sa_aws_shared_config *sh, const char *name)
{
    return pget(sh, name, "aws_access_key_id") != NULL ||
           pget(sh, name, "aws_secret_access_key") != NULL;
}

/* botocore's _has_assume_role_config_vars: role_arn without web_identity_token_file. */
static bool is_role_profile(const sa_aws_shared_config *sh, const char *name)
{
    return pget(sh, name, "role_arn") != NULL && pget(sh, name, "web_identity_token_file") == NULL;
}

/* ---- the STS endpoint ---------------------------------------------------------------------- */

/* botocore's LEGACY_GLOBAL_STS_REGIONS: with sts_regional_endpoints = legacy these use the
 * global endpoint. */
static bool legacy_global_region(const char *region)
{
    static const char *const regions[] = {
        "ap-northeast-1", "ap-south-1",   "ap-southeast-1", "ap-southeast-2",
        "aws-global",     "ca-central-1", "eu-central-1",   "eu-north-1",
        "eu-west-1",      "eu-west-2",    "eu-west-3",      "sa-east-1",
        "us-east-1",      "us-east-2",    "us-west-1",      "us-west-2",
    };
    for (size_t i = 0; i < SA_N(regions); i++) {
        if (strcmp(region, regions[i]) == 0)
            return true;
    }
    return false;
}

static int sts_endpoint(sa_aws_endpoint *out, const sa_aws_service *svc,
                        const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    const char *mode = sa_aws_env_get(ctx->env, "AWS_STS_REGIONAL_ENDPOINTS");
    const char *mode_from = "AWS_STS_REGIONAL_ENDPOINTS";
    char *region = NULL;
    int rc;

    if (mode == NULL && ctx->shared != NULL) {
        mode = sa_aws_shared_config_get(ctx->shared, "sts_regional_endpoints");
        mode_from = "sts_regional_endpoints";
    }
    if (mode != NULL && strcasecmp(mode, "regional") != 0 && strcasecmp(mode, "legacy") != 0)
        return sa_error_set(err, SA_EINVAL, "%s must be regional or legacy, not '%.32s'", mode_from,
                            mode);
    if (ctx->region != NULL) {
        region = sa_strdup(ctx->region);
        if (region == NULL)
            return sa_error_set(err, SA_ENOMEM, "out of memory");
    } else {
        rc = sa_aws_region_resolve(&region, NULL, NULL, NULL, ctx->env, ctx->shared, err);
        if (rc != SA_OK)
            return rc;
    }
    rc = sa_aws_endpoint_resolve(out, svc, region, ctx->endpoints, ctx->endpoint_count, ctx->env,
                                 err);
    if (rc == SA_OK && mode != NULL && strcasecmp(mode, "legacy") == 0 &&
        strcmp(out->source, "default") == 0 && legacy_global_region(region)) {
        char *origin = sa_strdup("https://sts.amazonaws.com");
        char *signing = sa_strdup("us-east-1");

        if (origin == NULL || signing == NULL) {
            free(origin);
            free(signing);
            sa_aws_endpoint_dispose(out);
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        } else {
            free(out->origin);
            free(out->signing_region);
            out->origin = origin;
            out->signing_region = signing;
        }
    }
    free(region);
    return rc;
}

/* ---- one STS call -------------------------------------------------------------------------- */

/* Overwrites the text of every node under n (the parsed secrets) before the document is freed.
 * Strings libxml2 interned in its dictionary are left alone: they are short names and blanks. */
static void wipe_xml(xmlDoc *doc, xmlNode *n)
{
    for (; n != NULL; n = n->next) {
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content != NULL &&
            (doc->dict == NULL || !xmlDictOwns(doc->dict, n->content)))
            OPENSSL_cleanse(n->content, strlen((const char *)n->content));
        wipe_xml(doc, n->children);
    }
}

/* The text of the element at path, borrowed from the document: its single text child (STS
 * answers hold no entities inside these elements). NULL when absent or otherwise shaped. */
static const char *xml_text(const sa_aws_response *r, const char *path)
{
    xmlNode *n = sa_aws_xml_find(r, path);

    if (n == NULL || n->children == NULL || n->children->next != NULL ||
        (n->children->type != XML_TEXT_NODE && n->children->type != XML_CDATA_SECTION_NODE) ||
        n->children->content == NULL || n->children->content[0] == '\0')
        return NULL;
    return (const char *)n->children->content;
}

/* Reads the Credentials of an AssumeRole / AssumeRoleWithWebIdentity answer. */
static int read_credentials(sa_aws_credentials *out, const sa_aws_response *r, const char *what,
                            const char *source, const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    const char *ak = xml_text(r, "Credentials/AccessKeyId");
    const char *sk = xml_text(r, "Credentials/SecretAccessKey");
    const char *tok = xml_text(r, "Credentials/SessionToken");
    const char *exp = xml_text(r, "Credentials/Expiration");
    time_t expiration = 0;

    if (ak == NULL || sk == NULL || tok == NULL)
        return sa_error_set(err, SA_EIO,
                            "%s: STS answered without Credentials (AccessKeyId, SecretAccessKey, "
                            "SessionToken)",
                            what);
    if (exp == NULL || sa_aws_parse_iso8601(&expiration, exp) != SA_OK)
        return sa_error_set(err, SA_EIO, "%s: STS answered without a readable Expiration", what);
    if (expiration <= ctx->now)
        return sa_error_set(err, SA_EIO, "%s: STS answered with credentials that have expired",
                            what);
    return sa_aws_credentials_set_checked(out, ak, sk, tok, expiration, source, err);
}

/* Sends one Query request to STS, signed with `signer` (NULL: unsigned), and reads the
 * credentials it answers with. `what` starts every message. */
static int sts_call(sa_aws_credentials *out, const char *op_name, const sa_aws_param *params,
                    size_t param_count, const sa_aws_credentials *signer, const char *what,
                    const char *source, const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    const sa_aws_service *svc = sa_aws_service_find("sts");
    sa_aws_operation op = {0};
    sa_aws_endpoint ep = {0};
    sa_aws_http_request req = {0};
    sa_aws_http_response resp = {0};
    sa_aws_response answer = {0};
    sa_error e = {0};
    int rc;

    if (ctx->transport == NULL)
        return sa_error_set(err, SA_EINVAL, "%s: no HTTP transport to reach STS", what);
    if (ctx->cancelled != NULL && atomic_load(ctx->cancelled))
        return sa_error_set(err, SA_ECANCELLED, "%s: cancelled", what);
    op.service = "sts";
    op.name = op_name;
    op.params = params;
    op.param_count = param_count;
    rc = sts_endpoint(&ep, svc, ctx, &e);
    if (rc == SA_OK)
        rc = sa_aws_protocol_build(&req, svc, &op, &ep, &e);
    if (rc == SA_OK)
        rc = sa_aws_headers_set(&req.headers, "User-Agent", SA_AWS_USER_AGENT, &e);
    if (rc == SA_OK && signer != NULL) {
        sa_aws_sigv4_params p = {0};

        p.access_key_id = signer->access_key_id;
        p.secret_access_key = signer->secret_access_key;
        p.session_token = signer->session_token;
        p.region = ep.signing_region;
        p.service = svc->signing_name;
        p.when = ctx->now;
        p.normalize_path = true;
        p.sign_body = true;
        rc = sa_aws_sigv4_sign(&req, NULL, &p, &e);
    }
    if (rc != SA_OK) {
        sa_error_set(err, rc, "%s: %s", what, e.message);
        goto out;
    }
    req.cancelled = ctx->cancelled;
    rc = sa_aws_transport_send(ctx->transport, &resp, &req, &e);
    if (rc != SA_OK) {
        sa_error_set(err, rc, "%s: STS at %s: %s", what, ep.origin, e.message);
        goto out;
    }
    if (resp.status < 200 || resp.status > 299) {
        sa_aws_error ae = {0};
        char rid[SA_AWS_REQUEST_ID_MAX + 16] = "";

        sa_aws_error_parse(&ae, resp.status, &resp.headers, resp.body, resp.body_len);
        if (ae.request_id[0])
            snprintf(rid, sizeof(rid), ", request id %s", ae.request_id);
        rc = sa_error_set(err, SA_EAWS, "%s: %s: %s (HTTP %ld%s)", what, ae.code, ae.message,
                          ae.http_status, rid);
        goto out;
    }
    rc = sa_aws_protocol_read_success(&answer, svc, &resp, "STS", &e);
    if (rc != SA_OK) {
        sa_error_set(err, rc, "%s: %s", what, e.message);
        goto out;
    }
    rc = read_credentials(out, &answer, what, source, ctx, err);
out:
    if (answer.xml != NULL)
        wipe_xml(answer.xml, xmlDocGetRootElement(answer.xml));
    sa_aws_response_dispose(&answer);
    sa_aws_http_response_dispose(&resp);
    sa_aws_http_request_dispose(&req);
    sa_aws_endpoint_dispose(&ep);
    return rc;
}

/* botocore's generated name when none is configured: botocore-session-<seconds>; ours says who
 * made the session. */
static void default_session_name(char *buf, size_t size, const sa_aws_credentials_ctx *ctx)
{
    snprintf(buf, size, "secureapi-session-%lld", (long long)ctx->now);
}

/* duration_seconds: a whole number of seconds (STS checks the range against the role). */
static int duration_setting(char *buf, size_t size, const char *profile, const char *value,
                            sa_error *err)
{
    char *end = NULL;
    long n;

    errno = 0;
    n = value != NULL ? strtol(value, &end, 10) : 0;
    if (value == NULL || errno != 0 || end == value || *end != '\0' || n <= 0 || n > 604800)
        return sa_error_set(err, SA_EINVAL,
                            "profile '" NAME_SHOWN "': duration_seconds must be a whole number of "
                            "seconds, not '%.32s'",
                            profile, value ? value : "");
    snprintf(buf, size, "%ld", n);
    return SA_OK;
}

/* ---- web identity -------------------------------------------------------------------------- */

/* Reads the token file anew (tokens are rotated on disk) without trailing whitespace. */
static int read_token(char **out, const char *path, const char *what,
                      const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    sa_error e = {0};
    char *data = NULL;
    size_t len = 0;
    int rc = sa_aws_env_read_file(&data, &len, ctx->env, path, TOKEN_FILE_MAX, &e);

    if (rc != SA_OK)
        return sa_error_set(err, rc == SA_ENOTFOUND ? SA_EINVAL : rc,
                            "%s: cannot read the web identity token file %.256s: %s", what, path,
                            rc == SA_ENOTFOUND ? "it does not exist" : e.message);
    while (len > 0 && isspace((unsigned char)data[len - 1]))
        data[--len] = '\0';
    if (len == 0 || memchr(data, '\0', len) != NULL) {
        sa_wipe_free_n(data, len);
        return sa_error_set(err, SA_EINVAL, "%s: the web identity token file %.256s is %s", what,
                            path, len == 0 ? "empty" : "not text");
    }
    *out = data;
    return SA_OK;
}

/* One AssumeRoleWithWebIdentity. profile is NULL for the environment's settings. */
static int web_identity(sa_aws_credentials *out, const char *profile, const char *role_arn,
                        const char *token_file, const char *session_name, const char *duration,
                        const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    char what[400], source[96], generated[64], seconds[24];
    sa_aws_param params[4];
    size_t n = 0;
    char *token = NULL;
    int rc;

    if (profile != NULL) {
        snprintf(what, sizeof(what),
                 "profile '" NAME_SHOWN "': assuming role " ROLE_SHOWN " with web identity",
                 profile, role_arn);
        snprintf(source, sizeof(source), "profile '" NAME_SHOWN "' (web identity)", profile);
    } else {
        snprintf(what, sizeof(what), "AWS_ROLE_ARN: assuming role " ROLE_SHOWN " with web identity",
                 role_arn);
        snprintf(source, sizeof(source), "web identity (AWS_ROLE_ARN)");
    }
    if (session_name == NULL) {
        default_session_name(generated, sizeof(generated), ctx);
        session_name = generated;
    }
    rc = read_token(&token, token_file, what, ctx, err);
    if (rc != SA_OK)
        return rc;
    if (duration != NULL) {
        rc = duration_setting(seconds, sizeof(seconds), profile, duration, err);
        if (rc != SA_OK)
            goto out;
    }
    params[n++] = (sa_aws_param){"RoleArn", role_arn};
    params[n++] = (sa_aws_param){"RoleSessionName", session_name};
    params[n++] = (sa_aws_param){"WebIdentityToken", token};
    if (duration != NULL)
        params[n++] = (sa_aws_param){"DurationSeconds", seconds};
    rc = sts_call(out, "AssumeRoleWithWebIdentity", params, n, NULL, what, source, ctx, err);
out:
    sa_wipe_free(token);
    return rc;
}

/* The web identity settings of a profile (with env, the AWS_* variables first, key by key). */
static int web_identity_profile(sa_aws_credentials *out, const char *profile, bool env,
                                const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    const sa_aws_shared_config *sh = ctx->shared;
    const char *token_file = NULL, *role_arn = NULL, *session = NULL;
    bool from_env = false;

    if (env) {
        token_file = sa_aws_env_get(ctx->env, "AWS_WEB_IDENTITY_TOKEN_FILE");
        role_arn = sa_aws_env_get(ctx->env, "AWS_ROLE_ARN");
        session = sa_aws_env_get(ctx->env, "AWS_ROLE_SESSION_NAME");
        from_env = token_file != NULL;
    }
    if (sh != NULL && profile != NULL) {
        if (token_file == NULL)
            token_file = pget(sh, profile, "web_identity_token_file");
        if (role_arn == NULL)
            role_arn = pget(sh, profile, "role_arn");
        if (session == NULL)
            session = pget(sh, profile, "role_session_name");
    }
    if (token_file == NULL)
        return sa_error_set(err, SA_ENOTFOUND,
                            "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set");
    if (role_arn == NULL) {
        if (from_env)
            return sa_error_set(err, SA_EINVAL,
                                "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not (nor "
                                "role_arn in the profile)");
        return sa_error_set(
            err, SA_EINVAL,
            "profile '" NAME_SHOWN "' sets web_identity_token_file but not role_arn", profile);
    }
    /* duration_seconds is a profile setting; the environment has none */
    return web_identity(out, from_env ? NULL : profile, role_arn, token_file, session,
                        from_env || profile == NULL ? NULL : pget(sh, profile, "duration_seconds"),
                        ctx, err);
}

/* ---- AssumeRole ---------------------------------------------------------------------------- */

/* botocore's CanonicalNameCredentialSourcer. */
static int from_credential_source(sa_aws_credentials *out, const char *profile,
                                  const char *credential_source, const sa_aws_credentials_ctx *ctx,
                                  sa_error *err)
{
    sa_error e = {0};
    int rc;

    if (strcmp(credential_source, "Environment") == 0)
        rc = sa_aws_credentials_from_env(out, ctx->env, &e);
    else if (strcmp(credential_source, "Ec2InstanceMetadata") == 0)
        rc = sa_aws_credentials_from_imds(out, ctx, &e);
    else if (strcmp(credential_source, "EcsContainer") == 0)
        rc = sa_aws_credentials_from_container(out, ctx, &e);
    else
        return sa_error_set(err, SA_EINVAL,
                            "profile '" NAME_SHOWN "': credential_source '%.64s' is not supported; "
                            "use Environment, Ec2InstanceMetadata or EcsContainer",
                            profile, credential_source);
    if (rc == SA_ENOTFOUND)
        return sa_error_set(err, SA_EINVAL,
                            "profile '" NAME_SHOWN "': no credentials found in credential_source "
                            "%s (%s)",
                            profile, credential_source, e.message);
    if (rc != SA_OK)
        return sa_error_set(err, rc, "profile '" NAME_SHOWN "': credential_source %s: %s", profile,
                            credential_source, e.message);
    return SA_OK;
}

/* "'a' -> 'b' -> 'c'" into buf: visited[0..n) then next; a long chain shows its first four
 * profiles and its last. */
static void describe_chain(char *buf, size_t size, const char *const *visited, size_t n,
                           const char *next)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i <= n && used < size; i++) {
        int w;

        if (n > 6 && i >= 4 && i < n - 1)
            continue;
        w = snprintf(buf + used, size - used, "%s'" NAME_SHOWN "'",
                     i == 0 ? "" : (n > 6 && i == n - 1 ? " -> ... -> " : " -> "),
                     i < n ? visited[i] : next);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int assume_role(sa_aws_credentials *out, const char *name, const char **visited,
                       size_t nvisited, const sa_aws_credentials_ctx *ctx, sa_error *err);

/* The credentials of a source profile that is not itself a role profile (or that names itself
 * and has static keys): botocore runs its profile providers without the environment: web
 * identity, then the profile's keys and credential_process. */
static int from_source_profile(sa_aws_credentials *out, const char *parent, const char *name,
                               const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    sa_aws_shared_config view = *ctx->shared;
    sa_aws_credentials_ctx hop = *ctx;
    sa_error e = {0};
    int rc;

    if (pget(ctx->shared, name, "web_identity_token_file") != NULL)
        return web_identity_profile(out, name, false, ctx, err);
    view.profile_name = (char *)name;
    view.profile_from = "source_profile";
    hop.shared = &view;
    rc = sa_aws_credentials_from_profile(out, &hop, &e);
    if (rc == SA_ENOTFOUND)
        return sa_error_set(err, SA_EINVAL,
                            "profile '" NAME_SHOWN "': its source_profile '" NAME_SHOWN
                            "' has no credentials",
                            parent, name);
    if (rc != SA_OK)
        return sa_error_set(err, rc, "%s", e.message);
    return SA_OK;
}

/* AssumeRole for the role profile `name`, the last of visited[0..nvisited). */
static int assume_role(sa_aws_credentials *out, const char *name, const char **visited,
                       size_t nvisited, const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    const sa_aws_shared_config *sh = ctx->shared;
    const char *role_arn = pget(sh, name, "role_arn");
    const char *source_profile = pget(sh, name, "source_profile");
    const char *credential_source = pget(sh, name, "credential_source");
    const char *external_id = pget(sh, name, "external_id");
    const char *session_name = pget(sh, name, "role_session_name");
    const char *duration = pget(sh, name, "duration_seconds");
    sa_aws_credentials base = {0};
    char what[400], source[96], generated[64], seconds[24], chain[512];
    sa_aws_param params[4];
    size_t n = 0;
    int rc;

    if (source_profile != NULL && credential_source != NULL)
        return sa_error_set(err, SA_EINVAL,
                            "profile '" NAME_SHOWN "' sets both source_profile and "
                            "credential_source; a role profile takes one of them",
                            name);
    if (source_profile == NULL && credential_source == NULL)
        return sa_error_set(err, SA_EINVAL,
                            "profile '" NAME_SHOWN "' sets role_arn but neither source_profile nor "
                            "credential_source",
                            name);
    if (pget(sh, name, "mfa_serial") != NULL)
        return sa_error_set(err, SA_EUNSUPPORTED,
                            "profile '" NAME_SHOWN "' sets mfa_serial: assuming its role needs an "
                            "MFA token code, and the provider has no terminal to ask for one; "
                            "use credentials from a session that already passed MFA",
                            name);
    if (duration != NULL) {
        rc = duration_setting(seconds, sizeof(seconds), name, duration, err);
        if (rc != SA_OK)
            return rc;
    }
    if (credential_source != NULL) {
        rc = from_credential_source(&base, name, credential_source, ctx, err);
    } else if (!profile_exists(sh, source_profile)) {
        rc = sa_error_set(err, SA_EINVAL,
                          "profile '" NAME_SHOWN "': its source_profile '" NAME_SHOWN
                          "' is not in %s or %s",
                          name, source_profile,
                          sh->credentials_path ? sh->credentials_path : "(no HOME or USERPROFILE)",
                          sh->config_path ? sh->config_path : "(no HOME or USERPROFILE)");
    } else {
        bool seen = false;

        for (size_t i = 0; i < nvisited; i++)
            seen = seen || strcmp(visited[i], source_profile) == 0;
        /* a profile may name itself to use its own static keys; any other return is a loop */
        if (seen && (strcmp(source_profile, name) != 0 || !has_static_keys(sh, name))) {
            describe_chain(chain, sizeof(chain), visited, nvisited, source_profile);
            return sa_error_set(err, SA_EINVAL,
                                "profile '" NAME_SHOWN "': its source_profile makes a loop: %s",
                                name, chain);
        }
        if (has_static_keys(sh, source_profile) || !is_role_profile(sh, source_profile)) {
            rc = from_source_profile(&base, name, source_profile, ctx, err);
        } else if (nvisited >= SA_AWS_ROLE_CHAIN_MAX) {
            describe_chain(chain, sizeof(chain), visited, nvisited, source_profile);
            return sa_error_set(err, SA_EINVAL,
                                "profile '%s': its chain of source_profile roles is longer than "
                                "%d hops (%s)",
                                visited[0], SA_AWS_ROLE_CHAIN_MAX, chain);
        } else {
            visited[nvisited] = source_profile;
            rc = assume_role(&base, source_profile, visited, nvisited + 1, ctx, err);
        }
    }
    if (rc != SA_OK)
        goto out;

    snprintf(what, sizeof(what), "profile '" NAME_SHOWN "': assuming role " ROLE_SHOWN, name,
             role_arn);
    snprintf(source, sizeof(source), "profile '" NAME_SHOWN "' (assume role)", name);
    if (session_name == NULL) {
        default_session_name(generated, sizeof(generated), ctx);
        session_name = generated;
    }
    params[n++] = (sa_aws_param){"RoleArn", role_arn};
    params[n++] = (sa_aws_param){"RoleSessionName", session_name};
    if (duration != NULL)
        params[n++] = (sa_aws_param){"DurationSeconds", seconds};
    if (external_id != NULL)
        params[n++] = (sa_aws_param){"ExternalId", external_id};
    rc = sts_call(out, "AssumeRole", params, n, &base, what, source, ctx, err);
out:
    sa_aws_credentials_dispose(&base);
    return rc;
}

/* ---- the chain's source -------------------------------------------------------------------- */

int sa_aws_credentials_from_role(sa_aws_credentials *out, const sa_aws_credentials_ctx *ctx,
                                 sa_error *err)
{
    const sa_aws_shared_config *sh = ctx->shared;
    const char *profile = NULL;
    bool env;

    if (sh != NULL && sh->profile_name != NULL && profile_exists(sh, sh->profile_name))
        profile = sh->profile_name;
    /* botocore's AssumeRoleProvider comes first: a role profile without web identity */
    if (profile != NULL && is_role_profile(sh, profile)) {
        const char *visited[SA_AWS_ROLE_CHAIN_MAX + 1];

        visited[0] = profile;
        return assume_role(out, profile, visited, 1, ctx, err);
    }
    /* then AssumeRoleWithWebIdentityProvider; botocore ignores the environment's settings when
     * the profile was chosen explicitly (here: by the provider config) */
    env =
        sh == NULL || sh->profile_from == NULL || strcmp(sh->profile_from, "provider config") != 0;
    return web_identity_profile(out, profile, env, ctx, err);
}

/* ---- roles from the provider config -------------------------------------------------------- */

static void free_strings(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void sa_aws_assume_roles_free(sa_aws_assume_role *roles, size_t count)
{
    if (roles == NULL)
        return;
    for (size_t i = 0; i < count; i++) {
        sa_aws_assume_role *r = &roles[i];

        free(r->role_arn);
        free(r->session_name);
        sa_wipe_free(r->external_id);
        free(r->policy);
        free_strings(r->tag_keys, r->tag_count);
        free_strings(r->tag_values, r->tag_count);
        free_strings(r->transitive_tag_keys, r->transitive_tag_key_count);
    }
    free(roles);
}

static bool dup_opt(char **out, const char *s)
{
    *out = s != NULL ? sa_strdup(s) : NULL;
    return s == NULL || *out != NULL;
}

static bool dup_strings(char ***out, char *const *v, size_t n)
{
    *out = NULL;
    if (n == 0)
        return true;
    *out = sa_calloc(n, sizeof(char *));
    if (*out == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!dup_opt(&(*out)[i], v[i]))
            return false;
    return true;
}

int sa_aws_assume_roles_copy(sa_aws_assume_role **out, const sa_aws_assume_role *roles,
                             size_t count, sa_error *err)
{
    sa_aws_assume_role *copy;
    bool ok = true;

    *out = NULL;
    if (count == 0)
        return SA_OK;
    copy = sa_calloc(count, sizeof(*copy));
    if (copy == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    for (size_t i = 0; i < count && ok; i++) {
        const sa_aws_assume_role *r = &roles[i];
        sa_aws_assume_role *c = &copy[i];

        c->duration_seconds = r->duration_seconds;
        c->tag_count = r->tag_count;
        c->transitive_tag_key_count = r->transitive_tag_key_count;
        ok = dup_opt(&c->role_arn, r->role_arn) && dup_opt(&c->session_name, r->session_name) &&
             dup_opt(&c->external_id, r->external_id) && dup_opt(&c->policy, r->policy) &&
             dup_strings(&c->tag_keys, r->tag_keys, r->tag_count) &&
             dup_strings(&c->tag_values, r->tag_values, r->tag_count) &&
             dup_strings(&c->transitive_tag_keys, r->transitive_tag_keys,
                         r->transitive_tag_key_count);
    }
    if (!ok) {
        sa_aws_assume_roles_free(copy, count);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    *out = copy;
    return SA_OK;
}

int sa_aws_credentials_assume(sa_aws_credentials *out, const sa_aws_credentials *base,
                              const sa_aws_assume_role *role, const char *what_prefix,
                              const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    /* RoleArn, RoleSessionName, DurationSeconds, ExternalId, Policy, then two per tag and one
     * per transitive key */
    enum { FIXED = 5, NAMES_MAX = 3 * SA_AWS_ASSUME_ROLE_TAGS_MAX };
    sa_aws_param params[FIXED + NAMES_MAX];
    char names[NAMES_MAX][48];
    char what[400], source[96], generated[64], seconds[24];
    size_t n = 0, nn = 0;

    if (role->role_arn == NULL || role->tag_count > SA_AWS_ASSUME_ROLE_TAGS_MAX ||
        role->transitive_tag_key_count > SA_AWS_ASSUME_ROLE_TAGS_MAX)
        return sa_error_set(err, SA_EINVAL, "%s: no role ARN, or too many session tags",
                            what_prefix);
    snprintf(what, sizeof(what), "%s: assuming role " ROLE_SHOWN, what_prefix, role->role_arn);
    snprintf(source, sizeof(source), "%.80s (assume role)", what_prefix);
    params[n++] = (sa_aws_param){"RoleArn", role->role_arn};
    if (role->session_name == NULL)
        default_session_name(generated, sizeof(generated), ctx);
    params[n++] = (sa_aws_param){"RoleSessionName",
                                 role->session_name != NULL ? role->session_name : generated};
    if (role->duration_seconds > 0) {
        snprintf(seconds, sizeof(seconds), "%d", role->duration_seconds);
        params[n++] = (sa_aws_param){"DurationSeconds", seconds};
    }
    if (role->external_id != NULL)
        params[n++] = (sa_aws_param){"ExternalId", role->external_id};
    if (role->policy != NULL)
        params[n++] = (sa_aws_param){"Policy", role->policy};
    for (size_t i = 0; i < role->tag_count; i++) {
        snprintf(names[nn], sizeof(names[nn]), "Tags.member.%zu.Key", i + 1);
        params[n++] = (sa_aws_param){names[nn++], role->tag_keys[i]};
        snprintf(names[nn], sizeof(names[nn]), "Tags.member.%zu.Value", i + 1);
        params[n++] = (sa_aws_param){names[nn++], role->tag_values[i]};
    }
    for (size_t i = 0; i < role->transitive_tag_key_count; i++) {
        snprintf(names[nn], sizeof(names[nn]), "TransitiveTagKeys.member.%zu", i + 1);
        params[n++] = (sa_aws_param){names[nn++], role->transitive_tag_keys[i]};
    }
    return sts_call(out, "AssumeRole", params, n, base, what, source, ctx, err);
}
