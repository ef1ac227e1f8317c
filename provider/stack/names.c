/*
 * The names of a stack's AWS objects, in Pulumi's autonaming style: <resource>-<suffix>[-<part>]-
 * <7 hex>. The hex is a hash of the resource's URN (stack, project, name), the suffix and the
 * effective region, not of the engine's random seed: the seed changes on every `pulumi up` of a
 * resource the state does not hold yet, and a Create that was interrupted (the plugin killed)
 * must find the pieces it already made under the same names when it runs again. A suffix or
 * region change (the replacements) gives new names. The base is cut once to SA_NAME_BASE_MAX
 * characters so every name fits AWS's limits (Lambda function and IAM role names: 64), and every
 * name can be derived again from the function name alone (import): one builder serves both.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "stack/stack.h"
#include "stack/state.h"

#define SA_NAME_BASE_MAX 48

/* <prefix> made of lowercase letters, digits and -, from the resource name. */
static void sanitize(char *out, size_t cap, const char *in)
{
    size_t n = 0;

    for (const char *p = in ? in : ""; *p && n + 1 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c))
            out[n++] = (char)tolower(c);
        else if (n > 0 && out[n - 1] != '-')
            out[n++] = '-';
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, cap, "secureapi");
}

int sa_stack_name_seed_derive(sa_stack_name_seed *out, char *base, size_t base_cap, const char *urn,
                              const uint8_t *random_seed, size_t seed_len,
                              const char *resource_name, const char *suffix, const char *region,
                              sa_error *err)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    char prefix[64];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok;

    /* URN (or seed), resource name, suffix and region, each followed by a NUL separator */
    ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    if (ok && urn != NULL && urn[0] != '\0')
        ok = EVP_DigestUpdate(md, urn, strlen(urn));
    else if (ok && random_seed != NULL)
        ok = EVP_DigestUpdate(md, random_seed, seed_len);
    ok = ok && EVP_DigestUpdate(md, "", 1) &&
         EVP_DigestUpdate(md, resource_name, strlen(resource_name) + 1) &&
         EVP_DigestUpdate(md, suffix, strlen(suffix) + 1) &&
         EVP_DigestUpdate(md, region, strlen(region) + 1) &&
         EVP_DigestFinal_ex(md, digest, &digest_len);
    EVP_MD_CTX_free(md);
    if (!ok)
        return sa_error_set(err, SA_ENOMEM, "could not hash the stack's names");
    snprintf(out->hex, sizeof(out->hex), "%02x%02x%02x%.1x", digest[0], digest[1], digest[2],
             digest[3] >> 4);
    sanitize(prefix, sizeof(prefix), resource_name);
    snprintf(base, base_cap, "%s-%s", prefix, suffix);
    if (strlen(base) > SA_NAME_BASE_MAX)
        base[SA_NAME_BASE_MAX] = '\0';
    while (strlen(base) > 0 && base[strlen(base) - 1] == '-')
        base[strlen(base) - 1] = '\0';
    out->base = base;
    return SA_OK;
}

int sa_stack_name_seed_from_function(sa_stack_name_seed *out, char *base, size_t base_cap,
                                     const char *fn, sa_error *err)
{
    const char *dash = strrchr(fn, '-');
    bool ok = dash != NULL && dash != fn && strlen(dash + 1) == 7 &&
              (size_t)(dash - fn) <= SA_NAME_BASE_MAX && (size_t)(dash - fn) < base_cap;

    for (const char *p = ok ? dash + 1 : ""; *p; p++)
        ok = ok && isxdigit((unsigned char)*p);
    if (!ok)
        return sa_error_set(err, SA_EINVAL,
                            "'%s' is not the function of a SecureApiStack "
                            "(expected <name>-<suffix>-<7 hex digits>)",
                            fn);
    snprintf(base, base_cap, "%.*s", (int)(dash - fn), fn);
    SA_COPY(out->hex, dash + 1);
    out->base = base;
    return SA_OK;
}

/* One name: <base>[-<part>]-<hex>, with an optional prefix ("alias/", "/aws/lambda/"). */
static sa_value *name(const sa_stack_name_seed *seed, const char *prefix, const char *part)
{
    char buf[160];

    snprintf(buf, sizeof(buf), "%s%s%s%s-%s", prefix, seed->base, part ? "-" : "", part ? part : "",
             seed->hex);
    return sa_value_string(buf);
}

int sa_stack_names_build(sa_value **out, const sa_stack_name_seed *seed, const char *region,
                         sa_error *err)
{
    sa_value *names = sa_value_object();
    int rc = names != NULL ? SA_OK : SA_ENOMEM;

    if (rc == SA_OK)
        rc = sa_value_object_set(names, "region", sa_value_string(region));
    if (rc == SA_OK)
        rc = sa_value_object_set(names, "functionName", name(seed, "", NULL));
    if (rc == SA_OK)
        rc = sa_value_object_set(names, "logGroupName", name(seed, "/aws/lambda/", NULL));
    if (rc == SA_OK)
        rc = sa_value_object_set(names, "roleName", name(seed, "", "role"));
    if (rc == SA_OK)
        rc = sa_value_object_set(names, "policyName", name(seed, "", "logs"));
    if (rc == SA_OK)
        rc = sa_value_object_set(names, "aliasName", name(seed, "alias/", "logs-key"));
    if (rc == SA_OK)
        rc = sa_value_object_set(names, "apiName", name(seed, "", "api"));
    if (rc != SA_OK) {
        sa_value_free(names);
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    }
    *out = names;
    return SA_OK;
}
