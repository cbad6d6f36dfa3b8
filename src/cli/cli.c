/* SPDX-License-Identifier: MIT */
/* cli.c — the command-tree framework behind `sphere` (see cli.h). */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_EXIT_FAILED;
}

static int usage_error(const char *command_path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error_v(const char *command_path, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static int usage_error_v(const char *command_path, const char *fmt, va_list ap)
{
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nRun '%s --help' for usage.\n", command_path);
    return CLI_EXIT_USAGE;
}

int cli_usage_error(const struct cli_invocation *inv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = usage_error_v(inv->command_path, fmt, ap);
    va_end(ap);
    return rc;
}

static int usage_error(const char *command_path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = usage_error_v(command_path, fmt, ap);
    va_end(ap);
    return rc;
}

static size_t option_count(const struct cli_command *c)
{
    size_t n = 0;
    while (c->options && c->options[n].long_name)
        n++;
    return n;
}

static size_t positional_count(const struct cli_command *c)
{
    size_t n = 0;
    while (c->positionals && c->positionals[n].name)
        n++;
    return n;
}

static void print_help(const struct cli_command *c, const char *path)
{
    if (c->subcommands) {
        printf("Usage: %s <command> [options]\n\n%s\n\nCommands:\n", path, c->summary);
        for (const struct cli_command *const *s = c->subcommands; *s; s++)
            printf("  %-22s %s\n", (*s)->name, (*s)->summary);
        printf("\nOptions:\n  -h, --help             Show this help.\n");
        printf("\nRun '%s <command> --help' for a command's options.\n", path);
        if (c->default_subcommand)
            printf("Options without a command run '%s %s'.\n", path, c->default_subcommand->name);
        return;
    }
    printf("Usage: %s [options]", path);
    for (size_t i = 0; i < positional_count(c); i++)
        printf(c->positionals[i].optional ? " [%s]" : " %s", c->positionals[i].name);
    printf("\n\n%s\n", c->summary);
    if (c->details)
        printf("\n%s\n", c->details);
    printf("\nOptions:\n");
    for (size_t i = 0; i < option_count(c); i++) {
        const struct cli_option *o = &c->options[i];
        char left[96];
        snprintf(left, sizeof left, "%s%c%s--%s%s%s", o->short_name ? "-" : "", o->short_name ? o->short_name : ' ',
                 o->short_name ? ", " : "  ", o->long_name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        printf("  %-40s %s%s%s\n", o->short_name ? left : left + 1, o->help, o->required ? " (required)" : "",
               o->repeatable ? " May be repeated." : "");
    }
    if (c->prints_data)
        printf("  %-40s %s\n", "-o, --output table|json", "Output format (default: table).");
    printf("  %-40s %s\n", "-h, --help", "Show this help.");
    printf("\nExit status: 0 success, 1 the request failed, 2 usage error.\n");
}

static int add_value(struct cli_invocation *inv, size_t index, const char *value, bool split)
{
    size_t n = inv->value_counts[index];
    size_t extra = 1;
    if (split)
        for (const char *c = value; *c; c++)
            extra += *c == ',';
    const char **vals = realloc(inv->values[index], (n + extra) * sizeof *vals);
    if (!vals)
        return -1;
    inv->values[index] = vals;
    if (!split) {
        vals[n] = value;
        inv->value_counts[index] = n + 1;
        return 0;
    }
    /* Split "a,b" in place into separate strings (argv is ours to modify). */
    char *s = (char *)value;
    for (char *part = s;; ) {
        char *comma = strchr(part, ',');
        if (comma)
            *comma = '\0';
        if (*part)
            vals[n++] = part;
        if (!comma)
            break;
        part = comma + 1;
    }
    inv->value_counts[index] = n;
    return 0;
}

static int find_option(const struct cli_command *c, const char *arg, bool is_long, size_t len)
{
    for (size_t i = 0; i < option_count(c); i++) {
        const struct cli_option *o = &c->options[i];
        if (is_long ? (strlen(o->long_name) == len && strncmp(o->long_name, arg, len) == 0) : o->short_name == arg[0])
            return (int)i;
    }
    return -1;
}

/* "-1", "-42": a (bad) positional value rather than an option, when the command has positionals
 * and no digit short options, so that "VERSION -1" is refused by its own check, naming VERSION. */
static bool is_negative_number(const struct cli_command *c, const char *arg)
{
    if (!positional_count(c) || arg[0] != '-' || arg[1] < '0' || arg[1] > '9')
        return false;
    for (size_t i = 0; i < option_count(c); i++)
        if (c->options[i].short_name >= '0' && c->options[i].short_name <= '9')
            return false;
    return true;
}

/* Assigns the next positional argument, or refuses one too many. */
static int take_positional(struct cli_invocation *inv, const char *path, const char *arg)
{
    const struct cli_command *c = inv->command;
    size_t n = positional_count(c);
    for (size_t i = 0; i < n && i < CLI_MAX_POSITIONALS; i++)
        if (!inv->args[i]) {
            inv->args[i] = arg;
            return CLI_EXIT_OK;
        }
    if (n == 1)
        return usage_error(path, "only one %s may be given ('%s' and '%s')", c->positionals[0].name, inv->args[0], arg);
    return usage_error(path, "unexpected argument '%s'", arg);
}

static int run_leaf(const struct cli_command *c, const char *path, int argc, char **argv)
{
    size_t n = option_count(c);
    struct cli_invocation inv = {.command = c, .command_path = path, .output = CLI_OUTPUT_TABLE};
    inv.values = calloc(n + 1, sizeof *inv.values);
    inv.value_counts = calloc(n + 1, sizeof *inv.value_counts);
    int rc = CLI_EXIT_OK;
    bool only_positionals = false;
    if (!inv.values || !inv.value_counts) {
        rc = cli_error("out of memory");
        goto done;
    }
    for (int i = 0; i < argc && rc == CLI_EXIT_OK; i++) {
        char *arg = argv[i];
        if (only_positionals || arg[0] != '-' || arg[1] == '\0' || is_negative_number(c, arg)) {
            rc = take_positional(&inv, path, arg);
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positionals = true;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            print_help(c, path);
            goto done;
        }
        bool is_long = arg[1] == '-';
        const char *name = arg + (is_long ? 2 : 1);
        const char *eq = is_long ? strchr(name, '=') : NULL;
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (!is_long && len != 1) {
            rc = usage_error(path, "unknown option '%s'", arg);
            continue;
        }
        bool is_output = c->prints_data && (is_long ? (len == 6 && strncmp(name, "output", 6) == 0) : name[0] == 'o');
        int index = is_output ? -1 : find_option(c, name, is_long, len);
        if (!is_output && index < 0) {
            rc = usage_error(path, "unknown option '%s'", arg);
            continue;
        }
        const struct cli_option *o = is_output ? NULL : &c->options[index];
        bool takes_value = is_output || o->metavar;
        const char *value = NULL;
        if (takes_value) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else {
                rc = usage_error(path, "option '%s' needs a value (%s)", arg, is_output ? "table|json" : o->metavar);
                continue;
            }
        } else if (eq) {
            rc = usage_error(path, "option '--%s' takes no value", o->long_name);
            continue;
        }
        if (is_output) {
            if (strcmp(value, "json") == 0)
                inv.output = CLI_OUTPUT_JSON;
            else if (strcmp(value, "table") == 0)
                inv.output = CLI_OUTPUT_TABLE;
            else
                rc = usage_error(path, "unknown output format '%s' (expected table or json)", value);
            continue;
        }
        if (!o->repeatable && inv.value_counts[index] > 0) {
            rc = usage_error(path, "option '--%s' given more than once", o->long_name);
            continue;
        }
        if (add_value(&inv, (size_t)index, value ? value : "", o->repeatable && value) < 0)
            rc = cli_error("out of memory");
    }
    for (size_t i = 0; i < n && rc == CLI_EXIT_OK; i++)
        if (c->options[i].required && inv.value_counts[i] == 0)
            rc = usage_error(path, "missing required option '--%s'", c->options[i].long_name);
    for (size_t i = 0; i < positional_count(c) && rc == CLI_EXIT_OK; i++)
        if (!c->positionals[i].optional && !inv.args[i])
            rc = usage_error(path, "missing %s", c->positionals[i].name);
    if (rc == CLI_EXIT_OK)
        rc = c->run(&inv);
done:
    for (size_t i = 0; inv.values && i < n; i++)
        free(inv.values[i]);
    free(inv.values);
    free(inv.value_counts);
    return rc;
}

static int dispatch(const struct cli_command *c, struct strbuf *path, int argc, char **argv)
{
    if (!c->subcommands)
        return run_leaf(c, strbuf_str(path), argc, argv);
    if (argc == 0) {
        print_help(c, strbuf_str(path));
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
        print_help(c, strbuf_str(path));
        return CLI_EXIT_OK;
    }
    if (argv[0][0] == '-' && c->default_subcommand) { /* `sphere sim mcu -d DEV` = `… mcu show -d DEV` */
        if (strbuf_printf(path, " %s", c->default_subcommand->name))
            return cli_error("out of memory");
        return dispatch(c->default_subcommand, path, argc, argv);
    }
    for (const struct cli_command *const *s = c->subcommands; *s; s++) {
        if (strcmp((*s)->name, argv[0]) == 0) {
            if (strbuf_printf(path, " %s", argv[0]))
                return cli_error("out of memory");
            return dispatch(*s, path, argc - 1, argv + 1);
        }
    }
    return usage_error(strbuf_str(path), "'%s' is not a command of '%s'", argv[0], strbuf_str(path));
}

int cli_main(const struct cli_command *root, int argc, char **argv)
{
    struct strbuf path = {0};
    if (strbuf_puts(&path, root->name))
        return cli_error("out of memory");
    int rc = dispatch(root, &path, argc - 1, argv + 1);
    strbuf_free(&path);
    if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
        rc = cli_error("cannot write the output");
    return rc;
}

static size_t index_of(const struct cli_invocation *inv, const char *long_name)
{
    size_t n = option_count(inv->command);
    for (size_t i = 0; i < n; i++)
        if (strcmp(inv->command->options[i].long_name, long_name) == 0)
            return i;
    abort(); /* contract violation: the command does not declare this option */
}

const char *cli_value(const struct cli_invocation *inv, const char *long_name)
{
    size_t i = index_of(inv, long_name);
    return inv->value_counts[i] ? inv->values[i][inv->value_counts[i] - 1] : NULL;
}

const char *const *cli_values(const struct cli_invocation *inv, const char *long_name, size_t *count)
{
    size_t i = index_of(inv, long_name);
    *count = inv->value_counts[i];
    return inv->values[i];
}

bool cli_flag(const struct cli_invocation *inv, const char *long_name)
{
    return inv->value_counts[index_of(inv, long_name)] > 0;
}

const char *cli_arg(const struct cli_invocation *inv, const char *name)
{
    for (size_t i = 0; i < positional_count(inv->command) && i < CLI_MAX_POSITIONALS; i++)
        if (strcmp(inv->command->positionals[i].name, name) == 0)
            return inv->args[i];
    abort(); /* contract violation: the command does not declare this positional */
}

void cli_table_init(struct cli_table *t, size_t columns) { *t = (struct cli_table){.columns = columns}; }

void cli_table_row(struct cli_table *t, ...)
{
    char **cells = realloc(t->cells, (t->rows + 1) * t->columns * sizeof *cells);
    if (!cells)
        return;
    t->cells = cells;
    va_list ap;
    va_start(ap, t);
    for (size_t c = 0; c < t->columns; c++) {
        const char *s = va_arg(ap, const char *);
        cells[t->rows * t->columns + c] = strdup(s ? s : "");
    }
    va_end(ap);
    t->rows++;
}

void cli_table_print(const struct cli_table *t, FILE *out)
{
    size_t widths[16] = {0};
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->columns && c < 16; c++) {
            const char *s = t->cells[r * t->columns + c];
            size_t w = s ? strlen(s) : 0;
            if (w > widths[c])
                widths[c] = w;
        }
    for (size_t r = 0; r < t->rows; r++) {
        /* Pad every cell but the last non-empty one, so no line ends in spaces. */
        size_t last = 0;
        for (size_t c = 0; c < t->columns; c++) {
            const char *s = t->cells[r * t->columns + c];
            if (s && *s)
                last = c;
        }
        for (size_t c = 0; c <= last; c++) {
            const char *s = t->cells[r * t->columns + c];
            if (c == last)
                fprintf(out, "%s", s ? s : "");
            else
                fprintf(out, "%-*s  ", (int)widths[c], s ? s : "");
        }
        fputc('\n', out);
    }
}

void cli_table_free(struct cli_table *t)
{
    for (size_t i = 0; i < t->rows * t->columns; i++)
        free(t->cells[i]);
    free(t->cells);
    *t = (struct cli_table){0};
}
