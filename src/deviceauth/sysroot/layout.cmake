# SPDX-License-Identifier: MIT
# layout.cmake — cmake -DROOT=<sysroot>/usr -DWOLFSSL_INCLUDE=<dir>/wolfssl -DWOLFSSL_LIB=<libwolfssl.so>
#   -DSETTINGS=<wolfssl-settings.h> -P layout.cmake
# Lays wolfSSL out in one SDK sysroot as the platform's SDK has it: usr/include/wolfssl (links to
# Debian's headers, except wolfcrypt/settings.h, which first takes in Debian's options.h) and
# usr/lib/libwolfssl.so (a link to Debian's library). Re-running replaces what it made.
file(REMOVE_RECURSE "${ROOT}/include/wolfssl")
file(MAKE_DIRECTORY "${ROOT}/include/wolfssl/wolfcrypt" "${ROOT}/lib")
file(GLOB top RELATIVE "${WOLFSSL_INCLUDE}" "${WOLFSSL_INCLUDE}/*")
foreach(entry ${top})
  if(NOT entry STREQUAL "wolfcrypt")
    file(CREATE_LINK "${WOLFSSL_INCLUDE}/${entry}" "${ROOT}/include/wolfssl/${entry}" SYMBOLIC)
  endif()
endforeach()
file(GLOB crypt RELATIVE "${WOLFSSL_INCLUDE}/wolfcrypt" "${WOLFSSL_INCLUDE}/wolfcrypt/*")
foreach(entry ${crypt})
  if(NOT entry STREQUAL "settings.h")
    file(CREATE_LINK "${WOLFSSL_INCLUDE}/wolfcrypt/${entry}" "${ROOT}/include/wolfssl/wolfcrypt/${entry}" SYMBOLIC)
  endif()
endforeach()
configure_file("${SETTINGS}" "${ROOT}/include/wolfssl/wolfcrypt/settings.h" COPYONLY)
file(REMOVE "${ROOT}/lib/libwolfssl.so")
file(CREATE_LINK "${WOLFSSL_LIB}" "${ROOT}/lib/libwolfssl.so" SYMBOLIC)
