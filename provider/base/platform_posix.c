/*
 * The platform layer (platform.h) on POSIX systems: Linux with glibc or musl, and macOS. The stop
 * request is SIGINT or SIGTERM, blocked in every thread and taken by sigwait on one; the parent
 * watch compares getppid() with the parent we started under (an orphan is reparented, to init or
 * a subreaper); the CA bundle places are the Linux distributions' and macOS's. A program is run
 * with posix_spawnp (so a multithreaded plugin never forks its heap), its stdout read through a
 * pipe polled in short slices (so a deadline and the cancel flag stop it), then waited for with
 * waitpid; a kill is SIGKILL. Folders are read with opendir and removed with nftw; the UTF-8
 * character type is a per-thread locale (uselocale). The only differences between the systems
 * here are how a secure getenv, a close-on-exec pipe, closing the descriptors a spawned program
 * inherits and the CA places are spelled.
 */
#include "base/platform.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define RUN_POLL_SLICE_MS 50 /* how often a running program's cancel flag is looked at */

struct tm *sa_gmtime(const time_t *t, struct tm *out)
{
    return gmtime_r(t, out);
}

time_t sa_timegm(struct tm *tm)
{
    return timegm(tm);
}

const char *sa_secure_getenv(const char *name)
{
#ifdef __APPLE__
    /* macOS has no secure_getenv; issetugid says whether we run with borrowed privileges */
    return issetugid() ? NULL : getenv(name);
#else
    return secure_getenv(name);
#endif
}

const char *sa_platform_home_variable(size_t i)
{
    static const char *const vars[] = {"HOME", "USERPROFILE"};
    return i < SA_N(vars) ? vars[i] : NULL;
}

int sa_platform_pipe(int fds[2])
{
#ifdef __APPLE__
    int e;

    if (pipe(fds) != 0)
        return -1;
    if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0 && fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0)
        return 0;
    e = errno;
    close(fds[0]);
    close(fds[1]);
    errno = e;
    return -1;
#else
    return pipe2(fds, O_CLOEXEC);
#endif
}

static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

int sa_platform_stop_signals_block(void)
{
    sigset_t set;
    int rc;

    stop_signals(&set);
    rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    return rc == 0 ? 0 : -1;
}

int sa_platform_stop_signal_wait(void)
{
    sigset_t set;
    int sig = 0;

    stop_signals(&set);
    return sigwait(&set, &sig) == 0 ? sig : 0;
}

int sa_platform_parent_watch_start(sa_platform_parent *w)
{
    w->pid = (long long)getppid();
    w->handle = NULL;
    return 0;
}

bool sa_platform_parent_gone(const sa_platform_parent *w)
{
    return (long long)getppid() != w->pid;
}

void sa_platform_parent_watch_end(sa_platform_parent *w)
{
    (void)w;
}

#ifdef __APPLE__
static const char *const CA_BUNDLES[] = {"/etc/ssl/cert.pem"};
#else
/* Debian/Ubuntu, Fedora/RHEL 6, openSUSE, OpenELEC, CentOS/RHEL 7+, Alpine (the list Go's
 * crypto/x509 searches too). */
static const char *const CA_BUNDLES[] = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
};
#endif

const char *sa_platform_ca_bundle(size_t i)
{
    return i < SA_N(CA_BUNDLES) ? CA_BUNDLES[i] : NULL;
}

/* ---- running a program ------------------------------------------------------------------ */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool run_cancelled(const sa_platform_run_spec *spec)
{
    return spec->cancelled != NULL && atomic_load(spec->cancelled);
}

static void run_detail(sa_platform_run_result *out, sa_platform_run_outcome outcome,
                       const char *step, int e)
{
    out->outcome = outcome;
    if (step == NULL)
        snprintf(out->detail, sizeof(out->detail), "%s", strerror(e));
    else
        snprintf(out->detail, sizeof(out->detail), "%s: %s", step, strerror(e));
}

/* Starts argv with stdin from /dev/null and stdout into *out_fd; false (out filled) when not. */
static bool run_spawn(pid_t *pid, int *out_fd, char *const argv[], sa_platform_run_result *out)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    int fds[2];
    int rc;

    if (sa_platform_pipe(fds) != 0) {
        run_detail(out, SA_PLATFORM_RUN_FAILED, "cannot make a pipe", errno);
        return false;
    }
    rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0) {
        close(fds[0]);
        close(fds[1]);
        out->outcome = SA_PLATFORM_RUN_NOMEM;
        return false;
    }
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&fa);
        close(fds[0]);
        close(fds[1]);
        out->outcome = SA_PLATFORM_RUN_NOMEM;
        return false;
    }
    /* As Python's subprocess: no blocked signals, SIGPIPE and SIGXFSZ back to their defaults (we
     * ignore SIGPIPE), no descriptors but 0, 1 and 2. */
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGXFSZ);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask(&attr, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(&attr, &defaults);
    if (rc == 0)
        rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (rc == 0)
        rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    if (rc == 0) {
        rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
        if (rc != 0)
            run_detail(out, SA_PLATFORM_RUN_NOT_STARTED, NULL, rc);
    } else {
        run_detail(out, SA_PLATFORM_RUN_NOMEM, "cannot prepare the process", rc);
    }
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return false;
    }
    *out_fd = fds[0];
    return true;
}

static void run_kill(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* Reads the child's stdout to its end, then waits for it to exit. On any failure the child is
 * killed and reaped. True when it exited (status in *status). */
static bool run_collect(const sa_platform_run_spec *spec, sa_platform_run_result *out, pid_t pid,
                        int fd, int *status)
{
    int64_t deadline = mono_ms() + spec->timeout_ms;
    bool eof = false;

    for (;;) {
        int64_t left = deadline - mono_ms();

        if (run_cancelled(spec)) {
            out->outcome = SA_PLATFORM_RUN_CANCELLED;
            break;
        }
        if (left <= 0) {
            out->outcome = SA_PLATFORM_RUN_TIMEOUT;
            break;
        }
        if (!eof) {
            struct pollfd p = {fd, POLLIN, 0};
            int n = poll(&p, 1, (int)(left < RUN_POLL_SLICE_MS ? left : RUN_POLL_SLICE_MS));
            ssize_t got;

            if (n < 0 && errno != EINTR) {
                run_detail(out, SA_PLATFORM_RUN_FAILED, "poll", errno);
                break;
            }
            if (n <= 0)
                continue;
            got = read(fd, spec->out + out->len, spec->cap - out->len);
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (got < 0) {
                run_detail(out, SA_PLATFORM_RUN_FAILED, "reading its output", errno);
                break;
            }
            if (got == 0) {
                eof = true;
                continue;
            }
            out->len += (size_t)got;
            if (out->len == spec->cap) {
                out->outcome = SA_PLATFORM_RUN_TOO_MUCH;
                break;
            }
        } else {
            struct timespec slice = {0, 10 * 1000000L};
            pid_t w = waitpid(pid, status, WNOHANG);

            if (w == pid)
                return true;
            if (w < 0 && errno != EINTR) {
                run_detail(out, SA_PLATFORM_RUN_FAILED, "waitpid", errno);
                break;
            }
            nanosleep(&slice, NULL);
        }
    }
    run_kill(pid);
    return false;
}

void sa_platform_run(const sa_platform_run_spec *spec, sa_platform_run_result *out)
{
    pid_t pid;
    int fd = -1;
    int status = 0;

    memset(out, 0, sizeof(*out));
    if (!run_spawn(&pid, &fd, spec->argv, out))
        return;
    if (run_collect(spec, out, pid, fd, &status)) {
        if (WIFSIGNALED(status)) {
            out->outcome = SA_PLATFORM_RUN_SIGNALLED;
            out->status = WTERMSIG(status);
            snprintf(out->detail, sizeof(out->detail), "%s", strsignal(WTERMSIG(status)));
        } else {
            out->outcome = SA_PLATFORM_RUN_EXITED;
            out->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
    }
    close(fd);
}

/* ---- files and folders ------------------------------------------------------------------ */

int sa_platform_file_info(const char *path, sa_platform_file *out)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return -1;
    out->kind = S_ISREG(st.st_mode)   ? SA_PLATFORM_FILE_REGULAR
                : S_ISDIR(st.st_mode) ? SA_PLATFORM_FILE_DIRECTORY
                                      : SA_PLATFORM_FILE_OTHER;
    out->executable = (st.st_mode & 0111) != 0;
    out->size = (uint64_t)st.st_size;
    out->device = (uint64_t)st.st_dev;
    out->inode = (uint64_t)st.st_ino;
    return 0;
}

int sa_platform_dir_names(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = 0;

    if (d == NULL)
        return -1;
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            rc = errno != 0 ? -1 : 0;
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((rc = fn(ctx, de->d_name)) != 0)
            break;
    }
    if (rc == -1) {
        int e = errno;
        closedir(d);
        errno = e;
        return -1;
    }
    closedir(d);
    return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

int sa_platform_remove_tree(const char *path)
{
    struct stat st;

    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return lstat(path, &st) != 0 && errno == ENOENT ? 0 : -1;
}

const char *sa_platform_temp_dir(char *out, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(out, cap, "%s", tmp && tmp[0] ? tmp : "/tmp");

    return n >= 0 && (size_t)n < cap ? out : NULL;
}

/* ---- archive member names --------------------------------------------------------------- */

/* A UTF-8 LC_CTYPE locale, or (locale_t)0 when this system has none. */
static locale_t utf8_locale(void)
{
    static const char *const names[] = {"C.UTF-8", "", "en_US.UTF-8"};

    for (size_t i = 0; i < SA_N(names); i++) {
        locale_t l = newlocale(LC_CTYPE_MASK, names[i], (locale_t)0);
        const char *codeset;

        if (l == (locale_t)0)
            continue;
        codeset = nl_langinfo_l(CODESET, l);
        if (codeset != NULL && strcmp(codeset, "UTF-8") == 0)
            return l;
        freelocale(l);
    }
    return (locale_t)0;
}

void sa_platform_utf8_ctype_begin(sa_platform_utf8_ctype *s)
{
    locale_t utf8 = utf8_locale();

    s->locale = NULL;
    s->before = NULL;
    s->mode = 0;
    s->active = utf8 != (locale_t)0;
    if (s->active) {
        s->locale = (void *)utf8;
        s->before = (void *)uselocale(utf8);
    }
}

void sa_platform_utf8_ctype_end(sa_platform_utf8_ctype *s)
{
    if (!s->active)
        return;
    uselocale((locale_t)s->before);
    freelocale((locale_t)s->locale);
    s->active = false;
}
