# SPDX-License-Identifier: MIT
# AzureSphere.cmake — the SDK's CMake functions, shared by the toolchain files (this one is
# included by AzureSphereRTCoreToolchain.cmake; a high-level-app toolchain can include it too).
#
#   azsphere_configure_tools(TOOLS_REVISION <rev>)        recorded; any revision is accepted
#   azsphere_configure_api(TARGET_API_SET <set>)          API set for high-level apps
#   azsphere_target_hardware_definition(<target> TARGET_DIRECTORY <dir>... TARGET_DEFINITION <file>)
#   azsphere_target_add_image_package(<target> [RESOURCE_FILES <file>...] [DEBUG_LIB <lib>])
#
# Packaging runs the OpenSphere CLI: `sphere image-package pack-application`. The tool is
# ${OPENSPHERE_SPHERE_TOOL} if set, else <SDK>/Tools/sphere, else <SDK>/../bin/sphere (the
# build tree's layout: build/sdk next to build/bin), else <SDK>/../../../bin/sphere (an installed
# prefix: share/opensphere/sdk and bin/), else `sphere` on PATH.
include_guard(GLOBAL)

get_filename_component(AZURE_SPHERE_SDK_PATH "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

function(_azsphere_find_sphere out)
  if(OPENSPHERE_SPHERE_TOOL)
    set(${out} "${OPENSPHERE_SPHERE_TOOL}" PARENT_SCOPE)
    return()
  endif()
  foreach(candidate "${AZURE_SPHERE_SDK_PATH}/Tools/sphere" "${AZURE_SPHERE_SDK_PATH}/../bin/sphere"
                    "${AZURE_SPHERE_SDK_PATH}/../../../bin/sphere")
    if(EXISTS "${candidate}")
      get_filename_component(candidate "${candidate}" ABSOLUTE)
      set(${out} "${candidate}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  find_program(_azsphere_sphere sphere REQUIRED)
  set(${out} "${_azsphere_sphere}" PARENT_SCOPE)
endfunction()

function(azsphere_configure_tools)
  cmake_parse_arguments(A "" "TOOLS_REVISION" "" ${ARGN})
  set(AZURE_SPHERE_TOOLS_REVISION "${A_TOOLS_REVISION}" CACHE INTERNAL "")
endfunction()

function(azsphere_configure_api)
  cmake_parse_arguments(A "" "TARGET_API_SET" "" ${ARGN})
  set(AZURE_SPHERE_TARGET_API_SET "${A_TARGET_API_SET}" CACHE INTERNAL "")
endfunction()

function(azsphere_target_hardware_definition target)
  cmake_parse_arguments(A "" "TARGET_DEFINITION" "TARGET_DIRECTORY" ${ARGN})
  set(dirs)
  foreach(d ${A_TARGET_DIRECTORY})
    get_filename_component(d "${d}" ABSOLUTE BASE_DIR "${CMAKE_SOURCE_DIR}")
    list(APPEND dirs "${d}")
    target_include_directories(${target} PRIVATE "${d}/inc")
  endforeach()
  set_target_properties(${target} PROPERTIES AS_HW_DIRS "${dirs}" AS_HW_DEFINITION "${A_TARGET_DEFINITION}")
endfunction()

function(azsphere_target_add_image_package target)
  cmake_parse_arguments(A "" "DEBUG_LIB" "RESOURCE_FILES" ${ARGN})
  _azsphere_find_sphere(sphere)
  file(READ "${CMAKE_SOURCE_DIR}/app_manifest.json" manifest)
  string(JSON entry GET "${manifest}" EntryPoint)
  set(approot "${CMAKE_BINARY_DIR}/approot${target}")
  set(package "${CMAKE_BINARY_DIR}/${target}.imagepackage")
  set(pack_args --package-directory "${approot}" --destination "${package}")
  get_target_property(hw_dirs ${target} AS_HW_DIRS)
  get_target_property(hw_def ${target} AS_HW_DEFINITION)
  if(hw_def)
    list(APPEND pack_args --target-definition-filename "${hw_def}")
    foreach(d ${hw_dirs})
      list(APPEND pack_args --hardware-definitions "${d}")
    endforeach()
  endif()
  if(AZURE_SPHERE_TARGET_API_SET AND NOT AZURE_SPHERE_RTCORE)
    list(APPEND pack_args --target-api-set "${AZURE_SPHERE_TARGET_API_SET}")
  endif()
  set(copy_resources)
  foreach(r ${A_RESOURCE_FILES})
    get_filename_component(dir "${r}" DIRECTORY)
    list(APPEND copy_resources COMMAND ${CMAKE_COMMAND} -E make_directory "${approot}/${dir}"
         COMMAND ${CMAKE_COMMAND} -E copy "${CMAKE_SOURCE_DIR}/${r}" "${approot}/${r}")
  endforeach()
  add_custom_command(OUTPUT "${package}"
    COMMAND ${CMAKE_COMMAND} -E rm -rf "${approot}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${approot}"
    COMMAND ${CMAKE_COMMAND} -E copy "${CMAKE_SOURCE_DIR}/app_manifest.json" "${approot}/app_manifest.json"
    COMMAND ${CMAKE_COMMAND} -E copy "$<TARGET_FILE:${target}>" "${approot}${entry}"
    ${copy_resources}
    COMMAND "${sphere}" image-package pack-application ${pack_args}
    DEPENDS ${target} "${CMAKE_SOURCE_DIR}/app_manifest.json"
    COMMENT "Packaging ${target} into ${target}.imagepackage"
    VERBATIM)
  add_custom_target(${target}-imagepackage ALL DEPENDS "${package}")
endfunction()
