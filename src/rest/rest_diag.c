/* SPDX-License-Identifier: MIT */
/*
 * rest_diag.c — the device REST API's diagnostic endpoints (docs/device.md, "REST API"):
 *
 *   GET /log                    the device log (src/runtime/applog: every app's output and the
 *                               runtime's events), one text line per entry, as octets;
 *   GET, DELETE /telemetry      the error reports: the runtime's lines saying an app exited with
 *                               a non-zero code, was killed by a signal or went over its memory
 *                               limit, since the last DELETE; as octets, one report a line;
 *   GET /net/firewall/rulesets  the firewall the device applies, per netfilter hook, built from
 *                               the installed apps' AllowedConnections (with the addresses their
 *                               names currently resolve to) and AllowedTcp/UdpServerPorts.
 *
 * The log and the reports live in the device's log ring, so they last as long as sphered; the
 * DELETE mark is the sequence number of the newest line it cleared. Authorisation is rest.c's
 * (IsRESTAllowed for all three).
 */
#include "rest_internal.h"

#include "applog.h"
#include "net.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The newest log line DELETE /telemetry cleared (handlers run under the device lock). */
static uint64_t telemetry_cleared_seq;

static const char *member_text(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : "";
}

static uint64_t member_seq(const struct json_value *o)
{
    const struct json_value *v = json_object_get(o, "seq");
    return v && v->type == JSON_NUMBER && v->u.number.integer > 0 ? (uint64_t)v->u.number.integer : 0;
}

/* Whether a runtime line reports an app's failure (runtime.c, runtime_watchdog.c wording). */
static bool is_error_report(const struct json_value *line)
{
    const char *text = member_text(line, "text");
    if (strcmp(member_text(line, "source"), "runtime") != 0)
        return false;
    if (strstr(text, " was terminated by signal ") || strstr(text, ": killing it"))
        return true;
    const char *exit = strstr(text, " exited with code ");
    return exit && strcmp(exit, " exited with code 0") != 0;
}

/* Renders the kept lines after `since` ("TIME COMPONENT SOURCE: TEXT\n"); only error reports
 * when `reports`. *newest receives the newest sequence number seen. */
static int render_log(struct applog *log, uint64_t since, bool reports, struct strbuf *out, uint64_t *newest)
{
    *newest = since;
    if (!log)
        return 0;
    struct json_value *o = applog_read(log, since, APPLOG_LINES);
    const struct json_value *lines = o ? json_object_get(o, "lines") : NULL;
    if (!lines || lines->type != JSON_ARRAY) {
        json_free(o);
        return -ENOMEM;
    }
    int err = 0;
    for (size_t i = 0; !err && i < lines->u.array.count; i++) {
        const struct json_value *l = lines->u.array.items[i];
        uint64_t seq = member_seq(l);
        if (seq > *newest)
            *newest = seq;
        if (!reports || is_error_report(l))
            err = strbuf_printf(out, "%s %s %s: %s\n", member_text(l, "time"), member_text(l, "componentId"),
                                member_text(l, "source"), member_text(l, "text"));
    }
    json_free(o);
    return err;
}

static void reply_log(const struct request *req, uint64_t since, bool reports, struct device_result *r)
{
    struct strbuf sb = {0};
    uint64_t newest;
    int err = render_log(rest_request_applog(req), since, reports, &sb, &newest);
    if (!err)
        err = rest_request_reply_octets(req, sb.data ? sb.data : "", sb.len);
    strbuf_free(&sb);
    if (err) {
        r->err = DERR_INTERNAL;
        snprintf(r->detail, sizeof r->detail, "out of memory reading the device log");
    }
}

REST_HANDLER(rest_log_get)
{
    reply_log(req, 0, false, r);
}

REST_HANDLER(rest_telemetry_get)
{
    reply_log(req, telemetry_cleared_seq, true, r);
}

REST_HANDLER(rest_telemetry_delete)
{
    struct strbuf sb = {0};
    uint64_t newest;
    int err = render_log(rest_request_applog(req), telemetry_cleared_seq, true, &sb, &newest);
    strbuf_free(&sb);
    if (err) {
        r->err = DERR_INTERNAL;
        snprintf(r->detail, sizeof r->detail, "out of memory reading the device log");
        return;
    }
    telemetry_cleared_seq = newest;
}

/* ---- firewall rulesets ----------------------------------------------------------------------- */

static struct json_value *port_range(int64_t port)
{
    struct json_value *o = json_new_object();
    if (o) {
        json_object_append(o, "min", json_new_int(port));
        json_object_append(o, "max", json_new_int(port));
    }
    return o;
}

/* One rule: action + protocol, and optionally a destination address or port. */
static struct json_value *rule(const char *action, const char *protocol, const char *state, const char *dest_ip,
                               int64_t dest_port)
{
    struct json_value *o = json_new_object();
    if (!o)
        return NULL;
    json_object_append(o, "sourceIP", json_new_string("0.0.0.0"));
    json_object_append(o, "sourceMask", json_new_string("0.0.0.0"));
    json_object_append(o, "destinationIP", json_new_string(dest_ip ? dest_ip : "0.0.0.0"));
    json_object_append(o, "destinationMask", json_new_string(dest_ip ? "255.255.255.255" : "0.0.0.0"));
    json_object_append(o, "action", json_new_string(action));
    json_object_append(o, "state", json_new_string(state));
    json_object_append(o, "protocol", json_new_string(protocol));
    if (dest_port >= 0)
        json_object_append(o, "destinationPortRange", port_range(dest_port));
    return o;
}

static void add_port_rules(struct json_value *rules, const struct json_value *app, const char *key, const char *proto)
{
    const struct json_value *list = json_object_get(app, key);
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++)
        if (list->u.array.items[i]->type == JSON_NUMBER)
            json_array_append(rules, rule("accept", proto, "none", NULL, list->u.array.items[i]->u.number.integer));
}

static void add_address_rules(struct json_value *rules, const struct json_value *app)
{
    const struct json_value *conns = json_object_get(app, "allowedConnections");
    for (size_t i = 0; conns && conns->type == JSON_ARRAY && i < conns->u.array.count; i++) {
        const struct json_value *addrs = json_object_get(conns->u.array.items[i], "addresses");
        for (size_t k = 0; addrs && addrs->type == JSON_ARRAY && k < addrs->u.array.count; k++)
            if (addrs->u.array.items[k]->type == JSON_STRING)
                json_array_append(rules, rule("accept", "any", "none", addrs->u.array.items[k]->u.string.chars, -1));
    }
}

static struct json_value *ruleset(const char *hook, struct json_value *rules)
{
    struct json_value *o = json_new_object();
    if (!o || !rules) {
        json_free(o);
        json_free(rules);
        return NULL;
    }
    json_object_append(o, "hook", json_new_string(hook));
    json_object_append(o, "isValid", json_new_bool(true));
    json_object_append(o, "rules", rules);
    return o;
}

/* The rulesets for the apps' effective rules (net_firewall_rules' shape). */
static struct json_value *rulesets_from(const struct json_value *apps)
{
    struct json_value *input = json_new_array(), *output = json_new_array(), *forward = json_new_array();
    if (input && output) {
        json_array_append(input, rule("accept", "any", "established", NULL, -1));
        json_array_append(output, rule("accept", "any", "established", NULL, -1));
        for (size_t i = 0; i < apps->u.array.count; i++) {
            add_port_rules(input, apps->u.array.items[i], "tcpServerPorts", "tcp");
            add_port_rules(input, apps->u.array.items[i], "udpServerPorts", "udp");
            add_address_rules(output, apps->u.array.items[i]);
        }
        json_array_append(input, rule("drop", "any", "none", NULL, -1));
        json_array_append(output, rule("drop", "any", "none", NULL, -1));
    }
    if (forward)
        json_array_append(forward, rule("drop", "any", "none", NULL, -1));
    struct json_value *list = json_new_array(), *o = json_new_object();
    if (list) {
        json_array_append(list, ruleset("PREROUTING", json_new_array()));
        json_array_append(list, ruleset("INPUT", input));
        json_array_append(list, ruleset("FORWARD", forward));
        json_array_append(list, ruleset("OUTPUT", output));
        json_array_append(list, ruleset("POSTROUTING", json_new_array()));
    } else {
        json_free(input);
        json_free(output);
        json_free(forward);
    }
    if (!o || !list) {
        json_free(o);
        json_free(list);
        return NULL;
    }
    json_object_append(o, "rulesets", list);
    return o;
}

REST_HANDLER(rest_firewall_rulesets)
{
    struct json_value *apps = net_firewall_rules(d); /* takes the device lock itself */
    r->body = apps ? rulesets_from(apps) : NULL;
    json_free(apps);
    if (!r->body) {
        r->err = DERR_INTERNAL;
        snprintf(r->detail, sizeof r->detail, "out of memory building the firewall rulesets");
    }
}
