/*
 * Unit tests of the platform layer (base/platform.h) on the host: UTC conversion both ways
 * (round trips, the leap day, year 9999, normalisation of a leap second), the secure getenv, the
 * stop request (a SIGTERM raised while blocked is the one the wait returns), the parent watch at
 * rest and the CA bundle places. Parent death and the signal exit of the whole binary are tested
 * end to end by tests/rpc/test_protocol.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/platform.h"

static void test_gmtime_timegm(void **state)
{
    static const time_t times[] = {0, 951782400 /* 2000-02-29 */, 1764633600, 253402300799};
    struct tm tm;

    (void)state;
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        assert_ptr_equal(sa_gmtime(&times[i], &tm), &tm);
        assert_int_equal(sa_timegm(&tm), times[i]);
    }
    assert_non_null(sa_gmtime(&times[1], &tm));
    assert_int_equal(tm.tm_year, 100);
    assert_int_equal(tm.tm_mon, 1);
    assert_int_equal(tm.tm_mday, 29);
    assert_int_equal(tm.tm_hour, 0);
    assert_non_null(sa_gmtime(&times[3], &tm));
    assert_int_equal(tm.tm_year + 1900, 9999);
    assert_int_equal(tm.tm_sec, 59);

    /* a leap second (credentials' expirations allow :60) is the next minute's first */
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = 125;
    tm.tm_mon = 11;
    tm.tm_mday = 31;
    tm.tm_hour = 23;
    tm.tm_min = 59;
    tm.tm_sec = 60;
    assert_int_equal(sa_timegm(&tm), 1767225600); /* 2026-01-01T00:00:00Z */
}

static void test_secure_getenv(void **state)
{
    (void)state;
    assert_int_equal(setenv("SA_PLATFORM_TEST", "value", 1), 0);
    assert_string_equal(sa_secure_getenv("SA_PLATFORM_TEST"), "value");
    assert_int_equal(unsetenv("SA_PLATFORM_TEST"), 0);
    assert_null(sa_secure_getenv("SA_PLATFORM_TEST"));
}

static void test_stop_signal(void **state)
{
    (void)state;
    assert_int_equal(sa_platform_stop_signals_block(), 0);
    /* blocked, so pending until the wait takes it */
    assert_int_equal(raise(SIGTERM), 0);
    assert_int_equal(sa_platform_stop_signal_wait(), SIGTERM);
    assert_int_equal(raise(SIGINT), 0);
    assert_int_equal(sa_platform_stop_signal_wait(), SIGINT);
}

static void test_parent_watch(void **state)
{
    sa_platform_parent w;

    (void)state;
    assert_int_equal(sa_platform_parent_watch_start(&w), 0);
    assert_true(w.pid > 0);
    assert_false(sa_platform_parent_gone(&w));
    sa_platform_parent_watch_end(&w);
    sa_platform_parent_watch_end(&w);
    sa_platform_parent_watch_end(NULL);
}

static void test_ca_bundles(void **state)
{
    size_t n = 0;

    (void)state;
    while (sa_platform_ca_bundle(n) != NULL)
        n++;
    /* a system with the system's store searches no place; the others at least one */
    if (SA_PLATFORM_NATIVE_CA)
        assert_int_equal(n, 0);
    else
        assert_true(n > 0 && n < 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gmtime_timegm), cmocka_unit_test(test_secure_getenv),
        cmocka_unit_test(test_stop_signal),   cmocka_unit_test(test_parent_watch),
        cmocka_unit_test(test_ca_bundles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
