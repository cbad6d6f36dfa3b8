/* SPDX-License-Identifier: MIT */
/*
 * cmd_cloud.h — helpers shared by the cloud command groups (cmd_cloud.c, cmd_product.c,
 * cmd_device_group.c, cmd_image.c, cmd_device_cloud.c) and `sim create --cloud`.
 */
#ifndef OPENSPHERE_CLI_CMD_CLOUD_H
#define OPENSPHERE_CLI_CMD_CLOUD_H

#include "cli.h"
#include "cloudclient.h"

/* Loads the user's login (from `sphere login`); prints and returns non-zero when there is none. */
int cloudcli_open(struct cloudclient *c);
/* Sends a request; when `expect_ok` a non-2xx answer is printed as
 * "error: <message> (<code>, HTTP n)" and CLI_EXIT_FAILED returned. */
int cloudcli_call(struct cloudclient *c, const char *method, const char *path, const struct json_value *body,
                  struct cloudresp *out);
/* The same with a raw body. */
int cloudcli_call_raw(struct cloudclient *c, const char *method, const char *path, const char *type, const void *body,
                      size_t len, struct cloudresp *out);
/* Prints an object or array: JSON with -o json, else a table of `columns` (JSON keys) under
 * `headers`. */
void cloudcli_print(const struct cli_invocation *inv, const struct json_value *v, const char *const *columns,
                    const char *const *headers, size_t ncolumns);
/* A URL path segment, percent-encoded (malloc'd). */
char *cloudcli_escape(const char *segment);
/* Registers a new simulated device with the user's cloud (a device token) and stores the cloud
 * settings in its state folder. `ca_file` NULL: the login's certificate. */
int cloudcli_provision_sim(const char *state_dir, const char *device_id, const char *url, const char *ca_file);

/* Execs sphere-cloud (beside this executable) with [mode], --data, --keys (default the simulator
 * home, whose keys are made if missing), each option in `passed` the user gave as --NAME VALUE,
 * and every --tenant. Returns only on failure, with the error printed. */
int cloudcli_exec_daemon(const struct cli_invocation *inv, const char *mode, const char *const *passed, size_t npassed);

#endif
