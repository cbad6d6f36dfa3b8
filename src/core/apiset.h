/* SPDX-License-Identifier: MIT */
/*
 * apiset.h — API sets, application runtime versions (ARV) and OS releases.
 *
 * An app targets an API set: "N" (the production APIs of ARV N) or "N+BetaYYMM" (those plus
 * one release's beta APIs); "latest-lts" and "latest-beta" name the newest of each kind. A
 * device OS release provides one ARV and, for some releases, one beta API set.
 *
 * Compatibility (apiset_check), per the platform's API-set documentation:
 *   - an app newer than the OS (higher ARV) is always rejected, beta or not;
 *   - an app using beta APIs the OS release does not provide needs --force;
 *   - otherwise (production APIs of an equal or older ARV) it is accepted.
 * The release table and the choices made for releases the sources do not pin down are in
 * docs/api-sets.md.
 */
#ifndef OPENSPHERE_CORE_APISET_H
#define OPENSPHERE_CORE_APISET_H

#include <stdbool.h>
#include <stddef.h>

struct os_release {
    const char *name; /* "22.02" */
    unsigned arv;
    const char *beta; /* beta API set this release provides ("Beta2101"), or NULL */
};

struct apiset {
    unsigned arv;
    char beta[9]; /* "BetaYYMM", or "" for production APIs only */
};

/* The release table, oldest first; *count receives its length. */
const struct os_release *apiset_releases(size_t *count);
/* The release called `name` ("21.01"), or NULL. */
const struct os_release *apiset_find_release(const char *name);
/* The newest release. */
const struct os_release *apiset_newest_release(void);

/* Parses "N", "N+BetaYYMM", "latest-lts" or "latest-beta" against the release table.
 * 0, or -EINVAL with a reason in why[why_size] (an unknown ARV or beta set, bad syntax). */
int apiset_parse(const char *text, struct apiset *out, char *why, size_t why_size);
/* "N" or "N+BetaYYMM" into buf (at least 16 bytes). */
void apiset_format(const struct apiset *set, char *buf, size_t size);

enum apiset_verdict { APISET_OK, APISET_NEEDS_FORCE, APISET_REJECTED };

/* Decides whether an app targeting `app` may be installed on an OS providing `os`; the reason
 * (also for APISET_OK) goes to why[why_size]. */
enum apiset_verdict apiset_check(const struct apiset *app, const struct os_release *os, char *why, size_t why_size);

#endif
