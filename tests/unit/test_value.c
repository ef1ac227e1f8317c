/*
 * Unit tests of the value model and its Struct conversion: every kind round-trips, secrets and
 * all seven unknown sentinels survive nested anywhere, integers stay exact up to 2^53, resource
 * references, assets and archives pass through, byte strings are refused naming the property path,
 * and the depth limit holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/value.h"
#include "plugin/value_struct.h"

static sa_value *roundtrip(const sa_value *v)
{
    Google__Protobuf__Struct *s = NULL;
    sa_value *back = NULL;
    sa_error err = {0};
    uint8_t *buf;
    size_t n;
    Google__Protobuf__Struct *wire;

    assert_int_equal(sa_value_to_struct(&s, v, &err), SA_OK);
    /* through the wire format too */
    n = google__protobuf__struct__get_packed_size(s);
    buf = malloc(n + 1);
    google__protobuf__struct__pack(s, buf);
    wire = google__protobuf__struct__unpack(NULL, n, buf);
    assert_non_null(wire);
    assert_int_equal(sa_value_from_struct(&back, wire, &err), SA_OK);
    google__protobuf__struct__free_unpacked(wire, NULL);
    protobuf_c_message_free_unpacked(&s->base, NULL);
    free(buf);
    return back;
}

static void test_all_kinds_roundtrip(void **state)
{
    sa_value *obj = sa_value_object(), *list = sa_value_list(), *inner = sa_value_object(), *back;
    (void)state;

    assert_int_equal(sa_value_object_set(obj, "null", sa_value_null()), SA_OK);
    sa_value_object_set(obj, "t", sa_value_bool(true));
    sa_value_object_set(obj, "f", sa_value_bool(false));
    sa_value_object_set(obj, "big", sa_value_number(9007199254740992.0));
    sa_value_object_set(obj, "neg", sa_value_number(-9007199254740991.0));
    sa_value_object_set(obj, "pi", sa_value_number(3.25));
    sa_value_object_set(obj, "unicode",
                        sa_value_string("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x9a\x80"));
    sa_value_object_set(obj, "empty", sa_value_string(""));
    sa_value_object_set(obj, "emptylist", sa_value_list());
    sa_value_object_set(obj, "emptyobj", sa_value_object());
    for (int k = 0; k <= SA_UNKNOWN_ARCHIVE; k++)
        sa_value_list_push(list, sa_value_unknown((sa_unknown_kind)k));
    sa_value_list_push(list, sa_value_secret(sa_value_unknown(SA_UNKNOWN_STRING)));
    sa_value_object_set(inner, "password", sa_value_secret(sa_value_string("hunter2")));
    sa_value_object_set(inner, "deep", sa_value_secret(sa_value_secret(sa_value_number(1))));
    sa_value_list_push(list, inner);
    sa_value_object_set(obj, "list", list);

    back = roundtrip(obj);
    assert_true(sa_value_equal(obj, back));
    assert_true(sa_value_contains_secret(back));
    assert_true(sa_value_contains_unknown(back));
    {
        int64_t n = 0;
        assert_true(sa_value_get_int(sa_value_object_get(back, "big"), &n));
        assert_true(n == INT64_C(9007199254740992));
        assert_false(sa_value_get_int(sa_value_object_get(back, "pi"), &n));
    }
    sa_value_free(obj);
    sa_value_free(back);
}

static void test_resource_reference_passes_through(void **state)
{
    sa_value *obj = sa_value_object(), *ref, *back;
    const sa_value *got;
    (void)state;

    ref = calloc(1, sizeof(*ref));
    ref->kind = SA_VALUE_RESOURCE;
    sa_value_object_set(ref, "urn", sa_value_string("urn:pulumi:dev::p::aws:s3/bucket:Bucket::b"));
    sa_value_object_set(ref, "id", sa_value_string("b-123"));
    sa_value_object_set(ref, "packageVersion", sa_value_string("6.0.0"));
    sa_value_object_set(obj, "ref", ref);
    back = roundtrip(obj);
    got = sa_value_object_get(back, "ref");
    assert_int_equal(got->kind, SA_VALUE_RESOURCE);
    assert_true(sa_value_equal(obj, back));
    sa_value_free(obj);
    sa_value_free(back);
}

/* Builds {"<key>": {sig: <sig>, ...}} as a Struct. */
static Google__Protobuf__Struct *special(const char *key, const char *sig)
{
    sa_value *obj = sa_value_object(), *sp = sa_value_object();
    Google__Protobuf__Struct *s = NULL;
    sa_error err = {0};

    sa_value_object_set(sp, SA_SIG_KEY, sa_value_string(sig));
    sa_value_object_set(sp, "hash", sa_value_string("abc"));
    sa_value_object_set(sp, "text", sa_value_string("exports.handler = 1"));
    sa_value_object_set(obj, key, sp);
    assert_int_equal(sa_value_to_struct(&s, obj, &err), SA_OK);
    sa_value_free(obj);
    return s;
}

/* Assets and archives pass through (their fields kept, the signature put back on the way out);
 * byte strings are refused naming the property. */
static void test_assets_archives_pass_through(void **state)
{
    const char *sigs[] = {SA_SIG_ASSET, SA_SIG_ARCHIVE};
    const sa_value_kind kinds[] = {SA_VALUE_ASSET, SA_VALUE_ARCHIVE};
    Google__Protobuf__Struct *s, *again = NULL;
    sa_value *v = NULL, *back = NULL;
    sa_error err = {0};
    const char *text = NULL;
    (void)state;

    for (size_t i = 0; i < 2; i++) {
        const sa_value *got;
        s = special("lambdaCode", sigs[i]);
        assert_int_equal(sa_value_from_struct(&v, s, &err), SA_OK);
        got = sa_value_object_get(v, "lambdaCode");
        assert_int_equal(got->kind, kinds[i]);
        assert_null(sa_value_object_get(got, SA_SIG_KEY));
        assert_true(sa_value_get_string(sa_value_object_get(got, "text"), &text));
        assert_string_equal(text, "exports.handler = 1");
        assert_int_equal(sa_value_to_struct(&again, v, &err), SA_OK);
        assert_int_equal(sa_value_from_struct(&back, again, &err), SA_OK);
        assert_true(sa_value_equal(v, back));
        sa_value_free(v);
        sa_value_free(back);
        protobuf_c_message_free_unpacked(&s->base, NULL);
        protobuf_c_message_free_unpacked(&again->base, NULL);
        v = back = NULL;
        again = NULL;
    }
    s = special("lambdaHandlerCode", SA_SIG_BYTES);
    assert_int_equal(sa_value_from_struct(&v, s, &err), SA_EINVAL);
    assert_null(v);
    assert_non_null(strstr(err.message, "lambdaHandlerCode"));
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void test_depth_limit(void **state)
{
    sa_value *root = sa_value_object(), *cur = root;
    Google__Protobuf__Struct *s = NULL;
    sa_value *back = NULL;
    sa_error err = {0};
    (void)state;

    for (int i = 0; i < SA_VALUE_MAX_DEPTH + 2; i++) {
        sa_value *next = sa_value_object();
        sa_value_object_set(cur, "n", next);
        cur = next;
    }
    assert_int_equal(sa_value_to_struct(&s, root, &err), SA_OK);
    assert_int_equal(sa_value_from_struct(&back, s, &err), SA_EINVAL);
    assert_non_null(strstr(err.message, "nested deeper"));
    assert_non_null(strstr(err.message, "n.n.n"));
    protobuf_c_message_free_unpacked(&s->base, NULL);
    sa_value_free(root);
}

static void test_output_values(void **state)
{
    sa_value *obj = sa_value_object(), *out1 = sa_value_object(), *out2 = sa_value_object(), *back;
    Google__Protobuf__Struct *s = NULL;
    sa_error err = {0};
    (void)state;

    sa_value_object_set(out1, SA_SIG_KEY, sa_value_string(SA_SIG_OUTPUT));
    sa_value_object_set(out1, "value", sa_value_string("x"));
    sa_value_object_set(out1, "secret", sa_value_bool(true));
    sa_value_object_set(out2, SA_SIG_KEY, sa_value_string(SA_SIG_OUTPUT));
    sa_value_object_set(obj, "known", out1);
    sa_value_object_set(obj, "unknown", out2);
    sa_value_to_struct(&s, obj, &err);
    assert_int_equal(sa_value_from_struct(&back, s, &err), SA_OK);
    assert_int_equal(sa_value_object_get(back, "known")->kind, SA_VALUE_SECRET);
    assert_true(sa_value_is_unknown(sa_value_object_get(back, "unknown")));
    protobuf_c_message_free_unpacked(&s->base, NULL);
    sa_value_free(obj);
    sa_value_free(back);
}

static void test_object_set_replace_remove(void **state)
{
    sa_value *o = sa_value_object();
    const char *s = NULL;
    (void)state;

    sa_value_object_set(o, "a", sa_value_string("1"));
    sa_value_object_set(o, "b", sa_value_string("2"));
    sa_value_object_set(o, "a", sa_value_string("3"));
    assert_int_equal(o->u.object.len, 2);
    assert_true(sa_value_get_string(sa_value_object_get(o, "a"), &s));
    assert_string_equal(s, "3");
    assert_true(sa_value_object_remove(o, "a"));
    assert_false(sa_value_object_remove(o, "a"));
    assert_null(sa_value_object_get(o, "a"));
    assert_non_null(sa_value_object_get(o, "b"));
    sa_value_free(o);
}

static void test_sentinels(void **state)
{
    (void)state;
    assert_int_equal(sa_unknown_from_sentinel("04da6b54-80e4-46f7-96ec-b56ff0331ba9"),
                     SA_UNKNOWN_STRING);
    assert_int_equal(sa_unknown_from_sentinel("e48ece36-62e2-4504-bad9-02848725956a"),
                     SA_UNKNOWN_ARCHIVE);
    assert_int_equal(sa_unknown_from_sentinel("04da6b54-80e4-46f7-96ec-b56ff0331ba8"), -1);
    assert_int_equal(sa_unknown_from_sentinel("hello"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_kinds_roundtrip),
        cmocka_unit_test(test_resource_reference_passes_through),
        cmocka_unit_test(test_assets_archives_pass_through),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_output_values),
        cmocka_unit_test(test_object_set_replace_remove),
        cmocka_unit_test(test_sentinels),
    };
    return cmocka_run_group_tests_name("value", tests, NULL, NULL);
}
