/*
 * Parsing of the AWS shared config and credentials files and selection of the active profile
 * (see profile_file.h).
 */
#include "aws/profile_file.h"
#include "base/alloc.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SHARED_FILE_MAX ((size_t)1024 * 1024)

/* ---- one file ---------------------------------------------------------------------------- */

static void profile_dispose(sa_aws_profile *p)
{
    for (size_t i = 0; i < p->count; i++) {
        if (p->entries[i].value != NULL)
            OPENSSL_cleanse(p->entries[i].value, strlen(p->entries[i].value));
        free(p->entries[i].key);
        free(p->entries[i].value);
    }
    free(p->entries);
    free(p->name);
    memset(p, 0, sizeof(*p));
}

void sa_aws_profile_file_dispose(sa_aws_profile_file *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->count; i++)
        profile_dispose(&f->profiles[i]);
    free(f->profiles);
    memset(f, 0, sizeof(*f));
}

static const sa_aws_profile *find_section(const sa_aws_profile_file *f, const char *name,
                                          bool sso_session)
{
    for (size_t i = 0; f != NULL && i < f->count; i++) {
        if (f->profiles[i].sso_session == sso_session && strcmp(f->profiles[i].name, name) == 0)
            return &f->profiles[i];
    }
    return NULL;
}

const sa_aws_profile *sa_aws_profile_file_find(const sa_aws_profile_file *f, const char *name)
{
    return find_section(f, name, false);
}

const sa_aws_profile *sa_aws_profile_file_find_sso_session(const sa_aws_profile_file *f,
                                                           const char *name)
{
    return find_section(f, name, true);
}

static sa_aws_profile_entry *entry_find(const sa_aws_profile *p, const char *key)
{
    for (size_t i = 0; p != NULL && i < p->count; i++) {
        if (strcasecmp(p->entries[i].key, key) == 0)
            return &p->entries[i];
    }
    return NULL;
}

const char *sa_aws_profile_get(const sa_aws_profile *p, const char *key)
{
    const sa_aws_profile_entry *e = entry_find(p, key);
    return e != NULL ? e->value : NULL;
}

/* Returns the profile called name, adding it when new. */
static int profile_get_or_add(sa_aws_profile **out, sa_aws_profile_file *f, const char *name,
                              size_t name_len, bool sso_session, sa_error *err)
{
    sa_aws_profile *p;

    for (size_t i = 0; i < f->count; i++) {
        if (f->profiles[i].sso_session == sso_session && strlen(f->profiles[i].name) == name_len &&
            strncmp(f->profiles[i].name, name, name_len) == 0) {
            *out = &f->profiles[i];
            return SA_OK;
        }
    }
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 4;
        sa_aws_profile *ps = sa_realloc(f->profiles, cap * sizeof(*ps));
        if (ps == NULL)
            return sa_error_set(err, SA_ENOMEM, "out of memory");
        f->profiles = ps;
        f->cap = cap;
    }
    p = &f->profiles[f->count];
    memset(p, 0, sizeof(*p));
    p->name = sa_strndup(name, name_len);
    p->sso_session = sso_session;
    if (p->name == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    f->count++;
    *out = p;
    return SA_OK;
}

/* Sets key = value in p (a later value replaces an earlier one); *out is the entry. */
static int profile_set(sa_aws_profile_entry **out, sa_aws_profile *p, const char *key,
                       size_t key_len, const char *value, size_t value_len, sa_error *err)
{
    sa_aws_profile_entry *e = NULL;
    char *k = sa_strndup(key, key_len);
    char *v = sa_strndup(value, value_len);

    if (k == NULL || v == NULL)
        goto nomem;
    e = entry_find(p, k);
    if (e != NULL) {
        OPENSSL_cleanse(e->value, strlen(e->value));
        free(e->value);
        free(k);
        e->value = v;
        *out = e;
        return SA_OK;
    }
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        sa_aws_profile_entry *es = sa_realloc(p->entries, cap * sizeof(*es));
        if (es == NULL)
            goto nomem;
        p->entries = es;
        p->cap = cap;
    }
    e = &p->entries[p->count++];
    e->key = k;
    e->value = v;
    *out = e;
    return SA_OK;
nomem:
    free(k);
    if (v != NULL)
        OPENSSL_cleanse(v, value_len);
    free(v);
    return sa_error_set(err, SA_ENOMEM, "out of memory");
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/* Cuts a comment that starts with whitespace followed by '#' or ';'. */
static const char *value_end(const char *s, const char *e)
{
    for (const char *p = s; p < e; p++) {
        if ((*p == '#' || *p == ';') && p > s && is_blank(p[-1]))
            return p;
    }
    return e;
}

/* Works out the profile name a section header declares; *ret_name NULL means "ignore this
 * section"; *ret_sso_session says it is an [sso-session NAME] section of the config file. */
static void section_name(const char **ret_name, size_t *ret_len, bool *ret_sso_session,
                         const char *s, const char *e, sa_aws_profile_file_kind kind)
{
    trim(&s, &e);
    *ret_name = NULL;
    *ret_len = 0;
    *ret_sso_session = false;
    if (s == e)
        return;
    if (kind == SA_AWS_PROFILE_FILE_CREDENTIALS) {
        if ((size_t)(e - s) > 8 && strncmp(s, "profile", 7) == 0 && is_blank(s[7]))
            return; /* "[profile x]" is not a valid credentials-file section */
        *ret_name = s;
        *ret_len = (size_t)(e - s);
        return;
    }
    if ((size_t)(e - s) == 7 && strncmp(s, "default", 7) == 0) {
        *ret_name = s;
        *ret_len = 7;
        return;
    }
    if ((size_t)(e - s) > 8 && strncmp(s, "profile", 7) == 0 && is_blank(s[7])) {
        s += 8;
        trim(&s, &e);
        if (s < e) {
            *ret_name = s;
            *ret_len = (size_t)(e - s);
        }
    } else if ((size_t)(e - s) > 12 && strncmp(s, "sso-session", 11) == 0 && is_blank(s[11])) {
        s += 12;
        trim(&s, &e);
        if (s < e) {
            *ret_name = s;
            *ret_len = (size_t)(e - s);
            *ret_sso_session = true;
        }
    }
    /* services and bare names are not profiles in the config file */
}

int sa_aws_profile_file_parse(sa_aws_profile_file *out, const char *text, size_t len,
                              sa_aws_profile_file_kind kind, const char *path, sa_error *err)
{
    sa_aws_profile_file f = {0};
    sa_aws_profile *current = NULL;
    bool in_section = false;
    sa_aws_profile_entry *last = NULL; /* the property an indented line continues */
    bool last_is_parent = false;       /* last had an empty value: indented lines are nested */
    const char *end = text + len;
    size_t line_no = 0;
    int rc = SA_OK;

    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *le = nl != NULL ? nl : end;
        const char *s = line;
        const char *e = le;
        bool indented = line < le && is_blank(*line);

        line_no++;
        line = nl != NULL ? nl + 1 : end;
        trim(&s, &e);
        if (s == e) {
            continue;
        }
        if (*s == '#' || *s == ';')
            continue;
        if (indented && last != NULL) {
            if (!last_is_parent) {
                size_t old = strlen(last->value);
                char *v = sa_malloc(old + 1 + (size_t)(e - s) + 1);
                if (v == NULL) {
                    rc = sa_error_set(err, SA_ENOMEM, "out of memory");
                    goto out;
                }
                memcpy(v, last->value, old);
                v[old] = '\n';
                memcpy(v + old + 1, s, (size_t)(e - s));
                v[old + 1 + (size_t)(e - s)] = '\0';
                OPENSSL_cleanse(last->value, old);
                free(last->value);
                last->value = v;
            }
            continue;
        }
        if (*s == '[') {
            const char *close = memchr(s, ']', (size_t)(e - s));
            const char *name;
            size_t name_len;
            bool sso_session;
            if (close == NULL) {
                rc = sa_error_set(err, SA_EINVAL, "%s line %zu: a section header needs a ']'", path,
                                  line_no);
                goto out;
            }
            section_name(&name, &name_len, &sso_session, s + 1, close, kind);
            in_section = true;
            current = NULL;
            last = NULL;
            if (name != NULL) {
                rc = profile_get_or_add(&current, &f, name, name_len, sso_session, err);
                if (rc != SA_OK)
                    goto out;
            }
            continue;
        }
        {
            const char *eq = memchr(s, '=', (size_t)(e - s));
            const char *ks = s, *ke, *vs, *ve;
            if (eq == NULL) {
                rc = sa_error_set(err, SA_EINVAL, "%s line %zu: expected 'key = value'", path,
                                  line_no);
                goto out;
            }
            if (!in_section) {
                rc = sa_error_set(err, SA_EINVAL,
                                  "%s line %zu: a setting appears before any [section]", path,
                                  line_no);
                goto out;
            }
            ke = eq;
            trim(&ks, &ke);
            vs = eq + 1;
            ve = value_end(vs, e);
            trim(&vs, &ve);
            if (ks == ke) {
                rc = sa_error_set(err, SA_EINVAL, "%s line %zu: a setting has no name", path,
                                  line_no);
                goto out;
            }
            if (current == NULL) {
                last = NULL;
                continue; /* a section we ignore */
            }
            rc = profile_set(&last, current, ks, (size_t)(ke - ks), vs, (size_t)(ve - vs), err);
            if (rc != SA_OK)
                goto out;
            last_is_parent = (vs == ve);
        }
    }
    *out = f;
    memset(&f, 0, sizeof(f));
out:
    sa_aws_profile_file_dispose(&f);
    return rc;
}

/* ---- the active profile ------------------------------------------------------------------ */

static int expand_path(char **out, const char *path, const sa_aws_env *env, sa_error *err)
{
    const char *home = sa_aws_env_home(env);
    size_t n;

    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
        if (home == NULL) {
            *out = NULL;
            return SA_OK;
        }
        n = strlen(home) + strlen(path);
        *out = sa_malloc(n + 1);
        if (*out == NULL)
            return sa_error_set(err, SA_ENOMEM, "out of memory");
        snprintf(*out, n + 1, "%s%s", home, path + 1);
        return SA_OK;
    }
    *out = sa_strdup(path);
    if (*out == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory");
    return SA_OK;
}

static int load_one(sa_aws_profile_file *out, bool *found, const char *path,
                    sa_aws_profile_file_kind kind, const sa_aws_env *env, sa_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    *found = false;
    if (path == NULL)
        return SA_OK;
    rc = sa_aws_env_read_file(&text, &len, env, path, SHARED_FILE_MAX, err);
    if (rc == SA_ENOTFOUND) {
        sa_error_clear(err);
        return SA_OK;
    }
    if (rc != SA_OK)
        return rc;
    *found = true;
    rc = sa_aws_profile_file_parse(out, text, len, kind, path, err);
    OPENSSL_cleanse(text, len);
    free(text);
    return rc;
}

int sa_aws_shared_config_load(sa_aws_shared_config *out, const char *profile,
                              const char *credentials_file, const char *config_file,
                              const sa_aws_env *env, sa_error *err)
{
    sa_aws_shared_config c = {0};
    const char *p;
    int rc;

    if (profile != NULL && profile[0] != '\0') {
        p = profile;
        c.profile_from = "provider config";
    } else if ((p = sa_aws_env_get(env, "AWS_PROFILE")) != NULL) {
        c.profile_from = "AWS_PROFILE";
    } else {
        p = "default";
        c.profile_from = "default";
    }
    c.profile_name = sa_strdup(p);
    if (c.profile_name == NULL) {
        rc = sa_error_set(err, SA_ENOMEM, "out of memory");
        goto out;
    }
    if (credentials_file == NULL || credentials_file[0] == '\0')
        credentials_file = sa_aws_env_get(env, "AWS_SHARED_CREDENTIALS_FILE");
    if (config_file == NULL || config_file[0] == '\0')
        config_file = sa_aws_env_get(env, "AWS_CONFIG_FILE");
    rc = expand_path(&c.credentials_path,
                     credentials_file ? credentials_file : "~/.aws/credentials", env, err);
    if (rc == SA_OK)
        rc = expand_path(&c.config_path, config_file ? config_file : "~/.aws/config", env, err);
    if (rc == SA_OK)
        rc = load_one(&c.credentials, &c.credentials_found, c.credentials_path,
                      SA_AWS_PROFILE_FILE_CREDENTIALS, env, err);
    if (rc == SA_OK)
        rc = load_one(&c.config, &c.config_found, c.config_path, SA_AWS_PROFILE_FILE_CONFIG, env,
                      err);
    if (rc != SA_OK)
        goto out;
    *out = c;
    memset(&c, 0, sizeof(c));
out:
    sa_aws_shared_config_dispose(&c);
    return rc;
}

void sa_aws_shared_config_dispose(sa_aws_shared_config *c)
{
    if (c == NULL)
        return;
    free(c->profile_name);
    free(c->credentials_path);
    free(c->config_path);
    sa_aws_profile_file_dispose(&c->credentials);
    sa_aws_profile_file_dispose(&c->config);
    memset(c, 0, sizeof(*c));
}

bool sa_aws_shared_config_has_profile(const sa_aws_shared_config *c)
{
    return c != NULL && c->profile_name != NULL &&
           (sa_aws_profile_file_find(&c->credentials, c->profile_name) != NULL ||
            sa_aws_profile_file_find(&c->config, c->profile_name) != NULL);
}

const char *sa_aws_shared_config_get(const sa_aws_shared_config *c, const char *key)
{
    const char *v;

    if (c == NULL || c->profile_name == NULL)
        return NULL;
    v = sa_aws_profile_get(sa_aws_profile_file_find(&c->credentials, c->profile_name), key);
    if (v == NULL)
        v = sa_aws_profile_get(sa_aws_profile_file_find(&c->config, c->profile_name), key);
    return (v != NULL && v[0] != '\0') ? v : NULL;
}
