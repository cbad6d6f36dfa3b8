/* SPDX-License-Identifier: MIT */
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
 *                             peer <component id>  (sent with one descriptor as SCM_RIGHTS: the
 *                               device's end of that high-level app's channel socket; the helper
 *                               then reads that app's messages and writes the core's blocks for it
 *                               on the socket itself, with the same back-pressure, and closes the
 *                               previous peer's socket; docs/intercore.md)
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
 *                             gdb-port <port>      (with --gdb-port/--gdb-listen-fd: the stub's port,
 *                               before "state loaded")
 *                             peer-closed <n>      (the n-th peer handed over hung up, or its socket
 *                               failed: the helper closed its copy; n lets the supervisor ignore
 *                               news of a peer it has replaced meanwhile)
 *                             peer-dropped <bytes> (the peer sent a message over 1040 bytes: dropped)
 * Text is escaped: bytes below 0x20, 0x7F and above, and '\' become \xNN or \\.
 *
 * Both directions are parsed here: rtcore_ctl_parse() reads a command (the helper's side),
 * rtcore_ctl_event_parse() reads an event (the supervisor's side, src/runtime). Writers format
 * lines themselves with rtcore_ctl_escape(), rtcore_ctl_cid_format() and rtcore_ctl_hex().
 *
 * Pure functions; no allocation; inputs need not be NUL-terminated.
 */
#ifndef OPENSPHERE_RTCORE_CTL_H
#define OPENSPHERE_RTCORE_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCORE_CTL_MAX_LINE 4096 /* a msg line: 2 hex digits per payload byte */

enum rtcore_ctl_verb { RTCORE_CTL_START, RTCORE_CTL_STOP, RTCORE_CTL_STATUS, RTCORE_CTL_GPIO_IN, RTCORE_CTL_MSG_IN,
                       RTCORE_CTL_MSG_OUT_ACK, RTCORE_CTL_PEER };

#define RTCORE_CTL_MAX_PAYLOAD 1040

struct rtcore_ctl_cmd {
    enum rtcore_ctl_verb verb;
    int gpio;
    bool level;
    uint8_t cid[16];                       /* msg-in: the sender; peer: the app (ring byte order) */
    uint8_t data[RTCORE_CTL_MAX_PAYLOAD];  /* msg-in payload */
    size_t len;
};

/* Parses one command line (without its '\n'). Returns 0 or -EINVAL. */
int rtcore_ctl_parse(const char *line, size_t len, struct rtcore_ctl_cmd *out);

/* ---- events (helper -> supervisor) ---- */

enum rtcore_ctl_event_kind {
    RTCORE_CTL_EV_UNKNOWN,    /* no event word matched (a newer helper's event: ignore it) */
    RTCORE_CTL_EV_STATE,      /* state <loaded|running|asleep|stopped> | crashed <reason> | exited <n> */
    RTCORE_CTL_EV_STATUS,     /* status <loaded|running|stopped> instructions= cycles= exceptions= */
    RTCORE_CTL_EV_LOG,        /* log <text> */
    RTCORE_CTL_EV_UART,       /* uart ISU<k> <text> */
    RTCORE_CTL_EV_GPIO,       /* gpio <gpio> <0|1> <cycles> */
    RTCORE_CTL_EV_ERROR,      /* error <text> */
    RTCORE_CTL_EV_MSG_ACK,    /* msg-ack */
    RTCORE_CTL_EV_MSG_OUT,    /* msg-out <component id> <hex payload> */
    RTCORE_CTL_EV_MBOX_ERROR, /* mbox-error <text> */
    RTCORE_CTL_EV_GDB_PORT,   /* gdb-port <1..65535> */
    RTCORE_CTL_EV_PEER_CLOSED,  /* peer-closed <n> */
    RTCORE_CTL_EV_PEER_DROPPED, /* peer-dropped <bytes> (text: the size) */
};

enum rtcore_ctl_state {
    RTCORE_CTL_STATE_LOADED,
    RTCORE_CTL_STATE_RUNNING,
    RTCORE_CTL_STATE_ASLEEP,
    RTCORE_CTL_STATE_STOPPED,
    RTCORE_CTL_STATE_CRASHED,
    RTCORE_CTL_STATE_EXITED,
};

/* One parsed event. Only the fields of its kind are set (the others are zero; data[] beyond len
 * is left as it was). `args` and
 * `text` point into the parsed line (valid while it is) and are not NUL-terminated; text is
 * still escaped, exactly as the helper sent it. */
struct rtcore_ctl_event {
    enum rtcore_ctl_event_kind kind;
    const char *args;            /* everything after "<word> " ("" for msg-ack) */
    size_t args_len;
    enum rtcore_ctl_state state; /* STATE, STATUS */
    int exit_status;             /* STATE exited */
    const char *text;            /* STATE crashed: the reason; LOG, UART, ERROR, MBOX_ERROR */
    size_t text_len;
    int isu;                     /* UART: 0..4 */
    int gpio;                    /* GPIO: 0..95 */
    bool level;                  /* GPIO */
    uint64_t cycles;             /* GPIO: core cycles when it changed; STATUS: cycles run */
    uint64_t instructions, exceptions; /* STATUS */
    int port;                    /* GDB_PORT */
    uint64_t peer;               /* PEER_CLOSED: which peer (1 = the first handed over) */
    uint8_t cid[16];             /* MSG_OUT: the addressee, in the ring's byte order */
    uint8_t data[RTCORE_CTL_MAX_PAYLOAD]; /* MSG_OUT payload */
    size_t len;
};

/*
 * Parses one event line (without its '\n'; a trailing '\r' is ignored) into *out.
 * Returns 0; or -EINVAL when the event word is known but its arguments are malformed (out->kind
 * then names that event and out->args holds its raw arguments, so a supervisor can still answer
 * a malformed msg-out with msg-out-ack). A line no event word matches returns 0 with kind
 * RTCORE_CTL_EV_UNKNOWN: events may be added, and a supervisor must skip ones it does not know.
 */
int rtcore_ctl_event_parse(const char *line, size_t len, struct rtcore_ctl_event *out);

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
