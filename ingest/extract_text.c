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

/*
 * Valid UTF-8 with nothing that decoding would drop or change: no control
 * characters but tab and line feed (so no "\r"), no C1 controls, byte-order
 * marks or soft hyphens. Such bytes decode to themselves up to NFC, which
 * doc_add() applies to each block anyway (blocks end at line feeds, where
 * composition never reaches across), so they are split as they are.
 */
static int plain_text(const char *data, size_t n)
{
	const unsigned char *u = (const unsigned char *)data;

	for (size_t i = 0; i < n; i++) {
		if ((u[i] < 0x20 && u[i] != '\n' && u[i] != '\t') || u[i] == 0x7F)
			return 0;
		if (u[i] == 0xC2 && i + 1 < n && ((u[i + 1] >= 0x80 && u[i + 1] <= 0x9F) ||
						  u[i + 1] == 0xAD))
			return 0;
		if (u[i] == 0xEF && i + 2 < n && u[i + 1] == 0xBB && u[i + 2] == 0xBF)
			return 0;
	}
	return text_utf8_valid(data, n);
}

static int extract_lines(const char *data, size_t n, doc *d, doc_block_kind kind)
{
	dbuf t = DBUF_INIT;
	int rc;

	/* most text is plain UTF-8: split it as it is, without a decoded copy
	 * the size of the file beside the document */
	if (plain_text(data, n))
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
