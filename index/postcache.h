/*
 * postcache.h - decoded postings kept between searches (internal to index/).
 *
 * Walking a term's postings through FTS5 costs 60-90 ns a posting, and a
 * long query over 100k chunks touches hundreds of thousands of them; the
 * same common terms come back query after query. A store handle keeps the
 * postings it walked, keyed by term, as varints: the gap from the previous
 * rowid and the packed term frequency (search.c), about 2.2 bytes a
 * posting where a common word's gaps are small, up to a byte budget.
 * Reading them back is a few instructions a posting; a walk through FTS5,
 * with position lists, costs 60-90 ns.
 *
 * The cache holds one version of the database: search.c clears it when
 * PRAGMA data_version moves, the store when its own commit or rollback
 * changes the index. Entries are added during a ranking and dropped only
 * between rankings (post_cache_trim), so pointers taken during one ranking
 * stay valid until it ends. Over budget, the least used entries go first,
 * with uses halved now and then so that old habits fade: a workload that
 * cycles through more terms than fit keeps the ones most queries share.
 */
#ifndef DOCENT_INDEX_POSTCACHE_H
#define DOCENT_INDEX_POSTCACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct post_entry {
	char *key;
	unsigned char *data;   /* n pairs of varints: rowid gap, term frequency */
	size_t len, n;
	int64_t last;          /* the last (largest) rowid; 0 when none */
	size_t bytes;          /* counted against the budget */
	unsigned uses;
	struct post_entry *hnext;
} post_entry;

typedef struct post_cache {
	post_entry **tab;
	size_t ntab, count;
	size_t bytes, max_bytes;
	unsigned gets;         /* since uses were last halved */
	/* chunks and words in the index, as the walk that filled it saw them */
	int64_t nrow, ntokens;
	int stats_known;
} post_cache;

/* The entry for key, its use counted; NULL when absent. */
post_entry *post_cache_get(post_cache *c, const char *key);

/* Keeps n postings (rowids ascending, from 0; term frequencies) under key,
 * replacing an entry of that key; *out the entry. 1 (and *out NULL) when
 * they alone exceed the budget, 0, or -1 when out of memory. Never drops
 * another entry: see post_cache_trim. */
int post_cache_put(post_cache *c, const char *key, const int64_t *rowid, const uint16_t *tf,
		   size_t n, post_entry **out);

/* The next posting of an entry, from p (e->data first): *rowid (0 before
 * the first) moves on by its gap, *tf is its term frequency. */
static inline const unsigned char *post_next(const unsigned char *p, int64_t *rowid,
					     uint16_t *tf)
{
	uint64_t v = 0;
	int shift = 0;

	/* written by post_cache_put: no bounds to check; most postings are
	 * a byte of gap and a byte of frequency */
	if (!((p[0] | p[1]) & 0x80)) {
		*rowid += p[0];
		*tf = p[1];
		return p + 2;
	}
	do
		v |= (uint64_t)(*p & 0x7f) << shift, shift += 7;
	while (*p++ & 0x80);
	*rowid += (int64_t)v;
	v = 0;
	shift = 0;
	do
		v |= (uint64_t)(*p & 0x7f) << shift, shift += 7;
	while (*p++ & 0x80);
	*tf = (uint16_t)v;
	return p;
}

/* Drops the least used entries until the budget holds. */
void post_cache_trim(post_cache *c);

/* Drops every entry (the budget stays). */
void post_cache_clear(post_cache *c);

#endif
