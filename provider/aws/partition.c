/*
 * The partition table (see partition.h). Sources: botocore/data/endpoints.json (partition
 * regexes, dnsSuffix, the IAM endpoints "iam.amazonaws.com", "iam.cn-north-1.amazonaws.com.cn",
 * "iam.us-gov.amazonaws.com" and their credential scopes us-east-1, cn-north-1, us-gov-west-1);
 * the CloudWatch Logs developer guide, "Encrypt log data in CloudWatch Logs using AWS KMS" (the
 * key policy principal "logs.<region>.amazonaws.com", with the partition's DNS suffix in China).
 */
#include "aws/partition.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

static const sa_aws_partition partitions[] = {
    {.name = "aws-cn",
     .region_prefix = "cn-",
     .dns_suffix = "amazonaws.com.cn",
     .global_region = "cn-north-1",
     .global_label = "cn-north-1",
     .regional_logs_principal = true},
    {.name = "aws-us-gov",
     .region_prefix = "us-gov-",
     .dns_suffix = "amazonaws.com",
     .global_region = "us-gov-west-1",
     .global_label = "us-gov",
     .regional_logs_principal = true},
    /* last: every other region */
    {.name = "aws",
     .region_prefix = "",
     .dns_suffix = "amazonaws.com",
     .global_region = "us-east-1",
     .global_label = "",
     .regional_logs_principal = true},
};

const sa_aws_partition *sa_aws_partition_of_region(const char *region)
{
    for (size_t i = 0; i < SA_N(partitions); i++) {
        const char *prefix = partitions[i].region_prefix;
        if (region != NULL && strncmp(region, prefix, strlen(prefix)) == 0)
            return &partitions[i];
    }
    return &partitions[SA_N(partitions) - 1];
}

const sa_aws_partition *sa_aws_partition_named(const char *name)
{
    for (size_t i = 0; name != NULL && i < SA_N(partitions); i++)
        if (strcmp(partitions[i].name, name) == 0)
            return &partitions[i];
    return NULL;
}

bool sa_aws_arn(char *out, size_t cap, const sa_aws_partition *p, const char *service,
                const char *region, const char *account, const char *resource)
{
    int n = snprintf(out, cap, "arn:%s:%s:%s:%s:%s", p->name, service, region ? region : "",
                     account ? account : "", resource);
    return n >= 0 && (size_t)n < cap;
}

bool sa_aws_service_principal(char *out, size_t cap, const sa_aws_partition *p, const char *service,
                              const char *region)
{
    int n;

    if (strcmp(service, "logs") == 0 && p->regional_logs_principal)
        n = snprintf(out, cap, "logs.%s.%s", region, p->dns_suffix);
    else
        n = snprintf(out, cap, "%s.amazonaws.com", service);
    return n >= 0 && (size_t)n < cap;
}

bool sa_aws_region_name_valid(const char *r)
{
    /* two lowercase letters, then one or more -word parts, then -digits */
    size_t i = 0, parts = 0;

    if (r == NULL || strlen(r) > 32)
        return false;
    if (!islower((unsigned char)r[0]) || !islower((unsigned char)r[1]) || r[2] != '-')
        return false;
    i = 3;
    for (;;) {
        size_t start = i;
        while (islower((unsigned char)r[i]))
            i++;
        if (i == start)
            break;
        parts++;
        if (r[i] != '-')
            return false;
        i++;
    }
    if (parts == 0 || !isdigit((unsigned char)r[i]))
        return false;
    while (isdigit((unsigned char)r[i]))
        i++;
    return r[i] == '\0';
}
