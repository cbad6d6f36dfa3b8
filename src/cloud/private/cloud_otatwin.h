/* SPDX-License-Identifier: MIT */
/*
 * cloud_otatwin.h — joins the external-MCU OTA (cloud_ota.h) to the device twin (cloudtwin.h): a device's
 * desired twin document carries its OTA desired state as member "extFwInfo" (the reference
 * design's name; members set by operators are kept); a reported twin state with an OTA "status" is
 * stored as the device's OTA report (what `sphere ota status` shows); creating or cancelling a
 * deployment, and re-tagging a device, republish the desired state of the devices concerned.
 */
#ifndef OPENSPHERE_CLOUD_CLOUD_OTATWIN_H
#define OPENSPHERE_CLOUD_CLOUD_OTATWIN_H

struct clouddb_conn;
struct cloud_ota;
struct cloud_twin;

#define OTATWIN_MEMBER "extFwInfo"

/* Installs the hooks into the twin and the OTA state (both borrowed: they must outlive each other's
 * use, i.e. be closed together). Call once, before the service takes requests. */
void cloud_otatwin_install(struct cloud_twin *twin, struct cloud_ota *ota);
/* Republishes the desired state of every device of `tenant` (NULL: all tenants) on `c`. 0 or the
 * store's error. */
int cloud_otatwin_resync(struct cloud_twin *twin, struct clouddb_conn *c, const char *tenant);

#endif
