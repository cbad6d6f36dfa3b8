/* SPDX-License-Identifier: MIT */
/* run_helper.c — fork/exec with stdout and stderr captured through temporary files. */
#include "run_helper.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int slurp(FILE *f, struct strbuf *sb)
{
    char buf[4096];
    size_t n;
    rewind(f);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (strbuf_append(sb, buf, n))
            return -ENOMEM;
    return 0;
}

int run_start(char *const argv[], struct run_result *r)
{
    *r = (struct run_result){0};
    r->out_file = tmpfile();
    r->err_file = tmpfile();
    if (!r->out_file || !r->err_file)
        return -EIO;
    fflush(NULL);
    r->pid = fork();
    if (r->pid == 0) {
        dup2(fileno(r->out_file), 1);
        dup2(fileno(r->err_file), 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return r->pid < 0 ? -errno : 0;
}

int run_wait(struct run_result *r)
{
    int status = 0;
    while (waitpid(r->pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int rc = slurp(r->out_file, &r->out);
    return rc ? rc : slurp(r->err_file, &r->err);
}

int run_program(char *const argv[], struct run_result *r)
{
    int rc = run_start(argv, r);
    return rc ? rc : run_wait(r);
}

void run_result_free(struct run_result *r)
{
    strbuf_free(&r->out);
    strbuf_free(&r->err);
    if (r->out_file)
        fclose(r->out_file);
    if (r->err_file)
        fclose(r->err_file);
}
