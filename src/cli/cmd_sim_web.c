/* SPDX-License-Identifier: MIT */
/*
 * cmd_sim_web.c — `sphere sim web [-d DEV] [--listen ADDR:PORT] [--allow-remote] [--open]`: the
 * board in a browser (docs/web.md).
 *
 * A small HTTP server (libmicrohttpd, one thread per connection) for one simulated device:
 *   GET /, /<file>       the static page (web/ in the source tree, installed to
 *                        <bin>/../share/opensphere/web; OPENSPHERE_WEB_DIR overrides it)
 *   /api/dev/<path>      the device's own REST API, proxied unchanged (an allow-list of the
 *                        endpoints the page needs: /sim/..., /images, /app/status/..., /status, ...)
 *   GET /api/info        the device's name and whether an external MCU is attached
 *   GET /api/gpio?lines=8,9  each line's /sim/gpio/N answer in one array
 *   GET /api/hwdef/<file> a hardware-definition file of the SDK (the page resolves GPIO names)
 *   GET /api/mcu         `sphere sim mcu show -o json` for the device (it reads the MCU's files)
 *   GET /api/cloud       `sphere device show` and `device twin show` for the device (cloud, OTA)
 *   POST /api/uart/ISUn  the body's bytes typed into that UART's host pseudo-terminal
 *   GET /api/stream      Server-Sent Events: "board" (each /sim/events event), "log" (each
 *                        /sim/log line), "uart" (bytes the app wrote), "hello" on connect
 * The server keeps no model of the device: one poller thread follows /sim/events and /sim/log
 * every 20 ms and fans what it reads out to the streams; the page reads everything else through
 * the proxy. The only state of its own is the UART consoles' host PTYs, which it holds open as a
 * terminal program would (not a UART that an external MCU is attached to: that line is the MCU's).
 *
 * Loopback only unless --allow-remote: then every /api request must carry the access token
 * printed at start (the page keeps it from the URL), and the device must grant appDevelopment
 * (capability 11) when the server starts.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "commands.h"
#include "devclient.h"
#include "hostio.h"
#include "path.h"

#define WEB_RING 1024          /* stream messages kept for slow readers */
#define WEB_POLL_MS 20         /* how often the poller follows /sim/events and /sim/log */
#define WEB_UARTS 5            /* ISU0..ISU4 */
#define WEB_MAX_BODY (64u * 1024u)

struct web_uart {
    char pty[256];
    int fd;
};

struct web_server {
    struct devclient dev;
    char *web_dir;
    char *sdk_hwdefs;
    char token[33]; /* hex; empty when loopback only */
    bool mcu_attached[WEB_UARTS];
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char *ring[WEB_RING];
    uint64_t next_msg; /* sequence of the next message */
    bool stopping;
    struct web_uart uarts[WEB_UARTS];
    pthread_t poller;
};

static volatile sig_atomic_t web_interrupted;
static void web_on_signal(int sig) { web_interrupted = sig; }

/* ---- talking to the device ------------------------------------------------------------------- */

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
    return strbuf_append(userdata, ptr, size * n) ? 0 : size * n;
}

/* One request on `curl` (reused: keep-alive on the device's socket). Returns the HTTP status, or
 * 0 when the device cannot be reached; the body in *out. */
static long device_request(struct web_server *s, CURL *curl, const char *method, const char *path, const char *body,
                           size_t body_len, struct strbuf *out)
{
    char url[1200];
    snprintf(url, sizeof url, "http://localhost%s", path);
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    if (body)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    char *cap = NULL;
    if (s->dev.capability) {
        cap = malloc(32 + 4 * ((s->dev.capability_len + 2) / 3) + 1);
        if (cap) {
            int n = sprintf(cap, "AZSPHERE-CAPABILITIES: ");
            EVP_EncodeBlock((unsigned char *)cap + n, s->dev.capability, (int)s->dev.capability_len);
            headers = curl_slist_append(headers, cap);
        }
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, s->dev.socket);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (body || strcmp(method, "GET")) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
    }
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    free(cap);
    return status;
}

/* ---- the stream: a ring of Server-Sent-Events messages every open stream reads --------------- */

/* Appends "event: KIND / data: DATA" to the ring and wakes the streams. */
static void broadcast(struct web_server *s, const char *kind, const char *data)
{
    char *msg = NULL;
    if (asprintf(&msg, "event: %s\ndata: %s\n\n", kind, data) < 0)
        return;
    pthread_mutex_lock(&s->lock);
    char **slot = &s->ring[s->next_msg % WEB_RING];
    free(*slot);
    *slot = msg;
    s->next_msg++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

static void broadcast_json(struct web_server *s, const char *kind, const struct json_value *v)
{
    struct strbuf sb = {0};
    if (!json_write(v, JSON_COMPACT, &sb))
        broadcast(s, kind, strbuf_str(&sb));
    strbuf_free(&sb);
}

static struct json_value *parse(const struct strbuf *body)
{
    struct diag_list diags = {0};
    struct json_value *j = NULL;
    if (!body->len || json_parse(body->data, body->len, NULL, "device", &diags, &j) || diag_error_count(&diags)) {
        json_free(j);
        j = NULL;
    }
    diag_list_free(&diags);
    return j;
}

static int64_t json_int(const struct json_value *o, const char *key, int64_t fallback)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_NUMBER && v->u.number.is_integer ? v->u.number.integer : fallback;
}

/* ---- the poller: /sim/events, /sim/log and the UART consoles ---------------------------------- */

struct poll_state {
    CURL *curl;
    bool reachable;
    bool started;          /* since values are set */
    uint64_t event_since;  /* the next /sim/events sequence to read */
    uint64_t log_since;    /* the last /sim/log sequence read */
    unsigned ticks;
};

static void uart_close(struct web_uart *u)
{
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
    u->pty[0] = '\0';
}

/* Opens each UART's host PTY that is not the external MCU's, following the device's current PTY
 * paths (they change when the device restarts). */
static void uarts_refresh(struct web_server *s, struct poll_state *ps)
{
    struct strbuf body = {0};
    long status = device_request(s, ps->curl, "GET", "/sim/board", NULL, 0, &body);
    struct json_value *board = status == 200 ? parse(&body) : NULL;
    strbuf_free(&body);
    const struct json_value *list = json_object_get(board, "uarts");
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++) {
        const struct json_value *u = list->u.array.items[i], *name = json_object_get(u, "interface"),
                                *pty = json_object_get(u, "pty");
        if (!name || name->type != JSON_STRING || !pty || pty->type != JSON_STRING || strncmp(name->u.string.chars, "ISU", 3))
            continue;
        int n = atoi(name->u.string.chars + 3);
        if (n < 0 || n >= WEB_UARTS || s->mcu_attached[n])
            continue;
        pthread_mutex_lock(&s->lock);
        struct web_uart *w = &s->uarts[n];
        if (strcmp(w->pty, pty->u.string.chars)) {
            uart_close(w);
            w->fd = open(pty->u.string.chars, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
            if (w->fd >= 0)
                snprintf(w->pty, sizeof w->pty, "%s", pty->u.string.chars);
        }
        pthread_mutex_unlock(&s->lock);
    }
    json_free(board);
}

/* Waits up to WEB_POLL_MS for bytes from the UART consoles and sends them as "uart" messages
 * ({"interface": "ISU0", "base64": ...}: the bytes are the app's, not necessarily text). */
static void uarts_read(struct web_server *s)
{
    struct pollfd fds[WEB_UARTS];
    int which[WEB_UARTS], n = 0;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < WEB_UARTS; i++)
        if (s->uarts[i].fd >= 0)
            fds[n] = (struct pollfd){.fd = s->uarts[i].fd, .events = POLLIN}, which[n++] = i;
    pthread_mutex_unlock(&s->lock);
    if (poll(fds, (nfds_t)n, WEB_POLL_MS) <= 0) /* with no console open, just the wait */
        return;
    for (int k = 0; k < n; k++) {
        if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        unsigned char buf[3072];
        ssize_t got = read(fds[k].fd, buf, sizeof buf);
        if (got <= 0) {
            if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                pthread_mutex_lock(&s->lock);
                if (s->uarts[which[k]].fd == fds[k].fd)
                    uart_close(&s->uarts[which[k]]);
                pthread_mutex_unlock(&s->lock);
            }
            continue;
        }
        char b64[4200], data[4400];
        EVP_EncodeBlock((unsigned char *)b64, buf, (int)got);
        snprintf(data, sizeof data, "{\"interface\":\"ISU%d\",\"base64\":\"%s\"}", which[k], b64);
        broadcast(s, "uart", data);
    }
}

/* Reads new /sim/events and /sim/log entries and broadcasts each; the first call only notes where
 * the device's rings are (the page reads what came before itself). A device whose sequence went
 * backwards has restarted: the streams are told to read everything again ("resync"). */
static void follow_device(struct web_server *s, struct poll_state *ps)
{
    char path[96];
    struct strbuf body = {0};
    snprintf(path, sizeof path, "/sim/events?since=%llu", (unsigned long long)ps->event_since);
    long status = device_request(s, ps->curl, "GET", path, NULL, 0, &body);
    struct json_value *ev = status == 200 ? parse(&body) : NULL;
    strbuf_free(&body);
    bool reachable = ev != NULL;
    if (reachable != ps->reachable) {
        ps->reachable = reachable;
        broadcast(s, "device", reachable ? "{\"reachable\":true}" : "{\"reachable\":false}");
        if (reachable && ps->started)
            broadcast(s, "resync", "{}");
    }
    if (!ev)
        return;
    uint64_t next = (uint64_t)json_int(ev, "next", 0);
    const struct json_value *list = json_object_get(ev, "events");
    bool restarted = ps->started && next < ps->event_since;
    for (size_t i = 0; ps->started && !restarted && list && list->type == JSON_ARRAY && i < list->u.array.count; i++)
        broadcast_json(s, "board", list->u.array.items[i]);
    ps->event_since = next;
    json_free(ev);

    snprintf(path, sizeof path, "/sim/log?since=%llu", (unsigned long long)ps->log_since);
    status = device_request(s, ps->curl, "GET", path, NULL, 0, &body);
    struct json_value *log = status == 200 ? parse(&body) : NULL;
    strbuf_free(&body);
    if (log) {
        uint64_t last = (uint64_t)json_int(log, "last", 0);
        list = json_object_get(log, "lines");
        restarted = restarted || (ps->started && last < ps->log_since);
        for (size_t i = 0; ps->started && !restarted && list && list->type == JSON_ARRAY && i < list->u.array.count; i++)
            broadcast_json(s, "log", list->u.array.items[i]);
        ps->log_since = restarted || !ps->started ? last : (uint64_t)json_int(log, "next", (int64_t)ps->log_since);
        json_free(log);
    }
    if (restarted)
        broadcast(s, "resync", "{}");
    ps->started = true;
}

static void *poller_main(void *arg)
{
    struct web_server *s = arg;
    struct poll_state ps = {.curl = curl_easy_init(), .reachable = true};
    if (!ps.curl)
        return NULL;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool stop = s->stopping;
        pthread_mutex_unlock(&s->lock);
        if (stop)
            break;
        if (ps.ticks++ % (1000 / WEB_POLL_MS) == 0)
            uarts_refresh(s, &ps);
        follow_device(s, &ps);
        struct stat st;
        if (!ps.reachable && stat(s->dev.dir, &st) != 0) { /* the device was deleted: nothing left to show */
            fprintf(stderr, "sphere sim web: device '%s' no longer exists; stopping\n", s->dev.name);
            kill(getpid(), SIGTERM); /* blocked here: the main thread takes it and shuts down */
            break;
        }
        if (!ps.reachable)
            nanosleep(&(struct timespec){0, 200000000L}, NULL);
        uarts_read(s);
    }
    curl_easy_cleanup(ps.curl);
    return NULL;
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

struct web_request {
    struct strbuf body;
    bool too_large;
};

/* One open stream: where it is in the ring and the message being sent. */
struct web_stream {
    struct web_server *s;
    uint64_t pos;
    char *pending;
    size_t pending_len, pending_off;
};

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type, const void *data,
                               size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    /* Everything the page uses comes from this server: no CDN, works offline. */
    MHD_add_response_header(r, "Content-Security-Policy", "default-src 'self'; img-src 'self' data:");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_error(struct MHD_Connection *c, unsigned status, const char *detail)
{
    char body[512];
    snprintf(body, sizeof body, "{\"error\":%u,\"detail\":\"%s\"}", status, detail);
    return respond(c, status, "application/json", body, strlen(body));
}

static ssize_t stream_read(void *cls, uint64_t offset, char *buf, size_t max)
{
    struct web_stream *st = cls;
    struct web_server *s = st->s;
    if (st->pending_off == st->pending_len) {
        free(st->pending);
        st->pending = NULL;
        pthread_mutex_lock(&s->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        int wait = 0;
        while (st->pos == s->next_msg && !s->stopping && wait != ETIMEDOUT)
            wait = pthread_cond_timedwait(&s->changed, &s->lock, &until);
        if (s->stopping) {
            pthread_mutex_unlock(&s->lock);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (st->pos == s->next_msg) {
            st->pending = strdup(": keep-alive\n\n");
        } else if (s->next_msg - st->pos > WEB_RING) { /* this reader fell behind the ring */
            st->pos = s->next_msg;
            st->pending = strdup("event: resync\ndata: {}\n\n");
        } else {
            st->pending = strdup(s->ring[st->pos % WEB_RING]);
            st->pos++;
        }
        pthread_mutex_unlock(&s->lock);
        if (!st->pending)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        st->pending_len = strlen(st->pending);
        st->pending_off = 0;
    }
    size_t n = st->pending_len - st->pending_off;
    if (n > max)
        n = max;
    memcpy(buf, st->pending + st->pending_off, n);
    st->pending_off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct web_stream *st = cls;
    free(st->pending);
    free(st);
}

static enum MHD_Result open_stream(struct web_server *s, struct MHD_Connection *c)
{
    struct web_stream *st = calloc(1, sizeof *st);
    if (!st)
        return MHD_NO;
    st->s = s;
    pthread_mutex_lock(&s->lock);
    st->pos = s->next_msg;
    pthread_mutex_unlock(&s->lock);
    /* The first message: reconnect quickly after a drop, and say hello (the page then reads the
     * whole state again, so nothing missed while it was away stays missing). */
    st->pending = strdup("retry: 500\nevent: hello\ndata: {}\n\n");
    st->pending_len = st->pending ? strlen(st->pending) : 0;
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st, stream_free);
    if (!r) {
        stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* The device endpoints the page may reach through /api/dev (method, path prefix). */
static bool proxy_allowed(const char *method, const char *path)
{
    static const char *const any[] = {"/sim/", "/app/status/"};
    static const char *const get_only[] = {"/images", "/status", "/osversion", "/device/security_state",
                                           "/device/capabilities", "/device/manufacturing_state", "/abi_versions"};
    bool get = !strcmp(method, "GET");
    if (!get && strcmp(method, "PUT") && strcmp(method, "POST") && strcmp(method, "PATCH"))
        return false;
    if (strstr(path, ".."))
        return false;
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++)
        if (!strncmp(path, any[i], strlen(any[i])))
            return true;
    for (size_t i = 0; get && i < sizeof get_only / sizeof get_only[0]; i++)
        if (!strcmp(path, get_only[i]))
            return true;
    return false;
}

static enum MHD_Result proxy(struct web_server *s, struct MHD_Connection *c, const char *method, const char *path,
                             const struct web_request *req)
{
    if (!proxy_allowed(method, path))
        return respond_error(c, MHD_HTTP_NOT_FOUND, "not an endpoint the page may use");
    char full[1100]; /* the one query the page's endpoints take: since=N (/sim/events, /sim/log) */
    const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    if (since)
        snprintf(full, sizeof full, "%s?since=%llu", path, strtoull(since, NULL, 10));
    else
        snprintf(full, sizeof full, "%s", path);
    CURL *curl = curl_easy_init();
    if (!curl)
        return respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot initialise libcurl");
    struct strbuf out = {0};
    bool has_body = strcmp(method, "GET") != 0;
    long status = device_request(s, curl, method, full, has_body ? (req->body.data ? req->body.data : "") : NULL,
                                 has_body ? req->body.len : 0, &out);
    curl_easy_cleanup(curl);
    enum MHD_Result ret = status ? respond(c, (unsigned)status, "application/json", out.data ? out.data : "", out.len)
                                 : respond_error(c, MHD_HTTP_BAD_GATEWAY, "the device is not responding");
    strbuf_free(&out);
    return ret;
}

/* GET /api/gpio?lines=8,9,10: the /sim/gpio/N answers, as one array. */
static enum MHD_Result gpio_lines(struct web_server *s, struct MHD_Connection *c)
{
    const char *lines = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lines");
    CURL *curl = curl_easy_init();
    if (!lines || !curl) {
        if (curl)
            curl_easy_cleanup(curl);
        return respond_error(c, MHD_HTTP_BAD_REQUEST, "give lines=N,N,...");
    }
    struct strbuf all = {0};
    strbuf_puts(&all, "[");
    bool first = true, failed = false;
    for (const char *p = lines; *p && !failed;) {
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p || n < 0 || n > 127) {
            failed = true;
            break;
        }
        char path[32];
        snprintf(path, sizeof path, "/sim/gpio/%ld", n);
        struct strbuf one = {0};
        if (device_request(s, curl, "GET", path, NULL, 0, &one) == 200) {
            if (!first)
                strbuf_puts(&all, ",");
            strbuf_append(&all, one.data, one.len);
            first = false;
        }
        strbuf_free(&one);
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            failed = true;
    }
    strbuf_puts(&all, "]");
    curl_easy_cleanup(curl);
    enum MHD_Result ret = failed ? respond_error(c, MHD_HTTP_BAD_REQUEST, "lines must be GPIO numbers 0-127")
                                 : respond(c, MHD_HTTP_OK, "application/json", all.data, all.len);
    strbuf_free(&all);
    return ret;
}

static bool plain_name(const char *name)
{
    if (!name[0] || name[0] == '.' || strlen(name) > 120)
        return false;
    for (const char *p = name; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') && !strchr("._-", *p))
            return false;
    return true;
}

static const char *mime_type(const char *name)
{
    static const char *const types[][2] = {{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
                                           {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
                                           {".json", "application/json"},         {".png", "image/png"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i][0]))
            return types[i][1];
    return "application/octet-stream";
}

/* A file of `dir` named by a plain name (no folders), or 404. */
static enum MHD_Result send_file(struct MHD_Connection *c, const char *dir, const char *name)
{
    if (!dir || !plain_name(name))
        return respond_error(c, MHD_HTTP_NOT_FOUND, "no such file");
    char *path = path_join(dir, name), *data = NULL;
    size_t len = 0;
    int err = path ? hostio_read_file(path, &data, &len) : -ENOMEM;
    free(path);
    enum MHD_Result ret = err ? respond_error(c, MHD_HTTP_NOT_FOUND, "no such file")
                              : respond(c, MHD_HTTP_OK, mime_type(name), data, len);
    free(data);
    return ret;
}

/* Reads <device dir>/mcu/attach ("ISU0 115200"): the UART an external MCU holds, or -1. */
static int mcu_uart(const struct web_server *s)
{
    char *path = path_join(s->dev.dir, "mcu/attach"), *data = NULL;
    size_t len = 0;
    int isu = -1;
    if (path && hostio_read_file(path, &data, &len) == 0 && len > 3 && !strncmp(data, "ISU", 3))
        isu = atoi(data + 3);
    free(path);
    free(data);
    return isu >= 0 && isu < WEB_UARTS ? isu : -1;
}

/* Runs this program (`sphere`) with `args` (NULL-terminated), at most 10 s; its standard output in
 * *out. Returns its exit status (-1 when it could not run or was killed). */
static int run_sphere(const char *const *args, struct strbuf *out)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO), dup2(devnull, STDERR_FILENO);
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL); /* the server's threads block SIGINT and SIGTERM */
        alarm(10); /* survives exec: a cloud that does not answer ends the child */
        execv("/proc/self/exe", (char *const *)args);
        _exit(127);
    }
    close(fds[1]);
    char buf[4096];
    ssize_t n;
    while (pid > 0 && (n = read(fds[0], buf, sizeof buf)) > 0)
        strbuf_append(out, buf, (size_t)n);
    close(fds[0]);
    int status = -1;
    if (pid > 0 && waitpid(pid, &status, 0) == pid)
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return -1;
}

/* GET /api/mcu: what `sphere sim mcu show -o json` prints for this device. */
static enum MHD_Result mcu_show(struct web_server *s, struct MHD_Connection *c)
{
    if (mcu_uart(s) < 0)
        return respond(c, MHD_HTTP_OK, "application/json", "{\"attached\":false}", 18);
    const char *args[] = {"sphere", "sim", "mcu", "show", "-d", s->dev.name, "-o", "json", NULL};
    struct strbuf out = {0};
    int rc = run_sphere(args, &out);
    enum MHD_Result ret = rc == 0 && out.len ? respond(c, MHD_HTTP_OK, "application/json", out.data, out.len)
                                             : respond_error(c, MHD_HTTP_BAD_GATEWAY, "sphere sim mcu show failed");
    strbuf_free(&out);
    return ret;
}

/* GET /api/cloud: the device as the cloud sees it, through the CLI's own commands and login:
 * {"managed": true, "device": `sphere device show --device-id ID -o json`, "twin": `sphere device
 * twin show -d ID -o json` (its reported extFwInfo is the OTA status)}, or {"managed": false}
 * when there is no cloud session or the cloud does not know the device. */
static enum MHD_Result cloud_status(struct web_server *s, struct MHD_Connection *c)
{
    CURL *curl = curl_easy_init();
    struct strbuf body = {0};
    long status = curl ? device_request(s, curl, "GET", "/device/security_state", NULL, 0, &body) : 0;
    if (curl)
        curl_easy_cleanup(curl);
    struct json_value *j = status == 200 ? parse(&body) : NULL;
    strbuf_free(&body);
    if (!j) /* the device is away: the page keeps what it knows */
        return respond_error(c, MHD_HTTP_BAD_GATEWAY, "the device is not responding");
    const struct json_value *id = json_object_get(j, "deviceIdentifier");
    struct strbuf device = {0}, twin = {0}, all = {0};
    int rc = -1;
    if (id && id->type == JSON_STRING) {
        const char *show[] = {"sphere", "device", "show", "--device-id", id->u.string.chars, "-o", "json", NULL};
        const char *twin_show[] = {"sphere", "device", "twin", "show", "-d", id->u.string.chars, "-o", "json", NULL};
        rc = run_sphere(show, &device);
        if (rc == 0 && run_sphere(twin_show, &twin) != 0)
            strbuf_free(&twin);
    }
    json_free(j);
    if (rc == 0 && device.len) {
        strbuf_puts(&all, "{\"managed\":true,\"device\":");
        strbuf_append(&all, device.data, device.len);
        strbuf_puts(&all, ",\"twin\":");
        if (twin.len)
            strbuf_append(&all, twin.data, twin.len);
        else
            strbuf_puts(&all, "null");
        strbuf_puts(&all, "}");
    } else {
        strbuf_puts(&all, "{\"managed\":false}");
    }
    enum MHD_Result ret = respond(c, MHD_HTTP_OK, "application/json", all.data, all.len);
    strbuf_free(&device), strbuf_free(&twin), strbuf_free(&all);
    return ret;
}

static enum MHD_Result info(struct web_server *s, struct MHD_Connection *c)
{
    int isu = mcu_uart(s);
    char body[512];
    snprintf(body, sizeof body, "{\"device\":\"%s\",\"mcu\":{\"attached\":%s,\"interface\":\"ISU%d\"},\"remote\":%s}",
             s->dev.name, isu >= 0 ? "true" : "false", isu < 0 ? 0 : isu, s->token[0] ? "true" : "false");
    return respond(c, MHD_HTTP_OK, "application/json", body, strlen(body));
}

/* POST /api/uart/ISUn: types the body into that UART's host pseudo-terminal. */
static enum MHD_Result uart_write(struct web_server *s, struct MHD_Connection *c, const char *name,
                                  const struct web_request *req)
{
    int n = !strncmp(name, "ISU", 3) && name[3] >= '0' && name[3] < '0' + WEB_UARTS && !name[4] ? name[3] - '0' : -1;
    if (n < 0)
        return respond_error(c, MHD_HTTP_NOT_FOUND, "no such UART");
    if (s->mcu_attached[n])
        return respond_error(c, MHD_HTTP_CONFLICT, "the external MCU holds this UART");
    pthread_mutex_lock(&s->lock);
    int fd = s->uarts[n].fd;
    ssize_t w = fd >= 0 && req->body.len ? write(fd, req->body.data, req->body.len) : fd >= 0 ? 0 : -1;
    pthread_mutex_unlock(&s->lock);
    if (w < 0)
        return respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the UART's console is not open");
    char body[64];
    snprintf(body, sizeof body, "{\"written\":%zd}", w);
    return respond(c, MHD_HTTP_OK, "application/json", body, strlen(body));
}

static bool token_ok(struct web_server *s, struct MHD_Connection *c)
{
    if (!s->token[0])
        return true;
    const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Sphere-Token");
    if (!t)
        t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    return t && strlen(t) == strlen(s->token) && !CRYPTO_memcmp(t, s->token, strlen(s->token));
}

static enum MHD_Result route(struct web_server *s, struct MHD_Connection *c, const char *url, const char *method,
                             const struct web_request *req)
{
    bool get = !strcmp(method, "GET");
    if (strncmp(url, "/api/", 5))
        return get ? send_file(c, s->web_dir, !strcmp(url, "/") ? "index.html" : url + 1)
                   : respond_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
    if (!token_ok(s, c))
        return respond_error(c, MHD_HTTP_FORBIDDEN, "this server needs its access token (remote access)");
    if (!strncmp(url, "/api/dev/", 9))
        return proxy(s, c, method, url + 8, req);
    if (!strcmp(url, "/api/stream") && get)
        return open_stream(s, c);
    if (!strcmp(url, "/api/info") && get)
        return info(s, c);
    if (!strcmp(url, "/api/gpio") && get)
        return gpio_lines(s, c);
    if (!strncmp(url, "/api/hwdef/", 11) && get)
        return send_file(c, s->sdk_hwdefs, url + 11);
    if (!strcmp(url, "/api/mcu") && get)
        return mcu_show(s, c);
    if (!strcmp(url, "/api/cloud") && get)
        return cloud_status(s, c);
    if (!strncmp(url, "/api/uart/", 10) && !strcmp(method, "POST"))
        return uart_write(s, c, url + 10, req);
    return respond_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
    (void)version;
    struct web_request *req = *req_cls;
    if (!req) {
        if (!(req = calloc(1, sizeof *req)))
            return MHD_NO;
        *req_cls = req;
        return MHD_YES;
    }
    if (*upload_size) {
        if (req->body.len + *upload_size > WEB_MAX_BODY || strbuf_append(&req->body, upload, *upload_size))
            req->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->too_large)
        return respond_error(c, 413, "the request body is too large");
    return route(cls, c, url, method, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    struct web_request *req = *req_cls;
    if (req) {
        strbuf_free(&req->body);
        free(req);
        *req_cls = NULL;
    }
}

/* ---- the command ------------------------------------------------------------------------------ */

/* "ADDR:PORT" or ":PORT" or "PORT" (IPv4). */
static int parse_listen(const char *text, struct sockaddr_in *addr)
{
    *addr = (struct sockaddr_in){.sin_family = AF_INET};
    const char *colon = strrchr(text, ':');
    char host[64] = "127.0.0.1";
    const char *port = colon ? colon + 1 : text;
    if (colon && colon != text) {
        size_t n = (size_t)(colon - text);
        if (n >= sizeof host)
            return -EINVAL;
        memcpy(host, text, n);
        host[n] = '\0';
    }
    if (!strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535 || inet_pton(AF_INET, host, &addr->sin_addr) != 1)
        return -EINVAL;
    addr->sin_port = htons((uint16_t)p);
    return 0;
}

static bool loopback(const struct sockaddr_in *addr) { return (ntohl(addr->sin_addr.s_addr) >> 24) == 127; }

/* Remote access needs the device to grant appDevelopment (capability 11) now. */
static int check_remote_allowed(struct web_server *s)
{
    CURL *curl = curl_easy_init();
    struct strbuf body = {0};
    long status = curl ? device_request(s, curl, "GET", "/device/capabilities", NULL, 0, &body) : 0;
    struct json_value *j = status == 200 ? parse(&body) : NULL;
    strbuf_free(&body);
    if (curl)
        curl_easy_cleanup(curl);
    const struct json_value *caps = json_object_get(j, "device_capabilities");
    bool granted = false;
    for (size_t i = 0; caps && caps->type == JSON_ARRAY && i < caps->u.array.count; i++)
        granted = granted || (caps->u.array.items[i]->type == JSON_NUMBER && caps->u.array.items[i]->u.number.integer == 11);
    json_free(j);
    return granted ? CLI_EXIT_OK
                   : cli_error("--allow-remote needs a device that grants appDevelopment ('sphere device enable-development -d %s')",
                               s->dev.name);
}

/* The page's files: $OPENSPHERE_WEB_DIR, else <bin>/../share/opensphere/web (the build tree and an
 * installed tree alike). */
static char *find_web_dir(void)
{
    char found[4096];
    char *dir = hostio_beside_exe("OPENSPHERE_WEB_DIR", "../share/opensphere/web", found, sizeof found) ? NULL
                                                                                                       : strdup(found);
    char *index = dir ? path_join(dir, "index.html") : NULL;
    struct stat st;
    bool ok = index && stat(index, &st) == 0;
    free(index);
    if (!ok) {
        cli_error("the web page's files are not in %s (build with 'make build', or set OPENSPHERE_WEB_DIR)",
                  dir ? dir : "<bin>/../share/opensphere/web");
        free(dir);
        return NULL;
    }
    return dir;
}

static void open_browser(const char *url)
{
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO), dup2(devnull, STDOUT_FILENO), dup2(devnull, STDERR_FILENO);
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        execlp("xdg-open", "xdg-open", url, (char *)NULL);
        _exit(127);
    }
}

static void server_free(struct web_server *s)
{
    for (int i = 0; i < WEB_RING; i++)
        free(s->ring[i]);
    for (int i = 0; i < WEB_UARTS; i++)
        uart_close(&s->uarts[i]);
    free(s->web_dir);
    free(s->sdk_hwdefs);
    devclient_close(&s->dev);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
}

static int serve(struct web_server *s, const struct sockaddr_in *addr, bool open_it)
{
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                                            NULL, on_request, s, MHD_OPTION_SOCK_ADDR, addr,
                                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                            MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (!d) {
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &addr->sin_addr, a, sizeof a);
        return cli_error("cannot listen on %s:%u (port in use?)", a, ntohs(addr->sin_port));
    }
    const union MHD_DaemonInfo *port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (pthread_create(&s->poller, NULL, poller_main, s)) {
        MHD_stop_daemon(d);
        return cli_error("cannot start the poller thread");
    }
    char host[INET_ADDRSTRLEN], url[160];
    inet_ntop(AF_INET, &addr->sin_addr, host, sizeof host);
    snprintf(url, sizeof url, "http://%s:%u/%s%s", host, port ? port->port : ntohs(addr->sin_port),
             s->token[0] ? "?token=" : "", s->token);
    printf("%s\n", url);
    fprintf(stderr, "sphere sim web: the board of device '%s' at %s (Ctrl-C stops)\n", s->dev.name, url);
    fflush(stdout);
    if (open_it)
        open_browser(url);
    sigset_t none;
    sigemptyset(&none);
    while (!web_interrupted)
        sigsuspend(&none);
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->poller, NULL);
    MHD_stop_daemon(d);
    return CLI_EXIT_OK;
}

static int run_web(const struct cli_invocation *inv)
{
    const char *listen = cli_value(inv, "listen");
    struct sockaddr_in addr;
    if (parse_listen(listen ? listen : "127.0.0.1:0", &addr))
        return cli_usage_error(inv, "--listen takes IPV4-ADDRESS:PORT, e.g. 127.0.0.1:8035, not '%s'", listen);
    bool remote = cli_flag(inv, "allow-remote");
    if (!loopback(&addr) && !remote)
        return cli_usage_error(inv, "%s is not a loopback address: add --allow-remote to serve the board beyond this machine", listen);
    struct web_server s = {.uarts = {{.fd = -1}, {.fd = -1}, {.fd = -1}, {.fd = -1}, {.fd = -1}}};
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.changed, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = devclient_open(cli_value(inv, "device"), &s.dev);
    if (!rc && !(s.web_dir = find_web_dir()))
        rc = CLI_EXIT_FAILED;
    char *sdk = rc ? NULL : hostio_sdk_dir();
    s.sdk_hwdefs = sdk ? path_join(sdk, "HardwareDefinitions") : NULL;
    free(sdk);
    if (!rc && remote)
        rc = check_remote_allowed(&s);
    unsigned char raw[16];
    if (!rc && remote && bytes_random(raw, sizeof raw))
        rc = cli_error("cannot make an access token");
    for (size_t i = 0; !rc && remote && i < sizeof raw; i++)
        snprintf(s.token + 2 * i, 3, "%02x", raw[i]);
    int mcu = rc ? -1 : mcu_uart(&s);
    if (mcu >= 0)
        s.mcu_attached[mcu] = true;
    if (!rc) {
        /* SIGINT and SIGTERM stay blocked in every thread (the server's threads inherit the mask)
         * and reach only the main thread, in its sigsuspend. */
        struct sigaction act = {.sa_handler = web_on_signal};
        sigaction(SIGINT, &act, NULL);
        sigaction(SIGTERM, &act, NULL);
        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
        signal(SIGPIPE, SIG_IGN);
        rc = serve(&s, &addr, cli_flag(inv, "open"));
    }
    server_free(&s);
    curl_global_cleanup();
    return rc;
}

static const struct cli_option web_options[] = {
    {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."},
    {"listen", 0, "ADDR:PORT", false, false, "Where to serve the page (default 127.0.0.1:0, a free port; the address is printed)."},
    {"allow-remote", 0, NULL, false, false,
     "Allow a non-loopback --listen address: every request then needs the printed access token, and the device must grant appDevelopment."},
    {"open", 0, NULL, false, false, "Open the page in the desktop's browser (xdg-open)."},
    {NULL, 0, NULL, false, false, NULL},
};

const struct cli_command cmd_sim_web = {
    .name = "web",
    .summary = "Serve a live view of the simulated board to a browser (LEDs, buttons, UARTs, ADC, PWM, apps).",
    .options = web_options,
    .details = "Prints the page's address, then serves until interrupted. See docs/web.md.",
    .run = run_web};
