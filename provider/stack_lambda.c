/*
 * Lambda steps of SecureApiStack: the function (index.handler from an in-memory zip of the
 * handler source), with ENVIRONMENT_SUFFIX, LOG_LEVEL=INFO and the user's variables; waiting until
 * it is Active and until updates finish; the permission that lets this REST API (and only it)
 * invoke it. CreateFunction right after the role meets IAM propagation ("cannot be assumed by
 * Lambda"), retried for a bounded time as the AWS SDKs' users learned to.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack_steps.h"
#include "zip.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define FN_PATH "/2015-03-31/functions/{}"

static const sa_aws_retry_rule propagation[] = {
    {.error_code = "InvalidParameterValueException",
     .message_contains = "cannot be assumed by Lambda", .budget_ms = 120000, .base_delay_ms = 1000},
    {.error_code = "InvalidParameterValueException",
     .message_contains = "execution role does not have permissions", .budget_ms = 120000,
     .base_delay_ms = 1000},
    {.error_code = "InvalidParameterValueException", .message_contains = "KMS key is invalid",
     .budget_ms = 120000, .base_delay_ms = 1000},
    {.error_code = "ResourceConflictException", .message_contains = "in progress",
     .budget_ms = 300000, .base_delay_ms = 1000},
    {.error_code = "TooManyRequestsException", .budget_ms = 120000},
};

int sa_lambda_package(uint8_t **zip, size_t *zip_len, char sha[64], const char *code,
                      sa_error *err)
{
    int rc = sa_zip_single(zip, zip_len, "index.js", (const uint8_t *)code, strlen(code), err);
    if (rc == SA_OK && sa_zip_code_sha256(sha, *zip, *zip_len) != SA_OK) {
        free(*zip);
        *zip = NULL;
        rc = sa_error_set(err, SA_EINTERNAL, "could not hash the function package");
    }
    return rc;
}

static char *base64(const uint8_t *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

static cJSON *environment(const sa_stack_inputs *in)
{
    cJSON *env = cJSON_CreateObject(), *vars = cJSON_AddObjectToObject(env, "Variables");

    cJSON_AddStringToObject(vars, "LOG_LEVEL", "INFO");
    if (in->environment != NULL && in->environment->kind == SA_VALUE_OBJECT) {
        for (size_t i = 0; i < in->environment->u.object.len; i++) {
            const char *v = NULL;
            if (sa_value_get_string(in->environment->u.object.values[i], &v)) {
                cJSON_DeleteItemFromObjectCaseSensitive(vars, in->environment->u.object.keys[i]);
                cJSON_AddStringToObject(vars, in->environment->u.object.keys[i], v);
            }
        }
    }
    cJSON_AddStringToObject(vars, "ENVIRONMENT_SUFFIX", in->suffix);
    return env;
}

static void record(sa_stack_state *st, const cJSON *config)
{
    const char *arn = sa_json_string(config, "FunctionArn");
    const char *sha = sa_json_string(config, "CodeSha256");
    if (arn != NULL)
        snprintf(st->function_arn, sizeof(st->function_arn), "%s", arn);
    if (sha != NULL)
        snprintf(st->code_sha256, sizeof(st->code_sha256), "%s", sha);
}

/* Polls GetFunction until State is Active and LastUpdateStatus is not InProgress. */
static int wait_ready(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                      sa_error *err)
{
    const char *labels[] = {in->function_name};
    int64_t delay = 500;

    for (int i = 0; i < 600; i++) {
        sa_stack_call c;
        const cJSON *cfg;
        const char *state, *update;
        int rc = sa_stack_rest(s, &c, "lambda", "GetFunction", "GET", FN_PATH, labels, 1, NULL, 0,
                               NULL, NULL, 0, err);
        if (rc != SA_OK) {
            sa_stack_call_dispose(&c);
            return rc;
        }
        cfg = cJSON_GetObjectItemCaseSensitive(c.resp.json, "Configuration");
        record(st, cfg);
        state = sa_json_string(cfg, "State");
        update = sa_json_string(cfg, "LastUpdateStatus");
        if (state != NULL && strcmp(state, "Failed") == 0) {
            rc = sa_error_set(err, SA_EAWS, "Lambda function %s failed: %s", in->function_name,
                              sa_json_string(cfg, "StateReason") ? sa_json_string(cfg, "StateReason")
                                                                  : "no reason given");
            sa_stack_call_dispose(&c);
            return rc;
        }
        if ((state == NULL || strcmp(state, "Active") == 0) &&
            (update == NULL || strcmp(update, "InProgress") != 0)) {
            sa_stack_call_dispose(&c);
            return SA_OK;
        }
        sa_stack_call_dispose(&c);
        sa_stack_progress(s, "waiting for the Lambda function to be ready");
        rc = sa_stack_wait(s, delay, err);
        if (rc != SA_OK)
            return rc;
        delay = delay < 5000 ? delay * 2 : 5000;
    }
    return sa_error_set(err, SA_ETIMEOUT, "Lambda function %s did not become Active",
                        in->function_name);
}

int sa_lambda_create(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                     sa_error *err)
{
    cJSON *body = cJSON_CreateObject(), *code;
    uint8_t *zip = NULL;
    size_t zip_len = 0;
    char *zip64 = NULL, sha[64], desc[200];
    sa_stack_call c = {0};
    int rc;

    if (st->function_arn[0] != '\0') {
        cJSON_Delete(body);
        return SA_OK;
    }
    rc = sa_lambda_package(&zip, &zip_len, sha, in->handler_code, err);
    if (rc != SA_OK)
        goto cleanup;
    zip64 = base64(zip, zip_len);
    snprintf(desc, sizeof(desc), "secureapi stack %s", in->suffix);
    cJSON_AddStringToObject(body, "FunctionName", in->function_name);
    cJSON_AddStringToObject(body, "Runtime", in->runtime);
    cJSON_AddStringToObject(body, "Role", st->role_arn);
    cJSON_AddStringToObject(body, "Handler", "index.handler");
    cJSON_AddStringToObject(body, "Description", desc);
    cJSON_AddNumberToObject(body, "Timeout", (double)in->timeout);
    cJSON_AddNumberToObject(body, "MemorySize", (double)in->memory);
    cJSON_AddBoolToObject(body, "Publish", 0);
    code = cJSON_AddObjectToObject(body, "Code");
    cJSON_AddStringToObject(code, "ZipFile", zip64 ? zip64 : "");
    cJSON_AddItemToObject(body, "Environment", environment(in));
    cJSON_AddItemToObject(body, "Tags", sa_stack_tags(in, in->function_name));
    sa_stack_progress(s, "creating the Lambda function");
    rc = sa_stack_rest(s, &c, "lambda", "CreateFunction", "POST", "/2015-03-31/functions", NULL, 0,
                       NULL, 0, body, propagation, N(propagation), err);
    if (rc == SA_OK) {
        record(st, c.resp.json);
    } else if (rc == SA_EAWS && sa_aws_error_is(&c.aws_error, "ResourceConflictException")) {
        /* there already: adopt it only if this stack made it (an interrupted run) */
        cJSON *fn = NULL;
        sa_stack_call_dispose(&c);
        rc = sa_lambda_read(s, in, st, &fn, err);
        if (rc == SA_OK && !sa_stack_owned(cJSON_GetObjectItemCaseSensitive(fn, "Tags"), in)) {
            st->function_arn[0] = st->code_sha256[0] = '\0';
            st->permission = false;
            rc = sa_stack_not_ours(err, "the Lambda function", in->function_name, in);
        }
        cJSON_Delete(fn);
        if (rc == SA_OK && st->function_arn[0] == '\0')
            rc = sa_error_set(err, SA_EAWS, "Lambda CreateFunction: %s exists but cannot be read",
                              in->function_name);
    }
    if (rc == SA_OK)
        rc = wait_ready(s, in, st, err);
cleanup:
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    if (zip64 != NULL)
        memset(zip64, 0, strlen(zip64));
    free(zip64);
    free(zip);
    return rc;
}

int sa_lambda_update_config(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                            sa_error *err)
{
    const char *labels[] = {in->function_name};
    cJSON *body = cJSON_CreateObject();
    sa_stack_call c;
    int rc;

    cJSON_AddStringToObject(body, "Runtime", in->runtime);
    cJSON_AddNumberToObject(body, "Timeout", (double)in->timeout);
    cJSON_AddNumberToObject(body, "MemorySize", (double)in->memory);
    cJSON_AddStringToObject(body, "Role", st->role_arn);
    cJSON_AddItemToObject(body, "Environment", environment(in));
    sa_stack_progress(s, "updating the Lambda function's configuration");
    rc = sa_stack_rest(s, &c, "lambda", "UpdateFunctionConfiguration", "PUT",
                       FN_PATH "/configuration", labels, 1, NULL, 0, body, propagation,
                       N(propagation), err);
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    return rc == SA_OK ? wait_ready(s, in, st, err) : rc;
}

int sa_lambda_update_code(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                          sa_error *err)
{
    const char *labels[] = {in->function_name};
    cJSON *body = cJSON_CreateObject();
    uint8_t *zip = NULL;
    size_t zip_len;
    char sha[64], *zip64 = NULL;
    sa_stack_call c = {0};
    int rc;

    rc = sa_lambda_package(&zip, &zip_len, sha, in->handler_code, err);
    if (rc != SA_OK)
        goto cleanup;
    zip64 = base64(zip, zip_len);
    cJSON_AddStringToObject(body, "ZipFile", zip64 ? zip64 : "");
    cJSON_AddBoolToObject(body, "Publish", 0);
    sa_stack_progress(s, "updating the Lambda function's code");
    rc = sa_stack_rest(s, &c, "lambda", "UpdateFunctionCode", "PUT", FN_PATH "/code", labels, 1,
                       NULL, 0, body, propagation + 3, 1, err);
    if (rc == SA_OK)
        rc = wait_ready(s, in, st, err);
cleanup:
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    free(zip64);
    free(zip);
    return rc;
}

int sa_lambda_add_permission(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                             sa_error *err)
{
    const char *labels[] = {in->function_name};
    cJSON *body = cJSON_CreateObject();
    char source[300];
    sa_stack_call c;
    int rc;

    if (st->permission) {
        cJSON_Delete(body);
        return SA_OK;
    }
    /* this API only: any stage, method and path of it */
    snprintf(source, sizeof(source), "arn:%s:execute-api:%s:%s:%s/*", s->partition, s->region,
             s->account, st->rest_api_id);
    cJSON_AddStringToObject(body, "StatementId", SA_STACK_PERMISSION_SID);
    cJSON_AddStringToObject(body, "Action", "lambda:InvokeFunction");
    cJSON_AddStringToObject(body, "Principal", "apigateway.amazonaws.com");
    cJSON_AddStringToObject(body, "SourceArn", source);
    cJSON_AddStringToObject(body, "SourceAccount", s->account);
    rc = sa_stack_rest(s, &c, "lambda", "AddPermission", "POST", FN_PATH "/policy", labels, 1,
                       NULL, 0, body, propagation + 3, 1, err);
    if (rc != SA_OK && rc == SA_EAWS && sa_aws_error_is(&c.aws_error, "ResourceConflictException")) {
        /* the statement is there from an interrupted run: replace it (it may name another API) */
        const char *rl[] = {in->function_name, SA_STACK_PERMISSION_SID};
        sa_stack_call_dispose(&c);
        rc = sa_stack_rest(s, &c, "lambda", "RemovePermission", "DELETE", FN_PATH "/policy/{}",
                           rl, 2, NULL, 0, NULL, NULL, 0, err);
        sa_stack_call_dispose(&c);
        if (rc == SA_OK)
            rc = sa_stack_rest(s, &c, "lambda", "AddPermission", "POST", FN_PATH "/policy",
                               labels, 1, NULL, 0, body, propagation + 3, 1, err);
    }
    if (rc == SA_OK)
        st->permission = true;
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    return rc;
}

int sa_lambda_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                   cJSON **ret_config, sa_error *err)
{
    const char *labels[] = {in->function_name};
    sa_stack_call c;
    int rc;

    if (ret_config != NULL)
        *ret_config = NULL;
    rc = sa_stack_rest(s, &c, "lambda", "GetFunction", "GET", FN_PATH, labels, 1, NULL, 0, NULL,
                       NULL, 0, err);
    if (rc != SA_OK) {
        if (sa_stack_not_found(rc, &c)) {
            st->function_arn[0] = st->code_sha256[0] = '\0';
            st->permission = false;
            rc = SA_OK;
        }
        sa_stack_call_dispose(&c);
        return rc;
    }
    record(st, cJSON_GetObjectItemCaseSensitive(c.resp.json, "Configuration"));
    if (ret_config != NULL) {
        *ret_config = cJSON_Duplicate(c.resp.json, 1);
    }
    sa_stack_call_dispose(&c);

    /* the invoke permission */
    rc = sa_stack_rest(s, &c, "lambda", "GetPolicy", "GET", FN_PATH "/policy", labels, 1, NULL, 0,
                       NULL, NULL, 0, err);
    st->permission = false;
    if (rc == SA_OK) {
        const char *policy = sa_json_string(c.resp.json, "Policy");
        st->permission = policy != NULL && strstr(policy, SA_STACK_PERMISSION_SID) != NULL;
    } else if (sa_stack_not_found(rc, &c)) {
        rc = SA_OK;
    }
    sa_stack_call_dispose(&c);
    return rc;
}

int sa_lambda_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                    sa_stack_state *st, sa_error *err)
{
    const char *labels[] = {st->function_arn};
    cJSON *body = cJSON_CreateObject();
    sa_stack_call c;
    sa_aws_param keys[64];
    size_t nk = 0;
    int rc;

    cJSON_AddItemToObject(body, "Tags", sa_stack_tags(in, in->function_name));
    rc = sa_stack_rest(s, &c, "lambda", "TagResource", "POST", "/2017-03-31/tags/{}", labels, 1,
                       NULL, 0, body, NULL, 0, err);
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    if (rc != SA_OK)
        return rc;
    {
        const char *gone[N(keys)];
        size_t n = sa_stack_removed_tags(gone, N(keys), old_tags, in);
        for (size_t i = 0; i < n; i++)
            keys[nk++] = (sa_aws_param){"tagKeys", gone[i]};
    }
    if (nk > 0) {
        rc = sa_stack_rest(s, &c, "lambda", "UntagResource", "DELETE", "/2017-03-31/tags/{}",
                           labels, 1, keys, nk, NULL, NULL, 0, err);
        sa_stack_call_dispose(&c);
    }
    return rc;
}

int sa_lambda_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                     sa_error *err)
{
    const char *labels[] = {in->function_name};
    sa_stack_call c;
    int rc;

    rc = sa_stack_rest(s, &c, "lambda", "DeleteFunction", "DELETE", FN_PATH, labels, 1, NULL, 0,
                       NULL, propagation + 3, 1, err);
    if (rc != SA_OK && sa_stack_not_found(rc, &c))
        rc = SA_OK;
    if (rc == SA_OK) {
        st->function_arn[0] = st->code_sha256[0] = '\0';
        st->permission = false;
    }
    sa_stack_call_dispose(&c);
    return rc;
}
