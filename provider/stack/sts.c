/*
 * STS steps of SecureApiStack: who the credentials belong to (account and partition), needed for
 * every ARN the stack writes into policies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "stack/steps.h"

int sa_sts_identity(sa_stack_ctx *s, char account[16], char partition[16], char *arn_out,
                    size_t arn_size, sa_error *err)
{
    sa_stack_call c;
    char *acct = NULL, *arn = NULL;
    int rc;

    rc = sa_call_run(s, &c, &(sa_call){.service = "sts", .op = "GetCallerIdentity"}, err);
    if (rc == SA_OK)
        rc = sa_aws_xml_text(&acct, &c.resp, "GetCallerIdentityResult/Account", err);
    if (rc == SA_OK)
        rc = sa_aws_xml_text(&arn, &c.resp, "GetCallerIdentityResult/Arn", err);
    if (rc == SA_OK && (strlen(acct) >= 16 || strncmp(arn, "arn:", 4) != 0))
        rc = sa_error_set(err, SA_EAWS,
                          "STS GetCallerIdentity: unexpected account '%.20s' or "
                          "ARN",
                          acct);
    if (rc == SA_OK) {
        const char *p = arn + 4, *end = strchr(p, ':');
        snprintf(account, 16, "%s", acct);
        if (arn_out != NULL && arn_size > 0)
            snprintf(arn_out, arn_size, "%s", arn);
        if (end != NULL && (size_t)(end - p) < 16)
            snprintf(partition, 16, "%.*s", (int)(end - p), p);
        else
            snprintf(partition, 16, "aws");
    }
    free(acct);
    free(arn);
    sa_stack_call_dispose(&c);
    return rc;
}
