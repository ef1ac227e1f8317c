/*
 * The platform layer (platform.h) on Windows (mingw-w64, with winpthreads). The engine starts a
 * plugin in a new process group, interrupts it with GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT)
 * and kills it with TerminateProcess: the stop request is a console control handler that records
 * the event as a signal number and sets an event object the stop thread waits on. The parent
 * watch holds a SYNCHRONIZE handle of the parent process, found by its process id in a
 * process snapshot, and asks whether it is signalled (the process has exited). TLS uses the
 * system's certificate store (SA_PLATFORM_NATIVE_CA), so no CA bundle place is searched.
 */
#include "base/platform.h"

#include <fcntl.h>
#include <io.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <windows.h>

#include <tlhelp32.h>

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
