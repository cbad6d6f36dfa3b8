/* common.c — helpers shared by the command groups: diagnostics, hardware-definition lookup. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
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
