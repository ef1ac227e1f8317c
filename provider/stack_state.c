/*
 * Conversions between the stack state and values (see stack_state.h). Output keys are the
 * schema's; internal ids that are not schema outputs keep a leading underscore.
 */
#include "stack_state.h"

#include <stdio.h>
#include <string.h>

#include "stack.h"

static const char *str(const sa_value *obj, const char *key)
{
    const char *s = NULL;
    return sa_value_get_string(sa_value_object_get(obj, key), &s) ? s : NULL;
}

static int64_t num(const sa_value *obj, const char *key, int64_t dflt)
{
    int64_t n;
    return sa_value_get_int(sa_value_object_get(obj, key), &n) ? n : dflt;
}

int sa_stack_inputs_parse(sa_stack_inputs *in, const sa_value *inputs, sa_error *err)
{
    const sa_value *names = sa_value_object_get(inputs, SA_STACK_NAMES_KEY);
    bool b = true;

    memset(in, 0, sizeof(*in));
    if (names == NULL || names->kind != SA_VALUE_OBJECT)
        return sa_error_set(err, SA_EINVAL, "%s: the checked inputs have no names; run "
                            "`pulumi up` again so Check can derive them", SA_STACK_TYPE);
    in->suffix = str(inputs, "environmentSuffix");
    in->runtime = str(inputs, "lambdaRuntime");
    in->handler_code = str(inputs, "lambdaHandlerCode");
    in->stage_name = str(inputs, "stageName");
    in->execution_policy = str(inputs, "executionPolicy");
    in->memory = num(inputs, "lambdaMemorySize", SA_STACK_DEFAULT_MEMORY);
    in->timeout = num(inputs, "lambdaTimeout", SA_STACK_DEFAULT_TIMEOUT);
    in->retention = num(inputs, "logRetentionInDays", SA_STACK_DEFAULT_RETENTION);
    in->deletion_window = num(inputs, "kmsDeletionWindowInDays", SA_STACK_DEFAULT_DELETION_WINDOW);
    sa_value_get_bool(sa_value_object_get(inputs, "kmsKeyRotation"), &b);
    in->rotation = b;
    in->environment = sa_value_unwrap(sa_value_object_get(inputs, "lambdaEnvironment"), NULL);
    in->tags = sa_value_unwrap(sa_value_object_get(inputs, "tags"), NULL);
    in->region = str(inputs, "region");
    if (in->region == NULL)
        in->region = str(names, "region");
    in->function_name = str(names, "functionName");
    in->role_name = str(names, "roleName");
    in->policy_name = str(names, "policyName");
    in->alias_name = str(names, "aliasName");
    in->log_group_name = str(names, "logGroupName");
    in->api_name = str(names, "apiName");
    if (!in->suffix || !in->runtime || !in->handler_code || !in->stage_name ||
        !in->execution_policy || !in->region || !in->function_name || !in->role_name ||
        !in->policy_name || !in->alias_name || !in->log_group_name || !in->api_name)
        return sa_error_set(err, SA_EINVAL, "%s: the checked inputs are incomplete",
                            SA_STACK_TYPE);
    return SA_OK;
}

#define COPY(dst, obj, key)                                   \
    do {                                                      \
        const char *v_ = str(obj, key);                       \
        snprintf(dst, sizeof(dst), "%s", v_ ? v_ : "");       \
    } while (0)

void sa_stack_state_from_outputs(sa_stack_state *st, const sa_value *o)
{
    bool b = false;
    const char *s;

    memset(st, 0, sizeof(*st));
    if (o == NULL)
        return;
    COPY(st->region, o, "region");
    COPY(st->account, o, "accountId");
    COPY(st->partition, o, "_partition");
    COPY(st->kms_key_id, o, "kmsKeyId");
    COPY(st->kms_key_arn, o, "kmsKeyArn");
    COPY(st->log_group_arn, o, "logGroupArn");
    COPY(st->role_arn, o, "roleArn");
    COPY(st->role_policy, o, "_rolePolicy");
    COPY(st->function_arn, o, "functionArn");
    COPY(st->code_sha256, o, "_codeSha256");
    COPY(st->rest_api_id, o, "restApiId");
    COPY(st->root_resource_id, o, "_rootResourceId");
    COPY(st->proxy_resource_id, o, "_proxyResourceId");
    COPY(st->deployment_id, o, "deploymentId");
    COPY(st->stage_name, o, "_stage");
    st->alias = (s = str(o, "kmsAliasName")) != NULL && str(o, "kmsKeyId") != NULL &&
                sa_value_get_bool(sa_value_object_get(o, "_alias"), &b) && b;
    b = false;
    st->kms_rotation = sa_value_get_bool(sa_value_object_get(o, "_kmsRotation"), &b) && b;
    b = false;
    st->methods = sa_value_get_bool(sa_value_object_get(o, "_methods"), &b) && b;
    b = false;
    st->permission = sa_value_get_bool(sa_value_object_get(o, "_permission"), &b) && b;
    st->retention = num(o, "_retention", 0);
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
    const char *dns = strcmp(st->partition, "aws-cn") == 0 ? "amazonaws.com.cn" : "amazonaws.com";
    snprintf(out, cap, "https://%s.execute-api.%s.%s/%s", st->rest_api_id, st->region, dns, stage);
}

static int set_str(sa_value *o, const char *key, const char *v, bool secret)
{
    sa_value *s;
    if (v == NULL || v[0] == '\0') {
        sa_value_object_remove(o, key);
        return SA_OK;
    }
    s = sa_value_string(v);
    return sa_value_object_set(o, key, secret ? sa_value_secret(s) : s);
}

int sa_stack_state_to_outputs(sa_value **out, const sa_value *inputs, const sa_stack_state *st,
                              sa_error *err)
{
    sa_value *o = sa_value_copy(inputs);
    const sa_value *names = sa_value_object_get(inputs, SA_STACK_NAMES_KEY);
    bool secret = false;
    char url[512];
    int rc = SA_OK;

    *out = NULL;
    if (o == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    /* names derived from a secret suffix are secret too */
    sa_value_unwrap(sa_value_object_get(inputs, "environmentSuffix"), &secret);
    rc |= set_str(o, "region", st->region, false);
    rc |= set_str(o, "accountId", st->account, false);
    rc |= set_str(o, "_partition", st->partition, false);
    rc |= set_str(o, "functionName", str(names, "functionName"), secret);
    rc |= set_str(o, "roleName", str(names, "roleName"), secret);
    rc |= set_str(o, "kmsAliasName", str(names, "aliasName"), secret);
    rc |= set_str(o, "logGroupName", str(names, "logGroupName"), secret);
    rc |= set_str(o, "kmsKeyId", st->kms_key_id, false);
    rc |= set_str(o, "kmsKeyArn", st->kms_key_arn, false);
    rc |= set_str(o, "logGroupArn", st->log_group_arn, secret);
    rc |= set_str(o, "roleArn", st->role_arn, secret);
    rc |= set_str(o, "_rolePolicy", st->role_policy, false);
    rc |= set_str(o, "functionArn", st->function_arn, secret);
    rc |= set_str(o, "_codeSha256", st->code_sha256, false);
    rc |= set_str(o, "restApiId", st->rest_api_id, false);
    rc |= set_str(o, "_rootResourceId", st->root_resource_id, false);
    rc |= set_str(o, "_proxyResourceId", st->proxy_resource_id, false);
    rc |= set_str(o, "deploymentId", st->deployment_id, false);
    rc |= set_str(o, "_stage", st->stage_name, false);
    rc |= sa_value_object_set(o, "_alias", sa_value_bool(st->alias));
    rc |= sa_value_object_set(o, "_kmsRotation", sa_value_bool(st->kms_rotation));
    rc |= sa_value_object_set(o, "_methods", sa_value_bool(st->methods));
    rc |= sa_value_object_set(o, "_permission", sa_value_bool(st->permission));
    rc |= sa_value_object_set(o, "_retention", sa_value_number((double)st->retention));
    if (st->rest_api_id[0] && st->stage_name[0]) {
        sa_stack_api_url(url, sizeof(url), st, st->stage_name);
        rc |= set_str(o, "apiUrl", url, false);
    } else {
        sa_value_object_remove(o, "apiUrl");
    }
    if (rc != SA_OK) {
        sa_value_free(o);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    *out = o;
    return SA_OK;
}
