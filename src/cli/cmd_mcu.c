/* SPDX-License-Identifier: MIT */
/* cmd_mcu.c — `sphere mcu-image create|show` (the external MCU's image format) and
 * `sphere sim mcu show|attach|start|stop|power-cut|hold` (the simulated MCU on a device's UART,
 * docs/mcu.md). The MCU of device NAME lives in <device dir>/mcu/: its flash and state, the
 * attach file ("ISU BAUD"), hold (mcu_hold.h), `line` (a symbolic link to the UART's host PTY, re-pointed at every
 * `sim start`), mcu.pid and mcu.log. sphere-mcu runs in its own session, so stopping or
 * power-cutting the device does not stop it; it reopens `line` when the PTY comes back. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "devclient.h"
#include "error.h"
#include "hostio.h"
#include "json.h"
#include "mcu_dev.h"
#include "mcu_hold.h"
#include "mcu_image.h"
#include "path.h"
#include "simhome.h"
#include "strbuf.h"

static void print_json(struct json_value *v)
{
    struct strbuf sb = {0};
    if (v && !json_write(v, JSON_PRETTY, &sb))
        printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
    json_free(v);
}

/* ---- mcu-image ------------------------------------------------------------------------------ */

static int run_image_create(const struct cli_invocation *inv)
{
    struct mcu_version v;
    const char *ver = cli_value(inv, "version");
    if (mcu_version_parse(ver, &v))
        return cli_usage_error(inv, "--version %s: not M.m.r[+build] (M, m 0-255, r 0-65535) or an integer 0-255", ver);
    char *raw = NULL;
    size_t len = 0;
    int err = hostio_read_file(cli_arg(inv, "FILE"), &raw, &len);
    if (err)
        return cli_error("cannot read %s: %s", cli_arg(inv, "FILE"), os_strerror(err));
    uint8_t *img = NULL;
    size_t img_len = 0;
    err = mcu_image_create((const uint8_t *)raw, len, &v, 0, &img, &img_len);
    free(raw);
    if (!err)
        err = hostio_write_file_atomic(cli_arg(inv, "OUT"), img, img_len, 0644);
    free(img);
    if (err)
        return cli_error("cannot create %s: %s", cli_arg(inv, "OUT"), os_strerror(err));
    char vs[32];
    mcu_version_format(&v, vs, sizeof vs);
    printf("Wrote %s: version %s, %zu bytes of image, %zu bytes in all.\n", cli_arg(inv, "OUT"), vs, len, img_len);
    return CLI_EXIT_OK;
}

static int run_image_show(const struct cli_invocation *inv)
{
    const char *file = cli_arg(inv, "FILE");
    char *data = NULL, why[200] = "";
    size_t len = 0;
    int err = hostio_read_file(file, &data, &len);
    if (err)
        return cli_error("cannot read %s: %s", file, os_strerror(err));
    struct mcu_image_info info;
    err = mcu_image_verify((const uint8_t *)data, len, &info, why, sizeof why);
    free(data);
    if (err == -EINVAL)
        return cli_error("%s: not an MCU image: %s", file, why);
    char v[32], h[65];
    mcu_version_format(&info.version, v, sizeof v);
    mcu_hash_hex(info.hash, h);
    if (inv->output == CLI_OUTPUT_JSON) {
        struct json_value *o = json_new_object();
        json_object_append(o, "version", json_new_string(v));
        json_object_append(o, "imageSize", json_new_int(info.img_size));
        json_object_append(o, "headerSize", json_new_int(info.hdr_size));
        json_object_append(o, "loadAddress", json_new_int(info.load_addr));
        json_object_append(o, "totalSize", json_new_int(info.total_size));
        json_object_append(o, "sha256", json_new_string(h));
        json_object_append(o, "hashValid", json_new_bool(err == 0));
        print_json(o);
    } else {
        printf("Version:      %s\nImage size:   %u\nHeader size:  %u\nLoad address: 0x%08x\nTotal size:   %u\n"
               "SHA-256:      %s (%s)\n",
               v, info.img_size, info.hdr_size, info.load_addr, info.total_size, h, err ? "MISMATCH" : "valid");
    }
    if (err)
        return cli_error("%s: %s", file, why);
    return CLI_EXIT_OK;
}

/* ---- sim mcu -------------------------------------------------------------------------------- */

static int mcu_dir(const struct cli_invocation *inv, char **dev_dir, char **dir)
{
    const char *name = cli_value(inv, "device");
    *dev_dir = *dir = NULL;
    if (!simhome_valid_name(name))
        return cli_error("'%s' is not a valid device name", name);
    char *home = simhome_dir();
    if (!home)
        return CLI_EXIT_FAILED;
    *dev_dir = simhome_device_dir(home, name);
    free(home);
    struct stat st;
    if (!*dev_dir || stat(*dev_dir, &st))
        return cli_error("there is no simulated device '%s'", name);
    *dir = path_join(*dev_dir, "mcu");
    return *dir ? CLI_EXIT_OK : cli_error("out of memory");
}

/* The pid of the MCU's running sphere-mcu, or 0. */
static pid_t mcu_pid(const char *dir)
{
    char *pidfile = path_join(dir, "mcu.pid"), *text = NULL;
    size_t len = 0;
    pid_t pid = 0;
    if (pidfile && hostio_read_file(pidfile, &text, &len) == 0)
        pid = (pid_t)atoi(text);
    free(pidfile), free(text);
    if (pid <= 0 || kill(pid, 0))
        return 0;
    char proc[64], exe[PATH_MAX];
    snprintf(proc, sizeof proc, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(proc, exe, sizeof exe - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    return strstr(exe, "sphere-mcu") ? pid : 0;
}

/* Points <dir>/line at the device's host PTY for the attached ISU (device running). */
static int point_line(const char *device, const char *dir, const char *isu)
{
    char path[64];
    snprintf(path, sizeof path, "/sim/uart/%s", isu);
    struct devresponse r = {0};
    int rc = devclient_call(device, "GET", path, NULL, &r);
    if (rc)
        return rc;
    const struct json_value *pty = r.json ? json_object_get(r.json, "pty") : NULL;
    char *line = path_join(dir, "line"), *tmp = path_join(dir, "line.new");
    if (!pty || pty->type != JSON_STRING || !line || !tmp)
        rc = cli_error("the device reports no host PTY for %s", isu);
    else {
        unlink(tmp);
        if (symlink(pty->u.string.chars, tmp) || rename(tmp, line))
            rc = cli_error("cannot link %s: %s", line, strerror(errno));
    }
    free(line), free(tmp);
    devresponse_free(&r);
    return rc;
}

/* Starts sphere-mcu for `dir` in its own session (when not running). */
static int spawn_mcu(const char *dir, unsigned baud, unsigned slot_kb)
{
    if (mcu_pid(dir))
        return CLI_EXIT_OK;
    char *exe = cli_sibling_exe("sphere-mcu"), *line = path_join(dir, "line"), *log = path_join(dir, "mcu.log"),
         *init = path_join(dir, "initial.img"), b[16], kb[16];
    snprintf(b, sizeof b, "%u", baud);
    snprintf(kb, sizeof kb, "%u", slot_kb);
    struct stat st;
    bool has_init = init && stat(init, &st) == 0;
    pid_t child = exe && line && log ? fork() : -1;
    if (child == 0) {
        setsid();
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644), null = open("/dev/null", O_RDONLY);
        if (fd >= 0)
            dup2(fd, 1), dup2(fd, 2);
        if (null >= 0)
            dup2(null, 0);
        if (fork() == 0) {
            execl(exe, "sphere-mcu", "--state", dir, "--tty", line, "--baud", b, "--slot-kb", kb, has_init ? "--install" : (char *)NULL,
                  init, (char *)NULL);
            _exit(127);
        }
        _exit(0);
    }
    if (child > 0)
        waitpid(child, NULL, 0);
    int rc = child > 0 ? CLI_EXIT_OK : cli_error("cannot start sphere-mcu");
    for (int i = 0; !rc && i < 200 && !mcu_pid(dir); i++)
        nanosleep(&(struct timespec){0, 25000000}, NULL);
    if (!rc && !mcu_pid(dir))
        rc = cli_error("sphere-mcu did not start; see %s", log);
    free(exe), free(line), free(log), free(init);
    return rc;
}

/* The attach file: "ISU BAUD [SLOT_KB]" (slot size 512 KiB when absent). */
static int read_attach(const char *dir, char *isu, size_t size, unsigned *baud, unsigned *slot_kb)
{
    char *f = path_join(dir, "attach"), *text = NULL;
    size_t len = 0;
    int err = f ? hostio_read_file(f, &text, &len) : -ENOMEM;
    char name[16];
    *slot_kb = 512;
    if (!err && (sscanf(text, "%15s %u %u", name, baud, slot_kb) < 2 || strlen(name) >= size))
        err = -EINVAL;
    if (!err)
        snprintf(isu, size, "%s", name);
    free(f), free(text);
    return err;
}

int cli_sim_mcu_autostart(const char *device, const char *dev_dir)
{
    char *dir = path_join(dev_dir, "mcu"), isu[16];
    unsigned baud = 0, slot_kb = 0;
    int rc = CLI_EXIT_OK;
    if (dir && read_attach(dir, isu, sizeof isu, &baud, &slot_kb) == 0) {
        rc = point_line(device, dir, isu);
        if (!rc)
            rc = spawn_mcu(dir, baud, slot_kb);
    }
    free(dir);
    return rc;
}

static int run_mcu_attach(const struct cli_invocation *inv)
{
    char *dev_dir, *dir;
    int rc = mcu_dir(inv, &dev_dir, &dir);
    const char *isu = cli_value(inv, "uart"), *file = cli_value(inv, "version-file"), *bs = cli_value(inv, "baud");
    unsigned baud = bs ? (unsigned)strtoul(bs, NULL, 10) : 115200;
    const char *ks = cli_value(inv, "slot-kb");
    unsigned slot_kb = ks ? (unsigned)strtoul(ks, NULL, 10) : 512;
    if (!rc && (strlen(isu) != 4 || strncmp(isu, "ISU", 3) || isu[3] < '0' || isu[3] > '4'))
        rc = cli_usage_error(inv, "--uart %s: not an ISU (ISU0-ISU4)", isu);
    if (!rc && (baud < 1200 || baud > 3000000))
        rc = cli_usage_error(inv, "--baud %s: 1200-3000000", bs);
    if (!rc && (slot_kb < 16 || slot_kb > 65536))
        rc = cli_usage_error(inv, "--slot-kb %s: 16-65536", ks);
    if (!rc && (rc = hostio_make_dirs(dir, 0755)))
        rc = cli_error("cannot create %s: %s", dir, os_strerror(rc));
    if (!rc && file) {
        char *data = NULL, why[200];
        size_t len = 0;
        struct mcu_image_info info;
        int err = hostio_read_file(file, &data, &len);
        if (err)
            rc = cli_error("cannot read %s: %s", file, os_strerror(err));
        else if ((err = mcu_image_verify((const uint8_t *)data, len, &info, why, sizeof why)))
            rc = cli_error("%s: refused: %s", file, why);
        char *dst = path_join(dir, "initial.img");
        if (!rc && (err = hostio_write_file_atomic(dst, data, len, 0644)))
            rc = cli_error("cannot write %s: %s", dst, os_strerror(err));
        free(dst), free(data);
    }
    if (!rc) {
        char text[32], *f = path_join(dir, "attach");
        snprintf(text, sizeof text, "%s %u %u\n", isu, baud, slot_kb);
        int err = hostio_write_file_atomic(f, text, strlen(text), 0644);
        free(f);
        if (err)
            rc = cli_error("cannot write the attach file: %s", os_strerror(err));
    }
    if (!rc && simhome_running_pid(dev_dir))
        rc = cli_sim_mcu_autostart(cli_value(inv, "device"), dev_dir);
    if (!rc)
        printf("MCU attached to %s of '%s' at %u baud%s.\n", isu, cli_value(inv, "device"), baud,
               simhome_running_pid(dev_dir) ? " (running)" : "; it starts with the device");
    free(dev_dir), free(dir);
    return rc;
}

static int run_mcu_start(const struct cli_invocation *inv)
{
    char *dev_dir, *dir;
    int rc = mcu_dir(inv, &dev_dir, &dir);
    char isu[16];
    unsigned baud, slot_kb;
    if (!rc && read_attach(dir, isu, sizeof isu, &baud, &slot_kb))
        rc = cli_error("no MCU is attached to '%s' (sphere sim mcu attach)", cli_value(inv, "device"));
    if (!rc && simhome_running_pid(dev_dir))
        rc = point_line(cli_value(inv, "device"), dir, isu);
    if (!rc)
        rc = spawn_mcu(dir, baud, slot_kb);
    free(dev_dir), free(dir);
    return rc;
}

static int stop_mcu(const char *dir, int sig)
{
    pid_t pid = mcu_pid(dir);
    if (!pid)
        return 0;
    kill(pid, sig);
    for (int i = 0; i < 200 && kill(pid, 0) == 0; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    return 1;
}

static int run_mcu_stop(const struct cli_invocation *inv)
{
    char *dev_dir, *dir;
    int rc = mcu_dir(inv, &dev_dir, &dir);
    if (!rc)
        printf(stop_mcu(dir, SIGTERM) ? "MCU stopped.\n" : "The MCU was not running.\n");
    free(dev_dir), free(dir);
    return rc;
}

/* Power off at once (SIGKILL: no state flushed), then power on again the way `start` does. */
static int run_mcu_power_cut(const struct cli_invocation *inv)
{
    char *dev_dir, *dir;
    int rc = mcu_dir(inv, &dev_dir, &dir);
    if (!rc) {
        stop_mcu(dir, SIGKILL);
        char *pidfile = path_join(dir, "mcu.pid");
        if (pidfile)
            unlink(pidfile);
        free(pidfile);
    }
    free(dev_dir), free(dir);
    rc = rc ? rc : run_mcu_start(inv);
    if (!rc)
        printf("MCU power-cycled (killed with SIGKILL, restarted).\n");
    return rc;
}

/* Arms (or with "none" clears) the MCU's hold after a step (mcu_hold.h). */
static int run_mcu_hold(const struct cli_invocation *inv)
{
    char *dev_dir, *dir;
    int rc = mcu_dir(inv, &dev_dir, &dir);
    const char *after = cli_value(inv, "after");
    struct mcu_hold h = {MCU_HOLD_NONE, false};
    if (!rc && mcu_hold_op_parse(after, &h.op))
        rc = cli_usage_error(inv, "--after %s: not test, reset, confirm or none", after);
    char isu[16];
    unsigned baud, slot_kb;
    if (!rc && read_attach(dir, isu, sizeof isu, &baud, &slot_kb))
        rc = cli_error("no MCU is attached to '%s' (sphere sim mcu attach)", cli_value(inv, "device"));
    int err = rc ? 0 : mcu_hold_write(dir, &h);
    if (err)
        rc = cli_error("cannot write the hold request in %s: %s", dir, os_strerror(err));
    if (!rc && h.op == MCU_HOLD_NONE)
        printf("No hold: the MCU answers every request.\n");
    else if (!rc)
        printf("The MCU will stop answering after its next %s, until the device's line hangs up.\n", after);
    free(dev_dir), free(dir);
    return rc;
}

static int run_mcu_show(const struct cli_invocation *inv)
{
    char *dev_dir, *dir;
    int rc = mcu_dir(inv, &dev_dir, &dir);
    /* The hold first: the MCU records a step's state before it starts holding, so a hold seen
     * here comes with the state of the step it holds after. */
    struct mcu_hold hold;
    if (rc || mcu_hold_read(dir, &hold))
        hold = (struct mcu_hold){MCU_HOLD_NONE, false};
    struct mcu_dev *d = NULL;
    int err = rc ? 0 : mcu_dev_open(dir, 0, NULL, 0, true, &d);
    if (!rc && err)
        rc = cli_error("no MCU state in %s: %s", dir, os_strerror(err));
    if (!rc) {
        struct smp_image_state s;
        mcu_dev_list(d, &s);
        pid_t pid = mcu_pid(dir);
        if (inv->output == CLI_OUTPUT_JSON) {
            struct json_value *o = json_new_object(), *list = json_new_array();
            json_object_append(o, "running", json_new_bool(pid != 0));
            json_object_append(o, "boots", json_new_int(d->st.boots));
            for (size_t i = 0; i < s.count; i++) {
                struct json_value *e = json_new_object();
                char h[65];
                mcu_hash_hex(s.slots[i].hash, h);
                json_object_append(e, "slot", json_new_int(s.slots[i].slot));
                json_object_append(e, "version", json_new_string(s.slots[i].version));
                json_object_append(e, "hash", json_new_string(h));
                json_object_append(e, "bootable", json_new_bool(s.slots[i].bootable));
                json_object_append(e, "pending", json_new_bool(s.slots[i].pending));
                json_object_append(e, "confirmed", json_new_bool(s.slots[i].confirmed));
                json_object_append(e, "active", json_new_bool(s.slots[i].active));
                json_array_append(list, e);
            }
            json_object_append(o, "images", list);
            if (s.has_upload) {
                struct json_value *u = json_new_object();
                json_object_append(u, "slot", json_new_int(s.upload_slot));
                json_object_append(u, "len", json_new_int(s.upload_len));
                json_object_append(u, "off", json_new_int(s.upload_off));
                json_object_append(o, "upload", u);
            }
            if (hold.op != MCU_HOLD_NONE) {
                struct json_value *h = json_new_object();
                json_object_append(h, "after", json_new_string(mcu_hold_op_name(hold.op)));
                json_object_append(h, "state", json_new_string(hold.holding ? "holding" : "armed"));
                json_object_append(o, "hold", h);
            }
            print_json(o);
        } else {
            printf("MCU: %s, %u boots\n", pid ? "running" : "stopped", d->st.boots);
            struct cli_table t;
            cli_table_init(&t, 6);
            cli_table_row(&t, "Slot", "Version", "Bootable", "Active", "Confirmed", "Pending");
            for (size_t i = 0; i < s.count; i++) {
                char slot[8];
                snprintf(slot, sizeof slot, "%u", s.slots[i].slot);
                cli_table_row(&t, slot, s.slots[i].version, s.slots[i].bootable ? "yes" : "NO",
                              s.slots[i].active ? "yes" : "", s.slots[i].confirmed ? "yes" : "",
                              s.slots[i].pending ? "yes" : "");
            }
            cli_table_print(&t, stdout);
            cli_table_free(&t);
            if (s.has_upload)
                printf("Upload in progress: slot %u, %u of %u bytes\n", s.upload_slot, s.upload_off, s.upload_len);
            if (hold.op != MCU_HOLD_NONE)
                printf("Hold: %s %s\n", hold.holding ? "silent since its" : "armed: silent after its next",
                       mcu_hold_op_name(hold.op));
        }
    }
    mcu_dev_close(d);
    free(dev_dir), free(dir);
    return rc;
}

#define DEV_OPT {"device", 'd', "NAME", false, true, "The simulated device."}
#define END {NULL, 0, NULL, false, false, NULL}
static const struct cli_option create_opts[] = {
    {"version", 0, "V", false, true, "The image version: M.m.r[+build], or N meaning N.0.0."}, END};
static const struct cli_option show_opts[] = {END};
static const struct cli_option dev_opts[] = {DEV_OPT, END};
static const struct cli_option hold_opts[] = {
    DEV_OPT,
    {"after", 0, "STEP", false, true, "test (a test mark recorded), reset (rebooted), confirm (a trial confirmed), or none."},
    END};
static const struct cli_option attach_opts[] = {
    DEV_OPT,
    {"uart", 0, "ISU", false, true, "The UART the MCU sits on (ISU0-ISU4, a board UART with a host PTY)."},
    {"version-file", 0, "IMAGE", false, false, "The MCU's factory image (slot 0, confirmed) for a new MCU."},
    {"baud", 0, "N", false, false, "The line speed the MCU paces at (default 115200)."},
    {"slot-kb", 0, "KB", false, false, "Each of the MCU's two image slots, in KiB (default 512; a new MCU only)."},
    END};

static const struct cli_command image_create = {.name = "create", .summary = "Wrap a raw binary into an MCU image.",
                                                .options = create_opts, .positionals = CLI_POSITIONALS({"FILE", false}, {"OUT", false}),
                                                .run = run_image_create};
static const struct cli_command image_show = {.name = "show", .summary = "Show and verify an MCU image.", .options = show_opts,
                                              .positionals = CLI_POSITIONALS({"FILE", false}), .prints_data = true, .run = run_image_show};
static const struct cli_command *const image_cmds[] = {&image_create, &image_show, NULL};
const struct cli_command cmd_mcu_image = {.name = "mcu-image", .summary = "External-MCU images (MCUboot-style, docs/mcu.md).",
                                          .subcommands = image_cmds};

static const struct cli_command mcu_show = {.name = "show", .summary = "Show the MCU's slots, versions, running and confirmed image.",
                                            .options = dev_opts, .prints_data = true, .run = run_mcu_show};
static const struct cli_command mcu_attach = {.name = "attach", .summary = "Put a simulated MCU on one of the device's UARTs.",
                                              .options = attach_opts, .run = run_mcu_attach};
static const struct cli_command mcu_start = {.name = "start", .summary = "Start the attached MCU (sim start does it too).",
                                             .options = dev_opts, .run = run_mcu_start};
static const struct cli_command mcu_stop = {.name = "stop", .summary = "Stop the MCU (SIGTERM).", .options = dev_opts, .run = run_mcu_stop};
static const struct cli_command mcu_cut = {.name = "power-cut", .summary = "Kill the MCU with SIGKILL and restart it.",
                                           .options = dev_opts, .run = run_mcu_power_cut};
static const struct cli_command mcu_hold = {.name = "hold",
                                            .summary = "Make the MCU go silent after a step of an update, until the device's line hangs up.",
                                            .options = hold_opts, .run = run_mcu_hold};
static const struct cli_command *const mcu_cmds[] = {&mcu_show, &mcu_attach, &mcu_start, &mcu_stop, &mcu_cut, &mcu_hold, NULL};
const struct cli_command cmd_sim_mcu = {.name = "mcu", .summary = "The simulated external MCU on a UART (docs/mcu.md).",
                                        .subcommands = mcu_cmds, .default_subcommand = &mcu_show};
