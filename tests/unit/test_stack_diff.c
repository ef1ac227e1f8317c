/*
 * Unit tests of SecureApiStack's Diff and preview outputs: no change is DIFF_NONE with stable
 * outputs, in-place changes are UPDATEs, suffix and region changes replace, map entries get their
 * own detailed entries, a secret wrapper alone is not a change, unknowns are changes, and preview
 * outputs keep names known, AWS-assigned values unknown, and secrets secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "base/value.h"
#include "stack/stack.h"

static const char *no_env(const char *n)
{
    (void)n;
    return NULL;
}

static sa_value *checked(sa_value *news)
{
    sa_check_context ctx = {.resource_name = "api",
                            .random_seed = (const uint8_t *)"s",
                            .random_seed_len = 1,
                            .getenv = no_env};
    sa_check_failures f;
    sa_error err = {0};
    sa_value *out = NULL;
    assert_int_equal(sa_stack_check(&out, NULL, news, &ctx, &f, &err), SA_OK);
    sa_value_free(news);
    return out;
}

static sa_value *base(void)
{
    sa_value *v = sa_value_object(), *tags = sa_value_object();
    sa_value_object_set(v, "environmentSuffix", sa_value_string("dev"));
    sa_value_object_set(tags, "team", sa_value_string("api"));
    sa_value_object_set(tags, "cost center", sa_value_string("42"));
    sa_value_object_set(v, "tags", tags);
    return checked(v);
}

static const sa_prop_diff *detail(const sa_stack_diff_result *d, const char *path)
{
    for (size_t i = 0; i < d->n_detailed; i++)
        if (strcmp(d->detailed[i].path, path) == 0)
            return &d->detailed[i];
    return NULL;
}

static bool stable(const sa_stack_diff_result *d, const char *key)
{
    for (size_t i = 0; i < d->n_stables; i++)
        if (strcmp(d->stables[i], key) == 0)
            return true;
    return false;
}

/* outputs = preview outputs of the inputs, with a region, as Create would leave them */
static sa_value *state_of(const sa_value *inputs)
{
    sa_value *o = NULL;
    sa_error err = {0};
    assert_int_equal(sa_stack_preview_outputs(&o, inputs, &err), SA_OK);
    return o;
}

static void test_no_change(void **state)
{
    sa_value *old = base(), *news = base(), *st = state_of(old);
    sa_stack_diff_result d;
    sa_error err = {0};
    (void)state;

    assert_int_equal(sa_stack_diff(&d, st, old, news, &err), SA_OK);
    assert_false(d.changed);
    assert_false(d.replace);
    assert_true(stable(&d, "apiUrl"));
    assert_true(stable(&d, "kmsKeyId"));
    sa_value_free(old);
    sa_value_free(news);
    sa_value_free(st);
}

static void test_in_place_and_maps(void **state)
{
    sa_value *old = base(), *news = base(), *st = state_of(old);
    sa_value *tags = sa_value_object();
    sa_stack_diff_result d;
    sa_error err = {0};
    (void)state;

    sa_value_object_set(news, "lambdaMemorySize", sa_value_number(512));
    sa_value_object_set(tags, "team", sa_value_string("platform"));
    sa_value_object_set(tags, "owner", sa_value_string("me"));
    sa_value_object_set(news, "tags", tags); /* drops "cost center" */
    assert_int_equal(sa_stack_diff(&d, st, old, news, &err), SA_OK);
    assert_true(d.changed);
    assert_false(d.replace);
    assert_int_equal(d.n_replaces, 0);
    assert_int_equal(detail(&d, "lambdaMemorySize")->kind, SA_DIFF_UPDATE);
    assert_int_equal(detail(&d, "tags.team")->kind, SA_DIFF_UPDATE);
    assert_int_equal(detail(&d, "tags.owner")->kind, SA_DIFF_ADD);
    assert_int_equal(detail(&d, "tags[\"cost center\"]")->kind, SA_DIFF_DELETE);
    assert_int_equal(d.n_diffs, 2);
    assert_true(stable(&d, "functionArn"));
    sa_value_free(old);
    sa_value_free(news);
    sa_value_free(st);
}

static void test_suffix_and_region_replace(void **state)
{
    sa_value *old = base(), *st = state_of(old), *news;
    sa_stack_diff_result d;
    sa_error err = {0};
    (void)state;

    news = sa_value_object();
    sa_value_object_set(news, "environmentSuffix", sa_value_string("qa"));
    news = checked(news);
    assert_int_equal(sa_stack_diff(&d, st, old, news, &err), SA_OK);
    assert_true(d.replace);
    assert_int_equal(detail(&d, "environmentSuffix")->kind, SA_DIFF_UPDATE_REPLACE);
    assert_string_equal(d.replaces[0], "environmentSuffix");
    assert_int_equal(d.n_stables, 0);
    sa_value_free(news);

    news = sa_value_object();
    sa_value_object_set(news, "environmentSuffix", sa_value_string("dev"));
    sa_value_object_set(news, "region", sa_value_string("eu-west-1"));
    news = checked(news);
    assert_int_equal(sa_stack_diff(&d, st, old, news, &err), SA_OK);
    assert_true(d.replace);
    assert_int_equal(detail(&d, "region")->kind, SA_DIFF_UPDATE_REPLACE);
    sa_value_free(news);

    /* the same region written out explicitly is no change */
    news = sa_value_object();
    sa_value_object_set(news, "environmentSuffix", sa_value_string("dev"));
    sa_value_object_set(news, "region", sa_value_string("ap-southeast-1"));
    news = checked(news);
    sa_value_object_set(news, "tags", sa_value_copy(sa_value_object_get(old, "tags")));
    assert_int_equal(sa_stack_diff(&d, st, old, news, &err), SA_OK);
    assert_false(d.replace);
    assert_null(detail(&d, "region"));
    sa_value_free(news);
    sa_value_free(old);
    sa_value_free(st);
}

static void test_secret_wrapper_alone_is_no_change(void **state)
{
    sa_value *old = base(), *news = base(), *st = state_of(old);
    sa_stack_diff_result d;
    sa_error err = {0};
    (void)state;

    sa_value_object_set(news, "stageName", sa_value_secret(sa_value_string("prod")));
    assert_int_equal(sa_stack_diff(&d, st, old, news, &err), SA_OK);
    assert_false(d.changed);
    sa_value_object_set(news, "lambdaTimeout", sa_value_unknown(SA_UNKNOWN_NUMBER));
    assert_int_equal(sa_stack_diff(&d, st, old, news, &err), SA_OK);
    assert_true(d.changed);
    assert_false(d.replace);
    assert_int_equal(detail(&d, "lambdaTimeout")->kind, SA_DIFF_UPDATE);
    sa_value_free(old);
    sa_value_free(news);
    sa_value_free(st);
}

static void test_preview_outputs(void **state)
{
    sa_value *in = sa_value_object(), *out;
    const char *s;
    sa_error err = {0};
    (void)state;

    sa_value_object_set(in, "environmentSuffix", sa_value_secret(sa_value_string("dev")));
    in = checked(in);
    assert_int_equal(sa_stack_preview_outputs(&out, in, &err), SA_OK);
    assert_true(sa_value_is_unknown(sa_value_object_get(out, "apiUrl")));
    assert_true(sa_value_is_unknown(sa_value_object_get(out, "kmsKeyId")));
    assert_int_equal(sa_value_object_get(out, "functionName")->kind, SA_VALUE_SECRET);
    assert_true(sa_value_get_string(sa_value_object_get(out, "logGroupName"), &s));
    assert_memory_equal(s, "/aws/lambda/api-dev-", 20);
    assert_true(sa_value_get_string(sa_value_object_get(out, "region"), &s));
    assert_string_equal(s, "ap-southeast-1");
    sa_value_free(in);
    sa_value_free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_change),
        cmocka_unit_test(test_in_place_and_maps),
        cmocka_unit_test(test_suffix_and_region_replace),
        cmocka_unit_test(test_secret_wrapper_alone_is_no_change),
        cmocka_unit_test(test_preview_outputs),
    };
    return cmocka_run_group_tests_name("stack_diff", tests, NULL, NULL);
}
