/*
 * Status codes and the error struct every fallible function in the provider uses. A function
 * returns SA_OK (0) or a negative sa_status, and when it fails it fills the caller's sa_error with
 * the code and one short line naming what went wrong (the property, setting or AWS operation).
 * The message never carries secret values. Modelled on libgit2's error handling and redis's
 * anet "status plus error out-parameter" shape.
 */
#ifndef SA_ERROR_H
#define SA_ERROR_H

#include <stddef.h>

typedef enum sa_status {
    SA_OK = 0,
    SA_EINVAL = -1,       /* bad input: a property, setting or argument */
    SA_ENOMEM = -2,       /* allocation failed */
    SA_EIO = -3,          /* I/O or transport failure */
    SA_ENOTFOUND = -4,    /* the thing asked for does not exist */
    SA_ECANCELLED = -5,   /* the engine cancelled the operation */
    SA_ETIMEOUT = -6,     /* a deadline passed */
    SA_EAWS = -7,         /* AWS answered with an error */
    SA_EUNSUPPORTED = -8, /* not implemented (yet), or not supported by design */
    SA_EINTERNAL = -9,    /* a bug: an invariant did not hold */
} sa_status;

#define SA_ERROR_MESSAGE_MAX 1024

typedef struct sa_error {
    int code;                           /* an sa_status */
    char message[SA_ERROR_MESSAGE_MAX]; /* one line, no trailing newline */
} sa_error;

/* Sets *err (if not NULL) and returns code, so callers can write `return sa_error_set(...)`. */
int sa_error_set(sa_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears *err to SA_OK with an empty message. */
void sa_error_clear(sa_error *err);

/* Short name of a status code, e.g. "EINVAL". */
const char *sa_status_name(int code);

#endif
