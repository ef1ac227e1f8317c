/*
 * libFuzzer target: a successful response body read as each wire protocol (JSON 1.1 for KMS,
 * REST-JSON for Lambda, Query XML for IAM) and then searched the way the stack's steps read it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/protocol.h"
#include "aws/services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const services[] = {"kms", "lambda", "iam"};
    sa_aws_http_response http = {0};
    sa_aws_response r = {0};
    sa_error err = {0};
    char *text = NULL;

    if (size < 1)
        return 0;
    http.status = 200;
    http.body_len = size - 1;
    http.body = malloc(size);
    if (http.body == NULL)
        return 0;
    memcpy(http.body, data + 1, size - 1);
    http.body[size - 1] = '\0';
    if (sa_aws_protocol_read_success(&r, sa_aws_service_find(services[data[0] % 3]), &http, "fuzz",
                                     &err) == SA_OK) {
        if (sa_aws_xml_text(&text, &r, "GetRoleResult/Role/Arn", &err) == SA_OK)
            free(text);
        (void)sa_aws_xml_find(&r, "ListRolePoliciesResult/PolicyNames");
        sa_aws_response_dispose(&r);
    }
    sa_aws_http_response_dispose(&http);
    return 0;
}
