/*
 * The launch arguments the Pulumi engine passes to a provider plugin:
 * `[--logtostderr] [-v=N] [--tracing ENDPOINT] 127.0.0.1:PORT`, flags in any order, unknown flags
 * ignored, the engine address as the last positional argument (none means attach mode). Also
 * `--version`, which prints the version for people. Pure: no I/O.
 */
#ifndef SA_ARGS_H
#define SA_ARGS_H

#include <stdbool.h>

#include "base/error.h"

typedef struct sa_args {
    bool log_to_stderr;
    int verbosity;              /* -v=N, 0 when absent */
    const char *tracing;        /* borrowed from argv; NULL when absent */
    const char *engine_address; /* borrowed from argv; NULL means attach mode */
    bool print_version;         /* --version */
} sa_args;

/* Parses argv into *out. Fails only on a malformed value of a flag we know (e.g. -v=abc). */
int sa_args_parse(sa_args *out, int argc, char *const argv[], sa_error *err);

#endif
