/* SPDX-License-Identifier: MIT */
/* bytes.c — the entropy half of bytes.h: getrandom(2), checked, every byte or -EIO. */
#include "bytes.h"

#include <errno.h>
#include <sys/random.h>

int bytes_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t got = getrandom(p, len, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -EIO;
        }
        p += got;
        len -= (size_t)got;
    }
    return 0;
}
