/*
 * Unit tests of the platform layer (base/platform.h) on the host: UTC conversion both ways
 * (round trips, the leap day, year 9999, normalisation of a leap second), the secure getenv, the
 * home variables, the stop request (a SIGTERM raised while blocked is the one the wait returns),
 * the parent watch at rest, the CA bundle places, running a program (its output and exit status,
 * one killed at its timeout, one cancelled, one that prints more than the buffer, one killed by a
 * signal, one that cannot be started, an empty stdin), what a path is, the names of a folder,
 * removing a tree and the UTF-8 character type. Parent death and the signal exit of the whole
 * binary are tested end to end by tests/rpc/test_protocol.py; credential_process through the
 * platform layer by tests/unit/aws/test_credentials.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/platform.h"

static void test_gmtime_timegm(void **state)
{
    static const time_t times[] = {0, 951782400 /* 2000-02-29 */, 1764633600, 253402300799};
    struct tm tm;

    (void)state;
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        assert_ptr_equal(sa_gmtime(&times[i], &tm), &tm);
        assert_int_equal(sa_timegm(&tm), times[i]);
    }
    assert_non_null(sa_gmtime(&times[1], &tm));
    assert_int_equal(tm.tm_year, 100);
    assert_int_equal(tm.tm_mon, 1);
    assert_int_equal(tm.tm_mday, 29);
    assert_int_equal(tm.tm_hour, 0);
    assert_non_null(sa_gmtime(&times[3], &tm));
    assert_int_equal(tm.tm_year + 1900, 9999);
    assert_int_equal(tm.tm_sec, 59);

    /* a leap second (credentials' expirations allow :60) is the next minute's first */
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = 125;
    tm.tm_mon = 11;
    tm.tm_mday = 31;
    tm.tm_hour = 23;
    tm.tm_min = 59;
    tm.tm_sec = 60;
    assert_int_equal(sa_timegm(&tm), 1767225600); /* 2026-01-01T00:00:00Z */
}

static void test_secure_getenv(void **state)
{
    (void)state;
    assert_int_equal(setenv("SA_PLATFORM_TEST", "value", 1), 0);
    assert_string_equal(sa_secure_getenv("SA_PLATFORM_TEST"), "value");
    assert_int_equal(unsetenv("SA_PLATFORM_TEST"), 0);
    assert_null(sa_secure_getenv("SA_PLATFORM_TEST"));
}

static void test_stop_signal(void **state)
{
    (void)state;
    assert_int_equal(sa_platform_stop_signals_block(), 0);
    /* blocked, so pending until the wait takes it */
    assert_int_equal(raise(SIGTERM), 0);
    assert_int_equal(sa_platform_stop_signal_wait(), SIGTERM);
    assert_int_equal(raise(SIGINT), 0);
    assert_int_equal(sa_platform_stop_signal_wait(), SIGINT);
}

static void test_parent_watch(void **state)
{
    sa_platform_parent w;

    (void)state;
    assert_int_equal(sa_platform_parent_watch_start(&w), 0);
    assert_true(w.pid > 0);
    assert_false(sa_platform_parent_gone(&w));
    sa_platform_parent_watch_end(&w);
    sa_platform_parent_watch_end(&w);
    sa_platform_parent_watch_end(NULL);
}

static void test_ca_bundles(void **state)
{
    size_t n = 0;

    (void)state;
    while (sa_platform_ca_bundle(n) != NULL)
        n++;
    /* a system with the system's store searches no place; the others at least one */
    if (SA_PLATFORM_NATIVE_CA)
        assert_int_equal(n, 0);
    else
        assert_true(n > 0 && n < 32);
}

static void test_home_variables(void **state)
{
    (void)state;
    /* POSIX: HOME first, USERPROFILE after (Windows has the opposite order) */
    assert_string_equal(sa_platform_home_variable(0),
                        SA_PLATFORM_RUN_ARGV ? "HOME" : "USERPROFILE");
    assert_string_equal(sa_platform_home_variable(1),
                        SA_PLATFORM_RUN_ARGV ? "USERPROFILE" : "HOME");
    assert_null(sa_platform_home_variable(2));
}

/* ---- running a program ---- */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs "/bin/sh -c script" with a buffer of cap bytes (at most 256). */
static void run_sh(sa_platform_run_result *r, char *buf, size_t cap, const char *script,
                   long timeout_ms, const atomic_bool *cancelled)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};

    memset(buf, 0, 256);
    sa_platform_run(&(sa_platform_run_spec){.argv = argv,
                                            .command_line = NULL,
                                            .out = buf,
                                            .cap = cap,
                                            .timeout_ms = timeout_ms,
                                            .cancelled = cancelled},
                    r);
}

static void test_run_prints(void **state)
{
    sa_platform_run_result r;
    char buf[256];

    (void)state;
    run_sh(&r, buf, sizeof(buf),
           "printf 'hello\\n'; echo '(test_run_prints: stderr)' >&2; printf 'again'", 10000, NULL);
    assert_int_equal(r.outcome, SA_PLATFORM_RUN_EXITED);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.len, 11);
    assert_memory_equal(buf, "hello\nagain", 11); /* stderr is ours, not in the buffer */

    /* its stdin is empty: cat ends at once, printing nothing */
    run_sh(&r, buf, sizeof(buf), "cat; echo done", 10000, NULL);
    assert_int_equal(r.outcome, SA_PLATFORM_RUN_EXITED);
    assert_int_equal(r.len, 5);
    assert_memory_equal(buf, "done\n", 5);

    /* arguments are passed as they are, without a shell of ours */
    {
        char *argv[] = {"/bin/echo", "a b", "$HOME", "'q'", NULL};
        sa_platform_run(
            &(sa_platform_run_spec){
                .argv = argv, .out = buf, .cap = sizeof(buf), .timeout_ms = 10000},
            &r);
        assert_int_equal(r.outcome, SA_PLATFORM_RUN_EXITED);
        assert_int_equal(r.len, strlen("a b $HOME 'q'\n"));
        assert_memory_equal(buf, "a b $HOME 'q'\n", r.len);
    }
}

static void test_run_exit_status(void **state)
{
    sa_platform_run_result r;
    char buf[256];

    (void)state;
    run_sh(&r, buf, sizeof(buf), "echo partial; exit 3", 10000, NULL);
    assert_int_equal(r.outcome, SA_PLATFORM_RUN_EXITED);
    assert_int_equal(r.status, 3);
    assert_int_equal(r.len, 8); /* what it printed before is kept */

    run_sh(&r, buf, sizeof(buf), "kill -9 $$", 10000, NULL);
    assert_int_equal(r.outcome, SA_PLATFORM_RUN_SIGNALLED);
    assert_int_equal(r.status, SIGKILL);
    assert_string_equal(r.detail, strsignal(SIGKILL));
}

static void test_run_timeout(void **state)
{
    sa_platform_run_result r;
    char buf[256];
    double start = mono_s(), took;

    (void)state;
    /* prints, then outlives its 300 ms: killed, what it printed kept */
    run_sh(&r, buf, sizeof(buf), "echo started; exec sleep 30", 300, NULL);
    took = mono_s() - start;
    assert_int_equal(r.outcome, SA_PLATFORM_RUN_TIMEOUT);
    assert_int_equal(r.len, 8);
    assert_true(took >= 0.25 && took < 5.0);

    /* stdout closed early, but it does not exit: the wait for its exit times out too */
    start = mono_s();
    run_sh(&r, buf, sizeof(buf), "exec >&-; exec sleep 30", 300, NULL);
    took = mono_s() - start;
    assert_int_equal(r.outcome, SA_PLATFORM_RUN_TIMEOUT);
    assert_int_equal(r.len, 0);
    assert_true(took >= 0.25 && took < 5.0);
}

static void test_run_cancelled(void **state)
{
    sa_platform_run_result r;
    char buf[256];
    atomic_bool cancelled;
    double start = mono_s();

    (void)state;
    atomic_init(&cancelled, true);
    run_sh(&r, buf, sizeof(buf), "exec sleep 30", 60000, &cancelled);
    assert_int_equal(r.outcome, SA_PLATFORM_RUN_CANCELLED);
    assert_true(mono_s() - start < 5.0);
}

static void test_run_too_much(void **state)
{
    sa_platform_run_result r;
    char buf[256];

    (void)state;
    /* 100 bytes into a buffer of 16: killed once 16 are read, never past the buffer */
    run_sh(&r, buf, 16,
           "i=0; while [ $i -lt 10 ]; do printf '0123456789'; i=$((i+1)); done; exec sleep 30",
           10000, NULL);
    assert_int_equal(r.outcome, SA_PLATFORM_RUN_TOO_MUCH);
    assert_int_equal(r.len, 16);
    assert_memory_equal(buf, "0123456789012345", 16);
    assert_int_equal(buf[16], 0);

    /* exactly one byte less than the buffer is fine */
    run_sh(&r, buf, 16, "printf '012345678901234'", 10000, NULL);
    assert_int_equal(r.outcome, SA_PLATFORM_RUN_EXITED);
    assert_int_equal(r.len, 15);
}

static void test_run_not_started(void **state)
{
    sa_platform_run_result r;
    char buf[16];
    char *argv[] = {"/nonexistent/sa-no-such-program", "x", NULL};

    (void)state;
    sa_platform_run(
        &(sa_platform_run_spec){.argv = argv, .out = buf, .cap = sizeof(buf), .timeout_ms = 10000},
        &r);
    /* a libc that spawns by fork and exec (or valgrind) reports it as the shell's 127 */
    if (r.outcome == SA_PLATFORM_RUN_EXITED) {
        assert_int_equal(r.status, 127);
    } else {
        assert_int_equal(r.outcome, SA_PLATFORM_RUN_NOT_STARTED);
        assert_string_equal(r.detail, strerror(ENOENT));
    }
}

/* ---- files and folders ---- */

static void write_file(const char *dir, const char *name, const char *text, int mode)
{
    char path[512];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | SA_PLATFORM_O_BINARY, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

typedef struct names_seen {
    char names[8][32];
    size_t n;
    size_t stop_after; /* 0: never */
} names_seen;

static int see_name(void *ctx, const char *name)
{
    names_seen *s = ctx;

    assert_true(s->n < 8);
    snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", name);
    return s->stop_after != 0 && s->n == s->stop_after ? 42 : 0;
}

static int cmp_seen(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_files_and_folders(void **state)
{
    char tmp[400], dir[512], path[600], other[600];
    sa_platform_file f, g;
    names_seen seen = {.n = 0};

    (void)state;
    assert_non_null(sa_platform_temp_dir(tmp, sizeof(tmp)));
    assert_null(sa_platform_temp_dir(tmp, 1)); /* does not fit */
    assert_non_null(sa_platform_temp_dir(tmp, sizeof(tmp)));
    snprintf(dir, sizeof(dir), "%s/sa-platform-test-XXXXXX", tmp);
    assert_non_null(mkdtemp(dir));

    write_file(dir, "b.txt", "bee", 0644);
    write_file(dir, "a.sh", "#!/bin/sh\n", 0755);
    snprintf(path, sizeof(path), "%s/sub", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    write_file(path, "c", "", 0600);
    snprintf(path, sizeof(path), "%s/empty", dir);
    assert_int_equal(mkdir(path, 0700), 0);

    /* what a path is */
    snprintf(path, sizeof(path), "%s/b.txt", dir);
    assert_int_equal(sa_platform_file_info(path, &f), 0);
    assert_int_equal(f.kind, SA_PLATFORM_FILE_REGULAR);
    assert_int_equal(f.size, 3);
    assert_false(f.executable);
    snprintf(path, sizeof(path), "%s/a.sh", dir);
    assert_int_equal(sa_platform_file_info(path, &f), 0);
    assert_true(f.executable);
    assert_int_equal(f.size, 10);
    assert_int_equal(sa_platform_file_info(dir, &f), 0);
    assert_int_equal(f.kind, SA_PLATFORM_FILE_DIRECTORY);
    /* the same folder by another path has the same identity; another folder another */
    snprintf(other, sizeof(other), "%s/sub/..", dir);
    assert_int_equal(sa_platform_file_info(other, &g), 0);
    assert_true(f.device == g.device && f.inode == g.inode);
    snprintf(other, sizeof(other), "%s/sub", dir);
    assert_int_equal(sa_platform_file_info(other, &g), 0);
    assert_false(f.device == g.device && f.inode == g.inode);
    assert_int_equal(sa_platform_file_info("/dev/null", &g), 0);
    assert_int_equal(g.kind, SA_PLATFORM_FILE_OTHER);
    /* a symbolic link is followed; a broken one is ENOENT */
    snprintf(other, sizeof(other), "%s/sub/link", dir);
    assert_int_equal(symlink("..", other), 0);
    assert_int_equal(sa_platform_file_info(other, &g), 0);
    assert_true(f.device == g.device && f.inode == g.inode);
    snprintf(path, sizeof(path), "%s/missing", dir);
    errno = 0;
    assert_int_equal(sa_platform_file_info(path, &g), -1);
    assert_int_equal(errno, ENOENT);
    snprintf(other, sizeof(other), "%s/broken", dir);
    assert_int_equal(symlink("missing", other), 0);
    errno = 0;
    assert_int_equal(sa_platform_file_info(other, &g), -1);
    assert_int_equal(errno, ENOENT);

    /* the names of a folder: every entry but . and .., in any order */
    assert_int_equal(sa_platform_dir_names(dir, see_name, &seen), 0);
    assert_int_equal(seen.n, 5);
    qsort(seen.names, seen.n, sizeof(seen.names[0]), cmp_seen);
    assert_string_equal(seen.names[0], "a.sh");
    assert_string_equal(seen.names[1], "b.txt");
    assert_string_equal(seen.names[2], "broken");
    assert_string_equal(seen.names[3], "empty");
    assert_string_equal(seen.names[4], "sub");
    /* an empty folder has none; the callback's non-zero stops the listing and is returned */
    memset(&seen, 0, sizeof(seen));
    snprintf(path, sizeof(path), "%s/empty", dir);
    assert_int_equal(sa_platform_dir_names(path, see_name, &seen), 0);
    assert_int_equal(seen.n, 0);
    seen.stop_after = 2;
    assert_int_equal(sa_platform_dir_names(dir, see_name, &seen), 42);
    assert_int_equal(seen.n, 2);
    snprintf(path, sizeof(path), "%s/missing", dir);
    errno = 0;
    assert_int_equal(sa_platform_dir_names(path, see_name, &seen), -1);
    assert_int_equal(errno, ENOENT);
    snprintf(path, sizeof(path), "%s/b.txt", dir);
    errno = 0;
    assert_int_equal(sa_platform_dir_names(path, see_name, &seen), -1);
    assert_int_equal(errno, ENOTDIR);

    /* removing the tree takes everything, and does not follow sub/link back up into dir */
    assert_int_equal(sa_platform_remove_tree(dir), 0);
    assert_int_equal(sa_platform_file_info(dir, &f), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(sa_platform_remove_tree(dir), 0); /* nothing there: nothing to do */
}

static void test_utf8_ctype(void **state)
{
    sa_platform_utf8_ctype u;
    size_t before = MB_CUR_MAX;

    (void)state;
    /* the test runs in the C locale (one byte a character); the switch is this thread's only */
    sa_platform_utf8_ctype_begin(&u);
    if (u.active)
        assert_true(MB_CUR_MAX > 1);
    sa_platform_utf8_ctype_end(&u);
    assert_int_equal(MB_CUR_MAX, before);
    sa_platform_utf8_ctype_end(&u); /* a second end does nothing */
    assert_int_equal(MB_CUR_MAX, before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gmtime_timegm),     cmocka_unit_test(test_secure_getenv),
        cmocka_unit_test(test_home_variables),    cmocka_unit_test(test_stop_signal),
        cmocka_unit_test(test_parent_watch),      cmocka_unit_test(test_ca_bundles),
        cmocka_unit_test(test_run_prints),        cmocka_unit_test(test_run_exit_status),
        cmocka_unit_test(test_run_timeout),       cmocka_unit_test(test_run_cancelled),
        cmocka_unit_test(test_run_too_much),      cmocka_unit_test(test_run_not_started),
        cmocka_unit_test(test_files_and_folders), cmocka_unit_test(test_utf8_ctype),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
