/* SPDX-License-Identifier: MIT */
/* test_board_file.c — the board-file parser (board_file.h): every rule with a good and a bad file
 * (table-driven; each refusal's JSON path and exact message asserted), the default board's
 * layout, positions, every problem reported at once. A failing case prints its name;
 * BOARD_FILE_CASE=<name> runs that case alone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "board_file.h"

#define HEAD "\"Name\":\"n\",\"HardwareDefinition\":\"h\""
#define BOARD(rest) "{" HEAD rest "}"
#define ACCEL ",\"Devices\":{\"a\":{\"Model\":\"lsm6ds3\"}}"
#define FLASH ",\"Devices\":{\"f\":{\"Model\":\"w25q128jv\"}}"
#define NINE_DEVICES                                                                                                   \
    ",\"Devices\":{\"d1\":{\"Model\":\"lsm6ds3\"},\"d2\":{\"Model\":\"lsm6ds3\"},\"d3\":{\"Model\":\"lsm6ds3\"},"    \
    "\"d4\":{\"Model\":\"lsm6ds3\"},\"d5\":{\"Model\":\"lsm6ds3\"},\"d6\":{\"Model\":\"lsm6ds3\"},"                    \
    "\"d7\":{\"Model\":\"lsm6ds3\"},\"d8\":{\"Model\":\"lsm6ds3\"},\"d9\":{\"Model\":\"lsm6ds3\"}}"
#define TARGET0 "{\"Address\":8,\"Device\":\"a\"}"
#define TARGET "," TARGET0

struct board_case {
    const char *name;
    const char *text;
    const char *path;    /* the refusal's JSON path; NULL for the root */
    const char *message; /* its exact message; NULL = the file is good */
};

static const struct board_case cases[] = {
    /* the root */
    {"minimal", BOARD(""), NULL, NULL},
    {"not_json", "{\"Name\":", NULL, "invalid JSON: expected a value, found end of file"},
    {"root_must_be_object", "[]", NULL, "the board file must be a JSON object"},
    {"name_required", "{\"HardwareDefinition\":\"h\"}", NULL, "the board file needs a Name (a string)"},
    {"hwdef_required", "{\"Name\":\"n\"}", NULL, "the board file needs a HardwareDefinition (a string)"},
    {"name_must_be_string", "{\"Name\":1,\"HardwareDefinition\":\"h\"}", "Name", "must be a string"},
    {"unknown_fields_ignored", BOARD(",\"Comment\":[1,2]"), NULL, NULL},
    {"duplicate_keys_accepted", BOARD(",\"Name\":\"again\""), NULL, NULL},
    {"section_must_be_object", BOARD(",\"Uart\":[]"), "Uart", "must be an object"},
    {"devices_must_be_object", BOARD(",\"Devices\":\"a\""), "Devices", "must be an object"},

    /* Devices */
    {"accel", BOARD(ACCEL), NULL, NULL},
    {"flash_in_ram", BOARD(FLASH), NULL, NULL},
    {"flash_image", BOARD(",\"Devices\":{\"f\":{\"Model\":\"w25q128jv\",\"Image\":\"f.bin\"}}"), NULL, NULL},
    {"model_unknown", BOARD(",\"Devices\":{\"a\":{\"Model\":\"bmp280\"}}"), "Devices.a.Model",
     "must be \"lsm6ds3\" or \"w25q128jv\""},
    {"model_missing", BOARD(",\"Devices\":{\"a\":{}}"), "Devices.a.Model", "must be \"lsm6ds3\" or \"w25q128jv\""},
    {"image_not_a_path", BOARD(",\"Devices\":{\"f\":{\"Model\":\"w25q128jv\",\"Image\":\"../x\"}}"), "Devices.f.Image",
     "a file name in the device's folder, not a path"},
    {"image_no_slash", BOARD(",\"Devices\":{\"f\":{\"Model\":\"w25q128jv\",\"Image\":\"a/b\"}}"), "Devices.f.Image",
     "a file name in the device's folder, not a path"},
    {"too_many_devices", BOARD(NINE_DEVICES), "Devices.d9", "too many devices (at most 8)"},
    {"device_name_too_long", BOARD(",\"Devices\":{\"abcdefghijklmnopqrstuvwxyz0123456\":{\"Model\":\"lsm6ds3\"}}"),
     "Devices.abcdefghijklmnopqrstuvwxyz0123456", "a device name is at most 31 bytes"},

    /* Uart */
    {"uart", BOARD(",\"Uart\":{\"ISU0\":{\"Loopback\":true},\"ISU4\":{}}"), NULL, NULL},
    {"uart_not_isu", BOARD(",\"Uart\":{\"ISU5\":{}}"), "Uart.ISU5", "not an ISU (ISU0-ISU4)"},

    /* I2cMaster */
    {"i2c", BOARD(ACCEL ",\"I2cMaster\":{\"ISU2\":[{\"Address\":106,\"Device\":\"a\"}]}"), NULL, NULL},
    {"i2c_not_isu", BOARD(",\"I2cMaster\":{\"ISU9\":[]}"), "I2cMaster.ISU9",
     "not an ISU (ISU0-ISU4) with a list of targets"},
    {"i2c_needs_list", BOARD(",\"I2cMaster\":{\"ISU2\":{}}"), "I2cMaster.ISU2",
     "not an ISU (ISU0-ISU4) with a list of targets"},
    {"i2c_target_object", BOARD(ACCEL ",\"I2cMaster\":{\"ISU2\":[106]}"), "I2cMaster.ISU2[0]",
     "must be an object with an Address and a Device"},
    {"i2c_address_low", BOARD(ACCEL ",\"I2cMaster\":{\"ISU2\":[{\"Address\":7,\"Device\":\"a\"}]}"),
     "I2cMaster.ISU2[0].Address", "must be an integer from 8 to 119"},
    {"i2c_address_high", BOARD(ACCEL ",\"I2cMaster\":{\"ISU2\":[{\"Address\":120,\"Device\":\"a\"}]}"),
     "I2cMaster.ISU2[0].Address", "must be an integer from 8 to 119"},
    {"i2c_address_fraction", BOARD(ACCEL ",\"I2cMaster\":{\"ISU2\":[{\"Address\":10.5,\"Device\":\"a\"}]}"),
     "I2cMaster.ISU2[0].Address", "must be an integer from 8 to 119"},
    {"i2c_address_missing", BOARD(ACCEL ",\"I2cMaster\":{\"ISU2\":[{\"Device\":\"a\"}]}"),
     "I2cMaster.ISU2[0].Address", "needs an integer from 8 to 119"},
    {"i2c_device_unknown", BOARD(ACCEL ",\"I2cMaster\":{\"ISU2\":[{\"Address\":106,\"Device\":\"b\"}]}"),
     "I2cMaster.ISU2[0].Device", "must name an lsm6ds3 in Devices"},
    {"i2c_device_not_accel", BOARD(FLASH ",\"I2cMaster\":{\"ISU2\":[{\"Address\":106,\"Device\":\"f\"}]}"),
     "I2cMaster.ISU2[0].Device", "must name an lsm6ds3 in Devices"},
    {"i2c_eight_targets", BOARD(ACCEL ",\"I2cMaster\":{\"ISU2\":[" TARGET0 TARGET TARGET TARGET TARGET TARGET TARGET
                                TARGET "]}"), NULL, NULL},
    {"i2c_too_many_targets", BOARD(ACCEL ",\"I2cMaster\":{\"ISU2\":[" TARGET0 TARGET TARGET TARGET TARGET TARGET
                                   TARGET TARGET TARGET "]}"),
     "I2cMaster.ISU2[8]", "too many targets on one ISU (at most 8)"},

    /* SpiMaster */
    {"spi", BOARD(ACCEL ",\"SpiMaster\":{\"ISU3\":{\"B\":\"a\"}}"), NULL, NULL},
    {"spi_not_isu", BOARD(ACCEL ",\"SpiMaster\":{\"ISU7\":{\"A\":\"a\"}}"), "SpiMaster.ISU7",
     "not an ISU (ISU0-ISU4) with chip selects"},
    {"spi_chip_select", BOARD(ACCEL ",\"SpiMaster\":{\"ISU1\":{\"C\":\"a\"}}"), "SpiMaster.ISU1.C",
     "chip selects are A and B"},
    {"spi_device_unknown", BOARD(ACCEL ",\"SpiMaster\":{\"ISU1\":{\"A\":\"x\"}}"), "SpiMaster.ISU1.A",
     "must name a device in Devices"},

    /* Adc */
    {"adc", BOARD(",\"Adc\":{\"ADC-CONTROLLER-0\":{\"Channels\":2,\"Bits\":10,\"ReferenceVolts\":1.8}}"), NULL, NULL},
    {"adc_controller", BOARD(",\"Adc\":{\"ADC-CONTROLLER-1\":{\"Channels\":2,\"Bits\":10,\"ReferenceVolts\":1}}"),
     "Adc.ADC-CONTROLLER-1", "not ADC-CONTROLLER-0 with Channels, Bits and ReferenceVolts"},
    {"adc_channels", BOARD(",\"Adc\":{\"ADC-CONTROLLER-0\":{\"Channels\":9,\"Bits\":10,\"ReferenceVolts\":1}}"),
     "Adc.ADC-CONTROLLER-0.Channels", "must be an integer from 1 to 8"},
    {"adc_bits", BOARD(",\"Adc\":{\"ADC-CONTROLLER-0\":{\"Channels\":1,\"Bits\":17,\"ReferenceVolts\":1}}"),
     "Adc.ADC-CONTROLLER-0.Bits", "must be an integer from 8 to 16"},
    {"adc_reference", BOARD(",\"Adc\":{\"ADC-CONTROLLER-0\":{\"Channels\":1,\"Bits\":8,\"ReferenceVolts\":0}}"),
     "Adc.ADC-CONTROLLER-0.ReferenceVolts", "must be a number of volts above 0"},
    {"adc_reference_missing", BOARD(",\"Adc\":{\"ADC-CONTROLLER-0\":{\"Channels\":1,\"Bits\":8}}"),
     "Adc.ADC-CONTROLLER-0.ReferenceVolts", "needs a number of volts above 0"},

    /* Pwm */
    {"pwm", BOARD(",\"Pwm\":{\"PWM-CONTROLLER-2\":{\"Channels\":1}}"), NULL, NULL},
    {"pwm_controller", BOARD(",\"Pwm\":{\"PWM-CONTROLLER-3\":{\"Channels\":4}}"), "Pwm.PWM-CONTROLLER-3",
     "not PWM-CONTROLLER-0 to -2 with Channels"},
    {"pwm_channels", BOARD(",\"Pwm\":{\"PWM-CONTROLLER-0\":{\"Channels\":5}}"), "Pwm.PWM-CONTROLLER-0.Channels",
     "must be an integer from 1 to 4"},
};

static bool same(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

/* The case's refusal is the only diagnostic, with its path, message, file and a position. */
static bool refused_as_expected(const struct board_case *c, int err, const struct diag_list *diags)
{
    if (err != -EINVAL || diags->count != 1)
        return false;
    const struct diag *d = &diags->items[0];
    return d->severity == DIAG_ERROR && same(d->path, c->path) && !strcmp(d->message, c->message) &&
           same(d->file, "board.json") && d->line == 1 && d->col > 0;
}

static void every_rule_has_a_good_and_a_bad_file(void **state)
{
    (void)state;
    const char *only = getenv("BOARD_FILE_CASE");
    size_t run = 0, failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct board_case *c = &cases[i];
        if (only && strcmp(only, c->name))
            continue;
        run++;
        struct board_layout layout;
        struct diag_list diags = {0};
        int err = board_file_parse(c->text, strlen(c->text), "board.json", &layout, &diags);
        bool ok = c->message ? refused_as_expected(c, err, &diags) : err == 0 && diags.count == 0;
        if (!ok) {
            failures++;
            fprintf(stderr, "case %s failed (rerun: BOARD_FILE_CASE=%s test_board_file); err=%d, expected %s%s%s:\n",
                    c->name, c->name, err, c->path ? c->path : "", c->path ? ": " : "",
                    c->message ? c->message : "no diagnostic");
            diag_print_all(&diags, stderr);
        }
        diag_list_free(&diags);
    }
    assert_true(run > 0);
    assert_int_equal(failures, 0);
}

static void the_default_board_is_the_rdb(void **state)
{
    (void)state;
    struct board_layout l;
    struct diag_list diags = {0};
    assert_int_equal(board_file_parse(board_file_default, strlen(board_file_default), NULL, &l, &diags), 0);
    assert_int_equal(diags.count, 0);
    assert_string_equal(l.name, "mt3620_rdb");
    assert_string_equal(l.hardware_definition, "mt3620_rdb/mt3620_rdb.json");
    assert_int_equal(l.device_count, 2);
    assert_string_equal(l.devices[0].name, "accel");
    assert_int_equal(l.devices[0].model, BOARD_MODEL_LSM6DS3);
    assert_string_equal(l.devices[1].name, "flash");
    assert_int_equal(l.devices[1].model, BOARD_MODEL_W25Q);
    assert_string_equal(l.devices[1].image, "flash-isu1-csb.bin");
    assert_true(l.isus[0].uart);
    assert_false(l.isus[0].loopback);
    assert_false(l.isus[1].uart);
    assert_int_equal(l.isus[2].i2c_count, 1);
    assert_int_equal(l.isus[2].i2c[0].address, 106);
    assert_int_equal(l.isus[2].i2c[0].device, 0);
    assert_int_equal(l.isus[1].spi[0], 0);
    assert_int_equal(l.isus[1].spi[1], 1);
    assert_int_equal(l.isus[3].spi[0], -1);
    assert_true(l.adcs[0].present);
    assert_int_equal(l.adcs[0].channels, 8);
    assert_int_equal(l.adcs[0].bits, 12);
    assert_true(l.adcs[0].reference == 2.5);
    for (int c = 0; c < BOARD_PWMS; c++) {
        assert_true(l.pwms[c].present);
        assert_int_equal(l.pwms[c].channels, 4);
    }
}

static void every_problem_is_reported_at_once_with_its_position(void **state)
{
    (void)state;
    static const char text[] = "{\"Name\": \"n\", \"HardwareDefinition\": \"h\",\n"
                               " \"Uart\": {\"ISU7\": {}},\n"
                               " \"Pwm\": {\"PWM-CONTROLLER-0\": {\"Channels\": 0}}}\n";
    struct board_layout l;
    struct diag_list diags = {0};
    assert_int_equal(board_file_parse(text, strlen(text), "two.json", &l, &diags), -EINVAL);
    assert_int_equal(diags.count, 2);
    diag_sort(&diags);
    assert_string_equal(diags.items[0].file, "two.json");
    assert_int_equal(diags.items[0].line, 2);
    assert_int_equal(diags.items[0].col, 11); /* the key "ISU7" */
    assert_string_equal(diags.items[0].path, "Uart.ISU7");
    assert_int_equal(diags.items[1].line, 3);
    assert_int_equal(diags.items[1].col, 43); /* the value 0 */
    assert_string_equal(diags.items[1].path, "Pwm.PWM-CONTROLLER-0.Channels");
    assert_int_equal(l.device_count, 0); /* a refused file leaves an empty layout */
    assert_string_equal(l.name, "");
    diag_list_free(&diags);
}

static void text_need_not_end_in_nul(void **state)
{
    (void)state;
    static const char text[] = BOARD(ACCEL) "garbage";
    struct board_layout l;
    struct diag_list diags = {0};
    assert_int_equal(board_file_parse(text, strlen(text) - strlen("garbage"), "board.json", &l, &diags), 0);
    assert_int_equal(l.device_count, 1);
    diag_list_free(&diags);
}

static void names_index_isus_and_controllers(void **state)
{
    (void)state;
    assert_int_equal(board_isu_index("ISU0"), 0);
    assert_int_equal(board_isu_index("ISU4"), 4);
    assert_int_equal(board_isu_index("ISU5"), -1);
    assert_int_equal(board_isu_index("ISU10"), -1);
    assert_int_equal(board_isu_index(NULL), -1);
    assert_int_equal(board_controller_index("PWM-CONTROLLER-", "PWM-CONTROLLER-2", BOARD_PWMS), 2);
    assert_int_equal(board_controller_index("PWM-CONTROLLER-", "PWM-CONTROLLER-", BOARD_PWMS), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_rule_has_a_good_and_a_bad_file),
        cmocka_unit_test(the_default_board_is_the_rdb),
        cmocka_unit_test(every_problem_is_reported_at_once_with_its_position),
        cmocka_unit_test(text_need_not_end_in_nul),
        cmocka_unit_test(names_index_isus_and_controllers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
