/* SPDX-License-Identifier: MIT */
/* cmd_app_manifest.c — `sphere app-manifest validate`: check a manifest, print what it resolves to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "hostio.h"
#include "json.h"
#include "manifest.h"

static void print_table(const struct manifest *m, const char *file)
{
    char cid[GUID_TEXT_LEN + 1];
    guid_format(&m->component_id, cid);
    printf("Manifest:          %s\n", file);
    printf("Name:              %s\n", m->name);
    printf("Component ID:      %s\n", cid);
    printf("Application type:  %s\n", manifest_app_type_name(m->app_type));
    printf("Entry point:       %s\n\n", m->entry_point);
    if (m->entry_count == 0) {
        printf("No capabilities requested.\n");
        return;
    }
    struct cli_table t;
    cli_table_init(&t, 3);
    cli_table_row(&t, "Capability", "Value", "From");
    cli_table_row(&t, "----------", "-----", "----");
    for (size_t i = 0; i < m->entry_count; i++) {
        const struct manifest_entry *e = &m->entries[i];
        struct strbuf value = {0};
        if (e->raw->type == JSON_STRING)
            strbuf_puts(&value, e->raw->u.string.chars);
        else
            json_write(e->raw, JSON_COMPACT, &value);
        cli_table_row(&t, e->capability, strbuf_str(&value), e->from_name ? e->from_name : "");
        strbuf_free(&value);
    }
    cli_table_print(&t, stdout);
    cli_table_free(&t);
}

static int run_validate(const struct cli_invocation *inv)
{
    const char *file = inv->args[0];
    char *text = NULL;
    size_t len = 0;
    int err = hostio_read_file(file, &text, &len);
    if (err)
        return cli_error("cannot read %s: %s", file, os_strerror(err));

    struct cli_hwdef_context hw;
    cli_hwdef_context_init(&hw, inv);
    struct diag_list diags = {0};
    struct hwdef_set *target = NULL, *chip = NULL;
    int rc = cli_load_manifest_definitions(&hw, cli_value(inv, "target-definition-filename"), &diags, &target, &chip);
    struct manifest *m = NULL;
    if (rc == CLI_EXIT_OK) {
        struct manifest_context ctx = {.target = target, .chip = target ? target : chip};
        err = manifest_validate(text, len, file, &ctx, &diags, &m);
        rc = cli_report_diags(&diags, file);
        if (err == -ENOMEM)
            rc = cli_error("out of memory");
    }
    if (rc == CLI_EXIT_OK && m) {
        if (inv->output == CLI_OUTPUT_JSON) {
            struct strbuf out = {0};
            if (json_write(m->normalized, JSON_COMPACT, &out) == 0)
                printf("%s\n", strbuf_str(&out));
            strbuf_free(&out);
        } else {
            print_table(m, file);
        }
    }
    manifest_free(m);
    hwdef_set_free(target);
    hwdef_set_free(chip);
    diag_list_free(&diags);
    cli_hwdef_context_free(&hw);
    free(text);
    return rc;
}

static const struct cli_option validate_options[] = {
    {"hardware-definitions", 0, "DIR", true, false,
     "A folder of hardware definitions to search (also DIR1,DIR2)."},
    {"target-definition-filename", 0, "FILE", false, false,
     "The hardware definition that \"$NAME\" values resolve through (e.g. mt3620_rdb.json)."},
    {NULL, 0, NULL, false, false, NULL},
};

static const struct cli_command validate = {
    .name = "validate",
    .summary = "Check an app_manifest.json and print its resolved capabilities.",
    .details = "Every problem is reported as FILE:LINE:COL: JSON.path: reason. With -o json, prints the\n"
               "normalised manifest (raw values, explicit ApplicationType) as pack-application stores it.",
    .options = validate_options,
    .positionals = CLI_POSITIONALS({"MANIFEST", false}),
    .prints_data = true,
    .run = run_validate,
};

static const struct cli_command *const app_manifest_commands[] = {&validate, NULL};

const struct cli_command cmd_app_manifest = {
    .name = "app-manifest",
    .summary = "Validate application manifests.",
    .subcommands = app_manifest_commands,
};
