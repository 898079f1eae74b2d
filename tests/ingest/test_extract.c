/*
 * test_extract.c - the extractors on the fixtures in tests/fixtures/extract
 * (made by make.sh there and scripts/mkdoc.py) and, when it is present, on
 * every file of ../shared/eval/doccorpus.
 */
#include "tests/testutil.h"

#include <dirent.h>
#include <pthread.h>
#include <time.h>

#include <zip.h>

#include "core/error.h"
#include "core/text.h"
#include "ingest/extract.h"

/* ---- helpers ---- */

static int run_bytes(const char *path, const char *data, size_t n, const extract_params *p,
		     doc *d, const char **fmt)
{
	extract_params dp = extract_default_params();

	doc_init(d);
	return extract_file(p ? p : &dp, path, data, n, d, fmt);
}

/* Extracts tests/fixtures/extract/NAME into d. */
static int run(const char *name, const extract_params *p, doc *d, const char **fmt)
{
	char rel[256];
	size_t n;
	char *data;
	int rc;

	snprintf(rel, sizeof rel, "extract/%s", name);
	data = slurp(fixture(rel), &n);
	rc = run_bytes(name, data, n, p, d, fmt);
	free(data);
	return rc;
}

static int has(const doc *d, const char *s)
{
	return d->text.data && strstr(d->text.data, s) != NULL;
}

/* The index of the first block of `kind` whose text is exactly s, or -1. */
static long find_block(const doc *d, doc_block_kind kind, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < d->nblocks; i++)
		if (d->blocks[i].kind == kind && d->blocks[i].len == n &&
		    memcmp(doc_block_text(d, i), s, n) == 0)
			return (long)i;
	return -1;
}

/* The index of the first block of `kind` containing s, or -1. */
static long block_with(const doc *d, doc_block_kind kind, const char *s)
{
	for (size_t i = 0; i < d->nblocks; i++) {
		const doc_block *b = &d->blocks[i];
		if (b->kind != kind)
			continue;
		char *t = strndup(doc_block_text(d, i), b->len);
		int hit = strstr(t, s) != NULL;
		free(t);
		if (hit)
			return (long)i;
	}
	return -1;
}

/* What every extracted doc must satisfy. */
static void check_doc(const doc *d)
{
	assert_true(text_utf8_valid(d->text.data ? d->text.data : "", d->text.len));
	for (size_t i = 0; i < d->nblocks; i++) {
		const doc_block *b = &d->blocks[i];
		assert_true(b->len > 0);
		assert_true(b->off + b->len + 2 <= d->text.len);
		assert_memory_equal(d->text.data + b->off + b->len, "\n\n", 2);
		assert_true(b->kind >= DOC_HEADING && b->kind <= DOC_PRE);
		if (b->kind == DOC_HEADING)
			assert_true(b->level >= 1 && b->level <= 6);
		else
			assert_int_equal(b->level, 0);
	}
	if (d->title)
		assert_true(text_utf8_valid(d->title, strlen(d->title)));
}

static void expect_heading(const doc *d, const char *text, int level)
{
	long i = find_block(d, DOC_HEADING, text);
	if (i < 0)
		fail_msg("no heading \"%s\"", text);
	assert_int_equal(d->blocks[i].level, level);
}

/* ---- registry and sniffing ---- */

static void test_extract_registry(void **state)
{
	const extractor *const *all = extract_all();
	const char *formats[] = {"pdf", "docx", "odt", "html", "markdown", "csv", "code", "text"};
	extract_params p = extract_default_params();
	size_t n = 0;

	(void)state;
	assert_int_equal(p.max_unpacked_bytes, 256u << 20);
	assert_int_equal(p.max_pages, 0);
	for (; all[n]; n++) {
		assert_non_null(all[n]->format);
		assert_non_null(all[n]->extract);
		assert_non_null(all[n]->extensions);
	}
	assert_int_equal(n, 8);
	for (size_t i = 0; i < 8; i++) {
		size_t k;
		for (k = 0; k < n && strcmp(all[k]->format, formats[i]) != 0; k++)
			;
		if (k == n)
			fail_msg("no extractor for %s", formats[i]);
	}
}

static const char *found(const char *path, const char *data, size_t n)
{
	const extractor *e = extract_find(path, data, n);
	return e ? e->format : NULL;
}

static void test_extract_find(void **state)
{
	size_t n;
	char *pdf = slurp(fixture("extract/report.pdf"), &n);
	size_t nz;
	char *docx = slurp(fixture("extract/report.docx"), &nz);
	size_t no;
	char *odt = slurp(fixture("extract/report.odt"), &no);
	const char bin[] = "\x01\x02\x00\x03\x04\x00\xff\xfe\x00\x01";

	(void)state;
	/* magic bytes beat the name */
	assert_string_equal(found("report.txt", pdf, n), "pdf");
	assert_string_equal(found("report.zip", docx, nz), "docx");
	assert_string_equal(found("REPORT.DOCX", docx, nz), "docx");
	assert_string_equal(found("report.docx", odt, no), "odt");
	assert_string_equal(found("x.txt", "  <!doctype HTML><p>hi", 22), "html");
	assert_string_equal(found("x", "\xEF\xBB\xBF\n<html lang=en><p>hi", 24), "html");
	assert_string_equal(found("x.md", "<?xml version=\"1.0\"?>\n<html>", 28), "html");
	/* then the extension */
	assert_string_equal(found("a/b/notes.MD", "# hi", 4), "markdown");
	assert_string_equal(found("t.csv", "a,b", 3), "csv");
	assert_string_equal(found("main.c", "int x;", 6), "code");
	assert_string_equal(found("x.py", "pass", 4), "code");
	assert_string_equal(found("x.htm", "<p>hi", 5), "html");
	/* then plain text when not binary */
	assert_string_equal(found("README", "hello", 5), "text");
	assert_string_equal(found("a.weird", "hello", 5), "text");
	assert_string_equal(found("x.txt", "<html5 is not html", 18), "text");
	assert_string_equal(found("x.txt", "files start with %PDF- and", 26), "text");
	assert_string_equal(found("x", "junk\n%PDF-1.7\n", 14), "pdf");
	assert_null(extract_find("x.bin", bin, sizeof bin - 1));
	assert_string_equal(docent_error_message(), "unsupported file type (binary content)");
	free(pdf);
	free(docx);
	free(odt);
}

/* ---- PDF ---- */

static void test_extract_pdf_pages(void **state)
{
	doc d;
	const char *fmt;

	(void)state;
	assert_int_equal(run("report.pdf", NULL, &d, &fmt), 0);
	check_doc(&d);
	assert_string_equal(fmt, "pdf");
	assert_string_equal(d.title, "Harbour Authority Annual Report");
	assert_int_equal(d.npages, 3);
	for (size_t i = 0; i < d.nblocks; i++)
		assert_true(d.blocks[i].page >= 1 && d.blocks[i].page <= 3);
	/* headings by font size, on their pages */
	expect_heading(&d, "Harbour Operations", 1);
	expect_heading(&d, "Pilotage", 2);
	assert_int_equal(d.blocks[find_block(&d, DOC_HEADING, "Harbour Operations")].page, 1);
	assert_int_equal(d.blocks[find_block(&d, DOC_HEADING, "Environment")].page, 2);
	assert_int_equal(d.blocks[find_block(&d, DOC_HEADING, "Finance")].page, 3);
	assert_int_equal(d.blocks[block_with(&d, DOC_PARA, "seagrass survey")].page, 2);
	assert_int_equal(d.blocks[block_with(&d, DOC_PARA, "breakwater loan")].page, 3);
	/* running header and footer on every page, each its own block */
	for (int pg = 1; pg <= 3; pg++) {
		char footer[32];
		snprintf(footer, sizeof footer, "Page %d of 3", pg);
		long i = find_block(&d, DOC_PARA, footer);
		assert_true(i >= 0);
		assert_int_equal(d.blocks[i].page, pg);
	}
	/* paragraphs are split at their gaps; words across bold runs whole */
	assert_true(block_with(&d, DOC_PARA, "Maritime traffic rose") >= 0);
	assert_true(block_with(&d, DOC_PARA, "Maritime traffic rose") !=
		    block_with(&d, DOC_PARA, "four million tonnes"));
	/* table columns are not run together */
	assert_true(has(&d, "Berthing per metre per day 1.20"));
	doc_free(&d);
}

static void test_extract_pdf_max_pages(void **state)
{
	extract_params p = extract_default_params();
	doc d;

	(void)state;
	p.max_pages = 1;
	assert_int_equal(run("report.pdf", &p, &d, NULL), 0);
	assert_int_equal(d.npages, 1);
	for (size_t i = 0; i < d.nblocks; i++)
		assert_int_equal(d.blocks[i].page, 1);
	assert_false(has(&d, "Environment"));
	doc_free(&d);
}

static void test_extract_pdf_bad(void **state)
{
	doc d;
	size_t n;
	char *data;

	(void)state;
	assert_int_equal(run("encrypted.pdf", NULL, &d, NULL), DOCENT_EENCRYPTED);
	assert_non_null(strstr(docent_error_message(), "password-protected"));
	assert_null(strchr(docent_error_message(), '\n'));
	doc_free(&d);

	assert_int_equal(run("corrupt.pdf", NULL, &d, NULL), DOCENT_EFORMAT);
	doc_free(&d);

	assert_int_equal(run("scanned.pdf", NULL, &d, NULL), DOCENT_EEMPTY);
	assert_non_null(strstr(docent_error_message(), "no text layer"));
	assert_non_null(strstr(docent_error_message(), "OCR"));
	doc_free(&d);

	/* cut short at several points: an error or partial text, never a crash */
	data = slurp(fixture("extract/report.pdf"), &n);
	for (size_t cut = 16; cut < n; cut += n / 7) {
		int rc = run_bytes("cut.pdf", data, cut, NULL, &d, NULL);
		assert_true(rc == 0 || rc == DOCENT_EFORMAT || rc == DOCENT_EEMPTY);
		check_doc(&d);
		doc_free(&d);
	}
	free(data);
}

/* ---- DOCX and ODT ---- */

static void check_report(const doc *d)
{
	check_doc(d);
	assert_string_equal(d->title, "Harbour Authority Annual Report");
	assert_int_equal(d->npages, 0);
	expect_heading(d, "Harbour Operations", 1);
	expect_heading(d, "Pilotage", 2);
	expect_heading(d, "Tariffs", 2);
	expect_heading(d, "Environment", 1);
	/* "**Mar**itime": one word across runs with different formatting */
	assert_true(block_with(d, DOC_PARA, "Maritime traffic rose by nine percent.") >= 0);
	assert_true(block_with(d, DOC_PARA, "The harbour authority moved four million") >= 0);
	assert_true(find_block(d, DOC_TABLE,
			       "Service | Unit | Fee\n"
			       "Berthing | per metre per day | 1.20\n"
			       "Pilotage | per movement | 310.00\n"
			       "Waste reception | per cubic metre | 45.50") >= 0);
	for (size_t i = 0; i < d->nblocks; i++)
		assert_int_equal(d->blocks[i].page, 0);
}

static void test_extract_docx(void **state)
{
	doc d;
	const char *fmt;

	(void)state;
	assert_int_equal(run("report.docx", NULL, &d, &fmt), 0);
	assert_string_equal(fmt, "docx");
	check_report(&d);
	doc_free(&d);
}

static void test_extract_odt(void **state)
{
	doc d;
	const char *fmt;

	(void)state;
	assert_int_equal(run("report.odt", NULL, &d, &fmt), 0);
	assert_string_equal(fmt, "odt");
	check_report(&d);
	doc_free(&d);
}

static void test_extract_docx_bomb(void **state)
{
	extract_params p = extract_default_params();
	doc d;
	clock_t t0 = clock();

	(void)state;
	p.max_unpacked_bytes = 1u << 20;
	assert_int_equal(run("bomb.docx", &p, &d, NULL), DOCENT_ETOOBIG);
	assert_non_null(strstr(docent_error_message(), "ingest.max_unpacked_size"));
	/* stopped after about 1 MiB, not after inflating 50 */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5);
	doc_free(&d);
}

static void test_extract_docx_hostile_xml(void **state)
{
	doc d;

	(void)state;
	assert_int_equal(run("xxe.docx", NULL, &d, NULL), DOCENT_EFORMAT);
	assert_false(has(&d, "root:"));
	doc_free(&d);
	assert_int_equal(run("laughs.docx", NULL, &d, NULL), DOCENT_EFORMAT);
	assert_false(has(&d, "lollol"));
	doc_free(&d);
}

static void test_extract_zip_bad(void **state)
{
	doc d;
	const char *fmt;

	(void)state;
	assert_int_equal(run("notdoc.zip", NULL, &d, &fmt), DOCENT_EUNSUPPORTED);
	assert_null(fmt);
	assert_non_null(strstr(docent_error_message(), "zip"));
	doc_free(&d);
	assert_int_equal(run("truncated.docx", NULL, &d, NULL), DOCENT_EFORMAT);
	doc_free(&d);
	/* a DOCX named .zip is still a DOCX; a non-zip named .docx is corrupt */
	assert_int_equal(run_bytes("x.docx", "hello there", 11, NULL, &d, &fmt), DOCENT_EFORMAT);
	assert_string_equal(fmt, "docx");
	doc_free(&d);
}

/* ---- Markdown ---- */

static void test_extract_markdown(void **state)
{
	doc d;
	const char *fmt;

	(void)state;
	assert_int_equal(run("notes.md", NULL, &d, &fmt), 0);
	check_doc(&d);
	assert_string_equal(fmt, "markdown");
	assert_string_equal(d.title, "Tide Gauge Maintenance"); /* the first H1 wins */
	expect_heading(&d, "Tide Gauge Maintenance", 1);
	expect_heading(&d, "Checklist", 2);
	/* front matter skipped */
	assert_false(has(&d, "author"));
	assert_false(has(&d, "---"));
	/* inline markup and links keep their text, not the URL */
	assert_true(find_block(&d, DOC_PARA,
			       "The float gauge needs its stilling well flushed each month; see "
			       "the maintenance guide for details.") >= 0);
	assert_false(has(&d, "example.org/guide"));
	assert_true(has(&d, "https://example.org/bare"));
	/* one block per list item */
	assert_true(find_block(&d, DOC_PARA, "Inspect the float wire for corrosion") >= 0);
	assert_true(find_block(&d, DOC_PARA, "Second numbered step") >= 0);
	assert_true(find_block(&d, DOC_PRE, "gauge --calibrate --datum 2.35") >= 0);
	assert_true(find_block(&d, DOC_TABLE,
			       "Station | Datum (m) | Status\nNorth Pier | 2.35 | ok\n"
			       "Lock Gate | 1.90 | repair") >= 0);
	assert_true(has(&d, "Entities: café & tea — done."));
	assert_true(find_block(&d, DOC_PARA, "An HTML block with bold words.") >= 0);
	doc_free(&d);
}

static void test_extract_markdown_front_matter_title(void **state)
{
	const char md[] = "---\ntitle: \"Only In Front\"\ntags: [a]\n---\n## Sub\n\nBody text.\n";
	const char toml[] = "+++\ntitle = 'Toml Title'\n+++\nBody.\n";
	const char nofm[] = "---\n\nA rule above, no front matter.\n";
	doc d;

	(void)state;
	assert_int_equal(run_bytes("a.md", md, sizeof md - 1, NULL, &d, NULL), 0);
	assert_string_equal(d.title, "Only In Front");
	expect_heading(&d, "Sub", 2);
	assert_false(has(&d, "tags"));
	doc_free(&d);
	assert_int_equal(run_bytes("a.md", toml, sizeof toml - 1, NULL, &d, NULL), 0);
	assert_string_equal(d.title, "Toml Title");
	assert_string_equal(d.text.data, "Body.\n\n");
	doc_free(&d);
	assert_int_equal(run_bytes("a.md", nofm, sizeof nofm - 1, NULL, &d, NULL), 0);
	assert_null(d.title);
	assert_true(has(&d, "A rule above"));
	doc_free(&d);
}

/* ---- limits of the XML parsers: nothing may be lost silently ---- */

/* Text of n bytes: "fill " repeated, then " " tail. Caller frees. */
static char *filled(const char *head, size_t n, const char *tail, size_t *len)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = malloc(h + n + t + 1);

	assert_non_null(s);
	memcpy(s, head, h);
	for (size_t i = 0; i < n; i++)
		s[h + i] = "fill "[i % 5];
	memcpy(s + h + n, tail, t + 1);
	*len = h + n + t;
	return s;
}

static void test_extract_html_deep_and_huge(void **state)
{
	dbuf b = DBUF_INIT;
	doc d;
	size_t n;
	char *s;

	(void)state;
	/* 400 unclosed <font> tags pass libxml2's default nesting limit (256) */
	assert_int_equal(dbuf_puts(&b, "<html><body><p>first words</p>"), 0);
	for (int i = 0; i < 400; i++)
		assert_int_equal(dbuf_puts(&b, "<font size=2>"), 0);
	assert_int_equal(dbuf_puts(&b, "<p>after the fonts</p><p>last paragraph</p></body></html>"), 0);
	assert_int_equal(run_bytes("f.html", b.data, b.len, NULL, &d, NULL), 0);
	assert_true(has(&d, "first words"));
	assert_true(has(&d, "after the fonts"));
	assert_true(has(&d, "last paragraph"));
	doc_free(&d);

	/* 100,000 nested elements: read whole, without a recursive walk */
	dbuf_reset(&b);
	assert_int_equal(dbuf_puts(&b, "<html><body>"), 0);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(dbuf_puts(&b, i % 2 ? "<div>" : "<span>"), 0);
	assert_int_equal(dbuf_puts(&b, "deepest text here</body></html>"), 0);
	assert_int_equal(run_bytes("deep.html", b.data, b.len, NULL, &d, NULL), 0);
	assert_true(has(&d, "deepest text here"));
	doc_free(&d);

	/* a data table and a heading 100,000 levels down keep their kinds */
	dbuf_reset(&b);
	assert_int_equal(dbuf_puts(&b, "<html><body>"), 0);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(dbuf_puts(&b, "<div>"), 0);
	assert_int_equal(dbuf_puts(&b, "<h2>Deep heading</h2><table><tr><th>a</th><th>b</th></tr>"
				       "<tr><td>1</td><td>2</td></tr></table></body></html>"),
			 0);
	assert_int_equal(run_bytes("deep2.html", b.data, b.len, NULL, &d, NULL), 0);
	assert_true(find_block(&d, DOC_HEADING, "Deep heading") >= 0);
	assert_true(find_block(&d, DOC_TABLE, "a | b\n1 | 2") >= 0);
	doc_free(&d);
	dbuf_free(&b);

	/* a text node over libxml2's 10 MB limit is kept whole */
	s = filled("<html><body><p>", 11u << 20, " the final words</p></body></html>", &n);
	assert_int_equal(run_bytes("big.html", s, n, NULL, &d, NULL), 0);
	assert_true(has(&d, "the final words"));
	assert_true(d.text.len > (11u << 20) - 16);
	doc_free(&d);
	free(s);
}

/* A zip of the given entries, in memory. Caller frees. */
static char *zip_of(const char *const *names, char *const *data, const size_t *lens, int k,
		    size_t *out_n)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z;
	zip_int64_t size;
	char *out;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	assert_non_null(src);
	zip_source_keep(src);
	z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	assert_non_null(z);
	for (int i = 0; i < k; i++) {
		zip_source_t *e = zip_source_buffer(z, data[i], lens[i], 0);
		assert_non_null(e);
		assert_true(zip_file_add(z, names[i], e, ZIP_FL_OVERWRITE) >= 0);
	}
	assert_int_equal(zip_close(z), 0);
	assert_int_equal(zip_source_open(src), 0);
	assert_int_equal(zip_source_seek(src, 0, SEEK_END), 0);
	size = zip_source_tell(src);
	assert_true(size > 0);
	assert_int_equal(zip_source_seek(src, 0, SEEK_SET), 0);
	out = malloc((size_t)size);
	assert_non_null(out);
	assert_int_equal(zip_source_read(src, out, (zip_uint64_t)size), size);
	zip_source_close(src);
	zip_source_free(src);
	*out_n = (size_t)size;
	return out;
}

static void test_extract_office_huge_run(void **state)
{
	const char *docx_names[] = {"[Content_Types].xml", "word/document.xml"};
	const char *odt_names[] = {"mimetype", "content.xml"};
	char *data[2];
	size_t lens[2], n;
	extract_params p = extract_default_params();
	doc d;
	const char *fmt;
	char *z;

	(void)state;
	/* DOCX: one 15 MB run */
	data[0] = strdup("<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/"
			 "package/2006/content-types\"/>");
	lens[0] = strlen(data[0]);
	data[1] = filled("<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats"
			 ".org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>",
			 15u << 20, " closing words</w:t></w:r></w:p></w:body></w:document>", &lens[1]);
	z = zip_of(docx_names, data, lens, 2, &n);
	assert_int_equal(run_bytes("big.docx", z, n, NULL, &d, &fmt), 0);
	assert_string_equal(fmt, "docx");
	assert_true(has(&d, "closing words"));
	doc_free(&d);
	/* the zip-bomb limit still holds */
	p.max_unpacked_bytes = 4u << 20;
	assert_int_equal(run_bytes("big.docx", z, n, &p, &d, NULL), DOCENT_ETOOBIG);
	assert_non_null(strstr(docent_error_message(), "ingest.max_unpacked_size"));
	doc_free(&d);
	free(z);
	free(data[0]);
	free(data[1]);

	/* ODT: one 15 MB paragraph */
	data[0] = strdup("application/vnd.oasis.opendocument.text");
	lens[0] = strlen(data[0]);
	data[1] = filled("<?xml version=\"1.0\"?><office:document-content xmlns:office=\"urn:oasis:"
			 "names:tc:opendocument:xmlns:office:1.0\" xmlns:text=\"urn:oasis:names:tc:"
			 "opendocument:xmlns:text:1.0\"><office:body><office:text><text:p>",
			 15u << 20, " closing words</text:p></office:text></office:body>"
			 "</office:document-content>", &lens[1]);
	z = zip_of(odt_names, data, lens, 2, &n);
	assert_int_equal(run_bytes("big.odt", z, n, NULL, &d, &fmt), 0);
	assert_string_equal(fmt, "odt");
	assert_true(has(&d, "closing words"));
	doc_free(&d);
	free(z);
	free(data[0]);
	free(data[1]);
}

/* A zip named as a DOCX or ODT that holds no document is a broken document
 * (a failure naming the missing part), not an archive to unpack. */
static void test_extract_office_broken(void **state)
{
	const char *names[] = {"notes.txt"};
	char *data[] = {"just some notes"};
	size_t lens[] = {15}, n;
	doc d;
	char *z;

	(void)state;
	z = zip_of(names, data, lens, 1, &n);
	assert_int_equal(run_bytes("report.docx", z, n, NULL, &d, NULL), DOCENT_EFORMAT);
	assert_non_null(strstr(docent_error_message(), "word/document.xml is missing"));
	doc_free(&d);
	assert_int_equal(run_bytes("report.odt", z, n, NULL, &d, NULL), DOCENT_EFORMAT);
	assert_non_null(strstr(docent_error_message(), "content.xml is missing"));
	doc_free(&d);
	assert_int_equal(run_bytes("notes.zip", z, n, NULL, &d, NULL), DOCENT_EUNSUPPORTED);
	assert_non_null(strstr(docent_error_message(), "unpack it first"));
	doc_free(&d);
	free(z);

	/* a DTD pushed past the prolog check's 64 KiB by a long comment */
	const char *dnames[] = {"[Content_Types].xml", "word/document.xml"};
	char *ddata[2];
	size_t dlens[2], pad = 70000;
	ddata[0] = "<Types/>";
	dlens[0] = 8;
	ddata[1] = malloc(pad + 200);
	assert_non_null(ddata[1]);
	strcpy(ddata[1], "<?xml version=\"1.0\"?><!--");
	dlens[1] = strlen(ddata[1]);
	memset(ddata[1] + dlens[1], 'x', pad);
	dlens[1] += pad;
	strcpy(ddata[1] + dlens[1], "--><!DOCTYPE w [<!ENTITY a \"b\">]><w:document xmlns:w=\"x\"/>");
	dlens[1] += strlen(ddata[1] + dlens[1]);
	z = zip_of(dnames, ddata, dlens, 2, &n);
	assert_int_equal(run_bytes("long.docx", z, n, NULL, &d, NULL), DOCENT_EFORMAT);
	assert_non_null(strstr(docent_error_message(), "no element in its first 64 KiB"));
	doc_free(&d);
	free(z);
	free(ddata[1]);
}

/* A bomb of short paragraphs within the unpack budget stops when the text
 * it yields passes half the budget. */
static void test_extract_office_text_cap(void **state)
{
	const char *names[] = {"[Content_Types].xml", "word/document.xml"};
	const char head[] = "<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas."
			    "openxmlformats.org/wordprocessingml/2006/main\"><w:body>";
	const char p[] = "<w:p><w:r><w:t>Short words.</w:t></w:r></w:p>";
	const char tail[] = "</w:body></w:document>";
	extract_params ep = extract_default_params();
	char *data[2];
	size_t lens[2], n, k = 100000;
	doc d;
	char *z;

	(void)state;
	data[0] = strdup("<?xml version=\"1.0\"?><Types/>");
	lens[0] = strlen(data[0]);
	lens[1] = sizeof head - 1 + k * (sizeof p - 1) + sizeof tail - 1; /* 4.5 MB */
	data[1] = malloc(lens[1]);
	assert_non_null(data[1]);
	memcpy(data[1], head, sizeof head - 1);
	for (size_t i = 0; i < k; i++)
		memcpy(data[1] + sizeof head - 1 + i * (sizeof p - 1), p, sizeof p - 1);
	memcpy(data[1] + lens[1] - (sizeof tail - 1), tail, sizeof tail - 1);
	z = zip_of(names, data, lens, 2, &n);
	assert_int_equal(run_bytes("paras.docx", z, n, NULL, &d, NULL), 0);
	assert_int_equal(d.nblocks, k);
	doc_free(&d);
	ep.max_unpacked_bytes = 6u << 20;
	assert_int_equal(run_bytes("paras.docx", z, n, &ep, &d, NULL), DOCENT_ETOOBIG);
	assert_non_null(strstr(docent_error_message(), "half of ingest.max_unpacked_size"));
	doc_free(&d);
	free(z);
	free(data[0]);
	free(data[1]);
}

/* Plain UTF-8 text is split as it is, without decoding it first: the
 * document is the same as through the decoder (forced here by a BOM). */
static void test_extract_text_plain_same(void **state)
{
	const char plain[] = "Title line\n\nCafe\xCC\x81 cre\xCC\x80me \xE2\x80\x94 na\xC3\xAFve\n"
			     "second line\twith tab\n \n\n\nLast \xE6\x97\xA5\xE6\x9C\xAC paragraph\n";
	char marked[sizeof plain + 3];
	doc a, b;

	(void)state;
	memcpy(marked, "\xEF\xBB\xBF", 3);
	memcpy(marked + 3, plain, sizeof plain);
	assert_int_equal(run_bytes("a.txt", plain, sizeof plain - 1, NULL, &a, NULL), 0);
	assert_int_equal(run_bytes("b.txt", marked, sizeof marked - 1, NULL, &b, NULL), 0);
	assert_int_equal(a.nblocks, b.nblocks);
	assert_int_equal(a.text.len, b.text.len);
	assert_memory_equal(a.text.data, b.text.data, a.text.len);
	for (size_t i = 0; i < a.nblocks; i++) {
		assert_int_equal(a.blocks[i].off, b.blocks[i].off);
		assert_int_equal(a.blocks[i].len, b.blocks[i].len);
	}
	assert_true(has(&a, "Caf\xC3\xA9 cr\xC3\xA8me"));
	doc_free(&a);
	doc_free(&b);
}

/* A file is judged on its head before it is read whole: binary content
 * named .txt is the text extractor's failure, an unknown binary a skip,
 * and anything that needs its whole bytes (PDF, zip) or is text goes on. */
static void test_extract_head(void **state)
{
	char head[EXTRACT_HEAD_BYTES];
	int skip;

	(void)state;
	memset(head, 0, sizeof head);
	assert_int_equal(extract_head("zeros.txt", head, sizeof head, &skip), DOCENT_EUNSUPPORTED);
	assert_int_equal(skip, 0);
	assert_non_null(strstr(docent_error_message(), "binary content"));
	assert_int_equal(extract_head("zeros.bin", head, sizeof head, &skip), DOCENT_EUNSUPPORTED);
	assert_int_equal(skip, 1);
	memcpy(head, "%PDF-1.4\n", 9);
	assert_int_equal(extract_head("doc.txt", head, sizeof head, &skip), 0);
	memcpy(head, "PK\3\4", 4);
	assert_int_equal(extract_head("doc.docx", head, sizeof head, &skip), 0);
	memset(head, 'a', sizeof head);
	assert_int_equal(extract_head("words.txt", head, sizeof head, &skip), 0);
	assert_int_equal(extract_head("words", head, sizeof head, &skip), 0);
}

/* ---- HTML ---- */

static void test_extract_html(void **state)
{
	const char *hidden[] = {"secret", "SvgText", "NavigationLink", "RoleNavigationText",
				"MenuClassText", "FormInputText", "ButtonText", "OptionText",
				"NoscriptText", "TemplateText", "font-family", "Home"};
	doc d;
	const char *fmt;

	(void)state;
	assert_int_equal(run("page.html", NULL, &d, &fmt), 0);
	check_doc(&d);
	assert_string_equal(fmt, "html");
	assert_string_equal(d.title, "Lighthouse & Lantern Guide");
	expect_heading(&d, "Lighthouse Lanterns", 1);
	expect_heading(&d, "Lamp Types", 2);
	for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++)
		if (has(&d, hidden[i]))
			fail_msg("\"%s\" should not be extracted", hidden[i]);
	assert_true(block_with(&d, DOC_PARA, "Its Fresnel lens focuses") >= 0);
	assert_true(find_block(&d, DOC_PARA,
			       "A division with direct text about the keeper\u2019s duties.") >= 0);
	assert_true(find_block(&d, DOC_PARA, "Oil wick lamps") >= 0);
	assert_true(find_block(&d, DOC_PRE, "lamp --power 1000\nlamp --rotate 6rpm") >= 0);
	assert_true(find_block(&d, DOC_TABLE, "Lamp | Range\nOil | 14 nm\nElectric | 22 nm") >= 0);
	assert_true(find_block(&d, DOC_PARA, "First line\nsecond line") >= 0);
	doc_free(&d);
}

/* A page over 4 MB is read from the parser's events, without a tree: the
 * same page, padded with a 5 MB comment, gives the same blocks, except
 * that a table comes out as a paragraph per row. */
static void test_extract_html_stream(void **state)
{
	const char *hidden[] = {"secret", "SvgText", "NavigationLink", "RoleNavigationText",
				"MenuClassText", "FormInputText", "ButtonText", "OptionText",
				"NoscriptText", "TemplateText", "font-family", "Home", "padding"};
	size_t n, pad = 5u << 20;
	char *page = slurp(fixture("extract/page.html"), &n), *big;
	doc d;

	(void)state;
	big = malloc(n + pad + 16);
	assert_non_null(big);
	memcpy(big, page, n);
	memcpy(big + n, "<!--", 4);
	memset(big + n + 4, 'x', pad);
	memcpy(big + n + 4 + pad - 7, "padding", 7);
	memcpy(big + n + 4 + pad, "-->", 3);
	assert_int_equal(run_bytes("big.html", big, n + pad + 7, NULL, &d, NULL), 0);
	check_doc(&d);
	assert_string_equal(d.title, "Lighthouse & Lantern Guide");
	expect_heading(&d, "Lighthouse Lanterns", 1);
	expect_heading(&d, "Lamp Types", 2);
	for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++)
		if (has(&d, hidden[i]))
			fail_msg("\"%s\" should not be extracted", hidden[i]);
	assert_true(block_with(&d, DOC_PARA, "Its Fresnel lens focuses") >= 0);
	assert_true(find_block(&d, DOC_PARA,
			       "A division with direct text about the keeper\u2019s duties.") >= 0);
	assert_true(find_block(&d, DOC_PRE, "lamp --power 1000\nlamp --rotate 6rpm") >= 0);
	assert_true(find_block(&d, DOC_PARA, "Lamp | Range") >= 0);
	assert_true(find_block(&d, DOC_PARA, "Electric | 22 nm") >= 0);
	assert_true(find_block(&d, DOC_PARA, "First line\nsecond line") >= 0);
	doc_free(&d);
	free(big);
	free(page);

	/* 100,000 unclosed elements, then text: read to the end */
	size_t k = 100000, at = 0;
	big = malloc(k * 6 + pad + 64);
	assert_non_null(big);
	for (size_t i = 0; i < k; i++, at += 6)
		memcpy(big + at, "<font>", 6);
	memset(big + at, 'w', pad);
	for (size_t i = 0; i < pad; i += 8)
		big[at + i] = ' ';
	at += pad;
	memcpy(big + at, " the final words", 16);
	at += 16;
	assert_int_equal(run_bytes("deep.html", big, at, NULL, &d, NULL), 0);
	assert_true(has(&d, "the final words"));
	doc_free(&d);
	free(big);
}

static void test_extract_html_encoding_and_title(void **state)
{
	const char latin[] = "<html><body><h1>Caf\xe9 Menu</h1><p>cr\xe8me</p></body></html>";
	const char utf8[] = "<html><body><p>na\xc3\xafve caf\xc3\xa9</p></body></html>";
	doc d;

	(void)state;
	assert_int_equal(run_bytes("l.html", latin, sizeof latin - 1, NULL, &d, NULL), 0);
	assert_string_equal(d.title, "Café Menu"); /* no <title>: the first h1 */
	assert_true(has(&d, "crème"));
	doc_free(&d);
	assert_int_equal(run_bytes("u.html", utf8, sizeof utf8 - 1, NULL, &d, NULL), 0);
	assert_true(has(&d, "naïve café"));
	assert_null(d.title);
	doc_free(&d);
}

/* ---- text, code, CSV ---- */

static void test_extract_text_encodings(void **state)
{
	doc d;
	const char *fmt;

	(void)state;
	assert_int_equal(run("utf16le.txt", NULL, &d, &fmt), 0);
	assert_string_equal(fmt, "text");
	assert_true(find_block(&d, DOC_PARA, "Tide table for Kéroman") >= 0);
	assert_true(has(&d, "High water at 06:12 — “spring” tide."));
	assert_null(d.title);
	doc_free(&d);

	assert_int_equal(run("cp1252.txt", NULL, &d, NULL), 0);
	assert_true(has(&d, "Le café du port"));
	assert_true(has(&d, "He said “fair winds” and left – quickly."));
	doc_free(&d);

	assert_int_equal(run("utf8bom.txt", NULL, &d, NULL), 0);
	assert_memory_equal(d.text.data, "Buoyage", 7);
	assert_int_equal(d.nblocks, 2);
	doc_free(&d);

	assert_int_equal(run("invalid-utf8.txt", NULL, &d, NULL), 0);
	check_doc(&d);
	assert_true(has(&d, "Valid start"));
	doc_free(&d);
}

static void test_extract_text_bad(void **state)
{
	doc d;
	const char *fmt;

	(void)state;
	assert_int_equal(run("binary.txt", NULL, &d, &fmt), DOCENT_EUNSUPPORTED);
	assert_non_null(strstr(docent_error_message(), "binary content, not text"));
	doc_free(&d);
	assert_int_equal(run("empty.txt", NULL, &d, NULL), DOCENT_EEMPTY);
	assert_string_equal(docent_error_message(), "empty file");
	doc_free(&d);
	assert_int_equal(run("blank.txt", NULL, &d, NULL), DOCENT_EEMPTY);
	assert_non_null(strstr(docent_error_message(), "no text"));
	doc_free(&d);
}

static void test_extract_code(void **state)
{
	doc d;
	const char *fmt;

	(void)state;
	assert_int_equal(run("hello.c", NULL, &d, &fmt), 0);
	check_doc(&d);
	assert_string_equal(fmt, "code");
	assert_int_equal(d.nblocks, 3);
	for (size_t i = 0; i < d.nblocks; i++)
		assert_int_equal(d.blocks[i].kind, DOC_PRE);
	assert_true(block_with(&d, DOC_PRE, "int main(void)\n{\n\tprintf") >= 0);
	doc_free(&d);
}

static void test_extract_csv(void **state)
{
	const char tsv[] = "name\tlevel\nOuter\t3\n";
	const char header_only[] = "a;b;c\n";
	doc d;
	const char *fmt;

	(void)state;
	assert_int_equal(run("data.csv", NULL, &d, &fmt), 0);
	check_doc(&d);
	assert_string_equal(fmt, "csv");
	assert_int_equal(d.nblocks, 1);
	assert_int_equal(d.blocks[0].kind, DOC_TABLE);
	assert_string_equal(d.text.data,
			    "station: North Pier; datum_m: 2.35; notes: checked, ok\n"
			    "station: Lock Gate; datum_m: 1.90; notes: needs \"urgent\" repair\n"
			    "station: Outer Mole; datum_m: 2.10\n\n");
	doc_free(&d);
	assert_int_equal(run_bytes("x.tsv", tsv, sizeof tsv - 1, NULL, &d, NULL), 0);
	assert_string_equal(d.text.data, "name: Outer; level: 3\n\n");
	doc_free(&d);
	assert_int_equal(run_bytes("x.csv", header_only, sizeof header_only - 1, NULL, &d, NULL), 0);
	assert_string_equal(d.text.data, "a | b | c\n\n");
	doc_free(&d);
}

static void test_extract_csv_blocks_of_rows(void **state)
{
	char *csv = malloc(64 * 1024);
	size_t n = 0;
	doc d;

	(void)state;
	n += (size_t)sprintf(csv + n, "id,word\n");
	for (int i = 0; i < 45; i++)
		n += (size_t)sprintf(csv + n, "%d,w%d\n", i, i);
	assert_int_equal(run_bytes("x.csv", csv, n, NULL, &d, NULL), 0);
	assert_int_equal(d.nblocks, 3); /* 20 + 20 + 5 rows */
	assert_true(find_block(&d, DOC_TABLE, "id: 40; word: w40\nid: 41; word: w41\n"
						   "id: 42; word: w42\nid: 43; word: w43\n"
						   "id: 44; word: w44") >= 0);
	doc_free(&d);
	free(csv);
}

/* ---- damaged input: errors, never crashes ---- */

static uint32_t next_random(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

static void test_extract_mutations(void **state)
{
	const char *names[] = {"report.pdf", "report.docx", "report.odt", "notes.md",
			       "page.html", "data.csv", "utf16le.txt"};
	uint32_t seed = 20240601;

	(void)state;
	for (size_t f = 0; f < sizeof names / sizeof *names; f++) {
		char rel[128];
		size_t n;
		snprintf(rel, sizeof rel, "extract/%s", names[f]);
		char *orig = slurp(fixture(rel), &n);
		char *buf = malloc(n + 64);
		for (int k = 0; k < 60; k++) {
			size_t m = n;
			memcpy(buf, orig, n);
			switch (next_random(&seed) % 3) {
			case 0: /* flip a few bytes */
				for (int j = 1 + (int)(next_random(&seed) % 8); j > 0; j--)
					buf[next_random(&seed) % n] ^= (char)(1 + next_random(&seed) % 255);
				break;
			case 1: /* cut short */
				m = 1 + next_random(&seed) % (n - 1);
				break;
			default: /* splice in junk */
				{
					size_t at = next_random(&seed) % n, len = 1 + next_random(&seed) % 64;
					memmove(buf + at + len, buf + at, n - at);
					for (size_t j = 0; j < len; j++)
						buf[at + j] = (char)next_random(&seed);
					m = n + len;
				}
				break;
			}
			doc d;
			int rc = run_bytes(names[f], buf, m, NULL, &d, NULL);
			if (rc != 0 && rc != DOCENT_EFORMAT && rc != DOCENT_EEMPTY &&
			    rc != DOCENT_EUNSUPPORTED && rc != DOCENT_EENCRYPTED && rc != DOCENT_ETOOBIG)
				fail_msg("%s mutation %d: unexpected %d (%s)", names[f], k, rc,
					 docent_error_message());
			if (rc)
				assert_true(docent_error_message()[0] != '\0');
			check_doc(&d);
			doc_free(&d);
		}
		free(buf);
		free(orig);
	}
}

/* ---- threads ---- */

typedef struct job {
	const char *name;
	char *data;
	size_t n;
	char *expect; /* the text extracted on the main thread */
	int failures;
} job;

static void *worker(void *arg)
{
	job *jobs = arg;

	for (int round = 0; round < 5; round++) {
		for (job *j = jobs; j->name; j++) {
			doc d;
			extract_params p = extract_default_params();
			doc_init(&d);
			if (extract_file(&p, j->name, j->data, j->n, &d, NULL) != 0 ||
			    strcmp(d.text.data, j->expect) != 0)
				__atomic_add_fetch(&j->failures, 1, __ATOMIC_RELAXED);
			doc_free(&d);
		}
	}
	return NULL;
}

static void test_extract_threads(void **state)
{
	job jobs[] = {
		{.name = "report.pdf"}, {.name = "report.docx"}, {.name = "report.odt"},
		{.name = "page.html"}, {.name = "notes.md"}, {.name = "data.csv"}, {.name = NULL},
	};
	pthread_t th[4];

	(void)state;
	for (job *j = jobs; j->name; j++) {
		char rel[128];
		doc d;
		snprintf(rel, sizeof rel, "extract/%s", j->name);
		j->data = slurp(fixture(rel), &j->n);
		assert_int_equal(run_bytes(j->name, j->data, j->n, NULL, &d, NULL), 0);
		j->expect = strdup(d.text.data);
		doc_free(&d);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, jobs), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (job *j = jobs; j->name; j++) {
		if (j->failures)
			fail_msg("%s: %d different results on other threads", j->name, j->failures);
		free(j->data);
		free(j->expect);
	}
}

/* ---- the shared real-document corpus ---- */

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check_corpus_file(const char *dir, const char *name)
{
	char path[8400];
	size_t n, headings = 0, paged = 0;
	char *data;
	doc d;
	const char *fmt;
	double t0;
	int rc;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	data = slurp(path, &n);
	t0 = now();
	rc = run_bytes(name, data, n, NULL, &d, &fmt);
	if (rc != 0)
		fail_msg("%s: %s", name, docent_error_message());
	check_doc(&d);
	assert_true(d.nblocks > 0);
	for (size_t i = 0; i < d.nblocks; i++) {
		headings += d.blocks[i].kind == DOC_HEADING;
		paged += d.blocks[i].page >= 1;
	}
	if (ends_with(name, ".pdf")) {
		assert_string_equal(fmt, "pdf");
		assert_true(d.npages > 1);
		assert_int_equal(paged, d.nblocks); /* every block knows its page */
		assert_int_equal(d.blocks[d.nblocks - 1].page > 1, 1);
	} else {
		assert_int_equal(paged, 0);
	}
	if (ends_with(name, ".md") || ends_with(name, ".html")) {
		if (headings == 0)
			fail_msg("%s: no headings", name);
	}
	if (ends_with(name, ".html")) {
		assert_string_equal(fmt, "html");
		assert_non_null(d.title);
		assert_false(has(&d, "<svg"));
		assert_false(has(&d, "function toggle_div"));
		if (now() - t0 > 1.0)
			fail_msg("%s took %.2f s", name, now() - t0);
	}
	if (ends_with(name, ".docx")) {
		assert_string_equal(fmt, "docx");
		/* a title split across formatting runs ("R" + "unning") comes out whole */
		if (strstr(name, "UserGuide")) {
			assert_true(has(&d, "Running"));
			assert_false(has(&d, "R unning"));
		}
	}
	if (ends_with(name, ".txt")) {
		assert_string_equal(fmt, "text");
		assert_false(d.text.len >= 3 && memcmp(d.text.data, "\xEF\xBB\xBF", 3) == 0);
	}
	doc_free(&d);
	free(data);
}

static void test_extract_doccorpus(void **state)
{
	const char *root = shared_eval("doccorpus");
	const char *subdirs[] = {"pdf", "html", "md", "docx", "txt"};
	char dir[4096];
	size_t files = 0;

	(void)state;
	if (!root) {
		shared_eval_missing("doccorpus");
		skip();
	}
	snprintf(dir, sizeof dir, "%s", root);
	for (size_t s = 0; s < sizeof subdirs / sizeof *subdirs; s++) {
		char sub[4200];
		DIR *dp;
		struct dirent *e;
		snprintf(sub, sizeof sub, "%s/%s", dir, subdirs[s]);
		dp = opendir(sub);
		if (!dp)
			continue;
		while ((e = readdir(dp))) {
			if (e->d_name[0] == '.')
				continue;
			check_corpus_file(sub, e->d_name);
			files++;
		}
		closedir(dp);
	}
	assert_true(files > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract_registry),
		cmocka_unit_test(test_extract_find),
		cmocka_unit_test(test_extract_pdf_pages),
		cmocka_unit_test(test_extract_pdf_max_pages),
		cmocka_unit_test(test_extract_pdf_bad),
		cmocka_unit_test(test_extract_docx),
		cmocka_unit_test(test_extract_odt),
		cmocka_unit_test(test_extract_docx_bomb),
		cmocka_unit_test(test_extract_office_broken),
		cmocka_unit_test(test_extract_head),
		cmocka_unit_test(test_extract_text_plain_same),
		cmocka_unit_test(test_extract_office_text_cap),
		cmocka_unit_test(test_extract_docx_hostile_xml),
		cmocka_unit_test(test_extract_zip_bad),
		cmocka_unit_test(test_extract_markdown),
		cmocka_unit_test(test_extract_markdown_front_matter_title),
		cmocka_unit_test(test_extract_html),
		cmocka_unit_test(test_extract_html_stream),
		cmocka_unit_test(test_extract_html_encoding_and_title),
		cmocka_unit_test(test_extract_html_deep_and_huge),
		cmocka_unit_test(test_extract_office_huge_run),
		cmocka_unit_test(test_extract_text_encodings),
		cmocka_unit_test(test_extract_text_bad),
		cmocka_unit_test(test_extract_code),
		cmocka_unit_test(test_extract_csv),
		cmocka_unit_test(test_extract_csv_blocks_of_rows),
		cmocka_unit_test(test_extract_mutations),
		cmocka_unit_test(test_extract_threads),
		cmocka_unit_test(test_extract_doccorpus),
	};
	return cmocka_run_group_tests_name("extract", tests, NULL, NULL);
}
