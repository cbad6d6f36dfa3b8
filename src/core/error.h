/* SPDX-License-Identifier: MIT */
/*
 * error.h — the project-wide error convention.
 *
 * Every function that can fail returns an int: 0 on success, or a negative errno value
 * (-ENOENT, -EINVAL, -ENOMEM, -EIO, ...) on failure, so byte counts can share the return
 * value where useful. Callers propagate with `int err = f(); if (err) return err;`.
 * Detailed, user-facing explanations of *input* problems (a bad manifest, a malformed
 * hardware definition) are not squeezed into the return value: they are appended to a
 * struct diag_list (diag.h), and the function returns -EINVAL once it has reported them.
 * At the Applibs boundary the rule is the platform's instead: -1 and the errno each Applibs
 * header documents (src/applibs).
 */
#ifndef OPENSPHERE_CORE_ERROR_H
#define OPENSPHERE_CORE_ERROR_H

#include <errno.h>

/* A short, stable text for a negative errno-style code (never NULL). */
const char *os_strerror(int err);

#endif
