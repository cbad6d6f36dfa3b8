/* SPDX-License-Identifier: MIT */
/* test_hwdef.c — hardware definitions: imports, validation, resolution, header generation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostio.h"
#include "hwdef.h"
#include "memfs.h"

#define HEAD "{\"Metadata\":{\"Type\":\"Azure Sphere Hardware Definition\",\"Version\":1},"

static const char chip[] = HEAD "\"Description\":{\"Name\":\"Chip\",\"MainCoreHeaderFileTopContent\":[\"// top\"]},"
    "\"Peripherals\":["
    "{\"Name\":\"CHIP_GPIO8\",\"Type\":\"Gpio\",\"MainCoreHeaderValue\":\"(8)\",\"AppManifestValue\":8,\"Comment\":\"GPIO 8\"},\n"
    "{\"Name\":\"CHIP_ISU0_UART\",\"Type\":\"Uart\",\"MainCoreHeaderValue\":\"(4)\",\"AppManifestValue\":\"ISU0\"},\n"
    "{\"Name\":\"CHIP_CS_A\",\"Type\":\"int\",\"MainCoreHeaderValue\":\"(-1)\",\"Comment\":\"CS A\"}]}";

static const char board[] = HEAD "\"Imports\":[{\"Path\":\"../chip/chip.json\"}],\"Peripherals\":["
    "{\"Name\":\"BOARD_LED\",\"Type\":\"Gpio\",\"Mapping\":\"CHIP_GPIO8\",\"Comment\":\"LED\"}]}";

struct fixture {
    struct memfs fs;
    struct diag_list diags;
    struct hwdef_set *set;
    int err;
};

static void load(struct fixture *f, const char *path, const char *sdk)
{
    struct hwdef_search search = {.sdk_dir = sdk};
    f->err = hwdef_load(path, &search, &f->fs.io, &f->diags, &f->set);
}

/* The common layout: /hw/chip/chip.json beside /hw/board/board.json (with `board_text`), loaded. */
static void load_chip_and_board(struct fixture *f, const char *board_text)
{
    memfs_init(&f->fs);
    memfs_add(&f->fs, "/hw/chip/chip.json", chip, 0);
    memfs_add(&f->fs, "/hw/board/board.json", board_text, 0);
    load(f, "/hw/board/board.json", NULL);
}

static void release(struct fixture *f)
{
    hwdef_set_free(f->set);
    diag_list_free(&f->diags);
}

/* Asserts a diagnostic of `severity` exists whose path and message contain the given parts. */
static void assert_diag(const struct fixture *f, enum diag_severity severity, const char *path, const char *text)
{
    for (size_t i = 0; i < f->diags.count; i++) {
        const struct diag *d = &f->diags.items[i];
        if (d->severity == severity && (!path || (d->path && strcmp(d->path, path) == 0)) && strstr(d->message, text))
            return;
    }
    for (size_t i = 0; i < f->diags.count; i++)
        diag_format(&f->diags.items[i], stderr), fputc('\n', stderr);
    fail_msg("no diagnostic at %s containing \"%s\"", path ? path : "(any)", text);
}

static void imports_load_and_mappings_resolve_to_raw_values(void **state)
{
    struct fixture f = {0};
    load_chip_and_board(&f, board);
    assert_int_equal(f.err, 0);
    assert_int_equal(f.diags.count, 0);
    assert_int_equal(f.set->file_count, 2);
    const struct hwdef_peripheral *led = hwdef_lookup(f.set, "BOARD_LED");
    const struct hwdef_peripheral *root = hwdef_resolve(led);
    assert_string_equal(root->name, "CHIP_GPIO8");
    assert_int_equal(root->value->u.number.integer, 8);
    release(&f);
}

static void missing_import_is_reported_at_its_path(void **state)
{
    struct fixture f = {0};
    memfs_init(&f.fs);
    memfs_add(&f.fs, "/hw/board/board.json", board, 0);
    load(&f, "/hw/board/board.json", "/sdk/HardwareDefinitions");
    assert_int_equal(f.err, -EINVAL);
    assert_diag(&f, DIAG_ERROR, "Imports[0].Path", "cannot find \"../chip/chip.json\" under /hw/board");
    assert_diag(&f, DIAG_ERROR, "Imports[0].Path", "the SDK's /sdk/HardwareDefinitions");
    assert_int_equal(f.diags.items[0].line, 1);
    release(&f);
}

static void import_found_by_name_in_the_sdk_folder(void **state)
{
    struct fixture f = {0};
    memfs_init(&f.fs);
    memfs_add(&f.fs, "/sdk/HardwareDefinitions/chip.json", chip, 0);
    memfs_add(&f.fs, "/hw/board/board.json", board, 0);
    load(&f, "/hw/board/board.json", "/sdk/HardwareDefinitions");
    assert_int_equal(f.err, 0);
    assert_false(f.set->root->imports[0].found_beside);
    struct strbuf h = {0};
    assert_int_equal(hwdef_generate_header(f.set->root, &h), 0);
    assert_non_null(strstr(strbuf_str(&h), "#pragma once\n#include \"chip.h\"\n\n// LED\n#define BOARD_LED CHIP_GPIO8\n\n"));
    strbuf_free(&h);
    release(&f);
}

static void import_cycle_is_detected(void **state)
{
    struct fixture f = {0};
    memfs_init(&f.fs);
    memfs_add(&f.fs, "/hw/a.json", HEAD "\"Imports\":[{\"Path\":\"b.json\"}],\"Peripherals\":[]}", 0);
    memfs_add(&f.fs, "/hw/b.json", HEAD "\"Imports\":[{\"Path\":\"a.json\"}],\"Peripherals\":[]}", 0);
    load(&f, "/hw/a.json", NULL);
    assert_int_equal(f.err, -EINVAL);
    assert_diag(&f, DIAG_ERROR, "Imports[0].Path", "import cycle");
    release(&f);
}

static void diamond_import_loads_the_shared_file_once(void **state)
{
    struct fixture f = {0};
    memfs_init(&f.fs);
    memfs_add(&f.fs, "/hw/chip/chip.json", chip, 0);
    memfs_add(&f.fs, "/hw/l.json", HEAD "\"Imports\":[{\"Path\":\"chip/chip.json\"}],\"Peripherals\":[]}", 0);
    memfs_add(&f.fs, "/hw/r.json", HEAD "\"Imports\":[{\"Path\":\"chip/chip.json\"}],\"Peripherals\":[]}", 0);
    memfs_add(&f.fs, "/hw/top.json",
              HEAD "\"Imports\":[{\"Path\":\"l.json\"},{\"Path\":\"r.json\"}],\"Peripherals\":[]}", 0);
    load(&f, "/hw/top.json", NULL);
    assert_int_equal(f.err, 0);
    assert_int_equal(f.set->file_count, 4);
    release(&f);
}

static void duplicate_names_across_files_are_errors(void **state)
{
    struct fixture f = {0};
    load_chip_and_board(&f, HEAD "\"Imports\":[{\"Path\":\"../chip/chip.json\"}],\"Peripherals\":["
              "{\"Name\":\"CHIP_GPIO8\",\"Type\":\"Gpio\",\"Mapping\":\"CHIP_GPIO8\"}]}");
    assert_int_equal(f.err, -EINVAL);
    assert_diag(&f, DIAG_ERROR, "Peripherals[0].Name", "duplicate peripheral name \"CHIP_GPIO8\"");
    release(&f);
}

static void mapping_to_unknown_name_is_an_error(void **state)
{
    struct fixture f = {0};
    load_chip_and_board(&f, HEAD "\"Imports\":[{\"Path\":\"../chip/chip.json\"}],\"Peripherals\":["
              "{\"Name\":\"LED\",\"Type\":\"Gpio\",\"Mapping\":\"CHIP_GPIO9\"}]}");
    assert_int_equal(f.err, -EINVAL);
    assert_diag(&f, DIAG_ERROR, "Peripherals[0].Mapping", "maps to \"CHIP_GPIO9\", which is not defined");
    release(&f);
}

static void mapping_to_another_type_is_an_error(void **state)
{
    struct fixture f = {0};
    load_chip_and_board(&f, HEAD "\"Imports\":[{\"Path\":\"../chip/chip.json\"}],\"Peripherals\":["
              "{\"Name\":\"LED\",\"Type\":\"Gpio\",\"Mapping\":\"CHIP_ISU0_UART\"}]}");
    assert_int_equal(f.err, -EINVAL);
    assert_diag(&f, DIAG_ERROR, "Peripherals[0].Mapping", "Uart \"CHIP_ISU0_UART\" cannot be used as Gpio");
    release(&f);
}

static void mapping_through_an_indirect_import_is_a_warning(void **state)
{
    struct fixture f = {0};
    memfs_init(&f.fs);
    memfs_add(&f.fs, "/hw/chip/chip.json", chip, 0);
    memfs_add(&f.fs, "/hw/board/board.json", board, 0);
    memfs_add(&f.fs, "/hw/app.json", HEAD "\"Imports\":[{\"Path\":\"board/board.json\"}],\"Peripherals\":["
              "{\"Name\":\"APP_CS\",\"Type\":\"int\",\"Mapping\":\"CHIP_CS_A\"}]}", 0);
    load(&f, "/hw/app.json", NULL);
    assert_int_equal(f.err, 0);
    assert_diag(&f, DIAG_WARNING, "Peripherals[0].Mapping", "imports only indirectly");
    release(&f);
}

static void malformed_entries_are_each_reported(void **state)
{
    struct fixture f = {0};
    memfs_init(&f.fs);
    memfs_add(&f.fs, "/hw/bad.json",
              "{\"Metadata\":{\"Type\":\"Something\",\"Version\":2},\"Peripherals\":[\n"
              "{\"Name\":\"A\",\"Type\":\"Gpoi\",\"MainCoreHeaderValue\":\"(1)\",\"AppManifestValue\":1},\n"
              "{\"Name\":\"B\",\"Type\":\"Gpio\",\"Mapping\":\"A\",\"AppManifestValue\":1},\n"
              "{\"Name\":\"C\",\"Type\":\"Gpio\"},\n"
              "{\"Name\":\"D\",\"Type\":\"Gpio\",\"MainCoreHeaderValue\":\"(1)\",\"AppManifestValue\":\"x\"},\n"
              "{\"Name\":\"E\",\"Type\":\"Uart\",\"MainCoreHeaderValue\":\"(4)\",\"AppManifestValue\":4},\n"
              "{\"Name\":\"9bad\",\"Type\":\"int\",\"MainCoreHeaderValue\":\"(1)\"},\n"
              "{\"Name\":\"F\",\"Type\":\"Uart\",\"MainCoreHeaderValue\":\"(4)\"},\n"
              "{\"Type\":\"int\",\"MainCoreHeaderValue\":\"(1)\"}, 7]}", 0);
    load(&f, "/hw/bad.json", NULL);
    assert_int_equal(f.err, -EINVAL);
    assert_diag(&f, DIAG_ERROR, "Metadata.Type", "must be \"Azure Sphere Hardware Definition\"");
    assert_diag(&f, DIAG_ERROR, "Metadata.Version", "unsupported version");
    assert_diag(&f, DIAG_ERROR, "Peripherals[0].Type", "unknown type \"Gpoi\"");
    assert_diag(&f, DIAG_ERROR, "Peripherals[1]", "has both \"Mapping\" and a value");
    assert_diag(&f, DIAG_ERROR, "Peripherals[2]", "needs either \"Mapping\" or \"MainCoreHeaderValue\"");
    assert_diag(&f, DIAG_ERROR, "Peripherals[3].AppManifestValue", "must be a GPIO number");
    assert_diag(&f, DIAG_ERROR, "Peripherals[4].AppManifestValue", "must be a string");
    assert_diag(&f, DIAG_ERROR, "Peripherals[5].Name", "not a valid C identifier");
    assert_diag(&f, DIAG_ERROR, "Peripherals[6]", "missing \"AppManifestValue\"");
    assert_diag(&f, DIAG_ERROR, "Peripherals[7]", "missing required field \"Name\"");
    assert_diag(&f, DIAG_ERROR, "Peripherals[8]", "must be an object");
    assert_int_equal(diag_error_count(&f.diags), 11);
    release(&f);
}

static void missing_sections_and_bad_json_are_reported(void **state)
{
    struct fixture f = {0};
    memfs_init(&f.fs);
    memfs_add(&f.fs, "/hw/empty.json", "{}", 0);
    memfs_add(&f.fs, "/hw/broken.json", "{\"Metadata\": {", 0);
    load(&f, "/hw/empty.json", NULL);
    assert_int_equal(f.err, -EINVAL);
    assert_diag(&f, DIAG_ERROR, NULL, "missing required field \"Metadata\"");
    assert_diag(&f, DIAG_ERROR, NULL, "missing required field \"Peripherals\"");
    release(&f);
    struct fixture g = {0};
    memfs_init(&g.fs);
    memfs_add(&g.fs, "/hw/broken.json", "{\"Metadata\": {", 0);
    load(&g, "/hw/broken.json", NULL);
    assert_int_equal(g.err, -EINVAL);
    assert_diag(&g, DIAG_ERROR, NULL, "invalid JSON");
    release(&g);
}

static void header_uses_relative_include_for_imports_found_beside(void **state)
{
    struct fixture f = {0};
    load_chip_and_board(&f, board);
    assert_int_equal(f.err, 0);
    struct strbuf h = {0};
    assert_int_equal(hwdef_generate_header(f.set->root, &h), 0);
    assert_string_equal(strbuf_str(&h), "\n// This file is autogenerated from ../../board.json.  Do not edit it directly.\n\n"
                                        "#pragma once\n#include \"../../../chip/inc/hw/chip.h\"\n\n"
                                        "// LED\n#define BOARD_LED CHIP_GPIO8\n\n");
    strbuf_free(&h);
    assert_int_equal(hwdef_generate_header(f.set->files[1], &h), 0);
    assert_string_equal(strbuf_str(&h), "// top\n\n// This file is autogenerated from ../../chip.json.  Do not edit it directly.\n\n"
                                        "#pragma once\n// GPIO 8\n#define CHIP_GPIO8 (8)\n\n#define CHIP_ISU0_UART (4)\n\n"
                                        "// CS A\n#define CHIP_CS_A (-1)\n\n");
    strbuf_free(&h);
    char *path = hwdef_header_path(f.set->root);
    assert_string_equal(path, "/hw/board/inc/hw/board.h");
    free(path);
    release(&f);
}

/* Loads a real file from the tree with the shipped SDK folder as the fallback. */
static int load_real(const char *relative, struct diag_list *diags, struct hwdef_set **set)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", OPENSPHERE_SOURCE_DIR, relative) >= (int)sizeof path)
        fail_msg("path too long: %s", relative);
    struct hwdef_search search = {.sdk_dir = OPENSPHERE_SOURCE_DIR "/sdk/HardwareDefinitions"};
    return hwdef_load(path, &search, hostio_hwdef_io(), diags, set);
}

static void load_every_json_in(const char *relative, size_t *count)
{
    char dir_path[4096];
    if (snprintf(dir_path, sizeof dir_path, "%s/%s", OPENSPHERE_SOURCE_DIR, relative) >= (int)sizeof dir_path)
        fail_msg("path too long: %s", relative);
    DIR *dir = opendir(dir_path);
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir));) {
        if (e->d_name[0] == '.')
            continue;
        char child[2048];
        if (snprintf(child, sizeof child, "%s/%s", relative, e->d_name) >= (int)sizeof child)
            fail_msg("path too long under %s", relative);
        size_t n = strlen(e->d_name);
        if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
            struct diag_list diags = {0};
            struct hwdef_set *set = NULL;
            int err = load_real(child, &diags, &set);
            if (err || diag_error_count(&diags)) {
                diag_print_all(&diags, stderr);
                fail_msg("%s did not load cleanly", child);
            }
            (*count)++;
            hwdef_set_free(set);
            diag_list_free(&diags);
        } else if (e->d_type == DT_DIR) {
            load_every_json_in(child, count);
        }
    }
    closedir(dir);
}

static void every_published_definition_loads_without_errors(void **state)
{
    size_t count = 0;
    load_every_json_in("tests/data/hardware-definitions", &count);
    load_every_json_in("sdk/HardwareDefinitions", &count);
    assert_int_equal(count, 18 + 10);
}

static void generated_header_is_byte_identical_to_the_published_one(void **state)
{
    struct diag_list diags = {0};
    struct hwdef_set *set = NULL;
    assert_int_equal(load_real("tests/data/headers/mt3620_rdb/sample_appliance.json", &diags, &set), 0);
    struct strbuf h = {0};
    assert_int_equal(hwdef_generate_header(set->root, &h), 0);
    assert_int_equal(h.len, 3123);
    unsigned char digest[32];
    unsigned int digest_len = 0;
    assert_int_equal(EVP_Digest(h.data, h.len, digest, &digest_len, EVP_sha256(), NULL), 1);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    assert_string_equal(hex, "eab90bacd9fad4e1fe91c01320e58ede30bc74dbb363b5585a6f67aff9fca76b");
    strbuf_free(&h);
    hwdef_set_free(set);
    diag_list_free(&diags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(imports_load_and_mappings_resolve_to_raw_values),
        cmocka_unit_test(missing_import_is_reported_at_its_path),
        cmocka_unit_test(import_found_by_name_in_the_sdk_folder),
        cmocka_unit_test(import_cycle_is_detected),
        cmocka_unit_test(diamond_import_loads_the_shared_file_once),
        cmocka_unit_test(duplicate_names_across_files_are_errors),
        cmocka_unit_test(mapping_to_unknown_name_is_an_error),
        cmocka_unit_test(mapping_to_another_type_is_an_error),
        cmocka_unit_test(mapping_through_an_indirect_import_is_a_warning),
        cmocka_unit_test(malformed_entries_are_each_reported),
        cmocka_unit_test(missing_sections_and_bad_json_are_reported),
        cmocka_unit_test(header_uses_relative_include_for_imports_found_beside),
        cmocka_unit_test(every_published_definition_loads_without_errors),
        cmocka_unit_test(generated_header_is_byte_identical_to_the_published_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
