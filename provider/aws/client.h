/*
 * The AWS client: one object per configured provider, shared by every worker thread. It resolves
 * the region and shared config once, finds credentials on first use (and again before temporary
 * ones expire), and runs calls: sa_aws_call builds the request for the service's wire protocol,
 * waits for its turn under AWS's published request rate (aws/pacing.h, shared by every call of
 * the client), signs it (SigV4, always with x-amz-content-sha256), sends it through the transport
 * seam, and retries by the standard policy plus the caller's rules, within the caller's deadline,
 * stopping within ~100 ms when the caller's cancel flag is raised. Failures come back as an
 * sa_error whose one-line message names the service and operation, plus (optionally) an
 * sa_aws_error with the AWS error code, message, HTTP status, request id and attempt count.
 *
 * Everything the client touches outside the process goes through seams in its config: the
 * environment and files (sa_aws_env), HTTP (sa_aws_transport; default: libcurl), time and sleeping
 * (sa_aws_clock). The client holds no global state; sa_aws_global_init must be called once by the
 * program (and by tests) before any client is used.
 */
#ifndef SA_AWS_CLIENT_H
#define SA_AWS_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/env.h"
#include "aws/errors.h"
#include "aws/http.h"
#include "aws/protocol.h"
#include "aws/retry.h"
#include "base/error.h"

/* Process-wide set-up of libcurl and libxml2: call once from main before threads start. */
int sa_aws_global_init(sa_error *err);
void sa_aws_global_cleanup(void);

/* Time and waiting, as a seam. */
typedef struct sa_aws_clock {
    time_t (*wall)(void *ctx);     /* signing time */
    int64_t (*mono_ms)(void *ctx); /* deadlines and elapsed time */
    /* Waits ms milliseconds; returns SA_ECANCELLED as soon as *cancelled is raised. */
    int (*sleep)(void *ctx, int64_t ms, const atomic_bool *cancelled);
    void *ctx;
} sa_aws_clock;

/* The real clock: time(), CLOCK_MONOTONIC, and sleeping in 20 ms slices that watch the flag. */
const sa_aws_clock *sa_aws_clock_real(void);

/* Sleeps ms milliseconds unless *cancelled (may be NULL) is raised first: SA_OK or
 * SA_ECANCELLED, within 20 ms of the flag being raised. */
int sa_aws_sleep_cancellable(int64_t ms, const atomic_bool *cancelled);

typedef struct sa_aws_client_config {
    /* credentials from the provider config (all optional) */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    const char *profile;
    const char *shared_credentials_file;
    const char *config_file;
    bool skip_metadata; /* never ask EC2 instance metadata */
    /* roles to assume on top of the credentials found, in order (copied; see credentials.h) */
    const sa_aws_assume_role *assume_roles;
    size_t assume_role_count;
    /* where calls go */
    const char *region; /* NULL: AWS_REGION, AWS_DEFAULT_REGION, profile, default */
    const sa_aws_endpoint_override *endpoints;
    size_t endpoint_count;
    /* behaviour; 0 means the default */
    int max_attempts;                     /* default: AWS_MAX_ATTEMPTS, else 3 */
    int64_t retry_base_delay_ms;          /* 100 */
    int64_t retry_throttle_base_delay_ms; /* 500 */
    int64_t retry_max_backoff_ms;         /* 20000 */
    long connect_timeout_ms;              /* per HTTP exchange: 10 s */
    long attempt_timeout_ms;              /* per HTTP exchange: 120 s */
    uint64_t rng_seed;                    /* jitter seed; 0: from the clock */
    /* Pacing by AWS's published request rates (aws/pacing.h): rate_scale multiplies every rate
     * (e.g. 2 for quotas raised to twice AWS's defaults); 0: 1; it must be positive. no_pacing
     * turns pacing off (tests of the retry loop alone). */
    double rate_scale;
    bool no_pacing;
    /* seams; NULL: the real one. Borrowed: they must outlive the client. */
    const sa_aws_env *env;
    const sa_aws_transport *transport;
    const sa_aws_clock *clock;
    /* Optional debug sink, one line per event. Lines never contain credentials, signatures,
     * session tokens or bodies. */
    void (*debug)(void *ctx, const char *line);
    void *debug_ctx;
} sa_aws_client_config;

typedef struct sa_aws_client sa_aws_client;

/* Copies what it needs from cfg. Fails on a bad region, endpoint or unreadable shared file. The
 * new client has one holder, the caller. */
int sa_aws_client_new(sa_aws_client **out, const sa_aws_client_config *cfg, sa_error *err);
/* Adds a holder (an operation that uses the client while a later Configure may replace it);
 * returns c. Thread-safe. */
sa_aws_client *sa_aws_client_retain(sa_aws_client *c);
/* Drops a holder; the last one frees the client. NULL is ignored. Thread-safe. */
void sa_aws_client_release(sa_aws_client *c);

/* The default region of the client's calls and where it came from (borrowed). */
const char *sa_aws_client_region(const sa_aws_client *c);
const char *sa_aws_client_region_source(const sa_aws_client *c);

/* Now, on the client's monotonic clock (for call deadlines). */
int64_t sa_aws_client_now_ms(const sa_aws_client *c);

/* Finds credentials now instead of on the first call (e.g. in Configure, to fail early);
 * ret_source (may be NULL) receives where they came from, e.g. "environment" (size bytes). */
int sa_aws_client_check_credentials(char *ret_source, size_t size, sa_aws_client *c,
                                    const atomic_bool *cancelled, sa_error *err);

typedef struct sa_aws_call_options {
    const atomic_bool *cancelled;   /* NULL: not cancellable */
    int64_t deadline_ms;            /* on sa_aws_client_now_ms's clock; 0: none */
    const char *region;             /* the resource's own region; NULL: the client's */
    const sa_aws_retry_rule *rules; /* extra retry rules for this call */
    size_t rule_count;
    int max_attempts; /* 0: the client's */
    sa_aws_rng *rng;  /* jitter (not locked: one per thread); NULL: the client's own */
    /* For an operation that makes a new object each time it runs and takes no idempotency token
     * (KMS CreateKey, API Gateway CreateRestApi). An attempt that timed out, lost its connection
     * or got a 5xx may still have been carried out, and repeating it would make a second object,
     * so before such a retry the call asks `find` (after the backoff wait) whether the object now
     * exists. find returns SA_OK and sets *ret_found when it does, and the call then ends with
     * SA_OK and an empty response (http_status 0): the caller takes what find found. An error
     * from find ends the call with that error. Each attempt goes on a new connection, so that
     * libcurl cannot send it again by itself (see sa_aws_http_request.fresh_connection). NULL:
     * retried as usual. */
    int (*find)(void *ctx, bool *ret_found, sa_error *err);
    void *find_ctx;
    /* Told before the call waits SA_AWS_PACE_NOTICE_MS or longer for its turn under AWS's request
     * rate (aws/pacing.h), e.g. to show progress; `what` names the call ("API Gateway
     * DeleteRestApi"). NULL: not told. */
    void (*pacing)(void *ctx, const char *what, int64_t wait_ms);
    void *pacing_ctx;
} sa_aws_call_options;

#define SA_AWS_PACE_NOTICE_MS 2000

/* Performs op. On SA_OK *out holds the response (dispose it). On failure err says what happened
 * in one line, and *ret_aws_error (when not NULL; always zeroed first) holds the details: the AWS
 * code, message, HTTP status and request id for SA_EAWS (an AWS error answer); http_status 0 and
 * the transport's message otherwise. Codes: SA_EAWS; SA_EIO / SA_ETIMEOUT for transport failures
 * that outlasted the retries; SA_ETIMEOUT when the deadline passed; SA_ECANCELLED; SA_EINVAL for a
 * bad operation or setting (or an untrusted certificate, an oversized response); SA_ENOTFOUND when
 * no credentials were found; SA_EUNSUPPORTED for a profile kind we do not implement. opts may be
 * NULL. Thread-safe: any number of threads may call with the same client. */
int sa_aws_call(sa_aws_response *out, sa_aws_client *c, const sa_aws_operation *op,
                const sa_aws_call_options *opts, sa_aws_error *ret_aws_error, sa_error *err);

#endif
