/*
 * cmd_models.c - `docent models`: the configured models, and the GGUF files
 * in the models folder with what each is (architecture, size, context,
 * dimension, embedding or chat).
 */
#include "cli/cli.h"
#include "core/error.h"
#include "engine/model_info.h"

#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

void help_models(FILE *out)
{
	fprintf(out,
		"Usage: docent models [--json]\n"
		"       docent models pull NAME|URL   (see docent models pull --help)\n\n"
		"Shows the configured chat and embedding models (engine.chat_model,\n"
		"engine.embed_model) and every .gguf file in the models folder\n"
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
			 "kind", mi->embedding ? "embedding" : "chat");
}

static void info_line(const char *name, const model_info *mi, int rc)
{
	char size[32];
	if (rc) {
		printf("  %-36s unreadable: %s\n", name, docent_error_message());
		return;
	}
	printf("  %-36s %-10s %8.1fM params %6d ctx %5d dim  %-9s %s\n", name, mi->arch,
	       mi->params / 1e6, mi->context, mi->dim, mi->embedding ? "embedding" : "chat",
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
	char *dir = config_models_dir(c->cfg);
	char **names = NULL;
	size_t n = 0;
	int opt, json = 0;
	json_t *files = NULL;
	DIR *d;

	/* sub-commands answer --help themselves */
	int pull = argc > 1 && strcmp(argv[1], "pull") == 0;
	for (int i = 1; i < argc; i++)
		if (cli_is_help(argv[i])) {
			free(dir);
			(pull ? help_pull : help_models)(stdout);
			return CLI_OK;
		}
	if (pull) {
		free(dir);
		return cmd_pull(c, argc - 1, argv + 1);
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
		printf("chat model:      %s\nembedding model: %s\nmodels folder:   %s%s\n",
		       chat[0] ? chat : "(none: set engine.chat_model or DOCENT_CHAT_MODEL)",
		       embed[0] ? embed : "(none: set engine.embed_model or DOCENT_EMBED_MODEL)",
		       dir, n ? "" : " (no .gguf files)");
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
		int r = cli_print_json(json_pack("{s:s, s:s, s:s, s:o}", "chat_model", chat,
						 "embed_model", embed, "models_dir", dir,
						 "files", files));
		free(dir);
		return r;
	}
	free(dir);
	return CLI_OK;
}
