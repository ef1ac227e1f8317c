/*
 * The platform layer: the few things our code needs that POSIX (Linux with glibc or musl, macOS)
 * and Windows spell differently, behind one interface, so no other file of ours needs an #ifdef
 * for the operating system. It owns UTC time conversion (sa_gmtime, sa_timegm), reading the
 * environment (sa_secure_getenv), the stop request of the engine (SIGINT/SIGTERM; on Windows the
 * console control events the engine sends with GenerateConsoleCtrlEvent), the watch on the parent
 * process (the engine), close-on-exec pipes and where the system keeps its CA certificates. It
 * does not own threads, files or sockets (pthreads, stdio and gRPC already are portable enough)
 * nor the spawning of credential_process commands (aws/credentials_process.c, POSIX only today).
 * One implementation per family: platform_posix.c, platform_win32.c; meson builds the host's.
 */
#ifndef SA_PLATFORM_H
#define SA_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* 1 where TLS verification uses the system's own certificate store (Windows: libcurl's
 * CURLSSLOPT_NATIVE_CA) when no CA bundle was given; 0 where a PEM bundle file is searched for
 * (sa_platform_ca_bundle). A constant, so callers test it with a plain if. */
#ifdef _WIN32
#define SA_PLATFORM_NATIVE_CA 1
#else
#define SA_PLATFORM_NATIVE_CA 0
#endif

/* Breaks *t (seconds since the epoch) down into UTC in *out, as POSIX gmtime_r. Returns out, or
 * NULL when the time cannot be represented (then *out is unspecified). Thread-safe. */
struct tm *sa_gmtime(const time_t *t, struct tm *out);

/* The inverse: seconds since the epoch of the UTC calendar time *tm (which it may normalise, as
 * mktime does), as the BSD/glibc timegm. (time_t)-1 when it cannot be represented. */
time_t sa_timegm(struct tm *tm);

/* The environment variable's value, or NULL when it is unset or when the process runs with
 * privileges other than its user's (set-user-ID or set-group-ID; glibc's and musl's
 * secure_getenv, macOS's issetugid; Windows has no such programs, so there it is getenv). The
 * string belongs to the environment: valid until the variable is changed. */
const char *sa_secure_getenv(const char *name);

/* A pipe, fds[0] its read end and fds[1] its write end, neither inherited by a program we start
 * (close-on-exec; Windows: not inheritable), as Linux's pipe2(O_CLOEXEC) (macOS before 27 has no
 * pipe2: there pipe then FD_CLOEXEC on each end). Returns 0, or -1 with errno set and nothing
 * open. The caller closes both ends. */
int sa_platform_pipe(int fds[2]);

/* ---- the stop request -------------------------------------------------------------------- */

/* Call once, on the main thread, before any other thread exists. POSIX: blocks SIGINT and SIGTERM
 * in the calling thread (so in every thread created after it: they are taken only by
 * sa_platform_stop_signal_wait) and ignores SIGPIPE (a closed connection must be an error of the
 * write, not the end of the process). Windows: installs the console control handler that
 * sa_platform_stop_signal_wait waits on. Returns 0, or -1 when the request cannot be watched
 * (then the process stops on the signal's default action, as without this layer). */
int sa_platform_stop_signals_block(void);

/* Blocks until the engine asks us to stop, then returns the signal that asked: SIGINT or SIGTERM
 * (Windows: CTRL_C_EVENT and CTRL_BREAK_EVENT are SIGINT, the close, logoff and shutdown events
 * SIGTERM, as Go maps them); 0 when the wait failed. Meant for one thread of its own; it is a
 * cancellation point (pthread_cancel ends the wait). */
int sa_platform_stop_signal_wait(void);

/* ---- the parent process ------------------------------------------------------------------ */

/* Our parent process (the engine) as it was when the watch started. */
typedef struct sa_platform_parent {
    long long pid; /* the parent's process id at the start */
    void *handle;  /* Windows: the parent's process handle (SYNCHRONIZE); POSIX: unused */
} sa_platform_parent;

/* Starts watching the parent: call it early (before the parent could have gone). Returns 0, or
 * -1 when the parent cannot be watched (sa_platform_parent_gone then always says false). The
 * caller ends the watch with sa_platform_parent_watch_end. */
int sa_platform_parent_watch_start(sa_platform_parent *w);

/* Whether the parent of the watch has exited. Cheap (one system call): meant to be polled.
 * POSIX: our parent process id changed (we were reparented); Windows: the parent's handle is
 * signalled. */
bool sa_platform_parent_gone(const sa_platform_parent *w);

/* Releases what the watch holds (Windows: the handle). NULL-safe, idempotent. */
void sa_platform_parent_watch_end(sa_platform_parent *w);

/* ---- CA certificates --------------------------------------------------------------------- */

/* The i-th (from 0) place where the system may keep its PEM bundle of trusted CAs, searched in
 * order when neither a bundle was given nor libcurl knows a CA location of its own; NULL past the
 * last. Linux: the common distributions' places (the list Go's crypto/x509 searches); macOS:
 * /etc/ssl/cert.pem; Windows: none (SA_PLATFORM_NATIVE_CA instead: a path such as /etc/ssl would
 * name a folder on the current drive that any user may create). */
const char *sa_platform_ca_bundle(size_t i);

#endif
