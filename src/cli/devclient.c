/* SPDX-License-Identifier: MIT */
/* devclient.c — REST requests to a simulated device over its Unix socket (see devclient.h). */
#include "devclient.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deverr.h"
#include "error.h"
#include "hostio.h"
#include "path.h"
#include "simhome.h"

static char *only_running_device(const char *home)
{
    char *devices = path_join(home, "devices"), **names = NULL, *found = NULL;
    size_t n = 0, running = 0;
    if (devices && hostio_list_subdirs(devices, &names, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            char *dir = simhome_device_dir(home, names[i]);
            if (dir && simhome_running_pid(dir)) {
                running++;
                free(found);
                found = strdup(names[i]);
            }
            free(dir);
        }
        hostio_free_list(names, n);
    }
    free(devices);
    if (running != 1) {
        free(found);
        cli_error(running ? "several simulated devices are running; choose one with -d/--device NAME"
                          : "no simulated device is running; start one with 'sphere sim start NAME'");
        return NULL;
    }
    return found;
}

static int open_client(const char *name, struct devclient *c)
{
    if (!(c->home = simhome_dir()))
        return CLI_EXIT_FAILED;
    c->name = name ? strdup(name) : only_running_device(c->home);
    if (!c->name)
        return CLI_EXIT_FAILED;
    if (!simhome_valid_name(c->name))
        return cli_error("'%s' is not a valid device name", c->name);
    c->dir = simhome_device_dir(c->home, c->name);
    struct stat st;
    if (!c->dir || stat(c->dir, &st) != 0)
        return cli_error("there is no simulated device '%s'", c->name);
    if (!simhome_running_pid(c->dir))
        return cli_error("simulated device '%s' is not running; start it with 'sphere sim start %s'", c->name, c->name);
    c->socket = path_join(c->dir, "rest.sock");
    char sel[4096];
    snprintf(sel, sizeof sel, "%s/selected/%s.cap", c->home, c->name);
    char *data = NULL;
    if (hostio_read_file(sel, &data, &c->capability_len) == 0)
        c->capability = (uint8_t *)data;
    return c->socket ? CLI_EXIT_OK : cli_error("out of memory");
}

void devclient_close(struct devclient *c)
{
    free(c->name), free(c->home), free(c->dir), free(c->socket), free(c->capability);
    memset(c, 0, sizeof *c);
}

int devclient_open(const char *name, struct devclient *c)
{
    memset(c, 0, sizeof *c);
    int rc = open_client(name, c);
    if (rc != CLI_EXIT_OK)
        devclient_close(c); /* a failed open holds nothing: callers need not close it */
    return rc;
}

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
    return strbuf_append(userdata, ptr, size * n) ? 0 : size * n;
}

int devclient_request(struct devclient *c, const char *method, const char *path, const char *content_type,
                      const void *body, size_t body_len, const uint8_t *capability, size_t capability_len,
                      struct devresponse *out)
{
    memset(out, 0, sizeof *out);
    CURL *curl = curl_easy_init();
    if (!curl)
        return cli_error("cannot initialise libcurl");
    char url[1024], header[128];
    snprintf(url, sizeof url, "http://localhost%s", path);
    struct curl_slist *headers = NULL;
    if (content_type) {
        snprintf(header, sizeof header, "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, header);
    }
    headers = curl_slist_append(headers, "Expect:");
    const uint8_t *cap = capability ? capability : c->capability;
    size_t cap_len = capability ? capability_len : c->capability_len;
    char *cap_header = NULL;
    if (cap) {
        cap_header = malloc(32 + 4 * ((cap_len + 2) / 3) + 1);
        if (cap_header) {
            int n = sprintf(cap_header, "AZSPHERE-CAPABILITIES: ");
            EVP_EncodeBlock((unsigned char *)cap_header + n, cap, (int)cap_len);
            headers = curl_slist_append(headers, cap_header);
        }
    }
    struct strbuf response = {0};
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->socket);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    if (body || !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
    }
    CURLcode rc = curl_easy_perform(curl);
    int result = CLI_EXIT_OK;
    if (rc != CURLE_OK) {
        result = cli_error("The device is not responding (%s over %s): %s", c->name, c->socket, curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
        struct diag_list diags = {0};
        if (response.len && json_parse(response.data, response.len, NULL, "response", &diags, &out->json) != 0)
            out->json = NULL;
        diag_list_free(&diags);
    }
    strbuf_free(&response);
    curl_slist_free_all(headers);
    free(cap_header);
    curl_easy_cleanup(curl);
    return result;
}

void devresponse_free(struct devresponse *r)
{
    json_free(r->json);
    r->json = NULL;
}

int devclient_check(const struct devresponse *r)
{
    if (r->status == 200)
        return CLI_EXIT_OK;
    const struct json_value *e = json_object_get(r->json, "error");
    const struct json_value *detail = json_object_get(r->json, "detail");
    int wire = e && e->type == JSON_NUMBER ? (int)e->u.number.integer : -1;
    enum deverr known = wire >= 0 ? deverr_from_wire(wire) : DERR_NONE;
    const char *message = known ? deverr_info(known)->message : "The device returned an error";
    fprintf(stderr, "error: %s\n", message);
    if (detail && detail->type == JSON_STRING)
        fprintf(stderr, "error: %s\n", detail->u.string.chars);
    if (wire >= (1 << 20))
        fprintf(stderr, "error: (device error %d.%d, HTTP %ld)\n", wire >> 20, wire & 0xFFFFF, r->status);
    else
        fprintf(stderr, "error: (device error %d, HTTP %ld)\n", wire, r->status);
    return CLI_EXIT_FAILED;
}

int devclient_call(const char *device, const char *method, const char *path, const char *body,
                   struct devresponse *out)
{
    struct devclient c;
    *out = (struct devresponse){0};
    int rc = devclient_open(device, &c);
    if (rc)
        return rc;
    rc = devclient_request(&c, method, path, body ? "application/json" : NULL, body, body ? strlen(body) : 0, NULL, 0,
                           out);
    if (!rc)
        rc = devclient_check(out);
    devclient_close(&c);
    return rc;
}
