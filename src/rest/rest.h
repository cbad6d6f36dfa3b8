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

struct board;
struct applog;
/* Also serve the simulator's own endpoints (docs/runtime.md): the board's GPIO lines and the
 * device log. Call before requests arrive. */
void rest_attach_simulator(struct rest_server *s, struct board *board, struct applog *log);

#endif
