/* SPDX-License-Identifier: MIT */
/* manifest.c — app_manifest.json validation and normalisation (see manifest.h, docs/manifest.md).
 * One module: a table of rules, one small function per capability, over one manifest. */
#include "manifest.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mt3620.h"

enum { APP_HL = 1, APP_RT = 2, APP_ANY = APP_HL | APP_RT };

enum cap_kind {
    CAP_BOOL,        /* true / false */
    CAP_PERIPHERAL,  /* names or raw values, resolved through the hardware definition */
    CAP_HOSTS,       /* AllowedConnections */
    CAP_PORTS,       /* AllowedTcpServerPorts / AllowedUdpServerPorts */
    CAP_COMPONENTS,  /* AllowedApplicationConnections */
    CAP_TENANT,      /* DeviceAuthentication */
    CAP_STORAGE,     /* MutableStorage */
    CAP_STRING_SET,  /* PowerControls, ExternalInterrupt, I2sSubordinate */
};

struct cap_rule {
    const char *name;
    enum cap_kind kind;
    unsigned apps;
    enum hwdef_type peripheral_type; /* CAP_PERIPHERAL */
    bool (*valid_member)(const char *); /* CAP_STRING_SET */
    const char *members_hint;           /* CAP_STRING_SET */
};

static bool is_power_control(const char *s)
{
    return !strcmp(s, "ForcePowerDown") || !strcmp(s, "ForceReboot") || !strcmp(s, "SetPowerProfile");
}

static const struct cap_rule cap_rules[] = {
    {"Adc", CAP_PERIPHERAL, APP_ANY, HWDEF_ADC, NULL, NULL},
    {"AllowedApplicationConnections", CAP_COMPONENTS, APP_ANY, 0, NULL, NULL},
    {"AllowedConnections", CAP_HOSTS, APP_HL, 0, NULL, NULL},
    {"AllowedTcpServerPorts", CAP_PORTS, APP_HL, 0, NULL, NULL},
    {"AllowedUdpServerPorts", CAP_PORTS, APP_HL, 0, NULL, NULL},
    {"CertStore", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"DeviceAuthentication", CAP_TENANT, APP_HL, 0, NULL, NULL},
    {"DhcpService", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"EnterpriseWifiConfig", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"ExternalInterrupt", CAP_STRING_SET, APP_RT, 0, mt3620_is_eint, "EINT0 to EINT23"},
    {"Gpio", CAP_PERIPHERAL, APP_ANY, HWDEF_GPIO, NULL, NULL},
    {"HardwareAddressConfig", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"HeapMemStats", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"I2cMaster", CAP_PERIPHERAL, APP_ANY, HWDEF_I2C_MASTER, NULL, NULL},
    {"I2sSubordinate", CAP_STRING_SET, APP_RT, 0, mt3620_is_i2s, "I2S0 or I2S1"},
    {"MutableStorage", CAP_STORAGE, APP_HL, 0, NULL, NULL},
    {"NetworkConfig", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"PowerControls", CAP_STRING_SET, APP_HL, 0, is_power_control, "ForcePowerDown, ForceReboot or SetPowerProfile"},
    {"Pwm", CAP_PERIPHERAL, APP_ANY, HWDEF_PWM, NULL, NULL},
    {"ReadNetworkProxyConfig", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"SntpService", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"SoftwareUpdateDeferral", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"SpiMaster", CAP_PERIPHERAL, APP_ANY, HWDEF_SPI_MASTER, NULL, NULL},
    {"SystemEventNotifications", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"SystemTime", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"TimeSyncConfig", CAP_BOOL, APP_HL, 0, NULL, NULL},
    {"Uart", CAP_PERIPHERAL, APP_ANY, HWDEF_UART, NULL, NULL},
    {"WifiConfig", CAP_BOOL, APP_HL, 0, NULL, NULL},
};

static const char *const top_level_fields[] = {
    "SchemaVersion", "Name",          "ComponentId",    "EntryPoint",     "CmdArgs",
    "Capabilities",  "ApplicationType", "TargetBetaApis", "TargetApplicationRuntimeVersion", "MallocVersion",
};

/* A pin claimed by one capability value, for same-pin checks. */
struct pin_claim {
    int pin;
    const char *capability;
    char *value_text;
    struct json_pos pos;
};

struct validator {
    const char *file;
    const struct manifest_context *ctx;
    struct diag_list *diags;
    struct manifest *m;
    unsigned app; /* APP_HL or APP_RT */
    const char *component_id_text;
    struct pin_claim *claims;
    size_t claim_count;
    bool oom;
};

static void error_at(struct validator *v, struct json_pos pos, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void warning_at(struct validator *v, struct json_pos pos, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void vreport(struct validator *v, enum diag_severity sev, struct json_pos pos, const char *path,
                    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void vreport(struct validator *v, enum diag_severity sev, struct json_pos pos, const char *path,
                    const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    diag_add(v->diags, sev, v->file, pos.line, pos.col, path, "%s", msg);
}

static void error_at(struct validator *v, struct json_pos pos, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(v, DIAG_ERROR, pos, path, fmt, ap);
    va_end(ap);
}

static void warning_at(struct validator *v, struct json_pos pos, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(v, DIAG_WARNING, pos, path, fmt, ap);
    va_end(ap);
}

/* ---- small helpers ------------------------------------------------------------------------ */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

/* The closest of `names` to `word` (within 2 edits, case ignored), or NULL. */
static const char *suggest(const char *word, const char *const *names, size_t count, size_t stride)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < count; i++) {
        const char *n = *(const char *const *)((const char *)names + i * stride);
        size_t d = edit_distance(word, n);
        if (d < best_d)
            best = n, best_d = d;
    }
    return best;
}

static void suggestion_text(const char *s, char *buf, size_t size)
{
    if (s)
        snprintf(buf, size, "; did you mean \"%s\"?", s);
    else
        buf[0] = '\0';
}

static bool is_integer(const struct json_value *j)
{
    return j->type == JSON_NUMBER && j->u.number.is_integer;
}

/* Marks a path cut short by its buffer (a pathological key length) with "...". */
static void mark_truncated(char *buf, size_t size, int written)
{
    if (written >= 0 && (size_t)written >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
}

static void child_path(char *buf, size_t size, const char *parent, const char *key)
{
    mark_truncated(buf, size, snprintf(buf, size, "%s%s%s", parent, parent[0] ? "." : "", key));
}

static void index_path(char *buf, size_t size, const char *parent, size_t index)
{
    mark_truncated(buf, size, snprintf(buf, size, "%s[%zu]", parent, index));
}

static int add_entry(struct validator *v, const char *capability, struct json_value *raw, const char *from)
{
    if (!raw) {
        v->oom = true;
        return -ENOMEM;
    }
    struct manifest *m = v->m;
    struct manifest_entry *e = realloc(m->entries, (m->entry_count + 1) * sizeof *e);
    char *from_copy = from ? strdup(from) : NULL;
    if (!e || (from && !from_copy)) {
        if (e)
            m->entries = e;
        free(from_copy);
        json_free(raw);
        v->oom = true;
        return -ENOMEM;
    }
    m->entries = e;
    e[m->entry_count++] = (struct manifest_entry){capability, raw, from_copy};
    return 0;
}

/* Requires an array; reports and returns false otherwise. */
static bool expect_array(struct validator *v, const struct json_value *j, const char *path, const char *what)
{
    if (j->type == JSON_ARRAY)
        return true;
    error_at(v, j->pos, path, "must be an array of %s, not %s", what, json_type_phrase(j->type));
    return false;
}

/* ---- capabilities ------------------------------------------------------------------------- */

static void claim_pins(struct validator *v, const char *capability, const struct json_value *raw,
                       const char *path)
{
    int pins[MT3620_MAX_BLOCK_PINS];
    char text[64];
    size_t n;
    if (raw->type == JSON_NUMBER) {
        n = mt3620_pins(capability, (long)raw->u.number.integer, NULL, pins);
        snprintf(text, sizeof text, "%lld", (long long)raw->u.number.integer);
    } else {
        n = mt3620_pins(capability, 0, raw->u.string.chars, pins);
        snprintf(text, sizeof text, "\"%s\"", raw->u.string.chars);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < v->claim_count; c++) {
            const struct pin_claim *other = &v->claims[c];
            if (other->pin != pins[i])
                continue;
            error_at(v, raw->pos, path,
                     "%s %s uses GPIO %d, which %s %s (line %u) already uses; peripherals that share a pin "
                     "cannot both be requested",
                     capability, text, pins[i], other->capability, other->value_text, other->pos.line);
            return; /* one report per value */
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct pin_claim *claims = realloc(v->claims, (v->claim_count + 1) * sizeof *claims);
        char *copy = strdup(text);
        if (!claims || !copy) {
            if (claims)
                v->claims = claims;
            free(copy);
            v->oom = true;
            return;
        }
        v->claims = claims;
        claims[v->claim_count++] = (struct pin_claim){pins[i], capability, copy, raw->pos};
    }
}

/* Is `raw` the AppManifestValue of a root entry of type `type` in the chip definition? */
static bool raw_value_exists(const struct hwdef_set *chip, enum hwdef_type type, const struct json_value *raw)
{
    for (size_t f = 0; f < chip->file_count; f++) {
        const struct hwdef_file *file = chip->files[f];
        for (size_t i = 0; i < file->peripheral_count; i++) {
            const struct hwdef_peripheral *p = &file->peripherals[i];
            if (p->mapping || p->type != type || !p->value)
                continue;
            if (raw->type == JSON_NUMBER && p->value->type == JSON_NUMBER &&
                p->value->u.number.integer == raw->u.number.integer)
                return true;
            if (raw->type == JSON_STRING && p->value->type == JSON_STRING &&
                strcmp(p->value->u.string.chars, raw->u.string.chars) == 0)
                return true;
        }
    }
    return false;
}

static bool same_raw(const struct json_value *a, const struct json_value *b)
{
    if (a->type != b->type)
        return false;
    if (a->type == JSON_NUMBER)
        return a->u.number.integer == b->u.number.integer;
    return strcmp(a->u.string.chars, b->u.string.chars) == 0;
}

/* Resolves one "$NAME"; returns a fresh raw value or NULL (after reporting). */
static struct json_value *resolve_name(struct validator *v, const struct cap_rule *rule, const struct json_value *item,
                                       const char *path)
{
    const char *name = item->u.string.chars + 1;
    if (v->app == APP_RT) {
        error_at(v, item->pos, path,
                 "real-time capable apps must use raw values (such as %s), not hardware-definition names",
                 rule->peripheral_type == HWDEF_GPIO ? "8" : "\"ISU0\"");
        return NULL;
    }
    if (!v->ctx->target) {
        error_at(v, item->pos, path,
                 "\"%s\" is a hardware-definition name, but no target hardware definition was given "
                 "(--target-definition-filename)",
                 item->u.string.chars);
        return NULL;
    }
    const struct hwdef_peripheral *p = hwdef_lookup(v->ctx->target, name);
    if (!p) {
        error_at(v, item->pos, path, "unknown hardware-definition name \"%s\": %s and its imports do not define %s",
                 item->u.string.chars, v->ctx->target->root->display_path, name);
        return NULL;
    }
    if (p->type == HWDEF_INT) {
        error_at(v, item->pos, path,
                 "\"%s\" is not a peripheral (its type is int, e.g. a channel or chip select) and has no meaning "
                 "in an app manifest",
                 item->u.string.chars);
        return NULL;
    }
    if (p->type != rule->peripheral_type) {
        error_at(v, item->pos, path, "\"%s\" is a %s and cannot be used as %s", item->u.string.chars,
                 hwdef_type_name(p->type), rule->name);
        return NULL;
    }
    const struct hwdef_peripheral *root = hwdef_resolve(p);
    if (!root || !root->value) {
        error_at(v, item->pos, path, "\"%s\" does not resolve to a peripheral value in %s", item->u.string.chars,
                 v->ctx->target->root->display_path);
        return NULL;
    }
    struct json_value *raw = json_clone(root->value);
    if (!raw)
        v->oom = true;
    else
        raw->pos = item->pos;
    return raw;
}

static struct json_value *check_raw_peripheral(struct validator *v, const struct cap_rule *rule,
                                               const struct json_value *item, const char *path)
{
    bool gpio = rule->peripheral_type == HWDEF_GPIO;
    if (gpio && !is_integer(item)) {
        error_at(v, item->pos, path, "a Gpio must be a GPIO number%s, not %s",
                 v->app == APP_HL ? " or a \"$NAME\" from the hardware definition" : "",
                 item->type == JSON_NUMBER ? "a fraction" : json_type_phrase(item->type));
        return NULL;
    }
    if (!gpio && item->type != JSON_STRING) {
        error_at(v, item->pos, path, "must be a string such as %s, not %s",
                 rule->peripheral_type == HWDEF_PWM   ? "\"PWM-CONTROLLER-0\""
                 : rule->peripheral_type == HWDEF_ADC ? "\"ADC-CONTROLLER-0\""
                                                      : "\"ISU0\"",
                 json_type_phrase(item->type));
        return NULL;
    }
    if (v->ctx->chip && !raw_value_exists(v->ctx->chip, rule->peripheral_type, item)) {
        if (gpio)
            error_at(v, item->pos, path, "GPIO %lld does not exist on this chip (%s)", (long long)item->u.number.integer,
                     v->ctx->chip->root->display_path);
        else
            error_at(v, item->pos, path, "\"%s\" is not a %s on this chip (%s)", item->u.string.chars, rule->name,
                     v->ctx->chip->root->display_path);
        return NULL;
    }
    struct json_value *raw = json_clone(item);
    if (!raw)
        v->oom = true;
    return raw;
}

static struct json_value *check_peripherals(struct validator *v, const struct cap_rule *rule,
                                            const struct json_value *list, const char *path)
{
    if (!expect_array(v, list, path, rule->peripheral_type == HWDEF_GPIO ? "GPIOs" : "peripherals"))
        return NULL;
    struct json_value *out = json_new_array();
    if (!out) {
        v->oom = true;
        return NULL;
    }
    bool names = false, raws = false;
    for (size_t i = 0; i < list->u.array.count; i++) {
        const struct json_value *item = list->u.array.items[i];
        char ipath[128];
        index_path(ipath, sizeof ipath, path, i);
        bool is_name = item->type == JSON_STRING && item->u.string.chars[0] == '$';
        if (v->app == APP_HL && ((is_name && raws) || (!is_name && names)))
            error_at(v, item->pos, ipath,
                     "mixes hardware-definition names and raw values in one capability; use one kind only");
        names |= is_name;
        raws |= !is_name;
        struct json_value *raw = is_name ? resolve_name(v, rule, item, ipath) : check_raw_peripheral(v, rule, item, ipath);
        if (!raw)
            continue;
        bool duplicate = false;
        for (size_t k = 0; k < out->u.array.count && !duplicate; k++) {
            const struct json_value *prev = out->u.array.items[k];
            if (same_raw(prev, raw)) {
                duplicate = true;
                error_at(v, item->pos, ipath, "requests the same %s as %s[%zu] (line %u)", rule->name, path, k,
                         prev->pos.line);
            }
        }
        if (duplicate) {
            json_free(raw);
            continue;
        }
        claim_pins(v, rule->name, raw, ipath);
        add_entry(v, rule->name, json_clone(raw), is_name ? item->u.string.chars : NULL);
        if (json_array_append(out, raw))
            v->oom = true;
    }
    return out;
}

static bool is_ipv4_shaped(const char *s)
{
    for (; *s; s++)
        if (!(isdigit((unsigned char)*s) || *s == '.'))
            return false;
    return true;
}

static bool is_ipv4(const char *s)
{
    int parts = 0;
    while (*s) {
        if (!isdigit((unsigned char)*s))
            return false;
        if (*s == '0' && isdigit((unsigned char)s[1]))
            return false; /* no leading zeros: 010 would be ambiguous */
        long n = 0;
        int digits = 0;
        while (isdigit((unsigned char)*s) && digits < 4)
            n = n * 10 + (*s++ - '0'), digits++;
        if (n > 255 || isdigit((unsigned char)*s))
            return false;
        parts++;
        if (*s == '.') {
            s++;
            if (!*s)
                return false;
        } else if (*s) {
            return false;
        }
    }
    return parts == 4;
}

/* NULL if `host` is a valid DNS host name, else the reason. A label may begin with one '_'
 * followed by at least one letter, digit or '-': the service and protocol labels of a DNS-SD
 * service instance name such as `_sample-service._tcp.local` (RFC 6763 section 7; the platform's
 * DNSServiceDiscovery sample lists that name). '_' anywhere else is refused. */
static const char *host_name_problem(const char *host)
{
    size_t len = strlen(host);
    if (len > 253)
        return "is longer than 253 characters";
    if (host[len - 1] == '.')
        return "ends with a dot; write the name without it";
    size_t label = 0;
    for (const char *c = host;; c++) {
        if (*c == '.' || *c == '\0') {
            if (label == 0)
                return "has an empty label (two dots in a row, or a leading dot)";
            if (label > 63)
                return "has a label longer than 63 characters";
            if (c[-1] == '-')
                return "has a label that ends with '-'";
            if (!*c)
                return NULL;
            label = 0;
            continue;
        }
        if (label == 0 && *c == '_') {
            if (c[1] == '.' || c[1] == '\0')
                return "has a label that is only '_'";
            if (c[1] == '-' || c[1] == '_')
                return "has a label that starts with '_' followed by '-' or '_'";
            label++;
            continue;
        }
        if (label == 0 && *c == '-')
            return "has a label that starts with '-'";
        if (label == 0 && *c == '_') { /* a DNS-SD service or protocol label: _service._tcp.local */
            label++;
            continue;
        }
        if (!(isalnum((unsigned char)*c) || *c == '-'))
            return "contains a character not allowed in a host name (letters, digits, '-' and '.'; '_' only to begin a "
                   "DNS-SD service label)";
        label++;
    }
}

static struct json_value *check_hosts(struct validator *v, const struct json_value *list, const char *path)
{
    if (!expect_array(v, list, path, "host names or IPv4 addresses"))
        return NULL;
    for (size_t i = 0; i < list->u.array.count; i++) {
        const struct json_value *item = list->u.array.items[i];
        char ipath[128];
        index_path(ipath, sizeof ipath, path, i);
        if (item->type != JSON_STRING) {
            error_at(v, item->pos, ipath, "must be a host name or an IPv4 address (a string), not %s",
                     json_type_phrase(item->type));
            continue;
        }
        const char *h = item->u.string.chars;
        const char *problem = NULL;
        if (!*h)
            problem = "is empty";
        else if (strchr(h, '*'))
            problem = "contains a wildcard; list each host name in full";
        else if (strstr(h, "://"))
            problem = "is a URL; list only the host name";
        else if (strchr(h, ':'))
            problem = strchr(strchr(h, ':') + 1, ':') ? "is an IPv6 address; only host names and IPv4 addresses are allowed"
                                                      : "contains a port number; ports are not allowed here";
        else if (strchr(h, '/'))
            problem = "contains a '/'; list only the host name";
        else if (is_ipv4_shaped(h))
            problem = is_ipv4(h) ? NULL : "is not a valid IPv4 address";
        else
            problem = host_name_problem(h);
        if (problem) {
            error_at(v, item->pos, ipath, "\"%s\" %s", h, problem);
            continue;
        }
        for (size_t k = 0; k < i; k++) {
            const struct json_value *prev = list->u.array.items[k];
            if (prev->type == JSON_STRING && strcasecmp(prev->u.string.chars, h) == 0) {
                warning_at(v, item->pos, ipath, "\"%s\" is listed twice (also %s[%zu])", h, path, k);
                break;
            }
        }
        add_entry(v, "AllowedConnections", json_clone(item), NULL);
    }
    return json_clone(list);
}

static struct json_value *check_ports(struct validator *v, const struct cap_rule *rule, const struct json_value *list,
                                      const char *path)
{
    if (!expect_array(v, list, path, "port numbers"))
        return NULL;
    if (list->u.array.count > MANIFEST_MAX_SERVER_PORTS)
        error_at(v, list->pos, path, "lists %zu ports; at most %d are allowed", list->u.array.count,
                 MANIFEST_MAX_SERVER_PORTS);
    for (size_t i = 0; i < list->u.array.count; i++) {
        const struct json_value *item = list->u.array.items[i];
        char ipath[128];
        index_path(ipath, sizeof ipath, path, i);
        if (!is_integer(item)) {
            error_at(v, item->pos, ipath, "must be a port number (an integer from 1024 to 65535), not %s",
                     item->type == JSON_NUMBER ? "a fraction" : json_type_phrase(item->type));
            continue;
        }
        long long port = item->u.number.integer;
        if (port < 1024 || port > 65535) {
            error_at(v, item->pos, ipath, "port %lld is out of range: server ports must be from 1024 to 65535", port);
            continue;
        }
        for (size_t k = 0; k < i; k++) {
            const struct json_value *prev = list->u.array.items[k];
            if (is_integer(prev) && prev->u.number.integer == port) {
                error_at(v, item->pos, ipath, "port %lld is listed twice (also %s[%zu])", port, path, k);
                break;
            }
        }
        add_entry(v, rule->name, json_clone(item), NULL);
    }
    return json_clone(list);
}

static struct json_value *check_components(struct validator *v, const struct json_value *list, const char *path)
{
    if (!expect_array(v, list, path, "component IDs"))
        return NULL;
    struct guid own = {{0}};
    bool have_own = v->component_id_text && guid_parse(v->component_id_text, &own) == 0;
    for (size_t i = 0; i < list->u.array.count; i++) {
        const struct json_value *item = list->u.array.items[i];
        char ipath[128];
        index_path(ipath, sizeof ipath, path, i);
        struct guid g;
        if (item->type != JSON_STRING || guid_parse(item->u.string.chars, &g) != 0) {
            error_at(v, item->pos, ipath,
                     "must be a component ID (a GUID such as \"005180bc-402f-4cb3-a662-72937dbcde47\")");
            continue;
        }
        if (have_own && guid_equal(&g, &own)) {
            error_at(v, item->pos, ipath, "is this app's own component ID; an app cannot connect to itself");
            continue;
        }
        for (size_t k = 0; k < i; k++) {
            const struct json_value *prev = list->u.array.items[k];
            struct guid pg;
            if (prev->type == JSON_STRING && guid_parse(prev->u.string.chars, &pg) == 0 && guid_equal(&pg, &g)) {
                error_at(v, item->pos, ipath, "component %s is listed twice (also %s[%zu]; IDs compare ignoring case)",
                         item->u.string.chars, path, k);
                break;
            }
        }
        add_entry(v, "AllowedApplicationConnections", json_clone(item), NULL);
    }
    return json_clone(list);
}

static struct json_value *check_string_set(struct validator *v, const struct cap_rule *rule,
                                           const struct json_value *list, const char *path)
{
    if (!expect_array(v, list, path, "strings"))
        return NULL;
    if (list->u.array.count == 0 && rule->valid_member == is_power_control)
        error_at(v, list->pos, path, "is empty; list at least one of %s, or leave PowerControls out",
                 rule->members_hint);
    for (size_t i = 0; i < list->u.array.count; i++) {
        const struct json_value *item = list->u.array.items[i];
        char ipath[128];
        index_path(ipath, sizeof ipath, path, i);
        if (item->type != JSON_STRING || !rule->valid_member(item->u.string.chars)) {
            error_at(v, item->pos, ipath, "must be one of %s%s%s%s", rule->members_hint,
                     item->type == JSON_STRING ? ", not \"" : "", item->type == JSON_STRING ? item->u.string.chars : "",
                     item->type == JSON_STRING ? "\"" : "");
            continue;
        }
        bool duplicate = false;
        for (size_t k = 0; k < i && !duplicate; k++) {
            const struct json_value *prev = list->u.array.items[k];
            duplicate = prev->type == JSON_STRING && strcmp(prev->u.string.chars, item->u.string.chars) == 0;
        }
        if (duplicate) {
            error_at(v, item->pos, ipath, "\"%s\" is listed twice", item->u.string.chars);
            continue;
        }
        if (rule->valid_member == mt3620_is_i2s)
            claim_pins(v, rule->name, item, ipath);
        add_entry(v, rule->name, json_clone(item), NULL);
    }
    return json_clone(list);
}

static struct json_value *check_storage(struct validator *v, const struct json_value *obj, const char *path)
{
    if (obj->type != JSON_OBJECT) {
        error_at(v, obj->pos, path, "must be an object such as { \"SizeKB\": 64 }, not %s", json_type_phrase(obj->type));
        return NULL;
    }
    char kpath[128];
    for (size_t i = 0; i < obj->u.object.count; i++) {
        const struct json_member *m = &obj->u.object.members[i];
        if (strcmp(m->key, "SizeKB") != 0) {
            child_path(kpath, sizeof kpath, path, m->key);
            error_at(v, m->key_pos, kpath, "unknown field; MutableStorage has only \"SizeKB\"");
        }
    }
    const struct json_value *size = json_object_get(obj, "SizeKB");
    child_path(kpath, sizeof kpath, path, "SizeKB");
    if (!size) {
        error_at(v, obj->pos, path, "missing required field \"SizeKB\"");
        return NULL;
    }
    if (!is_integer(size)) {
        error_at(v, size->pos, kpath, "must be a whole number of kibibytes, not %s",
                 size->type == JSON_NUMBER ? "a fraction" : json_type_phrase(size->type));
        return NULL;
    }
    if (size->u.number.integer < 0 || size->u.number.integer > MANIFEST_MAX_MUTABLE_STORAGE_KB) {
        error_at(v, size->pos, kpath, "%lld KiB is out of range: mutable storage is 0 to %d KiB",
                 (long long)size->u.number.integer, MANIFEST_MAX_MUTABLE_STORAGE_KB);
        return NULL;
    }
    v->m->mutable_storage_kb = (unsigned)size->u.number.integer;
    add_entry(v, "MutableStorage", json_clone(size), NULL);
    struct json_value *out = json_new_object();
    if (!out || json_object_append(out, "SizeKB", json_new_int(size->u.number.integer)))
        v->oom = true;
    return out;
}

static struct json_value *check_capability(struct validator *v, const struct cap_rule *rule,
                                           const struct json_value *value, const char *path)
{
    switch (rule->kind) {
    case CAP_BOOL:
        if (value->type != JSON_BOOL) {
            error_at(v, value->pos, path, "must be true or false, not %s", json_type_phrase(value->type));
            return NULL;
        }
        add_entry(v, rule->name, json_clone(value), NULL);
        return json_clone(value);
    case CAP_TENANT: {
        struct guid g;
        if (value->type != JSON_STRING || guid_parse(value->u.string.chars, &g) != 0) {
            error_at(v, value->pos, path,
                     "must be the tenant ID, a GUID such as \"77304f1f-9530-4157-8598-30bc1f3d66f0\"");
            return NULL;
        }
        add_entry(v, rule->name, json_clone(value), NULL);
        return json_clone(value);
    }
    case CAP_PERIPHERAL:
        return check_peripherals(v, rule, value, path);
    case CAP_HOSTS:
        return check_hosts(v, value, path);
    case CAP_PORTS:
        return check_ports(v, rule, value, path);
    case CAP_COMPONENTS:
        return check_components(v, value, path);
    case CAP_STORAGE:
        return check_storage(v, value, path);
    case CAP_STRING_SET:
        return check_string_set(v, rule, value, path);
    }
    return NULL;
}

static struct json_value *check_capabilities(struct validator *v, const struct json_value *caps)
{
    if (caps->type != JSON_OBJECT) {
        error_at(v, caps->pos, "Capabilities", "must be an object, not %s", json_type_phrase(caps->type));
        return NULL;
    }
    struct json_value *out = json_new_object();
    if (!out) {
        v->oom = true;
        return NULL;
    }
    const size_t rule_count = sizeof cap_rules / sizeof cap_rules[0];
    for (size_t i = 0; i < caps->u.object.count; i++) {
        const struct json_member *m = &caps->u.object.members[i];
        char path[128];
        child_path(path, sizeof path, "Capabilities", m->key);
        const struct cap_rule *rule = NULL;
        for (size_t r = 0; r < rule_count && !rule; r++)
            if (strcmp(cap_rules[r].name, m->key) == 0)
                rule = &cap_rules[r];
        if (!rule) {
            char hint[96];
            suggestion_text(suggest(m->key, &cap_rules[0].name, rule_count, sizeof cap_rules[0]), hint, sizeof hint);
            error_at(v, m->key_pos, path, "unknown capability \"%s\"%s", m->key, hint);
            continue;
        }
        if (!(rule->apps & v->app)) {
            error_at(v, m->key_pos, path, "%s is available only to %s apps", rule->name,
                     rule->apps == APP_RT ? "real-time capable" : "high-level");
            continue;
        }
        struct json_value *normalized = check_capability(v, rule, m->value, path);
        if (normalized && json_object_append(out, m->key, normalized))
            v->oom = true;
    }
    return out;
}

/* ---- top level ---------------------------------------------------------------------------- */

static const char *require_string(struct validator *v, const struct json_value *root, const char *key)
{
    const struct json_value *j = json_object_get(root, key);
    if (!j) {
        error_at(v, root->pos, NULL, "missing required field \"%s\"", key);
        return NULL;
    }
    if (j->type != JSON_STRING) {
        error_at(v, j->pos, key, "must be a string, not %s", json_type_phrase(j->type));
        return NULL;
    }
    return j->u.string.chars;
}

static void check_application_type(struct validator *v, const struct json_value *root)
{
    const struct json_value *t = json_object_get(root, "ApplicationType");
    v->m->app_type = MANIFEST_APP_DEFAULT;
    v->app = APP_HL;
    if (!t)
        return;
    if (t->type == JSON_STRING && strcmp(t->u.string.chars, "Default") == 0)
        return;
    if (t->type == JSON_STRING && strcmp(t->u.string.chars, "Debugger") == 0) {
        v->m->app_type = MANIFEST_APP_DEBUGGER;
        return;
    }
    if (t->type == JSON_STRING && strcmp(t->u.string.chars, "RealTimeCapable") == 0) {
        v->m->app_type = MANIFEST_APP_REALTIME;
        v->app = APP_RT;
        return;
    }
    error_at(v, t->pos, "ApplicationType", "must be \"Default\", \"RealTimeCapable\" or \"Debugger\"");
}

static void check_entry_point(struct validator *v, const struct json_value *root)
{
    const char *ep = require_string(v, root, "EntryPoint");
    if (!ep)
        return;
    const struct json_value *j = json_object_get(root, "EntryPoint");
    const char *problem = NULL;
    const char *rel = ep[0] == '/' ? ep + 1 : ep;
    size_t len = strlen(ep);
    if (!*rel)
        problem = "is empty; name the executable, e.g. \"/bin/app\"";
    else if (ep[len - 1] == '/')
        problem = "ends with '/'; it must name a file";
    else if (strstr(rel, "//"))
        problem = "contains an empty path component";
    else {
        for (const char *c = rel; *c && !problem;) {
            const char *slash = strchr(c, '/');
            size_t n = slash ? (size_t)(slash - c) : strlen(c);
            if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                problem = "contains '.' or '..'; it must be a plain path inside the image package";
            c += n + (slash ? 1 : 0);
        }
    }
    if (problem)
        error_at(v, j->pos, "EntryPoint", "\"%s\" %s", ep, problem);
    else if (!(v->m->entry_point = strdup(ep)))
        v->oom = true;
}

static void check_fields(struct validator *v, const struct json_value *root)
{
    const struct json_value *sv = json_object_get(root, "SchemaVersion");
    if (!sv)
        error_at(v, root->pos, NULL, "missing required field \"SchemaVersion\"");
    else if (!is_integer(sv) || sv->u.number.integer != 1)
        error_at(v, sv->pos, "SchemaVersion", "must be 1");

    const char *name = require_string(v, root, "Name");
    if (name) {
        const struct json_value *j = json_object_get(root, "Name");
        if (!*name)
            error_at(v, j->pos, "Name", "is empty");
        else if (strlen(name) > MANIFEST_STORED_NAME_MAX)
            warning_at(v, j->pos, "Name", "only the first %d characters (\"%.*s\") are stored in the image package",
                       MANIFEST_STORED_NAME_MAX, MANIFEST_STORED_NAME_MAX, name);
        if (!(v->m->name = strdup(name)))
            v->oom = true;
    }

    const char *cid = require_string(v, root, "ComponentId");
    if (cid) {
        const struct json_value *j = json_object_get(root, "ComponentId");
        if (guid_parse(cid, &v->m->component_id) != 0)
            error_at(v, j->pos, "ComponentId", "\"%s\" is not a GUID (expected the form "
                     "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", cid);
        else if (guid_is_nil(&v->m->component_id))
            error_at(v, j->pos, "ComponentId", "must not be the nil GUID; generate a fresh one (uuidgen)");
        else
            v->component_id_text = cid;
    }

    check_entry_point(v, root);

    const struct json_value *args = json_object_get(root, "CmdArgs");
    if (args && args->type != JSON_ARRAY)
        error_at(v, args->pos, "CmdArgs", "must be an array of strings, not %s", json_type_phrase(args->type));
    for (size_t i = 0; args && args->type == JSON_ARRAY && i < args->u.array.count; i++)
        if (args->u.array.items[i]->type != JSON_STRING) {
            char p[64];
            index_path(p, sizeof p, "CmdArgs", i);
            error_at(v, args->u.array.items[i]->pos, p, "must be a string, not %s",
                     json_type_phrase(args->u.array.items[i]->type));
        }

    const struct json_value *mv = json_object_get(root, "MallocVersion");
    if (mv && (!is_integer(mv) || mv->u.number.integer < 1 || mv->u.number.integer > 2))
        error_at(v, mv->pos, "MallocVersion", "must be 1 (standard malloc) or 2 (mallocng)");
    else if (mv && v->app == APP_RT)
        /* The SDK's 23.x+ templates write it into every manifest, RTApps' included: accepted and
         * kept in the package as written; an RTApp has no libc malloc for it to choose. */
        warning_at(v, mv->pos, "MallocVersion", "applies only to high-level apps; a real-time capable app ignores it");

    const struct json_value *arv = json_object_get(root, "TargetApplicationRuntimeVersion");
    if (arv && v->app == APP_RT)
        error_at(v, arv->pos, "TargetApplicationRuntimeVersion", "real-time capable apps have no runtime version");
    else if (arv && (!is_integer(arv) || arv->u.number.integer < 1 || arv->u.number.integer > 1000))
        error_at(v, arv->pos, "TargetApplicationRuntimeVersion", "must be a positive integer (an ARV such as 16)");

    const struct json_value *beta = json_object_get(root, "TargetBetaApis");
    if (beta && v->app == APP_RT) {
        error_at(v, beta->pos, "TargetBetaApis", "real-time capable apps use no beta APIs");
    } else if (beta) {
        const char *b = beta->type == JSON_STRING ? beta->u.string.chars : "";
        bool ok = strlen(b) == 8 && strncmp(b, "Beta", 4) == 0;
        for (int i = 4; ok && i < 8; i++)
            ok = isdigit((unsigned char)b[i]);
        if (!ok)
            error_at(v, beta->pos, "TargetBetaApis", "must name a beta API set such as \"Beta2101\"");
    }

    const size_t known_count = sizeof top_level_fields / sizeof top_level_fields[0];
    for (size_t i = 0; i < root->u.object.count; i++) {
        const struct json_member *m = &root->u.object.members[i];
        bool known = false;
        for (size_t k = 0; k < known_count && !known; k++)
            known = strcmp(m->key, top_level_fields[k]) == 0;
        if (known)
            continue;
        char hint[96];
        suggestion_text(suggest(m->key, top_level_fields, known_count, sizeof top_level_fields[0]), hint, sizeof hint);
        error_at(v, m->key_pos, m->key, "unknown field \"%s\"%s", m->key, hint);
    }
}

static struct json_value *normalize(struct validator *v, const struct json_value *root, struct json_value *caps)
{
    struct json_value *out = json_new_object();
    bool has_type = json_object_get(root, "ApplicationType") != NULL;
    for (size_t i = 0; out && i < root->u.object.count; i++) {
        const struct json_member *m = &root->u.object.members[i];
        struct json_value *val;
        if (strcmp(m->key, "Capabilities") == 0) {
            val = caps;
            caps = NULL;
        } else {
            val = json_clone(m->value);
        }
        if (json_object_append(out, m->key, val)) {
            json_free(out);
            out = NULL;
        }
    }
    json_free(caps);
    if (out && !has_type && json_object_append(out, "ApplicationType", json_new_string("Default"))) {
        json_free(out);
        out = NULL;
    }
    if (!out)
        v->oom = true;
    return out;
}

int manifest_validate(const char *text, size_t len, const char *file, const struct manifest_context *ctx,
                      struct diag_list *diags, struct manifest **out)
{
    *out = NULL;
    size_t errors_before = diag_error_count(diags);
    struct json_value *root = NULL;
    struct json_options opts = {.allow_trailing_commas = true};
    int err = json_parse(text, len, &opts, file, diags, &root);
    if (err)
        return err;
    if (root->type != JSON_OBJECT) {
        diag_add(diags, DIAG_ERROR, file, root->pos.line, root->pos.col, NULL,
                 "an app manifest must be a JSON object, not %s", json_type_phrase(root->type));
        json_free(root);
        return -EINVAL;
    }
    struct manifest *m = calloc(1, sizeof *m);
    if (!m) {
        json_free(root);
        return -ENOMEM;
    }
    struct validator v = {.file = file, .ctx = ctx, .diags = diags, .m = m};
    check_application_type(&v, root);
    check_fields(&v, root);
    const struct json_value *caps = json_object_get(root, "Capabilities");
    struct json_value *normalized_caps = NULL;
    if (!caps)
        error_at(&v, root->pos, NULL, "missing required field \"Capabilities\" (use {} for none)");
    else
        normalized_caps = check_capabilities(&v, caps);
    bool ok = !v.oom && diag_error_count(diags) == errors_before;
    if (ok)
        m->normalized = normalize(&v, root, normalized_caps);
    else
        json_free(normalized_caps);
    for (size_t i = 0; i < v.claim_count; i++)
        free(v.claims[i].value_text);
    free(v.claims);
    json_free(root);
    if (v.oom || (ok && !m->normalized)) {
        manifest_free(m);
        return -ENOMEM;
    }
    if (!ok) {
        manifest_free(m);
        return -EINVAL;
    }
    *out = m;
    return 0;
}

void manifest_free(struct manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->entry_count; i++) {
        json_free(m->entries[i].raw);
        free(m->entries[i].from_name);
    }
    free(m->entries);
    free(m->name);
    free(m->entry_point);
    json_free(m->normalized);
    free(m);
}

const char *manifest_app_type_name(enum manifest_app_type type)
{
    switch (type) {
    case MANIFEST_APP_DEBUGGER: return "Debugger";
    case MANIFEST_APP_REALTIME: return "RealTimeCapable";
    default: return "Default";
    }
}
