/* SPDX-License-Identifier: MIT */
/* fuzz_board_file.c — the board-file parser (board_file.h) on any bytes: never crash or leak;
 * a refusal carries at least one error diagnostic and leaves an empty layout; an accepted
 * layout keeps every rule the header states (indices inside their tables, addresses, channel
 * counts and bit widths in range, flash images plain file names). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "board_file.h"

static void check_layout(const struct board_layout *l)
{
    if (l->device_count < 0 || l->device_count > BOARD_MAX_DEVICES || !memchr(l->name, 0, sizeof l->name))
        abort();
    for (int i = 0; i < l->device_count; i++) {
        const struct board_file_device *d = &l->devices[i];
        if (!d->name[0] || strchr(d->image, '/') || d->image[0] == '.' || (d->image[0] && d->model != BOARD_MODEL_W25Q))
            abort();
    }
    for (int i = 0; i < BOARD_ISUS; i++) {
        const struct board_file_isu *u = &l->isus[i];
        if (u->i2c_count < 0 || u->i2c_count > BOARD_MAX_I2C_TARGETS || (u->loopback && !u->uart))
            abort();
        for (int t = 0; t < u->i2c_count; t++)
            if (u->i2c[t].address < 8 || u->i2c[t].address > 119 || u->i2c[t].device < 0 ||
                u->i2c[t].device >= l->device_count || l->devices[u->i2c[t].device].model != BOARD_MODEL_LSM6DS3)
                abort();
        for (int c = 0; c < 2; c++)
            if (u->spi[c] < -1 || u->spi[c] >= l->device_count)
                abort();
    }
    for (int c = 0; c < BOARD_ADCS; c++) {
        const struct board_file_adc *a = &l->adcs[c];
        if (a->present && (a->channels < 1 || a->channels > BOARD_ADC_MAX_CHANNELS || a->bits < 8 || a->bits > 16 ||
                           !(a->reference > 0)))
            abort();
    }
    for (int c = 0; c < BOARD_PWMS; c++)
        if (l->pwms[c].present && (l->pwms[c].channels < 1 || l->pwms[c].channels > BOARD_PWM_CHANNELS))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct board_layout layout;
    struct diag_list diags = {0};
    int err = board_file_parse((const char *)data, size, "fuzz.json", &layout, &diags);
    if (err == 0) {
        if (diags.count)
            abort();
        check_layout(&layout);
    } else if (err == -EINVAL) {
        if (!diag_error_count(&diags) || layout.device_count || layout.name[0])
            abort();
        for (size_t i = 0; i < diags.count; i++)
            if (!diags.items[i].message || !diags.items[i].message[0])
                abort();
    } else if (err != -ENOMEM) {
        abort();
    }
    diag_list_free(&diags);
    return 0;
}
