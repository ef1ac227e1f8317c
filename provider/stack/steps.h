/*
 * The steps SecureApiStack takes in each AWS service, one file per service (sts.c, kms.c, logs.c,
 * iam.c, lambda.c, apigw.c), and the ideas they share (pieces.c). Each step reads the inputs,
 * records what now exists in the state, and is safe to run again: a create step whose object
 * already exists with our ownership tag adopts it, a delete step treats "not found" as done, a
 * read step clears the state of pieces that no longer exist (or can no longer serve: a key
 * pending deletion).
 */
#ifndef SA_STACK_STEPS_H
#define SA_STACK_STEPS_H

#include <cjson/cJSON.h>

#include "stack/call.h"
#include "stack/state.h"

/* ---- shared ideas (pieces.c) ---- */

/* The tags of one piece: the user's, then Name, Environment and the ownership tag. */
typedef struct sa_tag {
    const char *key, *value;
} sa_tag;

#define SA_STEP_TAGS_MAX 64
/* Fills out (SA_STEP_TAGS_MAX entries) and returns the count. */
size_t sa_step_tag_list(sa_tag *out, const sa_stack_inputs *in, const char *name);

/* How a service takes tags: the member under which they go and how they are written. */
typedef enum sa_tag_form {
    SA_TAGS_MAP,   /* a JSON object {key: value} (Logs, Lambda, API Gateway) */
    SA_TAGS_LIST,  /* a JSON list [{TagKey, TagValue}] (KMS) */
    SA_TAGS_QUERY, /* Query parameters <member>.member.N.Key / .Value (IAM) */
} sa_tag_form;

/* The tags of one piece, added to a JSON body (SA_TAGS_MAP, SA_TAGS_LIST) under member. */
void sa_step_tags(sa_json *body, const char *member, sa_tag_form form, const sa_stack_inputs *in,
                  const char *name);
/* The same as Query parameters (SA_TAGS_QUERY). */
void sa_step_tag_params(sa_params *p, const char *member, const sa_stack_inputs *in,
                        const char *name);

/* Whether tags ({key: value}, as AWS returns them) carry this stack's ownership tag. */
bool sa_step_owned(const cJSON *tags, const sa_stack_inputs *in);

/* An object that already exists under our name: adopt it when its tags say this stack made it
 * (an interrupted run), refuse it otherwise with an error naming it. */
typedef struct sa_adopt {
    const char *what; /* "the IAM role" */
    const char *name;
    /* its tags as {key: value} (the caller deletes *ret_tags) */
    int (*tags)(sa_stack_ctx *s, const sa_stack_inputs *in, cJSON **ret_tags, sa_error *err);
    /* reads it into the state; found tells whether it was recorded */
    int (*read)(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
    bool (*found)(const sa_stack_state *st);
} sa_adopt;

int sa_step_adopt(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, const sa_adopt *a,
                  sa_error *err);

/* A service's tagging operations, as data: sa_step_retag sets every wanted tag on a resource,
 * then removes the user's tags that old_tags had and the inputs no longer have. */
typedef struct sa_tagging {
    const char *service;
    const char *tag_op, *untag_op; /* "TagResource" / "UntagResource", "TagRole" / ... */
    const char *id_member;         /* JSON and Query: the member naming the resource */
    const char *tag_method, *path; /* REST: the method of tag_op and the path ("{}": id) */
    sa_tag_form form;
    const char *tags_member; /* "Tags", "tags" */
    const char *keys_member; /* JSON body list, REST query parameter, or Query
                                <member>.member.N */
    const sa_retry_rules *retry;
} sa_tagging;

int sa_step_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                  const sa_tagging *t, const char *id, const char *name, sa_error *err);

/* The lost-answer search of an operation that makes a new object each time it runs: look runs a
 * search that records what it finds in the state, and found tells whether it did. */
typedef struct sa_search {
    sa_stack_ctx *s;
    const sa_stack_inputs *in;
    sa_stack_state *st;
    int (*look)(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
    bool (*found)(const sa_stack_state *st);
} sa_search;

/* The sa_stack_find of a search (its fn adapts sa_search to sa_aws_call_options.find). */
sa_stack_find sa_step_find(sa_search *search);

/* ARNs and principals in the stack's partition, region and account. */
void sa_step_arn(char *out, size_t cap, const sa_stack_ctx *s, const char *service,
                 const char *resource);
void sa_step_global_arn(char *out, size_t cap, const sa_stack_ctx *s, const char *service,
                        const char *account, const char *resource);
void sa_step_log_group_arn(char *out, size_t cap, const sa_stack_ctx *s, const char *log_group);
void sa_step_function_arn(char *out, size_t cap, const sa_stack_ctx *s, const char *function);

/* ---- STS ---- */
/* arn (may be NULL) receives the caller's ARN, cut to arn_size bytes. */
int sa_sts_identity(sa_stack_ctx *s, char account[16], char partition[16], char *arn_out,
                    size_t arn_size, sa_error *err);

/* ---- KMS: the key (policy for this stack's log group, tags), rotation, the alias ---- */
int sa_kms_create_key(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                      sa_error *err);
int sa_kms_set_rotation(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err);
int sa_kms_set_alias(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_kms_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_kms_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                 sa_stack_state *st, sa_error *err);
/* Schedules the deletion of the key (and removes the alias when it names it). */
int sa_kms_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
/* Schedules the deletion of a key the stack no longer uses (replaced after drift). */
int sa_kms_retire(sa_stack_ctx *s, const sa_stack_inputs *in, const char *key_id, sa_error *err);

/* ---- CloudWatch Logs: the encrypted log group and its retention ---- */
int sa_logs_create(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_logs_set_key(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_logs_set_retention(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                          sa_error *err);
int sa_logs_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_logs_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                  sa_stack_state *st, sa_error *err);
int sa_logs_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);

/* ---- IAM: the function's role and its execution policy ---- */
int sa_iam_create_role(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                       sa_error *err);
int sa_iam_set_policy(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                      sa_error *err);
int sa_iam_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_iam_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                 sa_stack_state *st, sa_error *err);
int sa_iam_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);

/* ---- Lambda: the function, its readiness, configuration and code, the invoke permission ---- */
int sa_lambda_create(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_lambda_update_config(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                            sa_error *err);
int sa_lambda_update_code(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                          sa_error *err);
/* The permission for the stack's current REST API (replacing one that names another API). */
int sa_lambda_set_permission(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                             sa_error *err);
/* Reads the function; *ret_function (may be NULL) gets GetFunction's answer (caller deletes). */
int sa_lambda_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                   cJSON **ret_function, sa_error *err);
int sa_lambda_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                    sa_stack_state *st, sa_error *err);
int sa_lambda_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);

/* ---- API Gateway: the REST API, its {proxy+} and root routes, the deployment and stage ---- */
int sa_apigw_create_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err);
int sa_apigw_create_routes(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                           sa_error *err);
int sa_apigw_deploy(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_apigw_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_apigw_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                   sa_stack_state *st, sa_error *err);
int sa_apigw_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
/* Deletes the duplicate REST API a create kept as retired (state's retired_api_id), if any. */
int sa_apigw_delete_retired(sa_stack_ctx *s, sa_stack_state *st, sa_error *err);

#endif
