/*
 * The call helpers of stack_aws.h: they fill an sa_aws_operation, run it with the stack's cancel
 * flag, deadline and region, and count calls.
 */
#include "stack_aws.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

void sa_stack_call_dispose(sa_stack_call *c)
{
    if (c != NULL)
        sa_aws_response_dispose(&c->resp);
}

static void options(sa_stack_ctx *s, sa_aws_call_options *o, const sa_aws_retry_rule *rules,
                    size_t n, const sa_stack_find *find)
{
    memset(o, 0, sizeof(*o));
    o->cancelled = s->cancelled;
    o->deadline_ms = s->deadline_ms;
    o->region = s->region;
    o->rules = rules;
    o->rule_count = n;
    if (find != NULL) {
        o->find = find->fn;
        o->find_ctx = find->ctx;
    }
}

static int run(sa_stack_ctx *s, sa_stack_call *out, const sa_aws_operation *op,
               const sa_aws_retry_rule *rules, size_t n, const sa_stack_find *find,
               sa_error *err)
{
    sa_aws_call_options o;

    memset(out, 0, sizeof(*out));
    options(s, &o, rules, n, find);
    atomic_fetch_add(&s->calls, 1);
    return sa_aws_call(&out->resp, s->aws, op, &o, &out->aws_error, err);
}

static int json_call(sa_stack_ctx *s, sa_stack_call *out, const char *service, const char *op,
                     const cJSON *body, const sa_aws_retry_rule *rules, size_t rule_count,
                     const sa_stack_find *find, sa_error *err)
{
    sa_aws_operation o = {.service = service, .name = op};
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    int rc;

    if (body != NULL && text == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    o.body = text;
    rc = run(s, out, &o, rules, rule_count, find, err);
    free(text);
    return rc;
}

int sa_stack_json(sa_stack_ctx *s, sa_stack_call *out, const char *service, const char *op,
                  const cJSON *body, const sa_aws_retry_rule *rules, size_t rule_count,
                  sa_error *err)
{
    return json_call(s, out, service, op, body, rules, rule_count, NULL, err);
}

int sa_stack_json_unique(sa_stack_ctx *s, sa_stack_call *out, const char *service,
                         const char *op, const cJSON *body, const sa_stack_find *find,
                         sa_error *err)
{
    return json_call(s, out, service, op, body, NULL, 0, find, err);
}

static int rest_call(sa_stack_ctx *s, sa_stack_call *out, const char *service, const char *op,
                     const char *method, const char *path_template, const char *const *labels,
                     size_t label_count, const sa_aws_param *query, size_t query_count,
                     const cJSON *body, const sa_aws_retry_rule *rules, size_t rule_count,
                     const sa_stack_find *find, sa_error *err)
{
    sa_aws_operation o = {.service = service, .name = op, .method = method,
                          .query = query, .query_count = query_count};
    char *path = NULL, *text = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sa_aws_path_build(&path, path_template, labels, label_count, err);
    if (rc != SA_OK)
        return rc;
    if (body != NULL && (text = cJSON_PrintUnformatted(body)) == NULL) {
        free(path);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    o.path = path;
    o.body = text;
    rc = run(s, out, &o, rules, rule_count, find, err);
    free(path);
    free(text);
    return rc;
}

int sa_stack_rest(sa_stack_ctx *s, sa_stack_call *out, const char *service, const char *op,
                  const char *method, const char *path_template, const char *const *labels,
                  size_t label_count, const sa_aws_param *query, size_t query_count,
                  const cJSON *body, const sa_aws_retry_rule *rules, size_t rule_count,
                  sa_error *err)
{
    return rest_call(s, out, service, op, method, path_template, labels, label_count, query,
                     query_count, body, rules, rule_count, NULL, err);
}

int sa_stack_rest_unique(sa_stack_ctx *s, sa_stack_call *out, const char *service,
                         const char *op, const char *method, const char *path_template,
                         const cJSON *body, const sa_aws_retry_rule *rules, size_t rule_count,
                         const sa_stack_find *find, sa_error *err)
{
    return rest_call(s, out, service, op, method, path_template, NULL, 0, NULL, 0, body, rules,
                     rule_count, find, err);
}

int sa_stack_query(sa_stack_ctx *s, sa_stack_call *out, const char *service, const char *op,
                   const sa_aws_param *params, size_t param_count, const sa_aws_retry_rule *rules,
                   size_t rule_count, sa_error *err)
{
    sa_aws_operation o = {.service = service, .name = op, .params = params,
                          .param_count = param_count};
    return run(s, out, &o, rules, rule_count, NULL, err);
}

bool sa_stack_not_found(int rc, const sa_stack_call *c)
{
    static const char *const codes[] = {"NotFoundException", "ResourceNotFoundException",
                                        "NoSuchEntity", "NoSuchEntityException"};
    if (rc != SA_EAWS)
        return false;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (sa_aws_error_is(&c->aws_error, codes[i]))
            return true;
    return false;
}

bool sa_stack_already_exists(int rc, const sa_stack_call *c)
{
    static const char *const codes[] = {"AlreadyExistsException", "ResourceAlreadyExistsException",
                                        "EntityAlreadyExists", "ResourceConflictException",
                                        "ConflictException"};
    if (rc != SA_EAWS)
        return false;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (sa_aws_error_is(&c->aws_error, codes[i]))
            return true;
    return false;
}

const char *sa_json_string(const cJSON *obj, const char *key)
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

void sa_stack_progress(sa_stack_ctx *s, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    sa_engine_log(s->p, SA_SEV_INFO, s->urn, true, "%s", line);
}

cJSON *sa_stack_tags(const sa_stack_inputs *in, const char *name)
{
    cJSON *t = cJSON_CreateObject();

    if (t == NULL)
        return NULL;
    if (in->tags != NULL && in->tags->kind == SA_VALUE_OBJECT) {
        for (size_t i = 0; i < in->tags->u.object.len; i++) {
            const char *v = NULL;
            if (sa_value_get_string(in->tags->u.object.values[i], &v))
                cJSON_AddStringToObject(t, in->tags->u.object.keys[i], v);
        }
    }
    cJSON_DeleteItemFromObjectCaseSensitive(t, "Name");
    cJSON_DeleteItemFromObjectCaseSensitive(t, "Environment");
    cJSON_DeleteItemFromObjectCaseSensitive(t, SA_STACK_OWNER_TAG);
    cJSON_AddStringToObject(t, "Name", name);
    cJSON_AddStringToObject(t, "Environment", in->suffix);
    cJSON_AddStringToObject(t, SA_STACK_OWNER_TAG, in->function_name);
    return t;
}

void sa_stack_log_group_arn(char *out, size_t cap, const sa_stack_ctx *s, const char *log_group)
{
    snprintf(out, cap, "arn:%s:logs:%s:%s:log-group:%s", s->partition, s->region, s->account,
             log_group);
}

bool sa_stack_owned(const cJSON *tags, const sa_stack_inputs *in)
{
    const char *owner = sa_json_string(tags, SA_STACK_OWNER_TAG);
    return owner != NULL && strcmp(owner, in->function_name) == 0;
}

int sa_stack_not_ours(sa_error *err, const char *what, const char *name,
                      const sa_stack_inputs *in)
{
    return sa_error_set(err, SA_EAWS,
                        "%s %s already exists and is not part of this stack (it lacks the tag "
                        "%s=%s); delete or rename it, or choose another environmentSuffix",
                        what, name, SA_STACK_OWNER_TAG, in->function_name);
}

size_t sa_stack_removed_tags(const char **out, size_t cap, const sa_value *old_tags,
                             const sa_stack_inputs *in)
{
    size_t n = 0;

    if (old_tags == NULL || old_tags->kind != SA_VALUE_OBJECT)
        return 0;
    for (size_t i = 0; i < old_tags->u.object.len && n < cap; i++)
        if (sa_value_object_get(in->tags, old_tags->u.object.keys[i]) == NULL)
            out[n++] = old_tags->u.object.keys[i];
    return n;
}
