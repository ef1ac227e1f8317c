/*
 * IAM steps of SecureApiStack: the function's role (trusted by Lambda only) and its execution
 * policy: by default an inline policy allowing only logs:CreateLogStream and logs:PutLogEvents on
 * this stack's log group (no CreateLogGroup: the stack made the group already, encrypted), or the
 * AWS-managed AWSLambdaBasicExecutionRole when asked. Policies are removed before the role, as IAM
 * requires. IAM speaks the Query protocol: parameters in, XML out; its lists page with Marker
 * while IsTruncated is true.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "stack/steps.h"

#define IAM_PAGER(result)                                                                          \
    {                                                                                              \
        .request_token = "Marker", .response_token = result "/Marker",                             \
        .truncated = result "/IsTruncated"                                                         \
    }

static const sa_pager role_tags_pager = IAM_PAGER("ListRoleTagsResult");
static const sa_pager inline_pager = IAM_PAGER("ListRolePoliciesResult");
static const sa_pager attached_pager = IAM_PAGER("ListAttachedRolePoliciesResult");

/* The text of each element child of the XML element at path, by name (NULL: any). */
typedef int (*xml_item_fn)(void *ctx, xmlNode *item, sa_error *err);

static int xml_each(const sa_stack_call *page, const char *path, xml_item_fn fn, void *ctx,
                    sa_error *err)
{
    xmlNode *list = sa_aws_xml_find(&page->resp, path);
    int rc = SA_OK;

    for (xmlNode *m = list ? list->children : NULL; m != NULL && rc == SA_OK; m = m->next)
        if (m->type == XML_ELEMENT_NODE)
            rc = fn(ctx, m, err);
    return rc;
}

/* The text of child `name` of an element (the caller frees it with xmlFree), or NULL. */
static xmlChar *child_text(xmlNode *item, const char *name)
{
    for (xmlNode *f = item->children; f != NULL; f = f->next)
        if (f->type == XML_ELEMENT_NODE && strcmp((const char *)f->name, name) == 0)
            return xmlNodeGetContent(f);
    return NULL;
}

static void managed_arn(char *out, size_t cap, const sa_stack_ctx *s)
{
    sa_step_global_arn(out, cap, s, "iam", "aws",
                       "policy/service-role/AWSLambdaBasicExecutionRole");
}

static char *trust_policy(const sa_stack_ctx *s)
{
    sa_json doc;
    cJSON *stmt;
    char principal[96];
    char *out = NULL;

    sa_json_init(&doc);
    sa_json_string(&doc, doc.root, "Version", "2012-10-17");
    stmt = sa_json_object(&doc, sa_json_array(&doc, doc.root, "Statement"), NULL);
    sa_json_string(&doc, stmt, "Effect", "Allow");
    if (!sa_aws_service_principal(principal, sizeof(principal), s->partition, "lambda", s->region))
        doc.failed = true;
    sa_json_string(&doc, sa_json_object(&doc, stmt, "Principal"), "Service", principal);
    sa_json_string(&doc, stmt, "Action", "sts:AssumeRole");
    if (!doc.failed)
        out = cJSON_PrintUnformatted(doc.root);
    sa_json_dispose(&doc);
    return out;
}

static char *scoped_policy(const sa_stack_ctx *s, const sa_stack_inputs *in)
{
    sa_json doc;
    cJSON *stmt, *act;
    char lg[600], streams[620];
    char *out = NULL;

    sa_step_log_group_arn(lg, sizeof(lg), s, in->log_group_name);
    snprintf(streams, sizeof(streams), "%s:*", lg);
    sa_json_init(&doc);
    sa_json_string(&doc, doc.root, "Version", "2012-10-17");
    stmt = sa_json_object(&doc, sa_json_array(&doc, doc.root, "Statement"), NULL);
    sa_json_string(&doc, stmt, "Sid", "WriteOwnLogGroupOnly");
    sa_json_string(&doc, stmt, "Effect", "Allow");
    act = sa_json_array(&doc, stmt, "Action");
    sa_json_string(&doc, act, NULL, "logs:CreateLogStream");
    sa_json_string(&doc, act, NULL, "logs:PutLogEvents");
    sa_json_string(&doc, sa_json_array(&doc, stmt, "Resource"), NULL, streams);
    if (!doc.failed)
        out = cJSON_PrintUnformatted(doc.root);
    sa_json_dispose(&doc);
    return out;
}

/* ---- the role's tags (for adoption) ---- */

static int tag_item(void *ctx, xmlNode *item, sa_error *err)
{
    cJSON *tags = ctx;
    xmlChar *k = child_text(item, "Key"), *v = child_text(item, "Value");
    int rc = SA_OK;

    if (k != NULL && v != NULL &&
        cJSON_AddStringToObject(tags, (const char *)k, (const char *)v) == NULL)
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
    xmlFree(k);
    xmlFree(v);
    return rc;
}

static int tag_page(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err)
{
    (void)ret_stop;
    return xml_each(page, "ListRoleTagsResult/Tags", tag_item, ctx, err);
}

static int role_tags_of(sa_stack_ctx *s, const sa_stack_inputs *in, cJSON **ret_tags, sa_error *err)
{
    sa_params p = {0};
    cJSON *tags = cJSON_CreateObject();
    int rc;

    *ret_tags = NULL;
    if (tags == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    sa_params_add(&p, "RoleName", in->role_name);
    rc = sa_call_pages(s, &(sa_call){.service = "iam", .op = "ListRoleTags", .params = &p},
                       &role_tags_pager, tag_page, tags, err);
    sa_params_dispose(&p);
    if (rc != SA_OK) {
        cJSON_Delete(tags);
        return rc;
    }
    *ret_tags = tags;
    return SA_OK;
}

static bool role_found(const sa_stack_state *st)
{
    return st->role_arn[0] != '\0';
}

int sa_iam_create_role(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                       sa_error *err)
{
    sa_params p = {0};
    sa_stack_call c;
    char *arn = NULL, *trust = NULL, desc[300];
    int rc;

    if (st->role_arn[0] != '\0')
        return SA_OK;
    trust = trust_policy(s);
    snprintf(desc, sizeof(desc), "Execution role of the Lambda function %s (secureapi)",
             in->function_name);
    sa_params_add(&p, "RoleName", in->role_name);
    sa_params_add(&p, "AssumeRolePolicyDocument", trust);
    sa_params_add(&p, "Description", desc);
    sa_step_tag_params(&p, "Tags", in, in->role_name);
    sa_stack_progress(s, "creating IAM role");
    rc = sa_call_run(s, &c, &(sa_call){.service = "iam", .op = "CreateRole", .params = &p}, err);
    sa_params_dispose(&p);
    cJSON_free(trust);
    if (sa_call_error_is(rc, &c, "EntityAlreadyExists", NULL)) {
        /* adopt only a role this stack made (an interrupted run) */
        sa_stack_call_dispose(&c);
        return sa_step_adopt(s, in, st,
                             &(sa_adopt){.what = "the IAM role",
                                         .name = in->role_name,
                                         .tags = role_tags_of,
                                         .read = sa_iam_read,
                                         .found = role_found},
                             err);
    }
    if (rc == SA_OK)
        rc = sa_aws_xml_text(&arn, &c.resp, "CreateRoleResult/Role/Arn", err);
    if (rc == SA_OK)
        SA_COPY(st->role_arn, arn);
    free(arn);
    sa_stack_call_dispose(&c);
    return rc;
}

/* Runs one IAM call on the role with parameters besides RoleName; not-found counts as done when
 * gone_ok; *ret_conflict (may be NULL) says whether IAM answered DeleteConflict. */
static int role_call_conflict(sa_stack_ctx *s, const sa_stack_inputs *in, const char *op,
                              const sa_aws_param *more, size_t n, bool gone_ok, bool *ret_conflict,
                              sa_error *err)
{
    sa_params p = {0};
    sa_stack_call c;
    int rc;

    sa_params_add(&p, "RoleName", in->role_name);
    for (size_t i = 0; i < n; i++)
        sa_params_add(&p, more[i].name, more[i].value);
    rc = sa_call_run(s, &c, &(sa_call){.service = "iam", .op = op, .params = &p}, err);
    if (gone_ok && sa_call_not_found(rc, &c))
        rc = SA_OK;
    if (ret_conflict != NULL)
        *ret_conflict = sa_call_error_is(rc, &c, "DeleteConflict", NULL);
    sa_stack_call_dispose(&c);
    sa_params_dispose(&p);
    return rc;
}

static int role_call(sa_stack_ctx *s, const sa_stack_inputs *in, const char *op,
                     const sa_aws_param *more, size_t n, bool gone_ok, sa_error *err)
{
    return role_call_conflict(s, in, op, more, n, gone_ok, NULL, err);
}

static int put_scoped(sa_stack_ctx *s, const sa_stack_inputs *in, sa_error *err)
{
    char *doc = scoped_policy(s, in);
    sa_aws_param more[] = {{"PolicyName", in->policy_name}, {"PolicyDocument", doc}};
    int rc = doc != NULL ? role_call(s, in, "PutRolePolicy", more, SA_N(more), false, err)
                         : sa_error_set(err, SA_ENOMEM, "out of memory");
    cJSON_free(doc);
    return rc;
}

static int delete_scoped(sa_stack_ctx *s, const sa_stack_inputs *in, sa_error *err)
{
    sa_aws_param more[] = {{"PolicyName", in->policy_name}};
    return role_call(s, in, "DeleteRolePolicy", more, SA_N(more), true, err);
}

static int managed(sa_stack_ctx *s, const sa_stack_inputs *in, bool attach, sa_error *err)
{
    char arn[160];
    sa_aws_param more[] = {{"PolicyArn", arn}};

    managed_arn(arn, sizeof(arn), s);
    return role_call(s, in, attach ? "AttachRolePolicy" : "DetachRolePolicy", more, SA_N(more),
                     !attach, err);
}

int sa_iam_set_policy(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    bool want_managed = strcmp(in->execution_policy, "managed") == 0;
    char before[16];
    int rc;

    SA_COPY(before, st->role_policy);
    /* add the wanted one first, so the function never runs without log access */
    rc = want_managed ? managed(s, in, true, err) : put_scoped(s, in, err);
    if (rc != SA_OK)
        return rc;
    SA_COPY(st->role_policy, in->execution_policy);
    if (before[0] == '\0' || strcmp(before, in->execution_policy) == 0)
        return SA_OK; /* nothing else was there */
    return want_managed ? delete_scoped(s, in, err) : managed(s, in, false, err);
}

/* ---- read ---- */

typedef struct policies {
    const char *inline_name;
    const char *managed_arn;
    bool has_inline, has_managed;
} policies;

static int inline_item(void *ctx, xmlNode *item, sa_error *err)
{
    policies *p = ctx;
    xmlChar *t = xmlNodeGetContent(item);

    (void)err;
    p->has_inline = p->has_inline || (t != NULL && strcmp((const char *)t, p->inline_name) == 0);
    xmlFree(t);
    return SA_OK;
}

static int inline_page(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err)
{
    (void)ret_stop;
    return xml_each(page, "ListRolePoliciesResult/PolicyNames", inline_item, ctx, err);
}

static int attached_item(void *ctx, xmlNode *item, sa_error *err)
{
    policies *p = ctx;
    xmlChar *t = child_text(item, "PolicyArn");

    (void)err;
    p->has_managed = p->has_managed || (t != NULL && strcmp((const char *)t, p->managed_arn) == 0);
    xmlFree(t);
    return SA_OK;
}

static int attached_page(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err)
{
    (void)ret_stop;
    return xml_each(page, "ListAttachedRolePoliciesResult/AttachedPolicies", attached_item, ctx,
                    err);
}

int sa_iam_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_params p = {0};
    sa_stack_call c;
    char *arn = NULL, managed_policy[160];
    policies pol = {.inline_name = in->policy_name, .managed_arn = managed_policy};
    int rc;

    managed_arn(managed_policy, sizeof(managed_policy), s);
    sa_params_add(&p, "RoleName", in->role_name);
    rc = sa_call_run(s, &c, &(sa_call){.service = "iam", .op = "GetRole", .params = &p}, err);
    if (sa_call_not_found(rc, &c)) {
        st->role_arn[0] = st->role_policy[0] = '\0';
        rc = SA_OK;
        goto out;
    }
    if (rc == SA_OK)
        rc = sa_aws_xml_text(&arn, &c.resp, "GetRoleResult/Role/Arn", err);
    if (rc != SA_OK)
        goto out;
    SA_COPY(st->role_arn, arn);
    rc = sa_call_pages(s, &(sa_call){.service = "iam", .op = "ListRolePolicies", .params = &p},
                       &inline_pager, inline_page, &pol, err);
    if (rc == SA_OK)
        rc = sa_call_pages(
            s, &(sa_call){.service = "iam", .op = "ListAttachedRolePolicies", .params = &p},
            &attached_pager, attached_page, &pol, err);
    if (rc == SA_OK)
        SA_COPY(st->role_policy, pol.has_inline && pol.has_managed ? "both"
                                 : pol.has_inline                  ? "scoped"
                                 : pol.has_managed                 ? "managed"
                                                                   : "");
out:
    free(arn);
    sa_stack_call_dispose(&c);
    sa_params_dispose(&p);
    return rc;
}

/* ---- tags, delete ---- */

int sa_iam_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                 sa_stack_state *st, sa_error *err)
{
    static const sa_tagging tagging = {.service = "iam",
                                       .tag_op = "TagRole",
                                       .untag_op = "UntagRole",
                                       .id_member = "RoleName",
                                       .form = SA_TAGS_QUERY,
                                       .tags_member = "Tags",
                                       .keys_member = "TagKeys"};

    return st->role_arn[0]
               ? sa_step_retag(s, in, old_tags, &tagging, in->role_name, in->role_name, err)
               : SA_OK;
}

/* DeleteRole; *ret_conflict when IAM refuses it because a policy is still on the role
 * (DeleteConflict: one put or attached out of band). */
static int delete_role(sa_stack_ctx *s, const sa_stack_inputs *in, bool *ret_conflict,
                       sa_error *err)
{
    return role_call_conflict(s, in, "DeleteRole", NULL, 0, true, ret_conflict, err);
}

/* Removes the policy the state records ("scoped": the inline one, "managed": the attached one;
 * "both" or unknown: both), then the role; should IAM find another policy on it, both are
 * removed and the role deleted again. */
int sa_iam_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    bool conflict = false;
    int rc = strcmp(st->role_policy, "managed") != 0 ? delete_scoped(s, in, err) : SA_OK;

    if (rc == SA_OK && strcmp(st->role_policy, "scoped") != 0)
        rc = managed(s, in, false, err);
    if (rc != SA_OK)
        return rc;
    st->role_policy[0] = '\0';
    rc = delete_role(s, in, &conflict, err);
    if (conflict) {
        rc = delete_scoped(s, in, err);
        if (rc == SA_OK)
            rc = managed(s, in, false, err);
        if (rc == SA_OK)
            rc = delete_role(s, in, &conflict, err);
    }
    if (rc == SA_OK)
        st->role_arn[0] = '\0';
    return rc;
}
