/*
 * ingest.c - the ingestion pipeline (see ingest.h).
 *
 * Three phases. (1) Walk: collect the files to consider, reporting skips.
 * (2) Check: for each file ask the store what it knows of the path; when
 * size and mtime match a good earlier ingest the file is unchanged and is
 * not even read. (3) Process: worker threads read, hash, extract, clean and
 * chunk the remaining files, and tokenize the chunks for the keyword index
 * (index/fts_tokens.h); the calling thread writes each finished document to
 * the store, in batches, and reports it. A worker that finds the same hash
 * as the path's earlier content stops there (the mtime changed, the bytes
 * did not). The writing thread is the bottleneck: workers run at a lower
 * priority, so that they use what CPU it leaves, and only a bounded amount
 * ahead of it, whatever the corpus size.
 */
#include "ingest/ingest.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/text.h"
#include "index/fts_tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/*
 * Workers run ahead of the writing thread by at most this much, so that
 * they keep busy while it indexes (FTS5 works in bursts of a few MB) and
 * memory stays bounded whatever the corpus size. A file counts its size
 * when taken, and the tokens of its chunks once made. A single file larger
 * than the byte cap is still taken, alone.
 */
#define MAX_INFLIGHT_JOBS 256
#define MAX_INFLIGHT_BYTES (32u << 20)

/*
 * Worker threads run this much nicer than the writing thread. Ingestion
 * has a thread per core plus the writer, and the writer is the bottleneck:
 * at equal priority the scheduler gave it two thirds of a core, and the
 * workers then stalled on the in-flight cap. With it first, a 200 MB
 * ingest took 5-20 % less time; nice 10 rather than 5 gave the writer
 * 85-90 % of a core instead of 78 % and took another 5 % off (nice 19 did
 * no better). (Linux: the nice value is per thread.)
 */
#define WORKER_NICE 10

/* Documents with more text than this are not tokenized on the worker
 * (see tokenize()): their tokens would cost more memory than the speed-up
 * is worth, a large file being taken alone anyway. */
#define TOKENIZE_MAX (16u << 20)

typedef struct job {
	char *path;
	int64_t size;
	int64_t mtime_ns;
	char known_hash[HASH_HEX_LEN + 1]; /* the path's stored content, "" if none */
	/* results, written by a worker */
	int rc;
	int unchanged;          /* same bytes as known_hash */
	int skipped;            /* not a document (unknown binary, empty): rc says why */
	int failed_before;      /* failed on an earlier run, unchanged since */
	char *error;            /* message when rc != 0 */
	char hash[HASH_HEX_LEN + 1];
	const char *format;
	doc doc;                /* cleaned document */
	chunk_list chunks;
	dbuf tokens;            /* its chunks' tokens (fts_tokens.h), or empty */
	int64_t bytes_read;
	uint64_t taken_bytes;   /* what the in-flight cap counted for it */
} job;

typedef struct pipeline {
	const ingest_params *p;
	const cleaner *clean;
	job *jobs;
	size_t njobs, capjobs;
	/* work distribution */
	pthread_mutex_t mu;
	pthread_cond_t cv_work;   /* a worker may take a job */
	pthread_cond_t cv_done;   /* a job finished */
	size_t next;              /* next job index to take */
	uint64_t inflight_bytes;  /* bytes of files taken but not yet written */
	size_t inflight_jobs;
	size_t *done;             /* indexes of finished jobs, in finishing order */
	size_t ndone, consumed;
	int stop;
	fts_tokenizer **tok;      /* one per worker thread; NULL ones: none */
	unsigned nstarted;        /* worker threads that took theirs */
	/* walk-phase report, replayed as events */
	ingest_summary *sum;
	uint64_t bytes_total;
} pipeline;

ingest_params ingest_default_params(void)
{
	return (ingest_params){
		.collection = "default",
		.walk = walk_default_params(),
		.extract = extract_default_params(),
		.clean = clean_default_params(),
		.chunk = chunk_default_params(),
		.commit_seconds = 1.0,
		.embed = embed_default_params(),
	};
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void emit(const ingest_params *p, ingest_event_kind kind, const char *path,
		 const char *detail, const char *format, size_t nchunks, int code)
{
	ingest_event e = { kind, path, detail, format, nchunks, code };
	if (p->on_event)
		p->on_event(p->ctx, &e);
}

/*
 * What the open batch of writes did to each document, reported (events and
 * summary counts) only once the batch is committed: a document reported
 * added is in the database. When the commit fails (a full disk), the
 * documents it would have added or replaced are reported failed instead.
 */
typedef struct pending {
	ingest_event_kind kind;
	char *path, *detail;
	const char *format;     /* static: the extractor's name */
	size_t nchunks;
	size_t kept;            /* of them, stored chunks kept (--force) */
	int code;
} pending;

typedef struct batch_log {
	pending *v;
	size_t n, cap;
} batch_log;

static int note(batch_log *log, ingest_event_kind kind, const char *path, const char *detail,
		const char *format, size_t nchunks, int code)
{
	if (log->n == log->cap) {
		size_t cap = log->cap ? 2 * log->cap : 256;
		pending *v = realloc(log->v, cap * sizeof *v);
		if (!v)
			return docent_error_set(DOCENT_ENOMEM, "out of memory writing %s", path);
		log->v = v;
		log->cap = cap;
	}
	pending *e = &log->v[log->n];
	*e = (pending){ kind, strdup(path), detail ? strdup(detail) : NULL, format, nchunks, 0,
			code };
	if (!e->path || (detail && !e->detail)) {
		free(e->path);
		free(e->detail);
		return docent_error_set(DOCENT_ENOMEM, "out of memory writing %s", path);
	}
	log->n++;
	return 0;
}

/* Reports the batch's documents; `lost` (0: none) is the error that kept
 * the batch from the database, with its message. */
static void report_batch(batch_log *log, const ingest_params *p, ingest_summary *sum, int lost,
			 const char *why)
{
	for (size_t i = 0; i < log->n; i++) {
		pending *e = &log->v[i];
		if (lost && (e->kind == INGEST_ADDED || e->kind == INGEST_UPDATED ||
			     e->kind == INGEST_DUPLICATE)) {
			e->kind = INGEST_FAILED;
			e->code = lost;
			free(e->detail);
			e->detail = NULL;
		}
		switch (e->kind) {
		case INGEST_ADDED: sum->added++; sum->chunks += e->nchunks; break;
		case INGEST_UPDATED:
			sum->updated++;
			sum->chunks += e->nchunks - e->kept;
			sum->chunks_kept += e->kept;
			break;
		case INGEST_DUPLICATE: sum->duplicates++; break;
		case INGEST_UNCHANGED: sum->unchanged++; break;
		case INGEST_STILL_FAILED: sum->still_failed++; break;
		default: sum->failed++; break;
		}
		emit(p, e->kind, e->path, e->detail ? e->detail : why, e->format, e->nchunks,
		     e->code);
		free(e->path);
		free(e->detail);
	}
	log->n = 0;
}

/* Commits the open batch and reports its documents. On failure the
 * error's message (the run's) is kept; each lost document gets a short
 * reason. */
static int commit_batch(store *s, batch_log *log, const ingest_params *p, ingest_summary *sum)
{
	int rc = store_batch_commit(s);

	if (rc) {
		/* the callbacks may set errors of their own */
		char *msg = strdup(docent_error_message()), why[128];
		snprintf(why, sizeof why, "not saved: %s", docent_strerror(rc));
		report_batch(log, p, sum, rc, why);
		if (msg)
			docent_error_set(rc, "%s", msg);
		free(msg);
	} else {
		report_batch(log, p, sum, 0, NULL);
	}
	return rc;
}

/* ---- phase 1: walk ---- */

static int on_walk(void *ctx, const walk_entry *e)
{
	pipeline *pl = ctx;

	if (e->skip != WALK_OK) {
		int code = e->skip == WALK_SKIP_TOO_BIG ? DOCENT_ETOOBIG :
			   e->skip == WALK_SKIP_ERROR ? DOCENT_EIO : 0;
		if (e->skip == WALK_SKIP_ERROR) {
			pl->sum->failed++;
			emit(pl->p, INGEST_FAILED, e->path, e->message, NULL, 0, code);
		} else {
			pl->sum->skipped++;
			emit(pl->p, INGEST_SKIPPED, e->path, e->message, NULL, 0, code);
		}
		return 0;
	}
	if (pl->njobs == pl->capjobs) {
		size_t cap = pl->capjobs ? pl->capjobs * 2 : 256;
		job *j = realloc(pl->jobs, cap * sizeof *j);
		if (!j)
			return DOCENT_ENOMEM;
		pl->jobs = j;
		pl->capjobs = cap;
	}
	job *j = &pl->jobs[pl->njobs];
	memset(j, 0, sizeof *j);
	if (!(j->path = strdup(e->path)))
		return DOCENT_ENOMEM;
	j->size = e->st->st_size;
	j->mtime_ns = (int64_t)e->st->st_mtim.tv_sec * 1000000000 + e->st->st_mtim.tv_nsec;
	pl->njobs++;
	pl->bytes_total += (uint64_t)j->size;
	return 0;
}

/* ---- phase 3: the work of one file, on a worker thread ---- */

/* Reads up to `want` bytes at the file's current offset into buf; *got
 * receives how many (fewer at the end of the file). */
static int read_full(int fd, char *buf, size_t want, size_t *got)
{
	size_t n = 0;

	while (n < want) {
		ssize_t r = read(fd, buf + n, want - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			return docent_error_set(docent_error_from_errno(err), "cannot read: %s",
						strerror(err));
		}
		if (r == 0)
			break; /* the file shrank while we read it: take what is there */
		n += (size_t)r;
	}
	*got = n;
	return 0;
}

/*
 * Reads the file at path whole into *out (NUL-terminated; caller frees),
 * but only once its first bytes say it is worth reading: a file that is
 * not a document, or that its extractor would refuse as binary, costs its
 * head alone, whatever its size (a 1 GB file of zeros named .txt is judged
 * on 64 KiB). Then *judged is the extraction error (message set), *skip
 * says whether it is a skip or a failure, and *out is NULL.
 */
static int read_file(const char *path, char **out, size_t *len, int *judged, int *skip)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t head, rest = 0, size;
	int rc;

	*out = NULL;
	*len = 0;
	*judged = 0;
	*skip = 0;
	if (fd < 0)
		return docent_error_set(docent_error_from_errno(errno), "cannot open: %s",
					strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return docent_error_set(DOCENT_EIO, "cannot read: not a regular file");
	}
	size = (size_t)st.st_size;
	head = size < EXTRACT_HEAD_BYTES ? size : EXTRACT_HEAD_BYTES;
	buf = malloc(head + 1);
	if (!buf) {
		close(fd);
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading %.1f MB",
					st.st_size / 1e6);
	}
	if ((rc = read_full(fd, buf, head, &head)) != 0)
		goto fail;
	if (head == EXTRACT_HEAD_BYTES && size > head) {
		*judged = extract_head(path, buf, head, skip);
		if (*judged) {
			*len = head;
			free(buf);
			close(fd);
			return 0;
		}
		char *grown = realloc(buf, size + 1);
		if (!grown) {
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory reading %.1f MB",
					      st.st_size / 1e6);
			goto fail;
		}
		buf = grown;
		if ((rc = read_full(fd, buf + head, size - head, &rest)) != 0)
			goto fail;
	}
	close(fd);
	buf[head + rest] = '\0';
	*out = buf;
	*len = head + rest;
	return 0;
fail:
	free(buf);
	close(fd);
	return rc;
}

/* The document's title when the format gives none: the file name without
 * its extension. */
static int default_title(doc *d, const char *path)
{
	const char *base = strrchr(path, '/');
	char name[256];
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		n = (size_t)(dot - base);
	if (n >= sizeof name)
		n = sizeof name - 1;
	memcpy(name, base, n);
	name[n] = '\0';
	return doc_set_title(d, name);
}

/* Longest first line that title_line() takes for a title, in words. */
#define TITLE_LINE_WORDS 24

/*
 * A plain text file often starts with its title on a line of its own,
 * which the text format cannot mark. With no heading in the document, a
 * first paragraph of one short line that more text follows becomes a
 * level-1 heading: the chunker then puts it in the heading path of every
 * chunk, where keyword search and the embeddings find it
 * (store_chunk_context()), and no chunk is that line alone. The text and
 * its offsets do not change, only the block's kind.
 */
static void title_line(doc *d, const char *format)
{
	if (!format || strcmp(format, "text") != 0 || d->nblocks < 2 ||
	    d->blocks[0].kind != DOC_PARA || d->blocks[1].kind == DOC_HEADING)
		return;
	for (size_t i = 1; i < d->nblocks; i++)
		if (d->blocks[i].kind == DOC_HEADING)
			return;
	const doc_block *b = &d->blocks[0];
	if (memchr(d->text.data + b->off, '\n', b->len) ||
	    text_count_words(d->text.data + b->off, b->len) > TITLE_LINE_WORDS)
		return;
	d->blocks[0].kind = DOC_HEADING;
	d->blocks[0].level = 1;
}

/* The chunks' tokens for the keyword index: of each chunk's text, then of
 * its context, the order FTS5 indexes them in. Only a speed-up: without
 * them the writing thread tokenizes, so a failure just drops them. */
static void tokenize(fts_tokenizer *tok, job *j)
{
	for (size_t i = 0; i < j->chunks.n; i++) {
		const chunk *c = &j->chunks.items[i];
		char *context = store_chunk_context(j->doc.title, c->heading);
		if (!context ||
		    fts_tokenizer_run(tok, j->doc.text.data + c->off, c->len, &j->tokens) != 0 ||
		    fts_tokenizer_run(tok, context, strlen(context), &j->tokens) != 0) {
			free(context);
			dbuf_free(&j->tokens);
			docent_error_clear();
			return;
		}
		free(context);
	}
}

/* An error message is stored and shown: it passes the redactor too, since
 * it may quote the document (a parser's complaint about a line). */
static void redact_error(const cleaner *c, char **msg)
{
	char *r = NULL;

	if (!c || !*msg)
		return;
	if (cleaner_redact(c, *msg, &r) == 0) {
		free(*msg);
		*msg = r;
	}
	/* on failure the message cannot be checked: say what it was */
	else {
		free(*msg);
		*msg = strdup("the error message could not be redacted");
	}
}

static void process(pipeline *pl, job *j, fts_tokenizer *tok)
{
	const ingest_params *p = pl->p;
	char *data = NULL;
	size_t n = 0;
	doc raw;
	int rc, judged;

	doc_init(&raw);
	doc_init(&j->doc);
	docent_error_clear();
	rc = read_file(j->path, &data, &n, &judged, &j->skipped);
	if (rc)
		goto done;
	j->bytes_read = (int64_t)n;
	if (judged) {
		rc = judged;
		goto done;
	}
	j->size = (int64_t)n;
	hash_sha256_hex(data, n, j->hash);
	if (!p->force && j->known_hash[0] && strcmp(j->hash, j->known_hash) == 0) {
		j->unchanged = 1;
		goto done;
	}
	if (n == 0) {
		j->skipped = 1;
		rc = docent_error_set(DOCENT_EEMPTY, "empty file");
		goto done;
	}
	if (!extract_find(j->path, data, n)) {
		j->skipped = 1;
		rc = DOCENT_EUNSUPPORTED;
		goto done;
	}
	rc = extract_file(&p->extract, j->path, data, n, &raw, &j->format);
	/* the file's bytes, the raw and the cleaned text are each the size of
	 * a large file: let go of each as soon as the next exists */
	free(data);
	data = NULL;
	if (rc)
		goto done;
	/* a title from the file name is set before cleaning, so that it
	 * passes the redactor like everything else that is stored */
	if (!raw.title && (rc = default_title(&raw, j->path)) != 0)
		goto done;
	rc = cleaner_run(pl->clean, &raw, &j->doc);
	doc_free(&raw);
	if (rc)
		goto done;
	title_line(&j->doc, j->format);
	if (rc == 0)
		rc = chunk_doc(&p->chunk, &j->doc, &j->chunks);
	if (rc == 0 && j->chunks.n == 0)
		rc = docent_error_set(DOCENT_EEMPTY, "no text left to index after cleaning");
	/* counted here, on a worker, so the writing thread does not have to */
	for (size_t i = 0; rc == 0 && i < j->chunks.n; i++) {
		chunk *c = &j->chunks.items[i];
		c->nwords = text_count_words(j->doc.text.data + c->off, c->len);
	}
	/* the tokens of a large document would double what it holds while it
	 * waits for the writer: past TOKENIZE_MAX the writer tokenizes it */
	if (rc == 0 && tok && j->doc.text.len <= TOKENIZE_MAX)
		tokenize(tok, j);
done:
	free(data);
	doc_free(&raw);
	j->rc = rc;
	if (rc) {
		const char *m = docent_error_message();
		j->error = strdup(m[0] ? m : docent_strerror(rc));
		redact_error(pl->clean, &j->error);
	}
}

static void *worker(void *arg)
{
	pipeline *pl = arg;
	fts_tokenizer *tok;

#ifdef __linux__
	/* best effort: the work is the same at any priority */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), WORKER_NICE);
#endif
	pthread_mutex_lock(&pl->mu);
	tok = pl->tok[pl->nstarted++];
	for (;;) {
		while (!pl->stop && pl->next < pl->njobs && pl->inflight_jobs > 0 &&
		       (pl->inflight_jobs >= MAX_INFLIGHT_JOBS ||
			pl->inflight_bytes + (uint64_t)pl->jobs[pl->next].size > MAX_INFLIGHT_BYTES))
			pthread_cond_wait(&pl->cv_work, &pl->mu);
		if (pl->stop || pl->next >= pl->njobs)
			break;
		size_t i = pl->next++;
		pl->inflight_jobs++;
		pl->jobs[i].taken_bytes = (uint64_t)pl->jobs[i].size;
		pl->inflight_bytes += pl->jobs[i].taken_bytes;
		pthread_mutex_unlock(&pl->mu);
		process(pl, &pl->jobs[i], tok);
		pthread_mutex_lock(&pl->mu);
		pl->jobs[i].taken_bytes += pl->jobs[i].tokens.len;
		pl->inflight_bytes += pl->jobs[i].tokens.len;
		pl->done[pl->ndone++] = i;
		pthread_cond_signal(&pl->cv_done);
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

/* ---- the calling thread: store writes and reports ---- */

static void release(job *j)
{
	doc_free(&j->doc);
	chunk_list_free(&j->chunks);
	dbuf_free(&j->tokens);
	free(j->error);
	j->error = NULL;
}

static int store_job(store *s, int64_t coll, job *j, const ingest_params *p, ingest_summary *sum,
		     batch_log *log)
{
	store_chunk_in *ch = NULL;
	store_put_result res = { 0 };
	int rc;

	if (j->rc && j->skipped) {
		/* a file stored before that holds no document now (emptied, say):
		 * its old text must not stay searchable */
		store_doc *d = NULL;
		rc = store_doc_find(s, p->collection, j->path, &d);
		if (rc == 0) {
			int64_t id = d->id;
			store_doc_list_free(d, 1);
			if ((rc = store_doc_remove_id(s, id)) != 0)
				return rc;
			sum->pruned++;
			char why[300];
			snprintf(why, sizeof why, "the file holds no document now (%s)",
				 j->error ? j->error : "skipped");
			emit(p, INGEST_PRUNED, j->path, why, NULL, 0, 0);
			return 0;
		}
		if (rc != DOCENT_ENOTFOUND)
			return rc;
		docent_error_clear();
		sum->skipped++;
		emit(p, INGEST_SKIPPED, j->path, j->error, NULL, 0, j->rc);
		return 0;
	}
	if (j->rc) {
		rc = store_doc_fail(s, coll, j->path, j->size, j->mtime_ns, j->error);
		return rc ? rc : note(log, j->failed_before ? INGEST_STILL_FAILED : INGEST_FAILED,
				      j->path, j->error, NULL, 0, j->rc);
	}
	if (j->unchanged) {
		store_doc_in in = { .path = j->path, .size = j->size, .mtime_ns = j->mtime_ns,
				    .hash = j->hash };
		rc = store_doc_put(s, coll, &in, &res);
		if (rc == 0)
			rc = note(log, INGEST_UNCHANGED, j->path, NULL, NULL, 0, 0);
		free(res.duplicate_of);
		return rc;
	}
	ch = calloc(j->chunks.n ? j->chunks.n : 1, sizeof *ch);
	if (!ch)
		return docent_error_set(DOCENT_ENOMEM, "out of memory writing %s", j->path);
	for (size_t i = 0; i < j->chunks.n; i++) {
		const chunk *c = &j->chunks.items[i];
		ch[i] = (store_chunk_in){
			.text = j->doc.text.data + c->off, .len = c->len,
			.start_byte = c->off, .end_byte = c->off + c->len,
			.page_start = c->page_start, .page_end = c->page_end,
			.heading = c->heading, .ntokens = c->ntokens, .nwords = c->nwords,
		};
	}
	store_doc_in in = {
		.path = j->path, .size = j->size, .mtime_ns = j->mtime_ns, .hash = j->hash,
		.title = j->doc.title, .format = j->format,
		.text_bytes = (int64_t)j->doc.text.len, .npages = j->doc.npages,
		.chunks = ch, .nchunks = j->chunks.n,
		/* --force: extracted and chunked again even when the bytes are
		 * the same, since settings may have changed; unchanged chunks
		 * keep their vectors */
		.refresh = p->force,
	};
	rc = store_doc_put_tokens(s, coll, &in, j->tokens.data, j->tokens.len, &res);
	free(ch);
	if (rc)
		return docent_error_wrap(rc, "cannot store %s", j->path);
	if (res.outcome == STORE_PUT_UNCHANGED)
		rc = note(log, INGEST_UNCHANGED, j->path, NULL, j->format, j->chunks.n, 0);
	else if (res.duplicate_of)
		rc = note(log, INGEST_DUPLICATE, j->path, res.duplicate_of, j->format, j->chunks.n,
			  0);
	else
		rc = note(log, res.outcome == STORE_PUT_UPDATED ? INGEST_UPDATED : INGEST_ADDED,
			  j->path, NULL, j->format, j->chunks.n, 0);
	if (rc == 0 && res.chunks_kept && log->n)
		log->v[log->n - 1].kept = res.chunks_kept;
	free(res.duplicate_of);
	return rc;
}

typedef struct prune_ctx {
	int64_t *ids;
	char **paths;
	size_t n, cap;
} prune_ctx;

static int collect_gone(void *ctx, int64_t id, const char *path)
{
	prune_ctx *pc = ctx;
	struct stat st;

	if (path[0] != '/' || lstat(path, &st) == 0 || errno != ENOENT)
		return 0;
	if (pc->n == pc->cap) {
		size_t cap = pc->cap ? pc->cap * 2 : 16;
		int64_t *ids = realloc(pc->ids, cap * sizeof *ids);
		if (!ids)
			return DOCENT_ENOMEM;
		pc->ids = ids;
		char **paths = realloc(pc->paths, cap * sizeof *paths);
		if (!paths)
			return DOCENT_ENOMEM;
		pc->paths = paths;
		pc->cap = cap;
	}
	if (!(pc->paths[pc->n] = strdup(path)))
		return DOCENT_ENOMEM;
	pc->ids[pc->n++] = id;
	return 0;
}

static int prune(store *s, const ingest_params *p, ingest_summary *sum)
{
	prune_ctx pc = { 0 };
	int rc = store_doc_foreach(s, p->collection, collect_gone, &pc);

	for (size_t i = 0; i < pc.n; i++) {
		if (rc == 0 && (rc = store_doc_remove_id(s, pc.ids[i])) == 0) {
			sum->pruned++;
			emit(p, INGEST_PRUNED, pc.paths[i], "file no longer exists", NULL, 0, 0);
		}
		free(pc.paths[i]);
	}
	free(pc.paths);
	free(pc.ids);
	return rc;
}

/* Without prune: the documents under the run's paths whose files are gone,
 * counted so that the summary can say so (and how to remove them). */
typedef struct vanish_ctx {
	char **roots;
	size_t nroots;
	uint64_t n;
} vanish_ctx;

static int count_vanished(void *ctx, int64_t id, const char *path)
{
	vanish_ctx *vc = ctx;
	struct stat st;

	(void)id;
	for (size_t i = 0; i < vc->nroots; i++) {
		size_t len = strlen(vc->roots[i]);
		if (strncmp(path, vc->roots[i], len) == 0 &&
		    (path[len] == '\0' || path[len] == '/' || (len == 1 && vc->roots[i][0] == '/'))) {
			if (lstat(path, &st) != 0 && errno == ENOENT)
				vc->n++;
			break;
		}
	}
	return 0;
}

static int vanished(store *s, const char *const *paths, size_t npaths, const ingest_params *p,
		    ingest_summary *sum)
{
	vanish_ctx vc = { .roots = calloc(npaths ? npaths : 1, sizeof *vc.roots) };
	int rc = vc.roots ? 0 : DOCENT_ENOMEM;

	for (size_t i = 0; rc == 0 && i < npaths; i++, vc.nroots++)
		if (!(vc.roots[i] = walk_abspath(paths[i])))
			rc = DOCENT_ENOMEM;
	if (rc == 0)
		rc = store_doc_foreach(s, p->collection, count_vanished, &vc);
	for (size_t i = 0; i < vc.nroots; i++)
		free(vc.roots[i]);
	free(vc.roots);
	sum->vanished = vc.n;
	return rc == DOCENT_ENOMEM ? docent_error_set(rc, "out of memory") : rc;
}

/* The collection's vectors, when it has some or is about to. */
static int open_vectors(store *s, int64_t coll, const ingest_params *p, vecset **vs,
			int *rebuilt)
{
	char *model = NULL;
	int dim, rc = store_collection_model(s, coll, &model, &dim);

	*vs = NULL;
	if (rc == 0 && model)
		rc = vecset_open(vs, s, coll, &p->embed.vectors, rebuilt);
	free(model);
	return rc;
}

int ingest_run(store *s, const char *const *paths, size_t npaths,
	       const ingest_params *p, ingest_summary *sum)
{
	pipeline pl = { .p = p, .sum = sum };
	batch_log log = { 0 };
	cleaner *cl = NULL;
	vecset *vs = NULL;
	pthread_t *threads = NULL;
	unsigned nthreads = p->threads;
	size_t started = 0;
	int64_t coll = 0;
	double t0 = now_seconds();
	uint64_t bytes_done = 0;
	int rc;

	memset(sum, 0, sizeof *sum);
	if (!p->collection || !p->collection[0])
		return docent_error_set(DOCENT_EINVAL, "no collection name given");
	rc = store_collection_id(s, p->collection, 1, &coll);
	if (rc)
		return rc;
	/* refuse a collection embedded by another model before doing any work */
	if (p->embedder &&
	    (rc = store_collection_set_model(s, coll, embedder_model_id(p->embedder),
					     embedder_dim(p->embedder))) != 0)
		return rc;
	/* a collection with vectors keeps its FAISS index in step, embedder or not */
	if ((rc = open_vectors(s, coll, p, &vs, &sum->embed.rebuilt)) != 0)
		return rc;
	rc = cleaner_new(&cl, &p->clean);
	if (rc) {
		vecset_close(vs);
		return rc;
	}
	pl.clean = cl;

	rc = walk_paths(paths, npaths, &p->walk, on_walk, &pl);
	if (rc)
		goto done;

	/* phase 2: what can be skipped without reading */
	for (size_t i = 0; i < pl.njobs; i++) {
		job *j = &pl.jobs[i];
		store_doc_state st;
		rc = store_doc_state_get(s, coll, j->path, &st);
		if (rc)
			goto done;
		/* tried again (the reason may be gone: a permission, a setting),
		 * but a second failure is not news */
		if (st.id && !st.ok && st.size == j->size && st.mtime_ns == j->mtime_ns)
			j->failed_before = 1;
		if (st.id && st.ok) {
			memcpy(j->known_hash, st.hash, sizeof j->known_hash);
			if (!p->force && st.size == j->size && st.mtime_ns == j->mtime_ns)
				j->unchanged = -1; /* known unchanged: no work */
		}
	}

	if (nthreads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n > 0 ? (unsigned)n : 1;
	}
	pl.done = calloc(pl.njobs + 1, sizeof *pl.done);
	threads = calloc(nthreads, sizeof *threads);
	pl.tok = calloc(nthreads, sizeof *pl.tok);
	if (!pl.done || !threads || !pl.tok) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory starting ingestion");
		goto done;
	}
	/* made here, while no other thread uses the store */
	for (unsigned t = 0; t < nthreads; t++)
		if ((rc = fts_tokenizer_new(s, &pl.tok[t])) != 0)
			goto done;
	pthread_mutex_init(&pl.mu, NULL);
	pthread_cond_init(&pl.cv_work, NULL);
	pthread_cond_init(&pl.cv_done, NULL);

	/* Files known unchanged are reported first and never reach a worker;
	 * compact the rest to the front of the job array. */
	size_t nwork = 0;
	for (size_t i = 0; i < pl.njobs; i++) {
		job *j = &pl.jobs[i];
		if (j->unchanged == -1) {
			sum->files++;
			sum->unchanged++;
			bytes_done += (uint64_t)j->size;
			emit(p, INGEST_UNCHANGED, j->path, NULL, NULL, 0, 0);
			free(j->path);
			continue;
		}
		pl.jobs[nwork++] = *j;
	}
	size_t nknown = pl.njobs - nwork;
	pl.njobs = nwork;

	for (unsigned t = 0; t < nthreads; t++) {
		if (pthread_create(&threads[t], NULL, worker, &pl) != 0)
			break;
		started++;
	}
	if (started == 0) {
		rc = docent_error_set(DOCENT_EIO, "cannot start worker threads");
		goto joined;
	}

	/* Documents are written in batches of about a second (see
	 * store_batch_begin): each stays whole, FTS5 writes far fewer segments. */
	double batch_start = now_seconds();
	rc = store_batch_begin(s);
	for (size_t consumed = 0; consumed < nwork; consumed++) {
		size_t i;
		pthread_mutex_lock(&pl.mu);
		while (pl.consumed == pl.ndone)
			pthread_cond_wait(&pl.cv_done, &pl.mu);
		i = pl.done[pl.consumed++];
		pthread_mutex_unlock(&pl.mu);

		job *j = &pl.jobs[i];
		if (rc == 0 && !(p->cancel && *p->cancel)) {
			sum->files++;
			sum->bytes += (uint64_t)j->bytes_read;
			rc = store_job(s, coll, j, p, sum, &log);
		}
		bytes_done += (uint64_t)j->size;
		release(j);
		if (rc == 0 && now_seconds() - batch_start > p->commit_seconds) {
			rc = commit_batch(s, &log, p, sum);
			if (rc == 0)
				rc = store_batch_begin(s);
			batch_start = now_seconds();
		}
		if (p->on_progress && rc == 0) {
			ingest_progress pr = {
				.files_done = nknown + consumed + 1,
				.files_total = nknown + nwork,
				.walking_done = 1,
				.bytes_done = bytes_done,
				.bytes_total = pl.bytes_total,
				.seconds = now_seconds() - t0,
				.current = j->path,
			};
			p->on_progress(p->ctx, &pr);
		}
		pthread_mutex_lock(&pl.mu);
		if (rc != 0 || (p->cancel && *p->cancel)) {
			/* finish only what workers already hold, then stop */
			pl.stop = 1;
			nwork = pl.next;
		}
		pl.inflight_jobs--;
		pl.inflight_bytes -= j->taken_bytes;
		pthread_cond_broadcast(&pl.cv_work);
		pthread_mutex_unlock(&pl.mu);
	}
	/* keep every finished document, even when the run stops on an error
	 * (whose message stays the run's: the commit then fails too) */
	char *stopped = rc ? strdup(docent_error_message()) : NULL;
	if (commit_batch(s, &log, p, sum) != 0 && rc == 0)
		rc = docent_error_wrap(DOCENT_EDB, "cannot save the last documents");
	if (stopped)
		docent_error_set(rc, "%s", stopped);
	free(stopped);
joined:
	pthread_mutex_lock(&pl.mu);
	pl.stop = 1;
	pthread_cond_broadcast(&pl.cv_work);
	pthread_mutex_unlock(&pl.mu);
	for (size_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	pthread_mutex_destroy(&pl.mu);
	pthread_cond_destroy(&pl.cv_work);
	pthread_cond_destroy(&pl.cv_done);
	if (rc == 0 && p->cancel && *p->cancel)
		rc = docent_error_set(DOCENT_ECANCELLED,
				      "stopped; documents finished so far are saved, run the "
				      "same command again to continue");
	if (rc == 0 && p->prune)
		rc = prune(s, p, sum);
	else if (rc == 0)
		rc = vanished(s, paths, npaths, p, sum);
	if (rc == 0)
		store_optimize(s); /* only speed is at stake: a failure is not the run's */
	if (rc == 0 && p->embedder) {
		embed_params ep = p->embed;
		ep.cancel = p->cancel;
		rc = embed_collection(s, coll, p->embedder, vs, &ep, &sum->embed);
	} else if (vs) {
		/* drop the vectors of replaced and removed documents */
		int src = vecset_save(vs);
		if (rc == 0)
			rc = src;
	}
done:
	vecset_close(vs);
	for (size_t i = 0; i < pl.njobs; i++) {
		release(&pl.jobs[i]);
		free(pl.jobs[i].path);
	}
	free(pl.jobs);
	free(pl.done);
	free(threads);
	for (unsigned t = 0; pl.tok && t < nthreads; t++)
		fts_tokenizer_free(pl.tok[t]);
	free(pl.tok);
	free(log.v); /* reported by the last commit_batch */
	cleaner_free(cl);
	sum->seconds = now_seconds() - t0;
	return rc;
}
