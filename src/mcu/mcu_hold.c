/* SPDX-License-Identifier: MIT */
/* mcu_hold.c — the "hold after OP" request file (see mcu_hold.h). */
#include "mcu_hold.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostio.h"
#include "path.h"

static const char *const op_names[] = {"none", "test", "reset", "confirm"};

const char *mcu_hold_op_name(enum mcu_hold_op op)
{
    return (unsigned)op < sizeof op_names / sizeof op_names[0] ? op_names[op] : "?";
}

int mcu_hold_op_parse(const char *name, enum mcu_hold_op *op)
{
    for (unsigned i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
        if (name && !strcmp(name, op_names[i])) {
            *op = (enum mcu_hold_op)i;
            return 0;
        }
    return -EINVAL;
}

int mcu_hold_read(const char *dir, struct mcu_hold *h)
{
    char *path = path_join(dir, "hold"), *text = NULL, state[16], op[16];
    size_t len = 0;
    *h = (struct mcu_hold){MCU_HOLD_NONE, false};
    int err = path ? hostio_read_file(path, &text, &len) : -ENOMEM;
    if (err == -ENOENT)
        err = 0;
    else if (!err) {
        if (sscanf(text, "%15s %15s", state, op) != 2 || (strcmp(state, "armed") && strcmp(state, "holding")) ||
            mcu_hold_op_parse(op, &h->op) || h->op == MCU_HOLD_NONE)
            err = -EINVAL, h->op = MCU_HOLD_NONE;
        else
            h->holding = !strcmp(state, "holding");
    }
    free(path), free(text);
    return err;
}

int mcu_hold_write(const char *dir, const struct mcu_hold *h)
{
    char *path = path_join(dir, "hold"), text[32];
    if (!path)
        return -ENOMEM;
    int err = 0;
    if (h->op == MCU_HOLD_NONE)
        err = unlink(path) && errno != ENOENT ? -errno : 0;
    else {
        snprintf(text, sizeof text, "%s %s\n", h->holding ? "holding" : "armed", mcu_hold_op_name(h->op));
        err = hostio_write_file_atomic(path, text, strlen(text), 0644);
    }
    free(path);
    return err;
}

enum mcu_hold_op mcu_hold_step(const struct mcu_dev_state *before, const struct mcu_dev *after)
{
    const struct mcu_dev_state *s = &after->st;
    if (after->reset_requested)
        return MCU_HOLD_RESET;
    if (s->pending >= 0 && s->pending != before->pending)
        return MCU_HOLD_TEST;
    if (before->trial >= 0 && s->trial < 0 && s->confirmed >= 0 && s->confirmed == s->active)
        return MCU_HOLD_CONFIRM;
    return MCU_HOLD_NONE;
}
