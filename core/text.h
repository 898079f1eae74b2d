/*
 * text.h - UTF-8 handling shared by every module: decoding a file's bytes
 * into text, normalisation (valid UTF-8, NFC, no control characters), and
 * the word scanner that the token counter and keyword statistics use.
 *
 * Invariant kept across docent: text handed from ingest/ to index/ is valid
 * UTF-8 in NFC with no C0 control characters other than '\n' and '\t'.
 * text_normalize() is the one place that establishes it. Functions that take
 * a dbuf append to it. All functions are thread-safe.
 */
#ifndef DOCENT_CORE_TEXT_H
#define DOCENT_CORE_TEXT_H

#include <stddef.h>

#include "core/buf.h"

/*
 * Decodes the bytes of a text file: a UTF-8, UTF-16LE or UTF-16BE byte-order
 * mark decides the encoding and is stripped; otherwise valid UTF-8 stays
 * UTF-8 and anything else is read as Windows-1252 (a superset of Latin-1 for
 * printable text). The result is normalised (see text_normalize) and appended
 * to `out`. `*encoding` (may be NULL) receives a static name such as "utf-8".
 * Returns DOCENT_EUNSUPPORTED, with a message, when the bytes look binary.
 */
int text_decode(const char *in, size_t n, dbuf *out, const char **encoding);

/* Non-zero when the bytes look like a binary file: NUL bytes without a
 * UTF-16 byte-order mark, or many control characters in the first 8 KiB. */
int text_looks_binary(const char *in, size_t n);

/* "UTF-16LE" or "UTF-16BE" when the bytes look like UTF-16 text without a
 * byte-order mark (in the first 8 KiB, most characters have a NUL in the
 * same half: Latin script), else NULL. Such files are binary to
 * text_decode, which then names the encoding in its message. */
const char *text_utf16_unmarked(const char *in, size_t n);

/* Non-zero when s[0..n) is valid UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int text_utf8_valid(const char *s, size_t n);

/*
 * Appends s[0..n) to `out` as clean text: invalid UTF-8 bytes become U+FFFD,
 * "\r\n" and lone '\r' become '\n', other C0/C1 controls, U+FEFF and soft
 * hyphens are dropped ('\t' and '\n' stay), and the result is put in NFC.
 */
int text_normalize(const char *s, size_t n, dbuf *out);

/* The largest UTF-8 character boundary <= pos in s[0..n). */
size_t text_utf8_floor(const char *s, size_t n, size_t pos);

/* The length of the longest prefix of s[0..n) that does not end inside a
 * UTF-8 character (for text that arrives in pieces: the rest waits for the
 * next piece). */
size_t text_utf8_whole(const char *s, size_t n);

/* Decodes one code point at s[*pos], advancing *pos; invalid bytes yield
 * U+FFFD and advance by one. Requires *pos < n. */
unsigned text_utf8_next(const char *s, size_t n, size_t *pos);

/* Non-zero for code points that are part of words: letters, digits, marks. */
int text_is_word_char(unsigned cp);

/*
 * Finds the next word (a run of word characters) at or after `pos`. Returns
 * non-zero and sets *start and *end (byte offsets) when one is found, 0 at
 * the end of the text.
 */
int text_next_word(const char *s, size_t n, size_t pos, size_t *start, size_t *end);

/* The number of words in s[0..n); roughly what SQLite's unicode61 counts. */
size_t text_count_words(const char *s, size_t n);

/* Appends the lower-cased (case-folded) form of s[0..n). */
int text_casefold(const char *s, size_t n, dbuf *out);

#endif
