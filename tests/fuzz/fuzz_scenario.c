/* SPDX-License-Identifier: MIT */
/* fuzz_scenario.c — the scenario parser (src/scenario/scenario.c) must never crash, leak or loop
 * on any input; it either returns a scenario with no problem reported, or -EINVAL with at least
 * one problem and no scenario. Whatever it accepts must describe every step without crashing. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag_list diags = {0};
    struct scenario *s = NULL;
    int err = scenario_parse((const char *)data, size, "fuzz.yaml", &diags, &s);
    if (err == 0 && (!s || diag_error_count(&diags) != 0))
        abort(); /* accepted yet reported a problem */
    if (err == -EINVAL && (s || diag_error_count(&diags) == 0))
        abort(); /* refused without saying why */
    for (size_t i = 0; s && i < s->step_count; i++) {
        char line[700];
        scenario_describe_step(&s->steps[i], line, sizeof line);
        if (s->steps[i].kind >= SCENARIO_STEP_KINDS)
            abort();
    }
    scenario_free(s);
    diag_list_free(&diags);
    return 0;
}
