/* SPDX-License-Identifier: MIT */
/* container.c — namespaces, a read-only root, seccomp, and a tiny init (see container.h). */
#include "container.h"
#include "deviceauth_issue.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker.h"

/* A seccomp argument comparison "argument n == v" (spelled out: libseccomp's SCMP_An macros
 * leave datum_b to the compiler, which clang's -Wmissing-field-initializers refuses). */
#define ARG_EQ(n, v) ((struct scmp_arg_cmp){.arg = (n), .op = SCMP_CMP_EQ, .datum_a = (v), .datum_b = 0})

#define APP_UID 1000 /* the app's user inside its namespace */
#define STACK_SIZE (256 * 1024)

struct launch {
    const struct container_spec *spec;
    int sync_fd;       /* read end: the parent has written our user-namespace maps */
    bool unprivileged; /* the app runs as APP_UID (mapped to nobody) */
};

/* ---- in the child ------------------------------------------------------------------------- */

/*
 * The child of clone() is a copy of a multi-threaded sphered with only the cloning thread in it,
 * and glibc does not know: a lock another thread held at the moment of the clone (a malloc arena,
 * the stdio list, the thread-stack list) stays held in the copy for ever. glibc's fork() takes
 * those locks, and its setresuid/setresgid/setgroups signal every thread it believes exists and
 * wait for them. So the child makes these calls as bare system calls, which touch no glibc
 * state: a copy of fork() (clone with SIGCHLD and no new stack) and the credential calls, which
 * then change the one thread there is. (Apps once hung here before main under load, the init
 * blocked in a futex wait inside fork(): tests/cli/test_start_load.sh.)
 */
static pid_t child_fork(void) { return (pid_t)syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L); }

static int child_drop_to(uid_t uid, gid_t gid)
{
    if (syscall(SYS_setgroups, 0L, 0L) < 0 && errno != EPERM)
        return -1;
    if (syscall(SYS_setresgid, (long)gid, (long)gid, (long)gid) < 0)
        return -1;
    return (int)syscall(SYS_setresuid, (long)uid, (long)uid, (long)uid);
}

static void fail(const char *what)
{
    char msg[256];
    int n = snprintf(msg, sizeof msg, "opensphere container: %s: %s\n", what, strerrordesc_np(errno));
    ssize_t r = write(2, msg, (size_t)n);
    (void)r;
    _exit(126);
}

static void make_dirs(const char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *c = buf + 1; *c; c++)
        if (*c == '/') {
            *c = '\0';
            mkdir(buf, 0755);
            *c = '/';
        }
    mkdir(buf, 0755);
}

static void bind_read_only(const char *from, const char *to)
{
    if (mount(from, to, NULL, MS_BIND | MS_REC, NULL) < 0)
        fail(from);
    if (mount(NULL, to, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, NULL) < 0)
        fail("remount read-only");
}

static void bind_device(const char *root, const char *name)
{
    char target[512], source[64];
    snprintf(target, sizeof target, "%s/dev/%s", root, name);
    snprintf(source, sizeof source, "/dev/%s", name);
    int fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (fd >= 0)
        close(fd);
    if (mount(source, target, NULL, MS_BIND, NULL) < 0)
        fail(source);
}

static void build_root(const struct container_spec *s)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        fail("make mounts private");
    const char *root = s->scratch_dir;
    if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755") < 0)
        fail("tmpfs root");
    char path[512];
    snprintf(path, sizeof path, "%s%s", root, s->mount_point);
    make_dirs(path);
    bind_read_only(s->image_dir, path);
    struct stat st;
    static const char *const libs[] = {"/usr/lib", "/usr/lib64", "/usr/lib32"};
    for (size_t i = 0; i < 3; i++) {
        if (stat(libs[i], &st) != 0)
            continue;
        snprintf(path, sizeof path, "%s%s", root, libs[i]);
        make_dirs(path);
        bind_read_only(libs[i], path);
        char link[512];
        snprintf(link, sizeof link, "%s%s", root, libs[i] + 4); /* /lib, /lib64 */
        if (symlink(libs[i] + 1, link) < 0)
            fail("library link");
    }
    snprintf(path, sizeof path, "%s/dev", root);
    make_dirs(path);
    bind_device(root, "null");
    bind_device(root, "zero");
    bind_device(root, "urandom");
    if (s->deviceauth_file) { /* the device-authentication file (docs/deviceauth.md), read-only */
        snprintf(path, sizeof path, "%s" DEVICEAUTH_APP_PATH, root);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        make_dirs(path);
        *slash = '/';
        int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0400);
        if (fd >= 0)
            close(fd);
        bind_read_only(s->deviceauth_file, path);
    }
    if (chdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        fail("pivot_root");
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        fail("read-only root");
}

/* A seccomp argument comparison "(argument n & mask) == v". */
#define ARG_MASKED(n, mask, v) \
    ((struct scmp_arg_cmp){.arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (mask), .datum_b = (v)})

/* W^X (docs/security.md, "Memory"): no page is ever writable and executable, and no page becomes
 * executable after the fact. mmap is allowed without PROT_EXEC, or with PROT_EXEC but without
 * PROT_WRITE on a file (the dynamic loader mapping code from the image and the read-only
 * libraries); anonymous executable memory and PROT_WRITE|PROT_EXEC are refused. mprotect is
 * allowed only without PROT_EXEC, so nothing writable (or once writable) turns executable;
 * pkey_mprotect, pkey_alloc and memfd_create are not on the list at all. Refused calls fail
 * with EPERM, like every call off the list. glibc 2.36's loader maps code with mmap and only
 * drops PROT_WRITE with mprotect (RELRO), so apps and their libraries are unaffected. */
static int container_add_wx_rules(scmp_filter_ctx ctx)
{
    int err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, ARG_MASKED(2, PROT_EXEC, 0));
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 2, ARG_MASKED(2, PROT_WRITE | PROT_EXEC, PROT_EXEC),
                               ARG_MASKED(3, MAP_ANONYMOUS, 0));
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, ARG_MASKED(2, PROT_EXEC, 0));
    return err;
}

/* The system calls an app may make; anything else fails with EPERM. */
int container_build_filter(void **filter)
{
    static const int allowed[] = {
        SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
        SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(stat),
        SCMP_SYS(lstat), SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
        SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(getcwd), SCMP_SYS(fcntl), SCMP_SYS(ioctl), SCMP_SYS(dup),
        SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(pipe), SCMP_SYS(pipe2), SCMP_SYS(ftruncate), SCMP_SYS(fsync),
        SCMP_SYS(fdatasync), SCMP_SYS(fstatfs), SCMP_SYS(munmap), SCMP_SYS(brk),
        SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
        SCMP_SYS(rt_sigsuspend), SCMP_SYS(rt_sigtimedwait), SCMP_SYS(sigaltstack), SCMP_SYS(pause), SCMP_SYS(kill),
        SCMP_SYS(tgkill), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall), SCMP_SYS(clock_gettime),
        SCMP_SYS(clock_getres), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time),
        SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
        SCMP_SYS(getegid), SCMP_SYS(getrandom), SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(getrusage),
        SCMP_SYS(prlimit64), SCMP_SYS(getrlimit), SCMP_SYS(epoll_create), SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl),
        SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2), SCMP_SYS(timerfd_create),
        SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime), SCMP_SYS(eventfd), SCMP_SYS(eventfd2), SCMP_SYS(poll),
        SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(sendto),
        SCMP_SYS(recvfrom), SCMP_SYS(shutdown), SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list),
        SCMP_SYS(set_tid_address), SCMP_SYS(rseq), SCMP_SYS(arch_prctl), SCMP_SYS(sched_yield),
        SCMP_SYS(sched_getaffinity), SCMP_SYS(setitimer), SCMP_SYS(getitimer), SCMP_SYS(alarm), SCMP_SYS(execve),
        SCMP_SYS(membarrier), SCMP_SYS(sched_getparam), SCMP_SYS(sched_getscheduler),
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return -ENOMEM;
    /* A binary tree rather than a list: every system call an app makes walks this filter. */
    int err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    for (size_t i = 0; !err && i < sizeof allowed / sizeof allowed[0]; i++)
        if (allowed[i] >= 0)
            err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    if (!err)
        err = container_add_wx_rules(ctx);
    /* Threads yes (clone with CLONE_THREAD), new processes no; clone3 makes glibc fall back to clone. */
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                               SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* Local socket pairs (between an app's own threads) are fine. No socket(), connect() or bind():
     * every network socket an app holds was made and connected (or bound) by the device
     * (docs/network.md); on those it may accept, ask names and set TCP and socket-level options.
     * Its own network namespace stays empty underneath. */
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1, ARG_EQ(0, AF_UNIX));
    static const int on_sockets[] = {SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(getsockname),
                                     SCMP_SYS(getpeername), SCMP_SYS(getsockopt)};
    for (size_t i = 0; !err && i < sizeof on_sockets / sizeof on_sockets[0]; i++)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, on_sockets[i], 0);
    /* connect() never runs. It answers EINPROGRESS rather than EPERM because every socket the app
     * can hold is connected already, and libcurl (7.88 ignores CURL_SOCKOPT_ALREADY_CONNECTED) then
     * waits for it to be writable, reads SO_ERROR = 0 and carries on. */
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINPROGRESS), SCMP_SYS(connect), 0);
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1, ARG_EQ(1, SOL_SOCKET));
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1, ARG_EQ(1, IPPROTO_TCP));
    int fd = err ? -1 : memfd_create("seccomp", MFD_CLOEXEC);
    if (!err && fd < 0)
        err = -errno;
    if (!err)
        err = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    off_t size = err ? 0 : lseek(fd, 0, SEEK_END);
    struct sock_fprog *prog = err || size <= 0 ? NULL : malloc(sizeof *prog + (size_t)size);
    if (!err && !prog)
        err = -ENOMEM;
    if (!err) {
        prog->filter = (struct sock_filter *)(prog + 1);
        prog->len = (unsigned short)(size / sizeof(struct sock_filter));
        if (pread(fd, prog->filter, (size_t)size, 0) != size)
            err = -EIO;
    }
    if (fd >= 0)
        close(fd);
    if (err) {
        free(prog);
        return err;
    }
    *filter = prog;
    return 0;
}

void container_free_filter(void *filter) { free(filter); }

static void become_app(const struct launch *l)
{
    const struct container_spec *s = l->spec;
    if (l->unprivileged && child_drop_to(APP_UID, APP_UID) < 0)
        fail("drop to the app's user");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail("no_new_privs");
    struct rlimit fsize = {s->max_file_bytes, s->max_file_bytes}, none = {0, 0}, files = {64, 64};
    setrlimit(RLIMIT_FSIZE, &fsize);
    setrlimit(RLIMIT_CORE, &none);
    setrlimit(RLIMIT_NOFILE, &files);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    signal(SIGXFSZ, SIG_IGN); /* writes past the quota fail with EFBIG instead of killing the app */
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(s->stdout_fd, 1) < 0 || dup2(s->stderr_fd, 2) < 0 ||
        dup2(s->broker_fd, BROKER_FD) < 0)
        fail("set up descriptors");
    syscall(SYS_close_range, BROKER_FD + 1, ~0U, 0);
    char path[512];
    snprintf(path, sizeof path, "%s%s", s->mount_point, s->entry_point[0] == '/' ? s->entry_point : "/");
    if (s->entry_point[0] != '/')
        strncat(path, s->entry_point, sizeof path - strlen(path) - 1);
    const char *argv[66] = {path};
    size_t n = 1;
    for (size_t i = 0; s->args && s->args[i] && n < 65; i++)
        argv[n++] = s->args[i];
    argv[n] = NULL;
    char *envp[] = {NULL};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, s->seccomp_filter) < 0)
        fail("seccomp");
    execve(path, (char *const *)argv, envp);
    fail("execve");
}

static int init_main(void *arg)
{
    const struct launch *l = arg;
    char ok;
    if (read(l->sync_fd, &ok, 1) != 1)
        _exit(125);
    close(l->sync_fd);
    sethostname("azure-sphere", 12);
    build_root(l->spec);
    sigset_t wait_for;
    sigemptyset(&wait_for);
    sigaddset(&wait_for, SIGTERM);
    sigaddset(&wait_for, SIGCHLD);
    sigprocmask(SIG_BLOCK, &wait_for, NULL);
    pid_t app = child_fork();
    if (app < 0)
        fail("fork the app");
    if (app == 0)
        become_app(l);
    close(l->spec->broker_fd);
    for (;;) {
        siginfo_t info;
        if (sigwaitinfo(&wait_for, &info) < 0)
            continue;
        if (info.si_signo == SIGTERM) {
            kill(app, SIGTERM);
            continue;
        }
        int status;
        if (waitpid(app, &status, WNOHANG) == app) {
            ssize_t r = write(l->spec->status_fd, &status, sizeof status);
            (void)r;
            _exit(0);
        }
    }
}

/* ---- in the device ------------------------------------------------------------------------ */

static int write_text(pid_t pid, const char *file, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int err = n == (ssize_t)strlen(text) ? 0 : -errno;
    close(fd);
    return err;
}

int container_start(const struct container_spec *spec, pid_t *init_pid, char *why, size_t why_size)
{
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) < 0)
        return -errno;
    struct launch l = {.spec = spec, .sync_fd = sync[0], .unprivileged = geteuid() == 0};
    char *stack = malloc(STACK_SIZE);
    if (!stack) {
        close(sync[0]), close(sync[1]);
        return -ENOMEM;
    }
    int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | SIGCHLD;
    pid_t pid = clone(init_main, stack + STACK_SIZE, flags, &l);
    int err = pid < 0 ? -errno : 0;
    if (err)
        snprintf(why, why_size, "cannot create the app's namespaces: %s", strerror(-err));
    char map[64];
    if (!err) {
        if (l.unprivileged)
            snprintf(map, sizeof map, "0 0 1\n%d 65534 1\n", APP_UID);
        else
            snprintf(map, sizeof map, "0 %d 1\n", (int)geteuid());
        err = write_text(pid, "uid_map", map);
        if (!err)
            err = write_text(pid, "setgroups", "deny");
        if (!err) {
            if (l.unprivileged)
                snprintf(map, sizeof map, "0 0 1\n%d 65534 1\n", APP_UID);
            else
                snprintf(map, sizeof map, "0 %d 1\n", (int)getegid());
            err = write_text(pid, "gid_map", map);
        }
        if (err)
            snprintf(why, why_size, "cannot map the app's user namespace: %s", strerror(-err));
    }
    close(sync[0]);
    if (!err && write(sync[1], "g", 1) != 1)
        err = -EIO;
    close(sync[1]);
    if (err && pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    /* The child has its own copy of the stack (clone without CLONE_VM), so it can go now. */
    free(stack);
    if (!err)
        *init_pid = pid;
    return err;
}
