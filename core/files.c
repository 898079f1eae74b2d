/*
 * files.c - file-system helpers (files.h).
 */
#include "core/files.h"
#include "core/error.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int files_mkdirs(const char *path, mode_t mode)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof buf)
		return docent_error_set(DOCENT_EINVAL, "path too long: %s", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char save = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return docent_error_set(docent_error_from_errno(errno), "cannot create the "
						"folder %s: %s", buf, strerror(errno));
		buf[i] = save;
	}
	return 0;
}
