/* SPDX-License-Identifier: MIT */
/* rtcore_ctl.c — control protocol parsing and escaping (see rtcore_ctl.h). */
#include "rtcore_ctl.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static bool word_is(const char *line, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len == n && memcmp(line, word, n) == 0;
}

/* "gpio-in <0..95> <0|1>" */
static int parse_gpio_in(const char *p, size_t len, struct rtcore_ctl_cmd *out)
{
    int gpio = 0;
    size_t i = 0, digits = 0;
    while (i < len && p[i] >= '0' && p[i] <= '9' && digits < 3) {
        gpio = gpio * 10 + (p[i++] - '0');
        digits++;
    }
    if (!digits || gpio > 95 || i + 2 != len || p[i] != ' ' || (p[i + 1] != '0' && p[i + 1] != '1'))
        return -EINVAL;
    out->verb = RTCORE_CTL_GPIO_IN, out->gpio = gpio, out->level = p[i + 1] == '1', out->len = 0;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int unhex(const char *p, size_t digits, uint8_t *out)
{
    for (size_t i = 0; i < digits; i += 2) {
        int hi = hexval(p[i]), lo = hexval(p[i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int rtcore_ctl_cid_parse(const char *text, size_t len, uint8_t out[16])
{
    char digits[32];
    size_t n = 0;
    if (len != 36)
        return -EINVAL;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (text[i] == '-') || (!dash && hexval(text[i]) < 0))
            return -EINVAL;
        if (!dash)
            digits[n++] = text[i];
    }
    uint8_t be[16];
    unhex(digits, 32, be);
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int i = 0; i < 16; i++)
        out[i] = be[order[i]];
    return 0;
}

void rtcore_ctl_cid_format(const uint8_t in[16], char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", in[3], in[2], in[1], in[0],
             in[5], in[4], in[7], in[6], in[8], in[9], in[10], in[11], in[12], in[13], in[14], in[15]);
}

void rtcore_ctl_hex(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

/* "msg-in <cid> [<hex>]" */
static int parse_msg_in(const char *p, size_t len, struct rtcore_ctl_cmd *out)
{
    if (len < 36 || rtcore_ctl_cid_parse(p, 36, out->cid))
        return -EINVAL;
    const char *hex = p + 36;
    size_t digits = len - 36;
    if (digits) {
        if (*hex != ' ')
            return -EINVAL;
        hex++, digits--;
    }
    if (digits % 2 || digits / 2 > RTCORE_CTL_MAX_PAYLOAD || unhex(hex, digits, out->data))
        return -EINVAL;
    out->verb = RTCORE_CTL_MSG_IN;
    out->len = digits / 2;
    return 0;
}

/* "peer <cid>" */
static int parse_peer(const char *p, size_t len, struct rtcore_ctl_cmd *out)
{
    if (len != 36 || rtcore_ctl_cid_parse(p, 36, out->cid))
        return -EINVAL;
    out->verb = RTCORE_CTL_PEER;
    out->gpio = 0, out->level = false, out->len = 0;
    return 0;
}

int rtcore_ctl_parse(const char *line, size_t len, struct rtcore_ctl_cmd *out)
{
    if (len && line[len - 1] == '\r')
        len--;
    static const struct {
        const char *word;
        enum rtcore_ctl_verb verb;
    } simple[] = {{"start", RTCORE_CTL_START}, {"stop", RTCORE_CTL_STOP}, {"status", RTCORE_CTL_STATUS},
                  {"msg-out-ack", RTCORE_CTL_MSG_OUT_ACK}};
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (word_is(line, len, simple[i].word)) {
            out->verb = simple[i].verb;
            out->gpio = 0, out->level = false, out->len = 0;
            return 0;
        }
    if (len > 8 && memcmp(line, "gpio-in ", 8) == 0)
        return parse_gpio_in(line + 8, len - 8, out);
    if (len > 7 && memcmp(line, "msg-in ", 7) == 0)
        return parse_msg_in(line + 7, len - 7, out);
    if (len > 5 && memcmp(line, "peer ", 5) == 0)
        return parse_peer(line + 5, len - 5, out);
    return -EINVAL;
}

size_t rtcore_ctl_escape(const char *in, size_t len, char *out, size_t out_size)
{
    size_t o = 0, i = 0;
    if (!out_size)
        return 0;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        char piece[5];
        size_t n;
        if (c == '\\')
            n = (size_t)snprintf(piece, sizeof piece, "\\\\");
        else if (c < 0x20 || c >= 0x7F)
            n = (size_t)snprintf(piece, sizeof piece, "\\x%02x", c);
        else
            piece[0] = (char)c, n = 1;
        if (o + n >= out_size)
            break;
        memcpy(out + o, piece, n);
        o += n;
    }
    out[o] = '\0';
    return i;
}

/* ---- events (helper -> supervisor) ---------------------------------------------------------- */

/* A decimal number of 1..20 digits, no sign or leading zero (but "0"), at most max; returns the
 * digits consumed, 0 if none fit. */
static size_t parse_u64(const char *p, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < len && p[i] >= '0' && p[i] <= '9') {
        unsigned d = (unsigned)(p[i] - '0');
        if ((i == 1 && p[0] == '0') || v > (max - d) / 10)
            return 0;
        v = v * 10 + d;
        i++;
    }
    *out = v;
    return i;
}

/* The whole of p[0..len) is a number <= max. */
static bool whole_u64(const char *p, size_t len, uint64_t max, uint64_t *out)
{
    return len && parse_u64(p, len, max, out) == len;
}

/* "<key>=<n>" at *p, followed by a space or the end; advances *p. */
static bool parse_field(const char **p, const char *end, const char *key, uint64_t *out)
{
    size_t klen = strlen(key);
    if ((size_t)(end - *p) <= klen || memcmp(*p, key, klen) || (*p)[klen] != '=')
        return false;
    *p += klen + 1;
    size_t n = parse_u64(*p, (size_t)(end - *p), UINT64_MAX, out);
    if (!n || (*p + n != end && (*p)[n] != ' '))
        return false;
    *p += n + (*p + n != end);
    return true;
}

static bool state_word(const char *p, size_t len, enum rtcore_ctl_state *out)
{
    static const char *const names[] = {[RTCORE_CTL_STATE_LOADED] = "loaded", [RTCORE_CTL_STATE_RUNNING] = "running",
                                        [RTCORE_CTL_STATE_ASLEEP] = "asleep", [RTCORE_CTL_STATE_STOPPED] = "stopped"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (word_is(p, len, names[i])) {
            *out = (enum rtcore_ctl_state)i;
            return true;
        }
    return false;
}

/* "state <loaded|running|asleep|stopped>" | "state crashed[ <reason>]" | "state exited <int>" */
static int parse_state(const char *p, size_t len, struct rtcore_ctl_event *ev)
{
    if (state_word(p, len, &ev->state))
        return 0;
    if (len >= 7 && memcmp(p, "crashed", 7) == 0 && (len == 7 || p[7] == ' ')) {
        ev->state = RTCORE_CTL_STATE_CRASHED;
        ev->text = len > 8 ? p + 8 : p + len;
        ev->text_len = len > 8 ? len - 8 : 0;
        return 0;
    }
    if (len > 7 && memcmp(p, "exited ", 7) == 0) {
        bool negative = p[7] == '-';
        uint64_t v;
        if (!whole_u64(p + 7 + negative, len - 7 - negative, negative ? (uint64_t)INT_MAX + 1 : INT_MAX, &v))
            return -EINVAL;
        ev->state = RTCORE_CTL_STATE_EXITED;
        ev->exit_status = negative ? (int)(-(int64_t)v) : (int)v;
        return 0;
    }
    return -EINVAL;
}

/* "status <state> instructions=<n> cycles=<n> exceptions=<n>" */
static int parse_status(const char *p, size_t len, struct rtcore_ctl_event *ev)
{
    const char *space = memchr(p, ' ', len), *end = p + len;
    if (!space || !state_word(p, (size_t)(space - p), &ev->state))
        return -EINVAL;
    const char *q = space + 1;
    if (!parse_field(&q, end, "instructions", &ev->instructions) || !parse_field(&q, end, "cycles", &ev->cycles) ||
        !parse_field(&q, end, "exceptions", &ev->exceptions) || q != end)
        return -EINVAL;
    return 0;
}

/* "uart ISU<0..4> <text>" */
static int parse_uart(const char *p, size_t len, struct rtcore_ctl_event *ev)
{
    if (len < 5 || memcmp(p, "ISU", 3) || p[3] < '0' || p[3] > '4' || p[4] != ' ')
        return -EINVAL;
    ev->isu = p[3] - '0';
    ev->text = p + 5, ev->text_len = len - 5;
    return 0;
}

/* "gpio <0..95> <0|1> <cycles>" */
static int parse_gpio(const char *p, size_t len, struct rtcore_ctl_event *ev)
{
    uint64_t gpio;
    size_t n = parse_u64(p, len, 95, &gpio);
    if (!n || len < n + 4 || p[n] != ' ' || (p[n + 1] != '0' && p[n + 1] != '1') || p[n + 2] != ' ' ||
        !whole_u64(p + n + 3, len - n - 3, UINT64_MAX, &ev->cycles))
        return -EINVAL;
    ev->gpio = (int)gpio;
    ev->level = p[n + 1] == '1';
    return 0;
}

/* "msg-out <cid> <hex>": the payload may be empty (then the line ends after the cid's space,
 * or after the cid). */
static int parse_msg_out(const char *p, size_t len, struct rtcore_ctl_event *ev)
{
    if (len < 36 || rtcore_ctl_cid_parse(p, 36, ev->cid))
        return -EINVAL;
    const char *hex = p + 36;
    size_t digits = len - 36;
    if (digits) {
        if (*hex != ' ')
            return -EINVAL;
        hex++, digits--;
    }
    if (digits % 2 || digits / 2 > RTCORE_CTL_MAX_PAYLOAD || unhex(hex, digits, ev->data))
        return -EINVAL;
    ev->len = digits / 2;
    return 0;
}

static int parse_text(const char *p, size_t len, struct rtcore_ctl_event *ev)
{
    ev->text = p, ev->text_len = len;
    return 0;
}

static int parse_gdb_port(const char *p, size_t len, struct rtcore_ctl_event *ev)
{
    uint64_t port;
    if (!whole_u64(p, len, 65535, &port) || !port)
        return -EINVAL;
    ev->port = (int)port;
    return 0;
}

static int parse_peer_closed(const char *p, size_t len, struct rtcore_ctl_event *ev)
{
    return whole_u64(p, len, UINT64_MAX, &ev->peer) ? 0 : -EINVAL;
}

int rtcore_ctl_event_parse(const char *line, size_t len, struct rtcore_ctl_event *out)
{
    static const struct {
        const char *word;
        enum rtcore_ctl_event_kind kind;
        int (*parse)(const char *args, size_t len, struct rtcore_ctl_event *ev); /* NULL: no arguments */
    } events[] = {
        {"state", RTCORE_CTL_EV_STATE, parse_state},       {"status", RTCORE_CTL_EV_STATUS, parse_status},
        {"log", RTCORE_CTL_EV_LOG, parse_text},            {"uart", RTCORE_CTL_EV_UART, parse_uart},
        {"gpio", RTCORE_CTL_EV_GPIO, parse_gpio},          {"error", RTCORE_CTL_EV_ERROR, parse_text},
        {"msg-ack", RTCORE_CTL_EV_MSG_ACK, NULL},          {"msg-out", RTCORE_CTL_EV_MSG_OUT, parse_msg_out},
        {"mbox-error", RTCORE_CTL_EV_MBOX_ERROR, parse_text}, {"gdb-port", RTCORE_CTL_EV_GDB_PORT, parse_gdb_port},
        {"peer-closed", RTCORE_CTL_EV_PEER_CLOSED, parse_peer_closed},  {"peer-dropped", RTCORE_CTL_EV_PEER_DROPPED, parse_text},
    };
    if (len && line[len - 1] == '\r')
        len--;
    memset(out, 0, offsetof(struct rtcore_ctl_event, data));
    out->len = 0;
    out->kind = RTCORE_CTL_EV_UNKNOWN;
    out->args = line + len;
    const char *space = memchr(line, ' ', len);
    size_t word_len = space ? (size_t)(space - line) : len;
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        if (!word_is(line, word_len, events[i].word))
            continue;
        out->kind = events[i].kind;
        if (!events[i].parse)
            return space ? -EINVAL : 0;
        if (!space)
            return -EINVAL;
        out->args = space + 1;
        out->args_len = len - word_len - 1;
        return events[i].parse(out->args, out->args_len, out);
    }
    return 0;
}
