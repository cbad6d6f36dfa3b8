/* SPDX-License-Identifier: MIT */
/* log.c — Log_Debug: formatted lines to standard error, which the device collects. */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/log.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int Log_DebugVarArgs(const char *fmt, va_list args)
{
    char buf[1024];
    int n = vsnprintf(buf, sizeof buf, fmt, args);
    if (n < 0) {
        errno = EINVAL;
        return -1;
    }
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    for (size_t done = 0; done < len;) {
        ssize_t w = write(2, buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

int Log_Debug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = Log_DebugVarArgs(fmt, ap);
    va_end(ap);
    return r;
}
