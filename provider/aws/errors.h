/*
 * What an AWS error response says, read from any of the shapes services and emulators answer
 * with: JSON bodies (`__type` with any "prefix#" and ":suffix" stripped, `code`/`Code`,
 * `message`/`Message`), the x-amzn-ErrorType header, XML `<ErrorResponse><Error><Code>` and
 * `<Response><Errors><Error>` (auth failures come back as XML even from JSON services), HTML pages
 * (an emulator's unimplemented action) and empty bodies. Every error carries the AWS code, the
 * message, the HTTP status and the request id (x-amzn-RequestId, x-amz-request-id or
 * <RequestId>). XML and HTML are read with libxml2.
 */
#ifndef SA_AWS_ERRORS_H
#define SA_AWS_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/http.h"

#define SA_AWS_ERROR_CODE_MAX 128
#define SA_AWS_ERROR_MESSAGE_MAX 768
#define SA_AWS_REQUEST_ID_MAX 128

typedef struct sa_aws_error {
    char code[SA_AWS_ERROR_CODE_MAX];       /* e.g. "ThrottlingException"; the HTTP status in
                                               decimal when the body names none */
    char message[SA_AWS_ERROR_MESSAGE_MAX]; /* one line */
    long http_status;                       /* 0: no HTTP response (transport failure) */
    char request_id[SA_AWS_REQUEST_ID_MAX];
    bool html;    /* the body was an HTML page */
    int attempts; /* filled by sa_aws_call */
} sa_aws_error;

/* Reads an error response. Never fails: what cannot be read is described generically. */
void sa_aws_error_parse(sa_aws_error *out, long http_status, const sa_aws_headers *headers,
                        const unsigned char *body, size_t body_len);

/* The request id from the response headers, or "" (copied into out, size bytes). */
void sa_aws_request_id_from_headers(char *out, size_t size, const sa_aws_headers *headers);

bool sa_aws_error_is(const sa_aws_error *e, const char *code);

#endif
