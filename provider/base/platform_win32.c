/*
 * The platform layer (platform.h) on Windows (mingw-w64, with winpthreads). The engine starts a
 * plugin in a new process group, interrupts it with GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT)
 * and kills it with TerminateProcess: the stop request is a console control handler that records
 * the event as a signal number and sets an event object the stop thread waits on. The parent
 * watch holds a SYNCHRONIZE handle of the parent process, found by its process id in a
 * process snapshot, and asks whether it is signalled (the process has exited). TLS uses the
 * system's certificate store (SA_PLATFORM_NATIVE_CA), so no CA bundle place is searched. A
 * program is started with CreateProcessW (the command line as given, or argv quoted by
 * Microsoft's rules), inheriting only its three standard handles
 * (PROC_THREAD_ATTRIBUTE_HANDLE_LIST: NUL, the write end of an anonymous pipe, our stderr); its
 * stdout is read when PeekNamedPipe says bytes wait, in short slices so a deadline and the cancel
 * flag stop it, and a kill is TerminateProcess. Paths and names are UTF-8 here and UTF-16 for the
 * system's wide calls (FindFirstFileW, CreateFileW, RemoveDirectoryW).
 */
#include "base/platform.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>

#include <tlhelp32.h>

#define RUN_POLL_SLICE_MS 50 /* how often a running program's cancel flag is looked at */
#define RUN_READ_SLICE_MS 10 /* how long to wait for its output before looking again */

#define STOP_WAIT_SLICE_MS 100 /* how often the stop wait looks for a pthread_cancel */

/* What the console control handler (run by the system on a thread of its own) hands to the stop
 * wait: the signal number, and the event that wakes it. */
static HANDLE g_stop_event;
static volatile LONG g_stop_signal;

struct tm *sa_gmtime(const time_t *t, struct tm *out)
{
    return gmtime_s(out, t) == 0 ? out : NULL;
}

time_t sa_timegm(struct tm *tm)
{
    return _mkgmtime(tm);
}

const char *sa_secure_getenv(const char *name)
{
    return getenv(name); /* Windows has no set-user-ID programs */
}

const char *sa_platform_home_variable(size_t i)
{
    static const char *const vars[] = {"USERPROFILE", "HOME"};
    return i < SA_N(vars) ? vars[i] : NULL;
}

int sa_platform_pipe(int fds[2])
{
    return _pipe(fds, 65536, _O_BINARY | _O_NOINHERIT);
}

static BOOL WINAPI on_console_event(DWORD type)
{
    LONG sig;

    switch (type) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
        sig = SIGINT;
        break;
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
        sig = SIGTERM;
        break;
    default:
        return FALSE;
    }
    InterlockedCompareExchange(&g_stop_signal, sig, 0);
    SetEvent(g_stop_event);
    return TRUE; /* handled: the process is not ended (but see CTRL_CLOSE_EVENT's 5 s limit) */
}

int sa_platform_stop_signals_block(void)
{
    if (g_stop_event == NULL)
        g_stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (g_stop_event == NULL)
        return -1;
    return SetConsoleCtrlHandler(on_console_event, TRUE) ? 0 : -1;
}

int sa_platform_stop_signal_wait(void)
{
    if (g_stop_event == NULL)
        return 0;
    /* in slices: winpthreads' pthread_cancel does not interrupt WaitForSingleObject */
    for (;;) {
        DWORD w = WaitForSingleObject(g_stop_event, STOP_WAIT_SLICE_MS);
        if (w == WAIT_OBJECT_0)
            return (int)InterlockedCompareExchange(&g_stop_signal, 0, 0);
        if (w != WAIT_TIMEOUT)
            return 0;
        pthread_testcancel();
    }
}

/* Our parent's process id, from a snapshot of the processes; 0 when not found. */
static DWORD parent_pid(void)
{
    DWORD self = GetCurrentProcessId(), parent = 0;
    PROCESSENTRY32W pe = {.dwSize = sizeof(pe)};
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);

    if (snap == INVALID_HANDLE_VALUE)
        return 0;
    for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
        if (pe.th32ProcessID == self) {
            parent = pe.th32ParentProcessID;
            break;
        }
    }
    CloseHandle(snap);
    return parent;
}

/* Whether process a was created before process b (by their creation times). */
static bool created_before(HANDLE a, HANDLE b)
{
    FILETIME ca, cb, x1, x2, x3;

    if (!GetProcessTimes(a, &ca, &x1, &x2, &x3) || !GetProcessTimes(b, &cb, &x1, &x2, &x3))
        return false;
    return CompareFileTime(&ca, &cb) <= 0;
}

int sa_platform_parent_watch_start(sa_platform_parent *w)
{
    DWORD pid = parent_pid();
    HANDLE h;

    w->pid = (long long)pid;
    w->handle = NULL;
    if (pid == 0)
        return -1;
    h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (h == NULL)
        return -1;
    /* Windows does not reparent: a parent that exited before we looked may have left its id to a
     * newer process, which is then not our parent. */
    if (!created_before(h, GetCurrentProcess())) {
        CloseHandle(h);
        return -1;
    }
    w->handle = h;
    return 0;
}

bool sa_platform_parent_gone(const sa_platform_parent *w)
{
    return w->handle != NULL && WaitForSingleObject((HANDLE)w->handle, 0) == WAIT_OBJECT_0;
}

void sa_platform_parent_watch_end(sa_platform_parent *w)
{
    if (w != NULL && w->handle != NULL) {
        CloseHandle((HANDLE)w->handle);
        w->handle = NULL;
    }
}

const char *sa_platform_ca_bundle(size_t i)
{
    (void)i;
    return NULL;
}

/* ---- UTF-8 and UTF-16 -------------------------------------------------------------------- */

/* s as a new UTF-16 string (free it), or NULL (errno set) when s is not UTF-8 or memory ran out. */
static wchar_t *widen(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    wchar_t *w;

    if (n <= 0) {
        errno = EINVAL;
        return NULL;
    }
    w = malloc((size_t)n * sizeof(wchar_t));
    if (w == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    return w;
}

/* w as a new UTF-8 string (free it), or NULL (errno set). */
static char *narrow(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s;

    if (n <= 0) {
        errno = EINVAL;
        return NULL;
    }
    s = malloc((size_t)n);
    if (s == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
    return s;
}

/* The nearest errno of a Windows error code. */
static int errno_of(DWORD e)
{
    switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME:
        return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
        return EACCES;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return ENOMEM;
    case ERROR_DIRECTORY:
        return ENOTDIR;
    case ERROR_FILENAME_EXCED_RANGE:
        return ENAMETOOLONG;
    case ERROR_DIR_NOT_EMPTY:
        return ENOTEMPTY;
    default:
        return EIO;
    }
}

/* ---- running a program ------------------------------------------------------------------ */

static bool run_cancelled(const sa_platform_run_spec *spec)
{
    return spec->cancelled != NULL && atomic_load(spec->cancelled);
}

/* Sets the outcome, and the detail "step: the system's message for code" (without step, only the
 * message). */
static void run_detail(sa_platform_run_result *out, sa_platform_run_outcome outcome,
                       const char *step, DWORD code)
{
    char msg[128];
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
                             0, msg, sizeof(msg), NULL);

    while (n > 0 && (msg[n - 1] == '\r' || msg[n - 1] == '\n' || msg[n - 1] == '.'))
        n--;
    if (n == 0)
        n = (DWORD)snprintf(msg, sizeof(msg), "error %lu", (unsigned long)code);
    else
        msg[n] = '\0';
    out->outcome = outcome;
    if (step == NULL)
        snprintf(out->detail, sizeof(out->detail), "%s", msg);
    else
        snprintf(out->detail, sizeof(out->detail), "%s: %s", step, msg);
}

/* Appends arg to *w (at *n, of capacity cap) quoted by Microsoft's rules ("Parsing C++
 * command-line arguments"; the inverse of CommandLineToArgvW): as it is when it has no space,
 * tab, newline or quote and is not empty; else in quotes, with each quote preceded by a
 * backslash and the backslashes before a quote or the closing quote doubled. */
static void quote_arg(wchar_t *w, size_t *n, const wchar_t *arg)
{
    size_t len = wcslen(arg);

    if (len > 0 && wcspbrk(arg, L" \t\n\v\"") == NULL) {
        memcpy(w + *n, arg, len * sizeof(wchar_t));
        *n += len;
        return;
    }
    w[(*n)++] = L'"';
    for (size_t i = 0;; i++) {
        size_t backslashes = 0;

        while (i < len && arg[i] == L'\\') {
            i++;
            backslashes++;
        }
        if (i == len) {
            for (size_t k = 0; k < 2 * backslashes; k++)
                w[(*n)++] = L'\\';
            break;
        }
        for (size_t k = 0; k < (arg[i] == L'"' ? 2 * backslashes + 1 : backslashes); k++)
            w[(*n)++] = L'\\';
        w[(*n)++] = arg[i];
    }
    w[(*n)++] = L'"';
}

/* The command line of argv, UTF-16 (free it), or NULL. */
static wchar_t *command_line_of(char *const *argv)
{
    size_t cap = 1, n = 0;
    wchar_t *line;

    for (size_t i = 0; argv[i] != NULL; i++)
        cap += 2 * strlen(argv[i]) + 3; /* each backslash doubled at worst, quotes, a space */
    line = malloc(cap * sizeof(wchar_t));
    if (line == NULL)
        return NULL;
    for (size_t i = 0; argv[i] != NULL; i++) {
        wchar_t *arg = widen(argv[i]);

        if (arg == NULL) {
            free(line);
            return NULL;
        }
        if (i > 0)
            line[n++] = L' ';
        quote_arg(line, &n, arg);
        free(arg);
    }
    line[n] = L'\0';
    return line;
}

/* Starts the program with stdin from NUL, stdout into the pipe whose read end goes to *rd and
 * stderr ours; false (out filled) when not. */
static bool run_start(const sa_platform_run_spec *spec, PROCESS_INFORMATION *pi, HANDLE *rd,
                      sa_platform_run_result *out)
{
    SECURITY_ATTRIBUTES inherit = {sizeof(inherit), NULL, TRUE};
    STARTUPINFOEXW si;
    HANDLE wr = NULL, nul = INVALID_HANDLE_VALUE, err_h = NULL,
           ours = GetStdHandle(STD_ERROR_HANDLE);
    HANDLE handles[3];
    DWORD nhandles = 0;
    SIZE_T attr_size = 0;
    LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
    wchar_t *line = NULL;
    bool ok = false;

    *rd = NULL;
    if (!CreatePipe(rd, &wr, &inherit, 65536)) {
        run_detail(out, SA_PLATFORM_RUN_FAILED, "cannot make a pipe", GetLastError());
        *rd = NULL;
        return false;
    }
    SetHandleInformation(*rd, HANDLE_FLAG_INHERIT, 0);
    nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                      OPEN_EXISTING, 0, NULL);
    if (nul == INVALID_HANDLE_VALUE) {
        run_detail(out, SA_PLATFORM_RUN_FAILED, "cannot open NUL", GetLastError());
        goto done;
    }
    /* our stderr, made inheritable (a copy: ours may not be) */
    if (ours != NULL && ours != INVALID_HANDLE_VALUE &&
        !DuplicateHandle(GetCurrentProcess(), ours, GetCurrentProcess(), &err_h, 0, TRUE,
                         DUPLICATE_SAME_ACCESS))
        err_h = NULL;
    handles[nhandles++] = nul;
    handles[nhandles++] = wr;
    if (err_h != NULL)
        handles[nhandles++] = err_h;
    InitializeProcThreadAttributeList(NULL, 1, 0, &attr_size);
    attrs = malloc(attr_size);
    line = spec->command_line != NULL ? widen(spec->command_line) : command_line_of(spec->argv);
    if (attrs == NULL || line == NULL) {
        out->outcome =
            line == NULL && errno == EINVAL ? SA_PLATFORM_RUN_NOT_STARTED : SA_PLATFORM_RUN_NOMEM;
        if (out->outcome == SA_PLATFORM_RUN_NOT_STARTED)
            snprintf(out->detail, sizeof(out->detail), "the command line is not UTF-8");
        goto done;
    }
    if (!InitializeProcThreadAttributeList(attrs, 1, 0, &attr_size)) {
        free(attrs);
        attrs = NULL;
        run_detail(out, SA_PLATFORM_RUN_NOMEM, "cannot prepare the process", GetLastError());
        goto done;
    }
    if (!UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles,
                                   nhandles * sizeof(HANDLE), NULL, NULL)) {
        run_detail(out, SA_PLATFORM_RUN_NOMEM, "cannot prepare the process", GetLastError());
        goto done;
    }
    memset(&si, 0, sizeof(si));
    si.StartupInfo.cb = sizeof(si);
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = nul;
    si.StartupInfo.hStdOutput = wr;
    si.StartupInfo.hStdError = err_h;
    si.lpAttributeList = attrs;
    if (!CreateProcessW(NULL, line, NULL, NULL, TRUE, EXTENDED_STARTUPINFO_PRESENT, NULL, NULL,
                        &si.StartupInfo, pi)) {
        run_detail(out, SA_PLATFORM_RUN_NOT_STARTED, NULL, GetLastError());
        goto done;
    }
    CloseHandle(pi->hThread);
    ok = true;
done:
    if (attrs != NULL)
        DeleteProcThreadAttributeList(attrs);
    free(attrs);
    free(line);
    if (err_h != NULL)
        CloseHandle(err_h);
    if (nul != INVALID_HANDLE_VALUE)
        CloseHandle(nul);
    CloseHandle(wr); /* the child's copy is its own: our end closing gives the read its EOF */
    if (!ok) {
        CloseHandle(*rd);
        *rd = NULL;
    }
    return ok;
}

/* Reads the child's stdout to its end, then waits for it to exit. On any failure the child is
 * terminated and waited for. True when it exited (its exit code in *code). */
static bool run_collect(const sa_platform_run_spec *spec, sa_platform_run_result *out,
                        HANDLE process, HANDLE rd, DWORD *code)
{
    ULONGLONG deadline =
        GetTickCount64() + (ULONGLONG)(spec->timeout_ms > 0 ? spec->timeout_ms : 0);
    bool eof = false;

    for (;;) {
        ULONGLONG now = GetTickCount64();
        DWORD left = now >= deadline
                         ? 0
                         : (DWORD)(deadline - now < 0x7fffffff ? deadline - now : 0x7fffffff);
        DWORD avail = 0, got = 0;

        if (run_cancelled(spec)) {
            out->outcome = SA_PLATFORM_RUN_CANCELLED;
            break;
        }
        if (left == 0) {
            out->outcome = SA_PLATFORM_RUN_TIMEOUT;
            break;
        }
        if (!eof) {
            if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL)) {
                DWORD e = GetLastError();
                if (e == ERROR_BROKEN_PIPE) {
                    eof = true; /* every writer closed it */
                    continue;
                }
                run_detail(out, SA_PLATFORM_RUN_FAILED, "reading its output", e);
                break;
            }
            if (avail == 0) {
                Sleep(left < RUN_READ_SLICE_MS ? left : RUN_READ_SLICE_MS);
                continue;
            }
            if (avail > spec->cap - out->len)
                avail = (DWORD)(spec->cap - out->len);
            if (!ReadFile(rd, spec->out + out->len, avail, &got, NULL)) {
                DWORD e = GetLastError();
                if (e == ERROR_BROKEN_PIPE) {
                    eof = true;
                    continue;
                }
                run_detail(out, SA_PLATFORM_RUN_FAILED, "reading its output", e);
                break;
            }
            out->len += got;
            if (out->len == spec->cap) {
                out->outcome = SA_PLATFORM_RUN_TOO_MUCH;
                break;
            }
        } else {
            DWORD w =
                WaitForSingleObject(process, left < RUN_POLL_SLICE_MS ? left : RUN_POLL_SLICE_MS);

            if (w == WAIT_OBJECT_0) {
                if (GetExitCodeProcess(process, code))
                    return true;
                run_detail(out, SA_PLATFORM_RUN_FAILED, "GetExitCodeProcess", GetLastError());
                return false;
            }
            if (w != WAIT_TIMEOUT) {
                run_detail(out, SA_PLATFORM_RUN_FAILED, "WaitForSingleObject", GetLastError());
                break;
            }
        }
    }
    TerminateProcess(process, 1);
    WaitForSingleObject(process, INFINITE);
    return false;
}

void sa_platform_run(const sa_platform_run_spec *spec, sa_platform_run_result *out)
{
    PROCESS_INFORMATION pi;
    HANDLE rd = NULL;
    DWORD code = 0;

    memset(out, 0, sizeof(*out));
    if (!run_start(spec, &pi, &rd, out))
        return;
    if (run_collect(spec, out, pi.hProcess, rd, &code)) {
        out->outcome = SA_PLATFORM_RUN_EXITED;
        out->status = (int)code;
    }
    CloseHandle(rd);
    CloseHandle(pi.hProcess);
}

/* ---- files and folders ------------------------------------------------------------------ */

/* Whether a file's name says it is meant to run (platform.h, sa_platform_file): bootstrap, or
 * *.sh, the last component of path, compared without regard to case (as Windows names are). */
static bool named_executable(const char *path)
{
    const char *base = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t n = strlen(base);
    return _stricmp(base, "bootstrap") == 0 || (n > 3 && _stricmp(base + n - 3, ".sh") == 0);
}

int sa_platform_file_info(const char *path, sa_platform_file *out)
{
    BY_HANDLE_FILE_INFORMATION bi;
    wchar_t *w = widen(path);
    HANDLE h;
    DWORD type;

    if (w == NULL)
        return -1;
    /* backup semantics: a folder opens too; reparse points (symbolic links) are followed */
    h = CreateFileW(w, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE) {
        errno = errno_of(GetLastError());
        return -1;
    }
    if (!GetFileInformationByHandle(h, &bi)) {
        errno = errno_of(GetLastError());
        CloseHandle(h);
        return -1;
    }
    type = GetFileType(h);
    CloseHandle(h);
    out->kind = (bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? SA_PLATFORM_FILE_DIRECTORY
                : type == FILE_TYPE_DISK                         ? SA_PLATFORM_FILE_REGULAR
                                                                 : SA_PLATFORM_FILE_OTHER;
    out->executable = out->kind == SA_PLATFORM_FILE_REGULAR && named_executable(path);
    out->size = ((uint64_t)bi.nFileSizeHigh << 32) | bi.nFileSizeLow;
    out->device = bi.dwVolumeSerialNumber;
    out->inode = ((uint64_t)bi.nFileIndexHigh << 32) | bi.nFileIndexLow;
    return 0;
}

/* dir joined with name by a backslash, UTF-16 (free it), or NULL. */
static wchar_t *join_w(const wchar_t *dir, const wchar_t *name)
{
    size_t a = wcslen(dir), b = wcslen(name);
    wchar_t *w = malloc((a + b + 2) * sizeof(wchar_t));

    if (w == NULL)
        return NULL;
    memcpy(w, dir, a * sizeof(wchar_t));
    w[a] = L'\\';
    memcpy(w + a + 1, name, (b + 1) * sizeof(wchar_t));
    return w;
}

static bool dot_or_dotdot(const wchar_t *name)
{
    return wcscmp(name, L".") == 0 || wcscmp(name, L"..") == 0;
}

int sa_platform_dir_names(const char *dir, int (*fn)(void *ctx, const char *name), void *ctx)
{
    WIN32_FIND_DATAW fd;
    wchar_t *wdir = widen(dir), *pattern;
    HANDLE h;
    int rc = 0;

    if (wdir == NULL)
        return -1;
    pattern = join_w(wdir, L"*");
    free(wdir);
    if (pattern == NULL) {
        errno = ENOMEM;
        return -1;
    }
    h = FindFirstFileW(pattern, &fd);
    free(pattern);
    if (h == INVALID_HANDLE_VALUE) {
        errno = errno_of(GetLastError());
        return -1;
    }
    do {
        char *name;

        if (dot_or_dotdot(fd.cFileName))
            continue;
        name = narrow(fd.cFileName);
        if (name == NULL) {
            rc = -1;
            break;
        }
        rc = fn(ctx, name);
        free(name);
        if (rc != 0)
            break;
    } while (FindNextFileW(h, &fd));
    if (rc == 0 && GetLastError() != ERROR_NO_MORE_FILES) {
        errno = errno_of(GetLastError());
        rc = -1;
    }
    FindClose(h);
    return rc;
}

static int remove_w(const wchar_t *path)
{
    DWORD attr = GetFileAttributesW(path);
    int rc = 0;

    if (attr == INVALID_FILE_ATTRIBUTES)
        return GetLastError() == ERROR_FILE_NOT_FOUND || GetLastError() == ERROR_PATH_NOT_FOUND
                   ? 0
                   : -1;
    if (attr & FILE_ATTRIBUTE_READONLY)
        SetFileAttributesW(path, attr & ~(DWORD)FILE_ATTRIBUTE_READONLY);
    if ((attr & FILE_ATTRIBUTE_DIRECTORY) && !(attr & FILE_ATTRIBUTE_REPARSE_POINT)) {
        WIN32_FIND_DATAW fd;
        wchar_t *pattern = join_w(path, L"*");
        HANDLE h = pattern != NULL ? FindFirstFileW(pattern, &fd) : INVALID_HANDLE_VALUE;

        free(pattern);
        if (h != INVALID_HANDLE_VALUE) {
            do {
                wchar_t *child;

                if (dot_or_dotdot(fd.cFileName))
                    continue;
                child = join_w(path, fd.cFileName);
                if (child == NULL || remove_w(child) != 0)
                    rc = -1;
                free(child);
            } while (FindNextFileW(h, &fd));
            FindClose(h);
        }
    }
    /* a folder, or a link to one (a junction or a directory symbolic link: only the link goes) */
    if (attr & FILE_ATTRIBUTE_DIRECTORY)
        return RemoveDirectoryW(path) ? rc : -1;
    return DeleteFileW(path) ? rc : -1;
}

int sa_platform_remove_tree(const char *path)
{
    wchar_t *w = widen(path);
    int rc;

    if (w == NULL)
        return -1;
    rc = remove_w(w);
    free(w);
    return rc;
}

const char *sa_platform_temp_dir(char *out, size_t cap)
{
    wchar_t w[MAX_PATH + 2];
    DWORD n = GetTempPathW(SA_N(w), w);
    char *s;
    size_t len;

    if (n == 0 || n >= SA_N(w))
        return NULL;
    while (n > 3 && (w[n - 1] == L'\\' || w[n - 1] == L'/'))
        w[--n] = L'\0'; /* "C:\\" keeps its separator */
    s = narrow(w);
    if (s == NULL)
        return NULL;
    len = strlen(s);
    if (len >= cap) {
        free(s);
        return NULL;
    }
    memcpy(out, s, len + 1);
    free(s);
    return out;
}

/* ---- archive member names --------------------------------------------------------------- */

void sa_platform_utf8_ctype_begin(sa_platform_utf8_ctype *s)
{
    const char *current;

    s->locale = NULL;
    s->before = NULL;
    s->active = false;
    s->mode = _configthreadlocale(_ENABLE_PER_THREAD_LOCALE);
    if (s->mode == -1)
        return;
    current = setlocale(LC_CTYPE, NULL);
    s->locale = current != NULL ? _strdup(current) : NULL;
    /* the Universal CRT's UTF-8 locale (Windows 10 1803 on); an older CRT refuses it */
    if (s->locale == NULL || setlocale(LC_CTYPE, ".UTF-8") == NULL) {
        free(s->locale);
        s->locale = NULL;
        _configthreadlocale(s->mode);
        return;
    }
    s->active = true;
}

void sa_platform_utf8_ctype_end(sa_platform_utf8_ctype *s)
{
    if (!s->active)
        return;
    setlocale(LC_CTYPE, (const char *)s->locale);
    free(s->locale);
    s->locale = NULL;
    _configthreadlocale(s->mode);
    s->active = false;
}
