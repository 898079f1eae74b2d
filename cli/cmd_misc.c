/*
 * cmd_misc.c - the small commands: `docent init`, `docent collections`,
 * `docent stats` and `docent config`.
 */
#include "cli/cli.h"
#include "core/error.h"
#include "index/vecset.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void help_init(FILE *out)
{
	fprintf(out,
		"Usage: docent init\n\n"
		"Creates the data directory and an empty database (ingest does this by\n"
		"itself; init is for setting up ahead of time). Prints where they are.\n");
}

void help_collections(FILE *out)
{
	fprintf(out,
		"Usage: docent collections [list] [--json]\n"
		"       docent collections create NAME\n"
		"       docent collections rm NAME\n\n"
		"Collections group documents; search looks in all of them unless one is\n"
		"named. `rm` removes the collection with all its documents.\n");
}

void help_stats(FILE *out)
{
	fprintf(out,
		"Usage: docent stats [-c NAME] [--check] [--json]\n\n"
		"Counts of collections, documents (and failures), stored contents and\n"
		"chunks; text and database sizes; schema version and tokenizer.\n"
		"--check also verifies the whole database file (SQLite's integrity_check),\n"
		"that the keyword index matches the chunks (FTS5's integrity-check), and\n"
		"that each collection's vector index holds the stored vectors (its count,\n"
		"and a sample looked up in it); exit status 1 when any is not sound. An\n"
		"index file merely behind the database (a run killed before saving it)\n"
		"is sound: the next search or ingest rebuilds it. With --json each\n"
		"result is in \"check\". It reads the whole database.\n");
}

void help_config(FILE *out)
{
	fprintf(out,
		"Usage: docent config [--json]\n\n"
		"Prints every setting's effective value and where it came from: the\n"
		"default, the configuration file (with its line), an environment variable\n"
		"(DOCENT_SECTION_KEY), or a flag. config/docent.conf documents them all.\n");
}

/* Parses --json, -c NAME when `collection` is given, --check when `check` is. */
static int opts3(cli *c, int argc, char **argv, int *json, const char **collection, int *check)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "collection", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, collection ? "c:" : "", opts, NULL)) != -1) {
		if (opt == 'J')
			*json = 1;
		else if (opt == 'c' && collection)
			*collection = optarg;
		else if (opt == 'K' && check)
			*check = 1;
		else
			return cli_usage(c, "unknown option");
	}
	return CLI_OK;
}

static int simple_opts(cli *c, int argc, char **argv, int *json, const char **collection)
{
	return opts3(c, argc, argv, json, collection, NULL);
}

int cmd_init(cli *c, int argc, char **argv)
{
	int json = 0;
	char *path;

	if (simple_opts(c, argc, argv, &json, NULL) != CLI_OK)
		return CLI_USAGE;
	if (optind < argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind]);
	if (!cli_store(c, 1))
		return CLI_FAIL;
	path = config_db_path(c->cfg);
	printf("docent is ready: database %s\n", path ? path : "?");
	free(path);
	return CLI_OK;
}

int cmd_collections(cli *c, int argc, char **argv)
{
	int json = 0, rc;
	const char *verb = "list";
	store *st;

	if (simple_opts(c, argc, argv, &json, NULL) != CLI_OK)
		return CLI_USAGE;
	if (optind < argc)
		verb = argv[optind++];
	if (strcmp(verb, "list") == 0) {
		store_collection *col = NULL;
		size_t n = 0;
		if (optind < argc)
			return cli_usage(c, "unexpected argument '%s'", argv[optind]);
		if (!(st = cli_store(c, 0)))
			return CLI_FAIL;
		if ((rc = store_collection_list(st, &col, &n)) != 0)
			return cli_fail(rc, NULL);
		if (json) {
			json_t *arr = json_array();
			for (size_t i = 0; i < n; i++)
				json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I, s:I, s:s?, s:I}",
					"name", col[i].name, "created_at", (json_int_t)col[i].created_at,
					"documents", (json_int_t)col[i].ndocs,
					"chunks", (json_int_t)col[i].nchunks,
					"text_bytes", (json_int_t)col[i].text_bytes,
					"embed_model", col[i].embed_model,
					"vectors", (json_int_t)col[i].nvectors));
			store_collection_list_free(col, n);
			return cli_print_json(arr);
		}
		if (n == 0)
			printf("No collections yet: `docent ingest PATH` makes \"default\".\n");
		else
			printf("%-24s %9s %9s %10s %9s  %s\n", "NAME", "DOCUMENTS", "CHUNKS", "TEXT",
			       "VECTORS", "MODEL");
		for (size_t i = 0; i < n; i++) {
			char size[32];
			printf("%-24s %9lld %9lld %10s %9lld  %s\n", col[i].name,
			       (long long)col[i].ndocs, (long long)col[i].nchunks,
			       cli_size((double)col[i].text_bytes, size, sizeof size),
			       (long long)col[i].nvectors,
			       col[i].embed_model ? col[i].embed_model : "-");
		}
		store_collection_list_free(col, n);
		return CLI_OK;
	}
	if (strcmp(verb, "create") == 0 || strcmp(verb, "rm") == 0) {
		if (optind + 1 != argc)
			return cli_usage(c, "%s takes one collection name", verb);
		const char *name = argv[optind];
		int create = verb[0] == 'c';
		if (!(st = cli_store(c, create)))
			return CLI_FAIL;
		int64_t id = 0;
		if (!create && (rc = store_collection_id(st, name, 0, &id)) != 0)
			return cli_fail(rc, NULL);
		rc = create ? store_collection_create(st, name) : store_collection_remove(st, name);
		if (rc == 0 && !create)
			rc = vecset_remove_file(st, id);
		if (rc)
			return cli_fail(rc, NULL);
		printf("%s collection \"%s\"\n", create ? "created" : "removed", name);
		return CLI_OK;
	}
	return cli_usage(c, "unknown action '%s' (list, create or rm)", verb);
}

/* How many stored vectors `stats --check` looks up in each vector index. */
#define CHECK_PROBES 200

/* {"ok": true} or {"ok": false, "message": the error message}, with
 * "checked": false when the check could not run (DOCENT_EPERM: read-only). */
static json_t *check_part(int rc, int *bad)
{
	if (!rc)
		return json_pack("{s:b}", "ok", 1);
	*bad = 1;
	if (rc == DOCENT_EPERM)
		return json_pack("{s:b, s:b, s:s}", "ok", 0, "checked", 0,
				 "message", docent_error_message());
	return json_pack("{s:b, s:s}", "ok", 0, "message", docent_error_message());
}

/* The words for one part's result in the text output. */
static const char *part_words(json_t *checks, const char *part, const char *good,
			      const char *bad)
{
	json_t *o = json_object_get(checks, part);
	if (json_is_true(json_object_get(o, "ok")))
		return good;
	return json_is_false(json_object_get(o, "checked")) ? "NOT CHECKED (see above)" : bad;
}

/*
 * The checks of `stats --check`: the database, the keyword index, and the
 * vector index of each collection (or of `collection` alone) that has
 * vectors. Sets *bad when any failed, printing each failure on stderr.
 * Returns the results as JSON ({"ok", "database", "keywords", "vectors"}),
 * or NULL when a check could not run (message set).
 */
static json_t *run_checks(cli *c, store *st, const char *collection, int *bad)
{
	json_t *out = json_object(), *vecs = json_array();
	store_collection *cols = NULL;
	size_t ncols = 0;
	vindex_params vp;
	int rc;

	*bad = 0;
	if (!out || !vecs)
		goto nomem;
	rc = store_check_database(st);
	json_object_set_new(out, "database", check_part(rc, bad));
	if (rc)
		cli_fail(rc, "check failed");
	rc = store_check_keywords(st);
	json_object_set_new(out, "keywords", check_part(rc, bad));
	if (rc)
		cli_fail(rc, "check failed");
	config_vindex_params(c->cfg, &vp);
	if ((rc = store_collection_names(st, &cols, &ncols)) != 0)
		goto fail;
	for (size_t i = 0; i < ncols; i++) {
		vecset_report r;
		if (collection && strcmp(cols[i].name, collection) != 0)
			continue;
		if (!cols[i].embed_model)
			continue;
		if ((rc = vecset_check(st, cols[i].id, &vp, CHECK_PROBES, &r)) != 0)
			goto fail;
		json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I}", "collection",
				      cols[i].name, "path", r.path, "ok", !r.problem[0],
				      "stored", (json_int_t)r.stored, "indexed", (json_int_t)r.indexed,
				      "probed", (json_int_t)r.probed, "found", (json_int_t)r.found);
		if (!o || json_array_append_new(vecs, o))
			goto nomem;
		if (r.behind) {
			json_object_set_new(o, "behind", json_true());
			json_object_set_new(o, "note", json_string(r.note));
		}
		if (r.problem[0]) {
			*bad = 1;
			json_object_set_new(o, "message", json_string(r.problem));
			fprintf(stderr, "docent: check failed: collection '%s': %s\n", cols[i].name,
				r.problem);
		}
	}
	store_collection_list_free(cols, ncols);
	json_object_set_new(out, "vectors", vecs);
	json_object_set_new(out, "ok", json_boolean(!*bad));
	return out;
nomem:
	docent_error_set(DOCENT_ENOMEM, "out of memory checking the database");
fail:
	store_collection_list_free(cols, ncols);
	json_decref(vecs);
	json_decref(out);
	return NULL;
}

int cmd_stats(cli *c, int argc, char **argv)
{
	const char *collection = NULL;
	int json = 0, check = 0, rc, checked = 0;
	json_t *checks = NULL;
	store_stats s;
	store *st;
	char a[32], b[32];

	if (opts3(c, argc, argv, &json, &collection, &check) != CLI_OK)
		return CLI_USAGE;
	if (optind < argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind]);
	if (!(st = cli_store_collection(c, collection)))
		return CLI_FAIL;
	if ((rc = store_stats_get(st, collection, &s)) != 0)
		return cli_fail(rc, NULL);
	if (check && !(checks = run_checks(c, st, collection, &checked)))
		return cli_fail(DOCENT_EDB, "check failed");
	char *db = config_db_path(c->cfg);
	if (json) {
		json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:s}",
			"database", db ? db : "",
			"collections", (json_int_t)s.collections, "documents", (json_int_t)s.documents,
			"failed", (json_int_t)s.failed, "contents", (json_int_t)s.contents,
			"chunks", (json_int_t)s.chunks, "vectors", (json_int_t)s.vectors,
			"text_bytes", (json_int_t)s.text_bytes,
			"db_bytes", (json_int_t)s.db_bytes, "schema_version", s.schema_version,
			"tokenizer", s.tokenizer);
		if (o && checks)
			json_object_set(o, "check", checks);
		json_decref(checks);
		rc = cli_print_json(o);
		free(db);
		return checked ? CLI_FAIL : rc;
	}
	printf("database     %s (%s, schema %d)\n", db ? db : "?",
	       cli_size((double)s.db_bytes, a, sizeof a), s.schema_version);
	printf("collections  %lld\n", (long long)s.collections);
	printf("documents    %lld (%lld failed)\n", (long long)s.documents, (long long)s.failed);
	printf("contents     %lld distinct, %s of text\n", (long long)s.contents,
	       cli_size((double)s.text_bytes, b, sizeof b));
	printf("chunks       %lld (%lld with vectors)\n", (long long)s.chunks, (long long)s.vectors);
	printf("tokenizer    %s\n", s.tokenizer);
	if (check) {
		json_t *vecs = json_object_get(checks, "vectors");
		printf("check        %s: the database is %s, its keyword index %s\n",
		       checked ? "FAILED" : "ok",
		       part_words(checks, "database", "sound", "DAMAGED"),
		       part_words(checks, "keywords", "in step with the chunks",
				  "OUT OF STEP with the chunks"));
		for (size_t i = 0; i < json_array_size(vecs); i++) {
			json_t *v = json_array_get(vecs, i);
			if (json_is_true(json_object_get(v, "behind")))
				printf("             vectors of '%s' sound (%lld); its index file "
				       "is behind:\n             %s\n",
				       json_string_value(json_object_get(v, "collection")),
				       (long long)json_integer_value(json_object_get(v, "stored")),
				       json_string_value(json_object_get(v, "note")));
			else if (json_is_true(json_object_get(v, "ok")))
				printf("             vectors of '%s' sound (%lld, %lld looked up)\n",
				       json_string_value(json_object_get(v, "collection")),
				       (long long)json_integer_value(json_object_get(v, "stored")),
				       (long long)json_integer_value(json_object_get(v, "probed")));
			else
				printf("             vectors of '%s' NOT sound (see above)\n",
				       json_string_value(json_object_get(v, "collection")));
		}
		json_decref(checks);
	}
	free(db);
	return checked ? CLI_FAIL : CLI_OK;
}

typedef struct cfg_out {
	json_t *json;
} cfg_out;

static void print_setting(void *ctx, const char *key, const char *value, config_origin origin,
			  const char *where, const char *desc)
{
	cfg_out *o = ctx;
	/* a secret is not shown on a screen or in a pasted report */
	if (strcmp(key, "server.token") == 0 && value[0])
		value = "(set, not shown)";
	if (o->json) {
		json_object_set_new(o->json, key, json_pack("{s:s, s:s, s:s, s:s}", "value", value,
			"origin", config_origin_name(origin), "where", where, "description", desc));
		return;
	}
	printf("%-26s = %-28s # %s%s%s\n", key, value, config_origin_name(origin),
	       where[0] ? " " : "", where);
}

int cmd_config(cli *c, int argc, char **argv)
{
	int json = 0;
	cfg_out o = { NULL };

	if (simple_opts(c, argc, argv, &json, NULL) != CLI_OK)
		return CLI_USAGE;
	if (optind < argc)
		return cli_usage(c, "unexpected argument '%s'", argv[optind]);
	if (json)
		o.json = json_object();
	config_foreach(c->cfg, print_setting, &o);
	if (json) {
		json_t *top = json_pack("{s:s?, s:s, s:o}", "file", config_file(c->cfg),
					"data_dir", config_data_dir(c->cfg), "settings", o.json);
		return cli_print_json(top);
	}
	printf("# configuration file: %s\n# data directory: %s\n",
	       config_file(c->cfg) ? config_file(c->cfg) : "(none found)",
	       config_data_dir(c->cfg));
	return CLI_OK;
}
