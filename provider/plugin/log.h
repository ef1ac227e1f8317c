/*
 * Plugin-side logging. The engine turns every line the plugin writes to stderr into a debug
 * diagnostic (shown with `pulumi --debug`), so debug detail goes to stderr at verbosity >= 1 and
 * nothing ever goes to stdout. User-visible messages go through the engine's Log RPC instead.
 * Callers never pass credentials, signatures or secret values.
 */
#ifndef SA_LOG_H
#define SA_LOG_H

#include "plugin/provider.h"

void sa_log_debug(const sa_provider *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
