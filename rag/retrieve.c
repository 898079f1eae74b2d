/*
 * retrieve.c - retrieval entry point (see retrieve.h). Checks that a named
 * collection exists, so that a typo gets a clear error instead of silently
 * returning nothing, then ranks with BM25.
 */
#include "rag/retrieve.h"
#include "core/error.h"

int retrieve_search(store *s, const char *query, const store_search_params *p,
		    store_hit **out, size_t *n)
{
	int64_t id;
	int rc;

	*out = NULL;
	*n = 0;
	if (p->collection) {
		rc = store_collection_id(s, p->collection, 0, &id);
		if (rc)
			return rc;
	}
	return store_search(s, query, p, out, n);
}
