/*
 * libFuzzer target: bytes as the engine would send them (a google.protobuf.Struct) through
 * decoding into the value model, the provider-config parser, SecureApiStack's Check and Diff, and
 * back to a Struct; the re-encoded value must decode to an equal value.
 */
#include <stdint.h>
#include <stdlib.h>

#include "base/value.h"
#include "plugin/config.h"
#include "plugin/value_struct.h"
#include "stack/stack.h"

static const char *no_env(const char *name)
{
    (void)name;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Google__Protobuf__Struct *s = google__protobuf__struct__unpack(NULL, size, data);
    Google__Protobuf__Struct *again = NULL;
    sa_value *v = NULL, *back = NULL, *checked = NULL;
    sa_error err = {0};
    sa_config cfg;
    sa_config_failures cf;
    sa_check_failures sf;
    sa_check_context ctx = {.resource_name = "fuzz", .getenv = no_env};
    sa_stack_diff_result d;

    if (s == NULL)
        return 0;
    if (sa_value_from_struct(&v, s, &err) == SA_OK) {
        sa_config_parse(&cfg, v, &cf);
        sa_config_dispose(&cfg);
        if (sa_stack_check(&checked, v, v, &ctx, &sf, &err) != SA_EINTERNAL && checked != NULL)
            sa_stack_diff(&d, checked, v, checked, &err);
        if (sa_value_to_struct(&again, v, &err) == SA_OK) {
            if (sa_value_from_struct(&back, again, &err) == SA_OK && !sa_value_equal(v, back))
                abort(); /* a round trip changed the value */
            protobuf_c_message_free_unpacked(&again->base, NULL);
        }
    }
    sa_value_free(back);
    sa_value_free(checked);
    sa_value_free(v);
    google__protobuf__struct__free_unpacked(s, NULL);
    return 0;
}
