/*
 * fuzz.h - what the fuzz targets share: the libFuzzer entry point, a check
 * that stops the run with a message (a broken invariant is a finding like
 * a crash), the invariants of an extracted doc, and a scratch file for the
 * parsers that read a path.
 *
 * Each fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput. Built with clang's
 * -fsanitize=fuzzer it is a libFuzzer target (`make fuzz`); linked with
 * fuzz/replay.c (gcc, no libFuzzer) it replays fuzz/corpus/NAME and
 * fuzz/regressions/NAME as a unit test of `make test`.
 */
#ifndef DOCENT_FUZZ_H
#define DOCENT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text.h"
#include "ingest/doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: abort() so that libFuzzer keeps the input and the
 * replay driver fails. */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* What doc.h promises of any doc, whatever the input was: blocks in order
 * inside the text, each followed by its blank line, the text valid UTF-8
 * without control characters other than '\n' and '\t'. */
static inline void fuzz_doc_check(const doc *d)
{
	size_t end = 0;

	FUZZ_CHECK(d->text.len == 0 || d->text.data);
	FUZZ_CHECK(text_utf8_valid(d->text.data ? d->text.data : "", d->text.len));
	for (size_t i = 0; i < d->text.len; i++) {
		unsigned char c = (unsigned char)d->text.data[i];
		FUZZ_CHECK(c >= 0x20 || c == '\n' || c == '\t');
	}
	for (size_t i = 0; i < d->nblocks; i++) {
		const doc_block *b = &d->blocks[i];
		FUZZ_CHECK(b->off >= end && b->len > 0);
		FUZZ_CHECK(b->off + b->len + 2 <= d->text.len);
		FUZZ_CHECK(memcmp(d->text.data + b->off + b->len, "\n\n", 2) == 0);
		FUZZ_CHECK(b->kind != DOC_HEADING || (b->level >= 1 && b->level <= 6));
		end = b->off + b->len + 2;
	}
	if (d->title)
		FUZZ_CHECK(text_utf8_valid(d->title, strlen(d->title)));
}

/*
 * A file in $TMPDIR (or /tmp) holding data[0..n), for parsers that take a
 * path; the same file is rewritten for every input and removed at exit.
 * Returns its path, or NULL when it cannot be written (then the input is
 * skipped: that is the machine's problem, not the parser's).
 */
static char fuzz_path[4096];

static inline void fuzz_file_remove(void)
{
	if (fuzz_path[0])
		unlink(fuzz_path);
}

static inline const char *fuzz_file(const char *suffix, const uint8_t *data, size_t n)
{
	if (!fuzz_path[0]) {
		const char *dir = getenv("TMPDIR");
		snprintf(fuzz_path, sizeof fuzz_path, "%s/docent-fuzz-%ld%s",
			 dir && dir[0] ? dir : "/tmp", (long)getpid(), suffix);
		atexit(fuzz_file_remove);
	}
	FILE *f = fopen(fuzz_path, "wb");
	if (!f)
		return NULL;
	size_t w = n ? fwrite(data, 1, n, f) : 0;
	if (fclose(f) != 0 || w != n)
		return NULL;
	return fuzz_path;
}

#endif
