/* SPDX-License-Identifier: MIT */
/* devdns.c — the C library's resolver calls inside an app, answered by the device's resolver
 * (BROKER_NET_DNS_QUERY; docs/netconfig.md "DNS service discovery"). The container has no DNS
 * server of its own and the C library's resolver uses hidden socket calls the container refuses,
 * so libapplibs answers res_query, res_search and res_send itself, and their res_state forms
 * res_nquery, res_nsearch and res_nsend (the state's servers and options are not used: the device
 * picks the servers; its res_h_errno is set as h_errno): one question (name, class, type) to the device, which checks it against the manifest (and the names earlier answers made
 * known: DNS-SD) and answers with the server's message. Failures: -1 with h_errno
 * HOST_NOT_FOUND (no such name), NO_RECOVERY (refused: errno EACCES; or malformed), TRY_AGAIN
 * (no network: errno ENETUNREACH). Outside a device these are the C library's own.
 * Interposers: interpose.c. */
#include "devdns.h"

#include <arpa/nameser.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <string.h>
#include <unistd.h>

#include "broker_client.h"

typedef int (*query_fn)(const char *, int, int, unsigned char *, int);
typedef int (*send_fn)(const unsigned char *, int, unsigned char *, int);
typedef int (*nquery_fn)(res_state, const char *, int, int, unsigned char *, int);
typedef int (*nsend_fn)(res_state, const unsigned char *, int, unsigned char *, int);

static void *real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

/* Asks the device; the answer's length (copied up to size) or -1 with h_errno and errno. */
static int ask(const char *name, int class, int type, unsigned char *answer, int size)
{
    struct broker_request q = {.op = BROKER_NET_DNS_QUERY, .a = class, .b = type};
    struct broker_reply r;
    if (!name || !answer || size < 0 || strlen(name) >= sizeof q.text) {
        h_errno = NO_RECOVERY;
        errno = EINVAL;
        return -1;
    }
    strcpy(q.text, name);
    int fd = -1;
    int err = applibs_broker_call(&q, &r, &fd);
    if (err) {
        h_errno = err == -ENOENT ? HOST_NOT_FOUND : err == -ENETUNREACH || err == -EAGAIN ? TRY_AGAIN : NO_RECOVERY;
        errno = -err;
        return -1;
    }
    int len = r.value < size ? r.value : size;
    ssize_t got = fd >= 0 ? pread(fd, answer, (size_t)len, 0) : -1;
    if (fd >= 0)
        close(fd);
    if (got != len) {
        h_errno = NO_RECOVERY;
        errno = EIO;
        return -1;
    }
    return len;
}

int devdns_query(const char *name, int class, int type, unsigned char *answer, int size)
{
    if (!applibs_broker_present()) {
        query_fn f;
        void *p = real("res_query");
        memcpy(&f, &p, sizeof p);
        return f ? f(name, class, type, answer, size) : (h_errno = NO_RECOVERY, -1);
    }
    return ask(name, class, type, answer, size);
}

int devdns_search(const char *name, int class, int type, unsigned char *answer, int size)
{
    if (!applibs_broker_present()) {
        query_fn f;
        void *p = real("res_search");
        memcpy(&f, &p, sizeof p);
        return f ? f(name, class, type, answer, size) : (h_errno = NO_RECOVERY, -1);
    }
    return ask(name, class, type, answer, size); /* the device has no search list */
}

/* res_send's work on the device: the query message's one question (header: 12 bytes, QDCOUNT at
 * 4; then name, type, class; dn_expand is libc's), and the answer carries the query's ID. */
static int ask_message(const unsigned char *msg, int len, unsigned char *answer, int size)
{
    char name[NS_MAXDNAME];
    int used = msg && len >= NS_HFIXEDSZ && msg[4] == 0 && msg[5] == 1
                   ? dn_expand(msg, msg + len, msg + NS_HFIXEDSZ, name, sizeof name)
                   : -1;
    if (used < 0 || NS_HFIXEDSZ + used + 4 > len) {
        h_errno = NO_RECOVERY;
        errno = EINVAL;
        return -1;
    }
    const unsigned char *p = msg + NS_HFIXEDSZ + used;
    int n = ask(name, p[2] << 8 | p[3], p[0] << 8 | p[1], answer, size);
    if (n >= 2)
        memcpy(answer, msg, 2);
    return n;
}

int devdns_send(const unsigned char *msg, int len, unsigned char *answer, int size)
{
    if (!applibs_broker_present()) {
        send_fn f;
        void *p = real("res_send");
        memcpy(&f, &p, sizeof p);
        return f ? f(msg, len, answer, size) : (h_errno = NO_RECOVERY, -1);
    }
    return ask_message(msg, len, answer, size);
}

/* ---- the res_state forms ----------------------------------------------------------------------- */

/* A result for statp: its res_h_errno follows h_errno on failure, as the C library's do. */
static int with_state(res_state statp, int n)
{
    if (n < 0 && statp)
        statp->res_h_errno = h_errno;
    return n;
}

/* The C library's res_nquery or res_nsearch (outside a device). */
static int real_nquery(const char *fn, res_state statp, const char *name, int class, int type, unsigned char *answer,
                       int size)
{
    nquery_fn f;
    void *p = real(fn);
    memcpy(&f, &p, sizeof p);
    return f ? f(statp, name, class, type, answer, size) : with_state(statp, (h_errno = NO_RECOVERY, -1));
}

int devdns_nquery(res_state statp, const char *name, int class, int type, unsigned char *answer, int size)
{
    if (!applibs_broker_present())
        return real_nquery("res_nquery", statp, name, class, type, answer, size);
    return with_state(statp, ask(name, class, type, answer, size));
}

int devdns_nsearch(res_state statp, const char *name, int class, int type, unsigned char *answer, int size)
{
    if (!applibs_broker_present())
        return real_nquery("res_nsearch", statp, name, class, type, answer, size);
    return with_state(statp, ask(name, class, type, answer, size)); /* the device has no search list */
}

int devdns_nsend(res_state statp, const unsigned char *msg, int len, unsigned char *answer, int size)
{
    if (!applibs_broker_present()) {
        nsend_fn f;
        void *p = real("res_nsend");
        memcpy(&f, &p, sizeof p);
        return f ? f(statp, msg, len, answer, size) : with_state(statp, (h_errno = NO_RECOVERY, -1));
    }
    return with_state(statp, ask_message(msg, len, answer, size));
}
