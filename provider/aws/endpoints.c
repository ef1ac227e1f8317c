/*
 * Region and endpoint resolution (see endpoints.h).
 */
#include "aws/endpoints.h"
#include "base/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/partition.h"
#include "aws/uri.h"

bool sa_aws_region_valid(const char *region)
{
    size_t n;

    if (region == NULL)
        return false;
    n = strlen(region);
    if (n == 0 || n > 64 || region[0] == '-' || region[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = region[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
        if (c == '-' && region[i + 1] == '-')
            return false;
    }
    return true;
}

int sa_aws_region_resolve(char **out, const char **ret_source, const char *resource_region,
                          const char *config_region, const sa_aws_env *env,
                          const sa_aws_shared_config *shared, sa_error *err)
{
    const char *region = NULL;
    const char *source = NULL;
    char *copy;

    if (resource_region != NULL && resource_region[0] != '\0') {
        region = resource_region;
        source = "resource region";
    } else if (config_region != NULL && config_region[0] != '\0') {
        region = config_region;
        source = "provider config region";
    } else if ((region = sa_aws_env_get(env, "AWS_REGION")) != NULL) {
        source = "AWS_REGION";
    } else if ((region = sa_aws_env_get(env, "AWS_DEFAULT_REGION")) != NULL) {
        source = "AWS_DEFAULT_REGION";
    } else if ((region = sa_aws_shared_config_get(shared, "region")) != NULL) {
        source = "profile region";
    } else {
        region = SA_AWS_DEFAULT_REGION;
        source = "default region";
    }
    if (!sa_aws_region_valid(region))
        return sa_error_set(err, SA_EINVAL,
                            "invalid region '%.64s' (from %s): expected a name like us-east-1",
                            region, source);
    copy = sa_strdup(region);
    if (copy == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    *out = copy;
    if (ret_source != NULL)
        *ret_source = source;
    return SA_OK;
}

void sa_aws_endpoint_dispose(sa_aws_endpoint *e)
{
    if (e == NULL)
        return;
    free(e->origin);
    free(e->base_path);
    free(e->signing_region);
    memset(e, 0, sizeof(*e));
}

static char *dup_printf2(const char *fmt, const char *a, const char *b, const char *c)
{
    int n = snprintf(NULL, 0, fmt, a, b, c);
    char *s = n >= 0 ? sa_malloc((size_t)n + 1) : NULL;
    if (s != NULL)
        snprintf(s, (size_t)n + 1, fmt, a, b, c);
    return s;
}

/* The AWS default endpoint for svc in region. */
static int default_endpoint(sa_aws_endpoint *e, const sa_aws_service *svc, const char *region,
                            sa_error *err)
{
    const sa_aws_partition *p = sa_aws_partition_of_region(region);

    if (svc->global) {
        e->origin = dup_printf2(p->global_label[0] ? "https://%s.%s.%s" : "https://%s%s.%s",
                                svc->endpoint_prefix, p->global_label, p->dns_suffix);
        e->signing_region = sa_strdup(p->global_region);
    } else {
        e->origin = dup_printf2("https://%s.%s.%s", svc->endpoint_prefix, region, p->dns_suffix);
        e->signing_region = sa_strdup(region);
    }
    e->base_path = sa_strdup("");
    snprintf(e->source, sizeof(e->source), "default");
    if (e->origin == NULL || e->signing_region == NULL || e->base_path == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    return SA_OK;
}

static int custom_endpoint(sa_aws_endpoint *e, const sa_aws_service *svc, const char *region,
                           const char *url, const char *setting, sa_error *err)
{
    sa_aws_url u = {0};
    char port[8] = "";
    int rc;

    rc = sa_aws_url_parse(&u, url, setting, err);
    if (rc != SA_OK)
        return rc;
    if (u.port != 0)
        snprintf(port, sizeof(port), ":%d", u.port);
    e->origin = dup_printf2("%s://%s%s", u.scheme, u.host, port);
    e->base_path = u.base_path;
    u.base_path = NULL;
    if (svc->global)
        e->signing_region = sa_strdup(sa_aws_partition_of_region(region)->global_region);
    else
        e->signing_region = sa_strdup(region);
    snprintf(e->source, sizeof(e->source), "%s", setting);
    sa_aws_url_dispose(&u);
    if (e->origin == NULL || e->signing_region == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    return SA_OK;
}

int sa_aws_endpoint_resolve(sa_aws_endpoint *out, const sa_aws_service *svc, const char *region,
                            const sa_aws_endpoint_override *overrides, size_t override_count,
                            const sa_aws_env *env, sa_error *err)
{
    sa_aws_endpoint e = {0};
    char setting[96];
    const char *url = NULL;
    int rc;

    if (!sa_aws_region_valid(region))
        return sa_error_set(err, SA_EINVAL, "invalid region '%.64s'", region ? region : "");
    for (size_t i = 0; i < override_count; i++) {
        if (overrides[i].service != NULL && strcmp(overrides[i].service, svc->id) == 0 &&
            overrides[i].url != NULL && overrides[i].url[0] != '\0') {
            url = overrides[i].url;
            snprintf(setting, sizeof(setting), "provider config endpoints.%s", svc->id);
            break;
        }
    }
    if (url == NULL && !sa_aws_env_is_true(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
        snprintf(setting, sizeof(setting), "AWS_ENDPOINT_URL_%s", svc->env_suffix);
        url = sa_aws_env_get(env, setting);
        if (url == NULL) {
            snprintf(setting, sizeof(setting), "AWS_ENDPOINT_URL");
            url = sa_aws_env_get(env, setting);
        }
    }
    rc = url != NULL ? custom_endpoint(&e, svc, region, url, setting, err)
                     : default_endpoint(&e, svc, region, err);
    if (rc != SA_OK)
        goto out;
    *out = e;
    memset(&e, 0, sizeof(e));
out:
    sa_aws_endpoint_dispose(&e);
    return rc;
}
