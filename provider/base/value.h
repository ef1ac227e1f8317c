/*
 * The provider's one value model: what a Pulumi property can be (null, bool, number, string, list,
 * object) plus the protocol's special values: unknowns (the seven "computed" sentinels, preview
 * only), secrets (a wrapper kept around any value), resource references, assets and archives
 * (each kept as the object of its fields and passed through; stack/code.c reads assets and
 * archives). Conversion to and from google.protobuf.Struct lives in value_struct.c, with bounded
 * depth and sizes. Values are trees owned by their parent: constructors return a new value the
 * caller owns, setters take ownership of what they are given, getters return borrowed pointers.
 */
#ifndef SA_VALUE_H
#define SA_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef enum sa_value_kind {
    SA_VALUE_NULL,
    SA_VALUE_BOOL,
    SA_VALUE_NUMBER,
    SA_VALUE_STRING,
    SA_VALUE_LIST,
    SA_VALUE_OBJECT,
    SA_VALUE_UNKNOWN,  /* a computed value; `unknown` says which sentinel */
    SA_VALUE_SECRET,   /* wraps exactly one value */
    SA_VALUE_RESOURCE, /* a resource reference, kept as its object (urn, id, packageVersion...) */
    SA_VALUE_ASSET,    /* an asset, kept as its object (hash and text, path or uri) */
    SA_VALUE_ARCHIVE,  /* an archive, kept as its object (hash and assets, path or uri) */
} sa_value_kind;

/* Which of the engine's seven unknown sentinels a value is. */
typedef enum sa_unknown_kind {
    SA_UNKNOWN_STRING,
    SA_UNKNOWN_BOOL,
    SA_UNKNOWN_NUMBER,
    SA_UNKNOWN_ARRAY,
    SA_UNKNOWN_OBJECT,
    SA_UNKNOWN_ASSET,
    SA_UNKNOWN_ARCHIVE,
} sa_unknown_kind;

typedef struct sa_value sa_value;

struct sa_value {
    sa_value_kind kind;
    union {
        bool boolean;
        double number;
        struct {
            char *ptr; /* NUL-terminated; may contain no NUL in between */
            size_t len;
        } string;
        struct {
            sa_value **items;
            size_t len, cap;
        } list;
        struct {
            char **keys;
            sa_value **values;
            size_t len, cap;
        } object; /* also the fields of a resource reference, asset or archive */
        sa_unknown_kind unknown;
        sa_value *secret;
    } u;
};

/* Limits applied when decoding what the engine sends. */
#define SA_VALUE_MAX_DEPTH 32
#define SA_VALUE_MAX_ITEMS 100000      /* elements in one list or object */
#define SA_VALUE_MAX_STRING (8u << 20) /* bytes in one string */

/* The protocol's constants. */
#define SA_SIG_KEY "4dabf18193072939515e22adb298388d"
#define SA_SIG_SECRET "1b47061264138c4ac30d75fd1eb44270"
#define SA_SIG_RESOURCE "5cf8f73096256a8f31e491e813e4eb8e"
#define SA_SIG_OUTPUT "d0e6a833031e9bbcd3f4e8bde6ca49a4"
#define SA_SIG_ASSET "c44067f5952c0a294b673a41bacd8c17"
#define SA_SIG_ARCHIVE "0def7320c3a5731c473e5ecbe6d01bc7"
#define SA_SIG_BYTES "803fd3297a5875dc03ca845dda5d2a98"

/* Constructors: each returns a new value owned by the caller, or NULL when out of memory.
 * sa_value_secret takes ownership of inner (and frees it on failure). */
sa_value *sa_value_null(void);
sa_value *sa_value_bool(bool b);
sa_value *sa_value_number(double n);
sa_value *sa_value_string(const char *s);
sa_value *sa_value_string_n(const char *s, size_t len);
sa_value *sa_value_list(void);
sa_value *sa_value_object(void);
sa_value *sa_value_unknown(sa_unknown_kind kind);
sa_value *sa_value_secret(sa_value *inner);

void sa_value_free(sa_value *v);
sa_value *sa_value_copy(const sa_value *v);

/* Appends item to a list; takes ownership of item (freed on failure). */
int sa_value_list_push(sa_value *list, sa_value *item);
/* Sets key in an object (replacing an existing entry); takes ownership of val (freed on failure).
 */
int sa_value_object_set(sa_value *obj, const char *key, sa_value *val);
/* Removes key from an object; returns true when it was there. */
bool sa_value_object_remove(sa_value *obj, const char *key);
/* Borrowed entry of an object, or NULL. Does not look through secrets. */
const sa_value *sa_value_object_get(const sa_value *obj, const char *key);

/* Looks through secret wrappers: the innermost value, and whether any wrapper was seen. */
const sa_value *sa_value_unwrap(const sa_value *v, bool *secret_out);
/* True when v (through secrets) is an unknown sentinel. */
bool sa_value_is_unknown(const sa_value *v);
/* True when v or anything inside it is unknown / secret. */
bool sa_value_contains_unknown(const sa_value *v);
bool sa_value_contains_secret(const sa_value *v);
bool sa_value_contains_kind(const sa_value *v, sa_value_kind kind);
/* Deep equality, including secret wrappers and unknown kinds; numbers compare by value. */
bool sa_value_equal(const sa_value *a, const sa_value *b);

/* Typed reads through secret wrappers; fail (false) on the wrong kind or an unknown. */
bool sa_value_get_string(const sa_value *v, const char **out);
bool sa_value_get_bool(const sa_value *v, bool *out);
/* An integral number with |n| <= 2^53. */
bool sa_value_get_int(const sa_value *v, int64_t *out);

const char *sa_value_kind_name(sa_value_kind kind);
const char *sa_unknown_sentinel(sa_unknown_kind kind);
/* Which sentinel s is, or -1 when it is an ordinary string. */
int sa_unknown_from_sentinel(const char *s);

#endif
