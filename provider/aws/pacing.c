/*
 * The rate table and the pacer (see pacing.h): GCRA token buckets keyed by region and table row,
 * under one lock, with the adaptive slow-down on throttling answers. The table must agree with
 * the harness's quota proxy (tests/harness/quota_proxy.py, RATES), which enforces the same rates;
 * tests/aws/test_pacing_rates.py compares the two.
 */
#include "aws/pacing.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/util.h"

#define APIGW_QUOTAS "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html"
#define LAMBDA_QUOTAS "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
#define KMS_QUOTAS "https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html"
#define LOGS_QUOTAS                                                                                \
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html"

/*
 * API Gateway: "API Gateway quotas for creating, deploying and managing an API", per account and
 * Region, fixed. Every control-plane request also counts against the total ("*": 10 requests per
 * second, burst 40); operations the page does not name have no quota of their own beyond it. Only
 * the operations the provider calls are listed: CreateRestApi is the regional row (the stack makes
 * REGIONAL APIs only).
 * Lambda: "Lambda API requests": GetFunction 100 per second, GetPolicy 15, the rest of the control
 * plane (not invocation) 15 together; the page gives no burst, one second's worth is assumed (as
 * the quota proxy does).
 * KMS: "Request quotas for each AWS KMS API operation", per account and Region, requests per
 * second, each operation its own quota; the operations the stack calls. No burst is given: one
 * second's worth is assumed.
 * CloudWatch Logs: the quotas page's CreateLogGroup row (10 transactions per second per account
 * and Region); the stack's other Logs operations have no per-operation row on the page as read
 * here, so they are not paced (nor limited by the quota proxy).
 * Not paced: IAM and STS (no published request rates).
 */
static const sa_aws_rate rates[] = {
    {"apigateway", "*", "*", 10, 1, 40, APIGW_QUOTAS},
    {"apigateway", "CreateDeployment", "CreateDeployment", 1, 5, 1, APIGW_QUOTAS},
    {"apigateway", "CreateResource", "CreateResource", 5, 1, 5, APIGW_QUOTAS},
    {"apigateway", "CreateRestApi (regional or private)", "CreateRestApi", 1, 3, 1, APIGW_QUOTAS},
    {"apigateway", "DeleteRestApi", "DeleteRestApi", 1, 30, 1, APIGW_QUOTAS},
    {"apigateway", "GetResources", "GetResources", 5, 2, 5, APIGW_QUOTAS},
    {"lambda", "GetFunction", "GetFunction", 100, 1, 100, LAMBDA_QUOTAS},
    {"lambda", "GetPolicy", "GetPolicy", 15, 1, 15, LAMBDA_QUOTAS},
    {"lambda", "control plane", NULL, 15, 1, 15, LAMBDA_QUOTAS},
    {"kms", "CreateAlias", "CreateAlias", 5, 1, 5, KMS_QUOTAS},
    {"kms", "CreateKey", "CreateKey", 5, 1, 5, KMS_QUOTAS},
    {"kms", "DeleteAlias", "DeleteAlias", 15, 1, 15, KMS_QUOTAS},
    {"kms", "DescribeKey", "DescribeKey", 2000, 1, 2000, KMS_QUOTAS},
    {"kms", "DisableKeyRotation", "DisableKeyRotation", 5, 1, 5, KMS_QUOTAS},
    {"kms", "EnableKeyRotation", "EnableKeyRotation", 15, 1, 15, KMS_QUOTAS},
    {"kms", "GetKeyRotationStatus", "GetKeyRotationStatus", 1000, 1, 1000, KMS_QUOTAS},
    {"kms", "ListAliases", "ListAliases", 500, 1, 500, KMS_QUOTAS},
    {"kms", "ListResourceTags", "ListResourceTags", 2000, 1, 2000, KMS_QUOTAS},
    {"kms", "ScheduleKeyDeletion", "ScheduleKeyDeletion", 15, 1, 15, KMS_QUOTAS},
    {"kms", "TagResource", "TagResource", 10, 1, 10, KMS_QUOTAS},
    {"kms", "UntagResource", "UntagResource", 5, 1, 5, KMS_QUOTAS},
    {"kms", "UpdateAlias", "UpdateAlias", 5, 1, 5, KMS_QUOTAS},
    {"logs", "CreateLogGroup", "CreateLogGroup", 10, 1, 10, LOGS_QUOTAS},
};

/* The adaptive part: a throttling answer multiplies the rate by BETA (the SDKs' CUBIC beta), at
 * most once per interval and never below MIN_FACTOR; the rate then grows back linearly to the
 * table's over RECOVERY_INTERVALS of the table's intervals. */
#define BETA 0.7
#define MIN_FACTOR 0.125
#define RECOVERY_INTERVALS 10.0
#define REGION_MAX 64

const sa_aws_rate *sa_aws_rates(size_t *out_count)
{
    *out_count = SA_N(rates);
    return rates;
}

size_t sa_aws_rate_classes(const sa_aws_rate **out, const char *service, const char *op)
{
    const sa_aws_rate *rest = NULL;
    size_t n = 0;
    bool own = false;

    if (service == NULL || op == NULL)
        return 0;
    for (size_t i = 0; i < SA_N(rates); i++) {
        const sa_aws_rate *r = &rates[i];
        if (strcmp(r->service, service) != 0)
            continue;
        if (r->op == NULL) {
            rest = r;
        } else if (strcmp(r->op, op) == 0 && n < SA_AWS_PACE_MAX_CLASSES) {
            out[n++] = r;
            own = true;
        } else if (strcmp(r->op, "*") == 0 && n < SA_AWS_PACE_MAX_CLASSES) {
            out[n++] = r;
        }
    }
    if (!own && rest != NULL && n < SA_AWS_PACE_MAX_CLASSES)
        out[n++] = rest;
    /* the operation's own row first (sa_aws_pacer_rate reports it) */
    if (n == 2 && strcmp(out[0]->op != NULL ? out[0]->op : "", "*") == 0) {
        const sa_aws_rate *t = out[0];
        out[0] = out[1];
        out[1] = t;
    }
    return n;
}

typedef struct bucket {
    char region[REGION_MAX];
    const sa_aws_rate *rate;
    double tat_ms; /* theoretical arrival time: when the bucket would be full again */
    bool slowed;   /* a throttling answer slowed it */
    double low;    /* the rate factor right after the last slow-down */
    double slowed_at_ms;
} bucket;

struct sa_aws_pacer {
    pthread_mutex_t lock;
    double scale;
    bucket *buckets;
    size_t count, cap;
};

int sa_aws_pacer_new(sa_aws_pacer **out, double scale, sa_error *err)
{
    sa_aws_pacer *p;

    if (!(scale > 0) || !isfinite(scale))
        return sa_error_set(err, SA_EINVAL, "the API rate scale must be a positive number");
    p = sa_calloc(1, sizeof(*p));
    if (p == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return sa_error_set(err, SA_EINTERNAL, "cannot create a mutex");
    }
    p->scale = scale;
    *out = p;
    return SA_OK;
}

void sa_aws_pacer_free(sa_aws_pacer *p)
{
    if (p == NULL)
        return;
    pthread_mutex_destroy(&p->lock);
    free(p->buckets);
    free(p);
}

/* The table's interval of a bucket's row, scaled, in ms. */
static double base_interval(const sa_aws_pacer *p, const bucket *b)
{
    return b->rate->period_s * 1000.0 / b->rate->count / p->scale;
}

/* The rate factor at now: 1, or recovering from the last slow-down. */
static double factor(const sa_aws_pacer *p, const bucket *b, double now)
{
    double f, recovery;

    if (!b->slowed)
        return 1.0;
    recovery = RECOVERY_INTERVALS * base_interval(p, b);
    f = b->low + (1.0 - b->low) * (now - b->slowed_at_ms) / recovery;
    return f < 1.0 ? (f > b->low ? f : b->low) : 1.0;
}

static double interval(const sa_aws_pacer *p, const bucket *b, double now)
{
    return base_interval(p, b) / factor(p, b, now);
}

/* The bucket of (region, rate), made on first use with a full burst. Called under the lock;
 * NULL when out of memory (the request then goes unpaced). */
static bucket *find_bucket(sa_aws_pacer *p, const char *region, const sa_aws_rate *rate, double now)
{
    bucket *b;

    for (size_t i = 0; i < p->count; i++) {
        if (p->buckets[i].rate == rate && strcmp(p->buckets[i].region, region) == 0)
            return &p->buckets[i];
    }
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        bucket *grown = sa_realloc(p->buckets, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        p->buckets = grown;
        p->cap = cap;
    }
    b = &p->buckets[p->count++];
    memset(b, 0, sizeof(*b));
    SA_COPY(b->region, region);
    b->rate = rate;
    b->tat_ms = now;
    b->low = 1.0;
    return b;
}

/* Gives back turns reserved by a wait that ends without its request, unless someone has queued
 * behind one since. */
static void give_back(sa_aws_pacer *p, const size_t *idx, const double *reserved,
                      const double *step, size_t m)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < m; i++) {
        bucket *b = &p->buckets[idx[i]];
        if (b->tat_ms == reserved[i])
            b->tat_ms -= step[i];
    }
    pthread_mutex_unlock(&p->lock);
}

/* The request's turns, one row at a time: the operation's own row first, then the shared one (the
 * API Gateway total). A turn of the shared row is reserved only once the own turn has come, so a
 * request queued far ahead for its own quota (a DeleteRestApi 30 s out) does not hold the
 * others' turns of the total back until then. */
int sa_aws_pacer_wait(sa_aws_pacer *p, const sa_aws_clock *clock, const sa_aws_pace_request *rq,
                      int64_t *ret_waited_ms, sa_error *err)
{
    const sa_aws_rate *rows[SA_AWS_PACE_MAX_CLASSES];
    size_t n = sa_aws_rate_classes(rows, rq->service, rq->op);
    size_t idx[SA_AWS_PACE_MAX_CLASSES];
    double step[SA_AWS_PACE_MAX_CLASSES], reserved[SA_AWS_PACE_MAX_CLASSES];
    int64_t waited = 0;
    size_t m = 0;

    if (ret_waited_ms != NULL)
        *ret_waited_ms = 0;
    if (p == NULL || n == 0)
        return SA_OK;
    for (size_t i = 0; i < n; i++) {
        double now, start, tau;
        int64_t wait;
        bucket *b;

        pthread_mutex_lock(&p->lock);
        now = (double)clock->mono_ms(clock->ctx);
        b = find_bucket(p, rq->region, rows[i], now);
        if (b == NULL) {
            pthread_mutex_unlock(&p->lock);
            continue;
        }
        step[m] = interval(p, b, now);
        tau = (b->rate->burst - 1.0) * step[m];
        start = b->tat_ms - tau > now ? b->tat_ms - tau : now;
        wait = (int64_t)(start - now);
        if ((double)wait < start - now)
            wait++; /* whole ms, rounded up */
        if (wait > 0 && rq->deadline_ms > 0 && now + (double)wait >= (double)rq->deadline_ms) {
            pthread_mutex_unlock(&p->lock);
            give_back(p, idx, reserved, step, m);
            return sa_error_set(err, SA_ETIMEOUT,
                                "its turn under AWS's request rate comes in %lld ms, after the "
                                "deadline",
                                (long long)wait);
        }
        b->tat_ms = (b->tat_ms > start ? b->tat_ms : start) + step[m];
        reserved[m] = b->tat_ms;
        idx[m++] = (size_t)(b - p->buckets);
        pthread_mutex_unlock(&p->lock);
        if (wait <= 0)
            continue;
        if (rq->notice != NULL)
            rq->notice(rq->notice_ctx, wait);
        if (clock->sleep(clock->ctx, wait, rq->cancelled) != SA_OK) {
            give_back(p, idx, reserved, step, m);
            return sa_error_set(err, SA_ECANCELLED,
                                "cancelled while waiting for its turn under AWS's request rate");
        }
        waited += wait;
    }
    /* A later row's wait delays the request past its earlier rows' turns: the next turn of those
     * is one interval after the request goes, not after its turn (unless someone has queued
     * behind it already). */
    if (m > 1) {
        pthread_mutex_lock(&p->lock);
        double sent = (double)clock->mono_ms(clock->ctx);
        for (size_t i = 0; i + 1 < m; i++) {
            bucket *b = &p->buckets[idx[i]];
            if (b->tat_ms == reserved[i] && b->tat_ms < sent + step[i])
                b->tat_ms = sent + step[i];
        }
        pthread_mutex_unlock(&p->lock);
    }
    if (ret_waited_ms != NULL)
        *ret_waited_ms = waited;
    return SA_OK;
}

/* Slows a bucket after a throttling answer at now. Called under the lock. */
static void slow_down(const sa_aws_pacer *p, bucket *b, double now)
{
    double f = factor(p, b, now), step, full;

    /* answers to requests of the same burst slow the bucket once */
    if (!b->slowed || now - b->slowed_at_ms >= interval(p, b, now)) {
        b->low = f * BETA > MIN_FACTOR ? f * BETA : MIN_FACTOR;
        b->slowed = true;
        b->slowed_at_ms = now;
    }
    /* AWS's bucket is empty: so is ours, and the next turn is one (slower) interval away */
    step = interval(p, b, now);
    full = now + (b->rate->burst - 1.0) * step + step;
    if (b->tat_ms < full)
        b->tat_ms = full;
}

void sa_aws_pacer_throttled(sa_aws_pacer *p, int64_t now_ms, const char *region,
                            const char *service, const char *op)
{
    const sa_aws_rate *rows[SA_AWS_PACE_MAX_CLASSES];
    size_t n = sa_aws_rate_classes(rows, service, op);
    bucket *b;

    if (p == NULL || n == 0)
        return;
    /* Only the narrowest class is slowed (the operation's own row, else the service's shared one):
     * a DeleteRestApi refused by its 1-per-30-s quota says nothing about the total. */
    pthread_mutex_lock(&p->lock);
    b = find_bucket(p, region, rows[0], (double)now_ms);
    if (b != NULL)
        slow_down(p, b, (double)now_ms);
    pthread_mutex_unlock(&p->lock);
}

double sa_aws_pacer_rate(sa_aws_pacer *p, int64_t now_ms, const char *region, const char *service,
                         const char *op)
{
    const sa_aws_rate *rows[SA_AWS_PACE_MAX_CLASSES];
    size_t n = sa_aws_rate_classes(rows, service, op);
    double rate = 0;

    if (p == NULL || n == 0)
        return 0;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->count; i++) {
        bucket *b = &p->buckets[i];
        if (b->rate == rows[0] && strcmp(b->region, region) == 0)
            rate = 1000.0 / interval(p, b, (double)now_ms);
    }
    if (rate == 0)
        rate = rows[0]->count / rows[0]->period_s * p->scale;
    pthread_mutex_unlock(&p->lock);
    return rate;
}
