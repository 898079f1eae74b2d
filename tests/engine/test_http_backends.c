/*
 * test_http_backends.c - the HTTP embedder and generator against a scripted
 * server in a thread of this test, on 127.0.0.1 only: good answers from
 * OpenAI-compatible and Ollama servers, streams cut into odd pieces (one in
 * the middle of a UTF-8 character), retries, error answers, malformed JSON,
 * a silent server, a closed port and cancellation. Also the line splitter.
 */
#include "tests/testutil.h"

#include "core/buf.h"
#include "core/error.h"
#include "core/text.h"
#include "engine/embedder.h"
#include "engine/generator.h"
#include "engine/http.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

/* ---- the scripted server ------------------------------------------------ */

#define MAX_REPLIES 8
#define H200 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
#define HSSE "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
#define HND "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n"

typedef struct reply {
	const char *parts[12]; /* separate writes, the first with the headers */
	int hang_ms;           /* say nothing for this long (or until the client leaves) */
} reply;

typedef struct server {
	int fd;
	int port;
	pthread_t th;
	const reply *script;
	int n;
	int served;            /* connections answered, scripted or not */
	volatile int stop;
	char req[MAX_REPLIES][16384];
	char url[128];
} server;

/* Reads one request (headers and Content-Length body) into buf. */
static void read_request(int c, char *buf, size_t cap)
{
	size_t len = 0;
	long want = -1;

	while (len + 1 < cap) {
		struct pollfd p = {c, POLLIN, 0};
		if (poll(&p, 1, 3000) <= 0)
			break;
		ssize_t k = recv(c, buf + len, cap - 1 - len, 0);
		if (k <= 0)
			break;
		len += (size_t)k;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (end && want < 0) {
			char *cl = strcasestr(buf, "Content-Length:");
			want = (end + 4 - buf) + (cl ? strtol(cl + 15, NULL, 10) : 0);
		}
		if (want >= 0 && (long)len >= want)
			break;
	}
	buf[len] = '\0';
}

static void *serve(void *arg)
{
	server *s = arg;
	char scratch[16384];

	while (!s->stop) {
		struct pollfd p = {s->fd, POLLIN, 0};
		if (poll(&p, 1, 20) <= 0)
			continue;
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		int one = 1;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		int i = s->served++;
		read_request(c, i < MAX_REPLIES ? s->req[i] : scratch, sizeof scratch);
		if (i >= s->n) {
			const char *r = "HTTP/1.1 599 Unscripted\r\nConnection: close\r\n\r\n";
			send(c, r, strlen(r), MSG_NOSIGNAL);
		} else if (s->script[i].hang_ms) {
			struct pollfd q = {c, POLLIN, 0};
			char b[64];
			while (poll(&q, 1, s->script[i].hang_ms) > 0 && recv(c, b, sizeof b, 0) > 0)
				;
		} else {
			for (int k = 0; s->script[i].parts[k]; k++) {
				send(c, s->script[i].parts[k], strlen(s->script[i].parts[k]),
				     MSG_NOSIGNAL);
				usleep(15000);
			}
		}
		shutdown(c, SHUT_RDWR);
		close(c);
	}
	return NULL;
}

static int listen_local(int *port)
{
	struct sockaddr_in a = {0};
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static server *server_start(const reply *script, int n)
{
	server *s = calloc(1, sizeof *s);

	assert_non_null(s);
	s->fd = listen_local(&s->port);
	s->script = script;
	s->n = n;
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
	return s;
}

/* Stops the server and returns how many connections it answered. */
static int server_stop(server *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->fd);
	int n = s->served;
	free(s);
	return n;
}

static const char *spec(server *s, const char *fmt)
{
	snprintf(s->url, sizeof s->url, fmt, s->port);
	return s->url;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void expect_msg(const char *needle)
{
	if (!strstr(docent_error_message(), needle))
		fail_msg("message lacks \"%s\": %s", needle, docent_error_message());
}

/* ---- embedders ---------------------------------------------------------- */

static void test_http__openai_embeddings(void **state)
{
	static const reply script[] = {
		{{H200 "{\"data\":[{\"index\":0,\"embedding\":[1,0,0]}]}", NULL}, 0},
		/* out of order: "index" decides */
		{{H200 "{\"object\":\"list\",\"data\":[{\"index\":1,\"embedding\":[0,3,4]},",
		  "{\"index\":0,\"embedding\":[2,0,0]}]}", NULL}, 0},
		{{H200 "{\"data\":[{\"index\":0,\"embedding\":[0,0,-5]}]}", NULL}, 0},
	};
	server *s = server_start(script, 3);
	embedder_params p = embedder_default_params();
	embedder *e;
	float v[9];
	const char *texts[] = {"a", "b", "c"};

	setenv("DOCENT_API_KEY", "sk-test-123", 1);
	p.model = spec(s, "http://127.0.0.1:%d/v1/#emb-model");
	p.batch_size = 2;
	p.query_prefix = "search_query: ";
	assert_int_equal(embedder_open(&e, &p), 0);
	assert_int_equal(embedder_dim(e), 3);
	assert_string_equal(embedder_model_id(e), "openai:emb-model");
	assert_int_equal(embedder_embed(e, texts, 3, EMBED_QUERY, v), 0);
	const float want[9] = {1, 0, 0, 0, 0.6f, 0.8f, 0, 0, -1};
	for (int i = 0; i < 9; i++)
		assert_true(fabsf(v[i] - want[i]) < 1e-6f);
	embedder_free(e);
	unsetenv("DOCENT_API_KEY");

	assert_non_null(strstr(s->req[0], "POST /v1/embeddings HTTP/1.1"));
	assert_non_null(strstr(s->req[0], "Authorization: Bearer sk-test-123"));
	assert_non_null(strstr(s->req[1], "\"model\":\"emb-model\""));
	assert_non_null(strstr(s->req[1], "\"input\":[\"search_query: a\",\"search_query: b\"]"));
	assert_non_null(strstr(s->req[2], "\"input\":[\"search_query: c\"]"));
	assert_int_equal(server_stop(s), 3);
}

static void test_http__ollama_embed(void **state)
{
	static const reply script[] = {
		{{H200 "{\"model\":\"nomic\",\"embeddings\":[[0.5,0.5]]}", NULL}, 0},
		{{H200 "{\"model\":\"nomic\",\"embeddings\":[[3,4],[0,-2]]}", NULL}, 0},
	};
	server *s = server_start(script, 2);
	embedder_params p = embedder_default_params();
	embedder *e;
	float v[4];
	const char *texts[] = {"one", "two"};

	unsetenv("DOCENT_API_KEY");
	unsetenv("OPENAI_API_KEY");
	p.model = spec(s, "ollama://127.0.0.1:%d#nomic");
	p.document_prefix = "search_document: ";
	assert_int_equal(embedder_open(&e, &p), 0);
	assert_int_equal(embedder_dim(e), 2);
	assert_string_equal(embedder_model_id(e), "ollama:nomic");
	assert_int_equal(embedder_embed(e, texts, 2, EMBED_DOCUMENT, v), 0);
	assert_true(fabsf(v[0] - 0.6f) < 1e-6f && fabsf(v[1] - 0.8f) < 1e-6f);
	assert_true(fabsf(v[2]) < 1e-6f && fabsf(v[3] + 1) < 1e-6f);
	embedder_free(e);
	assert_non_null(strstr(s->req[1], "POST /api/embed HTTP/1.1"));
	assert_null(strstr(s->req[1], "Authorization:"));
	assert_non_null(strstr(s->req[1], "\"input\":[\"search_document: one\",\"search_document: two\"]"));
	assert_int_equal(server_stop(s), 2);
}

static void test_http__retry_after_500(void **state)
{
	static const reply script[] = {
		{{"HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\noops", NULL}, 0},
		{{H200 "{\"data\":[{\"index\":0,\"embedding\":[0,1]}]}", NULL}, 0},
	};
	server *s = server_start(script, 2);
	embedder_params p = embedder_default_params();
	embedder *e;

	p.model = spec(s, "http://127.0.0.1:%d/v1#m");
	assert_int_equal(embedder_open(&e, &p), 0);
	assert_int_equal(embedder_dim(e), 2);
	embedder_free(e);
	assert_int_equal(server_stop(s), 2);
}

static void test_http__401_message_reaches_the_user(void **state)
{
	static const reply script[] = {
		{{"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
		  "Connection: close\r\n\r\n{\"error\":{\"message\":\"Incorrect API key "
		  "provided: sk-bad\",\"type\":\"invalid_request_error\"}}", NULL}, 0},
	};
	server *s = server_start(script, 1);
	embedder_params p = embedder_default_params();
	embedder *e;
	char url[128];

	p.model = spec(s, "http://127.0.0.1:%d/v1#m");
	assert_int_equal(embedder_open(&e, &p), DOCENT_EPERM);
	assert_null(e);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/embeddings", s->port);
	expect_msg("Incorrect API key provided: sk-bad");
	expect_msg(url);
	expect_msg("DOCENT_API_KEY");
	assert_int_equal(server_stop(s), 1); /* not retried */
}

static void test_http__malformed_embeddings(void **state)
{
	static const reply script[] = {
		{{H200 "{\"data\":[{\"index\":0,\"embedding\":[1,", NULL}, 0},
		{{H200 "{\"data\":[{\"index\":0,\"embedding\":[1,2,3]}]}", NULL}, 0},
		{{H200 "{\"data\":[{\"index\":0,\"embedding\":[1,2]}]}", NULL}, 0},
	};
	server *s = server_start(script, 3);
	embedder_params p = embedder_default_params();
	embedder *e;
	float v[3];
	const char *t = "x";

	p.model = spec(s, "http://127.0.0.1:%d/v1#m");
	assert_int_equal(embedder_open(&e, &p), DOCENT_EFORMAT);
	expect_msg("/v1/embeddings");
	expect_msg("not JSON");
	assert_int_equal(embedder_open(&e, &p), 0);
	/* a vector of another size than the probe's */
	assert_int_equal(embedder_embed(e, &t, 1, EMBED_DOCUMENT, v), DOCENT_EFORMAT);
	expect_msg("malformed embedding");
	embedder_free(e);
	assert_int_equal(server_stop(s), 3);
}

static void test_http__embed_timeout(void **state)
{
	static const reply script[] = {{{NULL}, 3000}};
	server *s = server_start(script, 1);
	embedder_params p = embedder_default_params();
	embedder *e;

	p.model = spec(s, "http://127.0.0.1:%d/v1#m");
	p.timeout_ms = 300;
	double t0 = now_ms();
	assert_int_equal(embedder_open(&e, &p), DOCENT_EIO);
	assert_true(now_ms() - t0 < 2000);
	expect_msg("did not answer within 300 ms");
	assert_int_equal(server_stop(s), 1);
}

/* A port nobody listens on. */
static int closed_port(void)
{
	int port, fd = listen_local(&port);
	close(fd);
	return port;
}

static void test_http__server_down(void **state)
{
	embedder_params p = embedder_default_params();
	generator_params gp = generator_default_params();
	embedder *e;
	generator *g;
	char model[128], url[128];
	int port = closed_port();
	chat_message m = {"user", "hi"};

	snprintf(model, sizeof model, "http://127.0.0.1:%d/v1#m", port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/embeddings", port);
	p.model = model;
	p.retries = 1;
	assert_int_equal(embedder_open(&e, &p), DOCENT_EIO);
	expect_msg(url);
	expect_msg("check that the server is running");

	gp.model = model;
	assert_int_equal(generator_open(&g, &gp), 0);
	assert_int_equal(generator_chat(g, &m, 1, NULL, NULL, NULL, NULL), DOCENT_EIO);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/chat/completions", port);
	expect_msg(url);
	expect_msg("check that the server is running");
	generator_free(g);
}

/* A GGUF spec goes to the in-process backend, which names the missing file. */
static void test_http__gguf_spec_goes_in_process(void **state)
{
	embedder_params p = embedder_default_params();
	embedder *e;

	p.model = "/models/x.gguf";
	assert_int_equal(embedder_open(&e, &p), DOCENT_ENOTFOUND);
	expect_msg("/models/x.gguf");
	p.model = "nonsense";
	assert_int_equal(embedder_open(&e, &p), DOCENT_EINVAL);
}

/* ---- generators --------------------------------------------------------- */

typedef struct pieces {
	dbuf text;
	int n;
	int cancel_after; /* 0 = never */
} pieces;

static int on_piece(void *ctx, const char *piece, size_t n)
{
	pieces *p = ctx;

	if (!text_utf8_valid(piece, n))
		fail_msg("piece %d is not whole UTF-8: \"%.*s\"", p->n, (int)n, piece);
	assert_true(n > 0);
	assert_int_equal(dbuf_append(&p->text, piece, n), 0);
	p->n++;
	return p->cancel_after && p->n >= p->cancel_after;
}

static void test_http__openai_chat_stream(void **state)
{
	static const reply script[] = {{{
		HSSE "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\n\n"
		"data: {\"choices\":[{\"delta\":{\"content\":\"Caf\xC3",
		"\xA9 au lait\"}}]}\n\nda",
		"ta: {\"choices\":[{\"delta\":{\"content\":\" \xE6\x97",
		"\xA5\xE6\x9C\xAC\"}}]}\r\n\r\n: keep-alive\n\n",
		"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],"
		"\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3}}\n\n",
		"data: [DONE]\n\ndata: {not json, ignored after DONE\n\n", NULL}, 0}};
	server *s = server_start(script, 1);
	generator_params gp = generator_default_params();
	gen_options o = gen_default_options();
	const char *stop[] = {"</s>", "\n\nUser:"};
	chat_message msgs[] = {{"system", "Be brief."}, {"user", "Say \"café\""}};
	generator *g;
	gen_result r;
	pieces got = {DBUF_INIT, 0, 0};

	gp.model = spec(s, "http://127.0.0.1:%d/v1#chat-model");
	o.stop = stop;
	o.nstop = 2;
	assert_int_equal(generator_open(&g, &gp), 0);
	assert_string_equal(generator_model_id(g), "openai:chat-model");
	assert_int_equal(generator_chat(g, msgs, 2, &o, on_piece, &got, &r), 0);
	assert_string_equal(got.text.data, "Caf\xC3\xA9 au lait \xE6\x97\xA5\xE6\x9C\xAC");
	assert_int_equal(r.stopped_by, GEN_STOP_END);
	assert_int_equal(r.prompt_tokens, 12);
	assert_int_equal(r.completion_tokens, 3);
	assert_true(r.first_token_ms > 0 && r.first_token_ms <= r.total_ms);
	generator_free(g);
	dbuf_free(&got.text);

	assert_non_null(strstr(s->req[0], "POST /v1/chat/completions HTTP/1.1"));
	assert_non_null(strstr(s->req[0], "\"stream\":true"));
	assert_non_null(strstr(s->req[0], "\"stop\":[\"</s>\",\"\\n\\nUser:\"]"));
	assert_non_null(strstr(s->req[0], "\"model\":\"chat-model\""));
	assert_non_null(strstr(s->req[0], "{\"role\":\"system\",\"content\":\"Be brief.\"}"));
	assert_non_null(strstr(s->req[0], "\"max_tokens\":512"));
	assert_null(strstr(s->req[0], "top_k")); /* not a standard OpenAI field */
	assert_int_equal(server_stop(s), 1);
}

static void test_http__ollama_chat_lines(void **state)
{
	static const reply script[] = {{{
		HND "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"do",
		"ne\":false}\n{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"lo \xE2",
		"\x9C\x93\"},\"done\":false}\n",
		"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
		"\"done_reason\":\"length\",\"prompt_eval_count\":7,\"eval_count\":2}", NULL}, 0}};
	server *s = server_start(script, 1);
	generator_params gp = generator_default_params();
	gen_options o = gen_default_options();
	const char *stop[] = {"###"};
	chat_message m = {"user", "hello"};
	generator *g;
	gen_result r;
	pieces got = {DBUF_INIT, 0, 0};

	gp.model = spec(s, "ollama://127.0.0.1:%d#llama3.2");
	o.stop = stop;
	o.nstop = 1;
	o.max_tokens = 2;
	assert_int_equal(generator_open(&g, &gp), 0);
	assert_int_equal(generator_chat(g, &m, 1, &o, on_piece, &got, &r), 0);
	assert_string_equal(got.text.data, "Hello \xE2\x9C\x93");
	assert_int_equal(got.n, 2);
	assert_int_equal(r.stopped_by, GEN_STOP_LENGTH);
	assert_int_equal(r.prompt_tokens, 7);
	assert_int_equal(r.completion_tokens, 2);
	generator_free(g);
	dbuf_free(&got.text);
	assert_non_null(strstr(s->req[0], "POST /api/chat HTTP/1.1"));
	assert_non_null(strstr(s->req[0], "\"num_predict\":2"));
	assert_non_null(strstr(s->req[0], "\"stop\":[\"###\"]"));
	assert_non_null(strstr(s->req[0], "\"top_k\":40"));
	assert_int_equal(server_stop(s), 1);
}

static void test_http__openai_complete(void **state)
{
	static const reply script[] = {{{
		HSSE "data: {\"choices\":[{\"text\":\"4\",\"finish_reason\":null}]}\n\n",
		"data: {\"choices\":[{\"text\":\".\",\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
		NULL}, 0}};
	server *s = server_start(script, 1);
	generator_params gp = generator_default_params();
	generator *g;
	gen_result r;
	pieces got = {DBUF_INIT, 0, 0};

	gp.model = spec(s, "http://127.0.0.1:%d/v1#m");
	assert_int_equal(generator_open(&g, &gp), 0);
	assert_int_equal(generator_complete(g, "2+2=", NULL, on_piece, &got, &r), 0);
	assert_string_equal(got.text.data, "4.");
	assert_int_equal(r.completion_tokens, 2);
	generator_free(g);
	dbuf_free(&got.text);
	assert_non_null(strstr(s->req[0], "POST /v1/completions HTTP/1.1"));
	assert_non_null(strstr(s->req[0], "\"prompt\":\"2+2=\""));
	assert_int_equal(server_stop(s), 1);
}

static void test_http__cancel_aborts(void **state)
{
	static const reply script[] = {{{
		HSSE "data: {\"choices\":[{\"delta\":{\"content\":\"one\"}}]}\n\n",
		"data: {\"choices\":[{\"delta\":{\"content\":\"two\"}}]}\n\n",
		"data: {\"choices\":[{\"delta\":{\"content\":\"three\"}}]}\n\n",
		"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n", NULL}, 0}};
	server *s = server_start(script, 1);
	generator_params gp = generator_default_params();
	chat_message m = {"user", "count"};
	generator *g;
	gen_result r;
	pieces got = {DBUF_INIT, 0, 1};

	gp.model = spec(s, "http://127.0.0.1:%d/v1#m");
	assert_int_equal(generator_open(&g, &gp), 0);
	assert_int_equal(generator_chat(g, &m, 1, NULL, on_piece, &got, &r), 0);
	assert_int_equal(r.stopped_by, GEN_STOP_CANCELLED);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.text.data, "one");
	generator_free(g);
	dbuf_free(&got.text);
	assert_int_equal(server_stop(s), 1);
}

static void test_http__chat_errors(void **state)
{
	static const reply script[] = {
		{{HSSE "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\n",
		  "data: {\"choices\":[{\"delta\":{\"content\":\n\n", NULL}, 0},
		{{HSSE "data: {\"choices\":[{\"delta\":{\"content\":\"cut\"}}]}\n\n", NULL}, 0},
		{{"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
		  "Connection: close\r\n\r\n{\"error\":\"model 'nope' not found\"}", NULL}, 0},
		{{NULL}, 3000},
	};
	server *s = server_start(script, 4);
	generator_params gp = generator_default_params();
	chat_message m = {"user", "hi"};
	generator *g, *og;
	pieces got = {DBUF_INIT, 0, 0};
	char model[128];

	gp.model = spec(s, "http://127.0.0.1:%d/v1#m");
	gp.timeout_ms = 300;
	assert_int_equal(generator_open(&g, &gp), 0);
	assert_int_equal(generator_chat(g, &m, 1, NULL, on_piece, &got, NULL), DOCENT_EFORMAT);
	expect_msg("/v1/chat/completions");
	expect_msg("not JSON");
	assert_int_equal(generator_chat(g, &m, 1, NULL, on_piece, &got, NULL), DOCENT_EIO);
	expect_msg("ended before it was complete");

	snprintf(model, sizeof model, "ollama://127.0.0.1:%d#nope", s->port);
	gp.model = model;
	assert_int_equal(generator_open(&og, &gp), 0);
	assert_int_equal(generator_chat(og, &m, 1, NULL, on_piece, &got, NULL), DOCENT_ENOTFOUND);
	expect_msg("model 'nope' not found");
	expect_msg("/api/chat");

	double t0 = now_ms();
	assert_int_equal(generator_chat(g, &m, 1, NULL, on_piece, &got, NULL), DOCENT_EIO);
	assert_true(now_ms() - t0 < 1500);
	expect_msg("did not answer within 300 ms");
	generator_free(g);
	generator_free(og);
	dbuf_free(&got.text);
	assert_int_equal(server_stop(s), 4);
}

/* ---- the line splitter -------------------------------------------------- */

static int collect(void *ctx, const char *line, size_t n)
{
	dbuf *b = ctx;
	assert_int_equal(dbuf_append(b, line, n), 0);
	assert_int_equal(dbuf_putc(b, '|'), 0);
	return 0;
}

static void test_http__line_splitter_byte_by_byte(void **state)
{
	const char *in = "data: a\r\n\r\n: comment\nevent: x\nid: 3\n{\"j\":1}\ndata:b\n"
			 "data: [DONE]\ndata: after\n";
	http_lines l = {DBUF_INIT, 0};
	dbuf out = DBUF_INIT;

	for (size_t i = 0; in[i]; i++)
		assert_int_equal(http_lines_feed(&l, in + i, 1, collect, &out), 0);
	assert_int_equal(http_lines_finish(&l, collect, &out), 0);
	assert_string_equal(out.data, "a|{\"j\":1}|b|");
	assert_true(l.done);
	http_lines_free(&l);

	http_lines l2 = {DBUF_INIT, 0};
	dbuf_reset(&out);
	assert_int_equal(http_lines_feed(&l2, "{\"a\":1}\n{\"b\"", 12, collect, &out), 0);
	assert_int_equal(http_lines_feed(&l2, ":2}", 3, collect, &out), 0);
	assert_int_equal(http_lines_finish(&l2, collect, &out), 0);
	assert_string_equal(out.data, "{\"a\":1}|{\"b\":2}|");
	http_lines_free(&l2);
	dbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http__line_splitter_byte_by_byte),
		cmocka_unit_test(test_http__openai_embeddings),
		cmocka_unit_test(test_http__ollama_embed),
		cmocka_unit_test(test_http__retry_after_500),
		cmocka_unit_test(test_http__401_message_reaches_the_user),
		cmocka_unit_test(test_http__malformed_embeddings),
		cmocka_unit_test(test_http__embed_timeout),
		cmocka_unit_test(test_http__server_down),
		cmocka_unit_test(test_http__gguf_spec_goes_in_process),
		cmocka_unit_test(test_http__openai_chat_stream),
		cmocka_unit_test(test_http__ollama_chat_lines),
		cmocka_unit_test(test_http__openai_complete),
		cmocka_unit_test(test_http__cancel_aborts),
		cmocka_unit_test(test_http__chat_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
