/*
 * http.c - POSTing JSON to model servers through libcurl (see http.h).
 *
 * Every request runs on its own easy handle driven by a multi handle, so
 * that the streaming call can watch the time since the last byte with a
 * resolution of tens of milliseconds (curl's own low-speed limit counts
 * whole seconds) and stop a transfer the moment the caller cancels.
 * Answers other than 2xx are read whole and turned into a message that
 * quotes the server's own error text, which OpenAI-compatible servers put
 * in {"error":{"message":...}} and Ollama in {"error":"..."}.
 */
#include "engine/http.h"
#include "core/error.h"
#include "engine/curl_lib.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_BACKOFF_MS 250
#define MAX_BACKOFF_MS 8000
#define MAX_BODY ((size_t)64 << 20) /* a non-streamed answer larger than this is refused */
#define MAX_ERROR_BODY ((size_t)64 << 10)

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* ---- the line splitter ------------------------------------------------ */

static int starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

/* One complete line, without its '\n'. */
static int line_deliver(http_lines *l, const char *s, size_t n, http_line_fn fn, void *ctx)
{
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n == 0 || s[0] == ':')
		return 0;
	if (starts(s, n, "data:")) {
		s += 5, n -= 5;
		if (n > 0 && s[0] == ' ')
			s++, n--;
		if (n == 6 && memcmp(s, "[DONE]", 6) == 0) {
			l->done = 1;
			return 0;
		}
		return n ? fn(ctx, s, n) : 0;
	}
	if (starts(s, n, "event:") || starts(s, n, "id:") || starts(s, n, "retry:"))
		return 0;
	return fn(ctx, s, n);
}

int http_lines_feed(http_lines *l, const char *p, size_t n, http_line_fn fn, void *ctx)
{
	while (n > 0 && !l->done) {
		const char *nl = memchr(p, '\n', n);
		int rc;

		if (!nl)
			return dbuf_append(&l->pending, p, n);
		size_t k = (size_t)(nl - p);
		if (l->pending.len == 0) {
			rc = line_deliver(l, p, k, fn, ctx);
		} else {
			if (dbuf_append(&l->pending, p, k))
				return DOCENT_ENOMEM;
			rc = line_deliver(l, l->pending.data, l->pending.len, fn, ctx);
			dbuf_reset(&l->pending);
		}
		if (rc)
			return rc;
		p += k + 1, n -= k + 1;
	}
	return 0;
}

int http_lines_finish(http_lines *l, http_line_fn fn, void *ctx)
{
	int rc = 0;

	if (!l->done && l->pending.len > 0)
		rc = line_deliver(l, l->pending.data, l->pending.len, fn, ctx);
	dbuf_reset(&l->pending);
	return rc;
}

void http_lines_free(http_lines *l)
{
	dbuf_free(&l->pending);
}

/* ---- errors ----------------------------------------------------------- */

/* The server's own words from an error body, into msg[cap]. */
static void server_message(const char *body, size_t n, char *msg, size_t cap)
{
	json_t *j = json_loadb(body, n, 0, NULL);
	const char *s = NULL;

	if (json_is_object(j)) {
		json_t *e = json_object_get(j, "error");
		if (json_is_string(e))
			s = json_string_value(e);
		else if (json_is_object(e) && json_is_string(json_object_get(e, "message")))
			s = json_string_value(json_object_get(e, "message"));
		else if (json_is_string(json_object_get(j, "message")))
			s = json_string_value(json_object_get(j, "message"));
		else if (json_is_string(json_object_get(j, "detail")))
			s = json_string_value(json_object_get(j, "detail"));
	}
	if (!s) {
		s = body;
		if (n > 200)
			n = 200;
	} else {
		n = strlen(s);
	}
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		msg[k++] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
	while (k > 0 && msg[k - 1] == ' ')
		k--;
	msg[k] = '\0';
	if (k == 0)
		snprintf(msg, cap, "no details given");
	json_decref(j);
}

static int status_error(const char *url, long status, const dbuf *body, const char *keyvar)
{
	char msg[512];

	server_message(body->data ? body->data : "", body->len, msg, sizeof msg);
	if (status == 401 || status == 403)
		return docent_error_set(DOCENT_EPERM,
			"%s refused the request (HTTP %ld: %s); check the API key in $%s",
			url, status, msg, keyvar);
	if (status == 404)
		return docent_error_set(DOCENT_ENOTFOUND,
			"%s answered 404 Not Found (%s); check the model name and the URL "
			"(OpenAI-compatible servers usually end in /v1)", url, msg);
	if (status == 429)
		return docent_error_set(DOCENT_EIO,
			"%s is limiting requests (HTTP 429: %s); wait a little and try again",
			url, msg);
	if (status >= 400 && status < 500)
		return docent_error_set(DOCENT_EINVAL,
			"%s rejected the request (HTTP %ld: %s); check the model name and "
			"the model settings", url, status, msg);
	return docent_error_set(DOCENT_EIO,
		"the server at %s failed (HTTP %ld: %s); check the server's log", url, status, msg);
}

static int transport_error(const char *url, CURLcode cc, const char *detail, int timeout_ms)
{
	const char *d = detail && *detail ? detail : curl_fn.easy_strerror(cc);

	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return docent_error_set(DOCENT_EIO,
			"cannot connect to %s (%s); check that the server is running and "
			"that the host and port are right", url, d);
	case CURLE_OPERATION_TIMEDOUT:
		return docent_error_set(DOCENT_EIO,
			"%s did not answer within %d ms; the server may be busy or still "
			"loading the model: try again, or raise the timeout", url, timeout_ms);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return docent_error_set(DOCENT_EIO,
			"the secure connection to %s failed (%s); check the server's "
			"certificate, or use http:// for a server without TLS", url, d);
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return docent_error_set(DOCENT_EIO,
			"the connection to %s broke (%s); check the server's log and try again",
			url, d);
	case CURLE_OUT_OF_MEMORY:
		return docent_error_set(DOCENT_ENOMEM, "out of memory talking to %s", url);
	default:
		return docent_error_set(DOCENT_EIO, "the request to %s failed: %s", url, d);
	}
}

/* ---- one transfer ----------------------------------------------------- */

typedef struct xfer {
	CURL *h;
	int streaming;
	dbuf body;         /* the answer; when streaming, only an error answer */
	http_lines lines;
	http_line_fn fn;
	void *ctx;
	int fn_rc;         /* why the write callback stopped the transfer */
	long status;
	double last_ms;    /* when bytes last arrived */
} xfer;

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	size_t n = size * nmemb;

	x->last_ms = now_ms();
	if (x->status == 0)
		curl_fn.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	if (!x->streaming || x->status < 200 || x->status >= 300) {
		size_t cap = x->streaming ? MAX_ERROR_BODY : MAX_BODY;
		if (x->body.len + n > cap) {
			if (x->streaming)
				return n; /* enough of an error text */
			x->fn_rc = DOCENT_ETOOBIG;
			return 0;
		}
		if (dbuf_append(&x->body, p, n)) {
			x->fn_rc = DOCENT_ENOMEM;
			return 0;
		}
		return n;
	}
	int rc = http_lines_feed(&x->lines, p, n, x->fn, x->ctx);
	if (rc) {
		x->fn_rc = rc;
		return 0;
	}
	return n;
}

static const char *api_key(const http_opts *o, const char **var)
{
	const char *v;

	if (o->api_key_env && *o->api_key_env) {
		*var = o->api_key_env;
		v = getenv(o->api_key_env);
		return v && *v ? v : NULL;
	}
	*var = "DOCENT_API_KEY";
	v = getenv("DOCENT_API_KEY");
	if (v && *v)
		return v;
	v = getenv("OPENAI_API_KEY");
	if (v && *v) {
		*var = "OPENAI_API_KEY";
		return v;
	}
	return NULL;
}

/*
 * Runs one POST. Returns 0 when the transfer completed (whatever the
 * status, left in x->status), else a code with a message. *cc receives
 * curl's result so that the caller can decide on a retry.
 */
static int perform(xfer *x, const char *url, const char *body, const http_opts *o,
		   int timeout_ms, CURLcode *cc)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *t;
	const char *keyvar;
	const char *key = api_key(o, &keyvar);
	dbuf auth = DBUF_INIT;
	CURLM *m = NULL;
	int rc = 0, timed_out = 0, cancelled = 0;

	*cc = CURLE_OK;
	if ((rc = curl_lib_load()) != 0)
		return rc;
	x->h = curl_fn.easy_init();
	m = curl_fn.multi_init();
	if (!x->h || !m) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory starting a request to %s", url);
		goto done;
	}
	const char *fixed[] = {"Content-Type: application/json", "Expect:", NULL};
	for (int i = 0; fixed[i]; i++) {
		if (!(t = curl_fn.slist_append(hdrs, fixed[i])))
			goto nomem;
		hdrs = t;
	}
	if (key) {
		if (dbuf_printf(&auth, "Authorization: Bearer %s", key))
			goto nomem;
		if (!(t = curl_fn.slist_append(hdrs, auth.data)))
			goto nomem;
		hdrs = t;
	}
	curl_fn.easy_setopt(x->h, CURLOPT_URL, url);
	curl_fn.easy_setopt(x->h, CURLOPT_POSTFIELDS, body);
	curl_fn.easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_fn.easy_setopt(x->h, CURLOPT_HTTPHEADER, hdrs);
	curl_fn.easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_write);
	curl_fn.easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_fn.easy_setopt(x->h, CURLOPT_ERRORBUFFER, errbuf);
	curl_fn.easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_fn.easy_setopt(x->h, CURLOPT_USERAGENT, "docent");
	curl_fn.easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	if (!x->streaming)
		curl_fn.easy_setopt(x->h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	if (curl_fn.multi_add_handle(m, x->h) != CURLM_OK)
		goto nomem;

	x->last_ms = now_ms();
	for (;;) {
		int running = 0;
		if (curl_fn.multi_perform(m, &running) != CURLM_OK || !running)
			break;
		if (x->streaming && now_ms() - x->last_ms > timeout_ms) {
			timed_out = 1;
			break;
		}
		if (o && o->cancel && *o->cancel) {
			cancelled = 1;
			break;
		}
		curl_fn.multi_poll(m, NULL, 0, 20, NULL);
	}
	CURLMsg *msg;
	int left;
	*cc = timed_out ? CURLE_OPERATION_TIMEDOUT : CURLE_OK;
	while (!timed_out && !cancelled && (msg = curl_fn.multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE)
			*cc = msg->data.result;
	curl_fn.multi_remove_handle(m, x->h);
	if (x->status == 0)
		curl_fn.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);

	if (x->fn_rc < 0)
		rc = x->fn_rc == DOCENT_ETOOBIG
			? docent_error_set(DOCENT_ETOOBIG, "the answer from %s is larger than "
					   "%zu MiB; send fewer texts per request", url, MAX_BODY >> 20)
			: x->fn_rc == DOCENT_ENOMEM
			? docent_error_set(DOCENT_ENOMEM, "out of memory reading the answer from %s", url)
			: x->fn_rc;
	else if (x->fn_rc > 0 || cancelled)
		rc = docent_error_set(DOCENT_ECANCELLED, "the request to %s was stopped", url);
	else if (*cc != CURLE_OK)
		rc = transport_error(url, *cc, errbuf, timeout_ms);
	goto done;
nomem:
	rc = docent_error_set(DOCENT_ENOMEM, "out of memory starting a request to %s", url);
done:
	if (m)
		curl_fn.multi_cleanup(m);
	if (x->h)
		curl_fn.easy_cleanup(x->h);
	x->h = NULL;
	curl_fn.slist_free_all(hdrs);
	dbuf_free(&auth);
	return rc;
}

static int is_retryable(CURLcode cc, long status)
{
	if (cc == CURLE_OK)
		return status == 429 || status >= 500;
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_GOT_NOTHING ||
	       cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR || cc == CURLE_PARTIAL_FILE;
}

int http_post_json(const char *url, const char *body, const http_opts *o, dbuf *out)
{
	int timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	int backoff = o->backoff_ms > 0 ? o->backoff_ms : DEFAULT_BACKOFF_MS;
	int tries = 1 + (o->retries > 0 ? o->retries : 0);
	const char *keyvar;
	int rc = 0;

	api_key(o, &keyvar);
	for (int i = 0; i < tries; i++) {
		xfer x = {0};
		CURLcode cc;

		if (i > 0) {
			sleep_ms(backoff);
			backoff = backoff * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : backoff * 2;
		}
		rc = perform(&x, url, body, o, timeout, &cc);
		if (rc == 0 && x.status >= 200 && x.status < 300) {
			rc = x.body.len ? dbuf_append(out, x.body.data, x.body.len) : 0;
			dbuf_free(&x.body);
			return rc ? docent_error_set(rc, "out of memory reading %s", url) : 0;
		}
		if (rc == 0)
			rc = status_error(url, x.status, &x.body, keyvar);
		dbuf_free(&x.body);
		if (!is_retryable(cc, x.status))
			break;
	}
	return rc;
}

int http_post_stream(const char *url, const char *body, const http_opts *o,
		     http_line_fn fn, void *ctx)
{
	int timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	xfer x = {0};
	CURLcode cc;
	const char *keyvar;

	api_key(o, &keyvar);
	x.streaming = 1;
	x.fn = fn;
	x.ctx = ctx;
	int rc = perform(&x, url, body, o, timeout, &cc);
	if (rc == 0 && (x.status < 200 || x.status >= 300))
		rc = status_error(url, x.status, &x.body, keyvar);
	if (rc == 0) {
		rc = http_lines_finish(&x.lines, fn, ctx);
		if (rc > 0)
			rc = docent_error_set(DOCENT_ECANCELLED, "the request to %s was stopped", url);
	}
	http_lines_free(&x.lines);
	dbuf_free(&x.body);
	return rc;
}
