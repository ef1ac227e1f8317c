/*
 * Tests of the small building blocks: header lists (case-insensitive lookup, set, remove,
 * redaction of sensitive values), request URLs, the bounded buffer, percent-encoding and decoding,
 * and the cancellable sleep (a raised flag must end a wait within ~100 ms).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/buf.h"
#include "aws/client.h"
#include "aws/http.h"
#include "aws/uri.h"

static void test_headers(void **state)
{
    sa_aws_headers h = {0};
    sa_error err = {0};
    (void)state;
    for (int i = 0; i < 20; i++)
        assert_int_equal(sa_aws_headers_add(&h, "X-Many", "v", &err), SA_OK);
    assert_int_equal(sa_aws_headers_add(&h, "Content-Type", "a", &err), SA_OK);
    assert_string_equal(sa_aws_headers_get(&h, "content-type"), "a");
    assert_int_equal(sa_aws_headers_set(&h, "CONTENT-TYPE", "b", &err), SA_OK);
    assert_string_equal(sa_aws_headers_get(&h, "Content-Type"), "b");
    assert_int_equal(h.count, 21);
    sa_aws_headers_remove(&h, "x-many");
    assert_int_equal(h.count, 1);
    assert_null(sa_aws_headers_get(&h, "X-Many"));
    sa_aws_headers_dispose(&h);
    assert_int_equal(h.count, 0);
    sa_aws_headers_dispose(&h); /* twice is harmless */
}

static void test_redaction(void **state)
{
    (void)state;
    assert_true(sa_aws_header_is_sensitive("Authorization"));
    assert_true(sa_aws_header_is_sensitive("x-amz-security-token"));
    assert_true(sa_aws_header_is_sensitive("X-aws-ec2-metadata-token"));
    assert_false(sa_aws_header_is_sensitive("X-Amz-Date"));
    assert_string_equal(sa_aws_header_display_value("AUTHORIZATION", "AWS4 x"), "<redacted>");
    assert_string_equal(sa_aws_header_display_value("Host", "h"), "h");
}

static void test_request_url(void **state)
{
    sa_aws_http_request r = {0};
    sa_error err = {0};
    char *url = NULL;
    (void)state;
    r.origin = strdup("https://h");
    assert_int_equal(sa_aws_http_request_url(&url, &r, &err), SA_OK);
    assert_string_equal(url, "https://h/");
    free(url);
    r.path = strdup("/a");
    r.query = strdup("x=1");
    assert_int_equal(sa_aws_http_request_url(&url, &r, &err), SA_OK);
    assert_string_equal(url, "https://h/a?x=1");
    free(url);
    sa_aws_http_request_dispose(&r);
}

static void test_buf_limit(void **state)
{
    sa_aws_buf b;
    sa_error err = {0};
    char *s = NULL;
    (void)state;
    sa_aws_buf_init(&b, 8);
    assert_int_equal(sa_aws_buf_puts(&b, "12345678", &err), SA_OK);
    assert_int_equal(sa_aws_buf_putc(&b, '9', &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "limit of 8 bytes"));
    assert_string_equal(b.data, "12345678");
    assert_int_equal(sa_aws_buf_detach(&s, &b, &err), SA_OK);
    assert_string_equal(s, "12345678");
    assert_null(b.data);
    free(s);
    assert_int_equal(sa_aws_buf_detach(&s, &b, &err), SA_OK);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(sa_aws_buf_printf(&b, &err, "%d-%s", 42, "x"), SA_OK);
    assert_string_equal(b.data, "42-x");
    assert_int_equal(sa_aws_buf_printf(&b, &err, "%s", "too long now"), SA_EINVAL);
    sa_aws_buf_cleanse_dispose(&b);
}

static void test_uri(void **state)
{
    sa_aws_buf b;
    sa_error err = {0};
    char *d = NULL;
    size_t n = 0;
    (void)state;
    sa_aws_buf_init(&b, 1024);
    assert_int_equal(sa_aws_uri_encode(&b, "a b/c:d~\xe1\x88\xb4", 11, "/", &err), SA_OK);
    assert_string_equal(b.data, "a%20b/c%3Ad~%E1%88%B4");
    sa_aws_buf_dispose(&b);
    assert_int_equal(sa_aws_uri_encode(&b, "a\0b", 3, ":", &err), SA_OK);
    assert_string_equal(b.data, "a%00b");
    sa_aws_buf_dispose(&b);
    assert_int_equal(sa_aws_uri_decode(&d, &n, "%41%2f%zz+%", 11, &err), SA_OK);
    assert_string_equal(d, "A/%zz+%");
    assert_int_equal(n, 7);
    free(d);
}

typedef struct raiser {
    atomic_bool *flag;
    int after_ms;
} raiser;

static void *raise_later(void *p)
{
    raiser *r = p;
    struct timespec ts = {0, (long)r->after_ms * 1000000L};
    nanosleep(&ts, NULL);
    atomic_store(r->flag, true);
    return NULL;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_sleep_cancellable(void **state)
{
    atomic_bool flag;
    raiser r = {&flag, 150};
    pthread_t tid;
    int64_t t0, took;
    (void)state;

    atomic_init(&flag, false);
    t0 = mono_ms();
    assert_int_equal(sa_aws_sleep_cancellable(60, &flag), SA_OK);
    took = mono_ms() - t0;
    assert_true(took >= 60 && took < 400);

    assert_int_equal(pthread_create(&tid, NULL, raise_later, &r), 0);
    t0 = mono_ms();
    assert_int_equal(sa_aws_sleep_cancellable(20000, &flag), SA_ECANCELLED);
    took = mono_ms() - t0;
    pthread_join(tid, NULL);
    /* raised at ~150 ms; the wait must end within ~100 ms of that */
    if (took > 150 + 100 + 50)
        fail_msg("the wait ended %lld ms after start; the flag was raised at 150 ms",
                 (long long)took);
    /* already raised: returns at once */
    t0 = mono_ms();
    assert_int_equal(sa_aws_sleep_cancellable(20000, &flag), SA_ECANCELLED);
    assert_true(mono_ms() - t0 < 50);
    assert_int_equal(sa_aws_sleep_cancellable(0, NULL), SA_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers),     cmocka_unit_test(test_redaction),
        cmocka_unit_test(test_request_url), cmocka_unit_test(test_buf_limit),
        cmocka_unit_test(test_uri),         cmocka_unit_test(test_sleep_cancellable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
