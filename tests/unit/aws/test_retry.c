/*
 * Table tests of the pure retry policy: classification of attempts, decisions with given random
 * values (so the jitter is exact), backoff ceilings, caller rules, deadlines, and the retry quota.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "aws/retry.h"
#include "base/error.h"

#define R_MAX UINT64_MAX /* a random value that gives the full ceiling */

typedef struct classify_case {
    int transport;
    long status;
    const char *code;
    const char *message;
    bool html;
    sa_aws_retry_kind want;
} classify_case;

static void test_classify(void **state)
{
    static const classify_case cases[] = {
        {SA_OK, 200, NULL, NULL, false, SA_AWS_RETRY_NONE},
        {SA_OK, 400, "ThrottlingException", "Rate exceeded", false, SA_AWS_RETRY_THROTTLE},
        {SA_OK, 400, "Throttling", "Rate exceeded", false, SA_AWS_RETRY_THROTTLE},
        {SA_OK, 429, "TooManyRequestsException", "Too Many Requests", false, SA_AWS_RETRY_THROTTLE},
        {SA_OK, 429, "429", "", false, SA_AWS_RETRY_THROTTLE},
        {SA_OK, 400, "RequestLimitExceeded", "", false, SA_AWS_RETRY_THROTTLE},
        {SA_OK, 400, "ProvisionedThroughputExceededException", "", false, SA_AWS_RETRY_THROTTLE},
        {SA_OK, 503, "SlowDown", "", false, SA_AWS_RETRY_THROTTLE},
        {SA_OK, 400, "LimitExceededException", "Rate exceeded", false, SA_AWS_RETRY_THROTTLE},
        {SA_OK, 429, "LimitExceededException",
         "Maximum number of Resources for this API has been reached", false, SA_AWS_RETRY_NONE},
        {SA_OK, 500, "InternalFailure", "", false, SA_AWS_RETRY_TRANSIENT},
        {SA_OK, 502, "502", "", false, SA_AWS_RETRY_TRANSIENT},
        {SA_OK, 503, "ServiceUnavailable", "", false, SA_AWS_RETRY_TRANSIENT},
        {SA_OK, 504, "504", "", true, SA_AWS_RETRY_TRANSIENT},
        {SA_OK, 500, "500", "HTML error page", true, SA_AWS_RETRY_NONE},
        {SA_OK, 400, "RequestTimeout", "", false, SA_AWS_RETRY_TRANSIENT},
        {SA_OK, 408, "RequestTimeoutException", "", false, SA_AWS_RETRY_TRANSIENT},
        {SA_OK, 400, "ValidationException", "bad", false, SA_AWS_RETRY_NONE},
        {SA_OK, 403, "AccessDeniedException", "", false, SA_AWS_RETRY_NONE},
        {SA_OK, 404, "ResourceNotFoundException", "", false, SA_AWS_RETRY_NONE},
        {SA_OK, 501, "NotImplemented", "", false, SA_AWS_RETRY_NONE},
        {SA_EIO, 0, NULL, NULL, false, SA_AWS_RETRY_TRANSIENT},
        {SA_ETIMEOUT, 0, NULL, NULL, false, SA_AWS_RETRY_TIMEOUT},
        {SA_ECANCELLED, 0, NULL, NULL, false, SA_AWS_RETRY_NONE},
        {SA_EINVAL, 0, NULL, NULL, false, SA_AWS_RETRY_NONE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const classify_case *c = &cases[i];
        sa_aws_attempt a = {c->transport, c->status, c->code, c->message, c->html};
        sa_aws_retry_kind got = sa_aws_retry_classify(&a, NULL, 0, NULL);
        if (got != c->want)
            fail_msg("case %zu (%ld %s): kind %d, want %d", i, c->status, c->code ? c->code : "-",
                     got, c->want);
    }
}

static void test_rules_match_first(void **state)
{
    sa_aws_retry_rule rules[] = {
        {.error_code = "InvalidParameterValueException",
         .message_contains = "cannot be assumed by Lambda"},
        {.error_code = "ResourceConflictException", .http_status = 409},
        {.error_code = "LimitExceededException", .message_contains = "Maximum number"},
    };
    const sa_aws_retry_rule *hit = NULL;
    sa_aws_attempt a = {SA_OK, 400, "InvalidParameterValueException",
                        "The role defined for the function cannot be assumed by Lambda.", false};
    (void)state;

    assert_int_equal(sa_aws_retry_classify(&a, rules, 3, &hit), SA_AWS_RETRY_RULE);
    assert_ptr_equal(hit, &rules[0]);
    a.error_message = "Some other problem";
    assert_int_equal(sa_aws_retry_classify(&a, rules, 3, &hit), SA_AWS_RETRY_NONE);
    assert_null(hit);
    a.error_code = "ResourceConflictException";
    a.http_status = 409;
    assert_int_equal(sa_aws_retry_classify(&a, rules, 3, &hit), SA_AWS_RETRY_RULE);
    a.http_status = 400;
    assert_int_equal(sa_aws_retry_classify(&a, rules, 3, &hit), SA_AWS_RETRY_NONE);
    /* a caller may opt a quota error into retries explicitly */
    a.error_code = "LimitExceededException";
    a.error_message = "Maximum number of Resources for this API has been reached";
    assert_int_equal(sa_aws_retry_classify(&a, rules, 3, &hit), SA_AWS_RETRY_RULE);
    /* transport failures never match a rule */
    a.transport_status = SA_EIO;
    assert_int_equal(sa_aws_retry_classify(&a, rules, 3, &hit), SA_AWS_RETRY_TRANSIENT);
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(sa_aws_retry_backoff(100, 20000, 1, 0), 0);
    assert_int_equal(sa_aws_retry_backoff(100, 20000, 1, R_MAX), 100);
    assert_int_equal(sa_aws_retry_backoff(100, 20000, 2, R_MAX), 200);
    assert_int_equal(sa_aws_retry_backoff(100, 20000, 5, R_MAX), 1600);
    assert_int_equal(sa_aws_retry_backoff(500, 20000, 6, R_MAX), 16000);
    assert_int_equal(sa_aws_retry_backoff(500, 20000, 7, R_MAX), 20000);
    assert_int_equal(sa_aws_retry_backoff(500, 20000, 60, R_MAX), 20000);
    assert_int_equal(sa_aws_retry_backoff(100, 20000, 3, R_MAX / 2), 200);
}

typedef struct decide_case {
    const char *name;
    sa_aws_attempt attempt;
    int attempts;
    int64_t elapsed;
    int64_t remaining;
    uint64_t random;
    bool want_retry;
    int64_t want_delay;
    sa_aws_retry_kind want_kind;
} decide_case;

static void test_decide(void **state)
{
    static const sa_aws_retry_policy p = SA_AWS_RETRY_POLICY_DEFAULT;
    static const sa_aws_retry_rule rule = {.error_code = "InvalidParameterValueException",
                                           .message_contains = "cannot be assumed",
                                           .budget_ms = 10000,
                                           .max_attempts = 8,
                                           .base_delay_ms = 1000};
    static const decide_case cases[] = {
        {"throttle 1st",
         {SA_OK, 400, "ThrottlingException", "", false},
         1,
         0,
         -1,
         R_MAX,
         true,
         500,
         SA_AWS_RETRY_THROTTLE},
        {"throttle 2nd",
         {SA_OK, 400, "ThrottlingException", "", false},
         2,
         0,
         -1,
         R_MAX,
         true,
         1000,
         SA_AWS_RETRY_THROTTLE},
        {"throttle 3rd: out",
         {SA_OK, 400, "ThrottlingException", "", false},
         3,
         0,
         -1,
         R_MAX,
         false,
         0,
         SA_AWS_RETRY_THROTTLE},
        {"5xx 1st",
         {SA_OK, 503, "503", "", false},
         1,
         0,
         -1,
         R_MAX,
         true,
         100,
         SA_AWS_RETRY_TRANSIENT},
        {"5xx zero jitter",
         {SA_OK, 503, "503", "", false},
         2,
         0,
         -1,
         0,
         true,
         0,
         SA_AWS_RETRY_TRANSIENT},
        {"timeout",
         {SA_ETIMEOUT, 0, NULL, NULL, false},
         2,
         0,
         -1,
         R_MAX,
         true,
         200,
         SA_AWS_RETRY_TIMEOUT},
        {"terminal",
         {SA_OK, 400, "ValidationException", "x", false},
         1,
         0,
         -1,
         R_MAX,
         false,
         0,
         SA_AWS_RETRY_NONE},
        {"deadline",
         {SA_OK, 503, "503", "", false},
         1,
         0,
         50,
         R_MAX,
         false,
         0,
         SA_AWS_RETRY_TRANSIENT},
        {"deadline roomy",
         {SA_OK, 503, "503", "", false},
         1,
         0,
         5000,
         R_MAX,
         true,
         100,
         SA_AWS_RETRY_TRANSIENT},
        {"rule past max attempts",
         {SA_OK, 400, "InvalidParameterValueException", "role cannot be assumed by Lambda", false},
         4,
         1000,
         -1,
         R_MAX,
         true,
         8000,
         SA_AWS_RETRY_RULE},
        {"rule budget",
         {SA_OK, 400, "InvalidParameterValueException", "role cannot be assumed by Lambda", false},
         2,
         9000,
         -1,
         R_MAX,
         false,
         0,
         SA_AWS_RETRY_RULE},
        {"rule attempts",
         {SA_OK, 400, "InvalidParameterValueException", "role cannot be assumed by Lambda", false},
         8,
         0,
         -1,
         0,
         false,
         0,
         SA_AWS_RETRY_RULE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const decide_case *c = &cases[i];
        sa_aws_retry_decision d = sa_aws_retry_decide(&p, &rule, 1, &c->attempt, c->attempts,
                                                      c->elapsed, c->remaining, c->random);
        if (d.retry != c->want_retry || d.kind != c->want_kind ||
            (c->want_retry && d.delay_ms != c->want_delay))
            fail_msg("%s: retry=%d delay=%lld kind=%d (%s); want retry=%d delay=%lld kind=%d",
                     c->name, d.retry, (long long)d.delay_ms, d.kind, d.why ? d.why : "",
                     c->want_retry, (long long)c->want_delay, c->want_kind);
        assert_non_null(d.why);
    }
}

static void test_rng_is_seedable(void **state)
{
    sa_aws_rng a, b, c;
    (void)state;
    sa_aws_rng_seed(&a, 1);
    sa_aws_rng_seed(&b, 1);
    sa_aws_rng_seed(&c, 2);
    for (int i = 0; i < 10; i++) {
        uint64_t x = sa_aws_rng_next(&a);
        assert_int_equal(x, sa_aws_rng_next(&b));
        assert_int_not_equal(x, sa_aws_rng_next(&c));
    }
}

static void test_quota(void **state)
{
    sa_aws_retry_quota q = SA_AWS_RETRY_QUOTA_INIT;
    int n = 0;
    (void)state;
    while (sa_aws_retry_quota_acquire(&q, SA_AWS_RETRY_COST))
        n++;
    assert_int_equal(n, 100);
    assert_false(sa_aws_retry_quota_acquire(&q, SA_AWS_RETRY_TIMEOUT_COST));
    sa_aws_retry_quota_release(&q, 10);
    assert_true(sa_aws_retry_quota_acquire(&q, SA_AWS_RETRY_TIMEOUT_COST));
    sa_aws_retry_quota_release(&q, 100000);
    assert_int_equal(q.tokens, 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),        cmocka_unit_test(test_rules_match_first),
        cmocka_unit_test(test_backoff),         cmocka_unit_test(test_decide),
        cmocka_unit_test(test_rng_is_seedable), cmocka_unit_test(test_quota),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
