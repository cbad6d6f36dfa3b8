/* SPDX-License-Identifier: MIT */
/* strbuf.c — growable NUL-terminated buffer (see strbuf.h). */
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int strbuf_reserve(struct strbuf *sb, size_t extra)
{
    if (extra > (size_t)-1 - sb->len - 1)
        return -ENOMEM;
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    char *data = realloc(sb->data, cap);
    if (!data)
        return -ENOMEM;
    sb->data = data;
    sb->cap = cap;
    return 0;
}

int strbuf_append(struct strbuf *sb, const char *bytes, size_t len)
{
    int err = strbuf_reserve(sb, len);
    if (err)
        return err;
    if (len)
        memcpy(sb->data + sb->len, bytes, len);
    sb->len += len;
    sb->data[sb->len] = '\0';
    return 0;
}

int strbuf_puts(struct strbuf *sb, const char *s) { return strbuf_append(sb, s, strlen(s)); }

int strbuf_putc(struct strbuf *sb, char c) { return strbuf_append(sb, &c, 1); }

int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return -EINVAL;
    int err = strbuf_reserve(sb, (size_t)n);
    if (err)
        return err;
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
    return err;
}

const char *strbuf_str(const struct strbuf *sb) { return sb->data ? sb->data : ""; }

char *strbuf_detach(struct strbuf *sb)
{
    char *s = sb->data ? sb->data : strdup("");
    sb->data = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void strbuf_free(struct strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
}
