/*
 * The state of one SecureApiStack: its inputs as the steps read them (parsed from the checked
 * inputs value, borrowed), and what exists in AWS (ids and ARNs, empty when a piece does not
 * exist). Create fills the state step by step, so a failure can report exactly what exists; Read
 * rebuilds it from AWS; Update and Delete work from it. Conversion to and from the output value
 * lives in stack_state.c.
 */
#ifndef SA_STACK_STATE_H
#define SA_STACK_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "value.h"

typedef struct sa_stack_inputs {
    const char *suffix;
    const char *runtime;
    const char *handler_code;
    const char *stage_name;
    const char *execution_policy; /* "scoped" or "managed" */
    int64_t memory;
    int64_t timeout;
    int64_t retention;
    int64_t deletion_window;
    bool rotation;
    const sa_value *environment;  /* object of strings (may hold secrets) */
    const sa_value *tags;         /* object of strings */
    /* names */
    const char *region;
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
    bool kms_rotation;          /* rotation as last set or read */
    bool alias;                 /* the alias exists */
    char log_group_arn[240];
    int64_t retention;          /* as last set or read; 0 unknown */
    char role_arn[200];
    char role_policy[16];       /* "scoped", "managed" or "" when no execution policy is set */
    char function_arn[200];
    char code_sha256[64];
    char rest_api_id[32];
    char root_resource_id[32];
    char proxy_resource_id[32];
    bool methods;               /* both methods and integrations exist */
    bool permission;            /* the invoke permission exists */
    char deployment_id[32];
    char stage_name[130];       /* the stage that exists, "" if none */
} sa_stack_state;

/* The statement id of the invoke permission. */
#define SA_STACK_PERMISSION_SID "secureapi-apigateway-invoke"
/* The tag that marks every piece as owned by one stack (value: the function name). */
#define SA_STACK_OWNER_TAG "secureapi:stack"

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

#endif
