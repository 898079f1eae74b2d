/*
 * web/web_int.h - what the web server's files share and nothing else
 * needs: the route table, the pure helpers (unit-tested in
 * tests/web/test_util.c), the store pool and the upload jobs.
 */
#ifndef DOCENT_WEB_INT_H
#define DOCENT_WEB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "web/server.h"

/* ---- the route table (web/routes.c) ---- */

extern const web_route web_routes[];
extern const size_t web_nroutes;

/* ---- pure helpers (web/util.c) ---- */

/*
 * Matches `path` against a route pattern whose '*' stands for one
 * non-empty path segment. On a match returns 1 and sets args[i] to the
 * start of the i-th '*' segment in path and lens[i] to its length (at most
 * max of them, *n in all); 0 when it does not match.
 */
int web_route_match(const char *pattern, const char *path, const char **args, size_t *lens,
		    size_t max, size_t *n);

/* Compares two strings in time that depends only on their lengths, never
 * on where they differ (for the access token). Non-zero when equal. */
int web_ct_equal(const char *a, const char *b);

/* Non-zero when the Authorization header value `header` is "Bearer TOKEN"
 * with the given token (constant-time). */
int web_bearer_ok(const char *header, const char *token);

/* Non-zero when an HTTP Host header ("name[:port]", "[v6]:port") names a
 * loopback address or localhost, or is absent. Without a token the server
 * answers only such requests: a web page that reaches 127.0.0.1 through a
 * name of its own (DNS rebinding) is refused. */
int web_host_header_local(const char *host);

/* Non-zero when a request's Origin header is absent (not a browser) or
 * names the same scheme-less authority as its Host header. A request that
 * changes something is refused when it comes from another site's page. */
int web_origin_same(const char *origin, const char *host);

/*
 * A file name safe to create in an upload folder, from the name a client
 * gave: the last path component (either slash), no control characters,
 * not "", "." or "..", not starting with '.', at most 200 bytes (cut at a
 * UTF-8 boundary, the extension kept). Writes it to out[n]; returns 0, or
 * DOCENT_EINVAL (with a message) when no safe name can be made.
 */
int web_safe_name(const char *name, char *out, size_t n);

/* Parses a decimal integer in [min, max] (the whole string); 0 or
 * DOCENT_EINVAL. */
int web_parse_long(const char *s, long min, long max, long *out);

/* The largest i <= pos that starts a UTF-8 character in s[0..len), at
 * most 3 bytes back (pos itself inside bytes that are not UTF-8). */
size_t web_utf8_floor(const char *s, size_t len, size_t pos);

/* ---- the store pool and cached retrievers (web/server.c) ---- */

typedef struct web_slot web_slot;

/* Pool of store connections; acquire blocks nothing (a new connection is
 * opened when all are in use). */
int web_pool_acquire(web_server *s, web_slot **out);
void web_pool_release(web_server *s, web_slot *slot);
store *web_slot_store(web_slot *slot);

/* The server's data directory (borrowed). */
const char *web_server_data_dir(const web_server *s);

/* Non-zero once the server is stopping. */
int web_server_stopping(const web_server *s);

/* ---- upload jobs (web/jobs.c) ---- */

typedef struct web_jobs web_jobs;

int web_jobs_new(web_jobs **out, config *cfg, const char *db_path);
/* Asks the running job to stop, waits for the worker, frees. */
void web_jobs_free(web_jobs *j);

/* Queues the ingestion of files (absolute paths, taken over: the job frees
 * them) into collection, with names[] as shown to the user; *id is the
 * job's id. */
int web_jobs_add(web_jobs *j, const char *collection, char **paths, char **names, size_t n,
		 int64_t *id);

/* The job's state as the contract's JSON (NULL when there is no such job). */
json_t *web_jobs_json(web_jobs *j, int64_t id);

web_jobs *web_server_jobs(web_server *s);

/* ---- the generating endpoints (web/gen_slots.c, web/gen_int.h) ---- */

/* Frees the generation gate and its models once no request uses them. */
void web_gen_shutdown(void);

#endif
