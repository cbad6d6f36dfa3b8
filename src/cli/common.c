/* SPDX-License-Identifier: MIT */
/* common.c — helpers shared by the command groups: diagnostics, hardware-definition lookup. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <limits.h>
#include <unistd.h>
#include "commands.h"
#include "error.h"
#include "hostio.h"
#include "path.h"

int cli_report_diags(struct diag_list *diags, const char *file)
{
    diag_sort(diags);
    diag_print_all(diags, stderr);
    size_t errors = diag_error_count(diags);
    size_t warnings = diag_warning_count(diags);
    if (errors) {
        cli_error("%s: %zu error%s%s", file, errors, errors == 1 ? "" : "s",
                  warnings ? " (and warnings)" : "");
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

void cli_hwdef_context_init(struct cli_hwdef_context *ctx, const struct cli_invocation *inv)
{
    ctx->dirs = cli_values(inv, "hardware-definitions", &ctx->dir_count);
    char *sdk = hostio_sdk_dir();
    ctx->sdk_dir = sdk ? path_join(sdk, "HardwareDefinitions") : NULL;
    free(sdk);
}

void cli_hwdef_context_free(struct cli_hwdef_context *ctx)
{
    free(ctx->sdk_dir);
    ctx->sdk_dir = NULL;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *cli_find_definition(const struct cli_hwdef_context *ctx, const char *name)
{
    if (is_file(name))
        return strdup(name);
    for (size_t i = 0; i <= ctx->dir_count; i++) {
        const char *dir = i < ctx->dir_count ? ctx->dirs[i] : ctx->sdk_dir;
        if (!dir)
            continue;
        char *p = path_join(dir, name);
        if (p && is_file(p))
            return p;
        free(p);
    }
    return NULL;
}

int cli_load_definition(const struct cli_hwdef_context *ctx, const char *path, struct diag_list *diags,
                        struct hwdef_set **out)
{
    struct hwdef_search search = {.dirs = ctx->dirs, .dir_count = ctx->dir_count, .sdk_dir = ctx->sdk_dir};
    return hwdef_load(path, &search, hostio_hwdef_io(), diags, out);
}

int cli_load_manifest_definitions(struct cli_hwdef_context *hw, const char *target_name, struct diag_list *diags,
                         struct hwdef_set **target, struct hwdef_set **chip)
{
    *target = *chip = NULL;
    if (target_name) {
        char *path = cli_find_definition(hw, target_name);
        if (!path)
            return cli_error("cannot find the target hardware definition '%s' (looked as given, in each "
                             "--hardware-definitions folder and in %s)",
                             target_name, hw->sdk_dir ? hw->sdk_dir : "the SDK (not found)");
        int err = cli_load_definition(hw, path, diags, target);
        free(path);
        if (err)
            return cli_report_diags(diags, target_name) ? CLI_EXIT_FAILED : cli_error("%s", os_strerror(err));
        return CLI_EXIT_OK;
    }
    if (!hw->sdk_dir)
        return cli_error("cannot find the SDK's HardwareDefinitions folder (set OPENSPHERE_SDK_DIR)");
    char *chip_path = cli_find_definition(hw, "mt3620.json");
    if (!chip_path)
        return cli_error("the SDK has no mt3620.json in %s", hw->sdk_dir);
    int err = cli_load_definition(hw, chip_path, diags, chip);
    free(chip_path);
    if (err)
        return cli_report_diags(diags, "mt3620.json") ? CLI_EXIT_FAILED : cli_error("%s", os_strerror(err));
    return CLI_EXIT_OK;
}


char *cli_sibling_exe(const char *name)
{
    char path[PATH_MAX];
    return hostio_beside_exe(NULL, name, path, sizeof path) ? NULL : strdup(path);
}
