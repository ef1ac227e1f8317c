/*
 * The retry policy (see retry.h). Everything here is a pure function of its arguments.
 */
#include "aws/retry.h"
#include "base/util.h"

#include <string.h>

#include "base/error.h"

void sa_aws_rng_seed(sa_aws_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t sa_aws_rng_next(sa_aws_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The AWS SDKs' throttling codes (aws-sdk-go-v2 aws/retry). */
static const char *const throttling_codes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

static const char *const transient_codes[] = {
    "RequestTimeout",
    "RequestTimeoutException",
};

static bool in_list(const char *code, const char *const *list, size_t n)
{
    if (code == NULL || code[0] == '\0')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(code, list[i]) == 0)
            return true;
    }
    return false;
}

bool sa_aws_is_throttling_code(const char *code)
{
    return in_list(code, throttling_codes, SA_N(throttling_codes));
}

bool sa_aws_is_quota_error(const char *code, const char *message)
{
    return code != NULL && strcmp(code, "LimitExceededException") == 0 && message != NULL &&
           strncmp(message, "Maximum number of", 17) == 0;
}

static bool rule_matches(const sa_aws_retry_rule *r, const sa_aws_attempt *a)
{
    if (a->transport_status != SA_OK || r->error_code == NULL || a->error_code == NULL)
        return false;
    if (strcmp(r->error_code, a->error_code) != 0)
        return false;
    if (r->http_status != 0 && r->http_status != a->http_status)
        return false;
    if (r->message_contains != NULL &&
        (a->error_message == NULL || strstr(a->error_message, r->message_contains) == NULL))
        return false;
    return true;
}

sa_aws_retry_kind sa_aws_retry_classify(const sa_aws_attempt *a, const sa_aws_retry_rule *rules,
                                        size_t rule_count, const sa_aws_retry_rule **ret_rule)
{
    if (ret_rule != NULL)
        *ret_rule = NULL;
    for (size_t i = 0; i < rule_count; i++) {
        if (rule_matches(&rules[i], a)) {
            if (ret_rule != NULL)
                *ret_rule = &rules[i];
            return SA_AWS_RETRY_RULE;
        }
    }
    switch (a->transport_status) {
    case SA_OK:
        break;
    case SA_EIO:
        return SA_AWS_RETRY_TRANSIENT;
    case SA_ETIMEOUT:
        return SA_AWS_RETRY_TIMEOUT;
    default:
        return SA_AWS_RETRY_NONE;
    }
    if (a->http_status >= 200 && a->http_status < 300)
        return SA_AWS_RETRY_NONE;
    if (sa_aws_is_quota_error(a->error_code, a->error_message))
        return SA_AWS_RETRY_NONE;
    if (sa_aws_is_throttling_code(a->error_code) || a->http_status == 429)
        return SA_AWS_RETRY_THROTTLE;
    if (in_list(a->error_code, transient_codes, SA_N(transient_codes)))
        return SA_AWS_RETRY_TRANSIENT;
    if (a->http_status == 500 && a->html)
        return SA_AWS_RETRY_NONE; /* an HTML error page: not an AWS API answering */
    if (a->http_status == 500 || a->http_status == 502 || a->http_status == 503 ||
        a->http_status == 504)
        return SA_AWS_RETRY_TRANSIENT;
    return SA_AWS_RETRY_NONE;
}

int64_t sa_aws_retry_backoff(int64_t base_ms, int64_t cap_ms, int attempts, uint64_t random)
{
    int64_t ceiling = base_ms;
    double fraction;

    if (base_ms <= 0 || cap_ms <= 0)
        return 0;
    for (int i = 1; i < attempts && ceiling < cap_ms; i++)
        ceiling *= 2;
    if (ceiling > cap_ms)
        ceiling = cap_ms;
    fraction = (double)(random >> 11) * (1.0 / 9007199254740992.0); /* [0, 1) */
    return (int64_t)(fraction * (double)(ceiling + 1));
}

static sa_aws_retry_decision no(sa_aws_retry_kind kind, const char *why)
{
    sa_aws_retry_decision d = {false, 0, kind, why};
    return d;
}

sa_aws_retry_decision sa_aws_retry_decide(const sa_aws_retry_policy *p,
                                          const sa_aws_retry_rule *rules, size_t rule_count,
                                          const sa_aws_attempt *a, int attempts, int64_t elapsed_ms,
                                          int64_t remaining_ms, uint64_t random)
{
    const sa_aws_retry_rule *rule = NULL;
    sa_aws_retry_kind kind = sa_aws_retry_classify(a, rules, rule_count, &rule);
    sa_aws_retry_decision d = {true, 0, kind, NULL};
    int64_t base = p->base_delay_ms;

    switch (kind) {
    case SA_AWS_RETRY_NONE:
        return no(kind, "not retryable");
    case SA_AWS_RETRY_RULE: {
        int max = rule->max_attempts > 0 ? rule->max_attempts : SA_AWS_RULE_DEFAULT_MAX_ATTEMPTS;
        if (attempts >= max)
            return no(kind, "the retry rule's attempts are used up");
        if (rule->base_delay_ms > 0)
            base = rule->base_delay_ms;
        d.why = "a retry rule of the call matched";
        break;
    }
    case SA_AWS_RETRY_THROTTLE:
        base = p->throttle_base_delay_ms;
        d.why = "throttled";
        /* fall through */
    default:
        if (attempts >= p->max_attempts)
            return no(kind, "max attempts reached");
        if (d.why == NULL)
            d.why = kind == SA_AWS_RETRY_TIMEOUT ? "timed out" : "transient error";
        break;
    }
    d.delay_ms = sa_aws_retry_backoff(base, p->max_backoff_ms, attempts, random);
    if (kind == SA_AWS_RETRY_RULE && rule->budget_ms > 0 &&
        elapsed_ms + d.delay_ms >= rule->budget_ms)
        return no(kind, "the retry rule's time budget is used up");
    if (remaining_ms >= 0 && d.delay_ms >= remaining_ms)
        return no(kind, "the deadline would pass");
    return d;
}

bool sa_aws_retry_quota_acquire(sa_aws_retry_quota *q, int cost)
{
    if (q->tokens < cost)
        return false;
    q->tokens -= cost;
    return true;
}

void sa_aws_retry_quota_release(sa_aws_retry_quota *q, int amount)
{
    q->tokens += amount;
    if (q->tokens > q->max)
        q->tokens = q->max;
}
