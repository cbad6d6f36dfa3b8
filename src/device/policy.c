/* SPDX-License-Identifier: MIT */
/* policy.c — install and permission rules (see policy.h). */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#include "mt3620.h"

bool policy_rest_allowed(const struct auth *a)
{
    return a->before_device_complete || a->app_development || a->field_servicing;
}

enum deverr policy_trust(enum signer signer, const struct auth *a)
{
    switch (signer) {
    case SIGNER_SDK:
        return a->app_development ? DERR_NONE : DERR_NOT_TRUSTED;
    case SIGNER_PRODUCTION:
        return policy_rest_allowed(a) ? DERR_NONE : DERR_NOT_TRUSTED;
    default:
        return DERR_NOT_TRUSTED;
    }
}

enum deverr policy_may_delete(const struct auth *a) { return a->app_development ? DERR_NONE : DERR_PERMISSION_DENIED; }

enum deverr policy_may_start_stop(const struct auth *a, bool debug)
{
    if (debug)
        return a->app_development ? DERR_NONE : DERR_NOT_PERMITTED;
    return a->app_development || a->field_servicing ? DERR_NONE : DERR_NOT_PERMITTED;
}

/* One resource an app claims. */
struct claim {
    enum { CLAIM_GPIO, CLAIM_BLOCK, CLAIM_PIN, CLAIM_PORT } kind;
    char what[40]; /* "GPIO 8", "ISU0", "TCP port 8080", "EINT4" */
    int number;    /* GPIO or pin or port number */
};

#define MAX_CLAIMS 256

static size_t claims_of(const struct json_value *manifest, struct claim *out)
{
    size_t n = 0;
    const struct json_value *caps = json_object_get(manifest, "Capabilities");
    if (!caps || caps->type != JSON_OBJECT)
        return 0;
    for (size_t i = 0; i < caps->u.object.count; i++) {
        const char *cap = caps->u.object.members[i].key;
        const struct json_value *list = caps->u.object.members[i].value;
        if (list->type != JSON_ARRAY)
            continue;
        bool gpio = !strcmp(cap, "Gpio");
        bool block = !strcmp(cap, "Uart") || !strcmp(cap, "I2cMaster") || !strcmp(cap, "SpiMaster") ||
                     !strcmp(cap, "Pwm") || !strcmp(cap, "Adc") || !strcmp(cap, "I2sSubordinate") ||
                     !strcmp(cap, "ExternalInterrupt");
        bool tcp = !strcmp(cap, "AllowedTcpServerPorts"), udp = !strcmp(cap, "AllowedUdpServerPorts");
        for (size_t k = 0; k < list->u.array.count && n < MAX_CLAIMS - 8; k++) {
            const struct json_value *v = list->u.array.items[k];
            if ((gpio || tcp || udp) && v->type == JSON_NUMBER) {
                struct claim c = {.kind = gpio ? CLAIM_GPIO : CLAIM_PORT, .number = (int)v->u.number.integer};
                snprintf(c.what, sizeof c.what, gpio ? "GPIO %d" : tcp ? "TCP port %d" : "UDP port %d", c.number);
                out[n++] = c;
            }
            if (block && v->type == JSON_STRING) {
                struct claim c = {.kind = CLAIM_BLOCK};
                snprintf(c.what, sizeof c.what, "%s", v->u.string.chars);
                out[n++] = c;
            }
            int pins[MT3620_MAX_BLOCK_PINS];
            size_t np = (gpio || block) ? mt3620_pins(cap, v->type == JSON_NUMBER ? (long)v->u.number.integer : 0,
                                                      v->type == JSON_STRING ? v->u.string.chars : NULL, pins)
                                        : 0;
            for (size_t p = 0; p < np && n < MAX_CLAIMS; p++) {
                struct claim c = {.kind = CLAIM_PIN, .number = pins[p]};
                snprintf(c.what, sizeof c.what, "%s %s", cap, v->type == JSON_STRING ? v->u.string.chars : "");
                if (v->type == JSON_NUMBER)
                    snprintf(c.what, sizeof c.what, "GPIO %d", pins[p]);
                out[n++] = c;
            }
        }
    }
    return n;
}

static const char *app_name(const struct json_value *manifest)
{
    const struct json_value *name = json_object_get(manifest, "Name");
    return name && name->type == JSON_STRING ? name->u.string.chars : "?";
}

/* The error for a clash between a new claim and an installed one, or DERR_NONE. */
static enum deverr clash(const struct claim *a, const struct claim *b)
{
    if (a->kind == CLAIM_GPIO && b->kind == CLAIM_GPIO && a->number == b->number)
        return DERR_GPIO_IN_USE;
    if (a->kind == CLAIM_BLOCK && b->kind == CLAIM_BLOCK && !strcmp(a->what, b->what))
        return DERR_PERIPHERAL_IN_USE;
    if (a->kind == CLAIM_PORT && b->kind == CLAIM_PORT && !strcmp(a->what, b->what))
        return DERR_PORT_IN_USE;
    if (a->kind == CLAIM_PIN && b->kind == CLAIM_PIN && a->number == b->number)
        return DERR_PIN_BLOCK_IN_USE;
    return DERR_NONE;
}

enum deverr policy_check_resources(const struct json_value *manifest, const struct guid *component_id, bool realtime,
                                   size_t size_bytes, size_t quota_bytes, const struct installed_app *apps,
                                   size_t count, char *detail, size_t detail_size)
{
    static struct claim mine[MAX_CLAIMS], theirs[MAX_CLAIMS];
    size_t n_mine = claims_of(manifest, mine);
    size_t realtime_count = realtime, total = size_bytes;
    for (size_t i = 0; i < count; i++) {
        const struct installed_app *app = &apps[i];
        if (guid_equal(&app->component_id, component_id))
            continue; /* being replaced */
        realtime_count += app->realtime;
        total += app->size_bytes;
        size_t n_theirs = claims_of(app->manifest, theirs);
        /* Exact resources first (GPIO, block, port), then shared pins, so the report is the most precise. */
        for (int pass = 0; pass < 2; pass++)
            for (size_t a = 0; a < n_mine; a++)
                for (size_t b = 0; b < n_theirs; b++) {
                    if ((mine[a].kind == CLAIM_PIN) != (pass == 1))
                        continue;
                    enum deverr e = clash(&mine[a], &theirs[b]);
                    if (e == DERR_NONE)
                        continue;
                    if (e == DERR_PIN_BLOCK_IN_USE)
                        snprintf(detail, detail_size, "%s needs GPIO %d, which %s of installed app '%s' uses",
                                 mine[a].what, mine[a].number, theirs[b].what, app_name(app->manifest));
                    else
                        snprintf(detail, detail_size, "%s is already used by installed app '%s'", mine[a].what,
                                 app_name(app->manifest));
                    return e;
                }
    }
    if (realtime && realtime_count > POLICY_REALTIME_CORES) {
        snprintf(detail, detail_size, "both real-time cores already run an RTApp");
        return DERR_NO_CORE;
    }
    if (total > quota_bytes) {
        snprintf(detail, detail_size, "the app packages would take %zu bytes; the device holds %zu", total, quota_bytes);
        return DERR_NO_SPACE;
    }
    return DERR_NONE;
}

enum deverr policy_check_api_set(const struct json_value *manifest, const struct os_release *os, bool force,
                                 char *detail, size_t detail_size)
{
    const struct json_value *arv = json_object_get(manifest, "TargetApplicationRuntimeVersion");
    const struct json_value *beta = json_object_get(manifest, "TargetBetaApis");
    struct apiset set = {0};
    if (!arv || arv->type != JSON_NUMBER || !arv->u.number.is_integer || arv->u.number.integer < 1) {
        snprintf(detail, detail_size, "the packaged manifest has no TargetApplicationRuntimeVersion");
        return DERR_ABI_NOT_FOUND;
    }
    set.arv = (unsigned)arv->u.number.integer;
    if (beta && beta->type == JSON_STRING)
        snprintf(set.beta, sizeof set.beta, "%s", beta->u.string.chars);
    switch (apiset_check(&set, os, detail, detail_size)) {
    case APISET_REJECTED:
        return DERR_ABI_NOT_FOUND;
    case APISET_NEEDS_FORCE:
        return force ? DERR_NONE : DERR_BETA_UNSUPPORTED;
    default:
        return DERR_NONE;
    }
}
