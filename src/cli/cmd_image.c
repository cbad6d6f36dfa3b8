/* SPDX-License-Identifier: MIT */
/* cmd_image.c — `sphere image add|show|list|download` against the cloud service. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_cloud.h"
#include "error.h"
#include "hostio.h"

static const char *const columns[] = {"id", "componentId", "name", "sizeBytes", "temporary", "betaApis"};
static const char *const headers[] = {"Image ID", "Component ID", "Name", "Bytes", "Temporary", "Beta APIs"};

static int run_add(const struct cli_invocation *inv)
{
    const char *file = cli_value(inv, "image");
    char *data = NULL;
    size_t len = 0;
    int err = hostio_read_file(file, &data, &len);
    if (err)
        return cli_error("cannot read %s: %s", file, os_strerror(err));
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    char path[64];
    snprintf(path, sizeof path, "/v1/images?force=%s&temporary=%s", cli_flag(inv, "force") ? "true" : "false",
             cli_flag(inv, "temporary") ? "true" : "false");
    struct cloudresp resp;
    if (!rc && !(rc = cloudcli_call_raw(&c, "POST", path, "application/octet-stream", data, len, &resp))) {
        if (inv->output != CLI_OUTPUT_JSON)
            printf("Uploaded image '%s'; the cloud re-signed it for production.\n", file);
        cloudcli_print(inv, resp.json, columns, headers, 6);
        cloudresp_free(&resp);
    }
    free(data);
    cloudclient_free(&c);
    return rc;
}

static int get(const struct cli_invocation *inv, const char *path, struct cloudresp *resp)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    rc = rc ? rc : cloudcli_call(&c, "GET", path, NULL, resp);
    cloudclient_free(&c);
    return rc;
}

static int show_path(const struct cli_invocation *inv, const char *path)
{
    struct cloudresp resp;
    int rc = get(inv, path, &resp);
    if (!rc) {
        cloudcli_print(inv, resp.json, columns, headers, 6);
        cloudresp_free(&resp);
    }
    return rc;
}

static int run_list(const struct cli_invocation *inv) { return show_path(inv, "/v1/images"); }

static int run_show(const struct cli_invocation *inv)
{
    char *id = cloudcli_escape(cli_value(inv, "image")), path[256];
    snprintf(path, sizeof path, "/v1/images/%s", id ? id : "");
    free(id);
    return show_path(inv, path);
}

static int run_download(const struct cli_invocation *inv)
{
    char *id = cloudcli_escape(cli_value(inv, "image")), path[256];
    snprintf(path, sizeof path, "/v1/images/%s/content", id ? id : "");
    free(id);
    const char *dest = cli_value(inv, "destination");
    struct cloudresp resp;
    int rc = get(inv, path, &resp);
    if (!rc) {
        int err = hostio_write_file_atomic(dest, resp.body.data, resp.body.len, 0644);
        if (err)
            rc = cli_error("cannot write %s: %s", dest, os_strerror(err));
        else
            printf("Downloaded image '%s' (%zu bytes, production-signed) to '%s'.\n", cli_value(inv, "image"), resp.body.len, dest);
        cloudresp_free(&resp);
    }
    return rc;
}

#define END {NULL, 0, NULL, false, false, NULL}
static const struct cli_option add_options[] = {
    {"image", 0, "FILE", false, true, "The image package to upload (at most 1 MiB)."},
    {"force", 0, NULL, false, false, "Upload even an image that uses Beta APIs."},
    {"temporary", 0, NULL, false, false, "Mark the image temporary (removed at boot; for manufacturing)."}, END};
static const struct cli_option id_options[] = {{"image", 'i', "ID", false, true, "The image ID."}, END};
static const struct cli_option download_options[] = {
    {"image", 'i', "ID", false, true, "The image ID."},
    {"destination", 0, "FILE", false, true, "Where to save the production-signed package."}, END};
static const struct cli_option no_options[] = {END};

static const struct cli_command add = {.name = "add", .summary = "Upload an image package; the cloud verifies and re-signs it.",
                                       .options = add_options, .prints_data = true, .run = run_add};
static const struct cli_command show = {.name = "show", .summary = "Show an image.", .options = id_options,
                                        .prints_data = true, .run = run_show};
static const struct cli_command list = {.name = "list", .summary = "List the tenant's images.", .options = no_options,
                                        .prints_data = true, .run = run_list};
static const struct cli_command download = {.name = "download", .summary = "Download an image (production-signed).",
                                            .options = download_options, .run = run_download};
static const struct cli_command *const image_commands[] = {&add, &show, &list, &download, NULL};
const struct cli_command cmd_image = {.name = "image", .summary = "Images in the cloud.", .subcommands = image_commands};
