/* broker_peripherals.c — broker handlers for the board's buses and converters (UART, SPI, I2C,
 * ADC, PWM). They arrive with the board issue; until then these ops answer ENOSYS. */
#include "broker_ops.h"

const struct broker_op_entry broker_peripheral_ops[] = {
    {0, NULL},
};
