/* system.c — application.h, applications.h, rtc.h, powermanagement.h, sysevent.h and the
 * status part of networking.h: each checks its capability with the device's broker. */
#include <applibs/application.h>
#include <applibs/applications.h>
#include <applibs/networking.h>
#include <applibs/powermanagement.h>
#include <applibs/rtc.h>
#include <applibs/sysevent.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "broker_client.h"
#include "netshim.h"

static int capability(const char *name)
{
    struct broker_request q = {.op = BROKER_CAPABILITY};
    struct broker_reply r;
    snprintf(q.text, sizeof q.text, "%s", name);
    return applibs_broker_call(&q, &r, NULL);
}

static bool is_guid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Inter-core sockets this process holds (fd, inode): send/write of more than
 * BROKER_INTERCORE_MAX_PAYLOAD bytes on them fail with EMSGSIZE, as on the platform, since the
 * kernel's own SOCK_SEQPACKET limit is larger (docs/intercore.md). */
enum { INTERCORE_MAX_FDS = 16 };
static struct {
    int fd;
    ino_t ino;
} intercore_fds[INTERCORE_MAX_FDS];
static int intercore_count;

static void intercore_track(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return;
    for (int i = 0; i < intercore_count; i++)
        if (intercore_fds[i].fd == fd) {
            intercore_fds[i].ino = st.st_ino;
            return;
        }
    if (intercore_count < INTERCORE_MAX_FDS) {
        intercore_fds[intercore_count].fd = fd;
        intercore_fds[intercore_count++].ino = st.st_ino;
    }
}

static bool intercore_too_big(int fd, size_t len)
{
    if (len <= BROKER_INTERCORE_MAX_PAYLOAD)
        return false;
    struct stat st;
    for (int i = 0; i < intercore_count; i++)
        if (intercore_fds[i].fd == fd)
            return fstat(fd, &st) == 0 && st.st_ino == intercore_fds[i].ino;
    return false;
}

/* The app's send/write resolve here (libapplibs is linked before libc): the inter-core size
 * limit, and no destination on a UDP server channel (netshim.h). */
ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    if (applibs_is_udp_server(fd)) {
        errno = EDESTADDRREQ;
        return -1;
    }
    if (intercore_too_big(fd, len)) {
        errno = EMSGSIZE;
        return -1;
    }
    return syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    if (applibs_is_udp_server(fd)) {
        errno = EDESTADDRREQ;
        return -1;
    }
    if (intercore_too_big(fd, len)) {
        errno = EMSGSIZE;
        return -1;
    }
    return syscall(SYS_write, fd, buf, len);
}

int Application_Connect(const char *componentId)
{
    if (!is_guid(componentId)) {
        errno = EINVAL;
        return -1;
    }
    struct broker_request q = {.op = BROKER_APP_CONNECT};
    struct broker_reply r;
    int fd = -1;
    snprintf(q.text, sizeof q.text, "%s", componentId);
    int err = applibs_broker_call(&q, &r, &fd);
    if (!err && fd < 0)
        err = -EPROTO;
    if (err) {
        if (fd >= 0)
            close(fd);
        return applibs_result(err, 0);
    }
    intercore_track(fd);
    return fd;
}

int Application_IsDeviceAuthReady(bool *outIsDeviceAuthReady)
{
    if (!outIsDeviceAuthReady) {
        errno = EFAULT;
        return -1;
    }
    *outIsDeviceAuthReady = false; /* no device authentication without the cloud */
    return 0;
}

int Applications_GetOsVersion(Applications_OsVersion *outVersion)
{
    if (!outVersion) {
        errno = EFAULT;
        return -1;
    }
    struct broker_request q = {.op = BROKER_OS_VERSION};
    struct broker_reply r;
    int result = applibs_broker_call(&q, &r, NULL);
    if (!result) {
        r.text[sizeof outVersion->version - 1] = '\0';
        memcpy(outVersion->version, r.text, sizeof outVersion->version);
    }
    return applibs_result(result, 0);
}

static size_t peak_kb(void)
{
    struct rusage u;
    return getrusage(RUSAGE_SELF, &u) == 0 ? (size_t)u.ru_maxrss : 0;
}

size_t Applications_GetTotalMemoryUsageInKB(void) { return peak_kb(); }
size_t Applications_GetUserModeMemoryUsageInKB(void) { return peak_kb(); }
size_t Applications_GetPeakUserModeMemoryUsageInKB(void) { return peak_kb(); }

int clock_systohc(void) { return applibs_result(capability("SystemTime"), 0); }

static int power(int what, int arg)
{
    struct broker_request q = {.op = BROKER_POWER, .a = what, .b = arg};
    struct broker_reply r;
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}

int PowerManagement_ForceSystemReboot(void) { return power(1, 0); }
int PowerManagement_ForceSystemPowerDown(unsigned int maximum_residency_in_seconds)
{
    return power(2, (int)maximum_residency_in_seconds);
}
int PowerManagement_SetSystemPowerProfile(PowerManagement_System_PowerProfile desired_profile)
{
    if (desired_profile > PowerManagement_HighPerformance) {
        errno = EINVAL;
        return -1;
    }
    return power(3, (int)desired_profile);
}

/* System events (docs/runtime.md, "System events"): registering asks the device for an event
 * channel (a SOCK_SEQPACKET socket, one struct broker_sysevent per message), watched by the
 * app's EventLoop; each message becomes one call of the app's callback. */
struct SysEvent_Info {
    SysEvent_Events event;
    unsigned int max_deferral_time_in_minutes;
    SysEvent_UpdateType update_type;
};

struct sysevent_registration {
    EventLoop *loop;
    EventRegistration *io;
    int fd;
    SysEvent_EventsCallback *callback;
    void *context;
};
static struct sysevent_registration *current;

static void sysevent_ready(EventLoop *el, int fd, EventLoop_IoEvents events, void *context)
{
    struct sysevent_registration *reg = context;
    for (;;) {
        struct broker_sysevent m;
        ssize_t n = recv(fd, &m, sizeof m, MSG_DONTWAIT);
        if (n != (ssize_t)sizeof m)
            return; /* drained (EAGAIN), or the device hung up: nothing more will come */
        SysEvent_Info info = {.event = m.event, .max_deferral_time_in_minutes = m.max_deferral_minutes,
                              .update_type = m.update_type};
        reg->callback(m.event, m.status, &info, reg->context);
        if (current != reg)
            return; /* the callback unregistered */
    }
}

EventRegistration *SysEvent_RegisterForEventNotifications(EventLoop *el, SysEvent_Events eventBitmask,
                                                          SysEvent_EventsCallback *callback, void *context)
{
    if (!el || !callback) {
        errno = EFAULT;
        return NULL;
    }
    if (eventBitmask == SysEvent_Events_None || (eventBitmask & ~(SysEvent_Events)SysEvent_Events_Mask)) {
        errno = EINVAL;
        return NULL;
    }
    if (current) {
        errno = EEXIST;
        return NULL;
    }
    struct broker_request q = {.op = BROKER_SYSEVENT_REGISTER, .a = (int32_t)eventBitmask};
    struct broker_reply r;
    int fd = -1;
    int err = applibs_broker_call(&q, &r, &fd);
    if (!err && fd < 0)
        err = -EPROTO;
    if (err) {
        if (fd >= 0)
            close(fd);
        errno = -err;
        return NULL;
    }
    struct sysevent_registration *reg = calloc(1, sizeof *reg);
    if (reg) {
        reg->fd = fd;
        reg->loop = el;
        reg->callback = callback;
        reg->context = context;
        reg->io = EventLoop_RegisterIo(el, fd, EventLoop_Input, sysevent_ready, reg);
    }
    if (!reg || !reg->io) {
        int saved = reg ? errno : ENOMEM;
        struct broker_request u = {.op = BROKER_SYSEVENT_UNREGISTER};
        applibs_broker_call(&u, &r, NULL);
        close(fd);
        free(reg);
        errno = saved;
        return NULL;
    }
    current = reg;
    return reg->io;
}

int SysEvent_UnregisterForEventNotifications(EventRegistration *reg)
{
    if (!current || reg != current->io) {
        errno = EINVAL;
        return -1;
    }
    struct broker_request q = {.op = BROKER_SYSEVENT_UNREGISTER};
    struct broker_reply r;
    applibs_broker_call(&q, &r, NULL);
    EventLoop_UnregisterIo(current->loop, current->io);
    close(current->fd);
    free(current);
    current = NULL;
    return 0;
}

int SysEvent_DeferEvent(SysEvent_Events event, uint32_t requested_defer_time_in_minutes)
{
    if (event != SysEvent_Events_UpdateReadyForInstall || requested_defer_time_in_minutes == 0 ||
        requested_defer_time_in_minutes > INT32_MAX) {
        errno = EINVAL;
        return -1;
    }
    struct broker_request q = {.op = BROKER_SYSEVENT_DEFER, .a = (int32_t)event, .b = (int32_t)requested_defer_time_in_minutes};
    struct broker_reply r;
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}

int SysEvent_ResumeEvent(SysEvent_Events event)
{
    if (event != SysEvent_Events_UpdateReadyForInstall) {
        errno = EINVAL;
        return -1;
    }
    struct broker_request q = {.op = BROKER_SYSEVENT_RESUME, .a = (int32_t)event};
    struct broker_reply r;
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}

int SysEvent_Info_GetUpdateData(const SysEvent_Info *info, SysEvent_Info_UpdateData *update_info)
{
    if (!info || !update_info) {
        errno = EFAULT;
        return -1;
    }
    if (info->event != SysEvent_Events_UpdateReadyForInstall && info->event != SysEvent_Events_UpdateStarted) {
        errno = EINVAL; /* NoUpdateAvailable carries no update data */
        return -1;
    }
    update_info->max_deferral_time_in_minutes = info->max_deferral_time_in_minutes;
    update_info->update_type = info->update_type;
    return 0;
}
