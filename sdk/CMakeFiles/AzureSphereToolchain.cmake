# SPDX-License-Identifier: MIT
# AzureSphereToolchain.cmake — builds high-level apps as native executables for the simulated
# device, against one of the SDK's sysroots (Sysroots/<API set>: Applibs headers + libapplibs).
#
# The API set comes from -DAZURE_SPHERE_TARGET_API_SET, else the environment variable
# AzureSphereTargetApiSet, else latest-lts. "latest-lts" is the highest numeric sysroot,
# "latest-beta" the beta sysroot with the highest ARV (then YYMM). Changing it needs a fresh
# CMake cache, as with the platform's SDK.
include_guard(GLOBAL)
get_filename_component(_azsphere_sdk "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES AZURE_SPHERE_TARGET_API_SET)

if(NOT AZURE_SPHERE_TARGET_API_SET)
  if(DEFINED ENV{AzureSphereTargetApiSet} AND NOT "$ENV{AzureSphereTargetApiSet}" STREQUAL "")
    set(AZURE_SPHERE_TARGET_API_SET "$ENV{AzureSphereTargetApiSet}")
  else()
    set(AZURE_SPHERE_TARGET_API_SET "latest-lts")
  endif()
endif()

file(GLOB _azsphere_sets RELATIVE "${_azsphere_sdk}/Sysroots" "${_azsphere_sdk}/Sysroots/*")
set(_azsphere_best "")
set(_azsphere_best_key -1)
foreach(set ${_azsphere_sets})
  if(AZURE_SPHERE_TARGET_API_SET STREQUAL "latest-lts" AND set MATCHES "^[0-9]+$")
    set(key ${set})
  elseif(AZURE_SPHERE_TARGET_API_SET STREQUAL "latest-beta" AND set MATCHES "^([0-9]+)\\+Beta([0-9]+)$")
    math(EXPR key "${CMAKE_MATCH_1} * 10000 + ${CMAKE_MATCH_2}")
  else()
    continue()
  endif()
  if(key GREATER _azsphere_best_key)
    set(_azsphere_best_key ${key})
    set(_azsphere_best ${set})
  endif()
endforeach()
if(_azsphere_best)
  set(AZURE_SPHERE_TARGET_API_SET "${_azsphere_best}")
endif()
if(NOT IS_DIRECTORY "${_azsphere_sdk}/Sysroots/${AZURE_SPHERE_TARGET_API_SET}")
  string(REPLACE ";" ", " _azsphere_list "${_azsphere_sets}")
  message(FATAL_ERROR "Target API set '${AZURE_SPHERE_TARGET_API_SET}' is not supported by this SDK. "
                      "Supported API sets are [${_azsphere_list}]. 'latest-lts' and 'latest-beta' can also be specified.")
endif()
set(AZURE_SPHERE_TARGET_API_SET "${AZURE_SPHERE_TARGET_API_SET}" CACHE STRING "The API set the app targets" FORCE)
set(AZURE_SPHERE_API_SET_DIR "${_azsphere_sdk}/Sysroots/${AZURE_SPHERE_TARGET_API_SET}")

set(CMAKE_C_FLAGS_INIT "-isystem \"${AZURE_SPHERE_API_SET_DIR}/usr/include\" -I\"${_azsphere_sdk}/HardwareDefinitions/inc\" -I\"${_azsphere_sdk}/HardwareDefinitions/inc/hw\"")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-L\"${AZURE_SPHERE_API_SET_DIR}/usr/lib\"")
# The device's C library has the resolver functions (res_init/res_query/res_send, ns_initparse,
# ns_parserr…) in libc itself; glibc keeps them in libresolv. Every app's link line gets it, only
# where the app uses them (docs/netconfig.md, "DNS service discovery").
set(CMAKE_C_STANDARD_LIBRARIES_INIT "-Wl,--push-state,--as-needed -lresolv -Wl,--pop-state")

include("${CMAKE_CURRENT_LIST_DIR}/AzureSphere.cmake")
