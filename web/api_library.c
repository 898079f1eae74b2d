/*
 * web/api_library.c - the library endpoints of the JSON API: health,
 * collections, documents (list, upload, remove, the text around a span)
 * and upload jobs. Thin: each parses the request, calls the store or the
 * ingest pipeline, and writes the contract's JSON (docs/api.md).
 */
#include "web/web_int.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/files.h"
#include "core/jsontext.h"
#include "index/vecset.h"
#include "ingest/walk.h"
#include "rag/source.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void api_health(web_request *r)
{
	web_reply_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "version",
					 web_server_settings(r->server)->version));
}

/* ---- collections ---- */

void api_collections_list(web_request *r)
{
	store_collection *c = NULL;
	size_t n = 0;
	int rc = store_collection_list(r->st, &c, &n);
	json_t *arr;

	if (rc) {
		web_reply_rc(r, rc);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I, s:s?}",
			"name", c[i].name, "documents", (json_int_t)c[i].ndocs,
			"chunks", (json_int_t)c[i].nchunks, "vectors", (json_int_t)c[i].nvectors,
			"embedding_model", c[i].embed_model));
	store_collection_list_free(c, n);
	web_reply_json(r, 200, json_pack("{s:o}", "collections", arr));
}

/* A collection name from a body or a path: printable, no slash (it names
 * the upload folder), at most 100 bytes. */
static int check_collection_name(web_request *r, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 100 || name[0] == '.' || strpbrk(name, "/\\")) {
		web_reply_error(r, 400, "bad_request", "a collection name is 1 to 100 characters, "
				"without '/' or '\\', not starting with '.'");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F) {
			web_reply_error(r, 400, "bad_request", "a collection name holds a control "
					"character");
			return -1;
		}
	return 0;
}

void api_collections_create(web_request *r)
{
	json_t *name = r->json ? json_object_get(r->json, "name") : NULL;
	int rc;

	if (!json_is_object(r->json) || !json_is_string(name)) {
		web_reply_error(r, 400, "bad_request", "send {\"name\": \"NAME\"}");
		return;
	}
	if (check_collection_name(r, json_string_value(name)))
		return;
	rc = store_collection_create(r->st, json_string_value(name));
	if (rc) {
		web_reply_rc(r, rc);
		return;
	}
	web_reply_json(r, 201, json_pack("{s:s}", "name", json_string_value(name)));
}

void api_collections_remove(web_request *r)
{
	const char *name = r->args[0];
	int64_t id;
	int rc;

	if ((rc = store_collection_id(r->st, name, 0, &id)) == 0 &&
	    (rc = store_collection_remove(r->st, name)) == 0)
		rc = vecset_remove_file(r->st, id);
	if (rc) {
		web_reply_rc(r, rc);
		return;
	}
	web_reply_json(r, 200, json_pack("{s:s}", "removed", name));
}

/* ---- documents ---- */

static json_t *doc_json(const store_doc *d)
{
	json_t *o = json_pack("{s:I, s:o, s:o, s:s?, s:I, s:s, s:o, s:I, s:I}",
		"id", (json_int_t)d->id, "collection", jsontext_new(d->collection),
		"title", jsontext_new(d->title), "format", d->format, "size", (json_int_t)d->size,
		"status", d->status, "error", jsontext_new(d->error), "chunks", (json_int_t)d->nchunks,
		"ingested_at", (json_int_t)d->ingested_at);
	if (!o || jsontext_set_path(o, "path", d->path)) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "pages", d->npages > 0 ? json_integer(d->npages) : json_null());
	return o;
}

void api_documents_list(web_request *r)
{
	const char *collection = web_query(r, "collection");
	const char *status = web_query(r, "status");
	store_doc *d = NULL;
	size_t n = 0, total = 0;
	long offset, limit;
	json_t *arr;
	int rc;

	if (web_query_int(r, "offset", 0, 0, 1L << 40, &offset) ||
	    web_query_int(r, "limit", 50, 1, 500, &limit))
		return;
	if (status && status[0] && strcmp(status, "ok") != 0 && strcmp(status, "error") != 0) {
		web_reply_error(r, 400, "bad_request", "status is ok or error, not '%s'", status);
		return;
	}
	if (collection && !collection[0])
		collection = NULL;
	if (collection) {
		int64_t id;
		if ((rc = store_collection_id(r->st, collection, 0, &id)) != 0) {
			web_reply_rc(r, rc);
			return;
		}
	}
	if ((rc = store_doc_list(r->st, collection, &d, &n)) != 0) {
		web_reply_rc(r, rc);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		if (status && status[0] && strcmp(d[i].status, status) != 0)
			continue;
		if (total >= (size_t)offset && json_array_size(arr) < (size_t)limit)
			json_array_append_new(arr, doc_json(&d[i]));
		total++;
	}
	store_doc_list_free(d, n);
	web_reply_json(r, 200, json_pack("{s:o, s:I, s:I, s:I}", "documents", arr,
					 "total", (json_int_t)total, "offset", (json_int_t)offset,
					 "limit", (json_int_t)limit));
}

/* The document id of r->args[0]; -1 with a reply when it is not one. */
static int64_t doc_id_arg(web_request *r)
{
	long id;

	if (web_parse_long(r->args[0], 1, 0x7FFFFFFFFFFFFFFFL, &id) != 0) {
		web_reply_error(r, 400, "bad_request", "'%s' is not a document id", r->args[0]);
		return -1;
	}
	return id;
}

/* Finds the document; replies 404 and returns NULL when there is none. */
static store_doc *find_doc(web_request *r, int64_t id)
{
	char key[32];
	store_doc *d = NULL;
	int rc;

	snprintf(key, sizeof key, "%lld", (long long)id);
	rc = store_doc_find(r->st, NULL, key, &d);
	if (rc == DOCENT_ENOTFOUND) {
		web_reply_error(r, 404, "not_found", "no document %lld", (long long)id);
		return NULL;
	}
	if (rc) {
		web_reply_rc(r, rc);
		return NULL;
	}
	return d;
}

void api_documents_remove(web_request *r)
{
	int64_t id = doc_id_arg(r), cid;
	store_doc *d;
	vecset *vs = NULL;
	int rc;

	if (id < 0 || !(d = find_doc(r, id)))
		return;
	/* the collection's vectors are dropped from its FAISS file as well */
	rc = store_collection_id(r->st, d->collection, 0, &cid);
	if (rc == 0) {
		vindex_params vp;
		config_vindex_params(r->cfg, &vp);
		rc = vecset_open(&vs, r->st, cid, &vp, NULL);
		if (rc == DOCENT_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0)
		rc = store_doc_remove_id(r->st, id);
	if (rc == 0 && vs)
		rc = vecset_save(vs);
	vecset_close(vs);
	if (rc) {
		store_doc_list_free(d, 1);
		web_reply_rc(r, rc);
		return;
	}
	/* a file the server saved from an upload goes with its document */
	{
		char *up = NULL;
		if (asprintf(&up, "%s/uploads/", web_server_data_dir(r->server)) >= 0) {
			char *abs = walk_abspath(up);
			if (abs && strncmp(d->path, abs, strlen(abs)) == 0 && !strstr(d->path, "/../"))
				unlink(d->path);
			free(abs);
		}
		free(up);
	}
	store_doc_list_free(d, 1);
	web_reply_json(r, 200, json_pack("{s:I}", "removed", (json_int_t)id));
}

/* Two parts of one upload with the same name would overwrite each other:
 * the later ones become "name-2.ext", "name-3.ext"... */
static void unique_name(char *name, size_t size, char **taken, size_t ntaken)
{
	char base[256], try[300];
	const char *dot = strrchr(name, '.');
	size_t stem = dot && dot != name ? (size_t)(dot - name) : strlen(name);

	snprintf(base, sizeof base, "%s", name);
	for (int k = 2;; k++) {
		int clash = 0;
		for (size_t i = 0; i < ntaken && !clash; i++)
			clash = strcmp(taken[i], name) == 0;
		if (!clash || k > 1000)
			return;
		snprintf(try, sizeof try, "%.*s-%d%s", (int)stem, base, k, base + stem);
		if (strlen(try) >= size)
			return;
		memcpy(name, try, strlen(try) + 1);
	}
}

void api_documents_upload(web_request *r)
{
	const char *collection = web_query(r, "collection");
	char **paths = NULL, **names = NULL, *dir = NULL;
	json_t *list;
	size_t n = 0;
	int64_t job;
	int rc;

	if (!collection || !collection[0])
		collection = config_get(r->cfg, "ingest.collection");
	if (check_collection_name(r, collection))
		return;
	if (r->nfiles == 0) {
		web_reply_error(r, 400, "bad_request", "no file: send multipart/form-data with "
				"one 'file' part per file");
		return;
	}
	/* every name is checked before anything is moved */
	for (size_t i = 0; i < r->nfiles; i++) {
		char safe[256];
		if (web_safe_name(r->files[i].name, safe, sizeof safe) != 0) {
			web_reply_error(r, 400, "bad_request", "%s", docent_error_message());
			return;
		}
	}
	if (asprintf(&dir, "%s/uploads/%s", web_server_data_dir(r->server), collection) < 0) {
		web_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	if ((rc = files_mkdirs(dir, 0700)) != 0)
		goto fail;
	paths = calloc(r->nfiles, sizeof *paths);
	names = calloc(r->nfiles, sizeof *names);
	list = json_array();
	if (!paths || !names || !list) {
		json_decref(list);
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < r->nfiles; i++) {
		char safe[256], *final = NULL;
		web_safe_name(r->files[i].name, safe, sizeof safe);
		unique_name(safe, sizeof safe, names, n);
		if (asprintf(&final, "%s/%s", dir, safe) < 0) {
			json_decref(list);
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
			goto fail;
		}
		if (rename(r->files[i].tmp_path, final) != 0) {
			rc = docent_error_set(docent_error_from_errno(errno), "cannot save %s: %s",
					      safe, strerror(errno));
			free(final);
			json_decref(list);
			goto fail;
		}
		free(r->files[i].tmp_path);
		r->files[i].tmp_path = NULL;
		paths[n] = walk_abspath(final);
		names[n] = strdup(safe);
		free(final);
		json_array_append_new(list, json_string(safe));
		if (!paths[n] || !names[n]) {
			free(paths[n]);
			free(names[n]);
			json_decref(list);
			rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
			goto fail;
		}
		n++;
	}
	rc = web_jobs_add(web_server_jobs(r->server), collection, paths, names, n, &job);
	free(paths);
	free(names);
	free(dir);
	if (rc) {
		json_decref(list);
		web_reply_rc(r, rc);
		return;
	}
	web_reply_json(r, 202, json_pack("{s:I, s:s, s:o}", "job", (json_int_t)job,
					 "collection", collection, "files", list));
	return;
fail:
	for (size_t i = 0; i < n; i++) {
		free(paths[i]);
		free(names[i]);
	}
	free(paths);
	free(names);
	free(dir);
	web_reply_rc(r, rc);
}

/* ---- jobs ---- */

static int job_id_arg(web_request *r, int64_t *id)
{
	long v;

	if (web_parse_long(r->args[0], 1, 0x7FFFFFFFFFFFFFFFL, &v) != 0) {
		web_reply_error(r, 400, "bad_request", "'%s' is not a job id", r->args[0]);
		return -1;
	}
	*id = v;
	return 0;
}

void api_jobs_get(web_request *r)
{
	int64_t id;
	json_t *o;

	if (job_id_arg(r, &id))
		return;
	o = web_jobs_json(web_server_jobs(r->server), id);
	if (!o) {
		web_reply_error(r, 404, "not_found", "no upload job %lld (jobs are kept while the "
				"server runs)", (long long)id);
		return;
	}
	web_reply_json(r, 200, o);
}

/* The job's state as events: "progress" whenever it changes, then "done". */
static void job_events(web_sse *s, web_request *r, void *ctx)
{
	int64_t id = *(int64_t *)ctx;
	char *last = NULL;

	while (!web_sse_cancelled(s)) {
		json_t *o = web_jobs_json(web_server_jobs(r->server), id);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		const char *state = json_string_value(json_object_get(o, "state"));
		int end = !o || (state && (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0));
		if (text && (!last || strcmp(text, last) != 0)) {
			if (web_sse_send_text(s, end ? "done" : "progress", text) != 0) {
				free(text);
				json_decref(o);
				break;
			}
			free(last);
			last = text;
			text = NULL;
		}
		free(text);
		json_decref(o);
		if (end)
			break;
		usleep(200000);
	}
	free(last);
}

void api_jobs_events(web_request *r)
{
	int64_t id, *ctx;
	json_t *o;

	if (job_id_arg(r, &id))
		return;
	o = web_jobs_json(web_server_jobs(r->server), id);
	if (!o) {
		web_reply_error(r, 404, "not_found", "no upload job %lld", (long long)id);
		return;
	}
	json_decref(o);
	if (!(ctx = malloc(sizeof *ctx))) {
		web_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	*ctx = id;
	web_sse_start(r, job_events, ctx, free);
}

/* ---- the text around a span (the source viewer) ---- */

/* At most this much text in one reply beyond the context asked for. */
#define TEXT_MAX_SPAN (1 << 20)

/* Text of the context for reading: the bytes no chunk holds come back from
 * source_read() as newlines, so a run of them becomes at most a paragraph
 * break, and none at all at the outer end (trim_start, trim_end). */
static json_t *context_json(const char *p, size_t n, int trim_start, int trim_end)
{
	dbuf d = DBUF_INIT;
	json_t *j;

	while (trim_start && n && *p == '\n')
		p++, n--;
	while (trim_end && n && p[n - 1] == '\n')
		n--;
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\n' || i < 2 || p[i - 1] != '\n' || p[i - 2] != '\n')
			dbuf_append(&d, p + i, 1);
	j = json_stringn(d.data ? d.data : "", d.len);
	dbuf_free(&d);
	return j;
}

/* The document's text around [start, end) (rag/source.h puts it back
 * together from the chunks), cut in three: before, the span, after. */
void api_documents_text(web_request *r)
{
	int64_t id = doc_id_arg(r);
	source_params sp = source_default_params();
	source_text t;
	long start, end, context;
	char idbuf[32];
	size_t len, s, e;
	json_t *o;
	int rc;

	if (id < 0)
		return;
	if (web_query_int(r, "start", 0, 0, LONG_MAX, &start) ||
	    web_query_int(r, "end", start, start, LONG_MAX, &end) ||
	    web_query_int(r, "context", 1500, 0, 100000, &context))
		return;
	sp.start = start;
	sp.end = end;
	sp.whole_chunk = 1; /* without an end, the passage the start is in */
	sp.context = (size_t)context;
	sp.max_bytes = TEXT_MAX_SPAN + 2 * (size_t)context;
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
	if ((rc = source_read(r->st, NULL, idbuf, &sp, &t)) != 0) {
		web_reply_rc(r, rc == DOCENT_EEMPTY ? DOCENT_ENOTFOUND : rc);
		return;
	}
	if (end > t.text_bytes) {
		web_reply_error(r, 400, "bad_request", "the span ends at %ld, past the end of the "
				"document's text (%lld bytes)", end, (long long)t.text_bytes);
		source_text_free(&t);
		return;
	}
	/* the span inside the text read, on character boundaries */
	len = strlen(t.text);
	s = t.passage_start > t.start_byte ? (size_t)(t.passage_start - t.start_byte) : 0;
	e = t.passage_end > t.start_byte ? (size_t)(t.passage_end - t.start_byte) : 0;
	s = web_utf8_floor(t.text, len, s < len ? s : len);
	e = web_utf8_floor(t.text, len, e < len ? e : len);
	if (e < s)
		e = s;
	o = json_pack("{s:{s:I, s:o, s:s?}, s:I, s:I, s:o, s:s%, s:o, s:o, s:I}",
		"document", "id", (json_int_t)t.doc_id, "title", jsontext_new(t.title),
		"format", t.format,
		"start_byte", (json_int_t)t.passage_start, "end_byte", (json_int_t)t.passage_end,
		"before", context_json(t.text, s, 1, 0), "text", t.text + s, e - s,
		"after", context_json(t.text + e, len - e, 0, 1),
		"heading", jsontext_new(t.heading), "text_bytes", (json_int_t)t.text_bytes);
	if (o) {
		jsontext_set_path(json_object_get(o, "document"), "path", t.path);
		json_object_set_new(o, "page", t.page > 0 ? json_integer(t.page) : json_null());
	}
	source_text_free(&t);
	if (!o)
		web_reply_error(r, 500, "internal", "the document's text could not be encoded");
	else
		web_reply_json(r, 200, o);
}
