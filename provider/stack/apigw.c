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

/* The REST APIs this stack made (its name and ownership tag) that a listing showed: normally
 * none or one; more only when a run that made one was interrupted and a later one made another
 * beside its search (sa_apigw_create_api keeps the oldest and deletes the rest). */
#define API_SEEN_MAX 8

typedef struct api_seen {
    char id[32];
    char root[32];
    double created; /* createdDate, seconds; 0 when not given */
} api_seen;

typedef struct api_search {
    const sa_stack_inputs *in;
    api_seen seen[API_SEEN_MAX];
    size_t n;
    size_t more; /* owned APIs beyond API_SEEN_MAX */
} api_search;

static int api_page(void *ctx, const sa_stack_call *page, bool *ret_stop, sa_error *err)
{
    api_search *a = ctx;
    const cJSON *it;

    (void)ret_stop;
    (void)err;
    cJSON_ArrayForEach(it, items(page))
    {
        const char *name = sa_json_get(it, "name"), *id = sa_json_get(it, "id");
        const cJSON *created = cJSON_GetObjectItemCaseSensitive(it, "createdDate");
        if (name == NULL || id == NULL || strcmp(name, a->in->api_name) != 0 ||
            !sa_step_owned(cJSON_GetObjectItemCaseSensitive(it, "tags"), a->in))
            continue;
        if (a->n == API_SEEN_MAX) {
            a->more++;
            continue;
        }
        SA_COPY(a->seen[a->n].id, id);
        SA_COPY(a->seen[a->n].root, sa_json_get(it, "rootResourceId"));
        a->seen[a->n].created = cJSON_IsNumber(created) ? created->valuedouble : 0;
        a->n++;
    }
    return SA_OK;
}

/* Lists the APIs this stack made (every page: the search must see them all). */
static int list_own_apis(sa_stack_ctx *s, api_search *a, sa_error *err)
{
    a->n = a->more = 0;
    return sa_call_pages(s,
                         &(sa_call){.service = "apigateway",
                                    .op = "GetRestApis",
                                    .method = "GET",
                                    .path = "/restapis",
                                    .query = page_size,
                                    .query_count = SA_N(page_size),
                                    .retry = &apigw_rules},
                         &apigw_pager, api_page, a, err);
}

/* The oldest (newest) seen API other than `except` (may be NULL), or NULL. */
static const api_seen *pick(const api_search *a, const char *except, bool newest)
{
    const api_seen *best = NULL;

    for (size_t i = 0; i < a->n; i++) {
        if (except != NULL && strcmp(a->seen[i].id, except) == 0)
            continue;
        if (best == NULL ||
            (newest ? a->seen[i].created > best->created : a->seen[i].created < best->created))
            best = &a->seen[i];
    }
    return best;
}

/* Makes the state name the API `api` (none of the newer API's routes, deployment or stage
 * apply), and reads its stage. */
static int adopt_api(sa_stack_ctx *s, sa_stack_state *st, const api_seen *api, sa_error *err)
{
    sa_stack_call c;
    const cJSON *first;
    int rc;

    SA_COPY(st->rest_api_id, api->id);
    SA_COPY(st->root_resource_id, api->root);
    st->proxy_resource_id[0] = st->deployment_id[0] = st->stage_name[0] = '\0';
    st->methods = false;
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

/* The API this stack made (the oldest, or the newest, of those named and tagged as its own) and
 * its stage, into the state. */
static int find_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, bool newest,
                    sa_error *err)
{
    api_search a = {.in = in};
    const api_seen *api;
    int rc = list_own_apis(s, &a, err);

    if (rc == SA_OK && (api = pick(&a, NULL, newest)) != NULL)
        rc = adopt_api(s, st, api, err);
    return rc;
}

/* After CreateRestApi's answer was lost: the API that attempt made is the newest of this
 * stack's (an older one, made by an interrupted run, is dealt with once the search beside
 * the create has answered). */
static int find_lost_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                         sa_error *err)
{
    return find_api(s, in, st, true, err);
}

/* Deletes the REST API `id` (and with it its resources, methods, deployments and stages); one
 * already gone counts as deleted. Used by Delete, and by a create that made an API when an older
 * one of the stack's must be kept. */
static int delete_api(sa_stack_ctx *s, const char *id, sa_error *err)
{
    sa_stack_call c;
    int rc = sa_call_run(s, &c,
                         &(sa_call){.service = "apigateway",
                                    .op = "DeleteRestApi",
                                    .method = "DELETE",
                                    .path = "/restapis/{}",
                                    .labels = {id},
                                    .retry = &apigw_rules},
                         err);

    if (sa_call_not_found(rc, &c))
        rc = SA_OK;
    sa_stack_call_dispose(&c);
    return rc;
}

/* The search for an API an interrupted run of this stack made, run beside CreateRestApi: a
 * create that nothing interrupted before (the common case) then waits for no extra call. */
typedef struct api_lookup {
    sa_stack_ctx *s;
    api_search a;
    int rc;
    sa_error err;
} api_lookup;

static void *lookup_main(void *arg)
{
    api_lookup *l = arg;
    l->rc = list_own_apis(l->s, &l->a, &l->err);
    return NULL;
}

/* The search after an attempt of CreateRestApi whose answer may have been lost; `asked` tells
 * that there was one (an attempt that timed out may still make its API after the search). */
typedef struct lost_search {
    sa_stack_ctx *s;
    const sa_stack_inputs *in;
    sa_stack_state *st;
    bool asked;
} lost_search;

static int lost_search_fn(void *ctx, bool *ret_found, sa_error *err)
{
    lost_search *l = ctx;
    int rc = find_lost_api(l->s, l->in, l->st, err);

    l->asked = true;
    *ret_found = rc == SA_OK && api_found(l->st);
    return rc;
}

/* CreateRestApi; *ret_lost: an attempt's answer was lost (whether its API was found or not). */
static int create_rest_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                           bool *ret_lost, sa_error *err)
{
    sa_json body;
    char desc[200];
    sa_stack_call c;
    lost_search search = {s, in, st, false};
    sa_stack_find find = {lost_search_fn, &search};
    int rc;

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
    *ret_lost = search.asked;
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

/* Keeps the oldest API of the stack's: the one this create made (in the state) is deleted when
 * the search found an older one, which is adopted with its resources, and so is any other the
 * search found (each made by a run that was interrupted). When the new one cannot be deleted the
 * older one is adopted all the same and the new one kept in the state as retired, for the next
 * update or delete to delete (so neither is lost), and the step fails naming both. */
static int keep_oldest(sa_stack_ctx *s, sa_stack_state *st, const api_search *a, sa_error *err)
{
    const api_seen *older = pick(a, st->rest_api_id, false);
    char made[sizeof(st->rest_api_id)];
    sa_error e = {0};
    int rc;

    if (older == NULL)
        return SA_OK;
    SA_COPY(made, st->rest_api_id);
    sa_stack_progress(s,
                      "found REST API %s made earlier (an interrupted run, or an attempt whose "
                      "answer was lost): deleting the new %s",
                      older->id, made);
    if ((rc = delete_api(s, made, &e)) != SA_OK) {
        int arc;
        SA_COPY(st->retired_api_id, made);
        st->rest_api_id[0] = '\0';
        if ((arc = adopt_api(s, st, older, err)) == SA_OK)
            arc = find_resources(s, st, err);
        if (arc != SA_OK)
            return arc;
        return sa_error_set(err, rc,
                            "REST API %s of an interrupted run of this stack was found after %s "
                            "was made, which could not be deleted (the next update or destroy "
                            "deletes it): %s",
                            older->id, made, e.message);
    }
    for (size_t i = 0; i < a->n; i++) {
        if (&a->seen[i] == older || strcmp(a->seen[i].id, made) == 0)
            continue;
        if ((rc = delete_api(s, a->seen[i].id, &e)) != SA_OK)
            return sa_error_set(err, rc, "deleting REST API %s, a duplicate of %s: %s",
                                a->seen[i].id, older->id, e.message);
    }
    if ((rc = adopt_api(s, st, older, err)) != SA_OK)
        return rc;
    return find_resources(s, st, err);
}

int sa_apigw_create_api(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st,
                        sa_error *err)
{
    api_lookup *l;
    pthread_t t;
    bool threaded, lost = false;
    int rc, lrc;
    sa_error e = {0};

    if (st->rest_api_id[0] != '\0')
        return SA_OK;
    /* an API this stack made in an interrupted run is adopted, not kept twice, with whatever
     * resources it already has: the search runs beside the create, and settles after it */
    if ((l = calloc(1, sizeof(*l))) == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    l->s = s;
    l->a.in = in;
    threaded = pthread_create(&t, NULL, lookup_main, l) == 0;
    rc = create_rest_api(s, in, st, &lost, err);
    if (threaded)
        pthread_join(t, NULL);
    else
        lookup_main(l);
    lrc = l->rc;
    /* a failed search is asked once more, after the create; so is one that may have run before
     * an attempt whose answer was lost made its API (such an attempt may make it after the
     * search that followed it, too, when the create was then sent again; and that search took
     * the newest of the stack's APIs, which may have been an older one made in the same second) */
    if (lrc != SA_OK || lost)
        lrc = list_own_apis(s, &l->a, &l->err);
    if (rc != SA_OK) {
        /* no API made (or none known): one of an interrupted run, if seen, is taken instead */
        const api_seen *older = lrc == SA_OK ? pick(&l->a, NULL, false) : NULL;
        if (older != NULL && st->rest_api_id[0] == '\0' &&
            (rc = adopt_api(s, st, older, err)) == SA_OK)
            rc = find_resources(s, st, err);
    } else if (lrc != SA_OK) {
        /* whether an interrupted run made one is unknown: delete the new API and fail, so the
         * next attempt searches again (should the delete fail, the state keeps the new one) */
        rc = sa_error_set(err, lrc, "%s", l->err.message);
        if (delete_api(s, st->rest_api_id, &e) == SA_OK)
            st->rest_api_id[0] = st->root_resource_id[0] = '\0';
    } else if (l->a.more > 0) {
        rc = sa_error_set(err, SA_EAWS,
                          "more than %d REST APIs named %s carry this stack's ownership tag",
                          API_SEEN_MAX, in->api_name);
    } else {
        rc = keep_oldest(s, st, &l->a, err);
    }
    free(l);
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
        rc = find_api(s, in, st, false, err);
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

int sa_apigw_delete_retired(sa_stack_ctx *s, sa_stack_state *st, sa_error *err)
{
    int rc;

    if (st->retired_api_id[0] == '\0')
        return SA_OK;
    sa_stack_progress(s, "deleting REST API %s, a duplicate an earlier create could not delete",
                      st->retired_api_id);
    rc = delete_api(s, st->retired_api_id, err);
    if (rc == SA_OK)
        st->retired_api_id[0] = '\0';
    return rc;
}

int sa_apigw_delete(sa_stack_ctx *s, const sa_stack_inputs *in, sa_stack_state *st, sa_error *err)
{
    int rc;

    (void)in;
    if ((rc = sa_apigw_delete_retired(s, st, err)) != SA_OK)
        return rc;
    if (st->rest_api_id[0] == '\0')
        return SA_OK;
    /* deleting the API deletes its resources, methods, deployments and stages */
    rc = delete_api(s, st->rest_api_id, err);
    if (rc == SA_OK) {
        st->rest_api_id[0] = st->root_resource_id[0] = st->proxy_resource_id[0] = '\0';
        st->deployment_id[0] = st->stage_name[0] = '\0';
        st->methods = false;
    }
    return rc;
}
