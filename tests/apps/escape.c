/* SPDX-License-Identifier: MIT */
/* escape.c — a hostile app for tests/cli/test_escape.sh (docs/security.md, "The escape suite").
 * It tries every way out of its container we know of, one attempt at a time, each with arguments
 * that would succeed (or fail only for want of a privilege) were the call allowed, and prints one
 * line per attempt:
 *     ESCAPE <name> refused <errno name>      the attempt failed
 *     ESCAPE <name> ESCAPED                   the attempt succeeded: a hole
 * then "ESCAPE summary attempted N refused M" and waits for SIGTERM. Raw syscall() is used
 * throughout so that no libc or libapplibs wrapper can answer in the kernel's place. Attempts that
 * would change the host if they succeeded use harmless values (the current time, zero offsets, a
 * module that does not exist). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/vm_sockets.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <termios.h>

#ifndef KEY_SPEC_PROCESS_KEYRING
#define KEY_SPEC_PROCESS_KEYRING (-2)
#endif
#define KEYCTL_GET_KEYRING_ID 0
#define SYSLOG_ACTION_READ_ALL 3
#define Q_SYNC_CMD 0x800001 /* QCMD(Q_SYNC, USRQUOTA) */
#ifndef AF_ALG
#define AF_ALG 38
#endif

static const char *self_path; /* argv[0], the app's own binary */
static int attempted, refused;

static long mmap_page(int prot, int flags, int fd)
{
    void *p = (void *)syscall(SYS_mmap, NULL, 4096, prot, flags, fd, 0);
    return p == MAP_FAILED ? -1 : 0;
}

/* ---- host files, /proc, /sys, the read-only root ----------------------------------------- */
static long host_passwd(void) { return syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY); }
static long host_dotdot(void) { return syscall(SYS_openat, AT_FDCWD, "/../../../etc/shadow", O_RDONLY); }
static long proc_init_root(void) { return syscall(SYS_openat, AT_FDCWD, "/proc/1/root/etc/passwd", O_RDONLY); }
static long proc_self(void) { return syscall(SYS_openat, AT_FDCWD, "/proc/self/mem", O_RDWR); }
static long sys_files(void) { return syscall(SYS_openat, AT_FDCWD, "/sys/kernel/notes", O_RDONLY); }
static long dev_mem(void) { return syscall(SYS_openat, AT_FDCWD, "/dev/mem", O_RDONLY); }
static long create_in_root(void) { return syscall(SYS_openat, AT_FDCWD, "/escaped", O_WRONLY | O_CREAT, 0644); }
static long write_library(void)
{
    return syscall(SYS_openat, AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDWR);
}
static long write_own_image(void) { return syscall(SYS_openat, AT_FDCWD, self_path, O_RDWR); }
static long mknod_disk(void) { return syscall(SYS_mknodat, AT_FDCWD, "/dev/sda", 060600, (8u << 8) /* sda */); }

/* ---- namespaces and mounts ---------------------------------------------------------------- */
static long unshare_user(void) { return syscall(SYS_unshare, CLONE_NEWUSER); }
static long unshare_mount(void) { return syscall(SYS_unshare, CLONE_NEWNS); }
static long setns_any(void) { return syscall(SYS_setns, 0, 0); }
static long mount_proc(void) { return syscall(SYS_mount, "proc", "/dev", "proc", 0, NULL); }
static long mount_tmpfs(void) { return syscall(SYS_mount, "tmpfs", "/", "tmpfs", 0, NULL); }
static long remount_rw(void) { return syscall(SYS_mount, NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL); }
static long umount_libs(void) { return syscall(SYS_umount2, "/usr/lib", MNT_DETACH); }
static long fsopen_tmpfs(void) { return syscall(SYS_fsopen, "tmpfs", 0); }
static long open_tree_root(void) { return syscall(SYS_open_tree, AT_FDCWD, "/", 1 /* OPEN_TREE_CLONE */); }
static long chroot_libs(void) { return syscall(SYS_chroot, "/usr/lib"); }
static long pivot_root_dot(void) { return syscall(SYS_pivot_root, ".", "."); }
static long pidfd_init(void) { return syscall(SYS_pidfd_open, 1, 0); }
static long set_hostname(void) { return syscall(SYS_sethostname, "escaped", 7); }

/* ---- other processes ---------------------------------------------------------------------- */
static long ptrace_init(void) { return syscall(SYS_ptrace, PTRACE_ATTACH, 1, NULL, NULL); }
static long ptrace_traceme(void) { return syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL); }
static long vm_readv_init(void)
{
    char buf[16];
    struct iovec local = {buf, sizeof buf}, remote = {(void *)0x400000, sizeof buf};
    return syscall(SYS_process_vm_readv, 1, &local, 1, &remote, 1, 0);
}
static long vm_writev_self(void)
{
    static char target[16], source[16] = "escaped";
    struct iovec local = {source, sizeof source}, remote = {target, sizeof target};
    return syscall(SYS_process_vm_writev, getpid(), &local, 1, &remote, 1, 0);
}
static long fork_process(void)
{
    long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
    if (pid == 0)
        _exit(0);
    return pid;
}
static long clone3_process(void)
{
    uint64_t args[11] = {0};
    args[4] = SIGCHLD; /* exit_signal */
    long pid = syscall(SYS_clone3, args, sizeof args);
    if (pid == 0)
        _exit(0);
    return pid;
}
static long clone_newpid(void)
{
    long pid = syscall(SYS_clone, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER, 0, NULL, NULL, 0);
    if (pid == 0)
        _exit(0);
    return pid;
}

/* ---- new code: exec, memory ---------------------------------------------------------------- */
static long exec_shell(void)
{
    char *argv[] = {"/bin/sh", "-c", "true", NULL}, *envp[] = {NULL};
    return syscall(SYS_execve, "/bin/sh", argv, envp);
}
static long execveat_self(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, self_path, O_RDONLY);
    if (fd < 0)
        return -1;
    char *argv[] = {(char *)self_path, "--reexeced", NULL}, *envp[] = {NULL};
    long rc = syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
static long memfd_exec(void) { return syscall(SYS_memfd_create, "escape", 0); }
static long mmap_wx(void) { return mmap_page(PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1); }
static long mmap_anon_x(void) { return mmap_page(PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1); }
static long mmap_file_wx(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, self_path, O_RDONLY);
    long rc = mmap_page(PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
static long mprotect_code_wx(void)
{
    uintptr_t page = (uintptr_t)&mprotect_code_wx & ~(uintptr_t)4095;
    return syscall(SYS_mprotect, page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
}
static long mprotect_data_x(void)
{ /* executable after writable: a page the app has written to, made executable */
    static char page[8192] __attribute__((aligned(4096)));
    page[0] = (char)0xc3; /* ret */
    return syscall(SYS_mprotect, (uintptr_t)page & ~(uintptr_t)4095, 4096, PROT_READ | PROT_EXEC);
}
static long pkey_mprotect_x(void)
{
    static char page[8192] __attribute__((aligned(4096)));
    return syscall(SYS_pkey_mprotect, page, 4096, PROT_READ | PROT_EXEC, -1);
}
static long personality_rie(void) { return syscall(SYS_personality, READ_IMPLIES_EXEC); }

/* ---- sockets --------------------------------------------------------------------------------- */
static long sock_inet(void) { return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); }
static long sock_raw(void) { return syscall(SYS_socket, AF_INET, SOCK_RAW, IPPROTO_ICMP); }
static long sock_packet(void) { return syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0); }
static long sock_netlink(void) { return syscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE */); }
static long sock_vsock(void) { return syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0); }
static long sock_unix(void) { return syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0); }
static long sock_alg(void) { return syscall(SYS_socket, AF_ALG, SOCK_SEQPACKET, 0); }
static long socketpair_inet(void)
{
    int sv[2];
    return syscall(SYS_socketpair, AF_INET, SOCK_STREAM, 0, sv);
}

/* ---- kernel interfaces --------------------------------------------------------------------- */
static long io_uring(void)
{
    static char params[120]; /* struct io_uring_params, zeroed */
    return syscall(SYS_io_uring_setup, 4, params);
}
static long user_fault_fd(void) { return syscall(SYS_userfaultfd, 0); }
static long bpf_map(void)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4, attr.value_size = 4, attr.max_entries = 1;
    return syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
}
static long perf_event(void)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.type = PERF_TYPE_SOFTWARE, attr.size = sizeof attr, attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.exclude_kernel = 1, attr.exclude_hv = 1;
    return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}
static long add_key_user(void) { return syscall(SYS_add_key, "user", "escape", "x", 1, KEY_SPEC_PROCESS_KEYRING); }
static long keyctl_session(void) { return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, -3 /* session */, 1); }
static long request_key_user(void) { return syscall(SYS_request_key, "user", "escape", NULL, 0); }
static long init_module_empty(void) { return syscall(SYS_init_module, "", 0, ""); }
static long finit_module_self(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, self_path, O_RDONLY);
    long rc = syscall(SYS_finit_module, fd, "", 0);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
static long delete_module_none(void) { return syscall(SYS_delete_module, "opensphere_escape", O_NONBLOCK); }
static long reboot_cad(void)
{
    return syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_ON, NULL);
}
static long kexec_self(void)
{ /* the app's own binary is no kernel: refused by the loader if the call ever got that far */
    int fd = (int)syscall(SYS_openat, AT_FDCWD, self_path, O_RDONLY);
    long rc = syscall(SYS_kexec_file_load, fd, -1, 1, "", 2 /* KEXEC_FILE_NO_INITRAMFS */);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
static long clock_set(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return syscall(SYS_clock_settime, CLOCK_REALTIME, &now);
}
static long time_of_day(void)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return syscall(SYS_settimeofday, &now, NULL);
}
static long adjtimex_zero(void)
{
    struct timex t = {.modes = ADJ_OFFSET_SINGLESHOT, .offset = 0};
    return syscall(SYS_adjtimex, &t);
}
static long clock_adjtime_zero(void)
{
    struct timex t = {.modes = ADJ_OFFSET_SINGLESHOT, .offset = 0};
    return syscall(SYS_clock_adjtime, CLOCK_REALTIME, &t);
}
static long open_by_handle(void)
{
    struct {
        unsigned int bytes;
        int type;
        unsigned char f[16];
    } h = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}}; /* FILEID_INO32_GEN of inode 2, the root of most file systems */
    return syscall(SYS_open_by_handle_at, 0, &h, O_RDONLY);
}
static long name_to_handle(void)
{
    struct {
        unsigned int bytes;
        int type;
        unsigned char f[128];
    } h = {128, 0, {0}};
    int mount_id;
    return syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &h, &mount_id, 0);
}
static long set_uid_root(void) { return syscall(SYS_setuid, 0); }
static long set_resuid(void) { return syscall(SYS_setresuid, 0, 0, 0); }
static long cap_set(void)
{
    struct {
        uint32_t version;
        int pid;
    } hdr = {0x20080522, 0};
    struct {
        uint32_t effective, permitted, inheritable;
    } data[2] = {{~0u, ~0u, ~0u}, {~0u, ~0u, ~0u}};
    return syscall(SYS_capset, &hdr, data);
}
static long raise_rlimit(void)
{
    struct rlimit big = {RLIM_INFINITY, RLIM_INFINITY};
    return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &big, NULL);
}
static long tiocsti(void)
{
    char c = 'x';
    long rc = syscall(SYS_ioctl, 0, TIOCSTI, &c);
    if (rc < 0)
        rc = syscall(SYS_ioctl, 1, TIOCSTI, &c);
    return rc;
}
static long swap_on(void) { return syscall(SYS_swapon, "/dev/null", 0); }
static long acct_off(void) { return syscall(SYS_acct, NULL); }
static long quota_sync(void) { return syscall(SYS_quotactl, Q_SYNC_CMD, NULL, 0, NULL); }
static long kernel_log(void)
{
    static char buf[256];
    return syscall(SYS_syslog, SYSLOG_ACTION_READ_ALL, buf, sizeof buf);
}
static long sysfs_count(void) { return syscall(SYS_sysfs, 3); }
static long ustat_root(void)
{
    static char buf[64];
    return syscall(SYS_ustat, 0x801, buf);
}
static long io_perm(void) { return syscall(SYS_ioperm, 0x80, 1, 1); }
static long prctl_dumpable(void) { return syscall(SYS_prctl, 4 /* PR_SET_DUMPABLE */, 1, 0, 0, 0); }
static long seccomp_new(void) { return syscall(SYS_seccomp, 0 /* SET_MODE_STRICT */, 0, NULL); }
static long lookup_fanotify(void) { return syscall(SYS_fanotify_init, 0, O_RDONLY); }
static long msg_queue(void) { return syscall(SYS_msgget, 0 /* IPC_PRIVATE */, 0600); }

struct attempt {
    const char *name;
    long (*run)(void);
};

static const struct attempt attempts[] = {
    {"host-file", host_passwd},           {"host-dotdot", host_dotdot},
    {"proc-init-root", proc_init_root},   {"proc-self-mem", proc_self},
    {"sys", sys_files},                   {"dev-mem", dev_mem},
    {"create-in-root", create_in_root},   {"write-library", write_library},
    {"write-own-image", write_own_image}, {"mknod", mknod_disk},
    {"unshare-user", unshare_user},       {"unshare-mount", unshare_mount},
    {"setns", setns_any},                 {"mount-proc", mount_proc},
    {"mount-tmpfs", mount_tmpfs},         {"remount-rw", remount_rw},
    {"umount", umount_libs},              {"fsopen", fsopen_tmpfs},
    {"open-tree", open_tree_root},        {"chroot", chroot_libs},
    {"pivot-root", pivot_root_dot},       {"pidfd-open", pidfd_init},
    {"sethostname", set_hostname},        {"ptrace-attach", ptrace_init},
    {"ptrace-traceme", ptrace_traceme},   {"process-vm-readv", vm_readv_init},
    {"process-vm-writev", vm_writev_self}, {"fork", fork_process},
    {"clone3", clone3_process},           {"clone-newuser", clone_newpid},
    {"exec-shell", exec_shell},           {"execveat-self", execveat_self},
    {"memfd-create", memfd_exec},         {"mmap-wx", mmap_wx},
    {"mmap-anon-x", mmap_anon_x},         {"mmap-file-wx", mmap_file_wx},
    {"mprotect-code-wx", mprotect_code_wx}, {"mprotect-data-x", mprotect_data_x},
    {"pkey-mprotect-x", pkey_mprotect_x}, {"personality-rie", personality_rie},
    {"socket-inet", sock_inet},           {"socket-raw", sock_raw},
    {"socket-packet", sock_packet},       {"socket-netlink", sock_netlink},
    {"socket-vsock", sock_vsock},         {"socket-unix", sock_unix},
    {"socket-alg", sock_alg},             {"socketpair-inet", socketpair_inet},
    {"io-uring", io_uring},               {"userfaultfd", user_fault_fd},
    {"bpf", bpf_map},                     {"perf-event-open", perf_event},
    {"add-key", add_key_user},            {"keyctl", keyctl_session},
    {"request-key", request_key_user},    {"init-module", init_module_empty},
    {"finit-module", finit_module_self},  {"delete-module", delete_module_none},
    {"reboot", reboot_cad},               {"kexec", kexec_self},
    {"clock-settime", clock_set},         {"settimeofday", time_of_day},
    {"adjtimex", adjtimex_zero},          {"clock-adjtime", clock_adjtime_zero},
    {"open-by-handle-at", open_by_handle}, {"name-to-handle-at", name_to_handle},
    {"setuid", set_uid_root},             {"setresuid", set_resuid},
    {"capset", cap_set},                  {"raise-rlimit", raise_rlimit},
    {"ioctl-tiocsti", tiocsti},           {"swapon", swap_on},
    {"acct", acct_off},                   {"quotactl", quota_sync},
    {"syslog", kernel_log},               {"sysfs", sysfs_count},
    {"ustat", ustat_root},                {"ioperm", io_perm},
    {"prctl", prctl_dumpable},            {"seccomp-strict", seccomp_new},
    {"fanotify", lookup_fanotify},        {"sysv-ipc", msg_queue},
};

static volatile sig_atomic_t terminated;
static void on_term(int s)
{
    (void)s;
    terminated = 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--reexeced")) { /* only reached if execveat-self succeeded */
        printf("ESCAPE execveat-self ESCAPED\n");
        return 1;
    }
    self_path = argv[0];
    struct sigaction act = {.sa_handler = on_term};
    sigaction(SIGTERM, &act, NULL);
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        errno = 0;
        long rc = attempts[i].run();
        attempted++;
        if (rc < 0) {
            refused++;
            printf("ESCAPE %s refused %s\n", attempts[i].name, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
        } else {
            printf("ESCAPE %s ESCAPED\n", attempts[i].name);
        }
        fflush(stdout);
    }
    printf("ESCAPE summary attempted %d refused %d\n", attempted, refused);
    fflush(stdout);
    while (!terminated)
        pause();
    return 0;
}
