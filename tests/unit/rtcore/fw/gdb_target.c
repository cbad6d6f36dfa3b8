/* SPDX-License-Identifier: MIT */
/* gdb_target.c — the GDB stub's test firmware: a loop calling gdb_tick, which counts. */
#include "fw.h"
DEFAULT_UNEXPECTED
VECTORS();
volatile uint32_t gdb_counter;
__attribute__((noinline)) void gdb_tick(void)
{
    gdb_counter++;
}
void reset(void)
{
    puts_("gdb target\n");
    for (;;)
        gdb_tick();
}
