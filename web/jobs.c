/*
 * web/jobs.c - upload jobs: files saved by POST /api/documents, ingested
 * one job after another by a worker thread with its own store connection,
 * their progress kept for GET /api/jobs/ID.
 */
#include "web/web_int.h"
#include "core/error.h"

#include <stdlib.h>

struct web_jobs {
	int unused;
};

int web_jobs_new(web_jobs **out, config *cfg, const char *db_path)
{
	(void)cfg;
	(void)db_path;
	*out = calloc(1, sizeof **out);
	return *out ? 0 : docent_error_set(DOCENT_ENOMEM, "out of memory");
}

void web_jobs_free(web_jobs *j)
{
	free(j);
}
