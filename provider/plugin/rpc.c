/*
 * Dispatch of provider RPCs (see rpc.h): the method table, unpacking of requests with protobuf-c,
 * the helpers every handler uses (rpc_internal.h), and the partial-failure detail. The handlers
 * live by concern in rpc_provider.c (the plugin and its configuration) and rpc_resource.c
 * (SecureApiStack). Every response is built from heap memory only, so one
 * protobuf_c_message_free_unpacked releases it whatever path produced it.
 */
#include "plugin/rpc.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "plugin/log.h"
#include "plugin/rpc_internal.h"
#include "plugin/value_struct.h"
#include "pulumi/plugin.pb-c.h"

void sa_rpc_fail(rpc_call *c, int grpc_code, const char *fmt, ...)
{
    va_list ap;
    char buf[SA_ERROR_MESSAGE_MAX + 512];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    c->reply->grpc_code = grpc_code;
    free(c->reply->message);
    c->reply->message = sa_strdup(buf);
}

void sa_rpc_respond(rpc_call *c, ProtobufCMessage *r, bool ok)
{
    if (r == NULL)
        return;
    if (ok) {
        c->resp = r;
        return;
    }
    protobuf_c_message_free_unpacked(r, NULL);
    if (c->reply->grpc_code == SA_GRPC_OK)
        sa_rpc_fail_oom(c);
}

void sa_rpc_fail_oom(rpc_call *c)
{
    sa_rpc_fail(c, SA_GRPC_INTERNAL, "%s: the plugin ran out of memory",
                c->method ? c->method : "the call");
}

int sa_rpc_grpc_code(int status)
{
    switch (status) {
    case SA_EINVAL:
        return SA_GRPC_INVALID_ARGUMENT;
    case SA_ECANCELLED:
        return SA_GRPC_CANCELLED;
    case SA_ETIMEOUT:
        return SA_GRPC_DEADLINE_EXCEEDED;
    case SA_EUNSUPPORTED:
        return SA_GRPC_UNIMPLEMENTED;
    case SA_ENOMEM:
    case SA_EINTERNAL:
        return SA_GRPC_INTERNAL;
    default:
        return SA_GRPC_FAILED_PRECONDITION;
    }
}

void *sa_rpc_new_message(rpc_call *c, size_t size, void (*init)(void *))
{
    void *m = sa_malloc(size);

    if (m == NULL) {
        sa_rpc_fail_oom(c);
        return NULL;
    }
    init(m);
    return m;
}

sa_value *sa_rpc_decode(rpc_call *c, const Google__Protobuf__Struct *s, const char *what)
{
    sa_value *v = NULL;
    sa_error err = {0};

    if (sa_value_from_struct(&v, s, &err) != SA_OK) {
        sa_rpc_fail(c, err.code == SA_ENOMEM ? SA_GRPC_INTERNAL : SA_GRPC_INVALID_ARGUMENT,
                    "%s: %s", what, err.message);
        return NULL;
    }
    return v;
}

Google__Protobuf__Struct *sa_rpc_encode(rpc_call *c, const sa_value *v)
{
    Google__Protobuf__Struct *s = NULL;
    sa_error err = {0};

    if (sa_value_to_struct(&s, v, &err) != SA_OK)
        sa_rpc_fail(c, SA_GRPC_INTERNAL, "%s", err.message);
    return s;
}

bool sa_rpc_add_string(char ***list, size_t *n, const char *s)
{
    char **items = sa_realloc(*list, (*n + 1) * sizeof(char *));

    if (items == NULL)
        return false;
    *list = items;
    items[*n] = sa_strdup(s);
    if (items[*n] == NULL)
        return false;
    (*n)++;
    return true;
}

static bool add_check_failure(Pulumirpc__CheckResponse *r, const char *property, const char *reason)
{
    Pulumirpc__CheckFailure *f = sa_malloc(sizeof(*f));
    Pulumirpc__CheckFailure **items;

    if (f == NULL)
        return false;
    pulumirpc__check_failure__init(f);
    items = sa_realloc(r->failures, (r->n_failures + 1) * sizeof(*items));
    if (items == NULL) {
        free(f);
        return false;
    }
    r->failures = items;
    r->failures[r->n_failures++] = f;
    f->property = sa_strdup(property);
    f->reason = sa_strdup(reason);
    return f->property != NULL && f->reason != NULL;
}

void sa_rpc_answer_check(rpc_call *c, const sa_value *inputs, const sa_rpc_failure *failures,
                         size_t n)
{
    Pulumirpc__CheckResponse *r = NEW(c, Pulumirpc__CheckResponse, pulumirpc__check_response__init);
    bool ok;

    if (r == NULL)
        return;
    r->inputs = sa_rpc_encode(c, inputs);
    ok = r->inputs != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = add_check_failure(r, failures[i].property, failures[i].reason);
    sa_rpc_respond(c, &r->base, ok);
}

#define RP "/pulumirpc.ResourceProvider/"

typedef struct rpc_method {
    const char *path;
    const ProtobufCMessageDescriptor *request;
    rpc_handler handler;
} rpc_method;

static const rpc_method methods[] = {
    {RP "Handshake", &pulumirpc__provider_handshake_request__descriptor, sa_rpc_handshake},
    {RP "GetPluginInfo", &google__protobuf__empty__descriptor, sa_rpc_get_plugin_info},
    {RP "GetSchema", &pulumirpc__get_schema_request__descriptor, sa_rpc_get_schema},
    {RP "CheckConfig", &pulumirpc__check_request__descriptor, sa_rpc_check_config},
    {RP "DiffConfig", &pulumirpc__diff_request__descriptor, sa_rpc_diff_config},
    {RP "Configure", &pulumirpc__configure_request__descriptor, sa_rpc_configure},
    {RP "Check", &pulumirpc__check_request__descriptor, sa_rpc_check},
    {RP "Diff", &pulumirpc__diff_request__descriptor, sa_rpc_diff},
    {RP "Create", &pulumirpc__create_request__descriptor, sa_rpc_create},
    {RP "Read", &pulumirpc__read_request__descriptor, sa_rpc_read},
    {RP "Update", &pulumirpc__update_request__descriptor, sa_rpc_update},
    {RP "Delete", &pulumirpc__delete_request__descriptor, sa_rpc_delete},
    {RP "Cancel", &google__protobuf__empty__descriptor, sa_rpc_cancel},
    {RP "Attach", &pulumirpc__plugin_attach__descriptor, sa_rpc_attach},
};

void sa_rpc_dispatch(sa_provider *p, const char *method, const uint8_t *req, size_t req_len,
                     sa_rpc_reply *out)
{
    const rpc_method *m = NULL;
    rpc_call c = {.p = p, .reply = out};
    ProtobufCMessage *request = NULL;
    struct timespec t0, t1;
    bool armed;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < SA_N(methods); i++) {
        if (strcmp(methods[i].path, method) == 0) {
            m = &methods[i];
            break;
        }
    }
    if (m == NULL) {
        sa_rpc_fail(&c, SA_GRPC_UNIMPLEMENTED,
                    "method %s is not implemented by pulumi-resource-secureapi", method);
        return;
    }
    request = protobuf_c_message_unpack(m->request, NULL, req_len, req);
    if (request == NULL) {
        sa_rpc_fail(&c, SA_GRPC_INVALID_ARGUMENT, "%s: the request is not a valid %s message",
                    method, m->request->name);
        return;
    }
    c.req = request;
    c.method = m->path + strlen(RP);
    sa_log_debug(p, "rpc %s", method);
    /* an alloc_testing build counts (and fails) the allocations of the method under test */
    armed = sa_alloc_method_armed(c.method);
    if (armed)
        sa_alloc_arm();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    m->handler(&c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (armed) {
        sa_alloc_disarm();
        /* the test harness reads this line (tests/alloc) */
        fprintf(stderr,
                "pulumi-resource-secureapi: alloc: %s counted %llu allocations, failing "
                "number %llu: %s\n",
                c.method, (unsigned long long)sa_alloc_count(),
                (unsigned long long)sa_alloc_fail_target(), sa_alloc_failed() ? "failed" : "no");
        sa_alloc_next();
    }
    sa_log_debug(p, "rpc %s done in %.3f ms (status %d)", method,
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
                 out->grpc_code);
    if (c.resp != NULL && out->grpc_code == SA_GRPC_OK) {
        out->body_len = protobuf_c_message_get_packed_size(c.resp);
        out->body = sa_malloc(out->body_len ? out->body_len : 1);
        if (out->body == NULL)
            sa_rpc_fail_oom(&c);
        else
            protobuf_c_message_pack(c.resp, out->body);
    } else if (out->grpc_code == SA_GRPC_OK) {
        sa_rpc_fail(&c, SA_GRPC_INTERNAL, "%s produced no response", method);
    }
    if (c.resp != NULL)
        protobuf_c_message_free_unpacked(c.resp, NULL);
    protobuf_c_message_free_unpacked(request, NULL);
}

static uint8_t *pack_message(const ProtobufCMessage *m, size_t *len_out)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = sa_malloc(n ? n : 1);

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
    if (properties != NULL &&
        (rc = sa_value_to_struct(&detail.properties, properties, err)) != SA_OK)
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
    out->message = sa_strdup(message);
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
