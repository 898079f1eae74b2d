/*
 * dynlib.h - a shared library loaded when first needed (dlopen), its
 * functions looked up into a table of pointers.
 *
 * docent loads poppler-glib (ingest/extract_pdf.c) and libcurl
 * (engine/curl_lib.c) this way rather than linking them: with their own
 * dependencies they were two thirds of its shared libraries and 22 ms at
 * the start of every command, while most commands use neither. Libraries
 * are never unloaded.
 */
#ifndef DOCENT_CORE_DYNLIB_H
#define DOCENT_CORE_DYNLIB_H

#include <stddef.h>

/* A function to look up: its name, and where its pointer goes in the table. */
typedef struct dynlib_sym {
	const char *name;
	size_t off;
} dynlib_sym;

/* An entry for function `sym` stored in field `field` of struct type `type`. */
#define DYNLIB_SYM(type, field, sym) { #sym, offsetof(type, field) }

/*
 * Opens the library `soname` and stores each function of syms[0..n) into
 * `table`. dlsym searches the library's dependencies too. Returns 0, or
 * DOCENT_EUNSUPPORTED with a message that starts with `what` (what cannot
 * be done without it) and names the Debian `package` to install, or the
 * function a version lacks. `table` may be partly filled then.
 */
int dynlib_load(const char *soname, const char *what, const char *package,
		const dynlib_sym *syms, size_t n, void *table);

#endif
