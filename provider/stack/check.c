/*
 * Check for SecureApiStack: every input is validated against what AWS accepts (the rows of
 * limits.c, each from a service model or an AWS document) before any AWS call, defaults come
 * from the property table (state.h), and the names of the AWS objects are derived (names.c) and
 * kept under __names so updates see them unchanged. Failures name the property and the rule.
 * Pure: no AWS call, no I/O beyond the environment seam (for the default region).
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/endpoints.h"
#include "aws/partition.h"
#include "base/util.h"
#include "stack/code.h"
#include "stack/limits.h"
#include "stack/stack.h"
#include "stack/state.h"

static void failure(sa_check_failures *f, const char *property, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void failure(sa_check_failures *f, const char *property, const char *fmt, ...)
{
    va_list ap;
    sa_check_failure *it;

    if (f->len >= SA_N(f->items))
        return;
    it = &f->items[f->len++];
    SA_COPY(it->property, property);
    va_start(ap, fmt);
    vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
    va_end(ap);
}

/* The value of key in news when it is set (not absent, not null); NULL otherwise. */
static const sa_value *given(const sa_value *news, const char *key)
{
    const sa_value *v = sa_value_object_get(news, key);
    const sa_value *inner = sa_value_unwrap(v, NULL);
    return inner == NULL || inner->kind == SA_VALUE_NULL ? NULL : v;
}

/* A string input (borrowed), or NULL when unknown or not a string (failure added). */
static const char *string_input(const sa_value *v, const char *key, sa_check_failures *f)
{
    const char *s = NULL;

    if (v == NULL || sa_value_is_unknown(v))
        return NULL;
    if (!sa_value_get_string(v, &s)) {
        failure(f, key, "%s must be a string, not a %s", key,
                sa_value_kind_name(sa_value_unwrap(v, NULL)->kind));
        return NULL;
    }
    return s;
}

/* An integer input within a limit; false when unknown or invalid (failure added). */
static bool int_input(const sa_value *v, const char *key, const sa_limit *l, int64_t *out,
                      sa_check_failures *f)
{
    if (v == NULL || sa_value_is_unknown(v))
        return false;
    if (!sa_value_get_int(v, out)) {
        failure(f, key, "%s must be a whole number from %lld to %lld", key, (long long)l->min,
                (long long)l->max);
        return false;
    }
    if (*out < l->min || *out > l->max) {
        failure(f, key, "%s is %lld; %s allows %lld to %lld (%s)", key, (long long)*out, l->what,
                (long long)l->min, (long long)l->max, l->source);
        return false;
    }
    return true;
}

/* ---- per-property rules ---- */

static void check_suffix(const sa_value *v, sa_check_failures *f, const char **ret)
{
    const char *s = string_input(v, "environmentSuffix", f);
    size_t len;
    bool ok;

    *ret = NULL;
    if (s == NULL)
        return;
    /* our own rule: the suffix goes into every name, whose AWS patterns allow letters, digits
     * and - (IAM role and Lambda function names are the strictest) */
    len = strlen(s);
    ok = len >= 1 && len <= 32 && s[0] != '-' && s[len - 1] != '-' &&
         sa_pattern_match("[A-Za-z0-9-]+", s);
    if (!ok) {
        failure(f, "environmentSuffix",
                "environmentSuffix '%.40s' is not valid: use 1-32 "
                "characters of A-Z, a-z, 0-9 and - (not at either end)",
                s);
        return;
    }
    *ret = s;
}

static void check_runtime(const sa_value *v, const sa_value *olds, bool inline_code, time_t now,
                          sa_check_failures *f)
{
    const char *s = string_input(v, "lambdaRuntime", f), *old = NULL;
    const sa_runtime *rt;

    if (s == NULL)
        return;
    rt = sa_lambda_runtime(s);
    if (rt == NULL) {
        failure(f, "lambdaRuntime", "lambdaRuntime '%.40s' is not a Lambda runtime (%s)", s,
                sa_lambda_runtime_source);
        return;
    }
    sa_value_get_string(given(olds, "lambdaRuntime"), &old);
    if (old != NULL && strcmp(old, s) == 0) {
        /* the function already uses it: only updates can be blocked */
        if (sa_date_passed(rt->block_update, now))
            failure(f, "lambdaRuntime",
                    "%s was deprecated on %s and Lambda blocks updates of "
                    "functions using it since %s; choose a supported runtime (%s)",
                    s, rt->deprecated, rt->block_update, sa_lambda_runtime_source);
    } else if (sa_date_passed(rt->block_create, now)) {
        failure(f, "lambdaRuntime",
                "%s is deprecated%s%s and Lambda no longer accepts it for "
                "new functions since %s; choose a supported runtime such as nodejs22.x or "
                "nodejs24.x (%s)",
                s, rt->deprecated ? " since " : "", rt->deprecated ? rt->deprecated : "",
                rt->block_create, sa_lambda_runtime_source);
        return;
    }
    /* the inline code (lambdaHandlerCode or the default handler) is index.js */
    if (inline_code && (strncmp(s, "nodejs", 6) != 0 || strcmp(s, "nodejs4.3-edge") == 0))
        failure(f, "lambdaRuntime",
                "lambdaRuntime %s is not a Node.js runtime: the function's "
                "code (lambdaHandlerCode) is JavaScript (index.js); use nodejs22.x or nodejs24.x",
                s);
}

/* lambdaHandler (the model's Handler: at most 128 characters, no white space) and, for inline
 * code, that the code names the function it points at (index.<name>). */
static void check_handler(const sa_value *handler, const sa_value *code, sa_check_failures *f)
{
    const char *h = handler != NULL ? string_input(handler, "lambdaHandler", f)
                                    : sa_stack_prop("lambdaHandler")->dflt_text;
    const char *s, *fn = h != NULL ? strrchr(h, '.') : NULL;

    if (h != NULL && !sa_limit_string_ok(&sa_lambda_handler, h, NULL)) {
        failure(f, "lambdaHandler",
                "lambdaHandler '%.60s' is not valid: 1-128 characters without "
                "white space, like index.handler (%s)",
                h, sa_lambda_handler.source);
        return;
    }
    if ((s = string_input(code, "lambdaHandlerCode", f)) == NULL)
        return;
    if (*s == '\0')
        failure(f, "lambdaHandlerCode",
                "lambdaHandlerCode is empty; leave it unset for the "
                "default handler");
    else if (strlen(s) > (4u << 20))
        failure(f, "lambdaHandlerCode",
                "lambdaHandlerCode is over 4 MB; deploy larger code as lambdaCode (an archive)");
    else if (h != NULL && (strncmp(h, "index.", 6) != 0 || fn == NULL))
        failure(f, "lambdaHandler",
                "lambdaHandler %.60s does not name a function of index.js "
                "(lambdaHandlerCode is packaged as index.js): use index.<function>",
                h);
    else if (fn != NULL && strstr(s, fn + 1) == NULL)
        failure(f, "lambdaHandlerCode",
                "lambdaHandlerCode must export a function named "
                "%.60s (the function's handler is %.60s)",
                fn + 1, h);
}

static void check_architecture(const sa_value *v, sa_check_failures *f)
{
    const char *s = string_input(v, "lambdaArchitecture", f);

    if (s != NULL && strcmp(s, "x86_64") != 0 && strcmp(s, "arm64") != 0)
        failure(f, "lambdaArchitecture",
                "lambdaArchitecture must be x86_64 or arm64, not '%.40s' (%s)", s,
                sa_lambda_architecture_source);
}

/* The code: lambdaCode (an archive) or lambdaHandlerCode, not both; packaged now, so a missing
 * file or a package over Lambda's limits is a failure naming the property before any AWS call,
 * and *sha gets its CodeSha256 (for Diff). Returns SA_ENOMEM only when memory ran out. */
static int check_code(const sa_value *code, const sa_value *handler_code, char sha[64],
                      sa_check_failures *f)
{
    const sa_value *archive = sa_value_unwrap(code, NULL);
    const char *text = NULL;
    sa_error err = {0};

    sha[0] = '\0';
    if (code != NULL && handler_code != NULL) {
        failure(f, "lambdaCode",
                "set lambdaCode (an archive) or lambdaHandlerCode (one "
                "JavaScript source), not both");
        return SA_OK;
    }
    if ((code != NULL && sa_value_contains_unknown(code)) ||
        (handler_code != NULL && sa_value_is_unknown(handler_code)))
        return SA_OK; /* preview: not known yet */
    if (archive != NULL && archive->kind != SA_VALUE_ARCHIVE) {
        failure(f, "lambdaCode",
                "lambdaCode must be an archive (an AssetArchive or a "
                "FileArchive), not %s %s",
                archive->kind == SA_VALUE_ASSET ? "an" : "a", sa_value_kind_name(archive->kind));
        return SA_OK;
    }
    if (archive == NULL && !sa_value_get_string(handler_code, &text))
        text = sa_default_handler_js;
    if (archive == NULL && text[0] == '\0')
        return SA_OK; /* reported by check_handler */
    if (sa_code_sha256(sha, archive, text, &err) == SA_OK)
        return SA_OK;
    sha[0] = '\0';
    if (err.code == SA_ENOMEM)
        return SA_ENOMEM;
    failure(f, archive != NULL ? "lambdaCode" : "lambdaHandlerCode", "%s", err.message);
    return SA_OK;
}

static bool reserved_env(const char *name)
{
    for (size_t i = 0; i < sa_lambda_reserved_env_count; i++)
        if (strcmp(sa_lambda_reserved_env[i], name) == 0)
            return true;
    return false;
}

/* The size Lambda counts: the variables map the function gets (ours included) as JSON. A value
 * that is unknown counts as empty. Returns 0 when out of memory. */
static size_t env_json_size(const sa_value *env, const char *suffix)
{
    cJSON *vars = cJSON_CreateObject();
    char *text;
    size_t n = 0;
    bool ok = vars != NULL && cJSON_AddStringToObject(vars, "LOG_LEVEL", "INFO") != NULL;

    for (size_t i = 0; ok && env != NULL && i < env->u.object.len; i++) {
        const char *s = "";
        sa_value_get_string(env->u.object.values[i], &s);
        cJSON_DeleteItemFromObjectCaseSensitive(vars, env->u.object.keys[i]);
        ok = cJSON_AddStringToObject(vars, env->u.object.keys[i], s) != NULL;
    }
    ok = ok && cJSON_AddStringToObject(vars, "ENVIRONMENT_SUFFIX", suffix ? suffix : "") != NULL;
    text = ok ? cJSON_PrintUnformatted(vars) : NULL;
    if (text != NULL)
        n = strlen(text);
    cJSON_free(text);
    cJSON_Delete(vars);
    return n;
}

/* An object of strings; NULL when unknown or not one (failure added). */
static const sa_value *string_map(const sa_value *v, const char *key, sa_check_failures *f)
{
    const sa_value *obj;

    if (v == NULL || sa_value_is_unknown(v))
        return NULL;
    obj = sa_value_unwrap(v, NULL);
    if (obj->kind != SA_VALUE_OBJECT) {
        failure(f, key, "%s must be a map of strings", key);
        return NULL;
    }
    for (size_t i = 0; i < obj->u.object.len; i++) {
        const char *s;
        if (!sa_value_is_unknown(obj->u.object.values[i]) &&
            !sa_value_get_string(obj->u.object.values[i], &s)) {
            failure(f, key, "%s.%s must be a string", key, obj->u.object.keys[i]);
            return NULL;
        }
    }
    return obj;
}

/* SA_OK, or SA_ENOMEM when the size could not be measured. */
static int check_environment(const sa_value *v, const char *suffix, sa_check_failures *f)
{
    const sa_value *env = string_map(v, "lambdaEnvironment", f);
    char prop[320];
    size_t size;

    if (env == NULL)
        return SA_OK;
    for (size_t i = 0; i < env->u.object.len; i++) {
        const char *k = env->u.object.keys[i];
        snprintf(prop, sizeof(prop), "lambdaEnvironment.%s", k);
        if (!sa_limit_string_ok(&sa_lambda_env_name, k, NULL))
            failure(f, prop,
                    "environment variable name '%.64s' is not valid: it must start "
                    "with a letter and have at least two characters, only letters, digits and "
                    "_ (%s)",
                    k, sa_lambda_env_name.source);
        else if (reserved_env(k))
            failure(f, prop, "%s is reserved by Lambda and cannot be set (%s)", k,
                    sa_lambda_reserved_env_source);
        else if (strcmp(k, "ENVIRONMENT_SUFFIX") == 0)
            failure(f, prop, "ENVIRONMENT_SUFFIX is set by the stack from environmentSuffix");
    }
    size = env_json_size(env, suffix);
    if (size == 0)
        return SA_ENOMEM;
    if (size > (size_t)sa_lambda_env_size.max)
        failure(f, "lambdaEnvironment",
                "lambdaEnvironment is %zu bytes with the stack's own "
                "LOG_LEVEL and ENVIRONMENT_SUFFIX; Lambda allows %lld bytes (%s)",
                size, (long long)sa_lambda_env_size.max, sa_lambda_env_size.source);
    return SA_OK;
}

static void check_tag(const char *prop, const char *k, const char *s, sa_check_failures *f)
{
    size_t chars;

    if (strncasecmp(k, SA_AWS_RESERVED_TAG_PREFIX, strlen(SA_AWS_RESERVED_TAG_PREFIX)) == 0) {
        failure(f, prop, "tag keys starting with aws: (in any case) are reserved by AWS (%s)",
                sa_aws_reserved_tag_source);
        return;
    }
    if (strcmp(k, "Name") == 0 || strcmp(k, "Environment") == 0 ||
        strcmp(k, SA_STACK_OWNER_TAG) == 0) {
        failure(f, prop, "the %s tag is set by the stack", k);
        return;
    }
    for (size_t i = 0; i < sa_tag_rules_count; i++) {
        const sa_tag_rules *r = &sa_tag_rules_by_service[i];
        if (!sa_limit_string_ok(&r->key, k, &chars)) {
            failure(f, prop,
                    "tag key '%.64s' (%zu characters) is not accepted by %s: %lld-%lld "
                    "characters%s%s (%s)",
                    k, chars, r->service, (long long)r->key.min, (long long)r->key.max,
                    r->key.pattern ? " matching " : "", r->key.pattern ? r->key.pattern : "",
                    r->key.source);
            return;
        }
        if (s != NULL && !sa_limit_string_ok(&r->value, s, &chars)) {
            failure(f, prop,
                    "tag value (%zu characters) is not accepted by %s: at most %lld "
                    "characters%s%s (%s)",
                    chars, r->service, (long long)r->value.max,
                    r->value.pattern ? " matching " : "", r->value.pattern ? r->value.pattern : "",
                    r->value.source);
            return;
        }
    }
}

static void check_tags(const sa_value *v, sa_check_failures *f)
{
    const sa_value *tags = string_map(v, "tags", f);
    char prop[320];

    if (tags == NULL)
        return;
    for (size_t i = 0; i < sa_tag_rules_count; i++) {
        const sa_tag_rules *r = &sa_tag_rules_by_service[i];
        size_t allowed = (size_t)r->max_tags - SA_STACK_OWN_TAG_COUNT;
        if (tags->u.object.len > allowed) {
            failure(f, "tags",
                    "tags has %zu entries; at most %zu: %s allows %d tags per "
                    "resource and the stack sets Name, Environment and %s (%s)",
                    tags->u.object.len, allowed, r->service, r->max_tags, SA_STACK_OWNER_TAG,
                    r->count_source);
            break;
        }
    }
    for (size_t i = 0; i < tags->u.object.len; i++) {
        const char *s = NULL;
        snprintf(prop, sizeof(prop), "tags.%s", tags->u.object.keys[i]);
        sa_value_get_string(tags->u.object.values[i], &s);
        check_tag(prop, tags->u.object.keys[i], s, f);
    }
}

static void check_retention(const sa_value *v, sa_check_failures *f)
{
    int64_t n;
    bool ok = false;

    if (v == NULL || sa_value_is_unknown(v))
        return;
    if (sa_value_get_int(v, &n))
        for (size_t i = 0; i < sa_logs_retention_count; i++)
            ok = ok || sa_logs_retention_days[i] == n;
    if (!ok)
        failure(f, "logRetentionInDays",
                "logRetentionInDays must be one of CloudWatch Logs' "
                "values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, "
                "1827, 2192, 2557, 2922, 3288, 3653 (%s)",
                sa_logs_retention_source);
}

static void check_stage(const sa_value *v, sa_check_failures *f)
{
    const char *s = string_input(v, "stageName", f);

    if (s != NULL && !sa_limit_string_ok(&sa_apigw_stage_name, s, NULL))
        failure(f, "stageName",
                "stageName '%.40s' is not valid: 1-128 characters of A-Z, a-z, "
                "0-9, - and _ (%s)",
                s, sa_apigw_stage_name.source);
}

static void check_policy(const sa_value *v, sa_check_failures *f)
{
    const char *s = string_input(v, "executionPolicy", f);

    if (s != NULL && strcmp(s, "scoped") != 0 && strcmp(s, "managed") != 0)
        failure(f, "executionPolicy",
                "executionPolicy must be scoped (least privilege, the "
                "default) or managed (AWSLambdaBasicExecutionRole), not '%.40s'",
                s);
}

static void check_bool(const sa_value *v, const char *key, sa_check_failures *f)
{
    bool b;

    if (v != NULL && !sa_value_is_unknown(v) && !sa_value_get_bool(v, &b))
        failure(f, key, "%s must be true or false", key);
}

/* ---- defaults and names ---- */

static const char *effective_region(const char *explicit_region, const sa_check_context *ctx)
{
    const char *r;

    if (explicit_region != NULL)
        return explicit_region;
    if (ctx->provider_region != NULL)
        return ctx->provider_region;
    if (ctx->getenv != NULL) {
        if ((r = ctx->getenv("AWS_REGION")) != NULL && sa_aws_region_name_valid(r))
            return r;
        if ((r = ctx->getenv("AWS_DEFAULT_REGION")) != NULL && sa_aws_region_name_valid(r))
            return r;
    }
    return SA_AWS_DEFAULT_REGION;
}

/* The default of a row as a value. */
static sa_value *default_value(const sa_prop *p)
{
    cJSON *j;
    sa_value *v = NULL;

    if (p->dflt_text != NULL)
        return sa_value_string(p->dflt_text);
    j = cJSON_Parse(p->dflt);
    if (cJSON_IsString(j))
        v = sa_value_string(j->valuestring);
    else if (cJSON_IsNumber(j))
        v = sa_value_number(j->valuedouble);
    else if (cJSON_IsBool(j))
        v = sa_value_bool(cJSON_IsTrue(j));
    else if (cJSON_IsObject(j))
        v = sa_value_object(); /* the one object default is {} */
    cJSON_Delete(j);
    return v;
}

static int set_defaults(sa_value *res)
{
    for (size_t i = 0; i < sa_stack_prop_count; i++) {
        const sa_prop *p = &sa_stack_props[i];
        if (!(p->flags & SA_PROP_INPUT) || (p->dflt == NULL && p->dflt_text == NULL) ||
            given(res, p->key) != NULL ||
            (p->dflt_unless != NULL && given(res, p->dflt_unless) != NULL))
            continue;
        if (sa_value_object_set(res, p->key, default_value(p)) != SA_OK)
            return SA_ENOMEM;
    }
    return SA_OK;
}

static bool same_input(const sa_value *olds, const sa_value *news, const char *key)
{
    const sa_value *a = given(olds, key), *b = given(news, key);
    if (a == NULL || b == NULL)
        return a == b;
    return sa_value_equal(sa_value_unwrap(a, NULL), sa_value_unwrap(b, NULL));
}

static int derive_names(sa_value **out, const char *suffix, const char *region,
                        const sa_check_context *ctx, sa_error *err)
{
    sa_stack_name_seed seed;
    char base[96];
    int rc = sa_stack_name_seed_derive(
        &seed, base, sizeof(base), ctx->urn, ctx->random_seed, ctx->random_seed_len,
        ctx->resource_name ? ctx->resource_name : "stack", suffix, region, err);
    return rc == SA_OK ? sa_stack_names_build(out, &seed, region, err) : rc;
}

int sa_stack_check(sa_value **out, const sa_value *olds, const sa_value *news,
                   const sa_check_context *ctx, sa_check_failures *f, sa_error *err)
{
    sa_value *res = NULL, *names = NULL;
    const char *suffix = NULL, *region = NULL;
    const sa_value *old_names, *v;
    time_t now = ctx->now != 0 ? ctx->now : time(NULL);
    char sha[64];
    int64_t n;
    int rc = SA_OK;

    *out = NULL;
    memset(f, 0, sizeof(*f));
    if (news == NULL || news->kind != SA_VALUE_OBJECT)
        return sa_error_set(err, SA_EINTERNAL, "Check: inputs are not an object");
    res = sa_value_copy(news);
    if (res == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");

    for (size_t i = 0; i < news->u.object.len; i++) {
        const sa_prop *p = sa_stack_prop(news->u.object.keys[i]);
        if ((p == NULL || !(p->flags & SA_PROP_INPUT)) &&
            strcmp(news->u.object.keys[i], SA_STACK_NAMES_KEY) != 0 &&
            strcmp(news->u.object.keys[i], SA_STACK_CODE_KEY) != 0)
            failure(f, news->u.object.keys[i], "unknown property %s of %s", news->u.object.keys[i],
                    SA_STACK_TYPE);
    }
    if ((v = given(news, "environmentSuffix")) == NULL)
        failure(f, "environmentSuffix",
                "environmentSuffix is required: 1-32 characters of "
                "A-Z, a-z, 0-9 and - (for example dev or pr-123)");
    else
        check_suffix(v, f, &suffix);
    if ((region = string_input(given(news, "region"), "region", f)) != NULL &&
        !sa_aws_region_name_valid(region)) {
        failure(f, "region", "region '%.40s' is not an AWS region name like ap-southeast-1",
                region);
        region = NULL;
    }
    check_runtime(given(news, "lambdaRuntime"), olds, given(news, "lambdaCode") == NULL, now, f);
    check_handler(given(news, "lambdaHandler"), given(news, "lambdaHandlerCode"), f);
    check_architecture(given(news, "lambdaArchitecture"), f);
    if (check_code(given(news, "lambdaCode"), given(news, "lambdaHandlerCode"), sha, f) != SA_OK) {
        sa_value_free(res);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    int_input(given(news, "lambdaMemorySize"), "lambdaMemorySize", &sa_lambda_memory, &n, f);
    int_input(given(news, "lambdaTimeout"), "lambdaTimeout", &sa_lambda_timeout, &n, f);
    if (check_environment(given(news, "lambdaEnvironment"), suffix, f) != SA_OK) {
        sa_value_free(res);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    check_retention(given(news, "logRetentionInDays"), f);
    check_bool(given(news, "kmsKeyRotation"), "kmsKeyRotation", f);
    int_input(given(news, "kmsDeletionWindowInDays"), "kmsDeletionWindowInDays",
              &sa_kms_deletion_window, &n, f);
    check_stage(given(news, "stageName"), f);
    check_policy(given(news, "executionPolicy"), f);
    check_tags(given(news, "tags"), f);

    if (set_defaults(res) != SA_OK) {
        sa_value_free(res);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }

    /* the package's hash, for Diff */
    sa_value_object_remove(res, SA_STACK_CODE_KEY);
    if (sha[0] != '\0' &&
        sa_value_object_set(res, SA_STACK_CODE_KEY, sa_value_string(sha)) != SA_OK) {
        sa_value_free(res);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }

    /* names: kept from olds while suffix and region stay; derived otherwise */
    sa_value_object_remove(res, SA_STACK_NAMES_KEY);
    old_names = olds ? sa_value_object_get(olds, SA_STACK_NAMES_KEY) : NULL;
    if (old_names != NULL && old_names->kind == SA_VALUE_OBJECT &&
        same_input(olds, news, "environmentSuffix") && same_input(olds, news, "region")) {
        names = sa_value_copy(old_names);
        rc = names != NULL ? SA_OK : SA_ENOMEM;
    } else if (suffix != NULL && (given(news, "region") == NULL || region != NULL)) {
        rc = derive_names(&names, suffix, effective_region(region, ctx), ctx, err);
    } else if (f->len == 0) {
        names = sa_value_unknown(SA_UNKNOWN_OBJECT); /* preview: suffix or region unknown */
        rc = names != NULL ? SA_OK : SA_ENOMEM;
    }
    if (rc == SA_OK && names != NULL)
        rc = sa_value_object_set(res, SA_STACK_NAMES_KEY, names);
    if (rc != SA_OK) {
        sa_value_free(res);
        return err->code == rc ? rc : sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    *out = res;
    return f->len == 0 ? SA_OK : SA_EINVAL;
}
