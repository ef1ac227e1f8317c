/*
 * Small helpers every layer uses: the length of a fixed array, and bounded string copies into
 * fixed buffers that say whether the whole string fitted.
 */
#ifndef SA_BASE_UTIL_H
#define SA_BASE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define SA_N(a) (sizeof(a) / sizeof((a)[0]))

/* Copies src (NULL: "") into dst[cap]; returns false when it had to be cut. */
static inline bool sa_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;
    bool fits = n < cap;

    if (cap == 0)
        return n == 0;
    if (!fits)
        n = cap - 1;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
    return fits;
}

#define SA_COPY(dst, src) sa_copy((dst), sizeof(dst), (src))

#endif
