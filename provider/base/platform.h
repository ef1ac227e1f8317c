/*
 * The platform layer: the few things our code needs that POSIX (Linux with glibc or musl, macOS)
 * and Windows spell differently, behind one interface, so no other file of ours needs an #ifdef
 * for the operating system. It owns UTC time conversion (sa_gmtime, sa_timegm), reading the
 * environment (sa_secure_getenv) and where the home folder is, the stop request of the engine
 * (SIGINT/SIGTERM; on Windows the console control events the engine sends with
 * GenerateConsoleCtrlEvent), the watch on the parent process (the engine), close-on-exec pipes,
 * where the system keeps its CA certificates, running a program and reading its output (the AWS
 * credential_process), the few file system calls whose POSIX spelling Windows lacks (what a path
 * is, the names in a folder, removing a folder, the temporary folder, binary opens) and reading
 * archive member names as UTF-8 whatever the process's locale. It does not own threads, files or
 * sockets in general (pthreads, stdio and gRPC already are portable enough). One implementation
 * per family: platform_posix.c, platform_win32.c; meson builds the host's.
 */
#ifndef SA_PLATFORM_H
#define SA_PLATFORM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* 1 where TLS verification uses the system's own certificate store (Windows: libcurl's
 * CURLSSLOPT_NATIVE_CA) when no CA bundle was given; 0 where a PEM bundle file is searched for
 * (sa_platform_ca_bundle). A constant, so callers test it with a plain if. */
#ifdef _WIN32
#define SA_PLATFORM_NATIVE_CA 1
#else
#define SA_PLATFORM_NATIVE_CA 0
#endif

/* 1 where sa_platform_run starts a program from its words (argv: POSIX, posix_spawnp), so a
 * command line from a configuration file is split into words by the caller; 0 where the system
 * takes a command line and the program splits it itself (Windows: CreateProcessW), so such a
 * command line is handed over as it is (sa_platform_run_spec.command_line). */
#ifdef _WIN32
#define SA_PLATFORM_RUN_ARGV 0
#else
#define SA_PLATFORM_RUN_ARGV 1
#endif

/* The open(2) flag that keeps bytes as they are: Windows' CRT otherwise opens in text mode
 * (translating line ends); 0 on POSIX, where every open is binary. */
#ifdef _WIN32
#include <fcntl.h>
#define SA_PLATFORM_O_BINARY _O_BINARY
#else
#define SA_PLATFORM_O_BINARY 0
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

/* The i-th (from 0) environment variable that may name the user's home folder (where ~/.aws is),
 * in the order they are tried; NULL past the last. POSIX: HOME, then USERPROFILE; Windows:
 * USERPROFILE (as the AWS SDKs for Go and botocore find it there), then HOME. */
const char *sa_platform_home_variable(size_t i);

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

/* ---- running a program ------------------------------------------------------------------ */

/* A program to run to its end with its standard output read into a buffer (the AWS
 * credential_process). It runs without a shell, with our environment and working folder, its
 * stdin empty (/dev/null, NUL) and its stderr ours. Nothing else of ours is inherited: on glibc
 * 2.34 and later every other descriptor is closed in the child; on musl and macOS ours are all
 * opened close-on-exec; on Windows only the three standard handles are on its handle list. */
typedef struct sa_platform_run_spec {
    /* SA_PLATFORM_RUN_ARGV 1 (POSIX): the program (argv[0], searched in PATH unless it holds a
     * '/') and its arguments, NULL-terminated; no signal blocked, SIGPIPE and SIGXFSZ at their
     * defaults (as Python's subprocess). Windows: used only when command_line is NULL, then
     * quoted into a command line by Microsoft's rules (so the program's CommandLineToArgvW and
     * the C runtime's argv give the words back). */
    char *const *argv;
    /* Windows: the command line, UTF-8, handed to CreateProcessW as it is (the first word is the
     * program, found as CreateProcessW finds it); POSIX: ignored. */
    const char *command_line;
    char *out;       /* its stdout goes here... */
    size_t cap;      /* ...cap bytes at most: a program that prints cap bytes is killed */
    long timeout_ms; /* killed when it has not ended (stdout closed, then exited) by then */
    const atomic_bool *cancelled; /* may be NULL; looked at every 50 ms: raised, it is killed */
} sa_platform_run_spec;

typedef enum sa_platform_run_outcome {
    SA_PLATFORM_RUN_EXITED,    /* it ended by itself: status is its exit status */
    SA_PLATFORM_RUN_SIGNALLED, /* POSIX: a signal ended it: status is the signal, detail its name */
    SA_PLATFORM_RUN_TIMEOUT,   /* killed at timeout_ms */
    SA_PLATFORM_RUN_CANCELLED, /* killed because *cancelled was raised */
    SA_PLATFORM_RUN_TOO_MUCH,  /* killed because it printed cap bytes */
    SA_PLATFORM_RUN_NOT_STARTED, /* the program could not be started: detail says why */
    SA_PLATFORM_RUN_NOMEM,       /* out of memory before it started; detail names the step, or "" */
    SA_PLATFORM_RUN_FAILED,      /* a pipe, wait or read failed: detail names the call and why;
                                  * a program that had started was killed */
} sa_platform_run_outcome;

typedef struct sa_platform_run_result {
    sa_platform_run_outcome outcome;
    size_t len;       /* bytes of its stdout in spec.out (read before any kill) */
    int status;       /* EXITED: the exit status (POSIX 0-255, Windows the exit code);
                       * SIGNALLED: the signal number; otherwise 0 */
    char detail[160]; /* see the outcomes; "" when they say nothing */
} sa_platform_run_result;

/* Runs spec's program, reads its stdout into spec->out until it closes it, then waits for its
 * exit, within spec->timeout_ms; a program killed (SIGKILL; Windows TerminateProcess) is always
 * waited for, programs it started itself are not killed. Fills *out; never fails otherwise. */
void sa_platform_run(const sa_platform_run_spec *spec, sa_platform_run_result *out);

/* ---- files and folders ------------------------------------------------------------------- */

typedef enum sa_platform_file_kind {
    SA_PLATFORM_FILE_REGULAR,
    SA_PLATFORM_FILE_DIRECTORY,
    SA_PLATFORM_FILE_OTHER, /* a device, a pipe, a socket */
} sa_platform_file_kind;

/* What is at a path, symbolic links followed (as stat(2)). */
typedef struct sa_platform_file {
    sa_platform_file_kind kind;
    /* POSIX: any of its execute bits. Windows has no such bit: a regular file named bootstrap
     * (a Lambda custom runtime's entry point, which Lambda must be able to run) or *.sh counts
     * as executable, as it is in a checkout on Linux or macOS, so that a package made on
     * Windows runs and hashes as one made there. */
    bool executable;
    uint64_t size;   /* bytes, for a regular file */
    uint64_t device; /* with inode, the file's identity: POSIX st_dev and st_ino; Windows the */
    uint64_t inode;  /* volume serial number and the 64-bit file index */
} sa_platform_file;

/* Fills *out for path (UTF-8). Returns 0, or -1 with errno set (ENOENT for a missing path or a
 * broken link, ENOTDIR, EACCES, ...; Windows' errors mapped to the nearest errno). */
int sa_platform_file_info(const char *path, sa_platform_file *out);

/* Calls fn(ctx, name) for each name (UTF-8) in folder dir except "." and "..", in the order the
 * system lists them (callers sort). Returns 0 after the last name, fn's value when it returns
 * non-zero (and stops there), or -1 with errno set when dir cannot be read. */
int sa_platform_dir_names(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx);

/* Removes path and, when it is a folder, everything in it, without following symbolic links
 * (Windows: junctions and other reparse points are removed, not entered). Best effort: what
 * cannot be removed stays. Returns 0 when all went, else -1. */
int sa_platform_remove_tree(const char *path);

/* The folder for temporary files, UTF-8, without a trailing separator, into out[cap]. POSIX:
 * TMPDIR, else /tmp; Windows: GetTempPathW (TMP, TEMP, USERPROFILE, the Windows folder). Returns
 * out, or NULL when it does not fit. */
const char *sa_platform_temp_dir(char *out, size_t cap);

/* ---- archive member names ---------------------------------------------------------------- */

/* The calling thread's character type (LC_CTYPE) switched to UTF-8, and what it was before. */
typedef struct sa_platform_utf8_ctype {
    void *locale; /* POSIX: the UTF-8 locale_t in use; Windows: the previous LC_CTYPE's name */
    void *before; /* POSIX: the thread's locale before; Windows: unused */
    int mode;     /* Windows: _configthreadlocale's mode before; POSIX: unused */
    bool active;  /* whether the switch happened (then _end undoes it) */
} sa_platform_utf8_ctype;

/* Switches the calling thread, and only it, to a UTF-8 LC_CTYPE, so libarchive reads member names
 * that carry no character set of their own as UTF-8 whatever the process's locale (in the C
 * locale it cannot convert them). POSIX: C.UTF-8, else the environment's locale when it is UTF-8
 * (glibc 2.34 has no C.UTF-8), else en_US.UTF-8 (uselocale); Windows: the ".UTF-8" locale of the
 * Universal CRT in a per-thread locale. Without one, nothing changes (s->active false). */
void sa_platform_utf8_ctype_begin(sa_platform_utf8_ctype *s);

/* Puts the thread's LC_CTYPE back as it was before _begin. */
void sa_platform_utf8_ctype_end(sa_platform_utf8_ctype *s);

#endif
