/* SPDX-License-Identifier: MIT */
/* probe.c — a test app for the runtime: each command-line argument names a probe; the app runs
 * them in order, printing "PROBE <name> ok" or "PROBE <name> <errno name>", then waits for
 * SIGTERM (or exits, crashes, or misbehaves, for the probes that are about that). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <applibs/application.h>
#include <applibs/gpio.h>
#include <applibs/log.h>
#include <applibs/powermanagement.h>
#include <applibs/storage.h>
#include <applibs/sysevent.h>

static void report(const char *name, int rc)
{
    printf("PROBE %s %s\n", name, rc >= 0 ? "ok" : strerrorname_np(errno));
    fflush(stdout);
}

/* System events: "sysev" registers for all events ("sysev-ready": UpdateReadyForInstall only),
 * "defer:N" defers a Pending update by N minutes, "resume" lets it go ahead, "unregister"
 * drops the registration again; each event received is printed as a SYSEVENT line. */
static EventLoop *loop;
static EventRegistration *sysev_reg;
static int defer_minutes = -1;
static bool resume_on_pending;

static void on_sysevent(SysEvent_Events event, SysEvent_Status status, const SysEvent_Info *info, void *context)
{
    static const char *const statuses[] = {"Invalid", "Pending", "Final", "Deferred", "Complete"};
    SysEvent_Info_UpdateData data = {0};
    int got = SysEvent_Info_GetUpdateData(info, &data);
    printf("SYSEVENT event=0x%x status=%s type=%s max=%u\n", event, status < 5 ? statuses[status] : "?",
           got < 0 ? "none" : data.update_type == SysEvent_UpdateType_App ? "App"
                            : data.update_type == SysEvent_UpdateType_System ? "System" : "Invalid",
           got < 0 ? 0 : data.max_deferral_time_in_minutes);
    fflush(stdout);
    if (event == SysEvent_Events_UpdateReadyForInstall && status == SysEvent_Status_Pending) {
        if (defer_minutes >= 0)
            report("defer", SysEvent_DeferEvent(event, (uint32_t)defer_minutes));
        if (resume_on_pending)
            report("resume", SysEvent_ResumeEvent(event));
    }
}

static volatile sig_atomic_t terminated;
static void on_term(int s) { terminated = 1; }

int main(int argc, char **argv)
{
    struct sigaction act = {.sa_handler = on_term};
    sigaction(SIGTERM, &act, NULL);
    for (int i = 1; i < argc; i++) {
        const char *p = argv[i];
        if (!strcmp(p, "exec")) {
            char *args[] = {"/bin/sh", "-c", "true", NULL};
            report(p, execv("/bin/sh", args));
        } else if (!strcmp(p, "hostfile")) {
            report(p, open("/etc/passwd", O_RDONLY));
        } else if (!strcmp(p, "writeimage")) {
            report(p, open(argv[0], O_WRONLY));
        } else if (!strcmp(p, "createfile")) {
            report(p, open("/tmp-new-file", O_WRONLY | O_CREAT, 0644));
        } else if (!strcmp(p, "fork")) {
            pid_t pid = fork();
            if (pid == 0)
                _exit(0);
            report(p, pid);
        } else if (!strcmp(p, "ptrace")) {
            report(p, (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL));
        } else if (!strcmp(p, "proc")) {
            report(p, open("/proc/1/status", O_RDONLY));
        } else if (!strcmp(p, "socket")) { /* the kernel's answer: socket() in libapplibs would
                                              * hand out a placeholder (docs/network.md) */
            report(p, (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0));
        } else if (!strcmp(p, "readimage")) {
            report(p, Storage_OpenFileInImagePackage("data/hello.txt"));
        } else if (!strcmp(p, "badpath")) {
            report(p, Storage_OpenFileInImagePackage("../etc/passwd"));
        } else if (!strcmp(p, "gpio8")) {
            report(p, GPIO_OpenAsOutput(8, GPIO_OutputMode_PushPull, GPIO_Value_High));
        } else if (!strcmp(p, "gpio9")) {
            report(p, GPIO_OpenAsOutput(9, GPIO_OutputMode_PushPull, GPIO_Value_High));
        } else if (!strcmp(p, "gpio8again")) {
            report(p, GPIO_OpenAsInput(8));
        } else if (!strcmp(p, "gpiomode")) {
            report(p, GPIO_OpenAsOutput(8, 7, GPIO_Value_High));
        } else if (!strcmp(p, "gpioclosed")) { /* a set on a closed output: EBADF at once */
            int fd = GPIO_OpenAsOutput(8, GPIO_OutputMode_PushPull, GPIO_Value_Low);
            if (fd >= 0)
                GPIO_SetValue(fd, GPIO_Value_High), close(fd);
            report(p, fd < 0 ? fd : GPIO_SetValue(fd, GPIO_Value_Low));
        } else if (!strcmp(p, "gpiobadfd")) {
            report(p, GPIO_SetValue(0, GPIO_Value_High));
        } else if (!strcmp(p, "storage")) {
            report(p, Storage_OpenMutableFile());
        } else if (!strcmp(p, "quota")) {
            int fd = Storage_OpenMutableFile();
            static char block[4096];
            ssize_t n = 0;
            for (int k = 0; fd >= 0 && k < 64 && n >= 0; k++)
                n = write(fd, block, sizeof block);
            report(p, fd < 0 ? fd : (int)n);
        } else if (!strcmp(p, "reboot")) {
            report(p, PowerManagement_ForceSystemReboot());
        } else if (!strcmp(p, "connect")) {
            report(p, Application_Connect("005180BC-402F-4CB3-A662-72937DBCDE47"));
        } else if (!strcmp(p, "log")) {
            report(p, Log_Debug("Log_Debug says hello\n"));
        } else if (!strcmp(p, "memory")) {
            size_t total = 0;
            for (int k = 0; k < 64; k++) {
                char *m = malloc(64 * 1024);
                if (m)
                    memset(m, 1, 64 * 1024), total += 64 * 1024;
                usleep(20000);
            }
            printf("PROBE memory survived %zu\n", total);
        } else if (!strcmp(p, "crash")) {
            fflush(stdout);
            raise(SIGSEGV);
        } else if (!strcmp(p, "exit3")) {
            printf("PROBE exit3 exiting\n");
            return 3;
        } else if (!strcmp(p, "exitnow")) {
            return 0;
        } else if (!strcmp(p, "sysev") || !strcmp(p, "sysev-ready")) {
            if (!loop)
                loop = EventLoop_Create();
            sysev_reg = SysEvent_RegisterForEventNotifications(
                loop, !strcmp(p, "sysev") ? SysEvent_Events_Mask : SysEvent_Events_UpdateReadyForInstall, on_sysevent, NULL);
            report(p, sysev_reg ? 0 : -1);
        } else if (!strncmp(p, "defer:", 6)) {
            defer_minutes = atoi(p + 6);
        } else if (!strcmp(p, "resume")) {
            resume_on_pending = true;
        } else if (!strcmp(p, "unregister")) {
            report(p, SysEvent_UnregisterForEventNotifications(sysev_reg));
            sysev_reg = NULL;
        } else if (!strcmp(p, "deferidle")) { /* no update offered: refused */
            report(p, SysEvent_DeferEvent(SysEvent_Events_UpdateReadyForInstall, 5));
        } else if (!strcmp(p, "logburst")) { /* more lines than one page of the device log */
            for (int n = 1; n <= 2500; n++)
                Log_Debug("BURST %d\n", n);
            report(p, 0);
        } else if (!strcmp(p, "ignoreterm")) {
            signal(SIGTERM, SIG_IGN);
            printf("PROBE ignoreterm armed\n");
        } else {
            printf("PROBE %s unknown\n", p);
        }
    }
    printf("PROBE done\n");
    fflush(stdout);
    while (!terminated) {
        if (loop)
            EventLoop_Run(loop, -1, true); /* returns on SIGTERM (EINTR) */
        else
            pause();
    }
    printf("PROBE terminated\n");
    return 0;
}
