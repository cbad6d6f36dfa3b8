/* SPDX-License-Identifier: MIT */
/*
 * OtaAgent — OpenSphere's external-MCU OTA agent, a high-level app like any other (docs/ota.md).
 *
 * Contract: reads its configuration from its mutable storage (written by `sphere ota enroll`:
 * MQTT broker and credentials, the OTA public key, the CA of the blob server), logs in to the
 * broker with the device certificate the runtime gives it (/run/daa/device.pem, DeviceAuthentication
 * in its manifest) on the broker's device listener when the configuration names one
 * ("certificatePort") — its CN, the device ID in upper case, is then its MQTT identity and the ID
 * in its twin topics — else with the configured password (the explicit fallback: `sphere ota
 * enroll --password-login`, or a cloud without a device listener), mounts the flash
 * file system on the W25Q128JV at ISU1 chip select B (formatting a blank chip), subscribes to
 * its twin's desired state over MQTT (libmosquitto) and runs one OTA job (src/ota/ota_job.h)
 * per desired version, reporting every state change and each committed block (at most every
 * 500 ms) to the twin's reported topic. With an external MCU configured ("mcu": {"baud": N}),
 * a verified image is then programmed into the MCU on ISU0's UART with SMP serial recovery
 * (src/mcu/mcu_ops.h: upload resumed from the MCU's offset, test boot, confirm once the MCU
 * runs it) and only then reported "applied"; a failed or interrupted apply is retried every
 * 10 s and after a restart, never skipped. A flash failure ends the app (exit 3): the runtime
 * restarts it, and the job resumes from what the flash committed. SIGTERM stops it cleanly.
 * Everything it touches is in its app_manifest.json: SpiMaster ISU1, Uart ISU0, the two hosts,
 * 8 KiB of mutable storage, DeviceAuthentication.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <applibs/log.h>
#include <applibs/spi.h>
#include <applibs/storage.h>
#include <applibs/uart.h>
#include <curl/curl.h>
#include <mosquitto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <hw/mt3620_rdb.h>

#include "bytes.h"
#include "diag.h"
#include "ffs.h"
#include "json.h"
#include "mcu_client.h"
#include "mcu_ops.h"
#include "mqtt_loop.h"
#include "ota.h"
#include "ota_job.h"
#include "ota_stage.h"
#include "otasig.h"
#include "spinor_bd.h"

#define DEVICE_CERT_PATH "/run/daa/device.pem" /* DEVICEAUTH_APP_PATH (src/deviceauth/deviceauth_issue.h) */

struct config {
    char host[256], username[160], password[160], client_id[160], desired_topic[320], reported_topic[320];
    int port;
    int cert_port; /* > 0: log in with the device certificate on this port (the broker's device listener) */
    bool tls;          /* MQTT over TLS, the broker's certificate checked against ca_pem and host */
    unsigned mcu_baud; /* 0: no external MCU to program */
    char *ota_key_pem, *ca_pem; /* owned */
};

/* What the MQTT thread hands the job thread. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct ota_desired desired;
    unsigned generation; /* bumped at every new desired version */
} inbox = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0};

static atomic_int stop_job, stop_app;
static struct mosquitto *mqtt;
static struct mqtt_loop *mqtt_thread;
static struct config cfg;

static void on_sigterm(int sig)
{
    (void)sig;
    atomic_store(&stop_app, 1);
    atomic_store(&stop_job, 1);
}

/* ---- configuration ---- */

static int copy_string(const struct json_value *o, const char *key, char *out, size_t cap)
{
    const struct json_value *v = json_object_get(o, key);
    if (!v || v->type != JSON_STRING || v->u.string.len >= cap) {
        Log_Debug("OtaAgent: configuration: \"%s\" is missing or not a string\n", key);
        return -EINVAL;
    }
    memcpy(out, v->u.string.chars, v->u.string.len + 1);
    return 0;
}

static char *dup_string(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? strdup(v->u.string.chars) : NULL;
}

static int load_config(struct config *c)
{
    int fd = Storage_OpenMutableFile();
    if (fd < 0) {
        Log_Debug("OtaAgent: no mutable storage: %s (enroll the device with 'sphere ota enroll')\n", strerror(errno));
        return -errno;
    }
    static char text[8192];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) {
        Log_Debug("OtaAgent: the configuration is empty: enroll the device with 'sphere ota enroll'\n");
        return -ENOENT;
    }
    struct diag_list diags = {0};
    struct json_value *root = NULL;
    int err = json_parse(text, (size_t)n, NULL, "mutable storage", &diags, &root);
    diag_list_free(&diags);
    if (err || root->type != JSON_OBJECT) {
        Log_Debug("OtaAgent: the configuration in mutable storage is not a JSON object\n");
        json_free(root);
        return -EINVAL;
    }
    const struct json_value *port = json_object_get(root, "port");
    err = copy_string(root, "host", c->host, sizeof c->host);
    err = err ? err : copy_string(root, "username", c->username, sizeof c->username);
    const struct json_value *cert_port = json_object_get(root, "certificatePort");
    c->cert_port = cert_port && cert_port->type == JSON_NUMBER && cert_port->u.number.integer > 0 &&
                           cert_port->u.number.integer < 65536
                       ? (int)cert_port->u.number.integer
                       : 0;
    if (!c->cert_port) /* the password: only without the device listener (the explicit fallback) */
        err = err ? err : copy_string(root, "password", c->password, sizeof c->password);
    err = err ? err : copy_string(root, "clientId", c->client_id, sizeof c->client_id);
    err = err ? err : copy_string(root, "desiredTopic", c->desired_topic, sizeof c->desired_topic);
    err = err ? err : copy_string(root, "reportedTopic", c->reported_topic, sizeof c->reported_topic);
    c->port = port && port->type == JSON_NUMBER ? (int)port->u.number.integer : 1883;
    const struct json_value *mcu = json_object_get(root, "mcu"), *baud = json_object_get(mcu, "baud");
    c->mcu_baud = baud && baud->type == JSON_NUMBER && baud->u.number.integer > 0 ? (unsigned)baud->u.number.integer : 0;
    c->ota_key_pem = dup_string(root, "otaPublicKey");
    c->ca_pem = dup_string(root, "caCertificate");
    const struct json_value *tls = json_object_get(root, "tls");
    c->tls = tls && tls->type == JSON_BOOL && tls->u.boolean;
    if (!err && c->cert_port && !c->tls) {
        Log_Debug("OtaAgent: configuration: \"certificatePort\" needs \"tls\" (the device listener is TLS)\n");
        err = -EINVAL;
    }
    if (!err && c->tls && !c->ca_pem) {
        Log_Debug("OtaAgent: configuration: \"tls\" needs \"caCertificate\" (the broker's certificate)\n");
        err = -EINVAL;
    }
    if (!err && !c->ota_key_pem) {
        Log_Debug("OtaAgent: configuration: \"otaPublicKey\" is missing\n");
        err = -EINVAL;
    }
    json_free(root);
    return err;
}

/* ---- the twin over MQTT ---- */

static void on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
    (void)m, (void)ctx;
    struct ota_desired d;
    char why[256] = "";
    if (ota_desired_parse(msg->payload ? msg->payload : "{}", msg->payload ? (size_t)msg->payloadlen : 2, &d, why,
                          sizeof why)) {
        Log_Debug("OtaAgent: ignored a desired state: %s\n", why);
        return;
    }
    pthread_mutex_lock(&inbox.lock);
    if (memcmp(&d, &inbox.desired, sizeof d)) {
        inbox.desired = d;
        inbox.generation++;
        atomic_store(&stop_job, 1); /* abandon the current job for the new target */
        pthread_cond_signal(&inbox.changed);
        Log_Debug("OtaAgent: desired version %u (%u bytes)\n", d.version, d.size);
    }
    pthread_mutex_unlock(&inbox.lock);
}

static void on_connect(struct mosquitto *m, void *ctx, int rc)
{
    (void)ctx;
    if (rc) {
        Log_Debug("OtaAgent: MQTT connection refused: %s\n", mosquitto_connack_string(rc));
        return;
    }
    Log_Debug("OtaAgent: connected to the twin at %s:%d%s\n", cfg.host, cfg.cert_port ? cfg.cert_port : cfg.port,
              cfg.cert_port ? " (TLS, device certificate)" : cfg.tls ? " (TLS, password)" : " (password)");
    mosquitto_subscribe(m, NULL, cfg.desired_topic, 1);
}

static void report(void *ctx, const struct ota_report *r)
{
    (void)ctx;
    static struct timespec last;
    static enum ota_status last_status = OTA_IDLE;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000;
    bool progress = r->status == OTA_DOWNLOADING || r->status == OTA_APPLYING;
    if (r->status == last_status && progress && ms < 500 && r->bytes_done != r->size)
        return; /* progress is rate-limited; state changes never are */
    last = now, last_status = r->status;
    if (!progress || r->bytes_done == 0)
        Log_Debug("OtaAgent: %s v%u %u/%u %s\n", ota_status_name(r->status), r->target_version, r->bytes_done,
                  r->size, r->error);
    if (r->status == OTA_IDLE)
        return;
    char *json = ota_report_json(r);
    if (json)
        mosquitto_publish(mqtt, NULL, cfg.reported_topic, (int)strlen(json), json, 1, true);
    free(json);
}

/* A TLS context that trusts only the certificates in cfg.ca_pem and wants cfg.host named in the
 * broker's certificate. libmosquitto takes a context rather than PEM text, and the app has no
 * file to name (its configuration lives in mutable storage). NULL on failure. */
static SSL_CTX *mqtt_tls_context(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    BIO *pem = ctx ? BIO_new_mem_buf(cfg.ca_pem, -1) : NULL;
    X509_STORE *store = ctx ? SSL_CTX_get_cert_store(ctx) : NULL;
    int loaded = 0;
    for (X509 *x; pem && store && (x = PEM_read_bio_X509(pem, NULL, NULL, NULL)) != NULL; X509_free(x))
        loaded += X509_STORE_add_cert(store, x) == 1;
    BIO_free(pem);
    ERR_clear_error(); /* the end of the PEM text */
    bool ok = loaded > 0 && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
              X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(ctx), cfg.host, 0) == 1;
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

/* The device ID in the subject CN of `cert`, upper-cased as the broker maps it (mosquitto's
 * use_identity_as_username takes the CN as it is: the security service writes it in upper case). */
static int certificate_device_id(X509 *cert, char *out, size_t cap)
{
    X509_NAME *subject = cert ? X509_get_subject_name(cert) : NULL;
    int len = subject ? X509_NAME_get_text_by_NID(subject, NID_commonName, out, (int)cap) : -1;
    if (len <= 0 || (size_t)len >= cap)
        return -EINVAL;
    return 0;
}

/* `topic` with the first occurrence of `from` (case-insensitive) replaced by `to`: the twin
 * topics enrolled for the password login name the device in lower case. */
static int retopic(const char *topic, const char *from, const char *to, char *out, size_t cap)
{
    const char *at = strcasestr(topic, from);
    if (!at)
        return -EINVAL;
    int n = snprintf(out, cap, "%.*s%s%s", (int)(at - topic), topic, to, at + strlen(from));
    return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

/* Puts the device certificate, its chain and key (/run/daa/device.pem, given by the runtime to an
 * app with DeviceAuthentication) into ctx, and makes the twin topics and the client ID name the
 * device as its certificate does. 0, or a negative errno after logging why. */
static int use_device_certificate(SSL_CTX *ctx)
{
    char id[160];
    if (SSL_CTX_use_certificate_chain_file(ctx, DEVICE_CERT_PATH) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, DEVICE_CERT_PATH, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        Log_Debug("OtaAgent: no usable device certificate at %s (%s): the manifest needs DeviceAuthentication and the "
                  "device its certificate; 'sphere ota enroll --password-login' configures the password fallback\n",
                  DEVICE_CERT_PATH, access(DEVICE_CERT_PATH, R_OK) == 0 ? "it does not load" : strerror(errno));
        return -ENOENT;
    }
    if (certificate_device_id(SSL_CTX_get0_certificate(ctx), id, sizeof id) != 0 || strcasecmp(id, cfg.username) != 0) {
        Log_Debug("OtaAgent: the device certificate does not name this device (%s): enroll this device\n", cfg.username);
        return -EACCES;
    }
    char desired[sizeof cfg.desired_topic], reported[sizeof cfg.reported_topic];
    if (retopic(cfg.desired_topic, cfg.username, id, desired, sizeof desired) != 0 ||
        retopic(cfg.reported_topic, cfg.username, id, reported, sizeof reported) != 0) {
        Log_Debug("OtaAgent: configuration: the twin topics do not name the device %s\n", cfg.username);
        return -EINVAL;
    }
    memcpy(cfg.desired_topic, desired, sizeof desired);
    memcpy(cfg.reported_topic, reported, sizeof reported);
    snprintf(cfg.username, sizeof cfg.username, "%s", id);
    return 0;
}

/* libmosquitto's own errors (a broker certificate that fails the check, …) into the app log. */
static void on_mqtt_log(struct mosquitto *m, void *arg, int level, const char *text)
{
    (void)m, (void)arg;
    if (level & MOSQ_LOG_ERR)
        Log_Debug("OtaAgent: mqtt: %s\n", text);
}

static int start_mqtt(void)
{
    mosquitto_lib_init();
    mqtt = mosquitto_new(cfg.client_id, true, NULL);
    if (!mqtt)
        return -ENOMEM;
    if (cfg.tls) {
        SSL_CTX *ctx = mqtt_tls_context(); /* kept for the app's life, as libmosquitto keeps using it */
        if (ctx && cfg.cert_port && use_device_certificate(ctx) != 0)
            return -EACCES;
        if (!ctx || mosquitto_int_option(mqtt, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) != MOSQ_ERR_SUCCESS ||
            mosquitto_void_option(mqtt, MOSQ_OPT_SSL_CTX, ctx) != MOSQ_ERR_SUCCESS) {
            Log_Debug("OtaAgent: cannot set up TLS for MQTT (caCertificate holds no usable certificate?)\n");
            return -EINVAL;
        }
    }
    if (!cfg.cert_port) /* on the device listener the certificate's CN is the user name */
        mosquitto_username_pw_set(mqtt, cfg.username, cfg.password);
    mosquitto_connect_callback_set(mqtt, on_connect);
    mosquitto_message_callback_set(mqtt, on_message);
    mosquitto_log_callback_set(mqtt, on_mqtt_log);
    mosquitto_reconnect_delay_set(mqtt, 1, 10, true);
    int port = cfg.cert_port ? cfg.cert_port : cfg.port;
    Log_Debug("OtaAgent: logging in to the twin at %s:%d with the device %s\n", cfg.host, port,
              cfg.cert_port ? "certificate" : "password");
    int rc = mosquitto_connect_async(mqtt, cfg.host, port, 30);
    if (rc != MOSQ_ERR_SUCCESS)
        Log_Debug("OtaAgent: MQTT connect to %s:%d: %s (retrying)\n", cfg.host, port, mosquitto_strerror(rc));
    return mqtt_loop_start(mqtt, &mqtt_thread); /* keeps reconnecting, TLS errors included */
}

/* ---- the flash ---- */

static int spi_frame(void *ctx, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len)
{
    int fd = *(int *)ctx;
    SPIMaster_Transfer t[2];
    size_t count = rx_len ? 2 : 1;
    if (SPIMaster_InitTransfers(t, count) != 0)
        return -errno;
    t[0].flags = SPI_TransferFlags_Write, t[0].writeData = tx, t[0].length = tx_len;
    if (rx_len)
        t[1].flags = SPI_TransferFlags_Read, t[1].readData = rx, t[1].length = rx_len;
    ssize_t n = SPIMaster_TransferSequential(fd, t, count);
    return n == (ssize_t)(tx_len + rx_len) ? 0 : -EIO;
}

static int mount_flash(int *spi, struct spinor *nor, struct flash_bd *bd, struct ffs **fs)
{
    SPIMaster_Config config;
    SPIMaster_InitConfig(&config);
    config.csPolarity = SPI_ChipSelectPolarity_ActiveLow;
    *spi = SPIMaster_Open(MT3620_RDB_HEADER4_ISU1_SPI, MT3620_SPI_CS_B, &config);
    if (*spi < 0 || SPIMaster_SetBusSpeed(*spi, 40000000) < 0 || SPIMaster_SetMode(*spi, SPI_Mode_0) < 0) {
        Log_Debug("OtaAgent: cannot open the SPI flash: %s\n", strerror(errno));
        return -EIO;
    }
    int err = spinor_open(nor, spi_frame, spi, 65536, bd);
    if (err) {
        Log_Debug("OtaAgent: no SPI NOR flash answers at ISU1 CS B (%d)\n", err);
        return err;
    }
    err = ffs_mount(bd, fs);
    if (err == -ENODEV) { /* a blank chip: the factory format */
        Log_Debug("OtaAgent: formatting the flash (%u blocks of %u bytes)\n", bd->block_count, bd->block_size);
        uint64_t volume_id = 0;
        err = 0;
        while (!err && !volume_id) /* bytes_random (checked): the one random source */
            err = bytes_random(&volume_id, sizeof volume_id);
        err = err ? err : ffs_format(bd, volume_id);
        err = err ? err : ffs_mount(bd, fs);
    }
    if (err)
        Log_Debug("OtaAgent: cannot mount the flash file system (%d)\n", err);
    return err;
}

static int verify_signature(void *ctx, const struct ota_desired *d)
{
    (void)ctx;
    struct otasig_fields f = {.product = d->product, .version = d->version, .size = d->size, .sha256_hex = d->sha256};
    return otasig_verify(cfg.ota_key_pem, strlen(cfg.ota_key_pem), &f, d->signature);
}

/* ---- the external MCU ---- */

struct image_reader {
    struct ffs_file *file;
};

static int read_image(void *arg, uint32_t off, uint8_t *buf, size_t n)
{
    struct image_reader *r = arg;
    if (ffs_seek(r->file, off, FFS_SEEK_SET) < 0)
        return -EIO;
    int got = ffs_read(r->file, buf, n);
    return got == (int)n ? 0 : -EIO;
}

struct apply_progress {
    struct ota_report *r;
};

static void on_mcu_progress(void *arg, enum mcu_update_phase phase, uint32_t done, uint32_t total)
{
    struct apply_progress *p = arg;
    (void)phase, (void)total;
    p->r->bytes_done = done;
    report(NULL, p->r);
}

static int open_mcu_uart(void)
{
    static int fd = -1;
    if (fd >= 0)
        return fd;
    UART_Config config;
    UART_InitConfig(&config);
    config.baudRate = cfg.mcu_baud;
    config.flowControl = UART_FlowControl_None;
    fd = UART_Open(MT3620_RDB_HEADER2_ISU0_UART, &config);
    if (fd < 0)
        Log_Debug("OtaAgent: cannot open the MCU's UART: %s\n", strerror(errno));
    return fd;
}

/* Programs the accepted image into the MCU. 0 once the MCU runs it confirmed (reported
 * "applied"), -EIO on a flash failure, another negative errno (reported "error") otherwise. */
static int apply_to_mcu(struct ota_stage *stage, const struct ota_desired *d)
{
    struct ota_report r = {.status = OTA_APPLYING, .target_version = d->version, .accepted_version = stage->accepted,
                           .size = d->size};
    char path[64];
    struct image_reader reader = {0};
    int err = ota_stage_image_path(stage, path, sizeof path);
    err = err ? err : ffs_open(stage->fs, path, FFS_O_RDONLY, &reader.file);
    if (err)
        return err == -EIO ? -EIO : (snprintf(r.error, sizeof r.error, "no accepted image on flash"), r.status = OTA_ERROR,
                                     report(NULL, &r), err);
    report(NULL, &r);
    int fd = open_mcu_uart();
    struct mcu_smp_client client;
    struct mcu_image_source src = {.size = ffs_file_size(reader.file), .read = read_image, .arg = &reader};
    struct apply_progress progress = {.r = &r};
    struct mcu_update_options opt = {.boot_wait_ms = 20000, .progress = on_mcu_progress, .progress_arg = &progress};
    mcu_state_t final;
    int rc = fd < 0 ? -ENODEV : 0;
    if (!rc) {
        mcu_smp_client_init(&client, fd, 3000, 2);
        rc = mcu_update(&mcu_smp_ops, &client, &src, &opt, &final);
    }
    ffs_close(reader.file);
    if (rc == MCU_UPDATE_INSTALLED || rc == MCU_UPDATE_ALREADY) {
        r.status = OTA_APPLIED, r.accepted_version = d->version, r.bytes_done = d->size;
        report(NULL, &r);
        return 0;
    }
    r.status = OTA_ERROR;
    snprintf(r.error, sizeof r.error, "programming the MCU failed: %s (retrying)", strerror(-rc));
    report(NULL, &r);
    return rc;
}

/* ---- the job loop ---- */

static int run_jobs(struct ota_stage *stage)
{
    struct ota_env env = {.stage = stage, .verify_signature = verify_signature, .report = report,
                          .ca_pem = cfg.ca_pem, .ca_pem_len = cfg.ca_pem ? strlen(cfg.ca_pem) : 0,
                          .stop = &stop_job, .stall_seconds = 10};
    unsigned done_generation = 0;
    while (!atomic_load(&stop_app)) {
        pthread_mutex_lock(&inbox.lock);
        while (inbox.generation == done_generation && !atomic_load(&stop_app)) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&inbox.changed, &inbox.lock, &until);
        }
        struct ota_desired d = inbox.desired;
        unsigned generation = inbox.generation;
        atomic_store(&stop_job, atomic_load(&stop_app));
        pthread_mutex_unlock(&inbox.lock);
        if (atomic_load(&stop_app))
            break;
        struct ota_report r;
        int err = ota_job_run(&env, &d, &r);
        if (!err && r.status == OTA_VERIFIED && cfg.mcu_baud)
            err = apply_to_mcu(stage, &d);
        if (err == -EIO) {
            Log_Debug("OtaAgent: the flash failed; restarting to resume from what it committed\n");
            return 3;
        }
        if (!err)
            done_generation = generation;
        else if (err != -ECANCELED)
            sleep(10); /* a failed apply: the same generation runs again (the job itself is a no-op) */
    }
    return 0;
}

int main(void)
{
    struct sigaction act = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &act, NULL);
    if (load_config(&cfg) != 0)
        return 1;
    int spi = -1;
    struct spinor nor;
    struct flash_bd bd;
    struct ffs *fs = NULL;
    struct ota_stage stage;
    if (mount_flash(&spi, &nor, &bd, &fs) != 0 || ota_stage_open(&stage, fs) != 0)
        return 3;
    Log_Debug("OtaAgent: flash mounted; accepted version %u%s\n", stage.accepted,
              stage.id_version ? ", a partial download to resume" : "");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (start_mqtt() != 0)
        return 2;
    int rc = run_jobs(&stage);
    mqtt_loop_stop(mqtt_thread);
    mosquitto_destroy(mqtt);
    mosquitto_lib_cleanup();
    ota_stage_close(&stage);
    if (rc != 3)
        ffs_unmount(fs);
    curl_global_cleanup();
    return rc;
}
