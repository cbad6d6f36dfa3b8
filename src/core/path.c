/* SPDX-License-Identifier: MIT */
/* path.c — lexical path helpers (see path.h). */
#include "path.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

char *path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

const char *path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

char *path_join(const char *dir, const char *name)
{
    if (name[0] == '/' || !dir[0])
        return strdup(name);
    struct strbuf sb = {0};
    size_t dl = strlen(dir);
    if (strbuf_puts(&sb, dir) || (dir[dl - 1] != '/' && strbuf_putc(&sb, '/')) || strbuf_puts(&sb, name)) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_detach(&sb);
}

char *path_normalize(const char *path)
{
    size_t len = strlen(path);
    char *copy = strdup(path);
    const char **parts = calloc(len / 2 + 2, sizeof *parts);
    if (!copy || !parts) {
        free(copy);
        free(parts);
        return NULL;
    }
    bool absolute = path[0] == '/';
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (strcmp(tok, ".") == 0)
            continue;
        if (strcmp(tok, "..") == 0) {
            if (n > 0 && strcmp(parts[n - 1], "..") != 0) {
                n--;
                continue;
            }
            if (absolute)
                continue; /* "/.." is "/" */
        }
        parts[n++] = tok;
    }
    struct strbuf sb = {0};
    int err = absolute ? strbuf_putc(&sb, '/') : 0;
    for (size_t i = 0; !err && i < n; i++) {
        if (i)
            err = strbuf_putc(&sb, '/');
        if (!err)
            err = strbuf_puts(&sb, parts[i]);
    }
    if (!err && sb.len == 0)
        err = strbuf_putc(&sb, '.');
    free(copy);
    free(parts);
    if (err) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_detach(&sb);
}

char *path_relative(const char *from_dir, const char *to)
{
    /* Length of the common leading components. */
    size_t common = 0;
    for (size_t i = 0;; i++) {
        bool from_end = from_dir[i] == '\0' || from_dir[i] == '/';
        bool to_end = to[i] == '\0' || to[i] == '/';
        if (from_end && to_end)
            common = i;
        if (from_dir[i] != to[i] || from_dir[i] == '\0')
            break;
    }
    struct strbuf sb = {0};
    int err = 0;
    for (const char *c = from_dir + common; !err && *c; c++)
        if (*c == '/' && c[1] != '\0')
            err = strbuf_puts(&sb, "../");
    const char *rest = to + common;
    if (*rest == '/')
        rest++;
    if (!err)
        err = strbuf_puts(&sb, rest);
    if (err) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_detach(&sb);
}
