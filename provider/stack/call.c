/*
 * The call layer of the steps (see call.h): checked builders for JSON bodies and Query
 * parameters, one function that runs a described call through the AWS client with the stack's
 * cancel flag, deadline and region, the pager for list calls, and the user-facing log line.
 */
#include "stack/call.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/util.h"

/* ---- JSON bodies ---- */

void sa_json_init(sa_json *j)
{
    j->root = cJSON_CreateObject();
    j->failed = j->root == NULL;
}

void sa_json_dispose(sa_json *j)
{
    cJSON_Delete(j->root);
    j->root = NULL;
}

void sa_json_add(sa_json *j, cJSON *parent, const char *key, cJSON *item)
{
    bool ok;

    if (item == NULL || parent == NULL) {
        cJSON_Delete(item);
        j->failed = true;
        return;
    }
    ok =
        key != NULL ? cJSON_AddItemToObject(parent, key, item) : cJSON_AddItemToArray(parent, item);
    if (!ok) {
        cJSON_Delete(item);
        j->failed = true;
    }
}

cJSON *sa_json_object(sa_json *j, cJSON *parent, const char *key)
{
    cJSON *o = parent != NULL ? cJSON_CreateObject() : NULL;

    sa_json_add(j, parent, key, o);
    return j->failed ? NULL : o;
}

cJSON *sa_json_array(sa_json *j, cJSON *parent, const char *key)
{
    cJSON *a = parent != NULL ? cJSON_CreateArray() : NULL;

    sa_json_add(j, parent, key, a);
    return j->failed ? NULL : a;
}

void sa_json_string(sa_json *j, cJSON *parent, const char *key, const char *value)
{
    sa_json_add(j, parent, key, value != NULL ? cJSON_CreateString(value) : NULL);
}

void sa_json_number(sa_json *j, cJSON *parent, const char *key, double value)
{
    sa_json_add(j, parent, key, cJSON_CreateNumber(value));
}

void sa_json_bool(sa_json *j, cJSON *parent, const char *key, bool value)
{
    sa_json_add(j, parent, key, cJSON_CreateBool(value));
}

/* ---- Query parameters ---- */

void sa_params_add(sa_params *p, const char *name, const char *value)
{
    if (p->n >= SA_PARAMS_MAX || name == NULL || value == NULL) {
        p->failed = true;
        return;
    }
    p->items[p->n++] = (sa_aws_param){name, value};
}

void sa_params_addf(sa_params *p, const char *name_fmt, size_t i, const char *value)
{
    char buf[96];
    char *name, *copy;

    if (p->n >= SA_PARAMS_MAX || value == NULL) {
        p->failed = true;
        return;
    }
    snprintf(buf, sizeof(buf), name_fmt, i);
    name = sa_strdup(buf);
    copy = sa_strdup(value);
    if (name == NULL || copy == NULL) {
        free(name);
        free(copy);
        p->failed = true;
        return;
    }
    p->owned[p->n_owned++] = name;
    p->owned[p->n_owned++] = copy;
    p->items[p->n++] = (sa_aws_param){name, copy};
}

void sa_params_dispose(sa_params *p)
{
    for (size_t i = 0; i < p->n_owned; i++)
        free(p->owned[i]);
    p->n = p->n_owned = 0;
    p->failed = false;
}

/* ---- calls ---- */

void sa_stack_call_dispose(sa_stack_call *c)
{
    if (c != NULL)
        sa_aws_response_dispose(&c->resp);
}

static size_t label_count(const char *path)
{
    size_t n = 0;

    for (const char *p = path; p != NULL && (p = strstr(p, "{")) != NULL; p++)
        n++;
    return n;
}

/* The service's name for messages ("KMS"), as the AWS client's own messages say it. */
static const char *service_name(const char *id)
{
    const sa_aws_service *svc = sa_aws_service_find(id);
    return svc != NULL ? svc->name : id;
}

/* Progress for a long wait for a turn under AWS's request quota (a destroy of many stacks
 * waits minutes for DeleteRestApi's): an ephemeral status line on the resource. */
static void pacing_progress(void *ctx, const char *what, int64_t wait_ms)
{
    sa_stack_progress(ctx, "waiting %lld s for %s's turn under AWS's request quota",
                      (long long)((wait_ms + 999) / 1000), what);
}

int sa_call_run(sa_stack_ctx *s, sa_stack_call *out, const sa_call *call, sa_error *err)
{
    sa_aws_operation op = {.service = call->service,
                           .name = call->op,
                           .method = call->method,
                           .query = call->query,
                           .query_count = call->query_count};
    sa_aws_call_options o = {.cancelled = s->cancelled,
                             .deadline_ms = s->deadline_ms,
                             .region = s->region,
                             .pacing = pacing_progress,
                             .pacing_ctx = s};
    char *path = NULL, *text = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((call->body != NULL && (call->body->failed || call->body->root == NULL)) ||
        (call->params != NULL && call->params->failed))
        return sa_error_set(err, SA_ENOMEM, "%s %s: out of memory building the request",
                            service_name(call->service), call->op);
    if (call->path != NULL) {
        rc = sa_aws_path_build(&path, call->path, call->labels, label_count(call->path), err);
        if (rc != SA_OK)
            return rc;
        op.path = path;
    }
    if (call->body != NULL) {
        text = cJSON_PrintUnformatted(call->body->root);
        if (text == NULL) {
            free(path);
            return sa_error_set(err, SA_ENOMEM, "%s %s: out of memory building the request",
                                service_name(call->service), call->op);
        }
        op.body = text;
    }
    if (call->raw_body != NULL) {
        op.body = call->raw_body;
        op.body_len = call->raw_body_len;
    }
    if (call->params != NULL) {
        op.params = call->params->items;
        op.param_count = call->params->n;
    }
    if (call->retry != NULL) {
        o.rules = call->retry->rules;
        o.rule_count = call->retry->count;
    }
    if (call->find != NULL) {
        o.find = call->find->fn;
        o.find_ctx = call->find->ctx;
    }
    atomic_fetch_add(&s->calls, 1);
    rc = sa_aws_call(&out->resp, s->aws, &op, &o, &out->aws_error, err);
    if (text != NULL) {
        /* a body may carry a secret (the function's environment) */
        memset(text, 0, strlen(text));
        cJSON_free(text);
    }
    free(path);
    return rc;
}

/* The token of the next page in an answer, or NULL when this was the last page. */
static const char *next_token(const sa_stack_call *page, const sa_pager *pager, char **owned)
{
    const char *token = NULL;

    *owned = NULL;
    if (page->resp.json != NULL) {
        const cJSON *t = pager->truncated
                             ? cJSON_GetObjectItemCaseSensitive(page->resp.json, pager->truncated)
                             : NULL;
        if (pager->truncated != NULL && !cJSON_IsTrue(t))
            return NULL;
        token = sa_json_get(page->resp.json, pager->response_token);
    } else if (page->resp.xml != NULL) {
        char *flag = NULL;
        if (pager->truncated != NULL) {
            bool more = sa_aws_xml_text(&flag, &page->resp, pager->truncated, NULL) == SA_OK &&
                        strcmp(flag, "true") == 0;
            free(flag);
            if (!more)
                return NULL;
        }
        if (sa_aws_xml_text(owned, &page->resp, pager->response_token, NULL) == SA_OK)
            token = *owned;
    }
    return token != NULL && token[0] != '\0' ? token : NULL;
}

int sa_call_pages(sa_stack_ctx *s, const sa_call *call, const sa_pager *pager, sa_page_fn page,
                  void *ctx, sa_error *err)
{
    sa_call c = *call;
    sa_aws_param query[16];
    sa_params params;
    char *token = NULL;
    bool stop = false;
    int rc = SA_OK;

    if (call->query_count + 1 > SA_N(query))
        return sa_error_set(err, SA_EINTERNAL, "%s %s: too many query parameters",
                            service_name(call->service), call->op);
    for (int pages = 0; rc == SA_OK && !stop; pages++) {
        sa_stack_call answer;
        const char *next;
        char *owned = NULL;

        if (pages >= 1000) {
            rc = sa_error_set(err, SA_EAWS, "%s %s: more than 1000 pages",
                              service_name(call->service), call->op);
            break;
        }
        if (token != NULL) {
            /* the next page: the call again with the token */
            if (call->body != NULL) {
                cJSON *t = cJSON_CreateString(token);
                cJSON_DeleteItemFromObjectCaseSensitive(call->body->root, pager->request_token);
                if (t == NULL ||
                    !cJSON_AddItemToObject(call->body->root, pager->request_token, t)) {
                    cJSON_Delete(t);
                    rc = sa_error_set(err, SA_ENOMEM, "out of memory");
                    break;
                }
            } else if (call->params != NULL) {
                params = *call->params;
                params.n_owned = 0; /* borrowed from the caller's */
                sa_params_add(&params, pager->request_token, token);
                c.params = &params;
            } else {
                memcpy(query, call->query, call->query_count * sizeof(query[0]));
                query[call->query_count] = (sa_aws_param){pager->request_token, token};
                c.query = query;
                c.query_count = call->query_count + 1;
            }
        }
        rc = sa_call_run(s, &answer, &c, err);
        if (rc == SA_OK)
            rc = page(ctx, &answer, &stop, err);
        next = rc == SA_OK && !stop ? next_token(&answer, pager, &owned) : NULL;
        free(token);
        token = next != NULL ? sa_strdup(next) : NULL;
        free(owned);
        sa_stack_call_dispose(&answer);
        if (rc == SA_OK && next != NULL && token == NULL)
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        if (next == NULL)
            break;
    }
    free(token);
    return rc;
}

bool sa_call_error_is(int rc, const sa_stack_call *c, const char *code, const char *message_part)
{
    return rc == SA_EAWS && sa_aws_error_is(&c->aws_error, code) &&
           (message_part == NULL || strstr(c->aws_error.message, message_part) != NULL);
}

bool sa_call_not_found(int rc, const sa_stack_call *c)
{
    static const char *const codes[] = {"NotFoundException", "ResourceNotFoundException",
                                        "NoSuchEntity", "NoSuchEntityException"};
    for (size_t i = 0; i < SA_N(codes); i++)
        if (sa_call_error_is(rc, c, codes[i], NULL))
            return true;
    return false;
}

const char *sa_json_get(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int sa_stack_wait(sa_stack_ctx *s, int64_t ms, sa_error *err)
{
    if (s->deadline_ms > 0 && sa_aws_client_now_ms(s->aws) + ms > s->deadline_ms)
        return sa_error_set(err, SA_ETIMEOUT, "the operation's timeout passed");
    if (sa_aws_sleep_cancellable(ms, s->cancelled) != SA_OK)
        return sa_error_set(err, SA_ECANCELLED, "cancelled");
    return SA_OK;
}

void sa_stack_log(sa_stack_ctx *s, sa_stack_severity severity, bool ephemeral, const char *fmt, ...)
{
    char line[768];
    va_list ap;

    if (s->env == NULL || s->env->log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    s->env->log(s->env->log_ctx, severity, s->urn, ephemeral, line);
}
