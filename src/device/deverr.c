/* SPDX-License-Identifier: MIT */
/* deverr.c — the device error table (see deverr.h). */
#include "deverr.h"

static const struct deverr_info table[DERR_COUNT] = {
    [DERR_NONE] = {0, 0, 200, "Success"},
    [DERR_EACCES] = {0, 13, 403, "Permission denied; application development capability may be required"},
    [DERR_NOT_PERMITTED] = {1, 20, 403, "Operation not permitted; check if application development capability is enabled"},
    [DERR_PINS_IN_USE] = {1, 25, 400, "Application manifest requested pins that are already in use"},
    [DERR_NO_CORE] = {1, 31, 400, "No matching core available to run application"},
    [DERR_PORT_IN_USE] = {1, 32, 400, "Application manifest requested a TCP or UDP server port that another application already uses"},
    [DERR_MANIFEST_INVALID] = {2, 1, 400, "Application manifest is not valid"},
    [DERR_ENTRY_POINT_MISSING] = {2, 22, 400, "The application's entry point does not exist in the image"},
    [DERR_ENTRY_POINT_NOT_FILE] = {2, 23, 400, "The application's entry point is not a file"},
    [DERR_APP_WRONG_STATE] = {3, 2, 409, "The application is not in a state that allows this operation"},
    [DERR_NO_DEBUG_SERVER] = {3, 10, 409, "Cannot start application in debug mode; Debugging server is not present on device; try running 'sphere device enable-development'."},
    [DERR_GPIO_IN_USE] = {5, 4, 400, "GPIO already in use by another application"},
    [DERR_PERIPHERAL_IN_USE] = {5, 8, 400, "Peripheral already in use by another application"},
    [DERR_PIN_BLOCK_IN_USE] = {5, 15, 400, "GPIO block already in use by another application"},
    [DERR_NOT_TRUSTED] = {7, 15, 400, "Image not trusted by device; check if application development capability is enabled ('sphere device enable-development')"},
    [DERR_STAGE_INVALID] = {7, 18, 400, "Image could not be staged; check that it is a valid image package"},
    [DERR_INSTALL_FAILED] = {7, 24, 400, "Installation failed; check if application development capability is enabled"},
    [DERR_PERMISSION_DENIED] = {7, 37, 403, "Permission denied; check if application development capability is enabled"},
    [DERR_ABI_NOT_FOUND] = {7, 40, 400, "Could not find required ABI runtime version numbers. The application targets a newer OS than the device runs"},
    [DERR_BETA_UNSUPPORTED] = {7, 41, 400, "The application uses Beta APIs that this OS does not provide; deploy with --force to install it anyway"},
    [DERR_INVALID_COMPONENT] = {7, 47, 400, "Image has an invalid component ID. Re-package your image and retry."},
    [DERR_NOTHING_STAGED] = {7, 48, 400, "No image is staged for installation"},
    [DERR_CAPABILITY_INVALID] = {7, 49, 400, "The capability file is not valid for this device"},
    [DERR_BAD_REQUEST] = {10, 1, 400, "The request is malformed"},
    [DERR_MEDIA_TYPE] = {10, 2, 415, "The media type provided for this operation is unsupported"},
    [DERR_NOT_FOUND] = {10, 3, 404, "No such resource on this device"},
    [DERR_MANUFACTURING_STATE] = {10, 4, 400, "Manufacturing state changes are permanent and can only move forward: Blank, Module1Complete, DeviceComplete"},
    [DERR_APP_NOT_PRESENT] = {14, 12, 409, "Application is not present"},
    [DERR_NO_SPACE] = {14, 18, 400, "Insufficient free space on the device"},
    [DERR_INTERNAL] = {10, 5, 500, "An internal device error occurred"},
};

const struct deverr_info *deverr_info(enum deverr e)
{
    return (unsigned)e < DERR_COUNT ? &table[e] : &table[DERR_INTERNAL];
}

int deverr_wire(enum deverr e)
{
    const struct deverr_info *i = deverr_info(e);
    return i->category << 20 | i->code;
}

enum deverr deverr_from_wire(int wire)
{
    for (int e = 1; e < DERR_COUNT; e++)
        if (deverr_wire((enum deverr)e) == wire)
            return (enum deverr)e;
    return DERR_NONE;
}
