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
                       n < SA_STEP_TAGS_MAX - SA_STACK_OWN_TAG_COUNT; i++) {
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

void sa_step_tags(sa_json *body, cJSON *parent, const char *key, const sa_stack_inputs *in,
                  const char *name)
{
    sa_tag tags[SA_STEP_TAGS_MAX];
    size_t n = sa_step_tag_list(tags, in, name);
    cJSON *t = sa_json_object(body, parent, key);

    for (size_t i = 0; i < n; i++)
        sa_json_string(body, t, tags[i].key, tags[i].value);
}

bool sa_step_owned(const cJSON *tags, const sa_stack_inputs *in)
{
    const char *owner = sa_json_get(tags, SA_STACK_OWNER_TAG);
    return owner != NULL && strcmp(owner, in->function_name) == 0;
}

int sa_step_adopt(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                  const sa_adopt *a, sa_error *err)
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

int sa_step_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                  const sa_stack_state *st, const sa_retag *r, sa_error *err)
{
    const char *gone[64];
    size_t n = 0;
    int rc = r->tag(s, in, st, err);

    if (rc != SA_OK || old_tags == NULL || old_tags->kind != SA_VALUE_OBJECT)
        return rc;
    for (size_t i = 0; i < old_tags->u.object.len && n < SA_N(gone); i++)
        if (sa_value_object_get(in->tags, old_tags->u.object.keys[i]) == NULL)
            gone[n++] = old_tags->u.object.keys[i];
    return n > 0 ? r->untag(s, in, st, gone, n, err) : SA_OK;
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
