/*
 * Unit tests of the launch-argument parser: the engine's flag forms, flags in any order, unknown
 * flags ignored, the last positional argument as the engine address, attach mode, bad -v values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "plugin/args.h"

static void parse_ok(sa_args *a, int argc, char *argv[])
{
    sa_error err = {0};
    assert_int_equal(sa_args_parse(a, argc, argv, &err), SA_OK);
}

static void test_address_only(void **state)
{
    char *argv[] = {"plugin", "127.0.0.1:40123"};
    sa_args a;
    (void)state;
    parse_ok(&a, 2, argv);
    assert_string_equal(a.engine_address, "127.0.0.1:40123");
    assert_false(a.log_to_stderr);
    assert_int_equal(a.verbosity, 0);
    assert_null(a.tracing);
}

static void test_all_flags_any_order(void **state)
{
    char *argv[] = {"plugin", "--tracing",     "http://127.0.0.1:9/t",
                    "-v=9",   "--logtostderr", "127.0.0.1:1234"};
    sa_args a;
    (void)state;
    parse_ok(&a, 6, argv);
    assert_true(a.log_to_stderr);
    assert_int_equal(a.verbosity, 9);
    assert_string_equal(a.tracing, "http://127.0.0.1:9/t");
    assert_string_equal(a.engine_address, "127.0.0.1:1234");
}

static void test_unknown_flags_ignored(void **state)
{
    char *argv[] = {"plugin", "--frobnicate", "--color=never", "127.0.0.1:5"};
    sa_args a;
    (void)state;
    parse_ok(&a, 4, argv);
    assert_string_equal(a.engine_address, "127.0.0.1:5");
}

static void test_attach_mode(void **state)
{
    char *argv[] = {"plugin", "--logtostderr"};
    sa_args a;
    (void)state;
    parse_ok(&a, 2, argv);
    assert_null(a.engine_address);
}

static void test_bad_verbosity(void **state)
{
    char *argv[] = {"plugin", "-v=lots", "127.0.0.1:5"};
    sa_args a;
    sa_error err = {0};
    (void)state;
    assert_int_equal(sa_args_parse(&a, 3, argv, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "-v=lots"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_only),          cmocka_unit_test(test_all_flags_any_order),
        cmocka_unit_test(test_unknown_flags_ignored), cmocka_unit_test(test_attach_mode),
        cmocka_unit_test(test_bad_verbosity),
    };
    return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}
