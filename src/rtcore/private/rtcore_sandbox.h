/* SPDX-License-Identifier: MIT */
/*
 * rtcore_sandbox.h — confines the sphere-rtcore helper once the firmware is loaded:
 * PR_SET_NO_NEW_PRIVS, then a seccomp filter (libseccomp) that kills the process on any system
 * call outside a short allow-list: read, write, writev, poll/ppoll, clock_gettime,
 * clock_nanosleep/nanosleep, brk, mmap/mremap/mprotect without PROT_EXEC, munmap, madvise,
 * futex, rt_sigreturn, rt_sigprocmask, exit, exit_group. No open, socket, exec or fork:
 * a compromised emulator can only talk over the descriptors it already holds.
 * With a GDB stub (gdb_listen_fd >= 0): also accept4 on that one listening socket and close;
 * still no socket(), so no new listening or outgoing sockets. -1: no stub.
 *
 * Returns 0, or a negative errno if the kernel refused the filter (the caller then refuses to
 * run the firmware).
 */
#ifndef OPENSPHERE_RTCORE_SANDBOX_H
#define OPENSPHERE_RTCORE_SANDBOX_H

int rtcore_sandbox_enter(int gdb_listen_fd);

#endif
