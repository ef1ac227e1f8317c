/*
 * The function's deployment package (code.c): built from lambdaCode (a Pulumi archive) or
 * lambdaHandlerCode (index.js), deterministic, within Lambda's size limits, kept in a temporary
 * file, with its CodeSha256.
 */
#ifndef SA_STACK_CODE_H
#define SA_STACK_CODE_H

#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/value.h"

/* Lambda's limits for a .zip deployment package uploaded directly. */
#define SA_CODE_MAX_ZIPPED (50ull << 20)
#define SA_CODE_MAX_UNZIPPED (250ull << 20)
#define SA_CODE_LIMITS_SOURCE                                                                      \
    "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: deployment "         \
    "package 50 MB zipped for direct upload, 250 MB unzipped"

typedef struct sa_code {
    FILE *zip;         /* the package, a temporary file (gone when closed) */
    uint64_t zipped;   /* its size */
    uint64_t unzipped; /* the sum of its files' sizes */
    char sha256[64];   /* base64 SHA-256, as Lambda reports CodeSha256 */
} sa_code;

/* Packages code (an archive value, may be NULL) or else handler_code. Errors name the property
 * (lambdaCode or lambdaHandlerCode) and, for a limit, the size and the limit. */
int sa_code_package(sa_code *out, const sa_value *code, const char *handler_code, sa_error *err);
void sa_code_dispose(sa_code *c);

/* Only the CodeSha256 of the package. */
int sa_code_sha256(char out[64], const sa_value *code, const char *handler_code, sa_error *err);

/* json with marker replaced by the package in base64, written straight into the one buffer the
 * request needs (a 50 MB package is a 67 MB request). */
int sa_code_splice(char **out, size_t *out_len, const char *json, const char *marker,
                   const sa_code *code, sa_error *err);

#endif
