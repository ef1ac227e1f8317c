/*
 * Client-side pacing by AWS's published request rates: the table of per-account, per-region rates
 * of the control-plane operations the provider calls (each row with the AWS page it comes from;
 * services whose rates AWS does not publish, IAM and STS, are not paced), and the pacer, a set of
 * token buckets (one per region and row) that every request of one AWS client takes its turn
 * from before each attempt. The client (client.c) is its only user; one client serves every stack
 * of a provider, so the stacks of a program share the buckets and queue for AWS's quota instead
 * of racing for it. Turns are reserved in arrival order (GCRA: a theoretical arrival time per
 * bucket, a burst of the row's size), the operation's own row first and the shared total only once
 * that turn has come (so a request queued far ahead does not hold the total back); a throttling
 * answer slows the operation's narrowest bucket (its rate times 0.7, at most once per interval,
 * never below 1/8 of the table's) and drains its burst, and the rate recovers linearly to the
 * table's over ten of its intervals, as the AWS SDKs' adaptive retry mode does. A wait ends at once
 * when the cancel flag is raised, and is refused when the turn would come after the caller's
 * deadline. A wait is not an attempt: the client does not count it against a retry rule's time
 * budget. All time comes from the client's clock seam.
 */
#ifndef SA_AWS_PACING_H
#define SA_AWS_PACING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/client.h"
#include "base/error.h"

/* One published rate: `count` requests every `period_s` seconds, at most `burst` at once, per
 * account and region. Everything is static. */
typedef struct sa_aws_rate {
    const char *service; /* a service id, as in services.c */
    const char *label;   /* the operation class as AWS's quotas page names it */
    const char *op;      /* the operation it paces; "*": every operation of the service; NULL:
                            every operation of the service without a row of its own */
    double count;
    double period_s;
    double burst;
    const char *source; /* the AWS page */
} sa_aws_rate;

/* The table (static). */
const sa_aws_rate *sa_aws_rates(size_t *out_count);

#define SA_AWS_PACE_MAX_CLASSES 2

/* The client paces at this fraction of the table's rates (its scale times this): requests take
 * varying times to reach AWS, and one sent exactly an interval after the previous may arrive a
 * little early (at 1 per 30 s, 3% is 0.9 s). */
#define SA_AWS_PACE_HEADROOM 0.97

/* The rows an operation takes a turn from (at most SA_AWS_PACE_MAX_CLASSES); 0 when it is not
 * paced. */
size_t sa_aws_rate_classes(const sa_aws_rate **out, const char *service, const char *op);

typedef struct sa_aws_pacer sa_aws_pacer;

/* scale multiplies every rate (burst sizes stay): 1 is AWS's published rates, 2 twice as many
 * requests per second (a raised quota). It must be positive and finite. */
int sa_aws_pacer_new(sa_aws_pacer **out, double scale, sa_error *err);
void sa_aws_pacer_free(sa_aws_pacer *p);

/* One request for a turn. Everything is borrowed. */
typedef struct sa_aws_pace_request {
    const char *region;
    const char *service;
    const char *op;
    const atomic_bool *cancelled; /* NULL: not cancellable */
    int64_t deadline_ms;          /* on the clock's mono_ms; 0: none */
    /* told the wait before it starts (not called when there is none); NULL: not told */
    void (*notice)(void *ctx, int64_t wait_ms);
    void *notice_ctx;
} sa_aws_pace_request;

/* Waits for the operation's turn in each of its rows, narrowest first. SA_OK with *ret_waited_ms
 * (may be NULL) the time waited;
 * SA_ECANCELLED as soon as *cancelled is raised (the turn is given back when nobody queued behind
 * it); SA_ETIMEOUT at once, without waiting, when the turn would come at or after the deadline.
 * Thread-safe. */
int sa_aws_pacer_wait(sa_aws_pacer *p, const sa_aws_clock *clock, const sa_aws_pace_request *rq,
                      int64_t *ret_waited_ms, sa_error *err);

/* A throttling answer arrived for the operation at now_ms: slows its buckets (adaptive). */
void sa_aws_pacer_throttled(sa_aws_pacer *p, int64_t now_ms, const char *region,
                            const char *service, const char *op);

/* The current rate of the operation's own (first) bucket in `region`, in requests per second,
 * after recovery up to now_ms; the table's rate times scale when the bucket is not yet used,
 * 0 when the operation is not paced. For tests and debug lines. */
double sa_aws_pacer_rate(sa_aws_pacer *p, int64_t now_ms, const char *region, const char *service,
                         const char *op);

#endif
