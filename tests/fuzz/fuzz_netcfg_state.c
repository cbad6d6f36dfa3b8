/* SPDX-License-Identifier: MIT */
/* fuzz_netcfg_state.c — the network configuration file (netcfg.json, docs/netconfig.md) on any
 * input: never crash or leak; a refusal always says why; a file that loads is written back in a
 * form that loads again to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct netcfg *n = NULL;
    char why[512] = "";
    if (netcfg_open(NULL, true, &n, why, sizeof why))
        abort();
    if (netcfg_load_text(n, "fuzz.json", (const char *)data, size, why, sizeof why) != 0) {
        if (!why[0])
            abort();
        netcfg_close(n);
        return 0;
    }
    char *first = netcfg_file_text(n);
    if (!first || netcfg_load_text(n, "again.json", first, strlen(first), why, sizeof why) != 0)
        abort();
    char *second = netcfg_file_text(n);
    if (!second || strcmp(first, second))
        abort();
    free(first);
    free(second);
    netcfg_close(n);
    return 0;
}
