/*
 * The two credential sources reached over HTTP (see credentials.h): the container credentials
 * endpoint (ECS, EKS Pod Identity; AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI with an
 * optional authorization token) and EC2 instance metadata (IMDSv2: a session token from
 * PUT /latest/api/token, then the role name and its credentials). Both use short timeouts and go
 * through the caller's transport, so tests serve canned answers and never reach 169.254.x.x.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/buf.h"
#include "aws/credentials.h"
#include "aws/uri.h"
#include "base/alloc.h"
#include "base/util.h"

#define CONTAINER_HOST "http://169.254.170.2"
#define IMDS_HOST "http://169.254.169.254"
#define IMDS_HOST_IPV6 "http://[fd00:ec2::254]"
#define REMOTE_CONNECT_TIMEOUT_MS 1000
#define CONTAINER_TIMEOUT_MS 2000
#define IMDS_TIMEOUT_MS 1000
#define CONTAINER_ATTEMPTS 3
#define TOKEN_FILE_MAX 16384

static int dup_into(char **dst, const char *src, size_t len, sa_error *err)
{
    *dst = sa_strndup(src, len);
    return *dst != NULL ? SA_OK : sa_error_set(err, SA_ENOMEM, "out of memory");
}

/* Fills a GET/PUT request to origin + path. */
static int make_request(sa_aws_http_request *req, const char *method, const char *origin,
                        const char *path, const char *query, long timeout_ms,
                        const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    int rc;

    memset(req, 0, sizeof(*req));
    rc = dup_into(&req->method, method, strlen(method), err);
    if (rc == SA_OK)
        rc = dup_into(&req->origin, origin, strlen(origin), err);
    if (rc == SA_OK)
        rc = dup_into(&req->path, path, strlen(path), err);
    if (rc == SA_OK && query != NULL)
        rc = dup_into(&req->query, query, strlen(query), err);
    if (rc == SA_OK)
        rc = sa_aws_headers_add(&req->headers, "User-Agent", SA_AWS_USER_AGENT, err);
    req->connect_timeout_ms = REMOTE_CONNECT_TIMEOUT_MS;
    req->timeout_ms = timeout_ms;
    req->cancelled = ctx->cancelled;
    return rc;
}

/* Reads AccessKeyId, SecretAccessKey, Token, Expiration from a JSON document. */
static int credentials_from_json(sa_aws_credentials *out, const unsigned char *body, size_t len,
                                 const char *source, sa_error *err)
{
    cJSON *doc = cJSON_ParseWithLength((const char *)body, len);
    const cJSON *ak, *sk, *tok, *exp;
    time_t expiration = 0;
    int rc;

    if (doc == NULL)
        return sa_error_set(err, SA_EIO, "%s returned a body that is not JSON", source);
    ak = cJSON_GetObjectItemCaseSensitive(doc, "AccessKeyId");
    sk = cJSON_GetObjectItemCaseSensitive(doc, "SecretAccessKey");
    tok = cJSON_GetObjectItemCaseSensitive(doc, "Token");
    exp = cJSON_GetObjectItemCaseSensitive(doc, "Expiration");
    if (!cJSON_IsString(ak) || !cJSON_IsString(sk) || ak->valuestring[0] == '\0' ||
        sk->valuestring[0] == '\0') {
        rc = sa_error_set(err, SA_EIO, "%s returned no AccessKeyId/SecretAccessKey", source);
        goto out;
    }
    if (cJSON_IsString(exp) && sa_aws_parse_iso8601(&expiration, exp->valuestring) != SA_OK) {
        rc = sa_error_set(err, SA_EIO, "%s returned an unreadable Expiration", source);
        goto out;
    }
    rc = sa_aws_credentials_set(out, ak->valuestring, sk->valuestring,
                                cJSON_IsString(tok) ? tok->valuestring : NULL, expiration, source,
                                err);
out:
    /* wipe the parsed secrets before freeing the document */
    if (cJSON_IsString(sk))
        OPENSSL_cleanse(sk->valuestring, strlen(sk->valuestring));
    if (cJSON_IsString(tok))
        OPENSSL_cleanse(tok->valuestring, strlen(tok->valuestring));
    cJSON_Delete(doc);
    return rc;
}

/* ---- container endpoint ------------------------------------------------------------------ */

static bool allowed_http_host(const char *host)
{
    static const char *const hosts[] = {"localhost", "[::1]", "169.254.170.2", "169.254.170.23",
                                        "[fd00:ec2::23]"};
    for (size_t i = 0; i < SA_N(hosts); i++) {
        if (strcasecmp(host, hosts[i]) == 0)
            return true;
    }
    return strncmp(host, "127.", 4) == 0;
}

static int read_auth_token(char **out, const sa_aws_env *env, sa_error *err)
{
    const char *file = sa_aws_env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *tok = sa_aws_env_get(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    char *data = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (file != NULL) {
        rc = sa_aws_env_read_file(&data, &len, env, file, TOKEN_FILE_MAX, err);
        if (rc != SA_OK)
            return sa_error_set(err, rc == SA_ENOTFOUND ? SA_EINVAL : rc,
                                "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s", file);
        while (len > 0 && isspace((unsigned char)data[len - 1]))
            data[--len] = '\0';
    } else if (tok != NULL) {
        data = sa_strdup(tok);
        if (data == NULL)
            return sa_error_set(err, SA_ENOMEM, "out of memory");
    } else {
        return SA_OK;
    }
    if (strpbrk(data, "\r\n") != NULL) {
        OPENSSL_cleanse(data, strlen(data));
        free(data);
        return sa_error_set(err, SA_EINVAL, "the container authorization token has a line break");
    }
    *out = data;
    return SA_OK;
}

/* Splits the container URL into origin, path and query; checks the host is allowed. */
static int container_target(char **origin, char **path, char **query, const sa_aws_env *env,
                            sa_error *err)
{
    const char *rel = sa_aws_env_get(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = sa_aws_env_get(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    sa_aws_url u = {0};
    char *base = NULL;
    const char *q;
    char port[8] = "";
    int rc;

    if (rel != NULL) {
        if (rel[0] != '/')
            return sa_error_set(err, SA_EINVAL,
                                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
        q = strchr(rel, '?');
        rc = dup_into(origin, CONTAINER_HOST, strlen(CONTAINER_HOST), err);
        if (rc == SA_OK)
            rc = dup_into(path, rel, q ? (size_t)(q - rel) : strlen(rel), err);
        if (rc == SA_OK && q != NULL)
            rc = dup_into(query, q + 1, strlen(q + 1), err);
        return rc;
    }
    q = strchr(full, '?');
    rc = dup_into(&base, full, q ? (size_t)(q - full) : strlen(full), err);
    if (rc == SA_OK)
        rc = sa_aws_url_parse(&u, base, "AWS_CONTAINER_CREDENTIALS_FULL_URI", err);
    if (rc != SA_OK)
        goto out;
    if (strcmp(u.scheme, "http") == 0 && !allowed_http_host(u.host)) {
        rc = sa_error_set(err, SA_EINVAL,
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a "
                          "loopback, ECS or EKS address");
        goto out;
    }
    if (u.port != 0)
        snprintf(port, sizeof(port), ":%d", u.port);
    {
        size_t n = strlen(u.scheme) + 3 + strlen(u.host) + strlen(port) + 1;
        *origin = sa_malloc(n);
        if (*origin == NULL) {
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(*origin, n, "%s://%s%s", u.scheme, u.host, port);
    }
    rc = dup_into(path, u.base_path[0] ? u.base_path : "/",
                  strlen(u.base_path[0] ? u.base_path : "/"), err);
    if (rc == SA_OK && q != NULL)
        rc = dup_into(query, q + 1, strlen(q + 1), err);
out:
    sa_aws_url_dispose(&u);
    free(base);
    return rc;
}

int sa_aws_credentials_from_container(sa_aws_credentials *out, const sa_aws_credentials_ctx *ctx,
                                      sa_error *err)
{
    char *origin = NULL, *path = NULL, *query = NULL, *token = NULL;
    sa_aws_http_request req = {0};
    sa_aws_http_response resp = {0};
    int rc;

    if (sa_aws_env_get(ctx->env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") == NULL &&
        sa_aws_env_get(ctx->env, "AWS_CONTAINER_CREDENTIALS_FULL_URI") == NULL)
        return sa_error_set(err, SA_ENOTFOUND,
                            "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/_FULL_URI not set");
    if (ctx->transport == NULL)
        return sa_error_set(err, SA_ENOTFOUND, "container: no HTTP transport");
    rc = container_target(&origin, &path, &query, ctx->env, err);
    if (rc == SA_OK)
        rc = read_auth_token(&token, ctx->env, err);
    if (rc == SA_OK)
        rc = make_request(&req, "GET", origin, path, query, CONTAINER_TIMEOUT_MS, ctx, err);
    if (rc == SA_OK)
        rc = sa_aws_headers_add(&req.headers, "Accept", "application/json", err);
    if (rc == SA_OK && token != NULL)
        rc = sa_aws_headers_add(&req.headers, "Authorization", token, err);
    if (rc != SA_OK)
        goto out;
    for (int attempt = 1;; attempt++) {
        sa_error terr = {0};
        sa_aws_http_response_dispose(&resp);
        rc = sa_aws_transport_send(ctx->transport, &resp, &req, &terr);
        if (rc == SA_OK && resp.status >= 200 && resp.status < 300)
            break;
        if (attempt >= CONTAINER_ATTEMPTS || rc == SA_ECANCELLED || rc == SA_ENOMEM ||
            (rc == SA_OK && resp.status < 500)) {
            if (rc == SA_OK)
                rc = sa_error_set(err, SA_EIO,
                                  "the container credentials endpoint %s%s returned HTTP %ld",
                                  origin, path, resp.status);
            else
                sa_error_set(err, rc, "the container credentials endpoint %s%s: %s", origin, path,
                             terr.message);
            goto out;
        }
    }
    rc = credentials_from_json(out, resp.body, resp.body_len, "the container credentials endpoint",
                               err);
    if (rc == SA_OK)
        snprintf(out->source, sizeof(out->source), "container credentials endpoint");
out:
    sa_aws_http_request_dispose(&req);
    sa_aws_http_response_dispose(&resp);
    if (token != NULL) {
        OPENSSL_cleanse(token, strlen(token));
        free(token);
    }
    free(origin);
    free(path);
    free(query);
    return rc;
}

/* ---- EC2 instance metadata (IMDSv2) ------------------------------------------------------- */

static int imds_origin(char **out, const sa_aws_env *env, sa_error *err)
{
    const char *ep = sa_aws_env_get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = sa_aws_env_get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    sa_aws_url u = {0};
    char port[8] = "";
    int rc;

    if (ep == NULL) {
        const char *o =
            (mode != NULL && strcasecmp(mode, "IPv6") == 0) ? IMDS_HOST_IPV6 : IMDS_HOST;
        return dup_into(out, o, strlen(o), err);
    }
    rc = sa_aws_url_parse(&u, ep, "AWS_EC2_METADATA_SERVICE_ENDPOINT", err);
    if (rc != SA_OK)
        return rc;
    if (u.port != 0)
        snprintf(port, sizeof(port), ":%d", u.port);
    {
        size_t n = strlen(u.scheme) + 3 + strlen(u.host) + strlen(port) + strlen(u.base_path) + 1;
        *out = sa_malloc(n);
        if (*out == NULL)
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        else
            snprintf(*out, n, "%s://%s%s%s", u.scheme, u.host, port, u.base_path);
    }
    sa_aws_url_dispose(&u);
    return rc;
}

/* One IMDS exchange; a transport failure means "no metadata service here" (SA_ENOTFOUND). */
static int imds_call(sa_aws_http_response *out, const char *method, const char *origin,
                     const char *path, const char *header, const char *header_value,
                     const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    sa_aws_http_request req = {0};
    sa_error terr = {0};
    int rc = make_request(&req, method, origin, path, NULL, IMDS_TIMEOUT_MS, ctx, err);

    if (rc == SA_OK)
        rc = sa_aws_headers_add(&req.headers, header, header_value, err);
    if (rc == SA_OK) {
        rc = sa_aws_transport_send(ctx->transport, out, &req, &terr);
        if (rc == SA_EIO || rc == SA_ETIMEOUT || rc == SA_EINVAL)
            rc = sa_error_set(err, SA_ENOTFOUND, "EC2 instance metadata: no answer from %s (%s)",
                              origin, terr.message);
        else if (rc != SA_OK)
            sa_error_set(err, rc, "EC2 instance metadata: %s", terr.message);
    }
    sa_aws_http_request_dispose(&req);
    return rc;
}

static bool role_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > 128)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)s[i]) && strchr("+=,.@_-", s[i]) == NULL)
            return false;
    }
    return true;
}

int sa_aws_credentials_from_imds(sa_aws_credentials *out, const sa_aws_credentials_ctx *ctx,
                                 sa_error *err)
{
    static const char *const role_path = "/latest/meta-data/iam/security-credentials/";
    sa_aws_http_response resp = {0};
    char *origin = NULL;
    char *token = NULL;
    char *path = NULL;
    size_t role_len;
    int rc;

    if (sa_aws_env_is_true(ctx->env, "AWS_EC2_METADATA_DISABLED"))
        return sa_error_set(err, SA_ENOTFOUND,
                            "EC2 instance metadata: disabled by AWS_EC2_METADATA_DISABLED");
    if (ctx->transport == NULL)
        return sa_error_set(err, SA_ENOTFOUND, "EC2 instance metadata: no HTTP transport");
    rc = imds_origin(&origin, ctx->env, err);
    if (rc != SA_OK)
        return rc;

    rc = imds_call(&resp, "PUT", origin, "/latest/api/token",
                   "X-aws-ec2-metadata-token-ttl-seconds", "21600", ctx, err);
    if (rc != SA_OK)
        goto out;
    if (resp.status != 200 || resp.body_len == 0 || resp.body_len > 4096) {
        rc =
            sa_error_set(err, SA_ENOTFOUND,
                         "EC2 instance metadata: the token request returned HTTP %ld", resp.status);
        goto out;
    }
    rc = dup_into(&token, (const char *)resp.body, resp.body_len, err);
    if (rc != SA_OK)
        goto out;
    if (strpbrk(token, "\r\n") != NULL) {
        rc = sa_error_set(err, SA_EIO, "EC2 instance metadata: malformed session token");
        goto out;
    }

    sa_aws_http_response_dispose(&resp);
    rc = imds_call(&resp, "GET", origin, role_path, "X-aws-ec2-metadata-token", token, ctx, err);
    if (rc != SA_OK)
        goto out;
    if (resp.status == 404) {
        rc = sa_error_set(err, SA_ENOTFOUND,
                          "EC2 instance metadata: no IAM role is attached to this instance");
        goto out;
    }
    role_len = resp.body_len;
    if (resp.body != NULL)
        role_len = strcspn((const char *)resp.body, "\r\n");
    if (resp.status != 200 || !role_name_ok((const char *)resp.body, role_len)) {
        rc = sa_error_set(err, SA_EIO, "EC2 instance metadata: the role lookup returned HTTP %ld",
                          resp.status);
        goto out;
    }
    {
        size_t n = strlen(role_path) + role_len + 1;
        path = sa_malloc(n);
        if (path == NULL) {
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(path, n, "%s%.*s", role_path, (int)role_len, (const char *)resp.body);
    }

    sa_aws_http_response_dispose(&resp);
    rc = imds_call(&resp, "GET", origin, path, "X-aws-ec2-metadata-token", token, ctx, err);
    if (rc != SA_OK)
        goto out;
    if (resp.status != 200) {
        rc = sa_error_set(err, SA_EIO,
                          "EC2 instance metadata: the credentials request returned HTTP %ld",
                          resp.status);
        goto out;
    }
    rc = credentials_from_json(out, resp.body, resp.body_len, "EC2 instance metadata", err);
out:
    sa_aws_http_response_dispose(&resp);
    if (token != NULL) {
        OPENSSL_cleanse(token, strlen(token));
        free(token);
    }
    free(path);
    free(origin);
    return rc;
}
