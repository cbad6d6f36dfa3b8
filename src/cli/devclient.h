/* SPDX-License-Identifier: MIT */
/*
 * devclient.h — the CLI's side of the device REST API: one request at a time over the
 * device's Unix socket (libcurl), with the selected capability file in AZSPHERE-CAPABILITIES.
 */
#ifndef OPENSPHERE_CLI_DEVCLIENT_H
#define OPENSPHERE_CLI_DEVCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "json.h"

struct devclient {
    char *name;
    char *home;
    char *dir;
    char *socket;
    uint8_t *capability; /* selected capability file, sent with every request */
    size_t capability_len;
};

/* Resolves -d/--device (or the only running device). Prints and returns non-zero on failure. */
int devclient_open(const char *name, struct devclient *c);
void devclient_close(struct devclient *c);

struct devresponse {
    long status;
    struct json_value *json; /* parsed body, NULL if not JSON */
};

/* Sends a request. body may be NULL. Extra capability bytes (e.g. a file being applied) replace
 * the selected one when given. Returns 0, or prints an error and returns CLI_EXIT_FAILED when the
 * device cannot be reached. */
int devclient_request(struct devclient *c, const char *method, const char *path, const char *content_type,
                      const void *body, size_t body_len, const uint8_t *capability, size_t capability_len,
                      struct devresponse *out);
void devresponse_free(struct devresponse *r);
/* When the response is an error: prints "error: <device message>" with the detail and code,
 * and returns CLI_EXIT_FAILED; returns CLI_EXIT_OK for a 200. */
int devclient_check(const struct devresponse *r);

/* One JSON request (body may be NULL) to the named device (NULL: the only one running), checked
 * with devclient_check. On success *out holds the answer (free it with devresponse_free). Returns a
 * CLI exit code, having printed any error. */
int devclient_call(const char *device, const char *method, const char *path, const char *body,
                   struct devresponse *out);

#endif
