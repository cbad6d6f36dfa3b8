/* rtcore_ctl.c — control protocol parsing and escaping (see rtcore_ctl.h). */
#include "rtcore_ctl.h"

#include <errno.h>
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
