/*
 * rtcore_ctl.h — the control protocol between a device (or any supervisor) and one
 * sphere-rtcore helper, over a stream socket the helper inherits (--control-fd N).
 * docs/rtcore.md is the reference; in short, one command or event per '\n'-terminated line:
 *
 *   supervisor -> helper      start | stop | status | gpio-in <gpio> <0|1>
 *   helper -> supervisor      state <loaded|running|asleep|stopped> 
 *                             state crashed <reason> | state exited <status>
 *                             status <state> instructions=<n> cycles=<n> exceptions=<n>
 *                             log <text>           (one debug-UART line)
 *                             uart ISU<k> <text>   (one ISU UART line)
 *                             gpio <gpio> <0|1> <cycles>
 *                             error <text>         (a command it could not understand)
 * Text is escaped: bytes below 0x20, 0x7F and above, and '\' become \xNN or \\.
 *
 * Pure functions; no allocation.
 */
#ifndef OPENSPHERE_RTCORE_CTL_H
#define OPENSPHERE_RTCORE_CTL_H

#include <stdbool.h>
#include <stddef.h>

#define RTCORE_CTL_MAX_LINE 512

enum rtcore_ctl_verb { RTCORE_CTL_START, RTCORE_CTL_STOP, RTCORE_CTL_STATUS, RTCORE_CTL_GPIO_IN };

struct rtcore_ctl_cmd {
    enum rtcore_ctl_verb verb;
    int gpio;
    bool level;
};

/* Parses one command line (without its '\n'). Returns 0 or -EINVAL. */
int rtcore_ctl_parse(const char *line, size_t len, struct rtcore_ctl_cmd *out);

/* Escapes `len` bytes into out (always NUL-terminated; output is cut at a character boundary
 * when out_size is too small). Returns the number of input bytes consumed. */
size_t rtcore_ctl_escape(const char *in, size_t len, char *out, size_t out_size);

#endif
