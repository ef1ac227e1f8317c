/*
 * The credential_process source of a profile (see credentials.h), as botocore's ProcessProvider
 * and the SDKs' "process credential provider": on POSIX the profile's command line is split into
 * words as Python's shlex.split does (on Windows the system takes the command line as it is), and
 * run without a shell by the platform layer (sa_platform_run: posix_spawnp, or CreateProcessW)
 * with the plugin's environment, stdin empty, stderr shared with ours (the engine shows it) and
 * stdout read into a bounded buffer; a deadline and the cancel flag stop it, and then it is
 * killed (children it started itself are not). The output is parsed as JSON Version 1 and the
 * parsed copy and the buffer are wiped. Messages name the profile and the program, never the
 * output.
 */
#include "aws/credentials.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/platform.h"

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

static bool is_cancelled(const sa_aws_credentials_ctx *ctx)
{
    return ctx->cancelled != NULL && atomic_load(ctx->cancelled);
}

/* The error of a run that did not end by itself with an exit status. */
static int run_error(const sa_platform_run_result *r, const char *what, const char *program,
                     long timeout_ms, size_t cap, sa_error *err)
{
    switch (r->outcome) {
    case SA_PLATFORM_RUN_CANCELLED:
        return sa_error_set(err, SA_ECANCELLED, "%s '%." PROGRAM_SHOWN_MAX "s' was cancelled", what,
                            program);
    case SA_PLATFORM_RUN_TIMEOUT:
        if (timeout_ms % 1000 == 0)
            return sa_error_set(err, SA_ETIMEOUT,
                                "%s '%." PROGRAM_SHOWN_MAX "s' did not finish within %ld s and "
                                "was killed",
                                what, program, timeout_ms / 1000);
        return sa_error_set(err, SA_ETIMEOUT,
                            "%s '%." PROGRAM_SHOWN_MAX "s' did not finish within %ld ms and was "
                            "killed",
                            what, program, timeout_ms);
    case SA_PLATFORM_RUN_TOO_MUCH:
        return sa_error_set(err, SA_EIO,
                            "%s '%." PROGRAM_SHOWN_MAX "s' printed more than %zu bytes", what,
                            program, cap - 1);
    case SA_PLATFORM_RUN_NOT_STARTED:
        return sa_error_set(err, SA_EIO, "%s '%." PROGRAM_SHOWN_MAX "s' could not be started: %s",
                            what, program, r->detail);
    case SA_PLATFORM_RUN_NOMEM:
        if (r->detail[0] == '\0')
            return sa_error_set(err, SA_ENOMEM, "out of memory");
        return sa_error_set(err, SA_ENOMEM, "%s: %s", what, r->detail);
    case SA_PLATFORM_RUN_FAILED:
        return sa_error_set(err, SA_EIO, "%s: %s", what, r->detail);
    case SA_PLATFORM_RUN_SIGNALLED:
        return sa_error_set(err, SA_EIO,
                            "%s '%." PROGRAM_SHOWN_MAX "s' was killed by signal %d (%s)", what,
                            program, r->status, r->detail);
    case SA_PLATFORM_RUN_EXITED:
        break;
    }
    return sa_error_set(err, SA_EINTERNAL, "%s: no error to report", what);
}

/* Where the system takes the command line as it is (SA_PLATFORM_RUN_ARGV 0), its words are not
 * ours to split: the program shown in messages is the command line, argv that one string. */
static int whole_command_line(char ***out_argv, size_t *out_argc, const char *line,
                              const char *what, sa_error *err)
{
    size_t len = strlen(line);
    char **argv;

    if (len > COMMAND_LINE_MAX)
        return sa_error_set(err, SA_EINVAL, "%s is longer than %d characters", what,
                            COMMAND_LINE_MAX);
    argv = sa_malloc(2 * sizeof(char *) + len + 1);
    if (argv == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    argv[0] = memcpy((char *)(argv + 2), line, len + 1);
    argv[1] = NULL;
    *out_argv = argv;
    *out_argc = strspn(line, " \t\r\n") == len ? 0 : 1;
    return SA_OK;
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
    sa_platform_run_result run;
    int rc;

    snprintf(what, sizeof(what), "profile '%.64s': credential_process", profile);
    snprintf(source, sizeof(source), "profile '%.64s' (credential_process)", profile);
    if (SA_PLATFORM_RUN_ARGV)
        rc = sa_aws_split_command_line(&argv, &argc, command_line, what, err);
    else
        rc = whole_command_line(&argv, &argc, command_line, what, err);
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
    sa_platform_run(&(sa_platform_run_spec){.argv = argv,
                                            .command_line = command_line,
                                            .out = buf,
                                            .cap = cap,
                                            .timeout_ms = timeout_ms,
                                            .cancelled = ctx->cancelled},
                    &run);
    if (run.outcome != SA_PLATFORM_RUN_EXITED) {
        rc = run_error(&run, what, argv[0], timeout_ms, cap, err);
        goto out;
    }
    buf[run.len] = '\0';
    if (run.status == 127 && run.len == 0) {
        /* what a failed exec looks like where posix_spawnp cannot report it (under valgrind, or
         * a libc that spawns by fork and exec) */
        rc = sa_error_set(err, SA_EIO,
                          "%s '%." PROGRAM_SHOWN_MAX "s' exited with status 127: the command was "
                          "not found or could not be run",
                          what, argv[0]);
    } else if (run.status != 0) {
        rc = sa_error_set(err, SA_EIO,
                          "%s '%." PROGRAM_SHOWN_MAX "s' exited with status %d (its stderr, if "
                          "any, is in the plugin's output)",
                          what, argv[0], run.status);
    } else {
        rc = parse_answer(out, buf, run.len, what, argv[0], source, ctx, err);
    }
out:
    if (buf != NULL)
        sa_wipe_free_n(buf, cap + 1);
    free(argv);
    return rc;
}
