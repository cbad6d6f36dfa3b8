/* SPDX-License-Identifier: MIT */
/* board.c — the board (board.h): simulated GPIO lines served from the board's own thread, and
 * the board's front door to its buses and converters (board_periph.h), its board files
 * (board_file.h parses, board_config.h applies) and the simulator's endpoints (board_sim.h). */
#include "board.h"

#include "board_gpio_ring.h"

#include "board_config.h"
#include "board_file.h"
#include "board_periph.h"
#include "board_sim.h"
#include "path.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct line {
    int level;
    enum board_direction dir;
    int board_fd; /* our end of the app's socket pair, -1 when closed */
    struct guid owner;
    uint64_t changes;
    struct timespec release_at; /* a press in progress ends then (0 = none) */
    /* outputs: the set ring shared with the app (board_gpio_ring.h), NULL = none */
    struct board_gpio_ring *ring;
    int ring_fd;        /* its sealed memfd, handed to the app on 'M' */
    uint32_t ring_head; /* our own copy: the page's is only published */
};

struct board {
    pthread_mutex_t lock;
    pthread_t thread;
    int wake_fd; /* eventfd: the set of open lines changed, or stop */
    bool stop;
    struct line lines[BOARD_GPIO_COUNT];
    struct board_periph *periph; /* UART, I2C, SPI, ADC, PWM and the event ring */
};

static bool valid(int n) { return n >= 0 && n < BOARD_GPIO_COUNT; }

static void wake(struct board *b)
{
    uint64_t one = 1;
    ssize_t r = write(b->wake_fd, &one, sizeof one);
    (void)r;
}

static void set_level(struct board *b, struct line *l, int level)
{
    level = level ? 1 : 0;
    if (l->level != level) {
        l->changes++;
        char pin[16];
        snprintf(pin, sizeof pin, "GPIO%d", (int)(l - b->lines));
        board_event(b->periph, "gpio", pin, "%d", level);
    }
    l->level = level;
}

/* Applies the values the app queued in the line's ring, in order (at most one ring's worth: the
 * page is the app's to scribble on). */
static void drain_ring(struct board *b, struct line *l)
{
    struct board_gpio_ring *r = l->ring;
    if (!r)
        return;
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    uint32_t head = l->ring_head, n = tail - head;
    if (n == 0)
        return;
    if (n > BOARD_GPIO_RING_SLOTS)
        head = tail - BOARD_GPIO_RING_SLOTS;
    for (; head != tail; head++)
        if (l->dir == BOARD_OUTPUT)
            set_level(b, l, r->values[head % BOARD_GPIO_RING_SLOTS]);
    l->ring_head = tail;
    atomic_store_explicit(&r->head, tail, memory_order_release);
}

/* Before the board's thread sleeps: asks the app to ring the socket with its next set. True when
 * a set arrived meanwhile (the thread must not sleep). */
static bool ring_arm(struct line *l)
{
    struct board_gpio_ring *r = l->ring;
    if (!r)
        return false;
    atomic_store_explicit(&r->board_waiting, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_load_explicit(&r->tail, memory_order_relaxed) != l->ring_head;
}

/* A ring for an output line: a sealed memfd of a fixed size, mapped here. No ring (and the
 * socket for every set, as before) when any step fails. */
static void ring_create(struct line *l)
{
    int fd = memfd_create("gpio-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return;
    void *page = MAP_FAILED;
    if (ftruncate(fd, BOARD_GPIO_RING_BYTES) == 0 &&
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
        page = mmap(NULL, BOARD_GPIO_RING_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (page == MAP_FAILED) {
        close(fd);
        return;
    }
    l->ring = page;
    l->ring_fd = fd;
    l->ring_head = 0;
}

static void ring_destroy(struct line *l)
{
    if (!l->ring)
        return;
    atomic_store(&l->ring->closed, 1);
    munmap(l->ring, BOARD_GPIO_RING_BYTES);
    close(l->ring_fd);
    l->ring = NULL;
    l->ring_fd = -1;
}

/* 'M': one byte, 1 with the ring's memfd attached, or 0 (no ring). */
static void send_ring(struct line *l)
{
    uint8_t yes = l->ring != NULL;
    struct iovec iov = {&yes, 1};
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (yes) {
        m.msg_control = control.space;
        m.msg_controllen = sizeof control.space;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &l->ring_fd, sizeof(int));
    }
    sendmsg(l->board_fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void close_line(struct line *l)
{
    ring_destroy(l);
    if (l->board_fd >= 0)
        close(l->board_fd);
    l->board_fd = -1;
    l->dir = BOARD_UNUSED;
    memset(&l->owner, 0, sizeof l->owner);
}

/* Requests taken per system call (recvmmsg) and at most per line and wake-up: enough to empty a
 * busy app's socket in a few calls (each poll round costs more than the requests), few enough
 * to keep the other lines responsive. */
enum { SERVE_BATCH = 64, SERVE_ROUNDS = 4 };

/* Serves the requests an app has queued, in order (up to SERVE_BATCH * SERVE_ROUNDS); closes
 * the line when the app's end is gone (a zero-length message, as recv's 0 before). */
static void serve(struct board *b, struct line *l)
{
    uint8_t msg[SERVE_BATCH][2];
    struct iovec iov[SERVE_BATCH];
    struct mmsghdr mm[SERVE_BATCH];
    for (int round = 0; round < SERVE_ROUNDS; round++) {
        for (int i = 0; i < SERVE_BATCH; i++) {
            iov[i] = (struct iovec){msg[i], sizeof msg[i]};
            mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
        }
        int got = recvmmsg(l->board_fd, mm, SERVE_BATCH, MSG_DONTWAIT, NULL);
        if (got < 0) {
            if (errno != EAGAIN && errno != EINTR)
                close_line(l);
            return;
        }
        for (int i = 0; i < got; i++) {
            if (mm[i].msg_len == 0) {
                close_line(l);
                return;
            }
            if (mm[i].msg_len != 2)
                continue;
            drain_ring(b, l); /* the sets queued before this message come first */
            if (msg[i][0] == 'S' && l->dir == BOARD_OUTPUT) {
                set_level(b, l, msg[i][1]);
            } else if (msg[i][0] == 'M') {
                send_ring(l);
            } else if (msg[i][0] == 'G') {
                uint8_t level = (uint8_t)l->level;
                send(l->board_fd, &level, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
            }
        }
        if (got < SERVE_BATCH)
            return; /* nothing more queued */
    }
}

static long ms_until(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

static void *board_thread(void *arg)
{
    struct board *b = arg;
    struct pollfd fds[BOARD_GPIO_COUNT + 1];
    int which[BOARD_GPIO_COUNT + 1];
    for (;;) {
        pthread_mutex_lock(&b->lock);
        if (b->stop) {
            pthread_mutex_unlock(&b->lock);
            return NULL;
        }
        nfds_t n = 0;
        long timeout = -1;
        fds[n++] = (struct pollfd){.fd = b->wake_fd, .events = POLLIN};
        for (int i = 0; i < BOARD_GPIO_COUNT; i++) {
            struct line *l = &b->lines[i];
            if (l->release_at.tv_sec) {
                long left = ms_until(&l->release_at);
                if (left <= 0) {
                    set_level(b, l, 1);
                    l->release_at = (struct timespec){0};
                } else if (timeout < 0 || left < timeout) {
                    timeout = left;
                }
            }
            drain_ring(b, l);
            if (ring_arm(l))
                timeout = 0; /* a set arrived after the drain: come back at once */
            if (l->board_fd >= 0) {
                which[n] = i;
                fds[n++] = (struct pollfd){.fd = l->board_fd, .events = POLLIN};
            }
        }
        pthread_mutex_unlock(&b->lock);
        if (poll(fds, n, (int)timeout) <= 0)
            continue;
        if (fds[0].revents) {
            uint64_t v;
            ssize_t r = read(b->wake_fd, &v, sizeof v);
            (void)r;
        }
        pthread_mutex_lock(&b->lock);
        for (nfds_t i = 1; i < n; i++)
            if (fds[i].revents && b->lines[which[i]].board_fd == fds[i].fd)
                serve(b, &b->lines[which[i]]);
        pthread_mutex_unlock(&b->lock);
    }
}

int board_create(struct board **out)
{
    struct board *b = calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    pthread_mutex_init(&b->lock, NULL);
    for (int i = 0; i < BOARD_GPIO_COUNT; i++)
        b->lines[i] = (struct line){.level = 1, .board_fd = -1, .ring_fd = -1};
    b->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (b->wake_fd < 0 || board_periph_create(&b->periph) != 0 ||
        pthread_create(&b->thread, NULL, board_thread, b) != 0) {
        if (b->wake_fd >= 0)
            close(b->wake_fd);
        board_periph_destroy(b->periph);
        pthread_mutex_destroy(&b->lock);
        free(b);
        return -EIO;
    }
    char why[256];
    struct board_layout layout;
    struct diag_list diags = {0};
    int err = board_file_parse(board_file_default, strlen(board_file_default), "default board", &layout, &diags);
    diag_list_free(&diags);
    if (!err)
        err = board_config_apply(b->periph, &layout, NULL, why, sizeof why); /* flash in RAM */
    if (err) {
        board_destroy(b);
        return err;
    }
    *out = b;
    return 0;
}

void board_destroy(struct board *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stop = true;
    pthread_mutex_unlock(&b->lock);
    wake(b);
    pthread_join(b->thread, NULL);
    for (int i = 0; i < BOARD_GPIO_COUNT; i++)
        close_line(&b->lines[i]);
    close(b->wake_fd);
    board_periph_destroy(b->periph);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

/* Opens line n; an output gets a set ring only when `ring` (an app's GPIO_SetValue path). */
static int open_line(struct board *b, int n, enum board_direction dir, int initial, const struct guid *owner, bool ring)
{
    if (!valid(n))
        return -ENODEV;
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
        return -errno;
    pthread_mutex_lock(&b->lock);
    struct line *l = &b->lines[n];
    int rc = pair[1];
    if (l->board_fd >= 0) {
        rc = -EBUSY;
    } else {
        l->board_fd = pair[0];
        l->dir = dir;
        l->owner = *owner;
        if (dir == BOARD_OUTPUT) {
            set_level(b, l, initial);
            if (ring)
                ring_create(l);
        }
    }
    pthread_mutex_unlock(&b->lock);
    if (rc < 0) {
        close(pair[0]);
        close(pair[1]);
    } else {
        wake(b);
    }
    return rc;
}

int board_gpio_open(struct board *b, int n, enum board_direction dir, int initial, const struct guid *owner)
{
    return open_line(b, n, dir, initial, owner, true);
}

int board_gpio_open_mirror(struct board *b, int n, int initial, const struct guid *owner)
{
    return open_line(b, n, BOARD_OUTPUT, initial, owner, false);
}

int board_gpio_get(struct board *b, int n, int *level, enum board_direction *dir)
{
    if (!valid(n))
        return -ENODEV;
    pthread_mutex_lock(&b->lock);
    drain_ring(b, &b->lines[n]);
    *level = b->lines[n].level;
    *dir = b->lines[n].dir;
    pthread_mutex_unlock(&b->lock);
    return 0;
}

int board_gpio_set_input(struct board *b, int n, int level)
{
    if (!valid(n))
        return -ENODEV;
    pthread_mutex_lock(&b->lock);
    int rc = b->lines[n].dir == BOARD_OUTPUT ? -EPERM : 0;
    if (!rc) {
        set_level(b, &b->lines[n], level);
        b->lines[n].release_at = (struct timespec){0};
    }
    pthread_mutex_unlock(&b->lock);
    return rc;
}

int board_gpio_press(struct board *b, int n, unsigned ms)
{
    if (!valid(n))
        return -ENODEV;
    pthread_mutex_lock(&b->lock);
    int rc = b->lines[n].dir == BOARD_OUTPUT ? -EPERM : 0;
    if (!rc) {
        struct line *l = &b->lines[n];
        set_level(b, l, 0);
        clock_gettime(CLOCK_MONOTONIC, &l->release_at);
        l->release_at.tv_sec += ms / 1000;
        l->release_at.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (l->release_at.tv_nsec >= 1000000000L)
            l->release_at.tv_sec++, l->release_at.tv_nsec -= 1000000000L;
    }
    pthread_mutex_unlock(&b->lock);
    if (!rc)
        wake(b);
    return rc;
}

void board_release_owner(struct board *b, const struct guid *owner)
{
    pthread_mutex_lock(&b->lock);
    for (int i = 0; i < BOARD_GPIO_COUNT; i++)
        if (b->lines[i].board_fd >= 0 && guid_equal(&b->lines[i].owner, owner))
            close_line(&b->lines[i]);
    pthread_mutex_unlock(&b->lock);
    wake(b);
    board_periph_release_owner(b->periph, owner);
}

uint64_t board_gpio_changes(struct board *b, int n)
{
    if (!valid(n))
        return 0;
    pthread_mutex_lock(&b->lock);
    drain_ring(b, &b->lines[n]);
    uint64_t c = b->lines[n].changes;
    pthread_mutex_unlock(&b->lock);
    return c;
}

/* ---- board files ------------------------------------------------------------------------------ */

/* The first problem of a refused board file (by position) as "PATH: reason (line L, column C)",
 * and how many more there are. */
static void describe(struct diag_list *diags, char *why, size_t why_size)
{
    diag_sort(diags);
    const struct diag *d = diags->count ? &diags->items[0] : NULL;
    if (!d) {
        snprintf(why, why_size, "the board file was refused");
        return;
    }
    int n = snprintf(why, why_size, "%s%s%s", d->path ? d->path : "", d->path ? ": " : "", d->message);
    if (n >= 0 && (size_t)n < why_size && d->line)
        n += snprintf(why + n, why_size - (size_t)n, " (line %u, column %u)", d->line, d->col);
    if (n >= 0 && (size_t)n < why_size && diags->count > 1)
        snprintf(why + n, why_size - (size_t)n, "; and %zu more problem%s", diags->count - 1,
                 diags->count > 2 ? "s" : "");
}

/* Parses a board file's text; on -EINVAL `why` describes it. */
static int parse(const char *text, size_t len, struct board_layout *layout, char *why, size_t why_size)
{
    struct diag_list diags = {0};
    int err = board_file_parse(text, len, "board.json", layout, &diags);
    if (err == -EINVAL)
        describe(&diags, why, why_size);
    diag_list_free(&diags);
    return err;
}

int board_check_file(const char *text, size_t len, char *why, size_t why_size)
{
    struct board_layout *layout = malloc(sizeof *layout);
    if (!layout)
        return -ENOMEM;
    int err = parse(text, len, layout, why, why_size);
    free(layout);
    return err;
}

/* Reads <state_dir>/board.json: 0 with *text (NULL when there is none) or a negative errno. */
static int read_board_file(const char *path, char **text, size_t *len)
{
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : -errno;
    long size = -1;
    int err = fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || size > 1024 * 1024 || fseek(f, 0, SEEK_SET) ? -EIO : 0;
    if (!err && !(*text = malloc((size_t)size + 1)))
        err = -ENOMEM;
    if (!err && fread(*text, 1, (size_t)size, f) != (size_t)size)
        err = -EIO;
    fclose(f);
    if (err) {
        free(*text);
        *text = NULL;
    }
    *len = err ? 0 : (size_t)size;
    return err;
}

int board_load(struct board *b, const char *state_dir, char *why, size_t why_size)
{
    char *path = path_join(state_dir, "board.json"), *text = NULL;
    struct board_layout *layout = malloc(sizeof *layout);
    size_t len = 0;
    int err = path && layout ? read_board_file(path, &text, &len) : -ENOMEM;
    if (err)
        snprintf(why, why_size, "cannot read %s", path ? path : "board.json");
    if (!err)
        err = text ? parse(text, len, layout, why, why_size)
                   : parse(board_file_default, strlen(board_file_default), layout, why, why_size);
    if (!err)
        err = board_config_apply(b->periph, layout, state_dir, why, why_size);
    free(layout);
    free(text);
    free(path);
    return err;
}

/* ---- buses, converters, the simulator: the peripherals answer ------------------------------- */

int board_uart_open(struct board *b, const char *isu, const struct board_uart_config *cfg, const struct guid *owner)
{
    return board_periph_uart_open(b->periph, isu, cfg, owner);
}

int board_i2c_open(struct board *b, const char *isu, const struct guid *owner)
{
    return board_periph_i2c_open(b->periph, isu, owner);
}

int board_spi_open(struct board *b, const char *isu, int cs, int polarity, const struct guid *owner)
{
    return board_periph_spi_open(b->periph, isu, cs, polarity, owner);
}

int board_adc_open(struct board *b, const char *controller, const struct guid *owner)
{
    return board_periph_adc_open(b->periph, controller, owner);
}

int board_pwm_open(struct board *b, const char *controller, const struct guid *owner)
{
    return board_periph_pwm_open(b->periph, controller, owner);
}

int board_sim_request(struct board *b, const char *method, const char *path, const char *since, const char *body,
                      size_t body_len, struct json_value **out, char *why, size_t why_size)
{
    return board_sim_answer(b->periph, method, path, since, body, body_len, out, why, why_size);
}
