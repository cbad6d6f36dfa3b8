/* SPDX-License-Identifier: MIT */
/*
 * azure_macro_utils/macro_utils.h — OpenSphere's own version of the enum helpers the Azure IoT
 * headers and the Azure Sphere samples use (AZURE-IOT-API.md §2.8). Lists of up to 24 items.
 *
 * MU_DEFINE_ENUM_WITHOUT_INVALID(E, LIST): typedef enum E_TAG {LIST} E; declares EStrings() and
 * E_FromString(). MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(E, LIST) (used by the samples, at file
 * scope, followed by ';') defines EStringStorage[], EStrings() ("UNKNOWN" when out of range) and
 * E_FromString() (0, or MU_FAILURE when the name is not in the list). LIST may be a macro that
 * expands to a comma-separated list.
 */
#ifndef AZURE_MACRO_UTILS_MACRO_UTILS_H
#define AZURE_MACRO_UTILS_MACRO_UTILS_H

#include <stddef.h>
#include <string.h>

#define MU_FAILURE __LINE__
#define MU_C2_(a, b) a##b
#define MU_C2(a, b) MU_C2_(a, b)
#define MU_TOSTRING_(x) #x
#define MU_TOSTRING(x) MU_TOSTRING_(x)
#define MU_ENUM_NAME_ITEM_(x) #x,
#define MU_ENUM_VALUE_ITEM_(x) x,

#define MU_FOR_EACH_1(M, x) M(x)
#define MU_FOR_EACH_2(M, x, ...) M(x) MU_FOR_EACH_1(M, __VA_ARGS__)
#define MU_FOR_EACH_3(M, x, ...) M(x) MU_FOR_EACH_2(M, __VA_ARGS__)
#define MU_FOR_EACH_4(M, x, ...) M(x) MU_FOR_EACH_3(M, __VA_ARGS__)
#define MU_FOR_EACH_5(M, x, ...) M(x) MU_FOR_EACH_4(M, __VA_ARGS__)
#define MU_FOR_EACH_6(M, x, ...) M(x) MU_FOR_EACH_5(M, __VA_ARGS__)
#define MU_FOR_EACH_7(M, x, ...) M(x) MU_FOR_EACH_6(M, __VA_ARGS__)
#define MU_FOR_EACH_8(M, x, ...) M(x) MU_FOR_EACH_7(M, __VA_ARGS__)
#define MU_FOR_EACH_9(M, x, ...) M(x) MU_FOR_EACH_8(M, __VA_ARGS__)
#define MU_FOR_EACH_10(M, x, ...) M(x) MU_FOR_EACH_9(M, __VA_ARGS__)
#define MU_FOR_EACH_11(M, x, ...) M(x) MU_FOR_EACH_10(M, __VA_ARGS__)
#define MU_FOR_EACH_12(M, x, ...) M(x) MU_FOR_EACH_11(M, __VA_ARGS__)
#define MU_FOR_EACH_13(M, x, ...) M(x) MU_FOR_EACH_12(M, __VA_ARGS__)
#define MU_FOR_EACH_14(M, x, ...) M(x) MU_FOR_EACH_13(M, __VA_ARGS__)
#define MU_FOR_EACH_15(M, x, ...) M(x) MU_FOR_EACH_14(M, __VA_ARGS__)
#define MU_FOR_EACH_16(M, x, ...) M(x) MU_FOR_EACH_15(M, __VA_ARGS__)
#define MU_FOR_EACH_17(M, x, ...) M(x) MU_FOR_EACH_16(M, __VA_ARGS__)
#define MU_FOR_EACH_18(M, x, ...) M(x) MU_FOR_EACH_17(M, __VA_ARGS__)
#define MU_FOR_EACH_19(M, x, ...) M(x) MU_FOR_EACH_18(M, __VA_ARGS__)
#define MU_FOR_EACH_20(M, x, ...) M(x) MU_FOR_EACH_19(M, __VA_ARGS__)
#define MU_FOR_EACH_21(M, x, ...) M(x) MU_FOR_EACH_20(M, __VA_ARGS__)
#define MU_FOR_EACH_22(M, x, ...) M(x) MU_FOR_EACH_21(M, __VA_ARGS__)
#define MU_FOR_EACH_23(M, x, ...) M(x) MU_FOR_EACH_22(M, __VA_ARGS__)
#define MU_FOR_EACH_24(M, x, ...) M(x) MU_FOR_EACH_23(M, __VA_ARGS__)
#define MU_COUNT_ARGS_(_1,_2,_3,_4,_5,_6,_7,_8,_9,_10,_11,_12,_13,_14,_15,_16,_17,_18,_19,_20,_21,_22,_23,_24, N, ...) N
#define MU_COUNT_ARGS(...) MU_COUNT_ARGS_(__VA_ARGS__, 24,23,22,21,20,19,18,17,16,15,14,13,12,11,10,9,8,7,6,5,4,3,2,1, 0)
#define MU_FOR_EACH_(n, M, ...) MU_C2(MU_FOR_EACH_, n)(M, __VA_ARGS__)
#define MU_FOR_EACH(M, ...) MU_FOR_EACH_(MU_COUNT_ARGS(__VA_ARGS__), M, __VA_ARGS__)

#define MU_DEFINE_ENUM_WITHOUT_INVALID(enumName, ...)                                              \
    typedef enum MU_C2(enumName, _TAG) { MU_FOR_EACH(MU_ENUM_VALUE_ITEM_, __VA_ARGS__) } enumName; \
    extern const char *MU_C2(enumName, Strings)(enumName value);                                   \
    extern int MU_C2(enumName, _FromString)(const char *enumAsString, enumName *destination)

#define MU_DEFINE_ENUM(enumName, ...) MU_DEFINE_ENUM_WITHOUT_INVALID(enumName, __VA_ARGS__)

#define MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(enumName, ...)                                      \
    const char *MU_C2(enumName, StringStorage)[MU_COUNT_ARGS(__VA_ARGS__)] = {                     \
        MU_FOR_EACH(MU_ENUM_NAME_ITEM_, __VA_ARGS__)};                                             \
    const char *MU_C2(enumName, Strings)(enumName value)                                           \
    {                                                                                              \
        if ((size_t)value >= (size_t)MU_COUNT_ARGS(__VA_ARGS__))                                   \
            return "UNKNOWN";                                                                      \
        return MU_C2(enumName, StringStorage)[(size_t)value];                                      \
    }                                                                                              \
    int MU_C2(enumName, _FromString)(const char *enumAsString, enumName *destination)              \
    {                                                                                              \
        if (enumAsString == NULL || destination == NULL)                                           \
            return MU_FAILURE;                                                                     \
        for (size_t i_ = 0; i_ < (size_t)MU_COUNT_ARGS(__VA_ARGS__); i_++) {                       \
            if (strcmp(enumAsString, MU_C2(enumName, StringStorage)[i_]) == 0) {                   \
                *destination = (enumName)i_;                                                       \
                return 0;                                                                          \
            }                                                                                      \
        }                                                                                          \
        return MU_FAILURE;                                                                         \
    }                                                                                              \
    extern const char *MU_C2(enumName, Strings)(enumName value)

#define MU_DEFINE_ENUM_STRINGS(enumName, ...) MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(enumName, __VA_ARGS__)
#define MU_ENUM_TO_STRING(enumName, value) MU_C2(enumName, Strings)(value)

#endif
