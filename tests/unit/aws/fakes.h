/*
 * Test doubles for the AWS client's seams: an environment made of a table of variables and
 * in-memory files, a transport that serves canned replies and records every request it was given,
 * and a clock whose time moves only when the code under test sleeps (and that can raise the
 * cancel flag at a chosen sleep). Shared by the tests in this folder.
 */
#ifndef SA_TEST_AWS_FAKES_H
#define SA_TEST_AWS_FAKES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aws/client.h"
#include "aws/env.h"
#include "aws/http.h"

/* ---- environment ------------------------------------------------------------------------- */

typedef struct fake_var {
    const char *name;
    const char *value;
} fake_var;

typedef struct fake_file {
    const char *path;
    const char *content;
} fake_file;

typedef struct fake_env {
    const fake_var *vars;   /* ends with {NULL, NULL}; may be NULL */
    const fake_file *files; /* ends with {NULL, NULL}; may be NULL */
    sa_aws_env env;
} fake_env;

void fake_env_init(fake_env *f, const fake_var *vars, const fake_file *files);

/* ---- transport --------------------------------------------------------------------------- */

typedef struct fake_reply {
    int transport_status; /* SA_OK: an HTTP response; else the transport failure to return */
    long status;
    const char *headers; /* "Name: value\n..." or NULL */
    const char *body;    /* or NULL */
} fake_reply;

#define FAKE_MAX_REQUESTS 128

typedef struct fake_request {
    char *method;
    char *url;
    sa_aws_headers headers;
    char *body;
    long connect_timeout_ms;
    long timeout_ms;
    bool fresh_connection;
} fake_request;

typedef struct fake_transport {
    const fake_reply *replies;
    size_t reply_count;
    bool repeat_last; /* keep serving the last reply when they run out */
    size_t next;
    fake_request requests[FAKE_MAX_REQUESTS];
    size_t request_count;
    struct fake_clock *clock; /* when set, each exchange takes latency_ms on it */
    int64_t latency_ms;
    sa_aws_transport seam;
} fake_transport;

void fake_transport_init(fake_transport *t, const fake_reply *replies, size_t count);
void fake_transport_dispose(fake_transport *t);

/* ---- clock ------------------------------------------------------------------------------- */

#define FAKE_MAX_SLEEPS 256

typedef struct fake_clock {
    time_t wall; /* seconds; advances with mono */
    int64_t mono_ms;
    int64_t sleeps[FAKE_MAX_SLEEPS];
    size_t sleep_count;
    int cancel_at_sleep; /* 1-based index of the sleep that raises *cancel; 0: never */
    atomic_bool *cancel;
    sa_aws_clock clock;
} fake_clock;

void fake_clock_init(fake_clock *c);

/* ---- helpers ----------------------------------------------------------------------------- */

/* The documented example credentials. */
#define TEST_ACCESS_KEY "AKIDEXAMPLE"
#define TEST_SECRET_KEY "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* Collects debug lines into one buffer. */
typedef struct debug_sink {
    char text[65536];
    size_t len;
} debug_sink;

void debug_sink_line(void *ctx, const char *line);

#endif
