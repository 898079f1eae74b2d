/*
 * postcache.c - the posting cache of a store handle (postcache.h): a
 * chained hash table of entries, each with a count of its uses.
 */
#include "index/postcache.h"
#include "index/varint.h"

#include <stdlib.h>
#include <string.h>

/* the fixed cost counted for an entry, besides its postings */
#define ENTRY_OVERHEAD 96
/* uses are halved after this many lookups */
#define AGE_EVERY 4096

static size_t hash(const char *key)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ull;
	return (size_t)h;
}

static void entry_free(post_entry *e)
{
	free(e->key);
	free(e->data);
	free(e);
}

/* Takes e out of the table and frees it. */
static void drop(post_cache *c, post_entry *e)
{
	post_entry **p = &c->tab[hash(e->key) & (c->ntab - 1)];

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	c->bytes -= e->bytes;
	c->count--;
	entry_free(e);
}

static post_entry *find(const post_cache *c, const char *key)
{
	if (!c->ntab)
		return NULL;
	for (post_entry *e = c->tab[hash(key) & (c->ntab - 1)]; e; e = e->hnext)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

post_entry *post_cache_get(post_cache *c, const char *key)
{
	post_entry *e = find(c, key);

	if (++c->gets == AGE_EVERY) {
		c->gets = 0;
		for (size_t i = 0; i < c->ntab; i++)
			for (post_entry *x = c->tab[i]; x; x = x->hnext)
				x->uses /= 2;
	}
	if (e)
		e->uses++;
	return e;
}

/* Doubles the table when it holds more entries than buckets. */
static int grow(post_cache *c)
{
	size_t n = c->ntab ? 2 * c->ntab : 256;
	post_entry **t;

	if (c->count < c->ntab)
		return 0;
	if (!(t = calloc(n, sizeof *t)))
		return -1;
	for (size_t i = 0; i < c->ntab; i++)
		for (post_entry *e = c->tab[i], *next; e; e = next) {
			next = e->hnext;
			size_t h = hash(e->key) & (n - 1);
			e->hnext = t[h];
			t[h] = e;
		}
	free(c->tab);
	c->tab = t;
	c->ntab = n;
	return 0;
}

int post_cache_put(post_cache *c, const char *key, const int64_t *rowid, const uint16_t *tf,
		   size_t n, post_entry **out)
{
	post_entry *e, *old;
	unsigned char *d;
	size_t len = 0;
	int64_t prev = 0;

	*out = NULL;
	/* at most 10 bytes for a gap and 3 for a frequency */
	if (c->max_bytes <= ENTRY_OVERHEAD || n > (c->max_bytes - ENTRY_OVERHEAD) / 2)
		return 1;
	if (!(d = malloc(n * 13 + 1)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		len += put_varint(d + len, (uint64_t)(rowid[i] - prev));
		len += put_varint(d + len, tf[i]);
		prev = rowid[i];
	}
	size_t bytes = len + strlen(key) + ENTRY_OVERHEAD;
	if (bytes > c->max_bytes) {
		free(d);
		return 1;
	}
	if (grow(c) || !(e = calloc(1, sizeof *e))) {
		free(d);
		return -1;
	}
	e->data = realloc(d, len ? len : 1);
	if (!e->data)
		e->data = d; /* shrinking failed: keep the larger block */
	if (!(e->key = strdup(key))) {
		entry_free(e);
		return -1;
	}
	e->len = len;
	e->n = n;
	e->last = prev;
	e->bytes = bytes;
	e->uses = 1;
	if ((old = find(c, key)) != NULL)
		drop(c, old);
	size_t h = hash(key) & (c->ntab - 1);
	e->hnext = c->tab[h];
	c->tab[h] = e;
	c->bytes += bytes;
	c->count++;
	*out = e;
	return 0;
}

void post_cache_trim(post_cache *c)
{
	/* each round drops the entries with the fewest uses */
	while (c->bytes > c->max_bytes && c->count) {
		unsigned least = ~0u;
		for (size_t i = 0; i < c->ntab; i++)
			for (post_entry *e = c->tab[i]; e; e = e->hnext)
				if (e->uses < least)
					least = e->uses;
		for (size_t i = 0; i < c->ntab && c->bytes > c->max_bytes; i++)
			for (post_entry *e = c->tab[i], *next; e && c->bytes > c->max_bytes; e = next) {
				next = e->hnext;
				if (e->uses == least)
					drop(c, e);
			}
	}
}

void post_cache_clear(post_cache *c)
{
	for (size_t i = 0; i < c->ntab; i++)
		for (post_entry *e = c->tab[i], *next; e; e = next) {
			next = e->hnext;
			entry_free(e);
		}
	free(c->tab);
	c->tab = NULL;
	c->ntab = 0;
	c->count = 0;
	c->bytes = 0;
	c->stats_known = 0;
}
