/* SPDX-License-Identifier: MIT */
/* cmd_cloud_data.c — `sphere cloud init` (prepare a data folder, with the MQTT broker's files)
 * and `sphere cloud clean` (delete one), docs/twin.md.
 *
 * init runs `sphere-cloud --init`, so the folder holds exactly what `sphere cloud serve` would
 * create, plus DATA/mqtt/. clean deletes only a folder that carries the cloud's marker file
 * (clouddata.h) and whose service is not running (DATA/cloud.pid names no live process); it
 * prints each top-level path before deleting it, the marker and the folder itself last, and
 * exits 1 if anything could not be deleted. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clouddata.h"
#include "cmd_cloud.h"
#include "commands.h"
#include "error.h"
#include "hostio.h"
#include "path.h"
#include "simhome.h"

/* ---- sphere cloud init -------------------------------------------------------------------- */

static int run_init(const struct cli_invocation *inv)
{
    static const char *const passed[] = {"mqtt-listen", "db", "listen"};
    return cloudcli_exec_daemon(inv, "--init", passed, sizeof passed / sizeof passed[0]);
}

/* ---- sphere cloud clean ------------------------------------------------------------------- */

/* The pid in DIR/cloud.pid if that process is alive, else 0. */
static long running_pid(const char *dir)
{
    char *p = path_join(dir, CLOUD_DATA_PID), *text = NULL;
    size_t len = 0;
    long pid = 0;
    if (p && hostio_read_file(p, &text, &len) == 0)
        pid = strtol(text, NULL, 10);
    free(p), free(text);
    if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno != EPERM))
        return 0;
    return pid;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int run_clean(const struct cli_invocation *inv)
{
    const char *dir = cli_arg(inv, "DATA_DIR");
    struct stat st;
    if (!cli_flag(inv, "yes-delete"))
        return cli_error("refusing to delete %s without --yes-delete (it deletes the whole cloud data folder: store, "
                         "tokens, keys, images, MQTT broker files)", dir);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return cli_error("%s is not a folder", dir);
    char *marker = path_join(dir, CLOUD_DATA_MARKER);
    if (!marker)
        return cli_error("out of memory");
    if (access(marker, F_OK) != 0) {
        free(marker);
        return cli_error("refusing to delete %s: it is not a cloud data folder (no %s marker file, which 'sphere cloud "
                         "init' and 'sphere cloud serve' write)", dir, CLOUD_DATA_MARKER);
    }
    long pid = running_pid(dir);
    if (pid) {
        free(marker);
        return cli_error("refusing to delete %s: its cloud service is running (pid %ld, %s/%s); stop it first", dir, pid,
                         dir, CLOUD_DATA_PID);
    }
    DIR *d = opendir(dir);
    if (!d) {
        free(marker);
        return cli_error("cannot read %s: %s", dir, os_strerror(-errno));
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    int rc = CLI_EXIT_OK;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, CLOUD_DATA_MARKER))
            continue;
        if (count == cap) {
            char **grown = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof *names);
            if (!grown) {
                rc = cli_error("out of memory");
                break;
            }
            names = grown;
        }
        if (!(names[count] = strdup(e->d_name))) {
            rc = cli_error("out of memory");
            break;
        }
        count++;
    }
    closedir(d);
    if (!rc)
        qsort(names, count, sizeof *names, cmp_names);
    for (size_t i = 0; !rc && i < count; i++) {
        char *p = path_join(dir, names[i]);
        printf("deleting %s\n", p ? p : names[i]);
        fflush(stdout);
        int err = p ? hostio_remove_tree(p) : -ENOMEM;
        if (err)
            rc = cli_error("cannot delete %s: %s", p ? p : names[i], os_strerror(err));
        free(p);
    }
    /* The marker last, so an interrupted clean can be run again. */
    if (!rc) {
        printf("deleting %s\ndeleting %s\n", marker, dir);
        if (unlink(marker) != 0 && errno != ENOENT)
            rc = cli_error("cannot delete %s: %s", marker, os_strerror(-errno));
        else if (rmdir(dir) != 0)
            rc = cli_error("cannot delete %s: %s", dir, os_strerror(-errno));
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names), free(marker);
    return rc;
}

static const struct cli_option init_options[] = {
    {"data", 0, "DIR", false, true, "The data folder to prepare (created if missing)."},
    {"mqtt-listen", 0, "ADDR:PORT", false, false, "Where the MQTT broker will listen (default 127.0.0.1:1883)."},
    {"tenant", 0, "NAME", true, false, "A tenant to create (default: one called 'default')."},
    {"db", 0, "URL", false, false, "postgresql://... to keep the fleet in PostgreSQL instead of SQLite."},
    {"listen", 0, "ADDR:PORT", false, false, "The HTTPS address the TLS certificate is made for (default 127.0.0.1)."},
    {"keys", 0, "DIR", false, false, "Folder with the production and security-service keys (default $OPENSPHERE_HOME)."},
    {NULL, 0, NULL, false, false, NULL},
};
const struct cli_command cmd_cloud_init = {
    .name = "init",
    .summary = "Prepare a cloud data folder: store, tenants, TLS, and the MQTT broker's files (mqtt/).",
    .options = init_options,
    .run = run_init};

static const struct cli_option clean_options[] = {
    {"yes-delete", 0, NULL, false, false, "Really delete the folder and everything in it."},
    {NULL, 0, NULL, false, false, NULL},
};
const struct cli_command cmd_cloud_clean = {
    .name = "clean",
    .summary = "Delete a cloud data folder (not while its service runs).",
    .options = clean_options,
    .positionals = CLI_POSITIONALS({"DATA_DIR", false}),
    .run = run_clean};
