/*
 * URI helpers shared by the signer, the wire protocols and endpoint resolution: RFC 3986
 * percent-encoding (upper-case hex, only the unreserved set A-Z a-z 0-9 - . _ ~ plus characters
 * the caller keeps), decoding, and a strict parser for endpoint URLs (http or https, a host, an
 * optional port and base path, nothing else) whose errors name the setting the URL came from.
 */
#ifndef SA_AWS_URI_H
#define SA_AWS_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/buf.h"
#include "base/error.h"

bool sa_aws_uri_unreserved(unsigned char c);

/* Appends s[0..len) to out, percent-encoding every byte that is neither unreserved nor in keep
 * (keep may be NULL or e.g. "/" for paths). */
int sa_aws_uri_encode(sa_aws_buf *out, const char *s, size_t len, const char *keep, sa_error *err);

/* Decodes %XX escapes of s[0..len) into *out (NUL-terminated; the caller frees it). Malformed
 * escapes are kept as they are; '+' stays '+'. */
int sa_aws_uri_decode(char **out, size_t *out_len, const char *s, size_t len, sa_error *err);

typedef struct sa_aws_url {
    char *scheme;    /* "http" or "https", lower case */
    char *host;      /* lower case; IPv6 literals keep their brackets */
    int port;        /* 0 when the URL has none */
    char *base_path; /* "" or "/prefix" without a trailing slash */
} sa_aws_url;

/* Parses and validates an endpoint URL. `setting` names where it came from (e.g.
 * "AWS_ENDPOINT_URL_KMS") for the error message. */
int sa_aws_url_parse(sa_aws_url *out, const char *url, const char *setting, sa_error *err);
void sa_aws_url_dispose(sa_aws_url *u);

#endif
