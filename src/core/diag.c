/* SPDX-License-Identifier: MIT */
/* diag.c — collected diagnostics (see diag.h). */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static char *dup_or_null(const char *s, bool *failed)
{
    if (!s)
        return NULL;
    char *copy = strdup(s);
    if (!copy)
        *failed = true;
    return copy;
}

void diag_add(struct diag_list *list, enum diag_severity severity, const char *file, unsigned line,
              unsigned col, const char *path, const char *fmt, ...)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        struct diag *items = realloc(list->items, cap * sizeof *items);
        if (!items) {
            list->oom = true;
            return;
        }
        list->items = items;
        list->cap = cap;
    }
    struct strbuf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    int err = strbuf_vprintf(&msg, fmt, ap);
    va_end(ap);
    bool failed = err != 0;
    struct diag d = {
        .severity = severity,
        .file = dup_or_null(file, &failed),
        .line = line,
        .col = col,
        .path = dup_or_null(path, &failed),
        .message = failed ? NULL : strbuf_detach(&msg),
    };
    if (failed || !d.message) {
        free(d.file);
        free(d.path);
        free(d.message);
        strbuf_free(&msg);
        list->oom = true;
        return;
    }
    list->items[list->count++] = d;
}

static size_t count_severity(const struct diag_list *list, enum diag_severity severity)
{
    size_t n = 0;
    for (size_t i = 0; i < list->count; i++)
        n += list->items[i].severity == severity;
    return n;
}

size_t diag_error_count(const struct diag_list *list)
{
    return count_severity(list, DIAG_ERROR) + (list->oom ? 1 : 0);
}

size_t diag_warning_count(const struct diag_list *list) { return count_severity(list, DIAG_WARNING); }

static int compare_position(const struct diag *a, const struct diag *b)
{
    int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
    if (c)
        return c;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return 0;
}

void diag_sort(struct diag_list *list)
{
    /* Insertion sort: stable, and lists are short (a few dozen entries at most). */
    for (size_t i = 1; i < list->count; i++) {
        struct diag d = list->items[i];
        size_t j = i;
        while (j > 0 && compare_position(&list->items[j - 1], &d) > 0) {
            list->items[j] = list->items[j - 1];
            j--;
        }
        list->items[j] = d;
    }
}

void diag_format(const struct diag *d, FILE *out)
{
    if (d->file) {
        fputs(d->file, out);
        if (d->line) {
            fprintf(out, ":%u", d->line);
            if (d->col)
                fprintf(out, ":%u", d->col);
        }
        fputs(": ", out);
    }
    if (d->path && d->path[0])
        fprintf(out, "%s: ", d->path);
    if (d->severity == DIAG_WARNING)
        fputs("warning: ", out);
    fputs(d->message, out);
}

void diag_print_all(const struct diag_list *list, FILE *out)
{
    for (size_t i = 0; i < list->count; i++) {
        diag_format(&list->items[i], out);
        fputc('\n', out);
    }
    if (list->oom)
        fputs("out of memory: some problems could not be reported\n", out);
}

void diag_list_free(struct diag_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].file);
        free(list->items[i].path);
        free(list->items[i].message);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}
