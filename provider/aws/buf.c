/*
 * The bounded growable buffer (see buf.h): doubling growth, a NUL kept after the contents, and a
 * hard limit checked before any size arithmetic can overflow.
 */
#include "aws/buf.h"
#include "base/alloc.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sa_aws_buf_init(sa_aws_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

static int ensure(sa_aws_buf *b, size_t extra, sa_error *err)
{
    size_t need;
    size_t cap;
    char *p;

    if (extra > b->max || b->len > b->max - extra)
        return sa_error_set(err, SA_EINVAL, "data exceeds the limit of %zu bytes", b->max);
    need = b->len + extra + 1;
    if (need <= b->cap)
        return SA_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = sa_realloc(b->data, cap);
    if (p == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    b->data = p;
    b->cap = cap;
    return SA_OK;
}

int sa_aws_buf_append(sa_aws_buf *b, const void *data, size_t len, sa_error *err)
{
    int rc = ensure(b, len, err);
    if (rc != SA_OK)
        return rc;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return SA_OK;
}

int sa_aws_buf_puts(sa_aws_buf *b, const char *s, sa_error *err)
{
    return sa_aws_buf_append(b, s, strlen(s), err);
}

int sa_aws_buf_putc(sa_aws_buf *b, char c, sa_error *err)
{
    return sa_aws_buf_append(b, &c, 1, err);
}

int sa_aws_buf_printf(sa_aws_buf *b, sa_error *err, const char *fmt, ...)
{
    va_list ap;
    int n;
    int rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return sa_error_set(err, SA_EINTERNAL, "bad format string");
    rc = ensure(b, (size_t)n, err);
    if (rc != SA_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return SA_OK;
}

int sa_aws_buf_detach(char **out, sa_aws_buf *b, sa_error *err)
{
    if (b->data == NULL) {
        char *empty = sa_calloc(1, 1);
        if (empty == NULL)
            return sa_error_set(err, SA_ENOMEM, "out of memory");
        *out = empty;
        return SA_OK;
    }
    *out = b->data;
    sa_aws_buf_init(b, b->max);
    return SA_OK;
}

void sa_aws_buf_dispose(sa_aws_buf *b)
{
    free(b->data);
    sa_aws_buf_init(b, b->max);
}

void sa_aws_buf_cleanse_dispose(sa_aws_buf *b)
{
    if (b->data != NULL)
        OPENSSL_cleanse(b->data, b->cap);
    sa_aws_buf_dispose(b);
}
