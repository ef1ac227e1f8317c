/*
 * The platform layer (platform.h) on POSIX systems: Linux with glibc or musl, and macOS. The stop
 * request is SIGINT or SIGTERM, blocked in every thread and taken by sigwait on one; the parent
 * watch compares getppid() with the parent we started under (an orphan is reparented, to init or
 * a subreaper); the CA bundle places are the Linux distributions' and macOS's. The only
 * differences between the systems here are how a secure getenv, a close-on-exec pipe and the CA
 * places are spelled.
 */
#include "base/platform.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

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
