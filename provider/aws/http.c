/*
 * Header lists, request and response lifetimes, and the transport call wrapper (see http.h).
 */
#include "aws/http.h"
#include "base/alloc.h"
#include "base/util.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/buf.h"

int sa_aws_headers_addn(sa_aws_headers *h, const char *name, size_t name_len, const char *value,
                        size_t value_len, sa_error *err)
{
    sa_aws_header hd = {0};

    if (h->count == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 8;
        sa_aws_header *items = sa_realloc(h->items, cap * sizeof(*items));
        if (items == NULL)
            return sa_error_set(err, SA_ENOMEM, "out of memory");
        h->items = items;
        h->cap = cap;
    }
    hd.name = sa_strndup(name, name_len);
    hd.value = sa_strndup(value, value_len);
    if (hd.name == NULL || hd.value == NULL) {
        free(hd.name);
        free(hd.value);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    h->items[h->count++] = hd;
    return SA_OK;
}

int sa_aws_headers_add(sa_aws_headers *h, const char *name, const char *value, sa_error *err)
{
    return sa_aws_headers_addn(h, name, strlen(name), value, strlen(value), err);
}

static void header_free(sa_aws_header *hd)
{
    if (hd->value != NULL)
        OPENSSL_cleanse(hd->value, strlen(hd->value));
    free(hd->name);
    free(hd->value);
    hd->name = hd->value = NULL;
}

void sa_aws_headers_remove(sa_aws_headers *h, const char *name)
{
    size_t j = 0;

    for (size_t i = 0; i < h->count; i++) {
        if (strcasecmp(h->items[i].name, name) == 0)
            header_free(&h->items[i]);
        else
            h->items[j++] = h->items[i];
    }
    h->count = j;
}

int sa_aws_headers_set(sa_aws_headers *h, const char *name, const char *value, sa_error *err)
{
    sa_aws_headers_remove(h, name);
    return sa_aws_headers_add(h, name, value, err);
}

const char *sa_aws_headers_get(const sa_aws_headers *h, const char *name)
{
    for (size_t i = 0; i < h->count; i++) {
        if (strcasecmp(h->items[i].name, name) == 0)
            return h->items[i].value;
    }
    return NULL;
}

void sa_aws_headers_dispose(sa_aws_headers *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->count; i++)
        header_free(&h->items[i]);
    free(h->items);
    h->items = NULL;
    h->count = h->cap = 0;
}

bool sa_aws_header_is_sensitive(const char *name)
{
    static const char *const sensitive[] = {
        "authorization", "x-amz-security-token", "x-aws-ec2-metadata-token", "proxy-authorization",
        "cookie",        "set-cookie",           "x-amz-sso_bearer_token",
    };
    for (size_t i = 0; i < SA_N(sensitive); i++) {
        if (strcasecmp(name, sensitive[i]) == 0)
            return true;
    }
    return false;
}

const char *sa_aws_header_display_value(const char *name, const char *value)
{
    return sa_aws_header_is_sensitive(name) ? "<redacted>" : value;
}

void sa_aws_http_request_dispose(sa_aws_http_request *r)
{
    if (r == NULL)
        return;
    free(r->method);
    free(r->origin);
    free(r->path);
    free(r->query);
    sa_aws_headers_dispose(&r->headers);
    sa_wipe_free_n(r->body, r->body_len);
    memset(r, 0, sizeof(*r));
}

int sa_aws_http_request_url(char **out, const sa_aws_http_request *r, sa_error *err)
{
    sa_aws_buf b;
    int rc;

    sa_aws_buf_init(&b, SA_AWS_BUF_DEFAULT_MAX);
    rc = sa_aws_buf_puts(&b, r->origin, err);
    if (rc == SA_OK)
        rc = sa_aws_buf_puts(&b, r->path != NULL && r->path[0] ? r->path : "/", err);
    if (rc == SA_OK && r->query != NULL && r->query[0] != '\0')
        rc = sa_aws_buf_printf(&b, err, "?%s", r->query);
    if (rc == SA_OK)
        rc = sa_aws_buf_detach(out, &b, err);
    sa_aws_buf_dispose(&b);
    return rc;
}

void sa_aws_http_response_dispose(sa_aws_http_response *r)
{
    if (r == NULL)
        return;
    sa_aws_headers_dispose(&r->headers);
    sa_wipe_free_n(r->body, r->body_len);
    memset(r, 0, sizeof(*r));
}

int sa_aws_transport_send(const sa_aws_transport *t, sa_aws_http_response *out,
                          const sa_aws_http_request *req, sa_error *err)
{
    if (t == NULL || t->send == NULL)
        return sa_error_set(err, SA_EINTERNAL, "no HTTP transport");
    if (req->cancelled != NULL && atomic_load(req->cancelled))
        return sa_error_set(err, SA_ECANCELLED, "cancelled");
    return t->send(t->ctx, out, req, err);
}
