/*
 * libcurl transport (see curl_transport.h): a pool of easy handles sharing DNS and TLS sessions,
 * one exchange per send, libcurl errors mapped onto the transport status contract of http.h.
 */
#include "aws/curl_transport.h"
#include "base/alloc.h"
#include "base/platform.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws/buf.h"

#define MAX_RESPONSE_HEADERS 256
#define MAX_HEADER_BYTES ((size_t)64 * 1024)

struct sa_aws_curl_transport {
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    bool share_locks_ready;
    pthread_mutex_t pool_lock;
    bool pool_lock_ready;
    CURL **idle;
    size_t idle_count;
    size_t idle_max;
    char *ca_bundle;
    char *ca_path;
    bool native_ca;   /* the system's certificate store (SA_PLATFORM_NATIVE_CA) */
    bool no_ca_found; /* libcurl has no CA location and none was found: say so on TLS errors */
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_response;
    atomic_long connections;
};

int sa_aws_curl_global_init(sa_error *err)
{
    CURLcode c = curl_global_init(CURL_GLOBAL_DEFAULT);
    const curl_version_info_data *info;

    if (c != CURLE_OK)
        return sa_error_set(err, SA_EINTERNAL, "curl_global_init failed: %s",
                            curl_easy_strerror(c));
    info = curl_version_info(CURLVERSION_NOW);
    if (info == NULL || !(info->features & CURL_VERSION_SSL))
        return sa_error_set(err, SA_EUNSUPPORTED, "libcurl was built without TLS support");
    return SA_OK;
}

void sa_aws_curl_global_cleanup(void)
{
    curl_global_cleanup();
}

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *userptr)
{
    sa_aws_curl_transport *t = userptr;
    (void)handle;
    (void)access;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&t->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *userptr)
{
    sa_aws_curl_transport *t = userptr;
    (void)handle;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&t->share_locks[data]);
}

void sa_aws_curl_transport_free(sa_aws_curl_transport *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->idle_count; i++)
        curl_easy_cleanup(t->idle[i]);
    free(t->idle);
    if (t->share != NULL)
        curl_share_cleanup(t->share);
    if (t->share_locks_ready) {
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&t->share_locks[i]);
    }
    if (t->pool_lock_ready)
        pthread_mutex_destroy(&t->pool_lock);
    free(t->ca_bundle);
    free(t->ca_path);
    free(t);
}

/* The CA file and directory to give libcurl: the caller's bundle if any; else nothing when
 * libcurl knows its own (a distribution's libcurl); else OpenSSL's variables, then the system's
 * store where it has one (Windows), else the first readable bundle of the system's usual places
 * (sa_platform_ca_bundle). */
static int pick_ca(sa_aws_curl_transport *t, const sa_aws_curl_options *opts, sa_error *err)
{
    const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
    const char *file = NULL, *dir = NULL;

    if (opts != NULL && opts->ca_bundle != NULL && opts->ca_bundle[0] != '\0') {
        file = opts->ca_bundle;
    } else if (info->cainfo == NULL && info->capath == NULL) {
        if (opts != NULL && opts->ssl_cert_file != NULL && opts->ssl_cert_file[0] != '\0')
            file = opts->ssl_cert_file;
        if (opts != NULL && opts->ssl_cert_dir != NULL && opts->ssl_cert_dir[0] != '\0')
            dir = opts->ssl_cert_dir;
        if (SA_PLATFORM_NATIVE_CA && file == NULL && dir == NULL)
            t->native_ca = true;
        for (size_t i = 0; file == NULL && dir == NULL && !t->native_ca; i++) {
            const char *place = sa_platform_ca_bundle(i);
            if (place == NULL)
                break;
            if (access(place, R_OK) == 0)
                file = place;
        }
        t->no_ca_found = file == NULL && dir == NULL && !t->native_ca;
    }
    if ((file != NULL && (t->ca_bundle = sa_strdup(file)) == NULL) ||
        (dir != NULL && (t->ca_path = sa_strdup(dir)) == NULL))
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    return SA_OK;
}

int sa_aws_curl_transport_new(sa_aws_curl_transport **out, const sa_aws_curl_options *opts,
                              sa_error *err)
{
    sa_aws_curl_transport *t = sa_calloc(1, sizeof(*t));
    int rc = SA_OK;

    if (t == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    t->connect_timeout_ms = opts && opts->connect_timeout_ms > 0
                                ? opts->connect_timeout_ms
                                : SA_AWS_CURL_DEFAULT_CONNECT_TIMEOUT_MS;
    t->timeout_ms =
        opts && opts->timeout_ms > 0 ? opts->timeout_ms : SA_AWS_CURL_DEFAULT_TIMEOUT_MS;
    t->max_response = opts && opts->max_response_bytes > 0 ? opts->max_response_bytes
                                                           : SA_AWS_CURL_DEFAULT_MAX_RESPONSE;
    t->idle_max =
        opts && opts->max_idle_handles > 0 ? opts->max_idle_handles : SA_AWS_CURL_DEFAULT_MAX_IDLE;
    atomic_init(&t->connections, 0);
    rc = pick_ca(t, opts, err);
    if (rc != SA_OK)
        goto out;
    t->idle = sa_calloc(t->idle_max, sizeof(*t->idle));
    if (t->idle == NULL) {
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        goto out;
    }
    if (pthread_mutex_init(&t->pool_lock, NULL) != 0) {
        rc = sa_error_set(err, SA_EINTERNAL, "cannot create a mutex");
        goto out;
    }
    t->pool_lock_ready = true;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) {
        if (pthread_mutex_init(&t->share_locks[i], NULL) != 0) {
            for (int j = 0; j < i; j++)
                pthread_mutex_destroy(&t->share_locks[j]);
            rc = sa_error_set(err, SA_EINTERNAL, "cannot create a mutex");
            goto out;
        }
    }
    t->share_locks_ready = true;
    t->share = curl_share_init();
    if (t->share == NULL || curl_share_setopt(t->share, CURLSHOPT_LOCKFUNC, share_lock) ||
        curl_share_setopt(t->share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
        curl_share_setopt(t->share, CURLSHOPT_USERDATA, t) ||
        curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
        curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION)) {
        rc = sa_error_set(err, SA_EINTERNAL, "cannot set up a libcurl share handle");
        goto out;
    }
    *out = t;
    t = NULL;
out:
    sa_aws_curl_transport_free(t);
    return rc;
}

long sa_aws_curl_transport_connections(const sa_aws_curl_transport *t)
{
    return t != NULL ? atomic_load(&((sa_aws_curl_transport *)t)->connections) : 0;
}

/* ---- the handle pool --------------------------------------------------------------------- */

static CURL *borrow_handle(sa_aws_curl_transport *t)
{
    CURL *h = NULL;

    pthread_mutex_lock(&t->pool_lock);
    if (t->idle_count > 0)
        h = t->idle[--t->idle_count];
    pthread_mutex_unlock(&t->pool_lock);
    if (h != NULL)
        return h;
    h = curl_easy_init();
    if (h != NULL && curl_easy_setopt(h, CURLOPT_SHARE, t->share) != CURLE_OK) {
        curl_easy_cleanup(h);
        h = NULL;
    }
    return h;
}

static void return_handle(sa_aws_curl_transport *t, CURL *h)
{
    bool kept = false;

    /* Forget the per-call pointers (buffers on the caller's stack); the connection cache, the
     * share and the TLS session survive a reset. */
    curl_easy_reset(h);
    pthread_mutex_lock(&t->pool_lock);
    if (t->idle_count < t->idle_max) {
        t->idle[t->idle_count++] = h;
        kept = true;
    }
    pthread_mutex_unlock(&t->pool_lock);
    if (!kept)
        curl_easy_cleanup(h);
}

/* ---- one exchange ------------------------------------------------------------------------ */

typedef struct exchange {
    sa_aws_buf body;
    bool too_large;
    sa_aws_headers headers;
    size_t header_bytes;
    bool header_overflow;
    bool headers_ended; /* the blank line after the last response's headers arrived */
    int header_rc;
    const atomic_bool *cancelled;
} exchange;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    exchange *x = userp;
    size_t n = size * nmemb;

    if (sa_aws_buf_append(&x->body, data, n, NULL) != SA_OK) {
        x->too_large = x->body.len + n > x->body.max;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userp)
{
    exchange *x = userp;
    size_t n = size * nitems;
    size_t len = n;
    const char *colon;
    const char *v;

    x->header_bytes += n;
    if (x->header_bytes > MAX_HEADER_BYTES || x->headers.count >= MAX_RESPONSE_HEADERS) {
        x->header_overflow = true;
        return 0;
    }
    while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
        len--;
    if (len == 0) {
        x->headers_ended = true;
        return n;
    }
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* a new response (after 100 Continue or a proxy CONNECT): start over */
        sa_aws_headers_dispose(&x->headers);
        x->header_bytes = n;
        x->headers_ended = false;
        return n;
    }
    colon = memchr(data, ':', len);
    if (colon == NULL || colon == data)
        return n;
    v = colon + 1;
    while (v < data + len && (*v == ' ' || *v == '\t'))
        v++;
    if (sa_aws_headers_addn(&x->headers, data, (size_t)(colon - data), v, (size_t)(data + len - v),
                            NULL) != SA_OK) {
        x->header_rc = SA_ENOMEM;
        return 0;
    }
    return n;
}

static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    exchange *x = userp;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return (x->cancelled != NULL && atomic_load(x->cancelled)) ? 1 : 0;
}

/* Frees a header list, wiping each line first (they carry the signature and session token). */
static void free_header_list(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l != NULL; l = l->next) {
        if (l->data != NULL)
            OPENSSL_cleanse(l->data, strlen(l->data));
    }
    curl_slist_free_all(list);
}

static int build_header_list(struct curl_slist **out, const sa_aws_http_request *req, sa_error *err)
{
    struct curl_slist *list = NULL;
    sa_aws_buf line;
    int rc = SA_OK;

    sa_aws_buf_init(&line, MAX_HEADER_BYTES);
    for (size_t i = 0; i < req->headers.count && rc == SA_OK; i++) {
        const sa_aws_header *h = &req->headers.items[i];
        struct curl_slist *next;
        sa_aws_buf_dispose(&line);
        /* "Name;" is libcurl's way to send a header with an empty value */
        rc = h->value[0] ? sa_aws_buf_printf(&line, err, "%s: %s", h->name, h->value)
                         : sa_aws_buf_printf(&line, err, "%s;", h->name);
        if (rc != SA_OK)
            break;
        next = curl_slist_append(list, line.data);
        if (next == NULL) {
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
            break;
        }
        list = next;
    }
    /* No "Expect: 100-continue" round trip, and no Content-Type we did not choose. */
    if (rc == SA_OK) {
        struct curl_slist *next = curl_slist_append(list, "Expect:");
        if (next == NULL)
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        else
            list = next;
    }
    if (rc == SA_OK && sa_aws_headers_get(&req->headers, "Content-Type") == NULL) {
        struct curl_slist *next = curl_slist_append(list, "Content-Type:");
        if (next == NULL)
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        else
            list = next;
    }
    sa_aws_buf_cleanse_dispose(&line);
    if (rc != SA_OK) {
        free_header_list(list);
        return rc;
    }
    *out = list;
    return SA_OK;
}

/* A duration for a message: whole seconds when it is one ("120 s"), else tenths ("2.3 s"). */
static void seconds(char *out, size_t size, long ms)
{
    if (ms % 1000 == 0)
        snprintf(out, size, "%ld s", ms / 1000);
    else
        snprintf(out, size, "%.1f s", (double)ms / 1000.0);
}

/* A timed-out exchange, worded with the limit that ended it (libcurl's own words give
 * milliseconds and bytes): the connect timeout when it is the shorter one and the exchange
 * stopped well before the whole-exchange timeout, else the whole-exchange (per-attempt) one. */
static int timeout_error(CURL *h, long connect_ms, long timeout_ms, sa_error *err)
{
    curl_off_t total_us = 0;
    char limit[32];

    if (curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us) != CURLE_OK)
        total_us = 0;
    if (connect_ms < timeout_ms && total_us / 1000 < connect_ms + (timeout_ms - connect_ms) / 2) {
        seconds(limit, sizeof(limit), connect_ms);
        return sa_error_set(err, SA_ETIMEOUT, "timed out: no connection within %s", limit);
    }
    seconds(limit, sizeof(limit), timeout_ms);
    return sa_error_set(err, SA_ETIMEOUT, "timed out after %s without a complete answer", limit);
}

static int map_curl_error(CURLcode c, const exchange *x, const char *errbuf, size_t max_response,
                          sa_error *err)
{
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(c);

    switch (c) {
    case CURLE_ABORTED_BY_CALLBACK:
        return sa_error_set(err, SA_ECANCELLED, "cancelled");
    case CURLE_WRITE_ERROR:
        if (x->too_large)
            return sa_error_set(err, SA_EINVAL, "the response is larger than %zu bytes",
                                max_response);
        return sa_error_set(err, SA_EIO, "%s", detail);
    case CURLE_OUT_OF_MEMORY:
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_TOO_MANY_REDIRECTS:
        return sa_error_set(err, SA_EINVAL, "%s", detail);
    default:
        if (x->header_overflow)
            return sa_error_set(err, SA_EINVAL, "the response headers are too large");
        return sa_error_set(err, SA_EIO, "%s", detail);
    }
}

#define SETOPT(h, opt, val)                                                                        \
    do {                                                                                           \
        if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) {                                     \
            rc = sa_error_set(err, SA_EINTERNAL, "libcurl rejected option " #opt);                 \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

static int curl_send(void *ctx, sa_aws_http_response *out, const sa_aws_http_request *req,
                     sa_error *err)
{
    sa_aws_curl_transport *t = ctx;
    CURL *h = NULL;
    struct curl_slist *headers = NULL;
    char *url = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    exchange x;
    CURLcode c;
    long status = 0;
    long connects = 0;
    long connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : t->connect_timeout_ms;
    long timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : t->timeout_ms;
    int rc = SA_OK;

    memset(&x, 0, sizeof(x));
    sa_aws_buf_init(&x.body, t->max_response);
    x.cancelled = req->cancelled;

    rc = sa_aws_http_request_url(&url, req, err);
    if (rc == SA_OK)
        rc = build_header_list(&headers, req, err);
    if (rc != SA_OK)
        goto out;
    h = borrow_handle(t);
    if (h == NULL) {
        rc = sa_error_set(err, SA_ENOMEM, "cannot create a libcurl handle");
        goto out;
    }
    SETOPT(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SETOPT(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    SETOPT(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->ca_bundle != NULL)
        SETOPT(h, CURLOPT_CAINFO, t->ca_bundle);
    /* A bundle replaces the trusted CAs, as in the AWS SDKs, rather than adding to the
     * directory a distribution's libcurl also reads by default. */
    if (t->ca_path != NULL)
        SETOPT(h, CURLOPT_CAPATH, t->ca_path);
    else if (t->ca_bundle != NULL)
        SETOPT(h, CURLOPT_CAPATH, (char *)NULL);
    if (t->native_ca)
        SETOPT(h, CURLOPT_SSL_OPTIONS, (long)CURLSSLOPT_NATIVE_CA);
    SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(h, CURLOPT_FRESH_CONNECT, req->fresh_connection ? 1L : 0L);
    SETOPT(h, CURLOPT_HTTPHEADER, headers);
    SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(h, CURLOPT_WRITEDATA, &x);
    SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(h, CURLOPT_HEADERDATA, &x);
    SETOPT(h, CURLOPT_NOPROGRESS, 0L);
    SETOPT(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    SETOPT(h, CURLOPT_XFERINFODATA, &x);
    SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
    if (strcmp(req->method, "GET") == 0 && req->body_len == 0) {
        SETOPT(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(req->method, "HEAD") == 0) {
        SETOPT(h, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(req->method, "POST") != 0)
            SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body_len > 0 || strcmp(req->method, "DELETE") != 0) {
            SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            SETOPT(h, CURLOPT_POSTFIELDS, req->body != NULL ? (const char *)req->body : "");
        }
    }

    c = curl_easy_perform(h);
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        atomic_fetch_add(&t->connections, connects);
    if (c == CURLE_OPERATION_TIMEDOUT) {
        rc = timeout_error(h, connect_ms, timeout_ms, err);
        goto out;
    }
    if (t->no_ca_found && c == CURLE_PEER_FAILED_VERIFICATION) {
        rc = sa_error_set(err, SA_EINVAL,
                          "%s: no CA certificates were found (set AWS_CA_BUNDLE or SSL_CERT_FILE "
                          "to a PEM bundle, or install the ca-certificates package)",
                          errbuf[0] ? errbuf : curl_easy_strerror(c));
        goto out;
    }
    if (c != CURLE_OK) {
        rc = map_curl_error(c, &x, errbuf, t->max_response, err);
        goto out;
    }
    if (x.header_rc != SA_OK) {
        rc = sa_error_set(err, x.header_rc, "out of memory");
        goto out;
    }
    if (!x.headers_ended) {
        /* libcurl takes a connection closed part way through the headers of an HTTP/1.x answer
         * for a complete answer (with no body); it is a lost one, as a reset would be */
        rc = sa_error_set(err, SA_EIO, "the connection closed before the answer's headers ended");
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    out->status = status;
    out->headers = x.headers;
    memset(&x.headers, 0, sizeof(x.headers));
    out->body = (unsigned char *)x.body.data;
    out->body_len = x.body.len;
    sa_aws_buf_init(&x.body, t->max_response);
out:
    if (h != NULL)
        return_handle(t, h);
    free_header_list(headers);
    free(url);
    sa_aws_headers_dispose(&x.headers);
    sa_aws_buf_cleanse_dispose(&x.body);
    return rc;
}

sa_aws_transport sa_aws_curl_transport_seam(sa_aws_curl_transport *t)
{
    sa_aws_transport s = {curl_send, t};
    return s;
}
