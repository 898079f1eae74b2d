/*
 * answer_print.c - how the CLI shows an answer, shared by `docent ask` and
 * `docent chat`: the answer as JSON, the sources list (path as a link,
 * page, heading, byte range, the passage dimmed), and the notes on stderr.
 */
#include "cli/cli.h"
#include "core/error.h"

#include <string.h>

static json_t *item_json(const pack_item *it, int with_tokens)
{
	json_t *o = json_pack("{s:i, s:o, s:o, s:I, s:I, s:o, s:I}",
			      "n", it->n, "title", cli_json_text(it->title),
			      "heading", cli_json_text(it->heading),
			      "start_byte", (json_int_t)it->start_byte,
			      "end_byte", (json_int_t)it->end_byte,
			      "text", cli_json_text(it->text ? it->text : ""),
			      "chunk_id", (json_int_t)it->chunk_id);
	if (!o || cli_json_set_path(o, "path", it->path)) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "page", it->page_start > 0 ? json_integer(it->page_start) : json_null());
	if (it->page_end > it->page_start)
		json_object_set_new(o, "page_end", json_integer(it->page_end));
	if (with_tokens)
		json_object_set_new(o, "tokens", json_integer((json_int_t)it->tokens));
	return o;
}

json_t *cli_answer_json(const char *question, const answer_result *r, const char *model)
{
	json_t *cites = json_array(), *ctx = json_array(), *invalid = json_array(), *out;

	for (size_t i = 0; i < r->ncited; i++) {
		const pack_item *it = answer_item(r, r->cited[i]);
		if (it)
			json_array_append_new(cites, item_json(it, 0));
	}
	for (size_t i = 0; i < r->ncontext; i++)
		json_array_append_new(ctx, item_json(&r->context[i], 1));
	for (size_t i = 0; i < r->ninvalid; i++)
		json_array_append_new(invalid, json_integer(r->invalid[i]));
	out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:i, s:i, s:f, s:s}",
			"question", question, "answer", r->text ? r->text : "",
			"mode", answer_mode_name(r->mode), "citations", cites,
			"context", ctx, "removed_citations", invalid,
			"prompt_tokens", r->prompt_tokens, "cached_tokens", r->cached_tokens,
			"completion_tokens", r->completion_tokens, "coverage", r->coverage,
			"retrieval", retrieve_mode_name(r->retrieval.mode));
	if (!out)
		return NULL;
	json_object_set_new(out, "model", model ? json_string(model) : json_null());
	json_object_set_new(out, "reranked", json_boolean(r->reranked));
	json_object_set_new(out, "weighted_coverage", json_real(r->weighted_coverage));
	json_object_set_new(out, "timings", json_pack(
		"{s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
		"retrieval_ms", r->timings.retrieve_ms, "rerank_ms", r->timings.rerank_ms,
		"packing_ms", r->timings.pack_ms, "first_token_ms", r->timings.first_token_ms,
		"generation_ms", r->timings.generate_ms, "total_ms", r->timings.total_ms,
		"tokens_per_s", r->timings.tokens_per_s));
	if (r->retrieval.note[0])
		json_object_set_new(out, "note", json_string(r->retrieval.note));
	return out;
}

/* "title > heading (p. 3)" of an item, to show under its path. */
static void put_where(FILE *out, const pack_item *it)
{
	const char *title = it->title && it->title[0] ? it->title : NULL;
	const char *heading = it->heading && it->heading[0] ? it->heading : NULL;
	if (title && heading && strncmp(heading, title, strlen(title)) == 0)
		title = NULL;
	if (title)
		fputs(title, out);
	if (title && heading)
		fputs(" > ", out);
	if (heading)
		fputs(heading, out);
}

void cli_print_source(const cli_term *t, const pack_item *it)
{
	char page[32] = "";
	cli_wrap w;

	if (it->page_start > 0 && it->page_end > it->page_start)
		snprintf(page, sizeof page, ", pages %d-%d", it->page_start, it->page_end);
	else if (it->page_start > 0)
		snprintf(page, sizeof page, ", page %d", it->page_start);
	printf("[%d] ", it->n);
	cli_put_link(stdout, t, it->path, it->page_start, it->path);
	printf("%s (bytes %lld-%lld)\n", page, (long long)it->start_byte, (long long)it->end_byte);
	if ((it->title && it->title[0]) || (it->heading && it->heading[0])) {
		fputs("    ", stdout);
		put_where(stdout, it);
		putchar('\n');
	}
	if (t->color)
		fputs("\033[2m", stdout);
	cli_wrap_init(&w, stdout, t->width, 4);
	cli_wrap_put(&w, it->text ? it->text : "", strlen(it->text ? it->text : ""));
	cli_wrap_end(&w);
	if (t->color)
		fputs("\033[0m", stdout);
}

void cli_print_sources(const cli_term *t, const answer_result *r)
{
	if (r->mode == ANSWER_NO_EVIDENCE) {
		if (r->ncontext == 0) {
			printf("\nNothing in the documents matches the question.\n");
			return;
		}
		printf("\nNearest passages (they do not answer it):\n");
		for (size_t i = 0; i < r->ncontext; i++)
			cli_print_source(t, &r->context[i]);
		return;
	}
	if (r->ncited == 0) {
		printf("\nThe answer cites no passage. It was given these:\n");
		for (size_t i = 0; i < r->ncontext; i++)
			cli_print_source(t, &r->context[i]);
		return;
	}
	printf("\nSources:\n");
	for (size_t i = 0; i < r->ncited; i++) {
		const pack_item *it = answer_item(r, r->cited[i]);
		if (it)
			cli_print_source(t, it);
	}
}

void cli_print_answer_notes(const answer_result *r)
{
	if (r->retrieval.vectors_rebuilt)
		fprintf(stderr, "docent: the vector index was %s and was rebuilt\n",
			r->retrieval.vectors_rebuilt == 2 ? "damaged" : "out of date");
	if (r->retrieval.note[0])
		fprintf(stderr, "docent: keyword retrieval only: %s\n", r->retrieval.note);
	if (r->ninvalid) {
		fprintf(stderr, "docent: removed citation%s of passage%s that do%s not exist:",
			r->ninvalid > 1 ? "s" : "", r->ninvalid > 1 ? "s" : "",
			r->ninvalid > 1 ? "" : "es");
		for (size_t i = 0; i < r->ninvalid; i++)
			fprintf(stderr, " [%d]", r->invalid[i]);
		fputc('\n', stderr);
	}
}

int cli_set_flag(cli *c, const char *key, const char *value, const char *flag)
{
	if (config_set(c->cfg, key, value, CONFIG_FLAG, flag) == 0)
		return 0;
	fprintf(stderr, "docent %s: %s\n", c->command, docent_error_message());
	return -1;
}
