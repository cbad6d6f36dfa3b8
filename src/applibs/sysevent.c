/* SPDX-License-Identifier: MIT */
/* sysevent.c — applibs/sysevent.h: system event notifications through the device's broker. */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/sysevent.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker_client.h"

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
