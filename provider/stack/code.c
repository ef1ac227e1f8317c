/*
 * The function's deployment package: the handler code as index.js in a deterministic zip, and its
 * CodeSha256 as Lambda reports it. The one home of the hash that Diff (code drift), Update (code
 * changes) and import (is the deployed code ours?) compare.
 */
#include <stdlib.h>
#include <string.h>

#include "base/zip.h"
#include "stack/state.h"

int sa_stack_code_package(uint8_t **zip, size_t *zip_len, char sha[64], const char *code,
                          sa_error *err)
{
    int rc = sa_zip_single(zip, zip_len, "index.js", (const uint8_t *)code, strlen(code), err);

    if (rc == SA_OK && sa_zip_code_sha256(sha, *zip, *zip_len) != SA_OK) {
        free(*zip);
        *zip = NULL;
        rc = sa_error_set(err, SA_ENOMEM, "could not hash the function package");
    }
    return rc;
}
