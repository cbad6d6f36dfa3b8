/* SPDX-License-Identifier: MIT */
/*
 * clouddata.h — names in the cloud service's data folder that more than one program relies on
 * (sphere-cloud writes them; `sphere cloud clean` checks them). docs/cloud.md, docs/twin.md.
 */
#ifndef OPENSPHERE_CLOUD_CLOUDDATA_H
#define OPENSPHERE_CLOUD_CLOUDDATA_H

/* Present in every data folder `sphere cloud init` or `sphere cloud serve` has prepared: what
 * `sphere cloud clean` requires before it deletes anything. One line of text. */
#define CLOUD_DATA_MARKER ".opensphere-cloud"
#define CLOUD_DATA_MARKER_TEXT "OpenSphere cloud data folder (sphere cloud serve); delete with 'sphere cloud clean'\n"
/* The service's pid while it runs. */
#define CLOUD_DATA_PID "cloud.pid"

#endif
