/* SPDX-License-Identifier: MIT */
/* cmd_access.c — the credential lifecycle against the cloud service (docs/security.md):
 * `sphere user list|create|revoke`, `sphere token revoke` and `sphere device delete` (added to
 * `sphere device` by cmd_device_cloud.c). Each sends one request with the login's token and
 * prints the answer; the service logs every refusal and revocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_cloud.h"
#include "commands.h"
#include "error.h"
#include "hostio.h"

static const char *const user_columns[] = {"name", "id", "state", "tokens", "expires"};
static const char *const user_headers[] = {"Name", "ID", "State", "Tokens", "Expires (s since 1970)"};

/* METHOD PATH with BODY (owned, may be NULL); prints the answer with columns. */
static int call_print(const struct cli_invocation *inv, const char *method, const char *path, struct json_value *body,
                      const char *const *columns, const char *const *headers, size_t ncolumns)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    struct cloudresp resp;
    if (!rc && !(rc = cloudcli_call(&c, method, path, body, &resp))) {
        cloudcli_print(inv, resp.json, columns, headers, ncolumns);
        cloudresp_free(&resp);
    }
    json_free(body);
    cloudclient_free(&c);
    return rc;
}

static int run_user_list(const struct cli_invocation *inv)
{
    return call_print(inv, "GET", "/v1/users", NULL, user_columns, user_headers, 5);
}

static int run_user_create(const struct cli_invocation *inv)
{
    struct json_value *body = json_new_object();
    json_object_append(body, "name", json_new_string(cli_value(inv, "name")));
    const char *expires = cli_value(inv, "expires");
    if (expires) {
        char *end = NULL;
        long long seconds = strtoll(expires, &end, 10);
        if (!*expires || *end || seconds < 1) {
            json_free(body);
            return cli_error("--expires must be a number of seconds (1 or more), not '%s'", expires);
        }
        json_object_append(body, "expiresInSeconds", json_new_int(seconds));
    }
    static const char *const columns[] = {"name", "id", "token", "expires"};
    static const char *const headers[] = {"Name", "ID", "Token (shown once)", "Expires"};
    return call_print(inv, "POST", "/v1/users", body, columns, headers, 4);
}

static int run_user_revoke(const struct cli_invocation *inv)
{
    char *esc = cloudcli_escape(cli_value(inv, "user")), path[512];
    snprintf(path, sizeof path, "/v1/users/%s", esc ? esc : "");
    free(esc);
    static const char *const columns[] = {"name", "id", "state"};
    static const char *const headers[] = {"Name", "ID", "State"};
    return call_print(inv, "DELETE", path, NULL, columns, headers, 3);
}

static int run_token_revoke(const struct cli_invocation *inv)
{
    const char *token = cli_value(inv, "token"), *file = cli_value(inv, "token-file");
    char *text = NULL;
    size_t len = 0;
    if (!token == !file)
        return cli_error("give exactly one of --token TOKEN and --token-file FILE");
    if (file) {
        int err = hostio_read_file(file, &text, &len);
        if (err)
            return cli_error("cannot read %s: %s", file, os_strerror(err));
        while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            text[--len] = '\0';
        token = text;
    }
    struct json_value *body = json_new_object();
    json_object_append(body, "token", json_new_string(token));
    if (text) {
        memset(text, 0, len);
        free(text);
    }
    static const char *const columns[] = {"kind", "subject", "revoked"};
    static const char *const headers[] = {"Kind", "Subject", "Revoked"};
    return call_print(inv, "POST", "/v1/tokens/revoke", body, columns, headers, 3);
}

static int run_device_delete(const struct cli_invocation *inv)
{
    char *esc = cloudcli_escape(cli_value(inv, "device-id")), path[512];
    snprintf(path, sizeof path, "/v1/devices/%s", esc ? esc : "");
    free(esc);
    static const char *const columns[] = {"deviceId", "deleted", "brokerReloaded"};
    static const char *const headers[] = {"Device ID", "Deleted", "Broker reloaded"};
    return call_print(inv, "DELETE", path, NULL, columns, headers, 3);
}

#define END {NULL, 0, NULL, false, false, NULL}
static const struct cli_option no_options[] = {END};
static const struct cli_option create_options[] = {
    {"name", 'n', "NAME", false, true, "The new user's name (1-50 printable characters, no '/')."},
    {"expires", 0, "SECONDS", false, false, "The token stops working this many seconds from now (default: never)."},
    END};
static const struct cli_option revoke_options[] = {
    {"user", 'u', "NAME|ID", false, true, "The user to revoke: every token of theirs stops working at once."}, END};
static const struct cli_option token_options[] = {
    {"token", 0, "TOKEN", false, false, "The token to revoke (a user's or a device's of your tenant)."},
    {"token-file", 0, "FILE", false, false, "A file holding the token to revoke."},
    END};
static const struct cli_option delete_options[] = {
    {"device-id", 0, "ID", false, true, "The device ID (128 hex digits)."}, END};

static const struct cli_command user_list = {.name = "list", .summary = "List the tenant's users.", .options = no_options,
                                             .prints_data = true, .run = run_user_list};
static const struct cli_command user_create = {.name = "create", .summary = "Create a user and its token (shown once).",
                                               .options = create_options, .prints_data = true, .run = run_user_create};
static const struct cli_command user_revoke = {.name = "revoke", .summary = "Revoke a user: all its tokens stop working.",
                                               .options = revoke_options, .prints_data = true, .run = run_user_revoke};
static const struct cli_command *const user_commands[] = {&user_list, &user_create, &user_revoke, NULL};
const struct cli_command cmd_user = {.name = "user", .summary = "Users of your cloud tenant (sphere login first).",
                                     .subcommands = user_commands};

static const struct cli_command token_revoke = {.name = "revoke", .summary = "Revoke one API token at once.",
                                                .options = token_options, .prints_data = true, .run = run_token_revoke};
static const struct cli_command *const token_commands[] = {&token_revoke, NULL};
const struct cli_command cmd_token = {.name = "token", .summary = "API tokens of your cloud tenant (sphere login first).",
                                      .subcommands = token_commands};

const struct cli_command cmd_device_delete = {
    .name = "delete",
    .summary = "Delete a device from the cloud: its token, broker password and twin go (its claim is kept for audit).",
    .options = delete_options,
    .prints_data = true,
    .run = run_device_delete};
