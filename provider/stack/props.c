/*
 * The property table of SecureApiStack and the conversions that read it (see state.h): checked
 * inputs to sa_stack_inputs, the state to and from the output value, and the previews. Output
 * keys are the schema's; state fields that are not schema outputs keep a leading underscore.
 */
#include "stack/state.h"

#include <stdio.h>
#include <string.h>

#include "aws/partition.h"
#include "base/util.h"
#include "stack/stack.h"

#define IN(f) (offsetof(sa_stack_inputs, f) + 1)
#define ST(f) (offsetof(sa_stack_state, f) + 1), .state_size = sizeof(((sa_stack_state *)0)->f)

enum {
    I = SA_PROP_INPUT | SA_PROP_OUTPUT,
    O = SA_PROP_OUTPUT,
    AS = SA_PROP_OUTPUT | SA_PROP_ASSIGNED | SA_PROP_STABLE,
};

const sa_prop sa_stack_props[] = {
    /* inputs (also outputs) */
    {.key = "environmentSuffix",
     .type = SA_PROP_STRING,
     .flags = I | SA_PROP_REQUIRED | SA_PROP_REPLACES | SA_PROP_STABLE,
     .input = IN(suffix)},
    {.key = "region",
     .type = SA_PROP_STRING,
     .flags = I | SA_PROP_STABLE,
     .input = IN(region),
     .state = ST(region),
     .name = "region"},
    {.key = "lambdaRuntime",
     .type = SA_PROP_STRING,
     .flags = I,
     .input = IN(runtime),
     .dflt = "\"nodejs22.x\""},
    {.key = "lambdaHandlerCode",
     .type = SA_PROP_STRING,
     .flags = I | SA_PROP_OPTIONAL | SA_PROP_CODE,
     .input = IN(handler_code),
     .dflt_text = sa_default_handler_js,
     .dflt_unless = "lambdaCode"},
    {.key = "lambdaCode",
     .type = SA_PROP_ARCHIVE,
     .flags = I | SA_PROP_OPTIONAL | SA_PROP_CODE,
     .input = IN(code)},
    {.key = "lambdaHandler",
     .type = SA_PROP_STRING,
     .flags = I,
     .input = IN(handler),
     .dflt_text = "index.handler"},
    {.key = "lambdaArchitecture",
     .type = SA_PROP_STRING,
     .flags = I,
     .input = IN(architecture),
     .dflt = "\"x86_64\""},
    {.key = "lambdaMemorySize",
     .type = SA_PROP_INT,
     .flags = I,
     .input = IN(memory),
     .dflt = "256"},
    {.key = "lambdaTimeout", .type = SA_PROP_INT, .flags = I, .input = IN(timeout), .dflt = "29"},
    {.key = "lambdaEnvironment",
     .type = SA_PROP_MAP,
     .flags = I,
     .input = IN(environment),
     .dflt = "{}"},
    {.key = "logRetentionInDays",
     .type = SA_PROP_INT,
     .flags = I,
     .input = IN(retention),
     .dflt = "7"},
    {.key = "kmsKeyRotation",
     .type = SA_PROP_BOOL,
     .flags = I,
     .input = IN(rotation),
     .dflt = "true"},
    {.key = "kmsDeletionWindowInDays",
     .type = SA_PROP_INT,
     .flags = I,
     .input = IN(deletion_window),
     .dflt = "30"},
    {.key = "stageName",
     .type = SA_PROP_STRING,
     .flags = I,
     .input = IN(stage_name),
     .dflt = "\"prod\""},
    {.key = "executionPolicy",
     .type = SA_PROP_STRING,
     .flags = I,
     .input = IN(execution_policy),
     .dflt = "\"scoped\""},
    {.key = "tags", .type = SA_PROP_MAP, .flags = I, .input = IN(tags), .dflt = "{}"},
    /* outputs: derived names (known at preview) */
    {.key = "functionName",
     .type = SA_PROP_STRING,
     .flags = O | SA_PROP_STABLE | SA_PROP_SUFFIX_SECRET,
     .input = IN(function_name),
     .name = "functionName"},
    {.key = "roleName",
     .type = SA_PROP_STRING,
     .flags = O | SA_PROP_STABLE | SA_PROP_SUFFIX_SECRET,
     .input = IN(role_name),
     .name = "roleName"},
    {.key = "kmsAliasName",
     .type = SA_PROP_STRING,
     .flags = O | SA_PROP_STABLE | SA_PROP_SUFFIX_SECRET,
     .input = IN(alias_name),
     .name = "aliasName"},
    {.key = "logGroupName",
     .type = SA_PROP_STRING,
     .flags = O | SA_PROP_STABLE | SA_PROP_SUFFIX_SECRET,
     .input = IN(log_group_name),
     .name = "logGroupName"},
    /* outputs AWS assigns */
    {.key = "apiUrl", .type = SA_PROP_STRING, .flags = O | SA_PROP_ASSIGNED},
    {.key = "restApiId",
     .type = SA_PROP_STRING,
     .flags = AS,
     .state = ST(rest_api_id),
     .repair = "restApiId"},
    {.key = "functionArn",
     .type = SA_PROP_STRING,
     .flags = AS | SA_PROP_SUFFIX_SECRET,
     .state = ST(function_arn),
     .repair = "functionArn"},
    {.key = "roleArn",
     .type = SA_PROP_STRING,
     .flags = AS | SA_PROP_SUFFIX_SECRET,
     .state = ST(role_arn),
     .repair = "roleArn"},
    {.key = "kmsKeyId",
     .type = SA_PROP_STRING,
     .flags = AS,
     .state = ST(kms_key_id),
     .repair = "kmsKeyId"},
    {.key = "kmsKeyArn", .type = SA_PROP_STRING, .flags = AS, .state = ST(kms_key_arn)},
    {.key = "logGroupArn",
     .type = SA_PROP_STRING,
     .flags = AS | SA_PROP_SUFFIX_SECRET,
     .state = ST(log_group_arn),
     .repair = "logGroupArn"},
    {.key = "deploymentId",
     .type = SA_PROP_STRING,
     .flags = O | SA_PROP_ASSIGNED,
     .state = ST(deployment_id),
     .repair = "deploymentId"},
    {.key = "accountId", .type = SA_PROP_STRING, .flags = AS, .state = ST(account)},
    /* state only */
    {.key = "_partition", .type = SA_PROP_STRING, .flags = 0, .state = ST(partition)},
    {.key = "_rolePolicy", .type = SA_PROP_STRING, .flags = 0, .state = ST(role_policy)},
    {.key = "_codeSha256", .type = SA_PROP_STRING, .flags = 0, .state = ST(code_sha256)},
    {.key = "_architecture", .type = SA_PROP_STRING, .flags = 0, .state = ST(architecture)},
    {.key = "_rootResourceId", .type = SA_PROP_STRING, .flags = 0, .state = ST(root_resource_id)},
    {.key = "_retiredRestApiId", .type = SA_PROP_STRING, .flags = 0, .state = ST(retired_api_id)},
    {.key = "_proxyResourceId", .type = SA_PROP_STRING, .flags = 0, .state = ST(proxy_resource_id)},
    {.key = "_stage",
     .type = SA_PROP_STRING,
     .flags = 0,
     .state = ST(stage_name),
     .repair = "stageName"},
    {.key = "_alias",
     .type = SA_PROP_BOOL,
     .flags = 0,
     .state = ST(alias),
     .repair = "kmsAliasName"},
    {.key = "_kmsRotation", .type = SA_PROP_BOOL, .flags = 0, .state = ST(kms_rotation)},
    {.key = "_methods",
     .type = SA_PROP_BOOL,
     .flags = 0,
     .state = ST(methods),
     .repair = "restApiId"},
    {.key = "_permissionApi",
     .type = SA_PROP_STRING,
     .flags = 0,
     .state = ST(permission_api),
     .repair = "functionArn"},
    {.key = "_retention", .type = SA_PROP_INT, .flags = 0, .state = ST(retention)},
    {.key = "_logGroupKey", .type = SA_PROP_STRING, .flags = 0, .state = ST(log_group_key)},
    {.key = "_retiredKeyId", .type = SA_PROP_STRING, .flags = 0, .state = ST(retired_key_id)},
};

const size_t sa_stack_prop_count = SA_N(sa_stack_props);

const sa_prop *sa_stack_prop(const char *key)
{
    for (size_t i = 0; key != NULL && i < sa_stack_prop_count; i++)
        if (strcmp(sa_stack_props[i].key, key) == 0)
            return &sa_stack_props[i];
    return NULL;
}

static void *field(void *base, size_t offset_plus_one)
{
    return (char *)base + offset_plus_one - 1;
}

static const char *str(const sa_value *obj, const char *key)
{
    const char *s = NULL;
    return sa_value_get_string(sa_value_object_get(obj, key), &s) ? s : NULL;
}

/* ---- inputs ---- */

int sa_stack_inputs_parse(sa_stack_inputs *in, const sa_value *inputs, sa_error *err)
{
    const sa_value *names = sa_value_object_get(inputs, SA_STACK_NAMES_KEY);

    memset(in, 0, sizeof(*in));
    if (names == NULL || names->kind != SA_VALUE_OBJECT)
        return sa_error_set(err, SA_EINVAL,
                            "%s: the checked inputs have no names; run "
                            "`pulumi up` again so Check can derive them",
                            SA_STACK_TYPE);
    for (size_t i = 0; i < sa_stack_prop_count; i++) {
        const sa_prop *p = &sa_stack_props[i];
        const sa_value *v;
        void *f;

        if (p->input == 0)
            continue;
        f = field(in, p->input);
        v = p->name != NULL ? sa_value_object_get(names, p->name)
                            : sa_value_object_get(inputs, p->key);
        if (p->name != NULL && strcmp(p->key, "region") == 0 && str(inputs, "region") != NULL)
            v = sa_value_object_get(inputs, "region"); /* an explicit region wins */
        if (v == NULL && (p->flags & SA_PROP_OPTIONAL))
            continue;
        switch (p->type) {
        case SA_PROP_ARCHIVE:
            *(const sa_value **)f = sa_value_unwrap(v, NULL);
            if ((*(const sa_value **)f)->kind != SA_VALUE_ARCHIVE)
                return sa_error_set(err, SA_EINVAL, "%s: %s is not an archive", SA_STACK_TYPE,
                                    p->key);
            break;
        case SA_PROP_STRING:
            *(const char **)f = NULL;
            if (!sa_value_get_string(v, (const char **)f))
                return sa_error_set(err, SA_EINVAL, "%s: the checked inputs lack %s", SA_STACK_TYPE,
                                    p->key);
            break;
        case SA_PROP_INT:
            if (!sa_value_get_int(v, (int64_t *)f))
                return sa_error_set(err, SA_EINVAL, "%s: the checked inputs lack %s", SA_STACK_TYPE,
                                    p->key);
            break;
        case SA_PROP_BOOL:
            if (!sa_value_get_bool(v, (bool *)f))
                return sa_error_set(err, SA_EINVAL, "%s: the checked inputs lack %s", SA_STACK_TYPE,
                                    p->key);
            break;
        case SA_PROP_MAP:
            *(const sa_value **)f = sa_value_unwrap(v, NULL);
            if (*(const sa_value **)f == NULL || (*(const sa_value **)f)->kind != SA_VALUE_OBJECT)
                return sa_error_set(err, SA_EINVAL, "%s: the checked inputs lack %s", SA_STACK_TYPE,
                                    p->key);
            break;
        }
    }
    if (str(names, "policyName") == NULL || str(names, "apiName") == NULL ||
        (in->code == NULL) == (in->handler_code == NULL))
        return sa_error_set(err, SA_EINVAL, "%s: the checked inputs are incomplete", SA_STACK_TYPE);
    in->code_sha256 = str(inputs, SA_STACK_CODE_KEY);
    in->policy_name = str(names, "policyName");
    in->api_name = str(names, "apiName");
    return SA_OK;
}

/* ---- state <-> outputs ---- */

void sa_stack_state_from_outputs(sa_stack_state *st, const sa_value *o)
{
    bool b;

    memset(st, 0, sizeof(*st));
    if (o == NULL)
        return;
    for (size_t i = 0; i < sa_stack_prop_count; i++) {
        const sa_prop *p = &sa_stack_props[i];
        const sa_value *v = sa_value_object_get(o, p->key);
        void *f;
        int64_t n;

        if (p->state == 0 || v == NULL)
            continue;
        f = field(st, p->state);
        switch (p->type) {
        case SA_PROP_STRING:
            sa_copy(f, p->state_size, str(o, p->key));
            break;
        case SA_PROP_INT:
            if (sa_value_get_int(v, &n))
                *(int64_t *)f = n;
            break;
        case SA_PROP_BOOL:
            b = false;
            *(bool *)f = sa_value_get_bool(v, &b) && b;
            break;
        case SA_PROP_MAP:
        case SA_PROP_ARCHIVE:
            break;
        }
    }
    /* states written before these fields existed: the permission named the stack's API and the
     * log group used the stack's key */
    if (sa_value_get_bool(sa_value_object_get(o, "_permission"), &b) && b &&
        st->permission_api[0] == '\0')
        SA_COPY(st->permission_api, st->rest_api_id);
    if (st->log_group_arn[0] != '\0' && sa_value_object_get(o, "_logGroupKey") == NULL)
        SA_COPY(st->log_group_key, st->kms_key_arn);
}

bool sa_stack_state_any(const sa_stack_state *st)
{
    return st->kms_key_id[0] || st->log_group_arn[0] || st->role_arn[0] || st->function_arn[0] ||
           st->rest_api_id[0];
}

void sa_stack_id(char *out, size_t cap, const sa_stack_inputs *in)
{
    snprintf(out, cap, "%s/%s", in->region, in->function_name);
}

void sa_stack_api_url(char *out, size_t cap, const sa_stack_state *st, const char *stage)
{
    const sa_aws_partition *p = sa_aws_partition_of_region(st->region);
    snprintf(out, cap, "https://%s.execute-api.%s.%s/%s", st->rest_api_id, st->region,
             p->dns_suffix, stage);
}

/* Sets key to a string (secret when asked), or removes it when s is empty. */
static int set_string(sa_value *o, const char *key, const char *s, bool secret)
{
    sa_value *v;

    if (s == NULL || s[0] == '\0') {
        sa_value_object_remove(o, key);
        return SA_OK;
    }
    v = sa_value_string(s);
    if (v != NULL && secret)
        v = sa_value_secret(v);
    return v == NULL ? SA_ENOMEM : sa_value_object_set(o, key, v);
}

static bool suffix_secret(const sa_value *inputs)
{
    bool secret = false;
    sa_value_unwrap(sa_value_object_get(inputs, "environmentSuffix"), &secret);
    return secret;
}

int sa_stack_state_to_outputs(sa_value **out, const sa_value *inputs, const sa_stack_state *st,
                              sa_error *err)
{
    sa_value *o = sa_value_copy(inputs);
    const sa_value *names = sa_value_object_get(inputs, SA_STACK_NAMES_KEY);
    bool secret = suffix_secret(inputs);
    char url[512];
    int rc = o != NULL ? SA_OK : SA_ENOMEM;

    *out = NULL;
    for (size_t i = 0; rc == SA_OK && i < sa_stack_prop_count; i++) {
        const sa_prop *p = &sa_stack_props[i];
        bool s = secret && (p->flags & SA_PROP_SUFFIX_SECRET);
        const void *f = p->state ? field((void *)st, p->state) : NULL;

        if (f != NULL) {
            switch (p->type) {
            case SA_PROP_STRING:
                rc = set_string(o, p->key, f, s);
                break;
            case SA_PROP_INT:
                rc = sa_value_object_set(o, p->key, sa_value_number((double)*(const int64_t *)f));
                break;
            case SA_PROP_BOOL:
                rc = sa_value_object_set(o, p->key, sa_value_bool(*(const bool *)f));
                break;
            case SA_PROP_MAP:
            case SA_PROP_ARCHIVE:
                break;
            }
        } else if (p->name != NULL && (p->flags & SA_PROP_OUTPUT) && !(p->flags & SA_PROP_INPUT)) {
            rc = set_string(o, p->key, str(names, p->name), s);
        }
    }
    if (rc == SA_OK) {
        sa_value_object_remove(o, "_permission"); /* the old form of _permissionApi */
        if (st->rest_api_id[0] && st->stage_name[0]) {
            sa_stack_api_url(url, sizeof(url), st, st->stage_name);
            rc = set_string(o, "apiUrl", url, false);
        } else {
            sa_value_object_remove(o, "apiUrl");
        }
    }
    if (rc != SA_OK) {
        sa_value_free(o);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    *out = o;
    return SA_OK;
}

/* ---- previews ---- */

int sa_stack_preview_outputs(sa_value **out, const sa_value *inputs, sa_error *err)
{
    sa_value *o = sa_value_copy(inputs);
    const sa_value *names = sa_value_object_get(inputs, SA_STACK_NAMES_KEY);
    bool secret = suffix_secret(inputs);
    int rc = o != NULL ? SA_OK : SA_ENOMEM;

    *out = NULL;
    if (names != NULL && names->kind != SA_VALUE_OBJECT)
        names = NULL; /* unknown at preview: the suffix or region is */
    for (size_t i = 0; rc == SA_OK && i < sa_stack_prop_count; i++) {
        const sa_prop *p = &sa_stack_props[i];
        const sa_value *n;
        sa_value *v;

        if (!(p->flags & SA_PROP_OUTPUT))
            continue;
        if (p->flags & SA_PROP_ASSIGNED) {
            rc = sa_value_object_set(o, p->key, sa_value_unknown(SA_UNKNOWN_STRING));
        } else if (p->name != NULL &&
                   !((p->flags & SA_PROP_INPUT) && sa_value_object_get(inputs, p->key) != NULL)) {
            n = names != NULL ? sa_value_object_get(names, p->name) : NULL;
            v = n != NULL ? sa_value_copy(n) : sa_value_unknown(SA_UNKNOWN_STRING);
            if (v != NULL && secret && (p->flags & SA_PROP_SUFFIX_SECRET))
                v = sa_value_secret(v);
            rc = sa_value_object_set(o, p->key, v);
        }
    }
    if (rc != SA_OK) {
        sa_value_free(o);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    *out = o;
    return SA_OK;
}

int sa_stack_preview_update(sa_value **out, const sa_value *old_outputs, const sa_value *news,
                            sa_error *err)
{
    int rc = sa_stack_preview_outputs(out, news, err);

    /* what AWS assigned stays as it is (the region too: the stack lives where it was made) */
    for (size_t i = 0; rc == SA_OK && i < sa_stack_prop_count; i++) {
        const sa_prop *p = &sa_stack_props[i];
        const sa_value *v = sa_value_object_get(old_outputs, p->key);
        if (v == NULL || !((p->flags & SA_PROP_ASSIGNED) || strcmp(p->key, "region") == 0))
            continue;
        if (sa_value_object_set(*out, p->key, sa_value_copy(v)) != SA_OK) {
            sa_value_free(*out);
            *out = NULL;
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        }
    }
    return rc;
}
