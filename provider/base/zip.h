/*
 * A deterministic one-file zip archive built in memory: the Lambda deployment package of a
 * SecureApiStack (index.js). Deflated with zlib, fixed timestamp and attributes, so the same
 * source always gives the same bytes and the same CodeSha256, which is how Read tells whether the
 * deployed code is still the code in the inputs.
 */
#ifndef SA_ZIP_H
#define SA_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Builds a zip holding one file `name` with `data`; *out (malloc'd) and *out_len on success. */
int sa_zip_single(uint8_t **out, size_t *out_len, const char *name, const uint8_t *data,
                  size_t data_len, sa_error *err);

/* Base64 of the SHA-256 of bytes, as Lambda reports CodeSha256 (45 bytes with the NUL). */
int sa_zip_code_sha256(char out[64], const uint8_t *bytes, size_t len);

#endif
