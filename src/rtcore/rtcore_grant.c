/* SPDX-License-Identifier: MIT */
/* rtcore_grant.c — manifest capabilities to peripheral blocks (see rtcore_grant.h). */
#include "rtcore_grant.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* "<prefix><k>" with k in [0, max], or -1. */
static int numbered(const char *s, const char *prefix, int max)
{
    size_t n = strlen(prefix);
    if (strncmp(s, prefix, n) != 0 || s[n] < '0' || s[n] > '9' || s[n + 1] != '\0')
        return -1;
    int k = s[n] - '0';
    return k <= max ? k : -1;
}

static int block_named(const char *name)
{
    for (int i = 0; i < RTCORE_BLOCK_COUNT; i++)
        if (strcmp(rtcore_blocks[i].name, name) == 0)
            return i;
    return -1;
}

/* The block one capability value grants: >= 0, RTCORE_BLOCK_COUNT for "none", -1 if unknown. */
static int block_for(const char *cap, const struct json_value *v)
{
    if (strcmp(cap, "Gpio") == 0)
        return v->type == JSON_NUMBER && v->u.number.is_integer && v->u.number.integer >= 0 &&
                       v->u.number.integer < 96
                   ? rtcore_block_of_gpio((int)v->u.number.integer)
                   : -1;
    if (v->type != JSON_STRING)
        return -1;
    const char *s = v->u.string.chars;
    if (!strcmp(cap, "Uart") || !strcmp(cap, "I2cMaster") || !strcmp(cap, "SpiMaster"))
        return numbered(s, "ISU", 4) >= 0 ? block_named(s) : -1;
    if (!strcmp(cap, "Pwm")) {
        int k = numbered(s, "PWM-CONTROLLER-", 2);
        return k >= 0 ? block_named(k == 0 ? "GRP0" : k == 1 ? "GRP1" : "GRP2") : -1;
    }
    if (!strcmp(cap, "Adc"))
        return strcmp(s, "ADC-CONTROLLER-0") == 0 ? block_named(s) : -1;
    if (!strcmp(cap, "ExternalInterrupt")) {
        char *end;
        long n = strncmp(s, "EINT", 4) == 0 ? strtol(s + 4, &end, 10) : -1;
        return n >= 0 && n < 24 && s[4] && !*end ? RTCORE_BLOCK_COUNT : -1;
    }
    return RTCORE_BLOCK_COUNT;
}

static int grant_member(const struct json_member *m, bool granted[RTCORE_BLOCK_COUNT], char *why, size_t why_len)
{
    const struct json_value *v = m->value;
    size_t count = v->type == JSON_ARRAY ? v->u.array.count : 1;
    for (size_t i = 0; i < count; i++) {
        const struct json_value *item = v->type == JSON_ARRAY ? v->u.array.items[i] : v;
        int b = block_for(m->key, item);
        if (b < 0) {
            snprintf(why, why_len, "Capabilities.%s[%zu] names no MT3620 peripheral block this core can use", m->key, i);
            return -EINVAL;
        }
        if (b < RTCORE_BLOCK_COUNT)
            granted[b] = true;
    }
    return 0;
}

int rtcore_grant_from_manifest(const char *json, size_t len, bool granted[RTCORE_BLOCK_COUNT], char *why,
                               size_t why_len)
{
    struct diag_list diags = {0};
    struct json_value *root = NULL;
    struct json_options opts = {.allow_trailing_commas = true};
    int err = json_parse(json, len, &opts, "app_manifest.json", &diags, &root);
    diag_list_free(&diags);
    if (err == -ENOMEM)
        return err;
    const struct json_value *type = root ? json_object_get(root, "ApplicationType") : NULL;
    if (err || !root || root->type != JSON_OBJECT) {
        snprintf(why, why_len, "the app manifest is not a JSON object");
        err = -EINVAL;
    } else if (!type || type->type != JSON_STRING || strcmp(type->u.string.chars, "RealTimeCapable") != 0) {
        snprintf(why, why_len, "the app manifest's ApplicationType is not \"RealTimeCapable\"");
        err = -EINVAL;
    } else {
        const struct json_value *caps = json_object_get(root, "Capabilities");
        for (size_t i = 0; !err && caps && caps->type == JSON_OBJECT && i < caps->u.object.count; i++)
            err = grant_member(&caps->u.object.members[i], granted, why, why_len);
    }
    json_free(root);
    return err;
}
