/* SPDX-License-Identifier: MIT */
/* rtcore_cpu.c — one Cortex-M4F core on Unicorn, with host-side exceptions (see rtcore_cpu.h).
 * It stays long (about 800 lines) as one module: the only file that calls the Unicorn engine,
 * whose hooks, clock, exception entry and debugging all share one struct rtcore_cpu. */
#include "rtcore_cpu.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

#include "bytes.h"

enum {
    EXCP_SWI = 2,
    EXCP_BKPT = 7,
    EXCP_EXCEPTION_EXIT = 8,
    FRAME_FP = 0x68,          /* 8 core words + s0-s15 + FPSCR + reserved */
    XPSR_IT_MASK = 0x0600FC00,
    XPSR_T = 1 << 24,
    CACHE_SIZE = 4096,
    HOST_CHECK_BLOCKS = 256,
};
#define UNTIL_ADDRESS 0xFFFFFFFEull
#define HOST_SLICE_NS 20000000ull
/* Unicorn's page (its default for ARM is 1 KiB) is also the unit of its self-modifying-code
 * check: every store to a page holding translated code takes a slow path (page_collection_lock:
 * a GTree allocated and freed per store). RTApps keep .data/.bss right after .text in TCM, so
 * the first data bytes share a page with code. 256-byte pages confine that to the last partial
 * page. Unicorn 2.0.1 doubles the requested size (it stores log2(size) + 1 bits), hence 128. */
#define RTCORE_UC_PAGE_REQUEST 128u

struct mmio_ctx {
    struct rtcore_cpu *cpu;
    int block;
};

struct block_count {
    uint32_t addr, size, count;
};

struct rtcore_cpu {
    uc_engine *uc;
    struct rtcore_soc soc;
    struct rtcore_config cfg;
    struct rtcore_cpu_ops ops;
    uint8_t *mem[RTCORE_REGION_COUNT];
    uint8_t *shared; /* the mailbox's ring buffers (RTCORE_MBOX_SHARED_BASE) */
    struct mmio_ctx mmio[RTCORE_BLOCK_COUNT];
    uint64_t icount, skipped, host_start_ns, exceptions;
    uint64_t next_deadline, stop_icount, stop_cycles, slice_end_ns;
    unsigned host_check;
    bool crashed, exited, slice_over;
    uc_mem_type fault_type; /* 0 (UC_MEM_READ) means none: only invalid types are recorded */
    uint32_t fault_address;
    int exit_status;
    char reason[256];
    /* debugger breakpoints: one code hook each; bp_skip lets the run start on one */
    struct { uint32_t addr; uc_hook hook; bool used; } bp[RTCORE_CPU_MAX_BREAKPOINTS];
    bool bp_hit, stepping;
    unsigned step_seen; /* instructions the step hook saw */
    uint32_t halted_at; /* PC where the core last stopped for the debugger, or UINT32_MAX */
    struct block_count cache[CACHE_SIZE];
};

/* ---- time ---------------------------------------------------------------------------------- */

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t ns_to_cycles(uint64_t ns) { return ns / 1250 * 247 + ns % 1250 * 247 / 1250; }
static uint64_t cycles_to_ns(uint64_t cycles) { return cycles / 247 * 1250 + cycles % 247 * 1250 / 247; }

static uint64_t now_cycles(struct rtcore_cpu *c)
{
    if (c->cfg.clock == RTCORE_CLOCK_INSTRUCTIONS)
        return c->icount + c->skipped;
    return ns_to_cycles(host_ns() - c->host_start_ns);
}

uint64_t rtcore_cpu_cycles(struct rtcore_cpu *c) { return now_cycles(c); }
uint64_t rtcore_cpu_instructions(const struct rtcore_cpu *c) { return c->icount; }
uint64_t rtcore_cpu_exceptions_taken(const struct rtcore_cpu *c) { return c->exceptions; }
const char *rtcore_cpu_crash_reason(const struct rtcore_cpu *c) { return c->reason; }
int rtcore_cpu_exit_status(const struct rtcore_cpu *c) { return c->exit_status; }

static void sync_time(struct rtcore_cpu *c)
{
    rtcore_soc_advance(&c->soc, now_cycles(c));
    c->next_deadline = rtcore_soc_next_deadline(&c->soc);
}

/* ---- registers and memory ------------------------------------------------------------------ */

static uint32_t reg(struct rtcore_cpu *c, int id)
{
    uint32_t v = 0;
    uc_reg_read(c->uc, id, &v);
    return v;
}

static void set_reg(struct rtcore_cpu *c, int id, uint32_t v) { uc_reg_write(c->uc, id, &v); }

/* Host pointer for [addr, addr+len) inside one RAM/flash region (writable ones only if asked). */
static uint8_t *mem_ptr(struct rtcore_cpu *c, uint32_t addr, uint32_t len, bool write)
{
    int r = rtcore_region_of(addr, len);
    if (r < 0 || (write && !rtcore_regions[r].writable))
        return NULL;
    return c->mem[r] + (addr - rtcore_regions[r].base);
}

__attribute__((format(printf, 2, 3))) static void crash(struct rtcore_cpu *c, const char *fmt, ...)
{
    if (c->crashed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof c->reason, fmt, ap);
    va_end(ap);
    c->crashed = true;
    uc_emu_stop(c->uc);
}

/* ---- exceptions ---------------------------------------------------------------------------- */

static const char *exc_name(unsigned exc)
{
    static const char *const names[16] = {"", "Reset", "NMI", "HardFault", "MemManage", "BusFault", "UsageFault", "",
                                          "", "", "", "SVCall", "DebugMonitor", "", "PendSV", "SysTick"};
    return exc < 16 ? names[exc] : "IRQ";
}

static void refresh_mode(struct rtcore_cpu *c)
{
    /* Unicorn recomputes its cached mode flags (handler/thread) on an APSR write. */
    set_reg(c, UC_ARM_REG_APSR_NZCV, reg(c, UC_ARM_REG_APSR_NZCV));
}

static void push_frame(struct rtcore_cpu *c, uint8_t *f, uint32_t return_pc, uint32_t xpsr)
{
    static const int core[6] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R12, UC_ARM_REG_LR};
    for (int i = 0; i < 6; i++)
        bytes_put_le32(f + 4 * i, reg(c, core[i]));
    bytes_put_le32(f + 24, return_pc & ~1u);
    bytes_put_le32(f + 28, xpsr);
    for (int d = 0; d < 8; d++) {
        uint64_t v = 0;
        uc_reg_read(c->uc, UC_ARM_REG_D0 + d, &v);
        bytes_put_le32(f + 32 + 8 * d, (uint32_t)v);
        bytes_put_le32(f + 36 + 8 * d, (uint32_t)(v >> 32));
    }
    bytes_put_le32(f + 0x60, reg(c, UC_ARM_REG_FPSCR));
    bytes_put_le32(f + 0x64, 0);
}

static bool take_exception(struct rtcore_cpu *c, unsigned exc, uint32_t return_pc)
{
    uint32_t ipsr = reg(c, UC_ARM_REG_IPSR) & 0x1FF, control = reg(c, UC_ARM_REG_CONTROL);
    bool thread = ipsr == 0, psp = thread && (control & 2);
    if (psp)
        set_reg(c, UC_ARM_REG_CONTROL, control & ~2u); /* SP is now MSP; PSP banked */
    uint32_t sp = psp ? reg(c, UC_ARM_REG_PSP) : reg(c, UC_ARM_REG_MSP);
    uint32_t xpsr = reg(c, UC_ARM_REG_XPSR) & ~(1u << 9);
    uint32_t frame = (sp - FRAME_FP) & ~7u;
    if (sp & 4)
        xpsr |= 1u << 9;
    uint8_t *f = mem_ptr(c, frame, FRAME_FP, true);
    const uint8_t *vec = mem_ptr(c, c->soc.vtor + 4 * exc, 4, false);
    uint32_t handler = vec ? bytes_le32(vec) : 0;
    if (!f) {
        crash(c, "stack overflow: cannot push the %s exception frame at 0x%08x (SP 0x%08x, PC 0x%08x)",
              exc_name(exc), frame, sp, return_pc);
        return false;
    }
    if (!vec || !(handler & 1) || !mem_ptr(c, handler & ~1u, 2, false)) {
        crash(c, "bad vector for exception %u (%s): 0x%08x at 0x%08x (VTOR 0x%08x, PC 0x%08x)", exc, exc_name(exc),
              handler, c->soc.vtor + 4 * exc, c->soc.vtor, return_pc);
        return false;
    }
    push_frame(c, f, return_pc, xpsr);
    set_reg(c, psp ? UC_ARM_REG_PSP : UC_ARM_REG_MSP, frame);
    set_reg(c, UC_ARM_REG_LR, thread ? (psp ? 0xFFFFFFEDu : 0xFFFFFFE9u) : 0xFFFFFFE1u);
    set_reg(c, UC_ARM_REG_IPSR, exc);
    set_reg(c, UC_ARM_REG_EPSR, XPSR_T); /* IT state cleared */
    refresh_mode(c);
    set_reg(c, UC_ARM_REG_PC, handler);
    rtcore_nvic_activate(&c->soc.nvic, exc);
    c->soc.vectactive = exc;
    c->exceptions++;
    return true;
}

static void pop_frame(struct rtcore_cpu *c, const uint8_t *f, bool fp)
{
    static const int core[6] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R12, UC_ARM_REG_LR};
    for (int i = 0; i < 6; i++)
        set_reg(c, core[i], bytes_le32(f + 4 * i));
    if (!fp)
        return;
    for (int d = 0; d < 8; d++) {
        uint64_t v = bytes_le32(f + 32 + 8 * d) | (uint64_t)bytes_le32(f + 36 + 8 * d) << 32;
        uc_reg_write(c->uc, UC_ARM_REG_D0 + d, &v);
    }
    set_reg(c, UC_ARM_REG_FPSCR, bytes_le32(f + 0x60));
}

static void exception_return(struct rtcore_cpu *c)
{
    uint32_t exc_return = reg(c, UC_ARM_REG_PC) | 1u, exc = reg(c, UC_ARM_REG_IPSR) & 0x1FF;
    bool to_thread = exc_return & 8, use_psp = exc_return & 4, fp = !(exc_return & 0x10);
    if ((exc_return & 0xFFFFFFE1u) != 0xFFFFFFE1u || (use_psp && !to_thread) || exc == 0 ||
        !c->soc.nvic.active[exc]) {
        crash(c, "invalid exception return 0x%08x from exception %u (%s)", exc_return, exc, exc_name(exc));
        return;
    }
    uint32_t sp = use_psp ? reg(c, UC_ARM_REG_PSP) : reg(c, UC_ARM_REG_MSP);
    uint32_t size = fp ? FRAME_FP : 0x20;
    const uint8_t *f = mem_ptr(c, sp, size, false);
    if (!f) {
        crash(c, "exception return from %s with its frame outside memory (SP 0x%08x)", exc_name(exc), sp);
        return;
    }
    uint32_t pc = bytes_le32(f + 24), xpsr = bytes_le32(f + 28);
    if (to_thread != ((xpsr & 0x1FF) == 0)) {
        crash(c, "exception return 0x%08x does not match the stacked IPSR %u", exc_return, xpsr & 0x1FF);
        return;
    }
    pop_frame(c, f, fp);
    rtcore_nvic_deactivate(&c->soc.nvic, exc);
    set_reg(c, use_psp ? UC_ARM_REG_PSP : UC_ARM_REG_MSP, sp + size + ((xpsr >> 9) & 1) * 4);
    set_reg(c, UC_ARM_REG_XPSR, xpsr & ~(1u << 9));
    refresh_mode(c);
    if (use_psp)
        set_reg(c, UC_ARM_REG_CONTROL, reg(c, UC_ARM_REG_CONTROL) | 2u);
    set_reg(c, UC_ARM_REG_PC, pc | 1u);
    c->soc.vectactive = xpsr & 0x1FF;
    rtcore_soc_update_irqs(&c->soc);
}

/* Takes the pending exception that should preempt, if any and if not inside an IT block. */
static void maybe_preempt(struct rtcore_cpu *c, uint32_t pc)
{
    unsigned exc = rtcore_nvic_next(&c->soc.nvic, reg(c, UC_ARM_REG_PRIMASK) & 1, (uint8_t)reg(c, UC_ARM_REG_BASEPRI));
    if (exc && !(reg(c, UC_ARM_REG_EPSR) & XPSR_IT_MASK))
        take_exception(c, exc, pc);
}

/* ---- hooks --------------------------------------------------------------------------------- */

static bool is_32bit(uint16_t hw) { return (hw >> 11) >= 0x1D; }

static uint32_t count_instructions(struct rtcore_cpu *c, uint32_t addr, uint32_t size)
{
    struct block_count *e = &c->cache[(addr >> 1) % CACHE_SIZE];
    if (e->addr == addr && e->size == size && e->count)
        return e->count;
    const uint8_t *p = mem_ptr(c, addr, size, false);
    uint32_t n = 0;
    for (uint32_t off = 0; p && off + 1 < size; n++)
        off += is_32bit((uint16_t)(p[off] | p[off + 1] << 8)) ? 4 : 2;
    *e = (struct block_count){addr, size, n ? n : 1};
    return e->count;
}

static void on_block(uc_engine *uc, uint64_t address, uint32_t size, void *ud)
{
    struct rtcore_cpu *c = ud;
    c->icount += count_instructions(c, (uint32_t)address, size);
    bool host = c->cfg.clock == RTCORE_CLOCK_HOST;
    bool check_host = host && ++c->host_check >= HOST_CHECK_BLOCKS;
    uint64_t now = 0;
    if (!host || check_host) {
        c->host_check = 0;
        now = now_cycles(c);
        if (now >= c->next_deadline)
            sync_time(c);
        if (now >= c->stop_cycles || (check_host && host_ns() >= c->slice_end_ns)) {
            c->slice_over = true;
            uc_emu_stop(uc);
        }
    }
    if (c->icount >= c->stop_icount) {
        c->slice_over = true;
        uc_emu_stop(uc);
    }
    if (c->soc.nvic.pending_count)
        maybe_preempt(c, (uint32_t)address);
}

static void on_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    struct rtcore_cpu *c = ud;
    uint32_t pc = reg(c, UC_ARM_REG_PC);
    if (intno == EXCP_EXCEPTION_EXIT) {
        exception_return(c);
    } else if (intno == EXCP_SWI) {
        int svc = rtcore_nvic_group_priority(&c->soc.nvic, RTCORE_EXC_SVC);
        if (svc >= rtcore_nvic_execution_priority(&c->soc.nvic, reg(c, UC_ARM_REG_PRIMASK) & 1,
                                                  (uint8_t)reg(c, UC_ARM_REG_BASEPRI)))
            crash(c, "SVC at PC 0x%08x with SVCall masked or at a priority it cannot preempt (HardFault)", pc - 2);
        else
            take_exception(c, RTCORE_EXC_SVC, pc);
    } else if (intno == EXCP_BKPT) {
        const uint8_t *insn = mem_ptr(c, pc, 2, false);
        if (c->cfg.debugger) {
            set_reg(c, UC_ARM_REG_PC, pc | 1u); /* halt at the BKPT itself */
            c->bp_hit = true;
            uc_emu_stop(uc);
        } else if (c->cfg.exit_on_bkpt && insn) {
            c->exited = true;
            c->exit_status = insn[0];
            uc_emu_stop(uc);
        } else {
            crash(c, "BKPT at PC 0x%08x with no debugger attached (HardFault)", pc);
        }
    } else {
        crash(c, "CPU exception %u at PC 0x%08x (HardFault)", intno, pc);
    }
}

/* Unicorn 2.0.1 keeps the guest PC at the start of the translation block during memory hooks
 * and does not unwind it after a failed access, so the PC reported for a bad access is the
 * start of the straight-line block (a few instructions) that made it. */
static bool on_bad_access(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *ud)
{
    struct rtcore_cpu *c = ud;
    if (!c->fault_type) {
        c->fault_type = type;
        c->fault_address = (uint32_t)address;
    }
    return false;
}

static void describe_bad_access(struct rtcore_cpu *c, uint32_t pc)
{
    uc_mem_type type = c->fault_type;
    uint32_t a = c->fault_address;
    const char *what = type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT ? "write"
                       : type == UC_MEM_FETCH_UNMAPPED || type == UC_MEM_FETCH_PROT ? "instruction fetch"
                                                                                   : "read";
    if (type == UC_MEM_FETCH_UNMAPPED || type == UC_MEM_FETCH_PROT)
        pc = a;
    int b = rtcore_block_at(a);
    if (b >= 0 && rtcore_blocks[b].grant && !c->soc.granted[b])
        crash(c, "peripheral access denied: %s of 0x%08x (%s) in the block at PC 0x%08x; the app manifest does not list %s", what, a,
              rtcore_blocks[b].name, pc, rtcore_blocks[b].grant);
    else if (type == UC_MEM_WRITE_PROT)
        crash(c, "bus fault: write of 0x%08x (read-only XIP flash) in the block at PC 0x%08x", a, pc);
    else
        crash(c, "bus fault: %s of %s address 0x%08x in the block at PC 0x%08x", what, b >= 0 ? "a non-executable" : "unmapped", a, pc);
}

static uint64_t mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *ud)
{
    struct mmio_ctx *m = ud;
    sync_time(m->cpu);
    return rtcore_soc_read(&m->cpu->soc, m->block, (uint32_t)offset, size);
}

static void mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *ud)
{
    struct mmio_ctx *m = ud;
    sync_time(m->cpu);
    rtcore_soc_write(&m->cpu->soc, m->block, (uint32_t)offset, size, (uint32_t)value);
    m->cpu->next_deadline = rtcore_soc_next_deadline(&m->cpu->soc);
}

/* ---- SoC callbacks ------------------------------------------------------------------------- */

static void soc_debug_tx(void *ctx, uint8_t byte)
{
    struct rtcore_cpu *c = ctx;
    if (c->ops.uart_tx)
        c->ops.uart_tx(c->ops.ctx, -1, byte);
}

static void soc_isu_tx(void *ctx, int isu, uint8_t byte)
{
    struct rtcore_cpu *c = ctx;
    if (c->ops.uart_tx)
        c->ops.uart_tx(c->ops.ctx, isu, byte);
}

static void soc_gpio(void *ctx, int gpio, bool level)
{
    struct rtcore_cpu *c = ctx;
    if (c->ops.gpio_out)
        c->ops.gpio_out(c->ops.ctx, gpio, level, c->soc.now);
}

static void soc_reset(void *ctx)
{
    struct rtcore_cpu *c = ctx;
    c->exited = true;
    c->exit_status = 0;
    snprintf(c->reason, sizeof c->reason, "the app requested a system reset (AIRCR.SYSRESETREQ)");
    uc_emu_stop(c->uc);
}

static void soc_mailbox(void *ctx, enum rtcore_mbox_event event)
{
    struct rtcore_cpu *c = ctx;
    if (c->ops.mailbox)
        c->ops.mailbox(c->ops.ctx, event);
}

void rtcore_cpu_gpio_input(struct rtcore_cpu *c, int gpio, bool level) { rtcore_soc_gpio_input(&c->soc, gpio, level); }

int rtcore_cpu_mbox_push(struct rtcore_cpu *c, const uint8_t sender[16], const void *payload, size_t len)
{
    int err = rtcore_mbox_push(&c->soc.mbox, sender, payload, len);
    rtcore_soc_update_irqs(&c->soc);
    return err;
}

int rtcore_cpu_mbox_pop(struct rtcore_cpu *c, uint8_t dest[16], uint8_t *payload, size_t *len)
{
    int err = rtcore_mbox_pop(&c->soc.mbox, dest, payload, len);
    rtcore_soc_update_irqs(&c->soc);
    return err;
}

const char *rtcore_cpu_mbox_error(const struct rtcore_cpu *c) { return c->soc.mbox.why; }

/* ---- life cycle ---------------------------------------------------------------------------- */

static int map_memory(struct rtcore_cpu *c)
{
    for (int i = 0; i < RTCORE_REGION_COUNT; i++) {
        const struct rtcore_region *r = &rtcore_regions[i];
        c->mem[i] = calloc(1, r->size);
        if (!c->mem[i])
            return -ENOMEM;
        uint32_t perms = UC_PROT_READ | UC_PROT_EXEC | (r->writable ? UC_PROT_WRITE : 0);
        if (uc_mem_map_ptr(c->uc, r->base, r->size, perms, c->mem[i]) != UC_ERR_OK)
            return -EIO;
    }
    c->shared = calloc(1, RTCORE_MBOX_SHARED_SIZE);
    if (!c->shared)
        return -ENOMEM;
    if (uc_mem_map_ptr(c->uc, RTCORE_MBOX_SHARED_BASE, RTCORE_MBOX_SHARED_SIZE, UC_PROT_READ | UC_PROT_WRITE,
                       c->shared) != UC_ERR_OK)
        return -EIO;
    rtcore_mbox_reset(&c->soc.mbox, c->shared);
    for (int b = 0; b < RTCORE_BLOCK_COUNT; b++) {
        c->mmio[b] = (struct mmio_ctx){c, b};
        if (c->soc.granted[b] && uc_mmio_map(c->uc, rtcore_blocks[b].base, rtcore_blocks[b].size, mmio_read,
                                             &c->mmio[b], mmio_write, &c->mmio[b]) != UC_ERR_OK)
            return -EIO;
    }
    return 0;
}

/* uc_hook_add() takes every callback as void * (its real type depends on the hook type), a
 * function-to-object pointer conversion ISO C leaves undefined and -Wpedantic refuses; POSIX
 * (and unicorn's API) requires it to work, so it is marked __extension__, here only. */
#define HOOK_FN(fn) (__extension__(void *)(fn))

static int add_hooks(struct rtcore_cpu *c)
{
    uc_hook h;
    if (uc_hook_add(c->uc, &h, UC_HOOK_BLOCK, HOOK_FN(on_block), c, 1, 0) != UC_ERR_OK ||
        uc_hook_add(c->uc, &h, UC_HOOK_INTR, HOOK_FN(on_intr), c, 1, 0) != UC_ERR_OK ||
        uc_hook_add(c->uc, &h, UC_HOOK_MEM_INVALID, HOOK_FN(on_bad_access), c, 1, 0) != UC_ERR_OK)
        return -EIO;
    return 0;
}

int rtcore_cpu_new(const struct rtcore_image *img, const uint8_t *elf, const bool granted[RTCORE_BLOCK_COUNT],
                   const struct rtcore_config *cfg, const struct rtcore_cpu_ops *ops, struct rtcore_cpu **out)
{
    *out = NULL;
    struct rtcore_cpu *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->cfg = *cfg;
    if (ops)
        c->ops = *ops;
    struct rtcore_soc_ops sops = {c, soc_debug_tx, soc_isu_tx, soc_gpio, soc_reset, soc_mailbox};
    rtcore_soc_init(&c->soc, &sops, img->vector_table);
    for (int b = 0; b < RTCORE_BLOCK_COUNT; b++)
        c->soc.granted[b] |= granted[b];
    int err = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &c->uc) == UC_ERR_OK ? 0 : -EIO;
    if (!err && uc_ctl_set_page_size(c->uc, RTCORE_UC_PAGE_REQUEST) != UC_ERR_OK)
        err = -EIO;
    if (!err && uc_ctl_set_cpu_model(c->uc, UC_CPU_ARM_CORTEX_M4) != UC_ERR_OK)
        err = -EIO;
    if (!err)
        err = map_memory(c);
    if (!err)
        err = add_hooks(c);
    if (err) {
        rtcore_cpu_free(c);
        return err;
    }
    rtcore_elf_load(img, elf, c->mem);
    set_reg(c, UC_ARM_REG_MSP, img->initial_sp);
    set_reg(c, UC_ARM_REG_PC, img->reset_pc);
    c->host_start_ns = host_ns();
    c->next_deadline = UINT64_MAX;
    c->halted_at = UINT32_MAX;
    *out = c;
    return 0;
}

void rtcore_cpu_free(struct rtcore_cpu *c)
{
    if (!c)
        return;
    if (c->uc)
        uc_close(c->uc);
    for (int i = 0; i < RTCORE_REGION_COUNT; i++)
        free(c->mem[i]);
    free(c->shared);
    free(c);
}

/* ---- running ------------------------------------------------------------------------------- */

static bool halfword_at(struct rtcore_cpu *c, uint32_t addr, uint16_t want)
{
    const uint8_t *p = mem_ptr(c, addr, 2, false);
    return p && bytes_le16(p) == want;
}

/* WFI: let time pass to the next deadline (instruction clock: at once; host clock: sleep, at
 * most until the slice ends). Returns false when nothing can ever wake the core. */
static bool sleep_until_event(struct rtcore_cpu *c, uint64_t limit_cycles)
{
    sync_time(c);
    if (rtcore_nvic_highest_pending(&c->soc.nvic))
        return true;
    uint64_t deadline = c->next_deadline;
    if (deadline == UINT64_MAX && limit_cycles == UINT64_MAX)
        return false;
    uint64_t target = deadline < limit_cycles ? deadline : limit_cycles;
    if (c->cfg.clock == RTCORE_CLOCK_INSTRUCTIONS) {
        uint64_t now = now_cycles(c);
        if (target > now)
            c->skipped += target - now;
    } else {
        uint64_t target_ns = c->host_start_ns + cycles_to_ns(target) + 1;
        if (target_ns > c->slice_end_ns)
            target_ns = c->slice_end_ns;
        if (c->ops.idle)
            c->ops.idle(c->ops.ctx);
        uint64_t now_ns = host_ns();
        if (target_ns > now_ns) {
            struct timespec ts = {(time_t)((target_ns - now_ns) / 1000000000ull), (long)((target_ns - now_ns) % 1000000000ull)};
            nanosleep(&ts, NULL);
        }
    }
    sync_time(c);
    return true;
}

enum rtcore_stop rtcore_cpu_run(struct rtcore_cpu *c, uint64_t max_instructions, uint64_t max_cycles)
{
    if (c->crashed)
        return RTCORE_STOP_CRASHED;
    if (c->exited)
        return RTCORE_STOP_EXITED;
    uint64_t start = now_cycles(c);
    uint32_t first = reg(c, UC_ARM_REG_PC);
    for (int i = 0; i < RTCORE_CPU_MAX_BREAKPOINTS; i++)
        if (c->bp[i].used && c->bp[i].addr == first && c->halted_at == first) {
            /* resuming from a breakpoint: execute its instruction first */
            enum rtcore_stop s = rtcore_cpu_step(c);
            if (s != RTCORE_STOP_BREAKPOINT)
                return s;
            c->halted_at = UINT32_MAX;
            break;
        }
    c->stop_icount = max_instructions ? c->icount + max_instructions : UINT64_MAX;
    c->stop_cycles = max_cycles ? start + max_cycles : UINT64_MAX;
    c->slice_end_ns = c->cfg.clock == RTCORE_CLOCK_HOST ? host_ns() + HOST_SLICE_NS : UINT64_MAX;
    c->slice_over = false;
    c->bp_hit = false;
    c->halted_at = UINT32_MAX;
    sync_time(c);
    while (!c->slice_over && !c->crashed && !c->exited && !c->bp_hit) {
        uint32_t pc = reg(c, UC_ARM_REG_PC);
        uc_err e = uc_emu_start(c->uc, pc | 1u, UNTIL_ADDRESS, 0, 0);
        pc = reg(c, UC_ARM_REG_PC);
        if (c->fault_type) {
            describe_bad_access(c, pc);
            break;
        }
        if (c->crashed || c->exited || c->slice_over || c->bp_hit)
            break;
        if (e == UC_ERR_INSN_INVALID && halfword_at(c, pc, 0xBF20)) { /* WFE: sleep like WFI */
            set_reg(c, UC_ARM_REG_PC, (pc + 2) | 1u);
        } else if (e != UC_ERR_OK) {
            crash(c, "%s at PC 0x%08x (HardFault)", e == UC_ERR_INSN_INVALID ? "undefined instruction" : uc_strerror(e), pc);
            break;
        } else if (!halfword_at(c, pc - 2, 0xBF30) && !halfword_at(c, pc - 2, 0xBF20)) {
            crash(c, "branch to 0x%08x (HardFault)", pc);
            break;
        }
        if (!sleep_until_event(c, c->stop_cycles))
            return RTCORE_STOP_ASLEEP;
        if (now_cycles(c) >= c->stop_cycles || (c->cfg.clock == RTCORE_CLOCK_HOST && host_ns() >= c->slice_end_ns))
            c->slice_over = true;
    }
    if (c->bp_hit && !c->crashed && !c->exited) {
        c->halted_at = reg(c, UC_ARM_REG_PC);
        return RTCORE_STOP_BREAKPOINT;
    }
    return c->crashed ? RTCORE_STOP_CRASHED : c->exited ? RTCORE_STOP_EXITED : RTCORE_STOP_SLICE;
}

/* ---- debugging ----------------------------------------------------------------------------- */

static const int gdb_regs[17] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4,
                                 UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9,
                                 UC_ARM_REG_R10, UC_ARM_REG_R11, UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR,
                                 UC_ARM_REG_PC, UC_ARM_REG_XPSR};

void rtcore_cpu_read_regs(struct rtcore_cpu *c, uint32_t regs[17])
{
    for (int i = 0; i < 17; i++)
        regs[i] = reg(c, gdb_regs[i]);
    regs[15] &= ~1u;
}

void rtcore_cpu_write_reg(struct rtcore_cpu *c, int n, uint32_t v)
{
    if (n < 0 || n >= 17)
        return;
    if (n == 15)
        v |= 1u; /* always Thumb */
    set_reg(c, gdb_regs[n], v);
    if (n == 16)
        refresh_mode(c);
}

/* The host bytes behind [addr, addr+len) in RAM, flash or the mailbox buffers, or NULL. */
static uint8_t *debug_ptr(struct rtcore_cpu *c, uint32_t addr, uint32_t len)
{
    uint8_t *p = mem_ptr(c, addr, len, false);
    if (p)
        return p;
    if (addr >= RTCORE_MBOX_SHARED_BASE && len <= RTCORE_MBOX_SHARED_SIZE &&
        addr - RTCORE_MBOX_SHARED_BASE <= RTCORE_MBOX_SHARED_SIZE - len)
        return c->shared + (addr - RTCORE_MBOX_SHARED_BASE);
    return NULL;
}

/* The granted peripheral block holding all of [addr, addr+len), or -1. */
static int debug_block(struct rtcore_cpu *c, uint32_t addr, uint32_t len)
{
    int b = rtcore_block_at(addr);
    if (b < 0 || !c->soc.granted[b] || addr - rtcore_blocks[b].base > rtcore_blocks[b].size - len)
        return -1;
    return b;
}

static int debug_mmio(struct rtcore_cpu *c, uint32_t addr, uint8_t *buf, uint32_t len, bool write)
{
    int b = debug_block(c, addr, len);
    if (b < 0)
        return -EFAULT;
    sync_time(c);
    for (uint32_t done = 0; done < len;) {
        uint32_t a = addr + done, off = a - rtcore_blocks[b].base;
        unsigned size = !(a & 3) && len - done >= 4 ? 4 : 1;
        if (write) {
            uint32_t v = 0;
            for (unsigned i = 0; i < size; i++)
                v |= (uint32_t)buf[done + i] << (8 * i);
            rtcore_soc_write(&c->soc, b, off, size, v);
        } else {
            uint32_t v = rtcore_soc_read(&c->soc, b, off, size);
            for (unsigned i = 0; i < size; i++)
                buf[done + i] = (uint8_t)(v >> (8 * i));
        }
        done += size;
    }
    c->next_deadline = rtcore_soc_next_deadline(&c->soc);
    return 0;
}

int rtcore_cpu_debug_read(struct rtcore_cpu *c, uint32_t addr, uint8_t *buf, uint32_t len)
{
    if (!len)
        return 0;
    const uint8_t *p = debug_ptr(c, addr, len);
    if (!p)
        return debug_mmio(c, addr, buf, len, false);
    memcpy(buf, p, len);
    return 0;
}

int rtcore_cpu_debug_write(struct rtcore_cpu *c, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    if (!len)
        return 0;
    uint8_t *p = debug_ptr(c, addr, len);
    if (!p)
        return debug_mmio(c, addr, (uint8_t *)buf, len, true);
    memcpy(p, buf, len);
    /* translated code for those bytes is stale now */
    uc_ctl_remove_cache(c->uc, addr, (uint64_t)addr + len);
    memset(c->cache, 0, sizeof c->cache);
    return 0;
}

static void on_breakpoint(uc_engine *uc, uint64_t address, uint32_t size, void *ud)
{
    struct rtcore_cpu *c = ud;
    if (c->stepping) /* a step always executes its instruction */
        return;
    c->bp_hit = true;
    uc_emu_stop(uc);
}

/* Single step: a code hook on every address while stepping (Unicorn's own instruction count
 * does not apply to translated blocks cached before it), stopping before the second one. */
static void on_step(uc_engine *uc, uint64_t address, uint32_t size, void *ud)
{
    struct rtcore_cpu *c = ud;
    if (c->stepping && c->step_seen++ >= 1) /* (a deleted hook may still be called once) */
        uc_emu_stop(uc);
}

int rtcore_cpu_breakpoint(struct rtcore_cpu *c, uint32_t addr, bool set)
{
    addr &= ~1u;
    int at = -1, free_slot = -1;
    for (int i = 0; i < RTCORE_CPU_MAX_BREAKPOINTS; i++) {
        if (c->bp[i].used && c->bp[i].addr == addr)
            at = i;
        else if (!c->bp[i].used && free_slot < 0)
            free_slot = i;
    }
    if (!set) {
        if (at >= 0) {
            uc_hook_del(c->uc, c->bp[at].hook);
            c->bp[at].used = false;
            uc_ctl_remove_cache(c->uc, addr, (uint64_t)addr + 4);
        }
        return 0;
    }
    if (at >= 0)
        return 0;
    int r = rtcore_region_of(addr, 2);
    if (r < 0)
        return -EFAULT;
    if (free_slot < 0)
        return -ENOSPC;
    if (uc_hook_add(c->uc, &c->bp[free_slot].hook, UC_HOOK_CODE, HOOK_FN(on_breakpoint), c, addr, addr) != UC_ERR_OK)
        return -EIO;
    c->bp[free_slot].addr = addr;
    c->bp[free_slot].used = true;
    uc_ctl_remove_cache(c->uc, addr, (uint64_t)addr + 4);
    return 0;
}

/* CRASHED or EXITED if the core has ended, else SLICE. */
static enum rtcore_stop ended(const struct rtcore_cpu *c)
{
    return c->crashed ? RTCORE_STOP_CRASHED : c->exited ? RTCORE_STOP_EXITED : RTCORE_STOP_SLICE;
}

enum rtcore_stop rtcore_cpu_step(struct rtcore_cpu *c)
{
    if (ended(c) != RTCORE_STOP_SLICE)
        return ended(c);
    c->stop_icount = UINT64_MAX;
    c->stop_cycles = UINT64_MAX;
    c->slice_end_ns = UINT64_MAX;
    c->slice_over = false;
    c->bp_hit = false;
    uint32_t pc = reg(c, UC_ARM_REG_PC);
    uc_hook hook;
    if (uc_hook_add(c->uc, &hook, UC_HOOK_CODE, HOOK_FN(on_step), c, 1, 0) != UC_ERR_OK) {
        crash(c, "the debugger cannot single-step at PC 0x%08x", pc);
        return RTCORE_STOP_CRASHED;
    }
    uc_ctl_flush_tlb(c->uc); /* (sic: this flushes translated blocks) so every block calls on_step */
    c->stepping = true;
    c->step_seen = 0;
    sync_time(c);
    uint64_t before = c->icount;
    uc_err e = uc_emu_start(c->uc, pc | 1u, UNTIL_ADDRESS, 0, 0);
    c->stepping = false;
    uc_hook_del(c->uc, hook);
    uc_ctl_flush_tlb(c->uc);
    c->icount = before + 1;
    uint32_t now_pc = reg(c, UC_ARM_REG_PC);
    if (c->fault_type)
        describe_bad_access(c, now_pc);
    else if (e != UC_ERR_OK && !c->crashed && !c->exited && !c->bp_hit)
        crash(c, "%s at PC 0x%08x (HardFault)", e == UC_ERR_INSN_INVALID ? "undefined instruction" : uc_strerror(e), now_pc);
    if (ended(c) != RTCORE_STOP_SLICE)
        return ended(c);
    c->bp_hit = false;
    c->halted_at = now_pc;
    return RTCORE_STOP_BREAKPOINT;
}
