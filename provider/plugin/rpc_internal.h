/*
 * What the RPC handlers share (rpc.c, rpc_provider.c, rpc_resource.c): one call's context, the
 * way a handler fails it, and the helpers that build protobuf-c responses from heap memory only,
 * so one protobuf_c_message_free_unpacked releases a response whatever path produced it.
 */
#ifndef SA_PLUGIN_RPC_INTERNAL_H
#define SA_PLUGIN_RPC_INTERNAL_H

#include <stdbool.h>

#include "google/protobuf/struct.pb-c.h"
#include "plugin/rpc.h"
#include "pulumi/provider.pb-c.h"

typedef struct rpc_call {
    sa_provider *p;
    const char *method; /* "Create" */
    const ProtobufCMessage *req;
    ProtobufCMessage *resp; /* set by the handler on success */
    sa_rpc_reply *reply;
} rpc_call;

typedef void (*rpc_handler)(rpc_call *c);

/* Fails the call with a gRPC code and a one-line message. */
void sa_rpc_fail(rpc_call *c, int grpc_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Makes r (when not NULL) the call's response when ok; otherwise frees it and fails the call as
 * out of memory (unless it failed already). */
void sa_rpc_respond(rpc_call *c, ProtobufCMessage *r, bool ok);

/* Fails the call as out of memory, naming the method. */
void sa_rpc_fail_oom(rpc_call *c);

/* The gRPC code for an sa_status. */
int sa_rpc_grpc_code(int status);

/* A new, initialised response message (NULL, with the call failed, when out of memory). */
void *sa_rpc_new_message(rpc_call *c, size_t size, void (*init)(void *));
#define NEW(c, T, init_fn) ((T *)sa_rpc_new_message((c), sizeof(T), (void (*)(void *))(init_fn)))

/* A request Struct as a value; NULL (with the call failed, INVALID_ARGUMENT) on bad input. */
sa_value *sa_rpc_decode(rpc_call *c, const Google__Protobuf__Struct *s, const char *what);
/* A value as a response Struct; NULL (with the call failed) when out of memory. */
Google__Protobuf__Struct *sa_rpc_encode(rpc_call *c, const sa_value *v);

/* Appends to a repeated string field of a response. */
bool sa_rpc_add_string(char ***list, size_t *n, const char *s);

/* One CheckFailure. */
typedef struct sa_rpc_failure {
    const char *property, *reason;
} sa_rpc_failure;

/* Answers Check or CheckConfig: the checked inputs and the failures. */
void sa_rpc_answer_check(rpc_call *c, const sa_value *inputs, const sa_rpc_failure *failures,
                         size_t n);

/* The process environment, as the seam the pure layers take (secure_getenv). */
const char *sa_rpc_getenv(const char *name);

/* The handlers, by file. */
void sa_rpc_handshake(rpc_call *c);
void sa_rpc_get_plugin_info(rpc_call *c);
void sa_rpc_get_schema(rpc_call *c);
void sa_rpc_check_config(rpc_call *c);
void sa_rpc_diff_config(rpc_call *c);
void sa_rpc_configure(rpc_call *c);
void sa_rpc_cancel(rpc_call *c);
void sa_rpc_attach(rpc_call *c);
void sa_rpc_check(rpc_call *c);
void sa_rpc_diff(rpc_call *c);
void sa_rpc_create(rpc_call *c);
void sa_rpc_read(rpc_call *c);
void sa_rpc_update(rpc_call *c);
void sa_rpc_delete(rpc_call *c);

#endif
