/* broker_network.c — broker handlers for networking (the network-confinement issue): name
 * resolution through the device's resolver, mediated connects, server ports. Until then these
 * ops answer ENOSYS. */
#include "broker_ops.h"

const struct broker_op_entry broker_network_ops[] = {
    {0, NULL},
};
