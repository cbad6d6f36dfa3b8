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
    *out = (struct rtcore_ctl_cmd){RTCORE_CTL_GPIO_IN, gpio, p[i + 1] == '1'};
    return 0;
}

int rtcore_ctl_parse(const char *line, size_t len, struct rtcore_ctl_cmd *out)
{
    if (len && line[len - 1] == '\r')
        len--;
    static const struct {
        const char *word;
        enum rtcore_ctl_verb verb;
    } simple[] = {{"start", RTCORE_CTL_START}, {"stop", RTCORE_CTL_STOP}, {"status", RTCORE_CTL_STATUS}};
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (word_is(line, len, simple[i].word)) {
            *out = (struct rtcore_ctl_cmd){simple[i].verb, 0, false};
            return 0;
        }
    if (len > 8 && memcmp(line, "gpio-in ", 8) == 0)
        return parse_gpio_in(line + 8, len - 8, out);
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
