/*
 * The value model (see value.h): constructors, ownership-taking setters, deep copy, equality and
 * the typed readers that look through secret wrappers. No protobuf here; value_struct.c converts.
 */
#include "base/value.h"
#include "base/alloc.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const sentinels[] = {
    [SA_UNKNOWN_STRING] = "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    [SA_UNKNOWN_BOOL] = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    [SA_UNKNOWN_NUMBER] = "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    [SA_UNKNOWN_ARRAY] = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    [SA_UNKNOWN_OBJECT] = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    [SA_UNKNOWN_ASSET] = "030794c1-ac77-496b-92df-f27374a8bd58",
    [SA_UNKNOWN_ARCHIVE] = "e48ece36-62e2-4504-bad9-02848725956a",
};

const char *sa_unknown_sentinel(sa_unknown_kind kind)
{
    return sentinels[kind];
}

int sa_unknown_from_sentinel(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return -1;
    for (size_t i = 0; i < SA_N(sentinels); i++)
        if (strcmp(s, sentinels[i]) == 0)
            return (int)i;
    return -1;
}

const char *sa_value_kind_name(sa_value_kind kind)
{
    switch (kind) {
    case SA_VALUE_NULL:
        return "null";
    case SA_VALUE_BOOL:
        return "boolean";
    case SA_VALUE_NUMBER:
        return "number";
    case SA_VALUE_STRING:
        return "string";
    case SA_VALUE_LIST:
        return "list";
    case SA_VALUE_OBJECT:
        return "object";
    case SA_VALUE_UNKNOWN:
        return "unknown";
    case SA_VALUE_SECRET:
        return "secret";
    case SA_VALUE_RESOURCE:
        return "resource reference";
    case SA_VALUE_ASSET:
        return "asset";
    case SA_VALUE_ARCHIVE:
        return "archive";
    }
    return "?";
}

static sa_value *alloc_value(sa_value_kind kind)
{
    sa_value *v = sa_calloc(1, sizeof(*v));
    if (v != NULL)
        v->kind = kind;
    return v;
}

sa_value *sa_value_null(void)
{
    return alloc_value(SA_VALUE_NULL);
}

sa_value *sa_value_bool(bool b)
{
    sa_value *v = alloc_value(SA_VALUE_BOOL);
    if (v != NULL)
        v->u.boolean = b;
    return v;
}

sa_value *sa_value_number(double n)
{
    sa_value *v = alloc_value(SA_VALUE_NUMBER);
    if (v != NULL)
        v->u.number = n;
    return v;
}

sa_value *sa_value_string_n(const char *s, size_t len)
{
    sa_value *v = alloc_value(SA_VALUE_STRING);
    if (v == NULL)
        return NULL;
    v->u.string.ptr = sa_malloc(len + 1);
    if (v->u.string.ptr == NULL) {
        free(v);
        return NULL;
    }
    if (len > 0)
        memcpy(v->u.string.ptr, s, len);
    v->u.string.ptr[len] = '\0';
    v->u.string.len = len;
    return v;
}

sa_value *sa_value_string(const char *s)
{
    return sa_value_string_n(s, strlen(s));
}

sa_value *sa_value_list(void)
{
    return alloc_value(SA_VALUE_LIST);
}

sa_value *sa_value_object(void)
{
    return alloc_value(SA_VALUE_OBJECT);
}

sa_value *sa_value_unknown(sa_unknown_kind kind)
{
    sa_value *v = alloc_value(SA_VALUE_UNKNOWN);
    if (v != NULL)
        v->u.unknown = kind;
    return v;
}

sa_value *sa_value_secret(sa_value *inner)
{
    sa_value *v;

    if (inner == NULL)
        return NULL;
    v = alloc_value(SA_VALUE_SECRET);
    if (v == NULL) {
        sa_value_free(inner);
        return NULL;
    }
    v->u.secret = inner;
    return v;
}

void sa_value_free(sa_value *v)
{
    if (v == NULL)
        return;
    switch (v->kind) {
    case SA_VALUE_STRING:
        free(v->u.string.ptr);
        break;
    case SA_VALUE_LIST:
        for (size_t i = 0; i < v->u.list.len; i++)
            sa_value_free(v->u.list.items[i]);
        free(v->u.list.items);
        break;
    case SA_VALUE_OBJECT:
    case SA_VALUE_RESOURCE:
    case SA_VALUE_ASSET:
    case SA_VALUE_ARCHIVE:
        for (size_t i = 0; i < v->u.object.len; i++) {
            free(v->u.object.keys[i]);
            sa_value_free(v->u.object.values[i]);
        }
        free(v->u.object.keys);
        free(v->u.object.values);
        break;
    case SA_VALUE_SECRET:
        sa_value_free(v->u.secret);
        break;
    default:
        break;
    }
    free(v);
}

int sa_value_list_push(sa_value *list, sa_value *item)
{
    if (item == NULL)
        return SA_ENOMEM;
    if (list->u.list.len == list->u.list.cap) {
        size_t cap = list->u.list.cap ? list->u.list.cap * 2 : 4;
        sa_value **items = sa_realloc(list->u.list.items, cap * sizeof(*items));
        if (items == NULL) {
            sa_value_free(item);
            return SA_ENOMEM;
        }
        list->u.list.items = items;
        list->u.list.cap = cap;
    }
    list->u.list.items[list->u.list.len++] = item;
    return SA_OK;
}

static long object_find(const sa_value *obj, const char *key)
{
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return (long)i;
    return -1;
}

int sa_value_object_set(sa_value *obj, const char *key, sa_value *val)
{
    long at;
    char *k;

    if (val == NULL)
        return SA_ENOMEM;
    at = object_find(obj, key);
    if (at >= 0) {
        sa_value_free(obj->u.object.values[at]);
        obj->u.object.values[at] = val;
        return SA_OK;
    }
    if (obj->u.object.len == obj->u.object.cap) {
        size_t cap = obj->u.object.cap ? obj->u.object.cap * 2 : 8;
        char **keys = sa_realloc(obj->u.object.keys, cap * sizeof(*keys));
        sa_value **values;
        if (keys == NULL) {
            sa_value_free(val);
            return SA_ENOMEM;
        }
        obj->u.object.keys = keys;
        values = sa_realloc(obj->u.object.values, cap * sizeof(*values));
        if (values == NULL) {
            sa_value_free(val);
            return SA_ENOMEM;
        }
        obj->u.object.values = values;
        obj->u.object.cap = cap;
    }
    k = sa_strdup(key);
    if (k == NULL) {
        sa_value_free(val);
        return SA_ENOMEM;
    }
    obj->u.object.keys[obj->u.object.len] = k;
    obj->u.object.values[obj->u.object.len] = val;
    obj->u.object.len++;
    return SA_OK;
}

bool sa_value_object_remove(sa_value *obj, const char *key)
{
    long at = object_find(obj, key);

    if (at < 0)
        return false;
    free(obj->u.object.keys[at]);
    sa_value_free(obj->u.object.values[at]);
    memmove(&obj->u.object.keys[at], &obj->u.object.keys[at + 1],
            (obj->u.object.len - (size_t)at - 1) * sizeof(char *));
    memmove(&obj->u.object.values[at], &obj->u.object.values[at + 1],
            (obj->u.object.len - (size_t)at - 1) * sizeof(sa_value *));
    obj->u.object.len--;
    return true;
}

const sa_value *sa_value_object_get(const sa_value *obj, const char *key)
{
    long at;

    if (obj == NULL || (obj->kind != SA_VALUE_OBJECT && obj->kind != SA_VALUE_RESOURCE &&
                        obj->kind != SA_VALUE_ASSET && obj->kind != SA_VALUE_ARCHIVE))
        return NULL;
    at = object_find(obj, key);
    return at >= 0 ? obj->u.object.values[at] : NULL;
}

sa_value *sa_value_copy(const sa_value *v)
{
    sa_value *c = NULL;

    if (v == NULL)
        return NULL;
    switch (v->kind) {
    case SA_VALUE_NULL:
        return sa_value_null();
    case SA_VALUE_BOOL:
        return sa_value_bool(v->u.boolean);
    case SA_VALUE_NUMBER:
        return sa_value_number(v->u.number);
    case SA_VALUE_STRING:
        return sa_value_string_n(v->u.string.ptr, v->u.string.len);
    case SA_VALUE_UNKNOWN:
        return sa_value_unknown(v->u.unknown);
    case SA_VALUE_SECRET:
        return sa_value_secret(sa_value_copy(v->u.secret));
    case SA_VALUE_LIST:
        c = sa_value_list();
        for (size_t i = 0; c != NULL && i < v->u.list.len; i++) {
            if (sa_value_list_push(c, sa_value_copy(v->u.list.items[i])) != SA_OK) {
                sa_value_free(c);
                c = NULL;
            }
        }
        return c;
    case SA_VALUE_OBJECT:
    case SA_VALUE_RESOURCE:
    case SA_VALUE_ASSET:
    case SA_VALUE_ARCHIVE:
        c = alloc_value(v->kind);
        for (size_t i = 0; c != NULL && i < v->u.object.len; i++) {
            if (sa_value_object_set(c, v->u.object.keys[i], sa_value_copy(v->u.object.values[i])) !=
                SA_OK) {
                sa_value_free(c);
                c = NULL;
            }
        }
        return c;
    }
    return NULL;
}

const sa_value *sa_value_unwrap(const sa_value *v, bool *secret_out)
{
    bool secret = false;

    while (v != NULL && v->kind == SA_VALUE_SECRET) {
        secret = true;
        v = v->u.secret;
    }
    if (secret_out != NULL)
        *secret_out = secret;
    return v;
}

bool sa_value_is_unknown(const sa_value *v)
{
    v = sa_value_unwrap(v, NULL);
    return v != NULL && v->kind == SA_VALUE_UNKNOWN;
}

static bool contains_kind(const sa_value *v, sa_value_kind kind)
{
    if (v == NULL)
        return false;
    if (v->kind == kind)
        return true;
    switch (v->kind) {
    case SA_VALUE_SECRET:
        return contains_kind(v->u.secret, kind);
    case SA_VALUE_LIST:
        for (size_t i = 0; i < v->u.list.len; i++)
            if (contains_kind(v->u.list.items[i], kind))
                return true;
        return false;
    case SA_VALUE_OBJECT:
    case SA_VALUE_RESOURCE:
    case SA_VALUE_ASSET:
    case SA_VALUE_ARCHIVE:
        for (size_t i = 0; i < v->u.object.len; i++)
            if (contains_kind(v->u.object.values[i], kind))
                return true;
        return false;
    default:
        return false;
    }
}

bool sa_value_contains_unknown(const sa_value *v)
{
    return contains_kind(v, SA_VALUE_UNKNOWN);
}

bool sa_value_contains_secret(const sa_value *v)
{
    return contains_kind(v, SA_VALUE_SECRET);
}

bool sa_value_contains_kind(const sa_value *v, sa_value_kind kind)
{
    return contains_kind(v, kind);
}

bool sa_value_equal(const sa_value *a, const sa_value *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case SA_VALUE_NULL:
        return true;
    case SA_VALUE_BOOL:
        return a->u.boolean == b->u.boolean;
    case SA_VALUE_NUMBER:
        return a->u.number == b->u.number;
    case SA_VALUE_STRING:
        return a->u.string.len == b->u.string.len &&
               memcmp(a->u.string.ptr, b->u.string.ptr, a->u.string.len) == 0;
    case SA_VALUE_UNKNOWN:
        return a->u.unknown == b->u.unknown;
    case SA_VALUE_SECRET:
        return sa_value_equal(a->u.secret, b->u.secret);
    case SA_VALUE_LIST:
        if (a->u.list.len != b->u.list.len)
            return false;
        for (size_t i = 0; i < a->u.list.len; i++)
            if (!sa_value_equal(a->u.list.items[i], b->u.list.items[i]))
                return false;
        return true;
    case SA_VALUE_OBJECT:
    case SA_VALUE_RESOURCE:
    case SA_VALUE_ASSET:
    case SA_VALUE_ARCHIVE:
        if (a->u.object.len != b->u.object.len)
            return false;
        for (size_t i = 0; i < a->u.object.len; i++)
            if (!sa_value_equal(a->u.object.values[i], sa_value_object_get(b, a->u.object.keys[i])))
                return false;
        return true;
    }
    return false;
}

bool sa_value_get_string(const sa_value *v, const char **out)
{
    v = sa_value_unwrap(v, NULL);
    if (v == NULL || v->kind != SA_VALUE_STRING)
        return false;
    *out = v->u.string.ptr;
    return true;
}

bool sa_value_get_bool(const sa_value *v, bool *out)
{
    v = sa_value_unwrap(v, NULL);
    if (v == NULL || v->kind != SA_VALUE_BOOL)
        return false;
    *out = v->u.boolean;
    return true;
}

bool sa_value_get_int(const sa_value *v, int64_t *out)
{
    const double limit = 9007199254740992.0; /* 2^53 */

    v = sa_value_unwrap(v, NULL);
    if (v == NULL || v->kind != SA_VALUE_NUMBER)
        return false;
    if (!isfinite(v->u.number) || fabs(v->u.number) > limit || floor(v->u.number) != v->u.number)
        return false;
    *out = (int64_t)v->u.number;
    return true;
}
