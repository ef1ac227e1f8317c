/*
 * Lambda steps of SecureApiStack: the function (index.handler from the deployment package of
 * code.c), with ENVIRONMENT_SUFFIX, LOG_LEVEL=INFO and the user's variables; waiting until it is
 * Active and until updates finish; the permission that lets the stack's REST API (and only it)
 * invoke it, replaced when the API was re-created. CreateFunction right after the role meets IAM
 * propagation ("cannot be assumed by Lambda"), retried for a bounded time as the AWS SDKs' users
 * learned to.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/util.h"
#include "stack/code.h"
#include "stack/steps.h"

#define FN_PATH "/2015-03-31/functions/{}"

static const sa_aws_retry_rule propagation[] = {
    {.error_code = "InvalidParameterValueException",
     .message_contains = "cannot be assumed by Lambda",
     .budget_ms = 120000,
     .base_delay_ms = 1000},
    {.error_code = "InvalidParameterValueException",
     .message_contains = "execution role does not have permissions",
     .budget_ms = 120000,
     .base_delay_ms = 1000},
    {.error_code = "InvalidParameterValueException",
     .message_contains = "KMS key is invalid",
     .budget_ms = 120000,
     .base_delay_ms = 1000},
    {.error_code = "ResourceConflictException",
     .message_contains = "in progress",
     .budget_ms = 300000,
     .base_delay_ms = 1000},
    {.error_code = "TooManyRequestsException", .budget_ms = 120000},
};
static const sa_aws_retry_rule in_progress[] = {
    {.error_code = "ResourceConflictException",
     .message_contains = "in progress",
     .budget_ms = 300000,
     .base_delay_ms = 1000},
    {.error_code = "TooManyRequestsException", .budget_ms = 120000},
};
/* A new role (or key) that Lambda cannot use yet, and updates still running. */
static const sa_retry_rules role_not_ready = SA_RETRY_RULES(propagation);
/* Another update of the function is still running. */
static const sa_retry_rules function_busy = SA_RETRY_RULES(in_progress);

/* Where the package goes in a request body: the marker is replaced by its base64. */
#define ZIP_MARKER "@@secureapi-package@@"

/* Runs a Lambda call whose body carries the package (ZipFile = ZIP_MARKER in body). */
static int call_with_code(sa_stack_ctx *s, sa_stack_call *c, sa_call *call, const sa_json *body,
                          const sa_code *code, sa_error *err)
{
    char *json = body->failed ? NULL : cJSON_PrintUnformatted(body->root), *text = NULL;
    size_t len = 0;
    int rc;

    memset(c, 0, sizeof(*c));
    if (json == NULL)
        return sa_error_set(err, SA_ENOMEM, "Lambda %s: out of memory building the request",
                            call->op);
    rc = sa_code_splice(&text, &len, json, ZIP_MARKER, code, err);
    if (rc == SA_OK) {
        call->raw_body = text;
        call->raw_body_len = len;
        rc = sa_call_run(s, c, call, err);
        sa_wipe_free_n(text, len);
    }
    sa_wipe_free(json); /* the environment may hold secrets */
    return rc;
}

static void environment(sa_json *body, const sa_stack_inputs *in)
{
    cJSON *vars =
        sa_json_object(body, sa_json_object(body, body->root, "Environment"), "Variables");
    bool log_level = false;

    for (size_t i = 0; in->environment != NULL && i < in->environment->u.object.len; i++) {
        const char *k = in->environment->u.object.keys[i], *v = NULL;
        if (sa_value_get_string(in->environment->u.object.values[i], &v)) {
            sa_json_string(body, vars, k, v);
            log_level = log_level || strcmp(k, "LOG_LEVEL") == 0;
        }
    }
    if (!log_level)
        sa_json_string(body, vars, "LOG_LEVEL", "INFO");
    sa_json_string(body, vars, "ENVIRONMENT_SUFFIX", in->suffix);
}

static void record(sa_stack_state *st, const cJSON *config)
{
    const char *arn = sa_json_get(config, "FunctionArn");
    const char *sha = sa_json_get(config, "CodeSha256");
    const cJSON *arch =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(config, "Architectures"), 0);

    if (config == NULL)
        return;
    if (arn != NULL)
        SA_COPY(st->function_arn, arn);
    if (sha != NULL)
        SA_COPY(st->code_sha256, sha);
    /* a function made before Architectures existed runs on x86_64 */
    SA_COPY(st->architecture, cJSON_IsString(arch) ? arch->valuestring : "x86_64");
}

/* Whether a function configuration says it is ready for the next change. */
static bool ready(const cJSON *config)
{
    const char *state = sa_json_get(config, "State"),
               *update = sa_json_get(config, "LastUpdateStatus");
    return (state == NULL || strcmp(state, "Active") == 0) &&
           (update == NULL || strcmp(update, "InProgress") != 0);
}

/* Whether an update's answer says the update is done (LastUpdateStatus Successful, the function
 * Active): then there is nothing to wait for. AWS usually answers InProgress. */
static bool update_done(const cJSON *config)
{
    const char *update = sa_json_get(config, "LastUpdateStatus");
    return update != NULL && strcmp(update, "Successful") == 0 && ready(config);
}

/* Polls GetFunction until State is Active and LastUpdateStatus is not InProgress. */
static int wait_ready(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    int64_t delay = 500;

    for (int i = 0; i < 600; i++) {
        sa_stack_call c;
        const cJSON *cfg;
        const char *state;
        int rc = sa_call_run(s, &c,
                             &(sa_call){.service = "lambda",
                                        .op = "GetFunction",
                                        .method = "GET",
                                        .path = FN_PATH,
                                        .labels = {in->function_name}},
                             err);
        if (rc != SA_OK) {
            sa_stack_call_dispose(&c);
            return rc;
        }
        cfg = cJSON_GetObjectItemCaseSensitive(c.resp.json, "Configuration");
        record(st, cfg);
        state = sa_json_get(cfg, "State");
        if (state != NULL && strcmp(state, "Failed") == 0) {
            rc = sa_error_set(err, SA_EAWS, "Lambda function %s failed: %s", in->function_name,
                              sa_json_get(cfg, "StateReason") ? sa_json_get(cfg, "StateReason")
                                                              : "no reason given");
            sa_stack_call_dispose(&c);
            return rc;
        }
        if (ready(cfg)) {
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

static int function_tags(sa_stack_ctx *s, const sa_stack_inputs *in, cJSON **ret_tags,
                         sa_error *err)
{
    sa_stack_state probe = {0};
    cJSON *fn = NULL;
    int rc = sa_lambda_read(s, in, &probe, &fn, err);

    *ret_tags = NULL;
    if (rc == SA_OK && fn != NULL) {
        *ret_tags = cJSON_DetachItemFromObjectCaseSensitive(fn, "Tags");
        if (*ret_tags == NULL && (*ret_tags = cJSON_CreateObject()) == NULL)
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    cJSON_Delete(fn);
    return rc;
}

static int read_function(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                         sa_error *err)
{
    return sa_lambda_read(s, in, st, NULL, err);
}

static bool function_found(const sa_stack_state *st)
{
    return st->function_arn[0] != '\0';
}

int sa_lambda_create(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_json body;
    sa_code code;
    char desc[200];
    sa_stack_call c = {0};
    sa_call call = {.service = "lambda",
                    .op = "CreateFunction",
                    .method = "POST",
                    .path = "/2015-03-31/functions",
                    .retry = &role_not_ready};
    bool active = false;
    int rc;

    if (st->function_arn[0] != '\0')
        return SA_OK;
    rc = sa_code_package(&code, in->code, in->handler_code, err);
    if (rc != SA_OK)
        return rc;
    snprintf(desc, sizeof(desc), "secureapi stack %s", in->suffix);
    sa_json_init(&body);
    sa_json_string(&body, body.root, "FunctionName", in->function_name);
    sa_json_string(&body, body.root, "Runtime", in->runtime);
    sa_json_string(&body, body.root, "Role", st->role_arn);
    sa_json_string(&body, body.root, "Handler", in->handler);
    sa_json_string(&body, body.root, "Description", desc);
    sa_json_number(&body, body.root, "Timeout", (double)in->timeout);
    sa_json_number(&body, body.root, "MemorySize", (double)in->memory);
    sa_json_bool(&body, body.root, "Publish", false);
    sa_json_string(&body, sa_json_array(&body, body.root, "Architectures"), NULL, in->architecture);
    sa_json_string(&body, sa_json_object(&body, body.root, "Code"), "ZipFile", ZIP_MARKER);
    environment(&body, in);
    sa_step_tags(&body, "Tags", SA_TAGS_MAP, in, in->function_name);
    sa_stack_progress(s, "creating the Lambda function");
    rc = call_with_code(s, &c, &call, &body, &code, err);
    if (rc == SA_OK) {
        record(st, c.resp.json);
        active = ready(c.resp.json) && sa_json_get(c.resp.json, "State") != NULL;
    } else if (sa_call_error_is(rc, &c, "ResourceConflictException", "already exist")) {
        /* there already: adopt it only if this stack made it (an interrupted run) */
        rc = sa_step_adopt(s, in, st,
                           &(sa_adopt){.what = "the Lambda function",
                                       .name = in->function_name,
                                       .tags = function_tags,
                                       .read = read_function,
                                       .found = function_found},
                           err);
    }
    if (rc == SA_OK && !active)
        rc = wait_ready(s, in, st, err);
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    sa_code_dispose(&code);
    return rc;
}

int sa_lambda_update_config(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                            sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    int rc;

    sa_json_init(&body);
    sa_json_string(&body, body.root, "Runtime", in->runtime);
    sa_json_string(&body, body.root, "Handler", in->handler);
    sa_json_number(&body, body.root, "Timeout", (double)in->timeout);
    sa_json_number(&body, body.root, "MemorySize", (double)in->memory);
    sa_json_string(&body, body.root, "Role", st->role_arn);
    environment(&body, in);
    sa_stack_progress(s, "updating the Lambda function's configuration");
    rc = sa_call_run(s, &c,
                     &(sa_call){.service = "lambda",
                                .op = "UpdateFunctionConfiguration",
                                .method = "PUT",
                                .path = FN_PATH "/configuration",
                                .labels = {in->function_name},
                                .body = &body,
                                .retry = &role_not_ready},
                     err);
    if (rc == SA_OK) {
        record(st, c.resp.json);
        if (!update_done(c.resp.json))
            rc = wait_ready(s, in, st, err);
    }
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    return rc;
}

int sa_lambda_update_code(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                          sa_error *err)
{
    sa_json body;
    sa_code code;
    sa_stack_call c = {0};
    sa_call call = {.service = "lambda",
                    .op = "UpdateFunctionCode",
                    .method = "PUT",
                    .path = FN_PATH "/code",
                    .labels = {in->function_name},
                    .retry = &function_busy};
    int rc = sa_code_package(&code, in->code, in->handler_code, err);

    if (rc != SA_OK)
        return rc;
    sa_json_init(&body);
    sa_json_string(&body, body.root, "ZipFile", ZIP_MARKER);
    sa_json_string(&body, sa_json_array(&body, body.root, "Architectures"), NULL, in->architecture);
    sa_json_bool(&body, body.root, "Publish", false);
    sa_stack_progress(s, "updating the Lambda function's code");
    rc = call_with_code(s, &c, &call, &body, &code, err);
    if (rc == SA_OK) {
        record(st, c.resp.json);
        if (!update_done(c.resp.json))
            rc = wait_ready(s, in, st, err);
    }
    if (rc == SA_OK)
        SA_COPY(st->architecture, in->architecture);
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    sa_code_dispose(&code);
    return rc;
}

/* ---- the invoke permission ---- */

static int remove_permission(sa_stack_ctx *s, const sa_stack_inputs *in, sa_error *err)
{
    sa_stack_call c;
    int rc = sa_call_run(s, &c,
                         &(sa_call){.service = "lambda",
                                    .op = "RemovePermission",
                                    .method = "DELETE",
                                    .path = FN_PATH "/policy/{}",
                                    .labels = {in->function_name, SA_STACK_PERMISSION_SID},
                                    .retry = &function_busy},
                         err);
    if (sa_call_not_found(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    return rc;
}

int sa_lambda_set_permission(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                             sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    char resource[64], source[300];
    sa_call add = {.service = "lambda",
                   .op = "AddPermission",
                   .method = "POST",
                   .path = FN_PATH "/policy",
                   .labels = {in->function_name},
                   .body = &body,
                   .retry = &function_busy};
    int rc;

    if (st->rest_api_id[0] != '\0' && strcmp(st->permission_api, st->rest_api_id) == 0)
        return SA_OK;
    /* this API only: any stage, method and path of it */
    snprintf(resource, sizeof(resource), "%s/*", st->rest_api_id);
    sa_step_arn(source, sizeof(source), s, "execute-api", resource);
    sa_json_init(&body);
    sa_json_string(&body, body.root, "StatementId", SA_STACK_PERMISSION_SID);
    sa_json_string(&body, body.root, "Action", "lambda:InvokeFunction");
    sa_json_string(&body, body.root, "Principal", "apigateway.amazonaws.com");
    sa_json_string(&body, body.root, "SourceArn", source);
    sa_json_string(&body, body.root, "SourceAccount", s->account);
    if (st->permission_api[0] != '\0') {
        /* it names an API that is gone (re-created after drift): replace it */
        rc = remove_permission(s, in, err);
        if (rc == SA_OK)
            st->permission_api[0] = '\0';
        if (rc != SA_OK)
            goto out;
    }
    rc = sa_call_run(s, &c, &add, err);
    if (sa_call_error_is(rc, &c, "ResourceConflictException", "already exists")) {
        /* the statement is there from an interrupted run: replace it (it may name another API) */
        sa_stack_call_dispose(&c);
        rc = remove_permission(s, in, err);
        if (rc == SA_OK)
            rc = sa_call_run(s, &c, &add, err);
    }
    if (rc == SA_OK)
        SA_COPY(st->permission_api, st->rest_api_id);
    sa_stack_call_dispose(&c);
out:
    sa_json_dispose(&body);
    return rc;
}

/* The REST API id that a policy's statement of ours names in its AWS:SourceArn condition, "" if
 * there is no such statement. */
static void permission_api_of(char out[32], const char *policy_text)
{
    cJSON *policy = cJSON_Parse(policy_text);
    const cJSON *stmt;

    out[0] = '\0';
    cJSON_ArrayForEach(stmt, cJSON_GetObjectItemCaseSensitive(policy, "Statement"))
    {
        const char *sid = sa_json_get(stmt, "Sid"), *arn, *api;
        if (sid == NULL || strcmp(sid, SA_STACK_PERMISSION_SID) != 0)
            continue;
        arn = sa_json_get(cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(stmt, "Condition"), "ArnLike"),
                          "AWS:SourceArn");
        /* arn:<partition>:execute-api:<region>:<account>:<api id>/... */
        api = arn != NULL ? strrchr(arn, ':') : NULL;
        if (api != NULL) {
            size_t n = strcspn(api + 1, "/");
            snprintf(out, 32, "%.*s", (int)(n < 31 ? n : 31), api + 1);
        } else {
            snprintf(out, 32, "?"); /* ours, naming no API we can tell */
        }
    }
    cJSON_Delete(policy);
}

int sa_lambda_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                   cJSON **ret_function, sa_error *err)
{
    sa_call get = {.service = "lambda",
                   .op = "GetFunction",
                   .method = "GET",
                   .path = FN_PATH,
                   .labels = {in->function_name}};
    sa_stack_call c;
    int rc;

    if (ret_function != NULL)
        *ret_function = NULL;
    rc = sa_call_run(s, &c, &get, err);
    if (sa_call_not_found(rc, &c)) {
        st->function_arn[0] = st->code_sha256[0] = st->permission_api[0] = '\0';
        sa_stack_call_dispose(&c);
        return SA_OK;
    }
    if (rc != SA_OK) {
        sa_stack_call_dispose(&c);
        return rc;
    }
    record(st, cJSON_GetObjectItemCaseSensitive(c.resp.json, "Configuration"));
    if (ret_function != NULL &&
        cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(c.resp.json, "TagsError"))) {
        /* the tags are wanted (refresh, adoption) but Lambda left them out: without
         * lambda:ListTags, GetFunction answers a TagsError instead; reading that as "no tags"
         * would report the stack's tags as removed, or refuse our own function as foreign */
        const cJSON *te = cJSON_GetObjectItemCaseSensitive(c.resp.json, "TagsError");
        rc = sa_error_set(err, SA_EAWS,
                          "Lambda GetFunction: the function's tags were not "
                          "returned: %s: %s",
                          sa_json_get(te, "ErrorCode") ? sa_json_get(te, "ErrorCode") : "?",
                          sa_json_get(te, "Message") ? sa_json_get(te, "Message") : "");
        sa_stack_call_dispose(&c);
        return rc;
    }
    if (ret_function != NULL) {
        *ret_function = cJSON_Duplicate(c.resp.json, 1);
        if (*ret_function == NULL)
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    sa_stack_call_dispose(&c);
    if (rc != SA_OK)
        return rc;

    /* the invoke permission, and which API it names */
    get.op = "GetPolicy";
    get.path = FN_PATH "/policy";
    rc = sa_call_run(s, &c, &get, err);
    st->permission_api[0] = '\0';
    if (rc == SA_OK && sa_json_get(c.resp.json, "Policy") != NULL)
        permission_api_of(st->permission_api, sa_json_get(c.resp.json, "Policy"));
    else if (sa_call_not_found(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    if (rc != SA_OK && ret_function != NULL) {
        cJSON_Delete(*ret_function);
        *ret_function = NULL;
    }
    return rc;
}

/* ---- tags, delete ---- */

int sa_lambda_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                    sa_stack_state *st, sa_error *err)
{
    static const sa_tagging tagging = {.service = "lambda",
                                       .tag_op = "TagResource",
                                       .untag_op = "UntagResource",
                                       .tag_method = "POST",
                                       .path = "/2017-03-31/tags/{}",
                                       .form = SA_TAGS_MAP,
                                       .tags_member = "Tags",
                                       .keys_member = "tagKeys"};

    return st->function_arn[0]
               ? sa_step_retag(s, in, old_tags, &tagging, st->function_arn, in->function_name, err)
               : SA_OK;
}

int sa_lambda_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_stack_call c;
    int rc = sa_call_run(s, &c,
                         &(sa_call){.service = "lambda",
                                    .op = "DeleteFunction",
                                    .method = "DELETE",
                                    .path = FN_PATH,
                                    .labels = {in->function_name},
                                    .retry = &function_busy},
                         err);

    if (sa_call_not_found(rc, &c))
        rc = SA_OK;
    if (rc == SA_OK)
        st->function_arn[0] = st->code_sha256[0] = st->permission_api[0] = '\0';
    sa_stack_call_dispose(&c);
    return rc;
}
