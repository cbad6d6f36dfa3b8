/*
 * otatwin.h — joins the external-MCU OTA (ota.h) to the device twin (cloudtwin.h): a device's
 * desired twin document carries its OTA desired state as member "extFwInfo" (the reference
 * design's name; members set by operators are kept); a reported twin state with an OTA "status" is
 * stored as the device's OTA report (what `sphere ota status` shows); creating or cancelling a
 * deployment, and re-tagging a device, republish the desired state of the devices concerned.
 */
#ifndef OPENSPHERE_CLOUD_OTATWIN_H
#define OPENSPHERE_CLOUD_OTATWIN_H

#include "cloud.h"

struct clouddb_conn;

#define OTATWIN_MEMBER "extFwInfo"

/* Installs the hooks. Call once, before the service takes requests. */
void cloud_otatwin_install(struct cloud *s);
/* Republishes the desired state of every device of `tenant` (NULL: all tenants) on `c`. */
int cloud_otatwin_resync(struct cloud *s, struct clouddb_conn *c, const char *tenant);

#endif
