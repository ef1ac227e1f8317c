/*
 * The real environment seam (sa_secure_getenv and stdio) and the small helpers every resolver uses
 * on top of any sa_aws_env; the variables naming the home folder, and their order, come from the
 * platform layer (sa_platform_home_variable).
 */
#include "aws/env.h"
#include "base/alloc.h"
#include "base/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *process_get(void *ctx, const char *name)
{
    (void)ctx;
    return sa_secure_getenv(name);
}

static int process_read_file(void *ctx, char **out, size_t *out_len, const char *path, size_t max,
                             sa_error *err)
{
    FILE *f = NULL;
    char *data = NULL;
    size_t len = 0;
    size_t cap = 0;
    int rc = SA_OK;

    (void)ctx;
    f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return sa_error_set(err, SA_ENOTFOUND, "%s does not exist", path);
        return sa_error_set(err, SA_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    for (;;) {
        size_t n;
        if (len + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *p = sa_realloc(data, ncap);
            if (p == NULL) {
                rc = sa_error_set(err, SA_ENOMEM, "out of memory");
                goto out;
            }
            data = p;
            cap = ncap;
        }
        n = fread(data + len, 1, cap - len - 1, f);
        len += n;
        if (len > max) {
            rc = sa_error_set(err, SA_EINVAL, "%s is larger than %zu bytes", path, max);
            goto out;
        }
        if (n == 0) {
            if (ferror(f)) {
                rc = sa_error_set(err, SA_EIO, "cannot read %s", path);
                goto out;
            }
            break;
        }
    }
    data[len] = '\0';
    *out = data;
    *out_len = len;
    data = NULL;
out:
    free(data);
    fclose(f);
    return rc;
}

static const sa_aws_env process_env = {
    .get = process_get,
    .read_file = process_read_file,
    .ctx = NULL,
};

const sa_aws_env *sa_aws_env_process(void)
{
    return &process_env;
}

const char *sa_aws_env_get(const sa_aws_env *env, const char *name)
{
    const char *v;

    if (env == NULL || env->get == NULL)
        return NULL;
    v = env->get(env->ctx, name);
    return (v != NULL && v[0] != '\0') ? v : NULL;
}

bool sa_aws_env_is_true(const sa_aws_env *env, const char *name)
{
    const char *v = sa_aws_env_get(env, name);
    return v != NULL && strcasecmp(v, "true") == 0;
}

const char *sa_aws_env_home(const sa_aws_env *env)
{
    const char *var, *home = NULL;

    for (size_t i = 0; home == NULL && (var = sa_platform_home_variable(i)) != NULL; i++)
        home = sa_aws_env_get(env, var);
    return home;
}

int sa_aws_env_read_file(char **out, size_t *out_len, const sa_aws_env *env, const char *path,
                         size_t max, sa_error *err)
{
    if (env == NULL || env->read_file == NULL)
        return sa_error_set(err, SA_ENOTFOUND, "%s: no file access", path);
    return env->read_file(env->ctx, out, out_len, path, max, err);
}
