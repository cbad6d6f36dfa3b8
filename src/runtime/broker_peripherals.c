/* SPDX-License-Identifier: MIT */
/* broker_peripherals.c — broker handlers for the board's buses and converters (UART, SPI, I2C,
 * ADC, PWM; see broker_ops.h and docs/board.md). Each checks that the app's manifest lists the
 * peripheral by its raw value ("ISU0", "ADC-CONTROLLER-0", "PWM-CONTROLLER-2"), then asks the
 * board for a handle (one owner per peripheral) and passes it to the app. */
#include <errno.h>
#include <stdio.h>

#include "broker_ops.h"

/* Does the manifest list `name` under `capability`? */
static bool lists(const struct broker_context *ctx, const char *capability, const char *name)
{
    struct json_value *v = json_new_string(name);
    bool yes = v && broker_manifest_lists(ctx->manifest, capability, v);
    json_free(v);
    return yes;
}

/* Hands a new handle (or the board's refusal) to the app. */
static int handle(int fd_or_err, int *fd)
{
    if (fd_or_err < 0)
        return fd_or_err;
    *fd = fd_or_err;
    return 0;
}

static int uart_open(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    if (q->a < 4 || q->a > 8)
        return -ENODEV;
    char isu[16];
    snprintf(isu, sizeof isu, "ISU%d", q->a - 4);
    if (!lists(ctx, "Uart", isu))
        return -EACCES;
    uint32_t c = (uint32_t)q->c;
    struct board_uart_config cfg = {.baud = (uint32_t)q->b, .data_bits = (uint8_t)c, .parity = (uint8_t)(c >> 8),
                                    .stop_bits = (uint8_t)(c >> 16), .flow_control = (uint8_t)(c >> 24)};
    return handle(board_uart_open(ctx->board, isu, &cfg, ctx->component_id), fd);
}

/* I2C and SPI: an id that names no ISU cannot be in the manifest either: EACCES. */
static int isu_name(const struct broker_request *q, char *isu, size_t size)
{
    if (q->a < 0 || q->a > 4)
        return -EACCES;
    snprintf(isu, size, "ISU%d", q->a);
    return 0;
}

static int i2c_open(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    char isu[16];
    if (isu_name(q, isu, sizeof isu) || !lists(ctx, "I2cMaster", isu))
        return -EACCES;
    return handle(board_i2c_open(ctx->board, isu, ctx->component_id), fd);
}

static int spi_open(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    char isu[16];
    if (isu_name(q, isu, sizeof isu) || !lists(ctx, "SpiMaster", isu))
        return -EACCES;
    return handle(board_spi_open(ctx->board, isu, q->b, q->c, ctx->component_id), fd);
}

static int controller_open(const struct broker_context *ctx, const struct broker_request *q, int *fd, bool adc)
{
    char name[32];
    snprintf(name, sizeof name, "%s-CONTROLLER-%u", adc ? "ADC" : "PWM", (unsigned)q->a);
    if (!lists(ctx, adc ? "Adc" : "Pwm", name))
        return -EACCES;
    return handle(adc ? board_adc_open(ctx->board, name, ctx->component_id)
                      : board_pwm_open(ctx->board, name, ctx->component_id),
                  fd);
}

static int adc_open(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    return controller_open(ctx, q, fd, true);
}

static int pwm_open(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    return controller_open(ctx, q, fd, false);
}

const struct broker_op_entry broker_peripheral_ops[] = {
    {BROKER_UART_OPEN, uart_open}, {BROKER_I2C_OPEN, i2c_open}, {BROKER_SPI_OPEN, spi_open},
    {BROKER_ADC_OPEN, adc_open},   {BROKER_PWM_OPEN, pwm_open}, {0, NULL},
};
