/* SPDX-License-Identifier: MIT */
/* devdns.h — res_query/res_search/res_send and res_nquery/res_nsearch/res_nsend answered by the
 * device (devdns.c). */
#ifndef OPENSPHERE_APPLIBS_DEVDNS_H
#define OPENSPHERE_APPLIBS_DEVDNS_H

struct __res_state;

int devdns_query(const char *name, int class, int type, unsigned char *answer, int size);
int devdns_search(const char *name, int class, int type, unsigned char *answer, int size);
int devdns_send(const unsigned char *msg, int len, unsigned char *answer, int size);
int devdns_nquery(struct __res_state *statp, const char *name, int class, int type, unsigned char *answer, int size);
int devdns_nsearch(struct __res_state *statp, const char *name, int class, int type, unsigned char *answer, int size);
int devdns_nsend(struct __res_state *statp, const unsigned char *msg, int len, unsigned char *answer, int size);

#endif
