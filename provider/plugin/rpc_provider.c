/*
 * The RPCs about the plugin itself and its configuration: Handshake, GetPluginInfo, GetSchema,
 * CheckConfig (every problem a CheckFailure naming the key), DiffConfig (a region change
 * replaces), Configure (the AWS client and, unless skipped, who the credentials are), Cancel and
 * Attach. A new configuration replaces the provider's AWS client; operations still running keep
 * the reference they took to the old one, which is freed when the last of them releases it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "base/alloc.h"
#include "base/util.h"
#include "google/protobuf/empty.pb-c.h"
#include "plugin/engine.h"
#include "plugin/log.h"
#include "plugin/rpc_internal.h"
#include "pulumi/plugin.pb-c.h"
#include "stack/stack.h"

void sa_rpc_handshake(rpc_call *c)
{
    const Pulumirpc__ProviderHandshakeRequest *req = (const void *)c->req;
    Pulumirpc__ProviderHandshakeResponse *r;

    /* In attach mode the handshake is where we learn the engine's address. */
    if (c->p->engine_address == NULL && req->engine_address != NULL && req->engine_address[0])
        sa_engine_set_address(c->p, req->engine_address);
    r = NEW(c, Pulumirpc__ProviderHandshakeResponse, pulumirpc__provider_handshake_response__init);
    if (r == NULL)
        return;
    r->accept_secrets = 1;
    r->accept_resources = 1;
    c->resp = &r->base;
}

void sa_rpc_get_plugin_info(rpc_call *c)
{
    Pulumirpc__PluginInfo *r = NEW(c, Pulumirpc__PluginInfo, pulumirpc__plugin_info__init);

    if (r == NULL)
        return;
    r->version = sa_strdup(c->p->version);
    sa_rpc_respond(c, &r->base, r->version != NULL);
}

void sa_rpc_get_schema(rpc_call *c)
{
    const Pulumirpc__GetSchemaRequest *req = (const void *)c->req;
    Pulumirpc__GetSchemaResponse *r;

    if (req->subpackage_name != NULL && req->subpackage_name[0] != '\0') {
        sa_rpc_fail(c, SA_GRPC_INVALID_ARGUMENT, "package secureapi has no subpackage '%s'",
                    req->subpackage_name);
        return;
    }
    r = NEW(c, Pulumirpc__GetSchemaResponse, pulumirpc__get_schema_response__init);
    if (r == NULL)
        return;
    r->schema = sa_strdup(sa_schema_json);
    sa_rpc_respond(c, &r->base, r->schema != NULL);
}

void sa_rpc_check_config(rpc_call *c)
{
    const Pulumirpc__CheckRequest *req = (const void *)c->req;
    sa_value *news = sa_rpc_decode(c, req->news, "provider configuration");
    sa_config cfg;
    sa_config_failures failures;
    sa_rpc_failure list[SA_N(failures.items)];
    char reasons[SA_N(failures.items)][340];

    if (news == NULL)
        return;
    for (size_t i = 0; i < news->u.object.len; i++) {
        const sa_value *v = news->u.object.values[i];
        if (sa_value_contains_kind(v, SA_VALUE_ASSET) ||
            sa_value_contains_kind(v, SA_VALUE_ARCHIVE)) {
            sa_rpc_fail(c, SA_GRPC_INVALID_ARGUMENT,
                        "provider configuration '%s': assets and archives are not supported in "
                        "the provider configuration",
                        news->u.object.keys[i]);
            sa_value_free(news);
            return;
        }
    }
    if (sa_config_parse(&cfg, news, &failures) == SA_OK)
        sa_config_from_env(&cfg, sa_rpc_getenv, &failures);
    sa_config_dispose(&cfg);
    for (size_t i = 0; i < failures.len; i++) {
        snprintf(reasons[i], sizeof(reasons[i]), "secureapi:%s %s", failures.items[i].property,
                 failures.items[i].reason);
        list[i] = (sa_rpc_failure){failures.items[i].property, reasons[i]};
    }
    /* The checked config is what came in (unknown keys kept): values are validated, not rewritten,
     * so the engine's stored provider inputs stay as the user wrote them. */
    sa_rpc_answer_check(c, news, list, failures.len);
    if (c->resp != NULL && failures.unknown_keys[0] != '\0')
        sa_engine_log(c->p, SA_SEV_WARNING, req->urn, false,
                      "unknown secureapi configuration key(s): %s (known: region, profile, "
                      "accessKey, secretKey, token, endpoints, skipCredentialsValidation, "
                      "maxRetries, httpTimeoutSeconds, apiRateScale)",
                      failures.unknown_keys);
    sa_value_free(news);
}

void sa_rpc_diff_config(rpc_call *c)
{
    const Pulumirpc__DiffRequest *req = (const void *)c->req;
    sa_value *olds = sa_rpc_decode(c, req->olds, "old provider configuration");
    sa_value *news = olds ? sa_rpc_decode(c, req->news, "new provider configuration") : NULL;
    Pulumirpc__DiffResponse *r = NULL;
    bool ok = true;

    if (news == NULL)
        goto cleanup;
    r = NEW(c, Pulumirpc__DiffResponse, pulumirpc__diff_response__init);
    if (r == NULL)
        goto cleanup;
    r->changes = PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_NONE;
    /* every key that differs is a change; only a known region change replaces (the resources
     * live in the old region) */
    for (int pass = 0; pass < 2; pass++) {
        const sa_value *a = pass == 0 ? olds : news, *b = pass == 0 ? news : olds;
        for (size_t i = 0; i < a->u.object.len; i++) {
            const char *key = a->u.object.keys[i];
            const sa_value *other = sa_value_object_get(b, key);
            bool seen = false;
            if (strcmp(key, "version") == 0 || (pass == 1 && other != NULL))
                continue;
            if (other != NULL && sa_value_equal(a->u.object.values[i], other))
                continue;
            for (size_t k = 0; k < r->n_diffs; k++)
                seen = seen || strcmp(r->diffs[k], key) == 0;
            if (seen)
                continue;
            ok = ok && sa_rpc_add_string(&r->diffs, &r->n_diffs, key);
            if (strcmp(key, "region") == 0 && !sa_value_is_unknown(sa_value_object_get(news, key)))
                ok = ok && sa_rpc_add_string(&r->replaces, &r->n_replaces, key);
        }
    }
    if (r->n_diffs > 0)
        r->changes = PULUMIRPC__DIFF_RESPONSE__DIFF_CHANGES__DIFF_SOME;
    sa_rpc_respond(c, &r->base, ok);
cleanup:
    sa_value_free(olds);
    sa_value_free(news);
}

static void aws_debug(void *ctx, const char *line)
{
    sa_log_debug(ctx, "%s", line);
}

/* Makes the AWS client for a configuration and, unless skipped, asks STS who we are. */
static int make_client(sa_provider *p, const sa_config *cfg, sa_aws_client **out, char *account,
                       char *partition, sa_error *err)
{
    sa_aws_endpoint_override overrides[SA_SVC_COUNT];
    sa_aws_client_config ac = {
        .access_key_id = cfg->access_key,
        .secret_access_key = cfg->secret_key,
        .session_token = cfg->token,
        .profile = cfg->profile,
        .assume_roles = cfg->assume_roles,
        .assume_role_count = cfg->assume_role_count,
        .region = cfg->region,
        .endpoints = overrides,
        .max_attempts = cfg->max_retries >= 0 ? cfg->max_retries + 1 : 0,
        .attempt_timeout_ms =
            1000L * (cfg->http_timeout_seconds > 0 ? cfg->http_timeout_seconds
                                                   : SA_CONFIG_DEFAULT_HTTP_TIMEOUT_SECONDS),
        .rate_scale = cfg->api_rate_scale,
        .debug = aws_debug,
        .debug_ctx = p,
    };
    sa_stack_env env = {.cancelled = &p->cancelled};
    char arn[512] = "", source[96] = "";
    int rc;

    for (int i = 0; i < SA_SVC_COUNT; i++)
        if (cfg->endpoints[i] != NULL)
            overrides[ac.endpoint_count++] =
                (sa_aws_endpoint_override){sa_service_keys[i], cfg->endpoints[i]};
    rc = sa_aws_client_new(out, &ac, err);
    if (rc != SA_OK || cfg->skip_credentials_validation)
        return rc;
    env.aws = *out;
    rc = sa_stack_identity(&env, account, partition, arn, sizeof(arn), err);
    if (rc == SA_OK &&
        sa_aws_client_check_credentials(source, sizeof(source), *out, &p->cancelled, err) == SA_OK)
        sa_log_debug(p, "Configure: AWS caller %s (account %s), credentials from %s", arn, account,
                     source);
    if (rc != SA_OK) {
        sa_aws_client_release(*out);
        *out = NULL;
    }
    return rc;
}

void sa_rpc_configure(rpc_call *c)
{
    const Pulumirpc__ConfigureRequest *req = (const void *)c->req;
    sa_value *args = sa_rpc_decode(c, req->args, "provider configuration");
    Pulumirpc__ConfigureResponse *r;
    sa_config cfg;
    sa_config_failures failures;
    sa_aws_client *client = NULL, *old;
    char account[16] = "", partition[16] = "";
    sa_error err = {0};

    if (args == NULL)
        return;
    if (sa_config_parse(&cfg, args, &failures) != SA_OK ||
        sa_config_from_env(&cfg, sa_rpc_getenv, &failures) != SA_OK) {
        sa_rpc_fail(c, SA_GRPC_INVALID_ARGUMENT,
                    "invalid secureapi configuration: %s %s (set it with `pulumi config set "
                    "secureapi:%s ...` or on the provider resource)",
                    failures.items[0].property, failures.items[0].reason,
                    failures.items[0].property);
        sa_config_dispose(&cfg);
        sa_value_free(args);
        return;
    }
    sa_value_free(args);
    if (make_client(c->p, &cfg, &client, account, partition, &err) != SA_OK) {
        sa_rpc_fail(c,
                    err.code == SA_EINVAL ? SA_GRPC_INVALID_ARGUMENT : SA_GRPC_FAILED_PRECONDITION,
                    "secureapi could not use the AWS configuration: %s%s", err.message,
                    cfg.skip_credentials_validation ? ""
                                                    : " (set secureapi:skipCredentialsValidation "
                                                      "to skip this check)");
        sa_config_dispose(&cfg);
        return;
    }
    r = NEW(c, Pulumirpc__ConfigureResponse, pulumirpc__configure_response__init);
    if (r == NULL) {
        sa_aws_client_release(client);
        sa_config_dispose(&cfg);
        return;
    }
    pthread_mutex_lock(&c->p->lock);
    sa_config_dispose(&c->p->config);
    c->p->config = cfg; /* moved */
    old = c->p->aws;
    c->p->aws = client; /* moved: the provider's reference */
    snprintf(c->p->account, sizeof(c->p->account), "%s", account);
    snprintf(c->p->partition, sizeof(c->p->partition), "%s", partition);
    c->p->configured = true;
    pthread_mutex_unlock(&c->p->lock);
    sa_aws_client_release(old); /* operations still using it hold their own reference */

    r->acceptsecrets = 1;
    r->supportspreview = 1;
    r->acceptresources = 1;
    c->resp = &r->base;
}

void sa_rpc_attach(rpc_call *c)
{
    const Pulumirpc__PluginAttach *req = (const void *)c->req;
    Google__Protobuf__Empty *r;

    if (req->address == NULL || req->address[0] == '\0') {
        sa_rpc_fail(c, SA_GRPC_INVALID_ARGUMENT, "Attach: address is empty");
        return;
    }
    if (sa_engine_set_address(c->p, req->address) != SA_OK) {
        sa_rpc_fail_oom(c);
        return;
    }
    r = NEW(c, Google__Protobuf__Empty, google__protobuf__empty__init);
    if (r != NULL)
        c->resp = &r->base;
}

void sa_rpc_cancel(rpc_call *c)
{
    Google__Protobuf__Empty *r = NEW(c, Google__Protobuf__Empty, google__protobuf__empty__init);

    atomic_store(&c->p->cancelled, true);
    sa_log_debug(c->p, "Cancel: in-flight work stops at its next AWS call or wait");
    if (r != NULL)
        c->resp = &r->base;
}
