/*
 * Percent-encoding, decoding and endpoint URL parsing (see uri.h). The URL parser is deliberately
 * small and strict: an endpoint is configuration, so anything unusual is refused with a message
 * naming the setting rather than guessed at.
 */
#include "aws/uri.h"
#include "base/alloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool sa_aws_uri_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int sa_aws_uri_encode(sa_aws_buf *out, const char *s, size_t len, const char *keep, sa_error *err)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (sa_aws_uri_unreserved(c) || (c != '\0' && keep != NULL && strchr(keep, c) != NULL)) {
            rc = sa_aws_buf_putc(out, (char)c, err);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = sa_aws_buf_append(out, esc, 3, err);
        }
        if (rc != SA_OK)
            return rc;
    }
    return SA_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sa_aws_uri_decode(char **out, size_t *out_len, const char *s, size_t len, sa_error *err)
{
    char *d = sa_malloc(len + 1);
    size_t n = 0;

    if (d == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hexval(s[i + 1])) >= 0 &&
            (lo = hexval(s[i + 2])) >= 0) {
            d[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            d[n++] = s[i];
        }
    }
    d[n] = '\0';
    *out = d;
    if (out_len != NULL)
        *out_len = n;
    return SA_OK;
}

void sa_aws_url_dispose(sa_aws_url *u)
{
    if (u == NULL)
        return;
    free(u->scheme);
    free(u->host);
    free(u->base_path);
    u->scheme = u->host = u->base_path = NULL;
    u->port = 0;
}

static bool host_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

static int bad(sa_error *err, const char *setting, const char *why)
{
    return sa_error_set(err, SA_EINVAL, "invalid endpoint URL in %s: %s", setting, why);
}

int sa_aws_url_parse(sa_aws_url *out, const char *url, const char *setting, sa_error *err)
{
    sa_aws_url u = {0};
    const char *p;
    const char *auth;
    const char *auth_end;
    const char *host_end;
    size_t scheme_len;
    int rc = SA_OK;

    for (p = url; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return bad(err, setting, "it contains spaces, control or non-ASCII characters");
    }
    p = strstr(url, "://");
    if (p == NULL)
        return bad(err, setting, "expected http://host or https://host");
    scheme_len = (size_t)(p - url);
    if (scheme_len == 4 && strncasecmp(url, "http", 4) == 0)
        u.scheme = sa_strdup("http");
    else if (scheme_len == 5 && strncasecmp(url, "https", 5) == 0)
        u.scheme = sa_strdup("https");
    else
        return bad(err, setting, "the scheme must be http or https");
    if (u.scheme == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");

    auth = p + 3;
    auth_end = auth + strcspn(auth, "/?#");
    if (*auth_end == '?' || *auth_end == '#' || strpbrk(auth_end, "?#") != NULL) {
        rc = bad(err, setting, "it must not have a query or fragment");
        goto out;
    }
    if (memchr(auth, '@', (size_t)(auth_end - auth)) != NULL) {
        rc = bad(err, setting, "it must not contain user information");
        goto out;
    }
    if (auth == auth_end) {
        rc = bad(err, setting, "the host is missing");
        goto out;
    }
    if (*auth == '[') {
        const char *close = memchr(auth, ']', (size_t)(auth_end - auth));
        if (close == NULL || close == auth + 1) {
            rc = bad(err, setting, "malformed IPv6 address");
            goto out;
        }
        for (const char *q = auth + 1; q < close; q++) {
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.') {
                rc = bad(err, setting, "malformed IPv6 address");
                goto out;
            }
        }
        host_end = close + 1;
    } else {
        host_end = auth;
        while (host_end < auth_end && *host_end != ':')
            host_end++;
        if (host_end == auth) {
            rc = bad(err, setting, "the host is missing");
            goto out;
        }
        for (const char *q = auth; q < host_end; q++) {
            if (!host_char(*q)) {
                rc = bad(err, setting, "the host has characters a host name cannot have");
                goto out;
            }
        }
    }
    u.host = sa_strndup(auth, (size_t)(host_end - auth));
    if (u.host == NULL) {
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        goto out;
    }
    for (char *q = u.host; *q; q++)
        *q = (char)tolower((unsigned char)*q);

    if (host_end < auth_end) {
        long port = 0;
        const char *q = host_end;
        if (*q != ':' || q + 1 == auth_end || auth_end - q > 6) {
            rc = bad(err, setting, "the port must be a number from 1 to 65535");
            goto out;
        }
        for (q++; q < auth_end; q++) {
            if (!isdigit((unsigned char)*q)) {
                rc = bad(err, setting, "the port must be a number from 1 to 65535");
                goto out;
            }
            port = port * 10 + (*q - '0');
        }
        if (port < 1 || port > 65535) {
            rc = bad(err, setting, "the port must be a number from 1 to 65535");
            goto out;
        }
        u.port = (int)port;
    }

    {
        size_t plen = strlen(auth_end);
        while (plen > 0 && auth_end[plen - 1] == '/')
            plen--;
        u.base_path = sa_strndup(auth_end, plen);
        if (u.base_path == NULL) {
            rc = sa_error_set(err, SA_ENOMEM, "out of memory");
            goto out;
        }
    }
    *out = u;
    memset(&u, 0, sizeof(u));
out:
    sa_aws_url_dispose(&u);
    return rc;
}
