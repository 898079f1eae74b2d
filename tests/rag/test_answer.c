/*
 * test_answer.c - the answer pipeline (rag/answer.h) over a real store,
 * with a scripted generator that answers chosen text and records what it
 * was asked: extractive answers, the weak-evidence path (the model is not
 * asked), citations checked while streaming, the prompt's numbered
 * context, the conversation history, cancelling, and a reranker's order.
 */
#include "tests/index/store_fixture.h"

#include "core/buf.h"
#include "core/error.h"
#include "rag/answer.h"

/* ---- the scripted generator ---- */

typedef struct script {
	const char *reply;     /* streamed in pieces of 3 bytes */
	int calls;
	size_t nmsgs;
	char *system, *user;   /* the first and last messages of the last call */
} script;

static int script_chat(void *self, const chat_message *msgs, size_t n, const gen_options *o,
		       gen_piece_fn fn, void *ctx, gen_result *res)
{
	script *s = self;
	size_t len = strlen(s->reply);

	(void)o;
	s->calls++;
	s->nmsgs = n;
	free(s->system);
	free(s->user);
	s->system = strdup(msgs[0].content);
	s->user = strdup(msgs[n - 1].content);
	memset(res, 0, sizeof *res);
	res->prompt_tokens = 100;
	res->stopped_by = GEN_STOP_END;
	for (size_t i = 0; i < len; i += 3) {
		res->completion_tokens++;
		if (fn(ctx, s->reply + i, len - i < 3 ? len - i : 3)) {
			res->stopped_by = GEN_STOP_CANCELLED;
			break;
		}
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
	script *s = self;
	free(s->system);
	free(s->user);
	s->system = s->user = NULL;
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

/* ---- the documents ---- */

static void add_docs(fx *f)
{
	put_text(f->s, f->coll, "/handbook/leave.txt",
		 "Parental leave. Employees get 45 working days of parental leave at full pay. "
		 "The leave can be split into two parts. Tell your manager a month ahead.");
	put_text(f->s, f->coll, "/handbook/travel.txt",
		 "Travel. Hotels are booked through the travel desk. Meals are paid up to "
		 "40 euros a day.");
	put_text(f->s, f->coll, "/handbook/it.txt",
		 "Laptops. Every employee gets a laptop. Lost laptops are reported to the "
		 "service desk within a day.");
}

typedef struct collect { dbuf b; int stop_after; int pieces; } collect;

static int on_piece(void *ctx, const char *s, size_t n)
{
	collect *c = ctx;
	c->pieces++;
	assert_int_equal(dbuf_append(&c->b, s, n), 0);
	return c->stop_after && c->pieces >= c->stop_after;
}

static answerer *open_answerer(fx *f, generator *g)
{
	answerer *a;
	assert_int_equal(answerer_open(&a, f->s, NULL, g, NULL), 0);
	return a;
}

static void test_answer__extractive(void **state)
{
	fx *f = *state;
	answerer *a;
	answer_result r;
	collect c = { DBUF_INIT, 0, 0 };
	answer_params p = answer_default_params();

	add_docs(f);
	a = open_answerer(f, NULL);
	assert_int_equal(answer_ask(a, "how many days of parental leave do employees get?", NULL,
				    NULL, 0, &p, on_piece, &c, &r, NULL), 0);
	assert_int_equal(r.mode, ANSWER_EXTRACTIVE);
	assert_non_null(strstr(r.text, "45 working days"));
	assert_true(r.ncited >= 1);
	const pack_item *it = answer_item(&r, r.cited[0]);
	assert_non_null(it);
	assert_string_equal(it->path, "/handbook/leave.txt");
	/* the cited number follows the sentence it supports */
	char want[16];
	snprintf(want, sizeof want, "[%d]", it->n);
	assert_non_null(strstr(r.text, want));
	assert_string_equal(c.b.data, r.text);
	answer_result_free(&r);
	answerer_close(a);
	dbuf_free(&c.b);
}

/* A table row answers with its header above it; a header alone never. */
static void test_answer__extractive_table_row(void **state)
{
	fx *f = *state;
	answerer *a;
	answer_result r;
	answer_params p = answer_default_params();

	put_text(f->s, f->coll, "/leave.csv",
		 "Leave type | Working days | Pay\n"
		 "Annual leave | 27 | Full pay\n"
		 "Parental leave | 45 | 70% of salary\n"
		 "Moving day | 1 | Full pay");
	a = open_answerer(f, NULL);
	assert_int_equal(answer_ask(a, "how many working days of parental leave?", NULL, NULL, 0,
				    &p, NULL, NULL, &r, NULL), 0);
	assert_int_equal(r.mode, ANSWER_EXTRACTIVE);
	assert_memory_equal(r.text, "Leave type | Working days | Pay\nParental leave | 45 | 70% of "
			    "salary [1]", 59);
	answer_result_free(&r);
	answerer_close(a);
}

static void test_answer__no_evidence(void **state)
{
	fx *f = *state;
	script s = { .reply = "Made up [1]." };
	generator *g = scripted(&s);
	answerer *a;
	answer_result r;
	answer_params p = answer_default_params();

	add_docs(f);
	a = open_answerer(f, g);
	/* one word matches ("employees"), the rest of the question does not */
	assert_int_equal(answer_ask(a, "which employees won the chess tournament trophy in "
				    "Reykjavik?", NULL, NULL, 0, &p, NULL, NULL, &r, NULL), 0);
	assert_int_equal(r.mode, ANSWER_NO_EVIDENCE);
	assert_int_equal(s.calls, 0);
	assert_non_null(strstr(r.text, "do not answer"));
	assert_true(r.ncontext <= 3);
	assert_int_equal(r.ncited, 0);
	answer_result_free(&r);

	/* nothing matches at all */
	assert_int_equal(answer_ask(a, "zyxwv qwert", NULL, NULL, 0, &p, NULL, NULL, &r, NULL), 0);
	assert_int_equal(r.mode, ANSWER_NO_EVIDENCE);
	assert_int_equal(r.ncontext, 0);
	answer_result_free(&r);
	answerer_close(a);
	generator_free(g);
}

static void test_answer__generated_citations_checked(void **state)
{
	fx *f = *state;
	script s = { .reply = "You get 45 working days [1], split in two [1, 9]. [Source 7]" };
	generator *g = scripted(&s);
	answerer *a;
	answer_result r;
	collect c = { DBUF_INIT, 0, 0 };
	answer_params p = answer_default_params();
	char *user = NULL;

	add_docs(f);
	a = open_answerer(f, g);
	assert_int_equal(answer_ask(a, "How many days of parental leave?", NULL, NULL, 0, &p,
				    on_piece, &c, &r, &user), 0);
	assert_int_equal(r.mode, ANSWER_GENERATED);
	assert_int_equal(s.calls, 1);
	assert_string_equal(r.text, "You get 45 working days [1], split in two [1].");
	assert_string_equal(c.b.data, "You get 45 working days [1], split in two [1]. ");
	assert_int_equal(r.ncited, 1);
	assert_int_equal(r.cited[0], 1);
	assert_int_equal(r.ninvalid, 2);
	assert_int_equal(r.invalid[0], 9);
	assert_int_equal(r.invalid[1], 7);
	assert_int_equal(r.prompt_tokens, 100);
	/* the prompt: built-in instructions, numbered passages, the question */
	assert_non_null(strstr(s.system, "cite"));
	assert_non_null(strstr(s.user, "[1]"));
	assert_non_null(strstr(s.user, "45 working days"));
	assert_non_null(strstr(s.user, "Question: How many days of parental leave?"));
	assert_string_equal(user, s.user);
	assert_string_equal(answer_item(&r, 1)->path, "/handbook/leave.txt");
	free(user);
	answer_result_free(&r);
	answerer_close(a);
	generator_free(g);
	dbuf_free(&c.b);
}

static void test_answer__history_and_templates(void **state)
{
	fx *f = *state;
	script s = { .reply = "Yes [1]." };
	generator *g = scripted(&s);
	answerer *a;
	answer_result r;
	answer_params p = answer_default_params();
	chat_message history[] = {
		{ "user", "earlier question" }, { "assistant", "earlier answer" },
	};

	add_docs(f);
	p.system_prompt = "SYSTEM";
	p.user_prompt = "Q={{question}} C={{context}} {{unknown}}";
	a = open_answerer(f, g);
	assert_int_equal(answer_ask(a, "can the parental leave be split?",
				    "parental leave split", history, 2, &p, NULL, NULL, &r, NULL), 0);
	assert_int_equal(s.nmsgs, 4);
	assert_string_equal(s.system, "SYSTEM");
	assert_memory_equal(s.user, "Q=can the parental leave be split? C=[1]", 40);
	assert_non_null(strstr(s.user, "{{unknown}}"));
	answer_result_free(&r);
	answerer_close(a);
	generator_free(g);
}

static void test_answer__cancel(void **state)
{
	fx *f = *state;
	script s = { .reply = "A long answer that goes on and on and on [1]." };
	generator *g = scripted(&s);
	answerer *a;
	answer_result r;
	collect c = { DBUF_INIT, 2, 0 };
	answer_params p = answer_default_params();

	add_docs(f);
	a = open_answerer(f, g);
	assert_int_equal(answer_ask(a, "parental leave days", NULL, NULL, 0, &p, on_piece, &c,
				    &r, NULL), 0);
	assert_int_equal(r.stopped_by, GEN_STOP_CANCELLED);
	assert_true(strlen(r.text) < 10);
	answer_result_free(&r);
	answerer_close(a);
	generator_free(g);
	dbuf_free(&c.b);
}

/* A reranker that prefers passages about laptops. */
static int laptop_first(void *ctx, const char *query, const char *const *docs, size_t n,
			double *scores)
{
	int *calls = ctx;
	(*calls)++;
	for (size_t i = 0; i < n; i++)
		scores[i] = strstr(docs[i], "aptop") ? 10 : 1;
	return 0;
}

static void test_answer__rerank_order(void **state)
{
	fx *f = *state;
	answerer *a;
	answer_result r;
	answer_params p = answer_default_params();
	int calls = 0;

	add_docs(f);
	p.rerank = laptop_first;
	p.rerank_ctx = &calls;
	a = open_answerer(f, NULL);
	assert_int_equal(answer_ask(a, "employees leave laptop desk day", NULL, NULL, 0, &p,
				    NULL, NULL, &r, NULL), 0);
	assert_int_equal(calls, 1);
	assert_true(r.ncontext >= 1);
	assert_string_equal(r.context[0].path, "/handbook/it.txt");
	answer_result_free(&r);
	answerer_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answer__extractive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer__extractive_table_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer__no_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer__generated_citations_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer__history_and_templates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer__cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer__rerank_order, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
