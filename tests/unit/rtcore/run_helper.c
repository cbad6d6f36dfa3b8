/* run_helper.c — fork/exec with stdout and stderr captured through temporary files. */
#include "run_helper.h"

#include <errno.h>
#include <stdio.h>
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

int run_program(char *const argv[], struct run_result *r)
{
    *r = (struct run_result){0};
    FILE *out = tmpfile(), *err = tmpfile();
    if (!out || !err) {
        if (out) fclose(out);
        if (err) fclose(err);
        return -EIO;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int rc = pid < 0 ? -errno : 0;
    if (!rc)
        rc = slurp(out, &r->out);
    if (!rc)
        rc = slurp(err, &r->err);
    fclose(out);
    fclose(err);
    return rc;
}

void run_result_free(struct run_result *r)
{
    strbuf_free(&r->out);
    strbuf_free(&r->err);
}
