/*
 * Set-up and tear-down of the provider instance (see provider.h).
 */
#include "plugin/provider.h"
#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>

#include "aws/client.h"
#include "base/version.h"

int sa_provider_init(sa_provider *p, const char *engine_address, int verbosity, sa_error *err)
{
    memset(p, 0, sizeof(*p));
    p->version = SA_VERSION;
    p->verbosity = verbosity;
    atomic_init(&p->cancelled, false);
    if (pthread_mutex_init(&p->lock, NULL) != 0)
        return sa_error_set(err, SA_ENOMEM, "could not create the provider lock");
    if (engine_address != NULL) {
        p->engine_address = sa_strdup(engine_address);
        if (p->engine_address == NULL) {
            pthread_mutex_destroy(&p->lock);
            return sa_error_set(err, SA_ENOMEM, "out of memory");
        }
    }
    return SA_OK;
}

void sa_provider_dispose(sa_provider *p)
{
    if (p == NULL)
        return;
    if (p->engine_channel != NULL)
        grpc_channel_destroy(p->engine_channel);
    free(p->engine_address);
    sa_config_dispose(&p->config);
    sa_aws_client_release(p->aws);
    pthread_mutex_destroy(&p->lock);
    memset(p, 0, sizeof(*p));
}
