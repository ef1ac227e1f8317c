/*
 * Request building and success-response reading for JSON 1.1, REST-JSON and Query (see
 * protocol.h).
 */
#include "aws/protocol.h"
#include "base/alloc.h"
#include "base/util.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/uri.h"

#define JSON_CONTENT_TYPE "application/x-amz-json-1.1"
#define FORM_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"

int sa_aws_form_encode(sa_aws_buf *out, const sa_aws_param *params, size_t count, sa_error *err)
{
    int rc = SA_OK;

    for (size_t i = 0; i < count && rc == SA_OK; i++) {
        if (params[i].name == NULL || params[i].name[0] == '\0')
            return sa_error_set(err, SA_EINVAL, "a request parameter has no name");
        if (out->len > 0)
            rc = sa_aws_buf_putc(out, '&', err);
        if (rc == SA_OK)
            rc = sa_aws_uri_encode(out, params[i].name, strlen(params[i].name), NULL, err);
        if (rc == SA_OK)
            rc = sa_aws_buf_putc(out, '=', err);
        if (rc == SA_OK && params[i].value != NULL)
            rc = sa_aws_uri_encode(out, params[i].value, strlen(params[i].value), NULL, err);
    }
    return rc;
}

int sa_aws_path_build(char **out, const char *tmpl, const char *const *labels, size_t label_count,
                      sa_error *err)
{
    sa_aws_buf b;
    size_t used = 0;
    int rc = SA_OK;

    sa_aws_buf_init(&b, SA_AWS_BUF_DEFAULT_MAX);
    if (tmpl == NULL || tmpl[0] != '/') {
        rc = sa_error_set(err, SA_EINVAL, "a request path must start with '/'");
        goto out;
    }
    for (const char *p = tmpl; *p && rc == SA_OK;) {
        bool greedy = strncmp(p, "{+}", 3) == 0;
        if (greedy || strncmp(p, "{}", 2) == 0) {
            const char *label;
            if (used >= label_count || labels[used] == NULL) {
                rc = sa_error_set(err, SA_EINVAL, "path template %s needs more labels", tmpl);
                goto out;
            }
            label = labels[used++];
            if (label[0] == '\0') {
                rc = sa_error_set(err, SA_EINVAL, "an empty value for a path label in %s", tmpl);
                goto out;
            }
            rc = sa_aws_uri_encode(&b, label, strlen(label), greedy ? ":/" : ":", err);
            p += greedy ? 3 : 2;
        } else {
            rc = sa_aws_buf_putc(&b, *p++, err);
        }
    }
    if (rc == SA_OK && used != label_count)
        rc = sa_error_set(err, SA_EINVAL, "path template %s has fewer labels than given", tmpl);
    if (rc == SA_OK)
        rc = sa_aws_buf_detach(out, &b, err);
out:
    sa_aws_buf_dispose(&b);
    return rc;
}

static int dupstr(char **dst, const char *src, sa_error *err)
{
    *dst = sa_strdup(src);
    return *dst != NULL ? SA_OK : sa_error_set(err, SA_ENOMEM, "out of memory");
}

static int set_body(sa_aws_http_request *req, const char *body, size_t len, sa_error *err)
{
    if (len == 0)
        return SA_OK;
    req->body = sa_malloc(len);
    if (req->body == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    memcpy(req->body, body, len);
    req->body_len = len;
    return SA_OK;
}

/* origin, path = base_path + op_path */
static int set_target(sa_aws_http_request *req, const sa_aws_endpoint *ep, const char *op_path,
                      sa_error *err)
{
    size_t n;
    int rc = dupstr(&req->origin, ep->origin, err);

    if (rc != SA_OK)
        return rc;
    if (op_path == NULL || op_path[0] != '/')
        return sa_error_set(err, SA_EINVAL, "a request path must start with '/'");
    n = strlen(ep->base_path) + strlen(op_path) + 1;
    req->path = sa_malloc(n);
    if (req->path == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    snprintf(req->path, n, "%s%s", ep->base_path, op_path);
    return SA_OK;
}

static bool valid_op_name(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return false;
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s))
            return false;
    }
    return true;
}

static int build_json(sa_aws_http_request *req, const sa_aws_service *svc,
                      const sa_aws_operation *op, sa_error *err)
{
    char target[160];
    const char *body = op->body != NULL ? op->body : "{}";
    size_t len = op->body != NULL ? (op->body_len ? op->body_len : strlen(op->body)) : 2;
    int rc = dupstr(&req->method, "POST", err);

    snprintf(target, sizeof(target), "%s.%s", svc->json_target_prefix, op->name);
    if (rc == SA_OK)
        rc = sa_aws_headers_add(&req->headers, "Content-Type", JSON_CONTENT_TYPE, err);
    if (rc == SA_OK)
        rc = sa_aws_headers_add(&req->headers, "X-Amz-Target", target, err);
    if (rc == SA_OK)
        rc = set_body(req, body, len, err);
    return rc;
}

static int build_query(sa_aws_http_request *req, const sa_aws_service *svc,
                       const sa_aws_operation *op, sa_error *err)
{
    sa_aws_buf form;
    sa_aws_param fixed[2] = {{"Action", op->name}, {"Version", svc->api_version}};
    int rc = dupstr(&req->method, "POST", err);

    sa_aws_buf_init(&form, SA_AWS_BUF_DEFAULT_MAX);
    if (rc == SA_OK)
        rc = sa_aws_form_encode(&form, fixed, 2, err);
    if (rc == SA_OK)
        rc = sa_aws_form_encode(&form, op->params, op->param_count, err);
    if (rc == SA_OK)
        rc = sa_aws_headers_add(&req->headers, "Content-Type", FORM_CONTENT_TYPE, err);
    if (rc == SA_OK)
        rc = set_body(req, form.data, form.len, err);
    sa_aws_buf_cleanse_dispose(&form);
    return rc;
}

static bool valid_method(const char *m)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};
    for (size_t i = 0; m != NULL && i < SA_N(methods); i++) {
        if (strcmp(m, methods[i]) == 0)
            return true;
    }
    return false;
}

static int build_rest(sa_aws_http_request *req, const sa_aws_operation *op, sa_error *err)
{
    sa_aws_buf query;
    int rc;

    if (!valid_method(op->method))
        return sa_error_set(err, SA_EINVAL, "%s: unsupported HTTP method %s", op->name,
                            op->method ? op->method : "(none)");
    sa_aws_buf_init(&query, SA_AWS_BUF_DEFAULT_MAX);
    rc = dupstr(&req->method, op->method, err);
    if (rc == SA_OK)
        rc = sa_aws_form_encode(&query, op->query, op->query_count, err);
    if (rc == SA_OK && query.len > 0)
        rc = sa_aws_buf_detach(&req->query, &query, err);
    if (rc == SA_OK)
        rc = sa_aws_headers_add(&req->headers, "Accept", "application/json", err);
    if (rc == SA_OK && op->body != NULL) {
        size_t len = op->body_len ? op->body_len : strlen(op->body);
        rc = sa_aws_headers_add(&req->headers, "Content-Type", "application/json", err);
        if (rc == SA_OK)
            rc = set_body(req, op->body, len, err);
    }
    sa_aws_buf_dispose(&query);
    return rc;
}

int sa_aws_protocol_build(sa_aws_http_request *out, const sa_aws_service *svc,
                          const sa_aws_operation *op, const sa_aws_endpoint *ep, sa_error *err)
{
    sa_aws_http_request req = {0};
    int rc;

    if (!valid_op_name(op->name))
        return sa_error_set(err, SA_EINVAL, "%s: invalid operation name", svc->name);
    rc = set_target(&req, ep, svc->protocol == SA_AWS_PROTOCOL_REST_JSON ? op->path : "/", err);
    if (rc != SA_OK)
        goto out;
    switch (svc->protocol) {
    case SA_AWS_PROTOCOL_JSON:
        rc = build_json(&req, svc, op, err);
        break;
    case SA_AWS_PROTOCOL_QUERY:
        rc = build_query(&req, svc, op, err);
        break;
    case SA_AWS_PROTOCOL_REST_JSON:
        rc = build_rest(&req, op, err);
        break;
    }
    for (size_t i = 0; rc == SA_OK && i < op->header_count; i++) {
        const sa_aws_param *h = &op->headers[i];
        if (h->name == NULL || h->value == NULL || strpbrk(h->name, ":\r\n ") != NULL ||
            strpbrk(h->value, "\r\n") != NULL)
            rc = sa_error_set(err, SA_EINVAL, "%s %s: malformed request header", svc->name,
                              op->name);
        else
            rc = sa_aws_headers_set(&req.headers, h->name, h->value, err);
    }
    if (rc != SA_OK)
        goto out;
    *out = req;
    memset(&req, 0, sizeof(req));
out:
    sa_aws_http_request_dispose(&req);
    return rc;
}

void sa_aws_response_dispose(sa_aws_response *r)
{
    if (r == NULL)
        return;
    sa_aws_headers_dispose(&r->headers);
    sa_wipe_free_n(r->body, r->body_len);
    cJSON_Delete(r->json);
    if (r->xml != NULL)
        xmlFreeDoc(r->xml);
    memset(r, 0, sizeof(*r));
}

static const char *skip_ws(const unsigned char *b, size_t len)
{
    size_t i = 0;
    while (i < len && isspace(b[i]))
        i++;
    return i < len ? (const char *)b + i : NULL;
}

int sa_aws_protocol_read_success(sa_aws_response *out, const sa_aws_service *svc,
                                 sa_aws_http_response *http, const char *what, sa_error *err)
{
    sa_aws_response r = {0};
    const char *first = http->body != NULL ? skip_ws(http->body, http->body_len) : NULL;
    int rc = SA_OK;

    r.http_status = http->status;
    sa_aws_request_id_from_headers(r.request_id, sizeof(r.request_id), &http->headers);
    r.headers = http->headers;
    r.body = http->body;
    r.body_len = http->body_len;
    memset(&http->headers, 0, sizeof(http->headers));
    http->body = NULL;
    http->body_len = 0;

    switch (svc->protocol) {
    case SA_AWS_PROTOCOL_JSON:
    case SA_AWS_PROTOCOL_REST_JSON:
        if (first == NULL)
            break;
        if (svc->protocol == SA_AWS_PROTOCOL_REST_JSON && *first != '{' && *first != '[')
            break; /* a REST payload that is not JSON (e.g. a Lambda invoke result) */
        r.json = cJSON_ParseWithLength((const char *)r.body, r.body_len);
        if (r.json == NULL)
            rc = sa_error_set(err, SA_EIO,
                              "%s: the response is not valid JSON (or memory ran "
                              "out reading it)",
                              what);
        break;
    case SA_AWS_PROTOCOL_QUERY:
        if (first == NULL) {
            rc = sa_error_set(err, SA_EIO, "%s: the response is empty", what);
            break;
        }
        r.xml = xmlReadMemory((const char *)r.body, (int)r.body_len, NULL, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (r.xml == NULL || xmlDocGetRootElement(r.xml) == NULL)
            rc = sa_error_set(err, SA_EIO, "%s: the response is not valid XML", what);
        break;
    }
    if (rc != SA_OK) {
        sa_aws_response_dispose(&r);
        return rc;
    }
    *out = r;
    return SA_OK;
}

static xmlNode *find_desc(xmlNode *n, const char *name, size_t len, int depth)
{
    for (; n != NULL && depth < 32; n = n->next) {
        xmlNode *f;
        if (n->type == XML_ELEMENT_NODE && strlen((const char *)n->name) == len &&
            strncmp((const char *)n->name, name, len) == 0)
            return n;
        f = find_desc(n->children, name, len, depth + 1);
        if (f != NULL)
            return f;
    }
    return NULL;
}

xmlNode *sa_aws_xml_find(const sa_aws_response *r, const char *path)
{
    xmlNode *n;
    const char *p = path;
    size_t len;

    if (r == NULL || r->xml == NULL || path == NULL)
        return NULL;
    len = strcspn(p, "/");
    n = find_desc(xmlDocGetRootElement(r->xml), p, len, 0);
    p += len;
    while (n != NULL && *p == '/') {
        xmlNode *c;
        p++;
        len = strcspn(p, "/");
        for (c = n->children; c != NULL; c = c->next) {
            if (c->type == XML_ELEMENT_NODE && strlen((const char *)c->name) == len &&
                strncmp((const char *)c->name, p, len) == 0)
                break;
        }
        n = c;
        p += len;
    }
    return n;
}

int sa_aws_xml_text(char **out, const sa_aws_response *r, const char *path, sa_error *err)
{
    xmlNode *n = sa_aws_xml_find(r, path);
    xmlChar *text;

    if (n == NULL)
        return sa_error_set(err, SA_ENOTFOUND, "the response has no %s", path);
    text = xmlNodeGetContent(n);
    if (text == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    *out = sa_strdup((const char *)text);
    xmlFree(text);
    if (*out == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    return SA_OK;
}
