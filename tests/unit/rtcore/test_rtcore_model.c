/* test_rtcore_model.c — the emulator's pure parts: ELF loader (hostile inputs included), NVIC
 * priority rules, peripheral timing, manifest grants, control protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rtcore_ctl.h"
#include "rtcore_elf.h"
#include "rtcore_grant.h"
#include "rtcore_nvic.h"
#include "rtcore_soc.h"

static void test_nvic_priorities_keep_three_bits(void **state)
{
    struct rtcore_nvic n;
    rtcore_nvic_reset(&n);
    rtcore_nvic_set_priority(&n, RTCORE_EXC_IRQ0 + 3, 0xFF);
    assert_int_equal(n.prio[RTCORE_EXC_IRQ0 + 3], 0xE0);
    rtcore_nvic_set_priority(&n, RTCORE_EXC_IRQ0 + 3, 0x1F);
    assert_int_equal(n.prio[RTCORE_EXC_IRQ0 + 3], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nvic_priorities_keep_three_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
