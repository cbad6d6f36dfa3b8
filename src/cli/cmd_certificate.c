/* SPDX-License-Identifier: MIT */
/* cmd_certificate.c — `sphere device certificate add|list|show|show-quota|delete`, azsphere's
 * commands and options, over the device's /certstore endpoints (docs/certstore.md). Table output
 * by default, the device's JSON with -o json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "devclient.h"
#include "hostio.h"

#define DEVICE_OPTION {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."}
#define CERT_ID_OPTION(req) {"cert-id", 'c', "ID", false, req, "The certificate's identifier (1-16 of A-Z a-z 0-9 . - _)."}
#define END_OPTIONS {NULL, 0, NULL, false, false, NULL}

static const char *str(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : "";
}

static void print_json(const struct json_value *v)
{
    struct strbuf sb = {0};
    json_write(v, JSON_PRETTY, &sb);
    printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
}

/* The path /certstore/certs/ID; refuses an identifier that cannot be one before asking. */
static int cert_path(const char *id, char *path, size_t size)
{
    size_t n = strlen(id);
    bool ok = n >= 1 && n <= 16;
    for (size_t i = 0; ok && i < n; i++)
        ok = (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') ||
             id[i] == '.' || id[i] == '-' || id[i] == '_';
    if (!ok)
        return cli_error("--cert-id '%s' is not a certificate identifier (1-16 characters of A-Z a-z 0-9 . - _)", id);
    snprintf(path, size, "/certstore/certs/%s", id);
    return 0;
}

static int read_pem(const char *option, const char *file, char **text)
{
    size_t len = 0;
    int err = hostio_read_file(file, text, &len);
    if (err)
        return cli_error("--%s %s: %s", option, file, strerror(-err));
    if (len == 0 || len > 8192 || strlen(*text) != len) {
        free(*text);
        *text = NULL;
        return cli_error("--%s %s: a PEM file must hold 1 to 8192 bytes of text", option, file);
    }
    return 0;
}

static int run_add(const struct cli_invocation *inv)
{
    const char *id = cli_value(inv, "cert-id"), *type = cli_value(inv, "cert-type"),
               *cert_file = cli_value(inv, "public-key-file"), *key_file = cli_value(inv, "private-key-file"),
               *password = cli_value(inv, "private-key-password");
    bool client = !strcmp(type, "client");
    if (!client && strcmp(type, "rootca"))
        return cli_usage_error(inv, "--cert-type must be 'rootca' or 'client', not '%s'", type);
    if (client && !key_file)
        return cli_usage_error(inv, "a client certificate needs --private-key-file");
    if (!client && (key_file || password))
        return cli_usage_error(inv, "a root CA certificate takes no --private-key-file or --private-key-password");
    char path[64];
    int rc = cert_path(id, path, sizeof path);
    char *cert = NULL, *key = NULL;
    rc = rc ? rc : read_pem("public-key-file", cert_file, &cert);
    rc = rc ? rc : client ? read_pem("private-key-file", key_file, &key) : 0;
    struct json_value *body = rc ? NULL : json_new_object();
    if (body) {
        json_object_append(body, "certType", json_new_string(client ? "Client" : "RootCA"));
        json_object_append(body, "publicCert", json_new_string(cert));
        if (key)
            json_object_append(body, "privateKey", json_new_string(key));
        if (password)
            json_object_append(body, "password", json_new_string(password));
    }
    struct strbuf sb = {0};
    if (body && json_write(body, JSON_COMPACT, &sb))
        rc = cli_error("out of memory");
    json_free(body);
    free(cert);
    free(key);
    if (rc) {
        strbuf_free(&sb);
        return rc;
    }
    struct devresponse r;
    rc = devclient_call(cli_value(inv, "device"), "POST", path, strbuf_str(&sb), &r);
    strbuf_free(&sb);
    if (!rc)
        printf("Certificate '%s' successfully added.\n", id);
    devresponse_free(&r);
    return rc;
}

static int run_list(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = devclient_call(cli_value(inv, "device"), "GET", "/certstore/certs", NULL, &r);
    if (!rc && inv->output == CLI_OUTPUT_JSON) {
        print_json(r.json);
    } else if (!rc) {
        const struct json_value *ids = json_object_get(r.json, "identifiers");
        size_t n = ids && ids->type == JSON_ARRAY ? ids->u.array.count : 0;
        if (!n) {
            printf("No certificates are installed on the device.\n");
        } else {
            struct cli_table t;
            cli_table_init(&t, 1);
            cli_table_row(&t, "Identifiers");
            for (size_t i = 0; i < n; i++)
                cli_table_row(&t, ids->u.array.items[i]->type == JSON_STRING ? ids->u.array.items[i]->u.string.chars : "");
            cli_table_print(&t, stdout);
            cli_table_free(&t);
        }
    }
    devresponse_free(&r);
    return rc;
}

static int run_show(const struct cli_invocation *inv)
{
    char path[64];
    int rc = cert_path(cli_value(inv, "cert-id"), path, sizeof path);
    if (rc)
        return rc;
    struct devresponse r;
    rc = devclient_call(cli_value(inv, "device"), "GET", path, NULL, &r);
    if (!rc && inv->output == CLI_OUTPUT_JSON) {
        print_json(r.json);
    } else if (!rc) {
        struct cli_table t;
        cli_table_init(&t, 5);
        cli_table_row(&t, "Id", "StartDate", "EndDate", "SubjectName", "IssuerName");
        cli_table_row(&t, str(r.json, "id"), str(r.json, "notBefore"), str(r.json, "notAfter"), str(r.json, "subjectName"),
                      str(r.json, "issuerName"));
        cli_table_print(&t, stdout);
        cli_table_free(&t);
    }
    devresponse_free(&r);
    return rc;
}

static int run_quota(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = devclient_call(cli_value(inv, "device"), "GET", "/certstore/space", NULL, &r);
    if (!rc && inv->output == CLI_OUTPUT_JSON) {
        print_json(r.json);
    } else if (!rc) {
        struct cli_table t;
        cli_table_init(&t, 1);
        cli_table_row(&t, "Available space (bytes)");
        cli_table_row(&t, str(r.json, "AvailableSpace"));
        cli_table_print(&t, stdout);
        cli_table_free(&t);
    }
    devresponse_free(&r);
    return rc;
}

static int run_delete(const struct cli_invocation *inv)
{
    char path[64];
    const char *id = cli_value(inv, "cert-id");
    int rc = cert_path(id, path, sizeof path);
    if (rc)
        return rc;
    struct devresponse r;
    rc = devclient_call(cli_value(inv, "device"), "DELETE", path, NULL, &r);
    if (!rc)
        printf("Certificate '%s' successfully deleted.\n", id);
    devresponse_free(&r);
    return rc;
}

static const struct cli_option only_device[] = {DEVICE_OPTION, END_OPTIONS};
static const struct cli_option id_options[] = {CERT_ID_OPTION(true), DEVICE_OPTION, END_OPTIONS};
static const struct cli_option add_options[] = {
    CERT_ID_OPTION(true),
    {"cert-type", 't', "rootca|client", false, true, "The kind of certificate."},
    {"public-key-file", 'p', "FILE", false, true, "The certificate (PEM)."},
    {"private-key-file", 'k', "FILE", false, false, "The client certificate's private key (PEM)."},
    {"private-key-password", 'w', "PASSWORD", false, false, "The password of an encrypted private key."},
    DEVICE_OPTION,
    END_OPTIONS};

static const struct cli_command add = {.name = "add", .summary = "Add a certificate to the device's certificate store.",
                                       .options = add_options, .run = run_add,
                                       .details = "Installing onto an identifier in use replaces that certificate."};
static const struct cli_command list = {.name = "list", .summary = "List the certificates on the device.",
                                        .options = only_device, .prints_data = true, .run = run_list};
static const struct cli_command show = {.name = "show", .summary = "Show a certificate's validity, subject and issuer.",
                                        .options = id_options, .prints_data = true, .run = run_show};
static const struct cli_command show_quota = {.name = "show-quota",
                                              .summary = "Show the space left in the certificate store (24 KiB in all).",
                                              .options = only_device, .prints_data = true, .run = run_quota};
static const struct cli_command delete_cert = {.name = "delete", .summary = "Delete a certificate from the device.",
                                               .options = id_options, .run = run_delete};
static const struct cli_command *const children[] = {&add, &list, &show, &show_quota, &delete_cert, NULL};
const struct cli_command cmd_device_certificate = {
    .name = "certificate", .summary = "Manage the device's certificate store.", .subcommands = children};
