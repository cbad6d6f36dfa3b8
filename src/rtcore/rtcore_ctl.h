/*
 * rtcore_ctl.h — the control protocol between a device (or any supervisor) and one
 * sphere-rtcore helper, over a stream socket the helper inherits (--control-fd N).
 * docs/rtcore.md is the reference; in short, one command or event per '\n'-terminated line:
 *
 *   supervisor -> helper      start | stop | status | gpio-in <gpio> <0|1>
 *                             msg-in <component id> <hex payload>  (one message for the core's
 *                               inbound ring, from that high-level app; answered by msg-ack once
 *                               it is in the ring or dropped; send the next only after msg-ack)
 *                             msg-out-ack          (the last msg-out was delivered or dropped)
 *   helper -> supervisor      state <loaded|running|asleep|stopped> 
 *                             state crashed <reason> | state exited <status>
 *                             status <state> instructions=<n> cycles=<n> exceptions=<n>
 *                             log <text>           (one debug-UART line)
 *                             uart ISU<k> <text>   (one ISU UART line)
 *                             gpio <gpio> <0|1> <cycles>
 *                             error <text>         (a command it could not understand)
 *                             msg-ack              (the last msg-in is in the ring, or dropped)
 *                             msg-out <component id> <hex payload>  (one block the core sent,
 *                               addressed to that app; the next follows only after msg-out-ack)
 *                             mbox-error <text>    (the core corrupted its rings: channel closed)
 * Text is escaped: bytes below 0x20, 0x7F and above, and '\' become \xNN or \\.
 *
 * Pure functions; no allocation.
 */
#ifndef OPENSPHERE_RTCORE_CTL_H
#define OPENSPHERE_RTCORE_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCORE_CTL_MAX_LINE 4096 /* a msg line: 2 hex digits per payload byte */

enum rtcore_ctl_verb { RTCORE_CTL_START, RTCORE_CTL_STOP, RTCORE_CTL_STATUS, RTCORE_CTL_GPIO_IN, RTCORE_CTL_MSG_IN,
                       RTCORE_CTL_MSG_OUT_ACK };

#define RTCORE_CTL_MAX_PAYLOAD 1040

struct rtcore_ctl_cmd {
    enum rtcore_ctl_verb verb;
    int gpio;
    bool level;
    uint8_t cid[16];                       /* msg-in: the sender, in the ring's byte order */
    uint8_t data[RTCORE_CTL_MAX_PAYLOAD];  /* msg-in payload */
    size_t len;
};

/* Parses one command line (without its '\n'). Returns 0 or -EINVAL. */
int rtcore_ctl_parse(const char *line, size_t len, struct rtcore_ctl_cmd *out);

/* Component IDs on the ring: the GUID's first three fields little-endian, then 8 bytes in order
 * (as the samples' Component_Id struct). Parse accepts either case; format writes lower case.
 * rtcore_ctl_cid_parse returns 0 or -EINVAL. */
int rtcore_ctl_cid_parse(const char *text, size_t len, uint8_t out[16]);
void rtcore_ctl_cid_format(const uint8_t in[16], char out[37]);
/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void rtcore_ctl_hex(const uint8_t *in, size_t len, char *out);

/* Escapes `len` bytes into out (always NUL-terminated; output is cut at a character boundary
 * when out_size is too small). Returns the number of input bytes consumed. */
size_t rtcore_ctl_escape(const char *in, size_t len, char *out, size_t out_size);

#endif
