/*
 * libFuzzer target: any response body (JSON, XML, HTML, garbage) with any status and an optional
 * error-type header through the AWS error parser, which must always produce a bounded, terminated
 * code and message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sa_aws_headers headers = {0};
    sa_aws_error e;
    long status;

    if (size < 2)
        return 0;
    status = 400 + data[0] % 200;
    if (data[1] & 1)
        sa_aws_headers_add(&headers, "x-amzn-ErrorType", "ThrottlingException:http://x/", NULL);
    if (data[1] & 2)
        sa_aws_headers_add(&headers, "x-amzn-RequestId", "fuzz-request", NULL);
    sa_aws_error_parse(&e, status, &headers, data + 2, size - 2);
    if (memchr(e.code, '\0', sizeof(e.code)) == NULL ||
        memchr(e.message, '\0', sizeof(e.message)) == NULL ||
        memchr(e.request_id, '\0', sizeof(e.request_id)) == NULL)
        abort();
    sa_aws_headers_dispose(&headers);
    return 0;
}
