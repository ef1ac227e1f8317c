/*
 * AWS credentials and the chain that finds them, in the SDKs' order: the provider config (access
 * key, secret key, token), the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), role assumption and web identity (a profile's role_arn with its
 * source_profile or credential_source, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE: see
 * sa_aws_credentials_from_role), the shared files (the active profile's aws_access_key_id,
 * aws_secret_access_key, aws_session_token, or its credential_process: a command whose JSON output
 * holds the credentials, see sa_aws_credentials_from_process, or its IAM Identity Center (SSO)
 * role, see sa_aws_credentials_from_sso), the container endpoint
 * (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on 169.254.170.2, or _FULL_URI) and EC2 instance
 * metadata (IMDSv2, short timeouts, off with AWS_EC2_METADATA_DISABLED=true). A source that is
 * not configured is skipped and noted; a source that is configured but broken stops the chain with
 * its own error. When nothing is found the error lists what was tried. The environment and the
 * network are reached only through the sa_aws_env and sa_aws_transport seams. Key material is
 * wiped when freed and never appears in messages. The provider config's assumeRole(s) are
 * applied on top of whatever the chain found (settings->assume_roles).
 */
#ifndef SA_AWS_CREDENTIALS_H
#define SA_AWS_CREDENTIALS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "aws/endpoints.h"
#include "aws/env.h"
#include "aws/http.h"
#include "aws/profile_file.h"
#include "base/error.h"

typedef struct sa_aws_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
    time_t expiration;   /* 0: does not expire */
    char source[96];     /* where they came from, for messages */
} sa_aws_credentials;

/* Wipes and frees the insides. */
void sa_aws_credentials_dispose(sa_aws_credentials *c);
int sa_aws_credentials_copy(sa_aws_credentials *out, const sa_aws_credentials *src, sa_error *err);
/* Takes copies of the strings; session_token may be NULL. */
int sa_aws_credentials_set(sa_aws_credentials *out, const char *access_key_id,
                           const char *secret_access_key, const char *session_token,
                           time_t expiration, const char *source, sa_error *err);

/* One role the provider config asks to assume (its assumeRole / assumeRoles), with STS
 * AssumeRole's optional parameters. Strings are owned (sa_aws_assume_roles_free); NULL or 0 when
 * unset. Values are checked by the provider config against STS's model before they get here. */
typedef struct sa_aws_assume_role {
    char *role_arn;
    char *session_name;   /* NULL: secureapi-session-<unix time> */
    char *external_id;    /* secret-ish: never put in a message */
    int duration_seconds; /* 0: STS's default (one hour) */
    char *policy;         /* a JSON session policy */
    char **tag_keys;      /* session tags, tag_count of each */
    char **tag_values;
    size_t tag_count;
    char **transitive_tag_keys;
    size_t transitive_tag_key_count;
} sa_aws_assume_role;

#define SA_AWS_ASSUME_ROLE_TAGS_MAX 50 /* STS's limit of Tags and TransitiveTagKeys */

void sa_aws_assume_roles_free(sa_aws_assume_role *roles, size_t count);
/* A deep copy of roles[0..count) into *out (NULL when count is 0). */
int sa_aws_assume_roles_copy(sa_aws_assume_role **out, const sa_aws_assume_role *roles,
                             size_t count, sa_error *err);

/* Explicit settings from the provider config; every field is optional and borrowed. */
typedef struct sa_aws_credentials_settings {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    bool skip_metadata; /* do not ask the EC2 instance metadata service */
    /* Roles assumed, in order, after the chain found its credentials: the first with the chain's
     * credentials, each next one with the previous role's (see sa_aws_credentials_assume). */
    const sa_aws_assume_role *assume_roles;
    size_t assume_role_count;
} sa_aws_credentials_settings;

/* How long a profile's credential_process may run before it is killed, and how much it may print
 * on stdout (botocore sets no limits; the SDKs' reference guide asks for a timely answer). */
#define SA_AWS_CREDENTIAL_PROCESS_TIMEOUT_MS 60000L
#define SA_AWS_CREDENTIAL_PROCESS_OUTPUT_MAX 65536

typedef struct sa_aws_credentials_ctx {
    const sa_aws_env *env;
    const sa_aws_shared_config *shared; /* loaded shared files; NULL skips them */
    const sa_aws_transport *transport;  /* for container and IMDS; NULL skips them */
    const atomic_bool *cancelled;       /* may be NULL */
    time_t now;                         /* to reject already-expired credentials */
    long process_timeout_ms; /* credential_process limit; 0: SA_AWS_CREDENTIAL_PROCESS_TIMEOUT_MS */
    /* Where STS calls go (role assumption, web identity): the client's region (NULL: resolved
     * from the environment and ctx->shared) and the provider config's endpoint overrides. */
    const char *region;
    const sa_aws_endpoint_override *endpoints;
    size_t endpoint_count;
} sa_aws_credentials_ctx;

/* Runs the chain. */
int sa_aws_credentials_resolve(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                               const sa_aws_credentials_ctx *ctx, sa_error *err);

/* The single sources. Each returns SA_OK when it produced credentials, SA_ENOTFOUND when it is not
 * configured (err says why, for the chain's summary), or another code when it is configured but
 * failed. */
int sa_aws_credentials_from_settings(sa_aws_credentials *out, const sa_aws_credentials_settings *s,
                                     sa_error *err);
int sa_aws_credentials_from_env(sa_aws_credentials *out, const sa_aws_env *env, sa_error *err);
/* The profile ctx->shared selected. Inside a profile botocore's order holds: static keys of the
 * credentials file, then credential_process, then static keys of the config file. */
int sa_aws_credentials_from_profile(sa_aws_credentials *out, const sa_aws_credentials_ctx *ctx,
                                    sa_error *err);
int sa_aws_credentials_from_container(sa_aws_credentials *out, const sa_aws_credentials_ctx *ctx,
                                      sa_error *err);
int sa_aws_credentials_from_imds(sa_aws_credentials *out, const sa_aws_credentials_ctx *ctx,
                                 sa_error *err);

/* How many source_profile hops a role profile may take before it is refused (botocore sets no
 * limit but refuses loops; the SDKs' guide describes chains of a few hops). */
#define SA_AWS_ROLE_CHAIN_MAX 16

/* Role assumption and web identity (credentials_sts.c), botocore's AssumeRoleProvider and
 * AssumeRoleWithWebIdentityProvider at their place in its chain, after the environment keys and
 * before the rest of the shared files:
 * - the selected profile has role_arn and no web_identity_token_file: STS AssumeRole, signed with
 *   the credentials of its source_profile (static keys, credential_process, web identity, or
 *   another role profile, hop by hop; loops and chains longer than SA_AWS_ROLE_CHAIN_MAX are
 *   refused; a profile naming itself as source_profile uses its own static keys) or of its
 *   credential_source (Environment, Ec2InstanceMetadata, EcsContainer). external_id,
 *   role_session_name and duration_seconds are passed on; mfa_serial is refused (no terminal).
 * - otherwise web identity: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME
 *   (each ignored when the profile came from the provider config, as botocore ignores them for an
 *   explicit profile), else the profile's web_identity_token_file, role_arn, role_session_name:
 *   an unsigned STS AssumeRoleWithWebIdentity with the token file read anew on every call.
 * SA_ENOTFOUND when neither is configured. STS goes to the regional endpoint of ctx->region (or
 * the global one for sts_regional_endpoints = legacy in the legacy regions), honouring
 * ctx->endpoints, AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL. Errors name the profile and the step
 * and keep STS's code and message; keys, session tokens and the web identity token are never in
 * a message and are wiped after use. The credentials carry STS's Expiration. */
int sa_aws_credentials_from_role(sa_aws_credentials *out, const sa_aws_credentials_ctx *ctx,
                                 sa_error *err);

/* STS AssumeRole of role (credentials_sts.c, the same call role profiles make), signed with
 * base: RoleArn, RoleSessionName, DurationSeconds, ExternalId, Policy, Tags.member.N.Key/Value and
 * TransitiveTagKeys.member.N, at the STS endpoint described for sa_aws_credentials_from_role.
 * `what` starts every message (e.g. "provider config assumeRole"); the credentials' source is
 * "<what> (assume role)". Messages never hold keys, tokens, the external id or the policy. */
int sa_aws_credentials_assume(sa_aws_credentials *out, const sa_aws_credentials *base,
                              const sa_aws_assume_role *role, const char *what,
                              const sa_aws_credentials_ctx *ctx, sa_error *err);

/* credential_process (credentials_process.c), as botocore's ProcessProvider: command_line is split
 * into words like Python's shlex.split (POSIX rules: '...' literal; "..." with \" and \\ escapes;
 * a backslash outside quotes takes the next character literally; no comments, no expansion;
 * Windows: not split, the command line goes to CreateProcessW as it is) and run without a shell
 * (sa_platform_run), with the plugin's environment, stdin empty, its stderr passed on
 * to ours and its stdout (at most SA_AWS_CREDENTIAL_PROCESS_OUTPUT_MAX bytes) read as
 * {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}. It is killed
 * after ctx->process_timeout_ms or when ctx->cancelled is raised. Failing to start, a non-zero
 * exit, a signal, bad JSON, another Version, a missing key or an Expiration not after ctx->now are
 * errors naming the profile (never echoing the output). Credentials with an Expiration are
 * refreshed by the client, which runs the process again. */
int sa_aws_credentials_from_process(sa_aws_credentials *out, const char *profile,
                                    const char *command_line, const sa_aws_credentials_ctx *ctx,
                                    sa_error *err);

/* The shlex.split of credential_process: *out_argv is a NULL-terminated array in one block (free
 * it with free()), *out_argc its length. SA_EINVAL for an unclosed quote or a trailing
 * backslash, naming `what`. */
int sa_aws_split_command_line(char ***out_argv, size_t *out_argc, const char *line,
                              const char *what, sa_error *err);

/* IAM Identity Center (credentials_sso.c), as botocore's SSOProvider: profile `profile` of
 * ctx->shared is an SSO profile when it has sso_account_id or sso_role_name (else SA_ENOTFOUND).
 * sso_start_url and sso_region come from the [sso-session NAME] section its sso_session names
 * (the profile may repeat them, with the same values) or, in a legacy profile, from the profile.
 * The access token `aws sso login` cached (sa_aws_sso_cache_file) is sent, unsigned, to the
 * portal's GetRoleCredentials on portal.sso.<sso_region>.amazonaws.com (or AWS_ENDPOINT_URL_SSO,
 * AWS_ENDPOINT_URL) through ctx->transport; the answer's role credentials carry their expiration.
 * A missing setting, a conflict between profile and session, a missing, unreadable or expired
 * token, and the portal's refusals are errors naming the profile; where the token is at fault
 * they say to run `aws sso login --profile NAME`. The token is never put in a message. */
int sa_aws_credentials_from_sso(sa_aws_credentials *out, const char *profile,
                                const sa_aws_credentials_ctx *ctx, sa_error *err);

/* The AWS CLI's SSO token cache file for key (the sso-session name, or the start URL of a legacy
 * profile): $HOME/.aws/sso/cache/<SHA-1 of key, lower-case hex>.json; the caller frees *out.
 * SA_EINVAL without HOME. */
int sa_aws_sso_cache_file(char **out, const sa_aws_env *env, const char *key, sa_error *err);

/* sa_aws_credentials_set after checking the values can go into an HTTP header (no whitespace or
 * control characters); `source` names them in the error. */
int sa_aws_credentials_set_checked(sa_aws_credentials *out, const char *access_key_id,
                                   const char *secret_access_key, const char *session_token,
                                   time_t expiration, const char *source, sa_error *err);

/* Parses an ISO 8601 UTC time ("2026-08-30T12:36:00Z", fractional seconds allowed). */
int sa_aws_parse_iso8601(time_t *out, const char *s);

#endif
