/* SPDX-License-Identifier: MIT */
/* apiset.c — the release ↔ ARV ↔ beta-set table and the compatibility rule (see apiset.h). */
#include "apiset.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Releases and the ARV / beta set each provides (docs/api-sets.md gives the sources). */
static const struct os_release releases[] = {
    {"18.11", 1, "Beta1811"}, {"19.02", 1, "Beta1902"}, {"19.05", 2, "Beta1905"}, {"19.09", 3, "Beta1909"},
    {"19.10", 3, "Beta1909"}, {"19.11", 3, "Beta1909"}, {"20.01", 4, "Beta2001"}, {"20.04", 5, "Beta2004"},
    {"20.07", 6, NULL},       {"20.08", 6, NULL},       {"20.10", 7, NULL},       {"20.11", 7, NULL},
    {"21.01", 8, "Beta2101"}, {"21.02", 8, "Beta2101"}, {"21.04", 9, NULL},       {"21.07", 10, NULL},
    {"21.10", 11, NULL},      {"22.02", 12, NULL},      {"22.07", 13, NULL},      {"22.09", 14, NULL},
    {"22.11", 15, NULL},      {"23.05", 16, NULL},      {"24.03", 17, NULL},      {"25.02", 17, NULL},
};

#define RELEASE_COUNT (sizeof releases / sizeof releases[0])

const struct os_release *apiset_releases(size_t *count)
{
    *count = RELEASE_COUNT;
    return releases;
}

const struct os_release *apiset_find_release(const char *name)
{
    for (size_t i = 0; i < RELEASE_COUNT; i++)
        if (strcmp(releases[i].name, name) == 0)
            return &releases[i];
    return NULL;
}

const struct os_release *apiset_newest_release(void) { return &releases[RELEASE_COUNT - 1]; }

static bool beta_exists(unsigned arv, const char *beta)
{
    for (size_t i = 0; i < RELEASE_COUNT; i++)
        if (releases[i].arv == arv && releases[i].beta && strcmp(releases[i].beta, beta) == 0)
            return true;
    return false;
}

static bool arv_exists(unsigned arv)
{
    for (size_t i = 0; i < RELEASE_COUNT; i++)
        if (releases[i].arv == arv)
            return true;
    return false;
}

int apiset_parse(const char *text, struct apiset *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    if (strcmp(text, "latest-lts") == 0) {
        out->arv = apiset_newest_release()->arv;
        return 0;
    }
    if (strcmp(text, "latest-beta") == 0) {
        /* Highest ARV among beta sets, ties broken by the newest YYMM (the table is in order). */
        for (size_t i = 0; i < RELEASE_COUNT; i++)
            if (releases[i].beta && releases[i].arv >= out->arv) {
                out->arv = releases[i].arv;
                snprintf(out->beta, sizeof out->beta, "%s", releases[i].beta);
            }
        return 0;
    }
    const char *c = text;
    unsigned long arv = 0;
    if (!isdigit((unsigned char)*c) || (*c == '0'))
        goto syntax;
    while (isdigit((unsigned char)*c) && arv < 100000)
        arv = arv * 10 + (unsigned long)(*c++ - '0');
    if (*c == '+') {
        c++;
        if (strncmp(c, "Beta", 4) != 0 || strlen(c) != 8 || !isdigit((unsigned char)c[4]) ||
            !isdigit((unsigned char)c[5]) || !isdigit((unsigned char)c[6]) || !isdigit((unsigned char)c[7]))
            goto syntax;
        snprintf(out->beta, sizeof out->beta, "%s", c);
    } else if (*c) {
        goto syntax;
    }
    out->arv = (unsigned)arv;
    if (!arv_exists(out->arv)) {
        snprintf(why, why_size, "API set '%s' is not supported: no release provides ARV %lu (newest: %u)", text, arv,
                 apiset_newest_release()->arv);
        return -EINVAL;
    }
    if (out->beta[0] && !beta_exists(out->arv, out->beta)) {
        snprintf(why, why_size, "API set '%s' is not supported: no release with ARV %lu provides %s", text, arv,
                 out->beta);
        return -EINVAL;
    }
    return 0;
syntax:
    snprintf(why, why_size,
             "'%s' is not an API set: use N, N+BetaYYMM (e.g. 8+Beta2101), latest-lts or latest-beta", text);
    return -EINVAL;
}

void apiset_format(const struct apiset *set, char *buf, size_t size)
{
    if (set->beta[0])
        snprintf(buf, size, "%u+%s", set->arv, set->beta);
    else
        snprintf(buf, size, "%u", set->arv);
}

enum apiset_verdict apiset_check(const struct apiset *app, const struct os_release *os, char *why, size_t why_size)
{
    char name[24];
    apiset_format(app, name, sizeof name);
    if (app->arv > os->arv) {
        snprintf(why, why_size, "the app targets API set %s, newer than OS %s (ARV %u); update the device's OS",
                 name, os->name, os->arv);
        return APISET_REJECTED;
    }
    if (app->beta[0] && !(os->beta && app->arv == os->arv && strcmp(app->beta, os->beta) == 0)) {
        snprintf(why, why_size,
                 "the app uses beta APIs (%s) that OS %s does not provide; they may have changed or been removed "
                 "(use --force to install anyway)",
                 name, os->name);
        return APISET_NEEDS_FORCE;
    }
    snprintf(why, why_size, "API set %s is supported by OS %s (ARV %u)", name, os->name, os->arv);
    return APISET_OK;
}
