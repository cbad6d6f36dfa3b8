/* SPDX-License-Identifier: MIT */
/* cloudhttp.c — the cloud service over HTTPS (libmicrohttpd; see cloud.h). Besides the JSON API
 * it streams OTA deployment uploads to disk (cloud_ota.h) and serves OTA blobs by signed URL:
 * /blobs/... with Range, If-Range, If-None-Match and HEAD, and /v1/blob-auth for nginx. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cloud_int.h"
#include "cloudhttp.h"
#include "cloudhttp_cert.h"
#include "clouddb.h"
#include "cloud_ota.h"
#include "strbuf.h"

struct cloud_http {
    struct cloud *service;
    struct MHD_Daemon *daemon;
    atomic_int answering_later; /* connections whose handler said rs.later, until they end */
};

/* A request answered later (cloudreq.h): the handler's answer, or how to drop its wait. The
 * lock orders the answer (any thread) against the suspend and the connection's end. */
struct cloud_later {
    pthread_mutex_t lock;
    struct MHD_Connection *c;
    bool suspended, answered, ended;
    struct cloud_response rs;
    void (*cancel)(void *cls, uint64_t op);
    void *cancel_cls;
    uint64_t op;
};

struct upload {
    struct strbuf body;
    size_t limit;
    bool too_large;
    bool is_ota;                   /* POST /v1/ota/deployments: the body goes to a file */
    bool answered;                 /* refused on its headers: the body is not wanted */
    struct cloud_ota_upload *file; /* NULL when the caller is not a user (the body is dropped) */
    struct cloud_later later;      /* rq.later: an answer that may come after on_request returns */
    bool later_used;               /* the handler said rs.later */
};

void cloud_later_cancel_with(struct cloud_later *l, void (*cancel)(void *cls, uint64_t op), void *cls, uint64_t op)
{
    pthread_mutex_lock(&l->lock);
    l->cancel = cancel, l->cancel_cls = cls, l->op = op;
    pthread_mutex_unlock(&l->lock);
}

void cloud_later_answer(struct cloud_later *l, struct cloud_response *rs)
{
    pthread_mutex_lock(&l->lock);
    if (l->answered || l->ended) {
        cloud_response_free(rs);
    } else {
        l->rs = *rs;
        l->answered = true;
        if (l->suspended)
            MHD_resume_connection(l->c); /* MHD calls on_request again: it sends l->rs */
    }
    memset(rs, 0, sizeof *rs);
    pthread_mutex_unlock(&l->lock);
}

/* After the handler said rs.later: parks the connection, unless the answer came already.
 * Returns true when it is parked. */
static bool park(struct upload *up, struct MHD_Connection *c)
{
    pthread_mutex_lock(&up->later.lock);
    bool park = !up->later.answered;
    if (park) {
        MHD_suspend_connection(c);
        up->later.suspended = true;
    }
    pthread_mutex_unlock(&up->later.lock);
    return park;
}

/* The answer cloud_later_answer stored (the connection sends it). */
static struct cloud_response take_later_answer(struct upload *up)
{
    pthread_mutex_lock(&up->later.lock);
    struct cloud_response rs = up->later.rs;
    memset(&up->later.rs, 0, sizeof up->later.rs);
    pthread_mutex_unlock(&up->later.lock);
    return rs;
}

/* The connection ends: a wait still running is dropped (its cancel returns only when no answer
 * can come any more), so the upload can be freed. */
static void end_later(struct upload *up)
{
    pthread_mutex_lock(&up->later.lock);
    up->later.ended = true;
    bool cancel = up->later_used && !up->later.answered && up->later.cancel;
    pthread_mutex_unlock(&up->later.lock);
    if (cancel)
        up->later.cancel(up->later.cancel_cls, up->later.op);
    cloud_response_free(&up->later.rs);
    pthread_mutex_destroy(&up->later.lock);
}

static bool truthy(const char *v) { return v && (!strcmp(v, "true") || !strcmp(v, "1")); }

static enum MHD_Result send_response(struct MHD_Connection *c, struct cloud_response *rs)
{
    struct MHD_Response *resp;
    const char *type = "application/json";
    if (rs->octets) {
        resp = MHD_create_response_from_buffer(rs->octets_len, rs->octets, MHD_RESPMEM_MUST_FREE);
        rs->octets = NULL;
        type = rs->content_type ? rs->content_type : "application/octet-stream";
    } else {
        struct strbuf sb = {0};
        if (rs->json ? json_write(rs->json, JSON_COMPACT, &sb) : strbuf_puts(&sb, "{}"))
            return MHD_NO;
        resp = MHD_create_response_from_buffer(sb.len, sb.data, MHD_RESPMEM_MUST_COPY);
        strbuf_free(&sb);
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, rs->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static const char *query_arg(const struct cloud_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->arg_cls, MHD_GET_ARGUMENT_KIND, name);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code, const char *message)
{
    struct cloud_response rs = {0};
    cloud_fail(&rs, status, code, "%s", message);
    enum MHD_Result ret = send_response(c, &rs);
    cloud_response_free(&rs);
    return ret;
}

static enum MHD_Result url_refused(struct MHD_Connection *c, int err)
{
    return err == -EKEYEXPIRED ? send_error(c, 403, "url-expired", "this download URL has expired")
                               : send_error(c, 403, "url-bad-signature", "this download URL is not signed by this service");
}

/* The headers every blob answer carries: Accept-Ranges, the strong ETag, caching. */
static void blob_headers(struct MHD_Response *resp, const char *etag)
{
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Cache-Control", "private, max-age=31536000, immutable");
}

/* A 304 or 416: no body. */
static enum MHD_Result send_empty(struct MHD_Connection *c, unsigned status, const char *etag, const char *content_range)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    blob_headers(resp, etag);
    if (content_range)
        MHD_add_response_header(resp, "Content-Range", content_range);
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* GET|HEAD /blobs/<container>/<version>/<name>?se=&sig= — streamed from the file (fd). */
static enum MHD_Result serve_blob(struct cloud_http *h, struct MHD_Connection *c, const char *url, const char *method)
{
    struct cloud_ota *ota = cloud_ota(h->service);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_error(c, 405, "method-not-allowed", "blobs are read with GET or HEAD");
    const char *se = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "se");
    const char *sig = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sig");
    int err = cloud_ota_url_check(ota, url, se, sig, (int64_t)time(NULL));
    if (err)
        return url_refused(c, err);
    int fd = -1;
    uint64_t size = 0;
    char sha[65], etag[68], content_range[96];
    err = cloud_ota_blob_open(ota, url, &fd, &size, sha);
    if (err)
        return send_error(c, err == -ENOENT ? 404 : 500, err == -ENOENT ? "unknown-blob" : "storage",
                          err == -ENOENT ? "there is no such blob" : "the blob cannot be read");
    snprintf(etag, sizeof etag, "\"%s\"", sha);
    struct cloud_ota_range plan;
    cloud_ota_plan_range(size, etag, header(c, "Range"), header(c, "If-Range"), header(c, "If-None-Match"), &plan);
    if (plan.status == 304 || plan.status == 416) {
        close(fd);
        snprintf(content_range, sizeof content_range, "bytes */%" PRIu64, size);
        return send_empty(c, plan.status, etag, plan.status == 416 ? content_range : NULL);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(plan.length, fd, plan.offset);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    blob_headers(resp, etag);
    MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
    if (plan.status == 206) {
        snprintf(content_range, sizeof content_range, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, plan.offset,
                 plan.offset + plan.length - 1, size);
        MHD_add_response_header(resp, "Content-Range", content_range);
    }
    enum MHD_Result ret = MHD_queue_response(c, plan.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* GET /v1/blob-auth — nginx's auth_request: X-Original-URI is a signed blob URL? 204 or 403
 * with the reason's code in X-OTA-Error. */
static enum MHD_Result blob_auth(struct cloud_http *h, struct MHD_Connection *c)
{
    int err = cloud_ota_uri_check(cloud_ota(h->service), header(c, "X-Original-URI"), (int64_t)time(NULL));
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    if (err)
        MHD_add_response_header(resp, "X-OTA-Error", err == -EKEYEXPIRED ? "url-expired" : "url-bad-signature");
    enum MHD_Result ret = MHD_queue_response(c, err ? 403 : 204, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* A new request's state; OTA uploads from a user go to a file, from anyone else nowhere. */
static struct upload *start_upload(struct cloud_http *h, struct MHD_Connection *c, const char *url, const char *method)
{
    struct upload *up = calloc(1, sizeof *up);
    if (!up)
        return NULL;
    bool post = !strcmp(method, "POST");
    up->limit = post && !strcmp(url, "/v1/images") ? CLOUD_MAX_IMAGE : CLOUD_MAX_JSON;
    up->is_ota = post && !strcmp(url, "/v1/ota/deployments");
    if (up->is_ota && cloud_is_user_token(h->service, header(c, MHD_HTTP_HEADER_AUTHORIZATION)) &&
        cloud_ota_upload_begin(cloud_ota(h->service), &up->file) != 0) {
        free(up);
        return NULL;
    }
    pthread_mutex_init(&up->later.lock, NULL);
    up->later.c = c;
    return up;
}

static void take_ota_chunk(struct upload *up, const char *data, size_t len)
{
    if (up->too_large || !up->file)
        return;
    int err = cloud_ota_upload_write(up->file, data, len);
    if (err == -EFBIG)
        up->too_large = true;
}

/* The device certificate the client presented, if any (cloudhttp_cert.h), into rq. */
static void peer_device(struct MHD_Connection *c, struct cloud_request *rq, char id[DEVICE_ID_HEX + 1])
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    int err = cloudhttp_peer_device(ci ? ci->tls_session : NULL, id);
    rq->device_cert = err ? NULL : id;
    rq->device_cert_refused = err && err != -ENOENT;
}

static struct cloud_request request_of(struct MHD_Connection *c, const char *url, const char *method, const struct upload *up)
{
    return (struct cloud_request){
        .method = method,
        .path = url,
        .authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .body = (const uint8_t *)up->body.data,
        .body_len = up->body.len,
        .force = truthy(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "force")),
        .temporary = truthy(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "temporary")),
        .arg = query_arg,
        .arg_cls = c,
        .upload = up->file,
    };
}

/* An OTA deployment from a user that waits for "100 Continue", on its headers: a refusal (bad
 * arguments, unknown product, a version that is not newer) is answered now, before the client
 * sends megabytes for nothing (MHD sends the 100 only when no answer is queued). A client that
 * sends its body at once is answered after it, as before: an answer that overtakes a body still
 * being sent can be lost to the connection's reset. Returns MHD_YES to go on reading the body. */
static enum MHD_Result refuse_early(struct cloud_http *h, struct MHD_Connection *c, const char *url, const char *method,
                                    struct upload *up)
{
    const char *expect = header(c, MHD_HTTP_HEADER_EXPECT);
    if (!expect || strcasecmp(expect, "100-continue") != 0)
        return MHD_YES;
    struct cloud_request rq = request_of(c, url, method, up);
    rq.headers_only = true;
    struct cloud_response rs = {0};
    cloud_handle(h->service, &rq, &rs);
    if (!rs.status)
        return MHD_YES;
    up->answered = true;
    enum MHD_Result ret = send_response(c, &rs);
    cloud_response_free(&rs);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    struct cloud_http *h = cls;
    struct upload *up = *req_cls;
    if (!up) {
        if (!strncmp(url, "/blobs/", 7))
            return serve_blob(h, c, url, method);
        if (!strcmp(url, "/v1/blob-auth"))
            return blob_auth(h, c);
        if (!(up = start_upload(h, c, url, method)))
            return MHD_NO;
        *req_cls = up;
        return up->file ? refuse_early(h, c, url, method, up) : MHD_YES;
    }
    if (up->later_used) { /* resumed: the answer came (cloud_later_answer) */
        struct cloud_response rs = take_later_answer(up);
        enum MHD_Result ret = send_response(c, &rs);
        cloud_response_free(&rs);
        return ret;
    }
    if (up->answered) { /* whatever body still comes is dropped */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size && up->is_ota) {
        take_ota_chunk(up, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!up->too_large && up->body.len + *upload_data_size <= up->limit) {
            if (strbuf_append(&up->body, upload_data, *upload_data_size))
                up->too_large = true;
        } else {
            up->too_large = true;
            strbuf_free(&up->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct cloud_response rs = {0};
    if (up->too_large && up->is_ota) {
        cloud_fail(&rs, 413, "file-too-large", "OTA files are limited to 64 MiB (%u bytes)", CLOUD_OTA_MAX_FILE);
    } else if (up->too_large) {
        rs.status = 413;
        struct json_value *o = json_new_object(), *e = json_new_object();
        json_object_append(e, "code", json_new_string(up->limit == CLOUD_MAX_IMAGE ? "image-too-large" : "body-too-large"));
        json_object_append(e, "message", json_new_string(up->limit == CLOUD_MAX_IMAGE
                                                             ? "images are limited to 1 MiB (1048576 bytes)"
                                                             : "the request body is larger than 64 KiB"));
        json_object_append(o, "error", e);
        rs.json = o;
    } else {
        struct cloud_request rq = request_of(c, url, method, up);
        char device_id[DEVICE_ID_HEX + 1];
        peer_device(c, &rq, device_id);
        rq.later = &up->later;
        cloud_handle(h->service, &rq, &rs);
        if (rs.later) {
            up->later_used = true;
            atomic_fetch_add(&h->answering_later, 1);
            if (park(up, c))
                return MHD_YES;
            rs = take_later_answer(up); /* answered before it could be parked */
        }
    }
    enum MHD_Result ret = send_response(c, &rs);
    cloud_response_free(&rs);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    struct cloud_http *h = cls;
    struct upload *up = *req_cls;
    if (up) {
        if (up->later_used)
            atomic_fetch_sub(&h->answering_later, 1);
        end_later(up);
        cloud_ota_upload_free(up->file);
        strbuf_free(&up->body);
        free(up);
        *req_cls = NULL;
    }
}

int cloud_http_start(struct cloud *s, const char *addr, uint16_t port, const char *key_pem, const char *cert_pem,
                     struct cloud_http **out, uint16_t *bound, char *why, size_t why_size)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        snprintf(why, why_size, "'%s' is not an IPv4 address", addr);
        return -EINVAL;
    }
    struct cloud_http *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    h->service = s;
    /* With the device CA, clients are asked for a certificate (not required: users have none). */
    const char *device_ca = cloud_device_ca(s);
    h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TLS | MHD_ALLOW_SUSPEND_RESUME,
                                 port, NULL, NULL,
                                 on_request, h, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_HTTPS_MEM_KEY, key_pem,
                                 MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_TRUST,
                                 device_ca ? device_ca : NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                 MHD_OPTION_THREAD_POOL_SIZE, (unsigned)clouddb_pool_size(cloud_db(s)), MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                                 MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(why, why_size, "cannot serve HTTPS on %s:%u (port in use, or the TLS key/certificate is invalid)", addr, port);
        free(h);
        return -EADDRINUSE;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *bound = info ? info->port : port;
    *out = h;
    return 0;
}

void cloud_http_stop(struct cloud_http *h)
{
    if (!h)
        return;
    /* Connections answered just before (iothub_fail_waiting) get up to 2 s to send their answer:
     * no new connections meanwhile. */
    MHD_socket listen = MHD_quiesce_daemon(h->daemon);
    for (int i = 0; i < 200 && atomic_load(&h->answering_later) > 0; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    MHD_stop_daemon(h->daemon);
    if (listen != MHD_INVALID_SOCKET)
        close(listen);
    free(h);
}
