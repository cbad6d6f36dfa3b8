/* SPDX-License-Identifier: MIT */
/*
 * json.h — a JSON reader that keeps each value's position, and a small tree builder/writer.
 *
 * Why hand-written: the manifest and hardware-definition validators must report every
 * problem as FILE:LINE:COL, must see duplicate keys (which a map-based library silently
 * merges), and must accept exactly what the platform's tools accept (a trailing comma).
 * Debian's JSON libraries (json-c, jansson, cJSON) keep no per-value positions and drop
 * duplicates, so none of them can do this. See docs/architecture.md.
 *
 * Reading (json_parse):
 *   - strict RFC 8259 grammar, plus, when options->allow_trailing_commas, one comma before
 *     a closing ']' or '}'; a UTF-8 byte-order mark at the start is skipped;
 *   - input must be valid UTF-8; strings may not contain raw control characters or \u0000;
 *   - nesting deeper than options->max_depth (default 64) is refused;
 *   - a duplicate key in an object is reported to `diags` as an error (position of the
 *     second occurrence, naming the line of the first) and parsing goes on; the tree then
 *     holds both members, in source order;
 *   - on a syntax error one diagnostic is added, *out is NULL and -EINVAL is returned.
 *   Returns 0 (check diag_error_count for duplicate keys), -EINVAL, or -ENOMEM.
 *   Lines and columns are 1-based; columns count characters (UTF-8 code points).
 *
 * Ownership: every value owns its children; json_free releases a whole tree.
 */
#ifndef OPENSPHERE_CORE_JSON_H
#define OPENSPHERE_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "strbuf.h"

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_pos {
    unsigned line;
    unsigned col;
};

struct json_value;

struct json_member {
    char *key;
    struct json_pos key_pos;
    struct json_value *value;
};

struct json_value {
    enum json_type type;
    struct json_pos pos;
    union {
        bool boolean;
        struct {
            double real;
            int64_t integer; /* valid when is_integer */
            bool is_integer; /* no fraction or exponent, and fits int64_t */
        } number;
        struct {
            char *chars; /* NUL-terminated; never contains NUL (\u0000 is refused) */
            size_t len;
        } string;
        struct {
            struct json_value **items;
            size_t count;
        } array;
        struct {
            struct json_member *members;
            size_t count;
        } object;
    } u;
};

struct json_options {
    bool allow_trailing_commas;
    unsigned max_depth; /* 0 means 64 */
};

int json_parse(const char *text, size_t len, const struct json_options *options, const char *file,
               struct diag_list *diags, struct json_value **out);
void json_free(struct json_value *value);

/* Name of a type for messages: "null", "a boolean", "a number", "a string", "an array", "an object". */
const char *json_type_phrase(enum json_type type);

/* First member named `key` (exact, case-sensitive), or NULL. */
const struct json_member *json_object_member(const struct json_value *object, const char *key);
const struct json_value *json_object_get(const struct json_value *object, const char *key);

/* Builders: return NULL when out of memory. Adding takes ownership of `child`, also on failure. */
struct json_value *json_new_null(void);
struct json_value *json_new_bool(bool b);
struct json_value *json_new_int(int64_t n);
struct json_value *json_new_string(const char *s);
struct json_value *json_new_array(void);
struct json_value *json_new_object(void);
int json_array_append(struct json_value *array, struct json_value *child);
int json_object_append(struct json_value *object, const char *key, struct json_value *child);
/* Replaces the value of the first member named `key`, or appends one. Takes ownership of `child`. */
int json_object_set(struct json_value *object, const char *key, struct json_value *child);
/* Removes (and frees) the first member named `key`: 0, or -ENOENT when there is none. */
int json_object_remove(struct json_value *object, const char *key);
/* Deep copy, positions included. */
struct json_value *json_clone(const struct json_value *value);

/* Serialise: compact (no spaces, as the platform stores manifests) or pretty (2-space indent). */
enum json_style { JSON_COMPACT, JSON_PRETTY };
int json_write(const struct json_value *value, enum json_style style, struct strbuf *out);
int json_write_string(const char *s, struct strbuf *out);

#endif
