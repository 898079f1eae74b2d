/*
 * postcache.h - decoded postings kept between searches (internal to index/).
 *
 * Walking a term's postings through FTS5 costs 60-90 ns a posting, and a
 * long query over 100k chunks touches hundreds of thousands of them; the
 * same common terms come back query after query. A store handle keeps the
 * postings it walked, keyed by term: the rowids in ascending order and,
 * for each, the posting's BM25 factor under one set of parameters (see
 * search.c), so that a later search adds w * factor per posting and reads
 * nothing else. 8 bytes a posting, up to a byte budget.
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
	uint32_t *rowid;       /* ascending */
	float *factor;         /* each posting's BM25 factor */
	size_t n;
	size_t bytes;
	double params[4];      /* the parameters of the factors (search.c) */
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

/* A new entry under key with room for n postings, which the caller fills
 * (replacing an entry of that key); *out the entry. 1 (and *out NULL)
 * when they alone exceed the budget, 0, or -1 when out of memory. Never
 * drops another entry: see post_cache_trim. */
int post_cache_put(post_cache *c, const char *key, size_t n, post_entry **out);

/* Drops the least used entries until the budget holds. */
void post_cache_trim(post_cache *c);

/* Drops every entry (the budget stays). */
void post_cache_clear(post_cache *c);

#endif
