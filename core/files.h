/*
 * files.h - small file-system helpers shared by the libraries and the
 * faces. Thread-safe.
 */
#ifndef DOCENT_CORE_FILES_H
#define DOCENT_CORE_FILES_H

#include <sys/types.h>

/* Creates the folder `path` and its missing parents (like mkdir -p), new
 * ones with `mode`; an existing folder is fine. Returns 0, or a DOCENT_E*
 * code with a message naming the folder that could not be made and why. */
int files_mkdirs(const char *path, mode_t mode);

#endif
