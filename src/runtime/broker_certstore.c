/* SPDX-License-Identifier: MIT */
/* broker_certstore.c — the broker's certificate-store handlers (ops 160-167, src/core/broker.h;
 * docs/certstore.md) and the request receiver that takes one descriptor an app attaches to a
 * request. Every op needs the CertStore capability (EACCES); the rules and errors are
 * certstore.h's. The device's store is DIR/certstore.json of its state folder, shared with the
 * REST API through certstore_shared(). */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker_ops.h"
#include "certstore_store.h"

ssize_t broker_receive_request(int sock, struct broker_request *q, int *fd)
{
    *fd = -1;
    struct iovec iov = {.iov_base = q, .iov_len = sizeof *q};
    char control[CMSG_SPACE(4 * sizeof(int))];
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
            if (*fd < 0)
                *fd = got;
            else
                close(got); /* one descriptor per request; more are dropped */
        }
    }
    return n;
}

static void log_line(const struct broker_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_line(const struct broker_context *ctx, const char *fmt, ...)
{
    char text[640];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n > 0)
        applog_add(ctx->log, ctx->component_id, "certstore", text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

static int store(const struct broker_context *ctx, struct certstore **cs)
{
    const struct json_value *cap = broker_capability(ctx->manifest, "CertStore");
    if (!cap || cap->type != JSON_BOOL || !cap->u.boolean)
        return -EACCES;
    char why[512];
    int err = certstore_shared(device_state_dir(ctx->device), cs, why, sizeof why);
    if (err) {
        log_line(ctx, "certificate store unavailable: %s", why);
        return -EAGAIN; /* "the OS certstore component isn't ready" */
    }
    return 0;
}

/* The identifier in the request's text: at most CERTSTORE_ID_MAX + 1 characters are kept, so a
 * longer one still reads as too long. */
static void request_id(const char *text, char out[CERTSTORE_ID_MAX + 2])
{
    size_t n = strnlen(text, CERTSTORE_ID_MAX + 1);
    memcpy(out, text, n);
    out[n] = '\0';
}

/* Reads exactly `len` bytes from the app's pipe without ever waiting: the app filled and closed
 * it before sending the request. -EINVAL if it holds fewer. */
static int read_blob(int fd, char *buf, size_t len)
{
    if (fd < 0)
        return -EINVAL;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -EINVAL;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -EINVAL;
        got += (size_t)n;
    }
    return 0;
}

static int install_root_ca(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                           int *fd)
{
    (void)r, (void)fd;
    struct certstore *cs;
    int err = store(ctx, &cs);
    if (err)
        return err;
    char id[CERTSTORE_ID_MAX + 2];
    request_id(q->text, id);
    if (q->a <= 0 || q->a > CERTSTORE_BLOB_MAX)
        return -ERANGE;
    char *blob = malloc((size_t)q->a);
    err = blob ? read_blob(ctx->request_fd, blob, (size_t)q->a) : -ENOMEM;
    err = err ? err : certstore_install_root_ca(cs, id, blob, (size_t)q->a);
    free(blob);
    if (!err)
        log_line(ctx, "root CA certificate \"%s\" installed", id);
    return err;
}

static int install_client(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                          int *fd)
{
    (void)r, (void)fd;
    struct certstore *cs;
    int err = store(ctx, &cs);
    if (err)
        return err;
    char id[CERTSTORE_ID_MAX + 2];
    request_id(q->text, id);
    if (q->a <= 0 || q->a > CERTSTORE_BLOB_MAX || q->b <= 0 || q->b > CERTSTORE_BLOB_MAX)
        return -ERANGE;
    if (q->c < -1 || q->c > CERTSTORE_PASSWORD_MAX)
        return -ERANGE;
    size_t total = (size_t)q->a + (size_t)q->b + (q->c > 0 ? (size_t)q->c : 0);
    char *blob = malloc(total + 1);
    err = blob ? read_blob(ctx->request_fd, blob, total) : -ENOMEM;
    const char *password = NULL;
    if (!err && q->c >= 0) {
        blob[total] = '\0';
        password = blob + q->a + q->b;
        if (strlen(password) != (size_t)q->c)
            err = -EINVAL; /* a NUL inside the password */
    }
    err = err ? err : certstore_install_client(cs, id, blob, (size_t)q->a, blob + q->a, (size_t)q->b, password);
    if (blob) {
        memset(blob, 0, total);
        free(blob);
    }
    if (!err)
        log_line(ctx, "client certificate \"%s\" installed", id);
    return err;
}

static int delete_cert(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)r, (void)fd;
    struct certstore *cs;
    int err = store(ctx, &cs);
    char id[CERTSTORE_ID_MAX + 2];
    request_id(q->text, id);
    return err ? err : certstore_delete(cs, id);
}

static int count(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)q, (void)fd;
    struct certstore *cs;
    int err = store(ctx, &cs);
    if (!err)
        r->value = (int32_t)certstore_count(cs);
    return err;
}

static int id_at(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)fd;
    struct certstore *cs;
    int err = store(ctx, &cs);
    if (err)
        return err;
    char id[CERTSTORE_ID_MAX + 1];
    err = q->a < 0 ? -ERANGE : certstore_id_at(cs, (size_t)q->a, id);
    if (!err)
        snprintf(r->text, sizeof r->text, "%s", id);
    return err;
}

static int space(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)q, (void)fd;
    struct certstore *cs;
    int err = store(ctx, &cs);
    if (!err)
        r->value = (int32_t)certstore_available(cs);
    return err;
}

static int info(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)fd;
    struct certstore *cs;
    int err = store(ctx, &cs);
    if (err)
        return err;
    char id[CERTSTORE_ID_MAX + 2];
    request_id(q->text, id);
    struct certstore_info in;
    err = certstore_info(cs, id, &in);
    if (err)
        return err;
    char field[CERTSTORE_NAME_MAX + 1];
    const struct tm *t = NULL;
    switch (q->a) {
    case BROKER_CERTSTORE_FIELD_SUBJECT: snprintf(field, sizeof field, "%s", in.subject); break;
    case BROKER_CERTSTORE_FIELD_ISSUER: snprintf(field, sizeof field, "%s", in.issuer); break;
    case BROKER_CERTSTORE_FIELD_NOT_BEFORE: t = &in.not_before; break;
    case BROKER_CERTSTORE_FIELD_NOT_AFTER: t = &in.not_after; break;
    default: return -EINVAL;
    }
    if (t)
        snprintf(field, sizeof field, "%04d%02d%02d%02d%02d%02d", t->tm_year + 1900, t->tm_mon + 1, t->tm_mday,
                 t->tm_hour, t->tm_min, t->tm_sec);
    size_t len = strlen(field);
    if (q->b < 0 || (size_t)q->b > len)
        return -EINVAL;
    snprintf(r->text, sizeof r->text, "%s", field + q->b);
    r->value = (int32_t)len;
    return 0;
}

static int move(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)r, (void)fd;
    struct certstore *cs;
    int err = store(ctx, &cs);
    if (err)
        return err;
    char src[CERTSTORE_ID_MAX + 2], dst[CERTSTORE_ID_MAX + 2];
    request_id(q->text, src);
    size_t at = strnlen(q->text, sizeof q->text - 1) + 1;
    if (at >= sizeof q->text)
        return -EINVAL;
    request_id(q->text + at, dst);
    return certstore_move(cs, src, dst);
}

const struct broker_op_entry broker_certstore_ops[] = {
    {BROKER_CERTSTORE_INSTALL_ROOT_CA, install_root_ca},
    {BROKER_CERTSTORE_INSTALL_CLIENT, install_client},
    {BROKER_CERTSTORE_DELETE, delete_cert},
    {BROKER_CERTSTORE_COUNT, count},
    {BROKER_CERTSTORE_ID_AT, id_at},
    {BROKER_CERTSTORE_SPACE, space},
    {BROKER_CERTSTORE_INFO, info},
    {BROKER_CERTSTORE_MOVE, move},
    {0, NULL},
};
