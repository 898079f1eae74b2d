/*
 * term.c - what the terminal allows (colour, links, width) and word
 * wrapping of text that arrives piece by piece, as an answer streams.
 */
#include "cli/cli.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_WIDTH 100

void cli_term_detect(cli_term *t)
{
	const char *term = getenv("TERM"), *cols = getenv("COLUMNS");
	const char *no_color = getenv("NO_COLOR");
	int dumb = term && strcmp(term, "dumb") == 0;
	struct winsize ws;

	memset(t, 0, sizeof *t);
	t->tty = isatty(STDOUT_FILENO);
	t->color = t->tty && !dumb && !(no_color && no_color[0]);
	t->links = t->color;
	t->width = 0; /* not a terminal: no wrapping, unless COLUMNS says */
	if (t->tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		t->width = ws.ws_col;
	else if (cols && strtol(cols, NULL, 10) > 0)
		t->width = (int)strtol(cols, NULL, 10);
	else if (t->tty)
		t->width = 80;
	if (t->width > MAX_WIDTH)
		t->width = MAX_WIDTH;
	if (t->width > 0 && t->width < 20)
		t->width = 20;
}

void cli_wrap_init(cli_wrap *w, FILE *out, int width, int indent)
{
	memset(w, 0, sizeof *w);
	w->out = out;
	w->width = width;
	w->indent = indent;
}

static void put_indent(cli_wrap *w)
{
	for (int i = 0; i < w->indent; i++)
		fputc(' ', w->out);
	w->col = w->indent;
}

/* Writes the word held, on a new line when it does not fit this one. */
static void flush_word(cli_wrap *w)
{
	if (w->nword == 0)
		return;
	if (w->col == 0)
		put_indent(w);
	else if (w->width > 0 && w->col + 1 + w->word_cols > w->width && w->col > w->indent) {
		fputc('\n', w->out);
		put_indent(w);
	} else if (w->col > w->indent) {
		fputc(' ', w->out);
		w->col++;
	}
	fwrite(w->word, 1, w->nword, w->out);
	w->col += w->word_cols;
	w->nword = 0;
	w->word_cols = 0;
}

/* Adds byte c to the word held. */
static void word_add(cli_wrap *w, unsigned char c)
{
	if (w->nword == sizeof w->word)
		flush_word(w);
	w->word[w->nword++] = (char)c;
	if ((c & 0xC0) != 0x80) /* one column per character, roughly */
		w->word_cols++;
}

/*
 * The one rule for a model's or a document's text on a terminal: byte c
 * gives out[0..return) to write. C0 controls but newline and tab, and DEL,
 * give nothing; 0xC2 is held in *held_c2 until the next byte (maybe in the
 * next piece) tells whether it starts a C1 control (U+0080-U+009F: CSI,
 * OSC...), which gives nothing either.
 */
static int safe_bytes(int *held_c2, unsigned char c, unsigned char out[2])
{
	int n = 0;

	if (*held_c2) {
		*held_c2 = 0;
		if (c >= 0x80 && c <= 0x9F)
			return 0;
		out[n++] = 0xC2;
	}
	if (c == 0xC2)
		*held_c2 = 1;
	else if ((c >= 0x20 && c != 0x7F) || c == '\n' || c == '\t')
		out[n++] = c;
	return n;
}

void cli_wrap_put(cli_wrap *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char out[2];
		int k = safe_bytes(&w->held_c2, (unsigned char)s[i], out);

		for (int j = 0; j < k; j++) {
			if (out[j] == ' ' || out[j] == '\t') {
				flush_word(w);
			} else if (out[j] == '\n') {
				flush_word(w);
				fputc('\n', w->out);
				w->col = 0;
			} else {
				word_add(w, out[j]);
			}
		}
	}
	fflush(w->out);
}

void cli_put_text(FILE *out, const char *s, size_t n, int *held_c2)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char b[2];
		int k = safe_bytes(held_c2, (unsigned char)s[i], b);
		fwrite(b, 1, (size_t)k, out);
	}
}

void cli_wrap_end(cli_wrap *w)
{
	if (w->held_c2) {
		w->held_c2 = 0;
		word_add(w, 0xC2);
	}
	flush_word(w);
	if (w->col > 0)
		fputc('\n', w->out);
	w->col = 0;
	fflush(w->out);
}

/* A file:// URL: the path with bytes outside the safe set percent-encoded. */
static void put_file_url(FILE *out, const char *path, int page)
{
	fputs("file://", out);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~", *p))
			fputc(*p, out);
		else
			fprintf(out, "%%%02X", *p);
	}
	if (page > 0)
		fprintf(out, "#page=%d", page);
}

void cli_put_link(FILE *out, const cli_term *t, const char *path, int page, const char *label)
{
	size_t n = strlen(path);
	int pdf = n > 4 && strcasecmp(path + n - 4, ".pdf") == 0;

	if (!t->links || path[0] != '/') {
		cli_put_path(out, label);
		return;
	}
	fputs("\033]8;;", out);
	put_file_url(out, path, pdf ? page : 0);
	fputs("\033\\", out);
	cli_put_path(out, label);
	fputs("\033]8;;\033\\", out);
}
