/*
 * CloudWatch Logs steps of SecureApiStack: the log group /aws/lambda/<function>, encrypted with
 * the stack's key (by ARN) and created before the function so Lambda never makes an unencrypted
 * one; its retention; tags. Creating it right after the key can meet KMS propagation ("does not
 * exist or is not allowed to be used"), which is retried for a bounded time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack_steps.h"

static const sa_aws_retry_rule key_propagation[] = {
    {.error_code = "AccessDeniedException", .message_contains = "KMS key", .budget_ms = 300000,
     .base_delay_ms = 1000},
    {.error_code = "InvalidParameterException", .message_contains = "KMS Key", .budget_ms = 300000,
     .base_delay_ms = 1000},
    {.error_code = "OperationAbortedException", .budget_ms = 60000, .base_delay_ms = 500},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int sa_logs_create(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    cJSON *body = cJSON_CreateObject();
    sa_stack_call c;
    int rc;

    if (st->log_group_arn[0] != '\0') {
        cJSON_Delete(body);
        return SA_OK;
    }
    cJSON_AddStringToObject(body, "logGroupName", in->log_group_name);
    cJSON_AddStringToObject(body, "kmsKeyId", st->kms_key_arn);
    cJSON_AddItemToObject(body, "tags", sa_stack_tags(in, in->log_group_name));
    sa_stack_progress(s, "creating the encrypted log group");
    rc = sa_stack_json(s, &c, "logs", "CreateLogGroup", body, key_propagation,
                       N(key_propagation), err);
    if (rc != SA_OK && sa_stack_already_exists(rc, &c)) {
        /* left by an interrupted run of this stack (then adopt it), or someone else's (refuse) */
        cJSON *q = cJSON_CreateObject();
        cJSON_AddStringToObject(q, "logGroupName", in->log_group_name);
        sa_stack_call_dispose(&c);
        rc = sa_stack_json(s, &c, "logs", "ListTagsLogGroup", q, NULL, 0, err);
        cJSON_Delete(q);
        if (rc == SA_OK && !sa_stack_owned(cJSON_GetObjectItemCaseSensitive(c.resp.json, "tags"),
                                           in))
            rc = sa_stack_not_ours(err, "the log group", in->log_group_name, in);
        sa_stack_call_dispose(&c);
        if (rc != SA_OK) {
            cJSON_Delete(body);
            return rc;
        }
        rc = sa_logs_read(s, in, st, err);
        if (rc == SA_OK && st->log_group_arn[0] == '\0')
            rc = sa_error_set(err, SA_EAWS, "CloudWatch Logs CreateLogGroup: %s exists but "
                              "cannot be read", in->log_group_name);
        cJSON_Delete(body);
        return rc;
    }
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    if (rc != SA_OK)
        return rc;
    sa_stack_log_group_arn(st->log_group_arn, sizeof(st->log_group_arn), s, in->log_group_name);
    st->retention = 0; /* a new group keeps logs forever until the chain sets the retention */
    return SA_OK;
}

int sa_logs_set_retention(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                          sa_error *err)
{
    cJSON *body = cJSON_CreateObject();
    sa_stack_call c;
    int rc;

    cJSON_AddStringToObject(body, "logGroupName", in->log_group_name);
    cJSON_AddNumberToObject(body, "retentionInDays", (double)in->retention);
    rc = sa_stack_json(s, &c, "logs", "PutRetentionPolicy", body, key_propagation + 2, 1, err);
    if (rc == SA_OK)
        st->retention = in->retention;
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    return rc;
}

int sa_logs_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    cJSON *body = cJSON_CreateObject();
    sa_stack_call c;
    const cJSON *groups, *g;
    int rc;

    cJSON_AddStringToObject(body, "logGroupNamePrefix", in->log_group_name);
    rc = sa_stack_json(s, &c, "logs", "DescribeLogGroups", body, NULL, 0, err);
    if (rc == SA_OK) {
        st->log_group_arn[0] = '\0';
        groups = cJSON_GetObjectItemCaseSensitive(c.resp.json, "logGroups");
        cJSON_ArrayForEach(g, groups)
        {
            const char *name = sa_json_string(g, "logGroupName");
            const cJSON *ret = cJSON_GetObjectItemCaseSensitive(g, "retentionInDays");
            if (name == NULL || strcmp(name, in->log_group_name) != 0)
                continue;
            sa_stack_log_group_arn(st->log_group_arn, sizeof(st->log_group_arn), s, name);
            st->retention = cJSON_IsNumber(ret) ? (int64_t)ret->valuedouble : 0;
            if (st->kms_key_id[0] == '\0' && sa_json_string(g, "kmsKeyId") != NULL) {
                /* import: the group names its key */
                const char *arn = sa_json_string(g, "kmsKeyId"), *slash = strrchr(arn, '/');
                snprintf(st->kms_key_arn, sizeof(st->kms_key_arn), "%s", arn);
                snprintf(st->kms_key_id, sizeof(st->kms_key_id), "%s", slash ? slash + 1 : arn);
            }
        }
    }
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    return rc;
}

int sa_logs_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                  sa_stack_state *st, sa_error *err)
{
    cJSON *body = cJSON_CreateObject(), *keys = cJSON_CreateArray();
    char arn[300];
    sa_stack_call c;
    int rc;

    (void)st;
    sa_stack_log_group_arn(arn, sizeof(arn), s, in->log_group_name);
    cJSON_AddStringToObject(body, "resourceArn", arn);
    cJSON_AddItemToObject(body, "tags", sa_stack_tags(in, in->log_group_name));
    rc = sa_stack_json(s, &c, "logs", "TagResource", body, NULL, 0, err);
    sa_stack_call_dispose(&c);
    if (rc == SA_OK) {
        const char *gone[64];
        size_t n = sa_stack_removed_tags(gone, 64, old_tags, in);
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(keys, cJSON_CreateString(gone[i]));
        if (n > 0) {
            cJSON_Delete(body);
            body = cJSON_CreateObject();
            cJSON_AddStringToObject(body, "resourceArn", arn);
            cJSON_AddItemToObject(body, "tagKeys", keys);
            keys = NULL;
            rc = sa_stack_json(s, &c, "logs", "UntagResource", body, NULL, 0, err);
            sa_stack_call_dispose(&c);
        }
    }
    cJSON_Delete(keys);
    cJSON_Delete(body);
    return rc;
}

int sa_logs_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    cJSON *body = cJSON_CreateObject();
    sa_stack_call c;
    int rc;

    cJSON_AddStringToObject(body, "logGroupName", in->log_group_name);
    rc = sa_stack_json(s, &c, "logs", "DeleteLogGroup", body, NULL, 0, err);
    if (rc != SA_OK && sa_stack_not_found(rc, &c))
        rc = SA_OK;
    if (rc == SA_OK)
        st->log_group_arn[0] = '\0';
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    return rc;
}
