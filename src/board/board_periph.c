/* SPDX-License-Identifier: MIT */
/* board_periph.c — the board's buses and converters: handles, their serving thread, the
 * models behind them and the event ring (see board_periph.h, board_wire.h). */
#include "board_periph.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* ---- names, events ------------------------------------------------------------------------ */

void board_event(struct board_periph *p, const char *kind, const char *source, const char *fmt, ...)
{
    if (!p)
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    pthread_mutex_lock(&p->events_lock);
    struct board_event_record *e = &p->events[p->next_seq % BOARD_EVENTS];
    e->seq = p->next_seq++;
    e->time_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    snprintf(e->kind, sizeof e->kind, "%s", kind);
    snprintf(e->source, sizeof e->source, "%s", source);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&p->events_lock);
}

void board_periph_wake(struct board_periph *p)
{
    uint64_t one = 1;
    ssize_t r = write(p->wake_fd, &one, sizeof one);
    (void)r;
}

/* ---- handles ------------------------------------------------------------------------------- */

static struct board_handle *new_handle(struct board_periph *p, enum board_handle_kind kind, int index,
                                       const struct guid *owner, int *app_fd)
{
    int pair[2];
    struct board_handle *h = NULL;
    for (int i = 0; i < BOARD_MAX_HANDLES && !h; i++)
        if (p->handles[i].fd < 0)
            h = &p->handles[i];
    if (!h || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
        *app_fd = h ? -errno : -EMFILE;
        return NULL;
    }
    fcntl(pair[0], F_SETFL, O_NONBLOCK);
    *h = (struct board_handle){.kind = kind, .fd = pair[0], .index = index, .owner = *owner, .speed = 1000000,
                               .timeout_ms = 1000, .mode = 1, .order = 2, .polarity = 1, .default_address = -1};
    *app_fd = pair[1];
    return h;
}

/* Forgets a handle; frees what it held when nothing else holds it. */
static void close_handle(struct board_periph *p, struct board_handle *h)
{
    if (h->fd < 0)
        return;
    close(h->fd);
    h->fd = -1;
    if (h->kind == BOARD_H_ADC) {
        p->adcs[h->index].open = false;
    } else if (h->kind == BOARD_H_PWM) {
        p->pwms[h->index].open = false;
    } else if (h->kind == BOARD_H_SPI) {
        struct board_isu *u = &p->isus[h->index];
        u->spi_open_mask &= ~(1 << h->cs);
        if (!u->spi_open_mask)
            u->function = BOARD_FN_NONE;
    } else if (h->kind == BOARD_H_I2C) {
        p->isus[h->index].function = BOARD_FN_NONE;
    }
    h->kind = BOARD_H_NONE;
}

static void close_uart(struct board_isu *u)
{
    if (u->app_master >= 0)
        close(u->app_master);
    u->app_master = -1;
    u->function = BOARD_FN_NONE;
}

void board_periph_release_owner(struct board_periph *p, const struct guid *owner)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < BOARD_MAX_HANDLES; i++)
        if (p->handles[i].fd >= 0 && guid_equal(&p->handles[i].owner, owner))
            close_handle(p, &p->handles[i]);
    for (int i = 0; i < BOARD_ISUS; i++)
        if (p->isus[i].function == BOARD_FN_UART && guid_equal(&p->isus[i].owner, owner))
            close_uart(&p->isus[i]);
    pthread_mutex_unlock(&p->lock);
    board_periph_wake(p);
}

void board_periph_clear(struct board_periph *p)
{
    for (int i = 0; i < BOARD_MAX_HANDLES; i++)
        close_handle(p, &p->handles[i]);
    for (int i = 0; i < BOARD_ISUS; i++) {
        struct board_isu *u = &p->isus[i];
        close_uart(u);
        if (u->host_master >= 0)
            close(u->host_master);
        if (u->host_slave >= 0)
            close(u->host_slave);
        *u = (struct board_isu){.spi = {-1, -1}, .host_master = -1, .host_slave = -1, .app_master = -1};
    }
    for (int i = 0; i < p->device_count; i++)
        w25q_close(p->devices[i].flash);
    p->device_count = 0;
    memset(p->adcs, 0, sizeof p->adcs);
    memset(p->pwms, 0, sizeof p->pwms);
}

/* ---- opening ------------------------------------------------------------------------------- */

/* Claims ISU `i` for `fn` by `owner`: -EBUSY when another app or function holds it. */
static int claim_isu(struct board_isu *u, enum board_isu_function fn, const struct guid *owner)
{
    if (u->function != BOARD_FN_NONE && (u->function != fn || !guid_equal(&u->owner, owner)))
        return -EBUSY;
    u->function = fn;
    u->owner = *owner;
    return 0;
}

static speed_t termios_speed(uint32_t baud)
{
    static const struct { uint32_t baud; speed_t speed; } table[] = {
        {1200, B1200},     {2400, B2400},     {4800, B4800},       {9600, B9600},       {19200, B19200},
        {38400, B38400},   {57600, B57600},   {115200, B115200},   {230400, B230400},   {460800, B460800},
        {921600, B921600}, {1000000, B1000000}, {1500000, B1500000}, {2000000, B2000000}, {3000000, B3000000},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].baud == baud)
            return table[i].speed;
    return B0;
}

/* Raw mode at the UART's settings, as far as a PTY keeps them (docs/board.md). */
static void set_termios(int fd, const struct board_uart_config *cfg)
{
    struct termios t;
    if (tcgetattr(fd, &t) < 0)
        return;
    cfmakeraw(&t);
    cfsetspeed(&t, termios_speed(cfg->baud));
    static const tcflag_t sizes[] = {CS5, CS6, CS7, CS8};
    t.c_cflag = (t.c_cflag & ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS)) | sizes[cfg->data_bits - 5];
    if (cfg->parity)
        t.c_cflag |= PARENB | (cfg->parity == 2 ? PARODD : 0);
    if (cfg->stop_bits == 2)
        t.c_cflag |= CSTOPB;
    if (cfg->flow_control == 1)
        t.c_cflag |= CRTSCTS;
    if (cfg->flow_control == 2)
        t.c_iflag |= IXON | IXOFF;
    tcsetattr(fd, TCSANOW, &t);
}

/* Opens a new PTY: our master (non-blocking) and the slave's descriptor and path. */
static int open_pty(int *master, int *slave, char *path, size_t path_size)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (*master < 0)
        return -errno;
    char name[64];
    if (grantpt(*master) || unlockpt(*master) || ptsname_r(*master, name, sizeof name) ||
        (*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        int err = -errno;
        close(*master);
        return err ? err : -EIO;
    }
    if (path)
        snprintf(path, path_size, "%s", name);
    return 0;
}

int board_periph_uart_open(struct board_periph *p, const char *isu, const struct board_uart_config *cfg,
                           const struct guid *owner)
{
    int i = board_isu_index(isu);
    if (i < 0)
        return -ENODEV;
    if (termios_speed(cfg->baud) == B0 || cfg->data_bits < 5 || cfg->data_bits > 8 || cfg->parity > 2 ||
        cfg->stop_bits < 1 || cfg->stop_bits > 2 || cfg->flow_control > 2)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    struct board_isu *u = &p->isus[i];
    int rc = u->function != BOARD_FN_NONE ? -EBUSY : 0, master = -1, slave = -1;
    if (!rc)
        rc = open_pty(&master, &slave, NULL, 0);
    if (!rc) {
        claim_isu(u, BOARD_FN_UART, owner);
        set_termios(slave, cfg);
        if (u->host_slave >= 0)
            set_termios(u->host_slave, cfg);
        u->app_master = master;
        u->uart = *cfg;
        rc = slave;
        board_event(p, "uart", isu, "open %u baud %u%c%u", cfg->baud, cfg->data_bits, "NEO"[cfg->parity],
                    cfg->stop_bits);
    }
    pthread_mutex_unlock(&p->lock);
    board_periph_wake(p);
    return rc;
}

int board_periph_i2c_open(struct board_periph *p, const char *isu, const struct guid *owner)
{
    int i = board_isu_index(isu), fd = -ENODEV;
    if (i < 0)
        return fd;
    pthread_mutex_lock(&p->lock);
    struct board_isu *u = &p->isus[i];
    if (u->function != BOARD_FN_NONE)
        fd = -EBUSY;
    else if (new_handle(p, BOARD_H_I2C, i, owner, &fd))
        claim_isu(u, BOARD_FN_I2C, owner);
    pthread_mutex_unlock(&p->lock);
    board_periph_wake(p);
    return fd;
}

int board_periph_spi_open(struct board_periph *p, const char *isu, int cs, int polarity, const struct guid *owner)
{
    int i = board_isu_index(isu), fd = -ENODEV;
    if (i < 0)
        return fd;
    if ((cs != -1 && cs != -2) || (polarity != 1 && polarity != 2))
        return -EINVAL;
    int bit = 1 << (-cs - 1);
    pthread_mutex_lock(&p->lock);
    struct board_isu *u = &p->isus[i];
    if (claim_isu(u, BOARD_FN_SPI, owner) || (u->spi_open_mask & bit)) {
        fd = -EBUSY;
    } else {
        struct board_handle *h = new_handle(p, BOARD_H_SPI, i, owner, &fd);
        if (h) {
            h->cs = -cs - 1;
            h->polarity = (uint32_t)polarity;
            u->spi_open_mask |= bit;
        } else if (!u->spi_open_mask) {
            u->function = BOARD_FN_NONE;
        }
    }
    pthread_mutex_unlock(&p->lock);
    board_periph_wake(p);
    return fd;
}

static int open_controller(struct board_periph *p, bool adc, const char *name, const struct guid *owner)
{
    int i = adc ? board_controller_index("ADC-CONTROLLER-", name, BOARD_ADCS)
                : board_controller_index("PWM-CONTROLLER-", name, BOARD_PWMS);
    int fd = -ENODEV;
    pthread_mutex_lock(&p->lock);
    bool present = i >= 0 && (adc ? p->adcs[i].present : p->pwms[i].present);
    bool *open = i < 0 ? NULL : adc ? &p->adcs[i].open : &p->pwms[i].open;
    struct guid *held_by = i < 0 ? NULL : adc ? &p->adcs[i].owner : &p->pwms[i].owner;
    if (present && *open) {
        fd = -EBUSY;
    } else if (present && new_handle(p, adc ? BOARD_H_ADC : BOARD_H_PWM, i, owner, &fd)) {
        *open = true;
        *held_by = *owner;
    }
    pthread_mutex_unlock(&p->lock);
    board_periph_wake(p);
    return fd;
}

int board_periph_adc_open(struct board_periph *p, const char *controller, const struct guid *owner)
{
    return open_controller(p, true, controller, owner);
}

int board_periph_pwm_open(struct board_periph *p, const char *controller, const struct guid *owner)
{
    return open_controller(p, false, controller, owner);
}

/* ---- serving handles ------------------------------------------------------------------------ */

static void send_reply(int fd, struct board_wire_reply *r, const uint8_t *data)
{
    struct iovec iov[2] = {{r, sizeof *r}, {(void *)data, data ? r->len : 0}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = data && r->len ? 2 : 1};
    sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static struct board_device *i2c_target(struct board_periph *p, int isu, int address)
{
    const struct board_isu *u = &p->isus[isu];
    for (int i = 0; i < u->i2c_count; i++)
        if (u->i2c[i].address == address)
            return &p->devices[u->i2c[i].device];
    return NULL;
}

/* One I2C transaction (write, then read with a repeated start): 0 or -ENXIO/-ETIMEDOUT. */
static int i2c_transfer(struct board_periph *p, struct board_handle *h, int address, const uint8_t *tx,
                        size_t tx_len, uint8_t *rx, size_t rx_len)
{
    char source[16];
    snprintf(source, sizeof source, "ISU%d", h->index);
    struct board_device *d = i2c_target(p, h->index, address);
    int rc = !d || d->state == BOARD_DEVICE_UNPLUGGED ? -ENXIO : d->state == BOARD_DEVICE_STUCK ? -ETIMEDOUT : 0;
    if (!rc && d->model != BOARD_MODEL_LSM6DS3)
        rc = -ENXIO;
    if (!rc) {
        if (tx_len || !rx_len)
            lsm6ds3_i2c_write(&d->accel, tx, tx_len);
        lsm6ds3_i2c_read(&d->accel, rx, rx_len);
    }
    board_event(p, "i2c", source, "addr 0x%02X write %zu read %zu %s", address, tx_len, rx_len,
                rc == -ENXIO ? "NACK" : rc ? "timeout" : "ok");
    return rc;
}

/* An armed power cut (PUT /sim/power-cut) fired inside a flash operation, which the model has
 * left torn in its image file: the whole device loses power at once — sphered, its apps and
 * its real-time cores, the whole process group — with no chance to flush or clean up. */
static void board_power_fail(struct board_periph *p, struct board_device *d)
{
    (void)p;
    fprintf(stderr, "sphered: power cut in the middle of flash operation %llu of %s\n",
            (unsigned long long)w25q_counters(d->flash)->ops, d->name);
    kill(0, SIGKILL);
    _exit(137); /* not reached */
}

/* One SPI frame to the device at the handle's chip select. Nothing drives MISO when no device
 * answers: reads are 0xFF, as on a bus with a pull-up. */
static void spi_frame(struct board_periph *p, struct board_handle *h, const uint8_t *tx, size_t tx_len, uint8_t *rx,
                      size_t rx_len)
{
    int di = p->isus[h->index].spi[h->cs];
    struct board_device *d = di >= 0 ? &p->devices[di] : NULL;
    memset(rx, 0xFF, rx_len);
    char source[16];
    snprintf(source, sizeof source, "ISU%d", h->index);
    board_event(p, "spi", source, "CS %c write %zu read %zu%s", 'A' + h->cs, tx_len, rx_len,
                d && d->state == BOARD_DEVICE_OK ? "" : " (no device)");
    if (!d || d->state != BOARD_DEVICE_OK)
        return;
    if (d->model == BOARD_MODEL_LSM6DS3) {
        lsm6ds3_spi_frame(&d->accel, tx, tx_len, rx, rx_len);
        return;
    }
    /* The flash ignores what it refuses (busy, power-down, no WEL) and leaves MISO floating. */
    if (tx_len && w25q_transfer(d->flash, tx, tx_len, rx, rx_len) != 0)
        memset(rx, 0xFF, rx_len);
    if (w25q_is_off(d->flash))
        board_power_fail(p, d);
    /* Its program/erase completes by the next status poll: a driver sees BUSY once. */
    if (tx_len && tx[0] == W25Q_READ_STATUS1 && rx_len && (rx[0] & W25Q_SR1_BUSY))
        w25q_wait_ready(d->flash);
}

static int spi_request(struct board_periph *p, struct board_handle *h, const struct board_wire_request *q,
                       const uint8_t *data, size_t len, uint8_t *rx, uint32_t *rx_len)
{
    size_t heads = (size_t)q->arg * sizeof(struct board_wire_segment);
    if (!q->arg || q->arg > 256 || heads > len)
        return -EINVAL;
    const uint8_t *tx = data + heads;
    size_t tx_len = 0, total_rx = 0;
    for (uint32_t i = 0; i < q->arg; i++) {
        struct board_wire_segment s;
        memcpy(&s, data + i * sizeof s, sizeof s);
        if (s.flags == 2)
            tx_len += s.length;
        else if (s.flags == 1)
            total_rx += s.length;
        else
            return -EINVAL;
    }
    if (tx_len != len - heads || tx_len > BOARD_WIRE_MAX_DATA || total_rx > BOARD_WIRE_MAX_DATA)
        return -EINVAL;
    spi_frame(p, h, tx, tx_len, rx, total_rx);
    *rx_len = (uint32_t)total_rx;
    return 0;
}

static int adc_request(struct board_periph *p, struct board_handle *h, const struct board_wire_request *q,
                       uint32_t *value)
{
    struct board_adc *a = &p->adcs[h->index];
    if (q->addr >= (uint32_t)a->channels)
        return -EINVAL;
    if (q->op == BOARD_WIRE_ADC_BITS) {
        *value = (uint32_t)a->bits;
    } else if (q->op == BOARD_WIRE_ADC_REFERENCE) {
        if (q->arg < 1800000 || q->arg > 2500000)
            return -EINVAL;
        a->reference = q->arg / 1e6;
    } else {
        double v = a->volts[q->addr], full = (double)((1u << a->bits) - 1);
        v = v < 0 ? 0 : v > a->reference ? a->reference : v;
        *value = (uint32_t)(v / a->reference * full + 0.5);
        char source[24];
        snprintf(source, sizeof source, "ADC%d.%u", h->index, q->addr);
        board_event(p, "adc", source, "%.4f V -> %u", a->volts[q->addr], *value);
    }
    return 0;
}

static int pwm_request(struct board_periph *p, struct board_handle *h, const struct board_wire_request *q,
                       const uint8_t *data, size_t len)
{
    struct board_pwm *c = &p->pwms[h->index];
    struct board_wire_pwm s;
    if (len != sizeof s)
        return -EINVAL;
    memcpy(&s, data, sizeof s);
    if (q->addr >= (uint32_t)c->channels)
        return -ENODEV;
    if (s.duty_ns > s.period_ns || s.polarity > 1 || (s.enabled && !s.period_ns))
        return -EINVAL;
    s.enabled = s.enabled ? 1 : 0;
    if (memcmp(&s, &c->state[q->addr], sizeof s)) {
        c->state[q->addr] = s;
        char source[24];
        snprintf(source, sizeof source, "PWM%d.%u", h->index, q->addr);
        board_event(p, "pwm", source, "period %u ns duty %u ns %s %s", s.period_ns, s.duty_ns,
                    s.polarity ? "inversed" : "normal", s.enabled ? "enabled" : "disabled");
    }
    return 0;
}

static int i2c_request(struct board_periph *p, struct board_handle *h, const struct board_wire_request *q,
                       const uint8_t *data, size_t len, uint8_t *rx, uint32_t *rx_len)
{
    switch (q->op) {
    case BOARD_WIRE_I2C_TRANSFER:
        if (q->addr > 0x7F || len > BOARD_WIRE_MAX_DATA || q->read_len > BOARD_WIRE_MAX_DATA)
            return -EINVAL;
        *rx_len = q->read_len;
        return i2c_transfer(p, h, (int)q->addr, data, len, rx, q->read_len);
    case BOARD_WIRE_I2C_SPEED:
        if (q->arg != 100000 && q->arg != 400000 && q->arg != 1000000)
            return -EINVAL;
        h->speed = q->arg;
        return 0;
    case BOARD_WIRE_I2C_TIMEOUT:
        if (!q->arg)
            return -EINVAL;
        h->timeout_ms = q->arg;
        return 0;
    case BOARD_WIRE_I2C_DEFAULT:
        if (q->addr > 0x7F)
            return -EINVAL;
        h->default_address = (int)q->addr;
        return 0;
    }
    return -EBADF; /* an operation of another kind of handle */
}

/* A plain write() on an I2C or SPI handle. After an I2C write, queues a read-ahead. */
static void plain_write(struct board_periph *p, struct board_handle *h, const uint8_t *data, size_t len)
{
    uint8_t none[1];
    if (h->kind == BOARD_H_SPI) {
        spi_frame(p, h, data, len, none, 0);
        return;
    }
    if (h->kind != BOARD_H_I2C || h->default_address < 0)
        return;
    if (i2c_transfer(p, h, h->default_address, data, len, none, 0))
        return;
    uint8_t ahead[BOARD_WIRE_READ_AHEAD];
    struct board_device *d = i2c_target(p, h->index, h->default_address);
    lsm6ds3_i2c_peek(&d->accel, ahead, sizeof ahead);
    send(h->fd, ahead, sizeof ahead, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void serve_handle(struct board_periph *p, struct board_handle *h)
{
    uint8_t *in = p->in, *out = p->out;
    ssize_t n = recv(h->fd, in, sizeof p->in, MSG_DONTWAIT | MSG_TRUNC);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close_handle(p, h);
        return;
    }
    if (n < 0)
        return;
    struct board_wire_request q;
    if ((size_t)n < sizeof q || (memcpy(&q, in, sizeof q), q.magic != BOARD_WIRE_MAGIC)) {
        if ((size_t)n <= sizeof p->in)
            plain_write(p, h, in, (size_t)n);
        return;
    }
    struct board_wire_reply r = {.magic = BOARD_WIRE_MAGIC, .seq = q.seq};
    size_t len = (size_t)n - sizeof q;
    const uint8_t *data = in + sizeof q;
    if ((size_t)n > sizeof p->in || len != q.write_len)
        r.result = -EINVAL;
    else if (h->kind == BOARD_H_I2C)
        r.result = i2c_request(p, h, &q, data, len, out, &r.len);
    else if (h->kind == BOARD_H_SPI && q.op == BOARD_WIRE_SPI_FRAME)
        r.result = spi_request(p, h, &q, data, len, out, &r.len);
    else if (h->kind == BOARD_H_SPI && q.op == BOARD_WIRE_SPI_SPEED)
        r.result = q.arg ? (h->speed = q.arg, 0) : -EINVAL;
    else if (h->kind == BOARD_H_SPI && q.op == BOARD_WIRE_SPI_MODE)
        r.result = q.arg >= 1 && q.arg <= 4 ? (h->mode = q.arg, 0) : -EINVAL;
    else if (h->kind == BOARD_H_SPI && q.op == BOARD_WIRE_SPI_ORDER)
        r.result = q.arg == 1 || q.arg == 2 ? (h->order = q.arg, 0) : -EINVAL;
    else if (h->kind == BOARD_H_ADC && q.op >= BOARD_WIRE_ADC_BITS && q.op <= BOARD_WIRE_ADC_POLL)
        r.result = adc_request(p, h, &q, &r.value);
    else if (h->kind == BOARD_H_PWM && q.op == BOARD_WIRE_PWM_APPLY)
        r.result = pwm_request(p, h, &q, data, len);
    else
        r.result = -EBADF; /* an operation of another kind of handle */
    if (r.result)
        r.len = 0;
    if (r.result == -ETIMEDOUT) { /* the app waits its timeout out, as on a held bus */
        clock_gettime(CLOCK_MONOTONIC, &h->reply_at);
        h->reply_at.tv_sec += h->timeout_ms / 1000;
        h->reply_at.tv_nsec += (long)(h->timeout_ms % 1000) * 1000000L;
        if (h->reply_at.tv_nsec >= 1000000000L)
            h->reply_at.tv_sec++, h->reply_at.tv_nsec -= 1000000000L;
        h->held = r;
        return;
    }
    send_reply(h->fd, &r, out);
}

/* Moves bytes from one PTY master to another (or back, in loopback), counting them. */
static void pump(struct board_periph *p, int i, int from, int to, uint64_t *count, const char *direction)
{
    uint8_t buf[4096];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            if (from == p->isus[i].app_master) /* the app closed its UART */
                close_uart(&p->isus[i]);
        }
        return;
    }
    if (to >= 0) {
        ssize_t w = write(to, buf, (size_t)n);
        (void)w;
    }
    *count += (uint64_t)n;
    char source[16];
    snprintf(source, sizeof source, "ISU%d", i);
    board_event(p, "uart", source, "%s %zd bytes (total %llu)", direction, n, (unsigned long long)*count);
}

static long ms_until(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

enum { FD_WAKE, FD_HANDLE, FD_APP_UART, FD_HOST_UART };

static void *periph_thread(void *arg)
{
    struct board_periph *p = arg;
    struct pollfd fds[1 + BOARD_MAX_HANDLES + 2 * BOARD_ISUS];
    int kind[1 + BOARD_MAX_HANDLES + 2 * BOARD_ISUS], which[1 + BOARD_MAX_HANDLES + 2 * BOARD_ISUS];
    for (;;) {
        pthread_mutex_lock(&p->lock);
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        nfds_t n = 0;
        long timeout = -1;
        kind[n] = FD_WAKE, fds[n++] = (struct pollfd){.fd = p->wake_fd, .events = POLLIN};
        for (int i = 0; i < BOARD_MAX_HANDLES; i++) {
            struct board_handle *h = &p->handles[i];
            if (h->fd < 0)
                continue;
            if (h->reply_at.tv_sec) {
                long left = ms_until(&h->reply_at);
                if (left <= 0) {
                    send_reply(h->fd, &h->held, NULL);
                    h->reply_at = (struct timespec){0};
                } else {
                    timeout = timeout < 0 || left < timeout ? left : timeout;
                    continue;
                }
            }
            kind[n] = FD_HANDLE, which[n] = i, fds[n++] = (struct pollfd){.fd = h->fd, .events = POLLIN};
        }
        for (int i = 0; i < BOARD_ISUS; i++) {
            if (p->isus[i].app_master >= 0)
                kind[n] = FD_APP_UART, which[n] = i,
                fds[n++] = (struct pollfd){.fd = p->isus[i].app_master, .events = POLLIN};
            if (p->isus[i].host_master >= 0)
                kind[n] = FD_HOST_UART, which[n] = i,
                fds[n++] = (struct pollfd){.fd = p->isus[i].host_master, .events = POLLIN};
        }
        pthread_mutex_unlock(&p->lock);
        if (poll(fds, n, (int)timeout) <= 0)
            continue;
        pthread_mutex_lock(&p->lock);
        for (nfds_t k = 0; k < n; k++) {
            if (!fds[k].revents)
                continue;
            if (kind[k] == FD_WAKE) {
                uint64_t v;
                ssize_t r = read(p->wake_fd, &v, sizeof v);
                (void)r;
            } else if (kind[k] == FD_HANDLE && p->handles[which[k]].fd == fds[k].fd) {
                serve_handle(p, &p->handles[which[k]]);
            } else if (kind[k] == FD_APP_UART && p->isus[which[k]].app_master == fds[k].fd) {
                struct board_isu *u = &p->isus[which[k]];
                pump(p, which[k], u->app_master, u->loopback ? u->app_master : u->host_master, &u->tx_bytes, "tx");
            } else if (kind[k] == FD_HOST_UART && p->isus[which[k]].host_master == fds[k].fd) {
                struct board_isu *u = &p->isus[which[k]];
                pump(p, which[k], u->host_master, u->loopback ? -1 : u->app_master, &u->rx_bytes, "rx");
            }
        }
        pthread_mutex_unlock(&p->lock);
    }
}

/* ---- life ------------------------------------------------------------------------------------ */

int board_periph_create(struct board_periph **out)
{
    struct board_periph *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->events_lock, NULL);
    p->next_seq = 1;
    for (int i = 0; i < BOARD_MAX_HANDLES; i++)
        p->handles[i].fd = -1;
    for (int i = 0; i < BOARD_ISUS; i++)
        p->isus[i] = (struct board_isu){.spi = {-1, -1}, .host_master = -1, .host_slave = -1, .app_master = -1};
    p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->wake_fd < 0 || pthread_create(&p->thread, NULL, periph_thread, p) != 0) {
        if (p->wake_fd >= 0)
            close(p->wake_fd);
        pthread_mutex_destroy(&p->lock);
        pthread_mutex_destroy(&p->events_lock);
        free(p);
        return -EIO;
    }
    *out = p;
    return 0;
}

void board_periph_destroy(struct board_periph *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_mutex_unlock(&p->lock);
    board_periph_wake(p);
    pthread_join(p->thread, NULL);
    board_periph_clear(p);
    close(p->wake_fd);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->events_lock);
    free(p);
}

int board_periph_open_host_pty(struct board_isu *u)
{
    int err = open_pty(&u->host_master, &u->host_slave, u->host_path, sizeof u->host_path);
    if (err)
        u->host_master = u->host_slave = -1;
    else
        set_termios(u->host_slave, &(struct board_uart_config){115200, 8, 0, 1, 0});
    return err;
}
