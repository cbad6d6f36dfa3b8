/* SPDX-License-Identifier: MIT */
/*
 * hwdef.h — Azure Sphere hardware definitions: loading with imports, validation, name
 * resolution, and generation of the C header (inc/hw/<name>.h) the SDK tools write.
 *
 * Loading (hwdef_load) reads the definition at `path`, then its Imports, recursively. An import
 * `Path` is looked for, in order: relative to the importing file's folder; then in each
 * search->dirs[i], first as written, then by its file name alone; then the same in
 * search->sdk_dir (the SDK's flat HardwareDefinitions folder). Files are identified by their
 * canonical path, so a file imported twice (a diamond) is loaded once.
 *
 * Every problem is reported to `diags` with file, line, column and JSON path: unreadable or
 * missing files, invalid JSON, wrong field types, unknown types, import cycles, duplicate
 * peripheral names across all loaded files, mappings to unknown names or to names of another
 * type (errors), and mappings to names that are only imported indirectly (a warning, as the
 * SDK's own tools do). hwdef_load returns 0 when the set loaded with no error, -EINVAL when it
 * reported errors (the set is still returned when the root file parsed, for further checks),
 * -ENOMEM on allocation failure.
 *
 * File access goes through `struct hwdef_io` so the logic here does no I/O of its own; the
 * caller supplies POSIX (hostio.h) or in-memory implementations (tests, fuzzing).
 */
#ifndef OPENSPHERE_CORE_HWDEF_H
#define OPENSPHERE_CORE_HWDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "json.h"
#include "strbuf.h"

enum hwdef_type {
    HWDEF_GPIO,
    HWDEF_PWM,
    HWDEF_ADC,
    HWDEF_I2C_MASTER,
    HWDEF_SPI_MASTER,
    HWDEF_UART,
    HWDEF_INT, /* not a manifest peripheral: a channel number, a chip select */
    HWDEF_TYPE_COUNT
};

/* The JSON spelling of a type ("Gpio", "I2cMaster", "int", ...). */
const char *hwdef_type_name(enum hwdef_type type);
/* 0 and *out set, or -EINVAL for an unknown spelling (exact match). */
int hwdef_type_parse(const char *name, enum hwdef_type *out);

struct hwdef_file;

struct hwdef_peripheral {
    char *name;
    enum hwdef_type type;
    char *mapping;            /* name this entry maps to, or NULL for a root entry */
    char *header_value;       /* MainCoreHeaderValue of a root entry, e.g. "(8)"; else NULL */
    struct json_value *value; /* AppManifestValue (number or string) of a root entry, or NULL */
    char *comment;            /* may be NULL */
    struct json_pos pos;      /* position of the entry in its file */
    struct hwdef_file *file;
    const struct hwdef_peripheral *target; /* what `mapping` resolved to, or NULL */
};

struct hwdef_import {
    char *path_as_written;
    struct json_pos pos;
    struct hwdef_file *file; /* NULL if it could not be loaded */
    bool found_beside;       /* found relative to the importing file (else via a search folder) */
};

struct hwdef_file {
    char *path;         /* canonical path */
    char *display_path; /* the path as the user or the importing file named it */
    char *name;         /* Description.Name, or NULL */
    char **top_content; /* Description.MainCoreHeaderFileTopContent */
    size_t top_content_count;
    struct hwdef_import *imports;
    size_t import_count;
    struct hwdef_peripheral *peripherals;
    size_t peripheral_count;
};

struct hwdef_set {
    struct hwdef_file *root;
    struct hwdef_file **files; /* every loaded file, root first */
    size_t file_count;
};

struct hwdef_io {
    /* Reads a whole file. 0, or -ENOENT if it does not exist, or another negative errno. The
     * buffer is malloc'd and owned by the caller. */
    int (*read_file)(void *ctx, const char *path, char **data, size_t *len);
    /* Canonical absolute path of an existing file, malloc'd; -ENOENT if it does not exist. */
    int (*canonical_path)(void *ctx, const char *path, char **out);
    void *ctx;
};

struct hwdef_search {
    const char *const *dirs; /* --hardware-definitions folders, in order */
    size_t dir_count;
    const char *sdk_dir; /* the SDK's HardwareDefinitions folder, or NULL */
};

int hwdef_load(const char *path, const struct hwdef_search *search, const struct hwdef_io *io,
               struct diag_list *diags, struct hwdef_set **out);
void hwdef_set_free(struct hwdef_set *set);

/* The peripheral called `name` among all loaded files, or NULL. */
const struct hwdef_peripheral *hwdef_lookup(const struct hwdef_set *set, const char *name);
/* Follows Mapping links to the root entry (the one carrying the raw values); NULL if the chain
 * is broken or cyclic. */
const struct hwdef_peripheral *hwdef_resolve(const struct hwdef_peripheral *p);

/* The header the SDK's `generate-header` writes for `file` (byte for byte), appended to `out`.
 * An import found beside the importing file is included by its relative path
 * ("../../../mt3620/inc/hw/mt3620.h"); one found in a search folder by name ("mt3620_rdb.h"),
 * since the SDK puts those folders' inc/hw on the include path.
 * 0 or -ENOMEM. The file must belong to a set that loaded without errors. */
int hwdef_generate_header(const struct hwdef_file *file, struct strbuf *out);
/* "<folder of file>/inc/hw/<basename without .json>.h", malloc'd, or NULL when out of memory. */
char *hwdef_header_path(const struct hwdef_file *file);

#endif
