/* SPDX-License-Identifier: MIT */
/*
 * cloud.h — the OpenSphere cloud service (docs/cloud.md): tenants, users and API tokens,
 * products, device groups and their update policies, claimed devices and tags, images
 * re-signed with the production key, deployments, device check-ins, capability files.
 *
 * The service is a request handler (cloud_handle) over a SQL store (clouddb.h) and a blob
 * folder; cloudreq.h is its request layer and cloudhttp.h puts it behind HTTPS (libmicrohttpd).
 * Handlers never trust the request: every body is size-limited and parsed, every name checked, every query scoped to
 * the caller's tenant (another tenant's objects are "not found"), and every refusal carries an
 * HTTP status, a stable code and a sentence: {"error":{"code":"...","message":"..."}}.
 *
 * Data folder: cloud.db (SQLite, unless --db names PostgreSQL), blobs/<sha256> (images, written
 * once, never changed), tls.{key,cert}.pem (generated when no certificate is given),
 * tokens/<tenant>.token (the first user's token of each tenant, mode 0600).
 * Keys folder (the simulator home by default): production.{key,cert}.pem re-signs images,
 * security-service.{key,cert}.pem signs capability files, sdk-signing.cert.pem is accepted on
 * upload. Simulated devices trust the same certificates.
 */
#ifndef OPENSPHERE_CLOUD_CLOUD_H
#define OPENSPHERE_CLOUD_CLOUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "cloudreq.h" /* struct cloud_request, struct cloud_response */


struct cloud;

struct cloud_config {
    const char *data_dir;             /* required; created if missing */
    const char *db_url;               /* NULL: SQLite in data_dir */
    const char *keys_dir;             /* production, security-service and SDK certificates */
    const char *const *tenants;       /* tenants to create if missing; none: one called "default" */
    size_t tenant_count;
    bool device_token_fallback;       /* a device whose certificate is on record may still use its token alone */
};

int cloud_open(const struct cloud_config *cfg, struct cloud **out, char *why, size_t why_size);
void cloud_close(struct cloud *s);
const char *cloud_backend(const struct cloud *s);
/* Whether `authorization` ("Bearer os1.u....") is a valid token of a user: lets the HTTP layer
 * refuse to store a large upload before authentication completes. */
bool cloud_is_user_token(struct cloud *s, const char *authorization);

void cloud_handle(struct cloud *s, const struct cloud_request *rq, struct cloud_response *rs);

#endif
