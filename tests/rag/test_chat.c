/*
 * test_chat.c - conversations (rag/chat.h) over a real store: follow-ups
 * rewritten without a model and with a scripted one, the history sent as
 * the model saw it, contexts and then turns dropped when the history would
 * not fit, turns stored and resumed, collection switches and resets, and
 * the in-process model reusing its cached prefix on a follow-up
 * (build/models/tiny-chat.gguf, made by `make tiny-models`).
 */
#include "tests/index/store_fixture.h"

#include "core/buf.h"
#include "core/error.h"
#include "rag/chat.h"

#define CHAT_MODEL DOCENT_SRC_DIR "/build/models/tiny-chat.gguf"

/* ---- the scripted generator ---- */

typedef struct script {
	const char *reply;     /* an answer, streamed in pieces of 3 bytes */
	const char *rewrite;   /* the reply to the rewriting prompt */
	int calls, rewrites;
	double temperature;    /* of the last rewriting call */
	int max_tokens;
	char *msgs[64];        /* roles and contents of the last answering call */
	size_t nmsgs;
} script;

static void script_clear(script *s)
{
	for (size_t i = 0; i < s->nmsgs; i++)
		free(s->msgs[i]);
	s->nmsgs = 0;
}

static int script_chat(void *self, const chat_message *msgs, size_t n, const gen_options *o,
		       gen_piece_fn fn, void *ctx, gen_result *res)
{
	script *s = self;
	const char *reply = s->reply;
	size_t len;

	memset(res, 0, sizeof *res);
	if (strstr(msgs[n - 1].content, "standalone search query")) {
		s->rewrites++;
		s->temperature = o->temperature;
		s->max_tokens = o->max_tokens;
		reply = s->rewrite ? s->rewrite : "";
	} else {
		s->calls++;
		script_clear(s);
		assert_true(2 * n <= 64);
		for (size_t i = 0; i < n; i++) {
			char *m = malloc(strlen(msgs[i].role) + strlen(msgs[i].content) + 2);
			assert_non_null(m);
			sprintf(m, "%s:%s", msgs[i].role, msgs[i].content);
			s->msgs[s->nmsgs++] = m;
		}
	}
	len = strlen(reply);
	res->prompt_tokens = 100;
	res->stopped_by = GEN_STOP_END;
	for (size_t i = 0; i < len; i += 3)
		if (fn(ctx, reply + i, len - i < 3 ? len - i : 3)) {
			res->stopped_by = GEN_STOP_CANCELLED;
			break;
		}
	return 0;
}

static int script_complete(void *self, const char *prompt, const gen_options *o,
			   gen_piece_fn fn, void *ctx, gen_result *res)
{
	(void)self; (void)prompt; (void)o; (void)fn; (void)ctx; (void)res;
	return DOCENT_EINVAL;
}

static void script_free(void *self)
{
	script_clear(self);
}

static const generator_ops script_ops = {
	.chat = script_chat, .complete = script_complete, .free = script_free,
};

static generator *scripted(script *s)
{
	generator *g;
	assert_int_equal(generator_wrap(&g, &script_ops, s, "scripted"), 0);
	return g;
}

static void add_docs(fx *f)
{
	put_text(f->s, f->coll, "/handbook/leave.txt",
		 "Parental leave. Employees get 45 working days of parental leave at full pay. "
		 "Fathers and mothers get the same parental leave. The leave can be split into "
		 "two parts. Tell your manager a month ahead.");
	put_text(f->s, f->coll, "/handbook/travel.txt",
		 "Travel. Hotels are booked through the travel desk. Meals are paid up to "
		 "40 euros a day.");
	put_text(f->s, f->coll, "/handbook/it.txt",
		 "Laptops. Every employee gets a laptop. Lost laptops are reported to the "
		 "service desk within a day.");
}

static chat_params small_params(void)
{
	chat_params p = chat_default_params();
	p.answer.pack.budget_tokens = 200;
	p.answer.gen.max_tokens = 50;
	return p;
}

#define Q1 "how many days of parental leave?"
#define Q2 "and for fathers?"

/* ---- rewriting ---- */

static void test_chat__rewrite_without_model(void **state)
{
	char *q;
	(void)state;

	assert_int_equal(chat_rewrite_terms(Q1, Q2, &q), 0);
	assert_string_equal(q, "fathers days parental leave");
	free(q);
	/* pointing back */
	assert_int_equal(chat_rewrite_terms("parental leave days", "can it be split?", &q), 0);
	assert_non_null(strstr(q, "split"));
	assert_non_null(strstr(q, "parental leave"));
	free(q);
	assert_int_equal(chat_rewrite_terms(Q1, "what about laptops?", &q), 0);
	assert_string_equal(q, "laptops days parental leave");
	free(q);
	/* a question that stands alone stays as it is */
	assert_int_equal(chat_rewrite_terms(Q1, "how are hotels booked for travel?", &q), 0);
	assert_string_equal(q, "how are hotels booked for travel?");
	free(q);
	/* the first question has nothing to lean on */
	assert_int_equal(chat_rewrite_terms(NULL, Q2, &q), 0);
	assert_string_equal(q, Q2);
	free(q);
}

static void test_chat__rewrite_with_model(void **state)
{
	fx *f = *state;
	script s = { .reply = "You get 45 working days [1].",
		     .rewrite = "\nQuery: \"parental leave for fathers\"\nbecause..." };
	generator *g = scripted(&s);
	chat_params p = small_params();
	answerer *a;
	chat *c;
	answer_result r;
	char *q;

	add_docs(f);
	p.persist = 0;
	assert_int_equal(answerer_open(&a, f->s, NULL, g, NULL), 0);
	assert_int_equal(chat_open(&c, f->s, a, g, &p), 0);
	/* the first question is searched for as asked: no rewriting call */
	assert_int_equal(chat_rewrite(c, Q1, &q), 0);
	assert_string_equal(q, Q1);
	free(q);
	assert_int_equal(chat_ask(c, Q1, NULL, NULL, NULL, &r), 0);
	assert_int_equal(s.rewrites, 0);
	answer_result_free(&r);
	assert_int_equal(chat_rewrite(c, Q2, &q), 0);
	assert_string_equal(q, "parental leave for fathers");
	free(q);
	assert_int_equal(s.rewrites, 1);
	assert_true(s.temperature == 0);
	assert_int_equal(s.max_tokens, 32);
	/* a reply with nothing usable falls back to carrying key terms */
	s.rewrite = "  \n";
	assert_int_equal(chat_rewrite(c, Q2, &q), 0);
	assert_string_equal(q, "fathers days parental leave");
	free(q);
	chat_close(c);
	/* so does a rewriting stopped by the cancel flag (Ctrl-C) */
	{
		volatile int stop = 1;
		s.rewrite = "parental leave for fathers";
		p.cancel = &stop;
		assert_int_equal(chat_open(&c, f->s, a, g, &p), 0);
		assert_int_equal(chat_ask(c, Q1, NULL, NULL, NULL, &r), 0);
		answer_result_free(&r);
		assert_int_equal(chat_rewrite(c, Q2, &q), 0);
		assert_string_equal(q, "fathers days parental leave");
		free(q);
		chat_close(c);
	}
	answerer_close(a);
	generator_free(g);
}

/* ---- history, persistence, resume ---- */

static void test_chat__history_as_sent_and_stored(void **state)
{
	fx *f = *state;
	script s = { .reply = "You get 45 working days [1].", .rewrite = "parental leave fathers" };
	generator *g = scripted(&s);
	chat_params p = small_params();
	answerer *a;
	chat *c;
	answer_result r;
	store_conv_msg *m;
	size_t n;
	char *first_sent;

	add_docs(f);
	p.answer.retrieve.search.collection = "default";
	assert_int_equal(answerer_open(&a, f->s, NULL, g, NULL), 0);
	assert_int_equal(chat_open(&c, f->s, a, g, &p), 0);
	assert_int_equal(chat_id(c), 0);
	assert_int_equal(chat_ask(c, Q1, NULL, NULL, NULL, &r), 0);
	assert_int_equal(r.mode, ANSWER_GENERATED);
	answer_result_free(&r);
	assert_int_equal(s.nmsgs, 2);
	first_sent = strdup(s.msgs[1]);
	assert_non_null(strstr(first_sent, "Sources:"));
	assert_true(chat_id(c) > 0);

	assert_int_equal(chat_ask(c, Q2, NULL, NULL, NULL, &r), 0);
	answer_result_free(&r);
	/* system, the first question as sent, its answer, the follow-up */
	assert_int_equal(s.nmsgs, 4);
	assert_string_equal(s.msgs[1], first_sent);
	assert_string_equal(s.msgs[2], "assistant:You get 45 working days [1].");
	assert_non_null(strstr(s.msgs[3], "Question: " Q2));
	assert_int_equal(chat_turns(c), 2);

	assert_int_equal(store_conv_messages(f->s, chat_id(c), &m, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(m[0].content, Q1);
	assert_string_equal(m[0].query, Q1);
	assert_string_equal(m[0].sent, first_sent + strlen("user:"));
	assert_string_equal(m[1].mode, "generated");
	assert_non_null(strstr(m[1].citations, "\"path\":\"/handbook/leave.txt\""));
	assert_non_null(strstr(m[1].citations, "\"start_byte\""));
	assert_string_equal(m[2].content, Q2);
	assert_string_equal(m[2].query, "parental leave fathers");
	store_conv_messages_free(m, n);
	{
		store_conv cv;
		assert_int_equal(store_conv_get(f->s, chat_id(c), &cv), 0);
		assert_string_equal(cv.title, Q1);
		assert_string_equal(cv.collection, "default");
		store_conv_clear(&cv);
	}

	/* a collection switch is recorded; /reset starts a new conversation */
	assert_int_equal(chat_set_collection(c, NULL), 0);
	assert_null(chat_collection(c));
	{
		store_conv cv;
		assert_int_equal(store_conv_get(f->s, chat_id(c), &cv), 0);
		assert_null(cv.collection);
		store_conv_clear(&cv);
	}
	int64_t old = chat_id(c);
	chat_reset(c);
	assert_int_equal(chat_id(c), 0);
	assert_int_equal(chat_turns(c), 0);
	assert_int_equal(chat_ask(c, "what are meals paid?", NULL, NULL, NULL, &r), 0);
	answer_result_free(&r);
	assert_int_equal(s.nmsgs, 2);
	assert_true(chat_id(c) > old);
	chat_close(c);

	/* resumed: the stored turns are the history again, as sent */
	assert_int_equal(chat_open(&c, f->s, a, g, &p), 0);
	assert_int_equal(chat_resume(c, 999), DOCENT_ENOTFOUND);
	assert_int_equal(chat_resume(c, old), 0);
	assert_int_equal(chat_turns(c), 2);
	assert_int_equal(chat_id(c), old);
	assert_null(chat_collection(c));
	assert_int_equal(chat_ask(c, "can it be split?", NULL, NULL, NULL, &r), 0);
	answer_result_free(&r);
	assert_int_equal(s.nmsgs, 6);
	assert_string_equal(s.msgs[1], first_sent);
	assert_int_equal(store_conv_messages(f->s, old, &m, &n), 0);
	assert_int_equal(n, 6);
	store_conv_messages_free(m, n);
	chat_close(c);
	chat_close(NULL);
	free(first_sent);
	answerer_close(a);
	generator_free(g);
}

/* The shape of the history of the last call: per earlier turn, 'C' sent
 * with its context, 'q' the bare question. */
static void history_shape(const script *s, char *out)
{
	size_t k = 0;
	for (size_t i = 1; i + 1 < s->nmsgs; i += 2)
		out[k++] = strstr(s->msgs[i], "Sources:") ? 'C' : 'q';
	out[k] = '\0';
}

static void test_chat__history_cut_to_context(void **state)
{
	fx *f = *state;
	script s = { .reply = "You get 45 working days [1]." };
	generator *g = scripted(&s);
	chat_params p = small_params();
	answerer *a;
	chat *c;
	answer_result r;
	int64_t id;
	/* the shapes met as the window shrinks, in the order they must come */
	const char *order[] = { "CC", "qC", "qq", "q", "" };
	int seen[5] = { 0 }, last = 0;
	char shape[16];

	add_docs(f);
	assert_int_equal(answerer_open(&a, f->s, NULL, g, NULL), 0);
	assert_int_equal(chat_open(&c, f->s, a, g, &p), 0);
	assert_int_equal(chat_ask(c, Q1, NULL, NULL, NULL, &r), 0);
	answer_result_free(&r);
	assert_int_equal(chat_ask(c, Q2, "fathers parental leave days", NULL, NULL, &r), 0);
	answer_result_free(&r);
	id = chat_id(c);
	chat_close(c);

	p.persist = 0;
	for (int ctx = 1200; ctx >= 0; ctx -= 4) {
		int k;
		p.context_tokens = ctx ? ctx : 1;
		assert_int_equal(chat_open(&c, f->s, a, g, &p), 0);
		assert_int_equal(chat_resume(c, id), 0);
		assert_int_equal(chat_ask(c, "can it be split?", "parental leave split", NULL, NULL,
					  &r), 0);
		answer_result_free(&r);
		chat_close(c);
		history_shape(&s, shape);
		for (k = 0; k < 5; k++)
			if (strcmp(shape, order[k]) == 0)
				break;
		assert_true(k < 5);
		assert_true(k >= last);
		last = k;
		seen[k] = 1;
	}
	for (int k = 0; k < 5; k++)
		assert_true(seen[k]);
	answerer_close(a);
	generator_free(g);
}

/* ---- the in-process model reuses its cache ---- */

static void test_chat__kv_cache_reused(void **state)
{
	fx *f = *state;
	generator_params gp = generator_default_params();
	generator *g;
	chat_params p = small_params();
	answerer *a;
	chat *c;
	answer_result r1, r2;

	if (access(CHAT_MODEL, R_OK) != 0)
		fail_msg("%s is missing: run make tiny-models", CHAT_MODEL);
	gp.model = CHAT_MODEL;
	gp.context = 2048;
	gp.threads = 1;
	add_docs(f);
	assert_int_equal(generator_open(&g, &gp), 0);
	p.context_tokens = 2048;
	p.answer.gen.max_tokens = 8;
	p.answer.gen.temperature = 0;
	p.rewrite_max_tokens = 8;
	assert_int_equal(answerer_open(&a, f->s, NULL, g, NULL), 0);
	assert_int_equal(chat_open(&c, f->s, a, g, &p), 0);
	assert_int_equal(chat_ask(c, Q1, NULL, NULL, NULL, &r1), 0);
	assert_int_equal(r1.mode, ANSWER_GENERATED);
	/* the rewriting call and the answer both follow the first turn */
	assert_int_equal(chat_ask(c, Q2, "fathers parental leave days", NULL, NULL, &r2), 0);
	assert_int_equal(r2.mode, ANSWER_GENERATED);
	assert_true(r2.cached_tokens > 0);
	/* everything the first call read is reused */
	assert_true(r2.cached_tokens >= r1.prompt_tokens);
	assert_true(r2.prompt_tokens > r2.cached_tokens);
	answer_result_free(&r1);
	answer_result_free(&r2);
	chat_close(c);
	answerer_close(a);
	generator_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chat__rewrite_without_model),
		cmocka_unit_test_setup_teardown(test_chat__rewrite_with_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat__history_as_sent_and_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat__history_cut_to_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat__kv_cache_reused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
