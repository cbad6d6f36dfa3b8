/* SPDX-License-Identifier: MIT */
/* rtcore_soc.c — MT3620 real-time core peripherals over a cycle clock (see rtcore_soc.h). */
#include "rtcore_soc.h"

#include <string.h>

#define GRANT_GRP(k, a, b) "Gpio " #a "-" #b " or Pwm \"PWM-CONTROLLER-" #k "\""
#define GRANT_ISU(k, a, b) "Uart, I2cMaster or SpiMaster \"ISU" #k "\", or Gpio " #a "-" #b

const struct rtcore_block_info rtcore_blocks[RTCORE_BLOCK_COUNT] = {
    {"SCS", 0xE000E000u, 0x1000u, RTCORE_BLK_SCS, 0, NULL, 0, 0},
    {"GPT", 0x21030000u, 0x10000u, RTCORE_BLK_GPT, 0, NULL, 0, 0},
    {"debug UART", 0x21040000u, 0x10000u, RTCORE_BLK_DEBUG_UART, 0, NULL, 0, 0},
    {"mailbox", 0x21050000u, 0x10000u, RTCORE_BLK_MAILBOX, 0, NULL, 0, 0},
    {"GRP0", 0x38010000u, 0x10000u, RTCORE_BLK_GRP, 0, GRANT_GRP(0, 0, 3), 0, 4},
    {"GRP1", 0x38020000u, 0x10000u, RTCORE_BLK_GRP, 1, GRANT_GRP(1, 4, 7), 4, 4},
    {"GRP2", 0x38030000u, 0x10000u, RTCORE_BLK_GRP, 2, GRANT_GRP(2, 8, 11), 8, 4},
    {"GRP3", 0x38040000u, 0x10000u, RTCORE_BLK_GRP, 3, "Gpio 12-15", 12, 4},
    {"GRP4", 0x38050000u, 0x10000u, RTCORE_BLK_GRP, 4, "Gpio 16-19", 16, 4},
    {"GRP5", 0x38060000u, 0x10000u, RTCORE_BLK_GRP, 5, "Gpio 20-23", 20, 4},
    {"ISU0", 0x38070000u, 0x10000u, RTCORE_BLK_ISU, 0, GRANT_ISU(0, 26, 30), 26, 5},
    {"ISU1", 0x38080000u, 0x10000u, RTCORE_BLK_ISU, 1, GRANT_ISU(1, 31, 35), 31, 5},
    {"ISU2", 0x38090000u, 0x10000u, RTCORE_BLK_ISU, 2, GRANT_ISU(2, 36, 40), 36, 5},
    {"ISU3", 0x380A0000u, 0x10000u, RTCORE_BLK_ISU, 3, GRANT_ISU(3, 66, 70), 66, 5},
    {"ISU4", 0x380B0000u, 0x10000u, RTCORE_BLK_ISU, 4, GRANT_ISU(4, 71, 75), 71, 5},
    {"ADC-CONTROLLER-0", 0x38000000u, 0x10000u, RTCORE_BLK_ADC, 0, "Adc \"ADC-CONTROLLER-0\" or Gpio 41-48", 41, 8},
    {"I2S0", 0x380D0000u, 0x10000u, RTCORE_BLK_I2S, 0, "Gpio 56-60", 56, 5},
    {"I2S1", 0x380E0000u, 0x10000u, RTCORE_BLK_I2S, 1, "Gpio 61-65", 61, 5},
};

enum { GPIO_WINDOW_OTHER = 0x8000, UART_LSR = 0x14, UART_LSR_IDLE = 0x60 };

int rtcore_block_at(uint32_t addr)
{
    for (int i = 0; i < RTCORE_BLOCK_COUNT; i++)
        if (addr >= rtcore_blocks[i].base && addr - rtcore_blocks[i].base < rtcore_blocks[i].size)
            return i;
    return -1;
}

int rtcore_block_of_gpio(int gpio)
{
    for (int i = 0; i < RTCORE_BLOCK_COUNT; i++) {
        const struct rtcore_block_info *b = &rtcore_blocks[i];
        if (b->gpio_count && gpio >= b->first_gpio && gpio < b->first_gpio + b->gpio_count)
            return i;
    }
    return -1;
}

/* ---- pin bit sets ------------------------------------------------------------------------- */

static bool bit_get(const uint64_t set[2], int pin) { return (set[pin / 64] >> (pin % 64)) & 1u; }
static void bit_put(uint64_t set[2], int pin, bool v)
{
    uint64_t m = (uint64_t)1 << (pin % 64);
    set[pin / 64] = v ? set[pin / 64] | m : set[pin / 64] & ~m;
}

/* ---- time ---------------------------------------------------------------------------------- */

/* floor(a * mul / div) modulo 2^64, without a 128-bit product: a = q * div + r, so the result is
 * q * mul + r * mul / div exactly; r * mul < div * mul fits 64 bits for 32-bit mul and div. */
static uint64_t mul_div(uint64_t a, uint32_t mul, uint32_t div)
{
    return a / div * mul + a % div * mul / div;
}

static uint64_t ticks_to_cycles(uint64_t ticks, uint32_t hz)
{
    return mul_div(ticks, RTCORE_HZ, hz);
}

static void timer_schedule(struct rtcore_timer *t)
{
    uint32_t hz = (t->ctrl & 4) ? 1000u : 32768u;
    uint64_t period_ticks = t->icnt ? t->icnt : 1;
    t->deadline = (t->ctrl & 1) ? t->start + ticks_to_cycles((t->fires + 1) * period_ticks, hz) : UINT64_MAX;
}

static void timer_start(struct rtcore_timer *t, uint64_t now)
{
    t->start = now;
    t->fires = 0;
    timer_schedule(t);
}

static bool level_gpt(const struct rtcore_soc *soc) { return (soc->gpt_isr & soc->gpt_ier & 3u) != 0; }

void rtcore_soc_update_irqs(struct rtcore_soc *soc)
{
    unsigned e = RTCORE_EXC_IRQ0 + RTCORE_GPT_IRQ;
    if (level_gpt(soc) && !soc->nvic.active[e])
        rtcore_nvic_set_pending(&soc->nvic, e, true);
    e = RTCORE_EXC_IRQ0 + RTCORE_MBOX_IRQ;
    if (rtcore_mbox_irq(&soc->mbox) && !soc->nvic.active[e])
        rtcore_nvic_set_pending(&soc->nvic, e, true);
}

/* Fires GPT timer i (all expiries up to soc->now at once: missed periods coalesce). */
static void timer_fire(struct rtcore_soc *soc, int i)
{
    struct rtcore_timer *t = &soc->gpt[i];
    soc->gpt_isr |= 1u << i;
    if (t->ctrl & 2) {
        while (t->deadline <= soc->now) {
            t->fires++;
            timer_schedule(t);
        }
    } else {
        t->ctrl &= ~1u;
        t->deadline = UINT64_MAX;
    }
    rtcore_soc_update_irqs(soc);
}

static void systick_fire(struct rtcore_soc *soc)
{
    uint64_t period = (uint64_t)soc->systick_rvr + 1;
    uint64_t wrap = soc->systick_deadline;
    if (soc->now > wrap)
        wrap += (soc->now - wrap) / period * period; /* missed wraps coalesce */
    soc->systick_start = wrap + 1;
    soc->systick_load = soc->systick_rvr;
    soc->systick_deadline = soc->systick_rvr ? soc->systick_start + soc->systick_rvr : UINT64_MAX;
    soc->systick_csr |= 1u << 16; /* COUNTFLAG */
    if (soc->systick_csr & 2)
        rtcore_nvic_set_pending(&soc->nvic, RTCORE_EXC_SYSTICK, true);
}

uint64_t rtcore_soc_next_deadline(const struct rtcore_soc *soc)
{
    uint64_t d = soc->systick_deadline;
    for (int i = 0; i < 2; i++)
        d = soc->gpt[i].deadline < d ? soc->gpt[i].deadline : d;
    return d;
}

void rtcore_soc_advance(struct rtcore_soc *soc, uint64_t now)
{
    if (now > soc->now)
        soc->now = now;
    for (;;) {
        if (soc->systick_deadline <= soc->now)
            systick_fire(soc);
        else if (soc->gpt[0].deadline <= soc->now)
            timer_fire(soc, 0);
        else if (soc->gpt[1].deadline <= soc->now)
            timer_fire(soc, 1);
        else
            return;
    }
}

/* ---- SCS: SysTick, NVIC, SCB ------------------------------------------------------------- */

static uint32_t systick_current(const struct rtcore_soc *soc)
{
    if (!(soc->systick_csr & 1) || soc->systick_deadline == UINT64_MAX)
        return soc->systick_load;
    uint64_t gone = soc->now - soc->systick_start;
    return gone >= soc->systick_load ? 0 : (uint32_t)(soc->systick_load - gone);
}

static void systick_restart(struct rtcore_soc *soc, uint32_t from)
{
    soc->systick_start = soc->now;
    soc->systick_load = from;
    bool on = (soc->systick_csr & 1) && (from || soc->systick_rvr);
    /* Counting from 0 reloads on the next cycle without an interrupt. */
    if (on && from == 0) {
        soc->systick_start = soc->now + 1;
        soc->systick_load = soc->systick_rvr;
    }
    soc->systick_deadline = on ? soc->systick_start + soc->systick_load : UINT64_MAX;
}

static uint32_t nvic_bits(const struct rtcore_soc *soc, const bool *state, uint32_t word)
{
    uint32_t v = 0;
    for (unsigned b = 0; b < 32; b++) {
        unsigned irq = word * 32 + b;
        if (irq < RTCORE_IRQ_COUNT && state[RTCORE_EXC_IRQ0 + irq])
            v |= 1u << b;
    }
    return v;
}

static uint32_t icsr_read(const struct rtcore_soc *soc)
{
    const struct rtcore_nvic *n = &soc->nvic;
    unsigned pend = rtcore_nvic_highest_pending(n);
    bool isr_pending = false;
    for (unsigned e = RTCORE_EXC_IRQ0; e < RTCORE_EXC_COUNT; e++)
        isr_pending |= n->pending[e];
    return soc->vectactive | pend << 12 |
           (uint32_t)isr_pending << 22 | (uint32_t)n->pending[RTCORE_EXC_PENDSV] << 28 |
           (uint32_t)n->pending[RTCORE_EXC_SYSTICK] << 26;
}

static uint32_t scs_read_word(struct rtcore_soc *soc, uint32_t off)
{
    const struct rtcore_nvic *n = &soc->nvic;
    switch (off) {
    case 0x004: return (RTCORE_IRQ_COUNT - 1) / 32;
    case 0x010: {
        uint32_t v = soc->systick_csr;
        soc->systick_csr &= ~(1u << 16);
        return v;
    }
    case 0x014: return soc->systick_rvr;
    case 0x018: return systick_current(soc);
    case 0x01C: return (1u << 30) | (RTCORE_HZ / 100 - 1); /* NOREF, TENMS */
    case 0xD00: return 0x410FC241u;                      /* Cortex-M4 r0p1 */
    case 0xD04: return icsr_read(soc);
    case 0xD08: return soc->vtor;
    case 0xD0C: return 0xFA050000u | soc->nvic.prigroup << 8;
    case 0xD10: return soc->scr;
    case 0xD14: return soc->ccr;
    case 0xD24: return soc->shcsr;
    case 0xD28: return soc->cfsr;
    case 0xD2C: return soc->hfsr;
    case 0xD88: return soc->cpacr;
    }
    if (off >= 0x100 && off < 0x110) return nvic_bits(soc, n->enabled, (off - 0x100) / 4);
    if (off >= 0x180 && off < 0x190) return nvic_bits(soc, n->enabled, (off - 0x180) / 4);
    if (off >= 0x200 && off < 0x210) return nvic_bits(soc, n->pending, (off - 0x200) / 4);
    if (off >= 0x280 && off < 0x290) return nvic_bits(soc, n->pending, (off - 0x280) / 4);
    if (off >= 0x300 && off < 0x310) return nvic_bits(soc, n->active, (off - 0x300) / 4);
    return soc->scs_store[off / 4];
}

/* IPR and SHPR: one priority byte per exception. Returns the exception for a byte offset, or 0. */
static unsigned prio_byte_exc(uint32_t off)
{
    if (off >= 0x400 && off < 0x400 + RTCORE_IRQ_COUNT)
        return RTCORE_EXC_IRQ0 + (off - 0x400);
    if (off >= 0xD18 && off < 0xD24)
        return 4 + (off - 0xD18);
    return 0;
}

static void nvic_set_bits(struct rtcore_soc *soc, uint32_t word, uint32_t bits, int what)
{
    for (unsigned b = 0; b < 32; b++) {
        unsigned irq = word * 32 + b, e = RTCORE_EXC_IRQ0 + irq;
        if (!(bits >> b & 1) || irq >= RTCORE_IRQ_COUNT)
            continue;
        if (what == 0 || what == 1)
            soc->nvic.enabled[e] = what == 0;
        else
            rtcore_nvic_set_pending(&soc->nvic, e, what == 2);
    }
}

static void icsr_write(struct rtcore_soc *soc, uint32_t v)
{
    if (v & 1u << 31)
        rtcore_nvic_set_pending(&soc->nvic, RTCORE_EXC_NMI, true);
    if (v & 1u << 28)
        rtcore_nvic_set_pending(&soc->nvic, RTCORE_EXC_PENDSV, true);
    if (v & 1u << 27)
        rtcore_nvic_set_pending(&soc->nvic, RTCORE_EXC_PENDSV, false);
    if (v & 1u << 26)
        rtcore_nvic_set_pending(&soc->nvic, RTCORE_EXC_SYSTICK, true);
    if (v & 1u << 25)
        rtcore_nvic_set_pending(&soc->nvic, RTCORE_EXC_SYSTICK, false);
}

/* Writes of a whole word (mask says which bytes the access covered). */
static void scs_write_word(struct rtcore_soc *soc, uint32_t off, uint32_t v, uint32_t mask)
{
    uint32_t merged = (scs_read_word(soc, off) & ~mask) | (v & mask);
    switch (off) {
    case 0x010:
        soc->systick_csr = (merged & 7u) | (soc->systick_csr & (1u << 16));
        systick_restart(soc, systick_current(soc));
        return;
    case 0x014: soc->systick_rvr = merged & 0xFFFFFFu; return;
    case 0x018:
        soc->systick_csr &= ~(1u << 16);
        systick_restart(soc, 0);
        return;
    case 0xD04: icsr_write(soc, v & mask); return;
    case 0xD08: soc->vtor = merged & 0xFFFFFF80u; return;
    case 0xD0C:
        if ((v >> 16) != 0x05FA)
            return;
        soc->nvic.prigroup = (v >> 8) & 7;
        if ((v & 4) && soc->ops.reset_request)
            soc->ops.reset_request(soc->ops.ctx);
        return;
    case 0xD10: soc->scr = merged; return;
    case 0xD14: soc->ccr = merged; return;
    case 0xD24: soc->shcsr = merged; return;
    case 0xD28: soc->cfsr &= ~(v & mask); return;
    case 0xD2C: soc->hfsr &= ~(v & mask); return;
    case 0xD88: soc->cpacr = merged; return;
    case 0xF00: {
        uint32_t irq = v & 0x1FF;
        if (irq < RTCORE_IRQ_COUNT)
            rtcore_nvic_set_pending(&soc->nvic, RTCORE_EXC_IRQ0 + irq, true);
        return;
    }
    }
    static const uint32_t nvic_sets[] = {0x100, 0x180, 0x200, 0x280}; /* ISER, ICER, ISPR, ICPR */
    for (int what = 0; what < 4; what++)
        if (off >= nvic_sets[what] && off < nvic_sets[what] + 0x10) {
            nvic_set_bits(soc, (off - nvic_sets[what]) / 4, v & mask, what);
            return;
        }
    if (off >= 0x300 && off < 0x310)
        return; /* IABR is read-only */
    soc->scs_store[off / 4] = merged;
}

/* ---- GPT ----------------------------------------------------------------------------------- */

static uint32_t gpt3_count(const struct rtcore_soc *soc)
{
    if (!(soc->gpt3_ctrl & 1))
        return soc->gpt3_frozen;
    return soc->gpt3_init + (uint32_t)((soc->now - soc->gpt3_start) * 1000000u / RTCORE_HZ);
}

static uint32_t timer_remaining(const struct rtcore_soc *soc, const struct rtcore_timer *t)
{
    if (t->deadline == UINT64_MAX)
        return 0;
    uint32_t hz = (t->ctrl & 4) ? 1000u : 32768u;
    return (uint32_t)mul_div(t->deadline - soc->now, hz, RTCORE_HZ);
}

static uint32_t gpt_read_word(struct rtcore_soc *soc, uint32_t off)
{
    switch (off) {
    case 0x00: return soc->gpt_isr;
    case 0x04: return soc->gpt_ier;
    case 0x10: case 0x20: return soc->gpt[off == 0x20].ctrl;
    case 0x14: case 0x24: return soc->gpt[off == 0x24].icnt;
    case 0x18: case 0x28: return timer_remaining(soc, &soc->gpt[off == 0x28]);
    case 0x50: return soc->gpt3_ctrl;
    case 0x54: return soc->gpt3_init;
    case 0x58: return gpt3_count(soc);
    }
    return off < RTCORE_STORE_WORDS * 4 ? soc->store[1][off / 4] : 0;
}

static void gpt_write_word(struct rtcore_soc *soc, uint32_t off, uint32_t v)
{
    struct rtcore_timer *t = &soc->gpt[off >= 0x20];
    switch (off) {
    case 0x00: soc->gpt_isr &= ~v; break;
    case 0x04: soc->gpt_ier = v & 3u; break;
    case 0x10: case 0x20: {
        bool was_on = t->ctrl & 1;
        t->ctrl = v & 7u;
        if ((t->ctrl & 1) && !was_on)
            timer_start(t, soc->now);
        else if (!(t->ctrl & 1))
            t->deadline = UINT64_MAX;
        break;
    }
    case 0x14: case 0x24:
        t->icnt = v;
        if (t->ctrl & 1)
            timer_start(t, soc->now);
        break;
    case 0x50:
        if ((v & 1) && !(soc->gpt3_ctrl & 1))
            soc->gpt3_start = soc->now;
        else if (!(v & 1) && (soc->gpt3_ctrl & 1))
            soc->gpt3_frozen = gpt3_count(soc);
        soc->gpt3_ctrl = v;
        break;
    case 0x54:
        soc->gpt3_init = v;
        soc->gpt3_frozen = v;
        break;
    default:
        if (off < RTCORE_STORE_WORDS * 4)
            soc->store[1][off / 4] = v;
    }
    rtcore_soc_update_irqs(soc);
}

/* ---- GPIO and UART windows ---------------------------------------------------------------- */

static bool gpio_window(const struct rtcore_block_info *b, uint32_t off, uint32_t *reg)
{
    uint32_t base = b->kind == RTCORE_BLK_GRP ? 0 : GPIO_WINDOW_OTHER;
    if (!b->gpio_count || off < base || off >= base + 0x20)
        return false;
    *reg = off - base;
    return true;
}

static uint32_t pins_of(const struct rtcore_block_info *b, const uint64_t set[2])
{
    uint32_t v = 0;
    for (int i = 0; i < b->gpio_count; i++)
        v |= (uint32_t)bit_get(set, b->first_gpio + i) << i;
    return v;
}

static uint32_t gpio_read(const struct rtcore_soc *soc, const struct rtcore_block_info *b, uint32_t reg)
{
    switch (reg) {
    case 0x00: { /* DIN: driven pins read back their output */
        uint32_t oe = pins_of(b, soc->oe);
        return (pins_of(b, soc->dout) & oe) | (pins_of(b, soc->din) & ~oe);
    }
    case 0x04: return pins_of(b, soc->dout);
    case 0x10: return pins_of(b, soc->oe);
    }
    return 0;
}

static void gpio_write(struct rtcore_soc *soc, const struct rtcore_block_info *b, uint32_t reg, uint32_t v)
{
    for (int i = 0; i < b->gpio_count; i++) {
        int pin = b->first_gpio + i;
        bool before = bit_get(soc->oe, pin) && bit_get(soc->dout, pin), bit = (v >> i) & 1;
        switch (reg) {
        case 0x04: bit_put(soc->dout, pin, bit); break;
        case 0x08: if (bit) bit_put(soc->dout, pin, true); break;
        case 0x0C: if (bit) bit_put(soc->dout, pin, false); break;
        case 0x10: bit_put(soc->oe, pin, bit); break;
        case 0x14: if (bit) bit_put(soc->oe, pin, true); break;
        case 0x18: if (bit) bit_put(soc->oe, pin, false); break;
        }
        bool after = bit_get(soc->oe, pin) && bit_get(soc->dout, pin);
        if (after != before && soc->ops.gpio_out)
            soc->ops.gpio_out(soc->ops.ctx, pin, after);
    }
}

void rtcore_soc_gpio_input(struct rtcore_soc *soc, int gpio, bool level)
{
    if (gpio >= 0 && gpio < 96)
        bit_put(soc->din, gpio, level);
}

static bool uart_window(const struct rtcore_block_info *b)
{
    return b->kind == RTCORE_BLK_DEBUG_UART || b->kind == RTCORE_BLK_ISU;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static uint32_t read_word(struct rtcore_soc *soc, int block, uint32_t off)
{
    const struct rtcore_block_info *b = &rtcore_blocks[block];
    uint32_t reg;
    if (b->kind == RTCORE_BLK_SCS)
        return scs_read_word(soc, off);
    if (b->kind == RTCORE_BLK_GPT)
        return gpt_read_word(soc, off);
    if (gpio_window(b, off, &reg))
        return gpio_read(soc, b, reg);
    if (uart_window(b) && off == UART_LSR)
        return UART_LSR_IDLE;
    if (uart_window(b) && off == 0)
        return 0; /* RBR: nothing received */
    if (b->kind == RTCORE_BLK_MAILBOX && rtcore_mbox_owns(off))
        return rtcore_mbox_read(&soc->mbox, off);
    return off < RTCORE_STORE_WORDS * 4 ? soc->store[block][off / 4] : 0;
}

static void write_word(struct rtcore_soc *soc, int block, uint32_t off, uint32_t v, uint32_t mask)
{
    const struct rtcore_block_info *b = &rtcore_blocks[block];
    uint32_t reg;
    if (b->kind == RTCORE_BLK_SCS) {
        scs_write_word(soc, off, v, mask);
        return;
    }
    if (b->kind == RTCORE_BLK_GPT) {
        gpt_write_word(soc, off, (gpt_read_word(soc, off) & ~mask & (off ? ~0u : 0)) | (v & mask));
        return;
    }
    if (gpio_window(b, off, &reg)) {
        gpio_write(soc, b, reg, v & mask);
        return;
    }
    if (uart_window(b) && off == 0 && (mask & 0xFF)) {
        if (b->kind == RTCORE_BLK_DEBUG_UART && soc->ops.debug_uart_tx)
            soc->ops.debug_uart_tx(soc->ops.ctx, (uint8_t)v);
        else if (b->kind == RTCORE_BLK_ISU && soc->ops.isu_uart_tx)
            soc->ops.isu_uart_tx(soc->ops.ctx, b->index, (uint8_t)v);
        return;
    }
    if (b->kind == RTCORE_BLK_MAILBOX && rtcore_mbox_owns(off)) {
        enum rtcore_mbox_event ev = rtcore_mbox_write(&soc->mbox, off, v & mask);
        if (ev != RTCORE_MBOX_NONE && soc->ops.mailbox)
            soc->ops.mailbox(soc->ops.ctx, ev);
        rtcore_soc_update_irqs(soc);
        return;
    }
    if (off < RTCORE_STORE_WORDS * 4)
        soc->store[block][off / 4] = (soc->store[block][off / 4] & ~mask) | (v & mask);
}

uint32_t rtcore_soc_read(struct rtcore_soc *soc, int block, uint32_t offset, unsigned size)
{
    if (rtcore_blocks[block].kind == RTCORE_BLK_SCS && prio_byte_exc(offset)) {
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            unsigned e = prio_byte_exc(offset + i);
            v |= (uint32_t)(e ? soc->nvic.prio[e] : 0) << (8 * i);
        }
        return v;
    }
    uint32_t shift = (offset & 3) * 8;
    uint32_t v = read_word(soc, block, offset & ~3u) >> shift;
    return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

void rtcore_soc_write(struct rtcore_soc *soc, int block, uint32_t offset, unsigned size, uint32_t value)
{
    if (rtcore_blocks[block].kind == RTCORE_BLK_SCS && prio_byte_exc(offset)) {
        for (unsigned i = 0; i < size; i++) {
            unsigned e = prio_byte_exc(offset + i);
            if (e && e != RTCORE_EXC_HARDFAULT && e != RTCORE_EXC_NMI)
                rtcore_nvic_set_priority(&soc->nvic, e, (uint8_t)(value >> (8 * i)));
        }
        return;
    }
    uint32_t shift = (offset & 3) * 8;
    uint32_t mask = size >= 4 ? ~0u : ((1u << (size * 8)) - 1) << shift;
    write_word(soc, block, offset & ~3u, value << shift, mask);
}

void rtcore_soc_init(struct rtcore_soc *soc, const struct rtcore_soc_ops *ops, uint32_t vtor)
{
    memset(soc, 0, sizeof *soc);
    if (ops)
        soc->ops = *ops;
    rtcore_nvic_reset(&soc->nvic);
    soc->vtor = vtor;
    soc->ccr = 0x200; /* STKALIGN */
    soc->cpacr = 0xF00000u;
    soc->systick_deadline = UINT64_MAX;
    soc->gpt[0].deadline = soc->gpt[1].deadline = UINT64_MAX;
    for (int i = 0; i < RTCORE_BLOCK_COUNT; i++)
        soc->granted[i] = rtcore_blocks[i].grant == NULL;
    rtcore_mbox_reset(&soc->mbox, NULL);
}
