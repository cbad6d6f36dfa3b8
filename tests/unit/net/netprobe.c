/* SPDX-License-Identifier: MIT */
/* netprobe.c — a hostile-and-polite test app for network confinement (tests/cli/test_network.sh).
 * Each argument is one probe, run in order; each prints one line "NET <probe> <result>" where the
 * result is "ok …" or an errno name (or a curl error), then the app waits for SIGTERM.
 *   ready | status | socket | socket6 | raw | netlink | unix      the status calls; the kernel's
 *                                    answer to socket() (the system call itself, past libapplibs)
 *   mark                             "ok" at once (the test knows the next probe has begun)
 *   plainsocket | plainsocket6       socket() through libapplibs' interposer (docs/network.md)
 *   plain:HOST:PORT                  getaddrinfo + socket(NONBLOCK|CLOEXEC) + setsockopt(TCP_NODELAY)
 *                                    + connect + HTTP/1.0 GET, all plain libc calls; "ok <code>
 *                                    <flags kept> nodelay N again <second connect's errno>"
 *   plainudp:HOST:PORT               getaddrinfo(SOCK_DGRAM) + socket + bind(port 0) + connect +
 *                                    send "ping" → "ok <echo>"
 *   gai:HOST:SERVICE:OPTS            getaddrinfo's answer "ok A:P/tcp,…" or its EAI_* code (and
 *                                    errno); HOST "-" = NULL, '@' in HOST = ':'; OPTS letters: 6 AF_INET6, n
 *                                    AI_NUMERICHOST, p AI_PASSIVE, s SOCK_STREAM, c AI_CANONNAME,
 *                                    u protocol IPPROTO_UDP
 *   plainlisten:PORT                 socket + SO_REUSEADDR + bind(INADDR_ANY:PORT) + listen; accept
 *                                    one connection within 10 s and greet it
 *   reuse:ADDR:PORT                  a placeholder closed and its number reused by /dev/null:
 *                                    connect() on it must not be mistaken for the placeholder
 *   resolve:NAME                     the device's answers, "ok A,B ttl T"
 *   tcp:ADDR:PORT                    brokered connect, HTTP/1.0 GET, "ok <status line code>"
 *   udp:ADDR:PORT                    brokered UDP, "ping" → "ok <echo>"
 *   sendto:ADDR:PORT:OTHER           on a UDP flow to ADDR, sendto() naming OTHER; then recv
 *   ttl:NAME:PORT:SECONDS            resolve+connect, sleep SECONDS, connect to the same address again
 *   race:GOOD:BAD:PORT               a thread flips the address between GOOD and BAD while the main
 *                                    thread connects 200 times; "ok G good B bad-allowed"
 *   listen:PORT                      listen; accept one connection within 10 s and greet it
 *   ulisten:PORT                     a UDP server port through OpenSphere_Networking_Listen, then a
 *                                    second claim of it ("ok (again: EADDRINUSE)"); closed at once
 *   plainudpserve:PORT:OTHER:OPORT   socket + bind(INADDR_ANY:PORT), plain libc calls; answers two
 *                                    datagrams with "echo:<data>" (sendto the source recvfrom named)
 *                                    and, each time, sends "unasked" to OTHER:OPORT, a host that
 *                                    never sent to it (the device must drop it)
 *   connect:ADDR:PORT                a brokered TCP socket, then connect() it to AF_UNSPEC and to
 *                                    10.77.0.4 (disconnect-and-reconnect)
 *   curl:URL:HOST:PORT               libcurl + networking_curl.h (CA: <image>/ca.pem)
 *   plaincurl:URL                    libcurl without the helper (plain sockets; CA <image>/ca.pem)
 *   plaincurlbadca:URL               the same with a CA that did not sign the server's certificate
 */
#define _GNU_SOURCE
#include <applibs/networking.h>
#include <applibs/networking_curl.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char image_dir[256];

static void say(const char *probe, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *probe, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    printf("NET %s %s\n", probe, text);
    fflush(stdout);
}

static const char *err_name(void) { return strerrorname_np(errno) ? strerrorname_np(errno) : "E?"; }

static struct in_addr addr_of(const char *text)
{
    struct in_addr a = {0};
    inet_pton(AF_INET, text, &a);
    return a;
}

static void try_socket(const char *p, int family, int type, bool plain)
{
    int s = plain ? socket(family, type, 0) : (int)syscall(SYS_socket, family, type, 0);
    if (s >= 0)
        say(p, "ok");
    else
        say(p, "%s", err_name());
    if (s >= 0)
        close(s);
}

static const char *eai_name(int rc)
{
    static const struct {
        int rc;
        const char *name;
    } names[] = {{EAI_NONAME, "EAI_NONAME"},     {EAI_FAMILY, "EAI_FAMILY"},   {EAI_SERVICE, "EAI_SERVICE"},
                 {EAI_SOCKTYPE, "EAI_SOCKTYPE"}, {EAI_BADFLAGS, "EAI_BADFLAGS"}, {EAI_AGAIN, "EAI_AGAIN"},
                 {EAI_FAIL, "EAI_FAIL"},         {EAI_MEMORY, "EAI_MEMORY"},   {EAI_SYSTEM, "EAI_SYSTEM"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].rc == rc)
            return names[i].name;
    return "EAI_?";
}

/* getaddrinfo(host, service) → "EAI_x (errno E)" in *why, or 0 */
static int lookup_protocol;

static int lookup(const char *host, const char *service, int family, int type, int flags, struct addrinfo **res,
                  char *why, size_t why_size)
{
    struct addrinfo hints = {.ai_family = family, .ai_socktype = type, .ai_flags = flags, .ai_protocol = lookup_protocol};
    errno = 0;
    int rc = getaddrinfo(host, service, &hints, res);
    if (rc)
        snprintf(why, why_size, "%s (errno %s)", eai_name(rc), errno ? err_name() : "0");
    return rc;
}

static void gai_probe(const char *p, const char *host, const char *service, const char *opts)
{
    int family = strchr(opts, '6') ? AF_INET6 : AF_UNSPEC, type = strchr(opts, 's') ? SOCK_STREAM : 0;
    int flags = (strchr(opts, 'n') ? AI_NUMERICHOST : 0) | (strchr(opts, 'p') ? AI_PASSIVE : 0) |
                (strchr(opts, 'c') ? AI_CANONNAME : 0);
    struct addrinfo *res = NULL;
    char why[64], list[300] = "", name[64];
    snprintf(name, sizeof name, "%s", host);
    for (char *c = strchr(name, '@'); c; c = strchr(c, '@'))
        *c = ':';
    lookup_protocol = strchr(opts, 'u') ? IPPROTO_UDP : 0;
    int rc = lookup(strcmp(host, "-") ? name : NULL, service, family, type, flags, &res, why, sizeof why);
    lookup_protocol = 0;
    if (rc) {
        say(p, "%s", why);
        return;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ai->ai_addr;
        char t[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &in->sin_addr, t, sizeof t);
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s:%u/%s", ai == res ? "" : ",", t,
                 ntohs(in->sin_port), ai->ai_socktype == SOCK_STREAM ? "tcp" : ai->ai_socktype == SOCK_DGRAM ? "udp" : "?");
    }
    if (res && res->ai_canonname)
        snprintf(list + strlen(list), sizeof list - strlen(list), " canon %s", res->ai_canonname);
    freeaddrinfo(res);
    say(p, "ok %s", list);
}

/* Everything an unmodified client does, with plain libc calls. */
static void plain_probe(const char *p, const char *host, const char *port)
{
    struct addrinfo *res = NULL;
    char why[64];
    if (lookup(host, port, AF_UNSPEC, SOCK_STREAM, 0, &res, why, sizeof why)) {
        say(p, "%s", why);
        return;
    }
    int s = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, res->ai_protocol);
    int one = 1, domain = 0;
    socklen_t len = sizeof domain;
    if (s < 0 || setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
        getsockopt(s, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || connect(s, res->ai_addr, res->ai_addrlen) < 0) {
        say(p, "%s", err_name());
        freeaddrinfo(res);
        if (s >= 0)
            close(s);
        return;
    }
    int again = connect(s, res->ai_addr, res->ai_addrlen) < 0 ? errno : 0;
    freeaddrinfo(res);
    int fl = fcntl(s, F_GETFL), fdfl = fcntl(s, F_GETFD), nodelay = -1;
    len = sizeof nodelay;
    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
    fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
    const char req[] = "GET / HTTP/1.0\r\n\r\n";
    char buf[256] = "";
    ssize_t n = send(s, req, sizeof req - 1, 0) == (ssize_t)sizeof req - 1 ? recv(s, buf, sizeof buf - 1, MSG_WAITALL) : -1;
    close(s);
    if (n < 12) {
        say(p, "short %s", err_name());
        return;
    }
    buf[12] = '\0';
    say(p, "ok %s%s%s domain %s nodelay %d again %s", buf + 9, (fl & O_NONBLOCK) ? " nonblock" : "",
        (fdfl & FD_CLOEXEC) ? " cloexec" : "", domain == AF_INET ? "inet" : "other", nodelay,
        again ? strerrorname_np(again) : "ok");
}

static int udp_echo(int s, const char *out, char *in, size_t in_size);

static void plain_udp_probe(const char *p, const char *host, const char *port)
{
    struct addrinfo *res = NULL;
    char why[64], in[128];
    if (lookup(host, port, AF_INET, SOCK_DGRAM, 0, &res, why, sizeof why)) {
        say(p, "%s", why);
        return;
    }
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in any = {.sin_family = AF_INET};
    if (s < 0 || bind(s, (struct sockaddr *)&any, sizeof any) < 0 || connect(s, res->ai_addr, res->ai_addrlen) < 0 ||
        udp_echo(s, "ping", in, sizeof in) < 0)
        say(p, "%s", err_name());
    else
        say(p, "ok %s", in);
    freeaddrinfo(res);
    if (s >= 0)
        close(s);
}

static void plain_listen_probe(const char *p, int port)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(l, (struct sockaddr *)&at, sizeof at) < 0 || listen(l, 4) < 0) {
        say(p, "%s", err_name());
        if (l >= 0)
            close(l);
        return;
    }
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    getsockname(l, (struct sockaddr *)&me, &len);
    say(p, "ok port %u", ntohs(me.sin_port));
    struct pollfd pf = {.fd = l, .events = POLLIN};
    if (poll(&pf, 1, 10000) == 1) {
        int c = accept(l, NULL, NULL);
        const char hello[] = "hello from the plain app\n";
        if (c >= 0 && write(c, hello, sizeof hello - 1) > 0)
            say(p, "accepted");
        if (c >= 0)
            close(c);
    }
    close(l);
}

static void plain_udp_serve_probe(const char *p, int port, const char *other, int other_port)
{
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)}, me;
    socklen_t len = sizeof me;
    if (u < 0 || bind(u, (struct sockaddr *)&at, sizeof at) < 0 || getsockname(u, (struct sockaddr *)&me, &len) < 0) {
        say(p, "%s", err_name());
        if (u >= 0)
            close(u);
        return;
    }
    say(p, "ok port %u", ntohs(me.sin_port));
    struct sockaddr_in stranger = {.sin_family = AF_INET, .sin_port = htons((uint16_t)other_port), .sin_addr = addr_of(other)};
    for (int answered = 0; answered < 2; answered++) {
        struct pollfd pf = {.fd = u, .events = POLLIN};
        if (poll(&pf, 1, 15000) != 1) {
            say(p, "timeout");
            break;
        }
        char data[200], reply[220];
        struct sockaddr_in from;
        len = sizeof from;
        ssize_t n = recvfrom(u, data, sizeof data - 1, 0, (struct sockaddr *)&from, &len);
        if (n < 0) {
            say(p, "recvfrom %s", err_name());
            break;
        }
        data[n] = '\0';
        ssize_t unasked = sendto(u, "unasked", 7, 0, (struct sockaddr *)&stranger, sizeof stranger);
        int k = snprintf(reply, sizeof reply, "echo:%s", data);
        ssize_t sent = sendto(u, reply, (size_t)k, 0, (struct sockaddr *)&from, len);
        say(p, "answered %s from %s (sent %zd, unasked %zd)", data, inet_ntoa(from.sin_addr), sent, unasked);
    }
    close(u);
}

static void reuse_probe(const char *p, const char *addr, int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    close(s);
    int n = open("/dev/null", O_RDWR);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, addr, &to.sin_addr);
    int rc = connect(n, (struct sockaddr *)&to, sizeof to);
    struct stat st;
    fstat(n, &st);
    say(p, "%s %s %s", n == s ? "same-number" : "other-number", rc < 0 ? err_name() : "connected",
        S_ISCHR(st.st_mode) ? "still-dev-null" : "REPLACED");
    close(n);
}

static void tcp(const char *p, const char *addr, int port)
{
    int s = OpenSphere_Networking_Connect(addr_of(addr), (uint16_t)port, SOCK_STREAM);
    if (s < 0) {
        say(p, "%s", err_name());
        return;
    }
    const char req[] = "GET / HTTP/1.0\r\n\r\n";
    char buf[256] = "";
    ssize_t n = write(s, req, sizeof req - 1) == (ssize_t)sizeof req - 1 ? read(s, buf, sizeof buf - 1) : -1;
    close(s);
    if (n < 12) {
        say(p, "short %s", err_name());
        return;
    }
    buf[12] = '\0';
    say(p, "ok %s", buf + 9);
}

static int udp_echo(int s, const char *out, char *in, size_t in_size)
{
    if (send(s, out, strlen(out), 0) < 0)
        return -1;
    struct pollfd pf = {.fd = s, .events = POLLIN};
    if (poll(&pf, 1, 2000) != 1) {
        errno = ETIMEDOUT;
        return -1;
    }
    ssize_t n = recv(s, in, in_size - 1, 0);
    if (n < 0)
        return -1;
    in[n] = '\0';
    return 0;
}

struct race {
    volatile struct in_addr target;
    struct in_addr good, bad;
    volatile int stop;
};

static void *flipper(void *arg)
{
    struct race *r = arg;
    while (!r->stop) {
        r->target = r->bad;
        r->target = r->good;
    }
    return NULL;
}

static void race(const char *p, const char *good, const char *bad, int port)
{
    struct race r = {.good = addr_of(good), .bad = addr_of(bad)};
    r.target = r.good;
    pthread_t t;
    pthread_create(&t, NULL, flipper, &r);
    int good_n = 0, bad_n = 0, refused = 0;
    for (int i = 0; i < 200; i++) {
        struct in_addr a = r.target;
        int s = OpenSphere_Networking_Connect(a, (uint16_t)port, SOCK_STREAM);
        if (s < 0) {
            refused++;
            continue;
        }
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        if (getpeername(s, (struct sockaddr *)&peer, &len) == 0 && peer.sin_addr.s_addr == r.good.s_addr)
            good_n++;
        else
            bad_n++;
        close(s);
    }
    r.stop = 1;
    pthread_join(t, NULL);
    say(p, "ok %d good %d bad-allowed %d refused", good_n, bad_n, refused);
}

static void listen_probe(const char *p, int port)
{
    int l = OpenSphere_Networking_Listen((uint16_t)port, SOCK_STREAM);
    if (l < 0) {
        say(p, "%s", err_name());
        return;
    }
    int again = OpenSphere_Networking_Listen((uint16_t)port, SOCK_STREAM);
    say(p, "ok (again: %s)", again < 0 ? err_name() : "ok");
    struct pollfd pf = {.fd = l, .events = POLLIN};
    if (poll(&pf, 1, 10000) == 1) {
        int c = accept(l, NULL, NULL);
        const char hello[] = "hello from the app\n";
        if (c >= 0 && write(c, hello, sizeof hello - 1) > 0)
            say(p, "accepted");
        if (c >= 0)
            close(c);
    }
    close(l);
}

static size_t keep(char *data, size_t size, size_t n, void *user)
{
    char *body = user;
    size_t have = strlen(body), add = size * n;
    if (have + add < 200) {
        memcpy(body + have, data, add);
        body[have + add] = '\0';
    }
    return add;
}

static void curl_probe(const char *p, const char *url, const char *host, int port, bool confine, const char *ca_file)
{
    CURL *c = curl_easy_init();
    struct OpenSphere_CurlConfinement conf = {0};
    char body[200] = "", ca[300];
    snprintf(ca, sizeof ca, "%s/%s", image_dir, ca_file);
    CURLcode rc = confine ? OpenSphere_Curl_Confine(c, &conf, host, (unsigned)port) : CURLE_OK;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    if (!rc)
        rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (rc)
        say(p, "curl-error %d %s", (int)rc, curl_easy_strerror(rc));
    else
        say(p, "ok %ld %s", code, strtok(body, "\n") ? body : "");
    OpenSphere_Curl_Release(&conf);
    curl_easy_cleanup(c);
}

static volatile sig_atomic_t terminated;
static void on_term(int s) { (void)s, terminated = 1; }

int main(int argc, char **argv)
{
    struct sigaction act = {.sa_handler = on_term};
    sigaction(SIGTERM, &act, NULL);
    snprintf(image_dir, sizeof image_dir, "%s", argv[0]); /* <image>/bin/app */
    for (int k = 0; k < 2 && strrchr(image_dir, '/'); k++)
        *strrchr(image_dir, '/') = '\0';
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (int i = 1; i < argc; i++) {
        char *p = argv[i], buf[256], *f[5] = {0};
        snprintf(buf, sizeof buf, "%s", p);
        char *save = NULL;
        /* split at ':' except inside a URL's "://" (curl probes put the URL first) */
        int nf = 0;
        if (!strncmp(buf, "curl:", 5) || !strncmp(buf, "plaincurl", 9)) {
            f[nf++] = strtok_r(buf, ":", &save);
            char *rest = save;
            char *last = strrchr(rest, ':');
            char *mid = last ? (*last = '\0', strrchr(rest, ':')) : NULL;
            if (mid && !strcmp(f[0], "curl")) {
                *mid = '\0';
                f[nf++] = rest, f[nf++] = mid + 1, f[nf++] = last + 1;
            } else {
                if (last)
                    *last = ':';
                f[nf++] = rest;
            }
        } else {
            for (char *t = strtok_r(buf, ":", &save); t && nf < 5; t = strtok_r(NULL, ":", &save))
                f[nf++] = t;
        }
        const char *what = f[0] ? f[0] : "";
        if (!strcmp(what, "mark")) {
            say(p, "ok");
        } else if (!strcmp(what, "ready")) {
            bool ready = false;
            int rc = Networking_IsNetworkingReady(&ready);
            rc < 0 ? say(p, "%s", err_name()) : say(p, "ok %s", ready ? "yes" : "no");
        } else if (!strcmp(what, "status")) {
            Networking_InterfaceConnectionStatus st = 0;
            int rc = Networking_GetInterfaceConnectionStatus("wlan0", &st);
            int bad = Networking_GetInterfaceConnectionStatus("wlan9", &st);
            rc < 0 ? say(p, "%s", err_name()) : say(p, "ok %u (wlan9: %s)", st, bad < 0 ? err_name() : "ok");
        } else if (!strcmp(what, "socket")) {
            try_socket(p, AF_INET, SOCK_STREAM, false);
        } else if (!strcmp(what, "socket6")) {
            try_socket(p, AF_INET6, SOCK_STREAM, false);
        } else if (!strcmp(what, "raw")) {
            try_socket(p, AF_INET, SOCK_RAW, false);
        } else if (!strcmp(what, "netlink")) {
            try_socket(p, AF_NETLINK, SOCK_RAW, false);
        } else if (!strcmp(what, "unix")) {
            try_socket(p, AF_UNIX, SOCK_STREAM, false);
        } else if (!strcmp(what, "plainsocket")) {
            try_socket(p, AF_INET, SOCK_STREAM, true);
        } else if (!strcmp(what, "plainsocket6")) {
            try_socket(p, AF_INET6, SOCK_STREAM, true);
        } else if (!strcmp(what, "plain") && nf == 3) {
            plain_probe(p, f[1], f[2]);
        } else if (!strcmp(what, "plainudp") && nf == 3) {
            plain_udp_probe(p, f[1], f[2]);
        } else if (!strcmp(what, "gai") && nf >= 3) {
            gai_probe(p, f[1], f[2], nf == 4 ? f[3] : "");
        } else if (!strcmp(what, "plainlisten") && nf == 2) {
            plain_listen_probe(p, atoi(f[1]));
        } else if (!strcmp(what, "reuse") && nf == 3) {
            reuse_probe(p, f[1], atoi(f[2]));
        } else if (!strcmp(what, "resolve") && nf == 2) {
            struct in_addr a[8];
            unsigned ttl = 0;
            int n = OpenSphere_Networking_Resolve(f[1], a, 8, &ttl);
            if (n < 0) {
                say(p, "%s", err_name());
                continue;
            }
            char list[200] = "";
            for (int k = 0; k < n; k++) {
                char t[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &a[k], t, sizeof t);
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? "," : "", t);
            }
            say(p, "ok %s ttl %u", list, ttl);
        } else if (!strcmp(what, "tcp") && nf == 3) {
            tcp(p, f[1], atoi(f[2]));
        } else if (!strcmp(what, "udp") && nf == 3) {
            int s = OpenSphere_Networking_Connect(addr_of(f[1]), (uint16_t)atoi(f[2]), SOCK_DGRAM);
            char in[128];
            if (s < 0 || udp_echo(s, "ping", in, sizeof in) < 0)
                say(p, "%s", err_name());
            else
                say(p, "ok %s", in);
            if (s >= 0)
                close(s);
        } else if (!strcmp(what, "sendto") && nf == 4) {
            int s = OpenSphere_Networking_Connect(addr_of(f[1]), (uint16_t)atoi(f[2]), SOCK_DGRAM);
            if (s < 0) {
                say(p, "%s", err_name());
                continue;
            }
            struct sockaddr_in other = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(f[2])), .sin_addr = addr_of(f[3])};
            ssize_t n = sendto(s, "sneaky", 6, 0, (struct sockaddr *)&other, sizeof other);
            say(p, "sendto %s", n < 0 ? err_name() : "sent");
            close(s);
        } else if (!strcmp(what, "ttl") && nf == 4) {
            struct in_addr a[8];
            int n = OpenSphere_Networking_Resolve(f[1], a, 8, NULL);
            int s1 = n > 0 ? OpenSphere_Networking_Connect(a[0], (uint16_t)atoi(f[2]), SOCK_STREAM) : -1;
            const char *first = s1 >= 0 ? "ok" : err_name();
            if (s1 >= 0)
                close(s1);
            sleep((unsigned)atoi(f[3]));
            int s2 = n > 0 ? OpenSphere_Networking_Connect(a[0], (uint16_t)atoi(f[2]), SOCK_STREAM) : -1;
            say(p, "first %s then %s", first, s2 >= 0 ? "ok" : err_name());
            if (s2 >= 0)
                close(s2);
        } else if (!strcmp(what, "race") && nf == 4) {
            race(p, f[1], f[2], atoi(f[3]));
        } else if (!strcmp(what, "listen") && nf == 2) {
            listen_probe(p, atoi(f[1]));
        } else if (!strcmp(what, "ulisten") && nf == 2) {
            int l = OpenSphere_Networking_Listen((uint16_t)atoi(f[1]), SOCK_DGRAM), again = -1;
            if (l < 0) {
                say(p, "%s", err_name());
            } else {
                again = OpenSphere_Networking_Listen((uint16_t)atoi(f[1]), SOCK_DGRAM);
                say(p, "ok (again: %s)", again < 0 ? err_name() : "ok");
                close(l);
            }
            if (again >= 0)
                close(again);
        } else if (!strcmp(what, "plainudpserve") && nf == 4) {
            plain_udp_serve_probe(p, atoi(f[1]), f[2], atoi(f[3]));
        } else if (!strcmp(what, "connect") && nf == 3) { /* plain connect() on a device-made socket */
            int s = OpenSphere_Networking_Connect(addr_of(f[1]), (uint16_t)atoi(f[2]), SOCK_STREAM);
            struct sockaddr_in other = {.sin_family = AF_INET, .sin_port = htons(8080), .sin_addr = addr_of("10.77.0.4")};
            struct sockaddr unspec = {.sa_family = AF_UNSPEC};
            int u = connect(s, &unspec, sizeof unspec);
            int u_errno = errno;
            int c = connect(s, (struct sockaddr *)&other, sizeof other);
            say(p, "unspec %s other %s", u < 0 ? strerrorname_np(u_errno) : "ok", c < 0 ? err_name() : "ok");
            if (s >= 0)
                close(s);
        } else if (!strcmp(what, "curl") && nf == 4) {
            curl_probe(p, f[1], f[2], atoi(f[3]), true, "ca.pem");
        } else if (!strcmp(what, "plaincurl") && nf == 2) {
            curl_probe(p, f[1], NULL, 0, false, "ca.pem");
        } else if (!strcmp(what, "plaincurlbadca") && nf == 2) {
            curl_probe(p, f[1], NULL, 0, false, "badca.pem");
        } else {
            say(p, "unknown probe");
        }
    }
    say("done", "ok");
    curl_global_cleanup();
    while (!terminated)
        pause();
    return 0;
}
