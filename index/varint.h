/*
 * varint.h - unsigned LEB128 varints, 7 bits a byte, low bits first
 * (internal to index/): the token records of fts_tokens.c and the posting
 * cache's rowid gaps and term frequencies.
 */
#ifndef DOCENT_INDEX_VARINT_H
#define DOCENT_INDEX_VARINT_H

#include <stddef.h>
#include <stdint.h>

/* Writes v at p (at most 10 bytes); returns the bytes written. */
static inline size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	if (v < 0x80) { /* nearly always */
		*p = (unsigned char)v;
		return 1;
	}
	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* Reads a varint from [*p, end); 0 when it runs past end or overflows. */
static inline int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t r = 0;

	if (*p < end && **p < 0x80) { /* nearly always */
		*v = *(*p)++;
		return 1;
	}
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 1;
		}
	}
	return 0;
}

#endif
