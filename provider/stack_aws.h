/*
 * What every SecureApiStack step needs to call AWS: the provider's client, the stack's region and
 * account, the cancel flag and the deadline (Pulumi's custom timeouts), the resource URN for
 * progress lines; plus small helpers that run one JSON 1.1, REST-JSON or Query call and hand back
 * the parsed response or an error naming the service and operation. The per-service steps live
 * in stack_<service>.c, one AWS service per file.
 */
#ifndef SA_STACK_AWS_H
#define SA_STACK_AWS_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "aws/client.h"
#include "error.h"
#include "provider.h"

typedef struct sa_stack_ctx {
    sa_provider *p;
    sa_aws_client *aws;
    const char *urn;          /* for engine log lines; may be NULL */
    const char *region;       /* where the stack lives */
    const char *account;      /* the AWS account id */
    const char *partition;    /* "aws", "aws-cn", "aws-us-gov" */
    const atomic_bool *cancelled;
    int64_t deadline_ms;      /* on the client's clock; 0: none */
    atomic_int calls;         /* AWS calls made (for progress and tests) */
} sa_stack_ctx;

/* Result of a call: the response (dispose it) and, on failure, AWS's error. */
typedef struct sa_stack_call {
    sa_aws_response resp;
    sa_aws_error aws_error;
} sa_stack_call;

void sa_stack_call_dispose(sa_stack_call *c);

/* JSON 1.1 (KMS, Logs). body may be NULL ({}). */
int sa_stack_json(sa_stack_ctx *s, sa_stack_call *out, const char *service, const char *op,
                  const cJSON *body, const sa_aws_retry_rule *rules, size_t rule_count,
                  sa_error *err);

/* REST-JSON (Lambda, API Gateway): path is a template with {} labels (see sa_aws_path_build). */
int sa_stack_rest(sa_stack_ctx *s, sa_stack_call *out, const char *service, const char *op,
                  const char *method, const char *path_template, const char *const *labels,
                  size_t label_count, const sa_aws_param *query, size_t query_count,
                  const cJSON *body, const sa_aws_retry_rule *rules, size_t rule_count,
                  sa_error *err);

/* How to find the object an operation that makes a new one each time may have made although its
 * answer was lost (see sa_aws_call_options.find): fn sets *ret_found when it exists and records
 * it in the caller's state through ctx. */
typedef struct sa_stack_find {
    int (*fn)(void *ctx, bool *ret_found, sa_error *err);
    void *ctx;
} sa_stack_find;

/* sa_stack_json and sa_stack_rest (without labels or query) for such an operation: a retry after a
 * lost answer asks find first, and when find found the object the call ends with SA_OK and an
 * empty response (resp.http_status 0). */
int sa_stack_json_unique(sa_stack_ctx *s, sa_stack_call *out, const char *service,
                         const char *op, const cJSON *body, const sa_stack_find *find,
                         sa_error *err);
int sa_stack_rest_unique(sa_stack_ctx *s, sa_stack_call *out, const char *service,
                         const char *op, const char *method, const char *path_template,
                         const cJSON *body, const sa_aws_retry_rule *rules, size_t rule_count,
                         const sa_stack_find *find, sa_error *err);

/* Query (IAM, STS). */
int sa_stack_query(sa_stack_ctx *s, sa_stack_call *out, const char *service, const char *op,
                   const sa_aws_param *params, size_t param_count, const sa_aws_retry_rule *rules,
                   size_t rule_count, sa_error *err);

/* Whether a failed call was AWS saying the thing does not exist. */
bool sa_stack_not_found(int rc, const sa_stack_call *c);

/* Whether a failed call was AWS saying the thing already exists. */
bool sa_stack_already_exists(int rc, const sa_stack_call *c);

/* A string field of a JSON object, or NULL (borrowed). */
const char *sa_json_string(const cJSON *obj, const char *key);

/* Waits ms unless cancelled or past the deadline. */
int sa_stack_wait(sa_stack_ctx *s, int64_t ms, sa_error *err);

/* Sends an ephemeral progress line on the resource. */
void sa_stack_progress(sa_stack_ctx *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));



#include "stack_state.h"

/* The tags of one piece: Name, Environment, the ownership tag and the user's tags, as a JSON
 * object {key: value}. */
cJSON *sa_stack_tags(const sa_stack_inputs *in, const char *name);

/* The user's tag keys in old_tags that in->tags no longer has, borrowed from old_tags, at most
 * cap of them: what a retag must remove. */
size_t sa_stack_removed_tags(const char **out, size_t cap, const sa_value *old_tags,
                             const sa_stack_inputs *in);

/* ARN helpers. */
void sa_stack_log_group_arn(char *out, size_t cap, const sa_stack_ctx *s, const char *log_group);

/* Whether tags ({key: value}, as AWS returns them) carry this stack's ownership tag. */
bool sa_stack_owned(const cJSON *tags, const sa_stack_inputs *in);

/* The error for an object that exists under our name but is not ours. */
int sa_stack_not_ours(sa_error *err, const char *what, const char *name,
                      const sa_stack_inputs *in);
#endif
