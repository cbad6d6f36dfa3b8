/* test_net.c — the device's network rules (src/runtime/net.c): static hosts, resolving only
 * listed names, answers per app with TTL expiry, literals, refusals before any packet, connects
 * to a local listener, the UDP relay, server ports. Only 127.0.0.1 is contacted. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

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

/* A TCP port free right now (so parallel runs of this test do not collide). */
static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in at = {.sin_family = AF_INET};
    socklen_t len = sizeof at;
    assert_int_equal(bind(s, (struct sockaddr *)&at, sizeof at), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&at, &len), 0);
    close(s);
    return ntohs(at.sin_port);
}

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hosts_table),
        cmocka_unit_test(resolve_and_ttl),
        cmocka_unit_test(connect_and_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
