/* SPDX-License-Identifier: MIT */
/*
 * cloudclient.h — the client side of the cloud API (libcurl over HTTPS): the CLI and the
 * device's update agent use it. One request at a time; a token in "Authorization: Bearer";
 * the server verified against a CA file (the cloud's self-signed certificate by default).
 *
 * The user's login lives in <config>/cloud.json (mode 0600) with the server's certificate in
 * <config>/cloud-ca.pem; <config> is $OPENSPHERE_CONFIG_DIR, else $XDG_CONFIG_HOME/opensphere,
 * else ~/.config/opensphere.
 */
#ifndef OPENSPHERE_CLOUD_CLOUDCLIENT_H
#define OPENSPHERE_CLOUD_CLOUDCLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "strbuf.h"

struct cloudclient {
    char *url;     /* "https://127.0.0.1:8443", no trailing slash */
    char *token;   /* may be NULL */
    char *ca_file; /* may be NULL: the system's CAs */
    char *cert_file; /* may be NULL: a PEM file with a client certificate and its key, presented in
                        the TLS handshake (a device's deviceauth.pem; docs/security.md) */
    long timeout;  /* seconds; 0 = 60 */
    bool progress; /* draw a progress bar on stderr (a terminal) for transfers of 1 MiB or more */
};

struct cloudresp {
    long status;
    struct strbuf body;
    struct json_value *json; /* the body parsed, when it is JSON */
};

/* Sends one request. 0 when an HTTP response arrived (any status), -EIO when the server could
 * not be reached (the reason in why), -ENOMEM. */
int cloudclient_request(const struct cloudclient *c, const char *method, const char *path, const char *content_type,
                        const void *body, size_t len, struct cloudresp *out, char *why, size_t why_size);
/* Sends the file `file` as the body, streamed (never whole in memory). The same results, plus
 * a negative errno when the file cannot be read (the reason in why). */
int cloudclient_upload_file(const struct cloudclient *c, const char *method, const char *path, const char *content_type,
                            const char *file, struct cloudresp *out, char *why, size_t why_size);
void cloudresp_free(struct cloudresp *r);
/* The error of a non-2xx response: its code and message (never NULL). */
const char *cloudresp_code(const struct cloudresp *r);
const char *cloudresp_message(const struct cloudresp *r);

void cloudclient_free(struct cloudclient *c);

/* The user's config folder (malloc'd, created with mode 0700), or NULL. */
char *cloudclient_config_dir(void);
/* Loads the user's login; -ENOENT when there is none. */
int cloudclient_load_login(struct cloudclient *c);
/* Saves url + token (+ a copy of the CA file, when given) as the user's login. */
int cloudclient_save_login(const char *url, const char *token, const char *ca_file);

#endif
