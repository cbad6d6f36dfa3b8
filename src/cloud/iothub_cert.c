/* SPDX-License-Identifier: MIT */
/*
 * iothub_cert.c — the stand-in's broker files (iothub_standin.h, iothub_prepare): the device listener's
 * configuration (with the broker plugin that scopes IoT Hub's topics per connection, src/iothubplugin), the CA
 * devices must chain to, and a server certificate issued by that CA.
 */
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "deviceauth_issue.h"
#include "hostio.h"
#include "iothub_standin.h"
#include "mqttbroker.h"
#include "path.h"
#include "strbuf.h"

static int read_in(const char *dir, const char *name, char **text, size_t *len)
{
    char *p = path_join(dir, name);
    int err = p ? hostio_read_file(p, text, len) : -ENOMEM;
    free(p);
    return err;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok ? 0 : -EINVAL;
}

/* A P-256 server certificate for `names` (an X.509 subjectAltName value), issued by ca/ca_key for 10 years. */
static int issue_server(const char *ca_pem, const char *ca_key_pem, const char *cn, const char *names, char **cert_out,
                        char **key_out)
{
    BIO *b1 = BIO_new_mem_buf(ca_pem, -1), *b2 = BIO_new_mem_buf(ca_key_pem, -1);
    X509 *ca = b1 ? PEM_read_bio_X509(b1, NULL, NULL, NULL) : NULL;
    EVP_PKEY *ca_key = b2 ? PEM_read_bio_PrivateKey(b2, NULL, NULL, NULL) : NULL;
    BIO_free(b1), BIO_free(b2);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    uint8_t serial[16];
    int err = ca && ca_key && key && cert ? bytes_random(serial, sizeof serial) : -EINVAL;
    if (!err) {
        serial[0] &= 0x7f;
        BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
        X509_NAME *name = X509_get_subject_name(cert);
        bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) && X509_set_version(cert, 2) &&
                  X509_gmtime_adj(X509_getm_notBefore(cert), -3600) && X509_gmtime_adj(X509_getm_notAfter(cert), 3650L * 86400) &&
                  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) &&
                  X509_set_issuer_name(cert, X509_get_subject_name(ca)) && X509_set_pubkey(cert, key);
        BN_free(bn);
        err = ok ? 0 : -EINVAL;
    }
    err = err ? err : add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE");
    err = err ? err : add_ext(cert, ca, NID_key_usage, "critical,digitalSignature");
    err = err ? err : add_ext(cert, ca, NID_ext_key_usage, "serverAuth");
    err = err ? err : add_ext(cert, ca, NID_subject_alt_name, names);
    err = err ? err : add_ext(cert, ca, NID_authority_key_identifier, "keyid:always");
    if (!err && X509_sign(cert, ca_key, EVP_sha256()) <= 0)
        err = -EINVAL;
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    if (!err && (!cb || !kb || PEM_write_bio_X509(cb, cert) != 1 || PEM_write_bio_X509(cb, ca) != 1 ||
                 PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) != 1))
        err = -ENOMEM;
    if (!err) {
        char *data = NULL;
        long n = BIO_get_mem_data(cb, &data);
        *cert_out = strndup(data, (size_t)n);
        n = BIO_get_mem_data(kb, &data);
        *key_out = strndup(data, (size_t)n);
        err = *cert_out && *key_out ? 0 : -ENOMEM;
    }
    BIO_free(cb), BIO_free(kb);
    X509_free(ca), X509_free(cert);
    EVP_PKEY_free(ca_key), EVP_PKEY_free(key);
    return err;
}

static int write_in(const char *dir, const char *name, const char *text, unsigned mode)
{
    char *p = path_join(dir, name);
    int err = p ? hostio_write_file_atomic(p, text, strlen(text), mode) : -ENOMEM;
    free(p);
    return err;
}

#define ACL_BEGIN "# >>> the IoT Hub and DPS stand-in (docs/iot.md), written by sphere-cloud --iot-listen\n"
#define ACL_END "# <<< the IoT Hub and DPS stand-in\n"
/* The device side of the IoT namespaces (devices/, $iothub/, $dps/) is the broker plugin's
 * (src/iothubplugin): it decides every device's access there, so the block only gives the
 * service user the namespaces (the plugin defers to this file for that user). */
static const char acl_block[] = ACL_BEGIN
    "user " MQTT_SERVICE_USER "\n"
    "topic readwrite devices/#\n"
    "topic readwrite $iothub/#\n"
    "topic readwrite $dps/#\n" ACL_END;

/* DATA/mqtt/acl without any stand-in block, plus the block when `with`. */
static int rewrite_acl(const char *data_dir, bool with)
{
    char *p = path_join(data_dir, "mqtt/acl"), *text = NULL;
    size_t len = 0;
    int err = p ? hostio_read_file(p, &text, &len) : -ENOMEM;
    struct strbuf sb = {0};
    if (!err) {
        char *begin = strstr(text, ACL_BEGIN), *end = begin ? strstr(begin, ACL_END) : NULL;
        if (begin && end) {
            *begin = '\0';
            err = strbuf_puts(&sb, text) || strbuf_puts(&sb, end + strlen(ACL_END)) ? -ENOMEM : 0;
        } else {
            err = strbuf_puts(&sb, text) ? -ENOMEM : 0;
        }
    }
    if (!err && with) /* mosquitto's acl_file: after a "user" line, topic lines are that user's */
        err = strbuf_puts(&sb, "\n") || strbuf_puts(&sb, acl_block) ? -ENOMEM : 0;
    err = err ? err : hostio_write_file_atomic(p, sb.data ? sb.data : "", sb.len, 0600);
    strbuf_free(&sb);
    free(p), free(text);
    return err;
}

int iothub_prepare(const char *data_dir, const char *keys_dir, const char *listen, const char *hub_host, char *why,
                   size_t why_size)
{
    char host[64];
    uint16_t port = 0;
    if (mqttbroker_parse_addr(listen, host, &port) != 0 || strpbrk(hub_host, " ,\r\n") || !strchr(hub_host, '.')) {
        snprintf(why, why_size, "--iot-listen must be ADDR:PORT and --iot-hub-host a host name with a dot");
        return -EINVAL;
    }
    char plugin[PATH_MAX] = "";
    /* the broker plugin: $OPENSPHERE_IOTHUB_PLUGIN, else opensphere-iothub.so beside this program */
    if (hostio_beside_exe("OPENSPHERE_IOTHUB_PLUGIN", "opensphere-iothub.so", plugin, sizeof plugin) != 0 || access(plugin, R_OK) != 0 || strpbrk(plugin, "\r\n")) {
        snprintf(why, why_size, "the IoT Hub stand-in's broker plugin is not at %s (build opensphere-iothub, or set "
                 "OPENSPHERE_IOTHUB_PLUGIN)", plugin);
        return -ENOENT;
    }
    char *key = NULL, *cert = NULL, *ca = NULL, *server_cert = NULL, *server_key = NULL, *dir = NULL, *conf = NULL;
    size_t key_len = 0, cert_len = 0, ca_len = 0;
    int err = read_in(keys_dir, "security-service.key.pem", &key, &key_len);
    err = err ? err : read_in(keys_dir, "security-service.cert.pem", &cert, &cert_len);
    if (err) {
        snprintf(why, why_size, "cannot read the security service's key and certificate in %s: %s", keys_dir, strerror(-err));
        goto out;
    }
    if (read_in(keys_dir, DEVICEAUTH_CA_FILE, &ca, &ca_len) != 0 && (err = deviceauth_make_ca(key, key_len, cert, cert_len, &ca)) != 0) {
        snprintf(why, why_size, "cannot make the security service's CA certificate: %s", strerror(-err));
        goto out;
    }
    char names[640], hub_name[256];
    snprintf(hub_name, sizeof hub_name, "%.*s", (int)strcspn(hub_host, ":"), hub_host); /* "NAME[:PORT]" */
    bool numeric = strspn(host, "0123456789.") == strlen(host) || strchr(host, ':');
    bool hub_numeric = strspn(hub_name, "0123456789.") == strlen(hub_name);
    snprintf(names, sizeof names, "%s%s,DNS:%s,DNS:localhost,IP:127.0.0.1%s%s", hub_numeric ? "IP:" : "DNS:", hub_name,
             IOTHUB_DPS_HOST, numeric ? ",IP:" : ",DNS:", host);
    if ((err = issue_server(ca, key, hub_name, names, &server_cert, &server_key)) != 0) {
        snprintf(why, why_size, "cannot issue the IoT Hub stand-in's server certificate: %s", strerror(-err));
        goto out;
    }
    dir = path_join(data_dir, "mqtt");
    err = dir ? 0 : -ENOMEM;
    err = err ? err : write_in(dir, "iothub-ca.pem", ca, 0644);
    err = err ? err : write_in(dir, "iothub.cert.pem", server_cert, 0644);
    err = err ? err : write_in(dir, "iothub.key.pem", server_key, 0600);
    if (!err && asprintf(&conf,
                         "# The IoT Hub and DPS stand-in's device listener (docs/iot.md), written by sphere-cloud at each start.\n"
                         "listener %u %s\n"
                         "cafile %s/iothub-ca.pem\ncertfile %s/iothub.cert.pem\nkeyfile %s/iothub.key.pem\n"
                         "require_certificate true\nuse_identity_as_username true\nuse_username_as_clientid true\n"
                         "# IoT Hub's per-connection topics ($iothub/twin/..., $dps/registrations/...; docs/iot.md)\n"
                         "plugin %s\nplugin_opt_service_user " MQTT_SERVICE_USER "\n",
                         port, host, dir, dir, dir, plugin) < 0)
        conf = NULL, err = -ENOMEM;
    err = err ? err : write_in(dir, "iothub.conf", conf, 0600);
    err = err ? err : rewrite_acl(data_dir, true);
    if (err)
        snprintf(why, why_size, "cannot write the IoT Hub stand-in's files in %s: %s", dir ? dir : data_dir, strerror(-err));
out:
    if (key)
        OPENSSL_cleanse(key, key_len);
    if (server_key)
        OPENSSL_cleanse(server_key, strlen(server_key));
    free(key), free(cert), free(ca), free(server_cert), free(server_key), free(dir), free(conf);
    return err;
}

void iothub_unprepare(const char *data_dir)
{
    char *p = path_join(data_dir, "mqtt/iothub.conf");
    if (p)
        unlink(p);
    free(p);
    rewrite_acl(data_dir, false);
}
