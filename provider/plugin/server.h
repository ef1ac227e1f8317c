/*
 * The gRPC server of the plugin (gRPC C core): listens on 127.0.0.1 on a kernel-chosen port,
 * prints that port on stdout, serves every call on its own worker thread through
 * sa_rpc_dispatch, and stops on SIGINT/SIGTERM or when the engine (our parent) goes away.
 */
#ifndef SA_SERVER_H
#define SA_SERVER_H

#include "base/error.h"
#include "plugin/provider.h"

/* Runs until shutdown, then waits for running calls to finish. Returns SA_OK after a clean stop,
 * SA_ETIMEOUT when a call was still running after the drain time (the caller must then not
 * dispose the provider). */
int sa_server_run(sa_provider *p, sa_error *err);

#endif
