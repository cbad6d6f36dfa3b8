/* fuzz_rtcore_ctl.c — control-protocol commands and the escaper on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcore_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size ? size : 1);
    char out[64];
    if (!line)
        return 0;
    memcpy(line, data, size);
    struct rtcore_ctl_cmd cmd;
    if (rtcore_ctl_parse(line, size, &cmd) == 0 && cmd.verb == RTCORE_CTL_GPIO_IN && (cmd.gpio < 0 || cmd.gpio > 95))
        abort();
    size_t used = rtcore_ctl_escape(line, size, out, sizeof out);
    if (used > size || strlen(out) >= sizeof out)
        abort();
    free(line);
    return 0;
}
