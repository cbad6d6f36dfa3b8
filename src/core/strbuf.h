/* SPDX-License-Identifier: MIT */
/*
 * strbuf.h — a growable, always NUL-terminated byte buffer.
 *
 * Contract: a zero-initialised struct strbuf is an empty buffer. Appends return 0 or -ENOMEM;
 * after -ENOMEM the buffer keeps its previous contents. strbuf_free() releases the memory and
 * leaves an empty buffer. strbuf_detach() hands ownership of the bytes to the caller.
 */
#ifndef OPENSPHERE_CORE_STRBUF_H
#define OPENSPHERE_CORE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *data; /* NUL-terminated when len > 0 or after any append; may be NULL when empty */
    size_t len;
    size_t cap;
};

int strbuf_append(struct strbuf *sb, const char *bytes, size_t len);
int strbuf_puts(struct strbuf *sb, const char *s);
int strbuf_putc(struct strbuf *sb, char c);
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The contents as a C string; "" for an empty buffer. Valid until the next append. */
const char *strbuf_str(const struct strbuf *sb);
/* Transfers ownership of the bytes (a malloc'd, NUL-terminated string, never NULL unless
 * out of memory) to the caller and empties the buffer. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);

#endif
