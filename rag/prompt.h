/*
 * prompt.h - the words docent says to a language model.
 *
 * Templates are plain text with placeholders in braces ({question},
 * {context}). The defaults live in config/prompts/NAME.txt and are built into
 * the binary; the configuration can replace any of them by a file of the
 * same name (config.h, config_prompt()). The numbered context is rendered
 * here so that what the model reads and what a citation points at are the
 * same passages, in the same order.
 *
 * Ownership: rendered strings are the caller's (free()). Thread-safe.
 */
#ifndef DOCENT_RAG_PROMPT_H
#define DOCENT_RAG_PROMPT_H

#include <stddef.h>

#include "rag/pack.h"

/* The built-in template `name` ("ask_system", "ask_user", ...), or NULL
 * when there is none. Borrowed, static. */
const char *prompt_builtin(const char *name);

/* Calls fn for each built-in template, by name. */
void prompt_builtin_foreach(void (*fn)(void *ctx, const char *name, const char *text),
			    void *ctx);

/*
 * Replaces each {name} in tmpl by the value of the same name in
 * names[i]/values[i] (n pairs); unknown placeholders stay as written.
 * Writes an allocated string to *out. Returns 0 or DOCENT_ENOMEM.
 */
int prompt_render(const char *tmpl, const char *const *names, const char *const *values,
		  size_t n, char **out);

/*
 * The context as the model reads it: each item as "[n] title" on a line
 * (at most 8 words of the title: every header is read with every item;
 * the section and page are for the reader's sources list), then its
 * text, items separated by a blank line.
 * Writes an allocated string to *out. Returns 0 or DOCENT_ENOMEM.
 */
int prompt_context(const pack_item *items, size_t n, char **out);

#endif
