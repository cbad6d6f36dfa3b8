/* SPDX-License-Identifier: MIT */
/* test_imgpkg.c — image packages: layout, round trip, signatures, every malformed input, and
 * every single-byte change of a small package (all positions, all 255 other values). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hostio.h"
#include "imgpkg.h"
#include "signing.h"

static struct signing_key *key;
static struct keystore *keys;

static int setup(void **state)
{
    char *k = NULL, *c = NULL;
    size_t kl, cl;
    if (hostio_read_file(OPENSPHERE_SOURCE_DIR "/sdk/Keys/sdk-signing.key.pem", &k, &kl) ||
        hostio_read_file(OPENSPHERE_SOURCE_DIR "/sdk/Keys/sdk-signing.cert.pem", &c, &cl) ||
        signing_key_load(k, kl, c, cl, &key) || keystore_new(&keys) ||
        keystore_add_cert(keys, c, cl, SIGNING_TRUST_SDK, "SDK"))
        return -1;
    free(k);
    free(c);
    return 0;
}

static int teardown(void **state)
{
    signing_key_free(key);
    keystore_free(keys);
    return 0;
}

static const char manifest[] = "{\"SchemaVersion\":1,\"Name\":\"T\"}";
static const uint8_t app[] = "\x7f" "ELF pretend executable";

static struct imgpkg_metadata sample_meta(void)
{
    struct imgpkg_metadata m = {.image_type = IMGPKG_TYPE_APPLICATION, .signing_type = IMGPKG_SIGNING_ECDSA256,
                                .build_time = 1700000000, .temporary_flags = IMGPKG_TEMP_UNDER_DEVELOPMENT,
                                .depends = {{17, IMGPKG_ABI_APPLICATION_RUNTIME}}, .depends_count = 1};
    guid_parse("072c9364-61d4-4303-86e0-b0f883c7ada2", &m.component_id);
    guid_parse("eef5d367-ae2c-42eb-861f-8f2c453133df", &m.image_id);
    strcpy(m.name, "Sample");
    signing_key_thumbprint(key, m.thumbprint);
    return m;
}

/* Builds and signs the minimal package {app_manifest.json, bin/app}. */
static uint8_t *minimal_package(size_t *len)
{
    struct imgpkg_input_file files[] = {
        {"bin/app", app, sizeof app - 1, true},
        {"app_manifest.json", (const uint8_t *)manifest, sizeof manifest - 1, false},
    };
    struct imgpkg_metadata meta = sample_meta();
    uint8_t *buf = NULL;
    struct imgpkg_error err;
    assert_int_equal(imgpkg_build(files, 2, &meta, &buf, len, &err), 0);
    buf = realloc(buf, *len + 64);
    assert_int_equal(signing_sign(key, buf, *len, buf + *len), 0);
    *len += 64;
    return buf;
}

/* 0 when the package parses and its signature verifies, else the first error. */
static int verify(const uint8_t *buf, size_t len, struct imgpkg_error *err)
{
    struct imgpkg pkg;
    int rc = imgpkg_parse(buf, len, &pkg, err);
    if (rc)
        return rc;
    struct keystore_match match;
    rc = keystore_verify(keys, pkg.meta.thumbprint, buf, pkg.signed_size, pkg.signature, &match);
    imgpkg_free(&pkg);
    return rc;
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24); }

static void layout_matches_the_platform(void **state)
{
    size_t len;
    uint8_t *buf = minimal_package(&len);
    assert_int_equal(len, 3 * 4096 + 148 + 64);
    assert_int_equal(rd32(buf), IMGPKG_FS_MAGIC);
    assert_int_equal(rd32(buf + 4), 3 * 4096);
    assert_int_equal(rd32(buf + 8), 3);
    assert_memory_equal(buf + 16, "Compressed ROMFS", 16);
    assert_int_equal(rd32(buf + 44), 4); /* root, app_manifest.json, bin, bin/app */
    assert_memory_equal(buf + 48, "Compressed\0\0\0\0\0\0", 16);
    assert_int_equal(rd32(buf + 64) & 0xFFFF, 040755);
    /* CRC-32 of the body with the CRC field zeroed. */
    uint8_t *copy = malloc(3 * 4096);
    memcpy(copy, buf, 3 * 4096);
    wr32(copy + 32, 0);
    assert_int_equal(rd32(buf + 32), (uint32_t)crc32(0, copy, 3 * 4096));
    free(copy);
    /* Data is uncompressed and page-aligned: the manifest at 0x1000, the executable at 0x2000. */
    assert_memory_equal(buf + 0x1000, manifest, sizeof manifest - 1);
    assert_memory_equal(buf + 0x2000, app, sizeof app - 1);
    /* Metadata: magic, 5 sections ID SG DB TP ND, the length word. */
    const uint8_t *m = buf + 3 * 4096;
    assert_int_equal(rd32(m), 0x4D345834);
    assert_int_equal(rd32(m + 4), 5);
    assert_memory_equal(m + 8, "ID\x24\x00", 4);
    assert_int_equal(m[12], 10);
    assert_memory_equal(m + 16, "\x64\x93\x2c\x07\xd4\x61\x03\x43\x86\xe0", 10); /* GUID in Windows byte order */
    assert_memory_equal(m + 48, "SG\x18\x00", 4);
    assert_memory_equal(m + 76, "DB\x28\x00", 4);
    assert_memory_equal(m + 88, "Sample\0", 7);
    assert_memory_equal(m + 120, "TP\x04\x00\x02\x00\x00\x00", 8);
    assert_memory_equal(m + 128, "ND\x0c\x00\x01\x00\x00\x00\x11\x00\x00\x00\x03\x00\x00\x00", 16);
    assert_int_equal(rd32(m + 144), 148);
    free(buf);
}

static void round_trip_preserves_files_modes_and_metadata(void **state)
{
    size_t len;
    uint8_t *buf = minimal_package(&len);
    struct imgpkg pkg;
    struct imgpkg_error err;
    assert_int_equal(imgpkg_parse(buf, len, &pkg, &err), 0);
    assert_int_equal(pkg.file_count, 2);
    assert_int_equal(pkg.dir_count, 1);
    const struct imgpkg_file *f = imgpkg_find(&pkg, "bin/app");
    assert_non_null(f);
    assert_int_equal(f->mode, 0101755);
    assert_int_equal(f->size, sizeof app - 1);
    assert_memory_equal(f->data, app, sizeof app - 1);
    assert_int_equal(imgpkg_find(&pkg, "app_manifest.json")->mode, 0101644);
    struct imgpkg_metadata expected = sample_meta();
    assert_true(guid_equal(&pkg.meta.component_id, &expected.component_id));
    assert_true(guid_equal(&pkg.meta.image_id, &expected.image_id));
    assert_string_equal(pkg.meta.name, "Sample");
    assert_int_equal(pkg.meta.build_time, 1700000000);
    assert_int_equal(pkg.meta.depends[0].version, 17);
    imgpkg_free(&pkg);
    assert_int_equal(verify(buf, len, &err), 0);
    free(buf);
}

static void building_is_deterministic(void **state)
{
    size_t a_len, b_len;
    uint8_t *a = minimal_package(&a_len), *b = minimal_package(&b_len);
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len - 64); /* only the (randomised) ECDSA signature differs */
    free(a);
    free(b);
}

static void every_single_byte_change_is_rejected(void **state)
{
    size_t len;
    uint8_t *buf = minimal_package(&len);
    size_t accepted = 0, tried = 0;
    for (size_t at = 0; at < len; at++) {
        uint8_t original = buf[at];
        for (unsigned v = 0; v < 256; v++) {
            if (v == original)
                continue;
            buf[at] = (uint8_t)v;
            struct imgpkg_error err;
            tried++;
            if (verify(buf, len, &err) == 0) {
                accepted++;
                fprintf(stderr, "accepted: byte %zu changed from 0x%02x to 0x%02x\n", at, original, v);
            }
        }
        buf[at] = original;
    }
    fprintf(stderr, "single-byte changes tried: %zu over %zu bytes, accepted: %zu\n", tried, len, accepted);
    assert_int_equal(accepted, 0);
    free(buf);
}

/* Applies `mutate` to a fresh package, re-computes the CRC so the structural check is reached,
 * and expects the reader to fail with `code`. */
static void expect_code(void (*mutate)(uint8_t *buf, size_t *len), const char *code)
{
    size_t len;
    uint8_t *buf = minimal_package(&len);
    buf = realloc(buf, len + 8192);
    mutate(buf, &len);
    size_t body = rd32(buf + 4);
    if (body <= len && body >= 64) {
        wr32(buf + 32, 0);
        wr32(buf + 32, (uint32_t)crc32(0, buf, (uInt)body));
    }
    struct imgpkg pkg;
    struct imgpkg_error err = {0};
    int rc = imgpkg_parse(buf, len, &pkg, &err);
    if (rc == 0) {
        imgpkg_free(&pkg);
        fail_msg("expected %s, but the package was accepted", code);
    }
    assert_int_equal(rc, -EINVAL);
    if (strcmp(err.code, code) != 0)
        fail_msg("expected %s, got %s: %s", code, err.code, err.message);
    assert_true(strlen(err.message) > 10);
    free(buf);
}

/* Offsets in the minimal package: root inode 64, then entries "app_manifest.json" (76) and
 * "bin" (76 + 12 + 20 = 108), then bin's entry "app" (108 + 16 = 124). Metadata at 12288. */
#define META 12288u
static void m_truncate(uint8_t *b, size_t *l) { *l = 40; }
static void m_meta_length(uint8_t *b, size_t *l) { wr32(b + *l - 68, 0xFFFF); }
static void m_meta_magic(uint8_t *b, size_t *l) { b[META] ^= 1; }
static void m_section_past_end(uint8_t *b, size_t *l) { wr32(b + META + 4, 6); }
static void m_section_length(uint8_t *b, size_t *l) { b[META + 10] = 35; b[META + 48 + 2] = 25; }
static void m_duplicate_section(uint8_t *b, size_t *l) { memcpy(b + META + 120, "ID", 2); }
static void m_missing_section(uint8_t *b, size_t *l) { memcpy(b + META + 76, "XX", 2); }
static void m_name_unterminated(uint8_t *b, size_t *l) { memset(b + META + 88, 'A', 32); }
static void m_fs_magic(uint8_t *b, size_t *l) { b[0] ^= 0xFF; }
static void m_fs_size(uint8_t *b, size_t *l) { wr32(b + 4, 8192); }
static void m_fs_flags(uint8_t *b, size_t *l) { wr32(b + 8, 1); }
static void m_device_node(uint8_t *b, size_t *l) { b[76] = 0x00; b[77] = 0x20; } /* mode 020000: char device */
static void m_symlink(uint8_t *b, size_t *l) { b[77] = 0xA1; } /* mode 0120644 */
static void m_setuid(uint8_t *b, size_t *l) { b[77] |= 0x08; } /* +04000 */
static void m_dotdot(uint8_t *b, size_t *l) { memcpy(b + 136, "..\0\0", 4); } /* rename bin/app to bin/.. */
static void m_slash(uint8_t *b, size_t *l) { b[91] = '/'; }
static void m_unsorted(uint8_t *b, size_t *l) { b[120] = 'a'; } /* "bin" becomes "ain", which sorts before "app_manifest.json" */
static void m_extent(uint8_t *b, size_t *l) { uint32_t w = rd32(b + 132); wr32(b + 132, (w & 0x3F) | (0x3FFF000u / 4) << 6); }
static void m_overlap(uint8_t *b, size_t *l) { uint32_t w = rd32(b + 132); wr32(b + 132, (w & 0x3F) | (0x1000u / 4) << 6); }
static void m_misaligned(uint8_t *b, size_t *l) { uint32_t w = rd32(b + 132); wr32(b + 132, (w & 0x3F) | (0x2004u / 4) << 6); }
static void m_file_count(uint8_t *b, size_t *l) { wr32(b + 44, 9); }

static void each_malformation_has_its_own_error(void **state)
{
    expect_code(m_truncate, "too-small");
    expect_code(m_meta_length, "bad-metadata-length");
    expect_code(m_meta_magic, "bad-metadata-magic");
    expect_code(m_section_past_end, "bad-section");
    expect_code(m_section_length, "bad-section-length");
    expect_code(m_duplicate_section, "duplicate-section");
    expect_code(m_missing_section, "missing-section");
    expect_code(m_name_unterminated, "bad-name");
    expect_code(m_fs_magic, "bad-fs-magic");
    expect_code(m_fs_size, "bad-fs-size");
    expect_code(m_fs_flags, "bad-fs-flags");
    expect_code(m_device_node, "special-file");
    expect_code(m_symlink, "special-file");
    expect_code(m_setuid, "setuid");
    expect_code(m_dotdot, "bad-path");
    expect_code(m_slash, "bad-path");
    expect_code(m_unsorted, "unsorted");
    expect_code(m_extent, "bad-extent");
    expect_code(m_overlap, "overlap");
    expect_code(m_misaligned, "misaligned");
    expect_code(m_file_count, "bad-file-count");
}

static void bad_crc_is_reported(void **state)
{
    size_t len;
    uint8_t *buf = minimal_package(&len);
    buf[0x2001] ^= 0x40;
    struct imgpkg pkg;
    struct imgpkg_error err = {0};
    assert_int_equal(imgpkg_parse(buf, len, &pkg, &err), -EINVAL);
    assert_string_equal(err.code, "bad-crc");
    free(buf);
}

static void signature_errors_are_distinct(void **state)
{
    size_t len;
    uint8_t *buf = minimal_package(&len);
    struct imgpkg_error err;
    buf[len - 1] ^= 1;
    assert_int_equal(verify(buf, len, &err), -EBADMSG);
    buf[len - 1] ^= 1;
    buf[META + 52] ^= 1; /* thumbprint: no such key */
    assert_int_equal(verify(buf, len, &err), -ENOKEY);
    free(buf);
}

static void build_refuses_bad_paths(void **state)
{
    static const struct {
        const char *a, *b, *code;
    } cases[] = {
        {"/bin/app", "x", "bad-path"},   {"bin/../app", "x", "bad-path"}, {"bin//app", "x", "bad-path"},
        {"bin/", "x", "bad-path"},       {"", "x", "bad-path"},           {"a", "a", "duplicate-path"},
        {"a", "a/b", "duplicate-path"},  {"a/b", "a", "duplicate-path"},
    };
    struct imgpkg_metadata meta = sample_meta();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct imgpkg_input_file files[] = {{cases[i].a, app, 4, false}, {cases[i].b, app, 4, false}};
        uint8_t *buf = NULL;
        size_t len;
        struct imgpkg_error err = {0};
        assert_int_equal(imgpkg_build(files, 2, &meta, &buf, &len, &err), -EINVAL);
        if (strcmp(err.code, cases[i].code))
            fail_msg("'%s' + '%s': expected %s, got %s", cases[i].a, cases[i].b, cases[i].code, err.code);
        assert_null(buf);
    }
}

static void nested_folders_and_empty_files_round_trip(void **state)
{
    struct imgpkg_input_file files[] = {
        {"app_manifest.json", (const uint8_t *)manifest, sizeof manifest - 1, false},
        {"bin/app", app, sizeof app - 1, true},
        {"res/a/b/c.txt", app, 3, false},
        {"res/a/empty", app, 0, false},
        {"res/z.bin", app, 5, false},
    };
    struct imgpkg_metadata meta = sample_meta();
    uint8_t *buf = NULL;
    size_t len;
    struct imgpkg_error err;
    assert_int_equal(imgpkg_build(files, 5, &meta, &buf, &len, &err), 0);
    buf = realloc(buf, len + 64);
    signing_sign(key, buf, len, buf + len);
    len += 64;
    struct imgpkg pkg;
    assert_int_equal(imgpkg_parse(buf, len, &pkg, &err), 0);
    assert_int_equal(pkg.file_count, 5);
    assert_int_equal(pkg.dir_count, 4);
    assert_int_equal(imgpkg_find(&pkg, "res/a/empty")->size, 0);
    assert_memory_equal(imgpkg_find(&pkg, "res/a/b/c.txt")->data, app, 3);
    imgpkg_free(&pkg);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_matches_the_platform),
        cmocka_unit_test(round_trip_preserves_files_modes_and_metadata),
        cmocka_unit_test(building_is_deterministic),
        cmocka_unit_test(each_malformation_has_its_own_error),
        cmocka_unit_test(bad_crc_is_reported),
        cmocka_unit_test(signature_errors_are_distinct),
        cmocka_unit_test(build_refuses_bad_paths),
        cmocka_unit_test(nested_folders_and_empty_files_round_trip),
        cmocka_unit_test(every_single_byte_change_is_rejected),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
