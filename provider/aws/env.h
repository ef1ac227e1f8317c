/*
 * The seam between the AWS client and the process environment: environment variables and the
 * shared config/credentials files are read only through an sa_aws_env, so credential, region and
 * endpoint resolution can be tested with tables of variables and in-memory files, never touching
 * the real environment. sa_aws_env_process() is the real one (secure_getenv and the filesystem).
 */
#ifndef SA_AWS_ENV_H
#define SA_AWS_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

typedef struct sa_aws_env {
    /* The variable's value or NULL; the string stays valid while the env lives. */
    const char *(*get)(void *ctx, const char *name);
    /* Reads a whole file of at most max bytes into *out (NUL-terminated, the caller frees it).
     * Returns SA_ENOTFOUND when the file does not exist. */
    int (*read_file)(void *ctx, char **out, size_t *out_len, const char *path, size_t max,
                     sa_error *err);
    void *ctx;
} sa_aws_env;

/* The process environment and filesystem. The returned object is immutable. */
const sa_aws_env *sa_aws_env_process(void);

/* The variable's value, or NULL when it is unset or empty. */
const char *sa_aws_env_get(const sa_aws_env *env, const char *name);

/* Whether the variable is set to "true" (any case). */
bool sa_aws_env_is_true(const sa_aws_env *env, const char *name);

/* The user's home folder, as the SDKs find it: on POSIX HOME, else USERPROFILE; on Windows
 * USERPROFILE, else HOME (sa_platform_home_variable); NULL when neither is set (or both are
 * empty). ~/.aws/config, ~/.aws/credentials and ~/.aws/sso/cache are under it. */
const char *sa_aws_env_home(const sa_aws_env *env);

int sa_aws_env_read_file(char **out, size_t *out_len, const sa_aws_env *env, const char *path,
                         size_t max, sa_error *err);

#endif
