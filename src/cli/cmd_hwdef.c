/* SPDX-License-Identifier: MIT */
/* cmd_hwdef.c — `sphere hardware-definition generate-header|test-header|validate`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "hostio.h"
#include "path.h"
#include "strbuf.h"

/* Loads --hardware-definition-file; on failure reports and returns non-zero. */
static int load(const struct cli_invocation *inv, struct cli_hwdef_context *hw, struct diag_list *diags,
                struct hwdef_set **set)
{
    const char *file = cli_value(inv, "hardware-definition-file");
    cli_hwdef_context_init(hw, inv);
    int err = cli_load_definition(hw, file, diags, set);
    int rc = cli_report_diags(diags, file);
    if (err == -ENOMEM)
        return cli_error("out of memory");
    if (err && rc == CLI_EXIT_OK)
        return cli_error("%s: %s", file, os_strerror(err));
    return rc;
}

static int run_generate(const struct cli_invocation *inv)
{
    struct cli_hwdef_context hw;
    struct diag_list diags = {0};
    struct hwdef_set *set = NULL;
    int rc = load(inv, &hw, &diags, &set);
    struct strbuf header = {0};
    char *path = NULL, *dir = NULL;
    if (rc == CLI_EXIT_OK) {
        path = hwdef_header_path(set->root);
        dir = path ? path_dirname(path) : NULL;
        int err = !dir ? -ENOMEM : hwdef_generate_header(set->root, &header);
        if (!err)
            err = hostio_make_dirs(dir, 0755);
        if (!err)
            err = hostio_write_file_atomic(path, header.data, header.len, 0644);
        if (err)
            rc = cli_error("cannot write %s: %s", path ? path : "the header", os_strerror(err));
        else
            printf("Generated header %s\n", path);
    }
    strbuf_free(&header);
    free(path);
    free(dir);
    hwdef_set_free(set);
    diag_list_free(&diags);
    cli_hwdef_context_free(&hw);
    return rc;
}

static int run_test(const struct cli_invocation *inv)
{
    struct cli_hwdef_context hw;
    struct diag_list diags = {0};
    struct hwdef_set *set = NULL;
    int rc = load(inv, &hw, &diags, &set);
    struct strbuf expected = {0};
    char *path = NULL, *actual = NULL;
    size_t actual_len = 0;
    if (rc == CLI_EXIT_OK) {
        path = hwdef_header_path(set->root);
        int err = !path ? -ENOMEM : hwdef_generate_header(set->root, &expected);
        if (err)
            rc = cli_error("%s", os_strerror(err));
        else if ((err = hostio_read_file(path, &actual, &actual_len)) != 0)
            rc = cli_error("%s: %s; run 'sphere hardware-definition generate-header --hardware-definition-file %s'",
                           path, err == -ENOENT ? "the header does not exist" : os_strerror(err),
                           cli_value(inv, "hardware-definition-file"));
        else if (actual_len != expected.len || memcmp(actual, expected.data, actual_len) != 0)
            rc = cli_error("%s is out of date with %s; run 'sphere hardware-definition generate-header "
                           "--hardware-definition-file %s'",
                           path, set->root->display_path, cli_value(inv, "hardware-definition-file"));
        else
            printf("Header %s is up to date.\n", path);
    }
    strbuf_free(&expected);
    free(actual);
    free(path);
    hwdef_set_free(set);
    diag_list_free(&diags);
    cli_hwdef_context_free(&hw);
    return rc;
}

static int run_validate(const struct cli_invocation *inv)
{
    struct cli_hwdef_context hw;
    struct diag_list diags = {0};
    struct hwdef_set *set = NULL;
    int rc = load(inv, &hw, &diags, &set);
    if (rc == CLI_EXIT_OK) {
        size_t count = 0;
        for (size_t i = 0; i < set->file_count; i++)
            count += set->files[i]->peripheral_count;
        if (inv->output == CLI_OUTPUT_JSON) {
            struct json_value *o = json_new_object();
            struct json_value *files = json_new_array();
            for (size_t i = 0; o && files && i < set->file_count; i++)
                json_array_append(files, json_new_string(set->files[i]->path));
            json_object_append(o, "name", json_new_string(set->root->name ? set->root->name : ""));
            json_object_append(o, "files", files);
            json_object_append(o, "peripherals", json_new_int((int64_t)count));
            struct strbuf out = {0};
            if (o && json_write(o, JSON_PRETTY, &out) == 0)
                printf("%s\n", strbuf_str(&out));
            strbuf_free(&out);
            json_free(o);
        } else {
            printf("Hardware definition %s (%s) is valid: %zu file%s, %zu peripherals.\n",
                   set->root->display_path, set->root->name ? set->root->name : "unnamed", set->file_count,
                   set->file_count == 1 ? "" : "s", count);
        }
    }
    hwdef_set_free(set);
    diag_list_free(&diags);
    cli_hwdef_context_free(&hw);
    return rc;
}

static const struct cli_option hwdef_options[] = {
    {"hardware-definition-file", 0, "FILE", false, true, "The hardware definition JSON file."},
    {"hardware-definitions", 0, "DIR", true, false, "A folder to search for imports (also DIR1,DIR2)."},
    {NULL, 0, NULL, false, false, NULL},
};

static const struct cli_command generate_header = {
    .name = "generate-header",
    .summary = "Generate the C header for a hardware definition, in inc/hw/ next to the JSON file.",
    .options = hwdef_options,
    .run = run_generate,
};

static const struct cli_command test_header = {
    .name = "test-header",
    .summary = "Check that the C header in inc/hw/ is up to date with the JSON file (exit 1 if not).",
    .options = hwdef_options,
    .run = run_test,
};

static const struct cli_command validate = {
    .name = "validate",
    .summary = "Load a hardware definition with its imports and report every problem.",
    .options = hwdef_options,
    .prints_data = true,
    .run = run_validate,
};

static const struct cli_command *const hwdef_commands[] = {&generate_header, &test_header, &validate, NULL};

const struct cli_command cmd_hardware_definition = {
    .name = "hardware-definition",
    .summary = "Work with hardware definitions (JSON files that name a board's peripherals).",
    .subcommands = hwdef_commands,
};
