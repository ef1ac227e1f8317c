/*
 * The steps SecureApiStack takes in each AWS service, one file per service (stack_sts.c,
 * stack_kms.c, stack_logs.c, stack_iam.c, stack_lambda.c, stack_apigw.c). Each step reads the
 * inputs, records what now exists in the state, and is safe to run again: a create step whose
 * object already exists with our ownership tag adopts it, a delete step treats "not found" as
 * done. Read steps clear the state of pieces that no longer exist.
 */
#ifndef SA_STACK_STEPS_H
#define SA_STACK_STEPS_H

#include "stack_aws.h"
#include "stack_state.h"

/* STS: the account and partition of the credentials. */
int sa_sts_identity(sa_stack_ctx *s, sa_stack_state *st, sa_error *err);

/* KMS: the key (policy for this stack's log group, tags), rotation, the alias. */
int sa_kms_create_key(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                      sa_error *err);
int sa_kms_set_rotation(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err);
int sa_kms_create_alias(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err);
int sa_kms_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_kms_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                 sa_stack_state *st, sa_error *err);
int sa_kms_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);

/* CloudWatch Logs: the encrypted log group and its retention. */
int sa_logs_create(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_logs_set_retention(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                          sa_error *err);
int sa_logs_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_logs_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                  sa_stack_state *st, sa_error *err);
int sa_logs_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);

/* IAM: the function's role and its execution policy (scoped inline, or the managed one). */
int sa_iam_create_role(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                       sa_error *err);
int sa_iam_set_policy(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                      sa_error *err);
int sa_iam_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_iam_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                 sa_stack_state *st, sa_error *err);
int sa_iam_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);

/* Lambda: the function, its readiness, its configuration and code, the invoke permission. */
int sa_lambda_create(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                     sa_error *err);
int sa_lambda_update_config(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                            sa_error *err);
int sa_lambda_update_code(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                          sa_error *err);
int sa_lambda_add_permission(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                             sa_error *err);
/* Reads the function; *ret_config (may be NULL) gets its configuration JSON (caller deletes). */
int sa_lambda_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                   cJSON **ret_config, sa_error *err);
int sa_lambda_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                    sa_stack_state *st, sa_error *err);
int sa_lambda_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                     sa_error *err);
/* The zip of in->handler_code and its CodeSha256. */
int sa_lambda_package(uint8_t **zip, size_t *zip_len, char sha[64], const char *code,
                      sa_error *err);

/* API Gateway: the REST API, its {proxy+} and root routes, the deployment and stage. */
int sa_apigw_create_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err);
int sa_apigw_create_routes(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                           sa_error *err);
int sa_apigw_deploy(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                    sa_error *err);
int sa_apigw_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);
int sa_apigw_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                   sa_stack_state *st, sa_error *err);
int sa_apigw_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                    sa_error *err);

#endif
