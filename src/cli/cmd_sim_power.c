/* SPDX-License-Identifier: MIT */
/* cmd_sim_power.c — `sphere sim power-cut -d DEV [--after-flash-ops N [--seed S]]`: the simulated
 * device loses power (docs/board.md, "Power cuts").
 *
 * Without options: now. Every process of the device — sphered, its apps' containers, its
 * real-time cores — gets SIGKILL at once (they share sphered's process group), so nothing
 * flushes, closes or says goodbye; state on disk is whatever had reached it. With
 * --after-flash-ops N: armed; the power fails in the middle of the N-th program/erase
 * operation of the board's SPI flash from now (the model tears that operation, reproducibly
 * for a seed), and the device dies the same way at that instant. `sphere sim start` powers it
 * up again. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "devclient.h"
#include "path.h"
#include "simhome.h"

static int cut_now(const struct cli_invocation *inv)
{
    struct devclient c;
    int rc = devclient_open(cli_value(inv, "device"), &c);
    if (rc)
        return rc;
    pid_t pid = simhome_running_pid(c.dir), group = pid ? getpgid(pid) : -1;
    if (!pid || group <= 1 || group == getpgrp()) {
        devclient_close(&c);
        return cli_error("simulated device '%s' is not running", c.name);
    }
    killpg(group, SIGKILL);
    bool gone = false;
    for (int i = 0; i < 400 && !gone; i++) { /* until every process of the group is reaped */
        gone = killpg(group, 0) < 0 && errno == ESRCH;
        if (!gone)
            nanosleep(&(struct timespec){0, 5 * 1000000L}, NULL);
    }
    char *pidfile = path_join(c.dir, "sphered.pid");
    if (pidfile)
        unlink(pidfile); /* stale: the device did not get to remove it */
    free(pidfile);
    printf("Power cut: simulated device '%s' stopped at once (every process of group %d killed)%s.\n", c.name,
           (int)group, gone ? "" : "; some processes are still exiting");
    devclient_close(&c);
    return gone ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static int cut_armed(const struct cli_invocation *inv, const char *after)
{
    char *end = NULL, body[128];
    long long n = strtoll(after, &end, 10), seed = 1;
    if (!*after || *end || n < 1 || n > 1000000000)
        return cli_usage_error(inv, "--after-flash-ops must be an integer from 1 to 1000000000, not '%s'", after);
    const char *seed_text = cli_value(inv, "seed");
    if (seed_text && ((seed = strtoll(seed_text, &end, 10)), !*seed_text || *end))
        return cli_usage_error(inv, "--seed must be an integer, not '%s'", seed_text);
    snprintf(body, sizeof body, "{\"afterFlashOps\":%lld,\"seed\":%lld}", n, seed);
    struct devresponse r;
    int rc = devclient_call(cli_value(inv, "device"), "PUT", "/sim/power-cut", body, &r);
    if (rc)
        return rc;
    size_t chips = r.json && r.json->type == JSON_ARRAY ? r.json->u.array.count : 0;
    for (size_t i = 0; i < chips; i++) {
        const struct json_value *o = r.json->u.array.items[i], *name = json_object_get(o, "device"),
                                *at = json_object_get(o, "cutAtOp");
        printf("Armed: the power fails in the middle of flash operation %lld of '%s' (%lld from now).\n",
               at ? (long long)at->u.number.integer : 0, name ? name->u.string.chars : "?", n);
    }
    devresponse_free(&r);
    return chips ? CLI_EXIT_OK : cli_error("the simulated board has no SPI flash to cut the power in");
}

static int run_power_cut(const struct cli_invocation *inv)
{
    const char *after = cli_value(inv, "after-flash-ops");
    if (!after && cli_value(inv, "seed"))
        return cli_usage_error(inv, "--seed goes with --after-flash-ops");
    return after ? cut_armed(inv, after) : cut_now(inv);
}

static const struct cli_option power_options[] = {
    {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."},
    {"after-flash-ops", 0, "N", false, false, "Arm instead: fail in the middle of the N-th flash program/erase from now."},
    {"seed", 0, "S", false, false, "Seed of the torn operation's indeterminate bits (default 1)."},
    {NULL, 0, NULL, false, false, NULL},
};
const struct cli_command cmd_sim_power_cut = {
    .name = "power-cut", .summary = "Cut the simulated device's power: now, or in the middle of a flash operation.",
    .options = power_options, .run = run_power_cut};
