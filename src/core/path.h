/* SPDX-License-Identifier: MIT */
/*
 * path.h — pure, lexical path helpers (no file-system access). All results are malloc'd
 * strings owned by the caller, or NULL when out of memory.
 */
#ifndef OPENSPHERE_CORE_PATH_H
#define OPENSPHERE_CORE_PATH_H

/* Folder part: "a/b/c.json" → "a/b"; "c.json" → "."; "/c" → "/". */
char *path_dirname(const char *path);
/* Last component: "a/b/c.json" → "c.json". Points into `path`, not allocated. */
const char *path_basename(const char *path);
/* "dir" + "/" + "name"; `name` is returned as is (copied) when it is absolute. */
char *path_join(const char *dir, const char *name);
/* Lexically normalised: collapses "//", "." and "dir/.."; keeps leading ".." of relative paths. */
char *path_normalize(const char *path);
/* Relative path from folder `from_dir` to `to`; both absolute and normalised. */
char *path_relative(const char *from_dir, const char *to);

#endif
