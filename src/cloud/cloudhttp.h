/* SPDX-License-Identifier: MIT */
/*
 * cloudhttp.h — the cloud service behind HTTPS (cloudhttp.c, libmicrohttpd): each request is
 * read (bodies size-limited; OTA files streamed to disk), handed to cloud_handle (cloud.h), and
 * its answer sent. One front end per service; stop it before closing the service.
 */
#ifndef OPENSPHERE_CLOUD_CLOUDHTTP_H
#define OPENSPHERE_CLOUD_CLOUDHTTP_H

#include <stddef.h>
#include <stdint.h>

struct cloud;

/* HTTPS front end: listens on `addr:port` (port 0 = any; the port chosen is in *bound). */
struct cloud_http;
int cloud_http_start(struct cloud *s, const char *addr, uint16_t port, const char *key_pem, const char *cert_pem,
                     struct cloud_http **out, uint16_t *bound, char *why, size_t why_size);
void cloud_http_stop(struct cloud_http *h);

#endif
