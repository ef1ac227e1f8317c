/*
 * SecureApiStack's lifecycle over the per-service steps (see stack_ops.h). Create runs three
 * independent chains on their own threads; each chain writes only its own fields of the shared
 * state, so they need no lock, and the join makes their writes visible.
 */
#include "stack_ops.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"
#include "stack_steps.h"

typedef int (*chain_fn)(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err);

typedef struct chain {
    chain_fn fn;
    sa_stack_ctx *s;
    const sa_stack_inputs *in;
    sa_stack_state *st;
    int rc;
    sa_error err;
} chain;

static int chain_kms_logs(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                          sa_error *err)
{
    int rc = sa_kms_create_key(s, in, st, err);
    if (rc == SA_OK && st->kms_rotation != in->rotation)
        rc = sa_kms_set_rotation(s, in, st, err);
    if (rc == SA_OK && !st->alias)
        rc = sa_kms_create_alias(s, in, st, err);
    if (rc == SA_OK)
        rc = sa_logs_create(s, in, st, err);
    if (rc == SA_OK && st->retention != in->retention)
        rc = sa_logs_set_retention(s, in, st, err);
    return rc;
}

static int chain_iam(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                     sa_error *err)
{
    int rc = sa_iam_create_role(s, in, st, err);
    if (rc == SA_OK && strcmp(st->role_policy, in->execution_policy) != 0)
        rc = sa_iam_set_policy(s, in, st, err);
    return rc;
}

static int chain_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                     sa_error *err)
{
    int rc = sa_apigw_create_api(s, in, st, err);
    if (rc == SA_OK)
        rc = sa_apigw_create_routes(s, in, st, err);
    return rc;
}

static void *chain_main(void *arg)
{
    chain *c = arg;
    c->rc = c->fn(c->s, c->in, c->st, &c->err);
    return NULL;
}

int sa_stack_converge(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                      sa_error *err)
{
    chain chains[3] = {
        {.fn = chain_kms_logs, .s = s, .in = in, .st = st},
        {.fn = chain_iam, .s = s, .in = in, .st = st},
        {.fn = chain_api, .s = s, .in = in, .st = st},
    };
    pthread_t threads[3];
    bool started[3] = {false, false, false};
    int rc = SA_OK;

    if (st->region != s->region)
        snprintf(st->region, sizeof(st->region), "%s", s->region);
    if (st->account != s->account)
        snprintf(st->account, sizeof(st->account), "%s", s->account);
    if (st->partition != s->partition)
        snprintf(st->partition, sizeof(st->partition), "%s", s->partition);
    for (int i = 0; i < 3; i++)
        started[i] = pthread_create(&threads[i], NULL, chain_main, &chains[i]) == 0;
    for (int i = 0; i < 3; i++) {
        if (started[i])
            pthread_join(threads[i], NULL);
        else
            chain_main(&chains[i]); /* no thread: run it here */
    }
    for (int i = 0; i < 3; i++) {
        if (chains[i].rc != SA_OK) {
            /* the first failure is the one to report; the others' pieces are in the state */
            sa_error_set(err, chains[i].rc, "%s", chains[i].err.message);
            return chains[i].rc;
        }
    }
    rc = sa_lambda_create(s, in, st, err);
    if (rc == SA_OK)
        rc = sa_lambda_add_permission(s, in, st, err);
    if (rc == SA_OK)
        rc = sa_apigw_deploy(s, in, st, err);
    return rc;
}

static const char *str(const sa_value *obj, const char *key)
{
    const char *v = NULL;
    return sa_value_get_string(sa_value_object_get(obj, key), &v) ? v : NULL;
}

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

int sa_stack_update(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_inputs,
                    const sa_value *new_inputs, sa_stack_state *st, sa_error *err)
{
    const sa_value *old_tags = sa_value_unwrap(sa_value_object_get(old_inputs, "tags"), NULL);
    bool tags_changed = input_changed(old_inputs, new_inputs, "tags");
    uint8_t *zip = NULL;
    size_t zip_len = 0;
    char sha[64];
    int rc;

    /* anything missing (an earlier failure, or drift found by refresh) is created first */
    rc = sa_stack_converge(s, in, st, err);
    if (rc != SA_OK)
        return rc;
    if (st->kms_rotation != in->rotation && (rc = sa_kms_set_rotation(s, in, st, err)) != SA_OK)
        return rc;
    if (st->retention != in->retention && (rc = sa_logs_set_retention(s, in, st, err)) != SA_OK)
        return rc;
    if (strcmp(st->role_policy, in->execution_policy) != 0 &&
        (rc = sa_iam_set_policy(s, in, st, err)) != SA_OK)
        return rc;
    if (input_changed(old_inputs, new_inputs, "lambdaRuntime") ||
        input_changed(old_inputs, new_inputs, "lambdaMemorySize") ||
        input_changed(old_inputs, new_inputs, "lambdaTimeout") ||
        input_changed(old_inputs, new_inputs, "lambdaEnvironment")) {
        rc = sa_lambda_update_config(s, in, st, err);
        if (rc != SA_OK)
            return rc;
    }
    rc = sa_lambda_package(&zip, &zip_len, sha, in->handler_code, err);
    free(zip);
    if (rc != SA_OK)
        return rc;
    if (strcmp(sha, st->code_sha256) != 0 && (rc = sa_lambda_update_code(s, in, st, err)) != SA_OK)
        return rc;
    if (tags_changed) {
        sa_stack_progress(s, "updating tags");
        if ((rc = sa_kms_retag(s, in, old_tags, st, err)) != SA_OK ||
            (rc = sa_logs_retag(s, in, old_tags, st, err)) != SA_OK ||
            (rc = sa_iam_retag(s, in, old_tags, st, err)) != SA_OK ||
            (rc = sa_lambda_retag(s, in, old_tags, st, err)) != SA_OK ||
            (rc = sa_apigw_retag(s, in, old_tags, st, err)) != SA_OK)
            return rc;
    }
    (void)str;
    return SA_OK;
}

int sa_stack_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                    sa_error *err)
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

int sa_stack_read(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_inputs,
                  sa_stack_state *st, sa_value **ret_live_inputs, sa_error *err)
{
    (void)s;
    (void)in;
    (void)st;
    *ret_live_inputs = sa_value_copy(old_inputs);
    return sa_error_set(err, SA_EUNSUPPORTED, "%s: Read is not implemented yet", SA_STACK_TYPE);
}
