/* SPDX-License-Identifier: MIT */
/* export.h — which of libapplibs' symbols an app's link sees (docs/runtime.md, "What libapplibs
 * exports"). Internal to libapplibs: each source file that defines Applibs functions or
 * interposers includes it first.
 *
 * The library is compiled with -fvisibility=hidden, so every definition is hidden unless:
 *   - it is declared in a public Applibs header: the headers are included here, between
 *     `#pragma GCC visibility push(default)` and `pop`, so their declarations carry default
 *     visibility and the definitions inherit it (this header must come before any other
 *     include of an Applibs header, or the pragma misses that header: its include guard);
 *   - or it is a C library entry point libapplibs overrides, marked APPLIBS_INTERPOSER
 *     (interpose.c only; the names are listed in libapplibs.ld's EXTERN and in the export test).
 * src/applibs/CMakeLists.txt then links the objects into one (`ld -r`) and turns every hidden
 * symbol local (`objcopy --localize-hidden`) before archiving it: hidden alone would still leave
 * them global in a static archive, where visibility only takes effect at the final link. */
#ifndef OPENSPHERE_APPLIBS_EXPORT_H
#define OPENSPHERE_APPLIBS_EXPORT_H

#pragma GCC visibility push(default)
#include <applibs/adc.h>
#include <applibs/application.h>
#include <applibs/applications.h>
#include <applibs/certstore.h>
#include <applibs/eventloop.h>
#include <applibs/gpio.h>
#include <applibs/i2c.h>
#include <applibs/log.h>
#include <applibs/networking.h>
#include <applibs/powermanagement.h>
#include <applibs/pwm.h>
#include <applibs/rtc.h>
#include <applibs/spi.h>
#include <applibs/storage.h>
#include <applibs/sysevent.h>
#include <applibs/uart.h>
#include <applibs/wificonfig.h>
#pragma GCC visibility pop

/* Marks the definition of a C library function libapplibs replaces (interpose.c). */
#define APPLIBS_INTERPOSER __attribute__((visibility("default")))

#endif
