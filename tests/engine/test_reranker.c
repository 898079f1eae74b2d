/*
 * test_reranker.c - the reranker (engine/reranker.h): in-process on the
 * random-weight tiny-rerank.gguf (BERT, 64 wide, rank pooling with a
 * classification head, context 512): loading, deterministic scores that
 * differ between passages, batching, cutting long inputs with a warning,
 * refusing embedding and chat models; over HTTP against a scripted server
 * on 127.0.0.1 (llama-server's and TEI's answers, batches, a server that is
 * down, malformed and incomplete answers, a server without reranking, a
 * silent server); and against llama.cpp's own llama-server --reranking on
 * the same model, whose scores must match the in-process ones. The scores
 * are noise; nothing here judges their meaning. Needs `make tiny-models`.
 */
#include "tests/testutil.h"

#include "config/config.h"
#include "core/error.h"
#include "engine/reranker.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#define MODELS DOCENT_SRC_DIR "/build/models/"
#define RERANK_MODEL MODELS "tiny-rerank.gguf"
/* the same weights with a "rerank" template: [CLS]query: {query}[SEP]passage: {document}[SEP] */
#define TEMPLATE_MODEL MODELS "tiny-rerank-tmpl.gguf"

static int warnings;
static char last_warning[1024];

static void on_warning(void *ctx, const char *message)
{
	warnings++;
	snprintf(last_warning, sizeof last_warning, "%s", message);
}

static void need_model(const char *path)
{
	if (access(path, R_OK) != 0)
		fail_msg("%s is missing: run `make tiny-models` first", path);
}

static void expect_msg(const char *needle)
{
	if (!strstr(docent_error_message(), needle))
		fail_msg("message lacks \"%s\": %s", needle, docent_error_message());
}

static reranker *open_model(const char *path, int context)
{
	reranker_params p = reranker_default_params();
	reranker *r = NULL;

	need_model(path);
	p.model = path;
	p.context = context;
	p.threads = 2;
	p.on_warning = on_warning;
	if (reranker_open(&r, &p) != 0)
		fail_msg("reranker_open: %s", docent_error_message());
	return r;
}

static reranker *open_tiny(int context)
{
	return open_model(RERANK_MODEL, context);
}

static const char *const passages[] = {
	"The battery of the robot lasts eleven hours on a full charge.",
	"Paris is the capital of France.",
	"Charge the battery for two hours before the first use.",
	"",
	"A recipe for lemon cake with three eggs and a cup of sugar.",
	"The warranty covers the battery for one year.",
};
#define NP (sizeof passages / sizeof passages[0])

/* ---- in-process --------------------------------------------------------- */

static void test_reranker__tiny_ranks_deterministically(void **state)
{
	reranker *r = open_tiny(0);
	double a[NP], b[NP];
	int differ = 0;

	assert_string_equal(reranker_model_id(r), "tiny-rerank.gguf");
	assert_int_equal(reranker_max_tokens(r), 512);
	warnings = 0;
	assert_int_equal(reranker_rank(r, "how long does the battery last", passages, NP, a), 0);
	assert_int_equal(reranker_rank(r, "how long does the battery last", passages, NP, b), 0);
	assert_int_equal(warnings, 0);
	for (size_t i = 0; i < NP; i++) {
		assert_true(isfinite(a[i]));
		assert_true(a[i] == b[i]);
		if (i > 0 && a[i] != a[0])
			differ++;
	}
	/* random weights, but each pair is read whole: scores differ */
	assert_true(differ >= (int)NP - 2);
	/* and the query matters */
	assert_int_equal(reranker_rank(r, "capital city", passages, 1, b), 0);
	assert_true(b[0] != a[0]);
	reranker_free(r);
}

/* Many pairs per decode call give the scores of one pair at a time. */
static void test_reranker__batch_equals_single(void **state)
{
	enum { N = 40 };
	reranker *r = open_tiny(128); /* several batches of a few pairs */
	const char *docs[N];
	char text[N][96];
	double all[N], one;

	for (int i = 0; i < N; i++) {
		snprintf(text[i], sizeof text[i], "passage number %d says %s", i,
			 i % 3 ? "something about batteries" : "nothing much at all, really");
		docs[i] = text[i];
	}
	assert_int_equal(reranker_rank(r, "battery", docs, N, all), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(reranker_rank(r, "battery", docs + i, 1, &one), 0);
		if (fabs(one - all[i]) > 1e-4)
			fail_msg("pair %d: %.6f alone, %.6f in a batch", i, one, all[i]);
	}
	reranker_free(r);
}

static void test_reranker__long_inputs_cut_with_warning(void **state)
{
	reranker *r = open_tiny(64);
	char *long_doc = malloc(20000), *long_query = malloc(4000);
	const char *docs[3];
	double s[3], again;

	assert_non_null(long_doc);
	assert_non_null(long_query);
	long_doc[0] = long_query[0] = '\0';
	for (int i = 0; i < 1000; i++)
		strcat(long_doc, "word ");
	for (int i = 0; i < 300; i++)
		strcat(long_query, "ask ");
	docs[0] = "short";
	docs[1] = long_doc;
	docs[2] = NULL; /* counts as empty */
	assert_int_equal(reranker_max_tokens(r), 64);
	warnings = 0;
	assert_int_equal(reranker_rank(r, "short query", docs, 3, s), 0);
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(last_warning, "passage 2 was cut"));
	assert_non_null(strstr(last_warning, "tiny-rerank.gguf"));
	assert_true(isfinite(s[0]) && isfinite(s[1]) && isfinite(s[2]));
	/* the cut passage scores the same alone */
	assert_int_equal(reranker_rank(r, "short query", docs + 1, 1, &again), 0);
	assert_true(fabs(again - s[1]) < 1e-4);

	warnings = 0;
	assert_int_equal(reranker_rank(r, long_query, docs, 2, s), 0);
	assert_int_equal(warnings, 2); /* the query, then the long passage */
	assert_true(isfinite(s[0]) && isfinite(s[1]));
	free(long_doc);
	free(long_query);
	reranker_free(r);
}

/* A model with a rerank template: the pair is the filled template, and a
 * long query or passage is cut (by bytes, at character starts) to fit. */
static void test_reranker__template(void **state)
{
	reranker *t = open_model(TEMPLATE_MODEL, 64), *plain = open_tiny(64);
	char *long_doc = malloc(20000), *long_query = malloc(4000);
	const char *docs[3] = {"short", NULL, "caf\xC3\xA9 "};
	double a[3], b[3], one;

	assert_non_null(long_doc);
	assert_non_null(long_query);
	long_doc[0] = long_query[0] = '\0';
	for (int i = 0; i < 1000; i++)
		strcat(long_doc, "w\xC3\xA9rd ");
	for (int i = 0; i < 300; i++)
		strcat(long_query, "ask ");
	docs[1] = long_doc;
	warnings = 0;
	assert_int_equal(reranker_rank(t, "a query", docs, 3, a), 0);
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(last_warning, "passage 2 was cut"));
	assert_int_equal(reranker_rank(t, "a query", docs + 1, 1, &one), 0);
	assert_true(fabs(one - a[1]) < 1e-4);
	/* the template changes the pair, so the scores */
	assert_int_equal(reranker_rank(plain, "a query", docs, 3, b), 0);
	assert_true(a[0] != b[0] && a[2] != b[2]);

	warnings = 0;
	assert_int_equal(reranker_rank(t, long_query, docs, 2, a), 0);
	assert_int_equal(warnings, 2);
	assert_non_null(strstr(last_warning, "passage 2"));
	assert_true(isfinite(a[0]) && isfinite(a[1]));
	free(long_doc);
	free(long_query);
	reranker_free(t);
	reranker_free(plain);
}

/* A BERT classifier whose GGUF declares no rank pooling (llama.cpp's
 * converter writes none for bge-reranker-v2-m3) but carries the
 * classification head is a reranker: the same scores as with rank pooling. */
static void test_reranker__head_without_rank_pooling(void **state)
{
	const char *dir = temp_dir();
	char path[512];
	size_t len;
	char *bytes;
	reranker *r, *ref = open_tiny(0);
	reranker_params p = reranker_default_params();
	double a[NP], b[NP];

	need_model(RERANK_MODEL);
	bytes = slurp(RERANK_MODEL, &len);
	/* the key, then its type (uint32: 4) and value (4, rank): value to 0 */
	const char key[] = "bert.pooling_type";
	char *at = memmem(bytes, len, key, sizeof key - 1);
	assert_non_null(at);
	at += sizeof key - 1;
	assert_true(at[0] == 4 && at[4] == 4);
	at[4] = 0;
	snprintf(path, sizeof path, "%s/no-pooling.gguf", dir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	fclose(f);
	free(bytes);

	p.model = path;
	p.threads = 2;
	if (reranker_open(&r, &p))
		fail_msg("reranker_open: %s", docent_error_message());
	assert_int_equal(reranker_rank(r, "battery life", passages, NP, a), 0);
	assert_int_equal(reranker_rank(ref, "battery life", passages, NP, b), 0);
	for (size_t i = 0; i < NP; i++)
		assert_true(a[i] == b[i]);
	reranker_free(r);
	reranker_free(ref);
	remove_tree(dir);
}

static void test_reranker__refuses_other_models(void **state)
{
	reranker_params p = reranker_default_params();
	reranker *r = (reranker *)&p;

	need_model(MODELS "tiny-embed.gguf");
	need_model(MODELS "tiny-chat.gguf");
	p.model = MODELS "tiny-embed.gguf";
	assert_int_equal(reranker_open(&r, &p), DOCENT_EFORMAT);
	assert_null(r);
	expect_msg("tiny-embed.gguf");
	expect_msg("embedding model");
	expect_msg("not a reranker");

	p.model = MODELS "tiny-chat.gguf";
	assert_int_equal(reranker_open(&r, &p), DOCENT_EFORMAT);
	expect_msg("language model");
	expect_msg("not a reranker");

	p.model = "/nonexistent/rerank.gguf";
	assert_int_equal(reranker_open(&r, &p), DOCENT_ENOTFOUND);
	expect_msg("/nonexistent/rerank.gguf");

	p.model = "ollama:bge-reranker";
	assert_int_equal(reranker_open(&r, &p), DOCENT_EINVAL);
	expect_msg("Ollama has no rerank API");

	p.model = NULL;
	assert_int_equal(reranker_open(&r, &p), DOCENT_EINVAL);
	expect_msg("DOCENT_RERANK_MODEL");
	p.model = "";
	assert_int_equal(reranker_open(&r, &p), DOCENT_EINVAL);
}

static void test_reranker__edges(void **state)
{
	reranker *r = open_tiny(0);
	double s = 42;

	reranker_free(NULL);
	assert_int_equal(reranker_rank(r, "q", NULL, 0, NULL), 0);
	assert_int_equal(reranker_rank(NULL, "q", passages, 1, &s), DOCENT_EINVAL);
	assert_int_equal(reranker_rank(r, "q", passages, 1, NULL), DOCENT_EINVAL);
	assert_int_equal(reranker_rank(r, NULL, passages, 1, &s), 0); /* empty query */
	assert_true(isfinite(s));
	double t = 0;
	assert_int_equal(reranker_rank_cb(r, NULL, passages, 1, &t), 0);
	assert_true(t == s);
	assert_string_equal(reranker_model_id(NULL), "");
	reranker_free(r);
}

/* engine.rerank_model, from the environment's short name. */
static void test_reranker__config_key(void **state)
{
	config *c;
	reranker_params p;

	setenv("DOCENT_CONFIG", "/dev/null", 1);
	setenv("DOCENT_RERANK_MODEL", "http://127.0.0.1:8012/v1#bge-reranker", 1);
	assert_int_equal(config_load(&c, NULL), 0);
	config_reranker_params(c, &p);
	assert_string_equal(p.model, "http://127.0.0.1:8012/v1#bge-reranker");
	assert_int_equal(p.timeout_ms, 60000);
	config_free(c);
	unsetenv("DOCENT_RERANK_MODEL");
	assert_int_equal(config_load(&c, NULL), 0);
	config_reranker_params(c, &p);
	assert_string_equal(p.model, "");
	config_free(c);
	unsetenv("DOCENT_CONFIG");
}

/* ---- a scripted HTTP server (as in test_http_backends.c) ------------------ */

#define MAX_REPLIES 8
#define H200 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"

typedef struct reply {
	const char *parts[4];
	int hang_ms;
} reply;

typedef struct script_server {
	int fd, port;
	pthread_t th;
	const reply *script;
	int n, served;
	volatile int stop;
	char req[MAX_REPLIES][8192];
	char url[128];
} script_server;

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
	script_server *s = arg;
	char scratch[8192];

	while (!s->stop) {
		struct pollfd p = {s->fd, POLLIN, 0};
		if (poll(&p, 1, 20) <= 0)
			continue;
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
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
			for (int k = 0; s->script[i].parts[k]; k++)
				send(c, s->script[i].parts[k], strlen(s->script[i].parts[k]),
				     MSG_NOSIGNAL);
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

static script_server *server_start(const reply *script, int n)
{
	script_server *s = calloc(1, sizeof *s);

	assert_non_null(s);
	s->fd = listen_local(&s->port);
	s->script = script;
	s->n = n;
	snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/v1#bge-reranker", s->port);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
	return s;
}

/* Stops the server and returns how many connections it answered. */
static int server_stop(script_server *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->fd);
	int n = s->served;
	free(s);
	return n;
}

#define PROBE_OK {{H200 "{\"results\":[{\"index\":0,\"relevance_score\":0.5}]}", NULL}, 0}

static void test_reranker__http_llama_server_answers(void **state)
{
	static const reply script[] = {
		PROBE_OK,
		/* sorted by score, as llama-server, Jina and Cohere answer */
		{{H200 "{\"model\":\"bge-reranker\",\"object\":\"list\",\"usage\":{\"prompt_tokens\":9},"
		  "\"results\":[{\"index\":1,\"relevance_score\":3.25},",
		  "{\"index\":0,\"relevance_score\":-1.5,\"document\":{\"text\":\"a\"}}]}", NULL}, 0},
		/* text-embeddings-inference: a bare array with "score" */
		{{H200 "[{\"index\":0,\"score\":0.125}]", NULL}, 0},
	};
	script_server *s = server_start(script, 3);
	reranker_params p = reranker_default_params();
	reranker *r;
	const char *docs[] = {"caf\xC3\xA9 \"quoted\"", "b", "c"};
	double sc[3];

	setenv("DOCENT_API_KEY", "sk-rerank", 1);
	p.model = s->url;
	p.batch_size = 2;
	assert_int_equal(reranker_open(&r, &p), 0);
	assert_string_equal(reranker_model_id(r), "openai:bge-reranker");
	assert_int_equal(reranker_max_tokens(r), 512);
	assert_int_equal(reranker_rank(r, "which one?", docs, 3, sc), 0);
	assert_true(sc[0] == -1.5 && sc[1] == 3.25 && sc[2] == 0.125);
	reranker_free(r);
	unsetenv("DOCENT_API_KEY");

	assert_non_null(strstr(s->req[0], "POST /v1/rerank HTTP/1.1"));
	assert_non_null(strstr(s->req[1], "POST /v1/rerank HTTP/1.1"));
	assert_non_null(strstr(s->req[1], "Authorization: Bearer sk-rerank"));
	assert_non_null(strstr(s->req[1], "\"model\":\"bge-reranker\""));
	assert_non_null(strstr(s->req[1], "\"query\":\"which one?\""));
	assert_non_null(strstr(s->req[1], "\"documents\":[\"caf\xC3\xA9 \\\"quoted\\\"\",\"b\"]"));
	assert_non_null(strstr(s->req[1], "\"top_n\":2"));
	assert_non_null(strstr(s->req[2], "\"documents\":[\"c\"]"));
	assert_non_null(strstr(s->req[2], "\"top_n\":1"));
	assert_int_equal(server_stop(s), 3);
}

/* A port nobody listens on. */
static int closed_port(void)
{
	int port, fd = listen_local(&port);
	close(fd);
	return port;
}

static void test_reranker__http_server_down(void **state)
{
	reranker_params p = reranker_default_params();
	reranker *r = (reranker *)&p;
	char model[128], url[128];
	int port = closed_port();

	snprintf(model, sizeof model, "http://127.0.0.1:%d/v1#bge-reranker", port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/rerank", port);
	p.model = model;
	p.retries = 1;
	assert_int_equal(reranker_open(&r, &p), DOCENT_EIO);
	assert_null(r);
	expect_msg(url);
	expect_msg("check that the server is running");
}

static void test_reranker__http_bad_answers(void **state)
{
	static const reply script[] = {
		/* cut short: not JSON */
		{{H200 "{\"results\":[{\"index\":0,\"relevance_", NULL}, 0},
		/* llama-server started without --reranking */
		{{"HTTP/1.1 501 Not Implemented\r\nContent-Type: application/json\r\n"
		  "Connection: close\r\n\r\n{\"error\":{\"code\":501,\"message\":\"This server "
		  "does not support reranking. Start it with `--reranking`\",\"type\":"
		  "\"not_supported_error\"}}", NULL}, 0},
		/* an embeddings answer */
		{{H200 "{\"data\":[{\"index\":0,\"embedding\":[1,2]}]}", NULL}, 0},
		PROBE_OK,
		/* one result missing (a server that honoured a smaller top_n) */
		{{H200 "{\"results\":[{\"index\":1,\"relevance_score\":1}]}", NULL}, 0},
		/* an index twice */
		{{H200 "{\"results\":[{\"index\":0,\"relevance_score\":1},"
		  "{\"index\":0,\"relevance_score\":2}]}", NULL}, 0},
		/* an index out of range, and a score that is not a number */
		{{H200 "{\"results\":[{\"index\":0,\"relevance_score\":1},"
		  "{\"index\":2,\"relevance_score\":2}]}", NULL}, 0},
		{{H200 "{\"results\":[{\"index\":0,\"relevance_score\":\"high\"},"
		  "{\"index\":1,\"relevance_score\":2}]}", NULL}, 0},
	};
	script_server *s = server_start(script, 8);
	reranker_params p = reranker_default_params();
	reranker *r;
	const char *docs[] = {"a", "b"};
	double sc[2];

	p.model = s->url;
	p.retries = 0;
	assert_int_equal(reranker_open(&r, &p), DOCENT_EFORMAT);
	expect_msg("/v1/rerank");
	expect_msg("not answer with JSON");
	assert_int_equal(reranker_open(&r, &p), DOCENT_EIO);
	expect_msg("Start it with `--reranking`");
	assert_int_equal(reranker_open(&r, &p), DOCENT_EFORMAT);
	expect_msg("did not answer with 1 scores");
	expect_msg("\"bge-reranker\" is a reranking model");
	assert_int_equal(reranker_open(&r, &p), 0);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(reranker_rank(r, "q", docs, 2, sc), DOCENT_EFORMAT);
		expect_msg("did not answer with 2 scores");
	}
	reranker_free(r);
	assert_int_equal(server_stop(s), 8);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void test_reranker__http_timeout(void **state)
{
	static const reply script[] = {{{NULL}, 3000}};
	script_server *s = server_start(script, 1);
	reranker_params p = reranker_default_params();
	reranker *r;

	p.model = s->url;
	p.timeout_ms = 300;
	p.retries = 0;
	double t0 = now_ms();
	assert_int_equal(reranker_open(&r, &p), DOCENT_EIO);
	assert_true(now_ms() - t0 < 2000);
	expect_msg("did not answer within 300 ms");
	assert_int_equal(server_stop(s), 1);
}

/* ---- llama.cpp's llama-server --reranking ---------------------------------- */

static int free_port(void)
{
	int port, fd = listen_local(&port);
	close(fd);
	return port;
}

static int can_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Starts llama-server --reranking on `model`, ranks the passages through it
 * and in-process, and compares. */
static void server_matches_in_process(const char *model)
{
	char bin[4096], cmd[4300], port[16], spec[128];
	reranker_params p = reranker_default_params();
	reranker *remote = NULL, *local;
	double a[NP], b[NP];
	pid_t pid;
	FILE *f;
	int rc = DOCENT_EIO, po;

	need_model(model);
	snprintf(cmd, sizeof cmd, "%s/scripts/llama.sh --bin", DOCENT_SRC_DIR);
	assert_non_null(f = popen(cmd, "r"));
	assert_non_null(fgets(bin, sizeof bin, f));
	pclose(f);
	bin[strcspn(bin, "\n")] = '\0';
	snprintf(cmd, sizeof cmd, "%s/llama-server", bin);
	po = free_port();
	snprintf(port, sizeof port, "%d", po);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execl(cmd, cmd, "-m", model, "--host", "127.0.0.1", "--port", port,
		      "--reranking", "-t", "2", "-c", "512", "-b", "512", "-ub", "512",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 600 && !can_connect(po); i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			fail_msg("llama-server exited before listening");
		usleep(100000);
	}
	assert_true(can_connect(po));
	snprintf(spec, sizeof spec, "http://127.0.0.1:%d/v1#tiny-rerank", po);
	p.model = spec;
	/* the server may still be loading the model: it answers 503 meanwhile */
	for (int i = 0; i < 100 && rc != 0; i++) {
		rc = reranker_open(&remote, &p);
		if (rc)
			usleep(200000);
	}
	if (rc)
		fail_msg("reranker_open: %s", docent_error_message());
	assert_int_equal(reranker_rank(remote, "how long does the battery last", passages, NP,
				       b), 0);
	local = open_model(model, 512);
	assert_int_equal(reranker_rank(local, "how long does the battery last", passages, NP, a),
			 0);
	for (size_t i = 0; i < NP; i++)
		if (fabs(a[i] - b[i]) > 1e-3 * (1 + fabs(a[i])))
			fail_msg("passage %zu: in-process %.6f, llama-server %.6f", i, a[i], b[i]);
	reranker_free(local);
	reranker_free(remote);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void test_reranker__llama_server_matches_in_process(void **state)
{
	server_matches_in_process(RERANK_MODEL);
}

/* llama-server fills the template too: the same pairs, the same scores. */
static void test_reranker__llama_server_template(void **state)
{
	server_matches_in_process(TEMPLATE_MODEL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reranker__tiny_ranks_deterministically),
		cmocka_unit_test(test_reranker__batch_equals_single),
		cmocka_unit_test(test_reranker__long_inputs_cut_with_warning),
		cmocka_unit_test(test_reranker__template),
		cmocka_unit_test(test_reranker__head_without_rank_pooling),
		cmocka_unit_test(test_reranker__refuses_other_models),
		cmocka_unit_test(test_reranker__edges),
		cmocka_unit_test(test_reranker__config_key),
		cmocka_unit_test(test_reranker__http_llama_server_answers),
		cmocka_unit_test(test_reranker__http_server_down),
		cmocka_unit_test(test_reranker__http_bad_answers),
		cmocka_unit_test(test_reranker__http_timeout),
		cmocka_unit_test(test_reranker__llama_server_matches_in_process),
		cmocka_unit_test(test_reranker__llama_server_template),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
