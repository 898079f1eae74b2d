/*
 * cmd_search.c - `docent search`: ranked chunks for a natural-language
 * query, for people (path, page, heading, snippet, score) or as JSON.
 */
#include "cli/cli.h"
#include "core/error.h"
#include "core/text.h"
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
		"Finds the passages that best match a question or keywords. Any text is a\n"
		"valid query: operators and punctuation are treated as words.\n\n"
		"Modes: bm25 ranks by keywords; dense by meaning (the embedding model's\n"
		"nearest chunks); hybrid fuses both by reciprocal rank fusion. The default\n"
		"(search.mode = auto) is hybrid when the searched collections have vectors\n"
		"or an embedding model is set (engine.embed_model or DOCENT_EMBED_MODEL),\n"
		"else bm25. A collection remembers the model it was embedded with, and\n"
		"search uses it; a configured model that differs is an error (run\n"
		"`docent reindex` to embed the collection with it).\n\n"
		"Options:\n"
		"  -k, --limit N           number of results (default: search.k, 10)\n"
		"  -c, --collection NAME   search one collection (default: all)\n"
		"  -m, --mode MODE         hybrid, dense or bm25 (default: search.mode)\n"
		"  -g, --group             one result per document: its best passage\n"
		"      --full              print each passage's whole text, not a snippet\n"
		"      --json              print results as JSON, with each hit's keyword\n"
		"                          and dense ranks\n\n"
		"Passages with the same or nearly the same text (a file in two collections,\n"
		"copies) are shown once, as the best-ranked one, saying how many copies it\n"
		"stands for.\n");
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Snippets mark matches with ANSI bold on a terminal, brackets elsewhere;
 * text is wrapped to the terminal's width. */
static void print_hits(const cli_term *t, const store_hit *h, size_t n, int full)
{
	for (size_t i = 0; i < n; i++) {
		printf("%d. ", h[i].rank);
		cli_put_link(stdout, t, h[i].path ? h[i].path : "?", h[i].page_start,
			     h[i].path ? h[i].path : "?");
		if (h[i].page_start > 0) {
			if (h[i].page_end > h[i].page_start)
				printf("  pages %d-%d", h[i].page_start, h[i].page_end);
			else
				printf("  page %d", h[i].page_start);
		}
		if (h[i].keyword_rank || h[i].dense_rank) {
			char kw[16] = "-", dn[16] = "-";
			if (h[i].keyword_rank)
				snprintf(kw, sizeof kw, "#%d", h[i].keyword_rank);
			if (h[i].dense_rank)
				snprintf(dn, sizeof dn, "#%d", h[i].dense_rank);
			printf("  (score %.4g; keyword %s, dense %s)\n", h[i].score, kw, dn);
		} else
			printf("  (score %.2f)\n", h[i].score);
		if (h[i].duplicates > 0)
			printf("   (and %d near-identical passage%s elsewhere)\n", h[i].duplicates,
			       h[i].duplicates == 1 ? "" : "s");
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
			cli_wrap w;
			cli_wrap_init(&w, stdout, t->width, 3);
			for (const char *p = body; *p; p++)
				cli_wrap_put(&w, *p == '\n' && !full ? " " : p, 1);
			cli_wrap_end(&w);
		}
		putchar('\n');
	}
}

/* A rank for JSON: null when the hit was not in that list. */
static json_t *rank_json(int rank)
{
	return rank > 0 ? json_integer(rank) : json_null();
}

static json_t *hits_json(const char *query, const store_hit *h, size_t n,
			 const retrieve_info *info, int grouped, double ms)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		/* strings through cli_json_text: a hit is never dropped for its bytes */
		json_t *o = json_pack("{s:i, s:f, s:I, s:I}", "rank", h[i].rank, "score", h[i].score,
				      "chunk_id", (json_int_t)h[i].chunk_id,
				      "doc_id", (json_int_t)h[i].doc_id);
		if (!o || jsontext_set_path(o, "path", h[i].path)) {
			json_decref(o);
			json_decref(arr);
			return NULL;
		}
		json_object_set_new(o, "collection", jsontext_new(h[i].collection));
		json_object_set_new(o, "title", jsontext_new(h[i].title));
		json_object_set_new(o, "heading", jsontext_new(h[i].heading));
		json_object_set_new(o, "snippet", jsontext_new(h[i].snippet));
		json_object_set_new(o, "start_byte", json_integer((json_int_t)h[i].start_byte));
		json_object_set_new(o, "end_byte", json_integer((json_int_t)h[i].end_byte));
		json_object_set_new(o, "page_start", h[i].page_start > 0 ? json_integer(h[i].page_start) : json_null());
		json_object_set_new(o, "page_end", h[i].page_end > 0 ? json_integer(h[i].page_end) : json_null());
		json_object_set_new(o, "text", jsontext_new(h[i].text ? h[i].text : ""));
		json_object_set_new(o, "keyword_rank", rank_json(h[i].keyword_rank));
		json_object_set_new(o, "dense_rank", rank_json(h[i].dense_rank));
		json_object_set_new(o, "keyword_score", h[i].keyword_rank ?
				    json_real(h[i].keyword_score) : json_null());
		json_object_set_new(o, "dense_score", h[i].dense_rank ?
				    json_real(h[i].dense_score) : json_null());
		json_object_set_new(o, "duplicates", json_integer(h[i].duplicates));
		json_array_append_new(arr, o);
	}
	json_t *out = json_pack("{s:o, s:s, s:b, s:b, s:f, s:o}", "query", jsontext_new(query),
				"mode", retrieve_mode_name(info->mode), "grouped", grouped,
				"vectors_rebuilt", info->vectors_rebuilt, "took_ms", ms, "hits", arr);
	if (out && info->note[0])
		json_object_set_new(out, "note", jsontext_new(info->note));
	return out;
}

int cmd_search(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'k' },
		{ "collection", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "full", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ "group", no_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	cli_term term;
	retrieve_params rp;
	retrieve_info info;
	vindex_params vp;
	const char *collection = NULL, *mode = NULL;
	store_hit *hits = NULL;
	size_t n = 0;
	dbuf q = DBUF_INIT;
	int opt, json = 0, full = 0, group = 0, rc, status = CLI_OK, m;
	long k = -1;
	store *st;
	embedder *emb = NULL;
	retriever *r = NULL;
	double t0;

	while ((opt = getopt_long(argc, argv, "k:c:m:g", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': {
			char *end;
			k = strtol(optarg, &end, 10);
			if (*end || k < 1 || k > 10000)
				return cli_usage(c, "-k takes a number from 1 to 10000, not '%s'", optarg);
			break;
		}
		case 'c': collection = optarg; break;
		case 'm': mode = optarg; break;
		case 'f': full = 1; break;
		case 'J': json = 1; break;
		case 'g': group = 1; break;
		default: return cli_usage(c, "unknown option");
		}
	}
	if (!mode)
		mode = config_get(c->cfg, "search.mode");
	m = retrieve_mode_parse(mode);
	if (m < 0)
		return cli_usage(c, "search mode '%s' is not one of hybrid, dense, bm25, auto", mode);
	if (optind >= argc)
		return cli_usage(c, "give a query, e.g. docent search \"parental leave\"");
	config_retrieve_params(c->cfg, &rp);
	config_vindex_params(c->cfg, &vp);
	vp.mmap = 1; /* only searching: a large IVF index opens in milliseconds */
	rp.mode = (retrieve_mode)m;
	if (k > 0)
		rp.search.k = (size_t)k;
	rp.search.collection = collection;
	rp.group_by_doc = group;
	for (int i = optind; i < argc; i++)
		if ((i > optind && dbuf_putc(&q, ' ')) || dbuf_puts(&q, argv[i])) {
			dbuf_free(&q);
			return cli_fail(DOCENT_ENOMEM, NULL);
		}
	if (!text_utf8_valid(q.data, q.len)) {
		dbuf_free(&q);
		return cli_usage(c, "the query is not valid UTF-8 text (check the terminal's "
				 "encoding, e.g. LANG=C.UTF-8)");
	}
	cli_term_detect(&term);
	if (!json && term.color) {
		rp.search.mark_open = "\033[1m";
		rp.search.mark_close = "\033[0m";
	}
	if (!(st = cli_store(c, 0)))
		goto fail;
	if (rp.mode != RETRIEVE_BM25 && !(emb = cli_search_embedder(c, st, collection, rp.mode,
								     &status)) && status)
		goto fail;
	if ((rc = retriever_open(&r, st, emb, &vp)) != 0) {
		status = cli_fail(rc, NULL);
		goto fail;
	}
	t0 = now_ms();
	rc = retrieve(r, q.data, &rp, &hits, &n, &info);
	if (rc) {
		status = cli_fail(rc, "search failed");
		goto fail;
	}
	if (info.vectors_rebuilt)
		fprintf(stderr, "docent: the vector index was %s and was rebuilt\n",
			info.vectors_rebuilt == 2 ? "damaged" : "out of date");
	if (info.note[0] && !json)
		fprintf(stderr, "docent: keyword search only: %s\n", info.note);
	if (json) {
		status = cli_print_json(hits_json(q.data, hits, n, &info, group, now_ms() - t0));
	} else if (n == 0) {
		printf("No results for \"%s\".\n", q.data);
	} else {
		print_hits(&term, hits, n, full);
	}
	store_hits_free(hits, n);
fail:
	retriever_close(r);
	embedder_free(emb);
	dbuf_free(&q);
	return st ? status : CLI_FAIL;
}
