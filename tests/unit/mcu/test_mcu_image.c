/* SPDX-License-Identifier: MIT */
/* test_mcu_image.c — the MCUboot-style image: create, parse, verify; corrupted and malformed
 * images refused with the field at fault; versions; and docs/mcu.md's layout table agrees with
 * the bytes the packer writes. Rerun: build/tests/test_mcu_image. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mcu_image.h"

static uint8_t *make(size_t payload, const char *version, size_t *len)
{
    uint8_t *raw = malloc(payload + 1), *img = NULL;
    for (size_t i = 0; i < payload; i++)
        raw[i] = (uint8_t)(i * 31);
    struct mcu_version v;
    assert_int_equal(mcu_version_parse(version, &v), 0);
    assert_int_equal(mcu_image_create(raw, payload, &v, 0x8000, &img, len), 0);
    free(raw);
    return img;
}

static void created_image_parses_and_verifies(void **state)
{
    size_t len;
    uint8_t *img = make(1000, "1.2.3+4", &len);
    struct mcu_image_info info;
    char why[160] = "";
    assert_int_equal(mcu_image_verify(img, len, &info, why, sizeof why), 0);
    assert_int_equal(info.img_size, 1000);
    assert_int_equal(info.hdr_size, 32);
    assert_int_equal(info.total_size, len);
    assert_int_equal(info.load_addr, 0x8000);
    char v[32];
    mcu_version_format(&info.version, v, sizeof v);
    assert_string_equal(v, "1.2.3.4");
    uint8_t h[32];
    mcu_sha256(img, 32 + 1000, h);
    assert_memory_equal(h, info.hash, 32);
    free(img);
}

static void corrupted_payload_fails_the_hash(void **state)
{
    size_t len;
    uint8_t *img = make(4096, "2", &len);
    img[100] ^= 0x80;
    struct mcu_image_info info;
    char why[160] = "";
    assert_int_equal(mcu_image_parse(img, len, &info, why, sizeof why), 0);
    assert_int_equal(mcu_image_verify(img, len, &info, why, sizeof why), -EBADMSG);
    assert_non_null(strstr(why, "tlv.sha256"));
    free(img);
}

static void malformed_images_name_the_field(void **state)
{
    size_t len;
    uint8_t *img = make(64, "1", &len), *b = malloc(len);
    struct { size_t off; uint8_t val; size_t cut; const char *field; } cases[] = {
        {0, 0x00, 0, "header.magic"},        {8, 16, 0, "header.hdr_size"},
        {10, 1, 0, "header.protect_tlv_size"}, {16, 1, 0, "header.flags"},
        {14, 0x10, 0, "header.img_size"},    {32 + 64, 0x00, 0, "tlv.magic"},
        {32 + 64 + 2, 0xff, 0, "tlv.total"}, {32 + 64 + 4, 0x11, 0, "tlv: no SHA-256"},
        {32 + 64 + 6, 31, 0, "tlv[4]"},      {0, 0, 10, "image:"},
        {0, 0, 1, "tlv"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memcpy(b, img, len);
        size_t n = len;
        if (cases[i].cut)
            n = cases[i].cut == 10 ? 10 : len - cases[i].cut;
        else
            b[cases[i].off] = cases[i].val;
        struct mcu_image_info info;
        char why[160] = "";
        int rc = mcu_image_verify(b, n, &info, why, sizeof why);
        if (rc != -EINVAL || !strstr(why, cases[i].field))
            fail_msg("case %zu (%s): rc %d, why '%s'", i, cases[i].field, rc, why);
    }
    free(b);
    free(img);
}

static void versions_parse_strictly(void **state)
{
    struct mcu_version v;
    assert_int_equal(mcu_version_parse("7", &v), 0);
    assert_true(v.major == 7 && v.minor == 0 && v.revision == 0 && v.build == 0);
    assert_int_equal(mcu_version_parse("1.2.65535+4294967295", &v), 0);
    assert_int_equal(v.build, 4294967295u);
    const char *bad[] = {"", "1.2", "256", "1.2.65536", "1.2.3+", "1.2.3+4294967296", "a", "1.2.3 ", "-1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (mcu_version_parse(bad[i], &v) != -EINVAL)
            fail_msg("accepted '%s'", bad[i]);
    struct mcu_version a = {1, 2, 3, 4}, b = {1, 2, 3, 5}, c = {1, 3, 0, 0};
    assert_true(mcu_version_compare(&a, &b) < 0 && mcu_version_compare(&c, &b) > 0 && !mcu_version_compare(&a, &a));
}

static uint32_t le(const uint8_t *p, int size)
{
    uint32_t v = 0;
    for (int i = size - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* docs/mcu.md has the header table "| offset | size | field |" between layout markers. */
static void docs_layout_matches_the_packer(void **state)
{
    FILE *f = fopen(OPENSPHERE_SOURCE_DIR "/docs/mcu.md", "r");
    assert_non_null(f);
    size_t len;
    uint8_t *img = make(100, "1.2.3+4", &len);
    const struct { const char *name; uint32_t value; } want[] = {
        {"magic", 0x96f3b83d}, {"load_addr", 0x8000}, {"hdr_size", 32}, {"protect_tlv_size", 0}, {"img_size", 100},
        {"flags", 0}, {"major", 1}, {"minor", 2}, {"revision", 3}, {"build", 4}, {"tlv_magic", 0x6907},
        {"tlv_total", 40}, {"tlv_type", 0x10}, {"tlv_len", 32}};
    char line[256];
    bool in = false;
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "<!-- layout -->")) {
            in = !in;
            continue;
        }
        unsigned off, size;
        char name[64];
        if (!in || sscanf(line, "| %u | %u | %63[a-z_] |", &off, &size, name) != 3)
            continue;
        if (!strncmp(name, "tlv_", 4))
            off += 32 + 100; /* table offsets of the TLV area are relative to its start */
        for (size_t i = 0; i < sizeof want / sizeof *want; i++)
            if (!strcmp(want[i].name, name)) {
                if (le(img + off, (int)size) != want[i].value)
                    fail_msg("docs/mcu.md: %s at %u size %u reads 0x%x, packer wrote 0x%x", name, off, size,
                             le(img + off, (int)size), want[i].value);
                seen++;
            }
    }
    fclose(f);
    free(img);
    assert_int_equal(seen, (int)(sizeof want / sizeof *want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(created_image_parses_and_verifies),
        cmocka_unit_test(corrupted_payload_fails_the_hash),
        cmocka_unit_test(malformed_images_name_the_field),
        cmocka_unit_test(versions_parse_strictly),
        cmocka_unit_test(docs_layout_matches_the_packer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
