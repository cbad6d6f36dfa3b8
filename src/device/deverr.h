/* SPDX-License-Identifier: MIT */
/*
 * deverr.h — the device's error codes, as its REST API reports them.
 *
 * A device error travels as HTTP status + body {"error": (category << 20) | code}; a few are
 * plain errno values (13 = EACCES). Each entry carries the message the real CLI prints for it
 * (PLATFORM-FACTS Appendix A) or, for codes the platform does not document, ours
 * (docs/device.md lists which are which).
 */
#ifndef OPENSPHERE_DEVICE_DEVERR_H
#define OPENSPHERE_DEVICE_DEVERR_H

enum deverr {
    DERR_NONE = 0,
    DERR_EACCES,             /* 13: REST not allowed without a capability */
    DERR_NOT_PERMITTED,      /* 1.20 */
    DERR_PINS_IN_USE,        /* 1.25 */
    DERR_NO_CORE,            /* 1.31 */
    DERR_PORT_IN_USE,        /* 1.32 (ours) */
    DERR_MANIFEST_INVALID,   /* 2.1 */
    DERR_ENTRY_POINT_MISSING,/* 2.22 */
    DERR_ENTRY_POINT_NOT_FILE, /* 2.23 */
    DERR_APP_WRONG_STATE,    /* 3.2 (ours: AppInWrongState) */
    DERR_NO_DEBUG_SERVER,    /* 3.10 */
    DERR_GPIO_IN_USE,        /* 5.4 */
    DERR_PERIPHERAL_IN_USE,  /* 5.8 */
    DERR_PIN_BLOCK_IN_USE,   /* 5.15 */
    DERR_NOT_TRUSTED,        /* 7.15 */
    DERR_STAGE_INVALID,      /* 7.18 */
    DERR_INSTALL_FAILED,     /* 7.24 */
    DERR_PERMISSION_DENIED,  /* 7.37 */
    DERR_ABI_NOT_FOUND,      /* 7.40 */
    DERR_BETA_UNSUPPORTED,   /* 7.41 (ours) */
    DERR_INVALID_COMPONENT,  /* 7.47 */
    DERR_NOTHING_STAGED,     /* 7.48 (ours) */
    DERR_CAPABILITY_INVALID, /* 7.49 (ours) */
    DERR_BAD_REQUEST,        /* 10.1 (ours) */
    DERR_MEDIA_TYPE,         /* 10.2 (ours) */
    DERR_NOT_FOUND,          /* 10.3 (ours) */
    DERR_MANUFACTURING_STATE,/* 10.4 (ours) */
    DERR_APP_NOT_PRESENT,    /* 14.12 */
    DERR_NO_SPACE,           /* 14.18 */
    DERR_INTERNAL,           /* 10.5 (ours) */
    DERR_COUNT
};

struct deverr_info {
    int category;
    int code;
    int http_status;
    const char *message;
};

const struct deverr_info *deverr_info(enum deverr e);
/* The value of the "error" field: (category << 20) | code, or the errno. */
int deverr_wire(enum deverr e);
/* The entry for a wire value, or NULL. */
enum deverr deverr_from_wire(int wire);

#endif
