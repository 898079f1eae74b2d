/*
 * evalset.h - reading a shared evaluation collection (../shared/eval/NAME:
 * docs.jsonl, queries.jsonl, qrels.tsv) for the benchmarks that measure
 * retrieval on it (bench/eval.c, bench/context.c). Each document is
 * written as its own file "<id>.txt" (title, blank line, text), to be
 * ingested with the normal pipeline. Benchmarks stop at the first error
 * (exit 1 with a message), which is what a benchmark should do.
 */
#ifndef DOCENT_BENCH_EVALSET_H
#define DOCENT_BENCH_EVALSET_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct qrel { char *qid, *did; int gain; } qrel;

typedef struct query { char *id, *text; } query;

static void evalset_die(const char *what, const char *path)
{
	fprintf(stderr, "bench: %s %s\n", what, path);
	exit(1);
}

/* Reads a JSON-lines file, calling fn for each object. */
static void evalset_read_jsonl(const char *path, void (*fn)(void *, json_t *), void *ctx)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		evalset_die("cannot open", path);
	while (getline(&line, &cap, f) > 0) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);
		if (o) {
			fn(ctx, o);
			json_decref(o);
		}
	}
	free(line);
	fclose(f);
}

static void evalset_write_doc(void *ctx, json_t *o)
{
	const char *dir = ctx;
	char path[1200];
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *title = json_string_value(json_object_get(o, "title"));
	const char *text = json_string_value(json_object_get(o, "text"));
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.txt", dir, id ? id : "unnamed");
	if (!(f = fopen(path, "w")))
		evalset_die("cannot write", path);
	fprintf(f, "%s\n\n%s\n", title ? title : "", text ? text : "");
	fclose(f);
}

/* Writes every document of the JSON-lines file into dir as "<id>.txt". */
static void evalset_write_docs(const char *jsonl, const char *dir)
{
	evalset_read_jsonl(jsonl, evalset_write_doc, (void *)dir);
}

typedef struct evalset_queries { query **q; size_t *n; } evalset_queries;

static void evalset_add_query(void *ctx, json_t *o)
{
	evalset_queries *qs = ctx;
	query *q = realloc(*qs->q, (*qs->n + 1) * sizeof **qs->q);
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *text = json_string_value(json_object_get(o, "text"));

	if (!q)
		evalset_die("out of memory reading", "queries");
	*qs->q = q;
	q[*qs->n].id = strdup(id ? id : "");
	q[*qs->n].text = strdup(text ? text : "");
	(*qs->n)++;
}

/* Appends the queries of the JSON-lines file to *q (*n of them). */
static void evalset_read_queries(const char *jsonl, query **q, size_t *n)
{
	evalset_queries qs = { q, n };
	evalset_read_jsonl(jsonl, evalset_add_query, &qs);
}

/* Appends the judgements "query doc gain" of the file to *r (*n of them). */
static void evalset_read_qrels(const char *path, qrel **r, size_t *n)
{
	FILE *f = fopen(path, "r");
	char q[64], d[64];
	int g;

	if (!f)
		evalset_die("cannot open", path);
	while (fscanf(f, "%63s %63s %d", q, d, &g) == 3) {
		qrel *nr = realloc(*r, (*n + 1) * sizeof **r);
		if (!nr)
			evalset_die("out of memory reading", path);
		*r = nr;
		nr[(*n)++] = (qrel){ strdup(q), strdup(d), g };
	}
	fclose(f);
}

#endif
