/* SPDX-License-Identifier: MIT */
/* applibs/storage.h — OpenSphere Applibs: the app's files. The mutable-storage file needs the
 * MutableStorage capability with SizeKB > 0 (else EACCES); writes beyond SizeKB fail with EFBIG.
 * Image-package paths must be relative, without '.' or '..' components (else EINVAL). */
#pragma once
#ifdef __cplusplus
extern "C" {
#endif
int Storage_OpenMutableFile(void);
int Storage_DeleteMutableFile(void);
int Storage_OpenFileInImagePackage(const char *relativePath);
char *Storage_GetAbsolutePathInImagePackage(const char *relativePath);
#ifdef __cplusplus
}
#endif
