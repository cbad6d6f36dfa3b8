/* SPDX-License-Identifier: MIT */
/*
 * cloudagent.h — the device's cloud update agent (docs/cloud.md, "Check-in"). sphered runs it
 * when the device has a cloud: it checks in on start, every interval, and when told
 * (cloudagent_check_now, e.g. on SIGUSR1).
 *
 * One check-in: report what is installed (and whether appDevelopment is present) to
 * POST /v1/device/checkin; if the device's group takes application updates, download each
 * targeted image it lacks, refuse any that is not production-signed (before staging), install
 * the rest through the same stage + install path as sideloading, remove applications no longer
 * targeted, and POST /v1/device/report with the outcome. Every step is idempotent against the
 * device's committed state, so a check-in cut at any point is finished by the next one.
 *
 * Cloud settings live in the device's state folder: cloud/cloud.json {"url","token"} (mode
 * 0600) and cloud/ca.pem (the cloud's TLS certificate); the outcome of the last check-in goes
 * to cloud/status.json {"checkIns","result","detail","deviceGroup","applicationUpdates"}.
 * With cloud/mqtt.json (the device's MQTT credentials, written by `sim create --cloud` when the
 * cloud has a broker) the agent also listens on opensphere/devices/<id>/commands and checks in at
 * once when told to (`sphere device update-now`, docs/rollouts.md).
 *
 * Authority: the cloud's is that of a production signer — installs use an auth equivalent to
 * "before DeviceComplete" (production-signed only, enforced again here), removals that of
 * appDevelopment for applications the deployment no longer lists.
 */
#ifndef OPENSPHERE_CLOUDAGENT_H
#define OPENSPHERE_CLOUDAGENT_H

#include <stddef.h>

#include "cloudclient.h"
#include "device.h"

struct cloudagent;

/* Reads the device's cloud settings (`url`, when given, overrides the stored URL) and starts
 * the agent's thread. -ENOENT when the device has no cloud settings. */
int cloudagent_start(struct device *d, const char *url, unsigned interval_seconds, struct cloudagent **out, char *why,
                     size_t why_size);
void cloudagent_check_now(struct cloudagent *a);
void cloudagent_stop(struct cloudagent *a);

/* Writes the device's cloud settings (for `sphere sim create --cloud`). */
int cloudagent_configure(const char *state_dir, const char *url, const char *token, const char *ca_file);
/* The URL stored in a device's cloud settings (malloc'd), or NULL. */
char *cloudagent_stored_url(const char *state_dir);

/* One check-in, synchronously. 0 (the outcome in status.json) or a negative errno when the
 * cloud could not be reached or refused the device (reason in why). */
int cloudagent_checkin(struct device *d, const struct cloudclient *c, char *why, size_t why_size);

#endif
