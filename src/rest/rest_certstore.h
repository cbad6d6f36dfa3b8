/* SPDX-License-Identifier: MIT */
/* rest_certstore.h — the device REST API's certificate-store endpoints (device_rest_api.yaml
 * /certstore/...; docs/certstore.md), as handlers for rest.c's route table. Each fills a
 * struct device_result: 200 with the body, 400 (10.1) for a bad identifier or body, 400 (14.18)
 * beyond the store's space, 404 (10.3) for a certificate not installed, 500 (10.5) for a store
 * the device cannot read or write, each with a detail naming the field or cause. */
#ifndef OPENSPHERE_REST_CERTSTORE_H
#define OPENSPHERE_REST_CERTSTORE_H

#include "device.h"
#include "json.h"
#include "policy.h"

/* GET /certstore/certs → {"identifiers":[...]} */
void rest_certstore_list(struct device *d, const struct auth *a, const char *id, const struct json_value *body,
                         struct device_result *r);
/* GET /certstore/certs/{id} → {"id","notBefore","notAfter","subjectName","issuerName"} */
void rest_certstore_show(struct device *d, const struct auth *a, const char *id, const struct json_value *body,
                         struct device_result *r);
/* POST /certstore/certs/{id} {"certType":"Client"|"RootCA","publicCert","privateKey","password"} → {} */
void rest_certstore_add(struct device *d, const struct auth *a, const char *id, const struct json_value *body,
                        struct device_result *r);
/* DELETE /certstore/certs/{id} → {} */
void rest_certstore_delete(struct device *d, const struct auth *a, const char *id, const struct json_value *body,
                           struct device_result *r);
/* GET /certstore/space → {"AvailableSpace":"24514"} (a string, as the platform answers) */
void rest_certstore_space(struct device *d, const struct auth *a, const char *id, const struct json_value *body,
                          struct device_result *r);

#endif
