/*
 * context.c - how often the packed context (rag/pack.h) holds a relevant
 * document, against the top 10 chunks of a search, on the shared test
 * collections; and the coverage of real against unrelated questions.
 *
 * Like bench/eval.c, every document of a collection under EVAL_DIR
 * (../shared/eval by default) is written as its own file "<id>.txt"
 * (title, blank line, text) and ingested with the normal pipeline into a
 * fresh store (embedded too with --embed-model, and then retrieval is
 * hybrid). For each judged query the retriever gives N candidates, the
 * packer packs them under a budget, and a query counts as recalled when an
 * item of its context comes from a relevant document (gain >= 1). Words
 * are the words of the items' text (text_count_words). The baseline is the
 * top 10 hits of the same retrieval, whole: what `docent search` shows.
 *
 *   build/bench/context [--eval-dir DIR] [--embed-model SPEC] [--sweep]
 *                       [--budget TOKENS] [--candidates N]
 *                       [--count-model GGUF] [COLLECTION...]
 *
 * --count-model counts tokens with a chat model's tokenizer and packs with
 * `docent ask`'s parameters (answer_default_params), so that the budget is
 * what the model reads (build/models/tiny-chat.gguf has Qwen2.5's
 * vocabulary).
 *
 * --sweep prints recall and words for several budgets and candidate
 * counts, and the same budgets with whole passages. Coverage: every
 * collection's questions are also packed against the other collections'
 * documents, where no document is relevant, and the table shows for a few
 * thresholds how many real questions with a relevant document in the
 * context fall below (would be told "the documents do not answer this")
 * and how many unrelated ones reach it. This is a benchmark: it prints
 * figures, it does not judge them.
 */
#include "core/error.h"
#include "core/text.h"
#include "index/store.h"
#include "ingest/ingest.h"
#include "engine/generator.h"
#include "rag/answer.h"
#include "rag/pack.h"
#include "rag/retrieve.h"

#include "bench/evalset.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_COLL 8
#define MAX_CAND 100

typedef struct collection {
	const char *name;
	query *queries;
	size_t nqueries;
	qrel *qrels;
	size_t nqrels;
	char dir[1024];
	store *st;
	retriever *r;
} collection;

static void die(const char *what)
{
	fprintf(stderr, "context: %s: %s\n", what, docent_error_message());
	exit(1);
}

static void prepare(collection *c, const char *eval_dir, const char *tmp, embedder *e)
{
	char path[2048];
	ingest_params ip = ingest_default_params();
	ingest_summary sum;

	snprintf(c->dir, sizeof c->dir, "%s/%s", tmp, c->name);
	mkdir(c->dir, 0755);
	snprintf(path, sizeof path, "%s/%s/docs.jsonl", eval_dir, c->name);
	evalset_write_docs(path, c->dir);
	snprintf(path, sizeof path, "%s/%s/queries.jsonl", eval_dir, c->name);
	evalset_read_queries(path, &c->queries, &c->nqueries);
	snprintf(path, sizeof path, "%s/%s/qrels.tsv", eval_dir, c->name);
	evalset_read_qrels(path, &c->qrels, &c->nqrels);

	snprintf(path, sizeof path, "%s/%s.db", tmp, c->name);
	if (store_open(&c->st, path, NULL))
		die("cannot open the store");
	ip.embedder = e;
	const char *roots[] = { c->dir };
	if (ingest_run(c->st, roots, 1, &ip, &sum))
		die("ingest failed");
	if (retriever_open(&c->r, c->st, e, NULL))
		die("cannot open the retriever");
	fprintf(stderr, "context: %s: %llu documents, %llu chunks\n", c->name,
		(unsigned long long)sum.added + sum.duplicates, (unsigned long long)sum.chunks);
}

/* The document id of a hit: its file name without ".txt". */
static void doc_id(const char *path, char *id, size_t cap)
{
	const char *base = strrchr(path, '/');
	snprintf(id, cap, "%s", base ? base + 1 : path);
	char *dot = strrchr(id, '.');
	if (dot)
		*dot = '\0';
}

static int relevant(const collection *c, const char *qid, const char *path)
{
	char id[256];
	doc_id(path, id, sizeof id);
	for (size_t i = 0; i < c->nqrels; i++)
		if (c->qrels[i].gain >= 1 && strcmp(c->qrels[i].qid, qid) == 0 &&
		    strcmp(c->qrels[i].did, id) == 0)
			return 1;
	return 0;
}

static int judged(const collection *c, const char *qid)
{
	for (size_t i = 0; i < c->nqrels; i++)
		if (c->qrels[i].gain >= 1 && strcmp(c->qrels[i].qid, qid) == 0)
			return 1;
	return 0;
}

/* One query's candidates, retrieved once and reused by every setting. */
typedef struct qrun {
	const char *qid, *text;
	store_hit *hits;
	size_t nhits;
} qrun;

static void retrieve_all(collection *store_c, const collection *qc, int only_judged,
			 size_t ncand, qrun **out, size_t *n)
{
	retrieve_params rp = retrieve_default_params();
	qrun *runs = calloc(qc->nqueries, sizeof *runs);
	size_t m = 0;

	rp.search.k = ncand;
	for (size_t i = 0; i < qc->nqueries; i++) {
		if (only_judged && !judged(qc, qc->queries[i].id))
			continue;
		qrun *q = &runs[m++];
		q->qid = qc->queries[i].id;
		q->text = qc->queries[i].text;
		if (retrieve(store_c->r, q->text, &rp, &q->hits, &q->nhits, NULL))
			die("retrieval failed");
	}
	*out = runs;
	*n = m;
}

static void runs_free(qrun *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_hits_free(runs[i].hits, runs[i].nhits);
	free(runs);
}

typedef struct result { double recall, words, tokens, items, coverage, ms; } result;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* --weighted-coverage: pack_coverage_weighted instead of pack_coverage */
static int weighted_coverage;
/* --answer-rule: coverage is 1 or 0, as answer.c decides */
static int answer_rule;

static size_t count_tokens(void *ctx, const char *text, size_t n)
{
	return generator_count_tokens(ctx, text, n);
}

/* Packs each query's first `ncand` candidates; recall, mean words and
 * tokens, mean items; coverage of each query into cov (may be NULL), and
 * whether its context holds a relevant document into rec (may be NULL). */
static result run_pack(const collection *c, const qrun *runs, size_t n, size_t ncand,
		       const pack_params *pp, double *cov, int *rec)
{
	result r = { 0 };
	for (size_t i = 0; i < n; i++) {
		pack_item *items;
		size_t ni, nc = runs[i].nhits < ncand ? runs[i].nhits : ncand;
		int found = 0;
		double t0 = now_ms();
		if (pack_evidence(runs[i].text, runs[i].hits, nc, pp, &items, &ni))
			die("packing failed");
		r.ms += now_ms() - t0;
		for (size_t j = 0; j < ni; j++) {
			r.words += (double)text_count_words(items[j].text, strlen(items[j].text));
			r.tokens += (double)(items[j].tokens + pp->item_tokens);
			if (!found && c && relevant(c, runs[i].qid, items[j].path))
				found = 1;
		}
		r.items += (double)ni;
		r.recall += found;
		double cv = weighted_coverage
			? pack_coverage_weighted(runs[i].text, runs[i].hits, nc, items, ni, NULL, NULL)
			: pack_coverage(runs[i].text, items, ni);
		/* --answer-rule: 1 when `docent ask` would answer, 0 when it says
		 * the documents do not answer (both coverages, answer.c) */
		if (answer_rule) {
			size_t nt, absent;
			double wc = pack_coverage_weighted(runs[i].text, runs[i].hits, nc, items, ni,
							   &absent, &nt);
			cv = pack_coverage(runs[i].text, items, ni) >= PACK_COVERAGE_WEAK &&
			     wc >= PACK_COVERAGE_WEIGHTED_WEAK &&
			     !(absent > 0 && nt <= 6);
		}
		r.coverage += cv;
		if (cov)
			cov[i] = cv;
		if (rec)
			rec[i] = found;
		pack_items_free(items, ni);
	}
	if (n) {
		r.recall /= (double)n;
		r.words /= (double)n;
		r.tokens /= (double)n;
		r.items /= (double)n;
		r.coverage /= (double)n;
		r.ms /= (double)n;
	}
	return r;
}

/* The baseline: the first k hits, whole. */
static result run_top(const collection *c, const qrun *runs, size_t n, size_t k)
{
	result r = { 0 };
	for (size_t i = 0; i < n; i++) {
		int found = 0;
		for (size_t j = 0; j < runs[i].nhits && j < k; j++) {
			const store_hit *h = &runs[i].hits[j];
			r.words += (double)text_count_words(h->text, strlen(h->text));
			if (!found && relevant(c, runs[i].qid, h->path))
				found = 1;
		}
		r.recall += found;
	}
	if (n) {
		r.recall /= (double)n;
		r.words /= (double)n;
	}
	return r;
}

int main(int argc, char **argv)
{
	const char *eval_dir = "../shared/eval", *embed_model = NULL;
	const char *names[MAX_COLL];
	size_t nnames = 0, budget = 0, ncand = 50;
	const char *count_model = NULL;
	generator *counter = NULL;
	int sweep = 0;
	char tmp[] = "/tmp/docent-context-XXXXXX";
	embedder *e = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--eval-dir") == 0 && i + 1 < argc)
			eval_dir = argv[++i];
		else if (strcmp(argv[i], "--embed-model") == 0 && i + 1 < argc)
			embed_model = argv[++i];
		else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc)
			budget = (size_t)atol(argv[++i]);
		else if (strcmp(argv[i], "--weighted-coverage") == 0)
			weighted_coverage = 1;
		else if (strcmp(argv[i], "--answer-rule") == 0)
			answer_rule = 1;
		else if (strcmp(argv[i], "--count-model") == 0 && i + 1 < argc)
			count_model = argv[++i];
		else if (strcmp(argv[i], "--candidates") == 0 && i + 1 < argc)
			ncand = (size_t)atol(argv[++i]);
		else if (strcmp(argv[i], "--sweep") == 0)
			sweep = 1;
		else if (argv[i][0] != '-' && nnames < MAX_COLL)
			names[nnames++] = argv[i];
		else {
			fprintf(stderr, "usage: context [--eval-dir DIR] [--embed-model SPEC] "
				"[--sweep] [--budget TOKENS] [--candidates N] [--count-model GGUF] "
				"[COLLECTION...]\n");
			return 2;
		}
	}
	if (ncand == 0 || ncand > MAX_CAND)
		ncand = MAX_CAND;
	if (access(eval_dir, R_OK) != 0) {
		fprintf(stderr, "context: %s not found (the shared evaluation data); nothing to do\n",
			eval_dir);
		return 0;
	}
	if (nnames == 0) {
		names[0] = "cranfield";
		names[1] = "cisi";
		names[2] = "med";
		nnames = 3;
	}
	if (embed_model) {
		embedder_params ep = embedder_default_params();
		ep.model = embed_model;
		if (embedder_open(&e, &ep))
			die("cannot open the embedding model");
	}
	if (!mkdtemp(tmp))
		die("cannot make a temporary folder");

	static collection colls[MAX_COLL];
	for (size_t ci = 0; ci < nnames; ci++) {
		colls[ci].name = names[ci];
		prepare(&colls[ci], eval_dir, tmp, e);
	}

	pack_params dp = pack_default_params();
	if (count_model) {
		/* tokens as a chat model reads them, with `docent ask`'s item header */
		generator_params gp = generator_default_params();
		gp.model = count_model;
		if (generator_open(&counter, &gp) || !generator_counts_tokens(counter))
			die("cannot count tokens with the --count-model");
		dp = answer_default_params().pack;
		dp.count = count_tokens;
		dp.count_ctx = counter;
	}
	if (budget)
		dp.budget_tokens = budget;
	printf("retrieval: %s; candidates %zu; budget %zu tokens (%s)\n\n",
	       e ? "hybrid" : "bm25", ncand, dp.budget_tokens,
	       count_model ? count_model : "default counter");
	printf("| collection | queries | top-10 recall | top-10 words | packed recall | packed words | packed tokens | items | ms to pack | whole passages recall | whole words |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|---|\n");

	qrun *own[MAX_COLL];
	size_t nown[MAX_COLL];
	double *owncov[MAX_COLL];
	int *ownrec[MAX_COLL];
	for (size_t ci = 0; ci < nnames; ci++) {
		collection *c = &colls[ci];
		retrieve_all(c, c, 1, MAX_CAND, &own[ci], &nown[ci]);
		owncov[ci] = calloc(nown[ci] + 1, sizeof *owncov[ci]);
		ownrec[ci] = calloc(nown[ci] + 1, sizeof *ownrec[ci]);
		result top = run_top(c, own[ci], nown[ci], 10);
		result pk = run_pack(c, own[ci], nown[ci], ncand, &dp, owncov[ci], ownrec[ci]);
		pack_params wp = dp;
		wp.whole_passages = 1;
		result wh = run_pack(c, own[ci], nown[ci], ncand, &wp, NULL, NULL);
		printf("| %s | %zu | %.3f | %.0f | %.3f | %.0f | %.0f | %.1f | %.2f | %.3f | %.0f |\n",
		       c->name, nown[ci], top.recall, top.words, pk.recall, pk.words, pk.tokens,
		       pk.items, pk.ms, wh.recall, wh.words);
		fflush(stdout);
	}

	if (sweep) {
		static const size_t budgets[] = { 160, 320, 400, 480, 560, 640 };
		static const size_t cands[] = { 10, 20, 30, 50, 100 };
		static const double spreads[] = { 0.25, 0.5, 1.0 };
		static const double rws[] = { 0, 0.1, 0.3, 1.0 };
		printf("\n| collection | budget tokens | candidates | recall | words | whole-passage recall | whole words |\n");
		printf("|---|---|---|---|---|---|---|\n");
		for (size_t ci = 0; ci < nnames; ci++) {
			for (size_t bi = 0; bi < sizeof budgets / sizeof *budgets; bi++) {
				for (size_t k = 0; k < sizeof cands / sizeof *cands; k++) {
					pack_params sp = dp;
					sp.budget_tokens = budgets[bi];
					result r = run_pack(&colls[ci], own[ci], nown[ci], cands[k], &sp,
							    NULL, NULL);
					sp.whole_passages = 1;
					result w = run_pack(&colls[ci], own[ci], nown[ci], cands[k], &sp,
							    NULL, NULL);
					printf("| %s | %zu | %zu | %.3f | %.0f | %.3f | %.0f |\n",
					       colls[ci].name, budgets[bi], cands[k], r.recall, r.words,
					       w.recall, w.words);
				}
				fflush(stdout);
			}
		}
		printf("\n| collection | spread | rank weight | recall | words | items |\n");
		printf("|---|---|---|---|---|---|\n");
		for (size_t ci = 0; ci < nnames; ci++) {
			for (size_t si = 0; si < sizeof spreads / sizeof *spreads; si++) {
				for (size_t ri = 0; ri < sizeof rws / sizeof *rws; ri++) {
					pack_params sp = dp;
					sp.spread = spreads[si];
					sp.rank_weight = rws[ri];
					result r = run_pack(&colls[ci], own[ci], nown[ci], ncand, &sp,
							    NULL, NULL);
					printf("| %s | %.2f | %.1f | %.3f | %.0f | %.1f |\n",
					       colls[ci].name, spreads[si], rws[ri], r.recall, r.words,
					       r.items);
				}
				fflush(stdout);
			}
		}
	}

	/* coverage: each collection's questions against the others' documents */
	if (nnames > 1) {
		static const double th[] = { 0.2, 0.3, 0.4, 0.5, 0.6, 0.7 };
		size_t nth = sizeof th / sizeof *th;
		printf("\nCoverage: own = the collection's questions whose context holds a relevant\n"
		       "document; unrelated = its questions against the other collections' documents.\n"
		       "AUC: the chance that an own question scores above an unrelated one.\n");
		printf("\n| questions | mean coverage own | mean coverage unrelated | AUC |");
		for (size_t t = 0; t < nth; t++)
			printf(" < %.1f own recalled / unrelated >= |", th[t]);
		printf("\n|---|---|---|---|");
		for (size_t t = 0; t < nth; t++)
			printf("---|");
		printf("\n");
		for (size_t ci = 0; ci < nnames; ci++) {
			double sum_un = 0, *un = NULL;
			size_t n_un = 0, above[8] = { 0 }, below[8] = { 0 }, nrec = 0;
			double sum_own = 0;
			for (size_t i = 0; i < nown[ci]; i++) {
				sum_own += owncov[ci][i];
				if (!ownrec[ci][i])
					continue;
				nrec++;
				for (size_t t = 0; t < nth; t++)
					below[t] += owncov[ci][i] < th[t];
			}
			for (size_t oi = 0; oi < nnames; oi++) {
				if (oi == ci)
					continue;
				qrun *runs;
				size_t nr;
				retrieve_all(&colls[oi], &colls[ci], 1, ncand, &runs, &nr);
				double *cv = calloc(nr + 1, sizeof *cv);
				run_pack(NULL, runs, nr, ncand, &dp, cv, NULL);
				un = realloc(un, (n_un + nr + 1) * sizeof *un);
				memcpy(un + n_un, cv, nr * sizeof *cv);
				for (size_t i = 0; i < nr; i++) {
					sum_un += cv[i];
					for (size_t t = 0; t < nth; t++)
						above[t] += cv[i] >= th[t];
				}
				n_un += nr;
				free(cv);
				runs_free(runs, nr);
			}
			double auc = 0;
			for (size_t i = 0; i < nown[ci]; i++) {
				if (!ownrec[ci][i])
					continue;
				for (size_t j = 0; j < n_un; j++)
					auc += owncov[ci][i] > un[j] ? 1 : owncov[ci][i] == un[j] ? 0.5 : 0;
			}
			if (nrec && n_un)
				auc /= (double)nrec * (double)n_un;
			free(un);
			printf("| %s | %.3f | %.3f | %.3f |", colls[ci].name,
			       nown[ci] ? sum_own / (double)nown[ci] : 0,
			       n_un ? sum_un / (double)n_un : 0, auc);
			for (size_t t = 0; t < nth; t++)
				printf(" %.3f / %.3f |", nrec ? (double)below[t] / (double)nrec : 0,
				       n_un ? (double)above[t] / (double)n_un : 0);
			printf("\n");
		}
	}

	for (size_t ci = 0; ci < nnames; ci++) {
		runs_free(own[ci], nown[ci]);
		free(owncov[ci]);
		free(ownrec[ci]);
		retriever_close(colls[ci].r);
		store_close(colls[ci].st);
	}
	embedder_free(e);
	generator_free(counter);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "context: could not remove %s\n", tmp);
	return 0;
}
