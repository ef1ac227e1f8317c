/*
 * The provider's configuration (`secureapi:*` stack config, or the arguments of an explicit
 * `new secureapi.Provider(...)`): parsing and validation shared by CheckConfig (which reports
 * every problem as a CheckFailure naming the key) and Configure (which refuses the first). Values
 * arrive as strings (stack config), typed values, JSON-encoded strings (explicit providers in
 * generated SDKs) or secret objects; all are accepted. Credentials are wiped when freed.
 */
#ifndef SA_CONFIG_H
#define SA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/credentials.h"
#include "base/error.h"
#include "base/value.h"

/* The services we call, in a fixed order; their keys in `endpoints`. */
typedef enum sa_service {
    SA_SVC_STS,
    SA_SVC_KMS,
    SA_SVC_IAM,
    SA_SVC_LAMBDA,
    SA_SVC_LOGS,
    SA_SVC_APIGATEWAY,
    SA_SVC_COUNT
} sa_service;

extern const char *const sa_service_keys[SA_SVC_COUNT];

typedef struct sa_config {
    char *region; /* NULL: resolve from the environment */
    char *profile;
    char *access_key;              /* secret */
    char *secret_key;              /* secret */
    char *token;                   /* secret */
    char *endpoints[SA_SVC_COUNT]; /* NULL where not overridden */
    bool skip_credentials_validation;
    int max_retries;          /* retries after the first attempt; -1: unset */
    int http_timeout_seconds; /* per HTTP exchange with AWS; 0: unset (the default) */
    double api_rate_scale;    /* multiplies AWS's published request rates; 0: unset (1) */
    /* assumeRole (one object) or assumeRoles (a list, chained in order): the roles assumed on
     * top of the credentials the chain found. Owned. */
    sa_aws_assume_role *assume_roles;
    size_t assume_role_count;
} sa_config;

#define SA_CONFIG_ASSUME_ROLES_MAX 8 /* hops of assumeRoles */

#define SA_CONFIG_DEFAULT_MAX_RETRIES (-1) /* unset: AWS_MAX_ATTEMPTS, else 3 attempts */
#define SA_CONFIG_MAX_RETRIES_LIMIT 25
#define SA_CONFIG_DEFAULT_HTTP_TIMEOUT_SECONDS 120
#define SA_CONFIG_HTTP_TIMEOUT_SECONDS_LIMIT 3600
#define SA_CONFIG_API_RATE_SCALE_LIMIT 1000000.0
/* Where apiRateScale comes from when the configuration does not set it. */
#define SA_CONFIG_API_RATE_SCALE_ENV "PULUMI_SECUREAPI_API_RATE_SCALE"

/* One problem with one key. */
typedef struct sa_config_failure {
    char property[64];
    char reason[256];
} sa_config_failure;

typedef struct sa_config_failures {
    sa_config_failure items[16];
    size_t len;
    char unknown_keys[256]; /* comma-separated keys we do not know, for a warning */
} sa_config_failures;

/* Parses args (an object value) into *out; collects every problem into *failures. Unknown values
 * (preview) are skipped. Returns SA_OK when there were no failures, SA_EINVAL otherwise (then
 * *out holds what could be parsed and must still be disposed). */
int sa_config_parse(sa_config *out, const sa_value *args, sa_config_failures *failures);

/* Takes the settings the configuration left unset from the environment (getenv; NULL: none):
 * apiRateScale from SA_CONFIG_API_RATE_SCALE_ENV. A bad value adds a failure naming the setting
 * and the variable. Returns SA_OK or SA_EINVAL, like sa_config_parse. */
int sa_config_from_env(sa_config *c, const char *(*getenv)(const char *name),
                       sa_config_failures *failures);

/* Frees the insides of a config, wiping the credentials first. */
void sa_config_dispose(sa_config *c);

/* Whether an endpoint is an absolute http(s) URL with a host and no user info. */
bool sa_config_endpoint_valid(const char *url);

#endif
