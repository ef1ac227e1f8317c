/*
 * The sa_error helpers: formatting one-line error messages into the caller's error struct and
 * naming status codes for logs and tests.
 */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sa_error_set(sa_error *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        /* keep it to one line */
        for (char *p = err->message; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    }
    return code;
}

void sa_error_clear(sa_error *err)
{
    if (err != NULL) {
        err->code = SA_OK;
        err->message[0] = '\0';
    }
}

const char *sa_status_name(int code)
{
    switch (code) {
    case SA_OK:
        return "OK";
    case SA_EINVAL:
        return "EINVAL";
    case SA_ENOMEM:
        return "ENOMEM";
    case SA_EIO:
        return "EIO";
    case SA_ENOTFOUND:
        return "ENOTFOUND";
    case SA_ECANCELLED:
        return "ECANCELLED";
    case SA_ETIMEOUT:
        return "ETIMEOUT";
    case SA_EAWS:
        return "EAWS";
    case SA_EUNSUPPORTED:
        return "EUNSUPPORTED";
    case SA_EINTERNAL:
        return "EINTERNAL";
    default:
        return "EUNKNOWN";
    }
}
