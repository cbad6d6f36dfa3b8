/* SPDX-License-Identifier: MIT */
/* fuzz_fixtures.h — a small chip and board definition the hwdef and manifest fuzzers load. */
#ifndef OPENSPHERE_FUZZ_FIXTURES_H
#define OPENSPHERE_FUZZ_FIXTURES_H

#define FUZZ_HEAD "{\"Metadata\":{\"Type\":\"Azure Sphere Hardware Definition\",\"Version\":1},"

static const char fuzz_chip[] = FUZZ_HEAD "\"Peripherals\":["
    "{\"Name\":\"C_GPIO8\",\"Type\":\"Gpio\",\"MainCoreHeaderValue\":\"(8)\",\"AppManifestValue\":8},"
    "{\"Name\":\"C_GPIO26\",\"Type\":\"Gpio\",\"MainCoreHeaderValue\":\"(26)\",\"AppManifestValue\":26},"
    "{\"Name\":\"C_ISU0_UART\",\"Type\":\"Uart\",\"MainCoreHeaderValue\":\"(4)\",\"AppManifestValue\":\"ISU0\"},"
    "{\"Name\":\"C_ISU0_I2C\",\"Type\":\"I2cMaster\",\"MainCoreHeaderValue\":\"(0)\",\"AppManifestValue\":\"ISU0\"},"
    "{\"Name\":\"C_PWM0\",\"Type\":\"Pwm\",\"MainCoreHeaderValue\":\"(0)\",\"AppManifestValue\":\"PWM-CONTROLLER-0\"},"
    "{\"Name\":\"C_CS_A\",\"Type\":\"int\",\"MainCoreHeaderValue\":\"(-1)\"}]}";

static const char fuzz_board[] = FUZZ_HEAD "\"Imports\":[{\"Path\":\"chip.json\"}],\"Peripherals\":["
    "{\"Name\":\"B_LED\",\"Type\":\"Gpio\",\"Mapping\":\"C_GPIO8\"},"
    "{\"Name\":\"B_UART\",\"Type\":\"Uart\",\"Mapping\":\"C_ISU0_UART\"}]}";

#endif
