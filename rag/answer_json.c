/*
 * answer_json.c - answers and summaries as JSON (answer_json.h): the one
 * shape the CLI's --json and the web API both give, so a script written
 * against one reads the other.
 */
#include "rag/answer_json.h"

#include <string.h>

json_t *answer_item_json(const pack_item *it, int with_tokens)
{
	json_t *o = json_pack("{s:i, s:I, s:I, s:s, s:s?, s:s?, s:I, s:I, s:s}",
			      "n", it->n, "document_id", (json_int_t)it->doc_id,
			      "chunk_id", (json_int_t)it->chunk_id,
			      "path", it->path ? it->path : "",
			      "title", it->title, "heading", it->heading,
			      "start_byte", (json_int_t)it->start_byte,
			      "end_byte", (json_int_t)it->end_byte,
			      "text", it->text ? it->text : "");
	if (!o)
		return NULL;
	json_object_set_new(o, "page", it->page_start > 0 ? json_integer(it->page_start) : json_null());
	if (it->page_end > it->page_start)
		json_object_set_new(o, "page_end", json_integer(it->page_end));
	if (with_tokens)
		json_object_set_new(o, "tokens", json_integer((json_int_t)it->tokens));
	return o;
}

json_t *answer_citations_json(const answer_result *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->ncited; i++) {
		const pack_item *it = answer_item(r, r->cited[i]);
		if (it && json_array_append_new(a, answer_item_json(it, 0))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *answer_json(const char *question, const answer_result *r, const char *model)
{
	json_t *ctx = json_array(), *invalid = json_array(), *out;

	for (size_t i = 0; ctx && i < r->ncontext; i++)
		json_array_append_new(ctx, answer_item_json(&r->context[i], 1));
	for (size_t i = 0; invalid && i < r->ninvalid; i++)
		json_array_append_new(invalid, json_integer(r->invalid[i]));
	/* "o" steals the arrays even when packing fails */
	out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:i, s:i, s:i, s:f, s:s}",
			"question", question ? question : "", "answer", r->text ? r->text : "",
			"mode", answer_mode_name(r->mode), "citations", answer_citations_json(r),
			"context", ctx, "removed_citations", invalid,
			"prompt_tokens", r->prompt_tokens, "cached_tokens", r->cached_tokens,
			"completion_tokens", r->completion_tokens, "coverage", r->coverage,
			"retrieval", retrieve_mode_name(r->retrieval.mode));
	if (!out)
		return NULL;
	json_object_set_new(out, "model", model ? json_string(model) : json_null());
	json_object_set_new(out, "reranked", json_boolean(r->reranked));
	json_object_set_new(out, "weighted_coverage", json_real(r->weighted_coverage));
	json_object_set_new(out, "stopped", json_boolean(r->stopped_by == GEN_STOP_CANCELLED));
	json_object_set_new(out, "timings", json_pack(
		"{s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
		"retrieval_ms", r->timings.retrieve_ms, "rerank_ms", r->timings.rerank_ms,
		"packing_ms", r->timings.pack_ms, "first_token_ms", r->timings.first_token_ms,
		"generation_ms", r->timings.generate_ms, "total_ms", r->timings.total_ms,
		"tokens_per_s", r->timings.tokens_per_s));
	if (r->retrieval.note[0])
		json_object_set_new(out, "note", json_string(r->retrieval.note));
	return out;
}

json_t *summarize_json(const summarize_result *r, const store_doc *d, const char *topic,
		       summarize_length len)
{
	json_t *secs = json_array(), *refs = json_array(), *o;

	for (size_t i = 0; secs && refs && i < r->nsections; i++) {
		const summarize_section *s = &r->sections[i];
		size_t j;
		json_t *seen;
		int dup = 0;

		json_array_append_new(secs, json_pack("{s:[I,I], s:o, s:o, s:s, s:b, s:o, s:f}",
			"chunks", (json_int_t)s->first, (json_int_t)s->last,
			"pages", s->page_start > 0 ? json_pack("[i,i]", s->page_start, s->page_end)
						   : json_null(),
			"heading", s->heading ? json_string(s->heading) : json_null(),
			"ref", s->ref ? s->ref : "",
			"cached", s->cached,
			"text", s->text ? json_string(s->text) : json_null(),
			"ms", s->ms));
		if (!s->ref || !s->ref[0])
			continue;
		/* an extractive summary has a section a sentence: the same
		 * page or heading is listed once */
		json_array_foreach(refs, j, seen)
			if (strcmp(json_string_value(seen), s->ref) == 0)
				dup = 1;
		if (!dup)
			json_array_append_new(refs, json_string(s->ref));
	}
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:i, s:i, s:i, s:{s:f, s:f, s:f}}",
		"summary", r->text ? r->text : "",
		"mode", r->extractive ? "extractive" : "generated",
		"length", summarize_length_name(len),
		"model", r->model ? json_string(r->model) : json_null(),
		"sections", secs,
		"references", refs,
		"chunks", (json_int_t)r->chunks,
		"calls", r->calls,
		"cached_parts", r->cached_parts,
		"rounds", r->rounds,
		"timings", "map_ms", r->map_ms, "reduce_ms", r->reduce_ms, "total_ms", r->total_ms);
	if (o && d)
		json_object_set_new(o, "document", json_pack("{s:I, s:s, s:o, s:s}",
			"id", (json_int_t)d->id, "path", d->path,
			"title", d->title ? json_string(d->title) : json_null(),
			"collection", d->collection ? d->collection : ""));
	if (o && topic)
		json_object_set_new(o, "topic", json_string(topic));
	return o;
}
