/*
 * extract_text.c - plain text and source code. The bytes are decoded with
 * text_decode() (UTF-8, UTF-16 with a byte-order mark, else Windows-1252)
 * and split at blank lines: paragraphs for text, preformatted blocks (line
 * breaks kept) for code. Neither names a title; the pipeline falls back to
 * the file name.
 */
#include "core/error.h"
#include "core/text.h"
#include "ingest/extract_int.h"

static int decode(const char *data, size_t n, dbuf *out)
{
	int rc = text_decode(data, n, out, NULL);

	if (rc == DOCENT_EUNSUPPORTED && !text_utf16_unmarked(data, n))
		return docent_error_set(rc, "binary content, not text: docent reads text, Markdown, "
					    "HTML, PDF, DOCX, ODT and CSV files");
	return rc;
}

/* Printable ASCII, tabs and line feeds only: bytes that decoding would
 * copy unchanged. */
static int plain_ascii(const char *data, size_t n)
{
	const unsigned char *u = (const unsigned char *)data;

	for (size_t i = 0; i < n; i++)
		if ((u[i] < 0x20 && u[i] != '\n' && u[i] != '\t') || u[i] >= 0x7F)
			return 0;
	return 1;
}

static int extract_lines(const char *data, size_t n, doc *d, doc_block_kind kind)
{
	dbuf t = DBUF_INIT;
	int rc;

	/* a large log or text file is often plain ASCII: split it as it is,
	 * without a decoded copy the size of the file */
	if (plain_ascii(data, n))
		return extract_add_paragraphs(d, kind, 0, data, n);
	rc = decode(data, n, &t);

	if (rc == 0)
		rc = extract_add_paragraphs(d, kind, 0, t.data, t.len);
	dbuf_free(&t);
	return rc;
}

static int text_extract(const extract_params *p, const char *data, size_t n, doc *d)
{
	(void)p;
	return extract_lines(data, n, d, DOC_PARA);
}

static int code_extract(const extract_params *p, const char *data, size_t n, doc *d)
{
	(void)p;
	return extract_lines(data, n, d, DOC_PRE);
}

static const char *const text_ext[] = {
	"txt", "text", "log", "rst", "adoc", "asciidoc", "org", "tex", "nfo", NULL,
};

static const char *const code_ext[] = {
	"c", "h", "cc", "cpp", "cxx", "c++", "hpp", "hh", "hxx", "m", "mm",
	"py", "pyi", "js", "mjs", "cjs", "jsx", "ts", "tsx", "go", "rs", "java",
	"rb", "sh", "bash", "zsh", "fish", "ps1", "php", "cs", "fs", "vb", "swift",
	"kt", "kts", "sql", "lua", "pl", "pm", "r", "scala", "clj", "cljs", "ex",
	"exs", "erl", "hrl", "hs", "ml", "mli", "elm", "dart", "jl", "nim", "zig",
	"v", "vhd", "vhdl", "f", "f90", "for", "asm", "s", "el", "lisp", "scm",
	"groovy", "gradle", "cmake", "mk", "make", "awk", "sed", "tcl", "vim",
	"css", "scss", "sass", "less", "vue", "svelte", "proto", "graphql",
	"json", "jsonl", "yaml", "yml", "toml", "ini", "cfg", "conf", "xml",
	"xsd", "xsl", "dockerfile", "tf", "nix", "bat", "cmd", "diff", "patch", NULL,
};

const extractor extract_text = {
	.format = "text",
	.extensions = text_ext,
	.sniff = NULL,
	.extract = text_extract,
};

const extractor extract_code = {
	.format = "code",
	.extensions = code_ext,
	.sniff = NULL,
	.extract = code_extract,
};
