/*
 * CloudWatch Logs steps of SecureApiStack: the log group /aws/lambda/<function>, encrypted with
 * the stack's key (by ARN) and created before the function so Lambda never makes an unencrypted
 * one; its retention; tags; and, when the stack's key was replaced (drift), the new key
 * associated with the group. Creating the group right after the key can meet KMS propagation
 * ("does not exist or is not allowed to be used"), which is retried for a bounded time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "stack/steps.h"

static const sa_aws_retry_rule key_propagation[] = {
    {.error_code = "AccessDeniedException",
     .message_contains = "KMS key",
     .budget_ms = 300000,
     .base_delay_ms = 1000},
    {.error_code = "InvalidParameterException",
     .message_contains = "KMS Key",
     .budget_ms = 300000,
     .base_delay_ms = 1000},
    {.error_code = "OperationAbortedException", .budget_ms = 60000, .base_delay_ms = 500},
};
static const sa_aws_retry_rule aborted[] = {
    {.error_code = "OperationAbortedException", .budget_ms = 60000, .base_delay_ms = 500},
};
/* A new or newly associated key may not be usable by CloudWatch Logs yet. */
static const sa_retry_rules key_not_ready = SA_RETRY_RULES(key_propagation);
/* Another change to the same group is in progress. */
static const sa_retry_rules group_busy = SA_RETRY_RULES(aborted);

static int group_json(sa_stack_ctx *s, const sa_stack_inputs *in, const char *op,
                      const sa_retry_rules *retry, const char *key_arn, sa_stack_call *c,
                      sa_error *err)
{
    sa_json body;
    int rc;

    sa_json_init(&body);
    sa_json_string(&body, body.root, "logGroupName", in->log_group_name);
    if (key_arn != NULL)
        sa_json_string(&body, body.root, "kmsKeyId", key_arn);
    rc = sa_call_run(s, c, &(sa_call){.service = "logs", .op = op, .body = &body, .retry = retry},
                     err);
    sa_json_dispose(&body);
    return rc;
}

static int group_tags(sa_stack_ctx *s, const sa_stack_inputs *in, cJSON **ret_tags, sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    char arn[600];
    int rc;

    *ret_tags = NULL;
    sa_step_log_group_arn(arn, sizeof(arn), s, in->log_group_name);
    sa_json_init(&body);
    sa_json_string(&body, body.root, "resourceArn", arn);
    rc = sa_call_run(
        s, &c, &(sa_call){.service = "logs", .op = "ListTagsForResource", .body = &body}, err);
    if (rc == SA_OK) {
        *ret_tags = cJSON_DetachItemFromObjectCaseSensitive(c.resp.json, "tags");
        if (*ret_tags == NULL)
            *ret_tags = cJSON_CreateObject();
        if (*ret_tags == NULL)
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    return rc;
}

static bool group_found(const sa_stack_state *st)
{
    return st->log_group_arn[0] != '\0';
}

int sa_logs_create(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    int rc;

    if (st->log_group_arn[0] != '\0')
        return SA_OK;
    sa_json_init(&body);
    sa_json_string(&body, body.root, "logGroupName", in->log_group_name);
    sa_json_string(&body, body.root, "kmsKeyId", st->kms_key_arn);
    sa_step_tags(&body, "tags", SA_TAGS_MAP, in, in->log_group_name);
    sa_stack_progress(s, "creating the encrypted log group");
    rc = sa_call_run(
        s, &c,
        &(sa_call){
            .service = "logs", .op = "CreateLogGroup", .body = &body, .retry = &key_not_ready},
        err);
    sa_json_dispose(&body);
    if (sa_call_error_is(rc, &c, "ResourceAlreadyExistsException", NULL)) {
        /* left by an interrupted run of this stack (then adopt it), or someone else's (refuse) */
        sa_stack_call_dispose(&c);
        return sa_step_adopt(s, in, st,
                             &(sa_adopt){.what = "the log group",
                                         .name = in->log_group_name,
                                         .tags = group_tags,
                                         .read = sa_logs_read,
                                         .found = group_found},
                             err);
    }
    sa_stack_call_dispose(&c);
    if (rc != SA_OK)
        return rc;
    sa_step_log_group_arn(st->log_group_arn, sizeof(st->log_group_arn), s, in->log_group_name);
    SA_COPY(st->log_group_key, st->kms_key_arn);
    st->retention = 0; /* a new group keeps logs forever until the chain sets the retention */
    return SA_OK;
}

int sa_logs_set_key(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_stack_call c;
    int rc;

    sa_stack_progress(s, "encrypting the log group with the stack's new KMS key");
    rc = group_json(s, in, "AssociateKmsKey", &key_not_ready, st->kms_key_arn, &c, err);
    if (rc == SA_OK)
        SA_COPY(st->log_group_key, st->kms_key_arn);
    sa_stack_call_dispose(&c);
    return rc;
}

int sa_logs_set_retention(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                          sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    int rc;

    sa_json_init(&body);
    sa_json_string(&body, body.root, "logGroupName", in->log_group_name);
    sa_json_number(&body, body.root, "retentionInDays", (double)in->retention);
    rc = sa_call_run(
        s, &c,
        &(sa_call){
            .service = "logs", .op = "PutRetentionPolicy", .body = &body, .retry = &group_busy},
        err);
    if (rc == SA_OK)
        st->retention = in->retention;
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    return rc;
}

typedef struct group_search {
    sa_stack_ctx *s;
    const sa_stack_inputs *in;
    sa_stack_state *st;
} group_search;

static int group_page(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err)
{
    group_search *g = ctx;
    const cJSON *group;

    (void)err;
    cJSON_ArrayForEach(group, cJSON_GetObjectItemCaseSensitive(page->resp.json, "logGroups"))
    {
        const char *name = sa_json_get(group, "logGroupName");
        const char *key = sa_json_get(group, "kmsKeyId");
        const cJSON *ret = cJSON_GetObjectItemCaseSensitive(group, "retentionInDays");
        if (name == NULL || strcmp(name, g->in->log_group_name) != 0)
            continue;
        sa_step_log_group_arn(g->st->log_group_arn, sizeof(g->st->log_group_arn), g->s, name);
        g->st->retention = cJSON_IsNumber(ret) ? (int64_t)ret->valuedouble : 0;
        SA_COPY(g->st->log_group_key, key);
        if (g->st->kms_key_id[0] == '\0' && g->st->retired_key_id[0] == '\0' && key != NULL) {
            /* import: the group names its key */
            const char *slash = strrchr(key, '/');
            SA_COPY(g->st->kms_key_arn, key);
            SA_COPY(g->st->kms_key_id, slash ? slash + 1 : key);
        }
        *ret_stop = true;
    }
    return SA_OK;
}

int sa_logs_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_json body;
    group_search g = {s, in, st};
    int rc;

    sa_json_init(&body);
    sa_json_string(&body, body.root, "logGroupNamePrefix", in->log_group_name);
    st->log_group_arn[0] = '\0';
    rc = sa_call_pages(s, &(sa_call){.service = "logs", .op = "DescribeLogGroups", .body = &body},
                       &(sa_pager){.request_token = "nextToken", .response_token = "nextToken"},
                       group_page, &g, err);
    if (rc == SA_OK && st->log_group_arn[0] == '\0')
        st->log_group_key[0] = '\0';
    sa_json_dispose(&body);
    return rc;
}

int sa_logs_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                  sa_stack_state *st, sa_error *err)
{
    static const sa_tagging tagging = {.service = "logs",
                                       .tag_op = "TagResource",
                                       .untag_op = "UntagResource",
                                       .id_member = "resourceArn",
                                       .form = SA_TAGS_MAP,
                                       .tags_member = "tags",
                                       .keys_member = "tagKeys",
                                       .retry = &group_busy};

    return st->log_group_arn[0] ? sa_step_retag(s, in, old_tags, &tagging, st->log_group_arn,
                                                in->log_group_name, err)
                                : SA_OK;
}

int sa_logs_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_stack_call c;
    int rc = group_json(s, in, "DeleteLogGroup", &group_busy, NULL, &c, err);

    if (sa_call_not_found(rc, &c))
        rc = SA_OK;
    if (rc == SA_OK)
        st->log_group_arn[0] = st->log_group_key[0] = '\0';
    sa_stack_call_dispose(&c);
    return rc;
}
