/* SPDX-License-Identifier: MIT */
/* broker_client.h — libapplibs' side of the broker protocol (src/core/broker.h): one request,
 * one reply, maybe one descriptor. Internal to libapplibs. */
#ifndef OPENSPHERE_APPLIBS_BROKER_CLIENT_H
#define OPENSPHERE_APPLIBS_BROKER_CLIENT_H

#include <stdbool.h>

#include "broker.h"

/* Sends a request and waits for the reply. Returns the reply's result (0 or -errno; -ENOTCONN
 * when the app runs outside a device); *fd (if not NULL) receives a descriptor or -1. */
int applibs_broker_call(struct broker_request *q, struct broker_reply *r, int *fd);
/* Whether the app runs on a device: fd 3 (BROKER_FD) is an AF_UNIX SOCK_SEQPACKET socket. Asks
 * the kernel directly (not libapplibs' getsockopt interposer); errno is kept. */
bool applibs_broker_present(void);
/* The same, with `send_fd` attached to the request (SCM_RIGHTS; the caller keeps and closes it). */
int applibs_broker_call_with_fd(struct broker_request *q, struct broker_reply *r, int send_fd);
/* Sets errno from a negative result and returns -1; returns `value` for 0. */
int applibs_result(int result, int value);

#endif
