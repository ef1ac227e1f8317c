/*
 * The retry policy, as pure functions of their inputs: AWS SDK "standard" mode (3 attempts by
 * default; throttling error codes, HTTP 500/502/503/504, RequestTimeout, connection errors and
 * timeouts are retried; exponential backoff with full jitter from a 100 ms base, 500 ms for
 * throttling, capped at 20 s; a retry quota token bucket), plus rules the caller declares for one
 * call (an error code, optionally a message substring and HTTP status, with its own time budget
 * and attempt limit, e.g. IAM role propagation for Lambda). Not retried: an API Gateway quota
 * (LimitExceededException "Maximum number of ..."), an HTML 500 page (an emulator's unimplemented
 * action), anything that would run past the caller's deadline. Randomness comes in as a number the
 * caller draws from its seedable sa_aws_rng, so every decision is table-testable.
 */
#ifndef SA_AWS_RETRY_H
#define SA_AWS_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A small seedable generator (splitmix64). */
typedef struct sa_aws_rng {
    uint64_t state;
} sa_aws_rng;

void sa_aws_rng_seed(sa_aws_rng *r, uint64_t seed);
uint64_t sa_aws_rng_next(sa_aws_rng *r);

/* A caller-declared retry rule. Strings are borrowed. */
typedef struct sa_aws_retry_rule {
    const char *error_code;       /* must equal the AWS error code */
    const char *message_contains; /* NULL or a substring the message must contain */
    long http_status;             /* 0: any */
    int64_t budget_ms;            /* keep retrying while the call has run less than this; 0: no
                                     budget of its own */
    int max_attempts;             /* 0: SA_AWS_RULE_DEFAULT_MAX_ATTEMPTS */
    int64_t base_delay_ms;        /* 0: the policy's base delay */
} sa_aws_retry_rule;

#define SA_AWS_RULE_DEFAULT_MAX_ATTEMPTS 30

typedef struct sa_aws_retry_policy {
    int max_attempts;               /* standard retries; includes the first attempt */
    int64_t base_delay_ms;          /* 100 */
    int64_t throttle_base_delay_ms; /* 500 */
    int64_t max_backoff_ms;         /* 20000 */
} sa_aws_retry_policy;

#define SA_AWS_RETRY_DEFAULT_MAX_ATTEMPTS 3
#define SA_AWS_RETRY_POLICY_DEFAULT                                                                \
    {                                                                                              \
        SA_AWS_RETRY_DEFAULT_MAX_ATTEMPTS, 100, 500, 20000                                         \
    }

/* What one attempt came to. */
typedef struct sa_aws_attempt {
    int transport_status;      /* SA_OK when an HTTP response arrived; else the transport's code */
    long http_status;          /* when transport_status is SA_OK */
    const char *error_code;    /* parsed AWS error code or NULL/"" */
    const char *error_message; /* parsed message or NULL */
    bool html;                 /* the error body was an HTML page */
} sa_aws_attempt;

typedef enum sa_aws_retry_kind {
    SA_AWS_RETRY_NONE,      /* not retryable */
    SA_AWS_RETRY_TRANSIENT, /* 5xx, RequestTimeout, connection error */
    SA_AWS_RETRY_TIMEOUT,   /* the HTTP exchange timed out */
    SA_AWS_RETRY_THROTTLE,  /* throttling code or HTTP 429 */
    SA_AWS_RETRY_RULE,      /* a caller rule matched */
} sa_aws_retry_kind;

/* Classifies an attempt; *ret_rule is the matching caller rule for SA_AWS_RETRY_RULE. Caller
 * rules are checked first, so a rule can make a normally terminal error retryable. */
sa_aws_retry_kind sa_aws_retry_classify(const sa_aws_attempt *a, const sa_aws_retry_rule *rules,
                                        size_t rule_count, const sa_aws_retry_rule **ret_rule);

bool sa_aws_is_throttling_code(const char *code);
/* An error that is a quota rather than a rate (API Gateway "Maximum number of ..."). */
bool sa_aws_is_quota_error(const char *code, const char *message);

typedef struct sa_aws_retry_decision {
    bool retry;
    int64_t delay_ms;
    sa_aws_retry_kind kind;
    const char *why; /* static text for logs and messages */
} sa_aws_retry_decision;

/* Decides after attempt number `attempts` (1-based) failed as `a`. elapsed_ms is the time since
 * the call started; remaining_ms the time left before the caller's deadline (negative: none);
 * random any 64-bit value (the jitter). */
sa_aws_retry_decision sa_aws_retry_decide(const sa_aws_retry_policy *p,
                                          const sa_aws_retry_rule *rules, size_t rule_count,
                                          const sa_aws_attempt *a, int attempts, int64_t elapsed_ms,
                                          int64_t remaining_ms, uint64_t random);

/* Full-jitter exponential backoff: random fraction of min(cap, base * 2^(attempts-1)). */
int64_t sa_aws_retry_backoff(int64_t base_ms, int64_t cap_ms, int attempts, uint64_t random);

/* The standard-mode retry quota: a bucket of 500 tokens; a retry costs 5 (10 after a timeout) and
 * is refused when the bucket is empty; a call that succeeds gives back what its retries took, or
 * 1 when it needed none. Not synchronised: the client guards it with its lock. */
typedef struct sa_aws_retry_quota {
    int tokens;
    int max;
} sa_aws_retry_quota;

#define SA_AWS_RETRY_QUOTA_INIT                                                                    \
    {                                                                                              \
        500, 500                                                                                   \
    }
#define SA_AWS_RETRY_COST 5
#define SA_AWS_RETRY_TIMEOUT_COST 10

bool sa_aws_retry_quota_acquire(sa_aws_retry_quota *q, int cost);
void sa_aws_retry_quota_release(sa_aws_retry_quota *q, int amount);

#endif
