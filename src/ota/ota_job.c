/* SPDX-License-Identifier: MIT */
/*
 * ota_job.c — one OTA job: decide from flash, download with resume, verify, accept
 * (contract in ota_job.h).
 */
#include "ota_job.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* What one HTTP transfer ended with. */
enum transfer_end {
    END_COMPLETE,   /* every byte of the image is committed */
    END_RETRY,      /* network trouble: try again from the last committed byte */
    END_RESTART,    /* the server's answer does not continue our bytes: start from 0 */
    END_FATAL,      /* the server refuses (403/404/410) or the image is wrong: give up */
    END_FLASH,      /* the flash failed (a power cut) */
    END_STOPPED,
};

struct transfer {
    CURL *curl;
    struct ota_env *env;
    const struct ota_desired *d;
    struct ota_report *report;
    uint32_t offset;       /* the first byte asked for */
    long status;
    bool headers_done, body_started;
    int64_t range_start, total, content_length;
    char etag[OTA_ETAG_MAX];
    enum transfer_end verdict; /* set by the callbacks when they abort */
    char why[OTA_ERROR_MAX];
    int flash_err;
};

static void publish(struct ota_env *env, struct ota_report *r, enum ota_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void publish(struct ota_env *env, struct ota_report *r, enum ota_status status, const char *fmt, ...)
{
    r->status = status;
    r->accepted_version = env->stage->accepted;
    r->error[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->error, sizeof r->error, fmt, ap);
        va_end(ap);
    }
    if (env->report)
        env->report(env->report_ctx, r);
}

static bool stopped(const struct ota_env *env)
{
    return env->stop && atomic_load(env->stop);
}

static void sleep_ms(struct ota_env *env, unsigned ms)
{
    for (unsigned slept = 0; slept < ms && !stopped(env); slept += 50) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* ---- the HTTP transfer ---- */

static void header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0)
        return;
    const char *v = line + n, *end = line + len;
    while (v < end && isspace((unsigned char)*v))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    size_t m = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
    memcpy(out, v, m);
    out[m] = '\0';
}

static size_t on_header(char *line, size_t size, size_t count, void *userdata)
{
    struct transfer *t = userdata;
    size_t len = size * count;
    char value[160] = "";
    if (len >= 5 && !strncmp(line, "HTTP/", 5)) { /* a new response (after a 100 or redirect) */
        t->range_start = t->total = t->content_length = -1;
        t->etag[0] = '\0';
        return len;
    }
    header_value(line, len, "ETag:", t->etag, sizeof t->etag);
    header_value(line, len, "Content-Length:", value, sizeof value);
    if (value[0])
        t->content_length = strtoll(value, NULL, 10);
    value[0] = '\0';
    header_value(line, len, "Content-Range:", value, sizeof value);
    long long a, b, total;
    if (value[0] && sscanf(value, "bytes %lld-%lld/%lld", &a, &b, &total) == 3)
        t->range_start = a, t->total = total;
    return len;
}

static size_t abort_transfer(struct transfer *t, enum transfer_end verdict, const char *why)
{
    t->verdict = verdict;
    snprintf(t->why, sizeof t->why, "%s", why);
    return 0; /* libcurl: CURLE_WRITE_ERROR */
}

/* The first body byte: does this answer continue the bytes we have? */
static size_t start_body(struct transfer *t)
{
    struct ota_stage *st = t->env->stage;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
    t->body_started = true;
    if (t->status == 206) {
        if (t->range_start != (int64_t)t->offset || t->total != (int64_t)t->d->size)
            return abort_transfer(t, END_RESTART, "the server answered another byte range than the one asked");
        if (st->id_etag[0] && strcmp(st->id_etag, t->etag))
            return abort_transfer(t, END_RESTART, "the blob changed on the server (ETag differs)");
    } else if (t->status == 200) {
        if (t->content_length >= 0 && t->content_length != (int64_t)t->d->size)
            return abort_transfer(t, END_FATAL, "the server's blob size is not the deployed size");
        if (t->offset && ota_stage_restart(st) != 0)
            return abort_transfer(t, END_FLASH, "flash write failed");
        t->offset = 0; /* the whole body follows: start over (the blob changed or Range was ignored) */
        t->report->bytes_done = 0;
    } else {
        return abort_transfer(t, END_RETRY, "unexpected HTTP status");
    }
    if (t->etag[0] && ota_stage_set_etag(st, t->etag) != 0)
        return abort_transfer(t, END_FLASH, "flash write failed");
    return 1;
}

static size_t on_body(char *data, size_t size, size_t count, void *userdata)
{
    struct transfer *t = userdata;
    size_t len = size * count;
    if (stopped(t->env))
        return abort_transfer(t, END_STOPPED, "stopped");
    if (!t->body_started && !start_body(t))
        return 0;
    struct ota_stage *st = t->env->stage;
    uint32_t before = st->committed;
    int err = ota_stage_append(st, data, len);
    if (err == -EFBIG)
        return abort_transfer(t, END_RESTART, "the server sent more bytes than the image has");
    if (err)
        return t->flash_err = err, abort_transfer(t, END_FLASH, "flash write failed");
    t->env->bytes_fetched += len;
    if (st->committed != before) { /* a block was committed: report progress */
        t->report->bytes_done = st->committed;
        publish(t->env, t->report, OTA_DOWNLOADING, NULL);
    }
    return len;
}

static CURL *new_transfer(struct transfer *t, struct curl_slist **headers)
{
    struct ota_env *env = t->env;
    CURL *curl = curl_easy_init();
    if (!curl)
        return NULL;
    t->curl = curl;
    curl_easy_setopt(curl, CURLOPT_URL, t->d->url);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long)(env->stall_seconds ? env->stall_seconds : 20));
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
    if (env->ca_pem) {
        struct curl_blob ca = {.data = (void *)env->ca_pem, .len = env->ca_pem_len, .flags = CURL_BLOB_COPY};
        curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
    }
    if (t->offset) {
        char range[64], if_range[OTA_ETAG_MAX + 16];
        snprintf(range, sizeof range, "%" PRIu32 "-", t->offset);
        curl_easy_setopt(curl, CURLOPT_RANGE, range);
        if (env->stage->id_etag[0]) {
            snprintf(if_range, sizeof if_range, "If-Range: %s", env->stage->id_etag);
            *headers = curl_slist_append(NULL, if_range);
            curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *headers);
        }
    }
    if (env->setup_curl && env->setup_curl(env->curl_ctx, curl, t->d->url) != 0) {
        curl_easy_cleanup(curl);
        return NULL;
    }
    return curl;
}

static enum transfer_end classify(struct transfer *t, CURLcode rc, CURL *curl)
{
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_WRITE_ERROR && t->verdict != END_COMPLETE)
        return t->verdict;
    if (rc == CURLE_HTTP_RETURNED_ERROR) {
        snprintf(t->why, sizeof t->why, "HTTP %ld from the blob server%s", status,
                 status == 403 ? " (URL expired or refused)" : "");
        if (status == 416)
            return END_RESTART;
        return (status == 403 || status == 404 || status == 410) ? END_FATAL : END_RETRY;
    }
    if (rc != CURLE_OK) {
        snprintf(t->why, sizeof t->why, "network: %s", curl_easy_strerror(rc));
        return END_RETRY;
    }
    if (t->env->stage->committed != t->d->size) {
        snprintf(t->why, sizeof t->why, "the transfer ended after %" PRIu32 " of %" PRIu32 " bytes",
                 t->env->stage->committed, t->d->size);
        return END_RETRY;
    }
    return END_COMPLETE;
}

static enum transfer_end transfer_once(struct ota_env *env, const struct ota_desired *d, struct ota_report *r,
                                       char *why, size_t why_size)
{
    struct transfer t = {.env = env, .d = d, .report = r, .offset = env->stage->committed, .verdict = END_COMPLETE,
                         .range_start = -1, .total = -1, .content_length = -1};
    struct curl_slist *headers = NULL;
    CURL *curl = new_transfer(&t, &headers);
    if (!curl) {
        snprintf(why, why_size, "cannot set up the transfer");
        return END_RETRY;
    }
    env->transfers++;
    CURLcode rc = curl_easy_perform(curl);
    /* Whatever happened, commit the bytes that arrived: they are the next resume point. */
    bool flash_failed = rc == CURLE_WRITE_ERROR && t.verdict == END_FLASH;
    enum transfer_end end = flash_failed || ota_stage_checkpoint(env->stage) != 0 ? END_FLASH : classify(&t, rc, curl);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    snprintf(why, why_size, "%s", t.why);
    return end;
}

/* ---- the job ---- */

static unsigned backoff(const struct ota_env *env, unsigned failures)
{
    unsigned lo = env->backoff_min_ms ? env->backoff_min_ms : 200, hi = env->backoff_max_ms ? env->backoff_max_ms : 10000;
    unsigned ms = lo;
    for (unsigned i = 1; i < failures && ms < hi; i++)
        ms *= 2;
    return ms < hi ? ms : hi;
}

/* Downloads until every byte is committed. 0, or the end that stopped it. */
static enum transfer_end download(struct ota_env *env, const struct ota_desired *d, struct ota_report *r)
{
    unsigned failures = 0, restarts = 0;
    char why[OTA_ERROR_MAX] = "";
    while (env->stage->committed < d->size) {
        if (stopped(env))
            return END_STOPPED;
        r->bytes_done = env->stage->committed;
        publish(env, r, OTA_DOWNLOADING, NULL);
        enum transfer_end end = transfer_once(env, d, r, why, sizeof why);
        if (end == END_COMPLETE)
            break;
        if (end == END_FLASH || end == END_STOPPED)
            return end;
        if (end == END_FATAL || (end == END_RESTART && ++restarts > 3)) {
            publish(env, r, OTA_ERROR, "%s", why);
            return END_FATAL;
        }
        if (end == END_RESTART && ota_stage_restart(env->stage) != 0)
            return END_FLASH;
        failures++;
        if (env->network_attempts && failures >= env->network_attempts) {
            publish(env, r, OTA_ERROR, "gave up after %u failed transfers: %s", failures, why);
            return END_FATAL;
        }
        r->bytes_done = env->stage->committed;
        publish(env, r, OTA_INTERRUPTED, "%s", why);
        sleep_ms(env, backoff(env, failures));
    }
    r->bytes_done = env->stage->committed;
    return END_COMPLETE;
}

/* The committed image's hash against the signed deployment's. 0 when it holds. */
static int verify(struct ota_env *env, const struct ota_desired *d, char *why, size_t why_size)
{
    char hex[OTA_SHA256_HEX + 1];
    int err = ota_stage_sha256(env->stage, hex);
    if (err)
        return err == -EIO ? -EIO : (snprintf(why, why_size, "cannot read the image back (%d)", err), -EBADMSG);
    if (strcmp(hex, d->sha256)) {
        snprintf(why, why_size, "SHA-256 mismatch: the image hashes to %.16s…, the deployment says %.16s…", hex,
                 d->sha256);
        return -EBADMSG;
    }
    return 0;
}

/* Where the flash says we are, before any network traffic. */
static int prepare(struct ota_env *env, const struct ota_desired *d)
{
    struct ota_stage *st = env->stage;
    int err = ota_stage_matches(st, d) ? 0 : ota_stage_begin_fresh(st, d);
    err = err ? err : ota_stage_open_data(st);
    if (!err && st->committed > d->size)
        err = ota_stage_restart(st);
    return err;
}

int ota_job_run(struct ota_env *env, const struct ota_desired *d, struct ota_report *out)
{
    struct ota_report r = {.target_version = d->version, .size = d->size};
    struct ota_stage *st = env->stage;
    int result = 0;
    if (!d->version) {
        publish(env, &r, OTA_IDLE, NULL);
    } else if (d->version < st->accepted) {
        publish(env, &r, OTA_ERROR, "version %" PRIu32 " is older than the accepted version %" PRIu32 " (no rollback)",
                d->version, st->accepted);
    } else if (!env->verify_signature || env->verify_signature(env->verify_ctx, d) != 0) {
        /* The signature covers product, version, size and hash: check it before any transfer. */
        publish(env, &r, OTA_ERROR, "the deployment's signature does not verify with the OTA key");
    } else if (d->version == st->accepted) {
        r.bytes_done = d->size;
        publish(env, &r, OTA_VERIFIED, NULL);
    } else {
        unsigned bad_images = 0, allowed = env->verify_attempts ? env->verify_attempts : 2;
        for (;;) {
            if (prepare(env, d) != 0) {
                result = -EIO;
                break;
            }
            enum transfer_end end = download(env, d, &r);
            if (end != END_COMPLETE) {
                result = end == END_FLASH ? -EIO : end == END_STOPPED ? -ECANCELED : 0;
                break;
            }
            publish(env, &r, OTA_VERIFYING, NULL);
            char why[OTA_ERROR_MAX] = "";
            int err = verify(env, d, why, sizeof why);
            if (err == -EIO || (!err && ota_stage_accept(st) != 0)) {
                result = -EIO;
                break;
            }
            if (!err) {
                publish(env, &r, OTA_VERIFIED, NULL);
                break;
            }
            if (ota_stage_discard(st) != 0) {
                result = -EIO;
                break;
            }
            r.bytes_done = 0;
            if (++bad_images >= allowed) {
                publish(env, &r, OTA_ERROR, "%s", why);
                break;
            }
        }
    }
    if (out)
        *out = r;
    return result;
}
