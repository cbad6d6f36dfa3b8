/* SPDX-License-Identifier: MIT */
/* simhome.c — the simulator's home folder (see simhome.h). */
#include "simhome.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "error.h"
#include "hostio.h"
#include "path.h"

char *simhome_dir(void)
{
    const char *env = getenv("OPENSPHERE_HOME");
    char *home = NULL;
    if (env && env[0]) {
        home = strdup(env);
    } else {
        const char *h = getenv("HOME");
        home = path_join(h && h[0] ? h : "/tmp", ".opensphere");
    }
    int err = home ? hostio_make_dirs(home, 0700) : -ENOMEM;
    if (err) {
        cli_error("cannot create the simulator folder %s: %s", home ? home : "?", os_strerror(err));
        free(home);
        return NULL;
    }
    char *absolute = realpath(home, NULL); /* devices must not depend on the caller's folder */
    free(home);
    if (!absolute)
        cli_error("cannot resolve the simulator folder: %s", os_strerror(-errno));
    return absolute;
}

static int ensure_key(const char *home, const char *name, const char *cn)
{
    char key[4096], cert[4096];
    snprintf(key, sizeof key, "%s/%s.key.pem", home, name);
    snprintf(cert, sizeof cert, "%s/%s.cert.pem", home, name);
    struct stat st;
    if (stat(key, &st) == 0 && stat(cert, &st) == 0)
        return 0;
    char *k = NULL, *c = NULL;
    uint8_t thumb[20];
    int err = signing_generate(cn, 36500, &k, &c, thumb);
    if (!err)
        err = hostio_write_file_atomic(key, k, strlen(k), 0600);
    if (!err)
        err = hostio_write_file_atomic(cert, c, strlen(c), 0644);
    free(k);
    free(c);
    if (err)
        cli_error("cannot create the simulator key %s: %s", key, os_strerror(err));
    return err;
}

int simhome_ensure_keys(const char *home)
{
    if (ensure_key(home, "security-service", "OpenSphere simulated security service") ||
        ensure_key(home, "production", "OpenSphere simulated production signing") ||
        ensure_key(home, "ota-signing", "OpenSphere OTA signing"))
        return CLI_EXIT_FAILED;
    char *sdk = hostio_sdk_dir();
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s/Keys/sdk-signing.cert.pem", sdk ? sdk : ".");
    snprintf(to, sizeof to, "%s/sdk-signing.cert.pem", home);
    free(sdk);
    char *data = NULL;
    size_t len = 0;
    int err = hostio_read_file(from, &data, &len);
    if (!err)
        err = hostio_write_file_atomic(to, data, len, 0644);
    free(data);
    if (err)
        return cli_error("cannot copy the SDK certificate %s: %s", from, os_strerror(err));
    return CLI_EXIT_OK;
}

char *simhome_device_dir(const char *home, const char *name)
{
    char *devices = path_join(home, "devices");
    char *dir = devices ? path_join(devices, name) : NULL;
    free(devices);
    return dir;
}

bool simhome_valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.')
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
              *c == '_' || *c == '-'))
            return false;
    return true;
}

pid_t simhome_running_pid(const char *device_dir)
{
    char *p = path_join(device_dir, "sphered.pid"), *text = NULL;
    size_t len = 0;
    pid_t pid = 0;
    if (p && hostio_read_file(p, &text, &len) == 0) {
        long v = strtol(text, NULL, 10);
        if (v > 0 && kill((pid_t)v, 0) == 0)
            pid = (pid_t)v;
    }
    free(text);
    free(p);
    return pid;
}

int simhome_security_key(const char *home, struct signing_key **out)
{
    char key[4096], cert[4096];
    snprintf(key, sizeof key, "%s/security-service.key.pem", home);
    snprintf(cert, sizeof cert, "%s/security-service.cert.pem", home);
    char *k = NULL, *c = NULL;
    size_t kl = 0, cl = 0;
    int err = hostio_read_file(key, &k, &kl);
    if (!err)
        err = hostio_read_file(cert, &c, &cl);
    if (!err)
        err = signing_key_load(k, kl, c, cl, out);
    free(k);
    free(c);
    if (err)
        cli_error("cannot load the simulated security service's key %s: %s", key, os_strerror(err));
    return err;
}
