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

#include "google/protobuf/empty.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "log.h"
#include "pulumi/plugin.pb-c.h"
#include "pulumi/provider.pb-c.h"

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

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* Deep copy of a Struct through pack/unpack; NULL in, NULL out. */
static Google__Protobuf__Struct *struct_copy(const Google__Protobuf__Struct *s)
{
    size_t n;
    uint8_t *buf;
    Google__Protobuf__Struct *copy;

    if (s == NULL)
        return NULL;
    n = protobuf_c_message_get_packed_size(&s->base);
    buf = malloc(n ? n : 1);
    if (buf == NULL)
        return NULL;
    protobuf_c_message_pack(&s->base, buf);
    copy = google__protobuf__struct__unpack(NULL, n, buf);
    free(buf);
    return copy;
}

/* The string value of a top-level Struct field, looking through a secret wrapper; NULL if absent
 * or not a string. Borrowed from s. */
static const char *struct_get_string(const Google__Protobuf__Struct *s, const char *key)
{
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < s->n_fields; i++) {
        const Google__Protobuf__Value *v = s->fields[i]->value;
        if (strcmp(s->fields[i]->key, key) != 0 || v == NULL)
            continue;
        if (v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE)
            return v->string_value;
        if (v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE)
            return struct_get_string(v->struct_value, "value");
        return NULL;
    }
    return NULL;
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
    Pulumirpc__ProviderHandshakeResponse *r =
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

static void on_check_config(rpc_call *c)
{
    const Pulumirpc__CheckRequest *req = (const void *)c->req;
    Pulumirpc__CheckResponse *r = NEW(c, Pulumirpc__CheckResponse, pulumirpc__check_response__init);
    if (r == NULL)
        return;
    r->inputs = struct_copy(req->news);
    c->resp = &r->base;
}

static void on_diff_config(rpc_call *c)
{
    const Pulumirpc__DiffRequest *req = (const void *)c->req;
    const char *old_region = struct_get_string(req->olds, "region");
    const char *new_region = struct_get_string(req->news, "region");
    Pulumirpc__DiffResponse *r = NEW(c, Pulumirpc__DiffResponse, pulumirpc__diff_response__init);

    if (r == NULL)
        return;
    r->changes = PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_NONE;
    if ((old_region == NULL) != (new_region == NULL) ||
        (old_region != NULL && strcmp(old_region, new_region) != 0)) {
        r->changes = PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_SOME;
        r->n_replaces = 1;
        r->replaces = malloc(sizeof(char *));
        r->n_diffs = 1;
        r->diffs = malloc(sizeof(char *));
        if (r->replaces == NULL || r->diffs == NULL) {
            protobuf_c_message_free_unpacked(&r->base, NULL);
            fail(c, SA_GRPC_INTERNAL, "out of memory");
            return;
        }
        r->replaces[0] = strdup("region");
        r->diffs[0] = strdup("region");
    }
    c->resp = &r->base;
}

static void on_configure(rpc_call *c)
{
    const Pulumirpc__ConfigureRequest *req = (const void *)c->req;
    const char *region = struct_get_string(req->args, "region");
    Pulumirpc__ConfigureResponse *r;

    pthread_mutex_lock(&c->p->lock);
    free(c->p->region);
    c->p->region = dup_or_null(region);
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

static void on_cancel(rpc_call *c)
{
    Google__Protobuf__Empty *r = NEW(c, Google__Protobuf__Empty, google__protobuf__empty__init);

    atomic_store(&c->p->cancelled, true);
    sa_log_debug(c->p, "Cancel: in-flight work stops at its next AWS call or wait");
    if (r != NULL)
        c->resp = &r->base;
}

/* ---- the resource: filled in by the SecureApiStack implementation ---- */

static void not_yet(rpc_call *c, const char *op)
{
    fail(c, SA_GRPC_UNIMPLEMENTED,
         "%s: %s is not implemented yet in pulumi-resource-secureapi v%s; no AWS resource was "
         "created or changed",
         RESOURCE_TYPE, op, c->p->version);
}

static void on_check(rpc_call *c) { not_yet(c, "Check"); }
static void on_diff(rpc_call *c) { not_yet(c, "Diff"); }
static void on_create(rpc_call *c) { not_yet(c, "Create"); }
static void on_read(rpc_call *c) { not_yet(c, "Read"); }
static void on_update(rpc_call *c) { not_yet(c, "Update"); }
static void on_delete(rpc_call *c) { not_yet(c, "Delete"); }

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
};

void sa_rpc_dispatch(sa_provider *p, const char *method, const uint8_t *req, size_t req_len,
                     sa_rpc_reply *out)
{
    const rpc_method *m = NULL;
    rpc_call c = {.p = p, .reply = out};
    ProtobufCMessage *request = NULL;

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
    m->handler(&c);
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

void sa_rpc_reply_dispose(sa_rpc_reply *r)
{
    if (r == NULL)
        return;
    free(r->message);
    free(r->body);
    free(r->status_details);
    memset(r, 0, sizeof(*r));
}
