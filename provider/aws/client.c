/*
 * The AWS client and its call loop (see client.h): resolve the endpoint, then per attempt get
 * credentials, build, sign, send, read; on failure ask the retry policy, wait (cancellably) and go
 * again.
 */
#include "aws/client.h"

#include <errno.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "aws/curl_transport.h"
#include "aws/pacing.h"
#include "aws/profile_file.h"
#include "aws/services.h"
#include "aws/sigv4.h"
#include "base/alloc.h"
#include "base/platform.h"

/* Temporary credentials are replaced this long before they expire. */
#define CREDENTIALS_REFRESH_MARGIN_S 300
#define MAX_ATTEMPTS_LIMIT 100
#define SLEEP_SLICE_MS 20
#define PACE_DEBUG_MS 100 /* pacing waits this long or longer get a debug line */

struct sa_aws_client {
    char *region;
    const char *region_source;
    sa_aws_shared_config shared;
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    bool skip_metadata;
    sa_aws_assume_role *assume_roles; /* owned */
    size_t assume_role_count;
    sa_aws_endpoint_override *overrides; /* strings owned */
    size_t override_count;
    sa_aws_retry_policy policy;
    long connect_timeout_ms;
    long attempt_timeout_ms;
    const sa_aws_env *env;
    sa_aws_transport transport;
    sa_aws_curl_transport *own_curl;
    sa_aws_clock clock;
    void (*debug)(void *ctx, const char *line);
    void *debug_ctx;

    pthread_mutex_t creds_lock; /* guards creds and have_creds; held while resolving */
    sa_aws_credentials creds;
    bool have_creds;
    pthread_mutex_t state_lock; /* guards rng and quota */
    sa_aws_rng rng;
    sa_aws_retry_quota quota;
    sa_aws_pacer *pacer; /* NULL: not paced */
    bool locks_ready;
    atomic_int refs; /* holders: the client is freed when the last one releases it */
};

/* ---- process-wide set-up ----------------------------------------------------------------- */

int sa_aws_global_init(sa_error *err)
{
    xmlInitParser();
    return sa_aws_curl_global_init(err);
}

void sa_aws_global_cleanup(void)
{
    sa_aws_curl_global_cleanup();
    xmlCleanupParser();
}

/* ---- the real clock ---------------------------------------------------------------------- */

static time_t real_wall(void *ctx)
{
    (void)ctx;
    return time(NULL);
}

static int64_t real_mono_ms(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sa_aws_sleep_cancellable(int64_t ms, const atomic_bool *cancelled)
{
    int64_t end = real_mono_ms(NULL) + ms;

    for (;;) {
        int64_t left;
        struct timespec ts;
        if (cancelled != NULL && atomic_load(cancelled))
            return SA_ECANCELLED;
        left = end - real_mono_ms(NULL);
        if (left <= 0)
            return SA_OK;
        if (left > SLEEP_SLICE_MS)
            left = SLEEP_SLICE_MS;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000000L;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
}

static int real_sleep(void *ctx, int64_t ms, const atomic_bool *cancelled)
{
    (void)ctx;
    return sa_aws_sleep_cancellable(ms, cancelled);
}

static const sa_aws_clock real_clock = {real_wall, real_mono_ms, real_sleep, NULL};

const sa_aws_clock *sa_aws_clock_real(void)
{
    return &real_clock;
}

/* ---- construction ------------------------------------------------------------------------ */

static int copy_opt(char **dst, const char *src, sa_error *err)
{
    *dst = NULL;
    if (src == NULL || src[0] == '\0')
        return SA_OK;
    *dst = sa_strdup(src);
    return *dst != NULL ? SA_OK : sa_error_set(err, SA_ENOMEM, "out of memory");
}

sa_aws_client *sa_aws_client_retain(sa_aws_client *c)
{
    if (c != NULL)
        atomic_fetch_add(&c->refs, 1);
    return c;
}

void sa_aws_client_release(sa_aws_client *c)
{
    if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    free(c->region);
    sa_aws_shared_config_dispose(&c->shared);
    sa_wipe_free(c->access_key_id);
    sa_wipe_free(c->secret_access_key);
    sa_wipe_free(c->session_token);
    for (size_t i = 0; i < c->override_count; i++) {
        free((char *)c->overrides[i].service);
        free((char *)c->overrides[i].url);
    }
    free(c->overrides);
    sa_aws_assume_roles_free(c->assume_roles, c->assume_role_count);
    sa_aws_curl_transport_free(c->own_curl);
    sa_aws_credentials_dispose(&c->creds);
    sa_aws_pacer_free(c->pacer);
    if (c->locks_ready) {
        pthread_mutex_destroy(&c->creds_lock);
        pthread_mutex_destroy(&c->state_lock);
    }
    free(c);
}

static int max_attempts_setting(int *out, const sa_aws_client_config *cfg, const sa_aws_env *env,
                                sa_error *err)
{
    const char *v;
    char *end = NULL;
    long n;

    if (cfg->max_attempts > 0) {
        if (cfg->max_attempts > MAX_ATTEMPTS_LIMIT)
            return sa_error_set(err, SA_EINVAL, "max attempts must be at most %d",
                                MAX_ATTEMPTS_LIMIT);
        *out = cfg->max_attempts;
        return SA_OK;
    }
    v = sa_aws_env_get(env, "AWS_MAX_ATTEMPTS");
    if (v == NULL) {
        *out = SA_AWS_RETRY_DEFAULT_MAX_ATTEMPTS;
        return SA_OK;
    }
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < 1 || n > MAX_ATTEMPTS_LIMIT)
        return sa_error_set(err, SA_EINVAL, "AWS_MAX_ATTEMPTS must be a number from 1 to %d",
                            MAX_ATTEMPTS_LIMIT);
    *out = (int)n;
    return SA_OK;
}

/* Validates and copies the endpoint overrides (a bad URL fails now, naming the setting). */
static int copy_overrides(sa_aws_client *c, const sa_aws_client_config *cfg, sa_error *err)
{
    if (cfg->endpoint_count == 0)
        return SA_OK;
    c->overrides = sa_calloc(cfg->endpoint_count, sizeof(*c->overrides));
    if (c->overrides == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    for (size_t i = 0; i < cfg->endpoint_count; i++) {
        const sa_aws_endpoint_override *o = &cfg->endpoints[i];
        const sa_aws_service *svc = sa_aws_service_find(o->service);
        sa_aws_endpoint ep = {0};
        char *svc_copy = NULL;
        char *url_copy = NULL;
        int rc;

        if (o->url == NULL || o->url[0] == '\0')
            continue;
        if (svc == NULL)
            return sa_error_set(err, SA_EINVAL,
                                "provider config endpoints: unknown service '%.40s'",
                                o->service ? o->service : "");
        rc = sa_aws_endpoint_resolve(&ep, svc, c->region, o, 1, NULL, err);
        sa_aws_endpoint_dispose(&ep);
        if (rc != SA_OK)
            return rc;
        if (copy_opt(&svc_copy, o->service, err) != SA_OK ||
            copy_opt(&url_copy, o->url, err) != SA_OK) {
            free(svc_copy);
            return SA_ENOMEM;
        }
        c->overrides[c->override_count].service = svc_copy;
        c->overrides[c->override_count].url = url_copy;
        c->override_count++;
    }
    return SA_OK;
}

/* Checks the environment's endpoint settings up front so a typo fails at configure time. */
static int check_env_endpoints(const sa_aws_client *c, sa_error *err)
{
    size_t n = 0;
    const sa_aws_service *all = sa_aws_services(&n);

    for (size_t i = 0; i < n; i++) {
        sa_aws_endpoint ep = {0};
        int rc = sa_aws_endpoint_resolve(&ep, &all[i], c->region, c->overrides, c->override_count,
                                         c->env, err);
        sa_aws_endpoint_dispose(&ep);
        if (rc != SA_OK)
            return rc;
    }
    return SA_OK;
}

int sa_aws_client_new(sa_aws_client **out, const sa_aws_client_config *cfg, sa_error *err)
{
    sa_aws_client *c = sa_calloc(1, sizeof(*c));
    sa_aws_retry_policy defaults = SA_AWS_RETRY_POLICY_DEFAULT;
    sa_aws_retry_quota quota = SA_AWS_RETRY_QUOTA_INIT;
    int rc;

    if (c == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    atomic_init(&c->refs, 1);
    c->env = cfg->env != NULL ? cfg->env : sa_aws_env_process();
    c->clock = cfg->clock != NULL ? *cfg->clock : real_clock;
    c->debug = cfg->debug;
    c->debug_ctx = cfg->debug_ctx;
    c->skip_metadata = cfg->skip_metadata;
    c->connect_timeout_ms = cfg->connect_timeout_ms;
    c->attempt_timeout_ms = cfg->attempt_timeout_ms;
    c->quota = quota;
    c->policy = defaults;
    if (cfg->retry_base_delay_ms > 0)
        c->policy.base_delay_ms = cfg->retry_base_delay_ms;
    if (cfg->retry_throttle_base_delay_ms > 0)
        c->policy.throttle_base_delay_ms = cfg->retry_throttle_base_delay_ms;
    if (cfg->retry_max_backoff_ms > 0)
        c->policy.max_backoff_ms = cfg->retry_max_backoff_ms;
    sa_aws_rng_seed(&c->rng, cfg->rng_seed != 0
                                 ? cfg->rng_seed
                                 : (uint64_t)c->clock.mono_ms(c->clock.ctx) ^
                                       ((uint64_t)c->clock.wall(c->clock.ctx) << 20) ^
                                       (uint64_t)(uintptr_t)c);

    if (pthread_mutex_init(&c->creds_lock, NULL) != 0) {
        free(c);
        return sa_error_set(err, SA_EINTERNAL, "cannot create a mutex");
    }
    if (pthread_mutex_init(&c->state_lock, NULL) != 0) {
        pthread_mutex_destroy(&c->creds_lock);
        free(c);
        return sa_error_set(err, SA_EINTERNAL, "cannot create a mutex");
    }
    c->locks_ready = true;

    rc = max_attempts_setting(&c->policy.max_attempts, cfg, c->env, err);
    if (rc == SA_OK && !cfg->no_pacing)
        rc = sa_aws_pacer_new(
            &c->pacer, (cfg->rate_scale != 0 ? cfg->rate_scale : 1.0) * SA_AWS_PACE_HEADROOM, err);
    if (rc == SA_OK)
        rc = copy_opt(&c->access_key_id, cfg->access_key_id, err);
    if (rc == SA_OK)
        rc = copy_opt(&c->secret_access_key, cfg->secret_access_key, err);
    if (rc == SA_OK)
        rc = copy_opt(&c->session_token, cfg->session_token, err);
    if (rc == SA_OK)
        rc = sa_aws_assume_roles_copy(&c->assume_roles, cfg->assume_roles, cfg->assume_role_count,
                                      err);
    if (rc == SA_OK)
        c->assume_role_count = cfg->assume_role_count;
    if (rc == SA_OK)
        rc = sa_aws_shared_config_load(&c->shared, cfg->profile, cfg->shared_credentials_file,
                                       cfg->config_file, c->env, err);
    if (rc == SA_OK)
        rc = sa_aws_region_resolve(&c->region, &c->region_source, NULL, cfg->region, c->env,
                                   &c->shared, err);
    if (rc == SA_OK)
        rc = copy_overrides(c, cfg, err);
    if (rc == SA_OK)
        rc = check_env_endpoints(c, err);
    if (rc != SA_OK)
        goto out;

    if (cfg->transport != NULL) {
        c->transport = *cfg->transport;
    } else {
        sa_aws_curl_options o = {0};
        o.ca_bundle = sa_aws_env_get(c->env, "AWS_CA_BUNDLE");
        o.ssl_cert_file = sa_aws_env_get(c->env, "SSL_CERT_FILE");
        o.ssl_cert_dir = sa_aws_env_get(c->env, "SSL_CERT_DIR");
        o.connect_timeout_ms = cfg->connect_timeout_ms;
        o.timeout_ms = cfg->attempt_timeout_ms;
        rc = sa_aws_curl_transport_new(&c->own_curl, &o, err);
        if (rc != SA_OK)
            goto out;
        c->transport = sa_aws_curl_transport_seam(c->own_curl);
    }
    *out = c;
    c = NULL;
out:
    sa_aws_client_release(c);
    return rc;
}

const char *sa_aws_client_region(const sa_aws_client *c)
{
    return c->region;
}

const char *sa_aws_client_region_source(const sa_aws_client *c)
{
    return c->region_source;
}

int64_t sa_aws_client_now_ms(const sa_aws_client *c)
{
    return c->clock.mono_ms(c->clock.ctx);
}

/* ---- debug lines ------------------------------------------------------------------------- */

static void debugf(const sa_aws_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void debugf(const sa_aws_client *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (c->debug == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->debug(c->debug_ctx, line);
}

static void debug_request(const sa_aws_client *c, const sa_aws_http_request *req)
{
    if (c->debug == NULL)
        return;
    for (size_t i = 0; i < req->headers.count; i++) {
        const sa_aws_header *h = &req->headers.items[i];
        debugf(c, "aws: > %s: %s", h->name, sa_aws_header_display_value(h->name, h->value));
    }
}

/* ---- credentials ------------------------------------------------------------------------- */

/* A copy of the current credentials (resolved or refreshed when needed). */
static int get_credentials(sa_aws_credentials *out, sa_aws_client *c, const atomic_bool *cancelled,
                           sa_error *err)
{
    time_t now = c->clock.wall(c->clock.ctx);
    sa_aws_credentials fresh = {0};
    sa_aws_credentials_settings s = {c->access_key_id, c->secret_access_key, c->session_token,
                                     c->skip_metadata, c->assume_roles,      c->assume_role_count};
    sa_aws_credentials_ctx ctx = {.env = c->env,
                                  .shared = &c->shared,
                                  .transport = &c->transport,
                                  .cancelled = cancelled,
                                  .now = now,
                                  .region = c->region,
                                  .endpoints = c->overrides,
                                  .endpoint_count = c->override_count};
    int rc;

    pthread_mutex_lock(&c->creds_lock);
    /* The time is read under the lock: a thread that waited for another's refresh must not judge
     * the credentials by the time it started waiting. */
    now = c->clock.wall(c->clock.ctx);
    ctx.now = now;
    if (c->have_creds &&
        (c->creds.expiration == 0 || c->creds.expiration - CREDENTIALS_REFRESH_MARGIN_S > now)) {
        rc = sa_aws_credentials_copy(out, &c->creds, err);
        goto out;
    }
    rc = sa_aws_credentials_resolve(&fresh, &s, &ctx, err);
    /* and again after the attempt, which may have taken long enough for them to expire */
    now = c->clock.wall(c->clock.ctx);
    if (rc == SA_OK) {
        sa_aws_credentials_dispose(&c->creds);
        c->creds = fresh;
        c->have_creds = true;
        debugf(c, "aws: using credentials from %s", fresh.source);
    } else if (c->have_creds && c->creds.expiration > now) {
        /* refreshing failed, but the old ones are still good for a while */
        debugf(c, "aws: refreshing credentials failed (%s); using the current ones", err->message);
        sa_error_clear(err);
        rc = SA_OK;
    } else if (c->have_creds && rc != SA_ECANCELLED) {
        /* never sign with expired credentials: say so, with why refreshing failed */
        char why[sizeof(err->message)];
        struct tm tm;
        char stamp[32] = "?";

        snprintf(why, sizeof(why), "%s", err->message);
        if (sa_gmtime(&c->creds.expiration, &tm) != NULL)
            strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
        sa_error_set(err, rc,
                     "the credentials from %s expired at %s and refreshing them failed: %s",
                     c->creds.source, stamp, why);
    }
    if (rc == SA_OK)
        rc = sa_aws_credentials_copy(out, &c->creds, err);
out:
    pthread_mutex_unlock(&c->creds_lock);
    return rc;
}

int sa_aws_client_check_credentials(char *ret_source, size_t size, sa_aws_client *c,
                                    const atomic_bool *cancelled, sa_error *err)
{
    sa_aws_credentials creds = {0};
    int rc = get_credentials(&creds, c, cancelled, err);

    if (rc == SA_OK && ret_source != NULL && size > 0)
        snprintf(ret_source, size, "%s", creds.source);
    sa_aws_credentials_dispose(&creds);
    return rc;
}

/* ---- one call ---------------------------------------------------------------------------- */

typedef struct call_state {
    sa_aws_client *c;
    const sa_aws_service *svc;
    const sa_aws_operation *op;
    const sa_aws_call_options *opts;
    sa_aws_endpoint ep;
    char what[96]; /* "KMS CreateKey" */
    int64_t started_ms;
    int attempts;
    int retry_tokens; /* quota taken by this call's retries */
    int64_t paced_ms; /* time spent waiting for turns under AWS's rates: not an attempt's */
} call_state;

static int64_t remaining_ms(const call_state *st)
{
    if (st->opts->deadline_ms <= 0)
        return -1;
    return st->opts->deadline_ms - sa_aws_client_now_ms(st->c);
}

static uint64_t draw_random(call_state *st)
{
    uint64_t r;

    if (st->opts->rng != NULL)
        return sa_aws_rng_next(st->opts->rng);
    pthread_mutex_lock(&st->c->state_lock);
    r = sa_aws_rng_next(&st->c->rng);
    pthread_mutex_unlock(&st->c->state_lock);
    return r;
}

/* Before a long wait for a turn: the debug line, and the caller's notice. */
static void pace_notice(void *ctx, int64_t wait_ms)
{
    call_state *st = ctx;

    if (wait_ms >= PACE_DEBUG_MS)
        debugf(st->c, "aws: %s waits %lld ms for its turn under AWS's request rate", st->what,
               (long long)wait_ms);
    if (wait_ms >= SA_AWS_PACE_NOTICE_MS && st->opts->pacing != NULL)
        st->opts->pacing(st->opts->pacing_ctx, st->what, wait_ms);
}

/* Waits for the attempt's turn under AWS's request rate (see pacing.h). */
static int take_turn(call_state *st, const char *region, sa_error *err)
{
    sa_aws_pace_request rq = {.region = region,
                              .service = st->op->service,
                              .op = st->op->name,
                              .cancelled = st->opts->cancelled,
                              .deadline_ms = st->opts->deadline_ms,
                              .notice = pace_notice,
                              .notice_ctx = st};
    int64_t waited = 0;
    int rc;

    if (st->c->pacer == NULL)
        return SA_OK;
    rc = sa_aws_pacer_wait(st->c->pacer, &st->c->clock, &rq, &waited, err);
    st->paced_ms += waited;
    return rc;
}

/* Builds and signs the request for one attempt. */
static int prepare(sa_aws_http_request *out, call_state *st, sa_error *err)
{
    sa_aws_client *c = st->c;
    sa_aws_credentials creds = {0};
    sa_aws_http_request req = {0};
    sa_aws_sigv4_params p = {0};
    int64_t left = remaining_ms(st);
    int rc;

    rc = get_credentials(&creds, c, st->opts->cancelled, err);
    if (rc != SA_OK)
        return rc;
    rc = sa_aws_protocol_build(&req, st->svc, st->op, &st->ep, err);
    if (rc == SA_OK)
        rc = sa_aws_headers_set(&req.headers, "User-Agent", SA_AWS_USER_AGENT, err);
    if (rc != SA_OK)
        goto out;
    req.cancelled = st->opts->cancelled;
    req.fresh_connection = st->opts->find != NULL;
    req.connect_timeout_ms = c->connect_timeout_ms;
    req.timeout_ms = c->attempt_timeout_ms;
    if (left >= 0) {
        long cap = left > 0 ? (long)(left < 0x7fffffff ? left : 0x7fffffff) : 1;
        if (req.timeout_ms == 0 || req.timeout_ms > cap)
            req.timeout_ms = cap;
        if (req.connect_timeout_ms == 0 || req.connect_timeout_ms > cap)
            req.connect_timeout_ms = cap;
    }
    p.access_key_id = creds.access_key_id;
    p.secret_access_key = creds.secret_access_key;
    p.session_token = creds.session_token;
    p.region = st->ep.signing_region;
    p.service = st->svc->signing_name;
    p.when = c->clock.wall(c->clock.ctx);
    p.normalize_path = true;
    p.sign_body = true;
    rc = sa_aws_sigv4_sign(&req, NULL, &p, err);
    if (rc != SA_OK)
        goto out;
    *out = req;
    memset(&req, 0, sizeof(req));
out:
    sa_aws_http_request_dispose(&req);
    sa_aws_credentials_dispose(&creds);
    return rc;
}

/* The final error for an AWS error answer. */
static int fail_aws(call_state *st, const sa_aws_error *ae, const char *why_stopped,
                    sa_aws_error *ret_aws_error, sa_error *err)
{
    char attempts[128] = "";
    char rid[SA_AWS_REQUEST_ID_MAX + 16] = "";

    if (st->attempts > 1 || why_stopped != NULL)
        snprintf(attempts, sizeof(attempts), ", %d attempt%s%s%s", st->attempts,
                 st->attempts > 1 ? "s" : "", why_stopped ? "; gave up: " : "",
                 why_stopped ? why_stopped : "");
    if (ae->request_id[0])
        snprintf(rid, sizeof(rid), ", request id %s", ae->request_id);
    if (ret_aws_error != NULL) {
        *ret_aws_error = *ae;
        ret_aws_error->attempts = st->attempts;
    }
    return sa_error_set(err, SA_EAWS, "%s: %s: %s (HTTP %ld%s%s)", st->what, ae->code, ae->message,
                        ae->http_status, rid, attempts);
}

/* The final error when no AWS answer is to blame (transport failure, cancel, deadline, setup). */
static int fail_transport(call_state *st, int code, const char *msg, const char *why_stopped,
                          sa_aws_error *ret_aws_error, sa_error *err)
{
    char attempts[128] = "";

    if (st->attempts > 1 || why_stopped != NULL)
        snprintf(attempts, sizeof(attempts), " (after %d attempt%s%s%s)", st->attempts,
                 st->attempts == 1 ? "" : "s", why_stopped ? "; gave up: " : "",
                 why_stopped ? why_stopped : "");
    if (ret_aws_error != NULL) {
        memset(ret_aws_error, 0, sizeof(*ret_aws_error));
        snprintf(ret_aws_error->message, sizeof(ret_aws_error->message), "%s", msg);
        ret_aws_error->attempts = st->attempts;
    }
    return sa_error_set(err, code, "%s: %s%s", st->what, msg, attempts);
}

/* Whether a failed attempt may have been carried out by AWS all the same: its answer timed out or
 * was lost with the connection, or AWS failed part way (5xx). */
static bool maybe_carried_out(const sa_aws_attempt *a)
{
    if (a->transport_status == SA_ETIMEOUT || a->transport_status == SA_EIO)
        return true;
    return a->transport_status == SA_OK && a->http_status >= 500;
}

/* Asks the caller's find whether the object a lost attempt would have made exists. SA_OK and
 * *ret_found with an empty *out when it does (the call is over), SA_OK alone when it does not
 * (retry), or find's error after what befell the attempt (`lost`). */
static int find_instead(sa_aws_response *out, bool *ret_found, call_state *st, const char *lost,
                        sa_aws_error *ret_aws_error, sa_error *err)
{
    sa_error ferr = {0};
    bool found = false;
    int rc = st->opts->find(st->opts->find_ctx, &found, &ferr);

    if (rc != SA_OK) {
        if (ret_aws_error != NULL) {
            memset(ret_aws_error, 0, sizeof(*ret_aws_error));
            ret_aws_error->attempts = st->attempts;
        }
        return sa_error_set(err, rc,
                            "%s: %s (attempt %d), then looking for what it may have made: %s",
                            st->what, lost, st->attempts, ferr.message);
    }
    if (found) {
        debugf(st->c, "aws: %s: what attempt %d may have made exists; not repeating it", st->what,
               st->attempts);
        memset(out, 0, sizeof(*out));
        out->attempts = st->attempts;
        *ret_found = true;
    }
    return SA_OK;
}

int sa_aws_call(sa_aws_response *out, sa_aws_client *c, const sa_aws_operation *op,
                const sa_aws_call_options *opts, sa_aws_error *ret_aws_error, sa_error *err)
{
    static const sa_aws_call_options no_opts = {0};
    call_state st = {0};
    sa_aws_http_request req = {0};
    sa_aws_http_response resp = {0};
    sa_aws_retry_policy policy = c->policy;
    sa_aws_error ae = {0};
    char region_copy[72];
    int rc;

    if (ret_aws_error != NULL)
        memset(ret_aws_error, 0, sizeof(*ret_aws_error));
    st.c = c;
    st.op = op;
    st.opts = opts != NULL ? opts : &no_opts;
    st.svc = sa_aws_service_find(op->service);
    if (st.svc == NULL)
        return sa_error_set(err, SA_EINVAL, "unknown AWS service '%.40s'",
                            op->service ? op->service : "");
    snprintf(st.what, sizeof(st.what), "%s %s", st.svc->name, op->name ? op->name : "?");
    if (st.opts->max_attempts > 0)
        policy.max_attempts =
            st.opts->max_attempts < MAX_ATTEMPTS_LIMIT ? st.opts->max_attempts : MAX_ATTEMPTS_LIMIT;
    snprintf(region_copy, sizeof(region_copy), "%s",
             st.opts->region != NULL && st.opts->region[0] ? st.opts->region : c->region);
    if (!sa_aws_region_valid(region_copy))
        return sa_error_set(err, SA_EINVAL, "%s: invalid region '%.64s'", st.what, region_copy);
    rc = sa_aws_endpoint_resolve(&st.ep, st.svc, region_copy, c->overrides, c->override_count,
                                 c->env, err);
    if (rc != SA_OK)
        return rc;
    st.started_ms = sa_aws_client_now_ms(c);

    for (;;) {
        sa_error terr = {0};
        sa_aws_attempt a = {0};
        sa_aws_retry_decision d;
        int64_t t0, left;

        if (st.opts->cancelled != NULL && atomic_load(st.opts->cancelled)) {
            rc = fail_transport(&st, SA_ECANCELLED, "cancelled", NULL, ret_aws_error, err);
            goto out;
        }
        left = remaining_ms(&st);
        if (st.opts->deadline_ms > 0 && left <= 0) {
            rc = fail_transport(&st, SA_ETIMEOUT, "the deadline passed", NULL, ret_aws_error, err);
            goto out;
        }
        sa_aws_http_request_dispose(&req);
        sa_aws_http_response_dispose(&resp);
        rc = take_turn(&st, region_copy, &terr);
        if (rc != SA_OK) {
            rc = fail_transport(&st, rc, terr.message, NULL, ret_aws_error, err);
            goto out;
        }
        rc = prepare(&req, &st, &terr);
        if (rc != SA_OK) {
            rc = fail_transport(&st, rc, terr.message, NULL, ret_aws_error, err);
            goto out;
        }
        st.attempts++;
        debugf(c, "aws: %s attempt %d: %s %s%s (%s)", st.what, st.attempts, req.method, req.origin,
               req.path, st.ep.source);
        debug_request(c, &req);
        t0 = sa_aws_client_now_ms(c);
        rc = sa_aws_transport_send(&c->transport, &resp, &req, &terr);
        a.transport_status = rc;
        if (rc == SA_OK) {
            debugf(c, "aws: %s -> HTTP %ld in %lld ms", st.what, resp.status,
                   (long long)(sa_aws_client_now_ms(c) - t0));
            if (resp.status >= 200 && resp.status < 300) {
                rc = sa_aws_protocol_read_success(out, st.svc, &resp, st.what, err);
                if (rc == SA_OK) {
                    out->attempts = st.attempts;
                    pthread_mutex_lock(&c->state_lock);
                    sa_aws_retry_quota_release(&c->quota, st.retry_tokens ? st.retry_tokens : 1);
                    pthread_mutex_unlock(&c->state_lock);
                }
                goto out;
            }
            sa_aws_error_parse(&ae, resp.status, &resp.headers, resp.body, resp.body_len);
            a.http_status = resp.status;
            a.error_code = ae.code;
            a.error_message = ae.message;
            a.html = ae.html;
            if (c->pacer != NULL && (resp.status == 429 || sa_aws_is_throttling_code(ae.code)) &&
                !sa_aws_is_quota_error(ae.code, ae.message))
                sa_aws_pacer_throttled(c->pacer, sa_aws_client_now_ms(c), region_copy, op->service,
                                       op->name);
        } else {
            debugf(c, "aws: %s -> %s: %s", st.what, sa_status_name(rc), terr.message);
            if (rc == SA_ECANCELLED || rc == SA_ENOMEM || rc == SA_EINVAL || rc == SA_EINTERNAL) {
                rc = fail_transport(&st, rc, terr.message, NULL, ret_aws_error, err);
                goto out;
            }
        }

        /* time spent queueing for turns is not time spent failing: no budget pays for it */
        d = sa_aws_retry_decide(&policy, st.opts->rules, st.opts->rule_count, &a, st.attempts,
                                sa_aws_client_now_ms(c) - st.started_ms - st.paced_ms,
                                remaining_ms(&st), draw_random(&st));
        if (d.retry && d.kind != SA_AWS_RETRY_RULE) {
            int cost =
                d.kind == SA_AWS_RETRY_TIMEOUT ? SA_AWS_RETRY_TIMEOUT_COST : SA_AWS_RETRY_COST;
            bool ok;
            pthread_mutex_lock(&c->state_lock);
            ok = sa_aws_retry_quota_acquire(&c->quota, cost);
            pthread_mutex_unlock(&c->state_lock);
            if (ok) {
                st.retry_tokens += cost;
            } else {
                d.retry = false;
                d.why = "the client's retry quota is used up";
            }
        }
        if (!d.retry) {
            debugf(c, "aws: %s: not retrying: %s", st.what, d.why);
            rc = a.transport_status == SA_OK
                     ? fail_aws(&st, &ae, d.kind != SA_AWS_RETRY_NONE ? d.why : NULL, ret_aws_error,
                                err)
                     : fail_transport(&st, a.transport_status, terr.message,
                                      d.kind != SA_AWS_RETRY_NONE ? d.why : NULL, ret_aws_error,
                                      err);
            goto out;
        }
        debugf(c, "aws: %s: %s; retrying in %lld ms (%s)", st.what,
               a.transport_status == SA_OK ? ae.code : terr.message, (long long)d.delay_ms, d.why);
        if (c->clock.sleep(c->clock.ctx, d.delay_ms, st.opts->cancelled) != SA_OK) {
            rc = fail_transport(&st, SA_ECANCELLED, "cancelled while waiting to retry", NULL,
                                ret_aws_error, err);
            goto out;
        }
        if (st.opts->find != NULL && maybe_carried_out(&a)) {
            bool found = false;
            rc =
                find_instead(out, &found, &st, a.transport_status == SA_OK ? ae.code : terr.message,
                             ret_aws_error, err);
            if (rc != SA_OK || found)
                goto out;
        }
    }
out:
    sa_aws_http_request_dispose(&req);
    sa_aws_http_response_dispose(&resp);
    sa_aws_endpoint_dispose(&st.ep);
    return rc;
}
