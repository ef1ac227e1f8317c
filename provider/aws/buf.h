/*
 * A growable byte buffer with a hard size limit (curl's dynbuf idea), used wherever the AWS client
 * builds strings: canonical requests, URLs, request bodies, response bodies. The buffer keeps a
 * NUL after its contents, so `data` can be read as a C string. Growth past `max` fails with
 * SA_EINVAL instead of allocating without bound. A buffer that held key material is released with
 * sa_aws_buf_cleanse_dispose, which wipes it first.
 */
#ifndef SA_AWS_BUF_H
#define SA_AWS_BUF_H

#include <stddef.h>

#include "base/error.h"

typedef struct sa_aws_buf {
    char *data; /* NULL until the first append; then NUL-terminated */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard limit on len */
} sa_aws_buf;

/* A limit large enough for any request or response string we build (16 MiB). */
#define SA_AWS_BUF_DEFAULT_MAX ((size_t)16 * 1024 * 1024)

void sa_aws_buf_init(sa_aws_buf *b, size_t max);

int sa_aws_buf_append(sa_aws_buf *b, const void *data, size_t len, sa_error *err);
int sa_aws_buf_puts(sa_aws_buf *b, const char *s, sa_error *err);
int sa_aws_buf_putc(sa_aws_buf *b, char c, sa_error *err);
int sa_aws_buf_printf(sa_aws_buf *b, sa_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Moves the contents into *out (the caller frees it; "" when the buffer is empty) and leaves the
 * buffer empty. */
int sa_aws_buf_detach(char **out, sa_aws_buf *b, sa_error *err);

/* Frees the contents; the buffer is empty afterwards and can be reused. */
void sa_aws_buf_dispose(sa_aws_buf *b);

/* Wipes the whole allocation (OPENSSL_cleanse) and frees it. */
void sa_aws_buf_cleanse_dispose(sa_aws_buf *b);

#endif
