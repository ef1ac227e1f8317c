/*
 * secureapi:index:SecureApiStack, the one resource of the package. This header holds its input
 * model (what Check validates and fills in), the names derived for every AWS object, and the entry
 * points the RPC layer calls. Check, Diff and preview are pure (stack_check.c, stack_diff.c): no
 * AWS call and no I/O beyond reading the process environment for the default region.
 */
#ifndef SA_STACK_H
#define SA_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "value.h"

#define SA_STACK_TYPE "secureapi:index:SecureApiStack"

/* Defaults, in one place (the schema states the same). */
#define SA_STACK_DEFAULT_RUNTIME "nodejs22.x"
#define SA_STACK_DEFAULT_MEMORY 256
#define SA_STACK_DEFAULT_TIMEOUT 30
#define SA_STACK_DEFAULT_RETENTION 7
#define SA_STACK_DEFAULT_DELETION_WINDOW 30
#define SA_STACK_DEFAULT_STAGE "prod"
#define SA_STACK_DEFAULT_REGION "ap-southeast-1"

/* The key in checked inputs that keeps the derived names stable across retries and updates. */
#define SA_STACK_NAMES_KEY "__names"

/* One CheckFailure. */
typedef struct sa_check_failure {
    char property[96];
    char reason[320];
} sa_check_failure;

typedef struct sa_check_failures {
    sa_check_failure items[32];
    size_t len;
} sa_check_failures;

/* What Check needs besides the news. */
typedef struct sa_check_context {
    const char *urn;                 /* the resource's URN: names derive from it */
    const char *resource_name;       /* the Pulumi resource name (from the URN) */
    const uint8_t *random_seed;      /* the engine's seed; used only when there is no URN */
    size_t random_seed_len;
    const char *provider_region;     /* the configured provider region, or NULL */
    const char *(*getenv)(const char *name); /* environment seam; NULL means no environment */
} sa_check_context;

/* Validates news, fills defaults and derives names (reusing those in olds when suffix and region
 * are unchanged). *out gets the checked inputs (always, also when there are failures, as the
 * protocol wants). Returns SA_OK, or SA_EINVAL with failures, or another code on internal error. */
int sa_stack_check(sa_value **out, const sa_value *olds, const sa_value *news,
                   const sa_check_context *ctx, sa_check_failures *failures, sa_error *err);

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
    char path[160];     /* e.g. lambdaMemorySize, tags.owner, tags["a b"] */
    sa_diff_kind kind;
} sa_prop_diff;

typedef struct sa_stack_diff {
    bool changed;
    bool replace;
    char diffs[16][32];      /* changed top-level inputs */
    size_t n_diffs;
    char replaces[4][32];    /* top-level inputs forcing replacement */
    size_t n_replaces;
    sa_prop_diff detailed[128];
    size_t n_detailed;
    const char *stables[24]; /* outputs that keep their value (static strings) */
    size_t n_stables;
} sa_stack_diff_result;

/* Compares the old state (outputs, and the old inputs when the engine sends them) with the new
 * checked inputs. Pure. */
int sa_stack_diff(sa_stack_diff_result *out, const sa_value *old_outputs, const sa_value *old_inputs,
                  const sa_value *news, sa_error *err);

/* The outputs a Create would produce, predicted without any AWS call: every checked input,
 * the derived names, and unknowns for what AWS assigns (ids, ARNs, the URL). Outputs derived
 * from a secret input are secret. */
int sa_stack_preview_outputs(sa_value **out, const sa_value *inputs, sa_error *err);

/* The __names object of a stack whose function is function_name in region, derived back the
 * way Check derives names forward (for import). Fails when the name is not one of ours. */
int sa_stack_names_from_function(sa_value **out, const char *region, const char *function_name,
                                 sa_error *err);

/* The JavaScript source of the default handler (provider/handler/index.js, embedded). */
extern const char sa_default_handler_js[];

/* The values logRetentionInDays may take (CloudWatch Logs' fixed set). */
bool sa_stack_retention_allowed(int64_t days);

#endif
