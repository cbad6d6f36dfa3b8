/* SPDX-License-Identifier: MIT */
/* wolfssl/wolfcrypt/settings.h in the OpenSphere SDK's sysroots — the platform's SDK ships
 * wolfSSL preconfigured, so apps include <wolfssl/ssl.h> and nothing else. Debian's wolfSSL
 * keeps its build configuration in <wolfssl/options.h>, which its users must include first;
 * every wolfSSL header includes this one first, so it takes options.h in, then Debian's own
 * settings.h (the next one on the include path). */
#ifndef OPENSPHERE_SDK_WOLFSSL_SETTINGS_H
#define OPENSPHERE_SDK_WOLFSSL_SETTINGS_H
#include <wolfssl/options.h>
#endif
#include_next <wolfssl/wolfcrypt/settings.h>
