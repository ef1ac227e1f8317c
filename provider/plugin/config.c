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
    "apiRateScale",
    "assumeRole",
    "assumeRoles",
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

/* A rate scale: a positive number up to SA_CONFIG_API_RATE_SCALE_LIMIT, as a number or text. */
static bool rate_scale_text(const char *s, double *out)
{
    char *end = NULL;
    double d;

    if (s == NULL || *s == '\0')
        return false;
    d = strtod(s, &end);
    if (*end != '\0' || !(d > 0) || d > SA_CONFIG_API_RATE_SCALE_LIMIT)
        return false;
    *out = d;
    return true;
}

static void read_rate_scale(const sa_value *v, double *out, sa_config_failures *f)
{
    const sa_value *u = sa_value_unwrap(v, NULL);
    const char *s;
    double d = 0;
    bool ok;

    if (u->kind == SA_VALUE_NUMBER) {
        d = u->u.number;
        ok = d > 0 && d <= SA_CONFIG_API_RATE_SCALE_LIMIT;
    } else {
        ok = sa_value_get_string(v, &s) && rate_scale_text(s, &d);
    }
    if (!ok)
        add_failure(f, "apiRateScale",
                    "expected a positive number up to %.0f that multiplies AWS's published request "
                    "rates (1: AWS's default quotas)",
                    SA_CONFIG_API_RATE_SCALE_LIMIT);
    else
        *out = d;
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

/* ---- assumeRole / assumeRoles --------------------------------------------------------------- */

/* A value as JSON (secrets unwrapped; stack config arrives as a JSON-encoded string). NULL when
 * it holds something JSON cannot (an asset, say) or memory ran out. */
static cJSON *to_json(const sa_value *v)
{
    const sa_value *u = sa_value_unwrap(v, NULL);
    cJSON *out = NULL;

    switch (u->kind) {
    case SA_VALUE_NULL:
        return cJSON_CreateNull();
    case SA_VALUE_BOOL:
        return cJSON_CreateBool(u->u.boolean);
    case SA_VALUE_NUMBER:
        return cJSON_CreateNumber(u->u.number);
    case SA_VALUE_STRING:
        return cJSON_CreateString(u->u.string.ptr);
    case SA_VALUE_LIST:
        out = cJSON_CreateArray();
        for (size_t i = 0; out != NULL && i < u->u.list.len; i++) {
            cJSON *item = to_json(u->u.list.items[i]);
            if (item == NULL || !cJSON_AddItemToArray(out, item)) {
                cJSON_Delete(item);
                cJSON_Delete(out);
                out = NULL;
            }
        }
        return out;
    case SA_VALUE_OBJECT:
        out = cJSON_CreateObject();
        for (size_t i = 0; out != NULL && i < u->u.object.len; i++) {
            cJSON *item = to_json(u->u.object.values[i]);
            if (item == NULL || !cJSON_AddItemToObject(out, u->u.object.keys[i], item)) {
                cJSON_Delete(item);
                cJSON_Delete(out);
                out = NULL;
            }
        }
        return out;
    default:
        return NULL;
    }
}

/* The value as JSON, parsing a string form when the key expects an object or a list. */
static cJSON *json_value(const sa_value *v, bool want_list)
{
    const char *s;
    cJSON *j;

    if (sa_value_get_string(v, &s)) {
        j = cJSON_Parse(s);
        if (j != NULL && (want_list ? cJSON_IsArray(j) : cJSON_IsObject(j)))
            return j;
        cJSON_Delete(j);
        return NULL;
    }
    return to_json(v);
}

static void wipe_json(cJSON *j)
{
    for (; j != NULL; j = j->next) {
        if (j->valuestring != NULL)
            OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
        wipe_json(j->child);
    }
}

/* arn:<partition>:iam::<12 digits>:role/<optional path/><name>, as STS's RoleArn (20-2048). */
static bool role_arn_valid(const char *s)
{
    const char *p = s, *colon;
    size_t len = strlen(s);

    if (len < 20 || len > 2048 || strncmp(p, "arn:", 4) != 0)
        return false;
    p += 4;
    colon = strchr(p, ':');
    if (colon == NULL || colon == p)
        return false;
    for (const char *q = p; q < colon; q++)
        if (!(islower((unsigned char)*q) || *q == '-'))
            return false;
    p = colon + 1;
    if (strncmp(p, "iam::", 5) != 0)
        return false;
    p += 5;
    for (int i = 0; i < 12; i++, p++)
        if (!isdigit((unsigned char)*p))
            return false;
    if (strncmp(p, ":role/", 6) != 0)
        return false;
    p += 6;
    if (*p == '\0' || p[strlen(p) - 1] == '/')
        return false;
    for (; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("+=,.@_-/", *p) != NULL))
            return false;
    return true;
}

/* STS's patterns: RoleSessionName [\w+=,.@-]*, ExternalId [\w+=,.@:\/-]*. */
static bool chars_in(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || strchr(extra, *s) != NULL))
            return false;
    return true;
}

/* A session tag key or value: STS's [\p{L}\p{Z}\p{N}_.:/=+\-@]+ in ASCII terms (letters,
 * digits, space and the listed punctuation; other UTF-8 is let through for STS to judge). */
static bool tag_text_valid(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!(c >= 0x80 || isalnum(c) || c == ' ' || strchr("_.:/=+-@", c) != NULL))
            return false;
    }
    return true;
}

static char **strings_new(size_t n)
{
    return n == 0 ? NULL : sa_calloc(n, sizeof(char *));
}

/* One role object at `where` ("assumeRole" or "assumeRoles[N]") into *r. */
static void parse_role(sa_aws_assume_role *r, const cJSON *o, const char *where,
                       sa_config_failures *f)
{
    static const char *const fields[] = {"roleArn",          "sessionName", "externalId",
                                         "durationSeconds",  "policy",      "tags",
                                         "transitiveTagKeys"};
    const cJSON *item;
    char key[96];

#define KEY(name) (snprintf(key, sizeof(key), "%s.%s", where, name), key)
    cJSON_ArrayForEach(item, o)
    {
        bool known = false;
        for (size_t k = 0; k < SA_N(fields); k++)
            known = known || strcmp(item->string, fields[k]) == 0;
        if (!known)
            add_failure(f, KEY(item->string),
                        "is not a setting of a role: expected roleArn, sessionName, externalId, "
                        "durationSeconds, policy, tags or transitiveTagKeys");
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "roleArn");
    if (item == NULL || cJSON_IsNull(item))
        add_failure(f, KEY("roleArn"), "is required");
    else if (!cJSON_IsString(item) || !role_arn_valid(item->valuestring))
        add_failure(f, KEY("roleArn"),
                    "must be an IAM role ARN like arn:aws:iam::123456789012:role/NAME");
    else
        set_string(&r->role_arn, item->valuestring);

    item = cJSON_GetObjectItemCaseSensitive(o, "sessionName");
    if (item != NULL && !cJSON_IsNull(item)) {
        if (!cJSON_IsString(item) || strlen(item->valuestring) < 2 ||
            strlen(item->valuestring) > 64 || !chars_in(item->valuestring, "+=,.@-"))
            add_failure(f, KEY("sessionName"),
                        "must be 2 to 64 letters, digits or +=,.@_- characters");
        else
            set_string(&r->session_name, item->valuestring);
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "externalId");
    if (item != NULL && !cJSON_IsNull(item)) {
        /* the value is never echoed: it may be a shared secret */
        if (!cJSON_IsString(item) || strlen(item->valuestring) < 2 ||
            strlen(item->valuestring) > 1224 || !chars_in(item->valuestring, "+=,.@:/-"))
            add_failure(f, KEY("externalId"),
                        "must be 2 to 1224 letters, digits or +=,.@:/_- characters");
        else
            set_string(&r->external_id, item->valuestring);
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "durationSeconds");
    if (item != NULL && !cJSON_IsNull(item)) {
        double d = -1;
        char *end = NULL;

        if (cJSON_IsNumber(item))
            d = item->valuedouble;
        else if (cJSON_IsString(item) && item->valuestring[0] != '\0') {
            d = strtod(item->valuestring, &end);
            if (*end != '\0')
                d = -1;
        }
        if (d != (double)(long)d || d < 900 || d > 43200)
            add_failure(f, KEY("durationSeconds"),
                        "must be a whole number of seconds from 900 to 43200");
        else
            r->duration_seconds = (int)d;
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "policy");
    if (item != NULL && !cJSON_IsNull(item)) {
        cJSON *doc = cJSON_IsString(item) ? cJSON_Parse(item->valuestring) : NULL;
        size_t len = cJSON_IsString(item) ? strlen(item->valuestring) : 0;
        bool chars_ok = true;

        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)item->valuestring[i];
            chars_ok = chars_ok && (c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
        }
        if (doc == NULL || !cJSON_IsObject(doc))
            add_failure(f, KEY("policy"), "must be an IAM policy document as a JSON object");
        else if (len > 2048 || !chars_ok)
            add_failure(f, KEY("policy"),
                        "must be at most 2048 characters without control characters");
        else
            set_string(&r->policy, item->valuestring);
        cJSON_Delete(doc);
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "tags");
    if (item != NULL && !cJSON_IsNull(item)) {
        int n = cJSON_GetArraySize(item);
        const cJSON *t;

        if (!cJSON_IsObject(item)) {
            add_failure(f, KEY("tags"), "must be a map of tag key to value");
        } else if (n > SA_AWS_ASSUME_ROLE_TAGS_MAX) {
            add_failure(f, KEY("tags"), "has %d tags; STS takes at most %d", n,
                        SA_AWS_ASSUME_ROLE_TAGS_MAX);
        } else {
            r->tag_keys = strings_new((size_t)n);
            r->tag_values = strings_new((size_t)n);
            cJSON_ArrayForEach(t, item)
            {
                char tkey[96];
                snprintf(tkey, sizeof(tkey), "%s.tags.%.40s", where, t->string);
                if (strlen(t->string) < 1 || strlen(t->string) > 128 || !tag_text_valid(t->string))
                    add_failure(f, tkey,
                                "a session tag key must be 1 to 128 letters, digits, spaces or "
                                "_.:/=+-@ characters");
                else if (!cJSON_IsString(t) || strlen(t->valuestring) > 256 ||
                         !tag_text_valid(t->valuestring))
                    add_failure(f, tkey,
                                "a session tag value must be a string of at most 256 letters, "
                                "digits, spaces or _.:/=+-@ characters");
                else if (r->tag_keys != NULL && r->tag_values != NULL) {
                    r->tag_keys[r->tag_count] = sa_strdup(t->string);
                    r->tag_values[r->tag_count] = sa_strdup(t->valuestring);
                    r->tag_count++;
                }
            }
        }
    }
    item = cJSON_GetObjectItemCaseSensitive(o, "transitiveTagKeys");
    if (item != NULL && !cJSON_IsNull(item)) {
        int n = cJSON_GetArraySize(item);
        const cJSON *t;

        if (!cJSON_IsArray(item)) {
            add_failure(f, KEY("transitiveTagKeys"), "must be a list of session tag keys");
        } else if (n > SA_AWS_ASSUME_ROLE_TAGS_MAX) {
            add_failure(f, KEY("transitiveTagKeys"), "has %d keys; STS takes at most %d", n,
                        SA_AWS_ASSUME_ROLE_TAGS_MAX);
        } else {
            r->transitive_tag_keys = strings_new((size_t)n);
            cJSON_ArrayForEach(t, item)
            {
                if (!cJSON_IsString(t) || strlen(t->valuestring) < 1 ||
                    strlen(t->valuestring) > 128 || !tag_text_valid(t->valuestring))
                    add_failure(f, KEY("transitiveTagKeys"),
                                "each key must be 1 to 128 letters, digits, spaces or "
                                "_.:/=+-@ characters");
                else if (r->transitive_tag_keys != NULL)
                    r->transitive_tag_keys[r->transitive_tag_key_count++] =
                        sa_strdup(t->valuestring);
            }
        }
    }
#undef KEY
}

/* assumeRole (want_list false: one object) or assumeRoles (a list of them). */
static void parse_assume_roles(sa_config *out, const sa_value *v, bool want_list,
                               sa_config_failures *f)
{
    const char *name = want_list ? "assumeRoles" : "assumeRole";
    cJSON *j;
    size_t n;

    if (sa_value_contains_unknown(v))
        return; /* preview with a computed role: nothing to check yet */
    j = json_value(v, want_list);
    if (j == NULL || (want_list ? !cJSON_IsArray(j) : !cJSON_IsObject(j))) {
        add_failure(f, name,
                    want_list ? "expected a list of role objects ({roleArn, sessionName, ...})"
                              : "expected an object {roleArn, sessionName, externalId, ...}");
        cJSON_Delete(j);
        return;
    }
    n = want_list ? (size_t)cJSON_GetArraySize(j) : 1;
    if (n > SA_CONFIG_ASSUME_ROLES_MAX) {
        add_failure(f, name, "has %zu roles; at most %d can be chained", n,
                    SA_CONFIG_ASSUME_ROLES_MAX);
    } else if (n > 0) {
        out->assume_roles = sa_calloc(n, sizeof(*out->assume_roles));
        if (out->assume_roles == NULL) {
            add_failure(f, name, "out of memory");
        } else {
            out->assume_role_count = n;
            for (size_t i = 0; i < n; i++) {
                const cJSON *o = want_list ? cJSON_GetArrayItem(j, (int)i) : j;
                char where[32];

                if (want_list)
                    snprintf(where, sizeof(where), "assumeRoles[%zu]", i);
                else
                    snprintf(where, sizeof(where), "assumeRole");
                if (!cJSON_IsObject(o))
                    add_failure(f, where, "expected an object {roleArn, sessionName, ...}");
                else
                    parse_role(&out->assume_roles[i], o, where, f);
            }
        }
    }
    wipe_json(j); /* the parsed copy holds the external id */
    cJSON_Delete(j);
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
    if (PRESENT("apiRateScale"))
        read_rate_scale(v, &out->api_rate_scale, f);
    if (PRESENT("assumeRole")) {
        const sa_value *list = sa_value_object_get(args, "assumeRoles");
        if (list != NULL && !sa_value_is_unknown(list) &&
            sa_value_unwrap(list, NULL)->kind != SA_VALUE_NULL)
            add_failure(f, "assumeRole",
                        "and assumeRoles are both set; use assumeRoles alone to chain roles");
        else
            parse_assume_roles(out, v, false, f);
    } else if (PRESENT("assumeRoles")) {
        parse_assume_roles(out, v, true, f);
    }
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

int sa_config_from_env(sa_config *c, const char *(*getenv)(const char *name), sa_config_failures *f)
{
    const char *s = getenv != NULL ? getenv(SA_CONFIG_API_RATE_SCALE_ENV) : NULL;

    if (c->api_rate_scale == 0 && s != NULL && *s != '\0' &&
        !rate_scale_text(s, &c->api_rate_scale))
        add_failure(f, "apiRateScale",
                    "(from the environment variable %s) expected a positive number up to %.0f "
                    "that multiplies AWS's published request rates (1: AWS's default quotas)",
                    SA_CONFIG_API_RATE_SCALE_ENV, SA_CONFIG_API_RATE_SCALE_LIMIT);
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
    sa_aws_assume_roles_free(c->assume_roles, c->assume_role_count);
    memset(c, 0, sizeof(*c));
}
