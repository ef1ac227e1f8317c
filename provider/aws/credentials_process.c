/*
 * The credential_process source of a profile (see credentials.h), as botocore's ProcessProvider
 * and the SDKs' "process credential provider": the profile's command line is split into words as
 * Python's shlex.split does on POSIX, run without a shell (posix_spawnp, so a multithreaded
 * plugin never forks its heap) with the plugin's environment, stdin from /dev/null, stderr shared
 * with ours (the engine shows it) and stdout read through a pipe into a bounded buffer. The wait
 * polls in short slices so a deadline and the cancel flag stop it; then the child is killed
 * (SIGKILL; children it started itself are not). The output is parsed as JSON Version 1 and the
 * parsed copy and the buffer are wiped. Messages name the profile and the program, never the
 * output.
 */
#include "aws/credentials.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/platform.h"

extern char **environ;

#define POLL_SLICE_MS 50        /* how often the cancel flag is looked at */
#define COMMAND_LINE_MAX 32768  /* a longer credential_process is refused */
#define PROGRAM_SHOWN_MAX "128" /* characters of the program's name in messages */

/* ---- the command line ---------------------------------------------------------------------- */

static bool shlex_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int sa_aws_split_command_line(char ***out_argv, size_t *out_argc, const char *line,
                              const char *what, sa_error *err)
{
    size_t len = strlen(line);
    char **argv;
    char *w, *word;
    size_t argc = 0;
    bool in_word = false;

    if (len > COMMAND_LINE_MAX)
        return sa_error_set(err, SA_EINVAL, "%s is longer than %d characters", what,
                            COMMAND_LINE_MAX);
    /* One block: at most len/2 + 1 words (each needs a character and a separator, '' two) plus
     * the NULL, then the words, which are never longer than the line plus one NUL each. */
    argv = sa_malloc((len + 2) * sizeof(char *) + 2 * len + 2);
    if (argv == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    w = word = (char *)(argv + len + 2);
    for (size_t i = 0; i < len; i++) {
        char c = line[i];

        if (shlex_space(c)) {
            if (in_word) {
                *w++ = '\0';
                argv[argc++] = word;
                word = w;
                in_word = false;
            }
            continue;
        }
        in_word = true;
        if (c == '\\') { /* outside quotes: the next character, whatever it is */
            if (i + 1 == len)
                goto trailing_backslash;
            *w++ = line[++i];
        } else if (c == '\'') { /* everything up to the next ' */
            for (i++; i < len && line[i] != '\''; i++)
                *w++ = line[i];
            if (i == len)
                goto unclosed;
        } else if (c == '"') { /* \" and \\ are escapes; any other backslash stays */
            for (i++; i < len && line[i] != '"'; i++) {
                if (line[i] == '\\' && i + 1 < len && (line[i + 1] == '"' || line[i + 1] == '\\'))
                    i++;
                else if (line[i] == '\\' && i + 1 == len)
                    goto unclosed;
                *w++ = line[i];
            }
            if (i == len)
                goto unclosed;
        } else {
            *w++ = c;
        }
    }
    if (in_word) {
        *w = '\0';
        argv[argc++] = word;
    }
    argv[argc] = NULL;
    *out_argv = argv;
    *out_argc = argc;
    return SA_OK;
unclosed:
    free(argv);
    return sa_error_set(err, SA_EINVAL, "%s has an unclosed quote", what);
trailing_backslash:
    free(argv);
    return sa_error_set(err, SA_EINVAL, "%s ends with a backslash", what);
}

/* ---- running it ---------------------------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_cancelled(const sa_aws_credentials_ctx *ctx)
{
    return ctx->cancelled != NULL && atomic_load(ctx->cancelled);
}

/* Starts argv with stdin from /dev/null and stdout into *out_fd. */
static int spawn(pid_t *pid, int *out_fd, char *const argv[], const char *what, sa_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    int fds[2];
    int rc;

    if (sa_platform_pipe(fds) != 0)
        return sa_error_set(err, SA_EIO, "%s: cannot make a pipe: %s", what, strerror(errno));
    rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0) {
        close(fds[0]);
        close(fds[1]);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&fa);
        close(fds[0]);
        close(fds[1]);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
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
            rc = sa_error_set(err, SA_EIO, "%s '%." PROGRAM_SHOWN_MAX "s' could not be started: %s",
                              what, argv[0], strerror(rc));
    } else {
        rc = sa_error_set(err, SA_ENOMEM, "%s: cannot prepare the process: %s", what, strerror(rc));
    }
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != SA_OK) {
        close(fds[0]);
        return rc;
    }
    *out_fd = fds[0];
    return SA_OK;
}

static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* Reads the child's stdout to its end into buf[cap] (*len bytes), then waits for it to exit.
 * On any failure the child is killed and reaped. */
static int collect(char *buf, size_t cap, size_t *len, int *status, pid_t pid, int fd,
                   const char *what, const char *program, long timeout_ms,
                   const sa_aws_credentials_ctx *ctx, sa_error *err)
{
    int64_t deadline = mono_ms() + timeout_ms;
    bool eof = false;
    int rc = SA_OK;

    *len = 0;
    for (;;) {
        int64_t left = deadline - mono_ms();

        if (is_cancelled(ctx)) {
            rc = sa_error_set(err, SA_ECANCELLED, "%s '%." PROGRAM_SHOWN_MAX "s' was cancelled",
                              what, program);
            break;
        }
        if (left <= 0) {
            if (timeout_ms % 1000 == 0)
                rc = sa_error_set(err, SA_ETIMEOUT,
                                  "%s '%." PROGRAM_SHOWN_MAX "s' did not finish within %ld s and "
                                  "was killed",
                                  what, program, timeout_ms / 1000);
            else
                rc = sa_error_set(err, SA_ETIMEOUT,
                                  "%s '%." PROGRAM_SHOWN_MAX "s' did not finish within %ld ms "
                                  "and was killed",
                                  what, program, timeout_ms);
            break;
        }
        if (!eof) {
            struct pollfd p = {fd, POLLIN, 0};
            int n = poll(&p, 1, (int)(left < POLL_SLICE_MS ? left : POLL_SLICE_MS));
            ssize_t got;

            if (n < 0 && errno != EINTR) {
                rc = sa_error_set(err, SA_EIO, "%s: poll: %s", what, strerror(errno));
                break;
            }
            if (n <= 0)
                continue;
            got = read(fd, buf + *len, cap - *len);
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (got < 0) {
                rc = sa_error_set(err, SA_EIO, "%s: reading its output: %s", what, strerror(errno));
                break;
            }
            if (got == 0) {
                eof = true;
                continue;
            }
            *len += (size_t)got;
            if (*len == cap) {
                rc = sa_error_set(err, SA_EIO,
                                  "%s '%." PROGRAM_SHOWN_MAX "s' printed more than %zu bytes", what,
                                  program, cap - 1);
                break;
            }
        } else {
            struct timespec slice = {0, 10 * 1000000L};
            pid_t w = waitpid(pid, status, WNOHANG);

            if (w == pid)
                return SA_OK;
            if (w < 0 && errno != EINTR) {
                rc = sa_error_set(err, SA_EIO, "%s: waitpid: %s", what, strerror(errno));
                break;
            }
            nanosleep(&slice, NULL);
        }
    }
    kill_and_reap(pid);
    return rc;
}

/* ---- its answer ---------------------------------------------------------------------------- */

static void wipe_string(const cJSON *item)
{
    if (cJSON_IsString(item))
        OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
}

static bool optional_string(const cJSON *item)
{
    return item == NULL || cJSON_IsNull(item) || cJSON_IsString(item);
}

static int parse_answer(sa_aws_credentials *out, const char *buf, size_t len, const char *what,
                        const char *program, const char *source, const sa_aws_credentials_ctx *ctx,
                        sa_error *err)
{
    cJSON *doc = NULL;
    const cJSON *version, *ak, *sk, *tok, *exp;
    time_t expiration = 0;
    int rc;

    if (memchr(buf, '\0', len) == NULL)
        doc = cJSON_ParseWithOpts(buf, NULL, true);
    if (!cJSON_IsObject(doc)) {
        rc = sa_error_set(err, SA_EIO,
                          "%s '%." PROGRAM_SHOWN_MAX "s' printed something that is not JSON "
                          "(an object with Version 1, AccessKeyId, SecretAccessKey)",
                          what, program);
        cJSON_Delete(doc); /* a scalar holds no secret worth wiping: keys live in objects */
        return rc;
    }
    version = cJSON_GetObjectItemCaseSensitive(doc, "Version");
    ak = cJSON_GetObjectItemCaseSensitive(doc, "AccessKeyId");
    sk = cJSON_GetObjectItemCaseSensitive(doc, "SecretAccessKey");
    tok = cJSON_GetObjectItemCaseSensitive(doc, "SessionToken");
    exp = cJSON_GetObjectItemCaseSensitive(doc, "Expiration");
    if (version == NULL)
        rc = sa_error_set(err, SA_EIO, "%s '%." PROGRAM_SHOWN_MAX "s' printed no Version", what,
                          program);
    else if (!cJSON_IsNumber(version))
        rc = sa_error_set(err, SA_EIO,
                          "%s '%." PROGRAM_SHOWN_MAX "s' printed a Version that is not a number; "
                          "only Version 1 is supported",
                          what, program);
    else if (version->valuedouble != 1.0)
        rc = sa_error_set(err, SA_EIO,
                          "%s '%." PROGRAM_SHOWN_MAX "s' printed Version %g; only Version 1 is "
                          "supported",
                          what, program, version->valuedouble);
    else if (!cJSON_IsString(ak) || ak->valuestring[0] == '\0')
        rc = sa_error_set(err, SA_EIO, "%s '%." PROGRAM_SHOWN_MAX "s' printed no AccessKeyId", what,
                          program);
    else if (!cJSON_IsString(sk) || sk->valuestring[0] == '\0')
        rc = sa_error_set(err, SA_EIO, "%s '%." PROGRAM_SHOWN_MAX "s' printed no SecretAccessKey",
                          what, program);
    else if (!optional_string(tok))
        rc = sa_error_set(err, SA_EIO,
                          "%s '%." PROGRAM_SHOWN_MAX "s' printed a SessionToken that is not a "
                          "string",
                          what, program);
    else if (!optional_string(exp) ||
             (cJSON_IsString(exp) && sa_aws_parse_iso8601(&expiration, exp->valuestring) != SA_OK))
        rc = sa_error_set(err, SA_EIO,
                          "%s '%." PROGRAM_SHOWN_MAX "s' printed an Expiration that is not an "
                          "ISO 8601 time",
                          what, program);
    else
        rc = SA_OK;
    if (rc == SA_OK && expiration != 0 && expiration <= ctx->now) {
        struct tm tm;
        char when[32] = "?";

        if (sa_gmtime(&expiration, &tm) != NULL)
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        rc = sa_error_set(err, SA_EINVAL,
                          "%s '%." PROGRAM_SHOWN_MAX "s' printed credentials that expired at %s",
                          what, program, when);
    }
    if (rc == SA_OK)
        rc = sa_aws_credentials_set_checked(out, ak->valuestring, sk->valuestring,
                                            cJSON_IsString(tok) ? tok->valuestring : NULL,
                                            expiration, source, err);
    wipe_string(ak);
    wipe_string(sk);
    wipe_string(tok);
    cJSON_Delete(doc);
    return rc;
}

int sa_aws_credentials_from_process(sa_aws_credentials *out, const char *profile,
                                    const char *command_line, const sa_aws_credentials_ctx *ctx,
                                    sa_error *err)
{
    const size_t cap = SA_AWS_CREDENTIAL_PROCESS_OUTPUT_MAX + 1; /* +1 sees "too much" */
    long timeout_ms = ctx->process_timeout_ms > 0 ? ctx->process_timeout_ms
                                                  : SA_AWS_CREDENTIAL_PROCESS_TIMEOUT_MS;
    char what[96], source[96];
    char **argv = NULL;
    size_t argc = 0;
    char *buf = NULL;
    size_t len = 0;
    pid_t pid;
    int fd = -1;
    int status = 0;
    int rc;

    snprintf(what, sizeof(what), "profile '%.64s': credential_process", profile);
    snprintf(source, sizeof(source), "profile '%.64s' (credential_process)", profile);
    rc = sa_aws_split_command_line(&argv, &argc, command_line, what, err);
    if (rc != SA_OK)
        return rc;
    if (argc == 0) {
        free(argv);
        return sa_error_set(err, SA_EINVAL, "%s is empty", what);
    }
    if (is_cancelled(ctx)) {
        rc = sa_error_set(err, SA_ECANCELLED, "%s: cancelled before it ran", what);
        goto out;
    }
    /* the size of the buffer in its final place; +1 for the NUL cJSON needs */
    buf = sa_malloc(cap + 1);
    if (buf == NULL) {
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        goto out;
    }
    rc = spawn(&pid, &fd, argv, what, err);
    if (rc != SA_OK)
        goto out;
    rc = collect(buf, cap, &len, &status, pid, fd, what, argv[0], timeout_ms, ctx, err);
    close(fd);
    if (rc != SA_OK)
        goto out;
    buf[len] = '\0';
    if (WIFSIGNALED(status)) {
        rc = sa_error_set(err, SA_EIO, "%s '%." PROGRAM_SHOWN_MAX "s' was killed by signal %d (%s)",
                          what, argv[0], WTERMSIG(status), strsignal(WTERMSIG(status)));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && len == 0) {
        /* what a failed exec looks like where posix_spawnp cannot report it (under valgrind, or
         * a libc that spawns by fork and exec) */
        rc = sa_error_set(err, SA_EIO,
                          "%s '%." PROGRAM_SHOWN_MAX "s' exited with status 127: the command was "
                          "not found or could not be run",
                          what, argv[0]);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = sa_error_set(err, SA_EIO,
                          "%s '%." PROGRAM_SHOWN_MAX "s' exited with status %d (its stderr, if "
                          "any, is in the plugin's output)",
                          what, argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else {
        rc = parse_answer(out, buf, len, what, argv[0], source, ctx, err);
    }
out:
    if (buf != NULL)
        sa_wipe_free_n(buf, cap + 1);
    free(argv);
    return rc;
}
