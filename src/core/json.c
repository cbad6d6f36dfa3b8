/* SPDX-License-Identifier: MIT */
/* json.c — position-keeping JSON reader, builder and writer (see json.h). */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *text;
    size_t len;
    size_t at;
    unsigned line;
    unsigned col;
    unsigned depth;
    unsigned max_depth;
    bool trailing_commas;
    const char *file;
    struct diag_list *diags;
    bool failed; /* a syntax error has been reported */
    bool oom;
};

/* ---- input cursor ------------------------------------------------------------------------ */

static struct json_pos here(const struct parser *p) { return (struct json_pos){p->line, p->col}; }

static int peek(const struct parser *p) { return p->at < p->len ? (unsigned char)p->text[p->at] : -1; }

/* Advances one byte; columns advance per character (not on UTF-8 continuation bytes). */
static void advance(struct parser *p)
{
    unsigned char c = (unsigned char)p->text[p->at++];
    if (c == '\n') {
        p->line++;
        p->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        p->col++;
    }
}

static int syntax_error_at(struct parser *p, struct json_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int syntax_error_at(struct parser *p, struct json_pos pos, const char *fmt, ...)
{
    if (!p->failed) {
        char message[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        diag_add(p->diags, DIAG_ERROR, p->file, pos.line, pos.col, NULL, "invalid JSON: %s", message);
    }
    p->failed = true;
    return -EINVAL;
}

static const char *describe_char(int c, char buf[16])
{
    if (c < 0)
        return "end of file";
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", (unsigned)c);
    return buf;
}

static int unexpected(struct parser *p, const char *expected)
{
    char buf[16];
    return syntax_error_at(p, here(p), "expected %s, found %s", expected, describe_char(peek(p), buf));
}

static void skip_space(struct parser *p)
{
    for (;;) {
        int c = peek(p);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        advance(p);
    }
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. Rejects overlongs and surrogates. */
static size_t utf8_sequence_length(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* ---- values ------------------------------------------------------------------------------- */

static struct json_value *new_value(struct parser *p, enum json_type type, struct json_pos pos)
{
    struct json_value *v = calloc(1, sizeof *v);
    if (!v) {
        p->oom = true;
        return NULL;
    }
    v->type = type;
    v->pos = pos;
    return v;
}

static int parse_value(struct parser *p, struct json_value **out);

static int expect_literal(struct parser *p, const char *word)
{
    struct json_pos pos = here(p);
    for (const char *w = word; *w; w++) {
        if (peek(p) != *w)
            return syntax_error_at(p, pos, "unknown literal (expected '%s')", word);
        advance(p);
    }
    return 0;
}

static void put_utf8(char *dst, size_t *n, uint32_t cp)
{
    if (cp < 0x80) {
        dst[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        dst[(*n)++] = (char)(0xC0 | (cp >> 6));
        dst[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        dst[(*n)++] = (char)(0xE0 | (cp >> 12));
        dst[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        dst[(*n)++] = (char)(0xF0 | (cp >> 18));
        dst[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        dst[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static int read_hex4(struct parser *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int c = peek(p);
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return unexpected(p, "a hexadecimal digit in a \\u escape");
        v = v * 16 + (uint32_t)d;
        advance(p);
    }
    *out = v;
    return 0;
}

static int parse_escape(struct parser *p, char *dst, size_t *n)
{
    struct json_pos pos = here(p);
    advance(p); /* backslash */
    int c = peek(p);
    const char *from = "\"\\/bfnrt";
    const char *to = "\"\\/\b\f\n\r\t";
    const char *hit = c > 0 ? strchr(from, c) : NULL;
    if (hit && c != 0) {
        dst[(*n)++] = to[hit - from];
        advance(p);
        return 0;
    }
    if (c != 'u')
        return syntax_error_at(p, pos, "invalid escape sequence in a string");
    advance(p);
    uint32_t cp;
    int err = read_hex4(p, &cp);
    if (err)
        return err;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return syntax_error_at(p, pos, "unpaired low surrogate in a \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (peek(p) != '\\')
            return syntax_error_at(p, pos, "unpaired high surrogate in a \\u escape");
        advance(p);
        if (peek(p) != 'u')
            return syntax_error_at(p, pos, "unpaired high surrogate in a \\u escape");
        advance(p);
        uint32_t low;
        err = read_hex4(p, &low);
        if (err)
            return err;
        if (low < 0xDC00 || low > 0xDFFF)
            return syntax_error_at(p, pos, "unpaired high surrogate in a \\u escape");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp == 0)
        return syntax_error_at(p, pos, "\\u0000 (a NUL character) is not supported in strings");
    put_utf8(dst, n, cp);
    return 0;
}

/* Parses a string at the cursor (which is on the opening quote) into a fresh buffer. */
static int parse_string_chars(struct parser *p, char **out, size_t *out_len)
{
    struct json_pos start = here(p);
    advance(p); /* opening quote */
    /* The decoded string is never longer than its source text. */
    size_t cap = 1;
    for (size_t i = p->at; i < p->len && p->text[i] != '"'; i++) {
        cap++;
        if (p->text[i] == '\\' && i + 1 < p->len)
            i++, cap++;
    }
    char *buf = malloc(cap);
    if (!buf) {
        p->oom = true;
        return -ENOMEM;
    }
    size_t n = 0;
    for (;;) {
        int c = peek(p);
        if (c < 0) {
            free(buf);
            return syntax_error_at(p, start, "unterminated string");
        }
        if (c == '"') {
            advance(p);
            break;
        }
        if (c < 0x20) {
            free(buf);
            return syntax_error_at(p, here(p), "control character (byte 0x%02x) inside a string; "
                                               "write it as an escape", (unsigned)c);
        }
        if (c == '\\') {
            int err = parse_escape(p, buf, &n);
            if (err) {
                free(buf);
                return err;
            }
            continue;
        }
        size_t seq = utf8_sequence_length((const unsigned char *)p->text + p->at, p->len - p->at);
        if (seq == 0) {
            free(buf);
            return syntax_error_at(p, here(p), "invalid UTF-8 in a string");
        }
        for (size_t i = 0; i < seq; i++) {
            buf[n++] = p->text[p->at];
            advance(p);
        }
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
}

static int parse_number(struct parser *p, struct json_value **out)
{
    struct json_pos pos = here(p);
    size_t start = p->at;
    bool integral = true;
    if (peek(p) == '-')
        advance(p);
    if (peek(p) == '0') {
        advance(p);
        if (peek(p) >= '0' && peek(p) <= '9')
            return syntax_error_at(p, pos, "numbers may not have leading zeros");
    } else if (peek(p) >= '1' && peek(p) <= '9') {
        while (peek(p) >= '0' && peek(p) <= '9')
            advance(p);
    } else {
        return unexpected(p, "a digit");
    }
    if (peek(p) == '.') {
        integral = false;
        advance(p);
        if (!(peek(p) >= '0' && peek(p) <= '9'))
            return unexpected(p, "a digit after the decimal point");
        while (peek(p) >= '0' && peek(p) <= '9')
            advance(p);
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        integral = false;
        advance(p);
        if (peek(p) == '+' || peek(p) == '-')
            advance(p);
        if (!(peek(p) >= '0' && peek(p) <= '9'))
            return unexpected(p, "a digit in the exponent");
        while (peek(p) >= '0' && peek(p) <= '9')
            advance(p);
    }
    size_t n = p->at - start;
    struct json_value *v = new_value(p, JSON_NUMBER, pos);
    char *digits = v ? strndup(p->text + start, n) : NULL;
    if (!digits) {
        free(v);
        p->oom = true;
        return -ENOMEM;
    }
    v->u.number.real = strtod(digits, NULL);
    if (integral) {
        errno = 0;
        long long ll = strtoll(digits, NULL, 10);
        if (errno == 0) {
            v->u.number.integer = ll;
            v->u.number.is_integer = true;
        }
    }
    free(digits);
    *out = v;
    return 0;
}

static int grow(struct parser *p, void **items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *n = realloc(*items, ncap * size);
    if (!n) {
        p->oom = true;
        return -ENOMEM;
    }
    *items = n;
    *cap = ncap;
    return 0;
}

static int enter(struct parser *p)
{
    if (++p->depth > p->max_depth)
        return syntax_error_at(p, here(p), "nesting deeper than %u levels", p->max_depth);
    return 0;
}

static int parse_array(struct parser *p, struct json_value **out)
{
    struct json_value *arr = new_value(p, JSON_ARRAY, here(p));
    if (!arr)
        return -ENOMEM;
    *out = arr;
    int err = enter(p);
    if (err)
        return err;
    advance(p); /* [ */
    size_t cap = 0;
    skip_space(p);
    if (peek(p) == ']') {
        advance(p);
        p->depth--;
        return 0;
    }
    for (;;) {
        skip_space(p);
        if (peek(p) == ']' && arr->u.array.count > 0 && p->trailing_commas) {
            advance(p);
            break;
        }
        err = grow(p, (void **)&arr->u.array.items, &cap, arr->u.array.count, sizeof(struct json_value *));
        if (err)
            return err;
        struct json_value *item = NULL;
        err = parse_value(p, &item);
        if (item)
            arr->u.array.items[arr->u.array.count++] = item;
        if (err)
            return err;
        skip_space(p);
        if (peek(p) == ',') {
            advance(p);
            continue;
        }
        if (peek(p) == ']') {
            advance(p);
            break;
        }
        return unexpected(p, "',' or ']' in an array");
    }
    p->depth--;
    return 0;
}

static int parse_object(struct parser *p, struct json_value **out)
{
    struct json_value *obj = new_value(p, JSON_OBJECT, here(p));
    if (!obj)
        return -ENOMEM;
    *out = obj;
    int err = enter(p);
    if (err)
        return err;
    advance(p); /* { */
    size_t cap = 0;
    skip_space(p);
    if (peek(p) == '}') {
        advance(p);
        p->depth--;
        return 0;
    }
    for (;;) {
        skip_space(p);
        if (peek(p) == '}' && obj->u.object.count > 0 && p->trailing_commas) {
            advance(p);
            break;
        }
        if (peek(p) != '"')
            return unexpected(p, "a string key in an object");
        err = grow(p, (void **)&obj->u.object.members, &cap, obj->u.object.count, sizeof(struct json_member));
        if (err)
            return err;
        struct json_member m = {.key_pos = here(p)};
        size_t key_len;
        err = parse_string_chars(p, &m.key, &key_len);
        if (err)
            return err;
        const struct json_member *first = json_object_member(obj, m.key);
        if (first)
            diag_add(p->diags, DIAG_ERROR, p->file, m.key_pos.line, m.key_pos.col, NULL,
                     "duplicate key \"%s\" (first defined at line %u, column %u)", m.key,
                     first->key_pos.line, first->key_pos.col);
        obj->u.object.members[obj->u.object.count++] = m;
        skip_space(p);
        if (peek(p) != ':')
            return unexpected(p, "':' after an object key");
        advance(p);
        skip_space(p);
        err = parse_value(p, &obj->u.object.members[obj->u.object.count - 1].value);
        if (err)
            return err;
        skip_space(p);
        if (peek(p) == ',') {
            advance(p);
            continue;
        }
        if (peek(p) == '}') {
            advance(p);
            break;
        }
        return unexpected(p, "',' or '}' in an object");
    }
    p->depth--;
    return 0;
}

static int parse_value(struct parser *p, struct json_value **out)
{
    skip_space(p);
    struct json_pos pos = here(p);
    int c = peek(p);
    int err;
    switch (c) {
    case '{':
        return parse_object(p, out);
    case '[':
        return parse_array(p, out);
    case '"': {
        struct json_value *v = new_value(p, JSON_STRING, pos);
        if (!v)
            return -ENOMEM;
        *out = v;
        return parse_string_chars(p, &v->u.string.chars, &v->u.string.len);
    }
    case 't':
    case 'f': {
        err = expect_literal(p, c == 't' ? "true" : "false");
        if (err)
            return err;
        struct json_value *v = new_value(p, JSON_BOOL, pos);
        if (!v)
            return -ENOMEM;
        v->u.boolean = c == 't';
        *out = v;
        return 0;
    }
    case 'n':
        err = expect_literal(p, "null");
        if (err)
            return err;
        *out = new_value(p, JSON_NULL, pos);
        return *out ? 0 : -ENOMEM;
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(p, out);
        if (c == ',' || c == ']' || c == '}') {
            char buf[16];
            return syntax_error_at(p, pos, "expected a value, found %s%s", describe_char(c, buf),
                                   c == ',' ? "" : " (a trailing comma?)");
        }
        return unexpected(p, "a value");
    }
}

int json_parse(const char *text, size_t len, const struct json_options *options, const char *file,
               struct diag_list *diags, struct json_value **out)
{
    struct parser p = {
        .text = text,
        .len = len,
        .line = 1,
        .col = 1,
        .max_depth = options && options->max_depth ? options->max_depth : 64,
        .trailing_commas = options && options->allow_trailing_commas,
        .file = file,
        .diags = diags,
    };
    *out = NULL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        p.at = 3;
    struct json_value *root = NULL;
    int err = parse_value(&p, &root);
    if (!err) {
        skip_space(&p);
        if (peek(&p) >= 0)
            err = unexpected(&p, "end of file after the top-level value");
    }
    if (p.oom) {
        diag_add(diags, DIAG_ERROR, file, 0, 0, NULL, "out of memory while reading JSON");
        err = -ENOMEM;
    }
    if (err) {
        json_free(root);
        return err;
    }
    *out = root;
    return 0;
}

void json_free(struct json_value *v)
{
    if (!v)
        return;
    switch (v->type) {
    case JSON_STRING:
        free(v->u.string.chars);
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < v->u.array.count; i++)
            json_free(v->u.array.items[i]);
        free(v->u.array.items);
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < v->u.object.count; i++) {
            free(v->u.object.members[i].key);
            json_free(v->u.object.members[i].value);
        }
        free(v->u.object.members);
        break;
    default:
        break;
    }
    free(v);
}

const char *json_type_phrase(enum json_type type)
{
    static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
    return names[type];
}

const struct json_member *json_object_member(const struct json_value *object, const char *key)
{
    if (!object || object->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < object->u.object.count; i++)
        if (strcmp(object->u.object.members[i].key, key) == 0)
            return &object->u.object.members[i];
    return NULL;
}

const struct json_value *json_object_get(const struct json_value *object, const char *key)
{
    const struct json_member *m = json_object_member(object, key);
    return m ? m->value : NULL;
}

/* ---- builders ----------------------------------------------------------------------------- */

static struct json_value *build(enum json_type type)
{
    struct json_value *v = calloc(1, sizeof *v);
    if (v)
        v->type = type;
    return v;
}

struct json_value *json_new_null(void) { return build(JSON_NULL); }

struct json_value *json_new_bool(bool b)
{
    struct json_value *v = build(JSON_BOOL);
    if (v)
        v->u.boolean = b;
    return v;
}

struct json_value *json_new_int(int64_t n)
{
    struct json_value *v = build(JSON_NUMBER);
    if (v) {
        v->u.number.integer = n;
        v->u.number.real = (double)n;
        v->u.number.is_integer = true;
    }
    return v;
}

struct json_value *json_new_string(const char *s)
{
    struct json_value *v = build(JSON_STRING);
    if (!v)
        return NULL;
    v->u.string.chars = strdup(s);
    if (!v->u.string.chars) {
        free(v);
        return NULL;
    }
    v->u.string.len = strlen(s);
    return v;
}

struct json_value *json_new_array(void) { return build(JSON_ARRAY); }

struct json_value *json_new_object(void) { return build(JSON_OBJECT); }

int json_array_append(struct json_value *array, struct json_value *child)
{
    if (!child)
        return -ENOMEM;
    struct json_value **items = realloc(array->u.array.items, (array->u.array.count + 1) * sizeof *items);
    if (!items) {
        json_free(child);
        return -ENOMEM;
    }
    items[array->u.array.count++] = child;
    array->u.array.items = items;
    return 0;
}

int json_object_append(struct json_value *object, const char *key, struct json_value *child)
{
    if (!child)
        return -ENOMEM;
    char *k = strdup(key);
    struct json_member *members =
        k ? realloc(object->u.object.members, (object->u.object.count + 1) * sizeof *members) : NULL;
    if (!members) {
        free(k);
        json_free(child);
        return -ENOMEM;
    }
    members[object->u.object.count++] = (struct json_member){.key = k, .value = child};
    object->u.object.members = members;
    return 0;
}

int json_object_set(struct json_value *object, const char *key, struct json_value *child)
{
    if (!child)
        return -ENOMEM;
    for (size_t i = 0; i < object->u.object.count; i++)
        if (strcmp(object->u.object.members[i].key, key) == 0) {
            json_free(object->u.object.members[i].value);
            object->u.object.members[i].value = child;
            return 0;
        }
    return json_object_append(object, key, child);
}

int json_object_remove(struct json_value *object, const char *key)
{
    for (size_t i = 0; i < object->u.object.count; i++)
        if (strcmp(object->u.object.members[i].key, key) == 0) {
            free(object->u.object.members[i].key);
            json_free(object->u.object.members[i].value);
            memmove(&object->u.object.members[i], &object->u.object.members[i + 1],
                    (object->u.object.count - i - 1) * sizeof object->u.object.members[0]);
            object->u.object.count--;
            return 0;
        }
    return -ENOENT;
}

struct json_value *json_clone(const struct json_value *v)
{
    struct json_value *c = build(v->type);
    if (!c)
        return NULL;
    c->pos = v->pos;
    switch (v->type) {
    case JSON_STRING:
        json_free(c);
        c = json_new_string(v->u.string.chars);
        if (c)
            c->pos = v->pos;
        return c;
    case JSON_ARRAY:
        for (size_t i = 0; i < v->u.array.count; i++)
            if (json_array_append(c, json_clone(v->u.array.items[i]))) {
                json_free(c);
                return NULL;
            }
        return c;
    case JSON_OBJECT:
        for (size_t i = 0; i < v->u.object.count; i++) {
            const struct json_member *m = &v->u.object.members[i];
            if (json_object_append(c, m->key, json_clone(m->value))) {
                json_free(c);
                return NULL;
            }
            c->u.object.members[i].key_pos = m->key_pos;
        }
        return c;
    default:
        c->u = v->u;
        return c;
    }
}

/* ---- writer ------------------------------------------------------------------------------- */

int json_write_string(const char *s, struct strbuf *out)
{
    int err = strbuf_putc(out, '"');
    for (const unsigned char *c = (const unsigned char *)s; !err && *c; c++) {
        switch (*c) {
        case '"': err = strbuf_puts(out, "\\\""); break;
        case '\\': err = strbuf_puts(out, "\\\\"); break;
        case '\n': err = strbuf_puts(out, "\\n"); break;
        case '\r': err = strbuf_puts(out, "\\r"); break;
        case '\t': err = strbuf_puts(out, "\\t"); break;
        case '\b': err = strbuf_puts(out, "\\b"); break;
        case '\f': err = strbuf_puts(out, "\\f"); break;
        default:
            err = *c < 0x20 ? strbuf_printf(out, "\\u%04x", *c) : strbuf_putc(out, (char)*c);
        }
    }
    return err ? err : strbuf_putc(out, '"');
}

/* A non-integral number keeps a fraction or exponent, so reading it back gives a real again
 * (e.g. -0.0 is written "-0.0", not "-0", which would read as the integer 0). */
static int write_real(double real, struct strbuf *out)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", real);
    if (!strpbrk(buf, ".eE"))
        strcat(buf, ".0");
    return strbuf_puts(out, buf);
}

static int write_indent(struct strbuf *out, enum json_style style, unsigned depth)
{
    if (style != JSON_PRETTY)
        return 0;
    int err = strbuf_putc(out, '\n');
    for (unsigned i = 0; !err && i < depth; i++)
        err = strbuf_puts(out, "  ");
    return err;
}

static int write_value(const struct json_value *v, enum json_style style, unsigned depth, struct strbuf *out)
{
    int err = 0;
    switch (v->type) {
    case JSON_NULL:
        return strbuf_puts(out, "null");
    case JSON_BOOL:
        return strbuf_puts(out, v->u.boolean ? "true" : "false");
    case JSON_NUMBER:
        if (v->u.number.is_integer)
            return strbuf_printf(out, "%lld", (long long)v->u.number.integer);
        if (!isfinite(v->u.number.real))
            return strbuf_puts(out, "null");
        return write_real(v->u.number.real, out);
    case JSON_STRING:
        return json_write_string(v->u.string.chars, out);
    case JSON_ARRAY:
        err = strbuf_putc(out, '[');
        for (size_t i = 0; !err && i < v->u.array.count; i++) {
            if (i)
                err = strbuf_putc(out, ',');
            if (!err)
                err = write_indent(out, style, depth + 1);
            if (!err)
                err = write_value(v->u.array.items[i], style, depth + 1, out);
        }
        if (!err && v->u.array.count)
            err = write_indent(out, style, depth);
        return err ? err : strbuf_putc(out, ']');
    case JSON_OBJECT:
        err = strbuf_putc(out, '{');
        for (size_t i = 0; !err && i < v->u.object.count; i++) {
            if (i)
                err = strbuf_putc(out, ',');
            if (!err)
                err = write_indent(out, style, depth + 1);
            if (!err)
                err = json_write_string(v->u.object.members[i].key, out);
            if (!err)
                err = strbuf_puts(out, style == JSON_PRETTY ? ": " : ":");
            if (!err)
                err = write_value(v->u.object.members[i].value, style, depth + 1, out);
        }
        if (!err && v->u.object.count)
            err = write_indent(out, style, depth);
        return err ? err : strbuf_putc(out, '}');
    }
    return -EINVAL;
}

int json_write(const struct json_value *value, enum json_style style, struct strbuf *out)
{
    return write_value(value, style, 0, out);
}
