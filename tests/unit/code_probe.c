/*
 * A small CLI over stack/code.c for the packaging tests (tests/code): reads a lambdaCode value as
 * the engine's JSON (assets and archives marked with Pulumi's signature key) from a file, or a
 * folder path, packages it, writes the zip and prints {"sha256", "zipped", "unzipped"} as JSON,
 * or {"error": "..."} and exit status 1.
 * Usage: code_probe OUT.zip --json FILE | --path PATH
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/value.h"
#include "stack/code.h"

static sa_value *from_json(const cJSON *j)
{
    sa_value *v = NULL;
    const cJSON *it;

    if (cJSON_IsString(j))
        return sa_value_string(j->valuestring);
    if (cJSON_IsNumber(j))
        return sa_value_number(j->valuedouble);
    if (cJSON_IsBool(j))
        return sa_value_bool(cJSON_IsTrue(j));
    if (cJSON_IsObject(j)) {
        const char *sig = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, SA_SIG_KEY));
        v = sa_value_object();
        if (v != NULL && sig != NULL)
            v->kind = strcmp(sig, SA_SIG_ASSET) == 0 ? SA_VALUE_ASSET : SA_VALUE_ARCHIVE;
        cJSON_ArrayForEach(it, j)
        {
            if (strcmp(it->string, SA_SIG_KEY) != 0)
                sa_value_object_set(v, it->string, from_json(it));
        }
        return v;
    }
    return sa_value_null();
}

int main(int argc, char **argv)
{
    sa_code code;
    sa_error err = {0};
    sa_value *v = NULL;
    FILE *out;
    char buf[65536];
    size_t n;

    sa_alloc_init();
    if (argc != 4) {
        fprintf(stderr, "usage: code_probe OUT.zip --json FILE | --path PATH\n");
        return 2;
    }
    if (strcmp(argv[2], "--path") == 0) {
        v = sa_value_object();
        v->kind = SA_VALUE_ARCHIVE;
        sa_value_object_set(v, "path", sa_value_string(argv[3]));
    } else {
        FILE *f = fopen(argv[3], "rb");
        static char text[1 << 22];
        cJSON *j;
        if (f == NULL)
            return 2;
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        j = cJSON_Parse(text);
        v = from_json(j);
        cJSON_Delete(j);
    }
    if (sa_code_package(&code, v, NULL, &err) != SA_OK) {
        cJSON *e = cJSON_CreateObject();
        char *s;
        cJSON_AddStringToObject(e, "error", err.message);
        s = cJSON_PrintUnformatted(e);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(e);
        sa_value_free(v);
        return 1;
    }
    out = fopen(argv[1], "wb");
    fseek(code.zip, 0, SEEK_SET);
    while ((n = fread(buf, 1, sizeof(buf), code.zip)) > 0)
        fwrite(buf, 1, n, out);
    fclose(out);
    printf("{\"sha256\":\"%s\",\"zipped\":%llu,\"unzipped\":%llu}\n", code.sha256,
           (unsigned long long)code.zipped, (unsigned long long)code.unzipped);
    sa_code_dispose(&code);
    sa_value_free(v);
    return 0;
}
