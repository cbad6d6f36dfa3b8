/* SPDX-License-Identifier: MIT */
/* test_net.c — the device's network rules (src/runtime/net.c): static hosts, resolving only
 * listed names, answers per app with TTL expiry, literals, refusals before any packet, connects
 * to a local listener, the UDP relay, TCP and UDP server ports. Only 127.0.0.1 is contacted. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker.h"
#include "diag.h"
#include "net.h"

static struct json_value *manifest(const char *caps)
{
    char text[512];
    snprintf(text, sizeof text, "{\"Capabilities\":%s}", caps);
    struct json_value *j = NULL;
    struct diag_list diags = {0};
    assert_int_equal(json_parse(text, strlen(text), NULL, "m", &diags, &j), 0);
    diag_list_free(&diags);
    return j;
}

static uint32_t ip(const char *text)
{
    struct in_addr a;
    assert_int_equal(inet_pton(AF_INET, text, &a), 1);
    return a.s_addr;
}

static void hosts_table(void **state)
{
    (void)state;
    net_hosts_clear();
    assert_int_equal(net_hosts_add("a.test", "10.0.0.1", 5), 0);
    assert_int_equal(net_hosts_add("A.test", "10.0.0.1", 7), 0); /* same entry, new TTL */
    assert_int_equal(net_hosts_add("a.test", "10.0.0.2", 5), 0);
    assert_int_equal(net_hosts_add("bad_name", "10.0.0.1", 5), -EINVAL);
    assert_int_equal(net_hosts_add("b.test", "10.0.0", 5), -EINVAL);
    assert_int_equal(net_hosts_add("b.test", "::1", 5), -EINVAL);
    assert_int_equal(net_hosts_add("b.test", "10.0.0.1", 0), -EINVAL);
    struct json_value *list = net_hosts_json();
    assert_non_null(list);
    assert_int_equal(list->u.array.count, 2);
    json_free(list);
    assert_int_equal(net_hosts_remove("A.TEST"), 0);
    assert_int_equal(net_hosts_remove("a.test"), -ENOENT);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The table kept in a file: loaded at open, saved on each change, a change that cannot be saved
 * undone, and a bad file refused with its path, JSON path and reason. */
static void hosts_kept_in_a_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_net.XXXXXX", path[64], why[256] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/hosts.json", dir);
    net_hosts_clear();
    assert_int_equal(net_hosts_open(path, why, sizeof why), 0); /* no file yet: empty */
    assert_int_equal(net_hosts_add("a.test", "10.0.0.1", 5), 0);
    assert_int_equal(net_hosts_add("b.test", "10.0.0.2", 9), 0);
    assert_int_equal(net_hosts_remove("b.test"), 0);
    net_hosts_clear(); /* a device restart */
    assert_int_equal(net_hosts_open(path, why, sizeof why), 0);
    struct json_value *list = net_hosts_json();
    assert_int_equal(list->u.array.count, 1);
    assert_string_equal(json_object_get(list->u.array.items[0], "name")->u.string.chars, "a.test");
    assert_int_equal(json_object_get(list->u.array.items[0], "ttl")->u.number.integer, 5);
    json_free(list);

    /* the folder is gone: the change cannot be saved, so it does not happen */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_true(net_hosts_add("c.test", "10.0.0.3", 5) < 0);
    assert_true(net_hosts_remove("a.test") < 0);
    list = net_hosts_json();
    assert_int_equal(list->u.array.count, 1);
    json_free(list);

    static const struct {
        const char *text, *why;
        int err;
    } bad[] = {
        {"[{\"name\":\"a.test\",\"address\":\"10.0.0\",\"ttl\":5}]", "[0].address must be an IPv4 address", -EINVAL},
        {"[{\"name\":\"a.test\",\"address\":\"10.0.0.1\",\"ttl\":5},{\"name\":\"b_c\",\"address\":\"10.0.0.1\",\"ttl\":5}]",
         "[1].name must be a host name", -EINVAL},
        {"[{\"name\":\"a.test\",\"address\":\"10.0.0.1\",\"ttl\":0}]", "[0].ttl must be an integer from 1", -EINVAL},
        {"[{\"name\":\"a.test\",\"address\":\"10.0.0.1\"}]", "[0].ttl must be", -EINVAL},
        {"[7]", "[0] must be an object", -EINVAL},
        {"{\"name\":\"a.test\"}", "(top level) must be an array", -EINVAL},
        {"[{\"name\":", "line 1, column", -EINVAL},
    };
    snprintf(dir, sizeof dir, "/tmp/test_net.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/hosts.json", dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(path, bad[i].text);
        why[0] = '\0';
        assert_int_equal(net_hosts_open(path, why, sizeof why), bad[i].err);
        assert_non_null(strstr(why, path));
        if (!strstr(why, bad[i].why))
            fail_msg("%s: got \"%s\", want \"%s\"", bad[i].text, why, bad[i].why);
    }
    list = net_hosts_json(); /* a refused file leaves the table as it was */
    assert_int_equal(list->u.array.count, 1);
    json_free(list);
    unlink(path);
    rmdir(dir);
    net_hosts_clear();
}

static void resolve_and_ttl(void **state)
{
    (void)state;
    net_hosts_clear();
    struct json_value *m = manifest("{\"AllowedConnections\":[\"multi.test\",\"short.test\",\"10.1.1.1\"]}");
    assert_int_equal(net_hosts_add("multi.test", "10.0.0.2", 300), 0);
    assert_int_equal(net_hosts_add("multi.test", "10.0.0.3", 300), 0);
    assert_int_equal(net_hosts_add("short.test", "10.0.0.5", 1), 0);
    assert_int_equal(net_hosts_add("evil.test", "10.0.0.4", 300), 0);
    uint32_t addrs[8];
    size_t n;
    unsigned ttl;
    assert_false(net_connect_allowed("app1", m, ip("10.0.0.2")));
    assert_true(net_connect_allowed("app1", m, ip("10.1.1.1")));  /* a literal */
    assert_false(net_connect_allowed("app1", m, ip("10.1.1.2")));
    assert_int_equal(net_resolve("app1", m, "evil.test", addrs, 8, &n, &ttl), -EACCES);
    assert_int_equal(net_resolve("app1", m, "no such!", addrs, 8, &n, &ttl), -EINVAL);
    assert_int_equal(net_resolve("app1", m, "MULTI.test", addrs, 8, &n, &ttl), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ttl, 300);
    assert_true(net_connect_allowed("app1", m, ip("10.0.0.2")));
    assert_true(net_connect_allowed("app1", m, ip("10.0.0.3")));
    assert_false(net_connect_allowed("app2", m, ip("10.0.0.3"))); /* answers are per app */
    assert_false(net_connect_allowed("app1", m, ip("10.0.0.4")));
    assert_int_equal(net_resolve("app1", m, "short.test", addrs, 8, &n, &ttl), 0);
    assert_int_equal(ttl, 1);
    assert_true(net_connect_allowed("app1", m, ip("10.0.0.5")));
    usleep(1100 * 1000);
    assert_false(net_connect_allowed("app1", m, ip("10.0.0.5")));
    assert_true(net_connect_allowed("app1", m, ip("10.0.0.2")));
    /* A manifest that no longer lists the name does not keep its answers usable. */
    struct json_value *other = manifest("{\"AllowedConnections\":[]}");
    assert_false(net_connect_allowed("app1", other, ip("10.0.0.2")));
    net_forget("app1");
    assert_false(net_connect_allowed("app1", m, ip("10.0.0.2")));
    json_free(other);
    json_free(m);
}

/* The broker's connect, waiting as long as the device would (begin, then finish up to the
 * device's timeout). */
static int net_connect(const char *cid, const struct json_value *m, uint32_t addr, int port, int type, int *fd)
{
    int sock;
    int err = net_connect_begin(cid, m, addr, port, type, &sock);
    if (!err && (err = net_connect_finish(sock, type, NET_CONNECT_TIMEOUT_MS, fd)) == -EINPROGRESS) {
        close(sock);
        err = -ETIMEDOUT;
    }
    return err;
}

/* A port of that type (SOCK_STREAM or SOCK_DGRAM) free right now (so parallel runs of this test
 * do not collide). */
static int free_port_of(int type)
{
    int s = socket(AF_INET, type, 0);
    struct sockaddr_in at = {.sin_family = AF_INET};
    socklen_t len = sizeof at;
    assert_int_equal(bind(s, (struct sockaddr *)&at, sizeof at), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&at, &len), 0);
    close(s);
    return ntohs(at.sin_port);
}

static int free_port(void) { return free_port_of(SOCK_STREAM); }

static void connect_and_listen(void **state)
{
    (void)state;
    int server_port = free_port();
    char caps[128];
    snprintf(caps, sizeof caps, "{\"AllowedConnections\":[\"127.0.0.1\"],\"AllowedTcpServerPorts\":[0,%d]}", server_port);
    struct json_value *m = manifest(caps);
    int l = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof at;
    assert_int_equal(bind(l, (struct sockaddr *)&at, sizeof at), 0);
    assert_int_equal(listen(l, 4), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&at, &len), 0);
    int port = ntohs(at.sin_port), fd = -1;
    assert_int_equal(net_connect("app1", m, ip("127.0.0.2"), port, SOCK_STREAM, &fd), -EACCES);
    assert_int_equal(net_connect("app1", m, ip("127.0.0.1"), 0, SOCK_STREAM, &fd), -EINVAL);
    assert_int_equal(net_connect("app1", m, ip("127.0.0.1"), port, SOCK_RAW, &fd), -EINVAL);
    assert_int_equal(net_connect("app1", m, ip("127.0.0.1"), port, SOCK_STREAM, &fd), 0);
    int c = accept(l, NULL, NULL);
    assert_true(c >= 0);
    assert_int_equal(write(fd, "hi", 2), 2);
    char buf[8] = "";
    assert_int_equal(read(c, buf, sizeof buf), 2);
    close(c), close(fd);

    /* UDP: the app's end is a SEQPACKET socket; the relay sends to the peer and back. */
    at.sin_port = 0;
    assert_int_equal(bind(u, (struct sockaddr *)&at, sizeof at), 0);
    len = sizeof at;
    assert_int_equal(getsockname(u, (struct sockaddr *)&at, &len), 0);
    assert_int_equal(net_connect("app1", m, ip("127.0.0.1"), ntohs(at.sin_port), SOCK_DGRAM, &fd), 0);
    int type = 0;
    len = sizeof type;
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
    assert_int_equal(type, SOCK_SEQPACKET);
    assert_int_equal(send(fd, "ping", 4, 0), 4);
    struct sockaddr_in from;
    len = sizeof from;
    assert_int_equal(recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 4);
    assert_int_equal(sendto(u, "pong", 4, 0, (struct sockaddr *)&from, len), 4);
    memset(buf, 0, sizeof buf);
    assert_int_equal(recv(fd, buf, sizeof buf, 0), 4);
    assert_string_equal(buf, "pong");
    close(fd); /* the relay thread ends */
    close(u), close(l);

    assert_int_equal(net_listen(m, server_port == 65535 ? 1 : server_port + 1, SOCK_STREAM, &fd), -EACCES);
    assert_int_equal(net_listen(m, server_port, SOCK_DGRAM, &fd), -EACCES);
    assert_int_equal(net_listen(m, 70000, SOCK_STREAM, &fd), -EINVAL);
    assert_int_equal(net_listen(m, server_port, SOCK_STREAM, &fd), 0);
    int again = -1;
    assert_int_equal(net_listen(m, server_port, SOCK_STREAM, &again), -EADDRINUSE);
    close(fd);
    json_free(m);
}

/* Waits up to ms for a message on fd; its length, or -1 when none came. */
static ssize_t receive_within_ms(int fd, void *buf, size_t size, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1)
        return -1;
    return recv(fd, buf, size, MSG_DONTWAIT);
}

static ssize_t receive_within(int fd, void *buf, size_t size) { return receive_within_ms(fd, buf, size, 2000); }

static int bound_udp(struct sockaddr_in *at)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    *at = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *at;
    assert_int_equal(bind(s, (struct sockaddr *)at, sizeof *at), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)at, &len), 0);
    return s;
}

/* A UDP server on a free port that the returned manifest lists; *fd is the app's end. */
static struct json_value *udp_server(int *port, int *fd)
{
    *port = free_port_of(SOCK_DGRAM);
    char caps[128];
    snprintf(caps, sizeof caps, "{\"AllowedUdpServerPorts\":[%d]}", *port);
    struct json_value *m = manifest(caps);
    assert_int_equal(net_listen(m, *port, SOCK_DGRAM, fd), 0);
    return m;
}

/* A UDP server port: datagrams arrive with their source; the app's go only to peers that sent. */
static void udp_server_answers_only_its_peers(void **state)
{
    (void)state;
    int port, fd, again = -1;
    struct json_value *m = udp_server(&port, &fd);
    assert_int_equal(net_listen(m, port, SOCK_DGRAM, &again), -EADDRINUSE); /* a second app */
    assert_int_equal(net_listen(m, port == 65535 ? 1 : port + 1, SOCK_DGRAM, &again), -EACCES);

    struct sockaddr_in client_at, stranger_at;
    int client = bound_udp(&client_at), stranger = bound_udp(&stranger_at);
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(sendto(client, "hello", 5, 0, (struct sockaddr *)&server, sizeof server), 5);
    unsigned char msg[64];
    assert_int_equal(receive_within(fd, msg, sizeof msg), BROKER_UDP_HEADER_SIZE + 5);
    struct broker_udp_header h;
    memcpy(&h, msg, sizeof h);
    assert_int_equal(h.addr, client_at.sin_addr.s_addr);
    assert_int_equal(h.port, client_at.sin_port);
    assert_memory_equal(msg + BROKER_UDP_HEADER_SIZE, "hello", 5);

    /* an answer to the client arrives; one to a stranger, and a runt message, are dropped */
    assert_int_equal(send(fd, "abc", 3, 0), 3);
    memcpy(msg, &h, sizeof h);
    memcpy(msg + BROKER_UDP_HEADER_SIZE, "re:hello", 8);
    assert_int_equal(send(fd, msg, BROKER_UDP_HEADER_SIZE + 8, 0), BROKER_UDP_HEADER_SIZE + 8);
    struct broker_udp_header to_stranger = {.addr = stranger_at.sin_addr.s_addr, .port = stranger_at.sin_port};
    memcpy(msg, &to_stranger, sizeof to_stranger);
    assert_int_equal(send(fd, msg, BROKER_UDP_HEADER_SIZE + 8, 0), BROKER_UDP_HEADER_SIZE + 8);
    char reply[16] = "";
    assert_int_equal(receive_within(client, reply, sizeof reply), 8);
    assert_memory_equal(reply, "re:hello", 8);
    assert_int_equal(receive_within_ms(stranger, reply, sizeof reply, 300), -1);

    /* once the stranger has sent, it may be answered */
    assert_int_equal(sendto(stranger, "hi", 2, 0, (struct sockaddr *)&server, sizeof server), 2);
    assert_int_equal(receive_within(fd, msg, sizeof msg), BROKER_UDP_HEADER_SIZE + 2);
    memcpy(msg, &to_stranger, sizeof to_stranger);
    memcpy(msg + BROKER_UDP_HEADER_SIZE, "yes", 3);
    assert_int_equal(send(fd, msg, BROKER_UDP_HEADER_SIZE + 3, 0), BROKER_UDP_HEADER_SIZE + 3);
    assert_int_equal(receive_within(stranger, reply, sizeof reply), 3);

    /* closing the app's end frees the port */
    close(fd);
    int rc = -1;
    for (int i = 0; i < 200 && rc != 0; i++) {
        rc = net_listen(m, port, SOCK_DGRAM, &fd);
        if (rc)
            usleep(10000);
    }
    assert_int_equal(rc, 0);
    close(fd), close(client), close(stranger);
    json_free(m);
}

/* The table holds NET_UDP_PEERS peers: one more, and the one heard from longest ago cannot be
 * answered until it sends again. */
static void udp_server_forgets_the_oldest_peer(void **state)
{
    (void)state;
    int port, fd;
    struct json_value *m = udp_server(&port, &fd);
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int peers[NET_UDP_PEERS + 1];
    struct sockaddr_in at[NET_UDP_PEERS + 1];
    unsigned char msg[64];
    for (int i = 0; i <= NET_UDP_PEERS; i++) {
        peers[i] = bound_udp(&at[i]);
        assert_int_equal(sendto(peers[i], "x", 1, 0, (struct sockaddr *)&server, sizeof server), 1);
        assert_int_equal(receive_within(fd, msg, sizeof msg), BROKER_UDP_HEADER_SIZE + 1); /* in order */
    }
    char reply[8];
    for (int i = 0; i <= 1; i++) { /* peer 0 was replaced by the last one; peer 1 is still known */
        struct broker_udp_header h = {.addr = at[i].sin_addr.s_addr, .port = at[i].sin_port};
        memcpy(msg, &h, sizeof h);
        msg[sizeof h] = 'y';
        assert_int_equal(send(fd, msg, sizeof h + 1, 0), (ssize_t)sizeof h + 1);
    }
    assert_int_equal(receive_within(peers[1], reply, sizeof reply), 1);
    assert_int_equal(receive_within_ms(peers[0], reply, sizeof reply, 300), -1);
    for (int i = 0; i <= NET_UDP_PEERS; i++)
        close(peers[i]);
    close(fd);
    json_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hosts_table),
        cmocka_unit_test(hosts_kept_in_a_file),
        cmocka_unit_test(resolve_and_ttl),
        cmocka_unit_test(connect_and_listen),
        cmocka_unit_test(udp_server_answers_only_its_peers),
        cmocka_unit_test(udp_server_forgets_the_oldest_peer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
