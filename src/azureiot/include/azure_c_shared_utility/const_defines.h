/* SPDX-License-Identifier: MIT */
/* azure_c_shared_utility/const_defines.h — STATIC_VAR_UNUSED for header-defined option names. */
#ifndef AZURE_C_SHARED_UTILITY_CONST_DEFINES_H
#define AZURE_C_SHARED_UTILITY_CONST_DEFINES_H
#if defined(__GNUC__)
#define STATIC_VAR_UNUSED __attribute__((unused))
#else
#define STATIC_VAR_UNUSED
#endif
#endif
