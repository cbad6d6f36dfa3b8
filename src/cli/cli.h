/* SPDX-License-Identifier: MIT */
/*
 * cli.h — the `sphere` command-tree framework, shaped like azsphere.
 *
 * A command is a group (it has subcommands) or a leaf (it has run()). Every level accepts
 * -h/--help. Leaves declare their options; a leaf marked prints_data also accepts
 * -o/--output table|json. Options take the forms --name VALUE, --name=VALUE, -x VALUE.
 *
 * Exit codes (CLI_EXIT_*): 0 success; 1 the request failed (bad input file, refused
 * operation, I/O error); 2 usage error (unknown command or option, missing argument).
 * Errors go to stderr as "error: ...". Data goes to stdout.
 */
#ifndef OPENSPHERE_CLI_H
#define OPENSPHERE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2 };

enum cli_output { CLI_OUTPUT_TABLE, CLI_OUTPUT_JSON };

struct cli_option {
    const char *long_name; /* without the leading "--" */
    char short_name;       /* 0 for none */
    const char *metavar;   /* NULL for a flag that takes no value */
    bool repeatable;       /* may be given several times; values also split at commas */
    bool required;
    const char *help;
};

struct cli_invocation;

/* A positional argument, e.g. {"FILE"} or {"0|1", true}. In a command's list the optional ones
 * come after the required ones; arguments are assigned in order. */
struct cli_positional {
    const char *name;
    bool optional;
};
#define CLI_MAX_POSITIONALS 8
/* A command's positional list, terminated for you:
 * .positionals = CLI_POSITIONALS({"FILE", false}, {"VERSION", false}). */
#define CLI_POSITIONALS(...) ((const struct cli_positional[]){__VA_ARGS__, {NULL, false}})

struct cli_command {
    const char *name;
    const char *summary;
    const struct cli_command *const *subcommands; /* NULL-terminated; groups only */
    const struct cli_command *default_subcommand; /* a group given an option first runs this one */
    const struct cli_option *options;             /* terminated by an entry with long_name NULL */
    const struct cli_positional *positionals;     /* terminated by {NULL}; NULL for none; at most CLI_MAX_POSITIONALS */
    bool prints_data;
    const char *details; /* longer help text, or NULL */
    int (*run)(const struct cli_invocation *inv);
};

struct cli_invocation {
    const struct cli_command *command;
    const char *command_path; /* "sphere app-manifest validate" */
    enum cli_output output;
    const char *args[CLI_MAX_POSITIONALS]; /* positionals in declaration order; NULL when not given */
    /* parsed option values, parallel to command->options */
    const char ***values;
    size_t *value_counts;
};

/* Runs the tree rooted at `root` on argv; returns the exit code. */
int cli_main(const struct cli_command *root, int argc, char **argv);

/* The last value of an option, or NULL if it was not given. */
const char *cli_value(const struct cli_invocation *inv, const char *long_name);
/* All values of a repeatable option (comma-separated values already split). */
const char *const *cli_values(const struct cli_invocation *inv, const char *long_name, size_t *count);
bool cli_flag(const struct cli_invocation *inv, const char *long_name);
/* The positional argument declared as `name`, or NULL if it was not given (optional ones). */
const char *cli_arg(const struct cli_invocation *inv, const char *name);

/* "error: <message>" on stderr. Returns CLI_EXIT_FAILED for convenience. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "error: <message>" and a pointer to the command's --help on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_invocation *inv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A simple aligned text table. Cells are copied. */
struct cli_table {
    size_t columns;
    char **cells; /* row-major */
    size_t rows;
};
void cli_table_init(struct cli_table *t, size_t columns);
void cli_table_row(struct cli_table *t, ...); /* exactly `columns` const char* arguments */
void cli_table_print(const struct cli_table *t, FILE *out);
void cli_table_free(struct cli_table *t);

#endif
