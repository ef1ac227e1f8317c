/*
 * aws_probe: performs one AWS call (or the same call N times) with the provider's AWS client, as
 * described by its arguments, and prints the outcome as one JSON object on stdout. The Python
 * integration tests (tests/aws) drive it against moto and against their own fault-injecting
 * loopback server. Settings not given as arguments come from the process environment, exactly as
 * in the plugin. Debug lines (--debug) go to stderr.
 *
 *   aws_probe --service kms --op ListKeys [--body JSON]
 *   aws_probe --service lambda --op ListFunctions --method GET --path /2015-03-31/functions/
 *   aws_probe --service iam --op ListRoles [--param Name=Value]...
 * Options: --method M --path TEMPLATE [--label L]... --query K=V --header K=V --region R
 *   --config-region R --endpoint URL --access-key K --secret-key S --token T --profile P
 *   --max-attempts N --base-delay-ms N --throttle-delay-ms N --max-backoff-ms N --seed N
 *   --timeout-ms N --deadline-ms N --cancel-after-ms N --repeat N --threads N --debug
 * With --threads N, N threads share one client and each makes --repeat calls.
 *   aws_probe --rates  prints the pacing table (aws/pacing.h) as a JSON list instead.
 *   --rule CODE[:SUBSTRING[:BUDGET_MS[:MAX_ATTEMPTS]]]
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "aws/client.h"
#include "aws/curl_transport.h"
#include "aws/pacing.h"

#define MAX_ITEMS 32

typedef struct probe_args {
    const char *service, *op, *method, *path, *body, *region, *config_region, *endpoint;
    const char *access_key, *secret_key, *token, *profile;
    const char *labels[MAX_ITEMS];
    size_t label_count;
    sa_aws_param query[MAX_ITEMS], params[MAX_ITEMS], headers[MAX_ITEMS];
    size_t query_count, param_count, header_count;
    sa_aws_retry_rule rules[MAX_ITEMS];
    size_t rule_count;
    long max_attempts, base_delay, throttle_delay, max_backoff, timeout, deadline, cancel_after;
    long repeat;
    long threads;
    unsigned long long seed;
    int debug;
} probe_args;

typedef struct canceller {
    atomic_bool flag;
    long after_ms;
    int64_t fired_ms;
} canceller;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *cancel_thread(void *p)
{
    canceller *c = p;
    struct timespec ts = {c->after_ms / 1000, (c->after_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    c->fired_ms = now_ms();
    atomic_store(&c->flag, true);
    return NULL;
}

static void debug_line(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

static int usage(const char *why)
{
    fprintf(stderr, "aws_probe: %s (see the comment at the top of aws_probe.c)\n", why);
    return 2;
}

/* "K=V" -> param (pointing into argv) */
static int split_kv(sa_aws_param *p, char *s)
{
    char *eq = strchr(s, '=');
    if (eq == NULL)
        return -1;
    *eq = '\0';
    p->name = s;
    p->value = eq + 1;
    return 0;
}

static int parse_rule(sa_aws_retry_rule *r, char *s)
{
    char *parts[4] = {0};
    int n = 0;
    char *save = NULL;
    memset(r, 0, sizeof(*r));
    for (char *t = strtok_r(s, ":", &save); t != NULL && n < 4; t = strtok_r(NULL, ":", &save))
        parts[n++] = t;
    if (n == 0)
        return -1;
    r->error_code = parts[0];
    r->message_contains = n > 1 && parts[1][0] ? parts[1] : NULL;
    r->budget_ms = n > 2 ? atol(parts[2]) : 0;
    r->max_attempts = n > 3 ? atoi(parts[3]) : 0;
    return 0;
}

static int parse_args(probe_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    a->repeat = 1;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define STR(name, field)                                                                           \
    if (strcmp(k, name) == 0) {                                                                    \
        if (v == NULL)                                                                             \
            return usage("missing value");                                                         \
        a->field = v;                                                                              \
        i++;                                                                                       \
        continue;                                                                                  \
    }
#define NUM(name, field)                                                                           \
    if (strcmp(k, name) == 0) {                                                                    \
        if (v == NULL)                                                                             \
            return usage("missing value");                                                         \
        a->field = atol(v);                                                                        \
        i++;                                                                                       \
        continue;                                                                                  \
    }
        STR("--service", service)
        STR("--op", op)
        STR("--method", method)
        STR("--path", path)
        STR("--body", body)
        STR("--region", region)
        STR("--config-region", config_region)
        STR("--endpoint", endpoint)
        STR("--access-key", access_key)
        STR("--secret-key", secret_key)
        STR("--token", token)
        STR("--profile", profile)
        NUM("--max-attempts", max_attempts)
        NUM("--base-delay-ms", base_delay)
        NUM("--throttle-delay-ms", throttle_delay)
        NUM("--max-backoff-ms", max_backoff)
        NUM("--timeout-ms", timeout)
        NUM("--deadline-ms", deadline)
        NUM("--cancel-after-ms", cancel_after)
        NUM("--repeat", repeat)
        NUM("--threads", threads)
        if (strcmp(k, "--seed") == 0 && v != NULL) {
            a->seed = strtoull(v, NULL, 10);
            i++;
            continue;
        }
        if (strcmp(k, "--debug") == 0) {
            a->debug = 1;
            continue;
        }
        if (v == NULL)
            return usage("missing value");
        if (strcmp(k, "--label") == 0 && a->label_count < MAX_ITEMS) {
            a->labels[a->label_count++] = v;
        } else if (strcmp(k, "--query") == 0 && a->query_count < MAX_ITEMS) {
            if (split_kv(&a->query[a->query_count++], v) != 0)
                return usage("--query wants K=V");
        } else if (strcmp(k, "--param") == 0 && a->param_count < MAX_ITEMS) {
            if (split_kv(&a->params[a->param_count++], v) != 0)
                return usage("--param wants K=V");
        } else if (strcmp(k, "--header") == 0 && a->header_count < MAX_ITEMS) {
            if (split_kv(&a->headers[a->header_count++], v) != 0)
                return usage("--header wants K=V");
        } else if (strcmp(k, "--rule") == 0 && a->rule_count < MAX_ITEMS) {
            if (parse_rule(&a->rules[a->rule_count++], v) != 0)
                return usage("--rule wants CODE[:SUBSTRING[:BUDGET_MS[:MAX_ATTEMPTS]]]");
        } else {
            return usage("unknown option");
        }
        i++;
#undef STR
#undef NUM
    }
    if (a->service == NULL || a->op == NULL)
        return usage("--service and --op are required");
    if (a->repeat < 1)
        a->repeat = 1;
    if (a->threads < 1)
        a->threads = 1;
    if (a->threads > 64)
        return usage("--threads must be at most 64");
    return 0;
}

/* Peak RSS of this process image: VmHWM from /proc (getrusage's ru_maxrss would include the
 * high-water mark of the process that forked us, which Linux carries across execve). */
/* One of --threads workers: --repeat calls on the shared client. */
typedef struct worker {
    pthread_t tid;
    sa_aws_client *client;
    const sa_aws_operation *op;
    const sa_aws_call_options *opts;
    long repeat;
    long calls;
    int rc;
    sa_error err;
} worker;

static void *worker_main(void *p)
{
    worker *w = p;
    for (long i = 0; i < w->repeat; i++) {
        sa_aws_response r = {0};
        w->calls++;
        w->rc = sa_aws_call(&r, w->client, w->op, w->opts, NULL, &w->err);
        sa_aws_response_dispose(&r);
        if (w->rc != SA_OK)
            break;
    }
    return NULL;
}

/* Runs the workers; returns SA_OK or the first failure (into *err). */
static int run_threads(long *calls, sa_aws_client *client, const sa_aws_operation *op,
                       const sa_aws_call_options *opts, long threads, long repeat, sa_error *err)
{
    worker ws[64];
    long started = 0;
    int rc = SA_OK;

    memset(ws, 0, sizeof(ws));
    for (long i = 0; i < threads; i++) {
        ws[i].client = client;
        ws[i].op = op;
        ws[i].opts = opts;
        ws[i].repeat = repeat;
        if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0) {
            rc = sa_error_set(err, SA_EINTERNAL, "cannot start a thread");
            break;
        }
        started++;
    }
    for (long i = 0; i < started; i++) {
        pthread_join(ws[i].tid, NULL);
        *calls += ws[i].calls;
        if (rc == SA_OK && ws[i].rc != SA_OK) {
            rc = ws[i].rc;
            *err = ws[i].err;
        }
    }
    return rc;
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    struct rusage ru;

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = atol(line + 6);
            break;
        }
    }
    if (f != NULL)
        fclose(f);
    if (kb < 0 && getrusage(RUSAGE_SELF, &ru) == 0)
        kb = ru.ru_maxrss;
    return kb;
}

/* The pacing table as JSON, for the test that compares it with the quota proxy's. */
static int print_rates(void)
{
    size_t n = 0;
    const sa_aws_rate *r = sa_aws_rates(&n);
    cJSON *list = cJSON_CreateArray();
    char *text;

    for (size_t i = 0; list != NULL && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(list, o);
        cJSON_AddStringToObject(o, "service", r[i].service);
        cJSON_AddStringToObject(o, "label", r[i].label);
        if (r[i].op != NULL)
            cJSON_AddStringToObject(o, "op", r[i].op);
        cJSON_AddNumberToObject(o, "count", r[i].count);
        cJSON_AddNumberToObject(o, "period", r[i].period_s);
        cJSON_AddNumberToObject(o, "burst", r[i].burst);
        cJSON_AddStringToObject(o, "source", r[i].source);
    }
    text = list != NULL ? cJSON_PrintUnformatted(list) : NULL;
    cJSON_Delete(list);
    if (text == NULL)
        return 1;
    printf("%s\n", text);
    cJSON_free(text);
    return 0;
}

int main(int argc, char **argv)
{
    probe_args a;
    sa_error err = {0};
    sa_aws_error aerr = {0};
    sa_aws_client *client = NULL;
    sa_aws_curl_transport *curl = NULL;
    sa_aws_transport seam;
    sa_aws_client_config cfg = {0};
    sa_aws_endpoint_override override = {0};
    sa_aws_call_options opts = {0};
    sa_aws_operation op = {0};
    sa_aws_response resp = {0};
    sa_aws_curl_options copts = {0};
    canceller cancel = {0};
    pthread_t cancel_tid;
    bool cancel_started = false;
    char *path = NULL;
    cJSON *outj = cJSON_CreateObject();
    char *text;
    int64_t t0;
    long calls = 0;
    int rc;
    int exit_code = 1;

    if (argc == 2 && strcmp(argv[1], "--rates") == 0) {
        cJSON_Delete(outj);
        return print_rates();
    }

    rc = parse_args(&a, argc, argv);
    if (rc != 0)
        return rc;
    rc = sa_aws_global_init(&err);
    if (rc != SA_OK) {
        fprintf(stderr, "aws_probe: %s\n", err.message);
        return 1;
    }
    atomic_init(&cancel.flag, false);

    copts.ca_bundle = getenv("AWS_CA_BUNDLE");
    copts.timeout_ms = a.timeout;
    rc = sa_aws_curl_transport_new(&curl, &copts, &err);
    if (rc != SA_OK)
        goto report;
    seam = sa_aws_curl_transport_seam(curl);

    cfg.access_key_id = a.access_key;
    cfg.secret_access_key = a.secret_key;
    cfg.session_token = a.token;
    cfg.profile = a.profile;
    cfg.region = a.config_region;
    if (a.endpoint != NULL) {
        override.service = a.service;
        override.url = a.endpoint;
        cfg.endpoints = &override;
        cfg.endpoint_count = 1;
    }
    cfg.max_attempts = (int)a.max_attempts;
    cfg.retry_base_delay_ms = a.base_delay;
    cfg.retry_throttle_base_delay_ms = a.throttle_delay;
    cfg.retry_max_backoff_ms = a.max_backoff;
    cfg.attempt_timeout_ms = a.timeout;
    cfg.rng_seed = a.seed;
    cfg.transport = &seam;
    if (a.debug)
        cfg.debug = debug_line;
    rc = sa_aws_client_new(&client, &cfg, &err);
    if (rc != SA_OK)
        goto report;

    if (a.path != NULL) {
        rc = sa_aws_path_build(&path, a.path, a.labels, a.label_count, &err);
        if (rc != SA_OK)
            goto report;
    }
    op.service = a.service;
    op.name = a.op;
    op.method = a.method != NULL ? a.method : "GET";
    op.path = path;
    op.query = a.query;
    op.query_count = a.query_count;
    op.headers = a.headers;
    op.header_count = a.header_count;
    op.body = a.body;
    op.params = a.params;
    op.param_count = a.param_count;

    opts.cancelled = &cancel.flag;
    opts.region = a.region;
    opts.rules = a.rules;
    opts.rule_count = a.rule_count;
    if (a.deadline > 0)
        opts.deadline_ms = sa_aws_client_now_ms(client) + a.deadline;

    if (a.cancel_after > 0) {
        cancel.after_ms = a.cancel_after;
        if (pthread_create(&cancel_tid, NULL, cancel_thread, &cancel) == 0)
            cancel_started = true;
    }
    t0 = now_ms();
    if (a.threads > 1) {
        rc = run_threads(&calls, client, &op, &opts, a.threads, a.repeat, &err);
        if (rc == SA_OK) {
            /* one more, on this thread, for the report below */
            calls++;
            rc = sa_aws_call(&resp, client, &op, &opts, &aerr, &err);
        }
    }
    for (long i = 0; a.threads == 1 && i < a.repeat; i++) {
        sa_aws_response_dispose(&resp);
        calls++;
        rc = sa_aws_call(&resp, client, &op, &opts, &aerr, &err);
        if (rc != SA_OK)
            break;
    }
    cJSON_AddNumberToObject(outj, "elapsed_ms", (double)(now_ms() - t0));
    if (cancel.fired_ms > 0)
        cJSON_AddNumberToObject(outj, "cancel_latency_ms", (double)(now_ms() - cancel.fired_ms));

report:
    cJSON_AddBoolToObject(outj, "ok", rc == SA_OK);
    cJSON_AddNumberToObject(outj, "calls", (double)calls);
    if (rc == SA_OK) {
        cJSON_AddNumberToObject(outj, "status", (double)resp.http_status);
        cJSON_AddStringToObject(outj, "request_id", resp.request_id);
        cJSON_AddNumberToObject(outj, "attempts", resp.attempts);
        if (resp.json != NULL)
            cJSON_AddItemToObject(outj, "json", cJSON_Duplicate(resp.json, 1));
        else
            cJSON_AddStringToObject(outj, "body", resp.body ? (const char *)resp.body : "");
        exit_code = 0;
    } else {
        cJSON_AddStringToObject(outj, "sa_status", sa_status_name(rc));
        cJSON_AddStringToObject(outj, "error", err.message);
        cJSON_AddStringToObject(outj, "code", aerr.code);
        cJSON_AddStringToObject(outj, "message", aerr.message);
        cJSON_AddNumberToObject(outj, "http_status", (double)aerr.http_status);
        cJSON_AddStringToObject(outj, "request_id", aerr.request_id);
        cJSON_AddNumberToObject(outj, "attempts", aerr.attempts);
        cJSON_AddBoolToObject(outj, "html", aerr.html);
    }
    cJSON_AddNumberToObject(outj, "connections", (double)sa_aws_curl_transport_connections(curl));
    cJSON_AddNumberToObject(outj, "peak_rss_kb", (double)peak_rss_kb());
    if (client != NULL)
        cJSON_AddStringToObject(outj, "region", sa_aws_client_region(client));
    text = cJSON_PrintUnformatted(outj);
    if (text != NULL) {
        printf("%s\n", text);
        free(text);
    }
    if (cancel_started) {
        atomic_store(&cancel.flag, true);
        pthread_cancel(cancel_tid);
        pthread_join(cancel_tid, NULL);
    }
    cJSON_Delete(outj);
    sa_aws_response_dispose(&resp);
    free(path);
    sa_aws_client_release(client);
    sa_aws_curl_transport_free(curl);
    sa_aws_global_cleanup();
    return exit_code;
}
