/*
 * How SecureApiStack's steps call AWS. A step describes one call as an sa_call, with designated
 * initialisers, and runs it with the operation's context (sa_stack_ctx: the client, the stack's
 * region, account and partition, the cancel flag and the deadline); the helper builds the wire
 * request with the AWS client (provider/aws), counts the call, and hands back the parsed answer
 * or AWS's error. Request bodies and Query parameters are built with the checked builders below:
 * an allocation that fails anywhere in a builder makes the call fail with SA_ENOMEM before
 * anything is sent, so a request never goes out without, say, its ownership tag or its key policy.
 */
#ifndef SA_STACK_CALL_H
#define SA_STACK_CALL_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/client.h"
#include "aws/partition.h"
#include "base/error.h"
#include "base/util.h"
#include "stack/stack.h"

typedef struct sa_stack_ctx {
    sa_aws_client *aws;
    const char *urn;     /* for messages; may be NULL */
    const char *region;  /* where the stack lives */
    const char *account; /* the AWS account id */
    const sa_aws_partition *partition;
    const atomic_bool *cancelled;
    int64_t deadline_ms;     /* on the client's clock; 0: none */
    atomic_int calls;        /* AWS calls made (for progress and tests) */
    const sa_stack_env *env; /* the caller's log sink */
} sa_stack_ctx;

/* ---- builders ---- */

/* A JSON request body. Every add records a failure instead of returning one; sa_call_run
 * refuses a failed body. */
typedef struct sa_json {
    cJSON *root;
    bool failed;
} sa_json;

void sa_json_init(sa_json *j);
void sa_json_dispose(sa_json *j);
/* An object or array member of parent (an object), or the next item of parent (an array) when
 * key is NULL; NULL (and the body failed) when parent is NULL or out of memory. */
cJSON *sa_json_object(sa_json *j, cJSON *parent, const char *key);
cJSON *sa_json_array(sa_json *j, cJSON *parent, const char *key);
void sa_json_string(sa_json *j, cJSON *parent, const char *key, const char *value);
void sa_json_number(sa_json *j, cJSON *parent, const char *key, double value);
void sa_json_bool(sa_json *j, cJSON *parent, const char *key, bool value);
/* Adds item (owned by the body from now on, freed on failure). */
void sa_json_add(sa_json *j, cJSON *parent, const char *key, cJSON *item);

/* Query protocol parameters: names and values borrowed, or copied (the _f forms). */
#define SA_PARAMS_MAX 160
typedef struct sa_params {
    sa_aws_param items[SA_PARAMS_MAX];
    char *owned[SA_PARAMS_MAX * 2];
    size_t n, n_owned;
    bool failed;
} sa_params;

void sa_params_add(sa_params *p, const char *name, const char *value);
/* name is a printf format with one size_t (e.g. "Tags.member.%zu.Key"); value is copied. */
void sa_params_addf(sa_params *p, const char *name_fmt, size_t i, const char *value);
void sa_params_dispose(sa_params *p);

/* ---- calls ---- */

/* A named set of retry rules for one kind of call (see aws/retry.h). */
typedef struct sa_retry_rules {
    const sa_aws_retry_rule *rules;
    size_t count;
} sa_retry_rules;

#define SA_RETRY_RULES(array)                                                                      \
    {                                                                                              \
        (array), SA_N(array)                                                                       \
    }

/* How to find the object an operation that makes a new one each time may have made although its
 * answer was lost (see sa_aws_call_options.find). */
typedef struct sa_stack_find {
    int (*fn)(void *ctx, bool *ret_found, sa_error *err);
    void *ctx;
} sa_stack_find;

typedef struct sa_call {
    const char *service; /* "kms", "lambda", ... */
    const char *op;      /* "CreateKey" */
    /* REST-JSON: the method and the path, whose {} are filled from labels in order */
    const char *method;
    const char *path;
    const char *labels[4];
    const sa_aws_param *query;
    size_t query_count;
    /* JSON 1.1 and REST-JSON: the body (NULL: none; {} for JSON 1.1), or the body's text as it
     * is (a body too large to build twice: the function's code) */
    const sa_json *body;
    const char *raw_body;
    size_t raw_body_len;
    /* Query protocol */
    const sa_params *params;
    const sa_retry_rules *retry; /* NULL: the standard policy only */
    const sa_stack_find *find;   /* for operations that make a new object each time */
} sa_call;

/* The answer of a call: the response (dispose it) and, on failure, AWS's error. */
typedef struct sa_stack_call {
    sa_aws_response resp;
    sa_aws_error aws_error;
} sa_stack_call;

void sa_stack_call_dispose(sa_stack_call *c);

/* Runs one call. With a find that found the object after a lost answer, returns SA_OK with an
 * empty response (resp.http_status 0). */
int sa_call_run(sa_stack_ctx *s, sa_stack_call *out, const sa_call *call, sa_error *err);

/* Runs a list call page by page: page gets each answer (and may stop the walk by setting
 * *ret_stop); the token of the next page goes into the request's body member, query parameter
 * or Query parameter `request_token`, from the answer's `response_token` (a JSON member, or an
 * XML path for Query) while it is present and not empty (and, when `truncated` names a member
 * or path, while that is true). call->body, when given, is changed in place. */
typedef struct sa_pager {
    const char *request_token;
    const char *response_token;
    const char *truncated;
} sa_pager;

typedef int (*sa_page_fn)(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err);

int sa_call_pages(sa_stack_ctx *s, const sa_call *call, const sa_pager *pager, sa_page_fn page,
                  void *ctx, sa_error *err);

/* Whether a failed call was AWS saying the thing does not exist. */
bool sa_call_not_found(int rc, const sa_stack_call *c);
/* Whether a failed call had this AWS error code (and, when not NULL, message part). */
bool sa_call_error_is(int rc, const sa_stack_call *c, const char *code, const char *message_part);

/* A string member of a JSON object, or NULL (borrowed). */
const char *sa_json_get(const cJSON *obj, const char *key);

/* Waits ms unless cancelled or past the deadline. */
int sa_stack_wait(sa_stack_ctx *s, int64_t ms, sa_error *err);

/* A message for the user on the resource (ephemeral: a progress line that is not kept). */
void sa_stack_log(sa_stack_ctx *s, sa_stack_severity severity, bool ephemeral, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define sa_stack_progress(s, ...) sa_stack_log((s), SA_STACK_INFO, true, __VA_ARGS__)

#endif
