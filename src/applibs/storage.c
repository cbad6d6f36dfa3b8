/* SPDX-License-Identifier: MIT */
/* storage.c — mutable storage (through the broker) and the app's own image files. */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/storage.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker_client.h"

int Storage_OpenMutableFile(void)
{
    struct broker_request q = {.op = BROKER_STORAGE_OPEN};
    struct broker_reply r;
    int fd;
    int result = applibs_broker_call(&q, &r, &fd);
    return applibs_result(result, fd);
}

int Storage_DeleteMutableFile(void)
{
    struct broker_request q = {.op = BROKER_STORAGE_DELETE};
    struct broker_reply r;
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}

/* The folder the app's image is mounted on: the folder of /proc/self/exe is unavailable (no
 * /proc), so it is derived from argv[0], which the device sets to the entry point's full path. */
static char image_root[256];

__attribute__((constructor)) static void find_image_root(int argc, char **argv)
{
    if (argc < 1 || !argv || !argv[0] || strncmp(argv[0], "/mnt/apps/", 10) != 0)
        return;
    const char *end = strchr(argv[0] + 10, '/');
    size_t n = end ? (size_t)(end - argv[0]) : strlen(argv[0]);
    if (n < sizeof image_root) {
        memcpy(image_root, argv[0], n);
        image_root[n] = '\0';
    }
}

static bool valid_relative(const char *p)
{
    if (!p || !*p || p[0] == '/' || p[0] == '.')
        return false;
    for (const char *c = p; *c;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 0 || (n == 2 && c[0] == '.' && c[1] == '.') || (n == 1 && c[0] == '.'))
            return false;
        c += n + (slash ? 1 : 0);
    }
    return true;
}

char *Storage_GetAbsolutePathInImagePackage(const char *relativePath)
{
    if (!valid_relative(relativePath)) {
        errno = EINVAL;
        return NULL;
    }
    size_t n = strlen(image_root) + strlen(relativePath) + 2;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/%s", image_root, relativePath);
    return path;
}

int Storage_OpenFileInImagePackage(const char *relativePath)
{
    char *path = Storage_GetAbsolutePathInImagePackage(relativePath);
    if (!path)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int saved = errno;
    free(path);
    errno = saved;
    return fd;
}
