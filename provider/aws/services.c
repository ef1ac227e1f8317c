/*
 * The service table (see services.h). Values are from each service's API model: STS and IAM speak
 * the Query protocol, KMS and CloudWatch Logs JSON 1.1, Lambda and API Gateway REST-JSON.
 */
#include "aws/services.h"
#include "base/util.h"

#include <string.h>

static const sa_aws_service services[] = {
    {"sts", "STS", "sts", "sts", "STS", SA_AWS_PROTOCOL_QUERY, NULL, "2011-06-15", false},
    {"kms", "KMS", "kms", "kms", "KMS", SA_AWS_PROTOCOL_JSON, "TrentService", "2014-11-01", false},
    {"iam", "IAM", "iam", "iam", "IAM", SA_AWS_PROTOCOL_QUERY, NULL, "2010-05-08", true},
    {"lambda", "Lambda", "lambda", "lambda", "LAMBDA", SA_AWS_PROTOCOL_REST_JSON, NULL,
     "2015-03-31", false},
    {"logs", "CloudWatch Logs", "logs", "logs", "CLOUDWATCH_LOGS", SA_AWS_PROTOCOL_JSON,
     "Logs_20140328", "2014-03-28", false},
    {"apigateway", "API Gateway", "apigateway", "apigateway", "API_GATEWAY",
     SA_AWS_PROTOCOL_REST_JSON, NULL, "2015-07-09", false},
    {"tagging", "Resource Groups Tagging", "tagging", "tagging", "RESOURCE_GROUPS_TAGGING_API",
     SA_AWS_PROTOCOL_JSON, "ResourceGroupsTaggingAPI_20170126", "2017-01-26", false},
};

const sa_aws_service *sa_aws_service_find(const char *id)
{
    for (size_t i = 0; id != NULL && i < SA_N(services); i++) {
        if (strcmp(services[i].id, id) == 0)
            return &services[i];
    }
    return NULL;
}

const sa_aws_service *sa_aws_services(size_t *out_count)
{
    *out_count = SA_N(services);
    return services;
}

const char *sa_aws_protocol_name(sa_aws_protocol p)
{
    switch (p) {
    case SA_AWS_PROTOCOL_JSON:
        return "json";
    case SA_AWS_PROTOCOL_REST_JSON:
        return "rest-json";
    case SA_AWS_PROTOCOL_QUERY:
        return "query";
    }
    return "unknown";
}
