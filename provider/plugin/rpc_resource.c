/*
 * The RPCs of the resource, secureapi:index:SecureApiStack: Check, Diff, Create, Read, Update and
 * Delete. Each decodes its request, calls one function of stack/stack.h and encodes the answer;
 * the operations that call AWS share one prologue (begin_operation: the provider's AWS client,
 * taken by reference so a concurrent Configure cannot free it, the account and partition
 * Configure found, the cancel flag, the custom timeout, and the engine log for messages on the
 * resource) and one way of answering a failure part-way (ErrorResourceInitFailed with what
 * exists, so the engine keeps it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/platform.h"
#include "base/util.h"
#include "google/protobuf/empty.pb-c.h"
#include "plugin/engine.h"
#include "plugin/log.h"
#include "plugin/rpc_internal.h"
#include "stack/stack.h"

/* ---- the shared prologue of the AWS operations ---- */

static void log_to_engine(void *ctx, sa_stack_severity severity, const char *urn, bool ephemeral,
                          const char *message)
{
    static const sa_severity map[] = {SA_SEV_DEBUG, SA_SEV_INFO, SA_SEV_WARNING, SA_SEV_ERROR};

    sa_engine_log(ctx, map[severity <= SA_STACK_ERROR ? severity : SA_STACK_ERROR], urn, ephemeral,
                  "%s", message);
}

typedef struct operation {
    sa_stack_env env;
    char account[16];
    char partition[16];
} operation;

/* Sets up an operation on the resource; fails the call when the provider is not configured. */
static bool begin_operation(rpc_call *c, operation *op, const char *urn, double timeout_s)
{
    memset(op, 0, sizeof(*op));
    pthread_mutex_lock(&c->p->lock);
    op->env.aws = sa_aws_client_retain(c->p->aws);
    snprintf(op->account, sizeof(op->account), "%s", c->p->account);
    snprintf(op->partition, sizeof(op->partition), "%s", c->p->partition);
    pthread_mutex_unlock(&c->p->lock);
    if (op->env.aws == NULL) {
        sa_rpc_fail(c, SA_GRPC_FAILED_PRECONDITION, "%s: the secureapi provider is not configured",
                    SA_STACK_TYPE);
        return false;
    }
    op->env.account = op->account;
    op->env.partition = op->partition;
    op->env.cancelled = &c->p->cancelled;
    op->env.timeout_s = timeout_s;
    op->env.urn = urn;
    op->env.log = log_to_engine;
    op->env.log_ctx = c->p;
    return true;
}

static void end_operation(rpc_call *c, operation *op)
{
    sa_log_debug(c->p, "%s: %d AWS calls", c->method, op->env.calls);
    sa_aws_client_release(op->env.aws);
    op->env.aws = NULL;
}

/* Answers a failed Create or Update: a partial failure carrying what exists, or a plain error. */
static void fail_operation(rpc_call *c, const char *verb, const sa_stack_result *res,
                           const sa_error *err)
{
    char message[SA_ERROR_MESSAGE_MAX + 256];
    const char *reasons[1] = {message};
    sa_error e2 = {0};

    if (!res->partial) {
        sa_rpc_fail(c, sa_rpc_grpc_code(err->code), "%s %s: %s; nothing was created", verb,
                    SA_STACK_TYPE, err->message);
        return;
    }
    snprintf(message, sizeof(message),
             "%s %s: %s; what exists is kept in the stack's state: run `pulumi up` again to "
             "finish, or `pulumi destroy` to remove it",
             verb, SA_STACK_TYPE, err->message);
    if (sa_rpc_partial_failure(c->reply, SA_GRPC_UNKNOWN, message, res->id, res->outputs, NULL,
                               reasons, 1, &e2) != SA_OK)
        sa_rpc_fail(c, SA_GRPC_INTERNAL, "%s (and reporting it failed: %s)", message, e2.message);
}

/* ---- Check and Diff: pure ---- */

const char *sa_rpc_getenv(const char *name)
{
    return sa_secure_getenv(name);
}

void sa_rpc_check(rpc_call *c)
{
    const Pulumirpc__CheckRequest *req = (const void *)c->req;
    sa_value *olds = NULL, *news = NULL, *checked = NULL;
    sa_check_failures failures;
    sa_rpc_failure list[SA_N(failures.items)];
    sa_error err = {0};
    char *provider_region = NULL;
    sa_check_context ctx = {.urn = req->urn,
                            .resource_name = req->name,
                            .random_seed = req->randomseed.data,
                            .random_seed_len = req->randomseed.len,
                            .getenv = sa_rpc_getenv};
    bool ok;
    int rc;

    if (req->type != NULL && req->type[0] != '\0' && strcmp(req->type, SA_STACK_TYPE) != 0) {
        sa_rpc_fail(c, SA_GRPC_INVALID_ARGUMENT, "unknown resource type %s; this provider has %s",
                    req->type, SA_STACK_TYPE);
        return;
    }
    olds = sa_rpc_decode(c, req->olds, SA_STACK_TYPE " old inputs");
    news = olds ? sa_rpc_decode(c, req->news, SA_STACK_TYPE " inputs") : NULL;
    if (news == NULL)
        goto cleanup;
    pthread_mutex_lock(&c->p->lock);
    if (c->p->config.region != NULL)
        provider_region = sa_strdup(c->p->config.region);
    ok = c->p->config.region == NULL || provider_region != NULL;
    pthread_mutex_unlock(&c->p->lock);
    if (!ok) {
        sa_rpc_fail_oom(c);
        goto cleanup;
    }
    ctx.provider_region = provider_region;
    rc = sa_stack_check(&checked, olds, news, &ctx, &failures, &err);
    if (rc != SA_OK && rc != SA_EINVAL) {
        sa_rpc_fail(c, SA_GRPC_INTERNAL, "%s", err.message);
        goto cleanup;
    }
    for (size_t i = 0; i < failures.len; i++)
        list[i] = (sa_rpc_failure){failures.items[i].property, failures.items[i].reason};
    sa_rpc_answer_check(c, checked, list, failures.len);
cleanup:
    free(provider_region);
    sa_value_free(olds);
    sa_value_free(news);
    sa_value_free(checked);
}

static bool add_detailed_diff(Pulumirpc__DiffResponse *r, const sa_prop_diff *pd)
{
    Pulumirpc__DiffResponse__DetailedDiffEntry *e = sa_malloc(sizeof(*e));
    Pulumirpc__PropertyDiff *v = sa_malloc(sizeof(*v));
    Pulumirpc__DiffResponse__DetailedDiffEntry **items;

    if (e == NULL || v == NULL) {
        free(e);
        free(v);
        return false;
    }
    pulumirpc__diff_response__detailed_diff_entry__init(e);
    pulumirpc__property_diff__init(v);
    v->kind = (Pulumirpc__PropertyDiff__Kind)pd->kind;
    v->inputdiff = 1;
    e->value = v;
    e->key = sa_strdup(pd->path);
    items = sa_realloc(r->detaileddiff, (r->n_detaileddiff + 1) * sizeof(*items));
    if (items == NULL) {
        protobuf_c_message_free_unpacked(&e->base, NULL);
        return false;
    }
    r->detaileddiff = items;
    r->detaileddiff[r->n_detaileddiff++] = e;
    return e->key != NULL;
}

void sa_rpc_diff(rpc_call *c)
{
    const Pulumirpc__DiffRequest *req = (const void *)c->req;
    sa_value *olds = sa_rpc_decode(c, req->olds, SA_STACK_TYPE " state");
    sa_value *old_inputs =
        olds ? sa_rpc_decode(c, req->old_inputs, SA_STACK_TYPE " old inputs") : NULL;
    sa_value *news = old_inputs ? sa_rpc_decode(c, req->news, SA_STACK_TYPE " inputs") : NULL;
    Pulumirpc__DiffResponse *r = NULL;
    sa_stack_diff_result d;
    sa_error err = {0};
    bool ok = true;

    if (news == NULL)
        goto cleanup;
    if (sa_stack_diff(&d, olds, old_inputs, news, &err) != SA_OK) {
        sa_rpc_fail(c, SA_GRPC_INTERNAL, "%s", err.message);
        goto cleanup;
    }
    r = NEW(c, Pulumirpc__DiffResponse, pulumirpc__diff_response__init);
    if (r == NULL)
        goto cleanup;
    r->changes = d.changed ? PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_SOME
                           : PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_NONE;
    r->hasdetaileddiff = 1;
    for (size_t i = 0; ok && i < d.n_diffs; i++)
        ok = sa_rpc_add_string(&r->diffs, &r->n_diffs, d.diffs[i]);
    for (size_t i = 0; ok && i < d.n_replaces; i++)
        ok = sa_rpc_add_string(&r->replaces, &r->n_replaces, d.replaces[i]);
    for (size_t i = 0; ok && i < d.n_stables; i++)
        ok = sa_rpc_add_string(&r->stables, &r->n_stables, d.stables[i]);
    for (size_t i = 0; ok && i < d.n_detailed; i++)
        ok = add_detailed_diff(r, &d.detailed[i]);
    sa_rpc_respond(c, &r->base, ok);
cleanup:
    sa_value_free(olds);
    sa_value_free(old_inputs);
    sa_value_free(news);
}

/* ---- the AWS operations ---- */

/* Answers with id and outputs (Create, Update), or fails the call when they cannot be sent. */
static void answer(rpc_call *c, ProtobufCMessage *r, char **id, Google__Protobuf__Struct **props,
                   const char *id_value, const sa_value *outputs)
{
    sa_rpc_respond(c, r,
                   (id == NULL || (*id = sa_strdup(id_value)) != NULL) &&
                       (*props = sa_rpc_encode(c, outputs)) != NULL);
}

/* What Create and Update are given (Create: news only). */
typedef struct write_values {
    const sa_value *olds, *old_inputs, *news;
} write_values;

/* Create and Update: predict (preview) or run, then answer with the outputs (and, for Create,
 * the id), or with the failure. */
static void write_operation(rpc_call *c, bool creating, bool preview, const char *urn,
                            double timeout, const write_values *v)
{
    sa_stack_result res = {0};
    operation op;
    sa_error err = {0};
    int rc;

    if (preview) {
        rc = creating ? sa_stack_preview_outputs(&res.outputs, v->news, &err)
                      : sa_stack_preview_update(&res.outputs, v->olds, v->news, &err);
    } else {
        if (!begin_operation(c, &op, urn, timeout))
            return;
        rc = creating ? sa_stack_create(&res, &op.env, v->news, &err)
                      : sa_stack_update(&res, &op.env, v->olds, v->old_inputs, v->news, &err);
        end_operation(c, &op);
        if (rc != SA_OK) {
            fail_operation(c, creating ? "creating" : "updating", &res, &err);
            goto cleanup;
        }
    }
    if (rc != SA_OK) {
        sa_rpc_fail(c, sa_rpc_grpc_code(rc), "%s", err.message);
        goto cleanup;
    }
    if (creating) {
        Pulumirpc__CreateResponse *r =
            NEW(c, Pulumirpc__CreateResponse, pulumirpc__create_response__init);
        if (r != NULL)
            answer(c, &r->base, &r->id, &r->properties, res.id, res.outputs);
    } else {
        Pulumirpc__UpdateResponse *r =
            NEW(c, Pulumirpc__UpdateResponse, pulumirpc__update_response__init);
        if (r != NULL)
            answer(c, &r->base, NULL, &r->properties, NULL, res.outputs);
    }
cleanup:
    sa_stack_result_dispose(&res);
}

void sa_rpc_create(rpc_call *c)
{
    const Pulumirpc__CreateRequest *req = (const void *)c->req;
    sa_value *inputs = sa_rpc_decode(c, req->properties, SA_STACK_TYPE " inputs");

    if (inputs != NULL)
        write_operation(c, true, req->preview, req->urn, req->timeout,
                        &(write_values){.news = inputs});
    sa_value_free(inputs);
}

void sa_rpc_update(rpc_call *c)
{
    const Pulumirpc__UpdateRequest *req = (const void *)c->req;
    sa_value *olds = sa_rpc_decode(c, req->olds, SA_STACK_TYPE " state");
    sa_value *news = olds ? sa_rpc_decode(c, req->news, SA_STACK_TYPE " inputs") : NULL;
    sa_value *old_inputs =
        news ? sa_rpc_decode(c, req->old_inputs, SA_STACK_TYPE " old inputs") : NULL;

    if (old_inputs != NULL)
        write_operation(c, false, req->preview, req->urn, req->timeout,
                        &(write_values){.olds = olds, .old_inputs = old_inputs, .news = news});
    sa_value_free(olds);
    sa_value_free(news);
    sa_value_free(old_inputs);
}

void sa_rpc_delete(rpc_call *c)
{
    const Pulumirpc__DeleteRequest *req = (const void *)c->req;
    sa_value *olds = sa_rpc_decode(c, req->properties, SA_STACK_TYPE " state");
    Google__Protobuf__Empty *r;
    operation op;
    sa_error err = {0};
    int rc;

    if (olds == NULL)
        return;
    if (!begin_operation(c, &op, req->urn, req->timeout))
        goto cleanup;
    rc = sa_stack_delete(&op.env, olds, &err);
    end_operation(c, &op);
    if (rc != SA_OK) {
        sa_rpc_fail(c, sa_rpc_grpc_code(rc),
                    "deleting %s: %s; run `pulumi destroy` again to "
                    "continue",
                    SA_STACK_TYPE, err.message);
        goto cleanup;
    }
    r = NEW(c, Google__Protobuf__Empty, google__protobuf__empty__init);
    if (r != NULL)
        c->resp = &r->base;
cleanup:
    sa_value_free(olds);
}

void sa_rpc_read(rpc_call *c)
{
    const Pulumirpc__ReadRequest *req = (const void *)c->req;
    sa_value *olds = sa_rpc_decode(c, req->properties, SA_STACK_TYPE " state");
    sa_value *old_inputs = olds ? sa_rpc_decode(c, req->inputs, SA_STACK_TYPE " inputs") : NULL;
    bool importing = olds != NULL && olds->u.object.len == 0;
    sa_stack_result res = {0};
    Pulumirpc__ReadResponse *r;
    operation op;
    sa_error err = {0};
    int rc;

    if (old_inputs == NULL)
        goto cleanup;
    if (!begin_operation(c, &op, req->urn, req->timeout))
        goto cleanup;
    rc = sa_stack_read(&res, &op.env, req->id ? req->id : "", olds, old_inputs, &err);
    end_operation(c, &op);
    if (rc != SA_OK) {
        if (importing)
            sa_rpc_fail(c, sa_rpc_grpc_code(rc), "importing %s '%s': %s", SA_STACK_TYPE,
                        req->id ? req->id : "", err.message);
        else
            sa_rpc_fail(c, sa_rpc_grpc_code(rc), "reading %s: %s", SA_STACK_TYPE, err.message);
        goto cleanup;
    }
    r = NEW(c, Pulumirpc__ReadResponse, pulumirpc__read_response__init);
    if (r == NULL)
        goto cleanup;
    /* every piece gone: so is the resource (an empty id) */
    r->id = sa_strdup(res.outputs != NULL ? res.id : "");
    sa_rpc_respond(c, &r->base,
                   r->id != NULL && (res.outputs == NULL ||
                                     ((r->properties = sa_rpc_encode(c, res.outputs)) != NULL &&
                                      (r->inputs = sa_rpc_encode(c, res.inputs)) != NULL)));
cleanup:
    sa_value_free(olds);
    sa_value_free(old_inputs);
    sa_stack_result_dispose(&res);
}
