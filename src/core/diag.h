/* SPDX-License-Identifier: MIT */
/*
 * diag.h — diagnostics: precise, user-facing reports about bad input.
 *
 * A diagnostic names where the problem is (file, 1-based line and column, JSON path) and
 * why. Validators append every problem they find, so a user sees all of them at once.
 * Printed form (diag_format):   FILE:LINE:COL: JSON.path: reason
 * warnings read                 FILE:LINE:COL: JSON.path: warning: reason
 * A line or column of 0 means "not known" and is left out of the printed form.
 *
 * Ownership: the list owns copies of every string given to it. diag_add never fails from
 * the caller's point of view: if memory runs out the list records that (oom flag) and
 * diag_error_count() reports at least one error, so no problem is ever silently lost.
 */
#ifndef OPENSPHERE_CORE_DIAG_H
#define OPENSPHERE_CORE_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag {
    enum diag_severity severity;
    char *file;    /* may be NULL */
    unsigned line; /* 1-based; 0 = unknown */
    unsigned col;  /* 1-based, in characters; 0 = unknown */
    char *path;    /* JSON path such as "Capabilities.Gpio[1]"; may be NULL */
    char *message;
};

struct diag_list {
    struct diag *items;
    size_t count;
    size_t cap;
    bool oom;
};

void diag_add(struct diag_list *list, enum diag_severity severity, const char *file, unsigned line,
              unsigned col, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
size_t diag_error_count(const struct diag_list *list);
size_t diag_warning_count(const struct diag_list *list);
/* Sorts by file, line, column (stable), so reports read top to bottom. */
void diag_sort(struct diag_list *list);
/* Writes one diagnostic in the printed form above, without a newline. */
void diag_format(const struct diag *d, FILE *out);
/* Writes every diagnostic, one per line, then an "out of memory" line if any were lost. */
void diag_print_all(const struct diag_list *list, FILE *out);
void diag_list_free(struct diag_list *list);

#endif
