/*
 * Engine Log client (see engine.h) on gRPC C core: one lazily made insecure channel to the engine,
 * shared by every worker (gRPC channels are thread-safe), and one unary call per message with a
 * short deadline on its own completion queue.
 */
#include "plugin/engine.h"
#include "base/alloc.h"

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/log.h"
#include "pulumi/engine.pb-c.h"

#define LOG_DEADLINE_MS 5000

int sa_engine_set_address(sa_provider *p, const char *address)
{
    char *copy = address ? sa_strdup(address) : NULL;

    if (address != NULL && copy == NULL)
        return SA_ENOMEM;
    pthread_mutex_lock(&p->lock);
    if (p->engine_channel != NULL &&
        (p->engine_address == NULL || copy == NULL || strcmp(p->engine_address, copy) != 0)) {
        grpc_channel_destroy(p->engine_channel);
        p->engine_channel = NULL;
    }
    free(p->engine_address);
    p->engine_address = copy;
    pthread_mutex_unlock(&p->lock);
    return SA_OK;
}

void sa_engine_close(sa_provider *p)
{
    pthread_mutex_lock(&p->lock);
    if (p->engine_channel != NULL)
        grpc_channel_destroy(p->engine_channel);
    p->engine_channel = NULL;
    pthread_mutex_unlock(&p->lock);
}

static grpc_channel *engine_channel(sa_provider *p)
{
    grpc_channel *ch;

    pthread_mutex_lock(&p->lock);
    if (p->engine_channel == NULL && p->engine_address != NULL) {
        grpc_channel_credentials *creds = grpc_insecure_credentials_create();
        p->engine_channel = grpc_channel_create(p->engine_address, creds, NULL);
        grpc_channel_credentials_release(creds);
    }
    ch = p->engine_channel;
    pthread_mutex_unlock(&p->lock);
    return ch;
}

static void send_log(sa_provider *p, const Pulumirpc__LogRequest *req)
{
    grpc_channel *ch = engine_channel(p);
    grpc_completion_queue *cq = NULL;
    grpc_call *call = NULL;
    grpc_byte_buffer *send = NULL, *recv = NULL;
    grpc_metadata_array initial_md, trailing_md;
    grpc_status_code status = GRPC_STATUS_OK;
    grpc_slice details = grpc_empty_slice();
    grpc_op ops[6];
    uint8_t *buf = NULL;
    size_t len;
    gpr_timespec deadline;
    grpc_event ev;

    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);
    if (ch == NULL)
        goto cleanup;
    len = pulumirpc__log_request__get_packed_size(req);
    buf = sa_malloc(len ? len : 1);
    if (buf == NULL)
        goto cleanup;
    pulumirpc__log_request__pack(req, buf);
    {
        grpc_slice body = grpc_slice_from_copied_buffer((const char *)buf, len);
        send = grpc_raw_byte_buffer_create(&body, 1);
        grpc_slice_unref(body);
    }
    cq = grpc_completion_queue_create_for_pluck(NULL);
    deadline = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                            gpr_time_from_millis(LOG_DEADLINE_MS, GPR_TIMESPAN));
    call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                    grpc_slice_from_static_string("/pulumirpc.Engine/Log"), NULL,
                                    deadline, NULL);
    if (call == NULL)
        goto cleanup;
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
    ops[5].data.recv_status_on_client.status = &status;
    ops[5].data.recv_status_on_client.status_details = &details;
    if (grpc_call_start_batch(call, ops, 6, ops, NULL) != GRPC_CALL_OK)
        goto cleanup;
    ev = grpc_completion_queue_pluck(cq, ops, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type != GRPC_OP_COMPLETE || status != GRPC_STATUS_OK)
        sa_log_debug(p, "engine Log failed with status %d", (int)status);

cleanup:
    if (call != NULL)
        grpc_call_unref(call);
    if (cq != NULL) {
        grpc_completion_queue_shutdown(cq);
        grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        grpc_completion_queue_destroy(cq);
    }
    if (send != NULL)
        grpc_byte_buffer_destroy(send);
    if (recv != NULL)
        grpc_byte_buffer_destroy(recv);
    grpc_slice_unref(details);
    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
    free(buf);
}

void sa_engine_log(sa_provider *p, sa_severity severity, const char *urn, bool ephemeral,
                   const char *fmt, ...)
{
    Pulumirpc__LogRequest req = PULUMIRPC__LOG_REQUEST__INIT;
    char message[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    sa_log_debug(p, "log %d %s: %s", (int)severity, urn ? urn : "-", message);
    req.severity = (Pulumirpc__LogSeverity)severity;
    req.message = message;
    req.urn = (char *)(urn ? urn : "");
    req.ephemeral = ephemeral;
    send_log(p, &req);
}
