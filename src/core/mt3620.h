/* SPDX-License-Identifier: MIT */
/*
 * mt3620.h — facts about the MT3620 chip that the hardware-definition files do not carry:
 * which GPIO pins each peripheral block occupies (so two capabilities that need the same pin
 * can be refused), and the RTApp-only resources (external interrupts, I2S).
 *
 * Pin blocks: PWM-CONTROLLER-k = GPIO 4k..4k+3; ISU0..ISU2 = GPIO 26-30, 31-35, 36-40;
 * ISU3, ISU4 = GPIO 66-70, 71-75; ADC-CONTROLLER-0 = GPIO 41-48; I2S0 = GPIO 56-60,
 * I2S1 = GPIO 61-65 (the I2S pins are our reading of the chip's pin-out; docs/manifest.md).
 */
#ifndef OPENSPHERE_CORE_MT3620_H
#define OPENSPHERE_CORE_MT3620_H

#include <stdbool.h>
#include <stddef.h>

#define MT3620_MAX_BLOCK_PINS 8
#define MT3620_EINT_COUNT 24 /* EINT0..EINT23 */

/* The GPIO pins that the raw manifest value `value` occupies. `kind` is the manifest
 * capability name ("Gpio", "Uart", "I2cMaster", "SpiMaster", "Pwm", "Adc", "I2sSubordinate");
 * `gpio` is used for "Gpio", `value` (a string such as "ISU0") for the others.
 * Returns the number of pins written to pins[] (0 if the value names no known block). */
size_t mt3620_pins(const char *kind, long gpio, const char *value, int pins[MT3620_MAX_BLOCK_PINS]);

/* True for "EINT0".."EINT23". */
bool mt3620_is_eint(const char *value);
/* True for "I2S0" and "I2S1". */
bool mt3620_is_i2s(const char *value);

#endif
