/* SPDX-License-Identifier: MIT */
/* hostio.c — host file-system access for the CLI and daemons (see hostio.h). */
#include "hostio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"

#define HOSTIO_MAX_FILE (64u << 20)

int hostio_read_file(const char *path, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    }
    if ((unsigned long long)st.st_size > HOSTIO_MAX_FILE) {
        close(fd);
        return -EFBIG;
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? -errno : -EIO;
            free(buf);
            close(fd);
            return err;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

int hostio_canonical_path(const char *path, char **out)
{
    char *real = realpath(path, NULL);
    if (!real)
        return errno == ENOMEM ? -ENOMEM : -ENOENT;
    struct stat st;
    if (stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
        free(real);
        return -ENOENT;
    }
    *out = real;
    return 0;
}

/* Writes all of data, fsyncs and closes fd (closed also on failure). */
static int write_fsync_close(int fd, const void *data, size_t len)
{
    const char *p = data;
    int err = 0;
    while (len && !err) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            err = -errno;
        else
            p += n, len -= (size_t)n;
    }
    if (!err && fsync(fd) < 0)
        err = -errno;
    if (close(fd) < 0 && !err)
        err = -errno;
    return err;
}

static int fsync_dir_of(const char *path)
{
    char *dir = path_dirname(path);
    if (!dir)
        return -ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -errno;
    int err = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return err;
}

int hostio_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    int err = write_fsync_close(fd, data, len);
    if (!err && rename(tmp, path) < 0)
        err = -errno;
    if (err) {
        unlink(tmp);
        return err;
    }
    return fsync_dir_of(path);
}

int hostio_make_dirs(const char *path, unsigned mode)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -ENAMETOOLONG;
    for (char *c = buf + 1;; c++) {
        if (*c == '/' || *c == '\0') {
            char saved = *c;
            *c = '\0';
            if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
            *c = saved;
            if (!saved)
                break;
        }
    }
    return 0;
}

static int io_read(void *ctx, const char *path, char **data, size_t *len)
{
    return hostio_read_file(path, data, len);
}

static int io_canonical(void *ctx, const char *path, char **out) { return hostio_canonical_path(path, out); }

const struct hwdef_io *hostio_hwdef_io(void)
{
    static const struct hwdef_io io = {.read_file = io_read, .canonical_path = io_canonical};
    return &io;
}

static char *existing_dir(const char *path)
{
    struct stat st;
    char *real = realpath(path, NULL);
    if (real && stat(real, &st) == 0 && S_ISDIR(st.st_mode))
        return real;
    free(real);
    return NULL;
}

int hostio_beside_exe(const char *env_var, const char *relative, char *out, size_t size)
{
    const char *env = env_var ? getenv(env_var) : NULL;
    if (env && env[0])
        return snprintf(out, size, "%s", env) < (int)size ? 0 : -ENAMETOOLONG;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -ENOENT;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -ENOENT;
    *slash = '\0';
    return snprintf(out, size, "%s/%s", exe, relative) < (int)size ? 0 : -ENAMETOOLONG;
}

char *hostio_sdk_dir(void)
{
    const char *env = getenv("OPENSPHERE_SDK_DIR");
    if (env && env[0])
        return existing_dir(env);
    static const char *const candidates[] = {"../sdk", "../share/opensphere/sdk"};
    char *found = NULL;
    char p[PATH_MAX];
    for (size_t i = 0; !found && i < 2; i++)
        if (hostio_beside_exe(NULL, candidates[i], p, sizeof p) == 0)
            found = existing_dir(p);
    return found;
}

struct file_list {
    char **paths;
    size_t count;
};

static int list_push(struct file_list *l, const char *path)
{
    char **p = realloc(l->paths, (l->count + 1) * sizeof *p);
    if (!p)
        return -ENOMEM;
    l->paths = p;
    if (!(p[l->count] = strdup(path)))
        return -ENOMEM;
    l->count++;
    return 0;
}

static int walk(const char *root, const char *rel, struct file_list *l, char **bad, unsigned depth)
{
    char full[PATH_MAX];
    if (snprintf(full, sizeof full, "%s%s%s", root, rel[0] ? "/" : "", rel) >= (int)sizeof full)
        return -ENAMETOOLONG;
    if (depth > 32)
        return -ELOOP;
    DIR *d = opendir(full);
    if (!d)
        return -errno;
    int err = 0;
    for (struct dirent *e; !err && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char child[PATH_MAX], child_full[PATH_MAX];
        if (snprintf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >= (int)sizeof child ||
            snprintf(child_full, sizeof child_full, "%s/%s", root, child) >= (int)sizeof child_full) {
            err = -ENAMETOOLONG;
            break;
        }
        struct stat st;
        if (lstat(child_full, &st) < 0) {
            err = -errno;
        } else if (S_ISDIR(st.st_mode)) {
            err = walk(root, child, l, bad, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            err = list_push(l, child);
        } else {
            *bad = strdup(child);
            err = -EINVAL;
        }
    }
    closedir(d);
    return err;
}

static int compare_strings(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Hands the list over sorted when err is 0; frees it and returns err otherwise. */
static int finish_list(struct file_list *l, int err, char ***out, size_t *count)
{
    if (err) {
        hostio_free_list(l->paths, l->count);
        return err;
    }
    if (l->count)
        qsort(l->paths, l->count, sizeof *l->paths, compare_strings);
    *out = l->paths;
    *count = l->count;
    return 0;
}

int hostio_list_files(const char *dir, char ***paths, size_t *count, char **bad)
{
    struct file_list l = {0};
    *bad = NULL;
    return finish_list(&l, walk(dir, "", &l, bad, 0), paths, count);
}

void hostio_free_list(char **paths, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
}

int hostio_write_new_file(const char *path, const void *data, size_t len, unsigned mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    int err = write_fsync_close(fd, data, len);
    if (err)
        unlink(path);
    return err;
}

int hostio_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) < 0 ? -errno : 0;
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    int err = 0;
    for (struct dirent *e; !err && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char child[PATH_MAX];
        if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= (int)sizeof child)
            err = -ENAMETOOLONG;
        else
            err = hostio_remove_tree(child);
    }
    closedir(d);
    if (!err && rmdir(path) < 0)
        err = -errno;
    return err;
}

int hostio_tree_size(const char *path, unsigned long long *bytes)
{
    *bytes = 0;
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (S_ISREG(st.st_mode)) {
        *bytes = (unsigned long long)st.st_size;
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return 0;
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    int err = 0;
    for (struct dirent *e; !err && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char child[PATH_MAX];
        unsigned long long n = 0;
        if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= (int)sizeof child)
            err = -ENAMETOOLONG;
        else if (!(err = hostio_tree_size(child, &n)))
            *bytes += n;
    }
    closedir(d);
    return err;
}

int hostio_list_subdirs(const char *dir, char ***names, size_t *count)
{
    struct file_list l = {0};
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    int err = 0;
    for (struct dirent *e; !err && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char full[PATH_MAX];
        struct stat st;
        if (snprintf(full, sizeof full, "%s/%s", dir, e->d_name) < (int)sizeof full && lstat(full, &st) == 0 &&
            S_ISDIR(st.st_mode))
            err = list_push(&l, e->d_name);
    }
    closedir(d);
    return finish_list(&l, err, names, count);
}

/* Whether "<name>.tmp.<pid>" was left by a process that no longer runs (its write cannot finish).
 * A live writer's temporary is never stale: removing it would make its rename fail. */
static bool temporary_is_stale(const char *name)
{
    const char *mark = strstr(name, ".tmp.");
    if (!mark)
        return false;
    char *end;
    errno = 0;
    long pid = strtol(mark + 5, &end, 10);
    if (*end || end == mark + 5 || errno || pid <= 0 || pid != (pid_t)pid)
        return true; /* not one of ours: a name no live writer can hold */
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

void hostio_remove_stale_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        char full[PATH_MAX];
        if (temporary_is_stale(e->d_name) && snprintf(full, sizeof full, "%s/%s", dir, e->d_name) < (int)sizeof full)
            unlink(full);
    }
    closedir(d);
}
