/* SPDX-License-Identifier: MIT */
/* cmd_sim_sysevent.c — `sphere sim sysevent [EVENT]`: inject a system event into a simulated
 * device and report which apps were notified and which deferred, or (without EVENT) show the
 * registrations and the update offer. Talks to POST/GET /sim/sysevent (docs/runtime.md,
 * "System events"). Exit 0 on success, 1 when the device refuses or cannot be reached, 2 on
 * usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "devclient.h"

static const char *text(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : "?";
}

static long long num(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_NUMBER && v->u.number.is_integer ? v->u.number.integer : 0;
}

static void print_json(const struct json_value *v)
{
    struct strbuf sb = {0};
    json_write(v, JSON_PRETTY, &sb);
    printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
}

static void when(long long t, char *out, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
}

static void print_apps(const char *title, const struct json_value *list, bool deferrals)
{
    size_t n = list && list->type == JSON_ARRAY ? list->u.array.count : 0;
    printf("%s: %zu\n", title, n);
    for (size_t i = 0; i < n; i++) {
        const struct json_value *a = list->u.array.items[i];
        if (!deferrals) {
            printf("  %s (%s)\n", text(a, "componentId"), text(a, "name"));
            continue;
        }
        char until[32];
        when(num(a, "until"), until, sizeof until);
        printf("  %s (%s): deferred %lld minutes, until %s\n", text(a, "componentId"), text(a, "name"), num(a, "minutes"),
               until);
    }
}

static void print_update(const struct json_value *u)
{
    if (!u || u->type != JSON_OBJECT) {
        printf("Update offer: none\n");
        return;
    }
    printf("Update offer: %s update, %s (allowance %lld minutes, %lld left)\n", text(u, "updateType"), text(u, "state"),
           num(u, "maxDeferralMinutes"), num(u, "remainingDeferralMinutes"));
    if (json_object_get(u, "deferredUntil")) {
        char until[32];
        when(num(u, "deferredUntil"), until, sizeof until);
        printf("Deferred until: %s\n", until);
    }
    print_apps("Deferred by", json_object_get(u, "deferrals"), true);
}

static void print_view(const struct json_value *v)
{
    const struct json_value *regs = json_object_get(v, "registrations");
    size_t n = regs && regs->type == JSON_ARRAY ? regs->u.array.count : 0;
    printf("Registered apps: %zu\n", n);
    for (size_t i = 0; i < n; i++) {
        const struct json_value *r = regs->u.array.items[i], *evs = json_object_get(r, "events");
        printf("  %s (%s):", text(r, "componentId"), text(r, "name"));
        for (size_t k = 0; evs && evs->type == JSON_ARRAY && k < evs->u.array.count; k++)
            printf(" %s", evs->u.array.items[k]->u.string.chars);
        printf("\n");
    }
    print_update(json_object_get(v, "update"));
}

/* Accepts the REST names and a few spellings people type. */
static const char *event_name(const char *arg)
{
    static const char *const names[][4] = {
        {"updateReadyForInstall", "update-ready-for-install", "UpdateReadyForInstall", "update-ready"},
        {"updateStarted", "update-started", "UpdateStarted", "started"},
        {"noUpdateAvailable", "no-update-available", "NoUpdateAvailable", "no-update"},
    };
    for (size_t i = 0; i < 3; i++)
        for (size_t k = 0; k < 4; k++)
            if (!strcmp(arg, names[i][k]))
                return names[i][0];
    return NULL;
}

static int number_option(const struct cli_invocation *inv, const char *name, long lo, long hi, long *out)
{
    const char *v = cli_value(inv, name);
    if (!v)
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < lo || n > hi)
        return cli_usage_error(inv, "--%s must be a whole number from %ld to %ld (not '%s')", name, lo, hi, v);
    *out = n;
    return 0;
}

static int run_sysevent(const struct cli_invocation *inv)
{
    const char *device = cli_value(inv, "device");
    struct devresponse r;
    if (!inv->args[0]) {
        int rc = devclient_call(device, "GET", "/sim/sysevent", NULL, &r);
        if (!rc)
            inv->output == CLI_OUTPUT_JSON ? print_json(r.json) : print_view(r.json);
        devresponse_free(&r);
        return rc;
    }
    const char *event = event_name(inv->args[0]);
    if (!event)
        return cli_usage_error(inv, "unknown system event '%s': use updateReadyForInstall, updateStarted or noUpdateAvailable",
                               inv->args[0]);
    const char *type = cli_value(inv, "update-type");
    if (type && strcmp(type, "app") && strcmp(type, "system"))
        return cli_usage_error(inv, "--update-type must be app or system (not '%s')", type);
    long max = -1, window = -1, spm = -1;
    int rc = number_option(inv, "max-deferral-minutes", 0, 10020, &max);
    if (!rc)
        rc = number_option(inv, "window-seconds", 1, 60, &window);
    if (!rc)
        rc = number_option(inv, "seconds-per-minute", 1, 60, &spm);
    if (rc)
        return rc;
    char body[256];
    int len = snprintf(body, sizeof body, "{\"event\":\"%s\"", event);
    if (type)
        len += snprintf(body + len, sizeof body - (size_t)len, ",\"updateType\":\"%s\"", type);
    if (max >= 0)
        len += snprintf(body + len, sizeof body - (size_t)len, ",\"maxDeferralMinutes\":%ld", max);
    if (window > 0)
        len += snprintf(body + len, sizeof body - (size_t)len, ",\"windowSeconds\":%ld", window);
    if (spm > 0)
        len += snprintf(body + len, sizeof body - (size_t)len, ",\"secondsPerMinute\":%ld", spm);
    snprintf(body + len, sizeof body - (size_t)len, "}");
    rc = devclient_call(device, "POST", "/sim/sysevent", body, &r);
    if (rc) {
        devresponse_free(&r);
        return rc;
    }
    struct json_value *answer = r.json;
    r.json = NULL;
    devresponse_free(&r);
    /* An update offer: wait for its Pending window so the apps can defer. */
    const struct json_value *u = json_object_get(answer, "update");
    bool wait = !cli_flag(inv, "no-wait") && u && u->type == JSON_OBJECT;
    long limit_ms = ((window > 0 ? window : 10) + 2) * 1000;
    for (long waited = 0; wait && waited < limit_ms; waited += 100) {
        if (strcmp(text(u, "state"), "pending"))
            break;
        usleep(100 * 1000);
        if (devclient_call(device, "GET", "/sim/sysevent", NULL, &r) == 0 && json_object_get(r.json, "update")) {
            json_object_set(answer, "update", json_clone(json_object_get(r.json, "update")));
            u = json_object_get(answer, "update");
        }
        devresponse_free(&r);
    }
    if (inv->output == CLI_OUTPUT_JSON) {
        print_json(answer);
    } else {
        printf("Injected %s%s%s.\n", event, type || !strcmp(event, "updateReadyForInstall") ? " " : "",
               !strcmp(event, "noUpdateAvailable") ? "" : type && !strcmp(type, "system") ? "(system update)" : "(app update)");
        const struct json_value *notified = json_object_get(answer, "notified");
        print_apps("Notified apps", notified, false);
        if (u && u->type == JSON_OBJECT) {
            print_update(u);
            const struct json_value *d = json_object_get(u, "deferrals");
            printf("%s\n", d && d->type == JSON_ARRAY && d->u.array.count ? "An app deferred the update."
                                                                            : "No app deferred the update.");
        }
    }
    json_free(answer);
    return CLI_EXIT_OK;
}

static const struct cli_option sysevent_options[] = {
    {"update-type", 0, "app|system", false, false, "What the update replaces (default app)."},
    {"max-deferral-minutes", 0, "N", false, false,
     "The deferral allowance the apps are told (default and maximum: 10020 for app updates, 1440 for system updates)."},
    {"window-seconds", 0, "N", false, false, "The Pending and Final warning windows (default 10, as on the platform)."},
    {"seconds-per-minute", 0, "N", false, false, "Speed up the simulated clock for deferrals (default 60)."},
    {"no-wait", 0, NULL, false, false, "Do not wait for the Pending window to see who deferred."},
    {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."},
    {NULL, 0, NULL, false, false, NULL},
};

const struct cli_command cmd_sim_sysevent = {
    .name = "sysevent",
    .summary = "Inject a system event (updateReadyForInstall, updateStarted, noUpdateAvailable), or show registrations.",
    .options = sysevent_options, .positionals = CLI_POSITIONALS({"EVENT", true}), .prints_data = true,
    .details = "Without EVENT, shows which apps are registered for system events and the update offer with its deferrals.\n"
               "With updateReadyForInstall, waits for the Pending window and prints which apps were notified and who deferred.",
    .run = run_sysevent};
