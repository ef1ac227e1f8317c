/*
 * The property table of SecureApiStack (provider/stack/props.c) against the package schema
 * (provider/schema.json): the table is the one home of each property inside the plugin and the
 * schema is what users and SDKs see, so they must agree: every input row is a schema input and
 * every schema input a row, the same for outputs, with the same type, the same default and the
 * same required inputs. Adding a property is one row plus the schema; this test fails until both
 * are there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/state.h"

extern const char sa_test_schema_path[];

static cJSON *schema;

static int load(void **state)
{
    FILE *f = fopen(sa_test_schema_path, "rb");
    static char buf[1 << 20];
    size_t n;

    (void)state;
    if (f == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    schema = cJSON_Parse(buf);
    return schema != NULL ? 0 : -1;
}

static int unload(void **state)
{
    (void)state;
    cJSON_Delete(schema);
    return 0;
}

static const cJSON *resource(void)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(schema, "resources"), "secureapi:index:SecureApiStack");
    assert_non_null(r);
    return r;
}

/* The type of a schema property, through a $ref to the schema's types. */
static const char *type_of(const cJSON *sp)
{
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(sp, "$ref");
    const cJSON *t;

    if (cJSON_IsString(ref) && strcmp(ref->valuestring, "pulumi.json#/Archive") == 0)
        return "archive";
    if (cJSON_IsString(ref) && strncmp(ref->valuestring, "#/types/", 8) == 0)
        sp = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "types"),
                                              ref->valuestring + 8);
    t = cJSON_GetObjectItemCaseSensitive(sp, "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

static const char *schema_type(sa_prop_type t)
{
    switch (t) {
    case SA_PROP_STRING:
        return "string";
    case SA_PROP_INT:
        return "integer";
    case SA_PROP_BOOL:
        return "boolean";
    case SA_PROP_MAP:
        return "object";
    case SA_PROP_ARCHIVE:
        return "archive";
    }
    return "?";
}

static bool in_list(const cJSON *list, const char *key)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, key) == 0)
            return true;
    }
    return false;
}

/* Every row with the flag is a property of that schema section, and the other way round. */
static void check_section(const cJSON *section, unsigned flag)
{
    const cJSON *p;
    size_t rows = 0;

    for (size_t i = 0; i < sa_stack_prop_count; i++) {
        const sa_prop *row = &sa_stack_props[i];
        const cJSON *sp;
        if (!(row->flags & flag))
            continue;
        rows++;
        sp = cJSON_GetObjectItemCaseSensitive(section, row->key);
        if (sp == NULL)
            fail_msg("table row %s is not in the schema", row->key);
        if (type_of(sp) == NULL)
            fail_msg("schema property %s has no type", row->key);
        assert_string_equal(type_of(sp), schema_type(row->type));
    }
    cJSON_ArrayForEach(p, section)
    {
        const sa_prop *row = sa_stack_prop(p->string);
        if (row == NULL || !(row->flags & flag))
            fail_msg("schema property %s has no table row with that flag", p->string);
    }
    assert_int_equal(rows, (size_t)cJSON_GetArraySize(section));
}

static void test_inputs_agree(void **state)
{
    const cJSON *r = resource();
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(r, "inputProperties");
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(r, "requiredInputs");
    (void)state;

    check_section(inputs, SA_PROP_INPUT);
    for (size_t i = 0; i < sa_stack_prop_count; i++) {
        const sa_prop *row = &sa_stack_props[i];
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(inputs, row->key);
        const cJSON *dflt = cJSON_GetObjectItemCaseSensitive(sp, "default");
        if (!(row->flags & SA_PROP_INPUT))
            continue;
        assert_int_equal(in_list(required, row->key), (row->flags & SA_PROP_REQUIRED) != 0);
        if (row->dflt_text != NULL && row->dflt_text == sa_default_handler_js) {
            /* a long default (the default handler's source) the schema describes in words */
            assert_null(dflt);
        } else if (row->dflt_text != NULL) {
            assert_true(cJSON_IsString(dflt) && strcmp(dflt->valuestring, row->dflt_text) == 0);
        } else if (row->dflt != NULL && strcmp(row->dflt, "{}") != 0) {
            /* the schema states the default the table fills in */
            cJSON *want = cJSON_Parse(row->dflt);
            if (dflt == NULL)
                fail_msg("schema input %s lacks the default %s", row->key, row->dflt);
            assert_true(cJSON_Compare(want, dflt, true));
            cJSON_Delete(want);
        } else if (dflt != NULL) {
            fail_msg("schema input %s states a default the table does not fill", row->key);
        }
    }
}

static void test_outputs_agree(void **state)
{
    const cJSON *r = resource();
    (void)state;

    check_section(cJSON_GetObjectItemCaseSensitive(r, "properties"), SA_PROP_OUTPUT);
}

static void test_state_rows_are_internal(void **state)
{
    (void)state;
    for (size_t i = 0; i < sa_stack_prop_count; i++) {
        const sa_prop *row = &sa_stack_props[i];
        /* a state field that is not a schema output keeps a leading underscore */
        assert_true((row->flags & SA_PROP_OUTPUT) != 0 || row->key[0] == '_');
        assert_true(row->state == 0 || row->state_size > 0 || row->type != SA_PROP_STRING);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inputs_agree),
        cmocka_unit_test(test_outputs_agree),
        cmocka_unit_test(test_state_rows_are_internal),
    };
    return cmocka_run_group_tests_name("stack_props", tests, load, unload);
}
