/*
 * The zip writer (see zip.h): local file header, raw-deflate data, central directory and end
 * record, per the PKWARE APPNOTE, little-endian, no extra fields, DOS time 1980-01-01 00:00.
 */
#include "base/zip.h"
#include "base/alloc.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DOS_TIME 0x0000
#define DOS_DATE 0x0021 /* 1980-01-01 */

static uint8_t *put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v & 0xff);
    p[1] = (uint8_t)((v >> 8) & 0xff);
    return p + 2;
}

static uint8_t *put32(uint8_t *p, unsigned long v)
{
    p = put16(p, (unsigned)(v & 0xffff));
    return put16(p, (unsigned)((v >> 16) & 0xffff));
}

static int deflate_raw(uint8_t **out, size_t *out_len, const uint8_t *in, size_t len, sa_error *err)
{
    z_stream zs;
    uLong bound;
    uint8_t *buf;
    int rc;

    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return sa_error_set(err, SA_ENOMEM, "zlib: could not start deflate");
    bound = deflateBound(&zs, (uLong)len);
    buf = sa_malloc(bound ? bound : 1);
    if (buf == NULL) {
        deflateEnd(&zs);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = buf;
    zs.avail_out = (uInt)bound;
    rc = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return sa_error_set(err, SA_EINTERNAL, "zlib: deflate did not finish");
    }
    *out = buf;
    return SA_OK;
}

int sa_zip_single(uint8_t **out, size_t *out_len, const char *name, const uint8_t *data,
                  size_t data_len, sa_error *err)
{
    size_t name_len = strlen(name), comp_len = 0, total;
    uint8_t *comp = NULL, *zip, *p, *central;
    unsigned long crc;
    int rc;

    *out = NULL;
    if (data_len > 0xfffffffful || name_len > 0xffff)
        return sa_error_set(err, SA_EINVAL, "zip: file too large");
    rc = deflate_raw(&comp, &comp_len, data, data_len, err);
    if (rc != SA_OK)
        return rc;
    crc = crc32(crc32(0L, Z_NULL, 0), data, (uInt)data_len);
    total = 30 + name_len + comp_len + 46 + name_len + 22;
    zip = sa_malloc(total);
    if (zip == NULL) {
        free(comp);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    p = zip;
    /* local file header */
    p = put32(p, 0x04034b50);
    p = put16(p, 20); /* version needed: 2.0 */
    p = put16(p, 0);  /* flags */
    p = put16(p, 8);  /* deflate */
    p = put16(p, DOS_TIME);
    p = put16(p, DOS_DATE);
    p = put32(p, crc);
    p = put32(p, (unsigned long)comp_len);
    p = put32(p, (unsigned long)data_len);
    p = put16(p, (unsigned)name_len);
    p = put16(p, 0); /* extra length */
    memcpy(p, name, name_len);
    p += name_len;
    memcpy(p, comp, comp_len);
    p += comp_len;
    /* central directory */
    central = p;
    p = put32(p, 0x02014b50);
    p = put16(p, 0x0314); /* made by: Unix, 2.0 */
    p = put16(p, 20);
    p = put16(p, 0);
    p = put16(p, 8);
    p = put16(p, DOS_TIME);
    p = put16(p, DOS_DATE);
    p = put32(p, crc);
    p = put32(p, (unsigned long)comp_len);
    p = put32(p, (unsigned long)data_len);
    p = put16(p, (unsigned)name_len);
    p = put16(p, 0);               /* extra */
    p = put16(p, 0);               /* comment */
    p = put16(p, 0);               /* disk */
    p = put16(p, 0);               /* internal attributes */
    p = put32(p, 0100644ul << 16); /* external: -rw-r--r-- */
    p = put32(p, 0);               /* offset of the local header */
    memcpy(p, name, name_len);
    p += name_len;
    /* end of central directory */
    p = put32(p, 0x06054b50);
    p = put16(p, 0);
    p = put16(p, 0);
    p = put16(p, 1);
    p = put16(p, 1);
    p = put32(p, (unsigned long)(46 + name_len));
    p = put32(p, (unsigned long)(central - zip));
    p = put16(p, 0);
    free(comp);
    *out = zip;
    *out_len = (size_t)(p - zip);
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
