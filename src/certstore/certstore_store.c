/* SPDX-License-Identifier: MIT */
/* certstore_store.c — the certificate store's rules, its file format and its crash-safe persistence
 * (contract in certstore_store.h; format in docs/certstore.md). */
#include "certstore_store.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "diag.h"
#include "hostio.h"
#include "json.h"
#include "strbuf.h"

#define FORMAT_VERSION 1

struct record {
    char id[CERTSTORE_ID_MAX + 1];
    enum certstore_kind kind;
    char *cert; /* PEM, as re-encoded by OpenSSL */
    char *key;  /* unencrypted PKCS#8 PEM, client certificates only */
};

struct certstore {
    pthread_mutex_t *lock; /* a pointer, so that const readers can lock too */
    char *dir;             /* NULL: never written */
    struct record **recs;
    size_t count;
};

/* ---- records -------------------------------------------------------------------------------- */

static size_t record_bytes(const struct record *r)
{
    return strlen(r->cert) + (r->key ? strlen(r->key) : 0);
}

static void record_free(struct record *r)
{
    if (!r)
        return;
    free(r->cert);
    if (r->key) {
        OPENSSL_cleanse(r->key, strlen(r->key));
        free(r->key);
    }
    free(r);
}

static struct record *record_new(const char *id, enum certstore_kind kind, char *cert, char *key)
{
    struct record *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    snprintf(r->id, sizeof r->id, "%s", id);
    r->kind = kind;
    r->cert = cert;
    r->key = key;
    return r;
}

static ssize_t find(const struct certstore *cs, const char *id)
{
    for (size_t i = 0; i < cs->count; i++)
        if (strcmp(cs->recs[i]->id, id) == 0)
            return (ssize_t)i;
    return -1;
}

int certstore_check_id(const char *id)
{
    if (!id)
        return -EFAULT;
    size_t n = strnlen(id, CERTSTORE_ID_MAX + 1);
    if (n > CERTSTORE_ID_MAX)
        return -ERANGE;
    if (n == 0)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                  c == '_';
        if (!ok)
            return -EINVAL;
    }
    return 0;
}

/* ---- PEM through OpenSSL ---------------------------------------------------------------------- */

static char *bio_text(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *out = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (out) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    return out;
}

/* The first PEM certificate in `pem`; NULL if there is none. */
static X509 *parse_cert(const char *pem, size_t len)
{
    if (len > INT_MAX)
        return NULL;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    return x;
}

static int encode_cert(X509 *x, char **out)
{
    BIO *b = BIO_new(BIO_s_mem());
    int err = b && PEM_write_bio_X509(b, x) == 1 ? 0 : -ENOMEM;
    *out = err ? NULL : bio_text(b);
    BIO_free(b);
    return !err && !*out ? -ENOMEM : err;
}

struct password_use {
    const char *password;
    bool asked;
};

static int password_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    struct password_use *p = u;
    p->asked = true;
    if (!p->password)
        return -1;
    size_t n = strlen(p->password);
    if (n > (size_t)size)
        return -1;
    memcpy(buf, p->password, n);
    return (int)n;
}

/* The private key in `pem`, decrypted with `password` when it is encrypted. -EINVAL for no key,
 * a wrong or missing password, or a password for an unencrypted key. */
static int parse_key(const char *pem, size_t len, const char *password, EVP_PKEY **out)
{
    *out = NULL;
    if (len > INT_MAX)
        return -EINVAL;
    struct password_use use = {.password = password};
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    if (!b)
        return -ENOMEM;
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, password_cb, &use);
    BIO_free(b);
    ERR_clear_error();
    if (!k)
        return -EINVAL;
    if (password && !use.asked) {
        EVP_PKEY_free(k);
        return -EINVAL;
    }
    *out = k;
    return 0;
}

static int encode_key(EVP_PKEY *k, char **out)
{
    BIO *b = BIO_new(BIO_s_mem());
    int err = b && PEM_write_bio_PKCS8PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1 ? 0 : -ENOMEM;
    *out = err ? NULL : bio_text(b);
    if (b) {
        char *data = NULL;
        long n = BIO_get_mem_data(b, &data);
        if (n > 0)
            OPENSSL_cleanse(data, (size_t)n);
    }
    BIO_free(b);
    return !err && !*out ? -ENOMEM : err;
}

/* ---- the file ----------------------------------------------------------------------------- */

static int serialize_recs(struct record *const *recs, size_t count, char **text, size_t *len)
{
    struct json_value *root = json_new_object(), *list = json_new_array();
    int err = root && list ? 0 : -ENOMEM;
    for (size_t i = 0; !err && i < count; i++) {
        const struct record *r = recs[i];
        struct json_value *o = json_new_object();
        err = o ? 0 : -ENOMEM;
        err = err ? err : json_object_append(o, "id", json_new_string(r->id));
        err = err ? err : json_object_append(o, "type", json_new_string(r->kind == CERTSTORE_CLIENT ? "Client" : "RootCA"));
        err = err ? err : json_object_append(o, "certificate", json_new_string(r->cert));
        if (!err && r->key)
            err = json_object_append(o, "privateKey", json_new_string(r->key));
        if (err)
            json_free(o);
        else
            err = json_array_append(list, o);
    }
    if (!err) {
        err = json_object_append(root, "format", json_new_int(FORMAT_VERSION));
        err = err ? err : json_object_append(root, "certificates", list);
        list = NULL;
    }
    struct strbuf sb = {0};
    err = err ? err : json_write(root, JSON_PRETTY, &sb);
    err = err ? err : strbuf_putc(&sb, '\n');
    json_free(root);
    json_free(list);
    if (err) {
        strbuf_free(&sb);
        return err < 0 ? err : -ENOMEM;
    }
    *len = strlen(strbuf_str(&sb));
    *text = strbuf_detach(&sb);
    return *text ? 0 : -ENOMEM;
}

static void why_at(char *why, size_t why_size, const char *file, struct json_pos pos, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void why_at(char *why, size_t why_size, const char *file, struct json_pos pos, const char *path,
                   const char *fmt, ...)
{
    if (!why || !why_size)
        return;
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(why, why_size, "%s:%u:%u: %s: %s", file, pos.line, pos.col, path, reason);
}

static const struct json_value *string_field(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v : NULL;
}

/* Checks one record of the file; returns it, or NULL with `why` set. */
static struct record *load_record(const struct json_value *o, size_t index, const char *file, char *why, size_t why_size)
{
    char path[64];
    snprintf(path, sizeof path, "certificates[%zu]", index);
    if (o->type != JSON_OBJECT) {
        why_at(why, why_size, file, o->pos, path, "must be an object {\"id\", \"type\", \"certificate\"[, \"privateKey\"]}");
        return NULL;
    }
    for (size_t i = 0; i < o->u.object.count; i++) {
        const char *k = o->u.object.members[i].key;
        if (strcmp(k, "id") && strcmp(k, "type") && strcmp(k, "certificate") && strcmp(k, "privateKey")) {
            why_at(why, why_size, file, o->u.object.members[i].key_pos, path, "unknown field \"%s\"", k);
            return NULL;
        }
    }
    const struct json_value *id = string_field(o, "id"), *type = string_field(o, "type"),
                            *cert = string_field(o, "certificate"), *key = json_object_get(o, "privateKey");
    char fpath[96];
    if (!id || certstore_check_id(id->u.string.chars)) {
        snprintf(fpath, sizeof fpath, "%s.id", path);
        why_at(why, why_size, file, id ? id->pos : o->pos, fpath, "must be an identifier of 1-16 characters of A-Z a-z 0-9 . - _");
        return NULL;
    }
    enum certstore_kind kind = type && !strcmp(type->u.string.chars, "Client") ? CERTSTORE_CLIENT : CERTSTORE_ROOT_CA;
    if (!type || (strcmp(type->u.string.chars, "Client") && strcmp(type->u.string.chars, "RootCA"))) {
        snprintf(fpath, sizeof fpath, "%s.type", path);
        why_at(why, why_size, file, type ? type->pos : o->pos, fpath, "must be \"RootCA\" or \"Client\"");
        return NULL;
    }
    X509 *x = cert && cert->u.string.len <= CERTSTORE_BLOB_MAX ? parse_cert(cert->u.string.chars, cert->u.string.len) : NULL;
    if (!x) {
        snprintf(fpath, sizeof fpath, "%s.certificate", path);
        why_at(why, why_size, file, cert ? cert->pos : o->pos, fpath, "must be a PEM certificate of at most %d bytes",
               CERTSTORE_BLOB_MAX);
        return NULL;
    }
    snprintf(fpath, sizeof fpath, "%s.privateKey", path);
    const char *problem = NULL;
    EVP_PKEY *k = NULL;
    if (kind == CERTSTORE_ROOT_CA && key)
        problem = "a root CA certificate has no private key";
    else if (kind == CERTSTORE_CLIENT && (!key || key->type != JSON_STRING))
        problem = "a client certificate needs its private key (a PEM string)";
    else if (kind == CERTSTORE_CLIENT && parse_key(key->u.string.chars, key->u.string.len, NULL, &k))
        problem = "is not an unencrypted PEM private key";
    else if (k && X509_check_private_key(x, k) != 1)
        problem = "does not belong to the certificate";
    ERR_clear_error();
    EVP_PKEY_free(k);
    X509_free(x);
    if (problem) {
        why_at(why, why_size, file, key ? key->pos : o->pos, fpath, "%s", problem);
        return NULL;
    }
    char *c = strdup(cert->u.string.chars), *kk = key ? strdup(key->u.string.chars) : NULL;
    struct record *r = c && (!key || kk) ? record_new(id->u.string.chars, kind, c, kk) : NULL;
    if (!r) {
        free(c);
        free(kk);
        snprintf(why, why_size, "%s: out of memory", file);
    }
    return r;
}

static struct certstore *store_new(void)
{
    struct certstore *cs = calloc(1, sizeof *cs);
    if (cs) {
        cs->lock = malloc(sizeof *cs->lock);
        if (!cs->lock || pthread_mutex_init(cs->lock, NULL)) {
            free(cs->lock);
            free(cs);
            return NULL;
        }
    }
    return cs;
}

static void free_recs(struct record **recs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        record_free(recs[i]);
    free(recs);
}

void certstore_close(struct certstore *cs)
{
    if (!cs)
        return;
    free_recs(cs->recs, cs->count);
    pthread_mutex_destroy(cs->lock);
    free(cs->lock);
    free(cs->dir);
    free(cs);
}

int certstore_parse(const char *text, size_t len, const char *file, struct certstore **out, char *why, size_t why_size)
{
    *out = NULL;
    if (why && why_size)
        why[0] = '\0';
    struct diag_list diags = {0};
    struct json_value *root = NULL;
    int err = json_parse(text, len, NULL, file, &diags, &root);
    if (err || diag_error_count(&diags)) {
        for (size_t i = 0; i < diags.count; i++)
            if (diags.items[i].severity == DIAG_ERROR) {
                const struct diag *d = &diags.items[i];
                snprintf(why, why_size, "%s:%u:%u: %s", file, d->line, d->col, d->message);
                break;
            }
        diag_list_free(&diags);
        json_free(root);
        return err == -ENOMEM ? -ENOMEM : -EINVAL;
    }
    diag_list_free(&diags);
    struct json_pos top = {1, 1};
    const struct json_value *format = json_object_get(root, "format"), *list = json_object_get(root, "certificates");
    err = -EINVAL;
    if (root->type != JSON_OBJECT)
        why_at(why, why_size, file, root->pos, "(root)", "must be an object {\"format\": 1, \"certificates\": [...]}");
    else if (!format || format->type != JSON_NUMBER || !format->u.number.is_integer || format->u.number.integer != FORMAT_VERSION)
        why_at(why, why_size, file, format ? format->pos : top, "format", "must be %d (the store format this device reads)",
               FORMAT_VERSION);
    else if (!list || list->type != JSON_ARRAY)
        why_at(why, why_size, file, list ? list->pos : top, "certificates", "must be an array");
    else
        err = 0;
    struct certstore *cs = err ? NULL : store_new();
    if (!err && !cs)
        err = -ENOMEM;
    if (!err && list->u.array.count) {
        cs->recs = calloc(list->u.array.count, sizeof *cs->recs);
        err = cs->recs ? 0 : -ENOMEM;
    }
    size_t used = CERTSTORE_OVERHEAD_BYTES;
    for (size_t i = 0; !err && i < list->u.array.count; i++) {
        const struct json_value *item = list->u.array.items[i];
        struct record *r = load_record(item, i, file, why, why_size);
        if (!r) {
            err = -EINVAL;
            break;
        }
        cs->recs[cs->count++] = r;
        char path[64];
        snprintf(path, sizeof path, "certificates[%zu].id", i);
        if (find(cs, r->id) != (ssize_t)cs->count - 1) {
            why_at(why, why_size, file, json_object_get(item, "id")->pos, path, "\"%s\" is installed twice", r->id);
            err = -EINVAL;
        }
        used += record_bytes(r);
        if (!err && used > CERTSTORE_QUOTA_BYTES) {
            why_at(why, why_size, file, item->pos, path, "the certificates exceed the %d-byte quota", CERTSTORE_QUOTA_BYTES);
            err = -EINVAL;
        }
    }
    json_free(root);
    if (err) {
        certstore_close(cs);
        return err;
    }
    *out = cs;
    return 0;
}

static char *store_path(const char *dir)
{
    size_t n = strlen(dir) + sizeof "/" CERTSTORE_FILE;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, CERTSTORE_FILE);
    return p;
}

int certstore_open(const char *dir, struct certstore **out, char *why, size_t why_size)
{
    *out = NULL;
    if (why && why_size)
        why[0] = '\0';
    char *path = store_path(dir);
    if (!path)
        return -ENOMEM;
    hostio_remove_stale_temporaries(dir);
    char *text = NULL;
    size_t len = 0;
    int err = hostio_read_file(path, &text, &len);
    struct certstore *cs = NULL;
    if (err == -ENOENT) {
        cs = store_new();
        err = cs ? 0 : -ENOMEM;
    } else if (err) {
        snprintf(why, why_size, "%s: %s", path, strerror(-err));
    } else {
        err = certstore_parse(text, len, path, &cs, why, why_size);
    }
    free(text);
    free(path);
    if (!err) {
        cs->dir = strdup(dir);
        if (!cs->dir) {
            certstore_close(cs);
            return -ENOMEM;
        }
        *out = cs;
    }
    return err;
}

struct shared_entry {
    struct shared_entry *next;
    struct certstore *cs;
};
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shared_entry *shared_list;

int certstore_shared(const char *dir, struct certstore **out, char *why, size_t why_size)
{
    pthread_mutex_lock(&shared_lock);
    int err = 0;
    struct shared_entry *e = shared_list;
    while (e && strcmp(e->cs->dir, dir))
        e = e->next;
    if (!e) {
        struct certstore *cs = NULL;
        err = certstore_open(dir, &cs, why, why_size);
        e = err ? NULL : calloc(1, sizeof *e);
        if (!err && !e) {
            certstore_close(cs);
            err = -ENOMEM;
        }
        if (e) {
            e->cs = cs;
            e->next = shared_list;
            shared_list = e;
        }
    }
    *out = e ? e->cs : NULL;
    pthread_mutex_unlock(&shared_lock);
    return err;
}

int certstore_serialize(struct certstore *cs, char **text, size_t *len)
{
    pthread_mutex_lock(cs->lock);
    int err = serialize_recs(cs->recs, cs->count, text, len);
    pthread_mutex_unlock(cs->lock);
    return err;
}

/* Makes `recs` (count entries) the store's contents: checks the quota, writes the file, then
 * frees the records of the old set that the new one does not hold. On failure nothing changes
 * and the caller still owns `recs` (an array the caller allocated). Called locked. */
static int commit(struct certstore *cs, struct record **recs, size_t count)
{
    size_t used = CERTSTORE_OVERHEAD_BYTES;
    for (size_t i = 0; i < count; i++)
        used += record_bytes(recs[i]);
    if (used > CERTSTORE_QUOTA_BYTES)
        return -ENOSPC;
    if (cs->dir) {
        char *text = NULL, *path = store_path(cs->dir);
        size_t len = 0;
        int err = path ? serialize_recs(recs, count, &text, &len) : -ENOMEM;
        err = err ? err : hostio_write_file_atomic(path, text, len, 0600);
        if (text)
            OPENSSL_cleanse(text, len);
        free(text);
        free(path);
        if (err)
            return err;
    }
    for (size_t i = 0; i < cs->count; i++) {
        bool kept = false;
        for (size_t k = 0; k < count && !kept; k++)
            kept = recs[k] == cs->recs[i];
        if (!kept)
            record_free(cs->recs[i]);
    }
    free(cs->recs);
    cs->recs = recs;
    cs->count = count;
    return 0;
}

/* Puts `r` in place of the certificate with its identifier, or at the end. Called locked;
 * frees `r` on failure. */
static int install(struct certstore *cs, struct record *r)
{
    struct record **recs = malloc((cs->count + 1) * sizeof *recs);
    if (!recs) {
        record_free(r);
        return -ENOMEM;
    }
    if (cs->count)
        memcpy(recs, cs->recs, cs->count * sizeof *recs);
    ssize_t at = find(cs, r->id);
    size_t count = cs->count;
    if (at >= 0)
        recs[at] = r;
    else
        recs[count++] = r;
    int err = commit(cs, recs, count);
    if (err) {
        free(recs);
        record_free(r);
    }
    return err;
}

static int check_blob(const char *blob, size_t len)
{
    if (!blob)
        return -EFAULT;
    return len == 0 || len > CERTSTORE_BLOB_MAX ? -ERANGE : 0;
}

int certstore_install_root_ca(struct certstore *cs, const char *id, const char *pem, size_t len)
{
    if (!id || !pem)
        return -EFAULT;
    int err = certstore_check_id(id);
    err = err ? err : check_blob(pem, len);
    if (err)
        return err;
    X509 *x = parse_cert(pem, len);
    if (!x)
        return -EINVAL;
    char *cert = NULL;
    err = encode_cert(x, &cert);
    X509_free(x);
    struct record *r = err ? NULL : record_new(id, CERTSTORE_ROOT_CA, cert, NULL);
    if (!r) {
        free(cert);
        return err ? err : -ENOMEM;
    }
    pthread_mutex_lock(cs->lock);
    err = install(cs, r);
    pthread_mutex_unlock(cs->lock);
    return err;
}

int certstore_install_client(struct certstore *cs, const char *id, const char *cert, size_t cert_len, const char *key,
                             size_t key_len, const char *password)
{
    if (!id || !cert || !key)
        return -EFAULT;
    int err = certstore_check_id(id);
    err = err ? err : check_blob(cert, cert_len);
    err = err ? err : check_blob(key, key_len);
    if (!err && password && strnlen(password, CERTSTORE_PASSWORD_MAX + 1) > CERTSTORE_PASSWORD_MAX)
        err = -ERANGE;
    if (err)
        return err;
    X509 *x = parse_cert(cert, cert_len);
    if (!x)
        return -EINVAL;
    EVP_PKEY *k = NULL;
    err = parse_key(key, key_len, password, &k);
    if (!err && X509_check_private_key(x, k) != 1)
        err = -EINVAL;
    ERR_clear_error();
    char *cert_pem = NULL, *key_pem = NULL;
    err = err ? err : encode_cert(x, &cert_pem);
    err = err ? err : encode_key(k, &key_pem);
    X509_free(x);
    EVP_PKEY_free(k);
    struct record *r = err ? NULL : record_new(id, CERTSTORE_CLIENT, cert_pem, key_pem);
    if (!r) {
        free(cert_pem);
        free(key_pem);
        return err ? err : -ENOMEM;
    }
    pthread_mutex_lock(cs->lock);
    err = install(cs, r);
    pthread_mutex_unlock(cs->lock);
    return err;
}

int certstore_delete(struct certstore *cs, const char *id)
{
    if (!id)
        return -EFAULT;
    if (certstore_check_id(id))
        return -ENOENT;
    pthread_mutex_lock(cs->lock);
    ssize_t at = find(cs, id);
    int err = at < 0 ? -ENOENT : 0;
    struct record **recs = NULL;
    if (!err && cs->count > 1) {
        recs = malloc((cs->count - 1) * sizeof *recs);
        err = recs ? 0 : -ENOMEM;
    }
    if (!err) {
        size_t n = 0;
        for (size_t i = 0; i < cs->count; i++)
            if ((ssize_t)i != at)
                recs[n++] = cs->recs[i];
        err = commit(cs, recs, n);
        if (err)
            free(recs);
    }
    pthread_mutex_unlock(cs->lock);
    return err;
}

int certstore_move(struct certstore *cs, const char *src, const char *dst)
{
    if (!src || !dst)
        return -EFAULT;
    int err = certstore_check_id(src);
    int err2 = certstore_check_id(dst);
    if (err == -ERANGE || err2 == -ERANGE)
        return -ERANGE;
    if (err || err2)
        return -EINVAL;
    pthread_mutex_lock(cs->lock);
    ssize_t from = find(cs, src), to = find(cs, dst);
    err = from < 0 ? -ENOENT : 0;
    if (!err && from != to) {
        const struct record *s = cs->recs[from];
        char *c = strdup(s->cert), *k = s->key ? strdup(s->key) : NULL;
        struct record *r = c && (!s->key || k) ? record_new(dst, s->kind, c, k) : NULL;
        struct record **recs = r ? malloc(cs->count * sizeof *recs) : NULL;
        if (!recs) {
            if (r)
                record_free(r);
            else {
                free(c);
                free(k);
            }
            err = -ENOMEM;
        } else {
            size_t n = 0;
            for (size_t i = 0; i < cs->count; i++)
                if ((ssize_t)i == from)
                    recs[n++] = r;
                else if ((ssize_t)i != to)
                    recs[n++] = cs->recs[i];
            err = commit(cs, recs, n);
            if (err) {
                free(recs);
                record_free(r);
            }
        }
    }
    pthread_mutex_unlock(cs->lock);
    return err;
}

size_t certstore_count(struct certstore *cs)
{
    pthread_mutex_lock(cs->lock);
    size_t n = cs->count;
    pthread_mutex_unlock(cs->lock);
    return n;
}

int certstore_id_at(struct certstore *cs, size_t index, char out[CERTSTORE_ID_MAX + 1])
{
    pthread_mutex_lock(cs->lock);
    int err = index < cs->count ? 0 : -ERANGE;
    if (!err)
        memcpy(out, cs->recs[index]->id, sizeof cs->recs[index]->id);
    pthread_mutex_unlock(cs->lock);
    return err;
}

size_t certstore_available(struct certstore *cs)
{
    pthread_mutex_lock(cs->lock);
    size_t used = CERTSTORE_OVERHEAD_BYTES;
    for (size_t i = 0; i < cs->count; i++)
        used += record_bytes(cs->recs[i]);
    pthread_mutex_unlock(cs->lock);
    return used < CERTSTORE_QUOTA_BYTES ? CERTSTORE_QUOTA_BYTES - used : 0;
}

static void name_text(const X509_NAME *name, char out[CERTSTORE_NAME_MAX + 1])
{
    out[0] = '\0';
    if (!X509_NAME_oneline(name, out, CERTSTORE_NAME_MAX + 1))
        out[0] = '\0';
}

static int time_tm(const ASN1_TIME *t, struct tm *out)
{
    memset(out, 0, sizeof *out);
    if (ASN1_TIME_to_tm(t, out) != 1)
        return -EINVAL;
    out->tm_wday = out->tm_yday = out->tm_isdst = 0;
    return 0;
}

int certstore_info(struct certstore *cs, const char *id, struct certstore_info *out)
{
    if (!id || !out)
        return -EFAULT;
    if (certstore_check_id(id))
        return -EINVAL;
    pthread_mutex_lock(cs->lock);
    ssize_t at = find(cs, id);
    int err = at < 0 ? -ENOENT : 0;
    if (!err) {
        const struct record *r = cs->recs[at];
        X509 *x = parse_cert(r->cert, strlen(r->cert));
        err = x ? 0 : -EINVAL;
        memset(out, 0, sizeof *out);
        memcpy(out->id, r->id, sizeof out->id);
        out->kind = r->kind;
        out->bytes = record_bytes(r);
        err = err ? err : time_tm(X509_get0_notBefore(x), &out->not_before);
        err = err ? err : time_tm(X509_get0_notAfter(x), &out->not_after);
        if (!err) {
            name_text(X509_get_subject_name(x), out->subject);
            name_text(X509_get_issuer_name(x), out->issuer);
        }
        X509_free(x);
    }
    pthread_mutex_unlock(cs->lock);
    return err;
}

int certstore_kind(const struct certstore *cs, const char *id)
{
    if (!id || certstore_check_id(id))
        return -ENOENT;
    pthread_mutex_lock(cs->lock);
    ssize_t at = find(cs, id);
    int kind = at < 0 ? -ENOENT : (int)cs->recs[at]->kind;
    pthread_mutex_unlock(cs->lock);
    return kind;
}

int certstore_pem(const struct certstore *cs, const char *id, char **cert_pem, char **key_pem)
{
    *cert_pem = *key_pem = NULL;
    if (!id || certstore_check_id(id))
        return -ENOENT;
    pthread_mutex_lock(cs->lock);
    ssize_t at = find(cs, id);
    int err = at < 0 ? -ENOENT : 0;
    if (!err) {
        *cert_pem = strdup(cs->recs[at]->cert);
        *key_pem = cs->recs[at]->key ? strdup(cs->recs[at]->key) : NULL;
        if (!*cert_pem || (cs->recs[at]->key && !*key_pem)) {
            free(*cert_pem);
            free(*key_pem);
            *cert_pem = *key_pem = NULL;
            err = -ENOMEM;
        }
    }
    pthread_mutex_unlock(cs->lock);
    return err;
}
