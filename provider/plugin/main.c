/*
 * Entry point of pulumi-resource-secureapi: parses the engine's launch arguments, sets up the
 * provider instance and runs the gRPC server until the engine stops us. Everything else lives in
 * the layer libraries (provider/meson.build) so tests link exactly the code that ships.
 */
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aws/client.h"
#include "base/alloc.h"
#include "base/version.h"
#include "plugin/args.h"
#include "plugin/provider.h"
#include "plugin/server.h"

int main(int argc, char *argv[])
{
    sa_args args;
    sa_provider provider;
    sa_error err = {0};
    int rc;

#if defined(__GLIBC__) && defined(M_ARENA_MAX)
    /* At most two malloc arenas, not glibc's one per mallocing thread up to 8 x cores: twenty
     * stacks' peak RSS falls by 0.5-1 MB (tests/bench/memory-study.md); the heap is ~1-4 MB. */
    mallopt(M_ARENA_MAX, 2);
#endif
    if (sa_args_parse(&args, argc, argv, &err) != SA_OK) {
        fprintf(stderr, "pulumi-resource-secureapi: %s\n", err.message);
        return 2;
    }
    if (args.print_version) {
        /* --version is for people, never passed by the engine. */
        printf("pulumi-resource-secureapi v%s\n", SA_VERSION);
        return 0;
    }
    sa_alloc_init();
    if (sa_aws_global_init(&err) != SA_OK) {
        fprintf(stderr, "pulumi-resource-secureapi: %s\n", err.message);
        return 1;
    }
    if (sa_provider_init(&provider, args.engine_address, args.verbosity, &err) != SA_OK) {
        fprintf(stderr, "pulumi-resource-secureapi: %s\n", err.message);
        return 1;
    }
    rc = sa_server_run(&provider, &err);
    if (rc != SA_OK)
        fprintf(stderr, "pulumi-resource-secureapi: %s\n", err.message);
    if (rc == SA_ETIMEOUT) {
        /* A call is still running on the provider: end the process without tearing it down. */
        fflush(stderr);
        _exit(1);
    }
    sa_provider_dispose(&provider);
    sa_aws_global_cleanup();
    return rc == SA_OK ? 0 : 1;
}
