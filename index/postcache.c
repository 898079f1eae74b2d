/*
 * postcache.c - the posting cache of a store handle (postcache.h): a
 * chained hash table of entries, each with a count of its uses.
 */
#include "index/postcache.h"

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
	free(e->rowid);
	free(e->factor);
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

int post_cache_put(post_cache *c, const char *key, size_t n, post_entry **out)
{
	size_t bytes = n * (sizeof(uint32_t) + sizeof(float)) + strlen(key) + ENTRY_OVERHEAD;
	post_entry *e, *old;

	*out = NULL;
	if (bytes > c->max_bytes)
		return 1;
	if (grow(c) || !(e = calloc(1, sizeof *e)))
		return -1;
	e->key = strdup(key);
	e->rowid = malloc((n ? n : 1) * sizeof *e->rowid);
	e->factor = malloc((n ? n : 1) * sizeof *e->factor);
	if (!e->key || !e->rowid || !e->factor) {
		entry_free(e);
		return -1;
	}
	e->n = n;
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
