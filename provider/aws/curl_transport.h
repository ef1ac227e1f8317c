/*
 * The real HTTP transport: libcurl behind the sa_aws_transport seam. Connections are reused across
 * calls and threads through a small pool of easy handles (each keeps its own connection cache; a
 * call borrows an idle handle and returns it), and DNS results and TLS sessions are shared between
 * all handles through a CURLSH with one mutex per data kind. (libcurl does not support sharing one
 * connection cache between concurrent threads, hence the pool.) TLS peer and host verification
 * stay on; a CA bundle (AWS_CA_BUNDLE) can be given, and replaces the trusted CAs; a libcurl built
 * without a CA location of its own (the static release build) gets SSL_CERT_FILE/SSL_CERT_DIR or
 * the system's store (Windows) or the first bundle found at the system's usual places
 * (base/platform.h). Proxies come from the usual environment variables,
 * which libcurl reads itself. Every exchange has a connect timeout, a whole-exchange timeout, a
 * response size cap and honours the request's cancel flag. This is the only file that
 * includes curl.h. The process must call sa_aws_global_init (client.h) once before using it.
 */
#ifndef SA_AWS_CURL_TRANSPORT_H
#define SA_AWS_CURL_TRANSPORT_H

#include <stddef.h>

#include "aws/http.h"
#include "base/error.h"

#define SA_AWS_CURL_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define SA_AWS_CURL_DEFAULT_TIMEOUT_MS 120000L
#define SA_AWS_CURL_DEFAULT_MAX_RESPONSE ((size_t)16 * 1024 * 1024)
#define SA_AWS_CURL_DEFAULT_MAX_IDLE 8

typedef struct sa_aws_curl_options {
    const char *ca_bundle; /* a PEM file of trusted CAs (AWS_CA_BUNDLE); NULL: the system's */
    /* OpenSSL's variables, used when ca_bundle is NULL and libcurl was built without a CA
     * location of its own (the static release build): SSL_CERT_FILE, SSL_CERT_DIR. Without
     * them, the system's store (Windows) or the first bundle found at the system's usual
     * places (sa_platform_ca_bundle). */
    const char *ssl_cert_file;
    const char *ssl_cert_dir;
    long connect_timeout_ms;   /* 0: default */
    long timeout_ms;           /* 0: default */
    size_t max_response_bytes; /* 0: default (16 MiB) */
    size_t max_idle_handles;   /* 0: default */
} sa_aws_curl_options;

typedef struct sa_aws_curl_transport sa_aws_curl_transport;

/* curl_global_init; called once by sa_aws_global_init. */
int sa_aws_curl_global_init(sa_error *err);
void sa_aws_curl_global_cleanup(void);

/* opts may be NULL. The caller frees *out with sa_aws_curl_transport_free. */
int sa_aws_curl_transport_new(sa_aws_curl_transport **out, const sa_aws_curl_options *opts,
                              sa_error *err);
void sa_aws_curl_transport_free(sa_aws_curl_transport *t);

/* The seam view of t (borrowed: valid while t lives). */
sa_aws_transport sa_aws_curl_transport_seam(sa_aws_curl_transport *t);

/* How many new connections all exchanges so far have opened (for tests and diagnostics). */
long sa_aws_curl_transport_connections(const sa_aws_curl_transport *t);

#endif
