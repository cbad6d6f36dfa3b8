/* SPDX-License-Identifier: MIT */
/* mqttprobe.c — an unmodified libmosquitto client as a confined app (tests/cli/test_network.sh).
 * libmosquitto resolves and connects with plain getaddrinfo()/socket()/connect(), which land in
 * libapplibs' interposers (docs/network.md, "Plain sockets").
 * Arguments: HOST PORT [HOST2 PORT2]. The first broker: connect, start the loop thread, subscribe
 * to "opensphere/in"; each message received there is logged and answered on "opensphere/out" as
 * "reply:<payload>". Then HOST2:PORT2 (if given): a connect attempt only.
 * Log lines ("NET mqtt:HOST:PORT <what>"): "connected", "subscribed", "got <payload>",
 * "published", or "connect-failed <mosquitto error> errno <ERRNO>"; then the app waits for SIGTERM. */
#define _GNU_SOURCE
#include <errno.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char first[128];

static void say(const char *probe, const char *what)
{
    printf("NET mqtt:%s %s\n", probe, what);
    fflush(stdout);
}

static void on_connect(struct mosquitto *m, void *user, int rc)
{
    (void)user;
    if (rc) {
        char text[80];
        snprintf(text, sizeof text, "connack %d", rc);
        say(first, text);
        return;
    }
    mosquitto_subscribe(m, NULL, "opensphere/in", 1);
}

static void on_subscribe(struct mosquitto *m, void *user, int mid, int count, const int *granted)
{
    (void)m, (void)user, (void)mid, (void)count, (void)granted;
    say(first, "subscribed");
}

static void on_message(struct mosquitto *m, void *user, const struct mosquitto_message *msg)
{
    (void)user;
    char text[200], reply[200];
    snprintf(text, sizeof text, "got %.*s", msg->payloadlen, (const char *)msg->payload);
    say(first, text);
    int n = snprintf(reply, sizeof reply, "reply:%.*s", msg->payloadlen, (const char *)msg->payload);
    if (mosquitto_publish(m, NULL, "opensphere/out", n, reply, 1, false) == MOSQ_ERR_SUCCESS)
        say(first, "published");
}

static const char *err_name(int e) { return strerrorname_np(e) ? strerrorname_np(e) : "E?"; }

/* Returns the connected client or NULL (after logging why). */
static struct mosquitto *connect_to(const char *host, int port, const char *probe)
{
    struct mosquitto *m = mosquitto_new(NULL, true, NULL);
    if (!m) {
        say(probe, "mosquitto_new failed");
        return NULL;
    }
    errno = 0;
    int rc = mosquitto_connect(m, host, port, 30);
    int e = errno;
    if (rc != MOSQ_ERR_SUCCESS) {
        char text[160];
        snprintf(text, sizeof text, "connect-failed %s errno %s", mosquitto_strerror(rc),
                 rc == MOSQ_ERR_ERRNO ? err_name(e) : "-");
        say(probe, text);
        mosquitto_destroy(m);
        return NULL;
    }
    say(probe, "connected");
    return m;
}

static volatile sig_atomic_t terminated;
static void on_term(int s) { (void)s, terminated = 1; }

int main(int argc, char **argv)
{
    struct sigaction act = {.sa_handler = on_term};
    sigaction(SIGTERM, &act, NULL);
    mosquitto_lib_init();
    struct mosquitto *m = NULL;
    if (argc >= 3) {
        snprintf(first, sizeof first, "%s:%s", argv[1], argv[2]);
        m = connect_to(argv[1], atoi(argv[2]), first);
        if (m) {
            mosquitto_connect_callback_set(m, on_connect);
            mosquitto_subscribe_callback_set(m, on_subscribe);
            mosquitto_message_callback_set(m, on_message);
            /* mosquitto_connect sent CONNECT already; the loop thread reads CONNACK and calls
             * on_connect, which subscribes. */
            if (mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS)
                say(first, "loop_start failed");
        }
    }
    if (argc >= 5) {
        char second[128];
        snprintf(second, sizeof second, "%s:%s", argv[3], argv[4]);
        struct mosquitto *m2 = connect_to(argv[3], atoi(argv[4]), second);
        if (m2) {
            mosquitto_disconnect(m2);
            mosquitto_destroy(m2);
        }
    }
    printf("NET done ok\n");
    fflush(stdout);
    while (!terminated)
        pause();
    if (m) {
        mosquitto_disconnect(m);
        mosquitto_loop_stop(m, false);
        mosquitto_destroy(m);
    }
    mosquitto_lib_cleanup();
    return 0;
}
