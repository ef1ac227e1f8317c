/*
 * The function's deployment package, from the user's code as Pulumi passes it: lambdaCode, an
 * archive (AssetArchive of StringAsset, FileAsset and nested archives; FileArchive of a directory
 * or of a .zip, .jar, .tar, .tgz or .tar.gz file; a RemoteArchive or RemoteAsset only with a
 * file:// URI), or lambdaHandlerCode, one JavaScript source packaged as index.js. Paths are
 * relative to the program's directory, the plugin's working directory.
 *
 * The package is deterministic: entries sorted by name, written by base/zip.c with fixed
 * timestamps and modes normalised to 0644 or 0755 (the executable bit kept), so the same files
 * give the same bytes and the same CodeSha256 whatever their mtimes, and Diff compares that hash.
 * Directories are walked following symbolic links (a loop is an error); empty directories are
 * kept as entries; members of input archives are extracted to a temporary folder first (so
 * memory stays small whatever the size), and links inside them are refused. Lambda's limits are
 * enforced before any AWS call: 250 MB unzipped, 50 MB zipped for direct upload. Input archives
 * are read with libarchive, member names as UTF-8. What a path is, the names in a folder, the
 * temporary folder and the UTF-8 character type come from the platform layer (base/platform.h).
 * This is the one home of the code hash that Check, Diff, Update and import compare.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/platform.h"
#include "base/util.h"
#include "base/zip.h"
#include "stack/code.h"

typedef enum entry_kind { FROM_TEXT, FROM_FILE, DIRECTORY } entry_kind;

typedef struct entry {
    char *name; /* its path in the package */
    entry_kind kind;
    const char *text; /* FROM_TEXT: borrowed from the value */
    size_t text_len;
    char *path; /* FROM_FILE */
    bool executable;
} entry;

/* Everything the package will hold, gathered before anything is written. */
typedef struct collector {
    entry *items;
    size_t n, cap;
    uint64_t unzipped;
    char *spool;      /* the folder input archives are extracted into, or NULL */
    unsigned spooled; /* files extracted so far (their names in the spool) */
    const char *property;
    sa_error *err;
} collector;

/* ---- gathering ---- */

static int fail(collector *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(collector *c, int code, const char *fmt, ...)
{
    char msg[SA_ERROR_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sa_error_set(c->err, code, "%s: %s", c->property, msg);
}

static int add(collector *c, const char *name, entry_kind kind, const char *text, size_t len,
               const char *path, bool executable, uint64_t size)
{
    entry *e;

    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        entry *grown = sa_realloc(c->items, cap * sizeof(*grown));
        if (grown == NULL)
            return fail(c, SA_ENOMEM, "out of memory");
        c->items = grown;
        c->cap = cap;
    }
    e = &c->items[c->n];
    memset(e, 0, sizeof(*e));
    e->name = sa_strdup(name);
    e->path = path != NULL ? sa_strdup(path) : NULL;
    if (e->name == NULL || (path != NULL && e->path == NULL)) {
        free(e->name);
        free(e->path);
        return fail(c, SA_ENOMEM, "out of memory");
    }
    c->n++;
    e->kind = kind;
    e->text = text;
    e->text_len = len;
    e->executable = executable;
    c->unzipped += size;
    if (c->unzipped > SA_CODE_MAX_UNZIPPED)
        return fail(c, SA_EINVAL,
                    "the code is more than %llu MB unzipped; Lambda allows %llu MB (%s); "
                    "deploy smaller code or use a container image",
                    (unsigned long long)(c->unzipped >> 20),
                    (unsigned long long)(SA_CODE_MAX_UNZIPPED >> 20), SA_CODE_LIMITS_SOURCE);
    return SA_OK;
}

static void join(char *out, size_t cap, const char *prefix, const char *name)
{
    if (snprintf(out, cap, "%s%s%s", prefix, prefix[0] ? "/" : "", name) >= (int)cap && cap > 0)
        out[0] = '\0'; /* too long: refused as an empty name */
}

static const char *field(const sa_value *v, const char *key)
{
    const char *s = NULL;
    return sa_value_get_string(sa_value_object_get(v, key), &s) ? s : NULL;
}

/* A file:// URI as a path; NULL (error set) for any other scheme. */
static const char *local_uri(collector *c, const char *uri, const char *what)
{
    if (strncmp(uri, "file://", 7) == 0)
        return uri + 7;
    fail(c, SA_EINVAL,
         "%s %.200s is remote: only local files (a path or a file:// URI) are supported; "
         "download it in the program and pass a FileArchive or FileAsset",
         what, uri);
    return NULL;
}

static int add_file(collector *c, const char *name, const char *path)
{
    sa_platform_file st;

    if (sa_platform_file_info(path, &st) != 0)
        return fail(c, SA_EINVAL, "%s: %s", path, strerror(errno));
    if (st.kind != SA_PLATFORM_FILE_REGULAR)
        return fail(c, SA_EINVAL, "%s is not a regular file", path);
    return add(c, name, FROM_FILE, NULL, 0, path, st.executable, st.size);
}

/* The directories being walked (device and inode), to find loops through symbolic links. */
typedef struct walk_stack {
    uint64_t dev[64];
    uint64_t ino[64];
    size_t n;
} walk_stack;

/* The names of one folder, as sa_platform_dir_names lists them. */
typedef struct name_list {
    char **names;
    size_t n, cap;
} name_list;

/* sa_platform_dir_names's callback: 0, or NAMES_NOMEM (which stops the listing). */
#define NAMES_NOMEM 1

static int add_name(void *ctx, const char *name)
{
    name_list *l = ctx;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **grown = sa_realloc(l->names, cap * sizeof(*grown));
        if (grown == NULL)
            return NAMES_NOMEM;
        l->names = grown;
        l->cap = cap;
    }
    if ((l->names[l->n] = sa_strdup(name)) == NULL)
        return NAMES_NOMEM;
    l->n++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(collector *c, const char *prefix, const char *dir, walk_stack *ws)
{
    name_list l = {NULL, 0, 0};
    sa_platform_file st;
    int rc = SA_OK, listed;

    if (sa_platform_file_info(dir, &st) != 0)
        return fail(c, SA_EINVAL, "%s: %s", dir, strerror(errno));
    for (size_t i = 0; i < ws->n; i++)
        if (ws->dev[i] == st.device && ws->ino[i] == st.inode)
            return fail(c, SA_EINVAL, "%s: symbolic links loop back into a folder above", dir);
    if (ws->n == SA_N(ws->dev))
        return fail(c, SA_EINVAL, "%s: folders nested more than %zu deep", dir, SA_N(ws->dev));
    ws->dev[ws->n] = st.device;
    ws->ino[ws->n] = st.inode;
    ws->n++;
    listed = sa_platform_dir_names(dir, add_name, &l);
    if (listed == NAMES_NOMEM)
        rc = fail(c, SA_ENOMEM, "out of memory");
    else if (listed != 0)
        rc = fail(c, SA_EINVAL, "%s: %s", dir, strerror(errno));
    if (rc == SA_OK)
        qsort(l.names, l.n, sizeof(*l.names), cmp_names);
    if (rc == SA_OK && l.n == 0 && prefix[0] != '\0')
        rc = add(c, prefix, DIRECTORY, NULL, 0, NULL, false, 0); /* kept: an empty folder */
    for (size_t i = 0; rc == SA_OK && i < l.n; i++) {
        char path[4096], name[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, l.names[i]);
        join(name, sizeof(name), prefix, l.names[i]);
        if (sa_platform_file_info(path, &st) != 0)
            rc = fail(c, SA_EINVAL, "%s: %s", path, strerror(errno)); /* a broken link too */
        else if (st.kind == SA_PLATFORM_FILE_DIRECTORY)
            rc = walk_dir(c, name, path, ws);
        else
            rc = add_file(c, name, path);
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.names[i]);
    free(l.names);
    ws->n--;
    return rc;
}

/* A member name of an input archive (or of an AssetArchive) as a normalised relative path: "."
 * and empty parts dropped ("./lib//a.js" is "lib/a.js"). False for an absolute path or a ".."
 * part; *out is "" for the archive's root itself. */
static bool normalise_member(char *out, size_t cap, const char *name)
{
    const char *p = name;
    size_t n = 0;

    if (name[0] == '/')
        return false;
    out[0] = '\0';
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len == 2 && strncmp(p, "..", 2) == 0)
            return false;
        if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (n + len + 2 > cap)
                return false;
            if (n > 0)
                out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
            out[n] = '\0';
        }
        p += len;
        while (*p == '/')
            p++;
    }
    return true;
}

static int make_spool(collector *c)
{
    char tmp[4000], dir[4096];

    if (c->spool != NULL)
        return SA_OK;
    if (sa_platform_temp_dir(tmp, sizeof(tmp)) == NULL)
        return fail(c, SA_EIO, "cannot make a temporary folder: its parent's name is too long");
    snprintf(dir, sizeof(dir), "%s/secureapi-code-XXXXXX", tmp);
    if (mkdtemp(dir) == NULL)
        return fail(c, SA_EIO, "cannot make a temporary folder in %s: %s", tmp, strerror(errno));
    c->spool = sa_strdup(dir);
    return c->spool != NULL ? SA_OK : fail(c, SA_ENOMEM, "out of memory");
}

/* Copies the current member's data to a new file of the spool; *ret_path gets its path. */
static int spool_member(collector *c, struct archive *a, char *path, size_t cap, const char *file)
{
    char buf[65536];
    la_ssize_t n;
    int fd;

    snprintf(path, cap, "%s/%u", c->spool, c->spooled++);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | SA_PLATFORM_O_BINARY, 0600);
    if (fd < 0)
        return fail(c, SA_EIO, "cannot write %s: %s", path, strerror(errno));
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
        if (write(fd, buf, (size_t)n) != n) {
            close(fd);
            return fail(c, SA_EIO, "cannot write %s (disk full?)", path);
        }
    }
    close(fd);
    if (n < 0)
        return fail(c, SA_EINVAL, "%s: %s", file, archive_error_string(a));
    return SA_OK;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The members of a .zip, .jar, .tar, .tgz or .tar.gz file. */
static int add_archive_file(collector *c, const char *prefix, const char *file)
{
    struct archive *a;
    struct archive_entry *ae;
    char member[4096], name[4096], path[4096];
    sa_platform_utf8_ctype utf8;
    int rc = SA_OK, r = ARCHIVE_OK;

    if (!has_suffix(file, ".zip") && !has_suffix(file, ".jar") && !has_suffix(file, ".tar") &&
        !has_suffix(file, ".tgz") && !has_suffix(file, ".tar.gz"))
        return fail(c, SA_EINVAL, "%s is not a folder nor a .zip, .jar, .tar, .tgz or .tar.gz file",
                    file);
    if ((rc = make_spool(c)) != SA_OK)
        return rc;
    a = archive_read_new();
    if (a == NULL)
        return fail(c, SA_ENOMEM, "out of memory");
    /* names in archives are UTF-8 (or bytes): read them in a UTF-8 locale on this thread only,
     * whatever the process's locale (the C locale cannot convert them) */
    sa_platform_utf8_ctype_begin(&utf8);
    archive_read_support_format_zip(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_none(a);
    if (archive_read_open_filename(a, file, 65536) != ARCHIVE_OK)
        rc = fail(c, SA_EINVAL, "%s: %s", file, archive_error_string(a));
    /* a warning is about names in a character set the C locale lacks: they are read as UTF-8 */
    while (rc == SA_OK &&
           ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN)) {
        const char *pathname = archive_entry_pathname_utf8(ae) != NULL
                                   ? archive_entry_pathname_utf8(ae)
                                   : archive_entry_pathname(ae);
        mode_t type = archive_entry_filetype(ae);

        if (pathname == NULL || !normalise_member(member, sizeof(member), pathname)) {
            rc = fail(c, SA_EINVAL, "%s: the member '%.200s' is not a relative path", file,
                      pathname ? pathname : "");
            break;
        }
        if (member[0] == '\0')
            continue; /* the archive's root folder */
        join(name, sizeof(name), prefix, member);
        if (type == AE_IFDIR)
            rc = add(c, name, DIRECTORY, NULL, 0, NULL, false, 0);
        else if (type == AE_IFREG && (rc = spool_member(c, a, path, sizeof(path), file)) == SA_OK)
            rc = add(c, name, FROM_FILE, NULL, 0, path, (archive_entry_perm(ae) & 0111) != 0,
                     (uint64_t)archive_entry_size(ae));
        else if (type != AE_IFREG)
            rc = fail(c, SA_EINVAL,
                      "%s: '%.200s' is a link or a special file; only files and "
                      "folders can be packaged",
                      file, member);
    }
    if (rc == SA_OK && r != ARCHIVE_EOF)
        rc = fail(c, SA_EINVAL, "%s: %s", file, archive_error_string(a));
    archive_read_free(a);
    sa_platform_utf8_ctype_end(&utf8);
    return rc;
}

static int add_path_archive(collector *c, const char *prefix, const char *path)
{
    sa_platform_file st;
    walk_stack ws = {.n = 0};

    if (sa_platform_file_info(path, &st) != 0)
        return fail(c, SA_EINVAL, "%s: %s (paths are relative to the program's folder)", path,
                    strerror(errno));
    return st.kind == SA_PLATFORM_FILE_DIRECTORY ? walk_dir(c, prefix, path, &ws)
                                                 : add_archive_file(c, prefix, path);
}

static int add_archive(collector *c, const char *prefix, const sa_value *archive, int depth);

static int add_asset(collector *c, const char *name, const sa_value *asset)
{
    const char *text = field(asset, "text"), *path = field(asset, "path"),
               *uri = field(asset, "uri");

    if (text != NULL)
        return add(c, name, FROM_TEXT, text, strlen(text), NULL, false, strlen(text));
    if (path != NULL)
        return add_file(c, name, path);
    if (uri != NULL && (path = local_uri(c, uri, "the asset")) != NULL)
        return add_file(c, name, path);
    return uri != NULL ? c->err->code
                       : fail(c, SA_EINVAL,
                              "the asset %s has no text, path or "
                              "uri",
                              name);
}

static int add_archive(collector *c, const char *prefix, const sa_value *archive, int depth)
{
    const sa_value *assets = sa_value_object_get(archive, "assets");
    const char *path = field(archive, "path"), *uri = field(archive, "uri");
    int rc = SA_OK;

    if (depth > 16)
        return fail(c, SA_EINVAL, "archives nested more than 16 deep");
    if (assets != NULL) {
        if (assets->kind != SA_VALUE_OBJECT)
            return fail(c, SA_EINVAL, "the archive's assets are not a map");
        for (size_t i = 0; rc == SA_OK && i < assets->u.object.len; i++) {
            const sa_value *v = sa_value_unwrap(assets->u.object.values[i], NULL);
            char member[4096], name[4096];
            if (!normalise_member(member, sizeof(member), assets->u.object.keys[i]) ||
                member[0] == '\0')
                return fail(c, SA_EINVAL, "the archive member '%.200s' is not a relative path",
                            assets->u.object.keys[i]);
            join(name, sizeof(name), prefix, member);
            if (v->kind == SA_VALUE_ASSET)
                rc = add_asset(c, name, v);
            else if (v->kind == SA_VALUE_ARCHIVE)
                rc = add_archive(c, name, v, depth + 1);
            else
                rc = fail(c, SA_EINVAL, "'%.200s' of the archive is not an asset or an archive",
                          assets->u.object.keys[i]);
        }
        return rc;
    }
    if (path != NULL)
        return add_path_archive(c, prefix, path);
    if (uri != NULL)
        return (path = local_uri(c, uri, "the archive")) != NULL ? add_path_archive(c, prefix, path)
                                                                 : c->err->code;
    return fail(c, SA_EINVAL, "the archive has no assets, path or uri");
}

/* ---- writing ---- */

static int cmp_entries(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static long read_fd(void *ctx, uint8_t *buf, size_t cap, sa_error *err)
{
    ssize_t n = read(*(int *)ctx, buf, cap);

    if (n < 0)
        sa_error_set(err, SA_EIO, "cannot read a file of the code: %s", strerror(errno));
    return (long)n;
}

/* Whether a directory entry has files under it (then the files imply it). */
static bool covered(const collector *c, size_t i)
{
    size_t len = strlen(c->items[i].name);

    return i + 1 < c->n && strncmp(c->items[i + 1].name, c->items[i].name, len) == 0 &&
           c->items[i + 1].name[len] == '/';
}

static int write_package(collector *c, sa_code *out)
{
    sa_zip_writer *z = NULL;
    int rc;

    qsort(c->items, c->n, sizeof(*c->items), cmp_entries);
    for (size_t i = 0; i + 1 < c->n; i++)
        if (strcmp(c->items[i].name, c->items[i + 1].name) == 0)
            return fail(c, SA_EINVAL, "two files would be named %s in the package",
                        c->items[i].name);
    if (c->n == 0)
        return fail(c, SA_EINVAL, "the code has no files");
    out->zip = tmpfile();
    if (out->zip == NULL)
        return fail(c, SA_EIO, "cannot make a temporary file: %s", strerror(errno));
    rc = sa_zip_writer_new(&z, out->zip, c->err);
    for (size_t i = 0; rc == SA_OK && i < c->n; i++) {
        const entry *e = &c->items[i];
        int fd;
        switch (e->kind) {
        case DIRECTORY:
            if (!covered(c, i))
                rc = sa_zip_add_dir(z, e->name, c->err);
            break;
        case FROM_TEXT:
            rc = sa_zip_add_bytes(z, e->name, e->executable, (const uint8_t *)e->text, e->text_len,
                                  c->err);
            break;
        case FROM_FILE:
            fd = open(e->path, O_RDONLY | SA_PLATFORM_O_BINARY);
            if (fd < 0) {
                rc = fail(c, SA_EINVAL, "%s: %s", e->path, strerror(errno));
                break;
            }
            rc = sa_zip_add_file(z, e->name, e->executable, read_fd, &fd, c->err);
            close(fd);
            break;
        }
    }
    if (rc == SA_OK)
        rc = sa_zip_finish(z, &out->zipped, c->err);
    if (rc == SA_OK)
        out->unzipped = sa_zip_unzipped_size(z);
    sa_zip_writer_free(z);
    if (rc == SA_OK && out->zipped > SA_CODE_MAX_ZIPPED)
        rc = fail(c, SA_EINVAL,
                  "the package is %.1f MB zipped; Lambda takes at most %llu MB by direct upload "
                  "(%s)",
                  (double)out->zipped / (1 << 20), (unsigned long long)(SA_CODE_MAX_ZIPPED >> 20),
                  SA_CODE_LIMITS_SOURCE);
    if (rc == SA_OK)
        rc = sa_zip_file_sha256(out->sha256, out->zip, c->err);
    return rc;
}

int sa_code_package(sa_code *out, const sa_value *code, const char *handler_code, sa_error *err)
{
    collector c = {.property = code != NULL ? "lambdaCode" : "lambdaHandlerCode", .err = err};
    const sa_value *archive = sa_value_unwrap(code, NULL);
    int rc;

    memset(out, 0, sizeof(*out));
    if (archive != NULL && archive->kind != SA_VALUE_ARCHIVE)
        return fail(&c, SA_EINVAL,
                    "lambdaCode must be an archive (an AssetArchive or a "
                    "FileArchive), not a %s",
                    sa_value_kind_name(archive->kind));
    if (archive != NULL)
        rc = add_archive(&c, "", archive, 0);
    else if (handler_code != NULL)
        rc = add(&c, "index.js", FROM_TEXT, handler_code, strlen(handler_code), NULL, false,
                 strlen(handler_code));
    else
        rc = fail(&c, SA_EINTERNAL, "no code to package");
    if (rc == SA_OK)
        rc = write_package(&c, out);
    for (size_t i = 0; i < c.n; i++) {
        free(c.items[i].name);
        free(c.items[i].path);
    }
    free(c.items);
    if (c.spool != NULL) {
        sa_platform_remove_tree(c.spool);
        free(c.spool);
    }
    if (rc != SA_OK)
        sa_code_dispose(out);
    return rc;
}

int sa_code_splice(char **out, size_t *out_len, const char *json, const char *marker,
                   const sa_code *code, sa_error *err)
{
    const char *at = strstr(json, marker);
    size_t head, tail, b64 = 4 * ((code->zipped + 2) / 3);
    unsigned char in[49152];
    char *buf, *p;
    size_t n;

    *out = NULL;
    if (at == NULL)
        return sa_error_set(err, SA_EINTERNAL, "no place for the code in the request");
    head = (size_t)(at - json);
    tail = strlen(at + strlen(marker));
    buf = sa_malloc(head + b64 + tail + 1);
    if (buf == NULL)
        return sa_error_set(err, SA_ENOMEM, "out of memory (the code is %.1f MB)",
                            (double)code->zipped / (1 << 20));
    memcpy(buf, json, head);
    p = buf + head;
    if (fseeko(code->zip, 0, SEEK_SET) != 0) {
        free(buf);
        return sa_error_set(err, SA_EIO, "cannot read the package back");
    }
    /* base64 in blocks of a multiple of three bytes, straight into the request */
    while ((n = fread(in, 1, sizeof(in), code->zip)) > 0)
        p += EVP_EncodeBlock((unsigned char *)p, in, (int)n);
    if ((size_t)(p - (buf + head)) != b64) {
        sa_wipe_free_n(buf, head + b64 + tail + 1);
        return sa_error_set(err, SA_EIO, "cannot read the package back");
    }
    memcpy(p, at + strlen(marker), tail + 1);
    *out = buf;
    *out_len = head + b64 + tail;
    return SA_OK;
}

void sa_code_dispose(sa_code *c)
{
    if (c == NULL)
        return;
    if (c->zip != NULL)
        fclose(c->zip);
    memset(c, 0, sizeof(*c));
}

int sa_code_sha256(char out[64], const sa_value *code, const char *handler_code, sa_error *err)
{
    sa_code c;
    int rc = sa_code_package(&c, code, handler_code, err);

    if (rc == SA_OK)
        memcpy(out, c.sha256, 64);
    sa_code_dispose(&c);
    return rc;
}
