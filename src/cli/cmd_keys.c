/* SPDX-License-Identifier: MIT */
/* cmd_keys.c — `sphere keys generate`: production-style signing keys (P-256 key + self-signed cert). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "hostio.h"
#include "json.h"
#include "path.h"
#include "signing.h"

static int run_generate(const struct cli_invocation *inv)
{
    const char *name = cli_value(inv, "name");
    const char *dir = cli_value(inv, "directory") ? cli_value(inv, "directory") : ".";
    const char *days_text = cli_value(inv, "days");
    const char *cn = cli_value(inv, "common-name") ? cli_value(inv, "common-name") : name;
    char *end = NULL;
    long days = days_text ? strtol(days_text, &end, 10) : 3650;
    if (days_text && (*end || days < 1 || days > 36500))
        return cli_error("--days must be a whole number of days from 1 to 36500, not '%s'", days_text);
    if (!name[0] || strchr(name, '/'))
        return cli_error("--name must be a plain file name, not '%s'", name);
    char key_file[4096], cert_file[4096];
    if (snprintf(key_file, sizeof key_file, "%s/%s.key.pem", dir, name) >= (int)sizeof key_file ||
        snprintf(cert_file, sizeof cert_file, "%s/%s.cert.pem", dir, name) >= (int)sizeof cert_file)
        return cli_error("the folder name is too long");
    char *key_pem = NULL, *cert_pem = NULL;
    uint8_t thumb[20];
    int err = signing_generate(cn, (unsigned)days, &key_pem, &cert_pem, thumb);
    if (err)
        return cli_error("cannot generate a key: %s", os_strerror(err));
    int rc = CLI_EXIT_OK;
    err = hostio_write_new_file(key_file, key_pem, strlen(key_pem), 0600);
    if (err)
        rc = cli_error("cannot write %s: %s%s", key_file, os_strerror(err),
                       err == -EEXIST ? " (refusing to overwrite a key)" : "");
    if (!rc && (err = hostio_write_new_file(cert_file, cert_pem, strlen(cert_pem), 0644)) != 0)
        rc = cli_error("cannot write %s: %s%s", cert_file, os_strerror(err),
                       err == -EEXIST ? " (refusing to overwrite a certificate)" : "");
    if (!rc) {
        char hex[41];
        signing_thumbprint_hex(thumb, hex);
        if (inv->output == CLI_OUTPUT_JSON)
            printf("{\"privateKey\":\"%s\",\"certificate\":\"%s\",\"thumbprint\":\"%s\"}\n", key_file, cert_file, hex);
        else
            printf("Private key:  %s (mode 0600: keep it secret)\nCertificate:  %s\nThumbprint:   %s\n", key_file,
                   cert_file, hex);
    }
    free(key_pem);
    free(cert_pem);
    return rc;
}

static const struct cli_option generate_options[] = {
    {"name", 0, "NAME", false, true, "Base name of the files: NAME.key.pem and NAME.cert.pem."},
    {"directory", 0, "DIR", false, false, "Where to write them (default: the current folder)."},
    {"days", 0, "N", false, false, "How long the certificate is valid (default 3650)."},
    {"common-name", 0, "CN", false, false, "The certificate's subject common name (default: NAME)."},
    {NULL, 0, NULL, false, false, NULL},
};

static const struct cli_command generate = {
    .name = "generate",
    .summary = "Generate an ECDSA P-256 signing key and a self-signed certificate.",
    .details = "The key is written with mode 0600; existing files are never overwritten. The printed\n"
               "thumbprint (SHA-1 of the certificate) is how image packages name the key.",
    .options = generate_options,
    .prints_data = true,
    .run = run_generate,
};

static const struct cli_command *const keys_commands[] = {&generate, NULL};

const struct cli_command cmd_keys = {
    .name = "keys",
    .summary = "Manage image-package signing keys.",
    .subcommands = keys_commands,
};
