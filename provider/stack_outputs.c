/*
 * The output side of SecureApiStack: the shape of its state (checked inputs plus what AWS
 * assigned), and the prediction of it that preview shows before anything exists.
 */
#include "stack.h"

#include <string.h>

/* Outputs that carry a derived name: [output key, __names key]. */
static const char *const named_outputs[][2] = {
    {"functionName", "functionName"},
    {"roleName", "roleName"},
    {"kmsAliasName", "aliasName"},
    {"logGroupName", "logGroupName"},
    {"region", "region"},
};

/* Outputs only AWS can tell. */
static const char *const assigned_outputs[] = {
    "apiUrl", "restApiId", "functionArn", "roleArn", "kmsKeyId", "kmsKeyArn",
    "logGroupArn", "deploymentId", "accountId",
};

int sa_stack_preview_outputs(sa_value **out, const sa_value *inputs, sa_error *err)
{
    sa_value *o = sa_value_copy(inputs);
    const sa_value *names = sa_value_object_get(inputs, SA_STACK_NAMES_KEY);
    bool secret_suffix = false;
    int rc = SA_OK;

    *out = NULL;
    if (o == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    sa_value_unwrap(sa_value_object_get(inputs, "environmentSuffix"), &secret_suffix);
    for (size_t i = 0; i < sizeof(named_outputs) / sizeof(named_outputs[0]); i++) {
        const sa_value *n = names && names->kind == SA_VALUE_OBJECT
                                ? sa_value_object_get(names, named_outputs[i][1])
                                : NULL;
        sa_value *v;
        if (strcmp(named_outputs[i][0], "region") == 0 && sa_value_object_get(inputs, "region"))
            continue; /* an explicit region is already there */
        v = n ? sa_value_copy(n) : sa_value_unknown(SA_UNKNOWN_STRING);
        if (secret_suffix && strcmp(named_outputs[i][0], "region") != 0)
            v = sa_value_secret(v);
        rc |= sa_value_object_set(o, named_outputs[i][0], v);
    }
    for (size_t i = 0; i < sizeof(assigned_outputs) / sizeof(assigned_outputs[0]); i++)
        rc |= sa_value_object_set(o, assigned_outputs[i], sa_value_unknown(SA_UNKNOWN_STRING));
    if (rc != SA_OK) {
        sa_value_free(o);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    *out = o;
    return SA_OK;
}
