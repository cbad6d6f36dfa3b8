/* SPDX-License-Identifier: MIT */
/* svc_psp.c — thread mode on the process stack calls SVC; the handler finds its frame on the
 * PSP (EXC_RETURN 0xFFFFFFED), reads the SVC number and arguments, returns a result in the
 * stacked r0. Then PendSV and SysTick run on the MSP while the thread stays on the PSP. */
#include "fw.h"

static uint32_t process_stack[256] __attribute__((aligned(8)));
static volatile uint32_t svc_lr, svc_number, handler_sp, pendsv_ran, ticks;

__attribute__((naked)) void svc_entry(void)
{
    __asm__ volatile("tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n mov r1, lr\n b svc_body");
}
void svc_body(uint32_t *frame, uint32_t lr)
{
    svc_lr = lr;
    svc_number = ((const uint8_t *)frame[6])[-2];
    __asm__ volatile("mov %0, sp" : "=r"(handler_sp));
    frame[0] = frame[0] * 1000 + frame[1]; /* result in r0 */
}
void pendsv(void) { pendsv_ran++; }
void systick(void) { ticks++; }
DEFAULT_UNEXPECTED
VECTORS([11] = svc_entry, [14] = pendsv, [15] = systick);

static uint32_t call_svc(uint32_t a, uint32_t b)
{
    register uint32_t r0 __asm__("r0") = a, r1 __asm__("r1") = b;
    __asm__ volatile("svc #42" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void reset(void)
{
    uint32_t top = (uint32_t)&process_stack[256], control, sp;
    __asm__ volatile("msr psp, %0\n movs r0, #2\n msr control, r0\n isb" ::"r"(top) : "r0");
    __asm__ volatile("mrs %0, control\n mov %1, sp" : "=r"(control), "=r"(sp));
    kv("thread_on_psp", (control & 2) && sp <= top && sp > top - 1024);
    kv("svc_result", call_svc(12, 34));
    kv("svc_number", svc_number);
    puts_("svc_lr=");
    puthex(svc_lr);
    putc_('\n');
    kv("handler_on_msp", handler_sp > top || handler_sp < (uint32_t)process_stack);
    SCB_ICSR = 1u << 28; /* PendSV */
    __asm__ volatile("dsb\n isb");
    kv("pendsv_ran", pendsv_ran);
    SYST_RVR = 9999;
    SYST_CVR = 0;
    SYST_CSR = 7;
    while (ticks < 5)
        __asm__ volatile("wfi");
    SYST_CSR = 0;
    __asm__ volatile("mrs %0, control\n mov %1, sp" : "=r"(control), "=r"(sp));
    kv("still_on_psp", (control & 2) && sp <= top && sp > top - 1024);
    EXIT(0);
    for (;;) {
    }
}
