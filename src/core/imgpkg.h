/* SPDX-License-Identifier: MIT */
/*
 * imgpkg.h — Azure Sphere image packages in the platform's on-disk format (docs/image-package.md).
 *
 *   [ ASXipFS body: cramfs-style read-only file system, uncompressed, file data page-aligned ]
 *   [ metadata: u32 magic "4X4M", u32 section count, sections {u16 id, u16 len, data},     ]
 *   [           u32 length of the whole metadata block including this word                ]
 *   [ signature: ECDSA P-256 over SHA-256 of every byte before it, raw r||s (64 bytes)     ]
 *
 * Building (imgpkg_build) is pure: the caller hands in the files and the metadata; the result
 * is the signed-to-be byte image, and imgpkg_sign (signing.h) appends the signature.
 *
 * Reading (imgpkg_parse) never trusts its input: every offset and length is bounds-checked, and
 * the first problem found is returned as a negative errno together with a stable code and a
 * sentence in struct imgpkg_error. It checks the layout, the metadata sections, the file
 * system (superblock, CRC-32, inodes, names, extents) but not the signature (signing.h does).
 */
#ifndef OPENSPHERE_CORE_IMGPKG_H
#define OPENSPHERE_CORE_IMGPKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guid.h"

#define IMGPKG_PAGE 4096u
#define IMGPKG_SIGNATURE_SIZE 64u
#define IMGPKG_METADATA_MAGIC 0x4D345834u /* "4X4M" */
#define IMGPKG_FS_MAGIC 0x28CD3D45u
#define IMGPKG_FS_FLAGS 0x3u /* FSID_VERSION_2 | SORTED_DIRS */
#define IMGPKG_MAX_FILES 1024
#define IMGPKG_MAX_DEPTH 16
#define IMGPKG_MAX_NAME 252  /* namelen is stored /4 in 6 bits */
#define IMGPKG_MAX_FILE_SIZE 0xFFFFFFu

/* Section IDs: two ASCII letters, little-endian. */
enum imgpkg_section {
    IMGPKG_SECTION_IDENTITY = 0x4449,  /* "ID" */
    IMGPKG_SECTION_SIGNATURE = 0x4753, /* "SG" */
    IMGPKG_SECTION_DEBUG = 0x4244,     /* "DB" */
    IMGPKG_SECTION_TEMPORARY = 0x5054, /* "TP" */
    IMGPKG_SECTION_ABI_DEPENDS = 0x444E, /* "ND" */
    IMGPKG_SECTION_ABI_PROVIDES = 0x504E, /* "NP" */
};

enum { IMGPKG_TYPE_APPLICATION = 10, IMGPKG_TYPE_FIRMWARE_CONFIG = 13, IMGPKG_TYPE_BOARD_CONFIG = 21 };
enum { IMGPKG_SIGNING_ECDSA256 = 1 };
enum { IMGPKG_TEMP_REMOVE_AT_BOOT = 0x1, IMGPKG_TEMP_UNDER_DEVELOPMENT = 0x2 };
enum { IMGPKG_ABI_APPLICATION_RUNTIME = 3 };

struct imgpkg_abi {
    uint32_t version;
    uint32_t type;
};

#define IMGPKG_MAX_ABIS 8

struct imgpkg_metadata {
    uint16_t image_type;
    struct guid component_id;
    struct guid image_id;
    uint8_t thumbprint[20];
    uint32_t signing_type;
    uint64_t build_time;
    char name[32]; /* NUL-terminated, at most 31 characters */
    uint32_t temporary_flags;
    bool has_temporary;
    struct imgpkg_abi depends[IMGPKG_MAX_ABIS];
    uint32_t depends_count;
    bool has_depends;
};

/* A file to pack, or a file found in a package. Paths are relative ("bin/app"), '/'-separated. */
struct imgpkg_file {
    char *path;
    const uint8_t *data; /* borrowed */
    size_t size;
    uint16_t mode; /* full mode bits as stored (e.g. 0101755) */
};

/* What went wrong, for a reader error: a stable code (e.g. "bad-crc"), a sentence, an offset. */
struct imgpkg_error {
    const char *code;
    char message[256];
    size_t offset;
};

/* Builds an unsigned package (body + metadata) into a malloc'd buffer. `files` need not be
 * sorted; executables get mode 0101755, others 0101644. Returns 0, -EINVAL (bad path, too many
 * files, file too large; reason in err) or -ENOMEM. */
struct imgpkg_input_file {
    const char *path;
    const uint8_t *data;
    size_t size;
    bool executable;
};
int imgpkg_build(const struct imgpkg_input_file *files, size_t count, const struct imgpkg_metadata *meta,
                 uint8_t **out, size_t *out_len, struct imgpkg_error *err);

/* A parsed package. Pointers point into the caller's buffer, which must outlive it. */
struct imgpkg {
    struct imgpkg_metadata meta;
    size_t body_size;
    size_t metadata_offset;
    size_t signed_size; /* bytes covered by the signature */
    const uint8_t *signature;
    size_t signature_size;
    struct imgpkg_file *files; /* regular files, in directory order, paths malloc'd */
    size_t file_count;
    size_t dir_count;
};

int imgpkg_parse(const uint8_t *data, size_t len, struct imgpkg *out, struct imgpkg_error *err);
/* Only the signed metadata at the end of any signed image (packages, capability files): fills
 * *meta and the size of what precedes the metadata. Same errors as imgpkg_parse. */
int imgpkg_parse_metadata(const uint8_t *data, size_t len, struct imgpkg_metadata *meta, size_t *body_size,
                          struct imgpkg_error *err);
/* Appends metadata sections (ID, SG, DB, and TP/ND when has_temporary/has_depends) and the
 * length word for `meta` to `out` (which must have room: at most 140 + 8 * depends bytes). Returns
 * the number of bytes written. */
size_t imgpkg_write_metadata(uint8_t *out, const struct imgpkg_metadata *meta);
void imgpkg_free(struct imgpkg *pkg);
/* The file at `path` ("app_manifest.json", "bin/app"), or NULL. */
const struct imgpkg_file *imgpkg_find(const struct imgpkg *pkg, const char *path);

/* GUIDs are stored in Windows order (first three fields little-endian). */
void imgpkg_guid_to_bytes_le(const struct guid *g, uint8_t out[16]);
void imgpkg_guid_from_bytes_le(const uint8_t in[16], struct guid *g);
const char *imgpkg_type_name(uint16_t image_type);

#endif
