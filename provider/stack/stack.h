/*
 * secureapi:index:SecureApiStack, the one resource of the package: its public face, the only
 * header of provider/stack/ that the RPC layer includes. The RPC layer decodes a request into
 * values, calls one function here, and encodes what it gets back; everything about the resource
 * (its properties, what AWS accepts, the names of its AWS objects, how each operation runs) lives
 * behind these functions. Check, Diff and the previews are pure (no AWS call, no I/O beyond the
 * environment seam). Create, Update, Read, Delete and the identity check call AWS through the
 * client the caller hands in (sa_stack_env).
 */
#ifndef SA_STACK_STACK_H
#define SA_STACK_STACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aws/client.h"
#include "base/error.h"
#include "base/value.h"

#define SA_STACK_TYPE "secureapi:index:SecureApiStack"

/* The key in checked inputs that keeps the derived names stable across retries and updates. */
#define SA_STACK_NAMES_KEY "__names"
/* The key in checked inputs with the CodeSha256 of the function's package as Check built it. */
#define SA_STACK_CODE_KEY "__codeSha256"

/* ---- Check ---------------------------------------------------------------------------------- */

/* One CheckFailure. */
typedef struct sa_check_failure {
    char property[320];
    char reason[384];
} sa_check_failure;

typedef struct sa_check_failures {
    sa_check_failure items[32];
    size_t len;
} sa_check_failures;

/* What Check needs besides the news. */
typedef struct sa_check_context {
    const char *urn;            /* the resource's URN: names derive from it */
    const char *resource_name;  /* the Pulumi resource name (from the URN) */
    const uint8_t *random_seed; /* the engine's seed; used only when there is no URN */
    size_t random_seed_len;
    const char *provider_region;             /* the configured provider region, or NULL */
    const char *(*getenv)(const char *name); /* environment seam; NULL means no environment */
    time_t now; /* today, for runtime deprecation dates; 0: the clock's */
} sa_check_context;

/* Validates news against what AWS accepts, fills defaults and derives names (reusing those in
 * olds when suffix and region are unchanged). *out gets the checked inputs (always, also when
 * there are failures, as the protocol wants). Returns SA_OK, or SA_EINVAL with failures, or
 * another code on internal error. */
int sa_stack_check(sa_value **out, const sa_value *olds, const sa_value *news,
                   const sa_check_context *ctx, sa_check_failures *failures, sa_error *err);

/* ---- Diff ----------------------------------------------------------------------------------- */

/* Kinds of a property change, as the protocol numbers them (PropertyDiff.Kind). */
typedef enum sa_diff_kind {
    SA_DIFF_ADD = 0,
    SA_DIFF_ADD_REPLACE = 1,
    SA_DIFF_DELETE = 2,
    SA_DIFF_DELETE_REPLACE = 3,
    SA_DIFF_UPDATE = 4,
    SA_DIFF_UPDATE_REPLACE = 5,
} sa_diff_kind;

typedef struct sa_prop_diff {
    char path[160]; /* e.g. lambdaMemorySize, tags.owner, tags["a b"] */
    sa_diff_kind kind;
} sa_prop_diff;

typedef struct sa_stack_diff {
    bool changed;
    bool replace;
    char diffs[24][32]; /* changed top-level inputs */
    size_t n_diffs;
    char replaces[4][32]; /* top-level inputs forcing replacement */
    size_t n_replaces;
    sa_prop_diff detailed[128];
    size_t n_detailed;
    const char *stables[32]; /* outputs that keep their value (static strings) */
    size_t n_stables;
} sa_stack_diff_result;

/* Compares the old state (outputs, and the old inputs when the engine sends them) with the new
 * checked inputs. Pure. */
int sa_stack_diff(sa_stack_diff_result *out, const sa_value *old_outputs,
                  const sa_value *old_inputs, const sa_value *news, sa_error *err);

/* ---- previews ------------------------------------------------------------------------------- */

/* The outputs a Create would produce, predicted without any AWS call: every checked input,
 * the derived names, and unknowns for what AWS assigns (ids, ARNs, the URL). Outputs derived
 * from a secret input are secret. */
int sa_stack_preview_outputs(sa_value **out, const sa_value *inputs, sa_error *err);

/* The outputs an Update would produce: the prediction above, with what AWS assigned kept from
 * the old outputs. */
int sa_stack_preview_update(sa_value **out, const sa_value *old_outputs, const sa_value *news,
                            sa_error *err);

/* ---- the AWS operations --------------------------------------------------------------------- */

typedef enum sa_stack_severity {
    SA_STACK_DEBUG = 0,
    SA_STACK_INFO = 1,
    SA_STACK_WARNING = 2,
    SA_STACK_ERROR = 3,
} sa_stack_severity;

/* What one operation gets from the caller. Borrowed for the call. */
typedef struct sa_stack_env {
    sa_aws_client *aws;           /* the configured client (the caller holds a reference) */
    const char *account;          /* the account and partition Configure found; "" or NULL: ask */
    const char *partition;        /*   STS when needed */
    const atomic_bool *cancelled; /* raised by Cancel: work stops at its next call or wait */
    double timeout_s;             /* the engine's custom timeout; 0: none */
    const char *urn;              /* for messages on the resource; may be NULL */
    /* Diagnostics for the user (ephemeral: a progress line that is not kept). Never secrets. */
    void (*log)(void *ctx, sa_stack_severity severity, const char *urn, bool ephemeral,
                const char *message);
    void *log_ctx;
    int calls; /* out: AWS calls the operation made */
} sa_stack_env;

/* What an operation returns: the resource id and its outputs; on a failure part-way (partial),
 * the outputs of what exists, for the engine to keep. Read also returns the live inputs. */
typedef struct sa_stack_result {
    char id[320];
    sa_value *outputs; /* owned; NULL when nothing exists (Read: the resource is gone) */
    sa_value *inputs;  /* Read only: the inputs as AWS shows them; owned */
    bool partial;      /* the operation failed but outputs say what exists */
} sa_stack_result;

void sa_stack_result_dispose(sa_stack_result *r);

/* The account and partition of the client's credentials (STS GetCallerIdentity), and (when arn
 * is not NULL) the caller's ARN, cut to arn_size bytes. */
int sa_stack_identity(sa_stack_env *env, char account[16], char partition[16], char *arn,
                      size_t arn_size, sa_error *err);

/* Creates every piece of the stack from checked inputs. On failure out->partial says whether
 * out->outputs records pieces that exist. */
int sa_stack_create(sa_stack_result *out, sa_stack_env *env, const sa_value *inputs, sa_error *err);

/* Brings an existing stack (old outputs, and the inputs it was made from; old_inputs may be
 * empty) in line with new checked inputs, also recreating what drift removed. */
int sa_stack_update(sa_stack_result *out, sa_stack_env *env, const sa_value *old_outputs,
                    const sa_value *old_inputs, const sa_value *news, sa_error *err);

/* Refresh (old outputs given) or import (old outputs empty: id is <region>/<function name>):
 * what exists in AWS now. out->outputs is NULL when every piece is gone. */
int sa_stack_read(sa_stack_result *out, sa_stack_env *env, const char *id,
                  const sa_value *old_outputs, const sa_value *old_inputs, sa_error *err);

/* Deletes every piece; what is already gone counts as deleted. */
int sa_stack_delete(sa_stack_env *env, const sa_value *old_outputs, sa_error *err);

#endif
