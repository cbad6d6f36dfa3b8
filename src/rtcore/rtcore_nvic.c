/* SPDX-License-Identifier: MIT */
/* rtcore_nvic.c — ARMv7-M exception priorities and preemption (see rtcore_nvic.h). */
#include "rtcore_nvic.h"

#include <string.h>

void rtcore_nvic_reset(struct rtcore_nvic *n)
{
    memset(n, 0, sizeof *n);
    for (unsigned e = 2; e < RTCORE_EXC_IRQ0; e++)
        n->enabled[e] = true;
}

void rtcore_nvic_set_priority(struct rtcore_nvic *n, unsigned exc, uint8_t prio)
{
    n->prio[exc] = (uint8_t)(prio & RTCORE_PRIO_MASK);
}

void rtcore_nvic_set_pending(struct rtcore_nvic *n, unsigned exc, bool pending)
{
    if (n->pending[exc] != pending)
        n->pending_count += pending ? 1u : (unsigned)-1;
    n->pending[exc] = pending;
}

int rtcore_nvic_group_priority(const struct rtcore_nvic *n, unsigned exc)
{
    if (exc == RTCORE_EXC_NMI)
        return -2;
    if (exc == RTCORE_EXC_HARDFAULT)
        return -1;
    unsigned group_mask = (0xFFu << (n->prigroup + 1)) & 0xFFu;
    return (int)(n->prio[exc] & group_mask);
}

int rtcore_nvic_execution_priority(const struct rtcore_nvic *n, bool primask, uint8_t basepri)
{
    int prio = 256;
    for (unsigned e = 2; e < RTCORE_EXC_COUNT; e++)
        if (n->active[e]) {
            int g = rtcore_nvic_group_priority(n, e);
            prio = g < prio ? g : prio;
        }
    uint8_t bp = (uint8_t)(basepri & RTCORE_PRIO_MASK);
    if (bp) {
        int g = (int)(bp & ((0xFFu << (n->prigroup + 1)) & 0xFFu));
        prio = g < prio ? g : prio;
    }
    if (primask && prio > 0)
        prio = 0;
    return prio;
}

unsigned rtcore_nvic_highest_pending(const struct rtcore_nvic *n)
{
    if (!n->pending_count)
        return 0;
    unsigned best = 0;
    int best_prio = 1000;
    for (unsigned e = 2; e < RTCORE_EXC_COUNT; e++) {
        if (!n->pending[e] || !n->enabled[e])
            continue;
        int p = rtcore_nvic_group_priority(n, e);
        /* Ties go to the lower exception number, then the lower sub-priority would; with 3 bits
         * and PRIGROUP < 5 there is no sub-priority, so the number decides. */
        if (p < best_prio || (p == best_prio && n->prio[e] < n->prio[best])) {
            best = e;
            best_prio = p;
        }
    }
    return best;
}

unsigned rtcore_nvic_next(const struct rtcore_nvic *n, bool primask, uint8_t basepri)
{
    unsigned e = rtcore_nvic_highest_pending(n);
    if (!e)
        return 0;
    return rtcore_nvic_group_priority(n, e) < rtcore_nvic_execution_priority(n, primask, basepri) ? e : 0;
}

void rtcore_nvic_activate(struct rtcore_nvic *n, unsigned exc)
{
    rtcore_nvic_set_pending(n, exc, false);
    n->active[exc] = true;
}

void rtcore_nvic_deactivate(struct rtcore_nvic *n, unsigned exc) { n->active[exc] = false; }

unsigned rtcore_nvic_active_count(const struct rtcore_nvic *n)
{
    unsigned c = 0;
    for (unsigned e = 0; e < RTCORE_EXC_COUNT; e++)
        c += n->active[e];
    return c;
}
