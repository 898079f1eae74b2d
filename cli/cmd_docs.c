/*
 * cmd_docs.c - `docent docs` (list documents) and `docent rm` (remove them).
 */
#include "cli/cli.h"
#include "core/error.h"
#include "index/vecset.h"
#include "ingest/walk.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void help_docs(FILE *out)
{
	fprintf(out,
		"Usage: docent docs [OPTIONS]\n\n"
		"Lists the documents: id, status, format, chunks, pages, size, path, and\n"
		"for failed ones the error.\n\n"
		"Options:\n"
		"  -c, --collection NAME   only this collection\n"
		"      --failed            only documents that failed to ingest\n"
		"      --json              print as JSON\n");
}

void help_rm(FILE *out)
{
	fprintf(out,
		"Usage: docent rm [OPTIONS] DOC|PATH...\n\n"
		"Removes documents, by id (as `docent docs` shows) or by path, with their\n"
		"chunks. The files themselves are not touched.\n\n"
		"Options:\n"
		"  -c, --collection NAME   only in this collection (default: any)\n");
}

int cmd_docs(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "collection", required_argument, NULL, 'c' },
		{ "failed", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	const char *collection = NULL;
	int opt, json = 0, failed_only = 0, rc;
	store_doc *d = NULL;
	size_t n = 0;
	store *st;

	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': collection = optarg; break;
		case 'f': failed_only = 1; break;
		case 'J': json = 1; break;
		default: return cli_usage(c, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind]);
	if (!(st = cli_store_collection(c, collection)))
		return CLI_FAIL;
	if ((rc = store_doc_list(st, collection, &d, &n)) != 0)
		return cli_fail(rc, "cannot list documents");
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			if (failed_only && strcmp(d[i].status, "error") != 0)
				continue;
			/* strings through cli_json_text: a document is never dropped
			 * for the bytes of its path */
			json_t *o = json_pack("{s:I, s:o, s:I, s:I, s:s?, s:I, s:s, s:I, s:i}",
				"id", (json_int_t)d[i].id, "collection", jsontext_new(d[i].collection),
				"size", (json_int_t)d[i].size, "mtime_ns", (json_int_t)d[i].mtime_ns,
				"hash", d[i].hash, "ingested_at", (json_int_t)d[i].ingested_at,
				"status", d[i].status, "chunks", (json_int_t)d[i].nchunks,
				"pages", d[i].npages);
			if (!o || jsontext_set_path(o, "path", d[i].path) ||
			    json_object_set_new(o, "title", jsontext_new(d[i].title)) ||
			    json_object_set_new(o, "format", jsontext_new(d[i].format)) ||
			    json_object_set_new(o, "error", jsontext_new(d[i].error)) ||
			    json_array_append_new(arr, o)) {
				json_decref(arr);
				arr = NULL;
				break;
			}
		}
		store_doc_list_free(d, n);
		return cli_print_json(arr);
	}
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		char size[32];
		if (failed_only && strcmp(d[i].status, "error") != 0)
			continue;
		if (shown++ == 0)
			printf("%6s  %-6s %-9s %6s %5s %9s  %s\n", "ID", "STATUS", "FORMAT", "CHUNKS",
			       "PAGES", "SIZE", "PATH");
		printf("%6lld  %-6s %-9s %6lld %5d %9s  ", (long long)d[i].id, d[i].status,
		       d[i].format ? d[i].format : "-", (long long)d[i].nchunks, d[i].npages,
		       cli_size((double)d[i].size, size, sizeof size));
		cli_put_path(stdout, d[i].path);
		if (!collection && strcmp(d[i].collection, "default") != 0)
			printf("  [%s]", d[i].collection);
		putchar('\n');
		if (d[i].error)
			printf("%6s  error: %s\n", "", d[i].error);
	}
	if (shown == 0)
		printf(failed_only ? "No failed documents.\n" :
		       "No documents yet: add some with `docent ingest PATH`.\n");
	store_doc_list_free(d, n);
	return CLI_OK;
}

/* The vector indexes of the collections that have vectors, opened before
 * documents are removed so that their vectors can be dropped (vecset.h). */
typedef struct vsets {
	vecset **v;
	size_t n;
} vsets;

static int vsets_open(cli *c, store *st, const char *collection, vsets *out)
{
	store_collection *cols = NULL;
	size_t ncols = 0;
	vindex_params vp;
	int rc = store_collection_list(st, &cols, &ncols);

	memset(out, 0, sizeof *out);
	config_vindex_params(c->cfg, &vp);
	if (rc == 0 && !(out->v = calloc(ncols + 1, sizeof *out->v)))
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < ncols; i++) {
		if (collection && strcmp(cols[i].name, collection) != 0)
			continue;
		rc = vecset_open(&out->v[out->n], st, cols[i].id, &vp, NULL);
		if (rc == DOCENT_ENOTFOUND) /* no vectors */
			rc = 0;
		else if (rc == 0)
			out->n++;
	}
	store_collection_list_free(cols, ncols);
	return rc;
}

/* Saves (dropping the removed vectors) and closes them. */
static int vsets_close(vsets *vs)
{
	int rc = 0;

	for (size_t i = 0; i < vs->n; i++) {
		int r = vecset_save(vs->v[i]);
		if (rc == 0)
			rc = r;
		vecset_close(vs->v[i]);
	}
	free(vs->v);
	return rc;
}

int cmd_rm(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "collection", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *collection = NULL;
	int opt, status = CLI_OK;
	store *st;

	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': collection = optarg; break;
		default: return cli_usage(c, "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage(c, "give the id or path of a document to remove");
	if (!(st = cli_store(c, 0)))
		return CLI_FAIL;
	vsets vs;
	int vrc = vsets_open(c, st, collection, &vs);
	if (vrc) {
		vsets_close(&vs);
		return cli_fail(vrc, "cannot open the vector indexes");
	}
	for (int i = optind; i < argc; i++) {
		const char *key = argv[i];
		char *abs = NULL;
		int removed = 0, rc;
		/* a number is an id; anything else is a path, made absolute */
		if (key[strspn(key, "0123456789")] != '\0' && key[0] != '/') {
			abs = walk_abspath(key);
			if (!abs)
				return cli_fail(DOCENT_ENOMEM, NULL);
			key = abs;
		}
		rc = store_doc_remove(st, collection, key, &removed);
		if (rc) {
			cli_fail(rc, argv[i]);
			status = CLI_FAIL;
		} else {
			printf("removed %d document%s: ", removed, removed == 1 ? "" : "s");
			cli_put_path(stdout, key);
			putchar('\n');
		}
		free(abs);
	}
	if ((vrc = vsets_close(&vs)) != 0)
		status = cli_fail(vrc, "cannot update the vector indexes (`docent reindex` repairs "
				  "them)");
	return status;
}
