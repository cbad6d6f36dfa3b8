/* SPDX-License-Identifier: MIT */
/* device.c — a simulated device's state and operations (see device.h, docs/device.md).
 * It stays long (about 1150 lines) as one module: persistence, staging, install and the app
 * queries all read and write the one struct device and its on-disk state under the device's
 * lock; splitting it would first need that struct in a private header. */
#include "device.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apiset.h"
#include "bytes.h"
#include "capfile.h"
#include "hostio.h"
#include "hwdef.h"
#include "imgpkg.h"
#include "manifest.h"
#include "path.h"
#include "signing.h"

enum app_state { APP_STOPPED, APP_RUNNING, APP_DEBUGGING };

static const char *const app_state_names[] = {"stopped", "running", "debugging"};
static const char *const manufacturing_states[] = {"Blank", "Module1Complete", "DeviceComplete"};

struct image_entry {
    struct guid component_id;
    struct guid image_id;
    char name[32];
    uint16_t image_type;
    enum signer signer;
    size_t size;
    struct json_value *manifest; /* owned; NULL for non-applications */
    bool realtime;
    int core; /* real-time core 0 or 1; -1 for high-level apps */
    enum app_state state;
};

struct staged_image {
    uint8_t *data;
    size_t len;
    struct imgpkg_metadata meta;
    enum signer signer;
    struct json_value *manifest; /* owned */
    bool realtime;
    bool is_capability;
};

struct device {
    char *dir;
    char id_text[DEVICE_ID_HEX + 1];
    uint8_t id[DEVICE_ID_BYTES];
    const struct os_release *os;
    int manufacturing; /* index into manufacturing_states */
    size_t quota;
    uint16_t port;
    unsigned memory_limit_kb;
    struct capfile caps;
    bool has_caps;
    struct keystore *app_keys;     /* SDK + production certificates */
    struct keystore *service_keys; /* the security service (capability files) */
    struct image_entry *images;
    size_t image_count;
    struct staged_image *staged;
    size_t staged_count;
    struct hwdef_set *chip;
    time_t booted;
    pthread_mutex_t lock;
    struct device_hooks hooks;
    void (*on_restart)(void *ctx); /* device_set_restart_listener */
    void *on_restart_ctx;
};

static void notify_changed(struct device *d)
{
    if (d->hooks.changed)
        d->hooks.changed(d->hooks.ctx);
}

void device_set_hooks(struct device *d, const struct device_hooks *hooks) { d->hooks = *hooks; }

void device_set_restart_listener(struct device *d, void (*fn)(void *ctx), void *ctx)
{
    d->on_restart = fn;
    d->on_restart_ctx = ctx;
}
const char *device_os_name(const struct device *d) { return d->os->name; }

void device_lock(struct device *d) { pthread_mutex_lock(&d->lock); }
void device_unlock(struct device *d) { pthread_mutex_unlock(&d->lock); }

void device_result_fail(struct device_result *r, enum deverr e, const char *fmt, ...)
{
    r->err = e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

void device_result_body(struct device_result *r, struct json_value *body)
{
    if (!body)
        device_result_fail(r, DERR_INTERNAL, "%s", "out of memory");
    r->body = body;
}

void device_result_free(struct device_result *r)
{
    json_free(r->body);
    r->body = NULL;
}

void device_fault_point(const char *point)
{
    const char *fault = getenv("SPHERED_FAULT");
    if (fault && strcmp(fault, point) == 0)
        _exit(99);
}

static char *state_path(const struct device *d, const char *name) { return path_join(d->dir, name); }

/* ---- persistence -------------------------------------------------------------------------- */

static int write_json(const char *dir, const char *name, const struct json_value *v)
{
    struct strbuf sb = {0};
    char *p = path_join(dir, name);
    int err = !p ? -ENOMEM : json_write(v, JSON_PRETTY, &sb);
    if (!err)
        err = strbuf_putc(&sb, '\n');
    if (!err)
        err = hostio_write_file_atomic(p, sb.data, sb.len, 0644);
    strbuf_free(&sb);
    free(p);
    return err;
}

static int read_json(const char *dir, const char *name, struct json_value **out)
{
    char *p = path_join(dir, name), *text = NULL;
    size_t len = 0;
    int err = p ? hostio_read_file(p, &text, &len) : -ENOMEM;
    struct diag_list diags = {0};
    if (!err)
        err = json_parse(text, len, NULL, p, &diags, out);
    if (!err && diag_error_count(&diags)) {
        json_free(*out);
        *out = NULL;
        err = -EINVAL;
    }
    diag_list_free(&diags);
    free(text);
    free(p);
    return err;
}

static const char *string_field(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : NULL;
}

static long long int_field(const struct json_value *o, const char *key, long long fallback)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_NUMBER && v->u.number.is_integer ? v->u.number.integer : fallback;
}

static int save_device(const struct device *d)
{
    struct json_value *o = json_new_object();
    int err = !o ? -ENOMEM : 0;
    err = err ? err : json_object_append(o, "deviceId", json_new_string(d->id_text));
    err = err ? err : json_object_append(o, "osVersion", json_new_string(d->os->name));
    err = err ? err : json_object_append(o, "manufacturingState", json_new_string(manufacturing_states[d->manufacturing]));
    err = err ? err : json_object_append(o, "quotaBytes", json_new_int((int64_t)d->quota));
    err = err ? err : json_object_append(o, "httpsPort", json_new_int(d->port));
    err = err ? err : json_object_append(o, "memoryLimitKB", json_new_int(d->memory_limit_kb));
    err = err ? err : write_json(d->dir, "device.json", o);
    json_free(o);
    return err;
}

static const char *signer_name(enum signer s) { return s == SIGNER_SDK ? "sdk" : s == SIGNER_PRODUCTION ? "production" : "unknown"; }

static int save_installed(const struct device *d)
{
    struct json_value *root = json_new_object(), *list = json_new_array();
    int err = root && list ? 0 : -ENOMEM;
    for (size_t i = 0; !err && i < d->image_count; i++) {
        const struct image_entry *e = &d->images[i];
        char cid[GUID_TEXT_LEN + 1], iid[GUID_TEXT_LEN + 1];
        guid_format(&e->component_id, cid);
        guid_format(&e->image_id, iid);
        struct json_value *o = json_new_object();
        err = !o ? -ENOMEM : 0;
        err = err ? err : json_object_append(o, "componentId", json_new_string(cid));
        err = err ? err : json_object_append(o, "imageId", json_new_string(iid));
        err = err ? err : json_object_append(o, "name", json_new_string(e->name));
        err = err ? err : json_object_append(o, "imageType", json_new_int(e->image_type));
        err = err ? err : json_object_append(o, "signer", json_new_string(signer_name(e->signer)));
        err = err ? err : json_object_append(o, "sizeBytes", json_new_int((int64_t)e->size));
        err = err ? err : json_object_append(o, "core", json_new_int(e->core));
        err = err ? err : json_object_append(o, "state", json_new_string(app_state_names[e->state]));
        if (!err && e->manifest)
            err = json_object_append(o, "manifest", json_clone(e->manifest));
        err = err ? (json_free(o), err) : json_array_append(list, o);
    }
    if (!err) {
        err = json_object_append(root, "images", list);
        list = NULL;
    }
    err = err ? err : write_json(d->dir, "installed.json", root);
    json_free(list);
    json_free(root);
    return err;
}

static void free_entry(struct image_entry *e) { json_free(e->manifest); }

static int load_installed(struct device *d)
{
    struct json_value *root = NULL;
    int err = read_json(d->dir, "installed.json", &root);
    if (err == -ENOENT)
        return 0;
    if (err)
        return err;
    const struct json_value *list = json_object_get(root, "images");
    size_t n = list && list->type == JSON_ARRAY ? list->u.array.count : 0;
    d->images = calloc(n + 1, sizeof *d->images);
    if (!d->images) {
        json_free(root);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct json_value *o = list->u.array.items[i];
        struct image_entry e = {.core = -1};
        const char *cid = string_field(o, "componentId"), *iid = string_field(o, "imageId");
        const char *name = string_field(o, "name"), *signer = string_field(o, "signer"), *state = string_field(o, "state");
        if (!cid || !iid || guid_parse(cid, &e.component_id) || guid_parse(iid, &e.image_id)) {
            err = -EINVAL;
            break;
        }
        snprintf(e.name, sizeof e.name, "%s", name ? name : "");
        e.image_type = (uint16_t)int_field(o, "imageType", IMGPKG_TYPE_APPLICATION);
        e.signer = signer && !strcmp(signer, "sdk") ? SIGNER_SDK : SIGNER_PRODUCTION;
        e.size = (size_t)int_field(o, "sizeBytes", 0);
        e.core = (int)int_field(o, "core", -1);
        e.realtime = e.core >= 0;
        e.state = state && !strcmp(state, "running") ? APP_RUNNING : APP_STOPPED;
        const struct json_value *m = json_object_get(o, "manifest");
        if (m && !(e.manifest = json_clone(m))) {
            err = -ENOMEM;
            break;
        }
        d->images[d->image_count++] = e;
    }
    json_free(root);
    return err;
}

static char *image_file(const struct device *d, const struct guid *image_id)
{
    char iid[GUID_TEXT_LEN + 1], name[GUID_TEXT_LEN + 32];
    guid_format(image_id, iid);
    snprintf(name, sizeof name, "images/%s.imagepackage", iid);
    return state_path(d, name);
}

/* Removes image files that installed.json does not name (left by an interrupted install). */
static void collect_garbage(const struct device *d)
{
    char *dir = state_path(d, "images");
    char **files = NULL, *bad = NULL;
    size_t n = 0;
    if (dir && hostio_list_files(dir, &files, &n, &bad) == 0) {
        for (size_t i = 0; i < n; i++) {
            bool referenced = false;
            for (size_t k = 0; k < d->image_count && !referenced; k++) {
                char *p = image_file(d, &d->images[k].image_id);
                referenced = p && !strcmp(path_basename(p), files[i]);
                free(p);
            }
            char *p = path_join(dir, files[i]);
            if (!referenced && p)
                unlink(p);
            free(p);
        }
        hostio_free_list(files, n);
    }
    free(bad);
    free(dir);
}

static int load_keystore(const struct device *d, const char *file, enum signing_trust trust, const char *name,
                         struct keystore *ks)
{
    char *p = path_join(d->dir, file), *pem = NULL;
    size_t len = 0;
    int err = p ? hostio_read_file(p, &pem, &len) : -ENOMEM;
    if (!err)
        err = keystore_add_cert(ks, pem, len, trust, name);
    free(pem);
    free(p);
    return err == -ENOENT ? 0 : err;
}

/* ---- create / open ------------------------------------------------------------------------ */

static int copy_file(const char *from, const char *to, unsigned mode)
{
    char *data = NULL;
    size_t len = 0;
    int err = hostio_read_file(from, &data, &len);
    if (!err)
        err = hostio_write_file_atomic(to, data, len, mode);
    free(data);
    return err;
}

int device_create(const char *state_dir, const struct device_config *cfg, char *why, size_t why_size)
{
    struct stat st;
    if (stat(state_dir, &st) == 0) {
        snprintf(why, why_size, "%s already exists", state_dir);
        return -EEXIST;
    }
    struct device d = {.dir = (char *)state_dir, .quota = cfg->quota_bytes ? cfg->quota_bytes : DEVICE_DEFAULT_QUOTA_BYTES,
                       .port = cfg->https_port, .memory_limit_kb = cfg->memory_limit_kb ? cfg->memory_limit_kb : 256};
    d.os = cfg->os_version ? apiset_find_release(cfg->os_version) : apiset_newest_release();
    if (!d.os) {
        snprintf(why, why_size, "unknown OS version '%s'", cfg->os_version);
        return -EINVAL;
    }
    if (bytes_random(d.id, sizeof d.id) != 0) {
        snprintf(why, why_size, "cannot get random bytes for the device ID from the kernel");
        return -EIO;
    }
    device_id_format(d.id, d.id_text);
    static const char *const subdirs[] = {"images", "storage", "trusted"};
    int err = 0;
    for (size_t i = 0; !err && i < 3; i++) {
        char *p = path_join(state_dir, subdirs[i]);
        err = p ? hostio_make_dirs(p, 0755) : -ENOMEM;
        free(p);
    }
    static const char *const certs[] = {"sdk-signing.cert.pem", "production.cert.pem", "security-service.cert.pem"};
    for (size_t i = 0; !err && i < 3; i++) {
        char *from = path_join(cfg->trust_dir, certs[i]), *dir = path_join(state_dir, "trusted");
        char *to = dir ? path_join(dir, certs[i]) : NULL;
        err = from && to ? copy_file(from, to, 0644) : -ENOMEM;
        if (err)
            snprintf(why, why_size, "cannot copy %s: %s", from ? from : certs[i], strerror(-err));
        free(from), free(dir), free(to);
    }
    char *key = NULL, *cert = NULL;
    if (!err && (err = signing_generate_tls_names("OpenSphere simulated device", DEVICE_TLS_NAMES, 3650, &key, &cert)) != 0)
        snprintf(why, why_size, "cannot generate the device's TLS certificate");
    if (!err) {
        char *kp = path_join(state_dir, "tls.key.pem"), *cp = path_join(state_dir, "tls.cert.pem");
        err = kp && cp ? hostio_write_file_atomic(kp, key, strlen(key), 0600) : -ENOMEM;
        if (!err)
            err = hostio_write_file_atomic(cp, cert, strlen(cert), 0644);
        free(kp), free(cp);
    }
    free(key), free(cert);
    if (!err)
        err = save_device(&d);
    if (!err)
        err = save_installed(&d);
    if (err && !why[0])
        snprintf(why, why_size, "cannot write the device state in %s: %s", state_dir, strerror(-err));
    return err;
}

static int read_device_json(struct device *d, char *why, size_t why_size)
{
    struct json_value *o = NULL;
    int err = read_json(d->dir, "device.json", &o);
    if (err) {
        snprintf(why, why_size, "cannot read %s/device.json: %s", d->dir, strerror(-err));
        return err;
    }
    const char *id = string_field(o, "deviceId"), *os = string_field(o, "osVersion");
    const char *ms = string_field(o, "manufacturingState");
    d->manufacturing = -1;
    for (int i = 0; ms && i < 3; i++)
        if (!strcmp(ms, manufacturing_states[i]))
            d->manufacturing = i;
    d->os = os ? apiset_find_release(os) : NULL;
    d->quota = (size_t)int_field(o, "quotaBytes", DEVICE_DEFAULT_QUOTA_BYTES);
    d->port = (uint16_t)int_field(o, "httpsPort", 0);
    long long limit = int_field(o, "memoryLimitKB", 256);
    d->memory_limit_kb = limit >= 16 && limit <= 1024 * 1024 ? (unsigned)limit : 256;
    if (!id || device_id_parse(id, d->id) || !d->os || d->manufacturing < 0) {
        snprintf(why, why_size, "%s/device.json is damaged (deviceId, osVersion or manufacturingState)", d->dir);
        err = -EINVAL;
    } else {
        device_id_format(d->id, d->id_text);
    }
    json_free(o);
    return err;
}

static void load_capabilities(struct device *d)
{
    char *p = state_path(d, "capability.bin"), *data = NULL;
    size_t len = 0;
    if (p && hostio_read_file(p, &data, &len) == 0)
        d->has_caps = capfile_parse((const uint8_t *)data, len, d->service_keys, d->id, &d->caps, NULL) == 0;
    free(data);
    free(p);
}

int device_open(const char *state_dir, const char *sdk_dir, struct device **out, char *why, size_t why_size)
{
    *out = NULL;
    struct device *d = calloc(1, sizeof *d);
    if (!d || !(d->dir = strdup(state_dir))) {
        free(d);
        return -ENOMEM;
    }
    int err = read_device_json(d, why, why_size);
    if (!err && (keystore_new(&d->app_keys) || keystore_new(&d->service_keys)))
        err = -ENOMEM;
    if (!err)
        err = load_keystore(d, "trusted/sdk-signing.cert.pem", SIGNING_TRUST_SDK, "SDK", d->app_keys);
    if (!err)
        err = load_keystore(d, "trusted/production.cert.pem", SIGNING_TRUST_PRODUCTION, "production", d->app_keys);
    if (!err)
        err = load_keystore(d, "trusted/security-service.cert.pem", SIGNING_TRUST_PRODUCTION, "security service",
                            d->service_keys);
    if (err && !why[0])
        snprintf(why, why_size, "cannot load the trusted certificates in %s/trusted", state_dir);
    if (!err && (err = load_installed(d)) != 0)
        snprintf(why, why_size, "%s/installed.json is damaged: %s", state_dir, strerror(-err));
    if (!err) {
        load_capabilities(d);
        collect_garbage(d);
        hostio_remove_stale_temporaries(d->dir);
        char chip[4096];
        snprintf(chip, sizeof chip, "%s/HardwareDefinitions/mt3620.json", sdk_dir ? sdk_dir : ".");
        struct diag_list diags = {0};
        struct hwdef_search search = {0};
        if (hwdef_load(chip, &search, hostio_hwdef_io(), &diags, &d->chip) != 0) {
            snprintf(why, why_size, "cannot load the chip definition %s", chip);
            err = -ENOENT;
        }
        diag_list_free(&diags);
    }
    if (err) {
        device_close(d);
        return err;
    }
    d->booted = time(NULL);
    pthread_mutex_init(&d->lock, NULL);
    *out = d;
    return 0;
}

static void clear_staged(struct device *d)
{
    for (size_t i = 0; i < d->staged_count; i++) {
        free(d->staged[i].data);
        json_free(d->staged[i].manifest);
    }
    free(d->staged);
    d->staged = NULL;
    d->staged_count = 0;
}

void device_close(struct device *d)
{
    if (!d)
        return;
    clear_staged(d);
    for (size_t i = 0; i < d->image_count; i++)
        free_entry(&d->images[i]);
    free(d->images);
    keystore_free(d->app_keys);
    keystore_free(d->service_keys);
    hwdef_set_free(d->chip);
    if (d->booted)
        pthread_mutex_destroy(&d->lock);
    free(d->dir);
    free(d);
}

uint16_t device_https_port(const struct device *d) { return d->port; }
unsigned device_memory_limit_kb(const struct device *d) { return d->memory_limit_kb; }
const char *device_state_dir(const struct device *d) { return d->dir; }
const char *device_id_text(const struct device *d) { return d->id_text; }

enum deverr device_auth(const struct device *d, const uint8_t *presented, size_t presented_len, struct auth *out)
{
    *out = (struct auth){.before_device_complete = d->manufacturing < 2};
    if (d->has_caps) {
        out->app_development = capfile_has(&d->caps, CAP_ENABLE_APP_DEVELOPMENT);
        out->field_servicing = capfile_has(&d->caps, CAP_ENABLE_FIELD_SERVICING);
    }
    if (presented) {
        struct capfile cf;
        if (capfile_parse(presented, presented_len, d->service_keys, d->id, &cf, NULL) != 0)
            return DERR_CAPABILITY_INVALID;
        out->app_development |= capfile_has(&cf, CAP_ENABLE_APP_DEVELOPMENT);
        out->field_servicing |= capfile_has(&cf, CAP_ENABLE_FIELD_SERVICING);
    }
    return DERR_NONE;
}

/* ---- simple queries ----------------------------------------------------------------------- */

static struct json_value *object1(const char *key, struct json_value *value)
{
    struct json_value *o = json_new_object();
    if (o && json_object_append(o, key, value)) {
        json_free(o);
        return NULL;
    }
    if (!o)
        json_free(value);
    return o;
}

static void reply(struct device_result *r, struct json_value *body)
{
    if (!body)
        device_result_fail(r, DERR_INTERNAL, "out of memory");
    r->body = body;
}

void device_security_state(struct device *d, struct device_result *r)
{
    struct json_value *o = object1("securityState", json_new_string("SECURE"));
    if (o && json_object_append(o, "deviceIdentifier", json_new_string(d->id_text)))
        o = (json_free(o), NULL);
    reply(r, o);
}

void device_os_version(struct device *d, struct device_result *r) { reply(r, object1("osversion", json_new_string(d->os->name))); }

void device_status(struct device *d, struct device_result *r)
{
    reply(r, object1("uptime", json_new_int((int64_t)(time(NULL) - d->booted))));
}

void device_abi_versions(struct device *d, struct device_result *r)
{
    struct json_value *o = object1("SecureWorldRuntime", json_new_int(1));
    if (o && (json_object_append(o, "OSRuntime", json_new_int(1)) ||
              json_object_append(o, "ApplicationRuntime", json_new_int(d->os->arv))))
        o = (json_free(o), NULL);
    reply(r, o);
}

void device_capabilities(struct device *d, struct device_result *r)
{
    struct json_value *list = json_new_array();
    for (size_t i = 0; list && d->has_caps && i < d->caps.cap_count; i++)
        if (json_array_append(list, json_new_int(d->caps.caps[i])))
            list = NULL;
    reply(r, object1("device_capabilities", list));
}

void device_manufacturing_state(struct device *d, struct device_result *r)
{
    reply(r, object1("manufacturingState", json_new_string(manufacturing_states[d->manufacturing])));
}

void device_set_manufacturing_state(struct device *d, const struct auth *a, const char *state, struct device_result *r)
{
    int target = -1;
    for (int i = 1; state && i < 3; i++)
        if (!strcmp(state, manufacturing_states[i]))
            target = i;
    if (target < 0) {
        device_result_fail(r, DERR_BAD_REQUEST, "manufacturingState must be \"Module1Complete\" or \"DeviceComplete\"");
        return;
    }
    if (target <= d->manufacturing) {
        device_result_fail(r, DERR_MANUFACTURING_STATE, "the device is already %s", manufacturing_states[d->manufacturing]);
        return;
    }
    int old = d->manufacturing;
    d->manufacturing = target;
    if (save_device(d)) {
        d->manufacturing = old;
        device_result_fail(r, DERR_INTERNAL, "cannot save the device state");
    }
}

void device_restart(struct device *d, const struct auth *a, struct device_result *r)
{
    d->booted = time(NULL);
    for (size_t i = 0; i < d->image_count; i++)
        if (d->images[i].state == APP_DEBUGGING)
            d->images[i].state = APP_RUNNING;
    notify_changed(d);
    if (d->on_restart)
        d->on_restart(d->on_restart_ctx);
}

/* ---- staging ------------------------------------------------------------------------------ */

static void stage_capability(struct device *d, const struct auth *a, const uint8_t *data, size_t len,
                             struct device_result *r, struct staged_image *s)
{
    struct capfile cf;
    struct imgpkg_error perr = {0};
    int err = capfile_parse(data, len, d->service_keys, d->id, &cf, &perr);
    if (err == -EXDEV)
        device_result_fail(r, DERR_CAPABILITY_INVALID, "the capability file is for another device");
    else if (err == -ENOKEY || err == -EBADMSG)
        device_result_fail(r, DERR_NOT_TRUSTED, "the capability file is not signed by this device's security service");
    else if (err)
        device_result_fail(r, DERR_STAGE_INVALID, "%s", perr.message);
    s->is_capability = true;
    s->meta = cf.meta;
}

static void stage_application(struct device *d, const struct auth *a, const uint8_t *data, size_t len,
                              struct device_result *r, struct staged_image *s)
{
    struct imgpkg pkg;
    struct imgpkg_error perr = {0};
    if (imgpkg_parse(data, len, &pkg, &perr) != 0) {
        device_result_fail(r, DERR_STAGE_INVALID, "%s [%s]", perr.message, perr.code);
        return;
    }
    s->meta = pkg.meta;
    struct keystore_match match;
    int err = keystore_verify(d->app_keys, pkg.meta.thumbprint, data, pkg.signed_size, pkg.signature, &match);
    s->signer = err ? SIGNER_UNKNOWN : match.trust == SIGNING_TRUST_SDK ? SIGNER_SDK : SIGNER_PRODUCTION;
    enum deverr trust = err == -EBADMSG ? DERR_STAGE_INVALID : policy_trust(s->signer, a);
    const struct imgpkg_file *mf = imgpkg_find(&pkg, "app_manifest.json");
    struct diag_list diags = {0};
    struct manifest *m = NULL;
    struct manifest_context ctx = {.chip = d->chip};
    if (trust == DERR_STAGE_INVALID)
        device_result_fail(r, trust, "the image's signature does not verify");
    else if (trust)
        device_result_fail(r, trust, "%s", s->signer == SIGNER_UNKNOWN ? "the image is signed by a key this device does not know"
                                                              : "SDK-signed images need the appDevelopment capability");
    else if (pkg.meta.image_type != IMGPKG_TYPE_APPLICATION)
        device_result_fail(r, DERR_STAGE_INVALID, "image type %u (%s) cannot be sideloaded", pkg.meta.image_type,
                  imgpkg_type_name(pkg.meta.image_type));
    else if (guid_is_nil(&pkg.meta.component_id))
        device_result_fail(r, DERR_INVALID_COMPONENT, "the component ID is the nil GUID");
    else if (!mf)
        device_result_fail(r, DERR_MANIFEST_INVALID, "the image has no app_manifest.json");
    else if (manifest_validate((const char *)mf->data, mf->size, "app_manifest.json", &ctx, &diags, &m) != 0) {
        diag_sort(&diags);
        device_result_fail(r, DERR_MANIFEST_INVALID, "%s: %s", diags.count && diags.items[0].path ? diags.items[0].path : "manifest",
                  diags.count ? diags.items[0].message : "invalid");
    } else if (!guid_equal(&m->component_id, &pkg.meta.component_id))
        device_result_fail(r, DERR_INVALID_COMPONENT, "the manifest's ComponentId differs from the image's");
    else {
        const char *ep = m->entry_point[0] == '/' ? m->entry_point + 1 : m->entry_point;
        const struct imgpkg_file *entry = imgpkg_find(&pkg, ep);
        if (!entry)
            device_result_fail(r, DERR_ENTRY_POINT_MISSING, "EntryPoint %s is not in the image", m->entry_point);
        else if (entry->size == 0)
            device_result_fail(r, DERR_ENTRY_POINT_NOT_FILE, "EntryPoint %s is empty", m->entry_point);
        else {
            s->realtime = m->app_type == MANIFEST_APP_REALTIME;
            s->manifest = m->normalized;
            m->normalized = NULL;
        }
    }
    manifest_free(m);
    diag_list_free(&diags);
    imgpkg_free(&pkg);
}

void device_stage(struct device *d, const struct auth *a, const uint8_t *data, size_t len, struct device_result *r)
{
    struct staged_image s = {0};
    struct imgpkg_metadata meta;
    size_t body = 0;
    if (len > DEVICE_MAX_UPLOAD) {
        device_result_fail(r, DERR_STAGE_INVALID, "the image is %zu bytes; at most %u can be staged", len, DEVICE_MAX_UPLOAD);
        return;
    }
    struct imgpkg_error perr = {0};
    if (imgpkg_parse_metadata(data, len, &meta, &body, &perr) != 0) {
        device_result_fail(r, DERR_STAGE_INVALID, "%s [%s]", perr.message, perr.code);
        return;
    }
    if (meta.image_type == IMGPKG_TYPE_FIRMWARE_CONFIG)
        stage_capability(d, a, data, len, r, &s);
    else
        stage_application(d, a, data, len, r, &s);
    if (r->err) {
        json_free(s.manifest);
        return;
    }
    struct staged_image *list = realloc(d->staged, (d->staged_count + 1) * sizeof *list);
    s.data = malloc(len);
    if (!list || !s.data) {
        if (list)
            d->staged = list;
        free(s.data);
        json_free(s.manifest);
        device_result_fail(r, DERR_INTERNAL, "out of memory");
        return;
    }
    d->staged = list;
    memcpy(s.data, data, len);
    s.len = len;
    list[d->staged_count++] = s;
}

/* ---- install ------------------------------------------------------------------------------ */

static struct installed_app *policy_view(const struct device *d)
{
    struct installed_app *apps = calloc(d->image_count + 1, sizeof *apps);
    for (size_t i = 0, n = 0; apps && i < d->image_count; i++)
        if (d->images[i].manifest)
            apps[n++] = (struct installed_app){d->images[i].component_id, d->images[i].manifest, d->images[i].realtime,
                                               d->images[i].size};
    return apps;
}

static size_t app_count(const struct device *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->image_count; i++)
        n += d->images[i].manifest != NULL;
    return n;
}

static int find_image(const struct device *d, const struct guid *cid)
{
    for (size_t i = 0; i < d->image_count; i++)
        if (guid_equal(&d->images[i].component_id, cid))
            return (int)i;
    return -1;
}

static int free_core(const struct device *d, const struct guid *replacing)
{
    bool used[POLICY_REALTIME_CORES] = {false};
    for (size_t i = 0; i < d->image_count; i++)
        if (d->images[i].core >= 0 && d->images[i].core < POLICY_REALTIME_CORES &&
            !guid_equal(&d->images[i].component_id, replacing))
            used[d->images[i].core] = true;
    for (int c = 0; c < POLICY_REALTIME_CORES; c++)
        if (!used[c])
            return c;
    return -1;
}

static enum deverr check_staged(struct device *d, const struct staged_image *s, bool force, struct device_result *r)
{
    if (s->is_capability)
        return DERR_NONE;
    enum deverr e = DERR_NONE;
    if (!s->realtime)
        e = policy_check_api_set(s->manifest, d->os, force, r->detail, sizeof r->detail);
    if (!e) {
        struct installed_app *apps = policy_view(d);
        e = apps ? policy_check_resources(s->manifest, &s->meta.component_id, s->realtime, s->len, d->quota, apps,
                                          app_count(d), r->detail, sizeof r->detail)
                 : DERR_INTERNAL;
        free(apps);
    }
    return e;
}

static int apply_capability(struct device *d, const struct staged_image *s)
{
    char *p = state_path(d, "capability.bin");
    int err = p ? hostio_write_file_atomic(p, s->data, s->len, 0644) : -ENOMEM;
    free(p);
    if (!err) {
        d->has_caps = capfile_parse(s->data, s->len, d->service_keys, d->id, &d->caps, NULL) == 0;
        d->booted = time(NULL); /* applying a capability restarts the device */
    }
    return err;
}

/* Installs one staged application: image file, then the single commit (installed.json). */
static int commit_application(struct device *d, const struct staged_image *s, bool manual_start)
{
    char *file = image_file(d, &s->meta.image_id);
    int err = file ? hostio_write_file_atomic(file, s->data, s->len, 0644) : -ENOMEM;
    free(file);
    if (err)
        return err;
    device_fault_point("install:after-image-write");
    struct image_entry e = {.component_id = s->meta.component_id, .image_id = s->meta.image_id,
                            .image_type = s->meta.image_type, .signer = s->signer, .size = s->len,
                            .manifest = json_clone(s->manifest), .realtime = s->realtime, .core = -1,
                            .state = manual_start ? APP_STOPPED : APP_RUNNING};
    if (!e.manifest)
        return -ENOMEM;
    memcpy(e.name, s->meta.name, sizeof e.name);
    if (e.realtime)
        e.core = free_core(d, &e.component_id);
    int at = find_image(d, &e.component_id);
    struct image_entry old = {0};
    if (at < 0) {
        struct image_entry *grown = realloc(d->images, (d->image_count + 1) * sizeof *grown);
        if (!grown) {
            free_entry(&e);
            return -ENOMEM;
        }
        d->images = grown;
        at = (int)d->image_count++;
    } else {
        old = d->images[at];
    }
    d->images[at] = e;
    device_fault_point("install:before-commit");
    err = save_installed(d);
    if (err) { /* roll back in memory; the files on disk still say the old set */
        free_entry(&d->images[at]);
        if (old.manifest || old.image_type)
            d->images[at] = old;
        else
            d->image_count--;
        return err;
    }
    device_fault_point("install:after-commit");
    if (old.image_type && !guid_equal(&old.image_id, &e.image_id)) {
        char *old_file = image_file(d, &old.image_id);
        if (old_file)
            unlink(old_file);
        free(old_file);
    }
    free_entry(&old);
    device_fault_point("install:after-cleanup");
    const struct json_value *storage = json_object_get(json_object_get(e.manifest, "Capabilities"), "MutableStorage");
    if (storage) {
        char cid[GUID_TEXT_LEN + 1], rel[GUID_TEXT_LEN + 16];
        guid_format(&e.component_id, cid);
        snprintf(rel, sizeof rel, "storage/%s", cid);
        char *p = state_path(d, rel);
        if (p)
            hostio_make_dirs(p, 0700);
        free(p);
    }
    return 0;
}

void device_install(struct device *d, const struct auth *a, bool manual_start, bool force, struct device_result *r)
{
    if (d->staged_count == 0) {
        device_result_fail(r, DERR_NOTHING_STAGED, "stage an image with PUT /update/stage first");
        return;
    }
    for (size_t i = 0; i < d->staged_count && !r->err; i++)
        r->err = check_staged(d, &d->staged[i], force, r);
    for (size_t i = 0; i < d->staged_count && !r->err; i++) {
        const struct staged_image *s = &d->staged[i];
        int err = s->is_capability ? apply_capability(d, s) : commit_application(d, s, manual_start);
        if (err)
            device_result_fail(r, DERR_INSTALL_FAILED, "cannot write the device's storage: %s", strerror(-err));
    }
    clear_staged(d);
    notify_changed(d);
}

/* ---- applications ------------------------------------------------------------------------- */

static bool parse_component(const char *text, struct guid *g, struct device_result *r)
{
    if (guid_parse(text, g) == 0)
        return true;
    device_result_fail(r, DERR_BAD_REQUEST, "'%s' is not a component ID", text);
    return false;
}

void device_delete_image(struct device *d, const struct auth *a, const char *component_id, struct device_result *r)
{
    struct guid cid;
    if (!parse_component(component_id, &cid, r))
        return;
    enum deverr e = policy_may_delete(a);
    if (e) {
        device_result_fail(r, e, "deleting an image needs the appDevelopment capability");
        return;
    }
    int at = find_image(d, &cid);
    if (at >= 0 && d->images[at].manifest) {
        struct image_entry gone = d->images[at];
        memmove(&d->images[at], &d->images[at + 1], (d->image_count - (size_t)at - 1) * sizeof *d->images);
        d->image_count--;
        if (save_installed(d)) {
            memmove(&d->images[at + 1], &d->images[at], (d->image_count - (size_t)at) * sizeof *d->images);
            d->images[at] = gone;
            d->image_count++;
            device_result_fail(r, DERR_INTERNAL, "cannot save the installed images");
            return;
        }
        char *file = image_file(d, &gone.image_id), rel[GUID_TEXT_LEN + 16], text[GUID_TEXT_LEN + 1];
        guid_format(&cid, text);
        snprintf(rel, sizeof rel, "storage/%s", text);
        char *storage = state_path(d, rel);
        if (file)
            unlink(file);
        if (storage)
            hostio_remove_tree(storage);
        free(file), free(storage);
        free_entry(&gone);
        notify_changed(d);
    }
    reply(r, object1("restartingSystem", json_new_bool(false)));
}

static struct image_entry *find_app(struct device *d, const char *component_id, struct device_result *r)
{
    struct guid cid;
    if (!parse_component(component_id, &cid, r))
        return NULL;
    int at = find_image(d, &cid);
    return at >= 0 && d->images[at].manifest ? &d->images[at] : NULL;
}

void device_app_status(struct device *d, const struct auth *a, const char *component_id, struct device_result *r)
{
    struct image_entry *e = find_app(d, component_id, r);
    if (r->err)
        return;
    struct json_value *o = object1("state", json_new_string(e ? app_state_names[e->state] : "notPresent"));
    if (o && e && e->realtime && json_object_append(o, "realTimeCore", json_new_int(e->core)))
        o = (json_free(o), NULL);
    if (o && e && d->hooks.status)
        d->hooks.status(d->hooks.ctx, &e->component_id, o);
    reply(r, o);
}

void device_app_trigger(struct device *d, const struct auth *a, const char *component_id, const char *trigger,
                        struct device_result *r)
{
    bool start = trigger && !strcmp(trigger, "start"), stop = trigger && !strcmp(trigger, "stop");
    bool debug = trigger && !strcmp(trigger, "startDebug");
    if (!start && !stop && !debug) {
        device_result_fail(r, DERR_BAD_REQUEST, "trigger must be \"start\", \"startDebug\" or \"stop\"");
        return;
    }
    enum deverr e = policy_may_start_stop(a, debug);
    if (e) {
        device_result_fail(r, e, "%s needs the appDevelopment%s capability", trigger, debug ? "" : " or fieldServicing");
        return;
    }
    struct image_entry *app = find_app(d, component_id, r);
    if (r->err)
        return;
    if (!app) {
        device_result_fail(r, DERR_APP_NOT_PRESENT, "no application with component ID %s is installed", component_id);
        return;
    }
    if (debug && app->state == APP_DEBUGGING) {
        device_result_fail(r, DERR_APP_WRONG_STATE, "the application is already being debugged; stop it first ('sphere device app stop -i %s')",
                  component_id);
        return;
    }
    char gdbserver[4096];
    if (debug && !app->realtime && device_gdbserver_path(gdbserver, sizeof gdbserver) != 0) {
        device_result_fail(r, DERR_NO_DEBUG_SERVER, "gdbserver is not installed on the host: install the Debian package 'gdbserver' "
                  "(scripts/install-deps.sh)");
        return;
    }
    enum app_state old = app->state;
    /* An RTApp started for debugging: the runtime gives its core a GDB stub and adds the
     * port ("gdbPort") to the status through the status hook. */
    app->state = debug ? APP_DEBUGGING : start ? APP_RUNNING : APP_STOPPED;
    if (old != app->state && save_installed(d)) {
        app->state = old;
        device_result_fail(r, DERR_INTERNAL, "cannot save the application state");
        return;
    }
    notify_changed(d);
    device_app_status(d, a, component_id, r);
}

void device_sim_sysevent(struct device *d, const struct json_value *body, struct device_result *r)
{
    if (!d->hooks.sysevent) {
        device_result_fail(r, DERR_NOT_FOUND, "the device's application runtime is not running");
        return;
    }
    char why[256] = "";
    struct json_value *out = NULL;
    int err = d->hooks.sysevent(d->hooks.ctx, body, &out, why, sizeof why);
    if (err == -EINVAL)
        device_result_fail(r, DERR_BAD_REQUEST, "%s", why);
    else if (err == -EBUSY)
        device_result_fail(r, DERR_APP_WRONG_STATE, "%s", why);
    else if (err)
        device_result_fail(r, DERR_INTERNAL, "system events: %s", strerror(-err));
    else
        reply(r, out);
}

int device_gdbserver_path(char *out, size_t out_size)
{
    const char *forced = getenv("OPENSPHERE_GDBSERVER");
    if (forced && *forced) {
        if (access(forced, X_OK) != 0 || (size_t)snprintf(out, out_size, "%s", forced) >= out_size)
            return -ENOENT;
        return 0;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        if (len && (size_t)snprintf(out, out_size, "%.*s/gdbserver", (int)len, path) < out_size && access(out, X_OK) == 0)
            return 0;
        path += len + (path[len] == ':');
    }
    return -ENOENT;
}

void device_app_quota(struct device *d, const struct auth *a, const char *component_id, struct device_result *r)
{
    struct image_entry *app = find_app(d, component_id, r);
    if (r->err)
        return;
    if (!app) {
        device_result_fail(r, DERR_APP_NOT_PRESENT, "no application with component ID %s is installed", component_id);
        return;
    }
    const struct json_value *size =
        json_object_get(json_object_get(json_object_get(app->manifest, "Capabilities"), "MutableStorage"), "SizeKB");
    char text[GUID_TEXT_LEN + 1], rel[GUID_TEXT_LEN + 16];
    guid_format(&app->component_id, text);
    snprintf(rel, sizeof rel, "storage/%s", text);
    char *p = state_path(d, rel);
    unsigned long long bytes = 0;
    if (p)
        hostio_tree_size(p, &bytes);
    free(p);
    struct json_value *o = object1("UsageKB", json_new_int((int64_t)((bytes + 1023) / 1024)));
    if (o && json_object_append(o, "LimitKB", json_new_int(size ? size->u.number.integer : 0)))
        o = (json_free(o), NULL);
    reply(r, o);
}

static struct json_value *component_json(const struct guid *cid, const struct guid *iid, int type, const char *name,
                                         size_t size)
{
    char c[GUID_TEXT_LEN + 1], i[GUID_TEXT_LEN + 1];
    guid_format(cid, c);
    guid_format(iid, i);
    struct json_value *o = json_new_object(), *images = json_new_array(), *img = json_new_object();
    int err = o && images && img ? 0 : -ENOMEM;
    err = err ? err : json_object_append(img, "uid", json_new_string(i));
    err = err ? err : json_object_append(img, "length_in_bytes", json_new_int((int64_t)size));
    err = err ? err : json_object_append(img, "uncompressed_length_in_bytes", json_new_int((int64_t)size));
    err = err ? err : json_object_append(img, "replica_type", json_new_int(0));
    err = err ? err : (json_array_append(images, img), img = NULL, 0);
    err = err ? err : json_object_append(o, "uid", json_new_string(c));
    err = err ? err : json_object_append(o, "image_type", json_new_int(type));
    err = err ? err : json_object_append(o, "is_update_staged", json_new_bool(false));
    err = err ? err : json_object_append(o, "does_image_type_require_restart", json_new_bool(false));
    err = err ? err : json_object_append(o, "name", json_new_string(name));
    err = err ? err : (json_object_append(o, "images", images), images = NULL, 0);
    json_free(img);
    json_free(images);
    if (err) {
        json_free(o);
        return NULL;
    }
    return o;
}

void device_images(struct device *d, const struct auth *a, struct device_result *r)
{
    struct json_value *o = json_new_object(), *list = json_new_array();
    int err = o && list ? 0 : -ENOMEM;
    err = err ? err : json_object_append(o, "has_staged_updates", json_new_bool(d->staged_count > 0));
    err = err ? err : json_object_append(o, "is_ota_update_in_progress", json_new_bool(false));
    err = err ? err : json_object_append(o, "restart_required", json_new_bool(false));
    for (size_t i = 0; !err && i < d->image_count; i++) {
        const struct image_entry *e = &d->images[i];
        err = json_array_append(list, component_json(&e->component_id, &e->image_id, e->image_type, e->name, e->size));
    }
    if (!err && d->has_caps)
        err = json_array_append(list, component_json(&d->caps.meta.component_id, &d->caps.meta.image_id,
                                                     IMGPKG_TYPE_FIRMWARE_CONFIG, "fw_config", CAPFILE_BODY_SIZE));
    if (!err) {
        err = json_object_append(o, "components", list);
        list = NULL;
    }
    json_free(list);
    if (err) {
        json_free(o);
        o = NULL;
    }
    reply(r, o);
}

enum signer device_image_signer(struct device *d, const uint8_t *data, size_t len)
{
    struct imgpkg_metadata meta;
    size_t body = 0;
    if (len < IMGPKG_SIGNATURE_SIZE || imgpkg_parse_metadata(data, len, &meta, &body, NULL) != 0)
        return SIGNER_UNKNOWN;
    struct keystore_match match;
    if (keystore_verify(d->app_keys, meta.thumbprint, data, len - IMGPKG_SIGNATURE_SIZE,
                        data + len - IMGPKG_SIGNATURE_SIZE, &match) != 0)
        return SIGNER_UNKNOWN;
    return match.trust == SIGNING_TRUST_SDK ? SIGNER_SDK : SIGNER_PRODUCTION;
}

bool device_in_development(struct device *d) { return d->has_caps && capfile_has(&d->caps, CAP_ENABLE_APP_DEVELOPMENT); }

int device_app_views(struct device *d, struct device_app_view **out, size_t *n)
{
    *n = 0;
    *out = calloc(d->image_count + 1, sizeof **out);
    if (!*out)
        return -ENOMEM;
    for (size_t i = 0; i < d->image_count; i++) {
        const struct image_entry *e = &d->images[i];
        if (!e->manifest)
            continue;
        struct device_app_view *v = &(*out)[*n];
        *v = (struct device_app_view){.component_id = e->component_id, .image_id = e->image_id,
                                      .image_path = image_file(d, &e->image_id), .manifest = json_clone(e->manifest),
                                      .running = e->state != APP_STOPPED, .debugging = e->state == APP_DEBUGGING,
                                      .realtime = e->realtime};
        memcpy(v->name, e->name, sizeof v->name);
        (*n)++;
        if (!v->image_path || !v->manifest) {
            device_app_views_free(*out, *n);
            *out = NULL;
            *n = 0;
            return -ENOMEM;
        }
    }
    return 0;
}

void device_app_views_free(struct device_app_view *views, size_t n)
{
    for (size_t i = 0; views && i < n; i++) {
        free(views[i].image_path);
        json_free(views[i].manifest);
    }
    free(views);
}

void device_memory_stats(struct device *d, const struct auth *a, struct device_result *r)
{
    if (!a->app_development) {
        device_result_fail(r, DERR_EACCES, "memory statistics need the appDevelopment capability");
        return;
    }
    struct json_value *o = json_new_object(), *stats = json_new_object(), *apps = json_new_array();
    long long bytes = 0, peak = 0;
    if (o && stats && apps && d->hooks.memory)
        d->hooks.memory(d->hooks.ctx, apps, &bytes, &peak);
    int err = o && stats && apps ? 0 : -ENOMEM;
    err = err ? err : json_object_append(stats, "currentMemoryUsageInBytes", json_new_int(bytes));
    err = err ? err : json_object_append(stats, "userModeMemoryUsageInBytes", json_new_int(bytes));
    err = err ? err : json_object_append(stats, "peakUserModeMemoryUsageInBytes", json_new_int(peak));
    err = err ? err : (json_object_append(o, "memoryStats", stats), stats = NULL, 0);
    err = err ? err : (json_object_append(o, "apps", apps), apps = NULL, 0);
    json_free(stats);
    json_free(apps);
    if (err) {
        json_free(o);
        o = NULL;
    }
    reply(r, o);
}
