/*
 * answer_print.c - how the CLI shows an answer, shared by `docent ask` and
 * `docent chat`: the sources list (path as a link, page, heading, byte
 * range, the passage dimmed) and the notes on stderr. The answer's JSON is
 * rag/answer_json.h, shared with the web API.
 */
#include "cli/cli.h"
#include "core/error.h"

#include <string.h>

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
		fprintf(stderr, "docent: the vector index was out of date and was rebuilt\n");
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
