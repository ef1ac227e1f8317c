/*
 * Check for SecureApiStack: validates every input against what AWS accepts, fills in defaults,
 * and derives the names of the AWS objects (Pulumi autonaming style: <resource>-<suffix>-<7 hex>).
 * The hex is a hash of the resource's URN (stack, project, name), the suffix and the effective
 * region, not of the engine's random seed: the seed changes on every `pulumi up` of a resource
 * the state does not hold yet, and a Create that was interrupted (the plugin killed) must find
 * the pieces it already made under the same names when it runs again. A suffix or region change
 * (the replacements) gives new names. Names are kept in the checked inputs under __names so
 * updates see them unchanged. Pure: no AWS call, no I/O.
 */
#include "stack.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char *const known_inputs[] = {
    "environmentSuffix", "region",          "lambdaRuntime",   "lambdaHandlerCode",
    "lambdaMemorySize",  "lambdaTimeout",   "lambdaEnvironment", "logRetentionInDays",
    "kmsKeyRotation",    "kmsDeletionWindowInDays", "stageName", "executionPolicy",
    "tags",              SA_STACK_NAMES_KEY,
};

static const int64_t retention_days[] = {1,   3,   5,   7,   14,   30,   60,   90,
                                         120, 150, 180, 365, 400,  545,  731,  1096,
                                         1827, 2192, 2557, 2922, 3288, 3653};

bool sa_stack_retention_allowed(int64_t days)
{
    for (size_t i = 0; i < sizeof(retention_days) / sizeof(retention_days[0]); i++)
        if (retention_days[i] == days)
            return true;
    return false;
}

static void failure(sa_check_failures *f, const char *property, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void failure(sa_check_failures *f, const char *property, const char *fmt, ...)
{
    va_list ap;
    sa_check_failure *it;

    if (f->len >= sizeof(f->items) / sizeof(f->items[0]))
        return;
    it = &f->items[f->len++];
    snprintf(it->property, sizeof(it->property), "%s", property);
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

static bool is_suffix_char(int c)
{
    return isalnum(c) || c == '-';
}

/* Checks a string property; returns it (borrowed) or NULL (unknown, wrong type: failure added). */
static const char *string_input(const sa_value *v, const char *key, sa_check_failures *f)
{
    const char *s = NULL;

    if (sa_value_is_unknown(v))
        return NULL;
    if (!sa_value_get_string(v, &s)) {
        failure(f, key, "%s must be a string, not a %s", key,
                sa_value_kind_name(sa_value_unwrap(v, NULL)->kind));
        return NULL;
    }
    return s;
}

/* An integer property with a range; *set=false when unknown or invalid. */
static void int_input(const sa_value *v, const char *key, int64_t lo, int64_t hi, int64_t *out,
                      bool *set, sa_check_failures *f)
{
    *set = false;
    if (sa_value_is_unknown(v))
        return;
    if (!sa_value_get_int(v, out)) {
        failure(f, key, "%s must be a whole number from %lld to %lld", key, (long long)lo,
                (long long)hi);
        return;
    }
    if (*out < lo || *out > hi) {
        failure(f, key, "%s is %lld; allowed: %lld to %lld", key, (long long)*out, (long long)lo,
                (long long)hi);
        return;
    }
    *set = true;
}

static void check_string_map(const sa_value *v, const char *key, bool env, sa_check_failures *f)
{
    const sa_value *obj;
    size_t total = 0;

    if (sa_value_is_unknown(v))
        return;
    obj = sa_value_unwrap(v, NULL);
    if (obj->kind != SA_VALUE_OBJECT) {
        failure(f, key, "%s must be a map of strings", key);
        return;
    }
    if (!env && obj->u.object.len > 48)
        failure(f, key, "%s has %zu entries; at most 48 (AWS allows 50 tags, Name and Environment "
                "are set by the stack)", key, obj->u.object.len);
    for (size_t i = 0; i < obj->u.object.len; i++) {
        const char *k = obj->u.object.keys[i];
        const sa_value *item = obj->u.object.values[i];
        const char *s = NULL;
        char prop[96];

        snprintf(prop, sizeof(prop), "%s.%s", key, k);
        if (!sa_value_is_unknown(item) && !sa_value_get_string(item, &s)) {
            failure(f, prop, "%s must be a string", prop);
            continue;
        }
        if (env) {
            bool ok = isalpha((unsigned char)k[0]) != 0;
            for (const char *p = k; *p && ok; p++)
                ok = isalnum((unsigned char)*p) || *p == '_';
            if (!ok)
                failure(f, prop, "environment variable names start with a letter and use only "
                        "letters, digits and _");
            else if (strncmp(k, "AWS_", 4) == 0 || strcmp(k, "ENVIRONMENT_SUFFIX") == 0)
                failure(f, prop, "%s is reserved (AWS_* variables are Lambda's; "
                        "ENVIRONMENT_SUFFIX is set from environmentSuffix)", k);
            total += strlen(k) + (s ? strlen(s) : 0);
        } else {
            if (strlen(k) == 0 || strlen(k) > 128)
                failure(f, prop, "tag keys are 1-128 characters");
            else if (strncmp(k, "aws:", 4) == 0)
                failure(f, prop, "tag keys starting with aws: are reserved by AWS");
            else if (strcmp(k, "Name") == 0 || strcmp(k, "Environment") == 0)
                failure(f, prop, "the %s tag is set by the stack", k);
            if (s != NULL && strlen(s) > 256)
                failure(f, prop, "tag values are at most 256 characters");
        }
    }
    if (env && total > 4096)
        failure(f, key, "%s is %zu bytes; Lambda allows 4 KB of environment variables", key, total);
}

/* <prefix> made of lowercase letters, digits and -, from the resource name. */
static void sanitize(char *out, size_t cap, const char *in)
{
    size_t n = 0;

    for (const char *p = in ? in : ""; *p && n + 1 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c))
            out[n++] = (char)tolower(c);
        else if (n > 0 && out[n - 1] != '-')
            out[n++] = '-';
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, cap, "secureapi");
}

/* Every name is <base>[-<part>]-<hex> with the base cut to SA_STACK_BASE_MAX characters once, so
 * all names fit AWS's limits (Lambda and IAM role names: 64) and every name can be derived again
 * from the function name alone (import). */
#define SA_STACK_BASE_MAX 48

static void make_name(char *out, size_t cap, const char *base, const char *part, const char *hex)
{
    snprintf(out, cap, "%s%s%s-%s", base, part ? "-" : "", part ? part : "", hex);
}

static int derive_names(sa_value **out, const char *resource_name, const char *suffix,
                        const char *region, const sa_check_context *ctx)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char hex[8], prefix[64], base[80], buf[300];
    sa_value *names = sa_value_object();
    int rc = SA_OK;

    if (names == NULL || md == NULL) {
        sa_value_free(names);
        EVP_MD_CTX_free(md);
        return SA_ENOMEM;
    }
    /* URN (or seed), resource name, suffix and region, each followed by a NUL separator */
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    if (ctx->urn != NULL && ctx->urn[0] != '\0')
        EVP_DigestUpdate(md, ctx->urn, strlen(ctx->urn));
    else if (ctx->random_seed != NULL)
        EVP_DigestUpdate(md, ctx->random_seed, ctx->random_seed_len);
    EVP_DigestUpdate(md, "", 1);
    EVP_DigestUpdate(md, resource_name, strlen(resource_name) + 1);
    EVP_DigestUpdate(md, suffix, strlen(suffix) + 1);
    EVP_DigestUpdate(md, region, strlen(region) + 1);
    EVP_DigestFinal_ex(md, digest, &digest_len);
    EVP_MD_CTX_free(md);
    snprintf(hex, sizeof(hex), "%02x%02x%02x%.1x", digest[0], digest[1], digest[2], digest[3] >> 4);

    sanitize(prefix, sizeof(prefix), resource_name);
    snprintf(base, sizeof(base), "%s-%s", prefix, suffix);
    if (strlen(base) > SA_STACK_BASE_MAX) {
        base[SA_STACK_BASE_MAX] = '\0';
        while (strlen(base) > 0 && base[strlen(base) - 1] == '-')
            base[strlen(base) - 1] = '\0';
    }

    rc |= sa_value_object_set(names, "region", sa_value_string(region));
    make_name(buf, sizeof(buf), base, NULL, hex);
    rc |= sa_value_object_set(names, "functionName", sa_value_string(buf));
    {
        char lg[320];
        snprintf(lg, sizeof(lg), "/aws/lambda/%s", buf);
        rc |= sa_value_object_set(names, "logGroupName", sa_value_string(lg));
    }
    make_name(buf, sizeof(buf), base, "role", hex);
    rc |= sa_value_object_set(names, "roleName", sa_value_string(buf));
    make_name(buf, sizeof(buf), base, "logs", hex);
    rc |= sa_value_object_set(names, "policyName", sa_value_string(buf));
    {
        char alias[320];
        make_name(buf, sizeof(buf), base, "logs-key", hex);
        snprintf(alias, sizeof(alias), "alias/%s", buf);
        rc |= sa_value_object_set(names, "aliasName", sa_value_string(alias));
    }
    make_name(buf, sizeof(buf), base, "api", hex);
    rc |= sa_value_object_set(names, "apiName", sa_value_string(buf));
    if (rc != SA_OK) {
        sa_value_free(names);
        return SA_ENOMEM;
    }
    *out = names;
    return SA_OK;
}

static const char *effective_region(const char *explicit_region, const sa_check_context *ctx)
{
    const char *r;

    if (explicit_region != NULL)
        return explicit_region;
    if (ctx->provider_region != NULL)
        return ctx->provider_region;
    if (ctx->getenv != NULL) {
        if ((r = ctx->getenv("AWS_REGION")) != NULL && sa_config_region_valid(r))
            return r;
        if ((r = ctx->getenv("AWS_DEFAULT_REGION")) != NULL && sa_config_region_valid(r))
            return r;
    }
    return SA_STACK_DEFAULT_REGION;
}

static int set_default(sa_value *out, const char *key, sa_value *v)
{
    const sa_value *cur = sa_value_object_get(out, key);
    if (cur != NULL && sa_value_unwrap(cur, NULL)->kind != SA_VALUE_NULL) {
        sa_value_free(v);
        return SA_OK;
    }
    return sa_value_object_set(out, key, v);
}

static bool same_input(const sa_value *olds, const sa_value *news, const char *key)
{
    const sa_value *a = given(olds, key), *b = given(news, key);
    if (a == NULL || b == NULL)
        return a == b;
    return sa_value_equal(sa_value_unwrap(a, NULL), sa_value_unwrap(b, NULL));
}

int sa_stack_check(sa_value **out, const sa_value *olds, const sa_value *news,
                   const sa_check_context *ctx, sa_check_failures *f, sa_error *err)
{
    sa_value *res = NULL;
    const sa_value *v;
    const char *suffix = NULL, *region = NULL, *s;
    int64_t n;
    bool set;
    int rc = SA_OK;

    *out = NULL;
    memset(f, 0, sizeof(*f));
    if (news == NULL || news->kind != SA_VALUE_OBJECT)
        return sa_error_set(err, SA_EINTERNAL, "Check: inputs are not an object");
    res = sa_value_copy(news);
    if (res == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");

    for (size_t i = 0; i < news->u.object.len; i++) {
        bool known = false;
        for (size_t k = 0; k < sizeof(known_inputs) / sizeof(known_inputs[0]); k++)
            known = known || strcmp(news->u.object.keys[i], known_inputs[k]) == 0;
        if (!known)
            failure(f, news->u.object.keys[i], "unknown property %s of %s", news->u.object.keys[i],
                    SA_STACK_TYPE);
    }

    /* environmentSuffix: required, 1-32 of [A-Za-z0-9-] */
    v = given(news, "environmentSuffix");
    if (v == NULL) {
        failure(f, "environmentSuffix", "environmentSuffix is required: 1-32 characters of "
                "A-Z, a-z, 0-9 and - (for example dev or pr-123)");
    } else if ((suffix = string_input(v, "environmentSuffix", f)) != NULL) {
        size_t len = strlen(suffix);
        bool ok = len >= 1 && len <= 32 && suffix[0] != '-' && suffix[len - 1] != '-';
        for (const char *p = suffix; ok && *p; p++)
            ok = is_suffix_char((unsigned char)*p);
        if (!ok) {
            failure(f, "environmentSuffix", "environmentSuffix '%.40s' is not valid: use 1-32 "
                    "characters of A-Z, a-z, 0-9 and - (not at either end)", suffix);
            suffix = NULL;
        }
    }

    if ((v = given(news, "region")) != NULL && (region = string_input(v, "region", f)) != NULL &&
        !sa_config_region_valid(region)) {
        failure(f, "region", "region '%.40s' is not an AWS region name like ap-southeast-1",
                region);
        region = NULL;
    }

    if ((v = given(news, "lambdaRuntime")) != NULL &&
        (s = string_input(v, "lambdaRuntime", f)) != NULL) {
        int major = 0;
        char tail[8] = "";
        if (sscanf(s, "nodejs%d.%7s", &major, tail) != 2 || strcmp(tail, "x") != 0)
            failure(f, "lambdaRuntime", "lambdaRuntime '%.40s' is not a Node.js runtime; the "
                    "handler is index.js, so use nodejs22.x or nodejs24.x", s);
        else if (major < 20)
            failure(f, "lambdaRuntime", "%s is deprecated by AWS and can no longer be used to "
                    "create functions; use nodejs22.x or nodejs24.x", s);
    }
    if ((v = given(news, "lambdaHandlerCode")) != NULL &&
        (s = string_input(v, "lambdaHandlerCode", f)) != NULL) {
        if (*s == '\0')
            failure(f, "lambdaHandlerCode", "lambdaHandlerCode is empty; leave it unset for the "
                    "default handler");
        else if (strlen(s) > (4u << 20))
            failure(f, "lambdaHandlerCode", "lambdaHandlerCode is over 4 MB; deploy large code "
                    "another way");
        else if (strstr(s, "handler") == NULL)
            failure(f, "lambdaHandlerCode", "lambdaHandlerCode must export a function named "
                    "handler (the function's handler is index.handler)");
    }
    if ((v = given(news, "lambdaMemorySize")) != NULL)
        int_input(v, "lambdaMemorySize", 128, 10240, &n, &set, f);
    if ((v = given(news, "lambdaTimeout")) != NULL)
        int_input(v, "lambdaTimeout", 1, 900, &n, &set, f);
    if ((v = given(news, "lambdaEnvironment")) != NULL)
        check_string_map(v, "lambdaEnvironment", true, f);
    if ((v = given(news, "logRetentionInDays")) != NULL && !sa_value_is_unknown(v)) {
        if (!sa_value_get_int(v, &n) || !sa_stack_retention_allowed(n))
            failure(f, "logRetentionInDays", "logRetentionInDays must be one of CloudWatch Logs' "
                    "values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, "
                    "1096, 1827, 2192, 2557, 2922, 3288, 3653");
    }
    if ((v = given(news, "kmsKeyRotation")) != NULL && !sa_value_is_unknown(v)) {
        bool b;
        if (!sa_value_get_bool(v, &b))
            failure(f, "kmsKeyRotation", "kmsKeyRotation must be true or false");
    }
    if ((v = given(news, "kmsDeletionWindowInDays")) != NULL)
        int_input(v, "kmsDeletionWindowInDays", 7, 30, &n, &set, f);
    if ((v = given(news, "stageName")) != NULL && (s = string_input(v, "stageName", f)) != NULL) {
        bool ok = *s != '\0' && strlen(s) <= 128;
        for (const char *p = s; ok && *p; p++)
            ok = isalnum((unsigned char)*p) || *p == '_' || *p == '-';
        if (!ok)
            failure(f, "stageName", "stageName '%.40s' is not valid: 1-128 characters of A-Z, "
                    "a-z, 0-9, - and _", s);
    }
    if ((v = given(news, "executionPolicy")) != NULL &&
        (s = string_input(v, "executionPolicy", f)) != NULL && strcmp(s, "scoped") != 0 &&
        strcmp(s, "managed") != 0)
        failure(f, "executionPolicy", "executionPolicy must be scoped (least privilege, the "
                "default) or managed (AWSLambdaBasicExecutionRole), not '%.40s'", s);
    if ((v = given(news, "tags")) != NULL)
        check_string_map(v, "tags", false, f);

    /* defaults */
    rc |= set_default(res, "lambdaRuntime", sa_value_string(SA_STACK_DEFAULT_RUNTIME));
    rc |= set_default(res, "lambdaHandlerCode", sa_value_string(sa_default_handler_js));
    rc |= set_default(res, "lambdaMemorySize", sa_value_number(SA_STACK_DEFAULT_MEMORY));
    rc |= set_default(res, "lambdaTimeout", sa_value_number(SA_STACK_DEFAULT_TIMEOUT));
    rc |= set_default(res, "lambdaEnvironment", sa_value_object());
    rc |= set_default(res, "logRetentionInDays", sa_value_number(SA_STACK_DEFAULT_RETENTION));
    rc |= set_default(res, "kmsKeyRotation", sa_value_bool(true));
    rc |= set_default(res, "kmsDeletionWindowInDays",
                      sa_value_number(SA_STACK_DEFAULT_DELETION_WINDOW));
    rc |= set_default(res, "stageName", sa_value_string(SA_STACK_DEFAULT_STAGE));
    rc |= set_default(res, "executionPolicy", sa_value_string("scoped"));
    rc |= set_default(res, "tags", sa_value_object());
    if (rc != SA_OK) {
        sa_value_free(res);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }

    /* names: kept from olds while suffix and region stay; derived otherwise */
    sa_value_object_remove(res, SA_STACK_NAMES_KEY);
    {
        const sa_value *old_names = olds ? sa_value_object_get(olds, SA_STACK_NAMES_KEY) : NULL;
        sa_value *names = NULL;
        if (old_names != NULL && old_names->kind == SA_VALUE_OBJECT &&
            same_input(olds, news, "environmentSuffix") && same_input(olds, news, "region")) {
            names = sa_value_copy(old_names);
        } else if (suffix != NULL && (given(news, "region") == NULL || region != NULL)) {
            rc = derive_names(&names, ctx->resource_name ? ctx->resource_name : "stack", suffix,
                              effective_region(region, ctx), ctx);
        } else if (f->len == 0) {
            names = sa_value_unknown(SA_UNKNOWN_OBJECT); /* preview: suffix or region unknown */
        }
        if (rc == SA_OK && names != NULL)
            rc = sa_value_object_set(res, SA_STACK_NAMES_KEY, names);
        if (rc != SA_OK) {
            sa_value_free(res);
            return sa_error_set(err, SA_ENOMEM, "out of memory");
        }
    }
    *out = res;
    return f->len == 0 ? SA_OK : SA_EINVAL;
}

int sa_stack_names_from_function(sa_value **out, const char *region, const char *fn, sa_error *err)
{
    const char *dash = strrchr(fn, '-');
    char base[SA_STACK_BASE_MAX + 1], hex[8], buf[320], lg[340], alias[340];
    sa_value *names;
    int rc = SA_OK;

    *out = NULL;
    if (dash == NULL || strlen(dash + 1) != 7 || dash == fn ||
        (size_t)(dash - fn) > SA_STACK_BASE_MAX)
        return sa_error_set(err, SA_EINVAL, "'%s' is not the function of a SecureApiStack "
                            "(expected <name>-<suffix>-<7 hex digits>)", fn);
    for (const char *p = dash + 1; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return sa_error_set(err, SA_EINVAL, "'%s' is not the function of a SecureApiStack "
                                "(expected <name>-<suffix>-<7 hex digits>)", fn);
    snprintf(base, sizeof(base), "%.*s", (int)(dash - fn), fn);
    snprintf(hex, sizeof(hex), "%s", dash + 1);
    names = sa_value_object();
    if (names == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    rc |= sa_value_object_set(names, "region", sa_value_string(region));
    rc |= sa_value_object_set(names, "functionName", sa_value_string(fn));
    snprintf(lg, sizeof(lg), "/aws/lambda/%s", fn);
    rc |= sa_value_object_set(names, "logGroupName", sa_value_string(lg));
    make_name(buf, sizeof(buf), base, "role", hex);
    rc |= sa_value_object_set(names, "roleName", sa_value_string(buf));
    make_name(buf, sizeof(buf), base, "logs", hex);
    rc |= sa_value_object_set(names, "policyName", sa_value_string(buf));
    make_name(buf, sizeof(buf), base, "logs-key", hex);
    snprintf(alias, sizeof(alias), "alias/%s", buf);
    rc |= sa_value_object_set(names, "aliasName", sa_value_string(alias));
    make_name(buf, sizeof(buf), base, "api", hex);
    rc |= sa_value_object_set(names, "apiName", sa_value_string(buf));
    if (rc != SA_OK) {
        sa_value_free(names);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    *out = names;
    return SA_OK;
}
