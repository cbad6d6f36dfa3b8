/* SPDX-License-Identifier: MIT */
/* error.c — text for the project's negative-errno result codes (see error.h). */
#include "error.h"

#include <string.h>

const char *os_strerror(int err)
{
    if (err == 0)
        return "success";
    return strerror(err < 0 ? -err : err);
}
