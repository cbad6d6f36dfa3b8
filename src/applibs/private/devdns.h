/* SPDX-License-Identifier: MIT */
/* devdns.h — res_query/res_search/res_send answered by the device (devdns.c). */
#ifndef OPENSPHERE_APPLIBS_DEVDNS_H
#define OPENSPHERE_APPLIBS_DEVDNS_H

int devdns_query(const char *name, int class, int type, unsigned char *answer, int size);
int devdns_search(const char *name, int class, int type, unsigned char *answer, int size);
int devdns_send(const unsigned char *msg, int len, unsigned char *answer, int size);

#endif
