/* SPDX-License-Identifier: MIT */
/* confine.c — drives GPIO 8 (block GRP2), then writes a byte to the ISU1 UART. With a
 * manifest that lists Gpio 8 only, the ISU1 access must stop the core. */
#include "fw.h"
DEFAULT_UNEXPECTED
VECTORS();
void reset(void)
{
    REG(0x38030010) = 1; /* GRP2 OE: GPIO 8 is an output */
    REG(0x38030008) = 1; /* DOUT_SET */
    puts_("gpio 8 driven\n");
    REG(0x38080000) = 'x'; /* ISU1 UART THR */
    puts_("wrote to ISU1\n");
    EXIT(0);
    for (;;) {
    }
}
