/*
 * Parsing of the plugin's launch arguments (see args.h). Flags we do not know are skipped, with
 * their value when written as `--flag=value`; the last argument that is not a flag is the engine
 * address.
 */
#include "plugin/args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_verbosity(const char *s, int *out, sa_error *err)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 100)
        return sa_error_set(err, SA_EINVAL, "invalid verbosity '-v=%s': expected a number 0-100",
                            s);
    *out = (int)v;
    return SA_OK;
}

int sa_args_parse(sa_args *out, int argc, char *const argv[], sa_error *err)
{
    sa_args a = {0};

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (strcmp(arg, "--logtostderr") == 0 || strcmp(arg, "-logtostderr") == 0) {
            a.log_to_stderr = true;
        } else if (strncmp(arg, "-v=", 3) == 0 || strncmp(arg, "--v=", 4) == 0) {
            int rc = parse_verbosity(strchr(arg, '=') + 1, &a.verbosity, err);
            if (rc != SA_OK)
                return rc;
        } else if (strcmp(arg, "--tracing") == 0 || strcmp(arg, "-tracing") == 0) {
            if (i + 1 < argc)
                a.tracing = argv[++i];
        } else if (strncmp(arg, "--tracing=", 10) == 0) {
            a.tracing = arg + 10;
        } else if (strcmp(arg, "--version") == 0) {
            a.print_version = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            /* an unknown flag: ignored */
        } else {
            a.engine_address = arg;
        }
    }
    *out = a;
    return SA_OK;
}
