/* SPDX-License-Identifier: MIT */
/*
 * manifest.h — application manifest (app_manifest.json) validation and normalisation.
 *
 * manifest_validate checks one manifest completely against the platform's rules
 * (docs/manifest.md lists each rule and its source), for high-level apps and for real-time
 * capable apps (ApplicationType "RealTimeCapable"), and reports every problem to `diags` as
 * FILE:LINE:COL: JSON.path: reason. Hardware-definition names ("$MT3620_RDB_LED1_RED") are
 * resolved through ctx->target; raw values are checked against the chip's own definition
 * (ctx->chip: the target set, or the SDK's mt3620.json).
 *
 * On success (no errors; warnings allowed) *out receives a struct manifest holding the
 * normalised manifest: the same document with raw values in place of names, an explicit
 * ApplicationType, and the source's key order — what pack-application stores.
 *
 * Returns 0, -EINVAL (errors were reported, *out is NULL) or -ENOMEM.
 */
#ifndef OPENSPHERE_CORE_MANIFEST_H
#define OPENSPHERE_CORE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "guid.h"
#include "hwdef.h"
#include "json.h"

enum manifest_app_type { MANIFEST_APP_DEFAULT, MANIFEST_APP_DEBUGGER, MANIFEST_APP_REALTIME };

/* One resolved capability value, for reports: ("Gpio", 8, "$MT3620_RDB_LED1_RED"). */
struct manifest_entry {
    const char *capability;  /* static string */
    struct json_value *raw;  /* the raw value as stored (owned) */
    char *from_name;         /* the "$NAME" it came from, or NULL */
};

struct manifest {
    char *name;
    struct guid component_id;
    char *entry_point;
    enum manifest_app_type app_type;
    unsigned mutable_storage_kb;
    struct manifest_entry *entries;
    size_t entry_count;
    struct json_value *normalized; /* owned */
};

struct manifest_context {
    const struct hwdef_set *target; /* --target-definition-filename, or NULL */
    const struct hwdef_set *chip;   /* definitions whose root entries give the valid raw values */
};

int manifest_validate(const char *text, size_t len, const char *file, const struct manifest_context *ctx,
                      struct diag_list *diags, struct manifest **out);
void manifest_free(struct manifest *m);
const char *manifest_app_type_name(enum manifest_app_type type);

/* Stored length of Name in an image package: the first 31 characters. */
#define MANIFEST_STORED_NAME_MAX 31
#define MANIFEST_MAX_SERVER_PORTS 10
#define MANIFEST_MAX_MUTABLE_STORAGE_KB 64

#endif
