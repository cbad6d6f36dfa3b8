/* SPDX-License-Identifier: MIT */
/*
 * rtcore_grant.h — which peripheral blocks an RTApp may touch, from its app manifest.
 *
 * The manifest is the normalised one stored in the image package (raw values only). Grants:
 *   Gpio N                       -> the block holding GPIO N (GRPk, ISUk, ADC, I2Sk)
 *   Uart/I2cMaster/SpiMaster ISUk-> ISUk
 *   Pwm PWM-CONTROLLER-k         -> GRPk
 *   Adc ADC-CONTROLLER-0         -> ADC-CONTROLLER-0
 *   ExternalInterrupt EINTn      -> no register block (the line only)
 * Other capabilities (AllowedApplicationConnections, ...) grant no block. The core-private
 * blocks (SCS, GPT, debug UART, mailbox) are always granted (rtcore_soc_init does that).
 *
 * Returns 0; -EINVAL with a sentence in why[] when the manifest is not JSON, not a
 * RealTimeCapable app, or names a value no block answers to; -ENOMEM.
 */
#ifndef OPENSPHERE_RTCORE_GRANT_H
#define OPENSPHERE_RTCORE_GRANT_H

#include <stdbool.h>
#include <stddef.h>

#include "rtcore_soc.h"

int rtcore_grant_from_manifest(const char *json, size_t len, bool granted[RTCORE_BLOCK_COUNT], char *why,
                               size_t why_len);

#endif
