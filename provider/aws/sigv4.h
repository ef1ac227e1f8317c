/*
 * AWS Signature Version 4 (header mode), pure: no clock, no environment, no I/O. The caller gives
 * the credentials, region, service and signing time; sa_aws_sigv4_sign adds X-Amz-Date, the
 * session token, optionally x-amz-content-sha256, and the Authorization header to a request. The
 * intermediate strings (canonical request, string to sign, signature) can be returned for tests
 * and debugging. Every header present when signing is signed, except the ones proxies may change
 * (User-Agent, Expect, Transfer-Encoding, X-Amzn-Trace-Id). Derived keys and buffers holding the
 * session token are wiped after use. Conformance: every header-mode case of the official suites
 * (tests/unit/aws/test_sigv4.c). Presigned URLs (query mode) are not implemented: nothing needs
 * them.
 */
#ifndef SA_AWS_SIGV4_H
#define SA_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws/buf.h"
#include "aws/http.h"
#include "base/error.h"

typedef struct sa_aws_sigv4_params {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL: none */
    const char *region;
    const char *service;     /* the signing name, e.g. "kms", "logs", "apigateway" */
    time_t when;             /* signing time, seconds since the epoch (UTC) */
    bool normalize_path;     /* remove dot segments and repeated slashes (every service but S3) */
    bool sign_body;          /* add and sign x-amz-content-sha256 */
    bool omit_session_token; /* add X-Amz-Security-Token after signing, unsigned */
} sa_aws_sigv4_params;

/* The intermediate results of one signature. */
typedef struct sa_aws_sigv4_trace {
    char *canonical_request; /* may contain the session token: wiped by dispose */
    char *string_to_sign;
    char signature[65];
} sa_aws_sigv4_trace;

void sa_aws_sigv4_trace_dispose(sa_aws_sigv4_trace *t);

/* Signs req in place. ret_trace may be NULL; when given it is filled on success and must be
 * disposed. A Host header is added from req->origin when the request has none. */
int sa_aws_sigv4_sign(sa_aws_http_request *req, sa_aws_sigv4_trace *ret_trace,
                      const sa_aws_sigv4_params *params, sa_error *err);

/* The pieces, exposed for unit tests. */
int sa_aws_sigv4_canonical_path(sa_aws_buf *out, const char *path, bool normalize, sa_error *err);
int sa_aws_sigv4_canonical_query(sa_aws_buf *out, const char *query, sa_error *err);
/* "a   b\n c " -> "a b c" */
int sa_aws_sigv4_canonical_header_value(sa_aws_buf *out, const char *value, sa_error *err);
/* HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request". */
void sa_aws_sigv4_signing_key(unsigned char out[32], const char *secret, const char *date8,
                              const char *region, const char *service);
/* Lower-case hex SHA-256 of data. */
void sa_aws_sha256_hex(char out[65], const void *data, size_t len);
/* "20150830T123600Z" and "20150830". */
int sa_aws_sigv4_dates(char out_amz_date[17], char out_date8[9], time_t when, sa_error *err);

#endif
