/* SPDX-License-Identifier: MIT */
/* gpio.c — GPIO handles from the device's broker (see applibs/gpio.h). A handle is a
 * SOCK_SEQPACKET socket to the board's line: 'S' value sets it, 'G' asks for its level.
 * An output handle also gets the line's set ring (board_gpio_ring.h), mapped once at open:
 * GPIO_SetValue then appends to it, a store and no system call, and rings the socket only when
 * the board's thread is going to sleep. Handles without a ring (inputs, descriptors above
 * RING_FDS, a failed mapping, a closed line) keep sending 'S' on the socket. */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/gpio.h>

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "board_gpio_ring.h"
#include "broker_client.h"

/* The rings of this process's output handles, by descriptor. `busy` serialises the sets of
 * one handle (GPIO_SetValue may be called from several threads, as send() could). */
enum { RING_FDS = 256 };
static struct {
    _Atomic(struct board_gpio_ring *) ring;
    atomic_int busy;
} rings[RING_FDS];

static void ring_lock(int fd)
{
    while (atomic_exchange_explicit(&rings[fd].busy, 1, memory_order_acquire))
        sched_yield();
}

static void ring_unlock(int fd) { atomic_store_explicit(&rings[fd].busy, 0, memory_order_release); }

/* Forgets the ring of descriptor fd (its line closed, or the number was reused). */
static void ring_forget(int fd)
{
    struct board_gpio_ring *old = atomic_exchange(&rings[fd].ring, NULL);
    if (old)
        munmap(old, BOARD_GPIO_RING_BYTES);
}

/* The C library's close, in its place (like interpose.c's functions; libapplibs.ld's EXTERN and
 * the export test list it): the set ring of a GPIO output goes with its descriptor, so a
 * GPIO_SetValue on the closed number fails with EBADF at once; then the system call. */
APPLIBS_INTERPOSER int close(int fd)
{
    if (fd >= 0 && fd < RING_FDS && atomic_load_explicit(&rings[fd].ring, memory_order_acquire)) {
        ring_lock(fd);
        ring_forget(fd);
        ring_unlock(fd);
    }
    return (int)syscall(SYS_close, fd);
}

/* Asks the board for the line's ring ('M') and maps it; without one the handle just keeps the
 * socket path. */
static void ring_attach(int fd)
{
    if (fd >= RING_FDS)
        return;
    ring_lock(fd);
    ring_forget(fd);
    unsigned char ask[2] = {'M', 0}, yes = 0;
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {&yes, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                       .msg_controllen = sizeof control.space};
    ssize_t n = -1;
    if (send(fd, ask, sizeof ask, MSG_NOSIGNAL) == sizeof ask)
        do
            n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
    struct cmsghdr *c = n == 1 ? CMSG_FIRSTHDR(&m) : NULL;
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
        int memfd;
        memcpy(&memfd, CMSG_DATA(c), sizeof memfd);
        void *page = yes ? mmap(NULL, BOARD_GPIO_RING_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0)
                         : MAP_FAILED;
        close(memfd); /* the mapping is all we keep */
        if (page != MAP_FAILED)
            atomic_store(&rings[fd].ring, (struct board_gpio_ring *)page);
    }
    ring_unlock(fd);
}

static int open_gpio(uint32_t op, GPIO_Id id, int mode, int value)
{
    struct broker_request q = {.op = op, .a = id, .b = mode, .c = value};
    struct broker_reply r;
    int fd;
    int result = applibs_broker_call(&q, &r, &fd);
    int saved = errno;
    if (result == 0 && op == BROKER_GPIO_OPEN_OUTPUT)
        ring_attach(fd);
    errno = saved;
    return applibs_result(result, fd);
}

int GPIO_OpenAsInput(GPIO_Id gpioId)
{
    int fd = open_gpio(BROKER_GPIO_OPEN_INPUT, gpioId, 0, 0);
    if (fd >= 0 && fd < RING_FDS)
        ring_forget(fd); /* a ring left by a closed output that had this number */
    return fd;
}

int GPIO_OpenAsOutput(GPIO_Id gpioId, GPIO_OutputMode_Type outputMode, GPIO_Value_Type initialValue)
{
    if (outputMode > GPIO_OutputMode_OpenSource || initialValue > GPIO_Value_High) {
        errno = EINVAL;
        return -1;
    }
    return open_gpio(BROKER_GPIO_OPEN_OUTPUT, gpioId, outputMode, initialValue);
}

/* Sends a 2-byte request on the line's socket: 0 or -1 with errno (EBADF for a non-socket). */
static int request(int gpioFd, unsigned char op, unsigned char value)
{
    unsigned char msg[2] = {op, value};
    ssize_t n = send(gpioFd, msg, sizeof msg, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK)
        errno = EBADF;
    return n == sizeof msg ? 0 : -1;
}

/* Appends a set to the ring (the lock held): 0, or -1 with errno from the socket. */
static int ring_set(int gpioFd, struct board_gpio_ring *r, GPIO_Value_Type value)
{
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (tail - atomic_load_explicit(&r->head, memory_order_acquire) >= BOARD_GPIO_RING_SLOTS) {
        GPIO_Value_Type level; /* full: the board empties the ring before it answers */
        if (GPIO_GetValue(gpioFd, &level) != 0)
            return -1;
    }
    r->values[tail % BOARD_GPIO_RING_SLOTS] = (uint8_t)value;
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&r->board_waiting, memory_order_relaxed) &&
        atomic_exchange_explicit(&r->board_waiting, 0, memory_order_relaxed))
        return request(gpioFd, 'W', 0); /* the doorbell */
    return 0;
}

int GPIO_SetValue(int gpioFd, GPIO_Value_Type value)
{
    if (value > GPIO_Value_High) {
        errno = EINVAL;
        return -1;
    }
    if (gpioFd >= 0 && gpioFd < RING_FDS && atomic_load_explicit(&rings[gpioFd].ring, memory_order_acquire)) {
        ring_lock(gpioFd);
        struct board_gpio_ring *r = atomic_load(&rings[gpioFd].ring);
        if (r && atomic_load_explicit(&r->closed, memory_order_acquire))
            ring_forget(gpioFd), r = NULL; /* the line is gone: the socket says how */
        int rc = r ? ring_set(gpioFd, r, value) : 0;
        ring_unlock(gpioFd);
        if (r)
            return rc;
    }
    return request(gpioFd, 'S', (unsigned char)value);
}

int GPIO_GetValue(int gpioFd, GPIO_Value_Type *outValue)
{
    if (!outValue) {
        errno = EFAULT;
        return -1;
    }
    if (request(gpioFd, 'G', 0) != 0)
        return -1;
    unsigned char level;
    ssize_t n;
    do
        n = recv(gpioFd, &level, 1, 0);
    while (n < 0 && errno == EINTR);
    if (n != 1) {
        if (n == 0)
            errno = EIO;
        return -1;
    }
    *outValue = level ? GPIO_Value_High : GPIO_Value_Low;
    return 0;
}
