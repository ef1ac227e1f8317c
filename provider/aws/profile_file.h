/*
 * The AWS shared config and credentials files (~/.aws/config, ~/.aws/credentials): an INI parser
 * following the SDKs' rules, and the loader that picks the active profile from both files. In the
 * config file profiles are `[profile NAME]` (and `[default]`); in the credentials file they are
 * `[NAME]`. The config file's `[sso-session NAME]` sections (IAM Identity Center settings a profile
 * names with sso_session) are kept apart from the profiles. Comments start with '#' or ';' at the
 * start of a line, or after whitespace in a value. Keys are matched without regard to case.
 * Indented lines continue the previous property; nested sub-properties (`s3 =` followed by indented
 * lines) are skipped. Values are wiped when freed.
 */
#ifndef SA_AWS_PROFILE_FILE_H
#define SA_AWS_PROFILE_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/env.h"
#include "base/error.h"

typedef struct sa_aws_profile_entry {
    char *key;
    char *value;
} sa_aws_profile_entry;

typedef struct sa_aws_profile {
    char *name;
    bool sso_session; /* an [sso-session NAME] section of the config file, not a profile */
    sa_aws_profile_entry *entries;
    size_t count;
    size_t cap;
} sa_aws_profile;

typedef struct sa_aws_profile_file {
    sa_aws_profile *profiles;
    size_t count;
    size_t cap;
} sa_aws_profile_file;

typedef enum sa_aws_profile_file_kind {
    SA_AWS_PROFILE_FILE_CREDENTIALS,
    SA_AWS_PROFILE_FILE_CONFIG,
} sa_aws_profile_file_kind;

/* Parses text[0..len). `path` only names the file in error messages. */
int sa_aws_profile_file_parse(sa_aws_profile_file *out, const char *text, size_t len,
                              sa_aws_profile_file_kind kind, const char *path, sa_error *err);
void sa_aws_profile_file_dispose(sa_aws_profile_file *f);

/* Borrowed lookups; NULL when absent. */
const sa_aws_profile *sa_aws_profile_file_find(const sa_aws_profile_file *f, const char *name);
/* The config file's [sso-session NAME] section. */
const sa_aws_profile *sa_aws_profile_file_find_sso_session(const sa_aws_profile_file *f,
                                                           const char *name);
const char *sa_aws_profile_get(const sa_aws_profile *p, const char *key);

/* The active profile, read from both shared files. */
typedef struct sa_aws_shared_config {
    char *profile_name;       /* the selected profile */
    const char *profile_from; /* static: "provider config", "AWS_PROFILE" or "default" */
    char *credentials_path;   /* NULL when no path could be determined (no HOME or USERPROFILE) */
    char *config_path;
    bool credentials_found; /* whether the file exists */
    bool config_found;
    sa_aws_profile_file credentials;
    sa_aws_profile_file config;
} sa_aws_shared_config;

/* Loads the shared files. profile, credentials_file and config_file come from the provider
 * config and may be NULL; then AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE
 * apply, then "default" and ~/.aws/{credentials,config}. A missing file is not an error. */
int sa_aws_shared_config_load(sa_aws_shared_config *out, const char *profile,
                              const char *credentials_file, const char *config_file,
                              const sa_aws_env *env, sa_error *err);
void sa_aws_shared_config_dispose(sa_aws_shared_config *c);

/* Whether either file has the selected profile. */
bool sa_aws_shared_config_has_profile(const sa_aws_shared_config *c);
/* A setting of the selected profile: the credentials file wins over the config file. */
const char *sa_aws_shared_config_get(const sa_aws_shared_config *c, const char *key);

#endif
