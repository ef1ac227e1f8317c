/*
 * Diff for SecureApiStack: which inputs changed, as a detailed diff per property (map entries per
 * key), with environmentSuffix and the stack's region forcing replacement and everything else
 * updated in place; plus the outputs that stay stable through an in-place update, so previews keep
 * showing them. Pure: values in, a diff out.
 */
#include "stack.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zip.h"

/* Inputs compared one to one; the two maps get per-key entries. */
static const char *const scalar_inputs[] = {
    "environmentSuffix", "lambdaRuntime", "lambdaHandlerCode", "lambdaMemorySize",
    "lambdaTimeout", "logRetentionInDays", "kmsKeyRotation", "kmsDeletionWindowInDays",
    "stageName", "executionPolicy",
};
static const char *const map_inputs[] = {"lambdaEnvironment", "tags"};

/* Outputs an in-place update never changes. */
static const char *const stable_outputs[] = {
    "environmentSuffix", "region", "restApiId", "functionName", "functionArn", "roleName",
    "roleArn", "kmsKeyId", "kmsKeyArn", "kmsAliasName", "logGroupName", "logGroupArn",
    "accountId",
};

static bool is_ident(const char *k)
{
    if (!isalpha((unsigned char)*k) && *k != '_')
        return false;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '_')
            return false;
    return true;
}

static void add_top(sa_stack_diff_result *d, const char *key, bool replace)
{
    bool seen = false;

    for (size_t i = 0; i < d->n_diffs; i++)
        seen = seen || strcmp(d->diffs[i], key) == 0;
    if (!seen && d->n_diffs < sizeof(d->diffs) / sizeof(d->diffs[0]))
        snprintf(d->diffs[d->n_diffs++], sizeof(d->diffs[0]), "%s", key);
    if (replace && d->n_replaces < sizeof(d->replaces) / sizeof(d->replaces[0])) {
        snprintf(d->replaces[d->n_replaces++], sizeof(d->replaces[0]), "%s", key);
        d->replace = true;
    }
    d->changed = true;
}

static void add_detail(sa_stack_diff_result *d, const char *path, sa_diff_kind kind)
{
    if (d->n_detailed < sizeof(d->detailed) / sizeof(d->detailed[0])) {
        snprintf(d->detailed[d->n_detailed].path, sizeof(d->detailed[0].path), "%s", path);
        d->detailed[d->n_detailed].kind = kind;
        d->n_detailed++;
    }
}

/* The value set for key (NULL for absent or null). */
static const sa_value *get(const sa_value *obj, const char *key)
{
    const sa_value *v = sa_value_object_get(obj, key);
    const sa_value *inner = sa_value_unwrap(v, NULL);
    return inner == NULL || inner->kind == SA_VALUE_NULL ? NULL : v;
}

/* Equal ignoring secret wrappers; an unknown never equals anything. */
static bool same(const sa_value *a, const sa_value *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (sa_value_contains_unknown(a) || sa_value_contains_unknown(b))
        return false;
    a = sa_value_unwrap(a, NULL);
    b = sa_value_unwrap(b, NULL);
    if (a->kind == SA_VALUE_OBJECT && b->kind == SA_VALUE_OBJECT) {
        if (a->u.object.len != b->u.object.len)
            return false;
        for (size_t i = 0; i < a->u.object.len; i++)
            if (!same(a->u.object.values[i], get(b, a->u.object.keys[i])))
                return false;
        return true;
    }
    return sa_value_equal(a, b);
}

static void diff_scalar(sa_stack_diff_result *d, const char *key, const sa_value *a, const sa_value *b,
                        bool replace)
{
    if (same(a, b))
        return;
    add_top(d, key, replace);
    add_detail(d, key,
               a == NULL ? (replace ? SA_DIFF_ADD_REPLACE : SA_DIFF_ADD)
               : b == NULL ? (replace ? SA_DIFF_DELETE_REPLACE : SA_DIFF_DELETE)
                           : (replace ? SA_DIFF_UPDATE_REPLACE : SA_DIFF_UPDATE));
}

static void map_path(char *out, size_t cap, const char *key, const char *entry)
{
    if (is_ident(entry))
        snprintf(out, cap, "%s.%s", key, entry);
    else
        snprintf(out, cap, "%s[\"%s\"]", key, entry);
}

static void diff_map(sa_stack_diff_result *d, const char *key, const sa_value *a, const sa_value *b)
{
    const sa_value *ao = sa_value_unwrap(a, NULL), *bo = sa_value_unwrap(b, NULL);
    char path[160];

    if (same(a, b))
        return;
    if (ao == NULL || bo == NULL || ao->kind != SA_VALUE_OBJECT || bo->kind != SA_VALUE_OBJECT) {
        diff_scalar(d, key, a, b, false);
        return;
    }
    add_top(d, key, false);
    for (size_t i = 0; i < ao->u.object.len; i++) {
        const sa_value *nv = get(bo, ao->u.object.keys[i]);
        map_path(path, sizeof(path), key, ao->u.object.keys[i]);
        if (nv == NULL)
            add_detail(d, path, SA_DIFF_DELETE);
        else if (!same(ao->u.object.values[i], nv))
            add_detail(d, path, SA_DIFF_UPDATE);
    }
    for (size_t i = 0; i < bo->u.object.len; i++) {
        if (get(ao, bo->u.object.keys[i]) != NULL)
            continue;
        map_path(path, sizeof(path), key, bo->u.object.keys[i]);
        add_detail(d, path, SA_DIFF_ADD);
    }
}

/* Pieces a refresh found missing (or a failed create never made): the state lacks their id.
 * [state key, property shown to the user] */
static const char *const pieces[][2] = {
    {"kmsKeyId", "kmsKeyId"},       {"logGroupArn", "logGroupArn"},
    {"roleArn", "roleArn"},         {"functionArn", "functionArn"},
    {"restApiId", "restApiId"},     {"deploymentId", "deploymentId"},
    {"_stage", "stageName"},        {"_alias", "kmsAliasName"},
    {"_methods", "restApiId"},      {"_permission", "functionArn"},
};

static bool present(const sa_value *outputs, const char *key)
{
    const sa_value *v = get(outputs, key);
    bool b = false;
    const char *s = NULL;
    if (v == NULL)
        return false;
    if (sa_value_get_bool(v, &b))
        return b;
    return !sa_value_get_string(v, &s) || s[0] != '\0';
}

/* Drift the next update repairs: missing pieces, and code that is not the code in the inputs. */
static void diff_repairs(sa_stack_diff_result *d, const sa_value *old_outputs,
                         const sa_value *news)
{
    const char *deployed = NULL, *code = NULL;
    uint8_t *zip = NULL;
    size_t zip_len = 0;
    char sha[64];
    sa_error err = {0};

    if (get(old_outputs, "_partition") == NULL)
        return; /* not a state Create made (preview, or an old format) */
    for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        if (!present(old_outputs, pieces[i][0])) {
            bool seen = false;
            for (size_t k = 0; k < d->n_detailed; k++)
                seen = seen || strcmp(d->detailed[k].path, pieces[i][1]) == 0;
            add_top(d, pieces[i][1], false);
            if (!seen)
                add_detail(d, pieces[i][1], SA_DIFF_UPDATE);
        }
    }
    if (sa_value_get_string(get(old_outputs, "_codeSha256"), &deployed) &&
        sa_value_get_string(get(news, "lambdaHandlerCode"), &code) &&
        sa_zip_single(&zip, &zip_len, "index.js", (const uint8_t *)code, strlen(code), &err) ==
            SA_OK &&
        sa_zip_code_sha256(sha, zip, zip_len) == SA_OK && strcmp(sha, deployed) != 0) {
        bool seen = false;
        for (size_t k = 0; k < d->n_detailed; k++)
            seen = seen || strcmp(d->detailed[k].path, "lambdaHandlerCode") == 0;
        add_top(d, "lambdaHandlerCode", false);
        if (!seen)
            add_detail(d, "lambdaHandlerCode", SA_DIFF_UPDATE);
    }
    free(zip);
}

int sa_stack_diff(sa_stack_diff_result *d, const sa_value *old_outputs, const sa_value *old_inputs,
                  const sa_value *news, sa_error *err)
{
    const sa_value *olds = old_inputs != NULL && old_inputs->u.object.len > 0 ? old_inputs
                                                                             : old_outputs;
    const sa_value *names, *new_region, *old_region;

    memset(d, 0, sizeof(*d));
    if (olds == NULL || news == NULL || olds->kind != SA_VALUE_OBJECT ||
        news->kind != SA_VALUE_OBJECT)
        return sa_error_set(err, SA_EINTERNAL, "Diff: olds and news must be objects");

    for (size_t i = 0; i < sizeof(scalar_inputs) / sizeof(scalar_inputs[0]); i++) {
        const char *key = scalar_inputs[i];
        diff_scalar(d, key, get(olds, key), get(news, key),
                    strcmp(key, "environmentSuffix") == 0);
    }
    for (size_t i = 0; i < sizeof(map_inputs) / sizeof(map_inputs[0]); i++)
        diff_map(d, map_inputs[i], get(olds, map_inputs[i]), get(news, map_inputs[i]));

    /* region: where the stack lives (old outputs) against where it would live now (the explicit
     * input, else the region the names were derived for) */
    names = get(news, SA_STACK_NAMES_KEY);
    new_region = get(news, "region");
    if (new_region == NULL && names != NULL && !sa_value_is_unknown(names))
        new_region = get(sa_value_unwrap(names, NULL), "region");
    old_region = get(old_outputs, "region");
    if (old_region == NULL)
        old_region = get(olds, "region");
    if (new_region != NULL && old_region != NULL && !same(old_region, new_region)) {
        add_top(d, "region", true);
        add_detail(d, "region", SA_DIFF_UPDATE_REPLACE);
    } else if (new_region == NULL && names != NULL && sa_value_is_unknown(names) &&
               !d->replace) {
        /* preview with an unknown region: it may move */
        add_top(d, "region", true);
        add_detail(d, "region", SA_DIFF_UPDATE_REPLACE);
    }

    if (!d->replace)
        diff_repairs(d, old_outputs, news);

    if (!d->replace) {
        for (size_t i = 0; i < sizeof(stable_outputs) / sizeof(stable_outputs[0]); i++)
            d->stables[d->n_stables++] = stable_outputs[i];
        if (!d->changed || (same(get(olds, "stageName"), get(news, "stageName")))) {
            d->stables[d->n_stables++] = "apiUrl";
            d->stables[d->n_stables++] = "stageName";
        }
    }
    return SA_OK;
}
