/*
 * prompt.h - the words docent says to a language model.
 *
 * Templates are plain text files, config/prompts/NAME.txt, built into the
 * binary; a file NAME.txt in the prompts folder (answer.prompts_dir,
 * config_prompts_dir()) replaces the built-in one, without rebuilding.
 * A template is a system message, a line holding only "---", then the user
 * message (without such a line all of it is the user message). {{key}}
 * placeholders are filled by prompt_render(); unknown ones stay as
 * written. The numbered context of an answer is rendered here too, so
 * that what the model reads and what a citation points at are the same
 * passages, in the same order.
 *
 * Ownership: strings returned are the caller's (free()). Thread-safe.
 */
#ifndef DOCENT_RAG_PROMPT_H
#define DOCENT_RAG_PROMPT_H

#include <stddef.h>

#include "rag/pack.h"

/* The built-in template `name` ("ask_system", "summarize_map", ...), or
 * NULL when there is none. Borrowed, static. */
const char *prompt_builtin(const char *name);

/* Calls fn for each built-in template, by name. */
void prompt_builtin_foreach(void (*fn)(void *ctx, const char *name, const char *text),
			    void *ctx);

/*
 * The template `name`: DIR/NAME.txt when `dir` is not NULL and that file
 * exists, else the built-in copy. *text is the caller's; *origin (may be
 * NULL) gets the file's path or "built-in", also the caller's.
 * DOCENT_ENOTFOUND when no template has that name, DOCENT_EIO when the
 * file exists but cannot be read.
 */
int prompt_load(const char *name, const char *dir, char **text, char **origin);

/* One {{key}} and the text put in its place (borrowed). */
typedef struct prompt_var {
	const char *key;
	const char *value;
} prompt_var;

/*
 * Fills the template's placeholders from vars[0..n) and splits it into
 * its system part (*system, NULL when the template has none; may be NULL
 * when the caller expects none) and user part (*user), each trimmed of
 * white space at both ends. Returns 0 or DOCENT_ENOMEM.
 */
int prompt_render(const char *tmpl, const prompt_var *vars, size_t n, char **system,
		  char **user);

/*
 * The context as the model reads it: each item as "[n] title" on a line
 * (at most 8 words of the title: every header is read with every item;
 * the section and page are for the reader's sources list), then its
 * text, items separated by a blank line.
 * Writes an allocated string to *out. Returns 0 or DOCENT_ENOMEM.
 */
int prompt_context(const pack_item *items, size_t n, char **out);

#endif
