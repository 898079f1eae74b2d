/*
 * cmd_models.c - `docent models`: the configured models, and the GGUF files
 * in the models folder with what each is (architecture, size, context,
 * dimension, embedding or chat).
 */
#include "cli/cli.h"
#include "core/error.h"
#include "engine/catalogue.h"
#include "engine/model_info.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void help_models(FILE *out)
{
	fprintf(out,
		"Usage: docent models [--json]\n"
		"       docent models pull NAME|URL   (see docent models pull --help)\n"
		"       docent models use NAME|FILE   (see docent models use --help)\n\n"
		"Shows the configured chat, embedding and reranking models\n"
		"(engine.chat_model, engine.embed_model, engine.rerank_model) and every\n"
		".gguf file in the models folder\n"
		"(engine.models_dir, default DATA_DIR/models) with its architecture,\n"
		"parameters, training context, dimension and kind.\n");
}

static int is_gguf(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".gguf") == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static json_t *info_json(const char *path, const model_info *mi, int rc)
{
	if (rc)
		return json_pack("{s:s, s:s}", "path", path, "error", docent_error_message());
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:s}", "path", path,
			 "name", mi->name, "architecture", mi->arch, "parameters",
			 (json_int_t)mi->params, "bytes", (json_int_t)mi->file_bytes,
			 "context", mi->context, "dimension", mi->dim,
			 "kind", model_info_kind(mi));
}

static void info_line(const char *name, const model_info *mi, int rc)
{
	char size[32];
	if (rc) {
		printf("  %-36s unreadable: %s\n", name, docent_error_message());
		return;
	}
	printf("  %-36s %-10s %8.1fM params %6d ctx %5d dim  %-9s %s\n", name, mi->arch,
	       mi->params / 1e6, mi->context, mi->dim, model_info_kind(mi),
	       cli_size((double)mi->file_bytes, size, sizeof size));
}

int cmd_models(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chat = config_get(c->cfg, "engine.chat_model");
	const char *embed = config_get(c->cfg, "engine.embed_model");
	const char *rerank = config_get(c->cfg, "engine.rerank_model");
	char *dir = config_models_dir(c->cfg);
	char **names = NULL;
	size_t n = 0;
	int opt, json = 0;
	json_t *files = NULL;
	DIR *d;

	/* sub-commands answer --help themselves */
	int pull = argc > 1 && strcmp(argv[1], "pull") == 0;
	int use = argc > 1 && strcmp(argv[1], "use") == 0;
	for (int i = 1; i < argc; i++)
		if (cli_is_help(argv[i])) {
			free(dir);
			(pull ? help_pull : use ? help_use : help_models)(stdout);
			return CLI_OK;
		}
	if (pull || use) {
		free(dir);
		return (pull ? cmd_pull : cmd_use)(c, argc - 1, argv + 1);
	}
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'J')
			json = 1;
		else {
			free(dir);
			return cli_usage(c, "unknown option");
		}
	}
	if (optind < argc) {
		free(dir);
		return cli_usage(c, "unexpected argument '%s'", argv[optind]);
	}
	if (!dir)
		return cli_fail(DOCENT_ENOMEM, NULL);
	if ((d = opendir(dir)) != NULL) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (!is_gguf(de->d_name))
				continue;
			char **p = realloc(names, (n + 1) * sizeof *names);
			if (!p)
				break;
			names = p;
			if ((names[n] = strdup(de->d_name)) != NULL)
				n++;
		}
		closedir(d);
		qsort(names, n, sizeof *names, cmp_names);
	}
	if (json)
		files = json_array();
	else
		printf("chat model:      %s\nembedding model: %s\nreranking model: %s\n"
		       "models folder:   %s%s\n",
		       chat[0] ? chat : "(none: docent models pull qwen2.5-0.5b-instruct, or "
				 "set engine.chat_model)",
		       embed[0] ? embed : "(none: docent models pull bge-small-en-v1.5, or set "
				  "engine.embed_model)",
		       rerank[0] ? rerank : "(none)", dir, n ? "" : " (no .gguf files)");
	for (size_t i = 0; i < n; i++) {
		char path[4352];
		model_info mi;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		int rc = model_info_read(path, &mi);
		if (json)
			json_array_append_new(files, info_json(path, &mi, rc));
		else
			info_line(names[i], &mi, rc);
		free(names[i]);
	}
	free(names);
	if (json) {
		int r = cli_print_json(json_pack("{s:s, s:s, s:s, s:s, s:o}", "chat_model", chat,
						 "embed_model", embed, "rerank_model", rerank,
						 "models_dir", dir, "files", files));
		free(dir);
		return r;
	}
	free(dir);
	return CLI_OK;
}

void help_use(FILE *out)
{
	fprintf(out,
		"Usage: docent models use [--as chat|embedding|reranking] NAME|FILE|URL#MODEL\n\n"
		"Makes a model the default for its role: engine.chat_model,\n"
		"engine.embed_model or engine.rerank_model, written to your\n"
		"configuration file (that line only; the file is created if missing).\n"
		"NAME is a pulled model of the catalogue (docent models pull --help),\n"
		"FILE a .gguf file (its role is read from its metadata), URL#MODEL a\n"
		"server's model (give its role with --as).\n"
		"A collection keeps the embedding model it was embedded with: after\n"
		"switching the embedding model, run `docent reindex`.\n");
}

int cmd_use(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "as", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *as = NULL, *what, *key;
	char *path = NULL, value[PATH_MAX], kind[32] = "";
	catalogue_entry e;
	model_info mi;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'a')
			as = optarg;
		else
			return cli_usage(c, "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage(c, "give one model: a catalogue name, a .gguf file or URL#MODEL");
	what = argv[optind];
	if (as && !config_model_key(as))
		return cli_usage(c, "--as takes chat, embedding or reranking, not '%s'", as);
	if (catalogue_is_name(what)) {
		if ((rc = catalogue_find(what, &e)) != 0)
			return cli_fail(rc, NULL);
		snprintf(kind, sizeof kind, "%s", e.kind);
		snprintf(value, sizeof value, "%s", e.name);
	} else if (strstr(what, "://") || strncmp(what, "ollama:", 7) == 0) {
		if (!as)
			return cli_usage(c, "say what a server's model is for: --as chat, --as "
					 "embedding or --as reranking");
		snprintf(value, sizeof value, "%s", what);
	} else if (strchr(what, '/')) {
		/* a path: kept absolute, so that it means the same from any folder */
		if (!realpath(what, value)) {
			fprintf(stderr, "docent: %s: %s\n", what, strerror(errno));
			return CLI_FAIL;
		}
	} else {
		snprintf(value, sizeof value, "%s", what);
	}
	/* the model must be there (a catalogue one pulled) */
	if (!strstr(value, "://") && strncmp(value, "ollama:", 7) != 0) {
		if (cli_model_path(c, value, &path) != CLI_OK)
			return CLI_FAIL;
		if (!as && !kind[0]) {
			if ((rc = model_info_read(path, &mi)) != 0) {
				free(path);
				return cli_fail(rc, NULL);
			}
			snprintf(kind, sizeof kind, "%s", model_info_kind(&mi));
		}
		free(path);
	}
	if (as)
		snprintf(kind, sizeof kind, "%s", as);
	if (!(key = config_model_key(kind))) {
		fprintf(stderr, "docent: %s is a model of kind '%s', which has no role\n", what, kind);
		return CLI_FAIL;
	}
	rc = cli_model_default_set(c, key, value);
	if (rc == CLI_OK && strcmp(key, "engine.embed_model") == 0)
		printf("collections embedded with another model keep it until `docent reindex`\n");
	return rc;
}
