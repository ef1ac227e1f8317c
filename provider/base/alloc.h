/*
 * Allocation for the whole provider. sa_malloc, sa_calloc, sa_realloc, sa_strdup and sa_strndup
 * are the C library's functions, except in a build made with the meson option alloc_testing,
 * where they can be told to fail: the way curl's torture tests and SQLite's fault injection prove
 * that every allocation failure is handled. Memory from them is released with plain free().
 * cJSON allocates through them too once sa_alloc_init has run (main and the tests call it).
 *
 * In an alloc_testing build, allocations are counted only while the process is "armed"
 * (sa_alloc_arm), which the RPC layer does around each call of the method named by
 * SECUREAPI_ALLOC_FAIL_METHOD (e.g. Create); the count starts again at every call. The first such
 * call fails its allocation number SECUREAPI_ALLOC_FAIL_AT (once; later ones succeed again), the
 * next call the number after that plus SECUREAPI_ALLOC_FAIL_STEP - 1 (default step 1), and so
 * on, so one process can fail each allocation of an operation in turn. FAIL_AT=0 counts without
 * failing, so a test can learn how many allocations an operation makes.
 */
#ifndef SA_BASE_ALLOC_H
#define SA_BASE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Routes cJSON's allocations through sa_malloc; reads the alloc_testing settings. Call once,
 * before any thread starts. */
void sa_alloc_init(void);

#ifdef SA_ALLOC_TESTING
void *sa_malloc(size_t n);
void *sa_calloc(size_t count, size_t size);
void *sa_realloc(void *p, size_t n);
char *sa_strdup(const char *s);
char *sa_strndup(const char *s, size_t n);
#else
#include <stdlib.h>
#include <string.h>
static inline void *sa_malloc(size_t n)
{
    return malloc(n);
}
static inline void *sa_calloc(size_t count, size_t size)
{
    return calloc(count, size);
}
static inline void *sa_realloc(void *p, size_t n)
{
    return realloc(p, n);
}
static inline char *sa_strdup(const char *s)
{
    return strdup(s);
}
static inline char *sa_strndup(const char *s, size_t n)
{
    return strndup(s, n);
}
#endif

/* Whether the alloc_testing method filter names `method` (always false in a normal build). */
bool sa_alloc_method_armed(const char *method);
/* Starts counting a call (the count starts at zero); stops counting; moves the planned failure
 * on by the step for the next call. Calls of the method must not overlap. */
void sa_alloc_arm(void);
void sa_alloc_disarm(void);
void sa_alloc_next(void);
/* Allocations counted in the current (or last) call, the number planned to fail in it (0: none),
 * and whether that failure has happened. */
uint64_t sa_alloc_count(void);
uint64_t sa_alloc_fail_target(void);
bool sa_alloc_failed(void);

/* Overwrites a secret string with zeros (in a way the compiler keeps), then frees it. */
void sa_wipe_free(char *s);
/* The same for n bytes that may hold a secret (an HTTP body). NULL is ignored. */
void sa_wipe_free_n(void *p, size_t n);

#endif
