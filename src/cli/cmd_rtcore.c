/* SPDX-License-Identifier: MIT */
/* cmd_rtcore.c — `sphere rtcore run`: runs an RTApp image package standalone on one emulated
 * real-time core. The emulator is the separate sphere-rtcore helper (it links Unicorn, GPLv2,
 * which the CLI must not); this command finds it next to the sphere executable (or through
 * $OPENSPHERE_RTCORE) and execs it, so the app's log streams straight to stdout and the exit
 * status is the helper's (docs/rtcore.md). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "hostio.h"

static const struct cli_option run_options[] = {
    {"image-package", 0, "PKG", false, true, "The RTApp image package to run."},
    {"instruction-clock", 0, NULL, false, false, "Deterministic time: one instruction is one core cycle (197.6 MHz)."},
    {"max-instructions", 0, "N", false, false, "Stop after N instructions."},
    {"max-time-ms", 0, "MS", false, false, "Stop after MS milliseconds of emulated time."},
    {"trace-gpio", 0, NULL, false, false, "Print every GPIO output change."},
    {NULL, 0, NULL, false, false, NULL},
};

static int run_run(const struct cli_invocation *inv)
{
    char helper[PATH_MAX];
    if (hostio_beside_exe("OPENSPHERE_RTCORE", "sphere-rtcore", helper, sizeof helper) || access(helper, X_OK) != 0)
        return cli_error("the emulator helper sphere-rtcore was not found next to sphere (set OPENSPHERE_RTCORE)");
    const char *argv[12];
    int n = 0;
    argv[n++] = helper;
    argv[n++] = "--image-package";
    argv[n++] = cli_value(inv, "image-package");
    if (cli_flag(inv, "instruction-clock"))
        argv[n++] = "--instruction-clock";
    if (cli_flag(inv, "trace-gpio"))
        argv[n++] = "--trace-gpio";
    static const char *const valued[] = {"max-instructions", "max-time-ms"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = cli_value(inv, valued[i]);
        if (v) {
            argv[n++] = i ? "--max-time-ms" : "--max-instructions";
            argv[n++] = v;
        }
    }
    argv[n] = NULL;
    fflush(NULL);
    execv(helper, (char *const *)argv);
    return cli_error("cannot start %s: %s", helper, strerror(errno));
}

static const struct cli_command rtcore_run = {
    .name = "run",
    .summary = "Run an RTApp image package on an emulated real-time core; its debug UART is the output.",
    .options = run_options,
    .details = "Exit status: 0 stopped at a limit, 1 package or firmware refused, 3 the core crashed\n"
               "(touched a peripheral its manifest does not list, faulted); the reason goes to stderr.",
    .run = run_run,
};

static const struct cli_command *const rtcore_subcommands[] = {&rtcore_run, NULL};

const struct cli_command cmd_rtcore = {
    .name = "rtcore",
    .summary = "Run real-time capable apps on emulated MT3620 Cortex-M4F cores.",
    .subcommands = rtcore_subcommands,
};
