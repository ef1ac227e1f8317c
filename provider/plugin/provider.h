/*
 * The provider instance: the state one running plugin keeps between calls (version, whether it
 * has been configured and with what, the engine address, the cancellation flag). It is created
 * once by main and shared by every RPC worker; fields that change after start are guarded by its
 * mutex or are atomics.
 */
#ifndef SA_PROVIDER_H
#define SA_PROVIDER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/error.h"
#include "plugin/config.h"

struct grpc_channel;
struct sa_aws_client;

typedef struct sa_provider {
    const char *version;  /* static string, the meson project version */
    char *engine_address; /* owned; NULL in attach mode until Attach */
    int verbosity;
    atomic_bool cancelled;               /* set by Cancel and by SIGINT/SIGTERM */
    pthread_mutex_t lock;                /* guards the fields below and engine_address */
    struct grpc_channel *engine_channel; /* owned; made on first Log (engine.c) */
    bool configured;
    sa_config config;          /* set by Configure */
    struct sa_aws_client *aws; /* the provider's reference; made by Configure, retained by
                                  every operation that uses it */
    char account[16];          /* from STS during Configure; "" when skipped */
    char partition[16];
} sa_provider;

int sa_provider_init(sa_provider *p, const char *engine_address, int verbosity, sa_error *err);
void sa_provider_dispose(sa_provider *p);

/* The package schema (JSON), built in at compile time with the version filled in. */
extern const char sa_schema_json[];

#endif
