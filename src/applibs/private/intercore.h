/* SPDX-License-Identifier: MIT */
/* intercore.h — the inter-core sockets this process holds (intercore.c). Internal to libapplibs.
 * send()/write() of more than BROKER_INTERCORE_MAX_PAYLOAD bytes on one fail with EMSGSIZE, as
 * on the platform, since the kernel's own SOCK_SEQPACKET limit is larger (docs/intercore.md). */
#ifndef OPENSPHERE_APPLIBS_INTERCORE_H
#define OPENSPHERE_APPLIBS_INTERCORE_H

#include <stdbool.h>
#include <stddef.h>

/* Remembers fd (from Application_Connect) with its current file; up to 16 sockets, the rest are
 * not limited. No lock (as before the split of system.c). */
void applibs_intercore_track(int fd);
/* Whether sending len bytes on fd must fail with EMSGSIZE: fd is a tracked inter-core socket
 * (still the same file) and len is over the limit. */
bool applibs_intercore_too_big(int fd, size_t len);

#endif
