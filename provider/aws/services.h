/*
 * The AWS services the provider calls, as one table of facts: signing name, endpoint host prefix,
 * the suffix of AWS_ENDPOINT_URL_<SERVICE>, the wire protocol, the JSON target prefix and the API
 * version. Callers name a service by its id ("kms") and the client derives everything else.
 */
#ifndef SA_AWS_SERVICES_H
#define SA_AWS_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

typedef enum sa_aws_protocol {
    SA_AWS_PROTOCOL_JSON,      /* JSON 1.1: POST /, X-Amz-Target: <prefix>.<Op> */
    SA_AWS_PROTOCOL_REST_JSON, /* method + path + query, JSON bodies */
    SA_AWS_PROTOCOL_QUERY,     /* POST / form Action=<Op>&Version=..., XML responses */
} sa_aws_protocol;

typedef struct sa_aws_service {
    const char *id;              /* what callers say, also the provider config endpoints key */
    const char *name;            /* for messages: "KMS" */
    const char *signing_name;    /* SigV4 service name */
    const char *endpoint_prefix; /* <prefix>.<region>.amazonaws.com */
    const char *env_suffix;      /* AWS_ENDPOINT_URL_<env_suffix> */
    sa_aws_protocol protocol;
    const char *json_target_prefix; /* JSON 1.1 only */
    const char *api_version;        /* Query: the Version parameter; others: informative */
    bool global;                    /* one endpoint per partition, signed for its home region */
} sa_aws_service;

/* The service with that id, or NULL. */
const sa_aws_service *sa_aws_service_find(const char *id);

/* The whole table. */
const sa_aws_service *sa_aws_services(size_t *out_count);

const char *sa_aws_protocol_name(sa_aws_protocol p);

#endif
