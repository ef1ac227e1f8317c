/*
 * The provider's allocator (see alloc.h): the C library's, plus the failure injection of an
 * alloc_testing build.
 */
#include "base/alloc.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

void sa_wipe_free(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void sa_wipe_free_n(void *p, size_t n)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, n);
        free(p);
    }
}

#ifdef SA_ALLOC_TESTING

static atomic_uint_fast64_t fail_at; /* the allocation to fail in this call; 0: count only */
static uint64_t fail_step = 1;       /* how far it moves for the next call */
static const char *fail_method;      /* the RPC method whose allocations are counted */
static atomic_int armed;
static atomic_uint_fast64_t counted;
static atomic_bool failed;

/* Whether this allocation is the one to fail. */
static bool should_fail(void)
{
    uint_fast64_t n;

    if (atomic_load(&armed) <= 0)
        return false;
    n = atomic_fetch_add(&counted, 1) + 1;
    if (n == atomic_load(&fail_at) && n != 0) {
        atomic_store(&failed, true);
        return true;
    }
    return false;
}

void *sa_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n);
}

void *sa_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count, size);
}

void *sa_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n);
}

char *sa_strdup(const char *s)
{
    return should_fail() ? NULL : strdup(s);
}

char *sa_strndup(const char *s, size_t n)
{
    return should_fail() ? NULL : strndup(s, n);
}

static void *cjson_malloc(size_t n)
{
    return sa_malloc(n);
}

void sa_alloc_init(void)
{
    cJSON_Hooks hooks = {cjson_malloc, free};
    const char *at = getenv("SECUREAPI_ALLOC_FAIL_AT");

    const char *step = getenv("SECUREAPI_ALLOC_FAIL_STEP");

    cJSON_InitHooks(&hooks);
    atomic_store(&fail_at, at != NULL ? strtoull(at, NULL, 10) : 0);
    if (step != NULL && strtoull(step, NULL, 10) > 0)
        fail_step = strtoull(step, NULL, 10);
    fail_method = getenv("SECUREAPI_ALLOC_FAIL_METHOD");
}

bool sa_alloc_method_armed(const char *method)
{
    return fail_method != NULL && method != NULL && strcmp(fail_method, method) == 0;
}

void sa_alloc_arm(void)
{
    atomic_store(&counted, 0);
    atomic_store(&failed, false);
    atomic_fetch_add(&armed, 1);
}

void sa_alloc_disarm(void)
{
    atomic_fetch_sub(&armed, 1);
}

void sa_alloc_next(void)
{
    if (atomic_load(&fail_at) != 0)
        atomic_fetch_add(&fail_at, fail_step);
}

uint64_t sa_alloc_count(void)
{
    return atomic_load(&counted);
}

uint64_t sa_alloc_fail_target(void)
{
    return atomic_load(&fail_at);
}

bool sa_alloc_failed(void)
{
    return atomic_load(&failed);
}

#else

void sa_alloc_init(void) {}

bool sa_alloc_method_armed(const char *method)
{
    (void)method;
    return false;
}

void sa_alloc_arm(void) {}

void sa_alloc_disarm(void) {}

void sa_alloc_next(void) {}

uint64_t sa_alloc_count(void)
{
    return 0;
}

uint64_t sa_alloc_fail_target(void)
{
    return 0;
}

bool sa_alloc_failed(void)
{
    return false;
}

#endif
