/* SPDX-License-Identifier: MIT */
/* azure_c_shared_utility/shared_util_options.h — TLS option names (AZURE-IOT-API.md §2.4). */
#ifndef AZURE_C_SHARED_UTILITY_SHARED_UTIL_OPTIONS_H
#define AZURE_C_SHARED_UTILITY_SHARED_UTIL_OPTIONS_H
#include "azure_c_shared_utility/const_defines.h"
/* Extra trust anchors (PEM text) for the server's certificate. */
static STATIC_VAR_UNUSED const char *const OPTION_TRUSTED_CERT = "TrustedCerts";
static STATIC_VAR_UNUSED const char *const SU_OPTION_X509_CERT = "x509certificate";
static STATIC_VAR_UNUSED const char *const SU_OPTION_X509_PRIVATE_KEY = "x509privatekey";
static STATIC_VAR_UNUSED const char *const OPTION_OPENSSL_CIPHER_SUITE = "CipherSuite";
#endif
