/*
 * Ideas every service's steps share (see steps.h): the tags each piece carries, adopt-or-refuse
 * for an object found under our name, retagging, the lost-answer search, and ARNs in the stack's
 * partition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "stack/steps.h"

size_t sa_step_tag_list(sa_tag *out, const sa_stack_inputs *in, const char *name)
{
    size_t n = 0;

    /* Check allows at most 47 user tags (AWS's 50 less our three) */
    for (size_t i = 0; in->tags != NULL && i < in->tags->u.object.len &&
                       n < SA_STEP_TAGS_MAX - SA_STACK_OWN_TAG_COUNT;
         i++) {
        const char *k = in->tags->u.object.keys[i], *v = NULL;
        /* Check refuses the stack's own keys; a state from before that rule keeps ours */
        if (strcmp(k, "Name") == 0 || strcmp(k, "Environment") == 0 ||
            strcmp(k, SA_STACK_OWNER_TAG) == 0)
            continue;
        if (sa_value_get_string(in->tags->u.object.values[i], &v))
            out[n++] = (sa_tag){k, v};
    }
    out[n++] = (sa_tag){"Name", name};
    out[n++] = (sa_tag){"Environment", in->suffix};
    out[n++] = (sa_tag){SA_STACK_OWNER_TAG, in->function_name};
    return n;
}

void sa_step_tags(sa_json *body, const char *member, sa_tag_form form, const sa_stack_inputs *in,
                  const char *name)
{
    sa_tag tags[SA_STEP_TAGS_MAX];
    size_t n = sa_step_tag_list(tags, in, name);
    cJSON *t = form == SA_TAGS_LIST ? sa_json_array(body, body->root, member)
                                    : sa_json_object(body, body->root, member);

    for (size_t i = 0; i < n; i++) {
        if (form == SA_TAGS_LIST) {
            cJSON *item = sa_json_object(body, t, NULL);
            sa_json_string(body, item, "TagKey", tags[i].key);
            sa_json_string(body, item, "TagValue", tags[i].value);
        } else {
            sa_json_string(body, t, tags[i].key, tags[i].value);
        }
    }
}

void sa_step_tag_params(sa_params *p, const char *member, const sa_stack_inputs *in,
                        const char *name)
{
    sa_tag tags[SA_STEP_TAGS_MAX];
    size_t n = sa_step_tag_list(tags, in, name);
    char fmt[64];

    for (size_t i = 0; i < n; i++) {
        snprintf(fmt, sizeof(fmt), "%s.member.%%zu.Key", member);
        sa_params_addf(p, fmt, i + 1, tags[i].key);
        snprintf(fmt, sizeof(fmt), "%s.member.%%zu.Value", member);
        sa_params_addf(p, fmt, i + 1, tags[i].value);
    }
}

bool sa_step_owned(const cJSON *tags, const sa_stack_inputs *in)
{
    const char *owner = sa_json_get(tags, SA_STACK_OWNER_TAG);
    return owner != NULL && strcmp(owner, in->function_name) == 0;
}

int sa_step_adopt(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, const sa_adopt *a,
                  sa_error *err)
{
    cJSON *tags = NULL;
    int rc = a->tags(s, in, &tags, err);

    if (rc == SA_OK && !sa_step_owned(tags, in))
        rc = sa_error_set(err, SA_EAWS,
                          "%s %s already exists and is not part of this stack (it lacks the tag "
                          "%s=%s); delete or rename it, or choose another environmentSuffix",
                          a->what, a->name, SA_STACK_OWNER_TAG, in->function_name);
    cJSON_Delete(tags);
    if (rc == SA_OK)
        rc = a->read(s, in, st, err);
    if (rc == SA_OK && !a->found(st))
        rc = sa_error_set(err, SA_EAWS, "%s %s exists but cannot be read", a->what, a->name);
    return rc;
}

/* One tagging call: tags (keys NULL) or the removal of n keys. */
static int tagging_call(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_tagging *t,
                        const char *id, const char *name, const char *const *keys, size_t n,
                        sa_error *err)
{
    sa_call call = {.service = t->service, .op = keys ? t->untag_op : t->tag_op, .retry = t->retry};
    sa_json body = {0};
    sa_params params = {0};
    sa_aws_param query[64];
    sa_stack_call c;
    char fmt[64];
    int rc;

    if (t->form == SA_TAGS_QUERY) {
        sa_params_add(&params, t->id_member, id);
        snprintf(fmt, sizeof(fmt), "%s.member.%%zu", t->keys_member);
        if (keys == NULL)
            sa_step_tag_params(&params, t->tags_member, in, name);
        for (size_t i = 0; keys != NULL && i < n; i++)
            sa_params_addf(&params, fmt, i + 1, keys[i]);
        call.params = &params;
    } else if (t->path != NULL && keys != NULL) {
        /* REST: the keys go in the query string */
        call.method = "DELETE";
        for (size_t i = 0; i < n && i < SA_N(query); i++)
            query[i] = (sa_aws_param){t->keys_member, keys[i]};
        call.query = query;
        call.query_count = n < SA_N(query) ? n : SA_N(query);
    } else {
        sa_json_init(&body);
        if (t->id_member != NULL)
            sa_json_string(&body, body.root, t->id_member, id);
        if (keys == NULL)
            sa_step_tags(&body, t->tags_member, t->form, in, name);
        else {
            cJSON *list = sa_json_array(&body, body.root, t->keys_member);
            for (size_t i = 0; i < n; i++)
                sa_json_string(&body, list, NULL, keys[i]);
        }
        call.body = &body;
        call.method = t->tag_method;
    }
    if (t->path != NULL) {
        call.path = t->path;
        call.labels[0] = id;
    }
    rc = sa_call_run(s, &c, &call, err);
    sa_stack_call_dispose(&c);
    if (call.body != NULL)
        sa_json_dispose(&body);
    sa_params_dispose(&params);
    return rc;
}

int sa_step_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                  const sa_tagging *t, const char *id, const char *name, sa_error *err)
{
    const char *gone[64];
    size_t n = 0;
    int rc = tagging_call(s, in, t, id, name, NULL, 0, err);

    if (rc != SA_OK || old_tags == NULL || old_tags->kind != SA_VALUE_OBJECT)
        return rc;
    for (size_t i = 0; i < old_tags->u.object.len && n < SA_N(gone); i++)
        if (sa_value_object_get(in->tags, old_tags->u.object.keys[i]) == NULL)
            gone[n++] = old_tags->u.object.keys[i];
    return n > 0 ? tagging_call(s, in, t, id, name, gone, n, err) : SA_OK;
}

static int search_fn(void *ctx, bool *ret_found, sa_error *err)
{
    sa_search *search = ctx;
    int rc = search->look(search->s, search->in, search->st, err);

    *ret_found = rc == SA_OK && search->found(search->st);
    return rc;
}

sa_stack_find sa_step_find(sa_search *search)
{
    return (sa_stack_find){search_fn, search};
}

void sa_step_arn(char *out, size_t cap, const sa_stack_ctx *s, const char *service,
                 const char *resource)
{
    if (!sa_aws_arn(out, cap, s->partition, service, s->region, s->account, resource) && cap)
        out[0] = '\0';
}

void sa_step_global_arn(char *out, size_t cap, const sa_stack_ctx *s, const char *service,
                        const char *account, const char *resource)
{
    if (!sa_aws_arn(out, cap, s->partition, service, "", account, resource) && cap)
        out[0] = '\0';
}

void sa_step_log_group_arn(char *out, size_t cap, const sa_stack_ctx *s, const char *log_group)
{
    char resource[600];

    snprintf(resource, sizeof(resource), "log-group:%s", log_group);
    sa_step_arn(out, cap, s, "logs", resource);
}

void sa_step_function_arn(char *out, size_t cap, const sa_stack_ctx *s, const char *function)
{
    char resource[200];

    snprintf(resource, sizeof(resource), "function:%s", function);
    sa_step_arn(out, cap, s, "lambda", resource);
}
