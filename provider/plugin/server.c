/*
 * gRPC C core server for the provider protocol. One acceptor loop (the main thread) keeps
 * several grpc_server_request_call slots outstanding on a notification queue; each accepted call
 * is handed to a worker thread that reads the request, runs sa_rpc_dispatch and sends
 * the reply on the call's own pluck queue, so a slow Create never delays another call. At
 * shutdown the server waits for its workers to finish (they see the provider's cancel flag), so
 * the provider and the libraries are never torn down under a running call. The stop request
 * (SIGINT/SIGTERM, Windows' console control events) and the watch on the engine, our parent, go
 * through the platform layer (base/platform.h). The only global state is the signal flag the
 * signal thread sets and the worker registry. See ../shared notes grpc-c-core.md.
 */
#include "plugin/server.h"
#include "base/alloc.h"
#include "base/platform.h"

#include <errno.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/log.h"
#include "plugin/rpc.h"

#define ACCEPT_SLOTS 8
#define DRAIN_SECONDS 30 /* how long shutdown waits for running calls to see the cancel flag */
#define MAX_MESSAGE_BYTES (400 * 1024 * 1024) /* the engine's limit */

/* One outstanding request_call: filled by gRPC when a call arrives. */
typedef struct call_slot {
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array request_metadata;
    grpc_completion_queue *cq; /* pluck queue bound to this call */
    sa_provider *provider;
} call_slot;

static atomic_int g_stop_signal; /* the signal that asked us to stop, 0 if none */

/* The worker threads: how many are running, and the finished ones not yet joined. Workers are
 * joined (not detached) so that shutdown knows each one is fully gone, its thread-local state
 * (libxml2's, curl's) freed, before the libraries are cleaned up. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t idle; /* signalled when live drops to 0 */
    int live;
    pthread_t *done; /* finished, to be joined */
    size_t done_n, done_cap;
} g_workers = {.lock = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

/* Counts a worker in (+1, before it starts) or out (-1, when it could not start). */
static void workers_count(int delta)
{
    pthread_mutex_lock(&g_workers.lock);
    g_workers.live += delta;
    if (g_workers.live == 0)
        pthread_cond_broadcast(&g_workers.idle);
    pthread_mutex_unlock(&g_workers.lock);
}

/* A worker's last act: hand its id to the reaper and count itself out. */
static void worker_finished(void)
{
    pthread_mutex_lock(&g_workers.lock);
    if (g_workers.done_n == g_workers.done_cap) {
        size_t cap = g_workers.done_cap ? g_workers.done_cap * 2 : 16;
        pthread_t *grown = sa_realloc(g_workers.done, cap * sizeof(*grown));
        if (grown != NULL) {
            g_workers.done = grown;
            g_workers.done_cap = cap;
        }
    }
    if (g_workers.done_n < g_workers.done_cap)
        g_workers.done[g_workers.done_n++] = pthread_self();
    else
        pthread_detach(pthread_self()); /* no room to record it: it cleans up after itself */
    if (--g_workers.live == 0)
        pthread_cond_broadcast(&g_workers.idle);
    pthread_mutex_unlock(&g_workers.lock);
}

/* Joins the workers that have finished. */
static void workers_reap(void)
{
    pthread_t *done;
    size_t n;

    pthread_mutex_lock(&g_workers.lock);
    done = g_workers.done;
    n = g_workers.done_n;
    g_workers.done = NULL;
    g_workers.done_n = g_workers.done_cap = 0;
    pthread_mutex_unlock(&g_workers.lock);
    for (size_t i = 0; i < n; i++)
        pthread_join(done[i], NULL);
    free(done);
}

/* Waits up to DRAIN_SECONDS for every worker to finish and joins them; returns the number still
 * running. */
static int workers_drain(void)
{
    struct timespec until;
    int left;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += DRAIN_SECONDS;
    pthread_mutex_lock(&g_workers.lock);
    while (g_workers.live > 0) {
        if (pthread_cond_timedwait(&g_workers.idle, &g_workers.lock, &until) == ETIMEDOUT)
            break;
    }
    left = g_workers.live;
    pthread_mutex_unlock(&g_workers.lock);
    workers_reap();
    return left;
}

static void *signal_thread_main(void *arg)
{
    int sig = sa_platform_stop_signal_wait();

    (void)arg;
    if (sig != 0)
        atomic_store(&g_stop_signal, sig);
    return NULL;
}

static gpr_timespec deadline_ms(int ms)
{
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static void slot_free(call_slot *s)
{
    if (s == NULL)
        return;
    grpc_call_details_destroy(&s->details);
    grpc_metadata_array_destroy(&s->request_metadata);
    if (s->call != NULL)
        grpc_call_unref(s->call);
    if (s->cq != NULL) {
        grpc_completion_queue_shutdown(s->cq);
        grpc_completion_queue_pluck(s->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        grpc_completion_queue_destroy(s->cq);
    }
    free(s);
}

static call_slot *slot_new(sa_provider *p)
{
    call_slot *s = sa_calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    grpc_call_details_init(&s->details);
    grpc_metadata_array_init(&s->request_metadata);
    s->cq = grpc_completion_queue_create_for_pluck(NULL);
    s->provider = p;
    return s;
}

static int request_slot(grpc_server *server, grpc_completion_queue *notify_cq, call_slot *s)
{
    grpc_call_error e = grpc_server_request_call(server, &s->call, &s->details,
                                                 &s->request_metadata, s->cq, notify_cq, s);
    return e == GRPC_CALL_OK ? SA_OK : SA_EIO;
}

/* Runs a batch on the call's pluck queue and waits for it. */
static bool run_batch(call_slot *s, const grpc_op *ops, size_t n)
{
    void *tag = (void *)ops;
    grpc_event ev;

    if (grpc_call_start_batch(s->call, ops, n, tag, NULL) != GRPC_CALL_OK)
        return false;
    ev = grpc_completion_queue_pluck(s->cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    return ev.type == GRPC_OP_COMPLETE && ev.success;
}

static char *slice_to_cstr(grpc_slice sl)
{
    size_t n = GRPC_SLICE_LENGTH(sl);
    char *s = sa_malloc(n + 1);

    if (s != NULL) {
        memcpy(s, GRPC_SLICE_START_PTR(sl), n);
        s[n] = '\0';
    }
    return s;
}

static void *worker_main(void *arg)
{
    call_slot *s = arg;
    grpc_byte_buffer *req_buf = NULL;
    grpc_slice req_slice = grpc_empty_slice();
    sa_rpc_reply reply = {0};
    char *method = slice_to_cstr(s->details.method);
    grpc_op ops[4];
    grpc_metadata trailer;
    grpc_slice status_details = grpc_empty_slice();
    grpc_byte_buffer *resp_buf = NULL;
    int cancelled = 0;
    size_t n = 0;

    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_RECV_MESSAGE;
    ops[0].data.recv_message.recv_message = &req_buf;
    if (!run_batch(s, ops, 1)) {
        sa_log_debug(s->provider, "rpc %s: could not read the request", method ? method : "?");
        goto cleanup;
    }
    if (req_buf != NULL) {
        grpc_byte_buffer_reader reader;
        if (grpc_byte_buffer_reader_init(&reader, req_buf)) {
            req_slice = grpc_byte_buffer_reader_readall(&reader);
            grpc_byte_buffer_reader_destroy(&reader);
        }
    }

    sa_rpc_dispatch(s->provider, method ? method : "", GRPC_SLICE_START_PTR(req_slice),
                    GRPC_SLICE_LENGTH(req_slice), &reply);

    memset(ops, 0, sizeof(ops));
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    n++;
    if (reply.grpc_code == SA_GRPC_OK) {
        grpc_slice body = grpc_slice_from_copied_buffer((const char *)reply.body, reply.body_len);
        resp_buf = grpc_raw_byte_buffer_create(&body, 1);
        grpc_slice_unref(body);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = resp_buf;
        n++;
    }
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)reply.grpc_code;
    if (reply.message != NULL) {
        status_details = grpc_slice_from_copied_string(reply.message);
        ops[n].data.send_status_from_server.status_details = &status_details;
    }
    if (reply.status_details != NULL) {
        trailer.key = grpc_slice_from_static_string("grpc-status-details-bin");
        trailer.value = grpc_slice_from_copied_buffer((const char *)reply.status_details,
                                                      reply.status_details_len);
        ops[n].data.send_status_from_server.trailing_metadata_count = 1;
        ops[n].data.send_status_from_server.trailing_metadata = &trailer;
    }
    n++;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n].data.recv_close_on_server.cancelled = &cancelled;
    n++;
    if (!run_batch(s, ops, n))
        sa_log_debug(s->provider, "rpc %s: could not send the reply", method ? method : "?");
    if (reply.status_details != NULL) {
        grpc_slice_unref(trailer.key);
        grpc_slice_unref(trailer.value);
    }

cleanup:
    grpc_slice_unref(status_details);
    if (resp_buf != NULL)
        grpc_byte_buffer_destroy(resp_buf);
    if (req_buf != NULL)
        grpc_byte_buffer_destroy(req_buf);
    grpc_slice_unref(req_slice);
    sa_rpc_reply_dispose(&reply);
    free(method);
    slot_free(s);
    worker_finished();
    return NULL;
}

static int start_worker(call_slot *s)
{
    pthread_t t;
    int rc;

    /* counted before it runs, so a worker that finishes at once never counts below zero */
    workers_count(+1);
    rc = pthread_create(&t, NULL, worker_main, s);
    if (rc != 0)
        workers_count(-1);
    return rc == 0 ? SA_OK : SA_ENOMEM;
}

int sa_server_run(sa_provider *p, sa_error *err)
{
    grpc_arg args[2];
    grpc_channel_args chargs = {.num_args = 2, .args = args};
    grpc_server *server = NULL;
    grpc_completion_queue *notify_cq = NULL;
    grpc_server_credentials *creds = NULL;
    pthread_t sig_thread;
    bool sig_thread_started = false;
    sa_platform_parent parent;
    int port, rc = SA_OK;

    sa_platform_parent_watch_start(&parent);
    /* The stop request is taken by one thread (on POSIX SIGINT/SIGTERM are blocked first, and
     * every thread inherits the mask). */
    sa_platform_stop_signals_block();
    if (pthread_create(&sig_thread, NULL, signal_thread_main, NULL) == 0)
        sig_thread_started = true;

    grpc_init();
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = MAX_MESSAGE_BYTES;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
    args[1].value.integer = MAX_MESSAGE_BYTES;

    server = grpc_server_create(&chargs, NULL);
    notify_cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(server, notify_cq, NULL);
    creds = grpc_insecure_server_credentials_create();
    port = grpc_server_add_http2_port(server, "127.0.0.1:0", creds);
    grpc_server_credentials_release(creds);
    if (port <= 0) {
        rc = sa_error_set(err, SA_EIO, "could not listen on 127.0.0.1");
        goto cleanup;
    }
    grpc_server_start(server);

    /* The port line is the first and only thing we ever write to stdout. */
    if (printf("%d\n", port) < 0 || fflush(stdout) != 0) {
        rc = sa_error_set(err, SA_EIO, "could not write the port to stdout");
        goto shutdown;
    }

    for (int i = 0; i < ACCEPT_SLOTS; i++) {
        call_slot *s = slot_new(p);
        if (s == NULL || request_slot(server, notify_cq, s) != SA_OK) {
            slot_free(s);
            rc = sa_error_set(err, SA_ENOMEM, "could not post accept slots");
            goto shutdown;
        }
    }

    for (;;) {
        grpc_event ev = grpc_completion_queue_next(notify_cq, deadline_ms(200), NULL);

        if (atomic_load(&g_stop_signal) != 0) {
            sa_log_debug(p, "signal %d: shutting down", atomic_load(&g_stop_signal));
            break;
        }
        if (sa_platform_parent_gone(&parent) && p->engine_address != NULL) {
            sa_log_debug(p, "the engine went away: shutting down");
            break;
        }
        workers_reap();
        if (ev.type == GRPC_QUEUE_TIMEOUT)
            continue;
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE) {
            call_slot *s = ev.tag;
            call_slot *next = slot_new(p);

            if (ev.success && start_worker(s) == SA_OK)
                s = NULL;
            slot_free(s);
            if (next == NULL || request_slot(server, notify_cq, next) != SA_OK)
                slot_free(next);
        }
    }

shutdown:
    /* New calls are refused; running ones see the cancel flag at their next AWS request or
     * retry wait and still send their reply (a Create's says what exists, so nothing is
     * orphaned). The provider is disposed only after they are gone. */
    atomic_store(&p->cancelled, true);
    grpc_server_shutdown_and_notify(server, notify_cq, NULL);
    if (workers_drain() > 0)
        rc = sa_error_set(err, SA_ETIMEOUT, "calls still running %d s after shutdown",
                          DRAIN_SECONDS);
    grpc_server_cancel_all_calls(server);
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(notify_cq, deadline_ms(1000), NULL);
        if (ev.type == GRPC_QUEUE_TIMEOUT)
            break;
        if (ev.type == GRPC_OP_COMPLETE && ev.tag == NULL)
            break; /* the shutdown notification */
        if (ev.type == GRPC_OP_COMPLETE && ev.tag != NULL)
            slot_free(ev.tag); /* a slot that never got a call */
    }
cleanup:
    if (server != NULL)
        grpc_server_destroy(server);
    if (notify_cq != NULL) {
        grpc_completion_queue_shutdown(notify_cq);
        for (;;) {
            grpc_event ev = grpc_completion_queue_next(notify_cq, deadline_ms(1000), NULL);
            if (ev.type == GRPC_QUEUE_SHUTDOWN || ev.type == GRPC_QUEUE_TIMEOUT)
                break;
            if (ev.type == GRPC_OP_COMPLETE && ev.tag != NULL)
                slot_free(ev.tag);
        }
        grpc_completion_queue_destroy(notify_cq);
    }
    if (sig_thread_started) {
        pthread_cancel(sig_thread);
        pthread_join(sig_thread, NULL);
    }
    sa_platform_parent_watch_end(&parent);
    return rc;
}
