/* cmd_sim_board.c — `sphere sim gpio|press|watch`: see and drive the simulated board's lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "devclient.h"

static int gpio_number(const char *text, int *n)
{
    char *end;
    long v = text ? strtol(text, &end, 10) : -1;
    if (!text || *end || v < 0 || v > 127)
        return cli_error("'%s' is not a GPIO number (0-127)", text ? text : "");
    *n = (int)v;
    return CLI_EXIT_OK;
}

static int gpio_request(const struct cli_invocation *inv, const char *method, const char *suffix, const char *body)
{
    int n = -1;
    if (gpio_number(cli_value(inv, "gpio"), &n))
        return CLI_EXIT_FAILED;
    struct devclient c;
    int rc = devclient_open(cli_value(inv, "device"), &c);
    char path[64];
    snprintf(path, sizeof path, "/sim/gpio/%d%s", n, suffix);
    struct devresponse r = {0};
    if (!rc)
        rc = devclient_request(&c, method, path, body ? "application/json" : NULL, body, body ? strlen(body) : 0, NULL,
                               0, &r);
    if (!rc)
        rc = devclient_check(&r);
    if (!rc) {
        if (inv->output == CLI_OUTPUT_JSON) {
            struct strbuf sb = {0};
            json_write(r.json, JSON_COMPACT, &sb);
            printf("%s\n", strbuf_str(&sb));
            strbuf_free(&sb);
        } else {
            const struct json_value *v = json_object_get(r.json, "value"), *d = json_object_get(r.json, "direction");
            printf("GPIO %d: %lld (%s)\n", n, v ? (long long)v->u.number.integer : -1LL,
                   d && d->type == JSON_STRING ? d->u.string.chars : "?");
        }
    }
    devresponse_free(&r);
    devclient_close(&c);
    return rc;
}

static int run_gpio(const struct cli_invocation *inv)
{
    const char *value = cli_value(inv, "value");
    if (!value)
        return gpio_request(inv, "GET", "", NULL);
    if (strcmp(value, "0") && strcmp(value, "1"))
        return cli_error("the value must be 0 or 1, not '%s'", value);
    char body[32];
    snprintf(body, sizeof body, "{\"value\":%s}", value);
    return gpio_request(inv, "PUT", "", body);
}

static int run_press(const struct cli_invocation *inv) { return gpio_request(inv, "POST", "/press", NULL); }

static const struct cli_option gpio_options[] = {
    {"gpio", 'n', "N", false, true, "The GPIO number (e.g. 8 for LED 1 red on the RDB, 12 for button A)."},
    {"value", 0, "0|1", false, false, "Drive an input line to this level (default: show the line)."},
    {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."},
    {NULL, 0, NULL, false, false, NULL},
};
static const struct cli_option press_options[] = {
    {"gpio", 'n', "N", false, true, "The GPIO number of the button (12 and 13 are buttons A and B)."},
    {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."},
    {NULL, 0, NULL, false, false, NULL},
};

const struct cli_command cmd_sim_gpio = {
    .name = "gpio", .summary = "Show a GPIO line of the simulated board, or drive an input.",
    .options = gpio_options, .prints_data = true, .run = run_gpio};
const struct cli_command cmd_sim_press = {
    .name = "press", .summary = "Hold an input line low for 300 ms (press a button).",
    .options = press_options, .prints_data = true, .run = run_press};
