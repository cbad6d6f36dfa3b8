/* SPDX-License-Identifier: MIT */
/* azure_c_shared_utility/crt_abstractions.h — the C library headers the samples get through the
 * IoT headers (AZURE-IOT-API.md §2.0 rule 3). */
#ifndef AZURE_C_SHARED_UTILITY_CRT_ABSTRACTIONS_H
#define AZURE_C_SHARED_UTILITY_CRT_ABSTRACTIONS_H
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#endif
