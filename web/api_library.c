/*
 * web/api_library.c - the library endpoints of the JSON API: health,
 * collections, documents (list, upload, remove, the text around a span)
 * and upload jobs. Thin: each parses the request, calls the store or the
 * ingest pipeline, and writes the contract's JSON (docs/api.md).
 */
#include "web/web_int.h"
#include "core/buf.h"
#include "core/error.h"
#include "index/vecset.h"
#include "ingest/walk.h"

#include <errno.h>
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
	json_t *o = json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:I, s:s, s:s?, s:I, s:I}",
		"id", (json_int_t)d->id, "collection", d->collection, "path", d->path,
		"title", d->title, "format", d->format, "size", (json_int_t)d->size,
		"status", d->status, "error", d->error, "chunks", (json_int_t)d->nchunks,
		"ingested_at", (json_int_t)d->ingested_at);
	if (o)
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

/* Creates a folder and its parents. */
static int make_dirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof buf)
		return docent_error_set(DOCENT_EINVAL, "path too long");
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char save = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0700) != 0 && errno != EEXIST)
				return docent_error_set(docent_error_from_errno(errno),
							"cannot create a folder for uploads: %s",
							strerror(errno));
			buf[i] = save;
		}
	}
	return 0;
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
	if ((rc = make_dirs(dir)) != 0)
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

/* Copies the document's text in [lo, hi) into out from its chunks, which
 * are slices of it (overlapping), marking in covered[] the bytes a chunk
 * holds; the others (the breaks between blocks, a title kept apart) are
 * unknown and read as newlines. */
static void text_range(const store_chunk *c, size_t n, int64_t lo, int64_t hi, char *out,
		       char *covered)
{
	memset(out, '\n', (size_t)(hi - lo));
	memset(covered, 0, (size_t)(hi - lo));
	for (size_t i = 0; i < n; i++) {
		int64_t a = c[i].start_byte > lo ? c[i].start_byte : lo;
		int64_t b = c[i].end_byte < hi ? c[i].end_byte : hi;
		if (a >= b || (int64_t)c[i].len != c[i].end_byte - c[i].start_byte)
			continue;
		memcpy(out + (a - lo), c[i].text + (a - c[i].start_byte), (size_t)(b - a));
		memset(covered + (a - lo), 1, (size_t)(b - a));
	}
}

/* The bytes [a, b) of buf as JSON text: a run of unknown bytes becomes at
 * most a paragraph break, and none at all at the start (trim_start) or the
 * end (trim_end). */
static json_t *text_json(const char *buf, const char *covered, size_t a, size_t b, int trim_start,
			 int trim_end)
{
	dbuf d = DBUF_INIT;
	json_t *j;

	if (trim_start)
		while (a < b && !covered[a])
			a++;
	if (trim_end)
		while (b > a && !covered[b - 1])
			b--;
	for (size_t i = a; i < b;) {
		if (covered[i]) {
			size_t k = i;
			while (k < b && covered[k])
				k++;
			dbuf_append(&d, buf + i, k - i);
			i = k;
		} else {
			size_t k = i;
			while (k < b && !covered[k])
				k++;
			dbuf_append(&d, "\n\n", k - i < 2 ? k - i : 2);
			i = k;
		}
	}
	j = json_stringn(d.data ? d.data : "", d.len);
	dbuf_free(&d);
	return j;
}

void api_documents_text(web_request *r)
{
	int64_t id = doc_id_arg(r), total = 0, lo, hi;
	store_chunk *c = NULL;
	size_t n = 0;
	store_doc *d;
	long start, end, context;
	const store_chunk *at = NULL;
	char *buf, *covered;
	size_t s, e, blo;
	json_t *o;
	int rc;

	if (id < 0 || !(d = find_doc(r, id)))
		return;
	if ((rc = store_doc_chunks(r->st, id, &c, &n)) != 0) {
		store_doc_list_free(d, 1);
		web_reply_rc(r, rc);
		return;
	}
	if (n == 0) {
		web_reply_error(r, 404, "not_found", "document %lld has no text (%s)", (long long)id,
				d->error ? d->error : "nothing was extracted");
		store_doc_list_free(d, 1);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (c[i].end_byte > total)
			total = c[i].end_byte;
	if (web_query_int(r, "start", c[0].start_byte, 0, total, &start))
		goto out;
	/* without an end, the passage (chunk) the start is in */
	{
		long def_end = start;
		for (size_t i = 0; i < n; i++)
			if (c[i].start_byte <= start && start < c[i].end_byte) {
				def_end = (long)c[i].end_byte;
				break;
			}
		if (web_query_int(r, "end", def_end, start, total, &end) ||
		    web_query_int(r, "context", 1500, 0, 100000, &context))
			goto out;
	}
	lo = start - context > 0 ? start - context : 0;
	hi = end + context < total ? end + context : total;
	buf = malloc((size_t)(hi - lo) + 1);
	covered = malloc((size_t)(hi - lo) + 1);
	if (!buf || !covered) {
		free(buf);
		free(covered);
		web_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	text_range(c, n, lo, hi, buf, covered);
	/* cut on character boundaries, so each part is valid UTF-8 */
	s = web_utf8_floor(buf, (size_t)(hi - lo), (size_t)(start - lo));
	e = web_utf8_floor(buf, (size_t)(hi - lo), (size_t)(end - lo));
	blo = web_utf8_floor(buf, (size_t)(hi - lo), 0);
	while (blo < s && ((unsigned char)buf[blo] & 0xC0) == 0x80)
		blo++;
	{
		size_t bhi = web_utf8_floor(buf, (size_t)(hi - lo), (size_t)(hi - lo));
		for (size_t i = 0; i < n; i++)
			if (c[i].start_byte <= lo + (int64_t)s && lo + (int64_t)s < c[i].end_byte) {
				at = &c[i];
				break;
			}
		if (!at)
			at = &c[0];
		o = json_pack("{s:{s:I, s:s, s:s?, s:s?}, s:I, s:I, s:o, s:o, s:o}",
			"document", "id", (json_int_t)id, "path", d->path, "title", d->title,
			"format", d->format,
			"start_byte", (json_int_t)(lo + (int64_t)s), "end_byte", (json_int_t)(lo + (int64_t)e),
			"before", text_json(buf, covered, blo, s, 1, 0),
			"text", text_json(buf, covered, s, e, 0, 0),
			"after", text_json(buf, covered, e, bhi, 0, 1));
		if (o) {
			json_object_set_new(o, "page", at->page_start > 0 ?
					    json_integer(at->page_start) : json_null());
			json_object_set_new(o, "heading", at->heading ? json_string(at->heading) :
					    json_null());
			json_object_set_new(o, "text_bytes", json_integer(total));
		}
	}
	free(buf);
	free(covered);
	if (!o)
		web_reply_error(r, 500, "internal", "the document's text is not valid UTF-8");
	else
		web_reply_json(r, 200, o);
out:
	store_chunks_free(c, n);
	store_doc_list_free(d, 1);
}
