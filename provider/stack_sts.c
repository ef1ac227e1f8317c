/*
 * STS steps of SecureApiStack: who the credentials belong to (account and partition), needed for
 * every ARN the stack writes into policies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack_steps.h"

int sa_sts_identity(sa_stack_ctx *s, sa_stack_state *st, sa_error *err)
{
    sa_stack_call c;
    char *account = NULL, *arn = NULL;
    int rc;

    rc = sa_stack_query(s, &c, "sts", "GetCallerIdentity", NULL, 0, NULL, 0, err);
    if (rc != SA_OK)
        goto cleanup;
    rc = sa_aws_xml_text(&account, &c.resp, "GetCallerIdentityResult/Account", err);
    if (rc != SA_OK)
        goto cleanup;
    snprintf(st->account, sizeof(st->account), "%s", account);
    snprintf(st->partition, sizeof(st->partition), "aws");
    if (sa_aws_xml_text(&arn, &c.resp, "GetCallerIdentityResult/Arn", NULL) == SA_OK &&
        strncmp(arn, "arn:", 4) == 0) {
        const char *p = arn + 4, *end = strchr(p, ':');
        if (end != NULL && (size_t)(end - p) < sizeof(st->partition))
            snprintf(st->partition, sizeof(st->partition), "%.*s", (int)(end - p), p);
    }
cleanup:
    free(account);
    free(arn);
    sa_stack_call_dispose(&c);
    return rc;
}
