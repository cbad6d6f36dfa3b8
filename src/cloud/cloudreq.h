/* SPDX-License-Identifier: MIT */
/*
 * cloudreq.h — the cloud service's request layer (cloudreq.c): what one HTTP request and its
 * answer look like to the handlers, the error body every refusal carries, and the pure parsers
 * of request bodies and tokens (fuzzed). No service state: the handlers (cloud.h) and the HTTPS
 * front end (cloudhttp.h) both sit on top of it.
 */
#ifndef OPENSPHERE_CLOUD_CLOUDREQ_H
#define OPENSPHERE_CLOUD_CLOUDREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define CLOUD_MAX_IMAGE (1024u * 1024u)     /* the platform's 1 MiB image limit */
#define CLOUD_MAX_JSON (64u * 1024u)
#define CLOUD_CHECKIN_SECONDS 60

struct cloud_ota_upload; /* a streamed OTA deployment file (private/cloud_ota.h) */

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
    const char *device_cert;  /* the device ID of a verified client certificate (mutual TLS), or NULL */
    bool device_cert_refused; /* a client certificate was presented and failed verification */
    struct cloud_later *later; /* how to answer later (below); set by the HTTP layer on every request
                                * it routes in full (NULL only with headers_only) */
};

struct cloud_response {
    unsigned status;
    struct json_value *json; /* owned; NULL when octets are sent */
    uint8_t *octets;         /* owned */
    size_t octets_len;
    const char *content_type; /* for octets; NULL: application/octet-stream (static string) */
    bool later;               /* no answer yet: it comes through cloud_later_answer (status 0) */
};

/* ---- answering later ----------------------------------------------------------------------
 * A handler that waits on something outside (a device answering a direct method, an event poll)
 * holds no HTTP worker and no database connection meanwhile: it starts the wait,
 * sets rs->later (no status) and returns; the HTTP layer parks the connection (libmicrohttpd
 * suspend/resume) until cloud_later_answer, which may be called from any thread, once, possibly
 * before the handler has returned. cloud_later_cancel_with names how to drop the wait if the
 * connection ends first: cancel(cls, op) must return only when the answer can no longer come. */
struct cloud_later;
void cloud_later_cancel_with(struct cloud_later *l, void (*cancel)(void *cls, uint64_t op), void *cls, uint64_t op);
/* Takes rs (its body); the connection is answered with it. */
void cloud_later_answer(struct cloud_later *l, struct cloud_response *rs);

void cloud_response_free(struct cloud_response *rs);
/* Makes rs the error {"error":{"code":code,"message":...}} with `status` (replacing any body). */
void cloud_fail(struct cloud_response *rs, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

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
