/* SPDX-License-Identifier: MIT */
/*
 * rtcore_nvic.h — the exception state of an ARMv7-M core as the MT3620's Cortex-M4F implements
 * it: 3 priority bits (a priority value keeps only bits 7:5), 100 external interrupts, and the
 * rule that decides which pending exception, if any, preempts the running code.
 *
 * Exception numbers are the architecture's: 2 NMI, 3 HardFault, 4 MemManage, 5 BusFault,
 * 6 UsageFault, 11 SVCall, 12 DebugMonitor, 14 PendSV, 15 SysTick, 16+n IRQ n.
 * NMI and HardFault have the fixed priorities -2 and -1; the others read their configurable
 * priority from prio[] (IPR for IRQs, SHPR1-3 for system handlers).
 *
 * Preemption (ARMv7-M B1.5.4): the pending exception with the lowest group priority (ties: the
 * lowest number) is taken iff its group priority is lower than the execution priority, which is
 * the lowest of: every active exception's group priority, 0 when PRIMASK is set, and BASEPRI's
 * group priority when BASEPRI is non-zero. Group priority honours AIRCR.PRIGROUP.
 * IRQs are taken only when enabled; system exceptions are always enabled here.
 *
 * Pure state; no allocation; nothing can fail.
 */
#ifndef OPENSPHERE_RTCORE_NVIC_H
#define OPENSPHERE_RTCORE_NVIC_H

#include <stdbool.h>
#include <stdint.h>

#define RTCORE_IRQ_COUNT 100
#define RTCORE_EXC_COUNT (16 + RTCORE_IRQ_COUNT)
#define RTCORE_PRIO_MASK 0xE0u /* 3 implemented priority bits */

enum {
    RTCORE_EXC_NMI = 2,
    RTCORE_EXC_HARDFAULT = 3,
    RTCORE_EXC_SVC = 11,
    RTCORE_EXC_PENDSV = 14,
    RTCORE_EXC_SYSTICK = 15,
    RTCORE_EXC_IRQ0 = 16,
};

struct rtcore_nvic {
    bool enabled[RTCORE_EXC_COUNT];
    bool pending[RTCORE_EXC_COUNT];
    bool active[RTCORE_EXC_COUNT];
    uint8_t prio[RTCORE_EXC_COUNT]; /* masked to RTCORE_PRIO_MASK */
    unsigned prigroup;              /* AIRCR.PRIGROUP, 0..7 */
    unsigned pending_count;         /* number of pending entries, for a fast "nothing to do" */
};

void rtcore_nvic_reset(struct rtcore_nvic *n);
/* Priority as stored (writes keep bits 7:5 only). exc must be < RTCORE_EXC_COUNT. */
void rtcore_nvic_set_priority(struct rtcore_nvic *n, unsigned exc, uint8_t prio);
void rtcore_nvic_set_pending(struct rtcore_nvic *n, unsigned exc, bool pending);
/* Group priority of exc: -2 / -1 for NMI / HardFault, 0..255 otherwise. */
int rtcore_nvic_group_priority(const struct rtcore_nvic *n, unsigned exc);
/* The execution priority given PRIMASK and BASEPRI (256 when nothing masks). */
int rtcore_nvic_execution_priority(const struct rtcore_nvic *n, bool primask, uint8_t basepri);
/* The exception that should be taken now, or 0. */
unsigned rtcore_nvic_next(const struct rtcore_nvic *n, bool primask, uint8_t basepri);
/* The highest-priority pending enabled exception regardless of masking (ICSR.VECTPENDING), or 0. */
unsigned rtcore_nvic_highest_pending(const struct rtcore_nvic *n);
/* Entry: pending -> active. Return: active -> inactive. */
void rtcore_nvic_activate(struct rtcore_nvic *n, unsigned exc);
void rtcore_nvic_deactivate(struct rtcore_nvic *n, unsigned exc);
/* Number of active exceptions (0 = thread mode with nothing to return to). */
unsigned rtcore_nvic_active_count(const struct rtcore_nvic *n);

#endif
