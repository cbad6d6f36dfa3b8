/* SPDX-License-Identifier: MIT */
/*
 * simhome.h — where the host keeps simulated devices and the simulator's own keys.
 *
 * $OPENSPHERE_HOME (default ~/.opensphere) holds:
 *   devices/<NAME>/                 each device's state folder (see src/device/device.h)
 *   security-service.{key,cert}.pem the simulated security service (signs capability files)
 *   production.{key,cert}.pem       the simulated production-signing key
 *   ota-signing.{key,cert}.pem      signs external-MCU OTA images (src/cloud/cloud_ota.c, docs/ota.md)
 *   sdk-signing.cert.pem            the SDK certificate devices trust with appDevelopment
 *   selected/<NAME>.cap             the capability file `device capability select` chose
 * Keys are generated on first use.
 */
#ifndef OPENSPHERE_CLI_SIMHOME_H
#define OPENSPHERE_CLI_SIMHOME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "signing.h"

/* The home folder, created if needed (malloc'd), or NULL with a message printed. */
char *simhome_dir(void);
/* Makes sure the simulator keys exist; prints and returns non-zero on failure. */
int simhome_ensure_keys(const char *home);
/* "<home>/devices/<name>", malloc'd. */
char *simhome_device_dir(const char *home, const char *name);
/* A device name is 1-64 of [A-Za-z0-9._-], not starting with '.'. */
bool simhome_valid_name(const char *name);
/* The pid of the device's running sphered, or 0 if it is not running. */
pid_t simhome_running_pid(const char *device_dir);
/* Loads the security-service signing key. */
int simhome_security_key(const char *home, struct signing_key **out);

#endif
