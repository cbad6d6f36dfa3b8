/* SPDX-License-Identifier: MIT */
/* rtcore_gdb.c — GDB remote serial protocol state machine (see rtcore_gdb.h). */
#include "rtcore_gdb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"

static const char hexdigits[] = "0123456789abcdef";

static const char target_xml[] =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\"><target version=\"1.0\">"
    "<architecture>arm</architecture><feature name=\"org.gnu.gdb.arm.m-profile\">"
    "<reg name=\"r0\" bitsize=\"32\"/><reg name=\"r1\" bitsize=\"32\"/><reg name=\"r2\" bitsize=\"32\"/>"
    "<reg name=\"r3\" bitsize=\"32\"/><reg name=\"r4\" bitsize=\"32\"/><reg name=\"r5\" bitsize=\"32\"/>"
    "<reg name=\"r6\" bitsize=\"32\"/><reg name=\"r7\" bitsize=\"32\"/><reg name=\"r8\" bitsize=\"32\"/>"
    "<reg name=\"r9\" bitsize=\"32\"/><reg name=\"r10\" bitsize=\"32\"/><reg name=\"r11\" bitsize=\"32\"/>"
    "<reg name=\"r12\" bitsize=\"32\"/><reg name=\"sp\" bitsize=\"32\" type=\"data_ptr\"/>"
    "<reg name=\"lr\" bitsize=\"32\"/><reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\"/>"
    "<reg name=\"xpsr\" bitsize=\"32\"/></feature></target>";

void rtcore_gdb_init(struct rtcore_gdb *g, const struct rtcore_gdb_target *t)
{
    memset(g, 0, sizeof *g);
    g->t = *t;
}

static void send_raw(struct rtcore_gdb *g, const char *s, size_t n) { g->t.send(g->t.ctx, s, n); }

/* Sends $data#cs. data never holds '$', '#' or '}' (hex, fixed words, the XML above). */
static void reply_n(struct rtcore_gdb *g, const char *data, size_t n)
{
    static char frame[2 * RTCORE_GDB_MAX_MEM + 1024];
    uint8_t sum = 0;
    if (n + 4 > sizeof frame)
        n = 0;
    frame[0] = '$';
    for (size_t i = 0; i < n; i++) {
        frame[1 + i] = data[i];
        sum = (uint8_t)(sum + (uint8_t)data[i]);
    }
    frame[1 + n] = '#';
    frame[2 + n] = hexdigits[sum >> 4];
    frame[3 + n] = hexdigits[sum & 15];
    send_raw(g, frame, n + 4);
}

static void reply(struct rtcore_gdb *g, const char *s) { reply_n(g, s, strlen(s)); }

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Parses a hex number of at most 8 digits at *p, moving *p past it. */
static bool parse_hex(const char **p, const char *end, uint32_t *out)
{
    uint32_t v = 0;
    int n = 0;
    while (*p < end && hexval(**p) >= 0) {
        if (++n > 8)
            return false;
        v = v << 4 | (uint32_t)hexval(**p);
        (*p)++;
    }
    *out = v;
    return n > 0;
}

static void put_word(char *out, uint32_t v) /* target (little-endian) byte order */
{
    uint8_t b[4];
    bytes_put_le32(b, v);
    for (int i = 0; i < 4; i++) {
        out[2 * i] = hexdigits[b[i] >> 4];
        out[2 * i + 1] = hexdigits[b[i] & 15];
    }
}

static bool get_bytes(const char *s, size_t n_bytes, uint8_t *out)
{
    for (size_t i = 0; i < n_bytes; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool get_word(const char *s, uint32_t *v)
{
    uint8_t b[4];
    if (!get_bytes(s, 4, b))
        return false;
    *v = bytes_le32(b);
    return true;
}

static void cmd_read_regs(struct rtcore_gdb *g)
{
    uint32_t r[RTCORE_GDB_REGS];
    char out[RTCORE_GDB_REGS * 8];
    g->t.read_regs(g->t.ctx, r);
    for (int i = 0; i < RTCORE_GDB_REGS; i++)
        put_word(out + 8 * i, r[i]);
    reply_n(g, out, sizeof out);
}

static void cmd_write_regs(struct rtcore_gdb *g, const char *p, size_t n)
{
    uint32_t v[RTCORE_GDB_REGS];
    if (n < 8 || n % 8 || n / 8 > RTCORE_GDB_REGS) {
        reply(g, "E01");
        return;
    }
    for (size_t i = 0; i < n / 8; i++)
        if (!get_word(p + 8 * i, &v[i])) {
            reply(g, "E01");
            return;
        }
    for (size_t i = 0; i < n / 8; i++)
        g->t.write_reg(g->t.ctx, (int)i, v[i]);
    reply(g, "OK");
}

static void cmd_reg(struct rtcore_gdb *g, const char *p, const char *end, bool write)
{
    uint32_t n, v = 0;
    if (!parse_hex(&p, end, &n) || (write && (p + 9 != end || *p != '=' || !get_word(p + 1, &v))) || (!write && p != end)) {
        reply(g, "E01");
        return;
    }
    if (n >= RTCORE_GDB_REGS) {
        reply(g, "E01");
        return;
    }
    if (write) {
        g->t.write_reg(g->t.ctx, (int)n, v);
        reply(g, "OK");
        return;
    }
    uint32_t r[RTCORE_GDB_REGS];
    char out[8];
    g->t.read_regs(g->t.ctx, r);
    put_word(out, r[n]);
    reply_n(g, out, 8);
}

/* addr,len followed by `stop` (or the end). */
static bool parse_addr_len(const char **p, const char *end, uint32_t *addr, uint32_t *len)
{
    return parse_hex(p, end, addr) && *p < end && *(*p)++ == ',' && parse_hex(p, end, len);
}

static void cmd_mem(struct rtcore_gdb *g, const char *p, const char *end, bool write)
{
    static uint8_t buf[RTCORE_GDB_MAX_MEM];
    static char out[2 * RTCORE_GDB_MAX_MEM];
    uint32_t addr, len;
    if (!parse_addr_len(&p, end, &addr, &len) || len > RTCORE_GDB_MAX_MEM ||
        (write ? (p >= end || *p != ':' || (size_t)(end - p - 1) != 2 * (size_t)len || !get_bytes(p + 1, len, buf))
               : p != end)) {
        reply(g, "E01");
        return;
    }
    if ((uint64_t)addr + len > 0x100000000ull) {
        reply(g, "E02");
        return;
    }
    if (write) {
        reply(g, !len || !g->t.write_mem(g->t.ctx, addr, buf, len) ? "OK" : "E02");
        return;
    }
    if (len && g->t.read_mem(g->t.ctx, addr, buf, len)) {
        reply(g, "E02");
        return;
    }
    for (uint32_t i = 0; i < len; i++) {
        out[2 * i] = hexdigits[buf[i] >> 4];
        out[2 * i + 1] = hexdigits[buf[i] & 15];
    }
    reply_n(g, out, 2 * (size_t)len);
}

static void cmd_breakpoint(struct rtcore_gdb *g, const char *p, const char *end, bool set)
{
    uint32_t addr, kind;
    if (p >= end || (p[0] != '0' && p[0] != '1')) {
        reply(g, ""); /* Z2-Z4 (watchpoints): not supported */
        return;
    }
    if (p + 1 >= end || p[1] != ',') {
        reply(g, "E01");
        return;
    }
    p += 2;
    if (!parse_addr_len(&p, end, &addr, &kind) || (p != end && *p != ';') || (kind != 2 && kind != 3 && kind != 4)) {
        reply(g, "E01");
        return;
    }
    int err = g->t.breakpoint(g->t.ctx, addr & ~1u, set);
    reply(g, !err ? "OK" : err == -ENOSPC ? "E03" : "E02");
}

/* qXfer:features:read:target.xml:offset,length */
static void cmd_xfer(struct rtcore_gdb *g, const char *p, const char *end)
{
    static const char prefix[] = "features:read:target.xml:";
    size_t pl = sizeof prefix - 1;
    uint32_t off, len;
    if ((size_t)(end - p) < pl || memcmp(p, prefix, pl)) {
        reply(g, "");
        return;
    }
    p += pl;
    if (!parse_addr_len(&p, end, &off, &len) || p != end) {
        reply(g, "E01");
        return;
    }
    size_t total = sizeof target_xml - 1;
    if (off >= total) {
        reply(g, "l");
        return;
    }
    size_t n = total - off;
    if (len > RTCORE_GDB_MAX_MEM)
        len = RTCORE_GDB_MAX_MEM;
    if (n > len)
        n = len;
    static char out[RTCORE_GDB_MAX_MEM + 1];
    out[0] = off + n < total ? 'm' : 'l';
    memcpy(out + 1, target_xml + off, n);
    reply_n(g, out, n + 1);
}

static bool is(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && !memcmp(p, word, n);
}

/* Runs one complete packet; returns the action it asks for. */
static enum rtcore_gdb_action packet(struct rtcore_gdb *g, const char *p, size_t n)
{
    const char *end = p + n;
    g->packets++;
    if (!n) {
        reply(g, "");
        return RTCORE_GDB_NONE;
    }
    switch (p[0]) {
    case '?': reply(g, "S05"); return RTCORE_GDB_NONE;
    case 'g': if (n == 1) cmd_read_regs(g); else reply(g, "E01"); return RTCORE_GDB_NONE;
    case 'G': cmd_write_regs(g, p + 1, n - 1); return RTCORE_GDB_NONE;
    case 'p': cmd_reg(g, p + 1, end, false); return RTCORE_GDB_NONE;
    case 'P': cmd_reg(g, p + 1, end, true); return RTCORE_GDB_NONE;
    case 'm': cmd_mem(g, p + 1, end, false); return RTCORE_GDB_NONE;
    case 'M': cmd_mem(g, p + 1, end, true); return RTCORE_GDB_NONE;
    case 'Z': cmd_breakpoint(g, p + 1, end, true); return RTCORE_GDB_NONE;
    case 'z': cmd_breakpoint(g, p + 1, end, false); return RTCORE_GDB_NONE;
    case 'H': reply(g, "OK"); return RTCORE_GDB_NONE;
    case 'T': reply(g, "OK"); return RTCORE_GDB_NONE;
    case 'k': return RTCORE_GDB_KILL;
    case 'D': reply(g, "OK"); return RTCORE_GDB_DETACH;
    case 'c':
    case 's': {
        const char *q = p + 1;
        uint32_t addr;
        if (q < end) { /* c ADDR: resume at ADDR */
            if (!parse_hex(&q, end, &addr) || q != end) {
                reply(g, "E01");
                return RTCORE_GDB_NONE;
            }
            g->t.write_reg(g->t.ctx, 15, addr);
        }
        g->running = true;
        return p[0] == 'c' ? RTCORE_GDB_CONTINUE : RTCORE_GDB_STEP;
    }
    case 'v':
        if (is(p, end, "vCont?")) {
            reply(g, "vCont;c;C;s;S");
        } else if (is(p, end, "vCont;") && n > 6 && strchr("cCsS", p[6])) {
            g->running = true;
            return p[6] == 'c' || p[6] == 'C' ? RTCORE_GDB_CONTINUE : RTCORE_GDB_STEP;
        } else if (is(p, end, "vKill")) {
            reply(g, "OK");
            return RTCORE_GDB_KILL;
        } else {
            reply(g, "");
        }
        return RTCORE_GDB_NONE;
    case 'q':
        if (is(p, end, "qSupported"))
            reply(g, "PacketSize=1000;qXfer:features:read+");
        else if (is(p, end, "qAttached"))
            reply(g, "1");
        else if (is(p, end, "qC") && n == 2)
            reply(g, "QC1");
        else if (is(p, end, "qfThreadInfo"))
            reply(g, "m1");
        else if (is(p, end, "qsThreadInfo"))
            reply(g, "l");
        else if (is(p, end, "qXfer:"))
            cmd_xfer(g, p + 6, end);
        else
            reply(g, "");
        return RTCORE_GDB_NONE;
    default: reply(g, ""); return RTCORE_GDB_NONE;
    }
}

enum rtcore_gdb_action rtcore_gdb_feed(struct rtcore_gdb *g, const uint8_t *bytes, size_t len, size_t *used)
{
    enum rtcore_gdb_action act = RTCORE_GDB_NONE;
    size_t i = 0;
    for (; i < len && act == RTCORE_GDB_NONE; i++) {
        uint8_t c = bytes[i];
        switch (g->st) {
        case GDB_IDLE:
            if (c == 0x03 && g->running)
                act = RTCORE_GDB_INTERRUPT;
            else if (c == '$')
                g->st = GDB_DATA, g->len = 0, g->sum = 0, g->overflow = false;
            /* '+', '-' (acks: nothing is retransmitted) and noise are ignored */
            break;
        case GDB_DATA:
            if (c == '#') {
                g->st = GDB_SUM1;
            } else if (c == '$') { /* a new packet before the end of this one: start again */
                g->len = 0, g->sum = 0, g->overflow = false;
            } else {
                g->sum = (uint8_t)(g->sum + c);
                if (g->len < RTCORE_GDB_MAX_PACKET)
                    g->pkt[g->len++] = (char)c;
                else
                    g->overflow = true;
            }
            break;
        case GDB_SUM1: {
            int hi = hexval((char)c);
            if (hi < 0) {
                g->st = GDB_IDLE;
                g->bad_checksums++;
                send_raw(g, "-", 1);
            } else {
                g->got_sum = (uint8_t)(hi << 4);
                g->st = GDB_SUM2;
            }
            break;
        }
        case GDB_SUM2: {
            g->st = GDB_IDLE;
            int lo = hexval((char)c);
            if (lo < 0 || (uint8_t)(g->got_sum | lo) != g->sum) {
                g->bad_checksums++;
                send_raw(g, "-", 1);
                break;
            }
            send_raw(g, "+", 1);
            if (g->overflow) {
                reply(g, "E01");
                break;
            }
            if (g->running) /* only 0x03 is expected while the core runs */
                break;
            act = packet(g, g->pkt, g->len);
            break;
        }
        }
    }
    *used = i;
    return act;
}

void rtcore_gdb_stopped(struct rtcore_gdb *g, int signal)
{
    uint32_t r[RTCORE_GDB_REGS];
    char out[32];
    g->running = false;
    g->t.read_regs(g->t.ctx, r);
    int n = snprintf(out, sizeof out, "T%02x0f:", signal & 0xFF);
    put_word(out + n, r[15]);
    out[n + 8] = ';';
    reply_n(g, out, (size_t)n + 9);
}

void rtcore_gdb_ended(struct rtcore_gdb *g, bool exited, int code)
{
    char out[8];
    g->running = false;
    snprintf(out, sizeof out, "%c%02x", exited ? 'W' : 'X', code & 0xFF);
    reply(g, out);
}
