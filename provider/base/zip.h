/*
 * A deterministic zip writer: the Lambda deployment package of a SecureApiStack. Entries are
 * streamed into a seekable file (a temporary one), deflated with zlib (level 9, raw), each local
 * header patched with its CRC and sizes once the data is written; every entry has the same fixed
 * DOS time (1980-01-01 00:00), Unix "made by" attributes with the mode normalised to 0644 or
 * 0755 (0755 for directories), no extra fields unless ZIP64 needs them, and the UTF-8 flag for
 * non-ASCII names. The same entries in the same order therefore always give the same bytes and
 * the same CodeSha256, which is how the stack tells whether deployed code is the code in the
 * inputs. ZIP64 records are written only where a size, an offset or the entry count needs them.
 * The caller gives entries in the order they should appear (stack/code.c sorts them).
 */
#ifndef SA_BASE_ZIP_H
#define SA_BASE_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

typedef struct sa_zip_writer sa_zip_writer;

/* Reads up to cap bytes of an entry's data into buf: the count, 0 at the end, -1 on error (with
 * err set). */
typedef long (*sa_zip_read_fn)(void *ctx, uint8_t *buf, size_t cap, sa_error *err);

/* Starts a zip in f (seekable, opened for writing and reading, at offset 0). f stays the
 * caller's. */
int sa_zip_writer_new(sa_zip_writer **out, FILE *f, sa_error *err);
/* Adds a file whose data read() returns; executable keeps the x bits (mode 0755). */
int sa_zip_add_file(sa_zip_writer *z, const char *name, bool executable, sa_zip_read_fn read,
                    void *ctx, sa_error *err);
/* Adds a file from memory. */
int sa_zip_add_bytes(sa_zip_writer *z, const char *name, bool executable, const uint8_t *data,
                     size_t len, sa_error *err);
/* Adds a directory entry ("name/"). */
int sa_zip_add_dir(sa_zip_writer *z, const char *name, sa_error *err);
/* Writes the central directory; *ret_size (may be NULL) gets the zip's size in bytes. */
int sa_zip_finish(sa_zip_writer *z, uint64_t *ret_size, sa_error *err);
/* The sum of the entries' uncompressed sizes so far. */
uint64_t sa_zip_unzipped_size(const sa_zip_writer *z);
void sa_zip_writer_free(sa_zip_writer *z);

/* Builds a zip holding one file `name` with `data`; *out (malloc'd) and *out_len on success. */
int sa_zip_single(uint8_t **out, size_t *out_len, const char *name, const uint8_t *data,
                  size_t data_len, sa_error *err);

/* Base64 of the SHA-256 of bytes, as Lambda reports CodeSha256 (45 bytes with the NUL). */
int sa_zip_code_sha256(char out[64], const uint8_t *bytes, size_t len);
/* The same for the whole content of a file (read from its start). */
int sa_zip_file_sha256(char out[64], FILE *f, sa_error *err);

#endif
