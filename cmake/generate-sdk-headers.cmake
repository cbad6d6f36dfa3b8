# SPDX-License-Identifier: MIT
# generate-sdk-headers.cmake -DSPHERE=<sphere> -DDIR=<HardwareDefinitions>: writes inc/hw/<name>.h
# for every definition in DIR (run at build time by the sdk_headers target).
file(GLOB defs "${DIR}/*.json")
foreach(def ${defs})
  execute_process(COMMAND "${SPHERE}" hardware-definition generate-header --hardware-definition-file "${def}"
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "generate-header failed for ${def}: ${err}")
  endif()
endforeach()
