/*
 * The zip writer (see zip.h): local file headers, raw-deflate data, the central directory and the
 * end records, per PKWARE's APPNOTE, little-endian, DOS time 1980-01-01 00:00, Unix attributes.
 * ZIP64: the end-of-central-directory record and locator when the entry count or the directory's
 * size or offset does not fit the classic fields, and a central extra field for a local header
 * offset past 4 GB. A single entry of 4 GB or more is refused (Lambda's limit is 250 MB).
 */
#include "base/zip.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/alloc.h"

#define DOS_TIME 0x0000
#define DOS_DATE 0x0021 /* 1980-01-01 */
#define MADE_BY 0x0314  /* Unix, spec 2.0 */
#define CHUNK 65536
#define U32_MAX 0xffffffffull

typedef struct zip_entry {
    char *name;
    uint32_t crc;
    uint64_t comp, size, offset;
    uint16_t method, flags;
    uint32_t attrs; /* external attributes: the Unix mode in the high half */
} zip_entry;

struct sa_zip_writer {
    FILE *f;
    zip_entry *entries;
    size_t n, cap;
    uint64_t pos;      /* bytes written so far */
    uint64_t unzipped; /* the entries' data */
    bool failed;
};

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v & 0xff);
    p[1] = (uint8_t)((v >> 8) & 0xff);
}

static void put32(uint8_t *p, uint64_t v)
{
    put16(p, (unsigned)(v & 0xffff));
    put16(p + 2, (unsigned)((v >> 16) & 0xffff));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, v & U32_MAX);
    put32(p + 4, v >> 32);
}

static int write_all(sa_zip_writer *z, const void *data, size_t len, sa_error *err)
{
    if (len > 0 && fwrite(data, 1, len, z->f) != len) {
        z->failed = true;
        return sa_error_set(err, SA_EIO, "zip: cannot write the package (disk full?)");
    }
    z->pos += len;
    return SA_OK;
}

int sa_zip_writer_new(sa_zip_writer **out, FILE *f, sa_error *err)
{
    sa_zip_writer *z = sa_calloc(1, sizeof(*z));

    if (z == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    z->f = f;
    *out = z;
    return SA_OK;
}

void sa_zip_writer_free(sa_zip_writer *z)
{
    if (z == NULL)
        return;
    for (size_t i = 0; i < z->n; i++)
        free(z->entries[i].name);
    free(z->entries);
    free(z);
}

uint64_t sa_zip_unzipped_size(const sa_zip_writer *z)
{
    return z->unzipped;
}

static bool ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* Starts an entry: records it and writes its local header with the CRC and sizes to come. */
static int begin_entry(sa_zip_writer *z, zip_entry **ret, const char *name, uint16_t method,
                       uint32_t mode, sa_error *err)
{
    uint8_t h[30];
    zip_entry *e;
    size_t name_len = strlen(name);

    if (z->failed)
        return sa_error_set(err, SA_EINTERNAL, "zip: the writer failed earlier");
    if (name_len == 0 || name_len > 0xffff)
        return sa_error_set(err, SA_EINVAL, "zip: the name '%.60s' is empty or too long", name);
    if (z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 64;
        zip_entry *grown = sa_realloc(z->entries, cap * sizeof(*grown));
        if (grown == NULL)
            return sa_error_set(err, SA_ENOMEM, "out of memory");
        z->entries = grown;
        z->cap = cap;
    }
    e = &z->entries[z->n];
    memset(e, 0, sizeof(*e));
    e->name = sa_strdup(name);
    if (e->name == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    z->n++;
    e->method = method;
    e->flags = ascii(name) ? 0 : 0x0800; /* bit 11: the name is UTF-8 */
    e->offset = z->pos;
    e->attrs = mode << 16;
    put32(h, 0x04034b50);
    put16(h + 4, 20); /* version needed: 2.0 */
    put16(h + 6, e->flags);
    put16(h + 8, method);
    put16(h + 10, DOS_TIME);
    put16(h + 12, DOS_DATE);
    memset(h + 14, 0, 12); /* CRC and sizes: patched by end_entry */
    put16(h + 26, (unsigned)name_len);
    put16(h + 28, 0);
    *ret = e;
    if (write_all(z, h, sizeof(h), err) != SA_OK)
        return err->code;
    return write_all(z, name, name_len, err);
}

/* Ends an entry: puts its CRC and sizes into its local header. */
static int end_entry(sa_zip_writer *z, zip_entry *e, sa_error *err)
{
    uint8_t h[12];

    if (e->size >= U32_MAX || e->comp >= U32_MAX) {
        z->failed = true;
        return sa_error_set(err, SA_EINVAL, "zip: %s is 4 GB or more", e->name);
    }
    put32(h, e->crc);
    put32(h + 4, e->comp);
    put32(h + 8, e->size);
    if (fseeko(z->f, (off_t)(e->offset + 14), SEEK_SET) != 0 || fwrite(h, 1, 12, z->f) != 12 ||
        fseeko(z->f, (off_t)z->pos, SEEK_SET) != 0) {
        z->failed = true;
        return sa_error_set(err, SA_EIO, "zip: cannot write the package");
    }
    z->unzipped += e->size;
    return SA_OK;
}

int sa_zip_add_file(sa_zip_writer *z, const char *name, bool executable, sa_zip_read_fn read,
                    void *ctx, sa_error *err)
{
    zip_entry *e;
    z_stream zs;
    uint8_t *in = NULL, *out = NULL;
    uLong crc = crc32(0L, Z_NULL, 0);
    int rc = begin_entry(z, &e, name, 8, executable ? 0100755 : 0100644, err);
    int zrc = Z_OK;
    long n = 1;

    if (rc != SA_OK)
        return rc;
    memset(&zs, 0, sizeof(zs));
    in = sa_malloc(CHUNK);
    out = sa_malloc(CHUNK);
    if (in == NULL || out == NULL ||
        deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(in);
        free(out);
        z->failed = true;
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    while (rc == SA_OK && zrc != Z_STREAM_END) {
        int flush = Z_NO_FLUSH;
        if (zs.avail_in == 0 && n > 0) {
            n = read(ctx, in, CHUNK, err);
            if (n < 0) {
                rc = err->code != SA_OK ? err->code : SA_EIO;
                break;
            }
            zs.next_in = in;
            zs.avail_in = (uInt)n;
            crc = crc32(crc, in, (uInt)n);
            e->size += (uint64_t)n;
        }
        if (n == 0 && zs.avail_in == 0)
            flush = Z_FINISH;
        zs.next_out = out;
        zs.avail_out = CHUNK;
        zrc = deflate(&zs, flush);
        if (zrc == Z_STREAM_ERROR) {
            rc = sa_error_set(err, SA_EINTERNAL, "zip: deflate failed on %s", name);
            break;
        }
        rc = write_all(z, out, CHUNK - zs.avail_out, err);
    }
    e->comp = zs.total_out;
    e->crc = (uint32_t)crc;
    deflateEnd(&zs);
    free(in);
    free(out);
    if (rc != SA_OK) {
        z->failed = true;
        return rc;
    }
    return end_entry(z, e, err);
}

typedef struct memory {
    const uint8_t *data;
    size_t len, at;
} memory;

static long read_memory(void *ctx, uint8_t *buf, size_t cap, sa_error *err)
{
    memory *m = ctx;
    size_t n = m->len - m->at < cap ? m->len - m->at : cap;

    (void)err;
    memcpy(buf, m->data + m->at, n);
    m->at += n;
    return (long)n;
}

int sa_zip_add_bytes(sa_zip_writer *z, const char *name, bool executable, const uint8_t *data,
                     size_t len, sa_error *err)
{
    memory m = {data, len, 0};
    return sa_zip_add_file(z, name, executable, read_memory, &m, err);
}

int sa_zip_add_dir(sa_zip_writer *z, const char *name, sa_error *err)
{
    char path[4096];
    zip_entry *e;
    int rc;

    if (snprintf(path, sizeof(path), "%s/", name) >= (int)sizeof(path))
        return sa_error_set(err, SA_EINVAL, "zip: the name '%.60s' is too long", name);
    rc = begin_entry(z, &e, path, 0, 040755, err);
    return rc == SA_OK ? end_entry(z, e, err) : rc;
}

int sa_zip_finish(sa_zip_writer *z, uint64_t *ret_size, sa_error *err)
{
    uint64_t cd_start = z->pos, cd_size;
    uint8_t h[56];
    int rc = SA_OK;

    if (z->failed)
        return sa_error_set(err, SA_EINTERNAL, "zip: the writer failed earlier");
    for (size_t i = 0; rc == SA_OK && i < z->n; i++) {
        const zip_entry *e = &z->entries[i];
        size_t name_len = strlen(e->name);
        bool far = e->offset >= U32_MAX;
        uint8_t extra[12];

        put32(h, 0x02014b50);
        put16(h + 4, MADE_BY);
        put16(h + 6, far ? 45 : 20);
        put16(h + 8, e->flags);
        put16(h + 10, e->method);
        put16(h + 12, DOS_TIME);
        put16(h + 14, DOS_DATE);
        put32(h + 16, e->crc);
        put32(h + 20, e->comp);
        put32(h + 24, e->size);
        put16(h + 28, (unsigned)name_len);
        put16(h + 30, far ? sizeof(extra) : 0);
        put16(h + 32, 0); /* comment */
        put16(h + 34, 0); /* disk */
        put16(h + 36, 0); /* internal attributes */
        put32(h + 38, e->attrs);
        put32(h + 42, far ? U32_MAX : e->offset);
        rc = write_all(z, h, 46, err);
        if (rc == SA_OK)
            rc = write_all(z, e->name, name_len, err);
        if (rc == SA_OK && far) {
            put16(extra, 0x0001); /* ZIP64 extended information: the offset */
            put16(extra + 2, 8);
            put64(extra + 4, e->offset);
            rc = write_all(z, extra, sizeof(extra), err);
        }
    }
    if (rc != SA_OK)
        return rc;
    cd_size = z->pos - cd_start;
    if (z->n >= 0xffff || cd_size >= U32_MAX || cd_start >= U32_MAX) {
        uint64_t zip64_eocd = z->pos;
        put32(h, 0x06064b50); /* ZIP64 end of central directory record */
        put64(h + 4, 44);
        put16(h + 12, MADE_BY);
        put16(h + 14, 45);
        put32(h + 16, 0);
        put32(h + 20, 0);
        put64(h + 24, z->n);
        put64(h + 32, z->n);
        put64(h + 40, cd_size);
        put64(h + 48, cd_start);
        rc = write_all(z, h, 56, err);
        put32(h, 0x07064b50); /* its locator */
        put32(h + 4, 0);
        put64(h + 8, zip64_eocd);
        put32(h + 16, 1);
        if (rc == SA_OK)
            rc = write_all(z, h, 20, err);
    }
    put32(h, 0x06054b50);
    put16(h + 4, 0);
    put16(h + 6, 0);
    put16(h + 8, z->n >= 0xffff ? 0xffff : (unsigned)z->n);
    put16(h + 10, z->n >= 0xffff ? 0xffff : (unsigned)z->n);
    put32(h + 12, cd_size >= U32_MAX ? U32_MAX : cd_size);
    put32(h + 16, cd_start >= U32_MAX ? U32_MAX : cd_start);
    put16(h + 20, 0);
    if (rc == SA_OK)
        rc = write_all(z, h, 22, err);
    if (rc == SA_OK && fflush(z->f) != 0)
        rc = sa_error_set(err, SA_EIO, "zip: cannot write the package (disk full?)");
    if (rc == SA_OK && ret_size != NULL)
        *ret_size = z->pos;
    return rc;
}

int sa_zip_single(uint8_t **out, size_t *out_len, const char *name, const uint8_t *data,
                  size_t data_len, sa_error *err)
{
    FILE *f = tmpfile();
    sa_zip_writer *z = NULL;
    uint64_t size = 0;
    uint8_t *buf = NULL;
    int rc;

    *out = NULL;
    if (f == NULL)
        return sa_error_set(err, SA_EIO, "zip: cannot make a temporary file");
    rc = sa_zip_writer_new(&z, f, err);
    if (rc == SA_OK)
        rc = sa_zip_add_bytes(z, name, false, data, data_len, err);
    if (rc == SA_OK)
        rc = sa_zip_finish(z, &size, err);
    if (rc == SA_OK && (buf = sa_malloc(size ? size : 1)) == NULL)
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
    if (rc == SA_OK && (fseeko(f, 0, SEEK_SET) != 0 || fread(buf, 1, size, f) != size))
        rc = sa_error_set(err, SA_EIO, "zip: cannot read the package back");
    sa_zip_writer_free(z);
    fclose(f);
    if (rc != SA_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = size;
    return SA_OK;
}

int sa_zip_code_sha256(char out[64], const uint8_t *bytes, size_t len)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (EVP_Digest(bytes, len, digest, &n, EVP_sha256(), NULL) != 1)
        return SA_EINTERNAL;
    EVP_EncodeBlock((unsigned char *)out, digest, (int)n);
    return SA_OK;
}

int sa_zip_file_sha256(char out[64], FILE *f, sa_error *err)
{
    unsigned char digest[EVP_MAX_MD_SIZE], buf[CHUNK];
    unsigned int n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t got;
    int ok =
        md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && fseeko(f, 0, SEEK_SET) == 0;

    while (ok && (got = fread(buf, 1, sizeof(buf), f)) > 0)
        ok = EVP_DigestUpdate(md, buf, got) == 1;
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(md, digest, &n) == 1;
    EVP_MD_CTX_free(md);
    if (!ok)
        return sa_error_set(err, SA_EIO, "zip: cannot hash the package");
    EVP_EncodeBlock((unsigned char *)out, digest, (int)n);
    return SA_OK;
}
