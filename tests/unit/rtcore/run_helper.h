/* SPDX-License-Identifier: MIT */
/* run_helper.h — runs a program with arguments and captures its stdout, stderr and status. */
#ifndef RUN_HELPER_H
#define RUN_HELPER_H

#include <stdio.h>
#include <sys/types.h>

#include "strbuf.h"

struct run_result {
    struct strbuf out, err;
    int status; /* exit status, or 128 + signal number */
    pid_t pid;
    FILE *out_file, *err_file;
};

/* argv is NULL-terminated. run_start starts it, run_wait waits and collects; run_program does
 * both. Return 0 or a negative errno if the program could not be run. */
int run_start(char *const argv[], struct run_result *r);
int run_wait(struct run_result *r);
int run_program(char *const argv[], struct run_result *r);
void run_result_free(struct run_result *r);

#endif
