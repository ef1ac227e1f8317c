/*
 * Struct <-> value conversion (see value_struct.h). Decoding walks the protobuf tree with a path
 * buffer so every error names the property (`tags.owner`, `items[3]`); encoding builds a fresh
 * protobuf tree from malloc'd parts only.
 */
#include "plugin/value_struct.h"
#include "base/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct path {
    char buf[512];
    size_t len;
} path;

static size_t path_push_key(path *p, const char *key)
{
    size_t old = p->len;
    int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "%s%s", p->len ? "." : "", key);
    if (n > 0)
        p->len = p->len + (size_t)n < sizeof(p->buf) ? p->len + (size_t)n : sizeof(p->buf) - 1;
    return old;
}

static size_t path_push_index(path *p, size_t i)
{
    size_t old = p->len;
    int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "[%zu]", i);
    if (n > 0)
        p->len = p->len + (size_t)n < sizeof(p->buf) ? p->len + (size_t)n : sizeof(p->buf) - 1;
    return old;
}

static void path_pop(path *p, size_t old)
{
    p->len = old;
    p->buf[old] = '\0';
}

static const char *path_name(const path *p)
{
    return p->len ? p->buf : "(top level)";
}

static int decode_value(sa_value **out, const Google__Protobuf__Value *v, int depth, path *p,
                        sa_error *err);

static const Google__Protobuf__Value *struct_field(const Google__Protobuf__Struct *s,
                                                   const char *key)
{
    for (size_t i = 0; i < s->n_fields; i++)
        if (strcmp(s->fields[i]->key, key) == 0)
            return s->fields[i]->value;
    return NULL;
}

static int decode_fields(sa_value *obj, const Google__Protobuf__Struct *s, int depth, path *p,
                         sa_error *err, bool skip_sig)
{
    if (s->n_fields > SA_VALUE_MAX_ITEMS)
        return sa_error_set(err, SA_EINVAL, "property '%s': more than %d entries", path_name(p),
                            SA_VALUE_MAX_ITEMS);
    for (size_t i = 0; i < s->n_fields; i++) {
        const char *key = s->fields[i]->key;
        sa_value *child = NULL;
        size_t mark;
        int rc;

        if (skip_sig && strcmp(key, SA_SIG_KEY) == 0)
            continue;
        mark = path_push_key(p, key);
        rc = decode_value(&child, s->fields[i]->value, depth + 1, p, err);
        path_pop(p, mark);
        if (rc != SA_OK)
            return rc;
        if (sa_value_object_set(obj, key, child) != SA_OK)
            return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    return SA_OK;
}

static int decode_special(sa_value **out, const Google__Protobuf__Struct *s, const char *sig,
                          int depth, path *p, sa_error *err)
{
    const Google__Protobuf__Value *inner = struct_field(s, "value");
    sa_value *v = NULL;
    int rc;

    if (strcmp(sig, SA_SIG_SECRET) == 0) {
        if (inner == NULL) {
            v = sa_value_null();
        } else {
            rc = decode_value(&v, inner, depth + 1, p, err);
            if (rc != SA_OK)
                return rc;
        }
        *out = sa_value_secret(v);
        return *out ? SA_OK : sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    if (strcmp(sig, SA_SIG_RESOURCE) == 0 || strcmp(sig, SA_SIG_ASSET) == 0 ||
        strcmp(sig, SA_SIG_ARCHIVE) == 0) {
        v = sa_calloc(1, sizeof(*v));
        if (v == NULL)
            return sa_error_set(err, SA_ENOMEM, "out of memory");
        v->kind = strcmp(sig, SA_SIG_RESOURCE) == 0 ? SA_VALUE_RESOURCE
                  : strcmp(sig, SA_SIG_ASSET) == 0  ? SA_VALUE_ASSET
                                                    : SA_VALUE_ARCHIVE;
        rc = decode_fields(v, s, depth, p, err, true);
        if (rc != SA_OK) {
            sa_value_free(v);
            return rc;
        }
        *out = v;
        return SA_OK;
    }
    if (strcmp(sig, SA_SIG_OUTPUT) == 0) {
        const Google__Protobuf__Value *secret = struct_field(s, "secret");
        if (inner == NULL) {
            v = sa_value_unknown(SA_UNKNOWN_STRING);
        } else {
            rc = decode_value(&v, inner, depth + 1, p, err);
            if (rc != SA_OK)
                return rc;
        }
        if (v != NULL && secret != NULL &&
            secret->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE && secret->bool_value)
            v = sa_value_secret(v);
        *out = v;
        return v ? SA_OK : sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    if (strcmp(sig, SA_SIG_BYTES) == 0)
        return sa_error_set(err, SA_EINVAL, "property '%s': byte strings are not supported",
                            path_name(p));
    return sa_error_set(err, SA_EINVAL, "property '%s': unknown special value signature '%.40s'",
                        path_name(p), sig);
}

static int decode_value(sa_value **out, const Google__Protobuf__Value *v, int depth, path *p,
                        sa_error *err)
{
    sa_value *r = NULL;
    int rc = SA_OK;

    *out = NULL;
    if (depth > SA_VALUE_MAX_DEPTH)
        return sa_error_set(err, SA_EINVAL, "property '%s': nested deeper than %d levels",
                            path_name(p), SA_VALUE_MAX_DEPTH);
    if (v == NULL) {
        *out = sa_value_null();
        return *out ? SA_OK : sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    switch (v->kind_case) {
    case GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE:
    case GOOGLE__PROTOBUF__VALUE__KIND__NOT_SET:
        r = sa_value_null();
        break;
    case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
        r = sa_value_bool(v->bool_value != 0);
        break;
    case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
        r = sa_value_number(v->number_value);
        break;
    case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE: {
        const char *s = v->string_value ? v->string_value : "";
        size_t len = strlen(s);
        int unknown = sa_unknown_from_sentinel(s);
        if (len > SA_VALUE_MAX_STRING)
            return sa_error_set(err, SA_EINVAL, "property '%s': string longer than %u bytes",
                                path_name(p), SA_VALUE_MAX_STRING);
        r = unknown >= 0 ? sa_value_unknown((sa_unknown_kind)unknown) : sa_value_string_n(s, len);
        break;
    }
    case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE: {
        const Google__Protobuf__ListValue *l = v->list_value;
        size_t n = l ? l->n_values : 0;
        if (n > SA_VALUE_MAX_ITEMS)
            return sa_error_set(err, SA_EINVAL, "property '%s': more than %d elements",
                                path_name(p), SA_VALUE_MAX_ITEMS);
        r = sa_value_list();
        for (size_t i = 0; r != NULL && i < n; i++) {
            sa_value *item = NULL;
            size_t mark = path_push_index(p, i);
            rc = decode_value(&item, l->values[i], depth + 1, p, err);
            path_pop(p, mark);
            if (rc == SA_OK && sa_value_list_push(r, item) != SA_OK)
                rc = sa_error_set(err, SA_ENOMEM, "out of memory");
            if (rc != SA_OK) {
                sa_value_free(r);
                return rc;
            }
        }
        break;
    }
    case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE: {
        const Google__Protobuf__Struct *s = v->struct_value;
        const Google__Protobuf__Value *sig = s ? struct_field(s, SA_SIG_KEY) : NULL;
        if (sig != NULL && sig->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE)
            return decode_special(out, s, sig->string_value, depth, p, err);
        r = sa_value_object();
        if (r != NULL && s != NULL) {
            rc = decode_fields(r, s, depth, p, err, false);
            if (rc != SA_OK) {
                sa_value_free(r);
                return rc;
            }
        }
        break;
    }
    default:
        return sa_error_set(err, SA_EINVAL, "property '%s': unsupported value kind", path_name(p));
    }
    if (r == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    *out = r;
    return SA_OK;
}

int sa_value_from_struct(sa_value **out, const Google__Protobuf__Struct *s, sa_error *err)
{
    path p = {.len = 0};
    sa_value *obj = sa_value_object();
    int rc;

    *out = NULL;
    if (obj == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    p.buf[0] = '\0';
    if (s != NULL) {
        rc = decode_fields(obj, s, 0, &p, err, false);
        if (rc != SA_OK) {
            sa_value_free(obj);
            return rc;
        }
    }
    *out = obj;
    return SA_OK;
}

/* ---- encoding ---- */

static Google__Protobuf__Value *encode_value(const sa_value *v);

static Google__Protobuf__Struct *new_struct(size_t n)
{
    Google__Protobuf__Struct *s = sa_malloc(sizeof(*s));

    if (s == NULL)
        return NULL;
    google__protobuf__struct__init(s);
    if (n > 0) {
        s->fields = sa_calloc(n, sizeof(*s->fields));
        if (s->fields == NULL) {
            free(s);
            return NULL;
        }
    }
    return s;
}

/* Appends key=value (taking ownership of value) to a struct sized for it. */
static bool struct_add(Google__Protobuf__Struct *s, const char *key, Google__Protobuf__Value *value)
{
    Google__Protobuf__Struct__FieldsEntry *e;

    if (value == NULL)
        return false;
    e = sa_malloc(sizeof(*e));
    if (e == NULL) {
        protobuf_c_message_free_unpacked(&value->base, NULL);
        return false;
    }
    google__protobuf__struct__fields_entry__init(e);
    e->key = sa_strdup(key);
    e->value = value;
    s->fields[s->n_fields++] = e;
    return e->key != NULL;
}

static Google__Protobuf__Value *new_value(void)
{
    Google__Protobuf__Value *v = sa_malloc(sizeof(*v));
    if (v != NULL)
        google__protobuf__value__init(v);
    return v;
}

static Google__Protobuf__Value *string_value(const char *s)
{
    Google__Protobuf__Value *v = new_value();

    if (v == NULL)
        return NULL;
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
    v->string_value = sa_strdup(s);
    if (v->string_value == NULL) {
        free(v);
        return NULL;
    }
    return v;
}

static Google__Protobuf__Struct *encode_object(const sa_value *obj, const char *sig)
{
    Google__Protobuf__Struct *s = new_struct(obj->u.object.len + (sig ? 1 : 0));

    if (s == NULL)
        return NULL;
    if (sig != NULL && !struct_add(s, SA_SIG_KEY, string_value(sig)))
        goto fail;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (!struct_add(s, obj->u.object.keys[i], encode_value(obj->u.object.values[i])))
            goto fail;
    return s;
fail:
    protobuf_c_message_free_unpacked(&s->base, NULL);
    return NULL;
}

static Google__Protobuf__Value *struct_value(Google__Protobuf__Struct *s)
{
    Google__Protobuf__Value *v;

    if (s == NULL)
        return NULL;
    v = new_value();
    if (v == NULL) {
        protobuf_c_message_free_unpacked(&s->base, NULL);
        return NULL;
    }
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
    v->struct_value = s;
    return v;
}

static Google__Protobuf__Value *encode_value(const sa_value *v)
{
    Google__Protobuf__Value *r;

    switch (v->kind) {
    case SA_VALUE_STRING:
        return string_value(v->u.string.ptr);
    case SA_VALUE_UNKNOWN:
        return string_value(sa_unknown_sentinel(v->u.unknown));
    case SA_VALUE_OBJECT:
        return struct_value(encode_object(v, NULL));
    case SA_VALUE_RESOURCE:
        return struct_value(encode_object(v, SA_SIG_RESOURCE));
    case SA_VALUE_ASSET:
        return struct_value(encode_object(v, SA_SIG_ASSET));
    case SA_VALUE_ARCHIVE:
        return struct_value(encode_object(v, SA_SIG_ARCHIVE));
    case SA_VALUE_SECRET: {
        Google__Protobuf__Struct *s = new_struct(2);
        if (s == NULL)
            return NULL;
        if (!struct_add(s, SA_SIG_KEY, string_value(SA_SIG_SECRET)) ||
            !struct_add(s, "value", encode_value(v->u.secret))) {
            protobuf_c_message_free_unpacked(&s->base, NULL);
            return NULL;
        }
        return struct_value(s);
    }
    default:
        break;
    }
    r = new_value();
    if (r == NULL)
        return NULL;
    switch (v->kind) {
    case SA_VALUE_NULL:
        r->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
        r->null_value = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
        break;
    case SA_VALUE_BOOL:
        r->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
        r->bool_value = v->u.boolean;
        break;
    case SA_VALUE_NUMBER:
        r->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
        r->number_value = v->u.number;
        break;
    case SA_VALUE_LIST: {
        Google__Protobuf__ListValue *l = sa_malloc(sizeof(*l));
        if (l == NULL) {
            free(r);
            return NULL;
        }
        google__protobuf__list_value__init(l);
        r->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
        r->list_value = l;
        if (v->u.list.len > 0) {
            l->values = sa_calloc(v->u.list.len, sizeof(*l->values));
            if (l->values == NULL) {
                protobuf_c_message_free_unpacked(&r->base, NULL);
                return NULL;
            }
        }
        for (size_t i = 0; i < v->u.list.len; i++) {
            l->values[i] = encode_value(v->u.list.items[i]);
            if (l->values[i] == NULL) {
                protobuf_c_message_free_unpacked(&r->base, NULL);
                return NULL;
            }
            l->n_values++;
        }
        break;
    }
    default:
        break;
    }
    return r;
}

int sa_value_to_struct(Google__Protobuf__Struct **out, const sa_value *obj, sa_error *err)
{
    *out = NULL;
    if (obj == NULL || obj->kind != SA_VALUE_OBJECT)
        return sa_error_set(err, SA_EINTERNAL, "only an object encodes to a Struct");
    *out = encode_object(obj, NULL);
    return *out ? SA_OK : sa_error_set(err, SA_ENOMEM, "out of memory");
}
