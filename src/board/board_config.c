/* board_config.c — board files: the default mt3620_rdb board, parsing and applying a board
 * file (docs/board.md gives the format; see board.h and board_state.h). */
#include "board_state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "path.h"

const char board_default_file[] =
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

int board_fail(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static const struct json_value *member(const struct json_value *o, const char *key, enum json_type type)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == type ? v : NULL;
}

static int find_device(const struct board_periph *p, const struct json_value *name)
{
    for (int i = 0; name && name->type == JSON_STRING && i < p->device_count; i++)
        if (!strcmp(p->devices[i].name, name->u.string.chars))
            return i;
    return -1;
}

static int apply_devices(struct board_periph *p, const struct json_value *devices, const char *state_dir, char *why,
                         size_t why_size)
{
    for (size_t i = 0; devices && i < devices->u.object.count; i++) {
        const struct json_member *m = &devices->u.object.members[i];
        const struct json_value *model = member(m->value, "Model", JSON_STRING);
        const struct json_value *image = member(m->value, "Image", JSON_STRING);
        if (p->device_count == BOARD_MAX_DEVICES || strlen(m->key) >= sizeof p->devices[0].name)
            return board_fail(why, why_size, "Devices.%s: too many devices, or a name longer than 31", m->key);
        struct board_device *d = &p->devices[p->device_count];
        *d = (struct board_device){0};
        snprintf(d->name, sizeof d->name, "%s", m->key);
        if (model && !strcmp(model->u.string.chars, "lsm6ds3")) {
            d->model = BOARD_MODEL_LSM6DS3;
            lsm6ds3_init(&d->accel);
        } else if (model && !strcmp(model->u.string.chars, "w25q128jv")) {
            d->model = BOARD_MODEL_W25Q;
            if (image && (strchr(image->u.string.chars, '/') || image->u.string.chars[0] == '.'))
                return board_fail(why, why_size, "Devices.%s.Image: a file name in the device's folder, not a path", m->key);
            char *path = image && state_dir ? path_join(state_dir, image->u.string.chars) : NULL;
            snprintf(d->image, sizeof d->image, "%s", path ? path : "");
            free(path);
            struct w25q_config cfg = {.path = d->image[0] ? d->image : NULL, .seed = 1};
            int err = w25q_open(&cfg, &d->flash);
            if (err) {
                snprintf(why, why_size, "Devices.%s: cannot open the flash image %s: %s", m->key, d->image,
                         strerror(-err));
                return err;
            }
        } else {
            return board_fail(why, why_size, "Devices.%s.Model must be \"lsm6ds3\" or \"w25q128jv\"", m->key);
        }
        p->device_count++;
    }
    return 0;
}

static int apply_isus(struct board_periph *p, const struct json_value *uarts, const struct json_value *i2cs,
                      const struct json_value *spis, char *why, size_t why_size)
{
    for (size_t i = 0; uarts && i < uarts->u.object.count; i++) {
        const struct json_member *m = &uarts->u.object.members[i];
        int isu = board_isu_index(m->key);
        if (isu < 0)
            return board_fail(why, why_size, "Uart.%s: not an ISU (ISU0-ISU4)", m->key);
        const struct json_value *loop = member(m->value, "Loopback", JSON_BOOL);
        struct board_isu *u = &p->isus[isu];
        u->has_uart = true;
        u->loopback = loop && loop->u.boolean;
        int err = board_open_host_pty(u);
        if (err) {
            snprintf(why, why_size, "Uart.%s: cannot open a pseudo-terminal: %s", m->key, strerror(-err));
            return err;
        }
    }
    for (size_t i = 0; i2cs && i < i2cs->u.object.count; i++) {
        const struct json_member *m = &i2cs->u.object.members[i];
        int isu = board_isu_index(m->key);
        if (isu < 0 || m->value->type != JSON_ARRAY)
            return board_fail(why, why_size, "I2cMaster.%s: not an ISU (ISU0-ISU4) with a list of targets", m->key);
        struct board_isu *u = &p->isus[isu];
        for (size_t t = 0; t < m->value->u.array.count; t++) {
            const struct json_value *e = m->value->u.array.items[t], *a = member(e, "Address", JSON_NUMBER);
            int d = find_device(p, json_object_get(e, "Device"));
            if (!a || a->u.number.integer < 0x08 || a->u.number.integer > 0x77 || d < 0 ||
                p->devices[d].model != BOARD_MODEL_LSM6DS3 || u->i2c_count == BOARD_MAX_I2C_TARGETS)
                return board_fail(why, why_size,
                            "I2cMaster.%s[%zu]: needs an Address (8-119) and the name of an lsm6ds3 in Devices", m->key, t);
            u->i2c[u->i2c_count].address = (uint8_t)a->u.number.integer;
            u->i2c[u->i2c_count++].device = d;
        }
    }
    for (size_t i = 0; spis && i < spis->u.object.count; i++) {
        const struct json_member *m = &spis->u.object.members[i];
        int isu = board_isu_index(m->key);
        if (isu < 0 || m->value->type != JSON_OBJECT)
            return board_fail(why, why_size, "SpiMaster.%s: not an ISU (ISU0-ISU4) with chip selects", m->key);
        for (size_t c = 0; c < m->value->u.object.count; c++) {
            const struct json_member *cs = &m->value->u.object.members[c];
            int d = find_device(p, cs->value);
            if ((strcmp(cs->key, "A") && strcmp(cs->key, "B")) || d < 0)
                return board_fail(why, why_size, "SpiMaster.%s.%s: chip selects are A and B, each naming a device", m->key,
                            cs->key);
            p->isus[isu].spi[cs->key[0] - 'A'] = d;
        }
    }
    return 0;
}

static int apply_converters(struct board_periph *p, const struct json_value *adcs, const struct json_value *pwms,
                            char *why, size_t why_size)
{
    for (size_t i = 0; adcs && i < adcs->u.object.count; i++) {
        const struct json_member *m = &adcs->u.object.members[i];
        int c = board_controller_index("ADC-CONTROLLER-", m->key, BOARD_ADCS);
        const struct json_value *ch = member(m->value, "Channels", JSON_NUMBER), *bits = member(m->value, "Bits", JSON_NUMBER);
        const struct json_value *ref = member(m->value, "ReferenceVolts", JSON_NUMBER);
        if (c < 0 || !ch || ch->u.number.integer < 1 || ch->u.number.integer > BOARD_ADC_MAX_CHANNELS || !bits ||
            bits->u.number.integer < 8 || bits->u.number.integer > 16 || !ref || ref->u.number.real <= 0)
            return board_fail(why, why_size,
                        "Adc.%s: ADC-CONTROLLER-0 with Channels (1-8), Bits (8-16) and ReferenceVolts (> 0)", m->key);
        p->adcs[c] = (struct board_adc){.present = true, .channels = (int)ch->u.number.integer,
                                        .bits = (int)bits->u.number.integer, .reference = ref->u.number.real};
    }
    for (size_t i = 0; pwms && i < pwms->u.object.count; i++) {
        const struct json_member *m = &pwms->u.object.members[i];
        int c = board_controller_index("PWM-CONTROLLER-", m->key, BOARD_PWMS);
        const struct json_value *ch = member(m->value, "Channels", JSON_NUMBER);
        if (c < 0 || !ch || ch->u.number.integer < 1 || ch->u.number.integer > BOARD_PWM_CHANNELS)
            return board_fail(why, why_size, "Pwm.%s: PWM-CONTROLLER-0 to -2 with Channels (1-4)", m->key);
        p->pwms[c] = (struct board_pwm){.present = true, .channels = (int)ch->u.number.integer};
    }
    return 0;
}

/* Parses and checks the shape; *out is the parsed file. */
static int parse(const char *text, size_t len, struct json_value **out, char *why, size_t why_size)
{
    struct diag_list diags = {0};
    int err = json_parse(text, len, NULL, "board file", &diags, out);
    if (err) {
        const struct diag *d = diags.count ? &diags.items[0] : NULL;
        board_fail(why, why_size, "the board file is not JSON: line %u: %s", d ? d->line : 0, d ? d->message : "?");
        diag_list_free(&diags);
        return -EINVAL;
    }
    diag_list_free(&diags);
    static const char *const objects[] = {"Devices", "Uart", "I2cMaster", "SpiMaster", "Adc", "Pwm"};
    if ((*out)->type != JSON_OBJECT)
        return board_fail(why, why_size, "the board file must be a JSON object");
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++) {
        const struct json_value *v = json_object_get(*out, objects[i]);
        if (v && v->type != JSON_OBJECT)
            return board_fail(why, why_size, "%s must be an object", objects[i]);
    }
    if (!member(*out, "Name", JSON_STRING) || !member(*out, "HardwareDefinition", JSON_STRING))
        return board_fail(why, why_size, "the board file needs a Name and a HardwareDefinition (strings)");
    return 0;
}

int board_config_apply(struct board_periph *p, const char *text, size_t len, const char *state_dir, char *why,
                       size_t why_size)
{
    board_config_clear(p);
    struct json_value *j = NULL;
    int err = parse(text, len, &j, why, why_size);
    if (!err) {
        snprintf(p->name, sizeof p->name, "%s", json_object_get(j, "Name")->u.string.chars);
        snprintf(p->hardware_definition, sizeof p->hardware_definition, "%s",
                 json_object_get(j, "HardwareDefinition")->u.string.chars);
        err = apply_devices(p, json_object_get(j, "Devices"), state_dir, why, why_size);
    }
    if (!err)
        err = apply_isus(p, json_object_get(j, "Uart"), json_object_get(j, "I2cMaster"),
                         json_object_get(j, "SpiMaster"), why, why_size);
    if (!err)
        err = apply_converters(p, json_object_get(j, "Adc"), json_object_get(j, "Pwm"), why, why_size);
    json_free(j);
    if (err)
        board_config_clear(p);
    return err;
}

int board_check_file(const char *text, size_t len, char *why, size_t why_size)
{
    struct board_periph *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    for (int i = 0; i < BOARD_MAX_HANDLES; i++)
        p->handles[i].fd = -1;
    for (int i = 0; i < BOARD_ISUS; i++)
        p->isus[i] = (struct board_isu){.spi = {-1, -1}, .host_master = -1, .host_slave = -1, .app_master = -1};
    int err = board_config_apply(p, text, len, NULL, why, why_size);
    board_config_clear(p);
    free(p);
    return err;
}

int board_load(struct board *b, const char *state_dir, char *why, size_t why_size)
{
    char *path = path_join(state_dir, "board.json"), *text = NULL;
    if (!path)
        return -ENOMEM;
    size_t len = 0;
    FILE *f = fopen(path, "rb");
    int err = 0;
    if (f) {
        if (fseek(f, 0, SEEK_END) || (len = (size_t)ftell(f)) > 1024 * 1024 || fseek(f, 0, SEEK_SET) ||
            !(text = malloc(len + 1)) || fread(text, 1, len, f) != len)
            err = -EIO;
        fclose(f);
    } else if (errno != ENOENT) {
        err = -errno;
    }
    if (err)
        snprintf(why, why_size, "cannot read %s", path);
    struct board_periph *p = board_periph_of(b);
    if (!err) {
        pthread_mutex_lock(&p->lock);
        err = board_config_apply(p, text ? text : board_default_file, text ? len : strlen(board_default_file),
                                 state_dir, why, why_size);
        pthread_mutex_unlock(&p->lock);
        board_periph_wake(p);
    }
    free(text);
    free(path);
    return err;
}
