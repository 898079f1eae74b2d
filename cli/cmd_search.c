/*
 * cmd_search.c - `docent search`: ranked chunks for a natural-language
 * query, for people (path, page, heading, snippet, score) or as JSON.
 */
#include "cli/cli.h"
#include "core/error.h"
#include "rag/retrieve.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void help_search(FILE *out)
{
	fprintf(out,
		"Usage: docent search [OPTIONS] QUERY...\n\n"
		"Finds the passages that best match a question or keywords, ranked by\n"
		"BM25 over the keyword index. Any text is a valid query: operators and\n"
		"punctuation are treated as words.\n\n"
		"Options:\n"
		"  -k, --limit N           number of results (default: search.k, 10)\n"
		"  -c, --collection NAME   search one collection (default: all)\n"
		"      --mode MODE         bm25 (the only mode until embeddings are set up)\n"
		"      --full              print each passage's whole text, not a snippet\n"
		"      --json              print results as JSON\n");
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Snippets mark matches with ANSI bold on a terminal, brackets elsewhere. */
static void print_hits(const store_hit *h, size_t n, int full)
{
	for (size_t i = 0; i < n; i++) {
		printf("%d. ", h[i].rank);
		cli_put_path(stdout, h[i].path ? h[i].path : "?");
		if (h[i].page_start > 0) {
			if (h[i].page_end > h[i].page_start)
				printf("  pages %d-%d", h[i].page_start, h[i].page_end);
			else
				printf("  page %d", h[i].page_start);
		}
		printf("  (score %.2f)\n", h[i].score);
		/* the heading path often starts with the title: say it once */
		const char *title = h[i].title;
		if (title && h[i].heading && strncmp(h[i].heading, title, strlen(title)) == 0)
			title = NULL;
		if (title || h[i].heading) {
			printf("   ");
			if (title)
				printf("%s", title);
			if (title && h[i].heading)
				printf(" — ");
			if (h[i].heading)
				printf("%s", h[i].heading);
			putchar('\n');
		}
		const char *body = full ? h[i].text : h[i].snippet;
		if (body) {
			printf("   ");
			for (const char *p = body; *p; p++) {
				if (*p == '\n')
					fputs(full ? "\n   " : " ", stdout);
				else
					putchar(*p);
			}
			putchar('\n');
		}
		putchar('\n');
	}
}

static json_t *hits_json(const char *query, const store_hit *h, size_t n, double ms)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:i, s:f, s:I, s:I, s:s, s:s?, s:s?, s:s?, s:s?, s:I, s:I}",
			"rank", h[i].rank, "score", h[i].score,
			"chunk_id", (json_int_t)h[i].chunk_id, "doc_id", (json_int_t)h[i].doc_id,
			"path", h[i].path ? h[i].path : "", "collection", h[i].collection,
			"title", h[i].title, "heading", h[i].heading, "snippet", h[i].snippet,
			"start_byte", (json_int_t)h[i].start_byte, "end_byte", (json_int_t)h[i].end_byte);
		if (!o)
			continue;
		json_object_set_new(o, "page_start", h[i].page_start > 0 ? json_integer(h[i].page_start) : json_null());
		json_object_set_new(o, "page_end", h[i].page_end > 0 ? json_integer(h[i].page_end) : json_null());
		json_object_set_new(o, "text", json_string(h[i].text ? h[i].text : ""));
		json_object_set_new(o, "bm25_rank", json_integer(h[i].rank));
		json_array_append_new(arr, o);
	}
	return json_pack("{s:s, s:s, s:f, s:o}", "query", query, "mode", "bm25",
			 "took_ms", ms, "hits", arr);
}

int cmd_search(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'k' },
		{ "collection", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "full", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	store_search_params sp;
	const char *collection = NULL;
	store_hit *hits = NULL;
	size_t n = 0;
	dbuf q = DBUF_INIT;
	int opt, json = 0, full = 0, rc;
	long k = -1;
	store *st;
	double t0;

	while ((opt = getopt_long(argc, argv, "k:c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': {
			char *end;
			k = strtol(optarg, &end, 10);
			if (*end || k < 1 || k > 10000)
				return cli_usage(c, "-k takes a number from 1 to 10000, not '%s'", optarg);
			break;
		}
		case 'c': collection = optarg; break;
		case 'm':
			if (strcmp(optarg, "bm25") != 0)
				return cli_usage(c, "search mode '%s' needs an embedding model, which "
						 "is not configured; use --mode bm25", optarg);
			break;
		case 'f': full = 1; break;
		case 'J': json = 1; break;
		default: return cli_usage(c, "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage(c, "give a query, e.g. docent search \"parental leave\"");
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			dbuf_putc(&q, ' ');
		dbuf_puts(&q, argv[i]);
	}
	st = cli_store(c, 0);
	if (!st) {
		dbuf_free(&q);
		return CLI_FAIL;
	}
	config_search_params(c->cfg, &sp);
	if (k > 0)
		sp.k = (size_t)k;
	sp.collection = collection;
	if (!json && isatty(STDOUT_FILENO)) {
		sp.mark_open = "\033[1m";
		sp.mark_close = "\033[0m";
	}
	t0 = now_ms();
	rc = retrieve_search(st, q.data, &sp, &hits, &n);
	if (rc) {
		dbuf_free(&q);
		return cli_fail(rc, "search failed");
	}
	if (json) {
		cli_print_json(hits_json(q.data, hits, n, now_ms() - t0));
	} else if (n == 0) {
		printf("No results for \"%s\".\n", q.data);
	} else {
		print_hits(hits, n, full);
	}
	store_hits_free(hits, n);
	dbuf_free(&q);
	return CLI_OK;
}
