/*
 * Unit tests of client-side pacing (provider/aws/pacing.c) on the fake clock: the table's rates
 * and sources, which rows an operation takes its turn from, a row's rate and burst honoured in
 * arrival order, the rate scale, the adaptive slow-down on a throttling answer (once per burst)
 * and its recovery, a cancelled wait ending at once and giving its turn back, a turn after the
 * deadline refused without waiting; and through sa_aws_call: turns shared by the calls of one
 * client, a throttling answer slowing the bucket, and queueing that does not use up a retry rule's
 * time budget.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/pacing.h"
#include "fakes.h"

#define REGION "ap-southeast-1"
#define NEAR(a, b) ((a) > (b)-1e-6 && (a) < (b) + 1e-6)

/* ---- the table ---------------------------------------------------------------------------- */

static void test_table_rows_have_sources(void **state)
{
    size_t n = 0;
    const sa_aws_rate *r = sa_aws_rates(&n);
    (void)state;

    assert_true(n >= 6);
    for (size_t i = 0; i < n; i++) {
        assert_true(r[i].count > 0 && r[i].period_s > 0 && r[i].burst >= 1);
        assert_non_null(strstr(r[i].source, "https://docs.aws.amazon.com/"));
    }
}

static void test_classes_of_an_operation(void **state)
{
    const sa_aws_rate *rows[SA_AWS_PACE_MAX_CLASSES];
    (void)state;

    /* API Gateway: the operation's own quota, then the total */
    assert_int_equal(sa_aws_rate_classes(rows, "apigateway", "DeleteRestApi"), 2);
    assert_string_equal(rows[0]->label, "DeleteRestApi");
    assert_true(rows[0]->count == 1 && rows[0]->period_s == 30);
    assert_string_equal(rows[1]->label, "*");
    assert_int_equal(sa_aws_rate_classes(rows, "apigateway", "CreateRestApi"), 2);
    assert_string_equal(rows[0]->label, "CreateRestApi (regional or private)");
    assert_int_equal(sa_aws_rate_classes(rows, "apigateway", "GetRestApi"), 1);
    assert_string_equal(rows[0]->label, "*");
    /* Lambda: its own row, else the rest of the control plane */
    assert_int_equal(sa_aws_rate_classes(rows, "lambda", "GetFunction"), 1);
    assert_string_equal(rows[0]->label, "GetFunction");
    assert_int_equal(sa_aws_rate_classes(rows, "lambda", "CreateFunction"), 1);
    assert_string_equal(rows[0]->label, "control plane");
    /* KMS: each operation its own quota */
    assert_int_equal(sa_aws_rate_classes(rows, "kms", "CreateKey"), 1);
    assert_true(rows[0]->count == 5 && rows[0]->period_s == 1);
    assert_int_equal(sa_aws_rate_classes(rows, "kms", "ScheduleKeyDeletion"), 1);
    assert_true(rows[0]->count == 15);
    /* Logs: only CreateLogGroup has a row */
    assert_int_equal(sa_aws_rate_classes(rows, "logs", "CreateLogGroup"), 1);
    assert_int_equal(sa_aws_rate_classes(rows, "logs", "PutRetentionPolicy"), 0);
    /* unpublished: not paced */
    assert_int_equal(sa_aws_rate_classes(rows, "iam", "CreateRole"), 0);
    assert_int_equal(sa_aws_rate_classes(rows, "sts", "GetCallerIdentity"), 0);
}

/* ---- the pacer alone ---------------------------------------------------------------------- */

typedef struct bench {
    fake_clock clock;
    atomic_bool cancel;
    sa_aws_pacer *pacer;
} bench;

static bench *bench_new(double scale)
{
    bench *b = calloc(1, sizeof(*b));
    sa_error err = {0};

    assert_non_null(b);
    fake_clock_init(&b->clock);
    atomic_init(&b->cancel, false);
    b->clock.cancel = &b->cancel;
    if (sa_aws_pacer_new(&b->pacer, scale, &err) != SA_OK)
        fail_msg("pacer_new: %s", err.message);
    return b;
}

static void bench_free(bench *b)
{
    sa_aws_pacer_free(b->pacer);
    free(b);
}

/* One turn of service/op now; returns what it waited. */
static int64_t turn(bench *b, const char *service, const char *op)
{
    int64_t waited = -1;
    sa_error err = {0};

    sa_aws_pace_request rq = {
        .region = REGION, .service = service, .op = op, .cancelled = &b->cancel};

    if (sa_aws_pacer_wait(b->pacer, &b->clock.clock, &rq, &waited, &err) != SA_OK)
        fail_msg("wait: %s", err.message);
    return waited;
}

static void test_rate_honoured_in_order(void **state)
{
    bench *b = bench_new(1);
    (void)state;

    /* DeleteRestApi: once every 30 s, no burst; the caller's sleep moves the fake clock */
    assert_int_equal(turn(b, "apigateway", "DeleteRestApi"), 0);
    assert_int_equal(turn(b, "apigateway", "DeleteRestApi"), 30000);
    assert_int_equal(b->clock.mono_ms, 30000);
    assert_int_equal(turn(b, "apigateway", "DeleteRestApi"), 30000);
    /* another region has buckets of its own */
    {
        int64_t waited = -1;
        sa_error err = {0};
        sa_aws_pace_request rq = {
            .region = "eu-west-1", .service = "apigateway", .op = "DeleteRestApi"};
        assert_int_equal(sa_aws_pacer_wait(b->pacer, &b->clock.clock, &rq, &waited, &err), SA_OK);
        assert_int_equal(waited, 0);
    }
    /* an unpaced service never waits */
    for (int i = 0; i < 100; i++)
        assert_int_equal(turn(b, "iam", "CreateRole"), 0);
    bench_free(b);
}

static void test_burst_then_rate(void **state)
{
    bench *b = bench_new(1);
    int64_t total = 0;
    (void)state;

    /* the API Gateway total: 10 per second, burst 40 */
    for (int i = 0; i < 40; i++)
        assert_int_equal(turn(b, "apigateway", "GetRestApi"), 0);
    assert_int_equal(turn(b, "apigateway", "GetRestApi"), 100);
    for (int i = 0; i < 9; i++)
        total += turn(b, "apigateway", "GetRestApi");
    assert_int_equal(total, 900);
    /* an idle second refills ten turns */
    b->clock.mono_ms += 1000;
    for (int i = 0; i < 10; i++)
        assert_int_equal(turn(b, "apigateway", "GetRestApi"), 0);
    assert_int_equal(turn(b, "apigateway", "GetRestApi"), 100);
    bench_free(b);
}

static void test_own_row_and_total_both_taken(void **state)
{
    bench *b = bench_new(1);
    (void)state;

    /* 40 calls use up the total's burst: CreateRestApi's own bucket is full, the total is not */
    for (int i = 0; i < 40; i++)
        assert_int_equal(turn(b, "apigateway", "GetStage"), 0);
    assert_int_equal(turn(b, "apigateway", "CreateRestApi"), 100);
    /* and its own: once every 3 s */
    assert_int_equal(turn(b, "apigateway", "CreateRestApi"), 3000);
    bench_free(b);
}

/* A sleep that lets no time pass: the caller stands for a thread still waiting for its turn while
 * the test goes on at the same instant. */
static int waiting_elsewhere(void *ctx, int64_t ms, const atomic_bool *cancelled)
{
    (void)ctx;
    (void)ms;
    (void)cancelled;
    return SA_OK;
}

static void test_request_queued_ahead_does_not_hold_the_total_back(void **state)
{
    bench *b = bench_new(1);
    (void)state;

    b->clock.clock.sleep = waiting_elsewhere;
    /* thirty DeleteRestApi queued (fewer than the total's burst of 40, as their turns of the total
     * are taken at this same instant here): the last one's turn is 29 x 30 s away */
    for (int i = 0; i < 30; i++)
        assert_int_equal(turn(b, "apigateway", "DeleteRestApi"), i * 30000);
    /* the total is not held until then: a CreateResource now goes at once */
    assert_int_equal(turn(b, "apigateway", "CreateResource"), 0);
    assert_int_equal(turn(b, "apigateway", "GetStage"), 0);
    bench_free(b);
}

static void test_scale_multiplies_rates(void **state)
{
    bench *b = bench_new(10);
    (void)state;

    assert_int_equal(turn(b, "apigateway", "DeleteRestApi"), 0);
    assert_int_equal(turn(b, "apigateway", "DeleteRestApi"), 3000);
    assert_true(
        NEAR(sa_aws_pacer_rate(b->pacer, b->clock.mono_ms, REGION, "lambda", "GetPolicy"), 150.0));
    bench_free(b);
    {
        sa_aws_pacer *p = NULL;
        sa_error err = {0};
        assert_int_equal(sa_aws_pacer_new(&p, 0, &err), SA_EINVAL);
        assert_int_equal(sa_aws_pacer_new(&p, -1, &err), SA_EINVAL);
        assert_null(p);
    }
}

static void test_throttle_slows_then_recovers(void **state)
{
    bench *b = bench_new(1);
    double r;
    (void)state;

    /* Lambda's control plane: 15 per second */
    assert_int_equal(turn(b, "lambda", "CreateFunction"), 0);
    assert_true(NEAR(sa_aws_pacer_rate(b->pacer, 0, REGION, "lambda", "CreateFunction"), 15.0));
    sa_aws_pacer_throttled(b->pacer, 0, REGION, "lambda", "CreateFunction");
    r = sa_aws_pacer_rate(b->pacer, 0, REGION, "lambda", "CreateFunction");
    assert_true(r > 10.49 && r < 10.51);
    /* answers to the same burst slow it once */
    sa_aws_pacer_throttled(b->pacer, 0, REGION, "lambda", "CreateFunction");
    r = sa_aws_pacer_rate(b->pacer, 0, REGION, "lambda", "CreateFunction");
    assert_true(r > 10.49 && r < 10.51);
    /* the burst is drained: the next turn is one slower interval (1000 / 10.5 ms) away */
    assert_int_equal(turn(b, "lambda", "CreateFunction"), 96);
    /* throttled once per interval, it keeps slowing (the rate recovers in between) */
    for (int i = 0; i < 20; i++) {
        r = sa_aws_pacer_rate(b->pacer, b->clock.mono_ms, REGION, "lambda", "CreateFunction");
        b->clock.mono_ms += (int64_t)(1000.0 / r) + 1;
        sa_aws_pacer_throttled(b->pacer, b->clock.mono_ms, REGION, "lambda", "CreateFunction");
    }
    r = sa_aws_pacer_rate(b->pacer, b->clock.mono_ms, REGION, "lambda", "CreateFunction");
    assert_true(r < 0.45 * 15 && r >= 0.125 * 15);
    /* and recovers linearly to the table's rate over ten of its intervals (667 ms) */
    {
        double mid =
            sa_aws_pacer_rate(b->pacer, b->clock.mono_ms + 333, REGION, "lambda", "CreateFunction");
        assert_true(mid > r && mid < 15.0);
    }
    r = sa_aws_pacer_rate(b->pacer, b->clock.mono_ms + 667, REGION, "lambda", "CreateFunction");
    assert_true(NEAR(r, 15.0));
    /* a throttled DeleteRestApi slows its own row, not API Gateway's total */
    assert_int_equal(turn(b, "apigateway", "GetRestApi"), 0);
    sa_aws_pacer_throttled(b->pacer, b->clock.mono_ms, REGION, "apigateway", "DeleteRestApi");
    assert_true(NEAR(
        sa_aws_pacer_rate(b->pacer, b->clock.mono_ms, REGION, "apigateway", "GetRestApi"), 10.0));
    r = sa_aws_pacer_rate(b->pacer, b->clock.mono_ms, REGION, "apigateway", "DeleteRestApi");
    assert_true(NEAR(r, 0.7 / 30));
    bench_free(b);
}

static void test_cancel_ends_wait_and_gives_turn_back(void **state)
{
    bench *b = bench_new(1);
    sa_aws_pace_request rq = {
        .region = REGION, .service = "apigateway", .op = "DeleteRestApi", .cancelled = &b->cancel};
    int64_t waited = -1;
    sa_error err = {0};
    (void)state;

    assert_int_equal(turn(b, "apigateway", "DeleteRestApi"), 0);
    b->clock.cancel_at_sleep = 1;
    assert_int_equal(sa_aws_pacer_wait(b->pacer, &b->clock.clock, &rq, &waited, &err),
                     SA_ECANCELLED);
    assert_non_null(strstr(err.message, "cancelled while waiting for its turn"));
    assert_int_equal(b->clock.sleep_count, 1);
    assert_int_equal(b->clock.mono_ms, 0); /* the fake sleep returned at once */
    /* the cancelled turn was given back: the next caller waits 30 s, not 60 */
    atomic_store(&b->cancel, false);
    b->clock.cancel_at_sleep = 0;
    assert_int_equal(turn(b, "apigateway", "DeleteRestApi"), 30000);
    bench_free(b);
}

static void test_turn_after_deadline_refused_at_once(void **state)
{
    bench *b = bench_new(1);
    sa_aws_pace_request rq = {.region = REGION, .service = "apigateway", .op = "CreateDeployment"};
    int64_t waited = -1;
    sa_error err = {0};
    (void)state;

    assert_int_equal(turn(b, "apigateway", "CreateDeployment"), 0);
    rq.deadline_ms = 4000;
    assert_int_equal(sa_aws_pacer_wait(b->pacer, &b->clock.clock, &rq, &waited, &err), SA_ETIMEOUT);
    assert_non_null(strstr(err.message, "after the deadline"));
    assert_int_equal(b->clock.sleep_count, 0);
    /* nothing was reserved: a caller with time enough still gets the turn at 5 s */
    rq.deadline_ms = 5001;
    assert_int_equal(sa_aws_pacer_wait(b->pacer, &b->clock.clock, &rq, &waited, &err), SA_OK);
    assert_int_equal(waited, 5000);
    bench_free(b);
}

/* ---- through the client ------------------------------------------------------------------- */

typedef struct fixture {
    fake_env env;
    fake_transport transport;
    fake_clock clock;
    debug_sink debug;
    sa_aws_client *client;
    atomic_bool cancel;
} fixture;

static const fake_var base_vars[] = {
    {"AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY},
    {"AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY},
    {"AWS_EC2_METADATA_DISABLED", "true"},
    {NULL, NULL},
};

static fixture *fixture_new(const fake_reply *replies, size_t n, double scale)
{
    fixture *f = calloc(1, sizeof(*f));
    sa_aws_client_config cfg = {0};
    sa_error err = {0};

    assert_non_null(f);
    fake_env_init(&f->env, base_vars, NULL);
    fake_transport_init(&f->transport, replies, n);
    fake_clock_init(&f->clock);
    f->transport.clock = &f->clock;
    f->transport.latency_ms = 10;
    atomic_init(&f->cancel, false);
    f->clock.cancel = &f->cancel;
    cfg.env = &f->env.env;
    cfg.transport = &f->transport.seam;
    cfg.clock = &f->clock.clock;
    cfg.rng_seed = 42;
    cfg.rate_scale = scale;
    cfg.debug = debug_sink_line;
    cfg.debug_ctx = &f->debug;
    if (sa_aws_client_new(&f->client, &cfg, &err) != SA_OK)
        fail_msg("client_new: %s", err.message);
    return f;
}

static void fixture_free(fixture *f)
{
    sa_aws_client_release(f->client);
    fake_transport_dispose(&f->transport);
    free(f);
}

static const sa_aws_operation delete_api = {
    .service = "apigateway", .name = "DeleteRestApi", .method = "DELETE", .path = "/restapis/a"};

#define ACCEPTED                                                                                   \
    {                                                                                              \
        SA_OK, 202, NULL, ""                                                                       \
    }
#define TOO_MANY                                                                                   \
    {                                                                                              \
        SA_OK, 429, "x-amzn-ErrorType: TooManyRequestsException\n",                                \
            "{\"message\":\"Too Many Requests\"}"                                                  \
    }

static int notices;
static char noticed[128];

static void notice(void *ctx, const char *what, int64_t wait_ms)
{
    (void)ctx;
    notices++;
    snprintf(noticed, sizeof(noticed), "%s %lld", what, (long long)wait_ms);
}

static void test_calls_of_a_client_share_turns(void **state)
{
    fake_reply replies[] = {ACCEPTED};
    fixture *f = fixture_new(replies, 1, 0);
    sa_aws_call_options o = {.pacing = notice};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sa_aws_call(&r, f->client, &delete_api, &o, NULL, &err), SA_OK);
        assert_int_equal(r.attempts, 1);
        sa_aws_response_dispose(&r);
    }
    /* two waits of 30 s (paced at 97% of the rate: 30928 ms) less the 10 ms each exchange took */
    assert_int_equal(f->clock.sleep_count, 2);
    assert_int_equal(f->clock.sleeps[0], 30918);
    assert_int_equal(f->clock.sleeps[1], 30918);
    assert_non_null(strstr(f->debug.text, "API Gateway DeleteRestApi waits 30918 ms for its turn"));
    assert_int_equal(notices, 2);
    assert_string_equal(noticed, "API Gateway DeleteRestApi 30918");
    fixture_free(f);
    /* with no_pacing nothing waits */
    {
        sa_aws_client_config cfg = {0};
        fixture *g = fixture_new(replies, 1, 0);
        sa_error e2 = {0};
        sa_aws_client_release(g->client);
        cfg.env = &g->env.env;
        cfg.transport = &g->transport.seam;
        cfg.clock = &g->clock.clock;
        cfg.no_pacing = true;
        assert_int_equal(sa_aws_client_new(&g->client, &cfg, &e2), SA_OK);
        g->transport.repeat_last = true;
        for (int i = 0; i < 3; i++) {
            assert_int_equal(sa_aws_call(&r, g->client, &delete_api, NULL, NULL, &err), SA_OK);
            sa_aws_response_dispose(&r);
        }
        assert_int_equal(g->clock.sleep_count, 0);
        fixture_free(g);
    }
}

static void test_throttling_answer_slows_the_bucket(void **state)
{
    fake_reply replies[] = {ACCEPTED, TOO_MANY, ACCEPTED};
    fixture *f = fixture_new(replies, 3, 0);
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    assert_int_equal(sa_aws_call(&r, f->client, &delete_api, NULL, NULL, &err), SA_OK);
    sa_aws_response_dispose(&r);
    assert_int_equal(sa_aws_call(&r, f->client, &delete_api, NULL, NULL, &err), SA_OK);
    assert_int_equal(r.attempts, 2);
    sa_aws_response_dispose(&r);
    /* sleeps: the turn (30 s / 0.97), the retry's backoff, then the slowed turn (30 s / 0.97 /
     * 0.7 = 44183 ms from the 429, less the backoff) */
    assert_int_equal(f->clock.sleep_count, 3);
    assert_int_equal(f->clock.sleeps[0], 30918);
    assert_true(f->clock.sleeps[1] + f->clock.sleeps[2] >= 44183 - 1 &&
                f->clock.sleeps[1] + f->clock.sleeps[2] <= 44183 + 1);
    fixture_free(f);
}

static void test_queueing_uses_no_retry_budget(void **state)
{
    /* ten stacks' DeleteRestApi queue behind each other (30 s apart); each is throttled once and
     * its rule (TooManyRequestsException, 20 s budget) still retries: the time it waited in the
     * queue is not an attempt's */
    fake_reply replies[] = {ACCEPTED};
    fixture *f = fixture_new(replies, 1, 0);
    sa_aws_retry_rule rule = {.error_code = "TooManyRequestsException", .budget_ms = 20000};
    sa_aws_call_options o = {.rules = &rule, .rule_count = 1};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    for (int i = 0; i < 9; i++) {
        assert_int_equal(sa_aws_call(&r, f->client, &delete_api, &o, NULL, &err), SA_OK);
        sa_aws_response_dispose(&r);
    }
    assert_true(f->clock.mono_ms >= 240000);
    {
        fake_reply last[] = {TOO_MANY, ACCEPTED};
        int64_t started;
        fake_transport_dispose(&f->transport);
        f->transport.replies = last;
        f->transport.reply_count = 2;
        f->transport.next = 0;
        f->transport.repeat_last = true;
        started = f->clock.mono_ms;
        o.deadline_ms = started + 600000;
        if (sa_aws_call(&r, f->client, &delete_api, &o, NULL, &err) != SA_OK)
            fail_msg("the tenth DeleteRestApi failed: %s", err.message);
        assert_int_equal(r.attempts, 2);
        /* it waited its turn (30 s) and, after the 429, a slowed turn (~43 s): more than the
         * rule's budget in all */
        assert_true(f->clock.mono_ms - started > 60000);
        sa_aws_response_dispose(&r);
    }
    fixture_free(f);
}

static void test_client_wait_cancelled_or_past_deadline(void **state)
{
    fake_reply replies[] = {ACCEPTED};
    fixture *f = fixture_new(replies, 1, 0);
    sa_aws_call_options o = {.cancelled = &f->cancel};
    sa_aws_response r = {0};
    sa_error err = {0};
    (void)state;

    f->transport.repeat_last = true;
    assert_int_equal(sa_aws_call(&r, f->client, &delete_api, &o, NULL, &err), SA_OK);
    sa_aws_response_dispose(&r);
    /* the second waits for its turn; the cancel flag rises during the wait */
    f->clock.cancel_at_sleep = 1;
    assert_int_equal(sa_aws_call(&r, f->client, &delete_api, &o, NULL, &err), SA_ECANCELLED);
    assert_non_null(strstr(err.message, "API Gateway DeleteRestApi: cancelled while waiting"));
    assert_int_equal(f->transport.request_count, 1);
    /* a deadline before the turn: refused at once, nothing sent, nothing slept */
    atomic_store(&f->cancel, false);
    f->clock.cancel_at_sleep = 0;
    o.deadline_ms = f->clock.mono_ms + 20000;
    assert_int_equal(sa_aws_call(&r, f->client, &delete_api, &o, NULL, &err), SA_ETIMEOUT);
    assert_non_null(strstr(err.message, "after the deadline"));
    assert_int_equal(f->transport.request_count, 1);
    assert_int_equal(f->clock.sleep_count, 1);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows_have_sources),
        cmocka_unit_test(test_classes_of_an_operation),
        cmocka_unit_test(test_rate_honoured_in_order),
        cmocka_unit_test(test_burst_then_rate),
        cmocka_unit_test(test_own_row_and_total_both_taken),
        cmocka_unit_test(test_request_queued_ahead_does_not_hold_the_total_back),
        cmocka_unit_test(test_scale_multiplies_rates),
        cmocka_unit_test(test_throttle_slows_then_recovers),
        cmocka_unit_test(test_cancel_ends_wait_and_gives_turn_back),
        cmocka_unit_test(test_turn_after_deadline_refused_at_once),
        cmocka_unit_test(test_calls_of_a_client_share_turns),
        cmocka_unit_test(test_throttling_answer_slows_the_bucket),
        cmocka_unit_test(test_queueing_uses_no_retry_budget),
        cmocka_unit_test(test_client_wait_cancelled_or_past_deadline),
    };
    sa_error err = {0};
    int rc;

    if (sa_aws_global_init(&err) != SA_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    sa_aws_global_cleanup();
    return rc;
}
