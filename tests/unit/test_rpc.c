/*
 * Unit tests of RPC dispatch without a socket: plugin info carries the project version, the
 * embedded schema is valid JSON naming our resource, malformed bytes and unknown methods get the
 * right gRPC codes, DiffConfig replaces on a region change, and the resource methods answer a
 * clear error rather than a fake success until they exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/value.h"
#include "base/version.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "plugin/provider.h"
#include "plugin/rpc.h"
#include "pulumi/plugin.pb-c.h"
#include "pulumi/provider.pb-c.h"

static int setup(void **state)
{
    sa_provider *p = calloc(1, sizeof(*p));
    sa_error err = {0};
    if (p == NULL || sa_provider_init(p, "127.0.0.1:1", 0, &err) != SA_OK)
        return -1;
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    sa_provider_dispose(*state);
    free(*state);
    return 0;
}

static void test_plugin_info_version(void **state)
{
    sa_rpc_reply r;
    Pulumirpc__PluginInfo *info;

    sa_rpc_dispatch(*state, "/pulumirpc.ResourceProvider/GetPluginInfo", NULL, 0, &r);
    assert_int_equal(r.grpc_code, SA_GRPC_OK);
    info = pulumirpc__plugin_info__unpack(NULL, r.body_len, r.body);
    assert_non_null(info);
    assert_string_equal(info->version, SA_VERSION);
    pulumirpc__plugin_info__free_unpacked(info, NULL);
    sa_rpc_reply_dispose(&r);
}

static void test_schema_is_json_with_resource(void **state)
{
    sa_rpc_reply r;
    Pulumirpc__GetSchemaResponse *resp;
    cJSON *schema, *res, *ver;

    sa_rpc_dispatch(*state, "/pulumirpc.ResourceProvider/GetSchema", NULL, 0, &r);
    assert_int_equal(r.grpc_code, SA_GRPC_OK);
    resp = pulumirpc__get_schema_response__unpack(NULL, r.body_len, r.body);
    assert_non_null(resp);
    schema = cJSON_Parse(resp->schema);
    assert_non_null(schema);
    res = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "resources"),
                                           "secureapi:index:SecureApiStack");
    assert_non_null(res);
    ver = cJSON_GetObjectItemCaseSensitive(schema, "version");
    assert_string_equal(cJSON_GetStringValue(ver), SA_VERSION);
    cJSON_Delete(schema);
    pulumirpc__get_schema_response__free_unpacked(resp, NULL);
    sa_rpc_reply_dispose(&r);
}

static void test_malformed_bytes(void **state)
{
    const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a};
    sa_rpc_reply r;

    sa_rpc_dispatch(*state, "/pulumirpc.ResourceProvider/Configure", junk, sizeof(junk), &r);
    assert_int_equal(r.grpc_code, SA_GRPC_INVALID_ARGUMENT);
    assert_non_null(strstr(r.message, "Configure"));
    sa_rpc_reply_dispose(&r);
}

static void test_unknown_method(void **state)
{
    sa_rpc_reply r;

    sa_rpc_dispatch(*state, "/pulumirpc.ResourceProvider/Construct", NULL, 0, &r);
    assert_int_equal(r.grpc_code, SA_GRPC_UNIMPLEMENTED);
    sa_rpc_reply_dispose(&r);
}

static Google__Protobuf__Struct *region_struct(const char *region)
{
    Google__Protobuf__Struct *s = malloc(sizeof(*s));
    Google__Protobuf__Struct__FieldsEntry *e = malloc(sizeof(*e));
    Google__Protobuf__Value *v = malloc(sizeof(*v));

    google__protobuf__struct__init(s);
    google__protobuf__struct__fields_entry__init(e);
    google__protobuf__value__init(v);
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
    v->string_value = strdup(region);
    e->key = strdup("region");
    e->value = v;
    s->n_fields = 1;
    s->fields = malloc(sizeof(*s->fields));
    s->fields[0] = e;
    return s;
}

static void diff_config(sa_provider *p, const char *old_region, const char *new_region,
                        Pulumirpc__DiffResponse **out)
{
    Pulumirpc__DiffRequest *req = malloc(sizeof(*req));
    size_t n;
    uint8_t *buf;
    sa_rpc_reply r;

    pulumirpc__diff_request__init(req);
    req->olds = region_struct(old_region);
    req->news = region_struct(new_region);
    n = pulumirpc__diff_request__get_packed_size(req);
    buf = malloc(n);
    pulumirpc__diff_request__pack(req, buf);
    sa_rpc_dispatch(p, "/pulumirpc.ResourceProvider/DiffConfig", buf, n, &r);
    assert_int_equal(r.grpc_code, SA_GRPC_OK);
    *out = pulumirpc__diff_response__unpack(NULL, r.body_len, r.body);
    assert_non_null(*out);
    sa_rpc_reply_dispose(&r);
    free(buf);
    pulumirpc__diff_request__free_unpacked(req, NULL);
}

static void test_diff_config_region_replaces(void **state)
{
    Pulumirpc__DiffResponse *d;

    diff_config(*state, "ap-southeast-1", "eu-west-1", &d);
    assert_int_equal(d->changes, PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_SOME);
    assert_int_equal(d->n_replaces, 1);
    assert_string_equal(d->replaces[0], "region");
    pulumirpc__diff_response__free_unpacked(d, NULL);

    diff_config(*state, "ap-southeast-1", "ap-southeast-1", &d);
    assert_int_equal(d->changes, PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_NONE);
    assert_int_equal(d->n_replaces, 0);
    pulumirpc__diff_response__free_unpacked(d, NULL);
}

static void test_resource_methods_fail_clearly(void **state)
{
    const char *ops[] = {"Create", "Read", "Update", "Delete"};

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        char path[128];
        sa_rpc_reply r;
        snprintf(path, sizeof(path), "/pulumirpc.ResourceProvider/%s", ops[i]);
        sa_rpc_dispatch(*state, path, NULL, 0, &r);
        assert_int_not_equal(r.grpc_code, SA_GRPC_OK);
        assert_non_null(strstr(r.message, "secureapi:index:SecureApiStack"));
        sa_rpc_reply_dispose(&r);
    }
}

static void test_partial_failure_detail(void **state)
{
    sa_rpc_reply r = {0};
    sa_value *props = sa_value_object();
    const char *reasons[] = {"creating the Lambda function: AccessDeniedException: nope"};
    sa_error err = {0};
    Google__Rpc__Status *st;
    Pulumirpc__ErrorResourceInitFailed *d;
    (void)state;

    sa_value_object_set(props, "kmsKeyId", sa_value_string("key-1"));
    sa_value_object_set(props, "secretThing", sa_value_secret(sa_value_string("s")));
    assert_int_equal(sa_rpc_partial_failure(&r, SA_GRPC_UNKNOWN, "create failed", "stack-1", props,
                                            NULL, reasons, 1, &err),
                     SA_OK);
    assert_int_equal(r.grpc_code, SA_GRPC_UNKNOWN);
    assert_string_equal(r.message, "create failed");
    st = google__rpc__status__unpack(NULL, r.status_details_len, r.status_details);
    assert_non_null(st);
    assert_int_equal(st->code, SA_GRPC_UNKNOWN);
    assert_int_equal(st->n_details, 1);
    assert_string_equal(st->details[0]->type_url,
                        "type.googleapis.com/pulumirpc.ErrorResourceInitFailed");
    d = pulumirpc__error_resource_init_failed__unpack(NULL, st->details[0]->value.len,
                                                      st->details[0]->value.data);
    assert_non_null(d);
    assert_string_equal(d->id, "stack-1");
    assert_int_equal(d->n_reasons, 1);
    assert_string_equal(d->reasons[0], reasons[0]);
    assert_int_equal(d->properties->n_fields, 2);
    assert_null(d->inputs);
    pulumirpc__error_resource_init_failed__free_unpacked(d, NULL);
    google__rpc__status__free_unpacked(st, NULL);
    sa_value_free(props);
    sa_rpc_reply_dispose(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plugin_info_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_is_json_with_resource, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_config_region_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resource_methods_fail_clearly, setup, teardown),
        cmocka_unit_test(test_partial_failure_detail),
    };
    return cmocka_run_group_tests_name("rpc", tests, NULL, NULL);
}
