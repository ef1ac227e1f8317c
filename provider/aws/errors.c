/*
 * AWS error response parsing (see errors.h): sniff the body (JSON, XML, HTML, text, empty), pull
 * out the code, message and request id, and fall back to the x-amzn-ErrorType header and the HTTP
 * status when the body says nothing.
 */
#include "aws/errors.h"
#include "base/util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Copies s[0..len) into a fixed field as one line: control characters become spaces, runs of
 * whitespace collapse, ends are trimmed. */
static void copy_line(char *dst, size_t size, const char *s, size_t len)
{
    size_t n = 0;
    bool space = false;

    for (size_t i = 0; i < len && n + 1 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == ' ') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < size)
            dst[n++] = ' ';
        space = false;
        dst[n++] = (char)c;
    }
    dst[n] = '\0';
}

static void copy_str(char *dst, size_t size, const char *s)
{
    copy_line(dst, size, s, strlen(s));
}

/* "com.amazonaws.kms#NotFoundException:http://..." -> "NotFoundException" */
static void copy_code(char *dst, size_t size, const char *s)
{
    const char *hash = strrchr(s, '#');
    size_t len;

    if (hash != NULL)
        s = hash + 1;
    len = strcspn(s, ":");
    copy_line(dst, size, s, len);
}

void sa_aws_request_id_from_headers(char *out, size_t size, const sa_aws_headers *headers)
{
    static const char *const names[] = {"x-amzn-RequestId", "x-amz-request-id",
                                        "x-amzn-request-id"};
    out[0] = '\0';
    for (size_t i = 0; headers != NULL && i < SA_N(names); i++) {
        const char *v = sa_aws_headers_get(headers, names[i]);
        if (v != NULL && v[0] != '\0') {
            copy_str(out, size, v);
            return;
        }
    }
}

bool sa_aws_error_is(const sa_aws_error *e, const char *code)
{
    return e != NULL && code != NULL && strcmp(e->code, code) == 0;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static const char *json_string(const cJSON *doc, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, keys[i]);
        if (cJSON_IsString(v) && v->valuestring[0] != '\0')
            return v->valuestring;
    }
    return NULL;
}

static bool parse_json(sa_aws_error *e, const char *body, size_t len)
{
    static const char *const code_keys[] = {"__type", "code", "Code"};
    static const char *const message_keys[] = {"message", "Message", "errorMessage"};
    cJSON *doc = cJSON_ParseWithLength(body, len);
    const char *code, *msg;

    if (doc == NULL)
        return false;
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return false;
    }
    code = json_string(doc, code_keys, 3);
    msg = json_string(doc, message_keys, 3);
    if (code != NULL)
        copy_code(e->code, sizeof(e->code), code);
    if (msg != NULL)
        copy_str(e->message, sizeof(e->message), msg);
    cJSON_Delete(doc);
    return true;
}

/* ---- XML --------------------------------------------------------------------------------- */

static bool is_element(const xmlNode *n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->name != NULL &&
           strcmp((const char *)n->name, name) == 0;
}

/* Depth-first search for the first element with that local name. */
static xmlNode *find_element(xmlNode *n, const char *name, int depth)
{
    for (; n != NULL && depth < 16; n = n->next) {
        xmlNode *found;
        if (is_element(n, name))
            return n;
        found = find_element(n->children, name, depth + 1);
        if (found != NULL)
            return found;
    }
    return NULL;
}

static xmlNode *child_element(xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next) {
        if (is_element(c, name))
            return c;
    }
    return NULL;
}

static void copy_node_text(char *dst, size_t size, xmlNode *n)
{
    xmlChar *text;

    if (n == NULL)
        return;
    text = xmlNodeGetContent(n);
    if (text != NULL) {
        copy_str(dst, size, (const char *)text);
        xmlFree(text);
    }
}

static bool parse_xml(sa_aws_error *e, const char *body, size_t len)
{
    xmlDoc *doc = xmlReadMemory(body, (int)len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNode *root;
    xmlNode *err_node;

    if (doc == NULL)
        return false;
    root = xmlDocGetRootElement(doc);
    err_node = find_element(root, "Error", 0);
    if (err_node == NULL && (child_element(root, "Code") != NULL))
        err_node = root;
    if (err_node != NULL) {
        copy_node_text(e->code, sizeof(e->code), child_element(err_node, "Code"));
        copy_node_text(e->message, sizeof(e->message), child_element(err_node, "Message"));
    }
    if (e->request_id[0] == '\0') {
        xmlNode *rid = find_element(root, "RequestId", 0);
        if (rid == NULL)
            rid = find_element(root, "RequestID", 0);
        copy_node_text(e->request_id, sizeof(e->request_id), rid);
    }
    xmlFreeDoc(doc);
    return true;
}

/* ---- HTML -------------------------------------------------------------------------------- */

static bool looks_html(const char *body, size_t len)
{
    return (len >= 9 && strncasecmp(body, "<!doctype", 9) == 0) ||
           (len >= 5 && strncasecmp(body, "<html", 5) == 0);
}

static void parse_html(sa_aws_error *e, const char *body, size_t len)
{
    htmlDocPtr doc = htmlReadMemory(body, (int)len, NULL, "UTF-8",
                                    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    char title[256] = "";
    char para[512] = "";

    e->html = true;
    if (doc != NULL) {
        xmlNode *root = xmlDocGetRootElement(doc);
        copy_node_text(title, sizeof(title), find_element(root, "title", 0));
        copy_node_text(para, sizeof(para), find_element(root, "p", 0));
        xmlFreeDoc(doc);
    }
    snprintf(e->message, sizeof(e->message), "HTML error page%s%s%s%s", title[0] ? ": " : "", title,
             para[0] ? " - " : "", para);
}

/* ---- entry point ------------------------------------------------------------------------- */

void sa_aws_error_parse(sa_aws_error *out, long http_status, const sa_aws_headers *headers,
                        const unsigned char *body, size_t body_len)
{
    sa_aws_error e;
    const char *b = (const char *)body;
    size_t len = body_len;
    const char *etype;

    memset(&e, 0, sizeof(e));
    e.http_status = http_status;
    sa_aws_request_id_from_headers(e.request_id, sizeof(e.request_id), headers);

    /* skip a UTF-8 byte order mark and leading whitespace */
    if (b != NULL && len >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB &&
        (unsigned char)b[2] == 0xBF) {
        b += 3;
        len -= 3;
    }
    while (b != NULL && len > 0 && isspace((unsigned char)*b)) {
        b++;
        len--;
    }

    if (b == NULL || len == 0) {
        snprintf(e.message, sizeof(e.message), "HTTP %ld with an empty body", http_status);
    } else if (*b == '{') {
        if (!parse_json(&e, b, len))
            copy_line(e.message, sizeof(e.message), b, len < 200 ? len : 200);
    } else if (looks_html(b, len)) {
        parse_html(&e, b, len);
    } else if (*b == '<') {
        if (!parse_xml(&e, b, len))
            copy_line(e.message, sizeof(e.message), b, len < 200 ? len : 200);
    } else {
        copy_line(e.message, sizeof(e.message), b, len < 200 ? len : 200);
    }

    etype = headers != NULL ? sa_aws_headers_get(headers, "x-amzn-ErrorType") : NULL;
    if (e.code[0] == '\0' && etype != NULL && etype[0] != '\0')
        copy_code(e.code, sizeof(e.code), etype);
    if (e.code[0] == '\0')
        snprintf(e.code, sizeof(e.code), "%ld", http_status);
    if (e.message[0] == '\0')
        snprintf(e.message, sizeof(e.message), "HTTP %ld", http_status);
    *out = e;
}
