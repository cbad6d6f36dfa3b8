/* SPDX-License-Identifier: MIT */
/* rtcore_sandbox.c — no-new-privs + seccomp allow-list for the helper (see rtcore_sandbox.h). */
#include "rtcore_sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>

static const int allowed[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(poll), SCMP_SYS(ppoll),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(brk),
    SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit), SCMP_SYS(exit_group),
    /* the inter-core channel: the peer app's socket arrives on the control socket (recvmsg,
     * SCM_RIGHTS), is read and written with recv/send (recvfrom, sendto) and closed when it
     * hangs up or is replaced (docs/intercore.md) */
    SCMP_SYS(recvmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(close),
};

/* Memory calls are allowed only without PROT_EXEC (argument 2 of mmap/mprotect, 3? no: mremap
 * has no protection argument and keeps the old one). */
static int allow_no_exec(scmp_filter_ctx ctx, int sys)
{
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sys, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

int rtcore_sandbox_enter(int gdb_listen_fd)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return -ENOMEM;
    int err = 0;
    for (size_t i = 0; !err && i < sizeof allowed / sizeof allowed[0]; i++)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    if (!err)
        err = allow_no_exec(ctx, SCMP_SYS(mmap));
    if (!err)
        err = allow_no_exec(ctx, SCMP_SYS(mprotect));
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mremap), 0);
    /* The GDB stub: connections on the one listening socket made before the filter (no new
     * sockets); close() (on the list above) ends a connection the debugger dropped. */
    if (!err && gdb_listen_fd >= 0)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(accept4), 1,
                               SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)gdb_listen_fd, 0));
    if (!err)
        err = seccomp_load(ctx);
    seccomp_release(ctx);
    return err;
}
