/*
 * config.c - the settings table, the INI reader (inih), environment
 * overrides, and filling the modules' parameter structs.
 */
#include "config/config.h"
#include "core/buf.h"
#include "core/error.h"
#include "engine/catalogue.h"
#include "rag/prompt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum vtype { T_STR, T_INT, T_BOOL, T_SIZE, T_REAL, T_LIST } vtype;

typedef struct keydef {
	const char *key;
	vtype type;
	const char *def;
	const char *desc;
} keydef;

/* The one list of settings. config/docent.conf documents each of them
 * (a test checks that it does). */
static const keydef KEYS[] = {
	{ "core.data_dir", T_STR, "", "where the database lives (default $XDG_DATA_HOME/docent; env DOCENT_HOME)" },
	{ "ingest.collection", T_STR, "default", "collection that ingest and search use when none is named" },
	{ "ingest.max_file_size", T_SIZE, "100MB", "files larger than this are skipped" },
	{ "ingest.max_unpacked_size", T_SIZE, "256MB", "cap on what a DOCX/ODT may unpack to (zip-bomb guard; its text half of it)" },
	{ "ingest.exclude", T_LIST, "", "glob patterns of files and folders to skip (space-separated; repeatable)" },
	{ "ingest.include_hidden", T_BOOL, "false", "also ingest hidden files and folders" },
	{ "ingest.threads", T_INT, "0", "extraction threads (0: one per core)" },
	{ "ingest.commit_interval", T_REAL, "1", "seconds of work saved per transaction (what a crash can lose)" },
	{ "clean.dehyphenate", T_BOOL, "true", "join words broken by a hyphen at a line end" },
	{ "clean.collapse_whitespace", T_BOOL, "true", "collapse runs of white space in paragraphs" },
	{ "clean.drop_page_furniture", T_BOOL, "true", "drop headers and footers repeated on most pages" },
	{ "clean.redact", T_LIST, "", "built-in redaction patterns to apply: email apikey ipv4 card (re:PATTERN for a regex)" },
	{ "clean.redact_pattern", T_LIST, "", "a PCRE2 pattern to redact (repeatable)" },
	{ "clean.redact_replacement", T_STR, "[REDACTED]", "text that replaces redacted matches" },
	{ "chunk.target_tokens", T_INT, "256", "target chunk size in tokens" },
	{ "chunk.overlap_tokens", T_INT, "32", "tokens repeated between consecutive chunks of a section" },
	{ "search.k", T_INT, "10", "number of results" },
	{ "search.k1", T_REAL, "1.2", "BM25 term-frequency saturation" },
	{ "search.b", T_REAL, "0.75", "BM25 length normalisation" },
	{ "search.snippet_words", T_INT, "24", "words in a result snippet" },
	{ "search.mode", T_STR, "auto", "hybrid, dense or bm25; auto: hybrid when an embedding model is set" },
	{ "search.candidates", T_INT, "0", "hits taken from each list before fusion (0: max(50, 4 k))" },
	{ "search.rrf_k", T_REAL, "60", "reciprocal rank fusion constant: higher flattens rank differences" },
	{ "search.keyword_weight", T_REAL, "1", "weight of the keyword (BM25) list in fusion" },
	{ "search.dense_weight", T_REAL, "1", "weight of the dense (embedding) list in fusion" },
	{ "search.cache_mb", T_INT, "32", "MiB of keyword postings a search connection keeps between searches (0: none)" },
	{ "answer.passages", T_INT, "50", "passages retrieved for an answer, before packing" },
	{ "answer.min_coverage", T_REAL, "0.4", "share of the question's content words one passage of the evidence must hold, else no answer" },
	{ "answer.min_weighted_coverage", T_REAL, "0.25", "the same share with rare words weighing more (their idf among the passages), else no answer" },
	{ "answer.extractive_sentences", T_INT, "3", "sentences in an answer made without a language model" },
	{ "answer.rerank_passages", T_INT, "20", "passages the reranking model reorders (when one is set)" },
	{ "answer.prompts_dir", T_STR, "", "folder of prompt templates that replace the built-in ones (default $XDG_CONFIG_HOME/docent/prompts)" },
	{ "engine.chat_model", T_STR, "", "language model: a catalogue name, a GGUF path or URL#model (env DOCENT_CHAT_MODEL)" },
	{ "engine.embed_model", T_STR, "", "embedding model: a catalogue name, a GGUF path or URL#model (env DOCENT_EMBED_MODEL)" },
	{ "engine.rerank_model", T_STR, "", "reranking model (a cross-encoder): a catalogue name, a GGUF path or URL#model (env DOCENT_RERANK_MODEL)" },
	{ "engine.query_prefix", T_STR, "", "text put before each query before embedding (e.g. \"search_query: \")" },
	{ "engine.document_prefix", T_STR, "", "text put before each chunk before embedding (e.g. \"search_document: \")" },
	{ "engine.models_dir", T_STR, "", "folder of GGUF model files (default: DATA_DIR/models)" },
	{ "engine.temperature", T_REAL, "0.2", "sampling temperature (0: always the likeliest token)" },
	{ "engine.max_tokens", T_INT, "512", "most tokens generated per answer" },
	{ "engine.context", T_INT, "0", "in-process models: context window in tokens (0: the model's, at most 8192)" },
	{ "engine.threads", T_INT, "0", "in-process models: CPU threads (0: one per core; 1 on a machine busy with other work)" },
	{ "answer.context_tokens", T_INT, "480",
	  "tokens of evidence given to the language model, by its tokenizer (about 300 words)" },
	{ "server.generations", T_INT, "0",
	  "answers and summaries `docent serve` writes at once (0: 1 with an in-process model, 4 with a model server, one per core without a model)" },
	{ "server.queue", T_INT, "4", "answers that wait for a slot; beyond them `docent serve` answers 503 busy" },
	{ "vectors.index", T_STR, "", "FAISS index-factory string, e.g. \"IVF1024,Flat\" (empty: chosen by size)" },
	{ "vectors.flat_max", T_INT, "20000", "collections up to this many vectors are searched exactly" },
	{ "vectors.nprobe", T_INT, "0", "IVF lists probed per query (0: measured for recall@10 >= 0.95)" },
	{ "vectors.search", T_STR, "", "FAISS search parameters, e.g. \"efSearch=64\" for an HNSW index" },
	{ "store.tokenizer", T_STR, "porter unicode61 remove_diacritics 2",
	  "FTS5 tokenizer of a new database (an existing one keeps its own)" },
	{ "server.host", T_STR, "127.0.0.1", "address docent serve listens on (loopback unless a token is set)" },
	{ "server.port", T_INT, "8080", "port docent serve listens on (0: the system picks one)" },
	{ "server.token", T_STR, "", "access token every API request must send as 'Authorization: Bearer TOKEN' (env DOCENT_TOKEN)" },
	{ "server.max_body", T_SIZE, "1MB", "largest JSON request body" },
	{ "server.max_upload", T_SIZE, "100MB", "largest upload request (all its files)" },
	{ "server.timeout", T_INT, "30", "seconds a connection may stay idle before it is closed" },
	{ "server.max_connections", T_INT, "128", "connections served at once" },
	{ "server.max_per_ip", T_INT, "0", "connections from one address at once (0: as max_connections)" },
	{ "server.workers", T_INT, "0", "the server's threads, which answer quick requests themselves (0: one per core)" },
};
#define NKEYS (sizeof KEYS / sizeof KEYS[0])

typedef struct value {
	char *text;
	config_origin origin;
	char *where;
} value;

struct config {
	value v[NKEYS];
	char *file;
	char *data_dir;
	/* split lists, built on demand, owned here */
	char **lists[NKEYS];
	size_t nlist[NKEYS];
};

static int find_key(const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(KEYS[i].key, key) == 0)
			return (int)i;
	return -1;
}

const char *config_origin_name(config_origin o)
{
	switch (o) {
	case CONFIG_DEFAULT: return "default";
	case CONFIG_FILE: return "file";
	case CONFIG_ENV: return "env";
	case CONFIG_FLAG: return "flag";
	}
	return "?";
}

int config_parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0)
		return DOCENT_EINVAL;
	while (*end == ' ')
		end++;
	switch (tolower((unsigned char)*end)) {
	case '\0': case 'b': break;
	case 'k': v *= 1024; break;
	case 'm': v *= 1024 * 1024; break;
	case 'g': v *= 1024.0 * 1024 * 1024; break;
	case 't': v *= 1024.0 * 1024 * 1024 * 1024; break;
	default: return DOCENT_EINVAL;
	}
	if (*end) {
		const char *u = end + 1;
		if (tolower((unsigned char)*u) == 'i')
			u++;
		if (tolower((unsigned char)*u) == 'b')
			u++;
		if (*u)
			return DOCENT_EINVAL;
	}
	*out = (uint64_t)v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "1", "true", "yes", "on" }, *no[] = { "0", "false", "no", "off" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return DOCENT_EINVAL;
}

/* Checks `text` against the key's type; returns a description of what was
 * expected, or NULL when fine. */
static const char *check(vtype t, const char *text)
{
	char *end;
	uint64_t sz;
	int b;

	switch (t) {
	case T_INT:
		errno = 0;
		if (strtoll(text, &end, 10) < 0 || errno || end == text || *end)
			return "a whole number >= 0";
		return NULL;
	case T_REAL: {
		/* strtod takes "nan" and "inf", which no setting means */
		errno = 0;
		double v = strtod(text, &end);
		if (!isfinite(v) || v < 0 || errno || end == text || *end)
			return "a finite number >= 0";
		return NULL;
	}
	case T_BOOL:
		return parse_bool(text, &b) ? "true or false" : NULL;
	case T_SIZE:
		return config_parse_size(text, &sz) ? "a size such as 100MB or 512k" : NULL;
	default:
		return NULL;
	}
}

static char *trimmed(const char *s)
{
	size_t n;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

static void drop_list(config *c, int k)
{
	for (size_t i = 0; i < c->nlist[k]; i++)
		free(c->lists[k][i]);
	free(c->lists[k]);
	c->lists[k] = NULL;
	c->nlist[k] = 0;
}

/* Sets key index k. Lists set from a file accumulate across lines;
 * anything else replaces the value. */
static int set_index(config *c, int k, const char *raw, config_origin origin, const char *where)
{
	char *text = trimmed(raw), *w = strdup(where ? where : "");
	const char *expected;

	if (!text || !w) {
		free(text);
		free(w);
		return docent_error_set(DOCENT_ENOMEM, "out of memory reading the configuration");
	}
	expected = check(KEYS[k].type, text);
	if (expected) {
		int rc = docent_error_set(DOCENT_ECONFIG, "%s: %s = '%s' is not valid: expected %s",
					  w[0] ? w : "configuration", KEYS[k].key, text, expected);
		free(text);
		free(w);
		return rc;
	}
	if (KEYS[k].type == T_LIST && origin == CONFIG_FILE && c->v[k].origin == CONFIG_FILE &&
	    c->v[k].text[0] && text[0]) {
		/* a repeated list key in the file adds to the list */
		dbuf b = DBUF_INIT;
		if (dbuf_puts(&b, c->v[k].text) || dbuf_putc(&b, '\n') || dbuf_puts(&b, text)) {
			dbuf_free(&b);
			free(text);
			free(w);
			return docent_error_set(DOCENT_ENOMEM, "out of memory");
		}
		free(text);
		text = dbuf_detach(&b, NULL);
	}
	free(c->v[k].text);
	free(c->v[k].where);
	c->v[k] = (value){ text, origin, w };
	drop_list(c, k);
	return 0;
}

int config_set(config *c, const char *key, const char *text, config_origin origin,
	       const char *where)
{
	int k = find_key(key);
	if (k < 0)
		return docent_error_set(DOCENT_ECONFIG, "unknown setting '%s' (see `docent config`)", key);
	return set_index(c, k, text, origin, where);
}

/* The longest line inih reads whole (its INI_MAX_LINE, 200 in Debian's
 * build, less the NUL); read_line refuses longer ones. */
#define INI_LINE_MAX 199

typedef struct file_ctx {
	config *c;
	const char *path;
	FILE *f;
	int line;  /* lines read so far: the current line's number */
	int rc;
} file_ctx;

/*
 * The line reader for inih: counts lines, so messages can name them. inih reads
 * a line into a buffer of `size` bytes and would take the rest of a longer
 * line as a line of its own (a value cut short, or its tail read as a
 * setting), so such a line is refused here, naming it.
 */
static char *read_line(char *buf, int size, void *stream)
{
	file_ctx *fc = stream;
	int c = EOF, n = 0;

	/* getc rather than fgets: with a NUL byte in the line, fgets would not
	 * say how much it read */
	while (n < size - 1 && (c = getc(fc->f)) != EOF) {
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return NULL;
	buf[n] = '\0';
	fc->line++;
	if (n == size - 1 && buf[n - 1] != '\n' && (c = getc(fc->f)) != EOF && c != '\n') {
		fc->rc = docent_error_set(DOCENT_ECONFIG, "%s:%d: line longer than %d bytes",
					  fc->path, fc->line, size - 1);
		return NULL;
	}
	return buf;
}

static int on_ini(void *user, const char *section, const char *name, const char *val)
{
	file_ctx *fc = user;
	char key[256], where[4200];
	int k;

	if (fc->rc)
		return 0;
	snprintf(where, sizeof where, "%s:%d", fc->path, fc->line);
	snprintf(key, sizeof key, "%s.%s", section, name);
	k = find_key(key);
	if (k < 0) {
		fc->rc = docent_error_set(DOCENT_ECONFIG, "%s: unknown setting '%s' in [%s]",
					  where, name, section);
		return 0;
	}
	fc->rc = set_index(fc->c, k, val, CONFIG_FILE, where);
	return fc->rc == 0;
}

static char *default_config_path(void)
{
	const char *e = getenv("DOCENT_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	dbuf b = DBUF_INIT;

	if (e && e[0])
		return strdup(e);
	if (xdg && xdg[0])
		dbuf_printf(&b, "%s/docent/docent.conf", xdg);
	else if (home && home[0])
		dbuf_printf(&b, "%s/.config/docent/docent.conf", home);
	else
		return NULL;
	return dbuf_detach(&b, NULL);
}

static int load_env(config *c)
{
	char var[128];
	const char *v;

	for (size_t k = 0; k < NKEYS; k++) {
		size_t j = 0;
		j += (size_t)snprintf(var, sizeof var, "DOCENT_");
		for (const char *p = KEYS[k].key; *p && j + 1 < sizeof var; p++)
			var[j++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
		var[j] = '\0';
		v = getenv(var);
		/* the short names scripts use (documented in docent.conf) */
		static const char *const alias[][2] = {
			{ "core.data_dir", "DOCENT_HOME" },
			{ "engine.chat_model", "DOCENT_CHAT_MODEL" },
			{ "engine.embed_model", "DOCENT_EMBED_MODEL" },
			{ "engine.rerank_model", "DOCENT_RERANK_MODEL" },
			{ "server.token", "DOCENT_TOKEN" },
		};
		for (size_t a = 0; !v && a < sizeof alias / sizeof alias[0]; a++) {
			if (strcmp(KEYS[k].key, alias[a][0]) == 0 && getenv(alias[a][1])) {
				v = getenv(alias[a][1]);
				snprintf(var, sizeof var, "%s", alias[a][1]);
			}
		}
		if (v && v[0]) {
			int rc = set_index(c, (int)k, v, CONFIG_ENV, var);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int config_load(config **out, const char *path)
{
	config *c = calloc(1, sizeof *c);
	char *file = NULL;
	int rc = 0;

	*out = NULL;
	if (!c)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	for (size_t k = 0; k < NKEYS && rc == 0; k++)
		rc = set_index(c, (int)k, KEYS[k].def, CONFIG_DEFAULT, "");
	if (rc)
		goto fail;
	file = path ? strdup(path) : default_config_path();
	if (file && access(file, F_OK) == 0) {
		file_ctx fc = { c, file, fopen(file, "r"), 0, 0 };
		int r = -1;
		if (fc.f) {
			r = ini_parse_stream(read_line, &fc, on_ini, &fc);
			fclose(fc.f);
		}
		if (fc.rc) {
			rc = fc.rc;
			goto fail;
		}
		if (r < 0) {
			rc = docent_error_set(DOCENT_ECONFIG, "cannot read configuration file %s: %s",
					      file, strerror(errno));
			goto fail;
		}
		if (r > 0) {
			rc = docent_error_set(DOCENT_ECONFIG, "%s:%d: not a valid line (expected "
					      "[section] or key = value)", file, r);
			goto fail;
		}
		c->file = file;
		file = NULL;
	} else if (path) {
		rc = docent_error_set(DOCENT_ECONFIG, "configuration file %s does not exist", path);
		goto fail;
	}
	free(file);
	file = NULL;
	rc = load_env(c);
	if (rc)
		goto fail;
	*out = c;
	return 0;
fail:
	free(file);
	config_free(c);
	return rc;
}

void config_free(config *c)
{
	if (!c)
		return;
	for (size_t k = 0; k < NKEYS; k++) {
		free(c->v[k].text);
		free(c->v[k].where);
		drop_list(c, (int)k);
	}
	free(c->file);
	free(c->data_dir);
	free(c);
}

const char *config_get(const config *c, const char *key)
{
	int k = find_key(key);
	return k < 0 ? NULL : c->v[k].text;
}

const char *config_file(const config *c)
{
	return c->file;
}

void config_foreach(const config *c, config_fn fn, void *ctx)
{
	for (size_t k = 0; k < NKEYS; k++)
		fn(ctx, KEYS[k].key, c->v[k].text, c->v[k].origin, c->v[k].where, KEYS[k].desc);
}

const char *config_data_dir(const config *c)
{
	config *m = (config *)c; /* the cached path is filled lazily */
	const char *v = config_get(c, "core.data_dir"), *xdg, *home;
	dbuf b = DBUF_INIT;

	if (m->data_dir)
		return m->data_dir;
	xdg = getenv("XDG_DATA_HOME");
	home = getenv("HOME");
	if (v && v[0])
		dbuf_puts(&b, v);
	else if (xdg && xdg[0])
		dbuf_printf(&b, "%s/docent", xdg);
	else
		dbuf_printf(&b, "%s/.local/share/docent", home && home[0] ? home : ".");
	m->data_dir = dbuf_detach(&b, NULL);
	return m->data_dir ? m->data_dir : ".";
}

char *config_models_dir(const config *c)
{
	const char *v = config_get(c, "engine.models_dir");
	dbuf b = DBUF_INIT;

	if (v && v[0])
		dbuf_puts(&b, v);
	else
		dbuf_printf(&b, "%s/models", config_data_dir(c));
	return dbuf_detach(&b, NULL);
}

int config_model_path(const config *c, const char *spec, char **out)
{
	char *dir = config_models_dir(c);
	int rc;

	*out = NULL;
	if (!dir)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	rc = catalogue_resolve(spec, dir, out);
	free(dir);
	return rc;
}

const char *config_model_key(const char *kind)
{
	if (!kind)
		return NULL;
	if (strcmp(kind, "embedding") == 0)
		return "engine.embed_model";
	if (strcmp(kind, "chat") == 0)
		return "engine.chat_model";
	if (strcmp(kind, "reranking") == 0)
		return "engine.rerank_model";
	return NULL;
}

char *config_user_file(const config *c)
{
	return c->file ? strdup(c->file) : default_config_path();
}

/* Creates the parents of path (not path itself). */
static int make_parents(const char *path)
{
	char *p = strdup(path);
	int rc = 0;

	if (!p)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			rc = docent_error_set(docent_error_from_errno(errno), "cannot create %s: %s",
					      p, strerror(errno));
			break;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

/* The length of a line's leading white space (as inih skips it). */
static size_t lead(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\v' ||
			 s[i] == '\f'))
		i++;
	return i;
}

/* Non-zero when line[0..n) (after its leading white space) sets `name`. */
static int sets_name(const char *line, size_t n, const char *name, size_t nl)
{
	if (n < nl || strncmp(line, name, nl) != 0)
		return 0;
	size_t j = nl + lead(line + nl, n - nl);
	return j < n && (line[j] == '=' || line[j] == ':');
}

/* Non-zero when the first line at or after text[pos] that is not blank
 * or a comment is indented: inih would read it as more of a setting
 * inserted at pos. */
static int indented_follows(const char *text, size_t len, size_t pos)
{
	while (pos < len) {
		const char *line = text + pos, *eol = memchr(line, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - line) : len - pos;
		const char *nul = memchr(line, '\0', n);
		size_t k = nul ? (size_t)(nul - line) : n, i = lead(line, k);
		if (i < k && line[i] != '#' && line[i] != ';')
			return i > 0;
		pos += n + 1;
	}
	return 0;
}

/*
 * Edits the text of an INI file so that [section] has name = value, read
 * the way inih reads it (config_load): every active "name = ..." line of
 * the section (it may appear more than once: the last one wins) is
 * replaced, and the indented lines after it, which inih reads as more of
 * its value, are dropped; else the line goes after the section's last
 * setting (unless an indented line follows, which would then be read as
 * more of it), else a new section is appended. Comments and every other line
 * stay as they are.
 */
static int ini_edit(const char *text, size_t len, const char *section, const char *name,
		    const char *val, dbuf *out)
{
	size_t pos = 0, insert_at = (size_t)-1, start = out->len;
	int in_section = 0, seen_section = 0, after_setting = 0, in_match = 0, replaced = 0;
	size_t nl = strlen(name), sl = strlen(section);
	int rc = 0;

	while (pos < len) {
		const char *line = text + pos;
		const char *eol = memchr(line, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - line) : len - pos;
		size_t next = pos + n + (eol ? 1 : 0);
		int drop = 0;

		/* inih reads a line as a C string: it ends at a NUL byte */
		const char *nul = memchr(line, '\0', n);
		if (nul)
			n = (size_t)(nul - line);
		size_t i = lead(line, n);

		if (i == n || line[i] == '#' || line[i] == ';') {
			/* blank or a comment: a multi-line value goes on after it */
		} else if (after_setting && i > 0) {
			/* inih's multi-line values: more of the previous setting */
			drop = in_match;
			if (in_section)
				insert_at = next;
		} else if (line[i] == '[') {
			const char *rb = memchr(line + i, ']', n - i);
			in_section = rb && (size_t)(rb - line - i - 1) == sl &&
				     strncmp(line + i + 1, section, sl) == 0;
			after_setting = in_match = 0;
			if (in_section) {
				seen_section = 1;
				insert_at = next;
			}
		} else {
			after_setting = 1;
			in_match = in_section && sets_name(line + i, n - i, name, nl);
			if (in_section)
				insert_at = next;
			if (in_match) {
				rc |= dbuf_printf(out, "%s = %s%s", name, val, eol ? "\n" : "");
				replaced = drop = 1;
			}
		}
		if (!drop)
			rc |= dbuf_append(out, line, next - pos);
		pos = next;
	}
	if (!replaced) {
		dbuf_truncate(out, start);
		if (seen_section && !indented_follows(text, len, insert_at)) {
			rc |= dbuf_append(out, text, insert_at);
			if (insert_at > 0 && text[insert_at - 1] != '\n')
				rc |= dbuf_putc(out, '\n');
			rc |= dbuf_printf(out, "%s = %s\n", name, val);
			rc |= dbuf_append(out, text + insert_at, len - insert_at);
		} else {
			rc |= dbuf_append(out, text, len);
			if (len > 0 && text[len - 1] != '\n')
				rc |= dbuf_putc(out, '\n');
			rc |= dbuf_printf(out, "%s[%s]\n%s = %s\n", len > 0 ? "\n" : "", section,
					  name, val);
		}
	}
	return rc ? docent_error_set(DOCENT_ENOMEM, "out of memory") : 0;
}

int config_file_set(const char *path, const char *key, const char *val)
{
	const char *dot = strchr(key, '.');
	dbuf old = DBUF_INIT, out = DBUF_INIT;
	char section[64], tmp[4200];
	FILE *f;
	int rc = 0;

	if (find_key(key) < 0 || !dot || (size_t)(dot - key) >= sizeof section)
		return docent_error_set(DOCENT_EINVAL, "unknown setting '%s'", key);
	if (strpbrk(val, "\n\r"))
		return docent_error_set(DOCENT_EINVAL, "a setting's value is one line");
	if (strlen(dot + 1) + 3 + strlen(val) > INI_LINE_MAX)
		return docent_error_set(DOCENT_EINVAL, "the value of %s is too long for a "
					"configuration file line (%d bytes at most)", key, INI_LINE_MAX);
	snprintf(section, sizeof section, "%.*s", (int)(dot - key), key);
	if ((f = fopen(path, "r")) != NULL) {
		char buf[8192];
		size_t got;
		while ((got = fread(buf, 1, sizeof buf, f)) > 0)
			if (dbuf_append(&old, buf, got)) {
				rc = docent_error_set(DOCENT_ENOMEM, "out of memory");
				break;
			}
		if (ferror(f))
			rc = docent_error_set(DOCENT_EIO, "cannot read %s: %s", path, strerror(errno));
		fclose(f);
	} else if (errno != ENOENT) {
		return docent_error_set(docent_error_from_errno(errno), "cannot read %s: %s", path,
					strerror(errno));
	}
	if (rc || (rc = make_parents(path)) != 0 ||
	    (rc = ini_edit(old.data ? old.data : "", old.len, section, dot + 1, val, &out)))
		goto done;
	/* written beside it and renamed: a crash leaves the old file or the new one */
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	if (!(f = fopen(tmp, "w"))) {
		rc = docent_error_set(docent_error_from_errno(errno), "cannot write %s: %s", tmp,
				      strerror(errno));
		goto done;
	}
	if (fwrite(out.data, 1, out.len, f) != out.len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = docent_error_set(DOCENT_EIO, "cannot write %s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		goto done;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		rc = docent_error_set(docent_error_from_errno(errno), "cannot replace %s: %s", path,
				      strerror(errno));
		unlink(tmp);
	}
done:
	dbuf_free(&old);
	dbuf_free(&out);
	return rc;
}

char *config_db_path(const config *c)
{
	dbuf b = DBUF_INIT;
	dbuf_printf(&b, "%s/docent.db", config_data_dir(c));
	return dbuf_detach(&b, NULL);
}

static int64_t get_int(const config *c, const char *key)
{
	return strtoll(config_get(c, key), NULL, 10);
}

static uint64_t get_size(const config *c, const char *key)
{
	uint64_t v = 0;
	config_parse_size(config_get(c, key), &v);
	return v;
}

static int get_bool(const config *c, const char *key)
{
	int v = 0;
	parse_bool(config_get(c, key), &v);
	return v;
}

/* Splits a list value into words (spaces, commas, or newlines separate
 * them; for redact_pattern only newlines do, patterns may hold spaces). */
static const char *const *get_list(const config *c, const char *key, size_t *n)
{
	config *m = (config *)c;
	int k = find_key(key);
	int whole_lines = strcmp(key, "clean.redact_pattern") == 0;
	const char *s = c->v[k].text;

	if (!m->lists[k] && s[0]) {
		size_t cap = 1;
		for (const char *p = s; *p; p++)
			cap++;
		m->lists[k] = calloc(cap, sizeof(char *));
		while (m->lists[k] && *s) {
			size_t len = whole_lines ? strcspn(s, "\n") : strcspn(s, " \t\n,");
			if (len > 0) {
				m->lists[k][m->nlist[k]] = strndup(s, len);
				if (m->lists[k][m->nlist[k]])
					m->nlist[k]++;
			}
			s += len;
			if (*s)
				s++;
		}
	}
	*n = m->nlist[k];
	return (const char *const *)m->lists[k];
}

void config_ingest_params(const config *c, ingest_params *p)
{
	size_t nnames, npat;
	const char *const *names, *const *pats;
	config *m = (config *)c;

	*p = ingest_default_params();
	p->collection = config_get(c, "ingest.collection");
	p->walk.max_file_size = get_size(c, "ingest.max_file_size");
	p->walk.include_hidden = get_bool(c, "ingest.include_hidden");
	p->walk.exclude = get_list(c, "ingest.exclude", &p->walk.nexclude);
	p->extract.max_unpacked_bytes = get_size(c, "ingest.max_unpacked_size");
	p->threads = (unsigned)get_int(c, "ingest.threads");
	p->commit_seconds = strtod(config_get(c, "ingest.commit_interval"), NULL);
	p->clean.dehyphenate = get_bool(c, "clean.dehyphenate");
	p->clean.collapse_whitespace = get_bool(c, "clean.collapse_whitespace");
	p->clean.drop_page_furniture = get_bool(c, "clean.drop_page_furniture");
	p->clean.redact_replacement = config_get(c, "clean.redact_replacement");
	/* redaction: built-in names and raw patterns, in one array owned here;
	 * the patterns marked "re:" so that only they are read as regexes */
	names = get_list(c, "clean.redact", &nnames);
	pats = get_list(c, "clean.redact_pattern", &npat);
	int k = find_key("clean.redact");
	if (nnames + npat > 0) {
		char **all = calloc(nnames + npat + 1, sizeof *all);
		if (all) {
			for (size_t i = 0; i < nnames; i++)
				all[i] = strdup(names[i]);
			for (size_t i = 0; i < npat; i++) {
				size_t len = strlen(CLEAN_REGEX_PREFIX) + strlen(pats[i]) + 1;
				if ((all[nnames + i] = malloc(len)))
					snprintf(all[nnames + i], len, "%s%s", CLEAN_REGEX_PREFIX,
						 pats[i]);
			}
			drop_list(m, k);
			m->lists[k] = all;
			m->nlist[k] = nnames + npat;
			p->clean.redact = (const char *const *)all;
			p->clean.nredact = nnames + npat;
		}
	}
	p->chunk.target_tokens = (size_t)get_int(c, "chunk.target_tokens");
	p->chunk.overlap_tokens = (size_t)get_int(c, "chunk.overlap_tokens");
}

void config_search_params(const config *c, store_search_params *p)
{
	*p = store_search_default_params();
	p->k = (size_t)get_int(c, "search.k");
	p->k1 = strtod(config_get(c, "search.k1"), NULL);
	p->b = strtod(config_get(c, "search.b"), NULL);
	p->snippet_tokens = (int)get_int(c, "search.snippet_words");
}

void config_pack_params(const config *c, pack_params *p)
{
	*p = pack_default_params();
	p->budget_tokens = (size_t)get_int(c, "answer.context_tokens");
}

void config_retrieve_params(const config *c, retrieve_params *p)
{
	*p = retrieve_default_params();
	config_search_params(c, &p->search);
	int mode = retrieve_mode_parse(config_get(c, "search.mode"));
	p->mode = mode < 0 ? RETRIEVE_AUTO : (retrieve_mode)mode;
	p->candidates = (size_t)get_int(c, "search.candidates");
	p->rrf_k = strtod(config_get(c, "search.rrf_k"), NULL);
	p->keyword_weight = strtod(config_get(c, "search.keyword_weight"), NULL);
	p->dense_weight = strtod(config_get(c, "search.dense_weight"), NULL);
}

void config_embedder_params(const config *c, embedder_params *p)
{
	*p = embedder_default_params();
	p->model = config_get(c, "engine.embed_model");
	p->query_prefix = config_get(c, "engine.query_prefix");
	p->document_prefix = config_get(c, "engine.document_prefix");
	p->threads = (int)get_int(c, "engine.threads");
}

void config_reranker_params(const config *c, reranker_params *p)
{
	*p = reranker_default_params();
	p->model = config_get(c, "engine.rerank_model");
	p->threads = (int)get_int(c, "engine.threads");
}

void config_vindex_params(const config *c, vindex_params *p)
{
	*p = vindex_default_params();
	const char *f = config_get(c, "vectors.index");
	p->factory = f[0] ? f : NULL;
	p->flat_max = (size_t)get_int(c, "vectors.flat_max");
	p->nprobe = (int)get_int(c, "vectors.nprobe");
	const char *sp = config_get(c, "vectors.search");
	p->search = sp[0] ? sp : NULL;
}

void config_generator_params(const config *c, generator_params *p, gen_options *o)
{
	*p = generator_default_params();
	*o = gen_default_options();
	p->model = config_get(c, "engine.chat_model");
	p->context = (int)get_int(c, "engine.context");
	p->threads = (int)get_int(c, "engine.threads");
	o->temperature = strtod(config_get(c, "engine.temperature"), NULL);
	o->max_tokens = (int)get_int(c, "engine.max_tokens");
}

void config_store_params(const config *c, store_params *p)
{
	*p = store_default_params();
	p->tokenizer = config_get(c, "store.tokenizer");
	int64_t mb = get_int(c, "search.cache_mb");
	p->search_cache_bytes = mb > 0 ? (size_t)(mb > 65536 ? 65536 : mb) << 20 : 0;
}

void config_answer_params(const config *c, answer_params *p)
{
	gen_options go;
	generator_params gp;

	*p = answer_default_params();
	config_retrieve_params(c, &p->retrieve);
	p->retrieve.search.k = (size_t)get_int(c, "answer.passages");
	config_pack_params(c, &p->pack);
	config_generator_params(c, &gp, &go);
	p->gen = go;
	p->min_coverage = strtod(config_get(c, "answer.min_coverage"), NULL);
	p->min_weighted_coverage = strtod(config_get(c, "answer.min_weighted_coverage"), NULL);
	p->extractive_units = (int)get_int(c, "answer.extractive_sentences");
	p->rerank_top = (size_t)get_int(c, "answer.rerank_passages");
}

char *config_prompts_dir(const config *c)
{
	const char *d = config_get(c, "answer.prompts_dir");
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *out = NULL;

	if (d[0])
		return strdup(d);
	if (x && x[0])
		return asprintf(&out, "%s/docent/prompts", x) < 0 ? NULL : out;
	return asprintf(&out, "%s/.config/docent/prompts", home ? home : ".") < 0 ? NULL : out;
}

int config_prompt(const config *c, const char *name, char **out)
{
	char *dir = config_prompts_dir(c);
	int rc;

	*out = NULL;
	if (!dir)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	rc = prompt_load(name, dir, out, NULL);
	free(dir);
	return rc;
}

int config_search_model(const config *c, store *st, const char *collection, char **spec)
{
	char *dir = config_models_dir(c);
	int rc;

	*spec = NULL;
	if (!dir)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	rc = retrieve_embedder_for(st, collection, config_get(c, "engine.embed_model"), dir, spec);
	free(dir);
	return rc;
}

int config_embedder_open(const config *c, const char *spec,
			 void (*on_warning)(void *ctx, const char *message), void *ctx,
			 embedder **out)
{
	embedder_params ep;
	char *path;
	int rc;

	*out = NULL;
	if ((rc = config_model_path(c, spec, &path)) != 0)
		return rc;
	config_embedder_params(c, &ep);
	ep.model = path;
	ep.on_warning = on_warning;
	ep.ctx = ctx;
	rc = embedder_open(out, &ep);
	free(path);
	if (rc)
		return docent_error_wrap(rc, "cannot open the embedding model");
	return 0;
}
