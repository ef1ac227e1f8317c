/*
 * Allocation for the whole provider. sa_malloc, sa_calloc, sa_realloc, sa_strdup and sa_strndup
 * are the C library's functions, except in a build made with the meson option alloc_testing,
 * where they can be told to fail: the way curl's torture tests and SQLite's fault injection prove
 * that every allocation failure is handled. Memory from them is released with plain free().
 * cJSON allocates through them too once sa_alloc_init has run (main and the tests call it).
 *
 * In an alloc_testing build, SECUREAPI_ALLOC_FAIL_AT=N makes the Nth counted allocation fail
 * (once; later ones succeed again), and allocations are counted only while the process is
 * "armed" (sa_alloc_arm), which the RPC layer does around the method named by
 * SECUREAPI_ALLOC_FAIL_METHOD (e.g. Create). N=0 counts without failing, so a test can learn how
 * many allocations an operation makes and then fail each of them in turn.
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
static inline void *sa_malloc(size_t n) { return malloc(n); }
static inline void *sa_calloc(size_t count, size_t size) { return calloc(count, size); }
static inline void *sa_realloc(void *p, size_t n) { return realloc(p, n); }
static inline char *sa_strdup(const char *s) { return strdup(s); }
static inline char *sa_strndup(const char *s, size_t n) { return strndup(s, n); }
#endif

/* Whether the alloc_testing method filter names `method` (always false in a normal build). */
bool sa_alloc_method_armed(const char *method);
/* Starts / stops counting (nested calls count: armed while any caller is). */
void sa_alloc_arm(void);
void sa_alloc_disarm(void);
/* Allocations counted so far, and whether the planned failure has happened. */
uint64_t sa_alloc_count(void);
bool sa_alloc_failed(void);

/* Overwrites a secret string with zeros (in a way the compiler keeps), then frees it. */
void sa_wipe_free(char *s);

#endif
