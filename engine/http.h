/*
 * http.h - the little HTTP the model backends need, over libcurl: POST a
 * JSON body and read the JSON answer (with a timeout and retries), or POST
 * and read a streamed answer line by line (server-sent events or JSON
 * lines), with a limit on how long the server may stay silent.
 *
 * Failures come back as DOCENT_E* codes with a message that names the URL
 * and says what to do: the server is down (DOCENT_EIO), too slow
 * (DOCENT_EIO), refused the API key (DOCENT_EPERM), does not know the
 * model or path (DOCENT_ENOTFOUND), rejected the request (DOCENT_EINVAL),
 * or failed itself (DOCENT_EIO); the server's own error text is quoted.
 *
 * The API key is read from the environment at each request and sent as
 * "Authorization: Bearer KEY". Thread-safe: every call uses its own curl
 * handle (libcurl's global set-up happens once, on first use).
 */
#ifndef DOCENT_ENGINE_HTTP_H
#define DOCENT_ENGINE_HTTP_H

#include <stddef.h>

#include "core/buf.h"

typedef struct http_opts {
	int timeout_ms;          /* post_json: the whole request; post_stream:
	                            the longest silence; 0 = 60000 */
	int retries;             /* post_json: attempts after the first, made on
	                            connection errors, 429 and 5xx; < 0 = none */
	int backoff_ms;          /* wait before the first retry, doubled for each
	                            next one (capped at 8 s); 0 = 250 */
	const char *api_key_env; /* variable holding the key; NULL = DOCENT_API_KEY,
	                            then OPENAI_API_KEY; no key, no header */
	const volatile int *cancel; /* optional: non-zero stops the transfer within
	                               20 ms, as DOCENT_ECANCELLED */
} http_opts;

/*
 * POSTs `body` (JSON) to `url` and appends the answer's body to `out`.
 * Returns 0 for a 2xx answer, else a negative code with a message.
 */
int http_post_json(const char *url, const char *body, const http_opts *o, dbuf *out);

/*
 * Receives one payload of a streamed answer, not NUL-terminated: the text
 * after "data:" for server-sent events, or a whole line otherwise. Returns
 * 0 to go on, a negative DOCENT_E* code (message set) to fail the transfer,
 * or a positive value to stop it.
 */
typedef int (*http_line_fn)(void *ctx, const char *line, size_t n);

/*
 * POSTs `body` to `url` and hands each payload of the answer to fn as it
 * arrives, until the body ends or a "data: [DONE]" event. Not retried
 * (pieces may have reached the caller already). Returns 0; fn's negative
 * code; DOCENT_ECANCELLED when fn returned a positive value (the transfer
 * is aborted at once); or another negative code with a message.
 */
int http_post_stream(const char *url, const char *body, const http_opts *o,
		     http_line_fn fn, void *ctx);

/*
 * The incremental line splitter behind http_post_stream, exposed for
 * tests. Zero-initialised it is ready. Lines end in "\n" or "\r\n"; empty
 * lines, SSE comments (":...") and the SSE fields event:, id: and retry:
 * are skipped; "data: X" yields X (each data line on its own: chat servers
 * send one JSON object per event); "data: [DONE]" sets done, after which
 * nothing more is delivered; any other line is delivered whole.
 */
typedef struct http_lines {
	dbuf pending; /* the unfinished last line */
	int done;     /* "[DONE]" seen */
} http_lines;

/* Feeds p[0..n); returns 0, DOCENT_ENOMEM, or the first non-zero of fn. */
int http_lines_feed(http_lines *l, const char *p, size_t n, http_line_fn fn, void *ctx);
/* Delivers a last line that had no newline; same returns as feed. */
int http_lines_finish(http_lines *l, http_line_fn fn, void *ctx);
void http_lines_free(http_lines *l);

#endif
