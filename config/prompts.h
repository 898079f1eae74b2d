/*
 * prompts.h - the prompt templates given to language models.
 *
 * Each template is a text file in config/prompts/ (NAME.txt), built into
 * the binary, and overridable without rebuilding: a file NAME.txt in the
 * prompts folder (prompts_default_dir()) is read instead. A template is a
 * system message, a line holding only "---", then the user message (no
 * such line: all of it is the user message). {{key}} placeholders are
 * filled by prompts_render(); unknown ones are left as they are.
 *
 * A template's SHA-256 names it in caches (summaries), so editing a
 * template makes its cached results stale, as it should.
 *
 * Ownership: strings returned are the caller's, freed with free().
 * Thread-safe.
 */
#ifndef DOCENT_CONFIG_PROMPTS_H
#define DOCENT_CONFIG_PROMPTS_H

#include <stddef.h>

/*
 * The folder of template overrides: $DOCENT_PROMPTS_DIR, else the folder
 * "prompts" beside the configuration file (config_file(), when one was
 * read: pass it as `config_path`, or NULL), else
 * $XDG_CONFIG_HOME/docent/prompts, else ~/.config/docent/prompts. Caller
 * frees; NULL when out of memory.
 */
char *prompts_default_dir(const char *config_path);

/*
 * The template `name` (e.g. "summarize_map"): DIR/NAME.txt when `dir` is
 * not NULL and that file exists, else the built-in copy. *text is the
 * caller's; *origin (may be NULL) gets the file's path or "built-in",
 * also the caller's. DOCENT_ENOTFOUND when no template has that name,
 * DOCENT_EIO when the file exists but cannot be read.
 */
int prompts_load(const char *name, const char *dir, char **text, char **origin);

/* One {{key}} and the text put in its place (borrowed). */
typedef struct prompts_var {
	const char *key;
	const char *value;
} prompts_var;

/*
 * Fills the template's placeholders from vars[0..n) and splits it into
 * its system part (*system, NULL when the template has none) and user
 * part (*user). Returns 0 or DOCENT_ENOMEM.
 */
int prompts_render(const char *tmpl, const prompts_var *vars, size_t n, char **system,
		   char **user);

#endif
