/*
 * IAM steps of SecureApiStack: the function's role (trusted by lambda.amazonaws.com only) and its
 * execution policy: by default an inline policy allowing only logs:CreateLogStream and
 * logs:PutLogEvents on this stack's log group (no CreateLogGroup: the stack made the group
 * already, encrypted), or the AWS-managed AWSLambdaBasicExecutionRole when asked. Policies are
 * removed before the role, as IAM requires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack_steps.h"

#define MAX_PARAMS 128

/* Query parameters whose strings the builder owns. */
typedef struct params {
    sa_aws_param items[MAX_PARAMS];
    char *owned[MAX_PARAMS * 2];
    size_t n, n_owned;
} params;

static void p_add(params *p, const char *name, const char *value)
{
    if (p->n < MAX_PARAMS)
        p->items[p->n++] = (sa_aws_param){name, value};
}

static void p_add_owned(params *p, char *name, char *value)
{
    if (p->n < MAX_PARAMS && name && value) {
        p->owned[p->n_owned++] = name;
        p->owned[p->n_owned++] = value;
        p->items[p->n++] = (sa_aws_param){name, value};
    } else {
        free(name);
        free(value);
    }
}

static void p_dispose(params *p)
{
    for (size_t i = 0; i < p->n_owned; i++)
        free(p->owned[i]);
    p->n = p->n_owned = 0;
}

static char *fmt(const char *f, size_t i)
{
    char buf[64];
    snprintf(buf, sizeof(buf), f, i);
    return strdup(buf);
}

static void p_add_tags(params *p, const sa_stack_inputs *in)
{
    cJSON *tags = sa_stack_tags(in, in->role_name), *t;
    size_t i = 1;

    cJSON_ArrayForEach(t, tags)
    {
        p_add_owned(p, fmt("Tags.member.%zu.Key", i), strdup(t->string));
        p_add_owned(p, fmt("Tags.member.%zu.Value", i), strdup(t->valuestring));
        i++;
    }
    cJSON_Delete(tags);
}

static const char *const trust_policy =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
    "{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}";

static void managed_arn(char *out, size_t cap, const sa_stack_ctx *s)
{
    snprintf(out, cap, "arn:%s:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
             s->partition);
}

static char *scoped_policy(const sa_stack_ctx *s, const sa_stack_inputs *in)
{
    char lg[400], streams[420];
    cJSON *doc = cJSON_CreateObject(), *stmt = cJSON_CreateObject(), *res, *act;
    char *out;

    sa_stack_log_group_arn(lg, sizeof(lg), s, in->log_group_name);
    snprintf(streams, sizeof(streams), "%s:*", lg);
    cJSON_AddStringToObject(doc, "Version", "2012-10-17");
    cJSON_AddStringToObject(stmt, "Sid", "WriteOwnLogGroupOnly");
    cJSON_AddStringToObject(stmt, "Effect", "Allow");
    act = cJSON_AddArrayToObject(stmt, "Action");
    cJSON_AddItemToArray(act, cJSON_CreateString("logs:CreateLogStream"));
    cJSON_AddItemToArray(act, cJSON_CreateString("logs:PutLogEvents"));
    res = cJSON_AddArrayToObject(stmt, "Resource");
    cJSON_AddItemToArray(res, cJSON_CreateString(streams));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "Statement"), stmt);
    out = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return out;
}

int sa_iam_create_role(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                       sa_error *err)
{
    params p = {0};
    sa_stack_call c;
    char *arn = NULL, desc[300];
    int rc;

    if (st->role_arn[0] != '\0')
        return SA_OK;
    snprintf(desc, sizeof(desc), "Execution role of the Lambda function %s (secureapi)",
             in->function_name);
    p_add(&p, "RoleName", in->role_name);
    p_add(&p, "AssumeRolePolicyDocument", trust_policy);
    p_add(&p, "Description", desc);
    p_add_tags(&p, in);
    sa_stack_progress(s, "creating IAM role");
    rc = sa_stack_query(s, &c, "iam", "CreateRole", p.items, p.n, NULL, 0, err);
    if (rc == SA_OK)
        rc = sa_aws_xml_text(&arn, &c.resp, "CreateRoleResult/Role/Arn", err);
    else if (sa_stack_already_exists(rc, &c)) {
        sa_aws_param q[] = {{"RoleName", in->role_name}};
        xmlNode *tags;
        cJSON *owner = cJSON_CreateObject();
        sa_stack_call_dispose(&c);
        p_dispose(&p);
        /* adopt only a role this stack made (an interrupted run) */
        rc = sa_stack_query(s, &c, "iam", "ListRoleTags", q, 1, NULL, 0, err);
        tags = rc == SA_OK ? sa_aws_xml_find(&c.resp, "ListRoleTagsResult/Tags") : NULL;
        for (xmlNode *m = tags ? tags->children : NULL; m; m = m->next) {
            xmlChar *k = NULL, *v = NULL;
            for (xmlNode *f = m->children; f; f = f->next) {
                if (f->type != XML_ELEMENT_NODE)
                    continue;
                if (strcmp((const char *)f->name, "Key") == 0)
                    k = xmlNodeGetContent(f);
                else if (strcmp((const char *)f->name, "Value") == 0)
                    v = xmlNodeGetContent(f);
            }
            if (k != NULL && v != NULL)
                cJSON_AddStringToObject(owner, (const char *)k, (const char *)v);
            xmlFree(k);
            xmlFree(v);
        }
        sa_stack_call_dispose(&c);
        if (rc == SA_OK && !sa_stack_owned(owner, in))
            rc = sa_stack_not_ours(err, "the IAM role", in->role_name, in);
        cJSON_Delete(owner);
        if (rc != SA_OK)
            return rc;
        rc = sa_iam_read(s, in, st, err);
        if (rc == SA_OK && st->role_arn[0] == '\0')
            rc = sa_error_set(err, SA_EAWS, "IAM CreateRole: role %s exists but cannot be read",
                              in->role_name);
        return rc;
    }
    if (rc == SA_OK)
        snprintf(st->role_arn, sizeof(st->role_arn), "%s", arn);
    free(arn);
    sa_stack_call_dispose(&c);
    p_dispose(&p);
    return rc;
}

static int put_scoped(sa_stack_ctx *s, const sa_stack_inputs *in, sa_error *err)
{
    char *doc = scoped_policy(s, in);
    sa_aws_param p[] = {{"RoleName", in->role_name},
                        {"PolicyName", in->policy_name},
                        {"PolicyDocument", doc}};
    sa_stack_call c;
    int rc = sa_stack_query(s, &c, "iam", "PutRolePolicy", p, 3, NULL, 0, err);
    sa_stack_call_dispose(&c);
    free(doc);
    return rc;
}

static int delete_scoped(sa_stack_ctx *s, const sa_stack_inputs *in, sa_error *err)
{
    sa_aws_param p[] = {{"RoleName", in->role_name}, {"PolicyName", in->policy_name}};
    sa_stack_call c;
    int rc = sa_stack_query(s, &c, "iam", "DeleteRolePolicy", p, 2, NULL, 0, err);
    if (rc != SA_OK && sa_stack_not_found(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    return rc;
}

static int managed(sa_stack_ctx *s, const sa_stack_inputs *in, bool attach, sa_error *err)
{
    char arn[160];
    sa_aws_param p[] = {{"RoleName", in->role_name}, {"PolicyArn", arn}};
    sa_stack_call c;
    int rc;

    managed_arn(arn, sizeof(arn), s);
    rc = sa_stack_query(s, &c, "iam", attach ? "AttachRolePolicy" : "DetachRolePolicy", p, 2,
                        NULL, 0, err);
    if (!attach && rc != SA_OK && sa_stack_not_found(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    return rc;
}

int sa_iam_set_policy(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                      sa_error *err)
{
    bool want_managed = strcmp(in->execution_policy, "managed") == 0;
    char before[16];
    int rc;

    snprintf(before, sizeof(before), "%s", st->role_policy);
    /* add the wanted one first, so the function never runs without log access */
    rc = want_managed ? managed(s, in, true, err) : put_scoped(s, in, err);
    if (rc != SA_OK)
        return rc;
    snprintf(st->role_policy, sizeof(st->role_policy), "%s", in->execution_policy);
    if (before[0] == '\0' || strcmp(before, in->execution_policy) == 0)
        return SA_OK; /* nothing else was there */
    return want_managed ? delete_scoped(s, in, err) : managed(s, in, false, err);
}

int sa_iam_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_aws_param p[] = {{"RoleName", in->role_name}};
    sa_stack_call c;
    char *arn = NULL, managed_policy[160];
    bool has_inline = false, has_managed = false;
    xmlNode *n;
    int rc;

    rc = sa_stack_query(s, &c, "iam", "GetRole", p, 1, NULL, 0, err);
    if (rc != SA_OK) {
        if (sa_stack_not_found(rc, &c)) {
            st->role_arn[0] = st->role_policy[0] = '\0';
            rc = SA_OK;
        }
        sa_stack_call_dispose(&c);
        return rc;
    }
    rc = sa_aws_xml_text(&arn, &c.resp, "GetRoleResult/Role/Arn", err);
    sa_stack_call_dispose(&c);
    if (rc != SA_OK)
        return rc;
    snprintf(st->role_arn, sizeof(st->role_arn), "%s", arn);
    free(arn);

    rc = sa_stack_query(s, &c, "iam", "ListRolePolicies", p, 1, NULL, 0, err);
    if (rc != SA_OK)
        goto done;
    n = sa_aws_xml_find(&c.resp, "ListRolePoliciesResult/PolicyNames");
    for (xmlNode *m = n ? n->children : NULL; m; m = m->next) {
        xmlChar *t = xmlNodeGetContent(m);
        if (t != NULL && strcmp((const char *)t, in->policy_name) == 0)
            has_inline = true;
        xmlFree(t);
    }
    sa_stack_call_dispose(&c);
    rc = sa_stack_query(s, &c, "iam", "ListAttachedRolePolicies", p, 1, NULL, 0, err);
    if (rc != SA_OK)
        goto done;
    managed_arn(managed_policy, sizeof(managed_policy), s);
    n = sa_aws_xml_find(&c.resp, "ListAttachedRolePoliciesResult/AttachedPolicies");
    for (xmlNode *m = n ? n->children : NULL; m; m = m->next) {
        for (xmlNode *f = m->children; f; f = f->next) {
            xmlChar *t;
            if (f->type != XML_ELEMENT_NODE || strcmp((const char *)f->name, "PolicyArn") != 0)
                continue;
            t = xmlNodeGetContent(f);
            if (t != NULL && strcmp((const char *)t, managed_policy) == 0)
                has_managed = true;
            xmlFree(t);
        }
    }
    snprintf(st->role_policy, sizeof(st->role_policy), "%s",
             has_inline && has_managed ? "both" : has_inline ? "scoped"
                                                  : has_managed ? "managed" : "");
done:
    sa_stack_call_dispose(&c);
    return rc;
}

int sa_iam_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                 sa_stack_state *st, sa_error *err)
{
    params p = {0};
    sa_stack_call c;
    int rc;
    size_t k = 1;

    (void)st;
    p_add(&p, "RoleName", in->role_name);
    p_add_tags(&p, in);
    rc = sa_stack_query(s, &c, "iam", "TagRole", p.items, p.n, NULL, 0, err);
    sa_stack_call_dispose(&c);
    p_dispose(&p);
    if (rc != SA_OK)
        return rc;
    p_add(&p, "RoleName", in->role_name);
    {
        const char *gone[64];
        size_t n = sa_stack_removed_tags(gone, 64, old_tags, in);
        for (size_t i = 0; i < n; i++)
            p_add_owned(&p, fmt("TagKeys.member.%zu", k++), strdup(gone[i]));
    }
    if (k > 1) {
        rc = sa_stack_query(s, &c, "iam", "UntagRole", p.items, p.n, NULL, 0, err);
        sa_stack_call_dispose(&c);
    }
    p_dispose(&p);
    return rc;
}

int sa_iam_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_aws_param p[] = {{"RoleName", in->role_name}};
    sa_stack_call c;
    int rc;

    rc = delete_scoped(s, in, err);
    if (rc == SA_OK)
        rc = managed(s, in, false, err);
    if (rc != SA_OK)
        return rc;
    st->role_policy[0] = '\0';
    rc = sa_stack_query(s, &c, "iam", "DeleteRole", p, 1, NULL, 0, err);
    if (rc != SA_OK && sa_stack_not_found(rc, &c))
        rc = SA_OK;
    if (rc == SA_OK)
        st->role_arn[0] = '\0';
    sa_stack_call_dispose(&c);
    return rc;
}
