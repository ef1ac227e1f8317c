/*
 * The AWS lifecycle of SecureApiStack over the per-service steps: converge (Create, and Update's
 * "finish the job": create what is missing or can no longer serve), update in place, read
 * (refresh and import) and delete. Each works on an sa_stack_state that records what exists, so
 * a failure part-way reports exactly what is there and the next run continues. resource.c wraps
 * them in the public entry points of stack.h.
 */
#ifndef SA_STACK_OPS_H
#define SA_STACK_OPS_H

#include "stack/call.h"
#include "stack/state.h"

/* Creates every piece that the state says is missing, independent chains in parallel (KMS key,
 * log group, retention, rotation, alias; role and policy; REST API, routes, deployment and
 * stage), the function as soon as its role and encrypted log group exist, then the invoke
 * permission for the API. */
int sa_ops_converge(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);

/* Brings existing pieces in line with new inputs (old_inputs: what they were made from). */
int sa_ops_update(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_inputs,
                  const sa_value *new_inputs, sa_stack_state *st, sa_error *err);

/* Deletes every piece in reverse order; not-found counts as done. */
int sa_ops_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err);

/* Reads every piece the state names, clearing those that are gone. *ret_live_inputs gets the
 * inputs as AWS shows them, starting from old_inputs (kept where AWS cannot tell). */
int sa_ops_read(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_inputs,
                sa_stack_state *st, sa_value **ret_live_inputs, sa_error *err);

#endif
