/* SPDX-License-Identifier: MIT */
/* mqttbroker.c — DATA/mqtt/ files, mosquitto passwords, the broker as a child (see mqttbroker.h). */
#include "mqttbroker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "hostio.h"
#include "path.h"
#include "strbuf.h"

#define PBKDF2_ITERATIONS 101 /* mosquitto_passwd 2.x's default */
#define SALT_BYTES 12
#define HASH_BYTES 64

/* ---- addresses ----------------------------------------------------------------------------- */

int mqttbroker_parse_addr(const char *text, char host[64], uint16_t *port)
{
    const char *colon = text ? strrchr(text, ':') : NULL;
    if (!colon || colon == text)
        return -EINVAL;
    const char *h = text;
    size_t hlen = (size_t)(colon - text);
    if (h[0] == '[') {
        if (hlen < 3 || h[hlen - 1] != ']')
            return -EINVAL;
        h++, hlen -= 2;
    }
    char *end = NULL;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (hlen == 0 || hlen >= 64 || !colon[1] || *end || errno || p < 1 || p > 65535)
        return -EINVAL;
    for (size_t i = 0; i < hlen; i++)
        if (h[i] <= ' ' || h[i] == '#')
            return -EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)p;
    return 0;
}

/* ---- passwords ----------------------------------------------------------------------------- */

int mqttbroker_hash_password(const char *password, const uint8_t salt[SALT_BYTES], char *out, size_t out_size)
{
    uint8_t hash[HASH_BYTES];
    unsigned char salt64[4 * ((SALT_BYTES + 2) / 3) + 1], hash64[4 * ((HASH_BYTES + 2) / 3) + 1];
    if (!PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, SALT_BYTES, PBKDF2_ITERATIONS, EVP_sha512(),
                           HASH_BYTES, hash))
        return -EIO;
    EVP_EncodeBlock(salt64, salt, SALT_BYTES);
    EVP_EncodeBlock(hash64, hash, HASH_BYTES);
    int n = snprintf(out, out_size, "$7$%d$%s$%s", PBKDF2_ITERATIONS, salt64, hash64);
    return n > 0 && (size_t)n < out_size ? 0 : -EINVAL;
}

int mqttbroker_random_password(char out[33])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 0;
    while (n < 32) {
        uint8_t raw[64];
        int err = bytes_random(raw, sizeof raw);
        if (err)
            return err;
        for (size_t i = 0; i < sizeof raw && n < 32; i++)
            if (raw[i] < 248) /* 248 = 4 * 62: no bias */
                out[n++] = alphabet[raw[i] % 62];
    }
    out[32] = '\0';
    return 0;
}

int mqttbroker_set_password(const char *passwd_file, const char *user, const char *password)
{
    if (!user || !user[0] || strpbrk(user, ":\r\n") || !password)
        return -EINVAL;
    uint8_t salt[SALT_BYTES];
    char hash[192];
    int err = bytes_random(salt, sizeof salt);
    err = err ? err : mqttbroker_hash_password(password, salt, hash, sizeof hash);
    if (err)
        return err;
    char *old = NULL;
    size_t old_len = 0;
    err = hostio_read_file(passwd_file, &old, &old_len);
    if (err == -ENOENT)
        err = 0, old = NULL, old_len = 0;
    if (err)
        return err;
    size_t ulen = strlen(user), cap = old_len + ulen + strlen(hash) + 4;
    char *text = malloc(cap);
    if (!text) {
        free(old);
        return -ENOMEM;
    }
    size_t n = 0;
    /* Keep every other user's line as it was. */
    for (char *line = old, *next; line && *line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : line + strlen(line);
        size_t llen = (size_t)(next - line);
        if (llen > ulen && !strncmp(line, user, ulen) && line[ulen] == ':')
            continue;
        memcpy(text + n, line, llen);
        n += llen;
        if (!nl)
            text[n++] = '\n';
    }
    n += (size_t)snprintf(text + n, cap - n, "%s:%s\n", user, hash);
    err = hostio_write_file_atomic(passwd_file, text, n, 0600);
    free(text), free(old);
    return err;
}

/* ---- DATA/mqtt ----------------------------------------------------------------------------- */

static int write_text(const char *dir, const char *name, const char *text, unsigned mode)
{
    char *p = path_join(dir, name);
    int err = p ? hostio_write_file_atomic(p, text, strlen(text), mode) : -ENOMEM;
    free(p);
    return err;
}

int mqttbroker_init_dir(const char *data_dir, const char *host, uint16_t port, char *why, size_t why_size)
{
    char *abs = NULL, *dir = NULL, *passwd = NULL, *secret_path = NULL, *conf = NULL;
    int err = hostio_make_dirs(data_dir, 0700);
    if (!err) {
        abs = realpath(data_dir, NULL);
        err = abs ? 0 : -errno;
    }
    if (!err && strpbrk(abs, "\r\n"))
        err = -EINVAL;
    dir = abs ? path_join(abs, "mqtt") : NULL;
    err = err ? err : dir ? hostio_make_dirs(dir, 0700) : -ENOMEM;
    if (err) {
        snprintf(why, why_size, "cannot create %s/mqtt: %s", data_dir, strerror(-err));
        goto out;
    }
    chmod(dir, 0700);
    /* mosquitto started as root switches to the user named here (default "mosquitto"), who
     * could not read this 0700 folder: name the user we are. */
    struct passwd *pw = getpwuid(geteuid());
    size_t cap = 3 * strlen(dir) + 1024;
    conf = malloc(cap);
    err = conf ? 0 : -ENOMEM;
    if (!err)
        snprintf(conf, cap,
                 "# DATA/mqtt/mosquitto.conf, written by `sphere cloud init` (docs/twin.md); rewritten by it.\n"
                 "per_listener_settings false\n"
                 "listener %u %s\n"
                 "allow_anonymous false\n"
                 "password_file %s/passwd\n"
                 "acl_file %s/acl\n"
                 "persistence true\n"
                 "persistence_location %s/\n"
                 "log_dest file %s/mosquitto.log\n"
                 "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
                 "log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S\n"
                 "connection_messages true\n"
                 "max_packet_size 65536\n"
                 "%s%s%s",
                 port, host, dir, dir, dir, dir, pw && geteuid() == 0 ? "user " : "", pw && geteuid() == 0 ? pw->pw_name : "",
                 pw && geteuid() == 0 ? "\n" : "");
    err = err ? err : write_text(dir, "mosquitto.conf", conf, 0600);
    err = err ? err
              : write_text(dir, "acl",
                           "# DATA/mqtt/acl, written by `sphere cloud init` (docs/twin.md). %u is the MQTT user name,\n"
                           "# which for a device is its ID: a device reads its desired state and writes its reported\n"
                           "# state, and nothing else; it also reads its commands (update-now, docs/rollouts.md).\n"
                           "pattern read opensphere/devices/%u/twin/desired\n"
                           "pattern read opensphere/devices/%u/commands\n"
                           "pattern write opensphere/devices/%u/twin/reported\n"
                           "\n"
                           "user " MQTT_SERVICE_USER "\n"
                           "topic readwrite opensphere/devices/#\n",
                           0600);
    passwd = dir ? path_join(dir, "passwd") : NULL;
    secret_path = dir ? path_join(dir, "service.secret") : NULL;
    err = err ? err : passwd && secret_path ? 0 : -ENOMEM;
    if (!err && (access(secret_path, F_OK) != 0 || access(passwd, F_OK) != 0)) {
        char secret[34];
        err = mqttbroker_random_password(secret);
        err = err ? err : mqttbroker_set_password(passwd, MQTT_SERVICE_USER, secret);
        strcat(secret, "\n");
        err = err ? err : hostio_write_file_atomic(secret_path, secret, strlen(secret), 0600);
        OPENSSL_cleanse(secret, sizeof secret);
    }
    if (err)
        snprintf(why, why_size, "cannot write the broker's files in %s: %s", dir, strerror(-err));
out:
    free(abs), free(dir), free(passwd), free(secret_path), free(conf);
    return err;
}

int mqttbroker_read_listen(const char *data_dir, char host[64], uint16_t *port)
{
    char *p = path_join(data_dir, "mqtt/mosquitto.conf"), *text = NULL;
    size_t len = 0;
    int err = p ? hostio_read_file(p, &text, &len) : -ENOMEM;
    free(p);
    if (err)
        return err;
    err = -EINVAL;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned pt = 0;
        char h[64];
        if (sscanf(line, "listener %u %63s", &pt, h) == 2 && pt > 0 && pt < 65536) {
            snprintf(host, 64, "%s", h);
            *port = (uint16_t)pt;
            err = 0;
            break;
        }
    }
    free(text);
    return err;
}

int mqttbroker_read_secret(const char *data_dir, char **password)
{
    char *p = path_join(data_dir, "mqtt/service.secret");
    size_t len = 0;
    int err = p ? hostio_read_file(p, password, &len) : -ENOMEM;
    free(p);
    if (err)
        return err;
    while (len && ((*password)[len - 1] == '\n' || (*password)[len - 1] == '\r'))
        (*password)[--len] = '\0';
    if (len == 0) {
        free(*password);
        *password = NULL;
        return -EINVAL;
    }
    return 0;
}

/* ---- the child ----------------------------------------------------------------------------- */

struct mqttbroker {
    char *conf, *log, *exe;
    char host[64];
    uint16_t port;
    pthread_mutex_t lock;
    pid_t pid;            /* 0: not running */
    bool stopping;
    pthread_t watcher;
    bool watching;
    time_t restarts[5];   /* when the last restarts happened */
};

static pid_t spawn(struct mqttbroker *b)
{
    char *const argv[] = {b->exe, "-c", b->conf, NULL};
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid < 0 ? -errno : pid;
    /* The child: only async-signal-safe calls until exec. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the service blocks SIGTERM/SIGINT for sigwait */
    signal(SIGPIPE, SIG_DFL);
    close_range(3, ~0u, 0);
    execv(b->exe, argv);
    _exit(127);
}

static int connect_once(const char *host, uint16_t port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    if (getaddrinfo(host, service, &hints, &res) != 0)
        return -EINVAL;
    int err = -ECONNREFUSED;
    for (struct addrinfo *a = res; a && err; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            err = 0;
        close(fd);
    }
    freeaddrinfo(res);
    return err;
}

/* Waits until the child listens (0), exits (-EIO, reaped) or 10 s pass (-ETIMEDOUT). */
static int wait_listening(struct mqttbroker *b, pid_t pid, int *status)
{
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return -EIO;
        if (connect_once(b->host, b->port) == 0) {
            /* Someone else on that port, and ours failed to bind? Give it a moment to say so. */
            nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
            return waitpid(pid, status, WNOHANG) == pid ? -EIO : 0;
        }
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    return -ETIMEDOUT;
}

static void describe_exit(int status, char *out, size_t size)
{
    if (WIFEXITED(status))
        snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, size, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, size, "stopped");
}

static void *watch(void *arg)
{
    struct mqttbroker *b = arg;
    for (;;) {
        pthread_mutex_lock(&b->lock);
        pid_t pid = b->pid;
        pthread_mutex_unlock(&b->lock);
        int status = 0;
        if (pid <= 0 || waitpid(pid, &status, 0) != pid)
            break;
        pthread_mutex_lock(&b->lock);
        b->pid = 0;
        bool stopping = b->stopping;
        pthread_mutex_unlock(&b->lock);
        if (stopping)
            break;
        char how[64];
        describe_exit(status, how, sizeof how);
        time_t now = time(NULL);
        bool too_many = b->restarts[0] && now - b->restarts[0] < 60;
        fprintf(stderr, "sphere-cloud: mqtt: the broker (mosquitto, pid %ld) %s; see %s; %s\n", (long)pid, how, b->log,
                too_many ? "it was restarted 5 times in the last minute: leaving it down" : "restarting it in 1 s");
        if (too_many)
            break;
        memmove(b->restarts, b->restarts + 1, sizeof b->restarts - sizeof b->restarts[0]);
        b->restarts[4] = now;
        sleep(1);
        pthread_mutex_lock(&b->lock);
        if (!b->stopping) {
            /* Forked from this thread: PR_SET_PDEATHSIG fires when this thread ends, which is
             * only at mqttbroker_stop, after the child has been stopped. */
            pid_t np = spawn(b);
            b->pid = np > 0 ? np : 0;
            if (np < 0)
                fprintf(stderr, "sphere-cloud: mqtt: cannot restart %s: %s\n", b->exe, strerror((int)-np));
        }
        stopping = b->stopping || b->pid == 0;
        pthread_mutex_unlock(&b->lock);
        if (stopping)
            break;
    }
    return NULL;
}

/* mosquitto.conf's text, its password_file line naming DATA/mqtt/passwd.service instead when that
 * file exists (device passwords turned off, twin_devlisten.h). */
static int append_base(struct strbuf *conf, const char *data_dir, char *text)
{
    char *service = path_join(data_dir, TWIN_SERVICE_PASSWD);
    int err = service ? 0 : -ENOMEM;
    bool only_service = service && access(service, F_OK) == 0;
    if (only_service && strpbrk(service, "\r\n"))
        err = -EINVAL;
    for (char *save = NULL, *line = err ? NULL : strtok_r(text, "\n", &save); line && !err; line = strtok_r(NULL, "\n", &save)) {
        if (only_service && !strncmp(line, "password_file ", 14))
            err = strbuf_printf(conf, "password_file %s\n", service) ? -ENOMEM : 0;
        else
            err = strbuf_printf(conf, "%s\n", line) ? -ENOMEM : 0;
    }
    free(service);
    return err;
}

/* DATA/mqtt/mosquitto.run.conf: mosquitto.conf with the TLS certificate and key for its listener
 * (the options apply to the listener above them). Returns its path (malloc'd) or NULL, why set. */
static char *write_tls_conf(const char *data_dir, const char *cert_file, const char *key_file, char *why, size_t why_size)
{
    char *base = path_join(data_dir, "mqtt/mosquitto.conf"), *run = path_join(data_dir, "mqtt/mosquitto.run.conf");
    char *cert = realpath(cert_file, NULL), *key = realpath(key_file, NULL), *text = NULL;
    struct strbuf conf = {0};
    size_t len = 0;
    int err = base && run ? 0 : -ENOMEM;
    if (!err && (!cert || !key || strpbrk(cert, "\r\n") || strpbrk(key, "\r\n")))
        err = -EINVAL;
    err = err ? err : hostio_read_file(base, &text, &len);
    err = err ? err : append_base(&conf, data_dir, text);
    if (!err && strbuf_printf(&conf, "\n# MQTT over TLS with the service's certificate (written by sphere-cloud at each start)\n"
                                     "certfile %s\nkeyfile %s\n", cert, key))
        err = -ENOMEM;
    /* The device-certificate listener, when the service runs it (twin_devlisten.h): the same server certificate. */
    char *dev = path_join(data_dir, TWIN_DEVLISTEN_CONF), *dev_text = NULL;
    size_t dev_len = 0;
    if (!err && dev && hostio_read_file(dev, &dev_text, &dev_len) == 0 &&
        (strbuf_append(&conf, dev_text, dev_len) || strbuf_printf(&conf, "certfile %s\nkeyfile %s\n", cert, key)))
        err = -ENOMEM;
    free(dev), free(dev_text);
    /* The IoT Hub stand-in's device listener, when the service runs it (iothub_standin.h). */
    char *iot = path_join(data_dir, "mqtt/iothub.conf"), *iot_text = NULL;
    size_t iot_len = 0;
    if (!err && iot && hostio_read_file(iot, &iot_text, &iot_len) == 0 && strbuf_append(&conf, iot_text, iot_len))
        err = -ENOMEM;
    free(iot), free(iot_text);
    err = err ? err : hostio_write_file_atomic(run, conf.data, conf.len, 0600);
    if (err == -EINVAL)
        snprintf(why, why_size, "the TLS certificate %s or key %s cannot be named in mosquitto's configuration", cert_file,
                 key_file);
    else if (err)
        snprintf(why, why_size, "cannot write %s from %s: %s", run ? run : "mosquitto.run.conf", base ? base : "", strerror(-err));
    strbuf_free(&conf);
    free(base), free(cert), free(key), free(text);
    if (err) {
        free(run);
        return NULL;
    }
    return run;
}

int mqttbroker_start(const char *data_dir, const char *tls_cert_file, const char *tls_key_file, struct mqttbroker **out,
                     char *why, size_t why_size)
{
    *out = NULL;
    struct mqttbroker *b = calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    pthread_mutex_init(&b->lock, NULL);
    if (tls_cert_file && tls_key_file) {
        if (!(b->conf = write_tls_conf(data_dir, tls_cert_file, tls_key_file, why, why_size))) {
            pthread_mutex_destroy(&b->lock);
            free(b);
            return -EIO;
        }
    } else {
        b->conf = path_join(data_dir, "mqtt/mosquitto.conf");
    }
    b->log = path_join(data_dir, "mqtt/mosquitto.log");
    b->exe = strdup(access("/usr/sbin/mosquitto", X_OK) == 0 ? "/usr/sbin/mosquitto" : "/usr/bin/mosquitto");
    int err = b->conf && b->log && b->exe ? 0 : -ENOMEM;
    if (!err && (err = mqttbroker_read_listen(data_dir, b->host, &b->port)) != 0)
        snprintf(why, why_size, "cannot read the listener from %s: %s (run 'sphere cloud init')", b->conf, strerror(-err));
    if (!err && access(b->exe, X_OK) != 0) {
        err = -ENOENT;
        snprintf(why, why_size, "mosquitto is not installed (apt-get install mosquitto)");
    }
    if (!err) {
        pid_t pid = spawn(b);
        int status = 0;
        err = pid < 0 ? (int)pid : wait_listening(b, pid, &status);
        if (err == -EIO) {
            char how[64];
            describe_exit(status, how, sizeof how);
            snprintf(why, why_size, "the MQTT broker (%s -c %s) %s; see %s", b->exe, b->conf, how, b->log);
        } else if (err == -ETIMEDOUT) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            snprintf(why, why_size, "the MQTT broker did not listen on %s:%u within 10 s; see %s", b->host, b->port, b->log);
        } else if (err) {
            snprintf(why, why_size, "cannot run %s: %s", b->exe, strerror(-err));
        } else {
            b->pid = pid;
        }
    }
    if (!err) {
        err = -pthread_create(&b->watcher, NULL, watch, b);
        b->watching = !err;
        if (err) {
            snprintf(why, why_size, "cannot start the broker's watcher thread: %s", strerror(-err));
            kill(b->pid, SIGTERM);
            waitpid(b->pid, NULL, 0);
            b->pid = 0;
        }
    }
    if (err) {
        mqttbroker_stop(b);
        return err;
    }
    fprintf(stderr, "sphere-cloud: mqtt: started the broker (mosquitto, pid %ld) on %s:%u; log %s\n", (long)b->pid,
            b->host, b->port, b->log);
    *out = b;
    return 0;
}

int mqttbroker_reload(struct mqttbroker *b)
{
    pthread_mutex_lock(&b->lock);
    int err = b->pid > 0 ? (kill(b->pid, SIGHUP) == 0 ? 0 : -errno) : -ESRCH;
    pthread_mutex_unlock(&b->lock);
    return err;
}

void mqttbroker_stop(struct mqttbroker *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stopping = true;
    pid_t pid = b->pid;
    if (pid > 0)
        kill(pid, SIGTERM);
    pthread_mutex_unlock(&b->lock);
    if (b->watching) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 5;
        if (pthread_timedjoin_np(b->watcher, NULL, &until) != 0) {
            pthread_mutex_lock(&b->lock);
            if (b->pid > 0)
                kill(b->pid, SIGKILL);
            pthread_mutex_unlock(&b->lock);
            pthread_join(b->watcher, NULL);
        }
    }
    pthread_mutex_destroy(&b->lock);
    free(b->conf), free(b->log), free(b->exe);
    free(b);
}

int mqttbroker_remove_password(const char *passwd_file, const char *user)
{
    if (!user || !user[0] || strpbrk(user, ":\r\n"))
        return -EINVAL;
    char *old = NULL;
    size_t old_len = 0;
    int err = hostio_read_file(passwd_file, &old, &old_len);
    if (err == -ENOENT)
        return 0;
    if (err)
        return err;
    char *text = malloc(old_len + 1);
    if (!text) {
        free(old);
        return -ENOMEM;
    }
    size_t ulen = strlen(user), n = 0;
    bool removed = false;
    for (char *line = old, *next; line && *line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : line + strlen(line);
        size_t llen = (size_t)(next - line);
        if (llen > ulen && !strncmp(line, user, ulen) && line[ulen] == ':') {
            removed = true;
            continue;
        }
        memcpy(text + n, line, llen);
        n += llen;
    }
    err = removed ? hostio_write_file_atomic(passwd_file, text, n, 0600) : 0;
    free(text), free(old);
    return err;
}
