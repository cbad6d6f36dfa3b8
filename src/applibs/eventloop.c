/* SPDX-License-Identifier: MIT */
/* eventloop.c — EventLoop over epoll (see applibs/eventloop.h). */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/eventloop.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct EventRegistration {
    int fd;
    EventLoopIoCallback *callback;
    void *context;
    EventLoop_IoEvents events;
    struct EventRegistration *next;
};

struct EventLoop {
    int epoll_fd;
    int stop_fd; /* EventLoop_Stop wakes a running loop */
    struct EventRegistration *regs;
    bool stopped;
};

static uint32_t to_epoll(EventLoop_IoEvents e)
{
    return (e & EventLoop_Input ? EPOLLIN : 0) | (e & EventLoop_Output ? EPOLLOUT : 0);
}

static EventLoop_IoEvents from_epoll(uint32_t e)
{
    return (e & EPOLLIN ? EventLoop_Input : 0) | (e & EPOLLOUT ? EventLoop_Output : 0) |
           (e & (EPOLLERR | EPOLLHUP) ? EventLoop_Error : 0);
}

EventLoop *EventLoop_Create(void)
{
    EventLoop *el = calloc(1, sizeof *el);
    if (!el)
        return NULL;
    el->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    el->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (el->epoll_fd < 0 || el->stop_fd < 0 || epoll_ctl(el->epoll_fd, EPOLL_CTL_ADD, el->stop_fd, &ev) < 0) {
        int saved = errno;
        EventLoop_Close(el);
        errno = saved;
        return NULL;
    }
    return el;
}

void EventLoop_Close(EventLoop *el)
{
    if (!el)
        return;
    while (el->regs) {
        struct EventRegistration *next = el->regs->next;
        free(el->regs);
        el->regs = next;
    }
    if (el->epoll_fd >= 0)
        close(el->epoll_fd);
    if (el->stop_fd >= 0)
        close(el->stop_fd);
    free(el);
}

EventRegistration *EventLoop_RegisterIo(EventLoop *el, int fd, EventLoop_IoEvents eventBitmask,
                                        EventLoopIoCallback *callback, void *context)
{
    if (!el || fd < 0 || !callback || (eventBitmask & ~(EventLoop_IoEvents)(EventLoop_Input | EventLoop_Output))) {
        errno = EINVAL;
        return NULL;
    }
    struct EventRegistration *reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    *reg = (struct EventRegistration){fd, callback, context, eventBitmask, el->regs};
    struct epoll_event ev = {.events = to_epoll(eventBitmask), .data.ptr = reg};
    if (epoll_ctl(el->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(reg);
        return NULL;
    }
    el->regs = reg;
    return reg;
}

static bool owns(const EventLoop *el, const EventRegistration *reg)
{
    for (const struct EventRegistration *r = el->regs; r; r = r->next)
        if (r == reg)
            return true;
    return false;
}

int EventLoop_ModifyIoEvents(EventLoop *el, EventRegistration *reg, EventLoop_IoEvents eventBitmask)
{
    if (!el || !reg || !owns(el, reg) || (eventBitmask & ~(EventLoop_IoEvents)(EventLoop_Input | EventLoop_Output))) {
        errno = EINVAL;
        return -1;
    }
    struct epoll_event ev = {.events = to_epoll(eventBitmask), .data.ptr = reg};
    if (epoll_ctl(el->epoll_fd, EPOLL_CTL_MOD, reg->fd, &ev) < 0)
        return -1;
    reg->events = eventBitmask;
    return 0;
}

int EventLoop_UnregisterIo(EventLoop *el, EventRegistration *reg)
{
    if (!reg)
        return 0;
    if (!el || !owns(el, reg)) {
        errno = EINVAL;
        return -1;
    }
    epoll_ctl(el->epoll_fd, EPOLL_CTL_DEL, reg->fd, NULL);
    for (struct EventRegistration **p = &el->regs; *p; p = &(*p)->next)
        if (*p == reg) {
            *p = reg->next;
            break;
        }
    free(reg);
    return 0;
}

int EventLoop_Stop(EventLoop *el)
{
    if (!el) {
        errno = EINVAL;
        return -1;
    }
    uint64_t one = 1;
    return write(el->stop_fd, &one, sizeof one) == sizeof one ? 0 : -1;
}

int EventLoop_GetWaitDescriptor(EventLoop *el)
{
    if (!el) {
        errno = EINVAL;
        return -1;
    }
    return el->epoll_fd;
}

EventLoop_Run_Result EventLoop_Run(EventLoop *el, int duration_in_milliseconds, bool process_one_event)
{
    if (!el || duration_in_milliseconds < -1) {
        errno = EINVAL;
        return EventLoop_Run_Failed;
    }
    int handled = 0;
    for (;;) {
        struct epoll_event events[16];
        int n = epoll_wait(el->epoll_fd, events, process_one_event ? 1 : 16, handled ? 0 : duration_in_milliseconds);
        if (n < 0)
            return EventLoop_Run_Failed; /* errno EINTR when a signal arrived */
        if (n == 0)
            return handled ? EventLoop_Run_Finished : EventLoop_Run_FinishedEmpty;
        for (int i = 0; i < n; i++) {
            struct EventRegistration *reg = events[i].data.ptr;
            if (!reg) { /* EventLoop_Stop */
                uint64_t v;
                ssize_t r = read(el->stop_fd, &v, sizeof v);
                (void)r;
                return handled ? EventLoop_Run_Finished : EventLoop_Run_FinishedEmpty;
            }
            reg->callback(el, reg->fd, from_epoll(events[i].events), reg->context);
            handled++;
        }
        if (process_one_event)
            return EventLoop_Run_Finished;
    }
}
