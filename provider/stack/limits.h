/*
 * What AWS accepts, one table per service, each row citing where it comes from: a member of the
 * service's published model (botocore's service-2.json) or an AWS document. Check validates every
 * input against these rows before any AWS call, so the plugin refuses exactly what AWS would
 * refuse, with a message naming the property and the rule. tests/README.md carries the same
 * table with one boundary test per row.
 */
#ifndef SA_STACK_LIMITS_H
#define SA_STACK_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A range and/or pattern of one AWS value. For strings min/max count characters (code points),
 * for numbers they bound the value. pattern is the model's, matched against the whole string. */
typedef struct sa_limit {
    const char *what; /* "Lambda MemorySize" */
    int64_t min, max;
    const char *pattern; /* NULL: none */
    const char *source;  /* "lambda 2015-03-31 CreateFunction.MemorySize: min 128" or a URL */
} sa_limit;

/* The tag rules of one service. */
typedef struct sa_tag_rules {
    const char *service; /* "IAM" */
    int max_tags;        /* per resource, counting the stack's own three */
    sa_limit key, value;
    const char *count_source;
} sa_tag_rules;

/* Every service the stack tags (KMS, IAM, Lambda, CloudWatch Logs, API Gateway). */
extern const sa_tag_rules sa_tag_rules_by_service[];
extern const size_t sa_tag_rules_count;
/* Tag keys starting with this (in any case) are reserved by AWS. */
#define SA_AWS_RESERVED_TAG_PREFIX "aws:"
extern const char *const sa_aws_reserved_tag_source;

/* Lambda. */
extern const sa_limit sa_lambda_memory;            /* MB */
extern const sa_limit sa_lambda_timeout;           /* seconds */
extern const sa_limit sa_lambda_env_name;          /* an environment variable's name */
extern const sa_limit sa_lambda_env_size;          /* bytes of the variables as JSON */
extern const char *const sa_lambda_reserved_env[]; /* names Lambda reserves */
extern const size_t sa_lambda_reserved_env_count;
extern const char *const sa_lambda_reserved_env_source;
extern const sa_limit sa_lambda_handler;                /* lambdaHandler */
extern const char *const sa_lambda_architecture_source; /* the Architecture enum */

/* A Lambda runtime and its lifecycle (AWS's "Lambda runtimes" table). Dates are UTC days as
 * "YYYY-MM-DD"; NULL when AWS has not set one. */
typedef struct sa_runtime {
    const char *id;           /* "nodejs22.x" */
    const char *deprecated;   /* deprecation date */
    const char *block_create; /* after this day, no new function can use it */
    const char *block_update; /* after this day, no function using it can be updated */
} sa_runtime;

extern const sa_runtime sa_lambda_runtimes[]; /* every value of the model's Runtime enum */
extern const size_t sa_lambda_runtime_count;
extern const char *const sa_lambda_runtime_source;

/* The runtime row, or NULL when the model's enum does not have it. */
const sa_runtime *sa_lambda_runtime(const char *id);
/* Whether date (YYYY-MM-DD, may be NULL: never) has come by now. */
bool sa_date_passed(const char *date, time_t now);

/* CloudWatch Logs: the retention values PutRetentionPolicy accepts. */
extern const int64_t sa_logs_retention_days[];
extern const size_t sa_logs_retention_count;
extern const char *const sa_logs_retention_source;

/* KMS: the deletion waiting period. */
extern const sa_limit sa_kms_deletion_window;

/* API Gateway: stage names. */
extern const sa_limit sa_apigw_stage_name;
/* API Gateway REST: the integration timeout the stack's integrations use, AWS's default and its
 * most without a quota increase (API Gateway quotas: "Maximum integration timeout", 50 ms to
 * 29 s), in seconds; PutIntegration takes it in milliseconds (timeoutInMillis). */
#define SA_APIGW_INTEGRATION_TIMEOUT_S 29

/* Whether s is within l (length in characters and pattern). *ret_chars (may be NULL) gets the
 * length in characters. Returns false also when s is not valid UTF-8. */
bool sa_limit_string_ok(const sa_limit *l, const char *s, size_t *ret_chars);

/* Whether s matches pattern as a whole (PCRE2, UTF and Unicode properties). A pattern that does
 * not compile never matches. */
bool sa_pattern_match(const char *pattern, const char *s);

#endif
