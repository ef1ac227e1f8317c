/*
 * libFuzzer target: SigV4 canonicalisation of arbitrary paths, query strings and header values
 * (the pieces of a request AWS reconstructs to check a signature), each output bounded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    sa_aws_buf b;
    sa_error err = {0};

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    for (int i = 0; i < 4; i++) {
        sa_aws_buf_init(&b, 1 << 20);
        if (i == 0)
            sa_aws_sigv4_canonical_path(&b, s, true, &err);
        else if (i == 1)
            sa_aws_sigv4_canonical_path(&b, s, false, &err);
        else if (i == 2)
            sa_aws_sigv4_canonical_query(&b, s, &err);
        else
            sa_aws_sigv4_canonical_header_value(&b, s, &err);
        sa_aws_buf_dispose(&b);
    }
    free(s);
    return 0;
}
