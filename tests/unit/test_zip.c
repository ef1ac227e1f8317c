/*
 * Unit tests of the in-memory zip: the archive parses (signatures, sizes, offsets), inflates back
 * to the input with the right CRC, and is byte-for-byte deterministic; CodeSha256 is base64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/zip.h"

static unsigned long get32(const uint8_t *p)
{
    return (unsigned long)p[0] | ((unsigned long)p[1] << 8) | ((unsigned long)p[2] << 16) |
           ((unsigned long)p[3] << 24);
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] | ((unsigned)p[1] << 8);
}

static void test_roundtrip(void **state)
{
    const char *src = "exports.handler = async () => ({ statusCode: 200, body: 'hi' });\n";
    uint8_t *zip = NULL, *zip2 = NULL, out[256];
    size_t len = 0, len2 = 0, comp;
    sa_error err = {0};
    z_stream zs;
    const uint8_t *eocd, *cd;
    (void)state;

    assert_int_equal(sa_zip_single(&zip, &len, "index.js", (const uint8_t *)src, strlen(src), &err),
                     SA_OK);
    assert_int_equal(get32(zip), 0x04034b50ul);
    assert_int_equal(get16(zip + 26), 8);
    assert_memory_equal(zip + 30, "index.js", 8);
    comp = get32(zip + 18);
    assert_int_equal(get32(zip + 22), strlen(src));
    eocd = zip + len - 22;
    assert_int_equal(get32(eocd), 0x06054b50ul);
    assert_int_equal(get16(eocd + 10), 1);
    cd = zip + get32(eocd + 16);
    assert_int_equal(get32(cd), 0x02014b50ul);
    assert_int_equal(get32(cd + 16), get32(zip + 14)); /* same CRC in both headers */

    memset(&zs, 0, sizeof(zs));
    assert_int_equal(inflateInit2(&zs, -15), Z_OK);
    zs.next_in = zip + 30 + 8;
    zs.avail_in = (uInt)comp;
    zs.next_out = out;
    zs.avail_out = sizeof(out);
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.total_out, strlen(src));
    assert_memory_equal(out, src, strlen(src));
    assert_int_equal(crc32(0, out, (uInt)zs.total_out), get32(zip + 14));
    inflateEnd(&zs);

    assert_int_equal(
        sa_zip_single(&zip2, &len2, "index.js", (const uint8_t *)src, strlen(src), &err), SA_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(zip, zip2, len);
    free(zip);
    free(zip2);
}

static void test_code_sha256(void **state)
{
    char b64[64];
    (void)state;
    assert_int_equal(sa_zip_code_sha256(b64, (const uint8_t *)"", 0), SA_OK);
    assert_string_equal(b64, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_code_sha256),
    };
    return cmocka_run_group_tests_name("zip", tests, NULL, NULL);
}
