/* SPDX-License-Identifier: MIT */
/* fuzz_hosts.c — the static hosts file (docs/network.md) on any input: never crash or leak; a
 * table that loads is written back by net_hosts_json() in a form that loads again to the same
 * table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "net.h"
#include "strbuf.h"

static char *table_text(void)
{
    struct json_value *list = net_hosts_json();
    struct strbuf text = {0};
    if (!list || json_write(list, JSON_COMPACT, &text))
        abort();
    json_free(list);
    return text.data ? text.data : strdup("[]");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[512];
    net_hosts_clear();
    if (net_hosts_load_text("fuzz.json", (const char *)data, size, why, sizeof why) != 0)
        return 0;
    char *first = table_text();
    net_hosts_clear();
    if (net_hosts_load_text("again.json", first, strlen(first), why, sizeof why) != 0)
        abort(); /* what we write must load */
    char *second = table_text();
    if (strcmp(first, second))
        abort();
    free(first), free(second);
    return 0;
}
