/* SPDX-License-Identifier: MIT */
/* fuzz_rtcore_ctl.c — the control protocol's parsers (commands and events) and the escaper on
 * arbitrary bytes: no crash, no read past the line, and every result inside its documented range. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcore_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parsed event's pointers stay inside the line and its fields inside their ranges. */
static void check_event(const char *line, size_t size, const struct rtcore_ctl_event *ev)
{
    if (ev->args < line || ev->args + ev->args_len > line + size)
        abort();
    if (ev->text && (ev->text < line || ev->text + ev->text_len > line + size))
        abort();
    if (ev->gpio < 0 || ev->gpio > 95 || ev->isu < 0 || ev->isu > 4 || ev->port < 0 || ev->port > 65535 ||
        ev->len > RTCORE_CTL_MAX_PAYLOAD)
        abort();
}

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
    static struct rtcore_ctl_event ev;
    int rc = rtcore_ctl_event_parse(line, size, &ev);
    if (rc != 0 && rc != -EINVAL)
        abort();
    check_event(line, size, &ev);
    size_t used = rtcore_ctl_escape(line, size, out, sizeof out);
    if (used > size || strlen(out) >= sizeof out)
        abort();
    free(line);
    return 0;
}
