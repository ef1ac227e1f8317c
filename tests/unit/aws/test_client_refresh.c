/*
 * Unit tests of how the AWS client keeps temporary credentials fresh (client.c caches them and
 * asks the chain again 5 minutes before they expire), on a clock seam the tests move and a
 * thread-safe counting transport that plays both the container credentials endpoint (the
 * credential source: every answer is a new key expiring an hour after the clock's now, or a 500
 * when told to fail) and KMS. They prove that a long run of calls crossing the refresh point asks
 * the source exactly once more, that a request is never signed with credentials that have expired
 * (even when a failed refresh took so long that they expired meanwhile), and that several threads
 * reaching the refresh point together make one refresh.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/http.h"
#include "base/platform.h"
#include "fakes.h"

#define T0 1440938160 /* 2015-08-30T12:36:00Z */

typedef struct world {
    /* clock: wall seconds; mono follows it */
    _Atomic int64_t wall_ms;
    sa_aws_clock clock;
    /* transport */
    pthread_mutex_t lock;
    int source_calls;       /* requests to the container endpoint */
    int kms_calls;          /* requests to KMS */
    atomic_bool fail;       /* the endpoint answers 500 */
    int64_t source_latency; /* ms the endpoint's answer takes on the clock */
    useconds_t source_real_delay_us;
    char last_signing_key[64]; /* Credential=KEY of the last KMS request */
    int expired_signatures;    /* KMS requests signed with expired credentials */
    sa_aws_transport seam;
    fake_env env;
    sa_aws_client *client;
} world;

static world *W;
/* expiry of each key the endpoint handed out, by its number */
static int64_t key_expiry[1024];

static time_t w_wall(void *ctx)
{
    return (time_t)(atomic_load(&((world *)ctx)->wall_ms) / 1000);
}

static int64_t w_mono(void *ctx)
{
    return atomic_load(&((world *)ctx)->wall_ms);
}

static int w_sleep(void *ctx, int64_t ms, const atomic_bool *cancelled)
{
    (void)cancelled;
    atomic_fetch_add(&((world *)ctx)->wall_ms, ms);
    return SA_OK;
}

static int reply(sa_aws_http_response *out, long status, const char *body)
{
    memset(out, 0, sizeof(*out));
    out->status = status;
    out->body_len = strlen(body);
    out->body = (unsigned char *)strdup(body);
    return SA_OK;
}

static int w_send(void *ctx, sa_aws_http_response *out, const sa_aws_http_request *req,
                  sa_error *err)
{
    world *w = ctx;
    char *url = NULL;
    char body[512];
    int rc;

    rc = sa_aws_http_request_url(&url, req, err);
    if (rc != SA_OK)
        return rc;
    if (strstr(url, "169.254.170.2") != NULL) {
        int n;
        struct tm tm;
        time_t exp;
        char stamp[32];

        free(url);
        if (w->source_real_delay_us > 0)
            usleep(w->source_real_delay_us);
        atomic_fetch_add(&w->wall_ms, w->source_latency);
        pthread_mutex_lock(&w->lock);
        n = ++w->source_calls;
        pthread_mutex_unlock(&w->lock);
        if (atomic_load(&w->fail))
            return reply(out, 500, "{\"message\":\"endpoint down\"}");
        exp = (time_t)(atomic_load(&w->wall_ms) / 1000) + 3600;
        key_expiry[n] = exp;
        sa_gmtime(&exp, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(body, sizeof(body),
                 "{\"AccessKeyId\":\"ASIAKEY%d\",\"SecretAccessKey\":\"s%d\",\"Token\":\"t%d\","
                 "\"Expiration\":\"%s\"}",
                 n, n, n, stamp);
        return reply(out, 200, body);
    }
    free(url);
    {
        const char *auth = sa_aws_headers_get(&req->headers, "Authorization");
        const char *k = auth ? strstr(auth, "Credential=ASIAKEY") : NULL;
        int n = k ? atoi(k + strlen("Credential=ASIAKEY")) : 0;
        int64_t now = atomic_load(&w->wall_ms) / 1000;

        pthread_mutex_lock(&w->lock);
        w->kms_calls++;
        if (n <= 0 || n >= 1024 || key_expiry[n] <= now)
            w->expired_signatures++;
        snprintf(w->last_signing_key, sizeof(w->last_signing_key), "ASIAKEY%d", n);
        pthread_mutex_unlock(&w->lock);
    }
    return reply(out, 200, "{\"Keys\":[]}");
}

static const fake_var vars[] = {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"},
                                {"AWS_EC2_METADATA_DISABLED", "true"},
                                {NULL, NULL}};

static world *world_new(void)
{
    world *w = calloc(1, sizeof(*w));
    sa_aws_client_config cfg = {0};
    sa_error err = {0};

    assert_non_null(w);
    memset(key_expiry, 0, sizeof(key_expiry));
    atomic_init(&w->wall_ms, (int64_t)T0 * 1000);
    atomic_init(&w->fail, false);
    pthread_mutex_init(&w->lock, NULL);
    w->clock = (sa_aws_clock){w_wall, w_mono, w_sleep, w};
    w->seam = (sa_aws_transport){w_send, w};
    fake_env_init(&w->env, vars, NULL);
    cfg.env = &w->env.env;
    cfg.transport = &w->seam;
    cfg.clock = &w->clock;
    cfg.rng_seed = 7;
    cfg.max_attempts = 1;
    if (sa_aws_client_new(&w->client, &cfg, &err) != SA_OK)
        fail_msg("client_new: %s", err.message);
    W = w;
    return w;
}

static void world_free(world *w)
{
    sa_aws_client_release(w->client);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

static int call(world *w, sa_error *err)
{
    sa_aws_operation op = {.service = "kms", .name = "ListKeys"};
    sa_aws_response r = {0};
    int rc = sa_aws_call(&r, w->client, &op, NULL, NULL, err);
    sa_aws_response_dispose(&r);
    return rc;
}

/* A create that makes 120 calls, 30 s apart, from 40 minutes into the credentials' hour to the
 * hour and 20 minutes: the source is asked once at the start and exactly once more, at the
 * refresh point (55 minutes); every call is signed with credentials that had not expired. */
static void test_refreshed_once_across_refresh_point(void **state)
{
    world *w = world_new();
    sa_error err = {0};
    int refreshed_at = -1;
    (void)state;

    assert_int_equal(call(w, &err), SA_OK);
    assert_int_equal(w->source_calls, 1);
    atomic_fetch_add(&w->wall_ms, 40 * 60 * 1000);
    for (int i = 0; i < 120; i++) {
        int before = w->source_calls;
        assert_int_equal(call(w, &err), SA_OK);
        if (w->source_calls != before)
            refreshed_at = i;
        atomic_fetch_add(&w->wall_ms, 30 * 1000);
    }
    assert_int_equal(w->source_calls, 2);
    assert_int_equal(refreshed_at, 30); /* 40 min + 30 * 30 s = 55 min */
    assert_string_equal(w->last_signing_key, "ASIAKEY2");
    assert_int_equal(w->kms_calls, 121);
    assert_int_equal(w->expired_signatures, 0);
    world_free(w);
}

/* The credentials are 2 s from expiring when a call tries to refresh them; the endpoint fails
 * and its failure takes 5 s, so by then they have expired: the call must fail with an error
 * saying so, and send nothing signed with them. Refreshing that fails while they are still good
 * keeps using them. */
static void test_never_signs_with_expired_credentials(void **state)
{
    world *w = world_new();
    sa_error err = {0};
    (void)state;

    assert_int_equal(call(w, &err), SA_OK);
    /* inside the margin, refresh fails quickly: the current ones are still good, used */
    atomic_store(&w->fail, true);
    atomic_fetch_add(&w->wall_ms, (3600 - 120) * 1000);
    assert_int_equal(call(w, &err), SA_OK);
    assert_int_equal(w->kms_calls, 2);
    /* 2 s before expiry, a refresh that fails after 5 s */
    atomic_store(&w->wall_ms, ((int64_t)key_expiry[1] - 2) * 1000);
    w->source_latency = 5000;
    assert_int_not_equal(call(w, &err), SA_OK);
    assert_int_equal(w->kms_calls, 2);
    assert_int_equal(w->expired_signatures, 0);
    assert_non_null(strstr(err.message, "expired"));
    assert_non_null(strstr(err.message, "container credentials endpoint"));
    /* long after expiry, with the endpoint still down: the same */
    w->source_latency = 0;
    atomic_fetch_add(&w->wall_ms, 600 * 1000);
    assert_int_not_equal(call(w, &err), SA_OK);
    assert_non_null(strstr(err.message, "expired"));
    assert_int_equal(w->kms_calls, 2);
    /* the endpoint is back: new credentials, and the call goes out */
    atomic_store(&w->fail, false);
    assert_int_equal(call(w, &err), SA_OK);
    assert_int_equal(w->kms_calls, 3);
    assert_int_equal(w->expired_signatures, 0);
    world_free(w);
}

#define THREADS 8

static pthread_barrier_t barrier;
static int thread_rc[THREADS];

static void *thread_main(void *arg)
{
    int i = (int)(intptr_t)arg;
    sa_error err = {0};

    pthread_barrier_wait(&barrier);
    thread_rc[i] = call(W, &err);
    return NULL;
}

/* Eight threads call at the refresh point together; the endpoint's answer takes 100 ms of real
 * time so they all arrive while it is being asked: it is asked once, and all eight calls are
 * signed with the new key. */
static void test_concurrent_refreshes_collapse(void **state)
{
    world *w = world_new();
    pthread_t t[THREADS];
    sa_error err = {0};
    (void)state;

    assert_int_equal(call(w, &err), SA_OK);
    atomic_fetch_add(&w->wall_ms, (3600 - 200) * 1000);
    w->source_real_delay_us = 100000;
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(thread_rc[i], SA_OK);
    assert_int_equal(w->source_calls, 2);
    assert_int_equal(w->kms_calls, 1 + THREADS);
    assert_string_equal(w->last_signing_key, "ASIAKEY2");
    assert_int_equal(w->expired_signatures, 0);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refreshed_once_across_refresh_point),
        cmocka_unit_test(test_never_signs_with_expired_credentials),
        cmocka_unit_test(test_concurrent_refreshes_collapse),
    };
    sa_error err = {0};

    if (sa_aws_global_init(&err) != SA_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
