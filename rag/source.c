/*
 * source.c - a document's text around a passage, put back together from
 * its stored chunks (see source.h).
 */
#include "rag/source.h"
#include "core/error.h"
#include "core/text.h"

#include <stdlib.h>
#include <string.h>

source_params source_default_params(void)
{
	source_params p = { .start = 0, .end = 0, .context = 600, .max_bytes = 16384 };
	return p;
}

void source_text_free(source_text *t)
{
	if (!t)
		return;
	free(t->collection);
	free(t->path);
	free(t->title);
	free(t->format);
	free(t->heading);
	free(t->text);
	memset(t, 0, sizeof *t);
}

static int is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t';
}

/* Where to cut the context at the left: the first word start after
 * `from`, unless the passage itself starts first (or no space is near). */
static size_t word_start(const char *s, size_t from, size_t limit)
{
	for (size_t i = from; i < limit && i < from + 64; i++)
		if (is_space(s[i]))
			return i + 1;
	return from;
}

/* ... and at the right: the last space before `to`, not before `limit`. */
static size_t word_end(const char *s, size_t to, size_t limit)
{
	for (size_t i = to; i > limit && i + 64 > to; i--)
		if (is_space(s[i - 1]))
			return i - 1;
	return to;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int source_read(store *s, const char *collection, const char *document,
		const source_params *p, source_text *out)
{
	store_doc *d = NULL;
	store_chunk *ch = NULL;
	const store_chunk *at = NULL; /* the chunk holding start */
	size_t nch = 0, len, from, to;
	int64_t total = 0, start, end, a, b;
	char *buf = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_doc_find(s, collection, document, &d)) != 0)
		return rc;
	if (d->status && strcmp(d->status, "ok") != 0) {
		rc = docent_error_set(DOCENT_EEMPTY, "%s could not be read when it was ingested: %s",
				      d->path, d->error ? d->error : "unknown error");
		goto done;
	}
	if ((rc = store_doc_chunks(s, d->id, &ch, &nch)) != 0)
		goto done;
	for (size_t i = 0; i < nch; i++)
		if (ch[i].end_byte > total)
			total = ch[i].end_byte;
	if (total == 0) {
		rc = docent_error_set(DOCENT_EEMPTY, "%s holds no text", d->path);
		goto done;
	}
	start = p->start;
	end = p->end > p->start ? p->end : p->start;
	if (start < 0 || start >= total) {
		rc = docent_error_set(DOCENT_EINVAL, "start %lld is outside %s's text, which has "
				      "%lld bytes (0 to %lld)", (long long)start, d->path,
				      (long long)total, (long long)total - 1);
		goto done;
	}
	for (size_t i = 0; i < nch && !at; i++)
		if (ch[i].start_byte <= start && start < ch[i].end_byte)
			at = &ch[i];
	/* a start between chunks (a title kept apart, a block break): the
	 * passage is the next chunk */
	for (size_t i = 0; i < nch && p->whole_chunk && end <= start && !at; i++)
		if (ch[i].start_byte > start) /* chunks come in text order */
			at = &ch[i];
	if (p->whole_chunk && end <= start && at) {
		start = at->start_byte > start ? at->start_byte : start;
		end = at->end_byte;
	}
	if (end > total)
		end = total;
	a = start - (int64_t)p->context < 0 ? 0 : start - (int64_t)p->context;
	b = end + (int64_t)p->context > total ? total : end + (int64_t)p->context;
	if (p->max_bytes > 0 && b - a > (int64_t)p->max_bytes) {
		/* keep the passage, then as much context as fits, evenly */
		int64_t spare = (int64_t)p->max_bytes - (end - start);
		if (spare <= 0) {
			a = start;
			b = start + (int64_t)p->max_bytes;
		} else {
			a = start - spare / 2 < a ? a : start - spare / 2;
			b = a + (int64_t)p->max_bytes < total ? a + (int64_t)p->max_bytes : total;
		}
	}
	len = (size_t)(b - a);
	if (!(buf = malloc(len + 1))) {
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory reading %s", d->path);
		goto done;
	}
	memset(buf, '\n', len);
	buf[len] = '\0';
	for (size_t i = 0; i < nch; i++) {
		int64_t cs = ch[i].start_byte, ce = ch[i].end_byte;
		int64_t lo = cs > a ? cs : a, hi = ce < b ? ce : b;
		if (hi <= lo)
			continue;
		/* a chunk is a slice of the text: its bytes are at their offsets */
		if ((size_t)(lo - cs) >= ch[i].len)
			continue;
		if ((size_t)(hi - cs) > ch[i].len)
			hi = cs + (int64_t)ch[i].len;
		memcpy(buf + (lo - a), ch[i].text + (lo - cs), (size_t)(hi - lo));
		if (ch[i].page_start > 0 && (out->page_start == 0 || ch[i].page_start < out->page_start))
			out->page_start = ch[i].page_start;
		if (ch[i].page_end > out->page_end)
			out->page_end = ch[i].page_end;
	}
	/* whole characters, and whole words in the context */
	from = 0;
	while (from < len && ((unsigned char)buf[from] & 0xC0) == 0x80)
		from++;
	to = from + text_utf8_whole(buf + from, len - from);
	if (a > 0 && a < start)
		from = word_start(buf, from, (size_t)(start - a));
	if (b < total && b > end && (size_t)(end - a) < to)
		to = word_end(buf, to, (size_t)(end - a));
	if (to < from)
		to = from;
	memmove(buf, buf + from, to - from);
	buf[to - from] = '\0';
	out->doc_id = d->id;
	out->collection = dup_or_null(d->collection);
	out->path = dup_or_null(d->path);
	out->title = dup_or_null(d->title);
	out->format = dup_or_null(d->format);
	out->heading = dup_or_null(at ? at->heading : NULL);
	out->page = at ? at->page_start : 0;
	out->passage_start = start;
	out->passage_end = end;
	out->start_byte = a + (int64_t)from;
	out->end_byte = a + (int64_t)to;
	out->text_bytes = total;
	out->text = buf;
	buf = NULL;
	if (!out->path || (d->collection && !out->collection) || (d->title && !out->title) ||
	    (d->format && !out->format) || (at && at->heading && !out->heading)) {
		source_text_free(out);
		rc = docent_error_set(DOCENT_ENOMEM, "out of memory reading %s", d->path);
	}
done:
	free(buf);
	store_chunks_free(ch, nch);
	store_doc_list_free(d, d ? 1 : 0);
	return rc;
}
