/*
 * sentence.h - sentence boundaries with PCRE2.
 *
 * A boundary is end punctuation (. ! ? and their closing quotes or
 * brackets) followed by white space and a plausible sentence start. It is
 * not a boundary after common abbreviations ("e.g.", "Dr.", "Fig.", "No."),
 * initials ("J. Smith"), inside numbers ("3.14", "v1.2.3") or URLs and e-mail
 * addresses, or after an ellipsis followed by a lower-case word. A line
 * break followed by a blank line, a list marker or a bullet is also a
 * boundary.
 *
 * Thread-safe: the compiled patterns are shared, read-only after the first
 * call (initialised once with pthread_once).
 */
#ifndef DOCENT_INGEST_SENTENCE_H
#define DOCENT_INGEST_SENTENCE_H

#include <stddef.h>

/*
 * Splits s[0..n) into sentences. On success *ends is an array of *count
 * byte offsets, each the end of a sentence (exclusive, trailing white space
 * not included in the sentence), the last one at the end of the text's
 * non-space content. The caller frees *ends with free().
 * Returns 0, DOCENT_ENOMEM, or DOCENT_EINVAL when the patterns fail.
 */
int sentence_split(const char *s, size_t n, size_t **ends, size_t *count);

#endif
