/*
 * The HTTP exchange the AWS client performs, as plain data: header lists, one request, one
 * response, and the transport seam (a send function plus its context) through which every byte
 * leaves the process. The real transport is libcurl (curl_transport.h); unit tests plug in a fake
 * that serves canned responses and records requests. Header values are wiped when freed because
 * requests carry signatures and session tokens.
 *
 * Transport status contract (what send returns), which the retry policy relies on:
 *   SA_OK          an HTTP response arrived (any status code) and *out holds it
 *   SA_EIO         a connection-level failure worth retrying (refused, reset, DNS, TLS handshake)
 *   SA_ETIMEOUT    the connect or whole-exchange timeout passed (retried)
 *   SA_ECANCELLED  the request's cancel flag was raised during the exchange
 *   SA_EINVAL      a problem retrying cannot fix (certificate not trusted, response too large,
 *                  malformed URL)
 *   SA_ENOMEM      out of memory
 */
#ifndef SA_AWS_HTTP_H
#define SA_AWS_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/version.h"

/* Sent on every request to AWS and to credential endpoints. */
#define SA_AWS_USER_AGENT "pulumi-resource-secureapi/" SA_VERSION

typedef struct sa_aws_header {
    char *name;
    char *value;
} sa_aws_header;

/* An ordered list; names keep their case, lookups ignore it; repeats are allowed. */
typedef struct sa_aws_headers {
    sa_aws_header *items;
    size_t count;
    size_t cap;
} sa_aws_headers;

int sa_aws_headers_add(sa_aws_headers *h, const char *name, const char *value, sa_error *err);
int sa_aws_headers_addn(sa_aws_headers *h, const char *name, size_t name_len, const char *value,
                        size_t value_len, sa_error *err);
/* Removes every header of that name, then adds one. */
int sa_aws_headers_set(sa_aws_headers *h, const char *name, const char *value, sa_error *err);
void sa_aws_headers_remove(sa_aws_headers *h, const char *name);
/* The first value of that name (borrowed), or NULL. */
const char *sa_aws_headers_get(const sa_aws_headers *h, const char *name);
void sa_aws_headers_dispose(sa_aws_headers *h);

/* Whether a header carries a credential or signature (Authorization, X-Amz-Security-Token, ...):
 * such values are never logged. */
bool sa_aws_header_is_sensitive(const char *name);
/* The value to show in logs: the value itself, or "<redacted>" for sensitive headers. */
const char *sa_aws_header_display_value(const char *name, const char *value);

typedef struct sa_aws_http_request {
    char *method;           /* "GET", "POST", "PUT", "DELETE", ... */
    char *origin;           /* "https://host" or "http://host:port" */
    char *path;             /* as sent on the request line; begins with '/' */
    char *query;            /* as sent, without '?'; NULL when none */
    sa_aws_headers headers; /* everything we send; Host included */
    unsigned char *body;    /* NULL when body_len is 0 */
    size_t body_len;
    long connect_timeout_ms;      /* 0: the transport's default */
    long timeout_ms;              /* whole exchange; 0: the transport's default */
    const atomic_bool *cancelled; /* borrowed; may be NULL */
    /* On a new connection, not a pooled one. libcurl sends a request again by itself when a
     * reused connection dies before any answer arrives; an operation that makes a new object
     * each time it runs must not be sent twice behind the caller's back. */
    bool fresh_connection;
} sa_aws_http_request;

/* Frees the insides (wiping header values and the body). */
void sa_aws_http_request_dispose(sa_aws_http_request *r);

/* The full URL origin + path [+ '?' + query]; the caller frees *out. */
int sa_aws_http_request_url(char **out, const sa_aws_http_request *r, sa_error *err);

typedef struct sa_aws_http_response {
    long status;
    sa_aws_headers headers;
    unsigned char *body; /* NUL-terminated; NULL when body_len is 0 */
    size_t body_len;
} sa_aws_http_response;

void sa_aws_http_response_dispose(sa_aws_http_response *r);

typedef struct sa_aws_transport {
    /* Performs one exchange. On SA_OK *out is filled and owned by the caller. */
    int (*send)(void *ctx, sa_aws_http_response *out, const sa_aws_http_request *req,
                sa_error *err);
    void *ctx;
} sa_aws_transport;

int sa_aws_transport_send(const sa_aws_transport *t, sa_aws_http_response *out,
                          const sa_aws_http_request *req, sa_error *err);

#endif
