/* SPDX-License-Identifier: MIT */
/* board_file.c — board file text to a board layout, every problem reported with file, position
 * and JSON path (see board_file.h for the rules; docs/board.md for the format). Pure: no I/O. */
#include "board_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

const char board_file_default[] =
    "{\n"
    "  \"Name\": \"mt3620_rdb\",\n"
    "  \"HardwareDefinition\": \"mt3620_rdb/mt3620_rdb.json\",\n"
    "  \"Devices\": {\n"
    "    \"accel\": {\"Model\": \"lsm6ds3\"},\n"
    "    \"flash\": {\"Model\": \"w25q128jv\", \"Image\": \"flash-isu1-csb.bin\"}\n"
    "  },\n"
    "  \"Uart\": {\"ISU0\": {\"Loopback\": false}},\n"
    "  \"I2cMaster\": {\"ISU2\": [{\"Address\": 106, \"Device\": \"accel\"}]},\n"
    "  \"SpiMaster\": {\"ISU1\": {\"A\": \"accel\", \"B\": \"flash\"}},\n"
    "  \"Adc\": {\"ADC-CONTROLLER-0\": {\"Channels\": 8, \"Bits\": 12, \"ReferenceVolts\": 2.5}},\n"
    "  \"Pwm\": {\"PWM-CONTROLLER-0\": {\"Channels\": 4}, \"PWM-CONTROLLER-1\": {\"Channels\": 4},\n"
    "          \"PWM-CONTROLLER-2\": {\"Channels\": 4}}\n"
    "}\n";

/* The sections, in the order board_file_parse reads them (devices first: the buses name them). */
enum { DEVICES, UART, I2C_MASTER, SPI_MASTER, ADC, PWM, SECTIONS };
static const char *const sections[SECTIONS] = {"Devices", "Uart", "I2cMaster", "SpiMaster", "Adc", "Pwm"};

struct parser {
    const char *file;
    struct diag_list *diags;
    struct board_layout *out;
    size_t errors;
};

/* JSON paths: long enough for any key a section accepts; a longer (refused) key is cut with "...". */
#define JSON_PATH_MAX 160

static void problem(struct parser *p, struct json_pos pos, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(struct parser *p, struct json_pos pos, const char *path, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag_add(p->diags, DIAG_ERROR, p->file, pos.line, pos.col, path, "%s", msg);
    p->errors++;
}

/* Marks a path cut short by its buffer (a pathological key length) with "...". */
static void mark_truncated(char *buf, int written)
{
    if (written >= JSON_PATH_MAX)
        memcpy(buf + JSON_PATH_MAX - 4, "...", 4);
}

static void child_path(char *buf, const char *parent, const char *key)
{
    mark_truncated(buf, snprintf(buf, JSON_PATH_MAX, "%s.%s", parent, key));
}

static void index_path(char *buf, const char *parent, size_t index)
{
    mark_truncated(buf, snprintf(buf, JSON_PATH_MAX, "%s[%zu]", parent, index));
}

static const struct json_value *member(const struct json_value *o, const char *key, enum json_type type)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == type ? v : NULL;
}

/* The integer at `key` when it is one within [min, max]; else reports it (or its absence) at
 * parent.key and returns false. */
static bool integer_in(struct parser *p, const struct json_value *o, const char *parent, const char *key, int64_t min,
                       int64_t max, int *out)
{
    const struct json_value *v = json_object_get(o, key);
    if (v && v->type == JSON_NUMBER && v->u.number.is_integer && v->u.number.integer >= min &&
        v->u.number.integer <= max) {
        *out = (int)v->u.number.integer;
        return true;
    }
    char path[JSON_PATH_MAX];
    child_path(path, parent, key);
    problem(p, v ? v->pos : o->pos, path, "%s an integer from %lld to %lld", v ? "must be" : "needs",
            (long long)min, (long long)max);
    return false;
}

int board_controller_index(const char *prefix, const char *name, int count)
{
    size_t n = strlen(prefix);
    if (!name || strncmp(name, prefix, n) || name[n] < '0' || name[n] > '9' || name[n + 1])
        return -1;
    int i = name[n] - '0';
    return i < count ? i : -1;
}

int board_isu_index(const char *name) { return board_controller_index("ISU", name, BOARD_ISUS); }

/* The index of the device named by `name` (a string), or -1. */
static int find_device(const struct board_layout *l, const struct json_value *name)
{
    for (int i = 0; name && name->type == JSON_STRING && i < l->device_count; i++)
        if (!strcmp(l->devices[i].name, name->u.string.chars))
            return i;
    return -1;
}

/* ---- sections -------------------------------------------------------------------------------- */

static void parse_image(struct parser *p, const struct json_member *m, struct board_file_device *d)
{
    const struct json_value *image = member(m->value, "Image", JSON_STRING);
    if (!image)
        return;
    char path[JSON_PATH_MAX], at[JSON_PATH_MAX];
    child_path(at, "Devices", m->key);
    child_path(path, at, "Image");
    const char *name = image->u.string.chars;
    if (strchr(name, '/') || name[0] == '.')
        problem(p, image->pos, path, "a file name in the device's folder, not a path");
    else if (image->u.string.len >= sizeof d->image)
        problem(p, image->pos, path, "a file name of at most %zu bytes", sizeof d->image - 1);
    else
        snprintf(d->image, sizeof d->image, "%s", name);
}

static void parse_devices(struct parser *p, const struct json_value *devices)
{
    struct board_layout *l = p->out;
    for (size_t i = 0; devices && i < devices->u.object.count; i++) {
        const struct json_member *m = &devices->u.object.members[i];
        char path[JSON_PATH_MAX], model_path[JSON_PATH_MAX];
        child_path(path, "Devices", m->key);
        if (l->device_count == BOARD_MAX_DEVICES) {
            problem(p, m->key_pos, path, "too many devices (at most %d)", BOARD_MAX_DEVICES);
            continue;
        }
        if (strlen(m->key) >= sizeof l->devices[0].name) {
            problem(p, m->key_pos, path, "a device name is at most %zu bytes", sizeof l->devices[0].name - 1);
            continue;
        }
        struct board_file_device d = {0};
        snprintf(d.name, sizeof d.name, "%s", m->key);
        const struct json_value *model = member(m->value, "Model", JSON_STRING);
        if (model && !strcmp(model->u.string.chars, "lsm6ds3")) {
            d.model = BOARD_MODEL_LSM6DS3;
        } else if (model && !strcmp(model->u.string.chars, "w25q128jv")) {
            d.model = BOARD_MODEL_W25Q;
            parse_image(p, m, &d);
        } else {
            child_path(model_path, path, "Model");
            const struct json_value *at = json_object_get(m->value, "Model");
            problem(p, at ? at->pos : m->value->pos, model_path, "must be \"lsm6ds3\" or \"w25q128jv\"");
            continue;
        }
        l->devices[l->device_count++] = d;
    }
}

static void parse_uarts(struct parser *p, const struct json_value *uarts)
{
    for (size_t i = 0; uarts && i < uarts->u.object.count; i++) {
        const struct json_member *m = &uarts->u.object.members[i];
        int isu = board_isu_index(m->key);
        char path[JSON_PATH_MAX];
        child_path(path, "Uart", m->key);
        if (isu < 0) {
            problem(p, m->key_pos, path, "not an ISU (ISU0-ISU4)");
            continue;
        }
        const struct json_value *loop = member(m->value, "Loopback", JSON_BOOL);
        p->out->isus[isu].uart = true;
        p->out->isus[isu].loopback = loop && loop->u.boolean;
    }
}

static void parse_i2c_target(struct parser *p, struct board_file_isu *u, const struct json_value *e, const char *path)
{
    if (e->type != JSON_OBJECT) {
        problem(p, e->pos, path, "must be an object with an Address and a Device");
        return;
    }
    int address = 0;
    bool ok = integer_in(p, e, path, "Address", 0x08, 0x77, &address);
    const struct json_value *name = json_object_get(e, "Device");
    int d = find_device(p->out, name);
    if (d < 0 || p->out->devices[d].model != BOARD_MODEL_LSM6DS3) {
        char device_path[JSON_PATH_MAX];
        child_path(device_path, path, "Device");
        problem(p, name ? name->pos : e->pos, device_path, "must name an lsm6ds3 in Devices");
        ok = false;
    }
    if (ok && u->i2c_count == BOARD_MAX_I2C_TARGETS) {
        problem(p, e->pos, path, "too many targets on one ISU (at most %d)", BOARD_MAX_I2C_TARGETS);
        ok = false;
    }
    if (ok) {
        u->i2c[u->i2c_count].address = (uint8_t)address;
        u->i2c[u->i2c_count++].device = d;
    }
}

static void parse_i2c(struct parser *p, const struct json_value *i2cs)
{
    for (size_t i = 0; i2cs && i < i2cs->u.object.count; i++) {
        const struct json_member *m = &i2cs->u.object.members[i];
        int isu = board_isu_index(m->key);
        char path[JSON_PATH_MAX], target_path[JSON_PATH_MAX];
        child_path(path, "I2cMaster", m->key);
        if (isu < 0 || m->value->type != JSON_ARRAY) {
            problem(p, m->key_pos, path, "not an ISU (ISU0-ISU4) with a list of targets");
            continue;
        }
        for (size_t t = 0; t < m->value->u.array.count; t++) {
            index_path(target_path, path, t);
            parse_i2c_target(p, &p->out->isus[isu], m->value->u.array.items[t], target_path);
        }
    }
}

static void parse_spi(struct parser *p, const struct json_value *spis)
{
    for (size_t i = 0; spis && i < spis->u.object.count; i++) {
        const struct json_member *m = &spis->u.object.members[i];
        int isu = board_isu_index(m->key);
        char path[JSON_PATH_MAX], cs_path[JSON_PATH_MAX];
        child_path(path, "SpiMaster", m->key);
        if (isu < 0 || m->value->type != JSON_OBJECT) {
            problem(p, m->key_pos, path, "not an ISU (ISU0-ISU4) with chip selects");
            continue;
        }
        for (size_t c = 0; c < m->value->u.object.count; c++) {
            const struct json_member *cs = &m->value->u.object.members[c];
            int d = find_device(p->out, cs->value);
            child_path(cs_path, path, cs->key);
            if (strcmp(cs->key, "A") && strcmp(cs->key, "B"))
                problem(p, cs->key_pos, cs_path, "chip selects are A and B");
            else if (d < 0)
                problem(p, cs->value->pos, cs_path, "must name a device in Devices");
            else
                p->out->isus[isu].spi[cs->key[0] - 'A'] = d;
        }
    }
}

static void parse_adcs(struct parser *p, const struct json_value *adcs)
{
    for (size_t i = 0; adcs && i < adcs->u.object.count; i++) {
        const struct json_member *m = &adcs->u.object.members[i];
        int c = board_controller_index("ADC-CONTROLLER-", m->key, BOARD_ADCS);
        char path[JSON_PATH_MAX];
        child_path(path, "Adc", m->key);
        if (c < 0 || m->value->type != JSON_OBJECT) {
            problem(p, m->key_pos, path, "not ADC-CONTROLLER-0 with Channels, Bits and ReferenceVolts");
            continue;
        }
        struct board_file_adc a = {.present = true};
        bool ok = integer_in(p, m->value, path, "Channels", 1, BOARD_ADC_MAX_CHANNELS, &a.channels);
        ok = integer_in(p, m->value, path, "Bits", 8, 16, &a.bits) && ok;
        const struct json_value *ref = json_object_get(m->value, "ReferenceVolts");
        if (!ref || ref->type != JSON_NUMBER || ref->u.number.real <= 0) {
            char ref_path[JSON_PATH_MAX];
            child_path(ref_path, path, "ReferenceVolts");
            problem(p, ref ? ref->pos : m->value->pos, ref_path, "%s a number of volts above 0",
                    ref ? "must be" : "needs");
            ok = false;
        }
        if (ok) {
            a.reference = ref->u.number.real;
            p->out->adcs[c] = a;
        }
    }
}

static void parse_pwms(struct parser *p, const struct json_value *pwms)
{
    for (size_t i = 0; pwms && i < pwms->u.object.count; i++) {
        const struct json_member *m = &pwms->u.object.members[i];
        int c = board_controller_index("PWM-CONTROLLER-", m->key, BOARD_PWMS);
        char path[JSON_PATH_MAX];
        child_path(path, "Pwm", m->key);
        if (c < 0 || m->value->type != JSON_OBJECT) {
            problem(p, m->key_pos, path, "not PWM-CONTROLLER-0 to -2 with Channels");
            continue;
        }
        struct board_file_pwm w = {.present = true};
        if (integer_in(p, m->value, path, "Channels", 1, BOARD_PWM_CHANNELS, &w.channels))
            p->out->pwms[c] = w;
    }
}

/* ---- the file -------------------------------------------------------------------------------- */

/* Name and HardwareDefinition: required strings, cut to their buffers. */
static void parse_names(struct parser *p, const struct json_value *root)
{
    static const struct { const char *key; size_t offset, size; } names[] = {
        {"Name", offsetof(struct board_layout, name), sizeof p->out->name},
        {"HardwareDefinition", offsetof(struct board_layout, hardware_definition), sizeof p->out->hardware_definition},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct json_value *v = json_object_get(root, names[i].key);
        if (!v)
            problem(p, root->pos, NULL, "the board file needs a %s (a string)", names[i].key);
        else if (v->type != JSON_STRING)
            problem(p, v->pos, names[i].key, "must be a string");
        else
            snprintf((char *)p->out + names[i].offset, names[i].size, "%s", v->u.string.chars);
    }
}

/* The sections present must be objects; a section that is not is left out of the layout. */
static const struct json_value *section(struct parser *p, const struct json_value *root, const char *key)
{
    const struct json_value *v = json_object_get(root, key);
    if (v && v->type != JSON_OBJECT) {
        problem(p, v->pos, key, "must be an object");
        return NULL;
    }
    return v;
}

static void clear_layout(struct board_layout *l)
{
    *l = (struct board_layout){0};
    for (int i = 0; i < BOARD_ISUS; i++)
        l->isus[i].spi[0] = l->isus[i].spi[1] = -1;
}

/* Parses the JSON; a syntax error's diagnostic goes to the caller. Duplicate keys are not
 * refused (board files never refused them), so their diagnostics are dropped. */
static int parse_json(struct parser *p, const char *text, size_t len, struct json_value **root)
{
    struct diag_list json_diags = {0};
    int err = json_parse(text, len, NULL, p->file, &json_diags, root);
    for (size_t i = 0; err && i < json_diags.count; i++) {
        const struct diag *d = &json_diags.items[i];
        diag_add(p->diags, DIAG_ERROR, d->file, d->line, d->col, d->path, "%s", d->message);
        p->errors++;
    }
    if (err == -EINVAL && !p->errors)
        problem(p, (struct json_pos){0, 0}, NULL, "the board file is not JSON");
    diag_list_free(&json_diags);
    return err;
}

int board_file_parse(const char *text, size_t len, const char *file, struct board_layout *out,
                     struct diag_list *diags)
{
    struct parser p = {.file = file, .diags = diags, .out = out};
    struct json_value *root = NULL;
    clear_layout(out);
    int err = parse_json(&p, text, len, &root);
    if (err) {
        json_free(root);
        return err;
    }
    if (root->type != JSON_OBJECT) {
        problem(&p, root->pos, NULL, "the board file must be a JSON object");
    } else {
        const struct json_value *s[SECTIONS];
        for (int i = 0; i < SECTIONS; i++)
            s[i] = section(&p, root, sections[i]);
        parse_names(&p, root);
        parse_devices(&p, s[DEVICES]);
        parse_uarts(&p, s[UART]);
        parse_i2c(&p, s[I2C_MASTER]);
        parse_spi(&p, s[SPI_MASTER]);
        parse_adcs(&p, s[ADC]);
        parse_pwms(&p, s[PWM]);
    }
    json_free(root);
    if (p.errors) {
        clear_layout(out);
        return -EINVAL;
    }
    return 0;
}
