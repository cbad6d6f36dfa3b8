/* SPDX-License-Identifier: MIT */
/* broker_core.c — the broker's core handlers: GPIO, mutable storage, boolean capabilities,
 * OS version, power controls (see broker_ops.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_ops.h"
#include "hostio.h"
#include "path.h"

const struct json_value *broker_capability(const struct json_value *manifest, const char *capability)
{
    return json_object_get(json_object_get(manifest, "Capabilities"), capability);
}

bool broker_manifest_lists(const struct json_value *manifest, const char *capability, const struct json_value *value)
{
    const struct json_value *list = broker_capability(manifest, capability);
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++) {
        const struct json_value *v = list->u.array.items[i];
        if (v->type == JSON_NUMBER && value->type == JSON_NUMBER && v->u.number.integer == value->u.number.integer)
            return true;
        if (v->type == JSON_STRING && value->type == JSON_STRING && !strcmp(v->u.string.chars, value->u.string.chars))
            return true;
    }
    return false;
}

static bool lists_number(const struct broker_context *ctx, const char *capability, long n)
{
    struct json_value *v = json_new_int(n);
    bool yes = v && broker_manifest_lists(ctx->manifest, capability, v);
    json_free(v);
    return yes;
}

static bool lists_string(const struct broker_context *ctx, const char *capability, const char *s)
{
    struct json_value *v = json_new_string(s);
    bool yes = v && broker_manifest_lists(ctx->manifest, capability, v);
    json_free(v);
    return yes;
}

static int gpio_open(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    if (!lists_number(ctx, "Gpio", q->a))
        return -EACCES;
    if (q->a < 0 || q->a >= BOARD_GPIO_COUNT)
        return -ENODEV;
    bool output = q->op == BROKER_GPIO_OPEN_OUTPUT;
    if (output && (q->b < 0 || q->b > 2 || q->c < 0 || q->c > 1))
        return -EINVAL;
    int line = board_gpio_open(ctx->board, q->a, output ? BOARD_OUTPUT : BOARD_INPUT, q->c, ctx->component_id);
    if (line < 0)
        return line;
    *fd = line;
    return 0;
}

/* Opens (or deletes) the app's mutable-storage file in its storage folder. */
static int storage(const struct broker_context *ctx, bool create, int *fd)
{
    if (!ctx->storage_quota)
        return -EACCES;
    char rel[GUID_TEXT_LEN + 32];
    snprintf(rel, sizeof rel, "storage/%s", ctx->component_text);
    char *dir = path_join(device_state_dir(ctx->device), rel);
    char *file = dir ? path_join(dir, "mutable_storage") : NULL;
    int err = file ? 0 : -ENOMEM;
    if (!err && create) {
        hostio_make_dirs(dir, 0700);
        *fd = open(file, O_RDWR | O_CLOEXEC | O_CREAT, 0600);
        err = *fd < 0 ? -errno : 0;
    } else if (!err && unlink(file) < 0) {
        err = -errno;
    }
    free(dir), free(file);
    return err;
}

static int storage_open(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    return storage(ctx, true, fd);
}

static int storage_delete(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                          int *fd)
{
    return storage(ctx, false, fd);
}

/* "Name" for a boolean capability, "Name:value" for a value in a list capability. */
static int has_capability(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                          int *fd)
{
    char name[sizeof q->text];
    memcpy(name, q->text, sizeof name);
    char *colon = strchr(name, ':');
    if (colon) {
        *colon = '\0';
        return lists_string(ctx, name, colon + 1) ? 0 : -EACCES;
    }
    const struct json_value *v = broker_capability(ctx->manifest, name);
    return v && v->type == JSON_BOOL && v->u.boolean ? 0 : -EACCES;
}

static int os_version(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    device_lock(ctx->device);
    snprintf(r->text, sizeof r->text, "%s", device_os_name(ctx->device));
    device_unlock(ctx->device);
    return 0;
}

static int power(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    static const char *const names[] = {"", "ForceReboot", "ForcePowerDown", "SetPowerProfile"};
    if (q->a < 1 || q->a > 3)
        return -EINVAL;
    if (!lists_string(ctx, "PowerControls", names[q->a]))
        return -EACCES;
    if (q->a != 3) {
        char text[160];
        int n = snprintf(text, sizeof text, "%s requested %s (the simulated device logs it and carries on)", ctx->app_name,
                         names[q->a]);
        applog_add(ctx->log, ctx->component_id, "runtime", text, (size_t)n);
    }
    return 0;
}

const struct broker_op_entry broker_core_ops[] = {
    {BROKER_GPIO_OPEN_INPUT, gpio_open},  {BROKER_GPIO_OPEN_OUTPUT, gpio_open}, {BROKER_STORAGE_OPEN, storage_open},
    {BROKER_STORAGE_DELETE, storage_delete}, {BROKER_CAPABILITY, has_capability}, {BROKER_OS_VERSION, os_version},
    {BROKER_POWER, power},                 {0, NULL},
};
