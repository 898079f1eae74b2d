/*
 * test_llama_server.c - the HTTP backends against llama.cpp's own
 * llama-server (built with the pinned llama.cpp) serving the tiny models on
 * 127.0.0.1: the server's embeddings must match the in-process ones, and a
 * streamed chat reply must arrive in whole UTF-8 pieces.
 *
 * The server is stopped by each test's teardown, which cmocka runs also
 * after a failed assertion, and it is told to die with the test process
 * (PR_SET_PDEATHSIG) should that crash: a failing test leaves no server.
 */
#include "tests/testutil.h"

#include "core/error.h"
#include "core/text.h"
#include "engine/embedder.h"
#include "engine/generator.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

typedef struct server {
	pid_t pid;
	int port;
	char url[128];
} server;

/* The running server, for the teardown (a test's own variables are gone
 * when an assertion jumps out of it). */
static server running;

/* A port nobody listens on right now. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
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

/* Starts llama-server on the model; waits until it answers embeddings or
 * chat (a first request succeeds), at most 60 s. A chat server's grammar
 * keeps the random model's tokens to valid UTF-8: the server answers a 500
 * to a reply that is not. */
static void start(server *s, const char *model, int embeddings)
{
	char bin[4096], cmd[4300], port[16], models[4200];
	FILE *p;

	snprintf(cmd, sizeof cmd, "%s/scripts/llama.sh --bin", DOCENT_SRC_DIR);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(bin, sizeof bin, p));
	pclose(p);
	bin[strcspn(bin, "\n")] = '\0';
	snprintf(cmd, sizeof cmd, "%s/llama-server", bin);
	snprintf(models, sizeof models, "%s/build/models/%s", DOCENT_SRC_DIR, model);
	if (access(models, R_OK) != 0)
		fail_msg("missing %s: run 'make tiny-models'", models);
	s->port = free_port();
	snprintf(port, sizeof port, "%d", s->port);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		if (embeddings)
			execl(cmd, cmd, "-m", models, "--host", "127.0.0.1", "--port", port,
			      "--embeddings", "-t", "2", "-c", "512", (char *)NULL);
		else
			execl(cmd, cmd, "-m", models, "--host", "127.0.0.1", "--port", port,
			      "-t", "2", "-c", "1024", "--no-webui",
			      "--grammar", "root ::= [a-z .]+", (char *)NULL);
		_exit(127);
	}
	running = *s;
	snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/v1", s->port);
	for (int i = 0; i < 600 && !can_connect(s->port); i++) {
		int st;
		if (waitpid(s->pid, &st, WNOHANG) == s->pid)
			fail_msg("llama-server exited before listening");
		usleep(100000);
	}
	assert_true(can_connect(s->port));
}

static void stop(server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
	running.pid = 0;
}

/* After every test, passed or failed: no server left running. */
static int teardown(void **state)
{
	(void)state;
	stop(&running);
	return 0;
}

static void test_llama_server__embeddings_match_in_process(void **state)
{
	server s;
	embedder *local, *remote = NULL;
	embedder_params p = embedder_default_params();
	char spec[256], path[4200];
	const char *texts[] = { "hello world", "the robot battery lasts eleven hours" };
	float a[2 * 64], b[2 * 64];
	int rc = DOCENT_EIO;

	start(&s, "tiny-embed.gguf", 1);
	snprintf(spec, sizeof spec, "%s#tiny-embed", s.url);
	p.model = spec;
	/* the server may still be loading the model: retry for a while */
	for (int i = 0; i < 100 && rc != 0; i++) {
		rc = embedder_open(&remote, &p);
		if (rc)
			usleep(200000);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(embedder_dim(remote), 64);
	assert_int_equal(embedder_embed(remote, texts, 2, EMBED_DOCUMENT, b), 0);

	snprintf(path, sizeof path, "%s/build/models/tiny-embed.gguf", DOCENT_SRC_DIR);
	p.model = path;
	assert_int_equal(embedder_open(&local, &p), 0);
	assert_int_equal(embedder_embed(local, texts, 2, EMBED_DOCUMENT, a), 0);
	for (int t = 0; t < 2; t++) {
		double dot = 0;
		for (int i = 0; i < 64; i++)
			dot += (double)a[t * 64 + i] * b[t * 64 + i];
		if (dot < 0.99)
			fail_msg("text %d: server and in-process vectors differ (cosine %.4f)", t, dot);
	}
	embedder_free(local);
	embedder_free(remote);
	stop(&s);
}

typedef struct collected {
	dbuf text;
	int pieces, bad;
} collected;

static int collect(void *ctx, const char *piece, size_t n)
{
	collected *c = ctx;
	c->pieces++;
	if (!text_utf8_valid(piece, n))
		c->bad++;
	dbuf_append(&c->text, piece, n);
	return 0;
}

static void test_llama_server__chat_streams(void **state)
{
	server s;
	generator *g = NULL;
	generator_params p = generator_default_params();
	gen_options o = gen_default_options();
	gen_result res;
	chat_message m = { "user", "Say something." };
	collected c = { DBUF_INIT, 0, 0 };
	char spec[256];
	int rc = DOCENT_EIO;

	start(&s, "tiny-chat.gguf", 0);
	snprintf(spec, sizeof spec, "%s#tiny-chat", s.url);
	p.model = spec;
	assert_int_equal(generator_open(&g, &p), 0);
	o.max_tokens = 12;
	o.temperature = 0;
	for (int i = 0; i < 100 && rc != 0; i++) {
		dbuf_reset(&c.text);
		c.pieces = c.bad = 0;
		rc = generator_chat(g, &m, 1, &o, collect, &c, &res);
		if (rc)
			usleep(200000); /* still loading */
	}
	assert_int_equal(rc, 0);
	assert_true(c.pieces >= 1);
	assert_int_equal(c.bad, 0);
	assert_true(res.completion_tokens >= 1 && res.completion_tokens <= 12);
	generator_free(g);
	dbuf_free(&c.text);
	stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_llama_server__embeddings_match_in_process, teardown),
		cmocka_unit_test_teardown(test_llama_server__chat_streams, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
