/* netshim.h — what the plain-sockets interposers (netshim.c) tell the rest of libapplibs.
 * Internal to libapplibs. */
#ifndef OPENSPHERE_APPLIBS_NETSHIM_H
#define OPENSPHERE_APPLIBS_NETSHIM_H

#include <stdbool.h>

/* Whether fd is one of the app's UDP server channels (bind() to an AllowedUdpServerPorts port):
 * send() and write() on it fail with EDESTADDRREQ, as on an unconnected UDP socket. Costs one
 * atomic load while the app has none. */
bool applibs_is_udp_server(int fd);

#endif
