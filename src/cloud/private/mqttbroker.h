/* SPDX-License-Identifier: MIT */
/*
 * mqttbroker.h — the cloud's MQTT broker (Debian's mosquitto): its files in DATA/mqtt/, the
 * passwords in mosquitto's own format, and the broker run as a child of the service
 * (docs/twin.md).
 *
 * DATA/mqtt/ (mode 0700), written by mqttbroker_init_dir():
 *   mosquitto.conf  one listener on the given address only, allow_anonymous false, the files
 *                   below, persistence and the log (mosquitto.log) in this folder
 *   passwd          "user:$7$101$<salt>$<hash>" lines (0600): PBKDF2-HMAC-SHA512, 101 iterations,
 *                   12-byte salt, 64-byte hash, both base64 — what mosquitto_passwd 2.x writes
 *   acl             devices: read their own .../twin/desired, write their own .../twin/reported,
 *                   nothing else; the service user: readwrite opensphere/devices/#
 *   service.secret  the service user's password (0600)
 *
 * Errors: 0 or a negative errno; *why (when given) gets a sentence. -ENOENT (no DATA/mqtt or a
 * file missing), -EINVAL (bad argument or a file we cannot parse), -ENOMEM, -EIO, or the errno
 * of the failing system call.
 */
#ifndef OPENSPHERE_CLOUD_MQTTBROKER_H
#define OPENSPHERE_CLOUD_MQTTBROKER_H

#include <stddef.h>
#include <stdint.h>

#define MQTT_SERVICE_USER "opensphere-cloud"
#define MQTT_DEFAULT_LISTEN "127.0.0.1:1883"

/* Splits "HOST:PORT" ("[::1]:PORT" for IPv6) into host (≤ 63 characters) and port 1..65535. */
int mqttbroker_parse_addr(const char *text, char host[64], uint16_t *port);

/* Creates or refreshes DATA/mqtt: mosquitto.conf and acl are (re)written; passwd and
 * service.secret are created when missing and otherwise kept (device passwords survive). */
int mqttbroker_init_dir(const char *data_dir, const char *host, uint16_t port, char *why, size_t why_size);

/* Where DATA/mqtt/mosquitto.conf's listener is. */
int mqttbroker_read_listen(const char *data_dir, char host[64], uint16_t *port);
/* The service user's password (malloc'd, without the newline). */
int mqttbroker_read_secret(const char *data_dir, char **password);

/* mosquitto's "$7$101$<salt>$<hash>" for `password` with the given 12-byte salt. out_size ≥ 160. */
int mqttbroker_hash_password(const char *password, const uint8_t salt[12], char *out, size_t out_size);
/* Adds or replaces `user`'s line in the password file with a hash of `password` (fresh salt),
 * atomically (write new, fsync, rename, fsync the folder). Callers serialise concurrent calls
 * on the same file. `user` must not contain ':' or a newline. */
int mqttbroker_set_password(const char *passwd_file, const char *user, const char *password);
/* Removes `user`'s line from the password file (the file rewritten 0600, atomically; nothing
 * done when there is none or no file). 0, -EINVAL (a bad user name), or hostio's errors. A
 * running broker must reload (mqttbroker_reload) to drop the user's session. */
int mqttbroker_remove_password(const char *passwd_file, const char *user);

/* A random password: 32 characters of [A-Za-z0-9] (about 190 bits). */
int mqttbroker_random_password(char out[33]);

/* The broker as a child process. mqttbroker_start() runs `mosquitto -c DATA/mqtt/mosquitto.conf`
 * (/usr/sbin/mosquitto, else mosquitto on $PATH) — or, given the service's TLS certificate and
 * key files, `-c DATA/mqtt/mosquitto.run.conf`: mosquitto.conf plus `certfile`/`keyfile` for its
 * listener (MQTT over TLS), rewritten (0600, atomically) at each start, waits up to 10 s until its listener accepts a
 * TCP connection, and watches it: if it dies it is reported on stderr and restarted after 1 s
 * (at most 5 times a minute, then it is left down, said so). The child gets SIGTERM if the
 * service dies (PR_SET_PDEATHSIG). Errors: -ENOENT (no mosquitto.conf), -EIO (mosquitto exited
 * or did not listen in time: see DATA/mqtt/mosquitto.log), errno of fork/exec. */
struct mqttbroker;
int mqttbroker_start(const char *data_dir, const char *tls_cert_file, const char *tls_key_file, struct mqttbroker **out,
                     char *why, size_t why_size);
/* Makes the broker re-read its password and ACL files (SIGHUP). -ESRCH if it is not running. */
int mqttbroker_reload(struct mqttbroker *b);
/* SIGTERM, wait (5 s, then SIGKILL), reap, free. NULL is allowed. */
void mqttbroker_stop(struct mqttbroker *b);

/* Files of the twin's device-certificate listener and of the password switch, written by
 * twin_devlisten_prepare() (twin_devlisten.h) and read by mqttbroker_start() when present. */
#define TWIN_DEVLISTEN_CONF "mqtt/devices.conf"
#define TWIN_SERVICE_PASSWD "mqtt/passwd.service"

#endif
