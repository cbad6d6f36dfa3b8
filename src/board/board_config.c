/* SPDX-License-Identifier: MIT */
/* board_config.c — a parsed board layout applied to the peripherals: device models created,
 * flash images opened, UART pseudo-terminals made (see board_config.h; the layout comes from
 * board_file.h). */
#include "board_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board_periph.h"
#include "path.h"

/* A W25Q128JV at `image` inside `state_dir` (or in RAM without either). */
static int open_flash(struct board_device *d, const char *image, const char *state_dir, char *why, size_t why_size)
{
    char *path = image[0] && state_dir ? path_join(state_dir, image) : NULL;
    int err = image[0] && state_dir && !path ? -ENOMEM : 0;
    if (!err && path && strlen(path) >= sizeof d->image)
        err = -ENAMETOOLONG;
    snprintf(d->image, sizeof d->image, "%s", path && !err ? path : "");
    free(path);
    if (!err) {
        struct w25q_config cfg = {.path = d->image[0] ? d->image : NULL, .seed = 1};
        err = w25q_open(&cfg, &d->flash);
    }
    if (err)
        snprintf(why, why_size, "Devices.%s: cannot open the flash image %s: %s", d->name,
                 d->image[0] ? d->image : image, strerror(-err));
    return err;
}

static int apply_devices(struct board_periph *p, const struct board_layout *l, const char *state_dir, char *why,
                         size_t why_size)
{
    for (int i = 0; i < l->device_count; i++) {
        const struct board_file_device *f = &l->devices[i];
        struct board_device *d = &p->devices[i];
        *d = (struct board_device){.model = f->model};
        snprintf(d->name, sizeof d->name, "%s", f->name);
        if (f->model == BOARD_MODEL_LSM6DS3) {
            lsm6ds3_init(&d->accel);
        } else {
            int err = open_flash(d, f->image, state_dir, why, why_size);
            if (err)
                return err;
        }
        p->device_count++;
    }
    return 0;
}

static int apply_isus(struct board_periph *p, const struct board_layout *l, char *why, size_t why_size)
{
    for (int i = 0; i < BOARD_ISUS; i++) {
        const struct board_file_isu *f = &l->isus[i];
        struct board_isu *u = &p->isus[i];
        for (int t = 0; t < f->i2c_count; t++) {
            u->i2c[t].address = f->i2c[t].address;
            u->i2c[t].device = f->i2c[t].device;
        }
        u->i2c_count = f->i2c_count;
        u->spi[0] = f->spi[0];
        u->spi[1] = f->spi[1];
        if (!f->uart)
            continue;
        u->has_uart = true;
        u->loopback = f->loopback;
        int err = board_periph_open_host_pty(u);
        if (err) {
            snprintf(why, why_size, "Uart.ISU%d: cannot open a pseudo-terminal: %s", i, strerror(-err));
            return err;
        }
    }
    return 0;
}

static void apply_converters(struct board_periph *p, const struct board_layout *l)
{
    for (int c = 0; c < BOARD_ADCS; c++) {
        const struct board_file_adc *f = &l->adcs[c];
        p->adcs[c] = (struct board_adc){.present = f->present, .channels = f->channels, .bits = f->bits,
                                        .reference = f->reference};
    }
    for (int c = 0; c < BOARD_PWMS; c++)
        p->pwms[c] = (struct board_pwm){.present = l->pwms[c].present, .channels = l->pwms[c].channels};
}

int board_config_apply(struct board_periph *p, const struct board_layout *layout, const char *state_dir, char *why,
                       size_t why_size)
{
    pthread_mutex_lock(&p->lock);
    board_periph_clear(p);
    snprintf(p->name, sizeof p->name, "%s", layout->name);
    snprintf(p->hardware_definition, sizeof p->hardware_definition, "%s", layout->hardware_definition);
    int err = apply_devices(p, layout, state_dir, why, why_size);
    if (!err)
        err = apply_isus(p, layout, why, why_size);
    if (!err)
        apply_converters(p, layout);
    if (err)
        board_periph_clear(p);
    pthread_mutex_unlock(&p->lock);
    board_periph_wake(p);
    return err;
}
