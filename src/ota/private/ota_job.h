/* SPDX-License-Identifier: MIT */
/*
 * ota_job.h — one OTA job: bring the staging store (ota_stage.h) to the desired image.
 *
 * ota_job_run() decides from the flash state alone — the anti-rollback counter and the
 * identity and committed size of a partial download — so it is the same code after a
 * network loss, an agent restart and a power cut:
 *   version 0 → idle; version < accepted → error (no rollback); version == accepted →
 *   verified (already there); a partial download of the same version/size/hash → resume
 *   at its committed size with Range + If-Range (a 200 answer restarts cleanly); anything
 *   else → a fresh download. The signature (over product, version, size and SHA-256) is
 *   checked before any transfer; the SHA-256 of the bytes on flash before the image is
 *   accepted (the counter is raised only then). A corrupt image is dropped and downloaded
 *   again up to `verify_attempts` times, then reported as an error.
 * Network failures (refused, reset, stalled, short body, 5xx) are retried with exponential
 * backoff, from the last committed byte; 403/404/410 are errors. Progress is reported at
 * every commit (one erase block). Returns 0 when the job ended in a state it reported
 * (verified, error, idle), -EIO when the flash failed (a power cut: remount and run again),
 * -ECANCELED when `stop` was raised.
 */
#ifndef OPENSPHERE_OTA_JOB_H
#define OPENSPHERE_OTA_JOB_H

#include <curl/curl.h>
#include <stdatomic.h>

#include "ota.h"
#include "ota_stage.h"

struct ota_env {
    struct ota_stage *stage;
    /* Checks d->signature over (product, version, size, sha256); 0 or a negative errno. */
    int (*verify_signature)(void *ctx, const struct ota_desired *d);
    void *verify_ctx;
    /* Receives every state change and progress step. */
    void (*report)(void *ctx, const struct ota_report *r);
    void *report_ctx;
    /* Optional: applies the device's confinement to a new transfer (e.g. OpenSphere_Curl_Confine). */
    int (*setup_curl)(void *ctx, CURL *curl, const char *url);
    void *curl_ctx;
    const char *ca_pem;         /* the CA certificate(s) for https URLs (PEM text), or NULL:
                                   the system's */
    size_t ca_pem_len;
    atomic_int *stop;           /* raised by another thread to abandon the job */
    unsigned network_attempts;  /* failed transfers before giving up; 0 = never give up */
    unsigned verify_attempts;   /* downloads whose hash or signature may fail (default 2) */
    unsigned backoff_min_ms, backoff_max_ms; /* default 200 .. 10000 */
    unsigned stall_seconds;     /* abort a transfer that moves no byte this long (default 20) */
    /* figures */
    uint64_t bytes_fetched;     /* body bytes received over the network, all attempts */
    unsigned transfers;         /* HTTP requests made */
};

int ota_job_run(struct ota_env *env, const struct ota_desired *d, struct ota_report *out);

#endif
