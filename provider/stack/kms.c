/*
 * KMS steps of SecureApiStack: a symmetric customer-managed key whose policy keeps the account
 * root's full access (so the key can never be locked out) and lets only CloudWatch Logs in this
 * region use it, and only for this stack's log group (an ArnEquals condition on the
 * kms:EncryptionContext:aws:logs:arn key); rotation; an alias; tags; and deletion by scheduling
 * with the stack's window. A key found disabled or pending deletion no longer serves the log
 * group: Read forgets it, Create makes a new one, and a disabled one is scheduled for deletion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/platform.h"
#include "base/util.h"
#include "stack/steps.h"

/* The alias and tag listings page with Marker / NextMarker while Truncated is true. */
static const sa_pager kms_pager = {
    .request_token = "Marker", .response_token = "NextMarker", .truncated = "Truncated"};

static char *key_policy(const sa_stack_ctx *s, const sa_stack_inputs *in)
{
    sa_json doc;
    cJSON *stmts, *root, *logs, *actions, *cond;
    char arn[600], principal[160];
    static const char *const logs_actions[] = {"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*",
                                               "kms:GenerateDataKey*", "kms:Describe*"};
    char *out = NULL;

    sa_json_init(&doc);
    sa_json_string(&doc, doc.root, "Version", "2012-10-17");
    sa_json_string(&doc, doc.root, "Id", "secureapi-logs-key");
    stmts = sa_json_array(&doc, doc.root, "Statement");

    root = sa_json_object(&doc, stmts, NULL);
    sa_json_string(&doc, root, "Sid", "AccountRootFullAccess");
    sa_json_string(&doc, root, "Effect", "Allow");
    sa_step_global_arn(arn, sizeof(arn), s, "iam", s->account, "root");
    sa_json_string(&doc, sa_json_object(&doc, root, "Principal"), "AWS", arn);
    sa_json_string(&doc, root, "Action", "kms:*");
    sa_json_string(&doc, root, "Resource", "*");

    logs = sa_json_object(&doc, stmts, NULL);
    sa_json_string(&doc, logs, "Sid", "CloudWatchLogsForThisLogGroup");
    sa_json_string(&doc, logs, "Effect", "Allow");
    if (!sa_aws_service_principal(principal, sizeof(principal), s->partition, "logs", s->region))
        doc.failed = true;
    sa_json_string(&doc, sa_json_object(&doc, logs, "Principal"), "Service", principal);
    actions = sa_json_array(&doc, logs, "Action");
    for (size_t i = 0; i < SA_N(logs_actions); i++)
        sa_json_string(&doc, actions, NULL, logs_actions[i]);
    sa_json_string(&doc, logs, "Resource", "*");
    cond = sa_json_object(&doc, logs, "Condition");
    sa_step_log_group_arn(arn, sizeof(arn), s, in->log_group_name);
    sa_json_string(&doc, sa_json_object(&doc, cond, "ArnEquals"),
                   "kms:EncryptionContext:aws:logs:arn", arn);
    if (!doc.failed)
        out = cJSON_PrintUnformatted(doc.root);
    sa_json_dispose(&doc);
    return out;
}

/* KeyState values of a key that can still encrypt the stack's logs. */
static bool usable(const char *state)
{
    return state != NULL && strcmp(state, "Enabled") == 0;
}

/* ---- finding a key this stack made ---- */

typedef struct found_keys {
    sa_stack_ctx *s;
    sa_stack_state *st;
} found_keys;

static int key_page(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err)
{
    found_keys *f = ctx;
    const cJSON *item;
    int rc = SA_OK;

    cJSON_ArrayForEach(item,
                       cJSON_GetObjectItemCaseSensitive(page->resp.json, "ResourceTagMappingList"))
    {
        const char *arn = sa_json_get(item, "ResourceARN");
        sa_json q;
        sa_stack_call d;
        int drc;

        if (arn == NULL)
            continue;
        sa_json_init(&q);
        sa_json_string(&q, q.root, "KeyId", arn);
        drc = sa_call_run(f->s, &d, &(sa_call){.service = "kms", .op = "DescribeKey", .body = &q},
                          err);
        if (drc != SA_OK && drc != SA_EAWS)
            rc = drc; /* KMS did not answer: whether the key is ours and usable is unknown */
        if (drc == SA_OK) {
            const cJSON *meta = cJSON_GetObjectItemCaseSensitive(d.resp.json, "KeyMetadata");
            if (usable(sa_json_get(meta, "KeyState")) && sa_json_get(meta, "KeyId") != NULL) {
                SA_COPY(f->st->kms_key_id, sa_json_get(meta, "KeyId"));
                SA_COPY(f->st->kms_key_arn, arn);
            }
        }
        sa_stack_call_dispose(&d);
        sa_json_dispose(&q);
        if (rc != SA_OK || f->st->kms_key_id[0] != '\0')
            break;
    }
    *ret_stop = rc != SA_OK || f->st->kms_key_id[0] != '\0';
    return rc;
}

/* A usable key this stack made in an earlier, interrupted run, or in an attempt of CreateKey
 * whose answer was lost, found by its ownership tag through the Resource Groups Tagging API.
 * Without permission for tag:GetResources there is nothing to find, and a new key is made; when
 * KMS cannot be asked about a key that was found, that is an error rather than a reason to make
 * another. */
static int find_own_key(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err)
{
    sa_json body;
    cJSON *f;
    found_keys found = {s, st};
    sa_error e = {0};
    int rc;

    sa_json_init(&body);
    sa_json_string(&body, sa_json_array(&body, body.root, "ResourceTypeFilters"), NULL, "kms:key");
    f = sa_json_object(&body, sa_json_array(&body, body.root, "TagFilters"), NULL);
    sa_json_string(&body, f, "Key", SA_STACK_OWNER_TAG);
    sa_json_string(&body, sa_json_array(&body, f, "Values"), NULL, in->function_name);
    rc = sa_call_pages(
        s, &(sa_call){.service = "tagging", .op = "GetResources", .body = &body},
        &(sa_pager){.request_token = "PaginationToken", .response_token = "PaginationToken"},
        key_page, &found, &e);
    sa_json_dispose(&body);
    if (rc == SA_EAWS) {
        /* not allowed or not available: nothing to adopt, and a key an interrupted run made
         * cannot be found, so say so */
        sa_stack_log(s, SA_STACK_WARNING, false,
                     "could not look for a KMS key an interrupted run of this stack made (%s); "
                     "a new key is made%s",
                     e.message,
                     strstr(e.message, "AccessDenied") != NULL
                         ? ": allow tag:GetResources (see the README's deployer policy)"
                         : "");
        return SA_OK;
    }
    if (rc != SA_OK)
        sa_error_set(err, rc, "%s", e.message);
    return rc;
}

static bool key_found(const sa_stack_state *st)
{
    return st->kms_key_id[0] != '\0';
}

int sa_kms_create_key(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_json body;
    char *policy;
    char desc[600];
    sa_stack_call c = {0};
    sa_search search = {s, in, st, find_own_key, key_found};
    sa_stack_find find = sa_step_find(&search);
    const cJSON *meta;
    int rc;

    if (st->kms_key_id[0] != '\0')
        return SA_OK;
    rc = find_own_key(s, in, st, err);
    if (rc != SA_OK || st->kms_key_id[0] != '\0')
        return rc;
    policy = key_policy(s, in);
    snprintf(desc, sizeof(desc), "Encrypts the CloudWatch Logs of %s (secureapi)",
             in->log_group_name);
    sa_json_init(&body);
    sa_json_string(&body, body.root, "Description", desc);
    sa_json_string(&body, body.root, "KeyUsage", "ENCRYPT_DECRYPT");
    sa_json_string(&body, body.root, "KeySpec", "SYMMETRIC_DEFAULT");
    sa_json_string(&body, body.root, "Policy", policy); /* NULL (no memory): the body fails */
    sa_step_tags(&body, "Tags", SA_TAGS_LIST, in, in->alias_name);
    sa_stack_progress(s, "creating KMS key");
    rc = sa_call_run(
        s, &c, &(sa_call){.service = "kms", .op = "CreateKey", .body = &body, .find = &find}, err);
    if (rc == SA_OK && c.resp.http_status != 0) {
        meta = cJSON_GetObjectItemCaseSensitive(c.resp.json, "KeyMetadata");
        if (sa_json_get(meta, "KeyId") == NULL || sa_json_get(meta, "Arn") == NULL)
            rc = sa_error_set(err, SA_EAWS, "KMS CreateKey: the answer has no KeyId or Arn");
        else {
            SA_COPY(st->kms_key_id, sa_json_get(meta, "KeyId"));
            SA_COPY(st->kms_key_arn, sa_json_get(meta, "Arn"));
        }
    }
    if (rc == SA_OK) {
        st->kms_rotation = false; /* a new key rotates once the chain enables it */
        st->alias = false;        /* the alias, if any, names an older key */
    }
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    cJSON_free(policy);
    return rc;
}

int sa_kms_set_rotation(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    int rc;

    sa_json_init(&body);
    sa_json_string(&body, body.root, "KeyId", st->kms_key_id);
    rc = sa_call_run(s, &c,
                     &(sa_call){.service = "kms",
                                .op = in->rotation ? "EnableKeyRotation" : "DisableKeyRotation",
                                .body = &body},
                     err);
    if (rc == SA_OK)
        st->kms_rotation = in->rotation;
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    return rc;
}

/* ---- the alias ---- */

typedef struct alias_target {
    const char *alias;
    char key[64];
} alias_target;

static int alias_page(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err)
{
    alias_target *t = ctx;
    const cJSON *a;

    (void)err;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(page->resp.json, "Aliases"))
    {
        const char *name = sa_json_get(a, "AliasName");
        if (name != NULL && strcmp(name, t->alias) == 0) {
            SA_COPY(t->key, sa_json_get(a, "TargetKeyId"));
            *ret_stop = true;
        }
    }
    return SA_OK;
}

/* Which key the alias names ("" when there is no such alias); key_id narrows the listing to the
 * aliases of one key. */
static int alias_target_of(sa_stack_ctx *s, const char *alias, const char *key_id, char out[64],
                           sa_error *err)
{
    sa_json body;
    alias_target t = {.alias = alias};
    int rc;

    sa_json_init(&body);
    if (key_id != NULL)
        sa_json_string(&body, body.root, "KeyId", key_id);
    rc = sa_call_pages(s, &(sa_call){.service = "kms", .op = "ListAliases", .body = &body},
                       &kms_pager, alias_page, &t, err);
    sa_json_dispose(&body);
    memcpy(out, t.key, sizeof(t.key));
    return rc;
}

typedef struct key_tags {
    cJSON *tags; /* {key: value} */
} key_tags;

static int tag_page(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err)
{
    key_tags *k = ctx;
    const cJSON *t;

    (void)ret_stop;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(page->resp.json, "Tags"))
    {
        const char *key = sa_json_get(t, "TagKey"), *value = sa_json_get(t, "TagValue");
        if (key != NULL && value != NULL && cJSON_AddStringToObject(k->tags, key, value) == NULL)
            return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    return SA_OK;
}

/* The tags of a key as {key: value}. */
static int tags_of_key(sa_stack_ctx *s, const char *key_id, cJSON **ret_tags, sa_error *err)
{
    sa_json body;
    key_tags k = {cJSON_CreateObject()};
    int rc;

    *ret_tags = NULL;
    if (k.tags == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    sa_json_init(&body);
    sa_json_string(&body, body.root, "KeyId", key_id);
    rc = sa_call_pages(s, &(sa_call){.service = "kms", .op = "ListResourceTags", .body = &body},
                       &kms_pager, tag_page, &k, err);
    sa_json_dispose(&body);
    if (rc != SA_OK) {
        cJSON_Delete(k.tags);
        return rc;
    }
    *ret_tags = k.tags;
    return SA_OK;
}

int sa_kms_set_alias(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    char target[64];
    cJSON *tags = NULL;
    int rc;

    sa_json_init(&body);
    sa_json_string(&body, body.root, "AliasName", in->alias_name);
    sa_json_string(&body, body.root, "TargetKeyId", st->kms_key_id);
    rc = sa_call_run(s, &c, &(sa_call){.service = "kms", .op = "CreateAlias", .body = &body}, err);
    if (sa_call_error_is(rc, &c, "AlreadyExistsException", NULL)) {
        /* made for an earlier key of this stack (an interrupted run, or a key replaced after
         * drift): point it at this one, but only if the key it names is ours */
        sa_stack_call_dispose(&c);
        rc = alias_target_of(s, in->alias_name, NULL, target, err);
        if (rc == SA_OK && target[0] != '\0')
            rc = tags_of_key(s, target, &tags, err);
        if (rc == SA_OK && target[0] != '\0' && !sa_step_owned(tags, in))
            rc = sa_error_set(err, SA_EAWS,
                              "the KMS alias %s already exists and names a key that "
                              "is not part of this stack (it lacks the tag %s=%s); delete it, or "
                              "choose another environmentSuffix",
                              in->alias_name, SA_STACK_OWNER_TAG, in->function_name);
        cJSON_Delete(tags);
        if (rc == SA_OK)
            rc = sa_call_run(s, &c,
                             &(sa_call){.service = "kms", .op = "UpdateAlias", .body = &body}, err);
    }
    if (rc == SA_OK)
        st->alias = true;
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    return rc;
}

/* ---- read, tags, delete ---- */

int sa_kms_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    const cJSON *meta;
    const char *state;
    char target[64];
    int rc;

    if (st->kms_key_id[0] == '\0')
        return SA_OK;
    sa_json_init(&body);
    sa_json_string(&body, body.root, "KeyId", st->kms_key_id);
    rc = sa_call_run(s, &c, &(sa_call){.service = "kms", .op = "DescribeKey", .body = &body}, err);
    if (sa_call_not_found(rc, &c)) {
        st->kms_key_id[0] = st->kms_key_arn[0] = '\0';
        st->alias = false;
        rc = SA_OK;
        goto out;
    }
    if (rc != SA_OK)
        goto out;
    meta = cJSON_GetObjectItemCaseSensitive(c.resp.json, "KeyMetadata");
    state = sa_json_get(meta, "KeyState");
    if (!usable(state)) {
        /* disabled, or waiting to be deleted: it cannot encrypt the logs any more; Update makes
         * a new key, and a disabled one (still ours) is scheduled for deletion then */
        if (state != NULL && strcmp(state, "Disabled") == 0)
            SA_COPY(st->retired_key_id, st->kms_key_id);
        st->kms_key_id[0] = st->kms_key_arn[0] = '\0';
        st->alias = false;
        goto out;
    }
    if (sa_json_get(meta, "Arn") != NULL)
        SA_COPY(st->kms_key_arn, sa_json_get(meta, "Arn"));
    sa_stack_call_dispose(&c);

    rc = sa_call_run(
        s, &c, &(sa_call){.service = "kms", .op = "GetKeyRotationStatus", .body = &body}, err);
    if (rc != SA_OK)
        goto out;
    st->kms_rotation =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c.resp.json, "KeyRotationEnabled"));
    rc = alias_target_of(s, in->alias_name, st->kms_key_id, target, err);
    if (rc == SA_OK)
        st->alias = target[0] != '\0';
out:
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    return rc;
}

int sa_kms_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                 sa_stack_state *st, sa_error *err)
{
    static const sa_tagging tagging = {.service = "kms",
                                       .tag_op = "TagResource",
                                       .untag_op = "UntagResource",
                                       .id_member = "KeyId",
                                       .form = SA_TAGS_LIST,
                                       .tags_member = "Tags",
                                       .keys_member = "TagKeys"};

    return st->kms_key_id[0]
               ? sa_step_retag(s, in, old_tags, &tagging, st->kms_key_id, in->alias_name, err)
               : SA_OK;
}

static int schedule_deletion(sa_stack_ctx *s, const sa_stack_inputs *in, const char *key_id,
                             sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    int rc;

    sa_json_init(&body);
    sa_json_string(&body, body.root, "KeyId", key_id);
    sa_json_number(&body, body.root, "PendingWindowInDays", (double)in->deletion_window);
    rc = sa_call_run(s, &c,
                     &(sa_call){.service = "kms", .op = "ScheduleKeyDeletion", .body = &body}, err);
    if (rc == SA_OK) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(c.resp.json, "DeletionDate");
        char when[64] = "";
        if (cJSON_IsNumber(d)) {
            time_t t = (time_t)d->valuedouble;
            struct tm tm;
            sa_gmtime(&t, &tm);
            strftime(when, sizeof(when), " on %Y-%m-%d", &tm);
        }
        sa_stack_log(s, SA_STACK_WARNING, false,
                     "KMS key %s is scheduled for deletion%s (after %lld days); until then "
                     "`aws kms cancel-key-deletion --key-id %s` restores it",
                     key_id, when, (long long)in->deletion_window, key_id);
    } else if (sa_call_not_found(rc, &c) ||
               sa_call_error_is(rc, &c, "KMSInvalidStateException", NULL)) {
        rc = SA_OK; /* gone, or already pending deletion */
    }
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    return rc;
}

int sa_kms_retire(sa_stack_ctx *s, const sa_stack_inputs *in, const char *key_id, sa_error *err)
{
    return key_id[0] != '\0' ? schedule_deletion(s, in, key_id, err) : SA_OK;
}

int sa_kms_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    int rc;

    sa_json_init(&body);
    sa_json_string(&body, body.root, "AliasName", in->alias_name);
    rc = sa_call_run(s, &c, &(sa_call){.service = "kms", .op = "DeleteAlias", .body = &body}, err);
    if (sa_call_not_found(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    if (rc != SA_OK)
        return rc;
    st->alias = false;
    if ((rc = sa_kms_retire(s, in, st->retired_key_id, err)) != SA_OK)
        return rc;
    st->retired_key_id[0] = '\0';
    if ((rc = sa_kms_retire(s, in, st->kms_key_id, err)) != SA_OK)
        return rc;
    st->kms_key_id[0] = st->kms_key_arn[0] = '\0';
    return SA_OK;
}
