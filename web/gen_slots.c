/*
 * gen_slots.c - the generation gate and its slots (gen_int.h): who may
 * run a language model now, who waits, who is told "busy"; and each
 * slot's models, opened once and kept, so a request pays no model load.
 */
#include "web/gen_int.h"
#include "config/models.h"
#include "core/error.h"
#include "engine/model_spec.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* requests sent at once to a model server (llama-server and Ollama run
 * four by default) when server.generations is 0 */
#define SERVER_GENERATIONS 4

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;
static gate *the_gate;
static gen_slot *slots;
static int nslots;

/*
 * server.generations when set; else (0) what the language model allows: an
 * in-process model is one llama context, one call at a time; a model
 * server queues what it cannot run at once, so a few requests may be sent
 * together; without a model, answers are extractive and take a core each.
 */
static long generations(config *cfg)
{
	long n = strtol(config_get(cfg, "server.generations"), NULL, 10);
	const char *model = config_get(cfg, "engine.chat_model");
	char *path = NULL, *dir;
	model_spec spec;

	if (n > 0)
		return n;
	if (!model || !model[0]) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		return n > 0 ? n : 1;
	}
	n = 1;
	dir = config_models_dir(cfg);
	if (dir && config_model_path(cfg, model, &path) == 0 &&
	    model_spec_parse(path, dir, &spec) == 0 && spec.backend != MODEL_GGUF)
		n = SERVER_GENERATIONS;
	docent_error_clear();
	free(path);
	free(dir);
	return n;
}

/* The gate, made on first use from server.generations and server.queue
 * (the server reads the config once it is loaded, and never changes it). */
static gate *gate_get(config *cfg)
{
	gate *g;

	pthread_mutex_lock(&init_mu);
	if (!the_gate) {
		long n = generations(cfg);
		long q = strtol(config_get(cfg, "server.queue"), NULL, 10);
		if (n < 1)
			n = 1;
		if (n > 64)
			n = 64;
		if (q > 10000)
			q = 10000;
		if ((slots = calloc((size_t)n, sizeof *slots)) &&
		    gate_new(&the_gate, (int)n, (int)q) == 0) {
			nslots = (int)n;
		} else {
			free(slots);
			slots = NULL;
		}
	}
	g = the_gate;
	pthread_mutex_unlock(&init_mu);
	return g;
}

int web_gen_admit(web_request *r, gate_ticket *t, int openai)
{
	gate *g = gate_get(r->cfg);

	if (!g) {
		web_reply_error(r, 500, "internal", "out of memory");
		return -1;
	}
	if (gate_admit(g, t) == 0)
		return 0;
	web_reply_header(r, "Retry-After", WEB_GEN_RETRY_AFTER);
	if (openai)
		web_reply_json(r, 503, json_pack("{s:{s:s, s:s, s:s}}", "error",
			"message", docent_error_message(), "type", "server_error", "code", "busy"));
	else
		web_reply_error(r, 503, "busy", "%s", docent_error_message());
	return -1;
}

static void warn_none(void *ctx, const char *message)
{
	(void)ctx;
	(void)message;
}

static int slot_open(gen_slot *s, config *cfg)
{
	int rc;

	if (s->opened)
		return 0;
	if ((rc = config_generator_open(cfg, &s->gen)) != 0)
		return rc;
	if ((rc = config_reranker_open(cfg, warn_none, NULL, &s->rr)) != 0) {
		generator_free(s->gen);
		s->gen = NULL;
		return rc;
	}
	s->context_tokens = s->gen ? config_model_context(cfg) : 0;
	s->opened = 1;
	return 0;
}

int web_gen_acquire(config *cfg, gate_ticket *t, const volatile int *cancel, gen_slot **out)
{
	gate *g = gate_get(cfg);
	int rc;

	*out = NULL;
	if ((rc = gate_wait(g, t, cancel)) != 0)
		return rc;
	if ((rc = slot_open(&slots[t->slot], cfg)) != 0) {
		gate_leave(g, t);
		/* the server's set-up, not the request, is at fault */
		return docent_error_wrap(DOCENT_ECONFIG, "the language or reranking model");
	}
	*out = &slots[t->slot];
	return 0;
}

void web_gen_release(gate_ticket *t)
{
	if (the_gate)
		gate_leave(the_gate, t);
}

int gen_slot_embedder(gen_slot *s, config *cfg, store *st, const char *collection,
		      retrieve_mode mode, embedder **out)
{
	char *spec = NULL;
	int rc;

	*out = NULL;
	if (mode == RETRIEVE_BM25)
		return 0;
	if ((rc = config_search_model(cfg, st, collection, &spec)) != 0)
		return docent_error_wrap(DOCENT_ECONFIG, "the embedding model");
	if (!spec) {
		if (mode != RETRIEVE_AUTO)
			return docent_error_set(DOCENT_EINVAL, "mode %s needs an embedding model: "
						"ingest with one (engine.embed_model), or use mode bm25",
						retrieve_mode_name(mode));
		return 0;
	}
	if (s->emb && s->emb_spec && strcmp(s->emb_spec, spec) == 0) {
		free(spec);
		*out = s->emb;
		return 0;
	}
	embedder_free(s->emb);
	free(s->emb_spec);
	s->emb = NULL;
	s->emb_spec = NULL;
	if ((rc = config_embedder_open(cfg, spec, warn_none, NULL, &s->emb)) != 0) {
		free(spec);
		if (mode != RETRIEVE_AUTO)
			return docent_error_wrap(DOCENT_ECONFIG, "the embedding model");
		/* as the CLI: auto mode searches by keywords when the model fails */
		docent_error_clear();
		return 0;
	}
	s->emb_spec = spec;
	*out = s->emb;
	return 0;
}

void web_gen_shutdown(void)
{
	int running = 0, waiting = 0;

	pthread_mutex_lock(&init_mu);
	if (the_gate)
		gate_counts(the_gate, &running, &waiting);
	if (running + waiting > 0) {
		/* a stream that did not stop in time still uses its slot: the
		 * process is ending, its memory goes with it */
		pthread_mutex_unlock(&init_mu);
		return;
	}
	for (int i = 0; i < nslots; i++) {
		generator_free(slots[i].gen);
		reranker_free(slots[i].rr);
		embedder_free(slots[i].emb);
		free(slots[i].emb_spec);
	}
	free(slots);
	slots = NULL;
	nslots = 0;
	gate_free(the_gate);
	the_gate = NULL;
	pthread_mutex_unlock(&init_mu);
}

int web_gen_status(int rc, const char **code)
{
	switch (rc) {
	case DOCENT_ENOTFOUND: *code = "not_found"; return 404;
	case DOCENT_EINVAL: case DOCENT_EEMPTY: *code = "bad_request"; return 400;
	case DOCENT_EEXIST: *code = "conflict"; return 409;
	case DOCENT_ETOOBIG: *code = "too_large"; return 413;
	case DOCENT_EBUSY: *code = "busy"; return 503;
	default: *code = "internal"; return 500;
	}
}

const char *web_gen_message(web_request *r, int rc)
{
	const char *code;
	const web_server_params *sp = web_server_settings(r->server);

	if (web_gen_status(rc, &code) != 500)
		return docent_error_message();
	if (sp && sp->log)
		fprintf(sp->log, "docent: %s %s: %s\n", r->method, r->path, docent_error_message());
	if (rc == DOCENT_ECANCELLED)
		return "stopped";
	if (rc == DOCENT_ECONFIG)
		return "the server's models are not set up right (engine.chat_model, "
		       "engine.embed_model, engine.rerank_model); its log says why";
	return "the answer could not be made (the language model or the store failed); "
	       "the server's log says why";
}
