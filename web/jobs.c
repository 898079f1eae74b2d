/*
 * web/jobs.c - upload jobs: the files saved by POST /api/documents are
 * ingested by one worker thread, a job after another (one writer at a
 * time, as the store prefers), through the same pipeline as `docent
 * ingest` (ingest_run), with its own store connection and the collection's
 * embedding model when it has one. Each job's progress is kept for GET
 * /api/jobs/ID; finished jobs are forgotten after the newest 100.
 */
#include "web/web_int.h"
#include "core/error.h"
#include "ingest/ingest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_DONE 100

typedef enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED } job_state;

typedef struct job_file {
	char *name;     /* as the user gave it */
	char *path;     /* absolute, as ingested */
	const char *status;
	char *error;
} job_file;

typedef struct job {
	int64_t id;
	char *collection;
	job_state state;
	char *error;
	job_file *files;
	size_t nfiles, done;
	uint64_t added, updated, unchanged, failed;
	struct job *next;
} job;

struct web_jobs {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t worker;
	int started;
	volatile int stop;
	config *cfg;
	char *db_path;
	ingest_params ip;   /* from the config, read once before serving */
	job *jobs;          /* newest first */
	int64_t next_id;
};

static void job_free(job *jb)
{
	for (size_t i = 0; i < jb->nfiles; i++) {
		free(jb->files[i].name);
		free(jb->files[i].path);
		free(jb->files[i].error);
	}
	free(jb->files);
	free(jb->collection);
	free(jb->error);
	free(jb);
}

static const char *state_name(job_state s)
{
	switch (s) {
	case JOB_QUEUED: return "queued";
	case JOB_RUNNING: return "running";
	case JOB_DONE: return "done";
	case JOB_FAILED: return "failed";
	}
	return "?";
}

typedef struct run_ctx {
	web_jobs *j;
	job *jb;
} run_ctx;

static void on_event(void *ctx, const ingest_event *e)
{
	run_ctx *rc = ctx;
	job *jb = rc->jb;
	const char *status;

	switch (e->kind) {
	case INGEST_ADDED: case INGEST_DUPLICATE: status = "added"; break;
	case INGEST_UPDATED: status = "updated"; break;
	case INGEST_UNCHANGED: status = "unchanged"; break;
	case INGEST_SKIPPED: case INGEST_FAILED: status = "failed"; break;
	default: return;
	}
	pthread_mutex_lock(&rc->j->lock);
	for (size_t i = 0; i < jb->nfiles; i++) {
		job_file *f = &jb->files[i];
		if (strcmp(f->path, e->path) != 0 || strcmp(f->status, "pending") != 0)
			continue;
		f->status = status;
		if (status[0] == 'f') {
			f->error = strdup(e->detail ? e->detail : "could not be ingested");
			jb->failed++;
		} else if (status[0] == 'a') {
			jb->added++;
		} else if (status[0] == 'u' && status[1] == 'p') {
			jb->updated++;
		} else {
			jb->unchanged++;
		}
		jb->done++;
		break;
	}
	pthread_mutex_unlock(&rc->j->lock);
}

/* Ingests one job's files; called on the worker without the lock. */
static int run_job(web_jobs *j, job *jb)
{
	store_params sp;
	ingest_params ip = j->ip;
	ingest_summary sum;
	store *st = NULL;
	embedder *emb = NULL;
	char *spec = NULL;
	const char **paths = NULL;
	run_ctx ctx = { j, jb };
	int64_t cid;
	int rc;

	config_store_params(j->cfg, &sp);
	sp.create = 0;
	if (sp.busy_timeout_ms < 15000)
		sp.busy_timeout_ms = 15000;
	if ((rc = store_open(&st, j->db_path, &sp)) != 0)
		goto done;
	/* the collection's own model, or the configured one (as docent ingest) */
	if (store_collection_id(st, jb->collection, 0, &cid) == 0)
		rc = config_search_model(j->cfg, st, jb->collection, &spec);
	else if (config_get(j->cfg, "engine.embed_model")[0])
		rc = config_model_path(j->cfg, config_get(j->cfg, "engine.embed_model"), &spec);
	if (rc)
		goto done;
	if (spec && (rc = config_embedder_open(j->cfg, spec, NULL, NULL, &emb)) != 0)
		goto done;
	if (emb) {
		ip.embedder = emb;
		ip.chunk.counter = embedder_token_counter(emb);
	}
	paths = calloc(jb->nfiles, sizeof *paths);
	if (!paths) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < jb->nfiles; i++)
		paths[i] = jb->files[i].path;
	ip.collection = jb->collection;
	ip.on_event = on_event;
	ip.on_progress = NULL;
	ip.ctx = &ctx;
	ip.cancel = &j->stop;
	rc = ingest_run(st, paths, jb->nfiles, &ip, &sum);
done:
	free(paths);
	free(spec);
	embedder_free(emb);
	store_close(st);
	return rc;
}

static void *worker(void *arg)
{
	web_jobs *j = arg;

	pthread_mutex_lock(&j->lock);
	while (!j->stop) {
		job *jb = NULL;
		/* the oldest queued job */
		for (job *p = j->jobs; p; p = p->next)
			if (p->state == JOB_QUEUED)
				jb = p;
		if (!jb) {
			pthread_cond_wait(&j->wake, &j->lock);
			continue;
		}
		jb->state = JOB_RUNNING;
		pthread_mutex_unlock(&j->lock);
		int rc = run_job(j, jb);
		const char *msg = rc ? docent_error_message() : NULL;
		pthread_mutex_lock(&j->lock);
		/* files the pipeline said nothing of (it stopped) failed */
		for (size_t i = 0; i < jb->nfiles; i++) {
			job_file *f = &jb->files[i];
			if (strcmp(f->status, "pending") != 0)
				continue;
			f->status = "failed";
			f->error = strdup(rc ? (rc == DOCENT_ECANCELLED ? "the server stopped" : msg)
					  : "not ingested");
			jb->failed++;
			jb->done++;
		}
		jb->state = rc ? JOB_FAILED : JOB_DONE;
		if (rc)
			jb->error = strdup(rc == DOCENT_ECANCELLED ? "the server stopped" : msg);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

int web_jobs_new(web_jobs **out, config *cfg, const char *db_path)
{
	web_jobs *j = calloc(1, sizeof *j);

	*out = NULL;
	if (!j || !(j->db_path = strdup(db_path))) {
		free(j);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->wake, NULL);
	j->cfg = cfg;
	j->next_id = 1;
	config_ingest_params(cfg, &j->ip);
	config_vindex_params(cfg, &j->ip.embed.vectors);
	if (pthread_create(&j->worker, NULL, worker, j) != 0) {
		web_jobs_free(j);
		return docent_error_set(DOCENT_ENOMEM, "cannot start the upload worker");
	}
	j->started = 1;
	*out = j;
	return 0;
}

void web_jobs_free(web_jobs *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->lock);
	j->stop = 1;
	pthread_cond_broadcast(&j->wake);
	pthread_mutex_unlock(&j->lock);
	if (j->started)
		pthread_join(j->worker, NULL);
	while (j->jobs) {
		job *n = j->jobs->next;
		job_free(j->jobs);
		j->jobs = n;
	}
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->wake);
	free(j->db_path);
	free(j);
}

/* Forgets finished jobs beyond the newest KEEP_DONE; under the lock. */
static void prune(web_jobs *j)
{
	int kept = 0;

	for (job **pp = &j->jobs; *pp;) {
		job *jb = *pp;
		if (jb->state == JOB_DONE || jb->state == JOB_FAILED) {
			if (++kept > KEEP_DONE) {
				*pp = jb->next;
				job_free(jb);
				continue;
			}
		}
		pp = &jb->next;
	}
}

int web_jobs_add(web_jobs *j, const char *collection, char **paths, char **names, size_t n,
		 int64_t *id)
{
	job *jb = calloc(1, sizeof *jb);

	if (!jb || !(jb->collection = strdup(collection)) ||
	    !(jb->files = calloc(n ? n : 1, sizeof *jb->files))) {
		if (jb)
			free(jb->collection);
		free(jb);
		for (size_t i = 0; i < n; i++) {
			free(paths[i]);
			free(names[i]);
		}
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		jb->files[i].path = paths[i];
		jb->files[i].name = names[i];
		jb->files[i].status = "pending";
	}
	jb->nfiles = n;
	pthread_mutex_lock(&j->lock);
	jb->id = j->next_id++;
	jb->next = j->jobs;
	j->jobs = jb;
	prune(j);
	*id = jb->id;
	pthread_cond_broadcast(&j->wake);
	pthread_mutex_unlock(&j->lock);
	return 0;
}

json_t *web_jobs_json(web_jobs *j, int64_t id)
{
	json_t *o = NULL;

	pthread_mutex_lock(&j->lock);
	for (job *jb = j->jobs; jb; jb = jb->next) {
		if (jb->id != id)
			continue;
		json_t *files = json_array();
		for (size_t i = 0; i < jb->nfiles; i++)
			json_array_append_new(files, json_pack("{s:s, s:s, s:s?}",
				"name", jb->files[i].name, "status", jb->files[i].status,
				"error", jb->files[i].error));
		o = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
			      "id", (json_int_t)jb->id, "collection", jb->collection,
			      "state", state_name(jb->state), "total", (json_int_t)jb->nfiles,
			      "done", (json_int_t)jb->done, "added", (json_int_t)jb->added,
			      "updated", (json_int_t)jb->updated,
			      "unchanged", (json_int_t)jb->unchanged,
			      "failed", (json_int_t)jb->failed, "files", files);
		if (o && jb->error)
			json_object_set_new(o, "error", json_string(jb->error));
		break;
	}
	pthread_mutex_unlock(&j->lock);
	return o;
}
