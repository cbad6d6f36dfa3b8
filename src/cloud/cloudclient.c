/* SPDX-License-Identifier: MIT */
/* cloudclient.c — HTTPS requests to the cloud service (see cloudclient.h). */
#include "cloudclient.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostio.h"
#include "path.h"

#define PROGRESS_THRESHOLD (1024 * 1024)

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
    return strbuf_append(userdata, ptr, size * n) ? 0 : size * n;
}

static int progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    bool *drawn = p;
    curl_off_t total = ultotal > dltotal ? ultotal : dltotal, now = ultotal > dltotal ? ulnow : dlnow;
    if (total < PROGRESS_THRESHOLD)
        return 0;
    int width = 40, done = (int)(now * width / total);
    fprintf(stderr, "\r[%.*s%*s] %3d%% %lld/%lld KiB", done, "########################################", width - done, "",
            (int)(now * 100 / total), (long long)now / 1024, (long long)total / 1024);
    *drawn = true;
    return 0;
}

/* A body streamed from a file: read in pieces as curl sends it. */
struct file_body {
    FILE *f;
    curl_off_t size;
};

static size_t read_file_body(char *buf, size_t size, size_t n, void *userdata)
{
    struct file_body *fb = userdata;
    size_t got = fread(buf, 1, size * n, fb->f);
    return ferror(fb->f) ? CURL_READFUNC_ABORT : got;
}

static int perform(const struct cloudclient *c, const char *method, const char *path, const char *content_type,
                   const void *body, size_t len, struct file_body *file, struct cloudresp *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    CURL *curl = curl_easy_init();
    if (!curl)
        return -ENOMEM;
    char *url = malloc(strlen(c->url) + strlen(path) + 1), header[128];
    struct curl_slist *headers = NULL;
    if (!url) {
        curl_easy_cleanup(curl);
        return -ENOMEM;
    }
    strcpy(url, c->url);
    strcat(url, path);
    if (content_type) {
        snprintf(header, sizeof header, "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, header);
    }
    char auth[160];
    if (c->token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
        headers = curl_slist_append(headers, auth);
    }
    /* A file waits for "100 Continue": the service refuses a deployment it will not take (a
     * version that is not newer…) on its headers, before the file is sent. Other bodies are small. */
    headers = curl_slist_append(headers, file ? "Expect: 100-continue" : "Expect:");
    bool drawn = false, bar = c->progress && isatty(STDERR_FILENO);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, c->timeout ? c->timeout : 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
    if (c->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
    if (c->cert_file) {
        curl_easy_setopt(curl, CURLOPT_SSLCERT, c->cert_file);
        curl_easy_setopt(curl, CURLOPT_SSLKEY, c->cert_file);
    }
    if (bar) {
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &drawn);
    }
    if (file) {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_file_body);
        curl_easy_setopt(curl, CURLOPT_READDATA, file);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, file->size);
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    } else if (body || !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
    }
    CURLcode rc = curl_easy_perform(curl);
    if (drawn)
        fputc('\n', stderr);
    int err = 0;
    if (rc != CURLE_OK) {
        snprintf(why, why_size, "cannot reach the cloud at %s: %s", c->url, curl_easy_strerror(rc));
        err = rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
        strbuf_free(&out->body);
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
        struct diag_list diags = {0};
        if (out->body.len && json_parse(out->body.data, out->body.len, NULL, "response", &diags, &out->json) != 0)
            out->json = NULL;
        diag_list_free(&diags);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(url);
    return err;
}

int cloudclient_request(const struct cloudclient *c, const char *method, const char *path, const char *content_type,
                        const void *body, size_t len, struct cloudresp *out, char *why, size_t why_size)
{
    return perform(c, method, path, content_type, body, len, NULL, out, why, why_size);
}

int cloudclient_upload_file(const struct cloudclient *c, const char *method, const char *path, const char *content_type,
                            const char *file, struct cloudresp *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    struct file_body fb = {.f = fopen(file, "rb")};
    struct stat st;
    if (!fb.f || fstat(fileno(fb.f), &st) != 0 || !S_ISREG(st.st_mode)) {
        int err = fb.f ? -EISDIR : -errno;
        snprintf(why, why_size, "cannot read %s: %s", file, fb.f ? "not a regular file" : strerror(errno));
        if (fb.f)
            fclose(fb.f);
        return err;
    }
    fb.size = (curl_off_t)st.st_size;
    int err = perform(c, method, path, content_type, NULL, 0, &fb, out, why, why_size);
    fclose(fb.f);
    return err;
}

void cloudresp_free(struct cloudresp *r)
{
    strbuf_free(&r->body);
    json_free(r->json);
    r->json = NULL;
}

static const char *error_field(const struct cloudresp *r, const char *key, const char *fallback)
{
    const struct json_value *e = json_object_get(json_object_get(r->json, "error"), key);
    return e && e->type == JSON_STRING ? e->u.string.chars : fallback;
}

const char *cloudresp_code(const struct cloudresp *r) { return error_field(r, "code", "unknown"); }
const char *cloudresp_message(const struct cloudresp *r) { return error_field(r, "message", "the cloud refused the request"); }

void cloudclient_free(struct cloudclient *c)
{
    free(c->url), free(c->token), free(c->ca_file), free(c->cert_file);
    memset(c, 0, sizeof *c);
}

char *cloudclient_config_dir(void)
{
    const char *env = getenv("OPENSPHERE_CONFIG_DIR"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char *dir = NULL;
    if (env && env[0])
        dir = strdup(env);
    else if (xdg && xdg[0])
        dir = path_join(xdg, "opensphere");
    else {
        char *cfg = path_join(home && home[0] ? home : "/tmp", ".config");
        dir = cfg ? path_join(cfg, "opensphere") : NULL;
        free(cfg);
    }
    if (dir && hostio_make_dirs(dir, 0700) != 0) {
        free(dir);
        dir = NULL;
    }
    return dir;
}

int cloudclient_load_login(struct cloudclient *c)
{
    memset(c, 0, sizeof *c);
    char *dir = cloudclient_config_dir(), *p = dir ? path_join(dir, "cloud.json") : NULL, *text = NULL;
    size_t len = 0;
    int err = p ? hostio_read_file(p, &text, &len) : -ENOMEM;
    struct json_value *j = NULL;
    struct diag_list diags = {0};
    if (!err && json_parse(text, len, NULL, p, &diags, &j) != 0)
        err = -EINVAL;
    diag_list_free(&diags);
    const struct json_value *url = json_object_get(j, "cloud"), *token = json_object_get(j, "token"),
                            *ca = json_object_get(j, "caCert");
    if (!err && (!url || url->type != JSON_STRING || !token || token->type != JSON_STRING))
        err = -EINVAL;
    if (!err) {
        c->url = strdup(url->u.string.chars);
        c->token = strdup(token->u.string.chars);
        c->ca_file = ca && ca->type == JSON_STRING ? strdup(ca->u.string.chars) : NULL;
    }
    json_free(j);
    free(text), free(p), free(dir);
    return err;
}

int cloudclient_save_login(const char *url, const char *token, const char *ca_file)
{
    char *dir = cloudclient_config_dir(), *ca = dir ? path_join(dir, "cloud-ca.pem") : NULL,
         *p = dir ? path_join(dir, "cloud.json") : NULL, *pem = NULL;
    size_t len = 0;
    int err = p && ca ? 0 : -ENOMEM;
    if (!err && ca_file && (err = hostio_read_file(ca_file, &pem, &len)) == 0)
        err = hostio_write_file_atomic(ca, pem, len, 0644);
    struct json_value *o = json_new_object();
    struct strbuf sb = {0};
    if (!o)
        err = err ? err : -ENOMEM;
    if (!err) {
        json_object_append(o, "cloud", json_new_string(url));
        json_object_append(o, "token", json_new_string(token));
        if (ca_file)
            json_object_append(o, "caCert", json_new_string(ca));
        err = json_write(o, JSON_PRETTY, &sb);
    }
    err = err ? err : strbuf_putc(&sb, '\n');
    err = err ? err : hostio_write_file_atomic(p, sb.data, sb.len, 0600);
    strbuf_free(&sb);
    json_free(o);
    free(pem), free(ca), free(p), free(dir);
    return err;
}
