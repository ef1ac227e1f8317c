/*
 * The stderr debug log (see log.h): one line per call, prefixed with the plugin name, written
 * only when the engine launched us with -v=N (N >= 1) or PULUMI_SECUREAPI_DEBUG is set.
 */
#include "plugin/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void sa_log_debug(const sa_provider *p, const char *fmt, ...)
{
    va_list ap;
    char line[2048];

    if (p == NULL || (p->verbosity < 1 && getenv("PULUMI_SECUREAPI_DEBUG") == NULL))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "pulumi-resource-secureapi: %s\n", line);
}
