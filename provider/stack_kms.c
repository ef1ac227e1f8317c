/*
 * KMS steps of SecureApiStack: a symmetric customer-managed key whose policy keeps the account
 * root's full access (so the key can never be locked out) and lets only CloudWatch Logs in this
 * region use it, and only for this stack's log group (an ArnEquals condition on the
 * kms:EncryptionContext:aws:logs:arn key); rotation; an alias; tags; and deletion by scheduling
 * with the stack's window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "stack_steps.h"

static char *key_policy(const sa_stack_ctx *s, const sa_stack_inputs *in)
{
    cJSON *doc = cJSON_CreateObject(), *stmts, *root, *logs, *actions, *cond, *eq;
    char buf[512], lg_arn[400];
    char *out;

    cJSON_AddStringToObject(doc, "Version", "2012-10-17");
    cJSON_AddStringToObject(doc, "Id", "secureapi-logs-key");
    stmts = cJSON_AddArrayToObject(doc, "Statement");

    root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "Sid", "AccountRootFullAccess");
    cJSON_AddStringToObject(root, "Effect", "Allow");
    snprintf(buf, sizeof(buf), "arn:%s:iam::%s:root", s->partition, s->account);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(root, "Principal"), "AWS", buf);
    cJSON_AddStringToObject(root, "Action", "kms:*");
    cJSON_AddStringToObject(root, "Resource", "*");
    cJSON_AddItemToArray(stmts, root);

    logs = cJSON_CreateObject();
    cJSON_AddStringToObject(logs, "Sid", "CloudWatchLogsForThisLogGroup");
    cJSON_AddStringToObject(logs, "Effect", "Allow");
    snprintf(buf, sizeof(buf), "logs.%s.amazonaws.com", s->region);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(logs, "Principal"), "Service", buf);
    actions = cJSON_AddArrayToObject(logs, "Action");
    cJSON_AddItemToArray(actions, cJSON_CreateString("kms:Encrypt*"));
    cJSON_AddItemToArray(actions, cJSON_CreateString("kms:Decrypt*"));
    cJSON_AddItemToArray(actions, cJSON_CreateString("kms:ReEncrypt*"));
    cJSON_AddItemToArray(actions, cJSON_CreateString("kms:GenerateDataKey*"));
    cJSON_AddItemToArray(actions, cJSON_CreateString("kms:Describe*"));
    cJSON_AddStringToObject(logs, "Resource", "*");
    cond = cJSON_AddObjectToObject(logs, "Condition");
    eq = cJSON_AddObjectToObject(cond, "ArnEquals");
    sa_stack_log_group_arn(lg_arn, sizeof(lg_arn), s, in->log_group_name);
    cJSON_AddStringToObject(eq, "kms:EncryptionContext:aws:logs:arn", lg_arn);
    cJSON_AddItemToArray(stmts, logs);

    out = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return out;
}

static cJSON *kms_tag_list(const sa_stack_inputs *in)
{
    cJSON *tags = sa_stack_tags(in, in->alias_name), *list = cJSON_CreateArray(), *t;

    cJSON_ArrayForEach(t, tags)
    {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "TagKey", t->string);
        cJSON_AddStringToObject(item, "TagValue", t->valuestring);
        cJSON_AddItemToArray(list, item);
    }
    cJSON_Delete(tags);
    return list;
}

/* A key this stack made in an earlier, interrupted run, or in an attempt of CreateKey whose answer
 * was lost (found by its ownership tag through the Resource Groups Tagging API), is adopted
 * instead of making a second one. Without permission for tag:GetResources there is nothing to
 * find, and a new key is made; when KMS cannot be asked about a key that was found, that is an
 * error rather than a reason to make another. */
static int find_own_key(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err)
{
    cJSON *body = cJSON_CreateObject(), *filters, *f, *values;
    const cJSON *list, *item;
    sa_stack_call c;
    int rc;

    cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "ResourceTypeFilters"),
                         cJSON_CreateString("kms:key"));
    filters = cJSON_AddArrayToObject(body, "TagFilters");
    f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "Key", SA_STACK_OWNER_TAG);
    values = cJSON_AddArrayToObject(f, "Values");
    cJSON_AddItemToArray(values, cJSON_CreateString(in->function_name));
    cJSON_AddItemToArray(filters, f);
    rc = sa_stack_json(s, &c, "tagging", "GetResources", body, NULL, 0, err);
    if (rc != SA_OK) {
        /* not allowed or not available: nothing to adopt */
        sa_stack_call_dispose(&c);
        cJSON_Delete(body);
        return rc == SA_EAWS ? SA_OK : rc;
    }
    list = cJSON_GetObjectItemCaseSensitive(c.resp.json, "ResourceTagMappingList");
    cJSON_ArrayForEach(item, list)
    {
        const char *arn = sa_json_string(item, "ResourceARN");
        cJSON *q;
        sa_stack_call d;
        const char *state;
        int drc;
        if (arn == NULL || st->kms_key_id[0] != '\0' || rc != SA_OK)
            continue;
        q = cJSON_CreateObject();
        cJSON_AddStringToObject(q, "KeyId", arn);
        drc = sa_stack_json(s, &d, "kms", "DescribeKey", q, NULL, 0, err);
        if (drc != SA_OK && drc != SA_EAWS)
            rc = drc; /* KMS did not answer: whether the key is ours and usable is unknown */
        if (drc == SA_OK) {
            const cJSON *meta = cJSON_GetObjectItemCaseSensitive(d.resp.json, "KeyMetadata");
            state = sa_json_string(meta, "KeyState");
            if (state != NULL && strcmp(state, "Enabled") == 0 && sa_json_string(meta, "KeyId")) {
                snprintf(st->kms_key_id, sizeof(st->kms_key_id), "%s",
                         sa_json_string(meta, "KeyId"));
                snprintf(st->kms_key_arn, sizeof(st->kms_key_arn), "%s", arn);
            }
        }
        sa_stack_call_dispose(&d);
        cJSON_Delete(q);
    }
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    return rc;
}

typedef struct key_search {
    sa_stack_ctx *s;
    const sa_stack_inputs *in;
    sa_stack_state *st;
} key_search;

/* For the retries of CreateKey (which makes a new key each time it runs): the key an attempt
 * whose answer was lost made. */
static int find_key_made(void *ctx, bool *ret_found, sa_error *err)
{
    key_search *k = ctx;
    int rc = find_own_key(k->s, k->in, k->st, err);

    *ret_found = rc == SA_OK && k->st->kms_key_id[0] != '\0';
    return rc;
}

int sa_kms_create_key(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                      sa_error *err)
{
    cJSON *body = cJSON_CreateObject();
    char *policy = key_policy(s, in), desc[300];
    sa_stack_call c = {0};
    key_search search = {s, in, st};
    sa_stack_find find = {find_key_made, &search};
    const cJSON *meta;
    int rc;

    if (st->kms_key_id[0] != '\0') {
        cJSON_Delete(body);
        free(policy);
        return SA_OK;
    }
    rc = find_own_key(s, in, st, err);
    if (rc != SA_OK || st->kms_key_id[0] != '\0') {
        cJSON_Delete(body);
        free(policy);
        return rc;
    }
    snprintf(desc, sizeof(desc), "Encrypts the CloudWatch Logs of %s (secureapi)",
             in->log_group_name);
    cJSON_AddStringToObject(body, "Description", desc);
    cJSON_AddStringToObject(body, "KeyUsage", "ENCRYPT_DECRYPT");
    cJSON_AddStringToObject(body, "KeySpec", "SYMMETRIC_DEFAULT");
    cJSON_AddStringToObject(body, "Policy", policy);
    cJSON_AddItemToObject(body, "Tags", kms_tag_list(in));
    sa_stack_progress(s, "creating KMS key");
    rc = sa_stack_json_unique(s, &c, "kms", "CreateKey", body, &find, err);
    if (rc == SA_OK && c.resp.http_status != 0) {
        meta = cJSON_GetObjectItemCaseSensitive(c.resp.json, "KeyMetadata");
        snprintf(st->kms_key_id, sizeof(st->kms_key_id), "%s",
                 sa_json_string(meta, "KeyId") ? sa_json_string(meta, "KeyId") : "");
        snprintf(st->kms_key_arn, sizeof(st->kms_key_arn), "%s",
                 sa_json_string(meta, "Arn") ? sa_json_string(meta, "Arn") : "");
        if (st->kms_key_id[0] == '\0' || st->kms_key_arn[0] == '\0')
            rc = sa_error_set(err, SA_EAWS, "KMS CreateKey: the answer has no KeyId or Arn");
    }
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    free(policy);
    return rc;
}

int sa_kms_set_rotation(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err)
{
    cJSON *body = cJSON_CreateObject();
    sa_stack_call c;
    int rc;

    cJSON_AddStringToObject(body, "KeyId", st->kms_key_id);
    rc = sa_stack_json(s, &c, "kms", in->rotation ? "EnableKeyRotation" : "DisableKeyRotation",
                       body, NULL, 0, err);
    if (rc == SA_OK)
        st->kms_rotation = in->rotation;
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    return rc;
}

int sa_kms_create_alias(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err)
{
    cJSON *body = cJSON_CreateObject();
    sa_stack_call c;
    int rc;

    cJSON_AddStringToObject(body, "AliasName", in->alias_name);
    cJSON_AddStringToObject(body, "TargetKeyId", st->kms_key_id);
    rc = sa_stack_json(s, &c, "kms", "CreateAlias", body, NULL, 0, err);
    if (rc != SA_OK && sa_stack_already_exists(rc, &c)) {
        /* an interrupted run of this stack made it for an earlier key: re-point it, but only if
         * the key it names is ours */
        const cJSON *aliases, *a;
        const char *target = NULL;
        cJSON *q = cJSON_CreateObject();
        sa_stack_call_dispose(&c);
        rc = sa_stack_json(s, &c, "kms", "ListAliases", NULL, NULL, 0, err);
        aliases = rc == SA_OK ? cJSON_GetObjectItemCaseSensitive(c.resp.json, "Aliases") : NULL;
        cJSON_ArrayForEach(a, aliases)
        {
            const char *name = sa_json_string(a, "AliasName");
            if (name != NULL && strcmp(name, in->alias_name) == 0)
                target = sa_json_string(a, "TargetKeyId");
        }
        if (rc == SA_OK && target != NULL) {
            cJSON_AddStringToObject(q, "KeyId", target);
            {
                sa_stack_call t;
                bool ours = false;
                const cJSON *tags, *tag;
                rc = sa_stack_json(s, &t, "kms", "ListResourceTags", q, NULL, 0, err);
                tags = rc == SA_OK ? cJSON_GetObjectItemCaseSensitive(t.resp.json, "Tags") : NULL;
                cJSON_ArrayForEach(tag, tags)
                {
                    const char *k = sa_json_string(tag, "TagKey"), *v = sa_json_string(tag, "TagValue");
                    if (k && v && strcmp(k, SA_STACK_OWNER_TAG) == 0 &&
                        strcmp(v, in->function_name) == 0)
                        ours = true;
                }
                sa_stack_call_dispose(&t);
                if (rc == SA_OK && !ours)
                    rc = sa_stack_not_ours(err, "the KMS alias", in->alias_name, in);
            }
        }
        cJSON_Delete(q);
        sa_stack_call_dispose(&c);
        if (rc == SA_OK)
            rc = sa_stack_json(s, &c, "kms", "UpdateAlias", body, NULL, 0, err);
    }
    if (rc == SA_OK)
        st->alias = true;
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    return rc;
}

int sa_kms_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    cJSON *body = cJSON_CreateObject();
    sa_stack_call c;
    const cJSON *meta, *aliases, *a;
    const char *state;
    int rc;

    if (st->kms_key_id[0] == '\0') {
        cJSON_Delete(body);
        return SA_OK;
    }
    cJSON_AddStringToObject(body, "KeyId", st->kms_key_id);
    rc = sa_stack_json(s, &c, "kms", "DescribeKey", body, NULL, 0, err);
    if (rc != SA_OK) {
        if (sa_stack_not_found(rc, &c)) {
            st->kms_key_id[0] = st->kms_key_arn[0] = '\0';
            st->alias = false;
            rc = SA_OK;
        }
        goto cleanup;
    }
    meta = cJSON_GetObjectItemCaseSensitive(c.resp.json, "KeyMetadata");
    state = sa_json_string(meta, "KeyState");
    if (state != NULL && (strcmp(state, "PendingDeletion") == 0 ||
                          strcmp(state, "PendingReplicaDeletion") == 0)) {
        /* a key waiting to be deleted is gone for the stack's purposes */
        st->kms_key_id[0] = st->kms_key_arn[0] = '\0';
        st->alias = false;
        goto cleanup;
    }
    if (sa_json_string(meta, "Arn"))
        snprintf(st->kms_key_arn, sizeof(st->kms_key_arn), "%s", sa_json_string(meta, "Arn"));
    sa_stack_call_dispose(&c);

    rc = sa_stack_json(s, &c, "kms", "GetKeyRotationStatus", body, NULL, 0, err);
    if (rc != SA_OK)
        goto cleanup;
    st->kms_rotation =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c.resp.json, "KeyRotationEnabled"));
    sa_stack_call_dispose(&c);

    rc = sa_stack_json(s, &c, "kms", "ListAliases", body, NULL, 0, err);
    if (rc != SA_OK)
        goto cleanup;
    st->alias = false;
    aliases = cJSON_GetObjectItemCaseSensitive(c.resp.json, "Aliases");
    cJSON_ArrayForEach(a, aliases)
    {
        const char *name = sa_json_string(a, "AliasName");
        if (name != NULL && strcmp(name, in->alias_name) == 0)
            st->alias = true;
    }
cleanup:
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    return rc;
}

int sa_kms_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                 sa_stack_state *st, sa_error *err)
{
    cJSON *body = cJSON_CreateObject(), *keys = NULL;
    sa_stack_call c;
    int rc;

    cJSON_AddStringToObject(body, "KeyId", st->kms_key_id);
    cJSON_AddItemToObject(body, "Tags", kms_tag_list(in));
    rc = sa_stack_json(s, &c, "kms", "TagResource", body, NULL, 0, err);
    sa_stack_call_dispose(&c);
    if (rc == SA_OK) {
        const char *gone[64];
        size_t n = sa_stack_removed_tags(gone, 64, old_tags, in);
        keys = cJSON_CreateStringArray(gone, (int)n);
        if (n > 0) {
            cJSON_Delete(body);
            body = cJSON_CreateObject();
            cJSON_AddStringToObject(body, "KeyId", st->kms_key_id);
            cJSON_AddItemToObject(body, "TagKeys", keys);
            keys = NULL;
            rc = sa_stack_json(s, &c, "kms", "UntagResource", body, NULL, 0, err);
            sa_stack_call_dispose(&c);
        }
    }
    cJSON_Delete(keys);
    cJSON_Delete(body);
    return rc;
}

int sa_kms_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    cJSON *body = cJSON_CreateObject();
    sa_stack_call c;
    int rc = SA_OK;

    cJSON_AddStringToObject(body, "AliasName", in->alias_name);
    rc = sa_stack_json(s, &c, "kms", "DeleteAlias", body, NULL, 0, err);
    if (rc != SA_OK && sa_stack_not_found(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    if (rc != SA_OK)
        goto cleanup;
    st->alias = false;
    if (st->kms_key_id[0] == '\0')
        goto cleanup;
    cJSON_Delete(body);
    body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "KeyId", st->kms_key_id);
    cJSON_AddNumberToObject(body, "PendingWindowInDays", (double)in->deletion_window);
    rc = sa_stack_json(s, &c, "kms", "ScheduleKeyDeletion", body, NULL, 0, err);
    if (rc == SA_OK) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(c.resp.json, "DeletionDate");
        char when[64] = "";
        if (cJSON_IsNumber(d)) {
            time_t t = (time_t)d->valuedouble;
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(when, sizeof(when), " on %Y-%m-%d", &tm);
        }
        sa_engine_log(s->p, SA_SEV_WARNING, s->urn, false,
                      "KMS key %s is scheduled for deletion%s (after %lld days); until then "
                      "`aws kms cancel-key-deletion --key-id %s` restores it",
                      st->kms_key_id, when, (long long)in->deletion_window, st->kms_key_id);
    } else if (sa_stack_not_found(rc, &c) ||
               (rc == SA_EAWS && sa_aws_error_is(&c.aws_error, "KMSInvalidStateException"))) {
        rc = SA_OK; /* gone, or already pending deletion */
    }
    if (rc == SA_OK)
        st->kms_key_id[0] = st->kms_key_arn[0] = '\0';
    sa_stack_call_dispose(&c);
cleanup:
    cJSON_Delete(body);
    return rc;
}
