/* SPDX-License-Identifier: MIT */
/*
 * rest.h — the device REST API over HTTP (libmicrohttpd): HTTPS on a loopback port, and plain
 * HTTP on a Unix socket (docs/device.md lists the endpoints).
 *
 * This layer only parses requests, authorises them (the AZSPHERE-CAPABILITIES header and the
 * endpoint's authorizer) and renders results: every rule lives in src/device. Requests are
 * serialised by one lock around the device. Error responses are {"error": <wire code>} with
 * the HTTP status the device error carries.
 */
#ifndef OPENSPHERE_REST_H
#define OPENSPHERE_REST_H

#include <stdint.h>

#include "device.h"

struct rest_server;

/* Starts serving `d`. unix_path and/or an HTTPS port (with PEM key and certificate) may be
 * given; at least one. Returns 0 or a negative errno; `why` explains a failure. */
int rest_start(struct device *d, const char *unix_path, uint16_t https_port, const char *tls_key_pem,
               const char *tls_cert_pem, struct rest_server **out, char *why, size_t why_size);
void rest_stop(struct rest_server *s);

/* Attached mode (docs/device.md): also serve HTTPS on `ipv4`:`port` (443 on a real device).
 * 0, or a negative errno with the reason in `why`. */
int rest_serve_attached(struct rest_server *s, const char *ipv4, uint16_t port, const char *tls_key_pem,
                        const char *tls_cert_pem, char *why, size_t why_size);

/* Reads DIR/tls.{key,cert}.pem, first replacing them (new key, written crash-safely) when the
 * certificate lacks DNS *.devices.sphere.azure.local, IP 127.0.0.1 or IP `attached_ip` (may be
 * NULL). 0 with both PEM strings (caller frees), or a negative errno with the reason in `why`. */
int rest_tls_load(const char *state_dir, const char *attached_ip, char **key_pem, char **cert_pem, char *why,
                  size_t why_size);

/* Attached mode (rest_attach.c; docs/device.md): root only. Gives the device at state folder DIR
 * the first free 192.168.35.N (N >= 2) on a host interface sphdevN it creates, and records the
 * claim in DIR/attached.json; rest_detach removes both. */
struct rest_attachment;
int rest_attach(const char *state_dir, struct rest_attachment **out, char *why, size_t why_size);
const char *rest_attached_address(const struct rest_attachment *a);
void rest_detach(struct rest_attachment *a);

/* The device-connection service: GET http://127.0.0.1:PORT/api/service/devices lists the
 * attached devices among DIR's sibling state folders. Several devices may run it: one holds
 * the port, the others take it over (checking each second) when it goes. */
#define REST_DEVSVC_PORT 48938
struct rest_devsvc;
int rest_devsvc_start(const char *state_dir, uint16_t port, struct rest_devsvc **out);
void rest_devsvc_stop(struct rest_devsvc *svc);

/* `fn` runs after each accepted POST /restart (device lock held: it must only note the request;
 * sphered then restarts every app, as a device's reboot does). Call before requests arrive. */
void rest_on_restart(struct rest_server *s, void (*fn)(void *ctx), void *ctx);

struct board;
struct applog;
/* Also serve the simulator's own endpoints (docs/runtime.md): the board's GPIO lines and the
 * device log. Call before requests arrive. */
void rest_attach_simulator(struct rest_server *s, struct board *board, struct applog *log);

#endif
