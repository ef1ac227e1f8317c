/*
 * The client side of pulumirpc.Engine: Log calls to the engine address the plugin was launched
 * with (or given by Handshake/Attach). Diagnostics (debug, info, warning, error) attached to a
 * resource URN, and ephemeral status lines for progress. Best effort: a failed Log never fails the
 * operation that logged. Callers never pass secret values or credentials.
 */
#ifndef SA_ENGINE_H
#define SA_ENGINE_H

#include <stdbool.h>

#include "plugin/provider.h"

typedef enum sa_severity {
    SA_SEV_DEBUG = 0,
    SA_SEV_INFO = 1,
    SA_SEV_WARNING = 2,
    SA_SEV_ERROR = 3,
} sa_severity;

/* Sends one message; urn may be NULL (a global message). */
void sa_engine_log(sa_provider *p, sa_severity severity, const char *urn, bool ephemeral,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Sets (or replaces) the engine address; the channel is (re)made on the next log. */
int sa_engine_set_address(sa_provider *p, const char *address);

/* Closes the channel, if any. */
void sa_engine_close(sa_provider *p);

#endif
