/*
 * SecureApiStack's lifecycle over the per-service steps (see ops.h). Create runs three
 * independent chains on their own threads; each chain writes only its own fields of the shared
 * state, so they need no lock, and the join makes their writes visible.
 */
#include "stack/ops.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "stack/code.h"
#include "stack/steps.h"

/* Create's chains run side by side; the function waits on a gate only for what it needs (its
 * role, and the encrypted log group, so the key before that), not for the rest of the chains
 * (the role policy, retention, rotation, the alias, the API's routes, deployment and stage). */
typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int open;   /* chains that reached the point the function needs */
    int failed; /* chains that failed before reaching it */
} gate;

typedef struct chain chain;
typedef int (*chain_fn)(chain *c);

struct chain {
    chain_fn fn;
    sa_stack_ctx *s;
    const sa_stack_inputs *in;
    sa_stack_state *st;
    gate *g;
    bool signalled;
    int rc;
    sa_error err;
};

static void gate_signal(chain *c, bool ok)
{
    if (c->g == NULL || c->signalled)
        return;
    c->signalled = true;
    pthread_mutex_lock(&c->g->lock);
    if (ok)
        c->g->open++;
    else
        c->g->failed++;
    pthread_cond_broadcast(&c->g->changed);
    pthread_mutex_unlock(&c->g->lock);
}

/* The key's rotation and alias, beside the log group (they need only the key). */
typedef struct key_tail {
    chain *c;
    int rc;
    sa_error err;
} key_tail;

static void *key_tail_main(void *arg)
{
    key_tail *t = arg;
    sa_stack_ctx *s = t->c->s;
    const sa_stack_inputs *in = t->c->in;
    sa_stack_state *st = t->c->st;

    t->rc = SA_OK;
    if (st->kms_rotation != in->rotation)
        t->rc = sa_kms_set_rotation(s, in, st, &t->err);
    if (t->rc == SA_OK && !st->alias)
        t->rc = sa_kms_set_alias(s, in, st, &t->err);
    return NULL;
}

/* The key, then side by side: the log group encrypted with it (a group that exists gets a
 * replaced key) and its retention; the key's rotation and alias. The function waits only for
 * the log group. Last, the retirement of a key the stack no longer uses. */
static int chain_kms_logs(chain *c)
{
    sa_stack_ctx *s = c->s;
    const sa_stack_inputs *in = c->in;
    sa_stack_state *st = c->st;
    key_tail tail = {.c = c};
    pthread_t t;
    bool threaded = false;
    int rc = sa_kms_create_key(s, in, st, &c->err);

    if (rc == SA_OK && (st->kms_rotation != in->rotation || !st->alias))
        threaded = pthread_create(&t, NULL, key_tail_main, &tail) == 0;
    if (rc == SA_OK && st->log_group_arn[0] == '\0')
        rc = sa_logs_create(s, in, st, &c->err);
    else if (rc == SA_OK && strcmp(st->log_group_key, st->kms_key_arn) != 0)
        rc = sa_logs_set_key(s, in, st, &c->err);
    gate_signal(c, rc == SA_OK);
    if (rc == SA_OK && st->retention != in->retention)
        rc = sa_logs_set_retention(s, in, st, &c->err);
    if (threaded)
        pthread_join(t, NULL);
    else if (rc == SA_OK)
        key_tail_main(&tail); /* no thread: in turn */
    if (rc == SA_OK && tail.rc != SA_OK)
        rc = sa_error_set(&c->err, tail.rc, "%s", tail.err.message);
    if (rc == SA_OK && st->retired_key_id[0] != '\0' &&
        (rc = sa_kms_retire(s, in, st->retired_key_id, &c->err)) == SA_OK)
        st->retired_key_id[0] = '\0';
    return rc;
}

static int chain_iam(chain *c)
{
    int rc = sa_iam_create_role(c->s, c->in, c->st, &c->err);

    gate_signal(c, rc == SA_OK);
    if (rc == SA_OK && strcmp(c->st->role_policy, c->in->execution_policy) != 0)
        rc = sa_iam_set_policy(c->s, c->in, c->st, &c->err);
    return rc;
}

/* The API's chain does not wait for the function: its integrations name the function's ARN,
 * which is known in advance, so the deployment and the stage follow the routes directly. Once
 * the API exists it opens its gate: the invoke permission names only the API's id. */
static int chain_api(chain *c)
{
    int rc = sa_apigw_create_api(c->s, c->in, c->st, &c->err);

    gate_signal(c, rc == SA_OK);
    if (rc == SA_OK)
        rc = sa_apigw_create_routes(c->s, c->in, c->st, &c->err);
    if (rc == SA_OK)
        rc = sa_apigw_deploy(c->s, c->in, c->st, &c->err);
    return rc;
}

static void *chain_main(void *arg)
{
    chain *c = arg;

    c->rc = c->fn(c);
    gate_signal(c, c->rc == SA_OK); /* a chain that ended early still opens or fails the gate */
    return NULL;
}

/* Waits until `need` chains reached the gate or failed before it; whether none failed. */
static bool gate_wait(gate *g, int need)
{
    bool ok;

    pthread_mutex_lock(&g->lock);
    while (g->open + g->failed < need)
        pthread_cond_wait(&g->changed, &g->lock);
    ok = g->failed == 0;
    pthread_mutex_unlock(&g->lock);
    return ok;
}

/* The function waits for the role and the log group (gate g); the invoke permission then waits
 * only for the function and the API's id (gate api), not for the API's routes, deployment and
 * stage, so it runs beside them. */
int sa_ops_converge(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    gate g = {.open = 0, .failed = 0}, api = {.open = 0, .failed = 0};
    chain chains[3] = {
        {.fn = chain_kms_logs, .s = s, .in = in, .st = st, .g = &g},
        {.fn = chain_iam, .s = s, .in = in, .st = st, .g = &g},
        {.fn = chain_api, .s = s, .in = in, .st = st, .g = &api},
    };
    pthread_t threads[3];
    bool started[3] = {false, false, false};
    bool can_make_function;
    int rc = SA_OK;

    pthread_mutex_init(&g.lock, NULL);
    pthread_cond_init(&g.changed, NULL);
    pthread_mutex_init(&api.lock, NULL);
    pthread_cond_init(&api.changed, NULL);
    for (size_t i = 0; i < SA_N(chains); i++) {
        started[i] = pthread_create(&threads[i], NULL, chain_main, &chains[i]) == 0;
        if (!started[i])
            chain_main(&chains[i]); /* no thread: run it here */
    }
    can_make_function = gate_wait(&g, 2);
    if (can_make_function)
        rc = sa_lambda_create(s, in, st, err);
    /* the API chain writes no field the permission reads after it opened its gate */
    if (gate_wait(&api, 1) && can_make_function && rc == SA_OK)
        rc = sa_lambda_set_permission(s, in, st, err);
    for (size_t i = 0; i < SA_N(chains); i++)
        if (started[i])
            pthread_join(threads[i], NULL);
    pthread_cond_destroy(&g.changed);
    pthread_mutex_destroy(&g.lock);
    pthread_cond_destroy(&api.changed);
    pthread_mutex_destroy(&api.lock);
    for (size_t i = 0; i < SA_N(chains); i++) {
        if (chains[i].rc != SA_OK) {
            /* the first failure is the one to report; the others' pieces are in the state */
            return sa_error_set(err, chains[i].rc, "%s", chains[i].err.message);
        }
    }
    return rc;
}

/* Whether an input differs between two input values (secret wrappers ignored). */
static bool input_changed(const sa_value *olds, const sa_value *news, const char *key)
{
    const sa_value *a = sa_value_unwrap(sa_value_object_get(olds, key), NULL);
    const sa_value *b = sa_value_unwrap(sa_value_object_get(news, key), NULL);

    if (a == NULL || b == NULL)
        return a != b;
    if (a->kind == SA_VALUE_OBJECT && b->kind == SA_VALUE_OBJECT) {
        if (a->u.object.len != b->u.object.len)
            return true;
        for (size_t i = 0; i < a->u.object.len; i++) {
            const sa_value *o = sa_value_unwrap(sa_value_object_get(b, a->u.object.keys[i]), NULL);
            if (o == NULL || !sa_value_equal(sa_value_unwrap(a->u.object.values[i], NULL), o))
                return true;
        }
        return false;
    }
    return !sa_value_equal(a, b);
}

/* Whether the deployed code is not the inputs' code (by CodeSha256: Check computed the inputs'
 * package's; an older state's inputs lack it, then the package is made here). */
static int code_changed(bool *out, const sa_stack_inputs *in, const sa_stack_state *st,
                        sa_error *err)
{
    char sha[64];
    int rc = SA_OK;

    if (in->code_sha256 != NULL)
        SA_COPY(sha, in->code_sha256);
    else
        rc = sa_code_sha256(sha, in->code, in->handler_code, err);
    *out = rc == SA_OK && strcmp(sha, st->code_sha256) != 0;
    return rc;
}

int sa_ops_update(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_inputs,
                  const sa_value *new_inputs, sa_stack_state *st, sa_error *err)
{
    static const char *const config_inputs[] = {
        "lambdaRuntime", "lambdaHandler", "lambdaMemorySize", "lambdaTimeout", "lambdaEnvironment"};
    const sa_value *old_tags = sa_value_unwrap(sa_value_object_get(old_inputs, "tags"), NULL);
    bool config_changed = false, code = false;
    int rc;

    /* a duplicate API an interrupted create could not delete goes first; then anything missing
     * (an earlier failure, or drift found by refresh) is created */
    if ((rc = sa_apigw_delete_retired(s, st, err)) != SA_OK ||
        (rc = sa_ops_converge(s, in, st, err)) != SA_OK)
        return rc;
    if (st->kms_rotation != in->rotation && (rc = sa_kms_set_rotation(s, in, st, err)) != SA_OK)
        return rc;
    if (st->retention != in->retention && (rc = sa_logs_set_retention(s, in, st, err)) != SA_OK)
        return rc;
    if (strcmp(st->role_policy, in->execution_policy) != 0 &&
        (rc = sa_iam_set_policy(s, in, st, err)) != SA_OK)
        return rc;
    for (size_t i = 0; i < SA_N(config_inputs); i++)
        config_changed = config_changed || input_changed(old_inputs, new_inputs, config_inputs[i]);
    if (config_changed && (rc = sa_lambda_update_config(s, in, st, err)) != SA_OK)
        return rc;
    if ((rc = code_changed(&code, in, st, err)) != SA_OK)
        return rc;
    /* the architecture changes with the code (UpdateFunctionCode) */
    if ((code || strcmp(st->architecture, in->architecture) != 0) &&
        (rc = sa_lambda_update_code(s, in, st, err)) != SA_OK)
        return rc;
    if (input_changed(old_inputs, new_inputs, "tags")) {
        sa_stack_progress(s, "updating tags");
        if ((rc = sa_kms_retag(s, in, old_tags, st, err)) != SA_OK ||
            (rc = sa_logs_retag(s, in, old_tags, st, err)) != SA_OK ||
            (rc = sa_iam_retag(s, in, old_tags, st, err)) != SA_OK ||
            (rc = sa_lambda_retag(s, in, old_tags, st, err)) != SA_OK ||
            (rc = sa_apigw_retag(s, in, old_tags, st, err)) != SA_OK)
            return rc;
    }
    return SA_OK;
}

int sa_ops_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    int rc;

    /* the API first (nothing can call the function any more), then the function, its log
     * group, the role (policies first) and last the key, whose deletion is only scheduled */
    sa_stack_progress(s, "deleting the REST API");
    if ((rc = sa_apigw_delete(s, in, st, err)) != SA_OK)
        return rc;
    sa_stack_progress(s, "deleting the Lambda function");
    if ((rc = sa_lambda_delete(s, in, st, err)) != SA_OK)
        return rc;
    sa_stack_progress(s, "deleting the log group");
    if ((rc = sa_logs_delete(s, in, st, err)) != SA_OK)
        return rc;
    sa_stack_progress(s, "deleting the IAM role");
    if ((rc = sa_iam_delete(s, in, st, err)) != SA_OK)
        return rc;
    sa_stack_progress(s, "scheduling the KMS key's deletion");
    return sa_kms_delete(s, in, st, err);
}

/* Sets key in live to the live value unless it equals the old one (keeping old secret wrappers);
 * takes ownership of live_value. */
static int keep_or_set(sa_value *live, const char *key, sa_value *live_value)
{
    const sa_value *old = sa_value_object_get(live, key);
    bool secret = false, same;
    const sa_value *inner = sa_value_unwrap(old, &secret);

    if (live_value == NULL)
        return SA_ENOMEM;
    same = inner != NULL && sa_value_equal(inner, live_value);
    if (!same && inner != NULL && inner->kind == SA_VALUE_OBJECT &&
        live_value->kind == SA_VALUE_OBJECT) {
        /* maps: equal when every entry is equal ignoring secret wrappers */
        same = inner->u.object.len == live_value->u.object.len;
        for (size_t i = 0; same && i < inner->u.object.len; i++)
            same = sa_value_equal(sa_value_unwrap(inner->u.object.values[i], NULL),
                                  sa_value_object_get(live_value, inner->u.object.keys[i]));
    }
    if (same) {
        sa_value_free(live_value);
        return SA_OK;
    }
    return sa_value_object_set(live, key, secret ? sa_value_secret(live_value) : live_value);
}

static bool own_tag(const char *k)
{
    return strcmp(k, "Name") == 0 || strcmp(k, "Environment") == 0 ||
           strcmp(k, SA_STACK_OWNER_TAG) == 0;
}

/* Puts what the function's configuration says into the live inputs. */
static int live_function_inputs(sa_value *live, const cJSON *fn, const sa_value *old_env)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(fn, "Configuration");
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cfg, "Environment"), "Variables");
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(cfg, "MemorySize");
    const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(cfg, "Timeout");
    const cJSON *v;
    sa_value *env = sa_value_object(), *tags = sa_value_object();
    int rc = env != NULL && tags != NULL ? SA_OK : SA_ENOMEM;

    if (rc == SA_OK && sa_json_get(cfg, "Runtime") != NULL)
        rc = keep_or_set(live, "lambdaRuntime", sa_value_string(sa_json_get(cfg, "Runtime")));
    if (rc == SA_OK && sa_json_get(cfg, "Handler") != NULL)
        rc = keep_or_set(live, "lambdaHandler", sa_value_string(sa_json_get(cfg, "Handler")));
    if (rc == SA_OK && cJSON_IsString(cJSON_GetArrayItem(
                           cJSON_GetObjectItemCaseSensitive(cfg, "Architectures"), 0)))
        rc = keep_or_set(
            live, "lambdaArchitecture",
            sa_value_string(
                cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cfg, "Architectures"), 0)
                    ->valuestring));
    if (rc == SA_OK && cJSON_IsNumber(mem))
        rc = keep_or_set(live, "lambdaMemorySize", sa_value_number(mem->valuedouble));
    if (rc == SA_OK && cJSON_IsNumber(tmo))
        rc = keep_or_set(live, "lambdaTimeout", sa_value_number(tmo->valuedouble));
    cJSON_ArrayForEach(v, vars)
    {
        if (rc != SA_OK || !cJSON_IsString(v) || strcmp(v->string, "ENVIRONMENT_SUFFIX") == 0)
            continue;
        /* LOG_LEVEL=INFO is the stack's own default, not the user's */
        if (strcmp(v->string, "LOG_LEVEL") == 0 && strcmp(v->valuestring, "INFO") == 0 &&
            sa_value_object_get(old_env, "LOG_LEVEL") == NULL)
            continue;
        rc = sa_value_object_set(env, v->string, sa_value_string(v->valuestring));
    }
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(fn, "Tags"))
    {
        if (rc == SA_OK && cJSON_IsString(v) && !own_tag(v->string))
            rc = sa_value_object_set(tags, v->string, sa_value_string(v->valuestring));
    }
    if (rc == SA_OK) {
        rc = keep_or_set(live, "lambdaEnvironment", env);
        env = NULL;
    }
    if (rc == SA_OK) {
        rc = keep_or_set(live, "tags", tags);
        tags = NULL;
    }
    sa_value_free(env);
    sa_value_free(tags);
    return rc;
}

int sa_ops_read(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_inputs,
                sa_stack_state *st, sa_value **ret_live_inputs, sa_error *err)
{
    sa_value *live = sa_value_copy(old_inputs);
    cJSON *fn = NULL;
    int rc;

    *ret_live_inputs = NULL;
    if (live == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    /* the log group before the key: on import, the group names the key */
    if ((rc = sa_lambda_read(s, in, st, &fn, err)) != SA_OK ||
        (rc = sa_logs_read(s, in, st, err)) != SA_OK ||
        (rc = sa_kms_read(s, in, st, err)) != SA_OK ||
        (rc = sa_iam_read(s, in, st, err)) != SA_OK ||
        (rc = sa_apigw_read(s, in, st, err)) != SA_OK)
        goto out;
    if (fn != NULL)
        rc = live_function_inputs(live, fn, in->environment);
    if (rc == SA_OK && st->log_group_arn[0] != '\0')
        rc = keep_or_set(live, "logRetentionInDays", sa_value_number((double)st->retention));
    if (rc == SA_OK && st->kms_key_id[0] != '\0')
        rc = keep_or_set(live, "kmsKeyRotation", sa_value_bool(st->kms_rotation));
    if (rc == SA_OK &&
        (strcmp(st->role_policy, "scoped") == 0 || strcmp(st->role_policy, "managed") == 0))
        rc = keep_or_set(live, "executionPolicy", sa_value_string(st->role_policy));
    if (rc == SA_OK && st->stage_name[0] != '\0')
        rc = keep_or_set(live, "stageName", sa_value_string(st->stage_name));
    if (rc != SA_OK) {
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        goto out;
    }
    *ret_live_inputs = live;
    live = NULL;
out:
    cJSON_Delete(fn);
    sa_value_free(live);
    return rc;
}
