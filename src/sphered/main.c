/* SPDX-License-Identifier: MIT */
/* main.c — `sphered --state DIR [--attach]`: one simulated device. Opens (and recovers) the
 * device's state, serves its REST API on DIR/rest.sock and on https://127.0.0.1:<port> (with
 * --attach, as root, also on https://192.168.35.N:443 and runs the device-connection service;
 * docs/device.md), writes DIR/sphered.pid once all listen, and runs until SIGTERM or SIGINT. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applog.h"
#include "board.h"
#include "certstore_store.h"
#include "cloudagent.h"
#include "device.h"
#include "hostio.h"
#include "net.h"
#include "path.h"
#include "rest.h"
#include "runtime.h"
#include "netcfg_device.h"
#include "wifi_device.h"

/* POST /restart: the main thread restarts the application runtime (SIGUSR2). */
static void request_restart(void *ctx)
{
    kill(getpid(), SIGUSR2);
}

/* The Wi-Fi model's view of the certificate store (EAP-TLS networks): the device's one store in
 * its state folder, shared with the broker and the REST API. */
static int wifi_cert_kind(void *state_dir, const char *id)
{
    struct certstore *cs;
    char why[256];
    if (certstore_shared(state_dir, &cs, why, sizeof why) != 0)
        return -ENOENT;
    int kind = certstore_kind(cs, id);
    if (kind == CERTSTORE_ROOT_CA)
        return WIFI_CERT_KIND_ROOT_CA;
    return kind == CERTSTORE_CLIENT ? WIFI_CERT_KIND_CLIENT : -ENOENT;
}

static int usage(void)
{
    fprintf(stderr, "usage: sphered --state DIR [--sdk DIR] [--no-https] [--attach] [--cloud URL [--cloud-interval SECONDS]]\n");
    return 2;
}


/* device_restart's listener: a restart checks in with the cloud, as a reboot does. */
static void on_restart(void *agent) { cloudagent_check_now(agent); }

int main(int argc, char **argv)
{
    const char *state = NULL, *sdk_arg = NULL, *cloud = NULL;
    unsigned cloud_interval = 60;
    bool https = true, attach = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--state") && i + 1 < argc)
            state = argv[++i];
        else if (!strcmp(argv[i], "--sdk") && i + 1 < argc)
            sdk_arg = argv[++i];
        else if (!strcmp(argv[i], "--cloud") && i + 1 < argc)
            cloud = argv[++i];
        else if (!strcmp(argv[i], "--cloud-interval") && i + 1 < argc)
            cloud_interval = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--no-https"))
            https = false;
        else if (!strcmp(argv[i], "--attach"))
            attach = true;
        else
            return usage();
    }
    if (!state)
        return usage();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1); /* check in with the cloud now */
    sigaddset(&set, SIGUSR2); /* POST /restart: every app restarts */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char *sdk = sdk_arg ? strdup(sdk_arg) : hostio_sdk_dir();
    char why[512] = "";
    struct device *d = NULL;
    int err = device_open(state, sdk, &d, why, sizeof why);
    free(sdk);
    if (err) {
        fprintf(stderr, "sphered: %s\n", why[0] ? why : strerror(-err));
        return 1;
    }
    struct rest_attachment *attachment = NULL;
    struct rest_devsvc *devsvc = NULL;
    char *key = NULL, *cert = NULL;
    if (attach && (err = rest_attach(state, &attachment, why, sizeof why)) != 0)
        fprintf(stderr, "sphered: cannot attach: %s\n", why);
    if (!err && (https || attach) &&
        (err = rest_tls_load(state, attachment ? rest_attached_address(attachment) : NULL, &key, &cert, why, sizeof why)))
        fprintf(stderr, "sphered: %s\n", why);
    char *sock = path_join(state, "rest.sock");
    struct rest_server *server = NULL;
    struct board *board = NULL;
    struct applog *log = NULL;
    struct runtime *runtime = NULL;
    if (!err && (board_create(&board) || applog_create(&log))) {
        fprintf(stderr, "sphered: cannot create the board model\n");
        err = -ENOMEM;
    }
    if (!err && (err = board_load(board, state, why, sizeof why)) != 0) /* <state>/board.json or the default */
        fprintf(stderr, "sphered: the board file: %s\n", why);
    char *hosts = err ? NULL : path_join(state, "hosts.json"); /* the resolver's static hosts */
    if (!err && (err = hosts ? net_hosts_open(hosts, why, sizeof why) : -ENOMEM) != 0)
        fprintf(stderr, "sphered: the static hosts file: %s\n", why);
    free(hosts);
    const struct wifi_ops wifi_certs = {.cert_kind = wifi_cert_kind, .ctx = (void *)state};
    if (!err && (err = wifi_device_open(state, &wifi_certs, why, sizeof why)) != 0) /* wifi.json, wifi-aps.json */
        fprintf(stderr, "sphered: the Wi-Fi state: %s\n", why);
    if (!err && (err = netcfg_device_open(state, why, sizeof why)) != 0) /* netcfg.json; eth0 from board.json */
        fprintf(stderr, "sphered: the network configuration: %s\n", why);
    if (!err && https && (!key || !cert)) {
        fprintf(stderr, "sphered: %s has no tls.key.pem / tls.cert.pem\n", state);
        err = -ENOENT;
    } else if (!err) {
        err = rest_start(d, sock, https ? device_https_port(d) : 0, key, cert, &server, why, sizeof why);
        if (err)
            fprintf(stderr, "sphered: %s\n", why);
    }
    if (!err && attachment) {
        err = rest_serve_attached(server, rest_attached_address(attachment), 443, key, cert, why, sizeof why);
        if (!err)
            err = rest_devsvc_start(state, REST_DEVSVC_PORT, &devsvc);
        if (err)
            fprintf(stderr, "sphered: attached mode: %s\n", why[0] ? why : strerror(-err));
        else
            fprintf(stderr, "sphered: attached at https://%s (device-connection service 127.0.0.1:%d)\n",
                    rest_attached_address(attachment), REST_DEVSVC_PORT);
    }
    if (!err) {
        rest_attach_simulator(server, board, log);
        rest_on_restart(server, request_restart, NULL);
        char *run = path_join(state, "run");
        struct runtime_config cfg = {.run_dir = run, .memory_limit_kb = device_memory_limit_kb(d)};
        err = run ? runtime_start(d, board, log, &cfg, &runtime, why, sizeof why) : -ENOMEM;
        if (err)
            fprintf(stderr, "sphered: cannot start the application runtime: %s\n", why);
        free(run);
    }
    if (!err) {
        char pid[32];
        snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        char *pid_path = path_join(state, "sphered.pid");
        if (pid_path)
            hostio_write_file_atomic(pid_path, pid, strlen(pid), 0644);
        fprintf(stderr, "sphered: device %.16s... serving %s%s\n", device_id_text(d), sock, https ? " and HTTPS" : "");
        struct cloudagent *agent = NULL;
        if (cloud && cloudagent_start(d, cloud, cloud_interval, &agent, why, sizeof why) != 0)
            fprintf(stderr, "sphered: no cloud updates: %s\n", why);
        if (agent) /* `device restart` checks for updates, as a reboot does */
            device_set_restart_listener(d, on_restart, agent);
        int sig = 0;
        while (sigwait(&set, &sig) == 0 && (sig == SIGUSR1 || sig == SIGUSR2)) {
            if (sig == SIGUSR1 && agent)
                cloudagent_check_now(agent);
            if (sig == SIGUSR2) { /* a reboot: the apps end at once and start again */
                runtime_stop(runtime);
                runtime = NULL;
                char *run = path_join(state, "run");
                struct runtime_config cfg = {.run_dir = run, .memory_limit_kb = device_memory_limit_kb(d)};
                if (!run || runtime_start(d, board, log, &cfg, &runtime, why, sizeof why) != 0)
                    fprintf(stderr, "sphered: the application runtime did not come back after a restart: %s\n",
                            run ? why : "out of memory");
                else
                    fprintf(stderr, "sphered: restarted (every app started again)\n");
                free(run);
            }
        }
        device_set_restart_listener(d, NULL, NULL);
        cloudagent_stop(agent);
        fprintf(stderr, "sphered: stopping (signal %d)\n", sig);
        rest_stop(server);
        server = NULL;
        runtime_stop(runtime);
        runtime = NULL;
        if (pid_path)
            unlink(pid_path);
        free(pid_path);
    }
    rest_stop(server);
    runtime_stop(runtime);
    rest_devsvc_stop(devsvc);
    rest_detach(attachment);
    board_destroy(board);
    applog_destroy(log);
    free(sock);
    free(key);
    free(cert);
    wifi_device_close();
    netcfg_device_close();
    device_close(d);
    return err ? 1 : 0;
}
