/*
 * web/server.h - `docent serve`: the HTTP server (libmicrohttpd), its route
 * table, and what a route handler uses to read a request and reply with
 * JSON, a JSON error or a stream of server-sent events.
 *
 * Model: a few threads (server.workers, one per core by default), each
 * polling its share of the connections with epoll and running a request's
 * handler as soon as the request is read, so that many clients share the
 * cores without a thread, or a hand-over between threads, per request. A
 * handler that may wait (for a language model, a generation slot, a
 * write lock: a route marked `slow`) runs on a thread of its own with its
 * connection suspended, and a stream's producer too, so a wait never holds
 * up the other clients. Limits: connections in all and per client address, an idle timeout (a client that sends a byte a minute
 * is dropped), the size of a JSON body and of an upload (multipart bodies
 * are streamed to temporary files, never held whole in memory). Every
 * request gets a store connection of its own from a small pool (WAL, busy
 * timeout), so a `docent ingest` writing the same database never shows a
 * user "database is locked".
 *
 * Routes: everything under /api/ and /v1/ goes through the route table
 * (web/routes.c, one row per method and path pattern); with a token
 * configured, those requests need "Authorization: Bearer TOKEN" (compared
 * in constant time). Every other GET or HEAD is an asset of the page
 * (web/assets.h). Each response carries the security headers (a
 * Content-Security-Policy without inline scripts, nosniff, no referrer),
 * and one access-log line per request names the method, the path without
 * its query, the status and the time taken: never a body or a token.
 *
 * Adding an endpoint: write a handler (void fn(web_request *r)) that reads
 * the request through the web_request fields and web_query(), calls the
 * libraries with r->st and r->cfg, and replies exactly once with
 * web_reply_json(), web_reply_error(), web_reply_rc() or web_sse_start();
 * then add a row to the table in web/routes.c.
 *
 * Threads: handlers run on the server's threads or (slow routes) on their
 * own, many at once; the store of a request is its own for the request's
 * life. The config is
 * shared and read-only while the server runs.
 */
#ifndef DOCENT_WEB_SERVER_H
#define DOCENT_WEB_SERVER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "index/store.h"
#include "rag/retrieve.h"

typedef struct web_server web_server;

typedef struct web_server_params {
	const char *host;          /* default "127.0.0.1"; a name or an address */
	int port;                  /* default 8080; 0: the system picks one */
	const char *token;         /* NULL or "": no token (loopback only) */
	uint64_t max_body;         /* bytes of a JSON body (default 1 MB) */
	uint64_t max_upload;       /* bytes of an upload request (default 100 MB) */
	int timeout_s;             /* idle connection timeout (default 30) */
	int max_connections;       /* default 128 */
	int max_per_ip;            /* connections per client address (default 0: as
	                              max_connections) */
	int workers;               /* the server's threads, each running the handlers of
	                              its connections (default 0: one per core) */
	const char *version;       /* reported by /api/health */
	FILE *log;                 /* access log and server errors; NULL: none */
} web_server_params;

web_server_params web_server_default_params(void);

/* Non-zero when `host` names the loopback interface (127.0.0.0/8, ::1,
 * "localhost"), where the server may run without a token. */
int web_host_is_loopback(const char *host);

/*
 * Starts serving: binds host:port and returns once it listens. `cfg`
 * (borrowed, read-only while serving) gives the data directory and the
 * modules' settings. A host that is not loopback without a token is
 * refused (DOCENT_EINVAL, the message says how to set one). Errors:
 * DOCENT_EIO (cannot bind: the message names the address), DOCENT_ENOMEM.
 * The database must exist (DOCENT_ENOTFOUND otherwise).
 */
int web_server_start(web_server **out, config *cfg, const web_server_params *p);

/* The port it listens on (the chosen one when started with port 0). */
int web_server_port(const web_server *s);

/*
 * Stops accepting connections, lets the requests in progress finish for up
 * to wait_ms (streams and upload jobs are asked to stop), then closes
 * everything and frees the server. NULL is a no-op.
 */
void web_server_stop(web_server *s, int wait_ms);

/* ---- handlers ---- */

typedef struct web_sse web_sse;
typedef struct web_upload web_upload;

/* One uploaded file of a multipart request, saved in a temporary file that
 * is removed after the request unless the handler moved it. */
typedef struct web_file {
	char *name;        /* the file name the client gave (may be unsafe) */
	char *tmp_path;    /* where its bytes are now */
	uint64_t size;
} web_file;

typedef struct web_request {
	const char *method;     /* "GET", "POST"... */
	const char *path;       /* the URL path, decoded, without the query */
	const char *args[4];    /* the path's '*' segments, decoded, in order */
	size_t nargs;
	json_t *json;           /* the body, parsed, for a route with WEB_BODY_JSON
	                           (NULL when the body is empty); borrowed */
	const char *body;       /* the raw body (WEB_BODY_RAW); NUL-terminated */
	size_t body_len;
	web_file *files;        /* the files of a WEB_BODY_UPLOAD route */
	size_t nfiles;
	store *st;              /* this request's own store connection */
	config *cfg;            /* shared, read-only */
	web_server *server;
	void *priv;             /* the server's */
} web_request;

typedef void (*web_handler)(web_request *r);

/* What a route's body is. */
enum {
	WEB_BODY_NONE = 0,      /* a body is refused (413 when large, else ignored) */
	WEB_BODY_JSON = 1,      /* parsed as JSON, up to server.max_body: a malformed
	                           one is answered 400 before the handler runs */
	WEB_BODY_RAW = 2,       /* kept as bytes, up to server.max_body */
	WEB_BODY_UPLOAD = 3,    /* multipart/form-data, up to server.max_upload,
	                           its files streamed to temporary files */
};

typedef struct web_route {
	const char *method;
	const char *pattern;    /* "/api/documents/ * /text" without spaces: '*'
	                           matches one path segment (r->args) */
	web_handler fn;
	int body;               /* WEB_BODY_* */
	int slow;               /* non-zero: the handler may wait long (a model, a
	                           generation slot, a write behind another's
	                           transaction) and runs on a thread of its own */
} web_route;

/* The value of query parameter `key` (decoded), or NULL. */
const char *web_query(const web_request *r, const char *key);

/* The value of request header `name`, or NULL. */
const char *web_header(const web_request *r, const char *name);

/* Query parameter `key` as an integer in [min, max]: def when absent; -1
 * with a 400 reply sent when it is not a number in range. */
int web_query_int(web_request *r, const char *key, long def, long min, long max, long *out);

/* Replies with `body` (takes ownership; NULL: 500 out of memory) as JSON
 * with HTTP status `status`. */
void web_reply_json(web_request *r, int status, json_t *body);

/* Replies with `text`, n bytes of JSON written by the handler (takes
 * ownership of the malloc'd text; NULL: 500 out of memory). */
void web_reply_json_text(web_request *r, int status, char *text, size_t n);

/* Replies {"error":{"code":code,"message":...}} with HTTP status `status`;
 * code is one of the contract's (bad_request, not_found...). */
void web_reply_error(web_request *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Replies with the error of a library call that returned rc (a DOCENT_E*
 * code) and left its message: not found 404, exists 409, invalid 400, too
 * big 413, busy 503 with Retry-After, anything else 500 with a generic
 * message (the detail goes to the server's log, never to the client). */
void web_reply_rc(web_request *r, int rc);

/* Adds a response header to the reply that follows (e.g. Location). */
void web_reply_header(web_request *r, const char *name, const char *value);

/* The server's version string and settings, for handlers. */
const web_server_params *web_server_settings(const web_server *s);

/* The retrieval settings (search.*), read from the config at start, for a
 * handler to adjust per request. */
void web_server_retrieve_params(const web_server *s, retrieve_params *out);

/*
 * A retriever on r->st for searching `collection` (NULL: all) in `mode`,
 * with the embedding model that search needs (retrieve_embedder_for),
 * cached with the request's store connection. Borrowed until the request
 * ends. On failure returns the DOCENT_E* code with its message.
 */
int web_retriever(web_request *r, const char *collection, retrieve_mode mode, retriever **out);

/* ---- server-sent events ---- */

/*
 * Streams the reply as text/event-stream. `fn` runs on a thread of its
 * own and writes events with web_sse_send() until it returns; the stream
 * ends then (web_sse_start frees ctx with ctx_free, which may be NULL,
 * after fn returns). r and r->st stay valid while fn runs, but read what
 * you need from the query and headers in the handler, before starting.
 * Returns 0, or a negative code after replying with an error.
 */
typedef void (*web_sse_fn)(web_sse *s, web_request *r, void *ctx);
int web_sse_start(web_request *r, web_sse_fn fn, void *ctx, void (*ctx_free)(void *));

/* Sends one event: "event: NAME" (NULL: none) and data = `data` serialised
 * compactly (takes ownership). Returns 0, or DOCENT_ECANCELLED when the
 * client has gone or the server is stopping: the producer should stop. */
int web_sse_send(web_sse *s, const char *event, json_t *data);

/* Sends raw text as an event's data (may hold newlines: split into data
 * lines). Same returns as web_sse_send. */
int web_sse_send_text(web_sse *s, const char *event, const char *text);

/* Non-zero once the client has gone or the server is stopping. */
int web_sse_cancelled(const web_sse *s);

/* A flag that becomes non-zero with web_sse_cancelled(), for libraries
 * that poll a `volatile int *cancel`. */
volatile int *web_sse_cancel_flag(web_sse *s);

#endif
