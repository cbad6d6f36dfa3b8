/* run_helper.h — runs a program with arguments and captures its stdout, stderr and status. */
#ifndef RUN_HELPER_H
#define RUN_HELPER_H

#include "strbuf.h"

struct run_result {
    struct strbuf out, err;
    int status;   /* exit status, or 128 + signal number */
};

/* argv is NULL-terminated. Returns 0 or a negative errno if the program could not be run. */
int run_program(char *const argv[], struct run_result *r);
void run_result_free(struct run_result *r);

#endif
