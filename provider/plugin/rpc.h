/*
 * The transport-free side of the plugin protocol: a table from gRPC method path to handler, and
 * sa_rpc_dispatch, which turns one request's bytes into a reply (status, message, response bytes
 * and an optional google.rpc.Status detail for grpc-status-details-bin). The gRPC server
 * (server.c) only moves bytes; everything here can be driven from unit tests without a socket.
 */
#ifndef SA_RPC_H
#define SA_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/value.h"
#include "plugin/provider.h"

/* gRPC status codes we answer with (values are gRPC's). */
enum {
    SA_GRPC_OK = 0,
    SA_GRPC_CANCELLED = 1,
    SA_GRPC_UNKNOWN = 2,
    SA_GRPC_INVALID_ARGUMENT = 3,
    SA_GRPC_DEADLINE_EXCEEDED = 4,
    SA_GRPC_NOT_FOUND = 5,
    SA_GRPC_FAILED_PRECONDITION = 9,
    SA_GRPC_UNIMPLEMENTED = 12,
    SA_GRPC_INTERNAL = 13,
    SA_GRPC_UNAVAILABLE = 14,
};

typedef struct sa_rpc_reply {
    int grpc_code; /* SA_GRPC_* */
    char *message; /* owned; NULL when OK */
    uint8_t *body; /* owned packed response; NULL with len 0 for an empty message */
    size_t body_len;
    uint8_t *status_details; /* owned packed google.rpc.Status, or NULL */
    size_t status_details_len;
} sa_rpc_reply;

/* Handles one unary call. Never fails: errors become a non-OK grpc_code with a message. */
void sa_rpc_dispatch(sa_provider *p, const char *method, const uint8_t *req, size_t req_len,
                     sa_rpc_reply *out);

/* Makes *out a partial failure: a non-OK status whose google.rpc.Status detail is a
 * pulumirpc.ErrorResourceInitFailed carrying the id, the live outputs (and, for Read, inputs)
 * and the reasons, so the engine keeps what exists in its state. properties/inputs may be NULL. */
int sa_rpc_partial_failure(sa_rpc_reply *out, int grpc_code, const char *message, const char *id,
                           const sa_value *properties, const sa_value *inputs,
                           const char *const *reasons, size_t n_reasons, sa_error *err);

/* Frees the insides of a reply. */
void sa_rpc_reply_dispose(sa_rpc_reply *r);

#endif
