/* Linked only into the static release binary (meson option static_release): two functions that
 * the statically linked C++ runtime of Debian 12's GCC would otherwise import from glibc 2.35
 * and 2.36, raising the oldest glibc the release binary runs on from 2.34 (Amazon Linux 2023,
 * RHEL 9, Ubuntu 22.04) to 2.36. libstdc++'s std::random_device calls arc4random (glibc 2.36);
 * here it reads getrandom(2) (glibc 2.25), else /dev/urandom, and aborts if neither answers, as
 * glibc's does. libgcc's unwinder finds an object's exception tables with _dl_find_object (glibc
 * 2.35); here that call goes to glibc's own when the running glibc has it (looked up once, at
 * start-up, so the unwinder takes no lock and allocates nothing), else walks the loaded objects
 * with dl_iterate_phdr, as the unwinder did before 2.35. Being defined in the executable, these
 * bind the runtime's references at static link time. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* Hidden: they bind the runtime's references inside this executable and are not exported, so
 * dlvsym below finds glibc's _dl_find_object, never this one. */
#define SA_HIDDEN __attribute__((visibility("hidden")))
/* The test of the fallback (tests/release) sets a version no glibc has. */
#ifndef SA_DL_FIND_OBJECT_VERSION
#define SA_DL_FIND_OBJECT_VERSION "GLIBC_2.35"
#endif

SA_HIDDEN uint32_t arc4random(void);
SA_HIDDEN int _dl_find_object(void *address, struct dl_find_object *result);

/* Fills buf from /dev/urandom; false if it cannot (no /dev in a bare chroot, say). */
static bool read_urandom(void *buf, size_t len)
{
    size_t got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    while (fd >= 0 && got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0 || errno != EINTR)
            break;
    }
    if (fd >= 0)
        close(fd);
    return got == len;
}

uint32_t arc4random(void)
{
    uint32_t v = 0;
    size_t got = 0;

    while (got < sizeof(v)) {
        ssize_t n = getrandom((char *)&v + got, sizeof(v) - got, 0);
        if (n > 0) {
            got += (size_t)n;
        } else if (n < 0 && errno != EINTR) {
            /* ENOSYS (Linux < 3.17) or a seccomp filter: the device, else no randomness at all */
            if (!read_urandom(&v, sizeof(v)))
                abort();
            return v;
        }
    }
    return v;
}

struct find_ctx {
    uintptr_t pc;
    struct dl_find_object *out;
    int found;
};

static int find_in_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct find_ctx *ctx = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    const ElfW(Phdr) *eh = NULL;
    int contains = 0;

    (void)size;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (ctx->pc >= start && ctx->pc < start + ph->p_memsz)
                contains = 1;
            if (start < lo)
                lo = start;
            if (start + ph->p_memsz > hi)
                hi = start + ph->p_memsz;
        } else if (ph->p_type == PT_GNU_EH_FRAME) {
            eh = ph;
        }
    }
    if (!contains)
        return 0;
    memset(ctx->out, 0, sizeof(*ctx->out));
    ctx->out->dlfo_map_start = (void *)lo;
    ctx->out->dlfo_map_end = (void *)hi;
    ctx->out->dlfo_eh_frame = eh ? (void *)(info->dlpi_addr + eh->p_vaddr) : NULL;
    ctx->found = 1;
    return 1;
}

typedef int (*find_fn)(void *, struct dl_find_object *);

/* glibc's _dl_find_object, or NULL before 2.35: set once before main by the constructor below,
 * read-only afterwards. */
static find_fn real_find;

__attribute__((constructor)) static void look_up_real_find(void)
{
    real_find = (find_fn)dlvsym(RTLD_DEFAULT, "_dl_find_object", SA_DL_FIND_OBJECT_VERSION);
}

int _dl_find_object(void *address, struct dl_find_object *result)
{
    struct find_ctx ctx = {(uintptr_t)address, result, 0};

    if (real_find != NULL)
        return real_find(address, result);
    dl_iterate_phdr(find_in_object, &ctx);
    return ctx.found ? 0 : -1;
}
