/* cloudhttp.c — the cloud service over HTTPS (libmicrohttpd; see cloud.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cloud.h"
#include "clouddb.h"
#include "strbuf.h"

struct cloud_http {
    struct cloud *service;
    struct MHD_Daemon *daemon;
};

struct upload {
    struct strbuf body;
    size_t limit;
    bool too_large;
};

static bool truthy(const char *v) { return v && (!strcmp(v, "true") || !strcmp(v, "1")); }

static enum MHD_Result send_response(struct MHD_Connection *c, struct cloud_response *rs)
{
    struct MHD_Response *resp;
    const char *type = "application/json";
    if (rs->octets) {
        resp = MHD_create_response_from_buffer(rs->octets_len, rs->octets, MHD_RESPMEM_MUST_FREE);
        rs->octets = NULL;
        type = "application/octet-stream";
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    struct cloud_http *h = cls;
    struct upload *up = *req_cls;
    if (!up) {
        if (!(up = calloc(1, sizeof *up)))
            return MHD_NO;
        up->limit = !strcmp(method, "POST") && !strcmp(url, "/v1/images") ? CLOUD_MAX_IMAGE : CLOUD_MAX_JSON;
        *req_cls = up;
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
    if (up->too_large) {
        rs.status = 413;
        struct json_value *o = json_new_object(), *e = json_new_object();
        json_object_append(e, "code", json_new_string(up->limit == CLOUD_MAX_IMAGE ? "image-too-large" : "body-too-large"));
        json_object_append(e, "message", json_new_string(up->limit == CLOUD_MAX_IMAGE
                                                             ? "images are limited to 1 MiB (1048576 bytes)"
                                                             : "the request body is larger than 64 KiB"));
        json_object_append(o, "error", e);
        rs.json = o;
    } else {
        struct cloud_request rq = {
            .method = method,
            .path = url,
            .authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
            .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
            .body = (const uint8_t *)up->body.data,
            .body_len = up->body.len,
            .force = truthy(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "force")),
            .temporary = truthy(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "temporary")),
        };
        cloud_handle(h->service, &rq, &rs);
    }
    enum MHD_Result ret = send_response(c, &rs);
    cloud_response_free(&rs);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    struct upload *up = *req_cls;
    if (up) {
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
    h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TLS, port, NULL, NULL,
                                 on_request, h, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_HTTPS_MEM_KEY, key_pem,
                                 MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                 MHD_OPTION_THREAD_POOL_SIZE, (unsigned)CLOUDDB_POOL, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
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
    MHD_stop_daemon(h->daemon);
    free(h);
}
