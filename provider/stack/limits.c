/*
 * The tables of limits.h: what each AWS service accepts, with the source of every row. Model
 * rows quote botocore's service models (the version the test venv pins; tests/harness checks
 * every request against the same models); document rows give the page.
 */
#include "stack/limits.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/platform.h"
#include "base/util.h"

/* ---- tags ---- */

#define TAG_CHARS_KEY "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
#define TAG_CHARS_VALUE "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"

const sa_tag_rules sa_tag_rules_by_service[] = {
    {.service = "KMS",
     .max_tags = 50,
     .count_source = "https://docs.aws.amazon.com/kms/latest/developerguide/tagging-keys.html "
                     "(up to 50 user-created tags)",
     .key = {"KMS TagKey", 1, 128, NULL, "kms 2014-11-01 Tag.TagKey (TagKeyType): min 1, max 128"},
     .value = {"KMS TagValue", 0, 256, NULL,
               "kms 2014-11-01 Tag.TagValue (TagValueType): min 0, max 256"}},
    {.service = "IAM",
     .max_tags = 50,
     .count_source = "iam 2010-05-08 CreateRole.Tags (tagListType): max 50",
     .key = {"IAM tag key", 1, 128, TAG_CHARS_KEY,
             "iam 2010-05-08 Tag.Key (tagKeyType): min 1, max 128, pattern"},
     .value = {"IAM tag value", 0, 256, TAG_CHARS_VALUE,
               "iam 2010-05-08 Tag.Value (tagValueType): min 0, max 256, pattern"}},
    {.service = "Lambda",
     .max_tags = 50,
     .count_source = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html "
                     "(maximum number of tags per resource: 50)",
     .key = {"Lambda TagKey", 1, 128, "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)",
             "lambda 2015-03-31 Tags key (TagKey): min 1, max 128, pattern"},
     .value = {"Lambda TagValue", 0, 256, "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)",
               "lambda 2015-03-31 Tags value (TagValue): min 0, max 256, pattern"}},
    {.service = "CloudWatch Logs",
     .max_tags = 50,
     .count_source = "logs 2014-03-28 CreateLogGroup.tags (Tags): max 50",
     .key = {"CloudWatch Logs TagKey", 1, 128, "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$",
             "logs 2014-03-28 Tags key (TagKey): min 1, max 128, pattern"},
     .value = {"CloudWatch Logs TagValue", 0, 256, "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
               "logs 2014-03-28 Tags value (TagValue): max 256, pattern"}},
    {.service = "API Gateway",
     .max_tags = 50,
     .count_source = "https://docs.aws.amazon.com/apigateway/latest/developerguide/"
                     "apigateway-tagging-supported-resources.html (a maximum of 50 tags)",
     .key = {"API Gateway tag key", 1, 128, TAG_CHARS_KEY,
             "https://docs.aws.amazon.com/apigateway/latest/developerguide/"
             "apigateway-tagging-supported-resources.html (keys: 128 Unicode characters of "
             "letters, numbers, spaces and . : + = @ _ / -)"},
     .value = {"API Gateway tag value", 0, 256, TAG_CHARS_VALUE,
               "https://docs.aws.amazon.com/apigateway/latest/developerguide/"
               "apigateway-tagging-supported-resources.html (values: 256 Unicode characters of "
               "the same set)"}},
};

const size_t sa_tag_rules_count = SA_N(sa_tag_rules_by_service);

const char *const sa_aws_reserved_tag_source =
    "https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html "
    "(do not use aws:, AWS: or any upper or lowercase combination of it)";

/* ---- Lambda ---- */

const sa_limit sa_lambda_memory = {
    "Lambda MemorySize", 128, 10240, NULL,
    "lambda 2015-03-31 CreateFunction.MemorySize: min 128; "
    "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (memory: 128 MB to "
    "10,240 MB)"};

const sa_limit sa_lambda_timeout = {
    "Lambda Timeout", 1, 900, NULL,
    "lambda 2015-03-31 CreateFunction.Timeout: min 1; "
    "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (function timeout: "
    "900 seconds)"};

const sa_limit sa_lambda_env_name = {
    "Lambda environment variable name", 2, 0, "[a-zA-Z]([a-zA-Z0-9_])+",
    "lambda 2015-03-31 EnvironmentVariableName: pattern [a-zA-Z]([a-zA-Z0-9_])+"};

const sa_limit sa_lambda_env_size = {
    "Lambda environment variables", 0, 4096, NULL,
    "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (4 KB for all "
    "environment variables in aggregate; Lambda measures the variables map as compact JSON: "
    "its error quotes the \"String measured\")"};

const sa_limit sa_lambda_handler = {"Lambda Handler", 1, 128, "[^\\s]+",
                                    "lambda 2015-03-31 CreateFunction.Handler: max 128, pattern "
                                    "[^\\s]+"};

const char *const sa_lambda_architecture_source =
    "lambda 2015-03-31 Architecture enum: x86_64, arm64";

/* Lambda's reserved names, no more, no less: the "Defined runtime environment variables" list of
 * the Lambda developer guide (configuration-envvars.html, as published in 2026). TZ, LANG, PATH,
 * NODE_OPTIONS, PYTHONPATH, AWS_XRAY_* and the other "unreserved" variables may be set. */
const char *const sa_lambda_reserved_env[] = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "AWS_LAMBDA_MAX_CONCURRENCY",
    "AWS_LAMBDA_METADATA_API",
    "AWS_LAMBDA_METADATA_TOKEN",
};

const size_t sa_lambda_reserved_env_count = SA_N(sa_lambda_reserved_env);

const char *const sa_lambda_reserved_env_source =
    "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html "
    "(reserved environment variables)";

/* Every value of the model's Runtime enum (lambda 2015-03-31, botocore 1.44.8), with the dates of
 * AWS's "Lambda runtimes" table as aws-cloudformation/cfn-lint's LmbdRuntimeLifecycle.json
 * copied them from it on 2026-06-02 ("Update Lambda runtime lifecycle dates from AWS docs"; AWS
 * extended many block dates to 2027-02-01 and 2027-03-03 then). Runtimes without dates are new
 * ones AWS has not scheduled yet. */
const sa_runtime sa_lambda_runtimes[] = {
    {"nodejs", "2016-08-30", "2016-09-30", "2016-10-31"},
    {"nodejs4.3", "2020-03-05", "2020-02-03", "2020-03-05"},
    {"nodejs4.3-edge", "2020-03-05", "2019-03-31", "2019-04-30"},
    {"nodejs6.10", "2019-08-12", "2019-07-12", "2019-08-12"},
    {"nodejs8.10", "2020-03-06", "2020-02-04", "2020-03-06"},
    {"nodejs10.x", "2021-07-30", "2021-07-30", "2022-02-14"},
    {"nodejs12.x", "2023-03-31", "2023-03-31", "2023-04-30"},
    {"nodejs14.x", "2023-12-04", "2024-01-09", "2027-03-03"},
    {"nodejs16.x", "2024-06-12", "2027-02-01", "2027-03-03"},
    {"nodejs18.x", "2025-09-01", "2027-02-01", "2027-03-03"},
    {"nodejs20.x", "2026-04-30", "2027-02-01", "2027-03-03"},
    {"nodejs22.x", "2027-04-30", "2027-06-01", "2027-07-01"},
    {"nodejs24.x", "2028-04-30", "2028-06-01", "2028-07-01"},
    {"nodejs26.x", NULL, NULL, NULL},
    {"java8", "2024-01-08", "2024-02-08", "2027-03-03"},
    {"java8.al2", "2027-06-30", "2027-07-31", "2027-08-31"},
    {"java8.al2023", NULL, NULL, NULL},
    {"java11", "2027-06-30", "2027-07-31", "2027-08-31"},
    {"java11.al2023", NULL, NULL, NULL},
    {"java17", "2027-06-30", "2027-07-31", "2027-08-31"},
    {"java17.al2023", NULL, NULL, NULL},
    {"java21", "2029-06-30", "2029-07-31", "2029-08-31"},
    {"java25", "2029-06-30", "2029-07-31", "2029-08-31"},
    {"python2.7", "2021-07-15", "2021-07-15", "2022-05-30"},
    {"python3.6", "2022-07-18", "2022-07-18", "2022-08-29"},
    {"python3.7", "2023-12-04", "2024-01-09", "2027-03-03"},
    {"python3.8", "2024-10-14", "2027-02-01", "2027-03-03"},
    {"python3.9", "2025-12-15", "2027-02-01", "2027-03-03"},
    {"python3.10", "2026-10-31", "2027-02-01", "2027-03-03"},
    {"python3.11", "2027-06-30", "2027-07-31", "2027-08-31"},
    {"python3.12", "2028-10-31", "2028-11-30", "2029-01-10"},
    {"python3.13", "2029-06-30", "2029-07-31", "2029-08-31"},
    {"python3.14", "2029-06-30", "2029-07-31", "2029-08-31"},
    {"python3.15", NULL, NULL, NULL},
    {"dotnetcore1.0", "2019-06-27", "2019-06-30", "2019-07-30"},
    {"dotnetcore2.0", "2019-05-30", "2019-04-30", "2019-05-30"},
    {"dotnetcore2.1", "2022-01-05", "2022-01-05", "2022-04-13"},
    {"dotnetcore3.1", "2023-04-03", "2023-04-03", "2023-05-03"},
    {"dotnet6", "2024-12-20", "2027-02-01", "2027-03-03"},
    {"dotnet8", "2026-11-10", "2027-02-01", "2027-03-03"},
    {"dotnet10", "2028-11-14", "2028-12-14", "2029-01-15"},
    {"go1.x", "2024-01-08", "2024-02-08", "2027-03-03"},
    {"ruby2.5", "2021-07-30", "2021-07-30", "2022-03-31"},
    {"ruby2.7", "2023-12-07", "2024-01-09", "2027-03-03"},
    {"ruby3.2", "2026-03-31", "2027-02-01", "2027-03-03"},
    {"ruby3.3", "2027-03-31", "2027-04-30", "2027-05-31"},
    {"ruby3.4", "2028-03-31", "2028-04-30", "2028-05-31"},
    {"ruby4.0", "2029-03-31", "2029-04-30", "2029-05-31"},
    {"provided", "2024-01-08", "2024-02-08", "2027-03-03"},
    {"provided.al2", "2026-07-31", "2027-02-01", "2027-03-03"},
    {"provided.al2023", "2029-06-30", "2029-07-31", "2029-08-31"},
    /* not a runtime AWS offers: the model lists it, Lambda refuses it */
    {"custom", NULL, "1970-01-01", "1970-01-01"},
};

const size_t sa_lambda_runtime_count = SA_N(sa_lambda_runtimes);

const char *const sa_lambda_runtime_source =
    "lambda 2015-03-31 Runtime enum; dates: "
    "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html";

const sa_runtime *sa_lambda_runtime(const char *id)
{
    for (size_t i = 0; id != NULL && i < sa_lambda_runtime_count; i++)
        if (strcmp(sa_lambda_runtimes[i].id, id) == 0)
            return &sa_lambda_runtimes[i];
    return NULL;
}

bool sa_date_passed(const char *date, time_t now)
{
    struct tm tm;
    char today[16];

    if (date == NULL)
        return false;
    sa_gmtime(&now, &tm);
    strftime(today, sizeof(today), "%Y-%m-%d", &tm);
    return strcmp(today, date) >= 0;
}

/* ---- CloudWatch Logs ---- */

const int64_t sa_logs_retention_days[] = {1,    3,    5,    7,    14,   30,  60,  90,
                                          120,  150,  180,  365,  400,  545, 731, 1096,
                                          1827, 2192, 2557, 2922, 3288, 3653};
const size_t sa_logs_retention_count = SA_N(sa_logs_retention_days);
const char *const sa_logs_retention_source =
    "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/"
    "API_PutRetentionPolicy.html (retentionInDays: possible values)";

/* ---- KMS ---- */

const sa_limit sa_kms_deletion_window = {
    "KMS PendingWindowInDays", 7, 30, NULL,
    "https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html "
    "(PendingWindowInDays: a value between 7 and 30, inclusive)"};

/* ---- API Gateway ---- */

const sa_limit sa_apigw_stage_name = {
    "API Gateway stage name", 1, 128, "[a-zA-Z0-9_-]+",
    "https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html (stageName: only "
    "alphanumeric characters, hyphens, and underscores; at most 128 characters)"};

/* ---- matching ---- */

/* Compiled patterns, made once per distinct pattern and kept for the process. */
typedef struct compiled {
    const char *pattern;
    pcre2_code *code;
} compiled;

static compiled cache[32];
static size_t cache_len;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static pcre2_code *code_for(const char *pattern)
{
    pcre2_code *code = NULL;
    int errcode;
    PCRE2_SIZE erroffset;

    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < cache_len && code == NULL; i++)
        if (cache[i].pattern == pattern || strcmp(cache[i].pattern, pattern) == 0)
            code = cache[i].code;
    if (code == NULL) {
        code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                             PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &errcode,
                             &erroffset, NULL);
        if (code != NULL && cache_len < SA_N(cache))
            cache[cache_len++] = (compiled){pattern, code};
        else if (code != NULL) {
            pcre2_code_free(code); /* more patterns than the cache holds: a bug */
            code = NULL;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return code;
}

bool sa_pattern_match(const char *pattern, const char *s)
{
    pcre2_code *code = code_for(pattern);
    pcre2_match_data *md;
    int rc;

    if (code == NULL)
        return false;
    md = pcre2_match_data_create_from_pattern(code, NULL);
    if (md == NULL)
        return false;
    rc = pcre2_match(code, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

/* The number of code points of valid UTF-8, or -1. */
static long utf8_chars(const char *s)
{
    long n = 0;
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        int len = *p < 0x80         ? 1
                  : (*p >> 5) == 6  ? 2
                  : (*p >> 4) == 14 ? 3
                  : (*p >> 3) == 30 ? 4
                                    : 0;
        if (len == 0)
            return -1;
        for (int i = 1; i < len; i++)
            if ((p[i] & 0xc0) != 0x80)
                return -1;
        p += len;
        n++;
    }
    return n;
}

bool sa_limit_string_ok(const sa_limit *l, const char *s, size_t *ret_chars)
{
    long n = utf8_chars(s);

    if (ret_chars != NULL)
        *ret_chars = n < 0 ? 0 : (size_t)n;
    if (n < 0 || n < l->min || (l->max > 0 && n > l->max))
        return false;
    return l->pattern == NULL || sa_pattern_match(l->pattern, s);
}
