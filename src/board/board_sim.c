/* SPDX-License-Identifier: MIT */
/* board_sim.c — the simulator's view of the buses and converters: the JSON answers of the
 * /sim/ endpoints (see board_sim.h; docs/board.md lists them). */
#include "board_sim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board_periph.h"
#include "diag.h"

/* Formats `why` and returns -EINVAL. */
static int refuse(char *why, size_t why_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static struct json_value *real(double v)
{
    struct json_value *j = json_new_int(0);
    if (j) {
        j->u.number.real = v;
        j->u.number.is_integer = false;
    }
    return j;
}

/* The body as a JSON object, or NULL (why says so). */
static struct json_value *body_object(const char *body, size_t len, char *why, size_t why_size)
{
    struct diag_list diags = {0};
    struct json_value *j = NULL;
    if (json_parse(body ? body : "", len, NULL, "request", &diags, &j) || j->type != JSON_OBJECT) {
        json_free(j);
        j = NULL;
        refuse(why, why_size, "the body must be a JSON object");
    }
    diag_list_free(&diags);
    return j;
}

static bool number(const struct json_value *o, const char *key, double *out)
{
    const struct json_value *v = json_object_get(o, key);
    if (!v || v->type != JSON_NUMBER)
        return false;
    *out = v->u.number.is_integer ? (double)v->u.number.integer : v->u.number.real;
    return true;
}

static const char *const state_names[] = {"ok", "unplugged", "stuck"};
static const char *const function_names[] = {"none", "uart", "i2c", "spi"};

static struct json_value *device_json(const struct board_device *d)
{
    struct json_value *o = json_new_object();
    json_object_append(o, "name", json_new_string(d->name));
    json_object_append(o, "model", json_new_string(d->model == BOARD_MODEL_LSM6DS3 ? "lsm6ds3" : "w25q128jv"));
    json_object_append(o, "state", json_new_string(state_names[d->state]));
    if (d->model == BOARD_MODEL_LSM6DS3) {
        json_object_append(o, "x", real(d->accel.accel_g[0]));
        json_object_append(o, "y", real(d->accel.accel_g[1]));
        json_object_append(o, "z", real(d->accel.accel_g[2]));
    } else {
        json_object_append(o, "image", json_new_string(d->image[0] ? d->image : "(RAM)"));
    }
    return o;
}

static struct json_value *uart_json(const struct board_isu *u, int i)
{
    char name[16];
    snprintf(name, sizeof name, "ISU%d", i);
    struct json_value *o = json_new_object();
    json_object_append(o, "interface", json_new_string(name));
    json_object_append(o, "pty", json_new_string(u->host_path));
    json_object_append(o, "loopback", json_new_bool(u->loopback));
    json_object_append(o, "open", json_new_bool(u->function == BOARD_FN_UART));
    json_object_append(o, "function", json_new_string(function_names[u->function]));
    json_object_append(o, "baudRate", json_new_int(u->uart.baud));
    char frame[16];
    snprintf(frame, sizeof frame, "%u%c%u", u->uart.data_bits ? u->uart.data_bits : 8,
             "NEO"[u->uart.parity < 3 ? u->uart.parity : 0], u->uart.stop_bits ? u->uart.stop_bits : 1);
    json_object_append(o, "frame", json_new_string(frame));
    static const char *const flow[] = {"none", "rtscts", "xonxoff"};
    json_object_append(o, "flowControl", json_new_string(flow[u->uart.flow_control < 3 ? u->uart.flow_control : 0]));
    json_object_append(o, "txBytes", json_new_int((int64_t)u->tx_bytes));
    json_object_append(o, "rxBytes", json_new_int((int64_t)u->rx_bytes));
    return o;
}

static int sim_uart(struct board_periph *p, const char *method, const char *name, const char *body, size_t len,
                    struct json_value **out, char *why, size_t why_size)
{
    int i = board_isu_index(name);
    if (i < 0 || !p->isus[i].has_uart)
        return -ENOENT;
    if (!strcmp(method, "PUT")) {
        struct json_value *j = body_object(body, len, why, why_size);
        const struct json_value *v = json_object_get(j, "loopback");
        if (!v || v->type != JSON_BOOL) {
            json_free(j);
            return refuse(why, why_size, "the body must be {\"loopback\": true or false}");
        }
        p->isus[i].loopback = v->u.boolean;
        json_free(j);
        board_event(p, "uart", name, "loopback %s", p->isus[i].loopback ? "on" : "off");
    }
    *out = uart_json(&p->isus[i], i);
    return 0;
}

static struct json_value *adc_json(const struct board_adc *a, int c)
{
    char name[24];
    snprintf(name, sizeof name, "ADC-CONTROLLER-%d", c);
    struct json_value *o = json_new_object(), *ch = json_new_array();
    json_object_append(o, "controller", json_new_string(name));
    json_object_append(o, "bits", json_new_int(a->bits));
    json_object_append(o, "referenceVolts", real(a->reference));
    json_object_append(o, "open", json_new_bool(a->open));
    for (int i = 0; i < a->channels; i++)
        json_array_append(ch, real(a->volts[i]));
    json_object_append(o, "volts", ch);
    return o;
}

/* adc/C (GET) or adc/C/CH (PUT {"volts": V}). */
static int sim_adc(struct board_periph *p, const char *method, const char *rest, const char *body, size_t len,
                   struct json_value **out, char *why, size_t why_size)
{
    char *end;
    long c = strtol(rest, &end, 10);
    if (end == rest || c < 0 || c >= BOARD_ADCS || !p->adcs[c].present)
        return -ENOENT;
    struct board_adc *a = &p->adcs[c];
    if (*end == '/' && !strcmp(method, "PUT")) {
        const char *chs = end + 1;
        long ch = strtol(chs, &end, 10);
        if (end == chs || *end || ch < 0 || ch >= a->channels)
            return refuse(why, why_size, "ADC-CONTROLLER-%ld has channels 0-%d", c, a->channels - 1);
        struct json_value *j = body_object(body, len, why, why_size);
        double v;
        bool ok = number(j, "volts", &v) && v >= 0 && v <= 5;
        json_free(j);
        if (!ok)
            return refuse(why, why_size, "the body must be {\"volts\": 0 to 5}");
        a->volts[ch] = v;
        char source[24];
        snprintf(source, sizeof source, "ADC%ld.%ld", c, ch);
        board_event(p, "adc", source, "input %.4f V", v);
    } else if (*end) {
        return -ENOENT;
    }
    *out = adc_json(a, (int)c);
    return 0;
}

static int sim_accel(struct board_periph *p, const char *method, const char *body, size_t len,
                     struct json_value **out, char *why, size_t why_size)
{
    if (!strcmp(method, "PUT")) {
        struct json_value *j = body_object(body, len, why, why_size);
        double g[3];
        bool ok = number(j, "x", &g[0]) && number(j, "y", &g[1]) && number(j, "z", &g[2]);
        const struct json_value *name = json_object_get(j, "device");
        int set = 0;
        for (int i = 0; ok && i < p->device_count; i++) {
            struct board_device *d = &p->devices[i];
            if (d->model == BOARD_MODEL_LSM6DS3 &&
                (!name || (name->type == JSON_STRING && !strcmp(name->u.string.chars, d->name)))) {
                lsm6ds3_set_accel(&d->accel, g[0], g[1], g[2]);
                board_event(p, "accel", d->name, "%.3f %.3f %.3f g", g[0], g[1], g[2]);
                set++;
            }
        }
        json_free(j);
        if (!ok)
            return refuse(why, why_size, "the body must be {\"x\": g, \"y\": g, \"z\": g [, \"device\": name]}");
        if (!set)
            return -ENOENT;
    }
    struct json_value *list = json_new_array();
    for (int i = 0; i < p->device_count; i++)
        if (p->devices[i].model == BOARD_MODEL_LSM6DS3)
            json_array_append(list, device_json(&p->devices[i]));
    *out = json_new_object();
    json_object_append(*out, "accelerometers", list);
    return 0;
}

static struct json_value *pwm_json(const struct board_periph *p)
{
    struct json_value *list = json_new_array();
    for (int c = 0; c < BOARD_PWMS; c++) {
        const struct board_pwm *w = &p->pwms[c];
        if (!w->present)
            continue;
        char name[24];
        snprintf(name, sizeof name, "PWM-CONTROLLER-%d", c);
        struct json_value *o = json_new_object(), *chs = json_new_array();
        json_object_append(o, "controller", json_new_string(name));
        json_object_append(o, "open", json_new_bool(w->open));
        for (int i = 0; i < w->channels; i++) {
            struct json_value *ch = json_new_object();
            json_object_append(ch, "channel", json_new_int(i));
            json_object_append(ch, "periodNs", json_new_int(w->state[i].period_ns));
            json_object_append(ch, "dutyCycleNs", json_new_int(w->state[i].duty_ns));
            json_object_append(ch, "polarity", json_new_string(w->state[i].polarity ? "inversed" : "normal"));
            json_object_append(ch, "enabled", json_new_bool(w->state[i].enabled));
            json_array_append(chs, ch);
        }
        json_object_append(o, "channels", chs);
        json_array_append(list, o);
    }
    struct json_value *o = json_new_object();
    json_object_append(o, "controllers", list);
    return o;
}

static int sim_device(struct board_periph *p, const char *method, const char *name, const char *body, size_t len,
                      struct json_value **out, char *why, size_t why_size)
{
    struct board_device *d = NULL;
    for (int i = 0; i < p->device_count && !d; i++)
        if (!strcmp(p->devices[i].name, name))
            d = &p->devices[i];
    if (!d)
        return -ENOENT;
    if (!strcmp(method, "PUT")) {
        struct json_value *j = body_object(body, len, why, why_size);
        const struct json_value *v = json_object_get(j, "state");
        int s = -1;
        for (int i = 0; v && v->type == JSON_STRING && i < 3; i++)
            if (!strcmp(v->u.string.chars, state_names[i]))
                s = i;
        json_free(j);
        if (s < 0)
            return refuse(why, why_size, "the body must be {\"state\": \"ok\", \"unplugged\" or \"stuck\"}");
        d->state = (enum board_device_state)s;
        board_event(p, "device", d->name, "%s", state_names[s]);
    }
    *out = device_json(d);
    return 0;
}

static struct json_value *board_json(const struct board_periph *p)
{
    struct json_value *o = json_new_object(), *devices = json_new_array(), *uarts = json_new_array();
    json_object_append(o, "name", json_new_string(p->name));
    json_object_append(o, "hardwareDefinition", json_new_string(p->hardware_definition));
    for (int i = 0; i < p->device_count; i++)
        json_array_append(devices, device_json(&p->devices[i]));
    json_object_append(o, "devices", devices);
    for (int i = 0; i < BOARD_ISUS; i++)
        if (p->isus[i].has_uart)
            json_array_append(uarts, uart_json(&p->isus[i], i));
    json_object_append(o, "uarts", uarts);
    return o;
}

static struct json_value *events_json(struct board_periph *p, uint64_t since)
{
    struct json_value *o = json_new_object(), *list = json_new_array();
    pthread_mutex_lock(&p->events_lock);
    uint64_t first = p->next_seq > BOARD_EVENTS ? p->next_seq - BOARD_EVENTS : 1;
    uint64_t from = since < first ? first : since;
    json_object_append(o, "dropped", json_new_int((int64_t)(since && since < first ? first - since : 0)));
    for (uint64_t s = from; s < p->next_seq; s++) {
        const struct board_event_record *e = &p->events[s % BOARD_EVENTS];
        struct json_value *ev = json_new_object();
        time_t secs = (time_t)(e->time_us / 1000000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        char when[40];
        size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when + n, sizeof when - n, ".%03dZ", (int)(e->time_us % 1000000 / 1000));
        json_object_append(ev, "seq", json_new_int((int64_t)e->seq));
        json_object_append(ev, "time", json_new_string(when));
        json_object_append(ev, "kind", json_new_string(e->kind));
        json_object_append(ev, "source", json_new_string(e->source));
        json_object_append(ev, "detail", json_new_string(e->detail));
        json_array_append(list, ev);
    }
    json_object_append(o, "next", json_new_int((int64_t)p->next_seq));
    pthread_mutex_unlock(&p->events_lock);
    json_object_append(o, "events", list);
    return o;
}

/* GET: the flash operation counters. PUT {"afterFlashOps": N, "seed": S}: the power fails in the
 * middle of the N-th program/erase operation from now on every flash chip (W25Q_CUT_RANDOM,
 * reproducible by seed), which ends the whole device at once (board_power_fail). */
static int sim_power_cut(struct board_periph *p, const char *method, const char *body, size_t len,
                         struct json_value **out, char *why, size_t why_size)
{
    struct json_value *in = NULL;
    int64_t after = 0, seed = 1;
    if (!strcmp(method, "PUT")) {
        in = body_object(body, len, why, why_size);
        if (!in)
            return -EINVAL;
        const struct json_value *a = json_object_get(in, "afterFlashOps"), *s = json_object_get(in, "seed");
        bool ok = a && a->type == JSON_NUMBER && a->u.number.is_integer && a->u.number.integer >= 1 &&
                  a->u.number.integer <= 1000000000 && (!s || (s->type == JSON_NUMBER && s->u.number.is_integer));
        after = ok ? a->u.number.integer : 0, seed = ok && s ? s->u.number.integer : 1;
        json_free(in);
        if (!ok) {
            snprintf(why, why_size, "afterFlashOps must be an integer from 1 to 1000000000 (seed an integer)");
            return -EINVAL;
        }
    }
    struct json_value *list = json_new_array();
    for (int i = 0; list && i < p->device_count; i++) {
        struct board_device *d = &p->devices[i];
        if (d->model != BOARD_MODEL_W25Q)
            continue;
        uint64_t ops = w25q_counters(d->flash)->ops;
        if (after) {
            struct w25q_cut cut = {.kind = W25Q_CUT_RANDOM, .op = ops + (uint64_t)after};
            w25q_set_seed(d->flash, (uint64_t)seed);
            w25q_set_cut(d->flash, &cut);
        }
        struct json_value *o = json_new_object();
        json_object_append(o, "device", json_new_string(d->name));
        json_object_append(o, "flashOps", json_new_int((int64_t)ops));
        if (after)
            json_object_append(o, "cutAtOp", json_new_int((int64_t)(ops + (uint64_t)after)));
        json_array_append(list, o);
    }
    *out = list;
    return 0;
}

int board_sim_answer(struct board_periph *p, const char *method, const char *path, const char *since,
                     const char *body, size_t body_len, struct json_value **out, char *why, size_t why_size)
{
    bool get = !strcmp(method, "GET"), put = !strcmp(method, "PUT");
    *out = NULL;
    if (!strcmp(path, "events") && get) {
        *out = events_json(p, since ? strtoull(since, NULL, 10) : 0);
        return *out ? 0 : -ENOMEM;
    }
    int rc = -ENOENT;
    pthread_mutex_lock(&p->lock);
    if (!get && !put)
        rc = -EPERM;
    else if (!strncmp(path, "uart/", 5))
        rc = sim_uart(p, method, path + 5, body, body_len, out, why, why_size);
    else if (!strncmp(path, "adc/", 4))
        rc = sim_adc(p, method, path + 4, body, body_len, out, why, why_size);
    else if (!strcmp(path, "accel"))
        rc = sim_accel(p, method, body, body_len, out, why, why_size);
    else if (!strncmp(path, "devices/", 8))
        rc = sim_device(p, method, path + 8, body, body_len, out, why, why_size);
    else if (!strcmp(path, "pwm") && get)
        *out = pwm_json(p), rc = 0;
    else if (!strcmp(path, "power-cut"))
        rc = sim_power_cut(p, method, body, body_len, out, why, why_size);
    else if (!strcmp(path, "board") && get)
        *out = board_json(p), rc = 0;
    pthread_mutex_unlock(&p->lock);
    if (!rc && !*out)
        rc = -ENOMEM;
    return rc;
}
