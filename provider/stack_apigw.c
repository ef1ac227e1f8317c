/*
 * API Gateway steps of SecureApiStack: a REGIONAL REST API; a {proxy+} resource with ANY and the
 * root with GET, both AWS_PROXY integrations (POST) to the function; a deployment once every
 * method and integration exists; the stage. API Gateway's control plane has fixed rate limits
 * (CreateRestApi 1 per 3 s, CreateDeployment 1 per 5 s per account): 429s are retried with
 * backoff for a bounded time, but a quota ("Maximum number of ...") is not.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "stack_steps.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const sa_aws_retry_rule rate_limited[] = {
    {.error_code = "TooManyRequestsException", .budget_ms = 180000, .base_delay_ms = 1000},
    {.error_code = "ConflictException", .message_contains = "in progress", .budget_ms = 60000,
     .base_delay_ms = 1000},
};

static int find_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                    sa_error *err);
static int find_resources(sa_stack_ctx *s, sa_stack_state *st, sa_error *err);

typedef struct api_search {
    sa_stack_ctx *s;
    const sa_stack_inputs *in;
    sa_stack_state *st;
} api_search;

/* For the retries of CreateRestApi (which makes a new API each time it runs): the API an attempt
 * whose answer was lost made. */
static int find_api_made(void *ctx, bool *ret_found, sa_error *err)
{
    api_search *a = ctx;
    int rc = find_api(a->s, a->in, a->st, err);

    *ret_found = rc == SA_OK && a->st->rest_api_id[0] != '\0';
    return rc;
}

int sa_apigw_create_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err)
{
    cJSON *body = cJSON_CreateObject(), *types;
    char desc[200];
    sa_stack_call c;
    api_search search = {s, in, st};
    sa_stack_find find = {find_api_made, &search};
    int rc;

    if (st->rest_api_id[0] != '\0') {
        cJSON_Delete(body);
        return SA_OK;
    }
    /* an API this stack made in an interrupted run is adopted, not made twice, with whatever
     * resources it already has */
    rc = find_api(s, in, st, err);
    if (rc != SA_OK || st->rest_api_id[0] != '\0') {
        cJSON_Delete(body);
        return rc == SA_OK ? find_resources(s, st, err) : rc;
    }
    snprintf(desc, sizeof(desc), "secureapi stack %s: serves %s", in->suffix, in->function_name);
    cJSON_AddStringToObject(body, "name", in->api_name);
    cJSON_AddStringToObject(body, "description", desc);
    types = cJSON_AddArrayToObject(cJSON_AddObjectToObject(body, "endpointConfiguration"), "types");
    cJSON_AddItemToArray(types, cJSON_CreateString("REGIONAL"));
    cJSON_AddItemToObject(body, "tags", sa_stack_tags(in, in->api_name));
    sa_stack_progress(s, "creating the REST API");
    rc = sa_stack_rest_unique(s, &c, "apigateway", "CreateRestApi", "POST", "/restapis", body,
                              rate_limited, N(rate_limited), &find, err);
    if (rc == SA_OK && c.resp.http_status == 0) {
        rc = find_resources(s, st, err); /* found after a lost answer, like an adopted API */
    } else if (rc == SA_OK) {
        const char *id = sa_json_string(c.resp.json, "id");
        const char *root = sa_json_string(c.resp.json, "rootResourceId");
        snprintf(st->rest_api_id, sizeof(st->rest_api_id), "%s", id ? id : "");
        snprintf(st->root_resource_id, sizeof(st->root_resource_id), "%s", root ? root : "");
        if (st->rest_api_id[0] == '\0')
            rc = sa_error_set(err, SA_EAWS, "API Gateway CreateRestApi: the answer has no id");
    }
    sa_stack_call_dispose(&c);
    cJSON_Delete(body);
    return rc;
}

/* Finds the root and {proxy+} resource ids. */
static int find_resources(sa_stack_ctx *s, sa_stack_state *st, sa_error *err)
{
    const char *labels[] = {st->rest_api_id};
    sa_aws_param q[] = {{"limit", "500"}};
    const cJSON *items, *it;
    sa_stack_call c;
    int rc;

    rc = sa_stack_rest(s, &c, "apigateway", "GetResources", "GET", "/restapis/{}/resources",
                       labels, 1, q, 1, NULL, rate_limited, N(rate_limited), err);
    if (rc == SA_OK) {
        st->proxy_resource_id[0] = '\0';
        items = cJSON_GetObjectItemCaseSensitive(c.resp.json, "item");
        if (items == NULL)
            items = cJSON_GetObjectItemCaseSensitive(c.resp.json, "items");
        cJSON_ArrayForEach(it, items)
        {
            const char *path = sa_json_string(it, "path"), *id = sa_json_string(it, "id");
            if (path == NULL || id == NULL)
                continue;
            if (strcmp(path, "/") == 0)
                snprintf(st->root_resource_id, sizeof(st->root_resource_id), "%s", id);
            else if (strcmp(path, "/{proxy+}") == 0)
                snprintf(st->proxy_resource_id, sizeof(st->proxy_resource_id), "%s", id);
        }
    }
    sa_stack_call_dispose(&c);
    return rc;
}

static int put_method(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                      const char *resource, const char *method, sa_error *err)
{
    const char *labels[] = {st->rest_api_id, resource, method};
    cJSON *body = cJSON_CreateObject(), *ibody = cJSON_CreateObject();
    char uri[400];
    sa_stack_call c;
    int rc;

    cJSON_AddStringToObject(body, "authorizationType", "NONE");
    rc = sa_stack_rest(s, &c, "apigateway", "PutMethod", "PUT",
                       "/restapis/{}/resources/{}/methods/{}", labels, 3, NULL, 0, body,
                       rate_limited, N(rate_limited), err);
    if (rc != SA_OK && sa_stack_already_exists(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    if (rc == SA_OK) {
        /* the function's ARN is known before the function exists */
        snprintf(uri, sizeof(uri),
                 "arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/arn:%s:lambda:%s:%s:"
                 "function:%s/invocations",
                 s->partition, s->region, s->partition, s->region, s->account, in->function_name);
        cJSON_AddStringToObject(ibody, "type", "AWS_PROXY");
        cJSON_AddStringToObject(ibody, "httpMethod", "POST");
        cJSON_AddStringToObject(ibody, "integrationHttpMethod", "POST");
        cJSON_AddStringToObject(ibody, "uri", uri);
        rc = sa_stack_rest(s, &c, "apigateway", "PutIntegration", "PUT",
                           "/restapis/{}/resources/{}/methods/{}/integration", labels, 3, NULL, 0,
                           ibody, rate_limited, N(rate_limited), err);
        sa_stack_call_dispose(&c);
    }
    cJSON_Delete(body);
    cJSON_Delete(ibody);
    return rc;
}

typedef struct method_job {
    sa_stack_ctx *s;
    const sa_stack_inputs *in;
    sa_stack_state *st;
    const char *resource;
    const char *method;
    int rc;
    sa_error err;
} method_job;

static void *method_main(void *arg)
{
    method_job *j = arg;
    j->rc = put_method(j->s, j->in, j->st, j->resource, j->method, &j->err);
    return NULL;
}

/* {proxy+} ANY and / GET, side by side (each method's integration follows its method). */
static int put_methods(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                       sa_error *err)
{
    method_job root = {s, in, st, st->root_resource_id, "GET", SA_OK, {0}};
    method_job proxy = {s, in, st, st->proxy_resource_id, "ANY", SA_OK, {0}};
    pthread_t t;
    bool threaded = pthread_create(&t, NULL, method_main, &root) == 0;

    method_main(&proxy);
    if (threaded)
        pthread_join(t, NULL);
    else
        method_main(&root);
    if (proxy.rc != SA_OK)
        return sa_error_set(err, proxy.rc, "%s", proxy.err.message);
    if (root.rc != SA_OK)
        return sa_error_set(err, root.rc, "%s", root.err.message);
    return SA_OK;
}

int sa_apigw_create_routes(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                           sa_error *err)
{
    const char *labels[] = {st->rest_api_id, st->root_resource_id};
    cJSON *body;
    sa_stack_call c;
    int rc = SA_OK;

    if (st->methods)
        return SA_OK;
    /* a new API's answer named its root; an adopted one's resources are looked up */
    if (st->root_resource_id[0] == '\0') {
        rc = find_resources(s, st, err);
        if (rc != SA_OK)
            return rc;
    }
    if (st->proxy_resource_id[0] == '\0') {
        labels[1] = st->root_resource_id;
        body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "pathPart", "{proxy+}");
        rc = sa_stack_rest(s, &c, "apigateway", "CreateResource", "POST",
                           "/restapis/{}/resources/{}", labels, 2, NULL, 0, body, rate_limited,
                           N(rate_limited), err);
        if (rc == SA_OK) {
            const char *id = sa_json_string(c.resp.json, "id");
            snprintf(st->proxy_resource_id, sizeof(st->proxy_resource_id), "%s", id ? id : "");
        } else if (sa_stack_already_exists(rc, &c)) {
            rc = find_resources(s, st, err); /* made by an interrupted run */
        }
        sa_stack_call_dispose(&c);
        cJSON_Delete(body);
        if (rc != SA_OK)
            return rc;
    }
    sa_stack_progress(s, "creating routes and Lambda proxy integrations");
    rc = put_methods(s, in, st, err);
    if (rc == SA_OK)
        st->methods = true;
    return rc;
}

int sa_apigw_deploy(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                    sa_error *err)
{
    const char *labels[] = {st->rest_api_id};
    cJSON *body;
    sa_stack_call c;
    int rc = SA_OK;

    if (st->deployment_id[0] == '\0') {
        body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "description", "secureapi: {proxy+} ANY and / GET");
        sa_stack_progress(s, "deploying the API");
        rc = sa_stack_rest(s, &c, "apigateway", "CreateDeployment", "POST",
                           "/restapis/{}/deployments", labels, 1, NULL, 0, body, rate_limited,
                           N(rate_limited), err);
        if (rc == SA_OK) {
            const char *id = sa_json_string(c.resp.json, "id");
            snprintf(st->deployment_id, sizeof(st->deployment_id), "%s", id ? id : "");
        }
        sa_stack_call_dispose(&c);
        cJSON_Delete(body);
        if (rc != SA_OK)
            return rc;
    }
    if (strcmp(st->stage_name, in->stage_name) != 0) {
        char old_stage[sizeof(st->stage_name)];
        snprintf(old_stage, sizeof(old_stage), "%s", st->stage_name);
        body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "stageName", in->stage_name);
        cJSON_AddStringToObject(body, "deploymentId", st->deployment_id);
        cJSON_AddStringToObject(body, "description", "secureapi stage");
        cJSON_AddItemToObject(body, "tags", sa_stack_tags(in, in->stage_name));
        rc = sa_stack_rest(s, &c, "apigateway", "CreateStage", "POST", "/restapis/{}/stages",
                           labels, 1, NULL, 0, body, rate_limited, N(rate_limited), err);
        if (rc != SA_OK && sa_stack_already_exists(rc, &c))
            rc = SA_OK;
        sa_stack_call_dispose(&c);
        cJSON_Delete(body);
        if (rc != SA_OK)
            return rc;
        snprintf(st->stage_name, sizeof(st->stage_name), "%s", in->stage_name);
        if (old_stage[0] != '\0') {
            /* the stage was renamed: the old one goes once the new one serves */
            const char *dl[] = {st->rest_api_id, old_stage};
            rc = sa_stack_rest(s, &c, "apigateway", "DeleteStage", "DELETE",
                               "/restapis/{}/stages/{}", dl, 2, NULL, 0, NULL, rate_limited,
                               N(rate_limited), err);
            if (rc != SA_OK && sa_stack_not_found(rc, &c))
                rc = SA_OK;
            sa_stack_call_dispose(&c);
        }
    }
    return rc;
}

/* import: finds the API by its name, and its stage */
static int find_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                    sa_error *err)
{
    sa_aws_param q[] = {{"limit", "500"}};
    const cJSON *items, *it;
    sa_stack_call c;
    int rc;

    rc = sa_stack_rest(s, &c, "apigateway", "GetRestApis", "GET", "/restapis", NULL, 0, q, 1,
                       NULL, rate_limited, N(rate_limited), err);
    if (rc == SA_OK) {
        items = cJSON_GetObjectItemCaseSensitive(c.resp.json, "item");
        if (items == NULL)
            items = cJSON_GetObjectItemCaseSensitive(c.resp.json, "items");
        cJSON_ArrayForEach(it, items)
        {
            const char *name = sa_json_string(it, "name"), *id = sa_json_string(it, "id");
            if (name != NULL && id != NULL && strcmp(name, in->api_name) == 0 &&
                sa_stack_owned(cJSON_GetObjectItemCaseSensitive(it, "tags"), in)) {
                const char *root = sa_json_string(it, "rootResourceId");
                snprintf(st->rest_api_id, sizeof(st->rest_api_id), "%s", id);
                if (root != NULL)
                    snprintf(st->root_resource_id, sizeof(st->root_resource_id), "%s", root);
            }
        }
    }
    sa_stack_call_dispose(&c);
    if (rc != SA_OK || st->rest_api_id[0] == '\0')
        return rc;
    {
        const char *labels[] = {st->rest_api_id};
        rc = sa_stack_rest(s, &c, "apigateway", "GetStages", "GET", "/restapis/{}/stages", labels,
                           1, NULL, 0, NULL, rate_limited, N(rate_limited), err);
        if (rc == SA_OK) {
            items = cJSON_GetObjectItemCaseSensitive(c.resp.json, "item");
            it = cJSON_GetArrayItem(items, 0);
            if (it != NULL && sa_json_string(it, "stageName") != NULL)
                snprintf(st->stage_name, sizeof(st->stage_name), "%s",
                         sa_json_string(it, "stageName"));
        }
        sa_stack_call_dispose(&c);
    }
    return rc;
}

int sa_apigw_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    const char *labels[] = {st->rest_api_id, in->stage_name};
    sa_stack_call c;
    int rc;

    if (st->rest_api_id[0] == '\0') {
        rc = find_api(s, in, st, err);
        if (rc != SA_OK || st->rest_api_id[0] == '\0')
            return rc;
        st->methods = true; /* found whole (import): the resources are checked below */
    }
    rc = sa_stack_rest(s, &c, "apigateway", "GetRestApi", "GET", "/restapis/{}", labels, 1, NULL,
                       0, NULL, rate_limited, N(rate_limited), err);
    if (rc != SA_OK) {
        if (sa_stack_not_found(rc, &c)) {
            st->rest_api_id[0] = st->root_resource_id[0] = st->proxy_resource_id[0] = '\0';
            st->deployment_id[0] = st->stage_name[0] = '\0';
            st->methods = false;
            rc = SA_OK;
        }
        sa_stack_call_dispose(&c);
        return rc;
    }
    sa_stack_call_dispose(&c);
    rc = find_resources(s, st, err);
    if (rc != SA_OK)
        return rc;
    st->methods = st->methods && st->proxy_resource_id[0] != '\0';
    if (st->stage_name[0] != '\0')
        labels[1] = st->stage_name;
    rc = sa_stack_rest(s, &c, "apigateway", "GetStage", "GET", "/restapis/{}/stages/{}", labels, 2,
                       NULL, 0, NULL, rate_limited, N(rate_limited), err);
    if (rc == SA_OK) {
        const char *dep = sa_json_string(c.resp.json, "deploymentId");
        if (labels[1] != st->stage_name)
            snprintf(st->stage_name, sizeof(st->stage_name), "%s", labels[1]);
        if (dep != NULL)
            snprintf(st->deployment_id, sizeof(st->deployment_id), "%s", dep);
    } else if (sa_stack_not_found(rc, &c)) {
        st->stage_name[0] = '\0';
        rc = SA_OK;
    }
    sa_stack_call_dispose(&c);
    return rc;
}

int sa_apigw_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                   sa_stack_state *st, sa_error *err)
{
    char arn[300];
    const char *labels[] = {arn};
    cJSON *body;
    sa_aws_param keys[64];
    size_t nk = 0;
    sa_stack_call c;
    int rc = SA_OK;

    for (int pass = 0; pass < 2 && rc == SA_OK; pass++) {
        if (pass == 0)
            snprintf(arn, sizeof(arn), "arn:%s:apigateway:%s::/restapis/%s", s->partition,
                     s->region, st->rest_api_id);
        else if (st->stage_name[0] != '\0')
            snprintf(arn, sizeof(arn), "arn:%s:apigateway:%s::/restapis/%s/stages/%s",
                     s->partition, s->region, st->rest_api_id, st->stage_name);
        else
            break;
        body = cJSON_CreateObject();
        cJSON_AddItemToObject(body, "tags",
                              sa_stack_tags(in, pass == 0 ? in->api_name : in->stage_name));
        rc = sa_stack_rest(s, &c, "apigateway", "TagResource", "PUT", "/tags/{}", labels, 1, NULL,
                           0, body, rate_limited, N(rate_limited), err);
        if (rc == SA_EAWS && c.aws_error.html && c.aws_error.http_status == 404) {
            /* an emulator without the tagging routes (real API Gateway answers JSON): say so
             * rather than fail the whole update over tags */
            sa_engine_log(s->p, SA_SEV_WARNING, s->urn, false,
                          "the API Gateway endpoint has no TagResource; the REST API's tags were "
                          "not updated");
            sa_stack_call_dispose(&c);
            cJSON_Delete(body);
            return SA_OK;
        }
        sa_stack_call_dispose(&c);
        cJSON_Delete(body);
        nk = 0;
        if (rc == SA_OK) {
            const char *gone[N(keys)];
            size_t n = sa_stack_removed_tags(gone, N(keys), old_tags, in);
            for (size_t i = 0; i < n; i++)
                keys[nk++] = (sa_aws_param){"tagKeys", gone[i]};
        }
        if (nk > 0) {
            rc = sa_stack_rest(s, &c, "apigateway", "UntagResource", "DELETE", "/tags/{}", labels,
                               1, keys, nk, NULL, rate_limited, N(rate_limited), err);
            sa_stack_call_dispose(&c);
        }
    }
    return rc;
}

int sa_apigw_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                    sa_error *err)
{
    const char *labels[] = {st->rest_api_id};
    sa_stack_call c;
    int rc;

    (void)in;
    if (st->rest_api_id[0] == '\0')
        return SA_OK;
    /* deleting the API deletes its resources, methods, deployments and stages */
    rc = sa_stack_rest(s, &c, "apigateway", "DeleteRestApi", "DELETE", "/restapis/{}", labels, 1,
                       NULL, 0, NULL, rate_limited, N(rate_limited), err);
    if (rc != SA_OK && sa_stack_not_found(rc, &c))
        rc = SA_OK;
    if (rc == SA_EAWS && c.aws_error.html) {
        /* an emulator that answers a missing API with an HTML 500 (AWS answers 404): ask */
        sa_stack_call g;
        sa_error gerr = {0};
        int grc = sa_stack_rest(s, &g, "apigateway", "GetRestApi", "GET", "/restapis/{}", labels,
                                1, NULL, 0, NULL, rate_limited, N(rate_limited), &gerr);
        if (grc != SA_OK && sa_stack_not_found(grc, &g))
            rc = SA_OK;
        sa_stack_call_dispose(&g);
    }
    if (rc == SA_OK) {
        st->rest_api_id[0] = st->root_resource_id[0] = st->proxy_resource_id[0] = '\0';
        st->deployment_id[0] = st->stage_name[0] = '\0';
        st->methods = false;
    }
    sa_stack_call_dispose(&c);
    return rc;
}
