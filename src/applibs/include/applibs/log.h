/* SPDX-License-Identifier: MIT */
/* applibs/log.h — OpenSphere Applibs: debug logging. Output goes to the device log
 * (`sphere device app log`). Returns 0, or -1 with errno set. */
#pragma once
#include <stdarg.h>
#ifdef __cplusplus
extern "C" {
#endif
int Log_Debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int Log_DebugVarArgs(const char *fmt, va_list args) __attribute__((format(printf, 1, 0)));
#ifdef __cplusplus
}
#endif
