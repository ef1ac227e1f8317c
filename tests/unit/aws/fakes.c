/*
 * The test doubles declared in fakes.h.
 */
#include "fakes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- environment ------------------------------------------------------------------------- */

static const char *fake_get(void *ctx, const char *name)
{
    const fake_env *f = ctx;
    for (const fake_var *v = f->vars; v != NULL && v->name != NULL; v++) {
        if (strcmp(v->name, name) == 0)
            return v->value;
    }
    return NULL;
}

static int fake_read_file(void *ctx, char **out, size_t *out_len, const char *path, size_t max,
                          sa_error *err)
{
    const fake_env *f = ctx;
    for (const fake_file *file = f->files; file != NULL && file->path != NULL; file++) {
        if (strcmp(file->path, path) == 0) {
            size_t len = strlen(file->content);
            if (len > max)
                return sa_error_set(err, SA_EINVAL, "%s is too large", path);
            *out = strdup(file->content);
            if (*out == NULL)
                return sa_error_set(err, SA_ENOMEM, "out of memory");
            *out_len = len;
            return SA_OK;
        }
    }
    return sa_error_set(err, SA_ENOTFOUND, "%s does not exist", path);
}

void fake_env_init(fake_env *f, const fake_var *vars, const fake_file *files)
{
    f->vars = vars;
    f->files = files;
    f->env.get = fake_get;
    f->env.read_file = fake_read_file;
    f->env.ctx = f;
}

/* ---- transport --------------------------------------------------------------------------- */

static int parse_headers(sa_aws_headers *h, const char *text, sa_error *err)
{
    const char *p = text;
    while (p != NULL && *p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (colon != NULL) {
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            int rc = sa_aws_headers_addn(h, p, (size_t)(colon - p), v, len - (size_t)(v - p), err);
            if (rc != SA_OK)
                return rc;
        }
        p = end ? end + 1 : NULL;
    }
    return SA_OK;
}

static int fake_send(void *ctx, sa_aws_http_response *out, const sa_aws_http_request *req,
                     sa_error *err)
{
    fake_transport *t = ctx;
    const fake_reply *r;
    sa_aws_http_response resp = {0};
    int rc;

    if (t->request_count < FAKE_MAX_REQUESTS) {
        fake_request *fr = &t->requests[t->request_count++];
        memset(fr, 0, sizeof(*fr));
        fr->method = strdup(req->method);
        sa_aws_http_request_url(&fr->url, req, err);
        for (size_t i = 0; i < req->headers.count; i++)
            sa_aws_headers_add(&fr->headers, req->headers.items[i].name,
                               req->headers.items[i].value, err);
        fr->body = calloc(1, req->body_len + 1);
        if (req->body_len > 0)
            memcpy(fr->body, req->body, req->body_len);
        fr->connect_timeout_ms = req->connect_timeout_ms;
        fr->timeout_ms = req->timeout_ms;
        fr->fresh_connection = req->fresh_connection;
    }
    if (t->clock != NULL) {
        t->clock->mono_ms += t->latency_ms;
    }
    if (t->next >= t->reply_count) {
        if (!t->repeat_last || t->reply_count == 0)
            return sa_error_set(err, SA_EIO, "fake transport: no more canned replies");
        r = &t->replies[t->reply_count - 1];
    } else {
        r = &t->replies[t->next++];
    }
    if (r->transport_status != SA_OK)
        return sa_error_set(err, r->transport_status, "fake transport failure %d",
                            r->transport_status);
    resp.status = r->status;
    rc = parse_headers(&resp.headers, r->headers, err);
    if (rc != SA_OK)
        return rc;
    if (r->body != NULL && r->body[0] != '\0') {
        resp.body_len = strlen(r->body);
        resp.body = (unsigned char *)strdup(r->body);
    }
    *out = resp;
    return SA_OK;
}

void fake_transport_init(fake_transport *t, const fake_reply *replies, size_t count)
{
    memset(t, 0, sizeof(*t));
    t->replies = replies;
    t->reply_count = count;
    t->seam.send = fake_send;
    t->seam.ctx = t;
}

void fake_transport_dispose(fake_transport *t)
{
    for (size_t i = 0; i < t->request_count; i++) {
        free(t->requests[i].method);
        free(t->requests[i].url);
        free(t->requests[i].body);
        sa_aws_headers_dispose(&t->requests[i].headers);
    }
    t->request_count = 0;
}

/* ---- clock ------------------------------------------------------------------------------- */

static time_t fake_wall(void *ctx)
{
    fake_clock *c = ctx;
    return c->wall + (time_t)(c->mono_ms / 1000);
}

static int64_t fake_mono(void *ctx)
{
    fake_clock *c = ctx;
    return c->mono_ms;
}

static int fake_sleep(void *ctx, int64_t ms, const atomic_bool *cancelled)
{
    fake_clock *c = ctx;
    if (c->sleep_count < FAKE_MAX_SLEEPS)
        c->sleeps[c->sleep_count] = ms;
    c->sleep_count++;
    if (c->cancel_at_sleep > 0 && (size_t)c->cancel_at_sleep == c->sleep_count && c->cancel != NULL)
        atomic_store(c->cancel, true);
    if (cancelled != NULL && atomic_load(cancelled))
        return SA_ECANCELLED;
    c->mono_ms += ms;
    return SA_OK;
}

void fake_clock_init(fake_clock *c)
{
    memset(c, 0, sizeof(*c));
    c->wall = 1440938160; /* 2015-08-30T12:36:00Z */
    c->mono_ms = 0;
    c->clock.wall = fake_wall;
    c->clock.mono_ms = fake_mono;
    c->clock.sleep = fake_sleep;
    c->clock.ctx = c;
}

void debug_sink_line(void *ctx, const char *line)
{
    debug_sink *s = ctx;
    int n = snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s\n", line);
    if (n > 0 && s->len + (size_t)n < sizeof(s->text))
        s->len += (size_t)n;
}
