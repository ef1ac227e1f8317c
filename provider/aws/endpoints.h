/*
 * Where a call goes and which region it is signed for. Region order: the resource's own input,
 * the provider config, AWS_REGION, AWS_DEFAULT_REGION, the active profile's `region`, then
 * "ap-southeast-1". Endpoint order per service: the provider config override, then
 * AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL (both environment settings are skipped when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), otherwise the real regional endpoint
 * (https://<prefix>.<region>.amazonaws.com, .amazonaws.com.cn in China; IAM is global:
 * https://iam.amazonaws.com signed for us-east-1). Every URL is validated and a bad one is
 * reported naming the setting it came from.
 */
#ifndef SA_AWS_ENDPOINTS_H
#define SA_AWS_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/env.h"
#include "aws/profile_file.h"
#include "aws/services.h"
#include "base/error.h"

#define SA_AWS_DEFAULT_REGION "ap-southeast-1"

/* Whether a region name is well formed: lower-case letters, digits and single dashes. */
bool sa_aws_region_valid(const char *region);

/* Picks the region; *out is the caller's to free, *ret_source (static, may be NULL) says where it
 * came from. shared may be NULL. */
int sa_aws_region_resolve(char **out, const char **ret_source, const char *resource_region,
                          const char *config_region, const sa_aws_env *env,
                          const sa_aws_shared_config *shared, sa_error *err);

/* A per-service endpoint from the provider config. */
typedef struct sa_aws_endpoint_override {
    const char *service; /* a service id, e.g. "kms" */
    const char *url;
} sa_aws_endpoint_override;

typedef struct sa_aws_endpoint {
    char *origin;    /* "https://kms.ap-southeast-1.amazonaws.com", "http://127.0.0.1:5000" */
    char *base_path; /* "" or "/prefix" from a custom URL, without a trailing slash */
    char *signing_region;
    char source[96]; /* "provider config", "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL", "default" */
} sa_aws_endpoint;

int sa_aws_endpoint_resolve(sa_aws_endpoint *out, const sa_aws_service *svc, const char *region,
                            const sa_aws_endpoint_override *overrides, size_t override_count,
                            const sa_aws_env *env, sa_error *err);
void sa_aws_endpoint_dispose(sa_aws_endpoint *e);

#endif
