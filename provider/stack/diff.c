/*
 * Diff for SecureApiStack: which inputs changed, as a detailed diff per property (map entries per
 * key), with the inputs the property table marks as replacing (environmentSuffix) and the
 * stack's region forcing replacement and everything else updated in place; the repairs of drift
 * (a piece the state lacks, code that is not the inputs' code); and the outputs that stay stable
 * through an in-place update, so previews keep showing them. Pure: values in, a diff out.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "stack/stack.h"
#include "stack/state.h"

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
    if (!seen && d->n_diffs < SA_N(d->diffs))
        snprintf(d->diffs[d->n_diffs++], sizeof(d->diffs[0]), "%s", key);
    if (replace && d->n_replaces < SA_N(d->replaces)) {
        snprintf(d->replaces[d->n_replaces++], sizeof(d->replaces[0]), "%s", key);
        d->replace = true;
    }
    d->changed = true;
}

static void add_detail(sa_stack_diff_result *d, const char *path, sa_diff_kind kind)
{
    if (d->n_detailed < SA_N(d->detailed)) {
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

static void diff_scalar(sa_stack_diff_result *d, const char *key, const sa_value *a,
                        const sa_value *b, bool replace)
{
    if (same(a, b))
        return;
    add_top(d, key, replace);
    add_detail(d, key,
               a == NULL   ? (replace ? SA_DIFF_ADD_REPLACE : SA_DIFF_ADD)
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

static const char *str(const sa_value *obj, const char *key)
{
    const char *s = NULL;
    return sa_value_get_string(get(obj, key), &s) ? s : NULL;
}

/* The repair of drift shown as an update of property. */
static void repair(sa_stack_diff_result *d, const char *property)
{
    bool seen = false;

    for (size_t k = 0; k < d->n_detailed; k++)
        seen = seen || strcmp(d->detailed[k].path, property) == 0;
    add_top(d, property, false);
    if (!seen)
        add_detail(d, property, SA_DIFF_UPDATE);
}

/* The code (lambdaCode or lambdaHandlerCode): set or unset like any input, but changed only when
 * the package differs (CodeSha256 as Check computed it), never for paths or mtimes. Inputs
 * checked before Check computed the hash are compared as values. */
static void diff_code(sa_stack_diff_result *d, const char *key, const sa_value *olds,
                      const sa_value *news)
{
    const sa_value *a = get(olds, key), *b = get(news, key);
    const sa_value *old_sha = get(olds, SA_STACK_CODE_KEY), *new_sha = get(news, SA_STACK_CODE_KEY);

    if (a == NULL || b == NULL) {
        diff_scalar(d, key, a, b, false);
    } else if (old_sha != NULL && new_sha != NULL ? !same(old_sha, new_sha) : !same(a, b)) {
        add_top(d, key, false);
        add_detail(d, key, SA_DIFF_UPDATE);
    }
}

/* Whether the deployed code (its CodeSha256 in the state) is not the inputs' code (their
 * package's CodeSha256, as Check computed it). */
static bool code_drifted(const sa_value *old_outputs, const sa_value *news)
{
    const char *deployed = str(old_outputs, "_codeSha256"), *wanted = str(news, SA_STACK_CODE_KEY);

    return deployed != NULL && wanted != NULL && strcmp(deployed, wanted) != 0;
}

/* The code's property in news: lambdaCode or lambdaHandlerCode. */
static const char *code_property(const sa_value *news)
{
    return get(news, "lambdaCode") != NULL ? "lambdaCode" : "lambdaHandlerCode";
}

/* Drift the next update repairs: pieces the state lacks (rows with a repair property), a
 * permission or a log group key that names a piece that was replaced, a replaced key still to be
 * retired, and code that is not the code in the inputs. Returns whether the key or the API will
 * be new. */
static void diff_repairs(sa_stack_diff_result *d, const sa_value *old_outputs, const sa_value *news,
                         bool *new_key, bool *new_api)
{
    const char *api = str(old_outputs, "restApiId"), *perm = str(old_outputs, "_permissionApi");
    const char *key = str(old_outputs, "kmsKeyArn"), *group_key = str(old_outputs, "_logGroupKey");

    *new_key = *new_api = false;
    if (get(old_outputs, "_partition") == NULL)
        return; /* not a state Create made (preview, or an old format) */
    for (size_t i = 0; i < sa_stack_prop_count; i++) {
        const sa_prop *p = &sa_stack_props[i];
        if (p->repair == NULL || present(old_outputs, p->key))
            continue;
        if (strcmp(p->key, "_permissionApi") == 0 && get(old_outputs, "_permission") != NULL &&
            present(old_outputs, "_permission"))
            continue; /* a state from before _permissionApi */
        repair(d, p->repair);
        *new_key = *new_key || strcmp(p->key, "kmsKeyId") == 0;
        *new_api = *new_api || strcmp(p->key, "restApiId") == 0;
    }
    if (api != NULL && perm != NULL && strcmp(api, perm) != 0)
        repair(d, "functionArn");
    if (key != NULL && group_key != NULL && strcmp(key, group_key) != 0)
        repair(d, "logGroupArn");
    if (present(old_outputs, "_retiredKeyId"))
        repair(d, "kmsKeyId");
    if (code_drifted(old_outputs, news))
        repair(d, code_property(news));
}

int sa_stack_diff(sa_stack_diff_result *d, const sa_value *old_outputs, const sa_value *old_inputs,
                  const sa_value *news, sa_error *err)
{
    const sa_value *olds =
        old_inputs != NULL && old_inputs->u.object.len > 0 ? old_inputs : old_outputs;
    const sa_value *names, *new_region, *old_region;
    bool new_key = false, new_api = false;

    memset(d, 0, sizeof(*d));
    if (olds == NULL || news == NULL || olds->kind != SA_VALUE_OBJECT ||
        news->kind != SA_VALUE_OBJECT)
        return sa_error_set(err, SA_EINTERNAL, "Diff: olds and news must be objects");

    for (size_t i = 0; i < sa_stack_prop_count; i++) {
        const sa_prop *p = &sa_stack_props[i];
        if (!(p->flags & SA_PROP_INPUT) || strcmp(p->key, "region") == 0)
            continue; /* the region is compared below, against where the stack lives */
        if (p->flags & SA_PROP_CODE)
            diff_code(d, p->key, olds, news);
        else if (p->type == SA_PROP_MAP)
            diff_map(d, p->key, get(olds, p->key), get(news, p->key));
        else
            diff_scalar(d, p->key, get(olds, p->key), get(news, p->key),
                        (p->flags & SA_PROP_REPLACES) != 0);
    }

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
    } else if (new_region == NULL && names != NULL && sa_value_is_unknown(names) && !d->replace) {
        /* preview with an unknown region: it may move */
        add_top(d, "region", true);
        add_detail(d, "region", SA_DIFF_UPDATE_REPLACE);
    }
    if (d->replace)
        return SA_OK;

    diff_repairs(d, old_outputs, news, &new_key, &new_api);
    for (size_t i = 0; i < sa_stack_prop_count && d->n_stables < SA_N(d->stables); i++) {
        const sa_prop *p = &sa_stack_props[i];
        if (!(p->flags & SA_PROP_STABLE))
            continue;
        if ((new_key && strncmp(p->key, "kmsKey", 6) == 0) ||
            (new_api && strcmp(p->key, "restApiId") == 0))
            continue; /* a piece the repair makes anew gets a new id */
        d->stables[d->n_stables++] = p->key;
    }
    if (!new_api && (!d->changed || same(get(olds, "stageName"), get(news, "stageName"))) &&
        d->n_stables + 2 <= SA_N(d->stables)) {
        d->stables[d->n_stables++] = "apiUrl";
        d->stables[d->n_stables++] = "stageName";
    }
    return SA_OK;
}
