/*
 * The public operations of SecureApiStack (stack.h): each one reads the values it is given into
 * sa_stack_inputs and sa_stack_state (state.h), sets up the operation's context (the caller's
 * client, the stack's region, account and partition, cancel flag and deadline), runs the
 * lifecycle (ops.c) and turns the state back into outputs, also after a failure part-way. Import
 * rebuilds the inputs of an existing stack from its function before reading the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "stack/code.h"
#include "stack/limits.h"
#include "stack/ops.h"
#include "stack/stack.h"
#include "stack/steps.h"

void sa_stack_result_dispose(sa_stack_result *r)
{
    if (r == NULL)
        return;
    sa_value_free(r->outputs);
    sa_value_free(r->inputs);
    memset(r, 0, sizeof(*r));
}

/* The context of one operation on a stack living in region; st gives (or receives) the account
 * and partition. */
static int begin(sa_stack_ctx *s, sa_stack_env *env, sa_stack_state *st, const char *region,
                 sa_error *err)
{
    memset(s, 0, sizeof(*s));
    atomic_init(&s->calls, 0);
    s->aws = env->aws;
    s->urn = env->urn;
    s->region = region;
    s->cancelled = env->cancelled;
    s->env = env;
    if (env->aws == NULL)
        return sa_error_set(err, SA_EINVAL, "%s: the secureapi provider is not configured",
                            SA_STACK_TYPE);
    if (env->timeout_s > 0)
        s->deadline_ms = sa_aws_client_now_ms(env->aws) + (int64_t)(env->timeout_s * 1000.0);
    if (st->account[0] == '\0' && env->account != NULL && env->account[0] != '\0') {
        SA_COPY(st->account, env->account);
        SA_COPY(st->partition, env->partition);
    }
    if (st->account[0] == '\0') {
        int rc = sa_sts_identity(s, st->account, st->partition, NULL, 0, err);
        if (rc != SA_OK)
            return rc;
    }
    s->partition = sa_aws_partition_named(st->partition);
    if (s->partition == NULL)
        s->partition = sa_aws_partition_of_region(region);
    SA_COPY(st->partition, s->partition->name);
    SA_COPY(st->region, region);
    s->account = st->account;
    return SA_OK;
}

static void end(sa_stack_ctx *s, sa_stack_env *env)
{
    env->calls = atomic_load(&s->calls);
}

/* The outputs of what exists after a failure (out->partial), or none when nothing does. */
static void keep_partial(sa_stack_result *out, const sa_value *inputs, const sa_stack_inputs *in,
                         const sa_stack_state *st)
{
    sa_error e = {0};

    if (!sa_stack_state_any(st))
        return;
    sa_stack_id(out->id, sizeof(out->id), in);
    if (sa_stack_state_to_outputs(&out->outputs, inputs, st, &e) == SA_OK)
        out->partial = true;
}

static void warn_timeout(sa_stack_ctx *s, const sa_stack_inputs *in)
{
    if (in->timeout > SA_APIGW_INTEGRATION_TIMEOUT_S)
        sa_stack_log(s, SA_STACK_WARNING, false,
                     "lambdaTimeout is %lld s but API Gateway's REST integration timeout is %d s: "
                     "a request still running then gets 504 Gateway Timeout while the function "
                     "runs on to its own timeout",
                     (long long)in->timeout, SA_APIGW_INTEGRATION_TIMEOUT_S);
}

int sa_stack_identity(sa_stack_env *env, char account[16], char partition[16], char *arn,
                      size_t arn_size, sa_error *err)
{
    sa_stack_ctx s = {0};
    int rc;

    atomic_init(&s.calls, 0);
    s.aws = env->aws;
    s.region = sa_aws_client_region(env->aws);
    s.cancelled = env->cancelled;
    s.env = env;
    rc = sa_sts_identity(&s, account, partition, arn, arn_size, err);
    end(&s, env);
    return rc;
}

int sa_stack_create(sa_stack_result *out, sa_stack_env *env, const sa_value *inputs, sa_error *err)
{
    sa_stack_inputs in;
    sa_stack_state st;
    sa_stack_ctx s;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&st, 0, sizeof(st));
    if ((rc = sa_stack_inputs_parse(&in, inputs, err)) != SA_OK)
        return rc;
    if ((rc = begin(&s, env, &st, in.region, err)) != SA_OK)
        return rc;
    warn_timeout(&s, &in);
    rc = sa_ops_converge(&s, &in, &st, err);
    end(&s, env);
    if (rc != SA_OK) {
        keep_partial(out, inputs, &in, &st);
        return rc;
    }
    sa_stack_id(out->id, sizeof(out->id), &in);
    return sa_stack_state_to_outputs(&out->outputs, inputs, &st, err);
}

/* The inputs a stack was made from: the engine's old inputs, or the state's copy of them. */
static const sa_value *made_from(const sa_value *old_outputs, const sa_value *old_inputs)
{
    return old_inputs != NULL && old_inputs->kind == SA_VALUE_OBJECT && old_inputs->u.object.len > 0
               ? old_inputs
               : old_outputs;
}

int sa_stack_update(sa_stack_result *out, sa_stack_env *env, const sa_value *old_outputs,
                    const sa_value *old_inputs, const sa_value *news, sa_error *err)
{
    sa_stack_inputs in;
    sa_stack_state st;
    sa_stack_ctx s;
    int rc;

    memset(out, 0, sizeof(*out));
    sa_stack_state_from_outputs(&st, old_outputs);
    if ((rc = sa_stack_inputs_parse(&in, news, err)) != SA_OK)
        return rc;
    if (st.region[0] != '\0')
        in.region = st.region; /* where it lives */
    if ((rc = begin(&s, env, &st, in.region, err)) != SA_OK)
        return rc;
    warn_timeout(&s, &in);
    rc = sa_ops_update(&s, &in, made_from(old_outputs, old_inputs), news, &st, err);
    end(&s, env);
    if (rc != SA_OK) {
        keep_partial(out, news, &in, &st);
        return rc;
    }
    sa_stack_id(out->id, sizeof(out->id), &in);
    return sa_stack_state_to_outputs(&out->outputs, news, &st, err);
}

int sa_stack_delete(sa_stack_env *env, const sa_value *old_outputs, sa_error *err)
{
    sa_stack_inputs in;
    sa_stack_state st;
    sa_stack_ctx s;
    int rc;

    sa_stack_state_from_outputs(&st, old_outputs);
    if ((rc = sa_stack_inputs_parse(&in, old_outputs, err)) != SA_OK)
        return rc;
    if (st.region[0] != '\0')
        in.region = st.region;
    if ((rc = begin(&s, env, &st, in.region, err)) != SA_OK)
        return rc;
    rc = sa_ops_delete(&s, &in, &st, err);
    end(&s, env);
    return rc;
}

/* ---- read and import ---- */

/* Import: the checked inputs of the stack whose function is function_name in region, as far as
 * the function tells (its suffix); Read fills in the rest from AWS. */
static int import_inputs(sa_value **out, sa_stack_env *env, const char *id, char *region,
                         size_t region_cap, sa_error *err)
{
    const char *slash = strchr(id, '/'), *fn_name, *suffix;
    sa_stack_name_seed seed;
    char base[96];
    sa_value *names = NULL, *skeleton = NULL;
    sa_stack_inputs probe = {0};
    sa_stack_state st = {0};
    sa_stack_ctx s;
    sa_check_failures failures;
    sa_check_context ctx = {.resource_name = "import"};
    cJSON *fn = NULL;
    const cJSON *vars;
    int rc;

    *out = NULL;
    if (slash == NULL || (size_t)(slash - id) >= region_cap)
        return sa_error_set(err, SA_EINVAL,
                            "import id '%s' is not <region>/<function name>, "
                            "e.g. ap-southeast-1/secure-api-stack-dev-1a2b3c4",
                            id);
    snprintf(region, region_cap, "%.*s", (int)(slash - id), id);
    fn_name = slash + 1;
    if (!sa_aws_region_name_valid(region))
        return sa_error_set(err, SA_EINVAL, "import id '%s': '%s' is not a region", id, region);
    if ((rc = sa_stack_name_seed_from_function(&seed, base, sizeof(base), fn_name, err)) != SA_OK)
        return rc;
    if ((rc = begin(&s, env, &st, region, err)) != SA_OK)
        return rc;
    probe.function_name = fn_name;
    rc = sa_lambda_read(&s, &probe, &st, &fn, err);
    end(&s, env);
    if (rc == SA_OK && fn == NULL)
        rc = sa_error_set(err, SA_ENOTFOUND, "there is no Lambda function %s in %s", fn_name,
                          region);
    if (rc != SA_OK)
        goto out;
    vars = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(fn, "Configuration"),
                                         "Environment"),
        "Variables");
    suffix = sa_json_get(vars, "ENVIRONMENT_SUFFIX");
    if (suffix == NULL)
        suffix = sa_json_get(cJSON_GetObjectItemCaseSensitive(fn, "Tags"), "Environment");
    if (suffix == NULL) {
        rc = sa_error_set(err, SA_EINVAL,
                          "the function %s has no ENVIRONMENT_SUFFIX: it was not "
                          "made by a SecureApiStack",
                          fn_name);
        goto out;
    }
    rc = sa_stack_names_build(&names, &seed, region, err);
    if (rc == SA_OK && (skeleton = sa_value_object()) == NULL)
        rc = SA_ENOMEM;
    if (rc == SA_OK)
        rc = sa_value_object_set(skeleton, "environmentSuffix", sa_value_string(suffix));
    if (rc == SA_OK)
        rc = sa_value_object_set(skeleton, "region", sa_value_string(region));
    if (rc == SA_OK) {
        rc = sa_value_object_set(skeleton, SA_STACK_NAMES_KEY, names);
        names = NULL;
    }
    if (rc == SA_ENOMEM)
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
    /* Check fills in the defaults and keeps the names (olds == news) */
    if (rc == SA_OK) {
        rc = sa_stack_check(out, skeleton, skeleton, &ctx, &failures, err);
        if (rc == SA_EINVAL)
            rc = sa_error_set(err, SA_EINVAL, "import: %s %s", failures.items[0].property,
                              failures.items[0].reason);
        if (rc != SA_OK) {
            sa_value_free(*out);
            *out = NULL;
        }
    }
out:
    cJSON_Delete(fn);
    sa_value_free(names);
    sa_value_free(skeleton);
    return rc;
}

/* An imported function whose code is not the default handler: the program must say what it is. */
static void warn_foreign_code(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_stack_state *st)
{
    char sha[64] = "";
    sa_error e = {0};

    if (st->function_arn[0] != '\0' &&
        sa_code_sha256(sha, in->code, in->handler_code, &e) == SA_OK &&
        strcmp(sha, st->code_sha256) != 0)
        sa_stack_log(s, SA_STACK_WARNING, false,
                     "the imported function's code is not the default handler; set lambdaCode "
                     "(or lambdaHandlerCode) in your program to its code before the next "
                     "`pulumi up`, or the default handler replaces it");
}

int sa_stack_read(sa_stack_result *out, sa_stack_env *env, const char *id,
                  const sa_value *old_outputs, const sa_value *old_inputs, sa_error *err)
{
    bool importing = old_outputs == NULL || old_outputs->kind != SA_VALUE_OBJECT ||
                     old_outputs->u.object.len == 0;
    sa_value *imported = NULL, *live = NULL;
    const sa_value *inputs;
    sa_stack_inputs in;
    sa_stack_state st;
    sa_stack_ctx s;
    char region[64] = "";
    int rc;

    memset(out, 0, sizeof(*out));
    if (importing) {
        rc = import_inputs(&imported, env, id ? id : "", region, sizeof(region), err);
        if (rc != SA_OK)
            return rc;
        inputs = imported;
    } else {
        inputs = made_from(old_outputs, old_inputs);
    }
    sa_stack_state_from_outputs(&st, importing ? NULL : old_outputs);
    rc = sa_stack_inputs_parse(&in, inputs, err);
    if (rc == SA_OK && st.region[0] != '\0')
        in.region = st.region;
    if (rc == SA_OK)
        rc = begin(&s, env, &st, in.region, err);
    if (rc == SA_OK) {
        rc = sa_ops_read(&s, &in, inputs, &st, &live, err);
        if (rc == SA_OK && importing)
            warn_foreign_code(&s, &in, &st);
        end(&s, env);
    }
    if (rc == SA_OK && sa_stack_state_any(&st)) {
        SA_COPY(out->id, id ? id : "");
        rc = sa_stack_state_to_outputs(&out->outputs, live, &st, err);
        if (rc == SA_OK) {
            out->inputs = live;
            live = NULL;
        }
    }
    sa_value_free(live);
    sa_value_free(imported);
    return rc;
}
