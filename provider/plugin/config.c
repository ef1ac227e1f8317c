/*
 * Provider configuration parsing and validation (see config.h). Each key has one reader that
 * accepts the value's typed form, its string form and a secret wrapper around either.
 */
#include "plugin/config.h"
#include "aws/partition.h"
#include "base/alloc.h"
#include "base/util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sa_service_keys[SA_SVC_COUNT] = {
    [SA_SVC_STS] = "sts",       [SA_SVC_KMS] = "kms",   [SA_SVC_IAM] = "iam",
    [SA_SVC_LAMBDA] = "lambda", [SA_SVC_LOGS] = "logs", [SA_SVC_APIGATEWAY] = "apigateway",
};

static const char *const known_keys[] = {
    "region",
    "profile",
    "accessKey",
    "secretKey",
    "token",
    "endpoints",
    "skipCredentialsValidation",
    "maxRetries",
    "httpTimeoutSeconds",
    "version",
};

static void add_failure(sa_config_failures *f, const char *property, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_failure(sa_config_failures *f, const char *property, const char *fmt, ...)
{
    va_list ap;

    if (f->len >= SA_N(f->items))
        return;
    snprintf(f->items[f->len].property, sizeof(f->items[f->len].property), "%s", property);
    va_start(ap, fmt);
    vsnprintf(f->items[f->len].reason, sizeof(f->items[f->len].reason), fmt, ap);
    va_end(ap);
    f->len++;
}

bool sa_config_endpoint_valid(const char *url)
{
    const char *host;
    size_t hostlen;

    if (url == NULL)
        return false;
    if (strncmp(url, "http://", 7) == 0)
        host = url + 7;
    else if (strncmp(url, "https://", 8) == 0)
        host = url + 8;
    else
        return false;
    hostlen = strcspn(host, "/?#");
    if (hostlen == 0 || memchr(host, '@', hostlen) != NULL)
        return false;
    for (size_t i = 0; i < hostlen; i++) {
        unsigned char c = (unsigned char)host[i];
        if (!(isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return false;
    }
    if (host[0] == ':')
        return false;
    for (const char *p = host + hostlen; *p; p++)
        if (isspace((unsigned char)*p))
            return false;
    return true;
}

/* A string setting: its value, or NULL with a failure when it is not a string. */
static const char *read_string(const sa_value *v, const char *key, sa_config_failures *f)
{
    const char *s = NULL;

    if (!sa_value_get_string(v, &s)) {
        const sa_value *inner = sa_value_unwrap(v, NULL);
        add_failure(f, key, "expected a string, got a %s", sa_value_kind_name(inner->kind));
        return NULL;
    }
    return s;
}

static bool read_bool(const sa_value *v, const char *key, bool *out, sa_config_failures *f)
{
    const char *s;

    if (sa_value_get_bool(v, out))
        return true;
    if (sa_value_get_string(v, &s)) {
        if (strcmp(s, "true") == 0) {
            *out = true;
            return true;
        }
        if (strcmp(s, "false") == 0) {
            *out = false;
            return true;
        }
    }
    add_failure(f, key, "expected true or false");
    return false;
}

static bool read_int(const sa_value *v, const char *key, long lo, long hi, long *out,
                     sa_config_failures *f)
{
    int64_t n;
    const char *s;

    if (sa_value_get_int(v, &n)) {
        /* typed */
    } else if (sa_value_get_string(v, &s) && *s) {
        char *end = NULL;
        long long parsed = strtoll(s, &end, 10);
        if (*end != '\0') {
            add_failure(f, key, "expected a whole number from %ld to %ld", lo, hi);
            return false;
        }
        n = parsed;
    } else {
        add_failure(f, key, "expected a whole number from %ld to %ld", lo, hi);
        return false;
    }
    if (n < lo || n > hi) {
        add_failure(f, key, "%lld is out of range: expected %ld to %ld", (long long)n, lo, hi);
        return false;
    }
    *out = (long)n;
    return true;
}

static bool set_string(char **dst, const char *s)
{
    free(*dst);
    *dst = sa_strdup(s);
    return *dst != NULL;
}

static void parse_endpoint(sa_config *out, const char *svc, const char *url, sa_config_failures *f)
{
    char key[64];

    snprintf(key, sizeof(key), "endpoints.%s", svc);
    for (int i = 0; i < SA_SVC_COUNT; i++) {
        if (strcmp(sa_service_keys[i], svc) == 0) {
            if (!sa_config_endpoint_valid(url))
                add_failure(f, key, "'%.100s' is not an http:// or https:// URL with a host", url);
            else
                set_string(&out->endpoints[i], url);
            return;
        }
    }
    add_failure(f, key,
                "unknown service '%.40s': expected sts, kms, iam, lambda, logs or apigateway", svc);
}

static void parse_endpoints(sa_config *out, const sa_value *v, sa_config_failures *f)
{
    const sa_value *obj = sa_value_unwrap(v, NULL);
    const char *json;

    if (obj->kind == SA_VALUE_OBJECT) {
        for (size_t i = 0; i < obj->u.object.len; i++) {
            const char *url = NULL;
            const sa_value *item = obj->u.object.values[i];
            if (sa_value_is_unknown(item))
                continue;
            if (!sa_value_get_string(item, &url)) {
                char key[64];
                snprintf(key, sizeof(key), "endpoints.%s", obj->u.object.keys[i]);
                add_failure(f, key, "expected a URL string");
                continue;
            }
            parse_endpoint(out, obj->u.object.keys[i], url, f);
        }
        return;
    }
    if (sa_value_get_string(v, &json)) {
        /* explicit providers in generated SDKs JSON-encode objects */
        cJSON *root = cJSON_Parse(json);
        const cJSON *item;
        if (root == NULL || !cJSON_IsObject(root)) {
            add_failure(f, "endpoints", "expected an object of service name to URL");
            cJSON_Delete(root);
            return;
        }
        cJSON_ArrayForEach(item, root)
        {
            if (!cJSON_IsString(item)) {
                char key[64];
                snprintf(key, sizeof(key), "endpoints.%s", item->string);
                add_failure(f, key, "expected a URL string");
                continue;
            }
            parse_endpoint(out, item->string, item->valuestring, f);
        }
        cJSON_Delete(root);
        return;
    }
    add_failure(f, "endpoints", "expected an object of service name to URL");
}

int sa_config_parse(sa_config *out, const sa_value *args, sa_config_failures *f)
{
    const sa_value *v;
    const char *s;
    long n;

    memset(out, 0, sizeof(*out));
    memset(f, 0, sizeof(*f));
    out->max_retries = SA_CONFIG_DEFAULT_MAX_RETRIES;
    if (args == NULL || args->kind != SA_VALUE_OBJECT)
        return SA_OK;

#define PRESENT(key)                                                                               \
    ((v = sa_value_object_get(args, key)) != NULL && !sa_value_is_unknown(v) &&                    \
     sa_value_unwrap(v, NULL)->kind != SA_VALUE_NULL)

    if (PRESENT("region") && (s = read_string(v, "region", f)) != NULL) {
        if (!sa_aws_region_name_valid(s))
            add_failure(f, "region", "'%.40s' is not an AWS region name like ap-southeast-1", s);
        else
            set_string(&out->region, s);
    }
    if (PRESENT("profile") && (s = read_string(v, "profile", f)) != NULL) {
        if (*s == '\0')
            add_failure(f, "profile", "must not be empty");
        else
            set_string(&out->profile, s);
    }
    if (PRESENT("accessKey") && (s = read_string(v, "accessKey", f)) != NULL && *s)
        set_string(&out->access_key, s);
    if (PRESENT("secretKey") && (s = read_string(v, "secretKey", f)) != NULL && *s)
        set_string(&out->secret_key, s);
    if (PRESENT("token") && (s = read_string(v, "token", f)) != NULL && *s)
        set_string(&out->token, s);
    if (out->access_key != NULL && out->secret_key == NULL)
        add_failure(f, "secretKey", "is required when accessKey is set");
    if (out->secret_key != NULL && out->access_key == NULL)
        add_failure(f, "accessKey", "is required when secretKey is set");
    if (out->token != NULL && out->access_key == NULL)
        add_failure(f, "token", "needs accessKey and secretKey");
    if (PRESENT("endpoints"))
        parse_endpoints(out, v, f);
    if (PRESENT("skipCredentialsValidation"))
        read_bool(v, "skipCredentialsValidation", &out->skip_credentials_validation, f);
    if (PRESENT("maxRetries") && read_int(v, "maxRetries", 0, SA_CONFIG_MAX_RETRIES_LIMIT, &n, f))
        out->max_retries = (int)n;
    if (PRESENT("httpTimeoutSeconds") &&
        read_int(v, "httpTimeoutSeconds", 1, SA_CONFIG_HTTP_TIMEOUT_SECONDS_LIMIT, &n, f))
        out->http_timeout_seconds = (int)n;
#undef PRESENT

    for (size_t i = 0; i < args->u.object.len; i++) {
        const char *key = args->u.object.keys[i];
        bool known = false;
        for (size_t k = 0; k < SA_N(known_keys); k++)
            known = known || strcmp(key, known_keys[k]) == 0;
        if (!known) {
            size_t used = strlen(f->unknown_keys);
            snprintf(f->unknown_keys + used, sizeof(f->unknown_keys) - used, "%s%s",
                     used ? ", " : "", key);
        }
    }
    return f->len == 0 ? SA_OK : SA_EINVAL;
}

void sa_config_dispose(sa_config *c)
{
    if (c == NULL)
        return;
    free(c->region);
    free(c->profile);
    sa_wipe_free(c->access_key);
    sa_wipe_free(c->secret_key);
    sa_wipe_free(c->token);
    for (int i = 0; i < SA_SVC_COUNT; i++)
        free(c->endpoints[i]);
    memset(c, 0, sizeof(*c));
}
