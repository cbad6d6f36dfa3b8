/* SPDX-License-Identifier: MIT */
/* mt3620.c — MT3620 pin blocks and RTApp-only resources (see mt3620.h). */
#include "mt3620.h"

#include <stdlib.h>
#include <string.h>

static size_t range(int first, int count, int pins[MT3620_MAX_BLOCK_PINS])
{
    for (int i = 0; i < count; i++)
        pins[i] = first + i;
    return (size_t)count;
}

/* Parses "<prefix><decimal>" with the number in [0, max]; -1 otherwise. */
static int numbered(const char *value, const char *prefix, int max)
{
    size_t n = strlen(prefix);
    if (strncmp(value, prefix, n) != 0 || value[n] == '\0')
        return -1;
    if (value[n] == '0' && value[n + 1] != '\0')
        return -1;
    char *end;
    long v = strtol(value + n, &end, 10);
    if (*end || value[n] < '0' || value[n] > '9' || v < 0 || v > max)
        return -1;
    return (int)v;
}

size_t mt3620_pins(const char *kind, long gpio, const char *value, int pins[MT3620_MAX_BLOCK_PINS])
{
    static const int isu_first_pin[5] = {26, 31, 36, 66, 71};
    if (strcmp(kind, "Gpio") == 0) {
        pins[0] = (int)gpio;
        return 1;
    }
    if (!value)
        return 0;
    if (strcmp(kind, "Uart") == 0 || strcmp(kind, "I2cMaster") == 0 || strcmp(kind, "SpiMaster") == 0) {
        int isu = numbered(value, "ISU", 4);
        return isu < 0 ? 0 : range(isu_first_pin[isu], 5, pins);
    }
    if (strcmp(kind, "Pwm") == 0) {
        int c = numbered(value, "PWM-CONTROLLER-", 2);
        return c < 0 ? 0 : range(4 * c, 4, pins);
    }
    if (strcmp(kind, "Adc") == 0)
        return numbered(value, "ADC-CONTROLLER-", 0) == 0 ? range(41, 8, pins) : 0;
    if (strcmp(kind, "I2sSubordinate") == 0) {
        int i = numbered(value, "I2S", 1);
        return i < 0 ? 0 : range(56 + 5 * i, 5, pins);
    }
    return 0;
}

bool mt3620_is_eint(const char *value) { return numbered(value, "EINT", MT3620_EINT_COUNT - 1) >= 0; }

bool mt3620_is_i2s(const char *value) { return numbered(value, "I2S", 1) >= 0; }
