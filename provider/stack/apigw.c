/*
 * API Gateway steps of SecureApiStack: a REGIONAL REST API; a {proxy+} resource with ANY and the
 * root with GET, both AWS_PROXY integrations (POST) to the function with API Gateway's 29-second
 * integration timeout; a deployment once every method and integration exists; the stage.
 * API Gateway's control plane has fixed per-account rates (CreateRestApi 1 per 3 s,
 * CreateDeployment 1 per 5 s, DeleteRestApi 1 per 30 s): 429s are retried with backoff for a
 * bounded time, a quota ("Maximum number of ...") is not; parallel writes to one API answer 409
 * ConflictException "concurrent modification", which is retried and never taken for "already
 * exists". Lists page with `position`.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "stack/limits.h"
#include "stack/steps.h"

static const sa_aws_retry_rule control_plane[] = {
    {.error_code = "TooManyRequestsException", .budget_ms = 180000, .base_delay_ms = 1000},
    {.error_code = "ConflictException",
     .message_contains = "concurrent modification",
     .budget_ms = 60000,
     .base_delay_ms = 500},
    {.error_code = "BadRequestException",
     .message_contains = "concurrent modification",
     .budget_ms = 60000,
     .base_delay_ms = 500},
};
/* Every API Gateway call: the rate limits and concurrent modifications of the control plane. */
static const sa_retry_rules apigw_rules = SA_RETRY_RULES(control_plane);

/* Lists (GetRestApis, GetResources) page with `position`, at most 500 items a page. */
static const sa_aws_param page_size[] = {{"limit", "500"}};
static const sa_pager apigw_pager = {.request_token = "position", .response_token = "position"};

/* API Gateway says "already exists" (or "already has this name") with a 409 ConflictException;
 * the same code with "concurrent modification" is a retryable race, not an existing object. */
static bool exists(int rc, const sa_stack_call *c)
{
    return sa_call_error_is(rc, c, "ConflictException", "already");
}

/* The items of a list answer: the model's `items` member, "item" on the wire. */
static const cJSON *items(const sa_stack_call *c)
{
    return cJSON_GetObjectItemCaseSensitive(c->resp.json, "item");
}

/* ---- the REST API ---- */

typedef struct api_search {
    const sa_stack_inputs *in;
    sa_stack_state *st;
} api_search;

static int api_page(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err)
{
    api_search *a = ctx;
    const cJSON *it;

    (void)err;
    cJSON_ArrayForEach(it, items(page))
    {
        const char *name = sa_json_get(it, "name"), *id = sa_json_get(it, "id");
        if (name != NULL && id != NULL && strcmp(name, a->in->api_name) == 0 &&
            sa_step_owned(cJSON_GetObjectItemCaseSensitive(it, "tags"), a->in)) {
            SA_COPY(a->st->rest_api_id, id);
            SA_COPY(a->st->root_resource_id, sa_json_get(it, "rootResourceId"));
            *ret_stop = true;
        }
    }
    return SA_OK;
}

/* The API this stack made (by its name and ownership tag), and its stage. */
static int find_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    api_search a = {in, st};
    sa_stack_call c;
    const cJSON *first;
    int rc;

    rc = sa_call_pages(s,
                       &(sa_call){.service = "apigateway",
                                  .op = "GetRestApis",
                                  .method = "GET",
                                  .path = "/restapis",
                                  .query = page_size,
                                  .query_count = SA_N(page_size),
                                  .retry = &apigw_rules},
                       &apigw_pager, api_page, &a, err);
    if (rc != SA_OK || st->rest_api_id[0] == '\0')
        return rc;
    rc = sa_call_run(s, &c,
                     &(sa_call){.service = "apigateway",
                                .op = "GetStages",
                                .method = "GET",
                                .path = "/restapis/{}/stages",
                                .labels = {st->rest_api_id},
                                .retry = &apigw_rules},
                     err);
    first = rc == SA_OK ? cJSON_GetArrayItem(items(&c), 0) : NULL;
    if (sa_json_get(first, "stageName") != NULL) {
        SA_COPY(st->stage_name, sa_json_get(first, "stageName"));
        SA_COPY(st->deployment_id, sa_json_get(first, "deploymentId"));
    }
    sa_stack_call_dispose(&c);
    return rc;
}

static bool api_found(const sa_stack_state *st)
{
    return st->rest_api_id[0] != '\0';
}

typedef struct resources {
    sa_stack_state *st;
} resources;

static int resource_page(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err)
{
    resources *r = ctx;
    const cJSON *it;

    (void)ret_stop;
    (void)err;
    cJSON_ArrayForEach(it, items(page))
    {
        const char *path = sa_json_get(it, "path"), *id = sa_json_get(it, "id");
        if (path == NULL || id == NULL)
            continue;
        if (strcmp(path, "/") == 0)
            SA_COPY(r->st->root_resource_id, id);
        else if (strcmp(path, "/{proxy+}") == 0)
            SA_COPY(r->st->proxy_resource_id, id);
    }
    return SA_OK;
}

/* Finds the root and {proxy+} resource ids. */
static int find_resources(sa_stack_ctx *s, sa_stack_state *st, sa_error *err)
{
    resources r = {st};

    st->proxy_resource_id[0] = '\0';
    return sa_call_pages(s,
                         &(sa_call){.service = "apigateway",
                                    .op = "GetResources",
                                    .method = "GET",
                                    .path = "/restapis/{}/resources",
                                    .labels = {st->rest_api_id},
                                    .query = page_size,
                                    .query_count = SA_N(page_size),
                                    .retry = &apigw_rules},
                         &apigw_pager, resource_page, &r, err);
}

static int look_for_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err)
{
    return find_api(s, in, st, err);
}

int sa_apigw_create_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err)
{
    sa_json body;
    char desc[200];
    sa_stack_call c;
    sa_search search = {s, in, st, look_for_api, api_found};
    sa_stack_find find = sa_step_find(&search);
    int rc;

    if (st->rest_api_id[0] != '\0')
        return SA_OK;
    /* an API this stack made in an interrupted run is adopted, not made twice, with whatever
     * resources it already has */
    rc = find_api(s, in, st, err);
    if (rc != SA_OK || st->rest_api_id[0] != '\0')
        return rc == SA_OK ? find_resources(s, st, err) : rc;
    snprintf(desc, sizeof(desc), "secureapi stack %s: serves %s", in->suffix, in->function_name);
    sa_json_init(&body);
    sa_json_string(&body, body.root, "name", in->api_name);
    sa_json_string(&body, body.root, "description", desc);
    sa_json_string(
        &body,
        sa_json_array(&body, sa_json_object(&body, body.root, "endpointConfiguration"), "types"),
        NULL, "REGIONAL");
    sa_step_tags(&body, "tags", SA_TAGS_MAP, in, in->api_name);
    sa_stack_progress(s, "creating the REST API");
    rc = sa_call_run(s, &c,
                     &(sa_call){.service = "apigateway",
                                .op = "CreateRestApi",
                                .method = "POST",
                                .path = "/restapis",
                                .body = &body,
                                .retry = &apigw_rules,
                                .find = &find},
                     err);
    if (rc == SA_OK && c.resp.http_status == 0) {
        rc = find_resources(s, st, err); /* found after a lost answer, like an adopted API */
    } else if (rc == SA_OK) {
        if (sa_json_get(c.resp.json, "id") == NULL)
            rc = sa_error_set(err, SA_EAWS, "API Gateway CreateRestApi: the answer has no id");
        SA_COPY(st->rest_api_id, sa_json_get(c.resp.json, "id"));
        SA_COPY(st->root_resource_id, sa_json_get(c.resp.json, "rootResourceId"));
        /* a new API: no deployment, stage or routes of an older one apply */
        st->proxy_resource_id[0] = st->deployment_id[0] = st->stage_name[0] = '\0';
        st->methods = false;
    }
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    return rc;
}

/* ---- routes ---- */

static int put_method(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                      const char *resource, const char *method, sa_error *err)
{
    sa_json body;
    char fn_arn[300], uri[600];
    sa_stack_call c;
    sa_call call = {.service = "apigateway",
                    .op = "PutMethod",
                    .method = "PUT",
                    .path = "/restapis/{}/resources/{}/methods/{}",
                    .labels = {st->rest_api_id, resource, method},
                    .body = &body,
                    .retry = &apigw_rules};
    int rc;

    sa_json_init(&body);
    sa_json_string(&body, body.root, "authorizationType", "NONE");
    rc = sa_call_run(s, &c, &call, err);
    if (exists(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    if (rc != SA_OK)
        return rc;
    /* the function's ARN is known before the function exists */
    sa_step_function_arn(fn_arn, sizeof(fn_arn), s, in->function_name);
    snprintf(uri, sizeof(uri),
             "arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/"
             "invocations",
             s->partition->name, s->region, fn_arn);
    sa_json_init(&body);
    sa_json_string(&body, body.root, "type", "AWS_PROXY");
    /* integrationHttpMethod: "httpMethod" on the wire (the model's locationName) */
    sa_json_string(&body, body.root, "httpMethod", "POST");
    sa_json_string(&body, body.root, "uri", uri);
    /* API Gateway's default, stated: a request waits at most 29 s for the function */
    sa_json_number(&body, body.root, "timeoutInMillis", SA_APIGW_INTEGRATION_TIMEOUT_S * 1000);
    call.op = "PutIntegration";
    call.path = "/restapis/{}/resources/{}/methods/{}/integration";
    rc = sa_call_run(s, &c, &call, err);
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
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
    sa_json body;
    sa_stack_call c;
    int rc = SA_OK;

    if (st->methods)
        return SA_OK;
    /* a new API's answer named its root; an adopted one's resources are looked up */
    if (st->root_resource_id[0] == '\0' && (rc = find_resources(s, st, err)) != SA_OK)
        return rc;
    if (st->proxy_resource_id[0] == '\0') {
        sa_json_init(&body);
        sa_json_string(&body, body.root, "pathPart", "{proxy+}");
        rc = sa_call_run(s, &c,
                         &(sa_call){.service = "apigateway",
                                    .op = "CreateResource",
                                    .method = "POST",
                                    .path = "/restapis/{}/resources/{}",
                                    .labels = {st->rest_api_id, st->root_resource_id},
                                    .body = &body,
                                    .retry = &apigw_rules},
                         err);
        if (rc == SA_OK)
            SA_COPY(st->proxy_resource_id, sa_json_get(c.resp.json, "id"));
        else if (exists(rc, &c))
            rc = find_resources(s, st, err); /* made by an interrupted run */
        sa_stack_call_dispose(&c);
        sa_json_dispose(&body);
        if (rc == SA_OK && st->proxy_resource_id[0] == '\0')
            rc = sa_error_set(err, SA_EAWS, "API Gateway CreateResource: no {proxy+} resource");
        if (rc != SA_OK)
            return rc;
    }
    sa_stack_progress(s, "creating routes and Lambda proxy integrations");
    rc = put_methods(s, in, st, err);
    if (rc == SA_OK)
        st->methods = true;
    return rc;
}

/* ---- deployment and stage ---- */

static int delete_stage(sa_stack_ctx *s, sa_stack_state *st, const char *stage, sa_error *err)
{
    sa_stack_call c;
    int rc = sa_call_run(s, &c,
                         &(sa_call){.service = "apigateway",
                                    .op = "DeleteStage",
                                    .method = "DELETE",
                                    .path = "/restapis/{}/stages/{}",
                                    .labels = {st->rest_api_id, stage},
                                    .retry = &apigw_rules},
                         err);
    if (sa_call_not_found(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    return rc;
}

int sa_apigw_deploy(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_json body;
    sa_stack_call c;
    char old_stage[sizeof(st->stage_name)];
    int rc = SA_OK;

    if (st->deployment_id[0] == '\0') {
        sa_json_init(&body);
        sa_json_string(&body, body.root, "description", "secureapi: {proxy+} ANY and / GET");
        sa_stack_progress(s, "deploying the API");
        rc = sa_call_run(s, &c,
                         &(sa_call){.service = "apigateway",
                                    .op = "CreateDeployment",
                                    .method = "POST",
                                    .path = "/restapis/{}/deployments",
                                    .labels = {st->rest_api_id},
                                    .body = &body,
                                    .retry = &apigw_rules},
                         err);
        if (rc == SA_OK && sa_json_get(c.resp.json, "id") == NULL)
            rc = sa_error_set(err, SA_EAWS, "API Gateway CreateDeployment: the answer has no id");
        if (rc == SA_OK)
            SA_COPY(st->deployment_id, sa_json_get(c.resp.json, "id"));
        sa_stack_call_dispose(&c);
        sa_json_dispose(&body);
        if (rc != SA_OK)
            return rc;
    }
    if (strcmp(st->stage_name, in->stage_name) == 0)
        return SA_OK;
    SA_COPY(old_stage, st->stage_name);
    sa_json_init(&body);
    sa_json_string(&body, body.root, "stageName", in->stage_name);
    sa_json_string(&body, body.root, "deploymentId", st->deployment_id);
    sa_json_string(&body, body.root, "description", "secureapi stage");
    sa_step_tags(&body, "tags", SA_TAGS_MAP, in, in->stage_name);
    rc = sa_call_run(s, &c,
                     &(sa_call){.service = "apigateway",
                                .op = "CreateStage",
                                .method = "POST",
                                .path = "/restapis/{}/stages",
                                .labels = {st->rest_api_id},
                                .body = &body,
                                .retry = &apigw_rules},
                     err);
    if (exists(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    sa_json_dispose(&body);
    if (rc != SA_OK)
        return rc;
    SA_COPY(st->stage_name, in->stage_name);
    /* the stage was renamed: the old one goes once the new one serves */
    return old_stage[0] != '\0' ? delete_stage(s, st, old_stage, err) : SA_OK;
}

/* ---- read, tags, delete ---- */

int sa_apigw_read(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    const char *stage = st->stage_name[0] != '\0' ? st->stage_name : in->stage_name;
    char stage_copy[sizeof(st->stage_name)];
    sa_stack_call c;
    int rc;

    if (st->rest_api_id[0] == '\0') {
        /* import: find it whole; its resources are checked below */
        rc = find_api(s, in, st, err);
        if (rc != SA_OK || st->rest_api_id[0] == '\0')
            return rc;
        st->methods = true;
    }
    rc = sa_call_run(s, &c,
                     &(sa_call){.service = "apigateway",
                                .op = "GetRestApi",
                                .method = "GET",
                                .path = "/restapis/{}",
                                .labels = {st->rest_api_id},
                                .retry = &apigw_rules},
                     err);
    if (sa_call_not_found(rc, &c)) {
        st->rest_api_id[0] = st->root_resource_id[0] = st->proxy_resource_id[0] = '\0';
        st->deployment_id[0] = st->stage_name[0] = '\0';
        st->methods = false;
        rc = SA_OK;
    }
    sa_stack_call_dispose(&c);
    if (rc != SA_OK || st->rest_api_id[0] == '\0')
        return rc;
    if ((rc = find_resources(s, st, err)) != SA_OK)
        return rc;
    st->methods = st->methods && st->proxy_resource_id[0] != '\0';
    SA_COPY(stage_copy, stage);
    rc = sa_call_run(s, &c,
                     &(sa_call){.service = "apigateway",
                                .op = "GetStage",
                                .method = "GET",
                                .path = "/restapis/{}/stages/{}",
                                .labels = {st->rest_api_id, stage_copy},
                                .retry = &apigw_rules},
                     err);
    if (rc == SA_OK) {
        SA_COPY(st->stage_name, stage_copy);
        if (sa_json_get(c.resp.json, "deploymentId") != NULL)
            SA_COPY(st->deployment_id, sa_json_get(c.resp.json, "deploymentId"));
    } else if (sa_call_not_found(rc, &c)) {
        st->stage_name[0] = '\0';
        rc = SA_OK;
    }
    sa_stack_call_dispose(&c);
    return rc;
}

/* The ARNs API Gateway tags: the REST API, and its stage. */
static void tag_arn(char *out, size_t cap, const sa_stack_ctx *s, const sa_stack_state *st,
                    bool stage)
{
    char resource[200];

    if (stage)
        snprintf(resource, sizeof(resource), "/restapis/%s/stages/%s", st->rest_api_id,
                 st->stage_name);
    else
        snprintf(resource, sizeof(resource), "/restapis/%s", st->rest_api_id);
    if (!sa_aws_arn(out, cap, s->partition, "apigateway", s->region, "", resource) && cap)
        out[0] = '\0';
}

int sa_apigw_retag(sa_stack_ctx *s, const sa_stack_inputs *in, const sa_value *old_tags,
                   sa_stack_state *st, sa_error *err)
{
    static const sa_tagging tagging = {.service = "apigateway",
                                       .tag_op = "TagResource",
                                       .untag_op = "UntagResource",
                                       .tag_method = "PUT",
                                       .path = "/tags/{}",
                                       .form = SA_TAGS_MAP,
                                       .tags_member = "tags",
                                       .keys_member = "tagKeys",
                                       .retry = &apigw_rules};
    char arn[300];
    int rc;

    if (st->rest_api_id[0] == '\0')
        return SA_OK;
    tag_arn(arn, sizeof(arn), s, st, false);
    rc = sa_step_retag(s, in, old_tags, &tagging, arn, in->api_name, err);
    if (rc == SA_OK && st->stage_name[0] != '\0') {
        tag_arn(arn, sizeof(arn), s, st, true);
        rc = sa_step_retag(s, in, old_tags, &tagging, arn, in->stage_name, err);
    }
    return rc;
}

int sa_apigw_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    sa_stack_call c;
    int rc;

    (void)in;
    if (st->rest_api_id[0] == '\0')
        return SA_OK;
    /* deleting the API deletes its resources, methods, deployments and stages */
    rc = sa_call_run(s, &c,
                     &(sa_call){.service = "apigateway",
                                .op = "DeleteRestApi",
                                .method = "DELETE",
                                .path = "/restapis/{}",
                                .labels = {st->rest_api_id},
                                .retry = &apigw_rules},
                     err);
    if (sa_call_not_found(rc, &c))
        rc = SA_OK;
    if (rc == SA_OK) {
        st->rest_api_id[0] = st->root_resource_id[0] = st->proxy_resource_id[0] = '\0';
        st->deployment_id[0] = st->stage_name[0] = '\0';
        st->methods = false;
    }
    sa_stack_call_dispose(&c);
    return rc;
}
