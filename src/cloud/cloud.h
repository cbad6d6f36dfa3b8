/*
 * cloud.h — the OpenSphere cloud service (docs/cloud.md): tenants, users and API tokens,
 * products, device groups and their update policies, claimed devices and tags, images
 * re-signed with the production key, deployments, device check-ins, capability files.
 *
 * The service is a request handler (cloud_handle) over a SQL store (clouddb.h) and a blob
 * folder; cloud_http_start puts it behind HTTPS (libmicrohttpd). Handlers never trust the
 * request: every body is size-limited and parsed, every name checked, every query scoped to
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

#define CLOUD_MAX_IMAGE (1024u * 1024u)     /* the platform's 1 MiB image limit */
#define CLOUD_MAX_JSON (64u * 1024u)
#define CLOUD_CHECKIN_SECONDS 60

struct cloud;
struct cloud_ota_upload; /* a streamed OTA deployment file (private/cloud_ota.h) */

struct cloud_config {
    const char *data_dir;             /* required; created if missing */
    const char *db_url;               /* NULL: SQLite in data_dir */
    const char *keys_dir;             /* production, security-service and SDK certificates */
    const char *const *tenants;       /* tenants to create if missing; none: one called "default" */
    size_t tenant_count;
};

int cloud_open(const struct cloud_config *cfg, struct cloud **out, char *why, size_t why_size);
void cloud_close(struct cloud *s);
const char *cloud_backend(const struct cloud *s);
/* Whether `authorization` ("Bearer os1.u....") is a valid token of a user: lets the HTTP layer
 * refuse to store a large upload before authentication completes. */
bool cloud_is_user_token(struct cloud *s, const char *authorization);

/* One request, as the HTTP layer received it. Pointers are borrowed for the call. */
struct cloud_request {
    const char *method;
    const char *path;          /* decoded, without the query */
    const char *authorization; /* the Authorization header, or NULL */
    const char *content_type;
    const uint8_t *body;
    size_t body_len;
    bool force, temporary;     /* ?force=true, ?temporary=true (image upload) */
    const char *(*arg)(const struct cloud_request *rq, const char *name); /* a query argument or NULL; may be NULL */
    void *arg_cls;                  /* for arg() */
    struct cloud_ota_upload *upload; /* a streamed file (POST /v1/ota/deployments), or NULL */
    bool headers_only; /* an OTA deployment whose body has not come yet: answer only to refuse it
                        * (status 0 means "send the body"); nothing is stored */
};

struct cloud_response {
    unsigned status;
    struct json_value *json; /* owned; NULL when octets are sent */
    uint8_t *octets;         /* owned */
    size_t octets_len;
    const char *content_type; /* for octets; NULL: application/octet-stream (static string) */
};

void cloud_handle(struct cloud *s, const struct cloud_request *rq, struct cloud_response *rs);
void cloud_response_free(struct cloud_response *rs);
/* Makes rs the error {"error":{"code":code,"message":...}} with `status` (replacing any body). */
void cloud_fail(struct cloud_response *rs, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* HTTPS front end: listens on `addr:port` (port 0 = any; the port chosen is in *bound). */
struct cloud_http;
int cloud_http_start(struct cloud *s, const char *addr, uint16_t port, const char *key_pem, const char *cert_pem,
                     struct cloud_http **out, uint16_t *bound, char *why, size_t why_size);
void cloud_http_stop(struct cloud_http *h);

/* ---- request parsing (pure; fuzzed) ------------------------------------------------------- */

/* An installed image a device reports. */
struct cloud_installed {
    char component_id[37];
    char image_id[37];
};

#define CLOUD_MAX_REPORTED 64

/* A check-in or report body: {"installed":[{"componentId","imageId"}...], "osVersion",
 * "appDevelopment", "result", "detail"}. 0 or -EINVAL with the reason in why. */
struct cloud_checkin {
    struct cloud_installed installed[CLOUD_MAX_REPORTED];
    size_t installed_count;
    char os_version[16];
    bool app_development;
    char result[16];   /* "", "ok" or "failed" */
    char detail[256];
};
int cloud_parse_checkin(const char *text, size_t len, struct cloud_checkin *out, char *why, size_t why_size);

/* Names of products and groups: 1-50 characters, printable, no '/', not only spaces. */
bool cloud_valid_name(const char *name);
/* A token: "os1.u.<64 hex>" (user) or "os1.d.<64 hex>" (device); 'u' or 'd' in *kind. */
bool cloud_token_parse(const char *header, char *kind);

#endif
