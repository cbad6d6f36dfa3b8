# SPDX-License-Identifier: MIT
# AzureSphereRTCoreToolchain.cmake — builds real-time capable apps (RTApps) for the MT3620's
# Cortex-M4F cores with the GNU Arm Embedded toolchain.
#
# ARM_GNU_PATH (cache variable; CMakePresets.json usually passes $env{ArmGnuPath}) is the
# toolchain's folder (its bin/ or the folder holding bin/). Empty or unset: the
# arm-none-eabi-* tools on PATH (Debian: apt-get install gcc-arm-none-eabi).
# The project supplies linker.ld in its source folder; the app is linked without start files,
# like the platform's RTApps.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(AZURE_SPHERE_RTCORE TRUE)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ARM_GNU_PATH)

set(ARM_GNU_PATH "${ARM_GNU_PATH}" CACHE PATH "GNU Arm Embedded toolchain folder (empty: tools on PATH)")
set(_azsphere_gnu_hints)
if(ARM_GNU_PATH)
  set(_azsphere_gnu_hints HINTS "${ARM_GNU_PATH}/bin" "${ARM_GNU_PATH}" NO_DEFAULT_PATH)
endif()
find_program(_azsphere_gcc arm-none-eabi-gcc ${_azsphere_gnu_hints} REQUIRED)
find_program(_azsphere_objcopy arm-none-eabi-objcopy ${_azsphere_gnu_hints})
set(CMAKE_C_COMPILER "${_azsphere_gcc}")
set(CMAKE_ASM_COMPILER "${_azsphere_gcc}")
if(_azsphere_objcopy)
  set(CMAKE_OBJCOPY "${_azsphere_objcopy}")
endif()

set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -Wl,--no-undefined -Wl,-n -Wl,--gc-sections -T \"${CMAKE_SOURCE_DIR}/linker.ld\"")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

include("${CMAKE_CURRENT_LIST_DIR}/AzureSphere.cmake")
