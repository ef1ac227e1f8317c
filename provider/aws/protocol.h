/*
 * The three AWS wire protocols, as request builders and response readers. JSON 1.1 (KMS, Logs):
 * POST / with X-Amz-Target <prefix>.<Op> and Content-Type application/x-amz-json-1.1. REST-JSON
 * (Lambda, API Gateway): the caller's method, path (escaped with sa_aws_path_build; ':' stays raw,
 * as SigV4-checking emulators expect) and query, JSON bodies, Accept application/json. Query
 * (IAM, STS): POST / with a form body Action=<Op>&Version=<api version>&..., XML responses read
 * with libxml2. Signing and User-Agent are added by the client (client.h), not here.
 */
#ifndef SA_AWS_PROTOCOL_H
#define SA_AWS_PROTOCOL_H

#include <cjson/cJSON.h>
#include <libxml/tree.h>
#include <stddef.h>

#include "aws/buf.h"
#include "aws/endpoints.h"
#include "aws/errors.h"
#include "aws/http.h"
#include "aws/services.h"
#include "base/error.h"

/* A name/value pair; both borrowed and raw (not yet encoded). */
typedef struct sa_aws_param {
    const char *name;
    const char *value;
} sa_aws_param;

/* One AWS operation, as a service module describes it. Everything is borrowed for the call. */
typedef struct sa_aws_operation {
    const char *service; /* a service id: "kms", "iam", "lambda", ... */
    const char *name;    /* the operation: "CreateKey", "ListRoles", "ListFunctions" */
    /* REST-JSON only */
    const char *method;        /* "GET", "POST", "PUT", "DELETE", "PATCH" */
    const char *path;          /* wire path from sa_aws_path_build, without the endpoint's path */
    const sa_aws_param *query; /* raw; encoded here */
    size_t query_count;
    const sa_aws_param *headers; /* extra request headers */
    size_t header_count;
    /* JSON 1.1 and REST-JSON: the JSON body; NULL means "{}" for JSON 1.1 and none for REST */
    const char *body;
    size_t body_len; /* 0: strlen(body) */
    /* Query only: parameters besides Action and Version */
    const sa_aws_param *params;
    size_t param_count;
} sa_aws_operation;

/* Builds the unsigned request for op against endpoint ep. */
int sa_aws_protocol_build(sa_aws_http_request *out, const sa_aws_service *svc,
                          const sa_aws_operation *op, const sa_aws_endpoint *ep, sa_error *err);

/* Expands a path template: each "{}" becomes the next label with every byte outside the
 * unreserved set and ':' percent-encoded; "{+}" does the same but keeps '/'. Example:
 * ("/2015-03-31/functions/{}/configuration", {"my-fn"}). */
int sa_aws_path_build(char **out, const char *tmpl, const char *const *labels, size_t label_count,
                      sa_error *err);

/* name=value&... with strict percent-encoding (space as %20), in the given order. */
int sa_aws_form_encode(sa_aws_buf *out, const sa_aws_param *params, size_t count, sa_error *err);

/* A successful response. */
typedef struct sa_aws_response {
    long http_status;
    char request_id[SA_AWS_REQUEST_ID_MAX];
    sa_aws_headers headers;
    unsigned char *body; /* NUL-terminated; NULL when empty */
    size_t body_len;
    cJSON *json;  /* JSON 1.1 / REST-JSON: the parsed body; NULL when empty or not JSON */
    xmlDoc *xml;  /* Query: the parsed body */
    int attempts; /* how many attempts the call took */
} sa_aws_response;

void sa_aws_response_dispose(sa_aws_response *r);

/* Turns a 2xx HTTP response into *out, taking over its headers and body (http is left empty).
 * `what` names the call for messages ("KMS CreateKey"). */
int sa_aws_protocol_read_success(sa_aws_response *out, const sa_aws_service *svc,
                                 sa_aws_http_response *http, const char *what, sa_error *err);

/* The element at a path of local names under the document root: the first step is searched at
 * any depth, later steps among children ("GetCallerIdentityResult/Account"). NULL when absent. */
xmlNode *sa_aws_xml_find(const sa_aws_response *r, const char *path);
/* Its text content, copied into *out (the caller frees it); SA_ENOTFOUND when absent. */
int sa_aws_xml_text(char **out, const sa_aws_response *r, const char *path, sa_error *err);

#endif
