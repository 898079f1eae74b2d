/*
 * text.c - decoding, UTF-8 validation and repair, NFC normalisation (through
 * utf8proc) and the word scanner. ASCII-only text skips NFC entirely: it is
 * already normalised, and most ingested text is mostly ASCII.
 */
#include "core/text.h"
#include "core/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define REPLACEMENT 0xFFFDu

/* Windows-1252 bytes 0x80..0x9F; 0 marks the five undefined bytes. */
static const unsigned short cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static int put_cp(dbuf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp; n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F)); n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
	}
	return dbuf_append(b, u, n);
}

/* Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t i, unsigned *cp)
{
	unsigned c = s[i];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		if (i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
			*cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
			return 2;
		}
		return 0;
	}
	if (c >= 0xE0 && c <= 0xEF) {
		if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F))
			return 0; /* overlong, or a UTF-16 surrogate */
		*cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3F);
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
		    (s[i + 3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F))
			return 0;
		*cp = ((c & 0x07) << 18) | ((s[i + 1] & 0x3Fu) << 12) |
		      ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3F);
		return 4;
	}
	return 0;
}

int text_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp;

	for (size_t i = 0; i < n;) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_seq(u, n, i, &cp);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

size_t text_utf8_whole(const char *s, size_t n)
{
	size_t i = n, back = 0;

	while (i > 0 && back < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--, back++;
	if (i == 0)
		return n;
	unsigned char c = (unsigned char)s[i - 1];
	size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return n - (i - 1) >= need ? n : i - 1;
}

unsigned text_utf8_next(const char *s, size_t n, size_t *pos)
{
	unsigned cp;
	size_t k = utf8_seq((const unsigned char *)s, n, *pos, &cp);

	if (!k) {
		(*pos)++;
		return REPLACEMENT;
	}
	*pos += k;
	return cp;
}

size_t text_utf8_floor(const char *s, size_t n, size_t pos)
{
	if (pos >= n)
		return n;
	while (pos > 0 && ((unsigned char)s[pos] & 0xC0) == 0x80)
		pos--;
	return pos;
}

int text_looks_binary(const char *in, size_t n)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t m = n < 8192 ? n : 8192, controls = 0;

	if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
		return 0;
	for (size_t i = 0; i < m; i++) {
		if (u[i] == 0)
			return 1;
		if (u[i] < 0x20 && u[i] != '\n' && u[i] != '\r' && u[i] != '\t' &&
		    u[i] != '\f' && u[i] != 0x1B)
			controls++;
	}
	return m > 0 && controls * 20 > m; /* more than 5% control bytes */
}

const char *text_utf16_unmarked(const char *in, size_t n)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t m = (n < 8192 ? n : 8192) & ~(size_t)1, pairs = m / 2, le = 0, be = 0;

	if (pairs < 2)
		return NULL;
	for (size_t i = 0; i < m; i += 2) {
		le += u[i] != 0 && u[i + 1] == 0;
		be += u[i] == 0 && u[i + 1] != 0;
	}
	/* 70 % of the characters one way, hardly any the other */
	if (le * 10 >= pairs * 7 && be * 20 < pairs)
		return "UTF-16LE";
	if (be * 10 >= pairs * 7 && le * 20 < pairs)
		return "UTF-16BE";
	return NULL;
}

/* Is every byte ASCII? Then the text is already NFC. */
static int all_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Appends s cleaned of invalid bytes and controls, not yet in NFC. Sets
 * *may_compose when a code point >= U+0300 was seen: every character below
 * that (ASCII, Latin-1, Latin Extended A and B) is already in NFC and never
 * combines, so text without any needs no normalisation pass. */
static int clean_append(const char *s, size_t n, dbuf *out, int *may_compose)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	if (dbuf_reserve(out, n))
		return DOCENT_ENOMEM;
	while (i < n) {
		size_t run = i;
		/* copy runs of printable ASCII in one go */
		while (run < n && u[run] >= 0x20 && u[run] < 0x7F)
			run++;
		if (run > i) {
			if (dbuf_append(out, s + i, run - i))
				return DOCENT_ENOMEM;
			i = run;
			continue;
		}
		unsigned cp;
		size_t k = utf8_seq(u, n, i, &cp);
		if (!k) {
			cp = REPLACEMENT;
			k = 1;
		}
		i += k;
		if (cp == '\r') {
			if (i < n && u[i] == '\n')
				i++;
			cp = '\n';
		}
		if ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7F ||
		    (cp >= 0x80 && cp < 0xA0) || cp == 0xFEFF || cp == 0xAD)
			continue;
		if (cp >= 0x300)
			*may_compose = 1;
		if (put_cp(out, cp))
			return DOCENT_ENOMEM;
	}
	return 0;
}

/* Bytes of text composed to NFC at a time (see text_normalize). */
#define NFC_PIECE (1u << 20)

int text_normalize(const char *s, size_t n, dbuf *out)
{
	dbuf tmp = DBUF_INIT;
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t len;
	int rc, may_compose = 0;

	if (all_ascii(s, n))
		return clean_append(s, n, out, &may_compose);
	rc = clean_append(s, n, &tmp, &may_compose);
	if (rc == 0 && !may_compose && out->len == 0) {
		/* nothing to compose: the cleaned text is the result */
		dbuf_free(out);
		*out = tmp;
		tmp = (dbuf)DBUF_INIT;
	} else if (rc == 0 && !may_compose) {
		rc = dbuf_append(out, tmp.data, tmp.len);
	}
	/* utf8proc_map works on four bytes per character: composed a piece
	 * at a time, so that a large text costs a piece, not four times its
	 * size. A piece ends before an ASCII byte, a starter that nothing
	 * before it composes with, so the pieces compose as the whole would. */
	for (size_t at = 0; rc == 0 && may_compose && at < tmp.len;) {
		size_t end = tmp.len - at <= NFC_PIECE ? tmp.len : at + NFC_PIECE;
		while (end < tmp.len && end > at && (unsigned char)tmp.data[end] >= 0x80)
			end--;
		if (end == at) { /* no ASCII in the piece: look further on */
			end = at + NFC_PIECE;
			while (end < tmp.len && (unsigned char)tmp.data[end] >= 0x80)
				end++;
		}
		len = utf8proc_map((const utf8proc_uint8_t *)tmp.data + at,
				   (utf8proc_ssize_t)(end - at), &nfc,
				   UTF8PROC_STABLE | UTF8PROC_COMPOSE);
		if (len < 0) /* already valid: keep as is */
			rc = dbuf_append(out, tmp.data + at, end - at);
		else
			rc = dbuf_append(out, nfc, (size_t)len);
		free(nfc);
		nfc = NULL;
		at = end;
	}
	dbuf_free(&tmp);
	return rc ? docent_error_set(DOCENT_ENOMEM, "out of memory normalising text") : 0;
}

static int decode_utf16(const unsigned char *u, size_t n, int big_endian, dbuf *raw)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		unsigned cp = big_endian ? (u[i] << 8) | u[i + 1] : u[i] | (u[i + 1] << 8);
		if (cp >= 0xD800 && cp <= 0xDBFF && i + 3 < n) {
			unsigned lo = big_endian ? (u[i + 2] << 8) | u[i + 3] : u[i + 2] | (u[i + 3] << 8);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			} else {
				cp = REPLACEMENT;
			}
		} else if (cp >= 0xD800 && cp <= 0xDFFF) {
			cp = REPLACEMENT;
		}
		if (put_cp(raw, cp))
			return DOCENT_ENOMEM;
	}
	return 0;
}

/*
 * Valid UTF-8, or UTF-8 with a few damaged bytes (at most one bad byte per
 * 20 good multi-byte characters): such a file is UTF-8 with corruption, and
 * reading it as Windows-1252 would garble every good character ("Ã©").
 */
static int mostly_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t good = 0, bad = 0;
	unsigned cp;

	for (size_t i = 0; i < n;) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_seq(u, n, i, &cp);
		if (k) {
			good++;
			i += k;
		} else {
			bad++;
			i++;
		}
	}
	return bad == 0 || good >= 20 * bad;
}

int text_decode(const char *in, size_t n, dbuf *out, const char **encoding)
{
	const unsigned char *u = (const unsigned char *)in;
	dbuf raw = DBUF_INIT;
	const char *enc;
	int rc = 0;

	if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		enc = "utf-8";
		in += 3;
		n -= 3;
	} else if (n >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
		enc = "utf-16le";
		rc = decode_utf16(u + 2, n - 2, 0, &raw);
	} else if (n >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
		enc = "utf-16be";
		rc = decode_utf16(u + 2, n - 2, 1, &raw);
	} else if (text_looks_binary(in, n)) {
		const char *u16 = text_utf16_unmarked(in, n);
		if (u16)
			return docent_error_set(DOCENT_EUNSUPPORTED,
				"%s text without a byte-order mark, which docent does not guess: "
				"convert it to UTF-8 (iconv -f %s -t UTF-8) or save it with a "
				"byte-order mark", u16, u16);
		return docent_error_set(DOCENT_EUNSUPPORTED,
					"binary content (NUL or control bytes), not text");
	} else if (mostly_utf8(in, n)) {
		enc = "utf-8"; /* text_normalize replaces the few bad bytes */
	} else {
		enc = "windows-1252";
		for (size_t i = 0; i < n && rc == 0; i++) {
			unsigned c = u[i];
			if (c >= 0x80 && c < 0xA0)
				c = cp1252_high[c - 0x80] ? cp1252_high[c - 0x80] : REPLACEMENT;
			rc = put_cp(&raw, c);
		}
	}
	if (encoding)
		*encoding = enc;
	if (rc == 0)
		rc = raw.data ? text_normalize(raw.data, raw.len, out) : text_normalize(in, n, out);
	dbuf_free(&raw);
	return rc ? docent_error_set(DOCENT_ENOMEM, "out of memory decoding text") : 0;
}

int text_is_word_char(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
	case UTF8PROC_CATEGORY_CO:
		return 1;
	default:
		return 0;
	}
}

int text_next_word(const char *s, size_t n, size_t pos, size_t *start, size_t *end)
{
	size_t i = pos, prev;

	while (i < n) {
		prev = i;
		if ((unsigned char)s[i] < 0x80) {
			if (text_is_word_char((unsigned char)s[i]))
				break;
			i++;
			continue;
		}
		if (text_is_word_char(text_utf8_next(s, n, &i))) {
			i = prev;
			break;
		}
	}
	if (i >= n)
		return 0;
	*start = i;
	while (i < n) {
		prev = i;
		if ((unsigned char)s[i] < 0x80) {
			if (!text_is_word_char((unsigned char)s[i]))
				break;
			i++;
			continue;
		}
		if (!text_is_word_char(text_utf8_next(s, n, &i))) {
			i = prev;
			break;
		}
	}
	*end = i;
	return 1;
}

/* text_next_word's words, counted in one pass with ASCII tested inline:
 * it runs over every chunk of every ingest, and a call per character was
 * a tenth of the ingest workers' time. */
size_t text_count_words(const char *s, size_t n)
{
	size_t i = 0, count = 0;
	int in_word = 0, w;

	while (i < n) {
		unsigned c = (unsigned char)s[i];
		if (c < 0x80) {
			w = (c - '0') < 10u || ((c | 0x20) - 'a') < 26u;
			i++;
		} else {
			w = text_is_word_char(text_utf8_next(s, n, &i));
		}
		count += w && !in_word;
		in_word = w;
	}
	return count;
}

int text_casefold(const char *s, size_t n, dbuf *out)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if (dbuf_putc(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c)))
				return DOCENT_ENOMEM;
			i++;
			continue;
		}
		unsigned cp = text_utf8_next(s, n, &i);
		if (put_cp(out, (unsigned)utf8proc_tolower((utf8proc_int32_t)cp)))
			return DOCENT_ENOMEM;
	}
	return 0;
}
