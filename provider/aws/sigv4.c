/*
 * SigV4 header signing (see sigv4.h). The canonical request follows the published rules: the path
 * is normalised (unless S3-style) and each byte outside the unreserved set and '/' is
 * percent-encoded; query keys and values are decoded, re-encoded and sorted by key then value;
 * header names are lower-cased, values trimmed with inner whitespace runs collapsed, repeated
 * headers joined with ',' in their original order; the payload hash is the hex SHA-256 of the body.
 */
#include "aws/sigv4.h"
#include "base/alloc.h"
#include "base/platform.h"
#include "base/util.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/uri.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* Headers never signed: intermediaries may add, drop or rewrite them. */
static const char *const unsigned_headers[] = {
    "authorization", "user-agent", "expect", "transfer-encoding", "x-amzn-trace-id", "connection",
};

static bool is_unsigned_header(const char *name)
{
    for (size_t i = 0; i < SA_N(unsigned_headers); i++) {
        if (strcasecmp(name, unsigned_headers[i]) == 0)
            return true;
    }
    return false;
}

static void hex_encode(char *out, const unsigned char *in, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * len] = '\0';
}

void sa_aws_sha256_hex(char out[65], const void *data, size_t len)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data != NULL ? data : (const void *)"", len, md);
    hex_encode(out, md, sizeof(md));
}

static void hmac_sha256(unsigned char out[32], const void *key, size_t key_len, const void *data,
                        size_t data_len)
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)key_len, data, data_len, out, &n);
}

void sa_aws_sigv4_signing_key(unsigned char out[32], const char *secret, const char *date8,
                              const char *region, const char *service)
{
    size_t slen = strlen(secret);
    unsigned char *k_secret = sa_malloc(slen + 4);
    unsigned char k1[32], k2[32], k3[32];

    if (k_secret == NULL) {
        /* Without memory we cannot sign; a zero key makes the request fail authentication
         * rather than crash. */
        memset(out, 0, 32);
        return;
    }
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret, slen);
    hmac_sha256(k1, k_secret, slen + 4, date8, strlen(date8));
    hmac_sha256(k2, k1, 32, region, strlen(region));
    hmac_sha256(k3, k2, 32, service, strlen(service));
    hmac_sha256(out, k3, 32, "aws4_request", 12);
    OPENSSL_cleanse(k_secret, slen + 4);
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    OPENSSL_cleanse(k3, sizeof(k3));
    free(k_secret);
}

int sa_aws_sigv4_dates(char out_amz_date[17], char out_date8[9], time_t when, sa_error *err)
{
    struct tm tm;

    if (sa_gmtime(&when, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1970)
        return sa_error_set(err, SA_EINVAL, "signing time out of range");
    strftime(out_amz_date, 17, "%Y%m%dT%H%M%SZ", &tm);
    strftime(out_date8, 9, "%Y%m%d", &tm);
    return SA_OK;
}

/* ---- canonical path ---------------------------------------------------------------------- */

typedef struct segment {
    const char *p;
    size_t len;
} segment;

/* Removes "." and ".." segments and empty segments (repeated slashes). A trailing slash is kept
 * when the original path had one. */
static int normalize_path(sa_aws_buf *out, const char *path, sa_error *err)
{
    size_t len = strlen(path);
    size_t max_segs = len / 2 + 2;
    segment *segs = sa_calloc(max_segs, sizeof(*segs));
    size_t n = 0;
    int rc = SA_OK;

    if (segs == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    for (const char *p = path; *p;) {
        const char *start;
        size_t seg_len;
        while (*p == '/')
            p++;
        start = p;
        while (*p && *p != '/')
            p++;
        seg_len = (size_t)(p - start);
        if (seg_len == 0 || (seg_len == 1 && start[0] == '.'))
            continue;
        if (seg_len == 2 && start[0] == '.' && start[1] == '.') {
            if (n > 0)
                n--;
            continue;
        }
        segs[n].p = start;
        segs[n].len = seg_len;
        n++;
    }
    rc = sa_aws_buf_putc(out, '/', err);
    for (size_t i = 0; rc == SA_OK && i < n; i++) {
        rc = sa_aws_buf_append(out, segs[i].p, segs[i].len, err);
        if (rc == SA_OK && (i + 1 < n || (len > 0 && path[len - 1] == '/')))
            rc = sa_aws_buf_putc(out, '/', err);
    }
    free(segs);
    return rc;
}

int sa_aws_sigv4_canonical_path(sa_aws_buf *out, const char *path, bool normalize, sa_error *err)
{
    sa_aws_buf norm;
    int rc;

    if (path == NULL || path[0] == '\0')
        return sa_aws_buf_putc(out, '/', err);
    if (!normalize)
        return sa_aws_uri_encode(out, path, strlen(path), "/", err);
    sa_aws_buf_init(&norm, SA_AWS_BUF_DEFAULT_MAX);
    rc = normalize_path(&norm, path, err);
    if (rc == SA_OK)
        rc = sa_aws_uri_encode(out, norm.data, norm.len, "/", err);
    sa_aws_buf_dispose(&norm);
    return rc;
}

/* ---- canonical query --------------------------------------------------------------------- */

typedef struct query_pair {
    char *key; /* encoded */
    char *value;
} query_pair;

static int pair_cmp(const void *a, const void *b)
{
    const query_pair *x = a;
    const query_pair *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : strcmp(x->value, y->value);
}

static int reencode(char **out, const char *s, size_t len, sa_error *err)
{
    char *decoded = NULL;
    size_t dlen = 0;
    sa_aws_buf b;
    int rc;

    sa_aws_buf_init(&b, SA_AWS_BUF_DEFAULT_MAX);
    rc = sa_aws_uri_decode(&decoded, &dlen, s, len, err);
    if (rc == SA_OK)
        rc = sa_aws_uri_encode(&b, decoded, dlen, NULL, err);
    if (rc == SA_OK)
        rc = sa_aws_buf_detach(out, &b, err);
    sa_aws_buf_dispose(&b);
    free(decoded);
    return rc;
}

int sa_aws_sigv4_canonical_query(sa_aws_buf *out, const char *query, sa_error *err)
{
    query_pair *pairs = NULL;
    size_t n = 0;
    size_t max_pairs = 1;
    int rc = SA_OK;

    if (query == NULL || query[0] == '\0')
        return SA_OK;
    for (const char *p = query; *p; p++)
        max_pairs += (*p == '&');
    pairs = sa_calloc(max_pairs, sizeof(*pairs));
    if (pairs == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    for (const char *p = query; *p;) {
        size_t plen = strcspn(p, "&");
        const char *eq = memchr(p, '=', plen);
        if (plen > 0) {
            size_t klen = eq != NULL ? (size_t)(eq - p) : plen;
            rc = reencode(&pairs[n].key, p, klen, err);
            if (rc == SA_OK)
                rc = eq != NULL ? reencode(&pairs[n].value, eq + 1, plen - klen - 1, err)
                                : reencode(&pairs[n].value, "", 0, err);
            n++;
            if (rc != SA_OK)
                goto out;
        }
        p += plen;
        if (*p == '&')
            p++;
    }
    qsort(pairs, n, sizeof(*pairs), pair_cmp);
    for (size_t i = 0; rc == SA_OK && i < n; i++)
        rc = sa_aws_buf_printf(out, err, "%s%s=%s", i ? "&" : "", pairs[i].key, pairs[i].value);
out:
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].key);
        free(pairs[i].value);
    }
    free(pairs);
    return rc;
}

/* ---- canonical headers ------------------------------------------------------------------- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int sa_aws_sigv4_canonical_header_value(sa_aws_buf *out, const char *value, sa_error *err)
{
    const char *p = value;
    bool pending_space = false;
    bool any = false;

    while (*p) {
        if (is_ws(*p)) {
            pending_space = any;
            p++;
            continue;
        }
        if (pending_space) {
            int rc = sa_aws_buf_putc(out, ' ', err);
            if (rc != SA_OK)
                return rc;
            pending_space = false;
        }
        {
            int rc = sa_aws_buf_putc(out, *p, err);
            if (rc != SA_OK)
                return rc;
        }
        any = true;
        p++;
    }
    return SA_OK;
}

typedef struct header_ref {
    char *lname;  /* lower-cased name */
    size_t index; /* position in the request, to keep repeated headers in order */
    const char *value;
} header_ref;

static int header_ref_cmp(const void *a, const void *b)
{
    const header_ref *x = a;
    const header_ref *y = b;
    int c = strcmp(x->lname, y->lname);
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Appends the canonical header block (each "name:value\n") to creq and the signed header list
 * ("a;b;c") to signed_headers. */
static int canonical_headers(sa_aws_buf *creq, sa_aws_buf *signed_headers,
                             const sa_aws_headers *headers, sa_error *err)
{
    header_ref *refs = sa_calloc(headers->count + 1, sizeof(*refs));
    size_t n = 0;
    int rc = SA_OK;

    if (refs == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    for (size_t i = 0; i < headers->count; i++) {
        const sa_aws_header *h = &headers->items[i];
        if (is_unsigned_header(h->name))
            continue;
        refs[n].lname = sa_strdup(h->name);
        if (refs[n].lname == NULL) {
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
            goto out;
        }
        for (char *q = refs[n].lname; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        refs[n].index = i;
        refs[n].value = h->value;
        n++;
    }
    qsort(refs, n, sizeof(*refs), header_ref_cmp);
    for (size_t i = 0; i < n && rc == SA_OK; i++) {
        bool first = (i == 0 || strcmp(refs[i].lname, refs[i - 1].lname) != 0);
        bool last = (i + 1 == n || strcmp(refs[i].lname, refs[i + 1].lname) != 0);
        if (first) {
            rc = sa_aws_buf_printf(creq, err, "%s:", refs[i].lname);
            if (rc == SA_OK)
                rc = sa_aws_buf_printf(signed_headers, err, "%s%s", i ? ";" : "", refs[i].lname);
        } else {
            rc = sa_aws_buf_putc(creq, ',', err);
        }
        if (rc == SA_OK)
            rc = sa_aws_sigv4_canonical_header_value(creq, refs[i].value, err);
        if (rc == SA_OK && last)
            rc = sa_aws_buf_putc(creq, '\n', err);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(refs[i].lname);
    free(refs);
    return rc;
}

/* ---- signing ----------------------------------------------------------------------------- */

void sa_aws_sigv4_trace_dispose(sa_aws_sigv4_trace *t)
{
    if (t == NULL)
        return;
    if (t->canonical_request != NULL)
        OPENSSL_cleanse(t->canonical_request, strlen(t->canonical_request));
    free(t->canonical_request);
    free(t->string_to_sign);
    memset(t, 0, sizeof(*t));
}

static bool scope_part_ok(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return false;
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return false;
    }
    return true;
}

static int check_params(const sa_aws_sigv4_params *p, sa_error *err)
{
    if (p->access_key_id == NULL || p->access_key_id[0] == '\0' ||
        strpbrk(p->access_key_id, "/, \r\n") != NULL)
        return sa_error_set(err, SA_EINVAL, "the access key id is empty or malformed");
    if (p->secret_access_key == NULL || p->secret_access_key[0] == '\0')
        return sa_error_set(err, SA_EINVAL, "the secret access key is empty");
    if (!scope_part_ok(p->region))
        return sa_error_set(err, SA_EINVAL, "the signing region is empty or malformed");
    if (!scope_part_ok(p->service))
        return sa_error_set(err, SA_EINVAL, "the signing service is empty or malformed");
    if (p->session_token != NULL && strpbrk(p->session_token, "\r\n") != NULL)
        return sa_error_set(err, SA_EINVAL, "the session token is malformed");
    return SA_OK;
}

/* The Host header value from an origin "scheme://host[:port]". */
static int add_host_header(sa_aws_http_request *req, sa_error *err)
{
    const char *o = req->origin != NULL ? strstr(req->origin, "://") : NULL;
    if (o == NULL || o[3] == '\0')
        return sa_error_set(err, SA_EINVAL, "the request has no Host header and no origin");
    return sa_aws_headers_add(&req->headers, "Host", o + 3, err);
}

static int build_canonical_request(sa_aws_buf *creq, sa_aws_buf *signed_headers,
                                   const sa_aws_http_request *req, bool normalize,
                                   const char *payload_hash, sa_error *err)
{
    int rc = sa_aws_buf_printf(creq, err, "%s\n", req->method);
    if (rc == SA_OK)
        rc = sa_aws_sigv4_canonical_path(creq, req->path, normalize, err);
    if (rc == SA_OK)
        rc = sa_aws_buf_putc(creq, '\n', err);
    if (rc == SA_OK)
        rc = sa_aws_sigv4_canonical_query(creq, req->query, err);
    if (rc == SA_OK)
        rc = sa_aws_buf_putc(creq, '\n', err);
    if (rc == SA_OK)
        rc = canonical_headers(creq, signed_headers, &req->headers, err);
    if (rc == SA_OK)
        rc = sa_aws_buf_printf(creq, err, "\n%s\n%s",
                               signed_headers->data ? signed_headers->data : "", payload_hash);
    return rc;
}

int sa_aws_sigv4_sign(sa_aws_http_request *req, sa_aws_sigv4_trace *ret_trace,
                      const sa_aws_sigv4_params *params, sa_error *err)
{
    char amz_date[17];
    char date8[9];
    char payload_hash[65];
    char creq_hash[65];
    char signature[65];
    unsigned char key[32];
    unsigned char sig[32];
    sa_aws_buf creq, sts, signed_headers, auth;
    bool add_token;
    int rc;

    sa_aws_buf_init(&creq, SA_AWS_BUF_DEFAULT_MAX);
    sa_aws_buf_init(&sts, SA_AWS_BUF_DEFAULT_MAX);
    sa_aws_buf_init(&signed_headers, SA_AWS_BUF_DEFAULT_MAX);
    sa_aws_buf_init(&auth, SA_AWS_BUF_DEFAULT_MAX);
    memset(key, 0, sizeof(key));

    rc = check_params(params, err);
    if (rc != SA_OK)
        goto out;
    if (req->method == NULL || req->method[0] == '\0') {
        rc = sa_error_set(err, SA_EINVAL, "the request has no method");
        goto out;
    }
    rc = sa_aws_sigv4_dates(amz_date, date8, params->when, err);
    if (rc != SA_OK)
        goto out;
    sa_aws_sha256_hex(payload_hash, req->body, req->body_len);
    add_token = params->session_token != NULL && params->session_token[0] != '\0';

    sa_aws_headers_remove(&req->headers, "Authorization");
    if (sa_aws_headers_get(&req->headers, "Host") == NULL) {
        rc = add_host_header(req, err);
        if (rc != SA_OK)
            goto out;
    }
    rc = sa_aws_headers_set(&req->headers, "X-Amz-Date", amz_date, err);
    if (rc == SA_OK && add_token) {
        sa_aws_headers_remove(&req->headers, "X-Amz-Security-Token");
        if (!params->omit_session_token)
            rc = sa_aws_headers_add(&req->headers, "X-Amz-Security-Token", params->session_token,
                                    err);
    }
    if (rc == SA_OK && params->sign_body)
        rc = sa_aws_headers_set(&req->headers, "x-amz-content-sha256", payload_hash, err);
    if (rc != SA_OK)
        goto out;

    rc = build_canonical_request(&creq, &signed_headers, req, params->normalize_path, payload_hash,
                                 err);
    if (rc != SA_OK)
        goto out;
    sa_aws_sha256_hex(creq_hash, creq.data, creq.len);
    rc = sa_aws_buf_printf(&sts, err, ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date8,
                           params->region, params->service, creq_hash);
    if (rc != SA_OK)
        goto out;

    sa_aws_sigv4_signing_key(key, params->secret_access_key, date8, params->region,
                             params->service);
    hmac_sha256(sig, key, sizeof(key), sts.data, sts.len);
    hex_encode(signature, sig, sizeof(sig));

    rc = sa_aws_buf_printf(&auth, err,
                           ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                                     "Signature=%s",
                           params->access_key_id, date8, params->region, params->service,
                           signed_headers.data, signature);
    if (rc == SA_OK)
        rc = sa_aws_headers_add(&req->headers, "Authorization", auth.data, err);
    if (rc == SA_OK && add_token && params->omit_session_token)
        rc = sa_aws_headers_add(&req->headers, "X-Amz-Security-Token", params->session_token, err);
    if (rc != SA_OK)
        goto out;

    if (ret_trace != NULL) {
        sa_aws_sigv4_trace t = {0};
        rc = sa_aws_buf_detach(&t.canonical_request, &creq, err);
        if (rc == SA_OK)
            rc = sa_aws_buf_detach(&t.string_to_sign, &sts, err);
        if (rc != SA_OK) {
            sa_aws_sigv4_trace_dispose(&t);
            goto out;
        }
        memcpy(t.signature, signature, sizeof(signature));
        *ret_trace = t;
    }
out:
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(sig, sizeof(sig));
    sa_aws_buf_cleanse_dispose(&creq);
    sa_aws_buf_dispose(&sts);
    sa_aws_buf_dispose(&signed_headers);
    sa_aws_buf_dispose(&auth);
    return rc;
}
