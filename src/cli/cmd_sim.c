/* SPDX-License-Identifier: MIT */
/* cmd_sim.c — `sphere sim create|start|stop|delete|list`: manage simulated devices. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "deviceauth_issue.h"
#include "device.h"
#include "error.h"
#include "hostio.h"
#include "json.h"
#include "path.h"
#include "simhome.h"
#include "cloudagent.h"
#include "cmd_cloud.h"

/* A free loopback TCP port (the kernel's choice). */
static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    uint16_t port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Resolves NAME to its state folder, checking that it exists. */
static int device_dir(const char *name, char **home, char **dir)
{
    *home = *dir = NULL;
    if (!simhome_valid_name(name))
        return cli_error("'%s' is not a valid device name (1-64 of A-Z a-z 0-9 . _ -)", name);
    if (!(*home = simhome_dir()))
        return CLI_EXIT_FAILED;
    *dir = simhome_device_dir(*home, name);
    struct stat st;
    if (!*dir || stat(*dir, &st) != 0)
        return cli_error("there is no simulated device '%s' (create it with 'sphere sim create %s')", name, name);
    return CLI_EXIT_OK;
}

static int run_create(const struct cli_invocation *inv)
{
    const char *name = inv->args[0];
    if (!simhome_valid_name(name))
        return cli_error("'%s' is not a valid device name (1-64 of A-Z a-z 0-9 . _ -)", name);
    const char *os = cli_value(inv, "os-version"), *quota = cli_value(inv, "quota-kb");
    const char *port_text = cli_value(inv, "https-port");
    char *end = NULL;
    long quota_kb = quota ? strtol(quota, &end, 10) : 1024;
    if (quota && (*end || quota_kb < 64 || quota_kb > 65536))
        return cli_error("--quota-kb must be from 64 to 65536, not '%s'", quota);
    const char *limit_text = cli_value(inv, "memory-limit-kb");
    long limit_kb = limit_text ? strtol(limit_text, &end, 10) : 256;
    if (limit_text && (*end || limit_kb < 16 || limit_kb > 1048576))
        return cli_error("--memory-limit-kb must be from 16 to 1048576, not '%s'", limit_text);
    long port = port_text ? strtol(port_text, &end, 10) : 0;
    if (port_text && (*end || port < 1024 || port > 65535))
        return cli_error("--https-port must be from 1024 to 65535, not '%s'", port_text);
    char *home = simhome_dir();
    if (!home)
        return CLI_EXIT_FAILED;
    int rc = simhome_ensure_keys(home);
    char *dir = simhome_device_dir(home, name);
    char why[512] = "";
    if (!rc) {
        struct device_config cfg = {.os_version = os, .quota_bytes = (size_t)quota_kb * 1024,
                                    .https_port = port ? (uint16_t)port : free_port(), .trust_dir = home,
                                    .memory_limit_kb = (unsigned)limit_kb};
        int err = device_create(dir, &cfg, why, sizeof why);
        if (err == -EEXIST)
            rc = cli_error("a simulated device '%s' already exists", name);
        else if (err)
            rc = cli_error("cannot create '%s': %s", name, why);
    }
    if (!rc && cli_value(inv, "board") && (rc = cli_sim_store_board(cli_value(inv, "board"), dir)) != 0)
        hostio_remove_tree(dir); /* cmd_sim_board.c: checked, copied to <state>/board.json */
    if (!rc) {
        struct device *d = NULL;
        char *sdk = hostio_sdk_dir();
        if (device_open(dir, sdk, &d, why, sizeof why) == 0) {
            /* the security service issues the device its authentication certificate (docs/deviceauth.md) */
            if (deviceauth_provision(home, dir, device_id_text(d), why, sizeof why))
                rc = cli_error("cannot give '%s' its device certificate: %s", name, why);
            if (!rc && cli_value(inv, "cloud")) /* a device token from the user's tenant, kept in its state */
                rc = cloudcli_provision_sim(dir, device_id_text(d), cli_value(inv, "cloud"), cli_value(inv, "cloud-ca"));
            if (inv->output == CLI_OUTPUT_JSON)
                printf("{\"name\":\"%s\",\"deviceId\":\"%s\",\"httpsPort\":%u,\"stateDirectory\":\"%s\"}\n", name,
                       device_id_text(d), device_https_port(d), dir);
            else
                printf("Created simulated device '%s'\n  Device ID:  %s\n  HTTPS:      https://127.0.0.1:%u\n"
                       "  State:      %s\nStart it with 'sphere sim start %s'.\n",
                       name, device_id_text(d), device_https_port(d), dir, name);
            device_close(d);
        } else {
            rc = cli_error("created '%s' but cannot open it: %s", name, why);
        }
        free(sdk);
    }
    free(dir);
    free(home);
    return rc;
}

static bool socket_answers(const char *dir)
{
    char *sock = path_join(dir, "rest.sock");
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    bool ok = false;
    if (sock && strlen(sock) < sizeof a.sun_path) {
        strcpy(a.sun_path, sock);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0)
            close(fd);
    }
    free(sock);
    return ok;
}

/* Starts sphered for `dir` in the background and waits until it answers. */
static int start_daemon(const char *name, const char *dir, bool attach)
{
    if (simhome_running_pid(dir))
        return cli_error("simulated device '%s' is already running", name);
    char *exe = cli_sibling_exe("sphered"), *log = path_join(dir, "sphered.log"), *cloud = cloudagent_stored_url(dir);
    if (!exe || !log) {
        free(exe), free(log);
        return cli_error("out of memory");
    }
    pid_t child = fork();
    if (child == 0) {
        setsid();
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int null = open("/dev/null", O_RDONLY);
        if (fd >= 0)
            dup2(fd, 1), dup2(fd, 2);
        if (null >= 0)
            dup2(null, 0);
        if (fork() == 0) {
            char *argv[7] = {"sphered", "--state", (char *)dir, NULL, NULL, NULL, NULL};
            int argc = 3;
            if (attach) /* its own address on a host interface (root; docs/device.md) */
                argv[argc++] = "--attach";
            if (cloud)
                argv[argc++] = "--cloud", argv[argc++] = cloud;
            execv(exe, argv);
            _exit(127);
        }
        _exit(0);
    }
    int status = 0;
    if (child > 0)
        waitpid(child, &status, 0);
    int rc = CLI_EXIT_OK;
    bool up = false;
    for (int i = 0; i < 200 && !up; i++) {
        up = simhome_running_pid(dir) && socket_answers(dir);
        if (!up)
            sleep_ms(25);
    }
    if (!up) {
        char *text = NULL;
        size_t len = 0;
        hostio_read_file(log, &text, &len);
        const char *tail = text ? text + (len > 600 ? len - 600 : 0) : "";
        rc = cli_error("simulated device '%s' did not start; its log (%s) ends:\n%s", name, log, tail);
        free(text);
    }
    free(exe);
    free(log);
    free(cloud);
    return rc;
}

static int stop_daemon(const char *dir)
{
    pid_t pid = simhome_running_pid(dir);
    if (!pid)
        return 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < 200 && kill(pid, 0) == 0; i++)
        sleep_ms(25);
    if (kill(pid, 0) == 0) {
        kill(pid, SIGKILL);
        sleep_ms(50);
    }
    char *pidfile = path_join(dir, "sphered.pid");
    if (pidfile)
        unlink(pidfile);
    free(pidfile);
    return 1;
}

static int run_start(const struct cli_invocation *inv)
{
    char *home, *dir;
    int rc = device_dir(inv->args[0], &home, &dir);
    if (!rc)
        rc = start_daemon(inv->args[0], dir, cli_flag(inv, "attach"));
    if (!rc)
        rc = cli_sim_mcu_autostart(inv->args[0], dir); /* an attached external MCU (docs/mcu.md) */
    if (!rc)
        printf("Simulated device '%s' is running.\n", inv->args[0]);
    free(home), free(dir);
    return rc;
}

static int run_stop(const struct cli_invocation *inv)
{
    char *home, *dir;
    int rc = device_dir(inv->args[0], &home, &dir);
    if (!rc)
        printf(stop_daemon(dir) ? "Simulated device '%s' stopped.\n" : "Simulated device '%s' was not running.\n",
               inv->args[0]);
    free(home), free(dir);
    return rc;
}

static int run_delete(const struct cli_invocation *inv)
{
    char *home, *dir;
    int rc = device_dir(inv->args[0], &home, &dir);
    if (!rc) {
        stop_daemon(dir);
        int err = hostio_remove_tree(dir);
        if (err)
            rc = cli_error("cannot delete %s: %s", dir, os_strerror(err));
        else
            printf("Simulated device '%s' deleted.\n", inv->args[0]);
    }
    free(home), free(dir);
    return rc;
}

static int run_list(const struct cli_invocation *inv)
{
    char *home = simhome_dir();
    if (!home)
        return CLI_EXIT_FAILED;
    char *devices = path_join(home, "devices");
    struct json_value *list = json_new_array();
    struct cli_table t;
    cli_table_init(&t, 4);
    cli_table_row(&t, "Name", "State", "Device ID", "HTTPS");
    char **names = NULL;
    size_t n = 0;
    if (devices && hostio_list_subdirs(devices, &names, &n) != 0)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        char *dir = simhome_device_dir(home, name);
        struct device *d = NULL;
        char why[256] = "", *sdk = hostio_sdk_dir();
        bool running = dir && simhome_running_pid(dir);
        char port[16] = "", *id = NULL;
        if (dir && device_open(dir, sdk, &d, why, sizeof why) == 0) {
            snprintf(port, sizeof port, "%u", device_https_port(d));
            id = strdup(device_id_text(d));
            device_close(d);
        }
        cli_table_row(&t, name, running ? "running" : "stopped", id ? id : why, port);
        struct json_value *o = json_new_object();
        if (o) {
            json_object_append(o, "name", json_new_string(name));
            json_object_append(o, "state", json_new_string(running ? "running" : "stopped"));
            json_object_append(o, "deviceId", json_new_string(id ? id : ""));
            json_object_append(o, "httpsPort", json_new_int(atoi(port)));
            json_array_append(list, o);
        }
        free(id), free(sdk), free(dir);
    }
    if (inv->output == CLI_OUTPUT_JSON) {
        struct strbuf sb = {0};
        if (list && !json_write(list, JSON_PRETTY, &sb))
            printf("%s\n", strbuf_str(&sb));
        strbuf_free(&sb);
    } else if (t.rows == 1) {
        printf("No simulated devices. Create one with 'sphere sim create NAME'.\n");
    } else {
        cli_table_print(&t, stdout);
    }
    cli_table_free(&t);
    json_free(list);
    hostio_free_list(names, n);
    free(devices), free(home);
    return CLI_EXIT_OK;
}

static const struct cli_option create_options[] = {
    {"os-version", 0, "VERSION", false, false, "The OS release it runs (e.g. 22.02; default the newest)."},
    {"quota-kb", 0, "KB", false, false, "Flash space for app packages (default 1024)."},
    {"https-port", 0, "PORT", false, false, "Loopback port of its HTTPS API (default: a free one)."},
    {"memory-limit-kb", 0, "KB", false, false, "A high-level app's memory limit (default 256, the platform's)."},
    {"cloud", 0, "URL", false, false, "Take app updates from this cloud service (needs 'sphere login')."},
    {"cloud-ca", 0, "FILE", false, false, "The cloud's TLS certificate (default: the one 'sphere login' saved)."},
    {"board", 0, "FILE", false, false, "A board file: what is attached to its buses (docs/board.md; default mt3620_rdb)."},
    {NULL, 0, NULL, false, false, NULL},
};
static const struct cli_option no_options[] = {{NULL, 0, NULL, false, false, NULL}};
static const struct cli_option start_options[] = {
    {"attach", 0, NULL, false, false, "Give the device its own address 192.168.35.N (N = 2, 3, …) on a host interface, HTTPS on port 443 there, and the device-connection service on 127.0.0.1:48938 (root only)."},
    {NULL, 0, NULL, false, false, NULL}};

static const struct cli_command create = {.name = "create", .summary = "Create a simulated device.",
                                          .options = create_options, .positionals = CLI_POSITIONALS({"NAME", false}), .prints_data = true,
                                          .run = run_create};
static const struct cli_command start = {.name = "start", .summary = "Start a simulated device (its sphered).",
                                         .options = start_options, .positionals = CLI_POSITIONALS({"NAME", false}), .run = run_start};
static const struct cli_command stop = {.name = "stop", .summary = "Stop a simulated device.", .options = no_options,
                                        .positionals = CLI_POSITIONALS({"NAME", false}), .run = run_stop};
static const struct cli_command delete_cmd = {.name = "delete", .summary = "Stop and delete a simulated device and its state.",
                                              .options = no_options, .positionals = CLI_POSITIONALS({"NAME", false}), .run = run_delete};
static const struct cli_command list = {.name = "list", .summary = "List simulated devices.", .options = no_options,
                                        .prints_data = true, .run = run_list};

static const struct cli_command *const sim_commands[] = {&create, &start, &stop, &delete_cmd, &list, &cmd_sim_gpio, &cmd_sim_press, &cmd_sim_hosts,
                                                      &cmd_sim_uart, &cmd_sim_adc, &cmd_sim_accel, &cmd_sim_pwm,
                                                      &cmd_sim_device, &cmd_sim_watch, &cmd_sim_power_cut, &cmd_sim_sysevent, &cmd_sim_mcu, &cmd_sim_wifi,
                                                      &cmd_sim_web, &cmd_sim_fleet,
                                                      NULL};

const struct cli_command cmd_sim = {
    .name = "sim",
    .summary = "Manage simulated devices ($OPENSPHERE_HOME, default ~/.opensphere).",
    .subcommands = sim_commands,
};
