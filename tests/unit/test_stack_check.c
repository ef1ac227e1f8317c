/*
 * Unit tests of SecureApiStack's Check: defaults filled in, every invalid input reported under its
 * own property with what is allowed, names derived deterministically (same seed, same names;
 * another suffix, seed or region, other names; AWS length limits kept), names kept from olds
 * while suffix and region stay, and unknown inputs tolerated in preview.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/value.h"
#include "stack/stack.h"

static const char *no_env(const char *name)
{
    (void)name;
    return NULL;
}

static const char *env_eu(const char *name)
{
    return strcmp(name, "AWS_REGION") == 0 ? "eu-west-1" : NULL;
}

static sa_check_context ctx_with(const char *seed, const char *(*env)(const char *))
{
    sa_check_context c = {.resource_name = "secure-api-stack",
                          .random_seed = (const uint8_t *)seed,
                          .random_seed_len = seed ? strlen(seed) : 0,
                          .getenv = env};
    return c;
}

static sa_value *inputs(const char *suffix)
{
    sa_value *v = sa_value_object();
    if (suffix)
        sa_value_object_set(v, "environmentSuffix", sa_value_string(suffix));
    return v;
}

static const char *name_of(const sa_value *checked, const char *key)
{
    const char *s = NULL;
    const sa_value *names = sa_value_object_get(checked, SA_STACK_NAMES_KEY);
    assert_non_null(names);
    assert_true(sa_value_get_string(sa_value_object_get(names, key), &s));
    return s;
}

static bool has_failure(const sa_check_failures *f, const char *prop, const char *needle)
{
    for (size_t i = 0; i < f->len; i++)
        if (strcmp(f->items[i].property, prop) == 0 && strstr(f->items[i].reason, needle) != NULL)
            return true;
    return false;
}

static void test_defaults(void **state)
{
    sa_value *news = inputs("dev"), *out = NULL;
    sa_check_failures f;
    sa_error err = {0};
    sa_check_context ctx = ctx_with("seed", no_env);
    int64_t n;
    const char *s;
    bool b;
    (void)state;

    assert_int_equal(sa_stack_check(&out, NULL, news, &ctx, &f, &err), SA_OK);
    assert_int_equal(f.len, 0);
    assert_true(sa_value_get_string(sa_value_object_get(out, "lambdaRuntime"), &s));
    assert_string_equal(s, "nodejs22.x");
    assert_true(sa_value_get_int(sa_value_object_get(out, "lambdaMemorySize"), &n) && n == 256);
    /* API Gateway's REST integration timeout: a function running longer answers no client */
    assert_true(sa_value_get_int(sa_value_object_get(out, "lambdaTimeout"), &n) && n == 29);
    assert_true(sa_value_get_int(sa_value_object_get(out, "logRetentionInDays"), &n) && n == 7);
    assert_true(sa_value_get_int(sa_value_object_get(out, "kmsDeletionWindowInDays"), &n) &&
                n == 30);
    assert_true(sa_value_get_bool(sa_value_object_get(out, "kmsKeyRotation"), &b) && b);
    assert_true(sa_value_get_string(sa_value_object_get(out, "stageName"), &s));
    assert_string_equal(s, "prod");
    assert_true(sa_value_get_string(sa_value_object_get(out, "executionPolicy"), &s));
    assert_string_equal(s, "scoped");
    assert_true(sa_value_get_string(sa_value_object_get(out, "lambdaHandlerCode"), &s));
    assert_non_null(strstr(s, "exports.handler"));
    /* no explicit region: the input stays absent, the names record the effective region */
    assert_null(sa_value_object_get(out, "region"));
    assert_string_equal(name_of(out, "region"), "ap-southeast-1");
    assert_string_equal(name_of(out, "logGroupName") + strlen("/aws/lambda/"),
                        name_of(out, "functionName"));
    assert_memory_equal(name_of(out, "functionName"), "secure-api-stack-dev-", 21);
    assert_memory_equal(name_of(out, "aliasName"), "alias/secure-api-stack-dev-logs-key-", 36);
    sa_value_free(out);

    ctx = ctx_with("seed", env_eu);
    assert_int_equal(sa_stack_check(&out, NULL, news, &ctx, &f, &err), SA_OK);
    assert_string_equal(name_of(out, "region"), "eu-west-1");
    sa_value_free(out);
    ctx.provider_region = "us-east-2";
    assert_int_equal(sa_stack_check(&out, NULL, news, &ctx, &f, &err), SA_OK);
    assert_string_equal(name_of(out, "region"), "us-east-2");
    sa_value_free(out);
    sa_value_free(news);
}

static void test_names_deterministic_and_distinct(void **state)
{
    sa_value *a = inputs("dev"), *b = inputs("prod"), *o1, *o2, *o3, *o4;
    sa_check_failures f;
    sa_error err = {0};
    sa_check_context c1 = ctx_with("seed-1", no_env), c2 = ctx_with("seed-2", no_env);
    (void)state;

    sa_stack_check(&o1, NULL, a, &c1, &f, &err);
    sa_stack_check(&o2, NULL, a, &c1, &f, &err);
    sa_stack_check(&o3, NULL, b, &c1, &f, &err);
    sa_stack_check(&o4, NULL, a, &c2, &f, &err);
    assert_string_equal(name_of(o1, "roleName"), name_of(o2, "roleName"));
    assert_string_not_equal(name_of(o1, "roleName"), name_of(o3, "roleName"));
    assert_string_not_equal(name_of(o1, "roleName"), name_of(o4, "roleName"));
    sa_value_free(o1);
    sa_value_free(o2);
    sa_value_free(o3);
    sa_value_free(o4);
    sa_value_free(a);
    sa_value_free(b);
}

static void test_names_follow_the_urn_not_the_seed(void **state)
{
    sa_value *a = inputs("dev"), *o1, *o2, *o3;
    sa_check_failures f;
    sa_error err = {0};
    sa_check_context c1 = ctx_with("seed-1", no_env), c2 = ctx_with("seed-2", no_env);
    (void)state;

    /* a new resource gets a fresh seed on every `pulumi up`; an interrupted Create must find
     * its pieces under the same names next time */
    c1.urn = c2.urn = "urn:pulumi:dev::proj::secureapi:index:SecureApiStack::api";
    sa_stack_check(&o1, NULL, a, &c1, &f, &err);
    sa_stack_check(&o2, NULL, a, &c2, &f, &err);
    assert_string_equal(name_of(o1, "roleName"), name_of(o2, "roleName"));
    c2.urn = "urn:pulumi:prod::proj::secureapi:index:SecureApiStack::api";
    sa_stack_check(&o3, NULL, a, &c2, &f, &err);
    assert_string_not_equal(name_of(o1, "roleName"), name_of(o3, "roleName"));
    sa_value_free(o1);
    sa_value_free(o2);
    sa_value_free(o3);
    sa_value_free(a);
}

static void test_names_fit_aws_limits(void **state)
{
    sa_value *news = inputs("abcdefghijklmnopqrstuvwxyz012345"), *out = NULL;
    sa_check_failures f;
    sa_error err = {0};
    sa_check_context ctx = ctx_with("s", no_env);
    (void)state;

    ctx.resource_name = "a-really-long-pulumi-resource-name-that-goes-on-and-on-and-on";
    assert_int_equal(sa_stack_check(&out, NULL, news, &ctx, &f, &err), SA_OK);
    assert_true(strlen(name_of(out, "functionName")) <= 64);
    assert_true(strlen(name_of(out, "roleName")) <= 64);
    assert_true(strlen(name_of(out, "aliasName")) <= 256);
    sa_value_free(out);
    sa_value_free(news);
}

static void test_names_kept_from_olds(void **state)
{
    sa_value *news = inputs("dev"), *first = NULL, *second = NULL, *third = NULL;
    sa_check_failures f;
    sa_error err = {0};
    sa_check_context c1 = ctx_with("seed-1", no_env), c2 = ctx_with("seed-2", no_env);
    (void)state;

    sa_stack_check(&first, NULL, news, &c1, &f, &err);
    /* an update (new seed, same suffix): same names */
    sa_value_object_set(news, "lambdaMemorySize", sa_value_number(512));
    assert_int_equal(sa_stack_check(&second, first, news, &c2, &f, &err), SA_OK);
    assert_string_equal(name_of(first, "functionName"), name_of(second, "functionName"));
    /* a suffix change: new names */
    sa_value_object_set(news, "environmentSuffix", sa_value_string("qa"));
    assert_int_equal(sa_stack_check(&third, first, news, &c2, &f, &err), SA_OK);
    assert_string_not_equal(name_of(first, "functionName"), name_of(third, "functionName"));
    sa_value_free(first);
    sa_value_free(second);
    sa_value_free(third);
    sa_value_free(news);
}

static void test_every_invalid_input(void **state)
{
    sa_value *news = inputs("bad_suffix!"), *out = NULL, *env = sa_value_object(),
             *tags = sa_value_object();
    sa_check_failures f;
    sa_error err = {0};
    sa_check_context ctx = ctx_with("s", no_env);
    (void)state;

    sa_value_object_set(news, "region", sa_value_string("moon-1"));
    /* blocked for new functions since 2024-01-09 (nodejs18.x is deprecated but AWS extended its
     * create block to 2027-02-01) */
    sa_value_object_set(news, "lambdaRuntime", sa_value_string("nodejs14.x"));
    sa_value_object_set(news, "lambdaMemorySize", sa_value_number(64));
    sa_value_object_set(news, "lambdaTimeout", sa_value_number(1000));
    sa_value_object_set(news, "logRetentionInDays", sa_value_number(31));
    sa_value_object_set(news, "kmsKeyRotation", sa_value_string("yes"));
    sa_value_object_set(news, "kmsDeletionWindowInDays", sa_value_number(3));
    sa_value_object_set(news, "stageName", sa_value_string("has space"));
    sa_value_object_set(news, "executionPolicy", sa_value_string("admin"));
    sa_value_object_set(env, "AWS_REGION", sa_value_string("x"));
    sa_value_object_set(env, "1BAD", sa_value_string("x"));
    sa_value_object_set(news, "lambdaEnvironment", env);
    sa_value_object_set(tags, "aws:owner", sa_value_string("x"));
    sa_value_object_set(tags, "Name", sa_value_string("x"));
    sa_value_object_set(news, "tags", tags);
    sa_value_object_set(news, "lambdaHandlerCod", sa_value_string("typo"));
    assert_int_equal(sa_stack_check(&out, NULL, news, &ctx, &f, &err), SA_EINVAL);
    assert_non_null(out); /* inputs are always returned */
    assert_true(has_failure(&f, "environmentSuffix", "1-32 characters"));
    assert_true(has_failure(&f, "region", "moon-1"));
    assert_true(has_failure(&f, "lambdaRuntime", "deprecated"));
    assert_true(has_failure(&f, "lambdaMemorySize", "128 to 10240"));
    assert_true(has_failure(&f, "lambdaTimeout", "1 to 900"));
    assert_true(has_failure(&f, "logRetentionInDays", "1, 3, 5, 7"));
    assert_true(has_failure(&f, "kmsKeyRotation", "true or false"));
    assert_true(has_failure(&f, "kmsDeletionWindowInDays", "7 to 30"));
    assert_true(has_failure(&f, "stageName", "has space"));
    assert_true(has_failure(&f, "executionPolicy", "scoped"));
    assert_true(has_failure(&f, "lambdaEnvironment.AWS_REGION", "reserved"));
    assert_true(has_failure(&f, "lambdaEnvironment.1BAD", "start with a letter"));
    assert_true(has_failure(&f, "tags.aws:owner", "reserved"));
    assert_true(has_failure(&f, "tags.Name", "set by the stack"));
    assert_true(has_failure(&f, "lambdaHandlerCod", "unknown property"));
    sa_value_free(out);
    sa_value_free(news);

    news = inputs(NULL);
    assert_int_equal(sa_stack_check(&out, NULL, news, &ctx, &f, &err), SA_EINVAL);
    assert_true(has_failure(&f, "environmentSuffix", "required"));
    sa_value_free(out);
    sa_value_free(news);
}

static void test_unknowns_in_preview(void **state)
{
    sa_value *news = sa_value_object(), *out = NULL;
    sa_check_failures f;
    sa_error err = {0};
    sa_check_context ctx = ctx_with("s", no_env);
    (void)state;

    sa_value_object_set(news, "environmentSuffix", sa_value_unknown(SA_UNKNOWN_STRING));
    sa_value_object_set(news, "lambdaMemorySize", sa_value_unknown(SA_UNKNOWN_NUMBER));
    assert_int_equal(sa_stack_check(&out, NULL, news, &ctx, &f, &err), SA_OK);
    assert_true(sa_value_is_unknown(sa_value_object_get(out, SA_STACK_NAMES_KEY)));
    assert_true(sa_value_is_unknown(sa_value_object_get(out, "lambdaMemorySize")));
    sa_value_free(out);
    sa_value_free(news);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_names_deterministic_and_distinct),
        cmocka_unit_test(test_names_follow_the_urn_not_the_seed),
        cmocka_unit_test(test_names_fit_aws_limits),
        cmocka_unit_test(test_names_kept_from_olds),
        cmocka_unit_test(test_every_invalid_input),
        cmocka_unit_test(test_unknowns_in_preview),
    };
    return cmocka_run_group_tests_name("stack_check", tests, NULL, NULL);
}
