/*
 * web/server.c - the HTTP server over libmicrohttpd: listening, the
 * request's life (route, token, body limits, multipart streamed to
 * temporary files), replies with the security headers, the access log,
 * the pool of store connections with their cached retrievers, streams of
 * server-sent events, and a shutdown that lets requests in progress
 * finish.
 *
 * Threads: an acceptor of docent's own (web/acceptor.h) accepts the
 * connections and hands them out evenly to server.workers MHD daemons
 * (one per core), each a thread that polls its connections with epoll
 * and runs each request's handler itself, with no hand-over. What may
 * wait runs elsewhere, its connection suspended so that the thread goes
 * on serving the others: a slow route's handler (a generation, a
 * write) on a thread of its own, resumed when its reply is made; a
 * stream's producer on a thread of its own, the stream's connection
 * suspended whenever it has sent everything written so far and resumed
 * by the next write. A watcher thread notices
 * streams whose client hung up while suspended (MHD does not look at a
 * suspended connection). A request is freed when MHD and its threads are
 * all done with it (a reference count).
 *
 * MHD calls the access handler several times per request: once with the
 * headers, then with pieces of the body, then once more with none, when
 * the handler runs, and again after a resume. A reply queued before the
 * body is read (a refused token, a body over its limit) is sent at once
 * and the rest of the body is never read.
 */
#include "web/server.h"
#include "web/acceptor.h"
#include "web/assets.h"
#include "web/web_int.h"
#include "core/buf.h"
#include "core/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
#define MAX_FILES 1000
#define DRAIN_BYTES (4u << 20)
/* open files kept for the server's own use: databases, uploads, models */
#define FILES_RESERVE 32

typedef struct shared_emb {
	char *spec;
	embedder *e;
	pthread_mutex_t lock;   /* one embedding call at a time per model */
	struct shared_emb *next;
} shared_emb;

struct web_slot {
	store *st;
	retriever *ret;         /* cached for ret_spec (NULL: keyword only) */
	char *ret_spec;
	uint64_t ret_sig;       /* vectors_signature() when it was opened */
	embedder *wrap;         /* the locked view of a shared embedder */
	/* the last check of what a search needs, kept while the database
	 * does not change (store_change_counter) */
	struct {
		int valid, keywords;
		uint64_t counter, sig;
		char *collection, *spec;
	} chk;
	web_slot *next_free, *next_all;
};

struct web_server {
	struct MHD_Daemon **d;  /* one per worker thread */
	int fd;                 /* listening */
	web_acceptor *acceptor;
	int port;
	web_server_params p;
	char *host, *token, *version;
	config *cfg;
	char *db_path;
	vindex_params vp;
	retrieve_params rp;
	int workers;            /* MHD's threads */
	pthread_mutex_t lock;   /* the pool, the models, the request count */
	pthread_cond_t idle;
	web_slot *free_slots, *all_slots;
	shared_emb *embs;
	int active;             /* requests being handled, until freed */
	/* the streams, which the watcher looks at while they wait */
	pthread_mutex_t streams_lock;
	pthread_cond_t streams_cond;
	struct web_sse *streams;
	pthread_t watcher;
	int watcher_started, watcher_stop;
	/* suspended connections: MHD must be stopped with none left */
	pthread_mutex_t susp_lock;
	pthread_cond_t susp_cond;
	int nsuspended, closing;
	volatile int stopping;
	web_jobs *jobs;
	pthread_mutex_t log_lock;
};

typedef struct hdr {
	char *name, *value;
	struct hdr *next;
} hdr;

/* A stream of server-sent events: the producer's thread appends to buf,
 * MHD's content reader (sse_read) sends it, suspending the connection
 * while there is nothing to send. */
struct web_sse {
	pthread_mutex_t lock;
	dbuf buf;
	size_t off;
	int ended;
	volatile int cancel;
	int refs;               /* the response's and the request's */
	int suspended;          /* sse_read found nothing and suspended */
	int ping;               /* the watcher asks for a keep-alive comment */
	double since;           /* when it suspended */
	web_sse_fn fn;
	void *ctx;
	void (*ctx_free)(void *);
	web_request *r;
	web_server *s;
	struct MHD_Connection *conn;
	int fd;                 /* the client's socket, to notice it hang up */
	struct web_sse *next, *prev; /* in s->streams */
};

typedef struct req_state {
	web_request r;
	struct MHD_Connection *conn;
	const web_route *route;
	double t0;
	char method[16];
	char *path;
	char *argv[4];
	dbuf body;
	uint64_t received, limit;
	int asset;
	struct MHD_PostProcessor *pp;
	FILE *cur;
	int pp_error;
	int too_large;
	atomic_int refs;        /* MHD's, and one per thread using the request */
	int deferred;           /* the handler runs on its own thread: its reply
	                           waits in resp until the connection resumes */
	struct MHD_Response *resp;
	int counted;            /* in s->active */
	int replied, status;
	hdr *headers;
	web_slot *slot;
	web_sse *sse;
} req_state;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

web_server_params web_server_default_params(void)
{
	web_server_params p = {
		.host = "127.0.0.1",
		.port = 8080,
		.max_body = 1000000,
		.max_upload = 100000000,
		.timeout_s = 30,
		.max_connections = 128,
		.version = "0",
	};
	return p;
}

const web_server_params *web_server_settings(const web_server *s)
{
	return &s->p;
}

const char *web_server_data_dir(const web_server *s)
{
	return config_data_dir(s->cfg);
}

int web_server_stopping(const web_server *s)
{
	return s->stopping;
}

void web_server_retrieve_params(const web_server *s, retrieve_params *out)
{
	*out = s->rp;
}

web_jobs *web_server_jobs(web_server *s)
{
	return s->jobs;
}

int web_server_port(const web_server *s)
{
	return s->port;
}

/* ---- logging ---- */

static void log_line(web_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(web_server *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->p.log)
		return;
	pthread_mutex_lock(&s->log_lock);
	va_start(ap, fmt);
	vfprintf(s->p.log, fmt, ap);
	va_end(ap);
	fflush(s->p.log);
	pthread_mutex_unlock(&s->log_lock);
}

/* The path as one line of the log: control characters escaped. */
static void log_access(web_server *s, req_state *q)
{
	dbuf b = DBUF_INIT;

	for (const char *p = q->path ? q->path : "?"; *p && b.len < 512; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch < 0x20 || ch == 0x7F || ch == '"')
			dbuf_printf(&b, "\\x%02x", ch);
		else
			dbuf_putc(&b, (char)ch);
	}
	log_line(s, "docent: %s %s %d %.1f ms\n", q->method, b.data ? b.data : "",
		 q->status ? q->status : 0, now_ms() - q->t0);
	dbuf_free(&b);
}

/* ---- replies ---- */

static void add_security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

static void queue(req_state *q, int status, struct MHD_Response *resp, const char *type)
{
	if (!resp) {
		q->replied = 1;
		q->status = 500;
		return;
	}
	add_security_headers(resp);
	if (type)
		MHD_add_response_header(resp, "Content-Type", type);
	for (hdr *h = q->headers; h; h = h->next)
		MHD_add_response_header(resp, h->name, h->value);
	q->replied = 1;
	q->status = status;
	if (q->deferred) {
		/* queued by on_request once the handler's thread resumes the
		 * connection */
		q->resp = resp;
		return;
	}
	MHD_queue_response(q->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
}

static void reply_text(req_state *q, int status, const char *type, const char *text)
{
	size_t n = strlen(text);
	char *copy = malloc(n + 1);
	if (copy)
		memcpy(copy, text, n + 1);
	queue(q, status, copy ? MHD_create_response_from_buffer(n, copy, MHD_RESPMEM_MUST_FREE)
		  : NULL, type);
}

void web_reply_header(web_request *r, const char *name, const char *value)
{
	req_state *q = r->priv;
	hdr *h = calloc(1, sizeof *h);

	if (!h)
		return;
	h->name = strdup(name);
	h->value = strdup(value);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		free(h);
		return;
	}
	h->next = q->headers;
	q->headers = h;
}

void web_reply_json(web_request *r, int status, json_t *body)
{
	req_state *q = r->priv;
	char *text;

	if (q->replied) {
		json_decref(body);
		return;
	}
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	web_reply_json_text(r, status, text, text ? strlen(text) : 0);
}

void web_reply_json_text(web_request *r, int status, char *text, size_t n)
{
	req_state *q = r->priv;

	if (q->replied) {
		free(text);
		return;
	}
	if (!text) {
		reply_text(q, 500, "application/json",
			   "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
		return;
	}
	/* a newline ends the body, for curl at a terminal */
	char *t2 = realloc(text, n + 2);
	if (t2) {
		text = t2;
		text[n++] = '\n';
		text[n] = '\0';
	}
	queue(q, status, MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE),
	      "application/json");
}

static void reply_errorv(req_state *q, int status, const char *code, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	json_t *o = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
	web_reply_json(&q->r, status, o);
}

void web_reply_error(web_request *r, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_errorv(r->priv, status, code, fmt, ap);
	va_end(ap);
}

static void reply_error_q(req_state *q, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void reply_error_q(req_state *q, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_errorv(q, status, code, fmt, ap);
	va_end(ap);
}

void web_reply_rc(web_request *r, int rc)
{
	const char *m = docent_error_message();

	if (!m[0])
		m = docent_strerror(rc);
	switch (rc) {
	case DOCENT_ENOTFOUND:
		web_reply_error(r, 404, "not_found", "%s", m);
		break;
	case DOCENT_EEXIST:
		web_reply_error(r, 409, "conflict", "%s", m);
		break;
	case DOCENT_EINVAL:
	case DOCENT_ECONFIG:
		web_reply_error(r, 400, "bad_request", "%s", m);
		break;
	case DOCENT_ETOOBIG:
		web_reply_error(r, 413, "too_large", "%s", m);
		break;
	case DOCENT_EUNSUPPORTED:
		web_reply_error(r, 415, "unsupported_media_type", "%s", m);
		break;
	case DOCENT_EBUSY:
		web_reply_header(r, "Retry-After", "2");
		web_reply_error(r, 503, "busy", "the database is busy; try again in a moment");
		break;
	default:
		/* a database or file error may name server paths: log it, tell
		 * the client only what kind of failure it was */
		log_line(r->server, "docent: %s %s: %s\n", r->method, r->path, m);
		web_reply_error(r, 500, "internal", "internal error (%s); the server's log has "
				"the details", docent_strerror(rc));
		break;
	}
}

/* ---- the request's inputs ---- */

const char *web_query(const web_request *r, const char *key)
{
	req_state *q = r->priv;
	return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *web_header(const web_request *r, const char *name)
{
	req_state *q = r->priv;
	return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, name);
}

int web_query_int(web_request *r, const char *key, long def, long min, long max, long *out)
{
	const char *v = web_query(r, key);

	if (!v || !v[0]) {
		*out = def;
		return 0;
	}
	if (web_parse_long(v, min, max, out) != 0) {
		web_reply_error(r, 400, "bad_request", "query parameter %s: %s", key,
				docent_error_message());
		return -1;
	}
	return 0;
}

/* ---- the store pool ---- */

/* The slot the calling thread took last (compared, never followed: only a
 * slot found in the free list is taken). */
static _Thread_local web_slot *last_slot;

int web_pool_acquire(web_server *s, web_slot **out)
{
	web_slot *slot;
	store_params sp;
	int rc;

	pthread_mutex_lock(&s->lock);
	/* the slot this thread used last, when free: its scratch memory and
	 * cache are warm in this core's caches */
	web_slot **p = &s->free_slots;
	while (*p && *p != last_slot)
		p = &(*p)->next_free;
	if (!*p)
		p = &s->free_slots;
	slot = *p;
	if (slot)
		*p = slot->next_free;
	pthread_mutex_unlock(&s->lock);
	if (slot) {
		last_slot = slot;
		*out = slot;
		return 0;
	}
	slot = calloc(1, sizeof *slot);
	if (!slot)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	config_store_params(s->cfg, &sp);
	sp.create = 0;
	/* a write (a removal, an upload's batch) may wait behind an ingest's
	 * transaction, which lasts about a second */
	if (sp.busy_timeout_ms < 15000)
		sp.busy_timeout_ms = 15000;
	rc = store_open(&slot->st, s->db_path, &sp);
	if (rc) {
		free(slot);
		return rc;
	}
	pthread_mutex_lock(&s->lock);
	slot->next_all = s->all_slots;
	s->all_slots = slot;
	pthread_mutex_unlock(&s->lock);
	last_slot = slot;
	*out = slot;
	return 0;
}

void web_pool_release(web_server *s, web_slot *slot)
{
	if (!slot)
		return;
	pthread_mutex_lock(&s->lock);
	slot->next_free = s->free_slots;
	s->free_slots = slot;
	pthread_mutex_unlock(&s->lock);
}

store *web_slot_store(web_slot *slot)
{
	return slot->st;
}

/* An embedder shared by every request: calls serialised by its mutex, as
 * a handle allows one call at a time, while each slot has a view of it. */
static int locked_embed(void *self, const char *const *texts, size_t n, embed_kind kind,
			float *out)
{
	shared_emb *se = self;
	int rc;

	pthread_mutex_lock(&se->lock);
	rc = embedder_embed(se->e, texts, n, kind, out);
	pthread_mutex_unlock(&se->lock);
	return rc;
}

static void locked_free(void *self)
{
	(void)self; /* the shared model is the server's */
}

static const embedder_ops LOCKED_OPS = { locked_embed, NULL, locked_free };

static void emb_warning(void *ctx, const char *message)
{
	web_server *s = ctx;
	log_line(s, "docent: embedding model: %s\n", message);
}

static int shared_embedder(web_server *s, const char *spec, embedder **out)
{
	shared_emb *se;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	for (se = s->embs; se; se = se->next)
		if (strcmp(se->spec, spec) == 0)
			break;
	if (!se) {
		se = calloc(1, sizeof *se);
		if (!se || !(se->spec = strdup(spec))) {
			free(se);
			pthread_mutex_unlock(&s->lock);
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		}
		rc = config_embedder_open(s->cfg, spec, emb_warning, s, &se->e);
		if (rc) {
			free(se->spec);
			free(se);
			pthread_mutex_unlock(&s->lock);
			return rc;
		}
		pthread_mutex_init(&se->lock, NULL);
		se->next = s->embs;
		s->embs = se;
	}
	pthread_mutex_unlock(&s->lock);
	return embedder_wrap(out, &LOCKED_OPS, se, embedder_dim(se->e), embedder_max_tokens(se->e),
			     embedder_model_id(se->e));
}

/*
 * What the searched collections' vectors are now, folded into one number:
 * the retriever keeps FAISS indexes open between searches, and another
 * connection (an upload job, `docent ingest`, a removal) may have changed
 * them since; a different signature opens them afresh (which rebuilds a
 * stale file). A few small reads of the collections' vector totals.
 */
static int vectors_signature(store *st, const char *collection, uint64_t *out)
{
	store_collection *c = NULL;
	size_t n = 0;
	uint64_t h = 1469598103934665603ull;
	int rc = store_collection_names(st, &c, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		store_vec_totals t;
		if (collection && strcmp(c[i].name, collection) != 0)
			continue;
		if ((rc = store_vectors_totals(st, c[i].id, &t)) != 0)
			break;
		uint64_t v[5] = { (uint64_t)c[i].id, (uint64_t)t.count, (uint64_t)t.idsum,
				  (uint64_t)t.saved_count, (uint64_t)t.saved_idsum };
		for (int k = 0; k < 5; k++)
			h = (h ^ v[k]) * 1099511628211ull;
	}
	store_collection_list_free(c, n);
	*out = h;
	return rc;
}

static int same_spec(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The embedding model a search of `collection` uses (*spec, caller frees;
 * NULL: none) and its vectors' signature, as checked last by this slot
 * while the database has not changed since: most searches then cost one
 * small read here rather than a look at every collection. */
static int slot_check(web_server *s, web_slot *slot, const char *collection,
		      retrieve_mode mode, char **spec, uint64_t *sig)
{
	int keywords = mode == RETRIEVE_BM25;
	uint64_t counter;
	int rc;

	*spec = NULL;
	if ((rc = store_change_counter(slot->st, &counter)) != 0)
		return rc;
	if (slot->chk.valid && slot->chk.counter == counter && slot->chk.keywords == keywords &&
	    same_spec(slot->chk.collection, collection)) {
		if (slot->chk.spec && !(*spec = strdup(slot->chk.spec)))
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		*sig = slot->chk.sig;
		return 0;
	}
	slot->chk.valid = 0;
	if (!keywords && (rc = config_search_model(s->cfg, slot->st, collection, spec)) != 0)
		return rc;
	if ((rc = vectors_signature(slot->st, collection, sig)) != 0)
		goto fail;
	free(slot->chk.collection);
	free(slot->chk.spec);
	slot->chk.collection = collection ? strdup(collection) : NULL;
	slot->chk.spec = *spec ? strdup(*spec) : NULL;
	if ((collection && !slot->chk.collection) || (*spec && !slot->chk.spec)) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
		goto fail;
	}
	slot->chk.counter = counter;
	slot->chk.keywords = keywords;
	slot->chk.sig = *sig;
	slot->chk.valid = 1;
	return 0;
fail:
	free(*spec);
	*spec = NULL;
	return rc;
}

int web_retriever(web_request *r, const char *collection, retrieve_mode mode, retriever **out)
{
	req_state *q = r->priv;
	web_slot *slot = q->slot;
	web_server *s = r->server;
	embedder *wrap = NULL;
	char *spec = NULL;
	uint64_t sig = 0;
	int rc;

	if ((rc = slot_check(s, slot, collection, mode, &spec, &sig)) != 0)
		return rc;
	if (!spec && mode != RETRIEVE_AUTO && mode != RETRIEVE_BM25)
		return docent_error_set(DOCENT_EINVAL, "mode %s needs an embedding model: ingest "
					"with one (engine.embed_model), or use mode bm25",
					retrieve_mode_name(mode));
	/* a keyword search can use any retriever: it never embeds */
	if (slot->ret && (mode == RETRIEVE_BM25 || same_spec(spec, slot->ret_spec)) &&
	    sig == slot->ret_sig) {
		free(spec);
		*out = slot->ret;
		return 0;
	}
	retriever_close(slot->ret);
	slot->ret = NULL;
	embedder_free(slot->wrap);
	slot->wrap = NULL;
	free(slot->ret_spec);
	slot->ret_spec = NULL;
	if (spec && (rc = shared_embedder(s, spec, &wrap)) != 0) {
		if (mode != RETRIEVE_AUTO) {
			free(spec);
			return rc;
		}
		/* auto mode searches by keywords when the model cannot be opened */
		log_line(s, "docent: keyword search only: %s\n", docent_error_message());
		free(spec);
		spec = NULL;
	}
	rc = retriever_open(&slot->ret, slot->st, wrap, &s->vp);
	if (rc) {
		embedder_free(wrap);
		free(spec);
		return rc;
	}
	slot->wrap = wrap;
	slot->ret_spec = spec;
	slot->ret_sig = sig;
	*out = slot->ret;
	return 0;
}

static void slot_free(web_slot *slot)
{
	free(slot->chk.collection);
	free(slot->chk.spec);
	retriever_close(slot->ret);
	embedder_free(slot->wrap);
	free(slot->ret_spec);
	store_close(slot->st);
	free(slot);
}

/* ---- suspended connections ---- */

/*
 * A connection waiting for a thread (a handler's, a stream's producer) is
 * suspended: MHD's thread serves its other connections meanwhile. MHD
 * must not be stopped while one is suspended, so they are counted, and
 * once the server is closing none is suspended any more.
 */

/* Suspends c, from one of MHD's callbacks on its thread; 0, or -1 when
 * the server is closing (c is not suspended). */
static int conn_suspend(web_server *s, struct MHD_Connection *c)
{
	int rc = -1;

	pthread_mutex_lock(&s->susp_lock);
	if (!s->closing) {
		s->nsuspended++;
		MHD_suspend_connection(c);
		rc = 0;
	}
	pthread_mutex_unlock(&s->susp_lock);
	return rc;
}

/* Resumes c, suspended by conn_suspend; from any thread. */
static void conn_resume(web_server *s, struct MHD_Connection *c)
{
	pthread_mutex_lock(&s->susp_lock);
	MHD_resume_connection(c);
	if (--s->nsuspended == 0)
		pthread_cond_broadcast(&s->susp_cond);
	pthread_mutex_unlock(&s->susp_lock);
}

/* ---- server-sent events ---- */

static void sse_unref(web_sse *e)
{
	int last;

	pthread_mutex_lock(&e->lock);
	last = --e->refs == 0;
	pthread_mutex_unlock(&e->lock);
	if (!last)
		return;
	dbuf_free(&e->buf);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Lets sse_read run again: there is something to send, or to end (e->lock
 * held). */
static void sse_wake(web_sse *e)
{
	if (e->suspended) {
		e->suspended = 0;
		conn_resume(e->s, e->conn);
	}
}

/* Non-zero when the client closed its end of the connection: a peer that
 * hung up is readable with nothing to read (or an error). MHD does not
 * look at a suspended connection, so the watcher asks this of the streams
 * waiting for their producer: a client that leaves while an answer waits
 * for a slot or a model reads a long prompt stops it now, not at the next
 * write. */
static int peer_gone(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char c;

	if (fd < 0 || poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & (POLLERR | POLLHUP | POLLRDHUP))
		return 1;
	/* readable: a hang-up reads as 0 bytes; a pipelined request is data */
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/*
 * The watcher: a thread that looks at the streams 4 times a second while
 * there are any (and sleeps otherwise). A stream waiting for its producer
 * is cancelled when its client has gone or the server stops, and sends a
 * comment after 10 s of silence (for proxies and clients with a timeout of
 * their own, while a model reads a long prompt).
 */
static void *watcher_main(void *arg)
{
	web_server *s = arg;

	pthread_mutex_lock(&s->streams_lock);
	while (!s->watcher_stop) {
		if (!s->streams) {
			pthread_cond_wait(&s->streams_cond, &s->streams_lock);
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->streams_cond, &s->streams_lock, &ts);
		double t = now_ms();
		for (web_sse *e = s->streams; e; e = e->next) {
			pthread_mutex_lock(&e->lock);
			if (s->stopping)
				e->cancel = 1;
			if (e->suspended && (e->cancel || peer_gone(e->fd))) {
				e->cancel = 1;
				sse_wake(e);
			} else if (e->suspended && t - e->since >= 10000) {
				e->ping = 1;
				sse_wake(e);
			}
			pthread_mutex_unlock(&e->lock);
		}
	}
	pthread_mutex_unlock(&s->streams_lock);
	return NULL;
}

/* MHD's content reader, on MHD's thread: what the producer wrote so far,
 * or (nothing yet) 0 with the connection suspended until it writes. */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	static const char ping[] = ": waiting\n\n";
	web_sse *e = cls;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&e->lock);
	if (e->off < e->buf.len) {
		size_t avail = e->buf.len - e->off;
		n = (ssize_t)(avail < max ? avail : max);
		memcpy(buf, e->buf.data + e->off, (size_t)n);
		e->off += (size_t)n;
		if (e->off == e->buf.len) {
			dbuf_reset(&e->buf);
			e->off = 0;
		}
	} else if (e->ended || e->cancel || e->s->stopping) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else if (e->ping) {
		e->ping = 0;
		n = (ssize_t)(sizeof ping - 1 < max ? sizeof ping - 1 : max);
		memcpy(buf, ping, (size_t)n);
	} else if (conn_suspend(e->s, e->conn) == 0) {
		e->suspended = 1;
		e->since = now_ms();
		n = 0;
	} else {
		n = MHD_CONTENT_READER_END_OF_STREAM; /* the server is closing */
	}
	pthread_mutex_unlock(&e->lock);
	return n;
}

/* MHD is done with the stream's response (the connection is done). */
static void sse_response_free(void *cls)
{
	web_sse *e = cls;
	web_server *s = e->s;

	pthread_mutex_lock(&s->streams_lock);
	if (e->prev)
		e->prev->next = e->next;
	else
		s->streams = e->next;
	if (e->next)
		e->next->prev = e->prev;
	pthread_mutex_unlock(&s->streams_lock);
	pthread_mutex_lock(&e->lock);
	e->cancel = 1;
	pthread_mutex_unlock(&e->lock);
	sse_unref(e);
}

static void req_unref(web_server *s, req_state *q);

/* The producer's thread: it holds a reference to the request, whose store
 * connection and inputs it uses, and lets go when done. */
static void *sse_main(void *arg)
{
	web_sse *e = arg;
	req_state *q = e->r->priv;

	e->fn(e, e->r, e->ctx);
	if (e->ctx_free)
		e->ctx_free(e->ctx);
	pthread_mutex_lock(&e->lock);
	e->ended = 1;
	sse_wake(e);
	pthread_mutex_unlock(&e->lock);
	req_unref(e->s, q);
	return NULL;
}

int web_sse_start(web_request *r, web_sse_fn fn, void *ctx, void (*ctx_free)(void *))
{
	req_state *q = r->priv;
	web_server *s = r->server;
	struct MHD_Response *resp;
	pthread_attr_t attr;
	pthread_t t;
	int rc;
	web_sse *e = calloc(1, sizeof *e);

	if (!e) {
		if (ctx_free)
			ctx_free(ctx);
		web_reply_error(r, 500, "internal", "out of memory");
		return DOCENT_ENOMEM;
	}
	pthread_mutex_init(&e->lock, NULL);
	e->refs = 2; /* the response and the request */
	e->fn = fn;
	e->ctx = ctx;
	e->ctx_free = ctx_free;
	e->r = r;
	e->s = s;
	e->conn = q->conn;
	{
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		e->fd = ci ? ci->connect_fd : -1;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read, e,
						 sse_response_free);
	if (!resp) {
		e->refs = 1;
		sse_unref(e);
		if (ctx_free)
			ctx_free(ctx);
		web_reply_error(r, 500, "internal", "out of memory");
		return DOCENT_ENOMEM;
	}
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	pthread_mutex_lock(&s->streams_lock);
	e->next = s->streams;
	if (e->next)
		e->next->prev = e;
	s->streams = e;
	pthread_cond_signal(&s->streams_cond);
	pthread_mutex_unlock(&s->streams_lock);
	atomic_fetch_add(&q->refs, 1); /* the producer's */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, sse_main, e);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		atomic_fetch_sub(&q->refs, 1);
		MHD_destroy_response(resp); /* frees one reference, leaves the list */
		sse_unref(e);
		if (ctx_free)
			ctx_free(ctx);
		web_reply_error(r, 500, "internal", "cannot start a thread");
		return DOCENT_ENOMEM;
	}
	q->sse = e;
	queue(q, 200, resp, "text/event-stream; charset=utf-8");
	return 0;
}

int web_sse_cancelled(const web_sse *s)
{
	return s->cancel || s->s->stopping;
}

volatile int *web_sse_cancel_flag(web_sse *s)
{
	return &s->cancel;
}

static int sse_put(web_sse *e, const char *event, const char *data)
{
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	if (e->cancel || e->s->stopping) {
		e->cancel = 1;
		rc = DOCENT_ECANCELLED;
	} else {
		if (event)
			dbuf_printf(&e->buf, "event: %s\n", event);
		/* each line of the data is a data: line */
		const char *p = data;
		do {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			dbuf_puts(&e->buf, "data: ");
			dbuf_append(&e->buf, p, len);
			dbuf_putc(&e->buf, '\n');
			p = nl ? nl + 1 : NULL;
		} while (p);
		dbuf_putc(&e->buf, '\n');
		sse_wake(e);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

int web_sse_send(web_sse *e, const char *event, json_t *data)
{
	char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	int rc;

	json_decref(data);
	if (!text)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	rc = sse_put(e, event, text);
	free(text);
	return rc;
}

int web_sse_send_text(web_sse *e, const char *event, const char *text)
{
	return sse_put(e, event, text ? text : "");
}

/* ---- the request's life ---- */

static int is_api(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 ||
	       strncmp(path, "/v1/", 4) == 0 || strcmp(path, "/v1") == 0;
}

static void serve_asset(req_state *q)
{
	const web_asset *a;

	if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0) {
		web_reply_header(&q->r, "Allow", "GET, HEAD");
		reply_text(q, 405, "text/plain; charset=utf-8", "Method not allowed\n");
		return;
	}
	a = web_asset_find(q->path);
	if (!a) {
		reply_text(q, 404, "text/plain; charset=utf-8", "Not found\n");
		return;
	}
	/* the page changes with the binary: revalidate the HTML, keep the rest
	 * for a few minutes */
	web_reply_header(&q->r, "Cache-Control",
			 strstr(a->type, "text/html") ? "no-cache" : "public, max-age=300");
	queue(q, 200, MHD_create_response_from_buffer(a->size, (void *)a->data,
						      MHD_RESPMEM_PERSISTENT), a->type);
}

static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *filename, const char *content_type,
				 const char *transfer_encoding, const char *data, uint64_t off,
				 size_t size)
{
	req_state *q = cls;
	web_request *r = &q->r;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	if (!key || strcmp(key, "file") != 0 || !filename)
		return MHD_YES; /* other fields are ignored */
	if (off == 0) {
		char dir[4096], *tmp;
		web_file *f;
		int fd;

		if (q->cur) {
			fclose(q->cur);
			q->cur = NULL;
		}
		if (r->nfiles >= MAX_FILES) {
			q->pp_error = 413;
			return MHD_NO;
		}
		f = realloc(r->files, (r->nfiles + 1) * sizeof *f);
		if (!f)
			goto nomem;
		r->files = f;
		f = &r->files[r->nfiles];
		memset(f, 0, sizeof *f);
		snprintf(dir, sizeof dir, "%s/uploads", web_server_data_dir(r->server));
		mkdir(dir, 0700);
		if (asprintf(&tmp, "%s/.upload-XXXXXX", dir) < 0)
			goto nomem;
		fd = mkstemp(tmp);
		if (fd < 0) {
			free(tmp);
			q->pp_error = 500;
			return MHD_NO;
		}
		f->tmp_path = tmp;
		f->name = strdup(filename);
		r->nfiles++;
		q->cur = fdopen(fd, "wb");
		if (!q->cur || !f->name) {
			if (!q->cur)
				close(fd);
			goto nomem;
		}
	}
	if (!q->cur)
		return MHD_YES;
	if (size && fwrite(data, 1, size, q->cur) != size) {
		q->pp_error = 507;
		return MHD_NO;
	}
	r->files[r->nfiles - 1].size += size;
	return MHD_YES;
nomem:
	q->pp_error = 500;
	return MHD_NO;
}

static void reply_too_large(req_state *q)
{
	reply_error_q(q, 413, "too_large", "the request body is larger than the limit of %llu "
		      "bytes (server.%s)", (unsigned long long)q->limit,
		      q->route && q->route->body == WEB_BODY_UPLOAD ? "max_upload" : "max_body");
}

static void begin(web_server *s, req_state *q)
{
	const char *allow[8];
	size_t nallow = 0;
	const char *cl, *auth, *host, *origin;

	if (!is_api(q->path)) {
		q->asset = 1;
		serve_asset(q);
		return;
	}
	host = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Host");
	origin = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Origin");
	if (!(s->token && s->token[0]) && !web_host_header_local(host)) {
		reply_error_q(q, 403, "forbidden", "this server answers requests for localhost only, "
			      "not for '%s'; to serve other names, set an access token "
			      "(server.token) and --host", host);
		return;
	}
	if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0 &&
	    !web_origin_same(origin, host)) {
		reply_error_q(q, 403, "forbidden", "a page from another site (%s) may not change "
			      "anything here", origin);
		return;
	}
	if (s->token && s->token[0]) {
		auth = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Authorization");
		if (!web_bearer_ok(auth, s->token)) {
			web_reply_header(&q->r, "WWW-Authenticate", "Bearer");
			reply_error_q(q, 401, "unauthorized", auth ? "the access token is not right" :
				      "this server needs an access token: send the header "
				      "'Authorization: Bearer TOKEN'");
			return;
		}
	}
	for (size_t i = 0; i < web_nroutes; i++) {
		const web_route *rt = &web_routes[i];
		const char *args[4];
		size_t lens[4], n;
		if (!web_route_match(rt->pattern, q->path, args, lens, 4, &n))
			continue;
		if (strcmp(rt->method, q->method) != 0) {
			if (nallow < 8)
				allow[nallow++] = rt->method;
			continue;
		}
		q->route = rt;
		for (size_t k = 0; k < n; k++) {
			q->argv[k] = strndup(args[k], lens[k]);
			if (!q->argv[k]) {
				reply_error_q(q, 500, "internal", "out of memory");
				return;
			}
			q->r.args[k] = q->argv[k];
		}
		q->r.nargs = n;
		break;
	}
	if (!q->route) {
		if (nallow) {
			dbuf b = DBUF_INIT;
			for (size_t i = 0; i < nallow; i++)
				dbuf_printf(&b, "%s%s", i ? ", " : "", allow[i]);
			web_reply_header(&q->r, "Allow", b.data);
			reply_error_q(q, 405, "method_not_allowed", "%s is not allowed on %s "
				      "(allowed: %s)", q->method, q->path, b.data);
			dbuf_free(&b);
		} else {
			reply_error_q(q, 404, "not_found", "no API endpoint %s", q->path);
		}
		return;
	}
	q->limit = q->route->body == WEB_BODY_UPLOAD ? s->p.max_upload : s->p.max_body;
	cl = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Content-Length");
	if (cl && strtoull(cl, NULL, 10) > q->limit) {
		reply_too_large(q);
		return;
	}
	if (q->route->body == WEB_BODY_UPLOAD) {
		const char *ct = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
							     "Content-Type");
		if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0) {
			reply_error_q(q, 415, "unsupported_media_type", "upload files as "
				      "multipart/form-data, one 'file' part each");
			return;
		}
		q->pp = MHD_create_post_processor(q->conn, 65536, post_iter, q);
		if (!q->pp) {
			reply_error_q(q, 400, "bad_request", "the multipart body has no boundary");
			return;
		}
	}
}

static void consume(web_server *s, req_state *q, const char *data, size_t size)
{
	(void)s;
	q->received += size;
	if (q->received > q->limit) {
		/* a body sent without its length (chunked) is read on, unused, for
		 * a while, so the client is reading when the 413 comes (a reply
		 * while it still sends may be lost to a reset); then it is cut */
		q->too_large = 1;
		if (q->received > q->limit + DRAIN_BYTES)
			reply_too_large(q);
		return;
	}
	if (!q->route || q->route->body == WEB_BODY_NONE)
		return;
	if (q->route->body == WEB_BODY_UPLOAD) {
		if (MHD_post_process(q->pp, data, size) != MHD_YES) {
			if (q->pp_error == 413)
				reply_error_q(q, 413, "too_large", "at most %d files per upload",
					      MAX_FILES);
			else if (q->pp_error == 507)
				reply_error_q(q, 507, "internal", "the server's disk is full");
			else if (q->pp_error)
				reply_error_q(q, 500, "internal", "the upload could not be saved");
			else
				reply_error_q(q, 400, "bad_request", "the multipart body is malformed");
		}
		return;
	}
	if (dbuf_append(&q->body, data, size) != 0)
		reply_error_q(q, 500, "internal", "out of memory");
}

/*
 * Where handlers run. MHD's threads (server.workers, one per core by
 * default) each poll their connections with epoll and run a request's
 * handler as soon as its body is read: a search is answered on the thread
 * that read it, with no hand-over. Since a thread serves many connections,
 * a handler that may wait (for a language model, a generation slot, a
 * write behind another connection's transaction: the routes marked slow)
 * runs on a thread of its own instead, its connection suspended until the
 * reply is made. A stream's producer runs on a thread of its own too (see
 * web_sse_start).
 */

/* The handler's part of a request: a store connection from the pool,
 * given back as soon as the reply is made (a stream's producer keeps it),
 * so that a few connections, warm, serve everyone. */
static void run_handler(web_server *s, req_state *q)
{
	web_request *r = &q->r;
	int rc;

	if ((rc = web_pool_acquire(s, &q->slot)) != 0) {
		web_reply_rc(r, rc);
		return;
	}
	r->st = q->slot->st;
	docent_error_clear();
	q->route->fn(r);
	if (!q->sse) {
		web_pool_release(s, q->slot);
		q->slot = NULL;
		r->st = NULL;
	}
	if (!q->replied)
		reply_error_q(q, 500, "internal", "the endpoint gave no reply");
}

/* A slow route's thread: the handler, then the connection resumed, which
 * has MHD call on_request again to queue the reply. */
static void *slow_main(void *arg)
{
	req_state *q = arg;
	web_server *s = q->r.server;

	run_handler(s, q);
	conn_resume(s, q->conn);
	req_unref(s, q);
	return NULL;
}

/* Runs a slow route's handler on a thread of its own, q's connection
 * suspended meanwhile (on MHD's thread, in on_request). */
static void run_slow(web_server *s, req_state *q)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (conn_suspend(s, q->conn) != 0) {
		web_reply_header(&q->r, "Retry-After", "5");
		reply_error_q(q, 503, "busy", "the server is shutting down");
		return;
	}
	q->deferred = 1;
	atomic_fetch_add(&q->refs, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, slow_main, q);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		atomic_fetch_sub(&q->refs, 1);
		web_reply_header(&q->r, "Retry-After", "1");
		reply_error_q(q, 503, "busy", "the server cannot start a thread now; try again");
		conn_resume(s, q->conn);
	}
}

static void finish(web_server *s, req_state *q)
{
	web_request *r = &q->r;

	/* from here the request counts as in progress: shutdown waits for it
	 * (a client still sending its body does not hold the shutdown up) */
	pthread_mutex_lock(&s->lock);
	s->active++;
	pthread_mutex_unlock(&s->lock);
	q->counted = 1;
	if (q->too_large) {
		reply_too_large(q);
		return;
	}
	if (q->route->body == WEB_BODY_UPLOAD) {
		enum MHD_Result ok = MHD_destroy_post_processor(q->pp);
		q->pp = NULL;
		if (q->cur) {
			int bad = fclose(q->cur) != 0;
			q->cur = NULL;
			if (bad) {
				reply_error_q(q, 507, "internal", "the upload could not be saved");
				return;
			}
		}
		if (ok != MHD_YES) {
			reply_error_q(q, 400, "bad_request", "the multipart body is malformed or cut short");
			return;
		}
	} else if (q->route->body == WEB_BODY_JSON && q->body.len) {
		json_error_t err;
		r->json = json_loadb(q->body.data, q->body.len, JSON_REJECT_DUPLICATES, &err);
		if (!r->json) {
			reply_error_q(q, 400, "bad_request", "the body is not valid JSON: %s "
				      "(line %d, column %d)", err.text, err.line, err.column);
			return;
		}
	} else if (q->route->body == WEB_BODY_RAW) {
		r->body = q->body.data ? q->body.data : "";
		r->body_len = q->body.len;
	}
	if (q->route->slow)
		run_slow(s, q);
	else
		run_handler(s, q);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	web_server *s = cls;
	req_state *q = *con_cls;

	(void)version;
	if (!q) {
		q = calloc(1, sizeof *q);
		if (!q)
			return MHD_NO;
		atomic_init(&q->refs, 1); /* MHD's, let go in on_completed */
		q->t0 = now_ms();
		q->conn = conn;
		snprintf(q->method, sizeof q->method, "%s", method);
		q->path = strdup(url ? url : "/");
		q->r.method = q->method;
		q->r.path = q->path ? q->path : "/";
		q->r.cfg = s->cfg;
		q->r.server = s;
		q->r.priv = q;
		*con_cls = q;
		if (!q->path)
			return MHD_NO;
		if (s->stopping) {
			web_reply_header(&q->r, "Retry-After", "5");
			reply_error_q(q, 503, "busy", "the server is shutting down");
			return MHD_YES;
		}
		begin(s, q);
		return MHD_YES;
	}
	if (q->deferred) {
		/* resumed: the slow handler's thread has made the reply */
		q->deferred = 0;
		if (MHD_queue_response(conn, (unsigned)q->status, q->resp) != MHD_YES)
			q->status = 500;
		MHD_destroy_response(q->resp);
		q->resp = NULL;
		return MHD_YES;
	}
	if (q->replied) {
		*upload_size = 0; /* a reply went early: the rest is not read */
		return MHD_YES;
	}
	if (*upload_size) {
		consume(s, q, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	finish(s, q);
	return MHD_YES;
}

/* Frees q once neither MHD nor a thread of its own uses it; the request is
 * over then: its access-log line, its files, its store connection. */
static void req_unref(web_server *s, req_state *q)
{
	int counted;

	if (atomic_fetch_sub(&q->refs, 1) != 1)
		return;
	log_access(s, q);
	if (q->sse)
		sse_unref(q->sse);
	if (q->resp)
		MHD_destroy_response(q->resp);
	if (q->pp)
		MHD_destroy_post_processor(q->pp);
	if (q->cur)
		fclose(q->cur);
	for (size_t i = 0; i < q->r.nfiles; i++) {
		if (q->r.files[i].tmp_path)
			unlink(q->r.files[i].tmp_path);
		free(q->r.files[i].tmp_path);
		free(q->r.files[i].name);
	}
	free(q->r.files);
	json_decref(q->r.json);
	dbuf_free(&q->body);
	web_pool_release(s, q->slot);
	for (size_t i = 0; i < 4; i++)
		free(q->argv[i]);
	while (q->headers) {
		hdr *h = q->headers;
		q->headers = h->next;
		free(h->name);
		free(h->value);
		free(h);
	}
	counted = q->counted;
	free(q->path);
	free(q);
	if (counted) {
		pthread_mutex_lock(&s->lock);
		s->active--;
		pthread_cond_broadcast(&s->idle);
		pthread_mutex_unlock(&s->lock);
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	web_server *s = cls;
	req_state *q = *con_cls;

	(void)conn;
	if (!q)
		return;
	*con_cls = NULL;
	if (q->sse) {
		/* a producer still running stops at its next look */
		pthread_mutex_lock(&q->sse->lock);
		q->sse->cancel = 1;
		pthread_mutex_unlock(&q->sse->lock);
	}
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && q->status && !q->sse)
		q->status = 499; /* the client went before the reply was sent */
	req_unref(s, q);
}

/* ---- start and stop ---- */

static int listen_on(const char *host, int port, int *fd_out, int *port_out)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char portstr[16];
	int fd = -1, rc, err = 0;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(portstr, sizeof portstr, "%d", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc)
		return docent_error_set(DOCENT_EINVAL, "cannot resolve the address '%s': %s", host,
					gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return docent_error_set(DOCENT_EIO, "cannot listen on %s port %d: %s", host, port,
					strerror(err));
	{
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
			*port_out = ntohs(ss.ss_family == AF_INET6 ?
					  ((struct sockaddr_in6 *)&ss)->sin6_port :
					  ((struct sockaddr_in *)&ss)->sin_port);
	}
	*fd_out = fd;
	return 0;
}

static void server_free(web_server *s)
{
	if (s->watcher_started) {
		pthread_mutex_lock(&s->streams_lock);
		s->watcher_stop = 1;
		pthread_cond_signal(&s->streams_cond);
		pthread_mutex_unlock(&s->streams_lock);
		pthread_join(s->watcher, NULL);
	}
	while (s->all_slots) {
		web_slot *n = s->all_slots->next_all;
		slot_free(s->all_slots);
		s->all_slots = n;
	}
	while (s->embs) {
		shared_emb *n = s->embs->next;
		embedder_free(s->embs->e);
		pthread_mutex_destroy(&s->embs->lock);
		free(s->embs->spec);
		free(s->embs);
		s->embs = n;
	}
	free(s->db_path);
	free(s->host);
	free(s->token);
	free(s->version);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->log_lock);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->streams_lock);
	pthread_cond_destroy(&s->streams_cond);
	pthread_mutex_destroy(&s->susp_lock);
	pthread_cond_destroy(&s->susp_cond);
	free(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	web_server *s = cls;
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	/* MHD reports dropped idle clients and the like: worth a line */
	log_line(s, "docent: http: %s%s", msg, msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

/* How many connections the open-file limit leaves room for, up to
 * `want`; the soft limit is raised towards the hard one first. */
static int connections_for_files(web_server *s, int want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + FILES_RESERVE;
	int n;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need)
		return want;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return want;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return want;
	n = rl.rlim_cur > FILES_RESERVE + 1 ? (int)(rl.rlim_cur - FILES_RESERVE) : 1;
	log_line(s, "docent: serving at most %d connections at once, not server.max_connections "
		 "(%d): this process may open %llu files (raise it with ulimit -n)\n", n, want,
		 (unsigned long long)rl.rlim_cur);
	return n;
}

static void stop_daemons(web_server *s)
{
	for (int i = 0; s->d && i < s->workers; i++)
		if (s->d[i])
			MHD_stop_daemon(s->d[i]);
	free(s->d);
	s->d = NULL;
}

static void acceptor_report(void *ctx, const char *message)
{
	log_line(ctx, "docent: http: %s\n", message);
}

int web_server_start(web_server **out, config *cfg, const web_server_params *p)
{
	web_server *s;
	struct stat st;
	int rc;

	*out = NULL;
	if (!web_host_is_loopback(p->host) && !(p->token && p->token[0]))
		return docent_error_set(DOCENT_EINVAL, "serving on %s, beyond this computer, needs "
					"an access token: set server.token in the configuration "
					"file or DOCENT_TOKEN in the environment (for example "
					"DOCENT_TOKEN=$(openssl rand -hex 32)), or serve on "
					"127.0.0.1", p->host);
	s = calloc(1, sizeof *s);
	if (!s)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->log_lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	pthread_mutex_init(&s->streams_lock, NULL);
	pthread_cond_init(&s->streams_cond, NULL);
	pthread_mutex_init(&s->susp_lock, NULL);
	pthread_cond_init(&s->susp_cond, NULL);
	s->p = *p;
	s->workers = p->workers > 0 ? p->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (s->workers < 1)
		s->workers = 1;
	s->fd = -1;
	s->cfg = cfg;
	s->host = strdup(p->host && p->host[0] ? p->host : "127.0.0.1");
	s->token = p->token && p->token[0] ? strdup(p->token) : NULL;
	s->version = strdup(p->version ? p->version : "0");
	s->db_path = config_db_path(cfg);
	if (!s->host || !s->version || !s->db_path || (p->token && p->token[0] && !s->token)) {
		server_free(s);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	s->p.host = s->host;
	s->p.token = s->token;
	s->p.version = s->version;
	config_vindex_params(cfg, &s->vp);
	s->vp.mmap = 1; /* only searching: a large IVF index opens in milliseconds */
	config_retrieve_params(cfg, &s->rp);
	if (stat(s->db_path, &st) != 0) {
		rc = docent_error_set(DOCENT_ENOTFOUND, "no database at %s yet: run `docent "
				      "ingest PATH` to add documents (or `docent init`)", s->db_path);
		server_free(s);
		return rc;
	}
	if (pthread_create(&s->watcher, NULL, watcher_main, s) != 0) {
		server_free(s);
		return docent_error_set(DOCENT_ENOMEM, "cannot start a thread");
	}
	s->watcher_started = 1;
	if ((rc = web_jobs_new(&s->jobs, cfg, s->db_path)) != 0) {
		server_free(s);
		return rc;
	}
	if ((rc = listen_on(s->host, p->port, &s->fd, &s->port)) != 0) {
		web_jobs_free(s->jobs);
		server_free(s);
		return rc;
	}
	if ((rc = web_acceptor_new(&s->acceptor, s->fd,
				   connections_for_files(s, p->max_connections),
				   p->max_per_ip)) != 0) {
		close(s->fd);
		web_jobs_free(s->jobs);
		server_free(s);
		return rc;
	}
	/* docent accepts, and hands each connection to one of the workers'
	 * daemons (web/acceptor.h says why) */
	s->d = calloc((size_t)s->workers, sizeof *s->d);
	rc = s->d ? 0 : docent_error_set(DOCENT_ENOMEM, "out of memory");
	for (int i = 0; i < s->workers && rc == 0; i++) {
		s->d[i] = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
					   MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
					   MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC,
					   0, NULL, NULL, on_request, s,
					   MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
					   MHD_OPTION_CONNECTION_LIMIT,
					   web_acceptor_mhd_limit(p->max_connections),
					   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)p->timeout_s,
					   MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
					   MHD_OPTION_NOTIFY_CONNECTION, web_acceptor_notify,
					   s->acceptor,
					   MHD_OPTION_END);
		if (!s->d[i])
			rc = docent_error_set(DOCENT_EIO, "the HTTP server could not start");
	}
	if (rc == 0)
		rc = web_acceptor_start(s->acceptor, s->d, s->workers, acceptor_report, s);
	if (rc) {
		stop_daemons(s);
		web_acceptor_free(s->acceptor);
		close(s->fd);
		web_jobs_free(s->jobs);
		server_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Waits until no request is in progress, until `until` (NULL: however
 * long it takes); 0 when none is left. */
static int wait_idle(web_server *s, const struct timespec *until)
{
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	while (s->active > 0 && rc == 0)
		rc = until ? pthread_cond_timedwait(&s->idle, &s->lock, until)
			   : pthread_cond_wait(&s->idle, &s->lock);
	rc = s->active > 0;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void web_server_stop(web_server *s, int wait_ms)
{
	struct timespec until;

	if (!s)
		return;
	s->stopping = 1;
	/* new connections wait in the listen queue until it closes */
	web_acceptor_stop(s->acceptor);
	/* the watcher cancels the streams */
	pthread_mutex_lock(&s->streams_lock);
	pthread_cond_signal(&s->streams_cond);
	pthread_mutex_unlock(&s->streams_lock);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	wait_idle(s, &until);
	/* MHD may not stop with a connection suspended: none is suspended from
	 * now on, and those that are wait for their handler (a stream, told to
	 * stop, ends at once) */
	pthread_mutex_lock(&s->susp_lock);
	s->closing = 1;
	while (s->nsuspended > 0)
		pthread_cond_wait(&s->susp_cond, &s->susp_lock);
	pthread_mutex_unlock(&s->susp_lock);
	stop_daemons(s);
	/* the streams' producers still running hold their requests */
	wait_idle(s, NULL);
	web_jobs_free(s->jobs);
	web_gen_shutdown(); /* the language models of web/gen_slots.c */
	web_acceptor_free(s->acceptor);
	close(s->fd);
	server_free(s);
}
