/*
 * SecureApiStack's data, declared once. The property table (sa_stack_props) lists every input,
 * output and state field with its type, its field in sa_stack_inputs or sa_stack_state, its
 * default and its flags; Check's defaults, the conversion of the state to and from outputs, the
 * previews, Diff's replacements, stables and drift repairs, and import all read that table, so
 * adding a property is one row here (plus the schema; a unit test checks the two agree).
 *
 * sa_stack_inputs is what the steps read (borrowed from the checked inputs value); sa_stack_state
 * is what exists in AWS (ids and ARNs, empty when a piece does not exist). Create fills the state
 * step by step so a failure reports exactly what exists; Read rebuilds it from AWS; Update and
 * Delete work from it.
 */
#ifndef SA_STACK_STATE_H
#define SA_STACK_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/value.h"

/* The tag that marks every piece as owned by one stack (value: the function name). */
#define SA_STACK_OWNER_TAG "secureapi:stack"
/* The statement id of the invoke permission. */
#define SA_STACK_PERMISSION_SID "secureapi-apigateway-invoke"
/* The tags every piece carries besides the user's: Name, Environment and the ownership tag. */
#define SA_STACK_OWN_TAG_COUNT 3

typedef struct sa_stack_inputs {
    const char *suffix;
    const char *runtime;
    const char *handler_code; /* the inline form of the code, or NULL */
    const sa_value *code;     /* lambdaCode, an archive, or NULL */
    const char *code_sha256;  /* the package's CodeSha256 as Check computed it, or NULL */
    const char *handler;      /* lambdaHandler */
    const char *architecture; /* "x86_64" or "arm64" */
    const char *stage_name;
    const char *execution_policy; /* "scoped" or "managed" */
    int64_t memory;
    int64_t timeout;
    int64_t retention;
    int64_t deletion_window;
    bool rotation;
    const sa_value *environment; /* object of strings (may hold secrets) */
    const sa_value *tags;        /* object of strings */
    const char *region;
    /* the derived names (see names.c) */
    const char *function_name;
    const char *role_name;
    const char *policy_name;
    const char *alias_name;
    const char *log_group_name;
    const char *api_name;
} sa_stack_inputs;

typedef struct sa_stack_state {
    char region[32];
    char account[16];
    char partition[16];
    char kms_key_id[64];
    char kms_key_arn[160];
    char retired_key_id[64]; /* a disabled key of the stack, replaced, to be scheduled for
                                deletion */
    bool kms_rotation;       /* rotation as last set or read */
    bool alias;              /* the alias exists and names kms_key_id */
    char log_group_arn[320];
    char log_group_key[160]; /* the key ARN the log group is encrypted with */
    int64_t retention;       /* as last set or read; 0 unknown */
    char role_arn[200];
    char role_policy[16]; /* "scoped", "managed", "both" or "" when none is set */
    char function_arn[200];
    char code_sha256[64];  /* CodeSha256 of the function's code as AWS reports it */
    char architecture[16]; /* the function's, as last set or read */
    char rest_api_id[32];
    char retired_api_id[32]; /* a duplicate REST API a create could not delete: deleted by the
                                next update or delete */
    char root_resource_id[32];
    char proxy_resource_id[32];
    bool methods;            /* both methods and integrations exist */
    char permission_api[32]; /* the REST API the invoke permission names, "" if none */
    char deployment_id[32];
    char stage_name[130]; /* the stage that exists, "" if none */
} sa_stack_state;

/* ---- the property table ---- */

typedef enum sa_prop_type {
    SA_PROP_STRING,
    SA_PROP_INT,
    SA_PROP_BOOL,
    SA_PROP_MAP,     /* an object of strings */
    SA_PROP_ARCHIVE, /* a Pulumi archive */
} sa_prop_type;

enum {
    SA_PROP_INPUT = 1u << 0,         /* a user input (the schema's inputProperties) */
    SA_PROP_OUTPUT = 1u << 1,        /* a schema output */
    SA_PROP_REQUIRED = 1u << 2,      /* a required input */
    SA_PROP_REPLACES = 1u << 3,      /* changing it replaces the stack */
    SA_PROP_STABLE = 1u << 4,        /* an in-place update never changes it */
    SA_PROP_ASSIGNED = 1u << 5,      /* AWS assigns it: unknown in a create preview */
    SA_PROP_SUFFIX_SECRET = 1u << 6, /* embeds the suffix: secret when environmentSuffix is */
    SA_PROP_OPTIONAL = 1u << 7,      /* an input that may stay unset (no default) */
    SA_PROP_CODE = 1u << 8, /* one of the code's two forms: Diff compares the package hash */
};

typedef struct sa_prop {
    const char *key; /* the property name ("_" first: kept in the state, not a schema
                        output) */
    sa_prop_type type;
    unsigned flags;
    size_t input;            /* offsetof(sa_stack_inputs, field) + 1; 0: none */
    size_t state;            /* offsetof(sa_stack_state, field) + 1; 0: none */
    size_t state_size;       /* the size of a string state field */
    const char *name;        /* the __names key of a derived name (names.c) */
    const char *dflt;        /* the default of an input, as JSON ("256", "true", "\"prod\"") */
    const char *dflt_text;   /* or as a string taken as it is */
    const char *dflt_unless; /* no default when this other input is set */
    const char *repair;      /* a piece: when the state lacks it, Diff shows this property as
                                the update that recreates it */
} sa_prop;

extern const sa_prop sa_stack_props[];
extern const size_t sa_stack_prop_count;

/* The row of a property, or NULL. */
const sa_prop *sa_stack_prop(const char *key);

/* ---- conversions ---- */

/* Reads the checked inputs (which must have no unknowns and valid names). */
int sa_stack_inputs_parse(sa_stack_inputs *out, const sa_value *inputs, sa_error *err);

/* The state recorded in a previous output value (missing fields stay empty). */
void sa_stack_state_from_outputs(sa_stack_state *out, const sa_value *outputs);

/* The output value: the checked inputs plus everything the state says exists. */
int sa_stack_state_to_outputs(sa_value **out, const sa_value *inputs, const sa_stack_state *st,
                              sa_error *err);

/* Whether any piece exists. */
bool sa_stack_state_any(const sa_stack_state *st);

/* The resource id: <region>/<function name>. */
void sa_stack_id(char *out, size_t cap, const sa_stack_inputs *in);

/* The invoke URL of the stage. */
void sa_stack_api_url(char *out, size_t cap, const sa_stack_state *st, const char *stage);

/* ---- names (names.c) ---- */

/* What a stack's names derive from. */
typedef struct sa_stack_name_seed {
    const char *base; /* <resource>-<suffix>, sanitised and cut */
    char hex[8];      /* 7 hex digits */
} sa_stack_name_seed;

/* The __names object for a seed and region: functionName, roleName, policyName, aliasName,
 * logGroupName, apiName, region. One builder for Check (forward) and import (backward). */
int sa_stack_names_build(sa_value **out, const sa_stack_name_seed *seed, const char *region,
                         sa_error *err);

/* The seed of a function name made by this provider (<base>-<7 hex>), for import. */
int sa_stack_name_seed_from_function(sa_stack_name_seed *out, char *base, size_t base_cap,
                                     const char *function_name, sa_error *err);

/* The seed Check derives: the hex of the URN (or seed), resource name, suffix and region. */
int sa_stack_name_seed_derive(sa_stack_name_seed *out, char *base, size_t base_cap, const char *urn,
                              const uint8_t *random_seed, size_t seed_len,
                              const char *resource_name, const char *suffix, const char *region,
                              sa_error *err);

/* ---- the function's code (stack/code.h packages it) ---- */

/* The JavaScript source of the default handler (provider/stack/handler/index.js, embedded). */
extern const char sa_default_handler_js[];

#endif
