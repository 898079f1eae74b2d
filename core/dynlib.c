/*
 * dynlib.c - shared libraries loaded on first use (see dynlib.h).
 */
#include "core/dynlib.h"
#include "core/error.h"

#include <dlfcn.h>
#include <string.h>

int dynlib_load(const char *soname, const char *what, const char *package,
		const dynlib_sym *syms, size_t n, void *table)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return docent_error_set(DOCENT_EUNSUPPORTED,
					"%s: the %s library is missing (%s); install it "
					"(Debian: apt-get install %s)", what, soname, dlerror(),
					package);
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f)
			return docent_error_set(DOCENT_EUNSUPPORTED,
						"%s: %s has no %s (an unexpected version; "
						"install the one of your distribution: %s)",
						what, soname, syms[i].name, package);
		/* a data pointer into a function pointer, as POSIX allows */
		memcpy((char *)table + syms[i].off, &f, sizeof f);
	}
	return 0;
}
