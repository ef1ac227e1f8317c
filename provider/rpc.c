/*
 * Dispatch of provider RPCs (see rpc.h): the method table, unpacking of requests with protobuf-c,
 * the handlers that need no cloud (handshake, plugin info, schema, provider configuration, cancel)
 * and the entry points of the SecureApiStack resource. Every response is built from heap memory
 * only, so one protobuf_c_message_free_unpacked releases it whatever path produced it.
 */
#include "rpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "engine.h"
#include "log.h"
#include "stack.h"
#include "stack_ops.h"
#include "stack_steps.h"
#include "aws/client.h"
#include "pulumi/plugin.pb-c.h"
#include "pulumi/provider.pb-c.h"
#include "value.h"
#include "value_struct.h"

#define RESOURCE_TYPE "secureapi:index:SecureApiStack"

typedef struct rpc_call {
    sa_provider *p;
    const ProtobufCMessage *req;
    ProtobufCMessage *resp; /* set by the handler on success */
    sa_rpc_reply *reply;
} rpc_call;

typedef void (*rpc_handler)(rpc_call *c);

typedef struct rpc_method {
    const char *path;
    const ProtobufCMessageDescriptor *request;
    rpc_handler handler;
} rpc_method;

static void fail(rpc_call *c, int grpc_code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(rpc_call *c, int grpc_code, const char *fmt, ...)
{
    va_list ap;
    char buf[SA_ERROR_MESSAGE_MAX];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    c->reply->grpc_code = grpc_code;
    free(c->reply->message);
    c->reply->message = strdup(buf);
}

static void *new_message(rpc_call *c, size_t size, void (*init)(void *))
{
    void *m = malloc(size);

    if (m == NULL) {
        fail(c, SA_GRPC_INTERNAL, "out of memory");
        return NULL;
    }
    init(m);
    return m;
}

#define NEW(c, T, init_fn) ((T *)new_message((c), sizeof(T), (void (*)(void *))(init_fn)))

/* ---- handlers that need no cloud ---- */

static void on_handshake(rpc_call *c)
{
    const Pulumirpc__ProviderHandshakeRequest *req = (const void *)c->req;
    Pulumirpc__ProviderHandshakeResponse *r;

    /* In attach mode the handshake is where we learn the engine's address. */
    if (c->p->engine_address == NULL && req->engine_address != NULL && req->engine_address[0])
        sa_engine_set_address(c->p, req->engine_address);
    r =
        NEW(c, Pulumirpc__ProviderHandshakeResponse, pulumirpc__provider_handshake_response__init);
    if (r == NULL)
        return;
    r->accept_secrets = 1;
    r->accept_resources = 1;
    c->resp = &r->base;
}

static void on_get_plugin_info(rpc_call *c)
{
    Pulumirpc__PluginInfo *r = NEW(c, Pulumirpc__PluginInfo, pulumirpc__plugin_info__init);
    if (r == NULL)
        return;
    r->version = strdup(c->p->version);
    c->resp = &r->base;
}

static void on_get_schema(rpc_call *c)
{
    const Pulumirpc__GetSchemaRequest *req = (const void *)c->req;
    Pulumirpc__GetSchemaResponse *r;

    if (req->subpackage_name != NULL && req->subpackage_name[0] != '\0') {
        fail(c, SA_GRPC_INVALID_ARGUMENT, "package secureapi has no subpackage '%s'",
             req->subpackage_name);
        return;
    }
    r = NEW(c, Pulumirpc__GetSchemaResponse, pulumirpc__get_schema_response__init);
    if (r == NULL)
        return;
    r->schema = strdup(sa_schema_json);
    c->resp = &r->base;
}

/* Decodes a request Struct into a value, failing the call with INVALID_ARGUMENT on bad input. */
static sa_value *decode_struct(rpc_call *c, const Google__Protobuf__Struct *s, const char *what)
{
    sa_value *v = NULL;
    sa_error err = {0};

    if (sa_value_from_struct(&v, s, &err) != SA_OK) {
        fail(c, err.code == SA_ENOMEM ? SA_GRPC_INTERNAL : SA_GRPC_INVALID_ARGUMENT, "%s: %s",
             what, err.message);
        return NULL;
    }
    return v;
}

static Google__Protobuf__Struct *encode_struct(rpc_call *c, const sa_value *v)
{
    Google__Protobuf__Struct *s = NULL;
    sa_error err = {0};

    if (sa_value_to_struct(&s, v, &err) != SA_OK)
        fail(c, SA_GRPC_INTERNAL, "%s", err.message);
    return s;
}

static bool add_check_failure(Pulumirpc__CheckResponse *r, const char *property, const char *reason)
{
    Pulumirpc__CheckFailure *f = malloc(sizeof(*f));
    Pulumirpc__CheckFailure **items;

    if (f == NULL)
        return false;
    pulumirpc__check_failure__init(f);
    items = realloc(r->failures, (r->n_failures + 1) * sizeof(*items));
    if (items == NULL) {
        free(f);
        return false;
    }
    r->failures = items;
    r->failures[r->n_failures++] = f;
    f->property = strdup(property);
    f->reason = strdup(reason);
    return f->property != NULL && f->reason != NULL;
}

static void on_check_config(rpc_call *c)
{
    const Pulumirpc__CheckRequest *req = (const void *)c->req;
    sa_value *news = decode_struct(c, req->news, "provider configuration");
    Pulumirpc__CheckResponse *r = NULL;
    sa_config cfg;
    sa_config_failures failures;

    if (news == NULL)
        return;
    sa_config_parse(&cfg, news, &failures);
    sa_config_dispose(&cfg);
    r = NEW(c, Pulumirpc__CheckResponse, pulumirpc__check_response__init);
    if (r == NULL)
        goto cleanup;
    /* The checked config is what came in (unknown keys kept): values are validated, not rewritten,
     * so the engine's stored provider inputs stay as the user wrote them. */
    r->inputs = encode_struct(c, news);
    for (size_t i = 0; i < failures.len; i++) {
        char reason[300];
        snprintf(reason, sizeof(reason), "secureapi:%s %s", failures.items[i].property,
                 failures.items[i].reason);
        if (!add_check_failure(r, failures.items[i].property, reason))
            fail(c, SA_GRPC_INTERNAL, "out of memory");
    }
    if (failures.unknown_keys[0] != '\0')
        sa_engine_log(c->p, SA_SEV_WARNING, req->urn, false,
                      "unknown secureapi configuration key(s): %s (known: region, profile, "
                      "accessKey, secretKey, token, endpoints, skipCredentialsValidation, "
                      "maxRetries, httpTimeoutSeconds)",
                      failures.unknown_keys);
    c->resp = &r->base;
cleanup:
    sa_value_free(news);
}

static bool str_list_add(char ***list, size_t *n, const char *s)
{
    char **items = realloc(*list, (*n + 1) * sizeof(char *));

    if (items == NULL)
        return false;
    *list = items;
    items[*n] = strdup(s);
    if (items[*n] == NULL)
        return false;
    (*n)++;
    return true;
}

static void on_diff_config(rpc_call *c)
{
    const Pulumirpc__DiffRequest *req = (const void *)c->req;
    sa_value *olds = decode_struct(c, req->olds, "old provider configuration");
    sa_value *news = olds ? decode_struct(c, req->news, "new provider configuration") : NULL;
    Pulumirpc__DiffResponse *r = NULL;
    bool ok = true;

    if (news == NULL)
        goto cleanup;
    r = NEW(c, Pulumirpc__DiffResponse, pulumirpc__diff_response__init);
    if (r == NULL)
        goto cleanup;
    r->changes = PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_NONE;
    /* every key that differs is a change; only a known region change replaces (the resources
     * live in the old region) */
    for (int pass = 0; pass < 2; pass++) {
        const sa_value *a = pass == 0 ? olds : news, *b = pass == 0 ? news : olds;
        for (size_t i = 0; i < a->u.object.len; i++) {
            const char *key = a->u.object.keys[i];
            const sa_value *other = sa_value_object_get(b, key);
            bool seen = false;
            if (strcmp(key, "version") == 0 || (pass == 1 && other != NULL))
                continue;
            if (other != NULL && sa_value_equal(a->u.object.values[i], other))
                continue;
            for (size_t k = 0; k < r->n_diffs; k++)
                seen = seen || strcmp(r->diffs[k], key) == 0;
            if (seen)
                continue;
            ok = ok && str_list_add(&r->diffs, &r->n_diffs, key);
            if (strcmp(key, "region") == 0 && !sa_value_is_unknown(sa_value_object_get(news, key)))
                ok = ok && str_list_add(&r->replaces, &r->n_replaces, key);
        }
    }
    if (r->n_diffs > 0)
        r->changes = PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_SOME;
    if (!ok) {
        protobuf_c_message_free_unpacked(&r->base, NULL);
        fail(c, SA_GRPC_INTERNAL, "out of memory");
        goto cleanup;
    }
    c->resp = &r->base;
cleanup:
    sa_value_free(olds);
    sa_value_free(news);
}

static void aws_debug(void *ctx, const char *line)
{
    sa_log_debug(ctx, "%s", line);
}

/* Makes the AWS client for a configuration and, unless skipped, asks STS who we are. */
static int make_client(sa_provider *p, const sa_config *cfg, sa_aws_client **out, char *account,
                       char *partition, sa_error *err)
{
    sa_aws_endpoint_override overrides[SA_SVC_COUNT];
    sa_aws_client_config ac = {0};
    size_t n = 0;
    int rc;

    for (int i = 0; i < SA_SVC_COUNT; i++)
        if (cfg->endpoints[i] != NULL)
            overrides[n++] = (sa_aws_endpoint_override){sa_service_keys[i], cfg->endpoints[i]};
    ac.access_key_id = cfg->access_key;
    ac.secret_access_key = cfg->secret_key;
    ac.session_token = cfg->token;
    ac.profile = cfg->profile;
    ac.region = cfg->region;
    ac.endpoints = overrides;
    ac.endpoint_count = n;
    ac.max_attempts = cfg->max_retries >= 0 ? cfg->max_retries + 1 : 0;
    ac.attempt_timeout_ms = 1000L * (cfg->http_timeout_seconds > 0
                                         ? cfg->http_timeout_seconds
                                         : SA_CONFIG_DEFAULT_HTTP_TIMEOUT_SECONDS);
    ac.debug = aws_debug;
    ac.debug_ctx = p;
    rc = sa_aws_client_new(out, &ac, err);
    if (rc != SA_OK || cfg->skip_credentials_validation)
        return rc;
    {
        sa_stack_ctx s = {.p = p, .aws = *out, .region = sa_aws_client_region(*out),
                          .cancelled = &p->cancelled};
        sa_stack_state st;
        memset(&st, 0, sizeof(st));
        atomic_init(&s.calls, 0);
        rc = sa_sts_identity(&s, &st, err);
        if (rc == SA_OK) {
            snprintf(account, 16, "%s", st.account);
            snprintf(partition, 16, "%s", st.partition);
        }
    }
    if (rc != SA_OK) {
        sa_aws_client_free(*out);
        *out = NULL;
    }
    return rc;
}

static void on_configure(rpc_call *c)
{
    const Pulumirpc__ConfigureRequest *req = (const void *)c->req;
    sa_value *args = decode_struct(c, req->args, "provider configuration");
    Pulumirpc__ConfigureResponse *r;
    sa_config cfg;
    sa_config_failures failures;
    sa_aws_client *client = NULL;
    char account[16] = "", partition[16] = "";
    sa_error err = {0};

    if (args == NULL)
        return;
    if (sa_config_parse(&cfg, args, &failures) != SA_OK) {
        fail(c, SA_GRPC_INVALID_ARGUMENT,
             "invalid secureapi configuration: %s %s (set it with `pulumi config set secureapi:%s "
             "...` or on the provider resource)",
             failures.items[0].property, failures.items[0].reason, failures.items[0].property);
        sa_config_dispose(&cfg);
        sa_value_free(args);
        return;
    }
    sa_value_free(args);
    if (make_client(c->p, &cfg, &client, account, partition, &err) != SA_OK) {
        fail(c, err.code == SA_EINVAL ? SA_GRPC_INVALID_ARGUMENT : SA_GRPC_FAILED_PRECONDITION,
             "secureapi could not use the AWS configuration: %s%s", err.message,
             cfg.skip_credentials_validation ? ""
                                             : " (set secureapi:skipCredentialsValidation to "
                                               "skip this check)");
        sa_config_dispose(&cfg);
        return;
    }

    pthread_mutex_lock(&c->p->lock);
    sa_config_dispose(&c->p->config);
    c->p->config = cfg; /* moved */
    if (c->p->aws != NULL) {
        /* an operation may still use the old client: keep it until exit */
        for (size_t i = 0; i < sizeof(c->p->retired) / sizeof(c->p->retired[0]); i++) {
            if (c->p->retired[i] == NULL) {
                c->p->retired[i] = c->p->aws;
                c->p->aws = NULL;
                break;
            }
        }
        sa_aws_client_free(c->p->aws); /* more than four reconfigurations: unlikely */
    }
    c->p->aws = client;
    snprintf(c->p->account, sizeof(c->p->account), "%s", account);
    snprintf(c->p->partition, sizeof(c->p->partition), "%s", partition);
    c->p->configured = true;
    pthread_mutex_unlock(&c->p->lock);

    r = NEW(c, Pulumirpc__ConfigureResponse, pulumirpc__configure_response__init);
    if (r == NULL)
        return;
    r->acceptsecrets = 1;
    r->supportspreview = 1;
    r->acceptresources = 1;
    c->resp = &r->base;
}

static void on_attach(rpc_call *c)
{
    const Pulumirpc__PluginAttach *req = (const void *)c->req;
    Google__Protobuf__Empty *r;

    if (req->address == NULL || req->address[0] == '\0') {
        fail(c, SA_GRPC_INVALID_ARGUMENT, "Attach: address is empty");
        return;
    }
    if (sa_engine_set_address(c->p, req->address) != SA_OK) {
        fail(c, SA_GRPC_INTERNAL, "out of memory");
        return;
    }
    r = NEW(c, Google__Protobuf__Empty, google__protobuf__empty__init);
    if (r != NULL)
        c->resp = &r->base;
}

static void on_cancel(rpc_call *c)
{
    Google__Protobuf__Empty *r = NEW(c, Google__Protobuf__Empty, google__protobuf__empty__init);

    atomic_store(&c->p->cancelled, true);
    sa_log_debug(c->p, "Cancel: in-flight work stops at its next AWS call or wait");
    if (r != NULL)
        c->resp = &r->base;
}

/* ---- the resource ---- */

static const char *secure_getenv_seam(const char *name)
{
    return secure_getenv(name);
}

static void on_check(rpc_call *c)
{
    const Pulumirpc__CheckRequest *req = (const void *)c->req;
    sa_value *olds = NULL, *news = NULL, *checked = NULL;
    Pulumirpc__CheckResponse *r = NULL;
    sa_check_failures failures;
    sa_error err = {0};
    char *provider_region = NULL;
    sa_check_context ctx = {0};
    int rc;

    if (req->type != NULL && req->type[0] != '\0' && strcmp(req->type, SA_STACK_TYPE) != 0) {
        fail(c, SA_GRPC_INVALID_ARGUMENT, "unknown resource type %s; this provider has %s",
             req->type, SA_STACK_TYPE);
        return;
    }
    olds = decode_struct(c, req->olds, SA_STACK_TYPE " old inputs");
    news = olds ? decode_struct(c, req->news, SA_STACK_TYPE " inputs") : NULL;
    if (news == NULL)
        goto cleanup;
    pthread_mutex_lock(&c->p->lock);
    if (c->p->config.region != NULL)
        provider_region = strdup(c->p->config.region);
    pthread_mutex_unlock(&c->p->lock);
    ctx.urn = req->urn;
    ctx.resource_name = req->name;
    ctx.random_seed = req->randomseed.data;
    ctx.random_seed_len = req->randomseed.len;
    ctx.provider_region = provider_region;
    ctx.getenv = secure_getenv_seam;
    rc = sa_stack_check(&checked, olds, news, &ctx, &failures, &err);
    if (rc != SA_OK && rc != SA_EINVAL) {
        fail(c, SA_GRPC_INTERNAL, "%s", err.message);
        goto cleanup;
    }
    r = NEW(c, Pulumirpc__CheckResponse, pulumirpc__check_response__init);
    if (r == NULL)
        goto cleanup;
    r->inputs = encode_struct(c, checked);
    for (size_t i = 0; i < failures.len; i++)
        if (!add_check_failure(r, failures.items[i].property, failures.items[i].reason))
            fail(c, SA_GRPC_INTERNAL, "out of memory");
    c->resp = &r->base;
cleanup:
    free(provider_region);
    sa_value_free(olds);
    sa_value_free(news);
    sa_value_free(checked);
}


static bool add_detailed_diff(Pulumirpc__DiffResponse *r, const sa_prop_diff *pd)
{
    Pulumirpc__DiffResponse__DetailedDiffEntry *e = malloc(sizeof(*e));
    Pulumirpc__PropertyDiff *v = malloc(sizeof(*v));
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
    e->key = strdup(pd->path);
    items = realloc(r->detaileddiff, (r->n_detaileddiff + 1) * sizeof(*items));
    if (items == NULL) {
        protobuf_c_message_free_unpacked(&e->base, NULL);
        return false;
    }
    r->detaileddiff = items;
    r->detaileddiff[r->n_detaileddiff++] = e;
    return e->key != NULL;
}

static void on_diff(rpc_call *c)
{
    const Pulumirpc__DiffRequest *req = (const void *)c->req;
    sa_value *olds = decode_struct(c, req->olds, SA_STACK_TYPE " state");
    sa_value *old_inputs = olds ? decode_struct(c, req->old_inputs, SA_STACK_TYPE " old inputs")
                                : NULL;
    sa_value *news = old_inputs ? decode_struct(c, req->news, SA_STACK_TYPE " inputs") : NULL;
    Pulumirpc__DiffResponse *r = NULL;
    sa_stack_diff_result d;
    sa_error err = {0};
    bool ok = true;

    if (news == NULL)
        goto cleanup;
    if (sa_stack_diff(&d, olds, old_inputs, news, &err) != SA_OK) {
        fail(c, SA_GRPC_INTERNAL, "%s", err.message);
        goto cleanup;
    }
    r = NEW(c, Pulumirpc__DiffResponse, pulumirpc__diff_response__init);
    if (r == NULL)
        goto cleanup;
    r->changes = d.changed ? PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_SOME
                           : PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_NONE;
    r->hasdetaileddiff = 1;
    for (size_t i = 0; ok && i < d.n_diffs; i++)
        ok = str_list_add(&r->diffs, &r->n_diffs, d.diffs[i]);
    for (size_t i = 0; ok && i < d.n_replaces; i++)
        ok = str_list_add(&r->replaces, &r->n_replaces, d.replaces[i]);
    for (size_t i = 0; ok && i < d.n_stables; i++)
        ok = str_list_add(&r->stables, &r->n_stables, d.stables[i]);
    for (size_t i = 0; ok && i < d.n_detailed; i++)
        ok = add_detailed_diff(r, &d.detailed[i]);
    if (!ok) {
        protobuf_c_message_free_unpacked(&r->base, NULL);
        fail(c, SA_GRPC_INTERNAL, "out of memory");
        goto cleanup;
    }
    c->resp = &r->base;
cleanup:
    sa_value_free(olds);
    sa_value_free(old_inputs);
    sa_value_free(news);
}

static int grpc_code_for(int rc)
{
    switch (rc) {
    case SA_EINVAL: return SA_GRPC_INVALID_ARGUMENT;
    case SA_ECANCELLED: return SA_GRPC_CANCELLED;
    case SA_ETIMEOUT: return SA_GRPC_DEADLINE_EXCEEDED;
    case SA_EUNSUPPORTED: return SA_GRPC_UNIMPLEMENTED;
    case SA_ENOMEM:
    case SA_EINTERNAL: return SA_GRPC_INTERNAL;
    default: return SA_GRPC_FAILED_PRECONDITION;
    }
}

/* Sets up the context of one AWS operation on a stack living in `region`; st provides the
 * account and partition (taken from the provider, or from STS now). Fails the call and returns
 * false when the provider has no AWS client. */
static bool op_begin(rpc_call *c, sa_stack_ctx *s, sa_stack_state *st, const char *region,
                     const char *urn, double timeout_s)
{
    sa_error err = {0};

    memset(s, 0, sizeof(*s));
    atomic_init(&s->calls, 0);
    pthread_mutex_lock(&c->p->lock);
    s->aws = c->p->aws;
    if (st->account[0] == '\0') {
        snprintf(st->account, sizeof(st->account), "%s", c->p->account);
        snprintf(st->partition, sizeof(st->partition), "%s", c->p->partition);
    }
    pthread_mutex_unlock(&c->p->lock);
    if (s->aws == NULL) {
        fail(c, SA_GRPC_FAILED_PRECONDITION, "%s: the secureapi provider is not configured",
             SA_STACK_TYPE);
        return false;
    }
    s->p = c->p;
    s->urn = urn;
    s->region = region;
    s->cancelled = &c->p->cancelled;
    if (timeout_s > 0)
        s->deadline_ms = sa_aws_client_now_ms(s->aws) + (int64_t)(timeout_s * 1000.0);
    if (st->account[0] == '\0' && sa_sts_identity(s, st, &err) != SA_OK) {
        fail(c, grpc_code_for(err.code), "%s: %s", SA_STACK_TYPE, err.message);
        return false;
    }
    if (st->partition[0] == '\0')
        snprintf(st->partition, sizeof(st->partition), "aws");
    s->account = st->account;
    s->partition = st->partition;
    return true;
}

/* Answers a failed Create/Update: a partial failure with what exists, or a plain error. */
static void fail_operation(rpc_call *c, const char *verb, const sa_value *inputs,
                           const sa_stack_inputs *in, const sa_stack_state *st, const sa_error *err)
{
    char id[400], message[SA_ERROR_MESSAGE_MAX + 256];
    const char *reasons[1] = {message};
    sa_value *outputs = NULL;
    sa_error e2 = {0};

    snprintf(message, sizeof(message),
             "%s %s: %s; what exists is kept in the stack's state: run `pulumi up` again to "
             "finish, or `pulumi destroy` to remove it",
             verb, SA_STACK_TYPE, err->message);
    if (!sa_stack_state_any(st)) {
        snprintf(message, sizeof(message), "%s %s: %s; nothing was created", verb, SA_STACK_TYPE,
                 err->message);
        fail(c, grpc_code_for(err->code), "%s", message);
        return;
    }
    sa_stack_id(id, sizeof(id), in);
    if (sa_stack_state_to_outputs(&outputs, inputs, st, &e2) != SA_OK ||
        sa_rpc_partial_failure(c->reply, SA_GRPC_UNKNOWN, message, id, outputs, NULL, reasons, 1,
                               &e2) != SA_OK)
        fail(c, SA_GRPC_INTERNAL, "%s (and reporting it failed: %s)", message, e2.message);
    sa_value_free(outputs);
}

static void on_create(rpc_call *c)
{
    const Pulumirpc__CreateRequest *req = (const void *)c->req;
    sa_value *inputs = NULL, *outputs = NULL;
    Pulumirpc__CreateResponse *r = NULL;
    sa_stack_inputs in;
    sa_stack_state st;
    sa_stack_ctx s;
    sa_error err = {0};
    char id[400];
    int rc;

    inputs = decode_struct(c, req->properties, SA_STACK_TYPE " inputs");
    if (inputs == NULL)
        return;
    if (req->preview) {
        /* preview: predict, touch nothing */
        rc = sa_stack_preview_outputs(&outputs, inputs, &err);
    } else {
        memset(&st, 0, sizeof(st));
        rc = sa_stack_inputs_parse(&in, inputs, &err);
        if (rc != SA_OK) {
            fail(c, SA_GRPC_INVALID_ARGUMENT, "%s", err.message);
            goto cleanup;
        }
        if (!op_begin(c, &s, &st, in.region, req->urn, req->timeout))
            goto cleanup;
        rc = sa_stack_converge(&s, &in, &st, &err);
        sa_log_debug(c->p, "Create: %d AWS calls", atomic_load(&s.calls));
        if (rc != SA_OK) {
            fail_operation(c, "creating", inputs, &in, &st, &err);
            goto cleanup;
        }
        rc = sa_stack_state_to_outputs(&outputs, inputs, &st, &err);
    }
    if (rc != SA_OK) {
        fail(c, SA_GRPC_INTERNAL, "%s", err.message);
        goto cleanup;
    }
    r = NEW(c, Pulumirpc__CreateResponse, pulumirpc__create_response__init);
    if (r == NULL)
        goto cleanup;
    if (req->preview) {
        id[0] = '\0';
    } else {
        sa_stack_id(id, sizeof(id), &in);
    }
    r->id = strdup(id);
    r->properties = encode_struct(c, outputs);
    c->resp = &r->base;
cleanup:
    sa_value_free(inputs);
    sa_value_free(outputs);
}

static void on_update(rpc_call *c)
{
    const Pulumirpc__UpdateRequest *req = (const void *)c->req;
    sa_value *olds = decode_struct(c, req->olds, SA_STACK_TYPE " state");
    sa_value *news = olds ? decode_struct(c, req->news, SA_STACK_TYPE " inputs") : NULL;
    sa_value *old_inputs = news ? decode_struct(c, req->old_inputs, SA_STACK_TYPE " old inputs")
                                : NULL;
    sa_value *outputs = NULL;
    Pulumirpc__UpdateResponse *r;
    sa_stack_inputs in;
    sa_stack_state st;
    sa_stack_ctx s;
    sa_error err = {0};
    int rc;

    if (old_inputs == NULL)
        goto cleanup;
    if (old_inputs->u.object.len == 0) {
        /* an engine that does not send old inputs: the state holds them too */
        sa_value_free(old_inputs);
        old_inputs = sa_value_copy(olds);
    }
    if (req->preview) {
        rc = sa_stack_preview_outputs(&outputs, news, &err);
        if (rc == SA_OK) {
            /* what AWS assigned stays as it is */
            static const char *const keep[] = {"apiUrl", "restApiId", "functionArn", "roleArn",
                                               "kmsKeyId", "kmsKeyArn", "logGroupArn",
                                               "deploymentId", "accountId", "region"};
            for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
                const sa_value *v = sa_value_object_get(olds, keep[i]);
                if (v != NULL)
                    sa_value_object_set(outputs, keep[i], sa_value_copy(v));
            }
        }
    } else {
        sa_stack_state_from_outputs(&st, olds);
        rc = sa_stack_inputs_parse(&in, news, &err);
        if (rc != SA_OK) {
            fail(c, SA_GRPC_INVALID_ARGUMENT, "%s", err.message);
            goto cleanup;
        }
        if (st.region[0] != '\0')
            in.region = st.region; /* where it lives */
        if (!op_begin(c, &s, &st, in.region, req->urn, req->timeout))
            goto cleanup;
        rc = sa_stack_update(&s, &in, old_inputs, news, &st, &err);
        sa_log_debug(c->p, "Update: %d AWS calls", atomic_load(&s.calls));
        if (rc != SA_OK) {
            fail_operation(c, "updating", news, &in, &st, &err);
            goto cleanup;
        }
        rc = sa_stack_state_to_outputs(&outputs, news, &st, &err);
    }
    if (rc != SA_OK) {
        fail(c, SA_GRPC_INTERNAL, "%s", err.message);
        goto cleanup;
    }
    r = NEW(c, Pulumirpc__UpdateResponse, pulumirpc__update_response__init);
    if (r != NULL) {
        r->properties = encode_struct(c, outputs);
        c->resp = &r->base;
    }
cleanup:
    sa_value_free(olds);
    sa_value_free(news);
    sa_value_free(old_inputs);
    sa_value_free(outputs);
}

static void on_delete(rpc_call *c)
{
    const Pulumirpc__DeleteRequest *req = (const void *)c->req;
    sa_value *olds = decode_struct(c, req->properties, SA_STACK_TYPE " state");
    Google__Protobuf__Empty *r;
    sa_stack_inputs in;
    sa_stack_state st;
    sa_stack_ctx s;
    sa_error err = {0};
    int rc;

    if (olds == NULL)
        return;
    sa_stack_state_from_outputs(&st, olds);
    rc = sa_stack_inputs_parse(&in, olds, &err);
    if (rc != SA_OK) {
        fail(c, SA_GRPC_INVALID_ARGUMENT, "%s", err.message);
        goto cleanup;
    }
    if (st.region[0] != '\0')
        in.region = st.region;
    if (!op_begin(c, &s, &st, in.region, req->urn, req->timeout))
        goto cleanup;
    rc = sa_stack_delete(&s, &in, &st, &err);
    sa_log_debug(c->p, "Delete: %d AWS calls", atomic_load(&s.calls));
    if (rc != SA_OK) {
        fail(c, grpc_code_for(rc), "deleting %s: %s; run `pulumi destroy` again to continue",
             SA_STACK_TYPE, err.message);
        goto cleanup;
    }
    r = NEW(c, Google__Protobuf__Empty, google__protobuf__empty__init);
    if (r != NULL)
        c->resp = &r->base;
cleanup:
    sa_value_free(olds);
}

/* Import: the checked inputs of the stack whose id is <region>/<function name>, as far as the
 * function tells (suffix); Read fills in the rest from AWS. */
static int import_inputs(rpc_call *c, const char *id, sa_value **out, char *region, size_t cap,
                         sa_error *err)
{
    const char *slash = strchr(id, '/');
    sa_value *names = NULL, *skeleton = NULL, *checked = NULL;
    sa_stack_inputs probe;
    sa_stack_state st;
    sa_stack_ctx s;
    cJSON *fn = NULL;
    const cJSON *vars, *tags;
    const char *suffix = NULL;
    sa_check_failures failures;
    sa_check_context ctx = {0};
    int rc;

    *out = NULL;
    if (slash == NULL || (size_t)(slash - id) >= cap)
        return sa_error_set(err, SA_EINVAL, "import id '%s' is not <region>/<function name>, "
                            "e.g. ap-southeast-1/secure-api-stack-dev-1a2b3c4", id);
    snprintf(region, cap, "%.*s", (int)(slash - id), id);
    if (!sa_config_region_valid(region))
        return sa_error_set(err, SA_EINVAL, "import id '%s': '%s' is not a region", id, region);
    rc = sa_stack_names_from_function(&names, region, slash + 1, err);
    if (rc != SA_OK)
        return rc;
    memset(&st, 0, sizeof(st));
    memset(&probe, 0, sizeof(probe));
    probe.function_name = slash + 1;
    if (!op_begin(c, &s, &st, region, NULL, 0)) {
        sa_value_free(names);
        return sa_error_set(err, SA_EUNSUPPORTED, "%s", c->reply->message);
    }
    rc = sa_lambda_read(&s, &probe, &st, &fn, err);
    if (rc == SA_OK && fn == NULL)
        rc = sa_error_set(err, SA_ENOTFOUND, "there is no Lambda function %s in %s", slash + 1,
                          region);
    if (rc != SA_OK)
        goto cleanup;
    vars = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(fn, "Configuration"),
                                             "Environment"),
            "Variables"),
        "ENVIRONMENT_SUFFIX");
    tags = cJSON_GetObjectItemCaseSensitive(fn, "Tags");
    suffix = cJSON_IsString(vars) ? vars->valuestring : sa_json_string(tags, "Environment");
    if (suffix == NULL) {
        rc = sa_error_set(err, SA_EINVAL, "the function %s has no ENVIRONMENT_SUFFIX: it was not "
                          "made by a SecureApiStack", slash + 1);
        goto cleanup;
    }
    skeleton = sa_value_object();
    if (skeleton == NULL ||
        sa_value_object_set(skeleton, "environmentSuffix", sa_value_string(suffix)) != SA_OK ||
        sa_value_object_set(skeleton, "region", sa_value_string(region)) != SA_OK ||
        sa_value_object_set(skeleton, SA_STACK_NAMES_KEY, names) != SA_OK) {
        names = NULL;
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        goto cleanup;
    }
    names = NULL;
    /* Check fills in the defaults and keeps the names (olds == news) */
    ctx.resource_name = "import";
    rc = sa_stack_check(&checked, skeleton, skeleton, &ctx, &failures, err);
    if (rc == SA_EINVAL)
        rc = sa_error_set(err, SA_EINVAL, "import: %s %s", failures.items[0].property,
                          failures.items[0].reason);
    if (rc == SA_OK) {
        *out = checked;
        checked = NULL;
    }
cleanup:
    cJSON_Delete(fn);
    sa_value_free(names);
    sa_value_free(skeleton);
    sa_value_free(checked);
    return rc;
}

static void on_read(rpc_call *c)
{
    const Pulumirpc__ReadRequest *req = (const void *)c->req;
    sa_value *olds = decode_struct(c, req->properties, SA_STACK_TYPE " state");
    sa_value *old_inputs = olds ? decode_struct(c, req->inputs, SA_STACK_TYPE " inputs") : NULL;
    sa_value *live = NULL, *outputs = NULL;
    Pulumirpc__ReadResponse *r;
    sa_stack_inputs in;
    sa_stack_state st;
    sa_stack_ctx s;
    sa_error err = {0};
    char region[64] = "";
    bool importing;
    int rc;

    if (old_inputs == NULL)
        goto cleanup;
    importing = olds->u.object.len == 0;
    if (importing) {
        sa_value_free(old_inputs);
        old_inputs = NULL;
        rc = import_inputs(c, req->id ? req->id : "", &old_inputs, region, sizeof(region), &err);
        if (rc != SA_OK) {
            if (c->reply->grpc_code == SA_GRPC_OK)
                fail(c, grpc_code_for(rc), "importing %s '%s': %s", SA_STACK_TYPE, req->id,
                     err.message);
            goto cleanup;
        }
    } else if (old_inputs->u.object.len == 0) {
        sa_value_free(old_inputs);
        old_inputs = sa_value_copy(olds);
    }
    sa_stack_state_from_outputs(&st, olds);
    rc = sa_stack_inputs_parse(&in, old_inputs, &err);
    if (rc != SA_OK) {
        fail(c, SA_GRPC_INVALID_ARGUMENT, "%s", err.message);
        goto cleanup;
    }
    if (st.region[0] != '\0')
        in.region = st.region;
    if (!op_begin(c, &s, &st, in.region, req->urn, req->timeout))
        goto cleanup;
    if (in.region != st.region)
        snprintf(st.region, sizeof(st.region), "%s", in.region);
    rc = sa_stack_read(&s, &in, old_inputs, &st, &live, &err);
    sa_log_debug(c->p, "Read: %d AWS calls", atomic_load(&s.calls));
    if (rc != SA_OK) {
        fail(c, grpc_code_for(rc), "reading %s: %s", SA_STACK_TYPE, err.message);
        goto cleanup;
    }
    if (importing && st.function_arn[0] != '\0') {
        uint8_t *zip = NULL;
        size_t zip_len = 0;
        char sha[64] = "";
        if (sa_lambda_package(&zip, &zip_len, sha, in.handler_code, &err) == SA_OK &&
            strcmp(sha, st.code_sha256) != 0)
            sa_engine_log(c->p, SA_SEV_WARNING, req->urn, false,
                          "the imported function's code is not the default handler; set "
                          "lambdaHandlerCode in your program to its source before the next "
                          "`pulumi up`, or the default handler replaces it");
        free(zip);
    }
    r = NEW(c, Pulumirpc__ReadResponse, pulumirpc__read_response__init);
    if (r == NULL)
        goto cleanup;
    if (!sa_stack_state_any(&st)) {
        /* every piece is gone: so is the resource */
        r->id = strdup("");
    } else {
        rc = sa_stack_state_to_outputs(&outputs, live, &st, &err);
        if (rc != SA_OK) {
            protobuf_c_message_free_unpacked(&r->base, NULL);
            fail(c, SA_GRPC_INTERNAL, "%s", err.message);
            goto cleanup;
        }
        r->id = strdup(req->id ? req->id : "");
        r->properties = encode_struct(c, outputs);
        r->inputs = encode_struct(c, live);
    }
    c->resp = &r->base;
cleanup:
    sa_value_free(olds);
    sa_value_free(old_inputs);
    sa_value_free(live);
    sa_value_free(outputs);
}

#define RP "/pulumirpc.ResourceProvider/"

static const rpc_method methods[] = {
    {RP "Handshake", &pulumirpc__provider_handshake_request__descriptor, on_handshake},
    {RP "GetPluginInfo", &google__protobuf__empty__descriptor, on_get_plugin_info},
    {RP "GetSchema", &pulumirpc__get_schema_request__descriptor, on_get_schema},
    {RP "CheckConfig", &pulumirpc__check_request__descriptor, on_check_config},
    {RP "DiffConfig", &pulumirpc__diff_request__descriptor, on_diff_config},
    {RP "Configure", &pulumirpc__configure_request__descriptor, on_configure},
    {RP "Check", &pulumirpc__check_request__descriptor, on_check},
    {RP "Diff", &pulumirpc__diff_request__descriptor, on_diff},
    {RP "Create", &pulumirpc__create_request__descriptor, on_create},
    {RP "Read", &pulumirpc__read_request__descriptor, on_read},
    {RP "Update", &pulumirpc__update_request__descriptor, on_update},
    {RP "Delete", &pulumirpc__delete_request__descriptor, on_delete},
    {RP "Cancel", &google__protobuf__empty__descriptor, on_cancel},
    {RP "Attach", &pulumirpc__plugin_attach__descriptor, on_attach},
};

void sa_rpc_dispatch(sa_provider *p, const char *method, const uint8_t *req, size_t req_len,
                     sa_rpc_reply *out)
{
    const rpc_method *m = NULL;
    rpc_call c = {.p = p, .reply = out};
    ProtobufCMessage *request = NULL;
    struct timespec t0, t1;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strcmp(methods[i].path, method) == 0) {
            m = &methods[i];
            break;
        }
    }
    if (m == NULL) {
        fail(&c, SA_GRPC_UNIMPLEMENTED, "method %s is not implemented by pulumi-resource-secureapi",
             method);
        return;
    }
    request = protobuf_c_message_unpack(m->request, NULL, req_len, req);
    if (request == NULL) {
        fail(&c, SA_GRPC_INVALID_ARGUMENT, "%s: the request is not a valid %s message", method,
             m->request->name);
        return;
    }
    c.req = request;
    sa_log_debug(p, "rpc %s", method);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    m->handler(&c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sa_log_debug(p, "rpc %s done in %.3f ms (status %d)", method,
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
                 out->grpc_code);
    if (c.resp != NULL && out->grpc_code == SA_GRPC_OK) {
        out->body_len = protobuf_c_message_get_packed_size(c.resp);
        out->body = malloc(out->body_len ? out->body_len : 1);
        if (out->body == NULL)
            fail(&c, SA_GRPC_INTERNAL, "out of memory");
        else
            protobuf_c_message_pack(c.resp, out->body);
    } else if (out->grpc_code == SA_GRPC_OK) {
        fail(&c, SA_GRPC_INTERNAL, "%s produced no response", method);
    }
    if (c.resp != NULL)
        protobuf_c_message_free_unpacked(c.resp, NULL);
    protobuf_c_message_free_unpacked(request, NULL);
}

static uint8_t *pack_message(const ProtobufCMessage *m, size_t *len_out)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);

    if (buf != NULL)
        protobuf_c_message_pack(m, buf);
    *len_out = n;
    return buf;
}

int sa_rpc_partial_failure(sa_rpc_reply *out, int grpc_code, const char *message, const char *id,
                           const sa_value *properties, const sa_value *inputs,
                           const char *const *reasons, size_t n_reasons, sa_error *err)
{
    Pulumirpc__ErrorResourceInitFailed detail = PULUMIRPC__ERROR_RESOURCE_INIT_FAILED__INIT;
    Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
    Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
    Google__Protobuf__Any *details[1] = {&any};
    uint8_t *detail_bytes = NULL;
    size_t detail_len = 0;
    int rc = SA_OK;

    detail.id = (char *)(id ? id : "");
    detail.reasons = (char **)reasons;
    detail.n_reasons = n_reasons;
    if (properties != NULL && (rc = sa_value_to_struct(&detail.properties, properties, err)) != SA_OK)
        goto cleanup;
    if (inputs != NULL && (rc = sa_value_to_struct(&detail.inputs, inputs, err)) != SA_OK)
        goto cleanup;
    detail_bytes = pack_message(&detail.base, &detail_len);
    if (detail_bytes == NULL) {
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        goto cleanup;
    }
    any.type_url = "type.googleapis.com/pulumirpc.ErrorResourceInitFailed";
    any.value.data = detail_bytes;
    any.value.len = detail_len;
    status.code = grpc_code;
    status.message = (char *)message;
    status.details = details;
    status.n_details = 1;
    free(out->status_details);
    out->status_details = pack_message(&status.base, &out->status_details_len);
    free(out->message);
    out->message = strdup(message);
    out->grpc_code = grpc_code;
    if (out->status_details == NULL || out->message == NULL)
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");

cleanup:
    if (detail.properties != NULL)
        protobuf_c_message_free_unpacked(&detail.properties->base, NULL);
    if (detail.inputs != NULL)
        protobuf_c_message_free_unpacked(&detail.inputs->base, NULL);
    free(detail_bytes);
    return rc;
}

void sa_rpc_reply_dispose(sa_rpc_reply *r)
{
    if (r == NULL)
        return;
    free(r->message);
    free(r->body);
    free(r->status_details);
    memset(r, 0, sizeof(*r));
}
