/*
 * clean.h - text cleaning with PCRE2 between extraction and chunking.
 *
 * A cleaner rewrites a doc into a new doc: words broken by a hyphen at a
 * line end are joined ("infor-\nmation" -> "information"), white space is
 * collapsed (paragraph line breaks become spaces; tables and preformatted
 * text keep their lines), page headers and footers that repeat on most pages
 * of a paged document are dropped (identical lines, or lines whose number
 * follows the page: "Page 3 of 9"; "Step 3" at the top of pages stays),
 * and redaction patterns replace matches before anything is stored.
 *
 * Ownership and threads: cleaner_new() compiles the patterns once; a
 * cleaner is read-only afterwards and may be shared by threads, each call
 * to cleaner_run() using its own match data.
 */
#ifndef DOCENT_INGEST_CLEAN_H
#define DOCENT_INGEST_CLEAN_H

#include <stddef.h>

#include "ingest/doc.h"

typedef struct clean_params {
	int dehyphenate;          /* default 1 */
	int collapse_whitespace;  /* default 1 */
	int drop_page_furniture;  /* default 1: repeated page headers and footers */
	/* Redaction: names of built-in patterns (see clean_builtin_pattern),
	 * or PCRE2 patterns (UTF mode) written "re:PATTERN". A name that is
	 * neither is an error listing the names: a misspelt "emails" must not
	 * become a regex that matches nothing. Borrowed; default none. */
	const char *const *redact;
	size_t nredact;
	const char *redact_replacement; /* default "[REDACTED]" */
} clean_params;

clean_params clean_default_params(void);

/* The built-in redaction pattern called `name` ("email", "apikey",
 * "ipv4", "card"), or NULL. */
const char *clean_builtin_pattern(const char *name);

/* The names of the built-in patterns, separated by spaces (static). */
const char *clean_builtin_names(void);

/* The prefix that marks a redaction entry as a PCRE2 pattern. */
#define CLEAN_REGEX_PREFIX "re:"

typedef struct cleaner cleaner;

/* Compiles the patterns. An unknown name, or a pattern that does not
 * compile, gives DOCENT_ECONFIG with a message naming it (and the valid
 * names, or the offset and why). */
int cleaner_new(cleaner **out, const clean_params *p);
void cleaner_free(cleaner *c);

/* Writes the cleaned form of `in` into `out` (initialised, empty).
 * The title is cleaned too (redaction applies to it). */
int cleaner_run(const cleaner *c, const doc *in, doc *out);

/* The redacted form of the string s (an error message that may quote a
 * document), in *out (malloc'd, caller frees). 0 or a DOCENT_E* code. */
int cleaner_redact(const cleaner *c, const char *s, char **out);

#endif
