/* SPDX-License-Identifier: MIT */
/* intercore.c — the inter-core sockets this process holds, by descriptor and inode (see
 * private/intercore.h): Application_Connect tracks them, send()/write() ask (netshim.c). */
#include "intercore.h"

#include <sys/stat.h>
#include <sys/types.h>

#include "broker.h"

enum { INTERCORE_MAX_FDS = 16 };
static struct {
    int fd;
    ino_t ino;
} intercore_fds[INTERCORE_MAX_FDS];
static int intercore_count;

void applibs_intercore_track(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return;
    for (int i = 0; i < intercore_count; i++)
        if (intercore_fds[i].fd == fd) {
            intercore_fds[i].ino = st.st_ino;
            return;
        }
    if (intercore_count < INTERCORE_MAX_FDS) {
        intercore_fds[intercore_count].fd = fd;
        intercore_fds[intercore_count++].ino = st.st_ino;
    }
}

bool applibs_intercore_too_big(int fd, size_t len)
{
    if (len <= BROKER_INTERCORE_MAX_PAYLOAD)
        return false;
    struct stat st;
    for (int i = 0; i < intercore_count; i++)
        if (intercore_fds[i].fd == fd)
            return fstat(fd, &st) == 0 && st.st_ino == intercore_fds[i].ino;
    return false;
}
