/* SPDX-License-Identifier: MIT */
/*
 * mcu_hold.h — a fault the simulated MCU injects on request: "hold after OP". Once the MCU has
 * carried out OP (recorded a test mark, rebooted for a reset, confirmed a trial image) it stops
 * answering on its line until the line hangs up (the device that owns the other end lost power
 * or stopped); then it serves normally again. Tests use it to cut the device's power at an exact
 * step of an MCU update (docs/mcu.md, "Holding after a step").
 *
 * The request is the file DIR/hold, one line: "armed OP" (set by `sphere sim mcu hold`) or
 * "holding OP" (written by the MCU when it starts holding); absent = no hold. The MCU removes
 * it when the hold ends. OP is test, reset or confirm.
 *
 * Errors: negative errno (-EINVAL for a malformed file or an unknown OP, -ENOMEM, -EIO).
 */
#ifndef OPENSPHERE_MCU_HOLD_H
#define OPENSPHERE_MCU_HOLD_H

#include <stdbool.h>

#include "mcu_dev.h"

enum mcu_hold_op { MCU_HOLD_NONE, MCU_HOLD_TEST, MCU_HOLD_RESET, MCU_HOLD_CONFIRM };

struct mcu_hold {
    enum mcu_hold_op op; /* MCU_HOLD_NONE: no hold requested */
    bool holding;        /* false: armed, waiting for op */
};

/* "test", "reset", "confirm" (and "none") <-> the op; parse returns -EINVAL for anything else. */
const char *mcu_hold_op_name(enum mcu_hold_op op);
int mcu_hold_op_parse(const char *name, enum mcu_hold_op *op);

/* Reads DIR/hold into *h (op NONE when there is no file). */
int mcu_hold_read(const char *dir, struct mcu_hold *h);
/* Replaces DIR/hold atomically with *h, or removes it when h->op is NONE. */
int mcu_hold_write(const char *dir, const struct mcu_hold *h);

/* Which step one handled request carried out, from the MCU's state before and after it:
 * TEST (a new test mark), CONFIRM (a trial image confirmed), RESET (a reset requested),
 * or NONE. */
enum mcu_hold_op mcu_hold_step(const struct mcu_dev_state *before, const struct mcu_dev *after);

#endif
