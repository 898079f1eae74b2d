/*
 * test_config.c - defaults, the file, environment overrides, flags,
 * origins, bad values, and that config/docent.conf documents every key.
 */
#include "tests/testutil.h"

#include "config/config.h"
#include "core/error.h"

static char conf_path[1100];

static const char *write_conf(const char *text)
{
	const char *dir = temp_dir();
	snprintf(conf_path, sizeof conf_path, "%s/docent.conf", dir);
	FILE *f = fopen(conf_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return conf_path;
}

static void test_config__defaults(void **state)
{
	config *c;
	ingest_params ip;

	unsetenv("DOCENT_CHUNK_TARGET_TOKENS");
	setenv("DOCENT_CONFIG", "/nonexistent/docent.conf", 1);
	assert_int_equal(config_load(&c, NULL), 0);
	assert_null(config_file(c));
	assert_string_equal(config_get(c, "ingest.collection"), "default");
	assert_null(config_get(c, "no.such_key"));
	config_ingest_params(c, &ip);
	assert_int_equal(ip.chunk.target_tokens, 256);
	assert_int_equal(ip.walk.max_file_size, 100u << 20);
	assert_int_equal(ip.clean.nredact, 0);
	store_params sp;
	config_store_params(c, &sp);
	assert_int_equal(sp.search_cache_bytes, (size_t)32 << 20);
	config_free(c);
	/* the posting cache's budget, in MiB; 0 turns it off */
	setenv("DOCENT_SEARCH_CACHE_MB", "0", 1);
	assert_int_equal(config_load(&c, NULL), 0);
	config_store_params(c, &sp);
	assert_int_equal(sp.search_cache_bytes, 0);
	config_free(c);
	setenv("DOCENT_SEARCH_CACHE_MB", "5", 1);
	assert_int_equal(config_load(&c, NULL), 0);
	config_store_params(c, &sp);
	assert_int_equal(sp.search_cache_bytes, (size_t)5 << 20);
	config_free(c);
	unsetenv("DOCENT_SEARCH_CACHE_MB");
	unsetenv("DOCENT_CONFIG");
}

static void test_config__layers(void **state)
{
	config *c;
	ingest_params ip;
	const char *path = write_conf(
		"; comment\n[ingest]\ncollection = work\nexclude = *.log tmp/\nexclude = drafts/*\n"
		"[chunk]\ntarget_tokens = 300\n[clean]\nredact = email apikey\n"
		"redact_pattern = \\bPRJ-[0-9]{4}\\b\n");

	setenv("DOCENT_CHUNK_TARGET_TOKENS", "400", 1);
	assert_int_equal(config_load(&c, path), 0);
	assert_string_equal(config_file(c), path);
	assert_string_equal(config_get(c, "ingest.collection"), "work");
	assert_string_equal(config_get(c, "chunk.target_tokens"), "400");
	assert_int_equal(config_set(c, "ingest.collection", "cli", CONFIG_FLAG, "--collection"), 0);
	config_ingest_params(c, &ip);
	assert_string_equal(ip.collection, "cli");
	assert_int_equal(ip.chunk.target_tokens, 400);
	assert_int_equal(ip.walk.nexclude, 3);
	assert_string_equal(ip.walk.exclude[2], "drafts/*");
	assert_int_equal(ip.clean.nredact, 3);
	assert_string_equal(ip.clean.redact[0], "email");
	assert_string_equal(ip.clean.redact[2], "re:\\bPRJ-[0-9]{4}\\b");
	config_free(c);
	unsetenv("DOCENT_CHUNK_TARGET_TOKENS");
}

static void test_config__errors(void **state)
{
	config *c = NULL;

	assert_int_equal(config_load(&c, write_conf("[ingest]\nmax_file_size = lots\n")),
			 DOCENT_ECONFIG);
	assert_non_null(strstr(docent_error_message(), ":2:"));
	assert_non_null(strstr(docent_error_message(), "max_file_size"));
	assert_int_equal(config_load(&c, write_conf("[ingest]\ncolour = blue\n")), DOCENT_ECONFIG);
	assert_non_null(strstr(docent_error_message(), "colour"));
	assert_int_equal(config_load(&c, write_conf("this is not ini\n")), DOCENT_ECONFIG);
	assert_int_equal(config_load(&c, "/nonexistent/x.conf"), DOCENT_ECONFIG);
	setenv("DOCENT_SEARCH_K", "-3", 1);
	assert_int_equal(config_load(&c, NULL), DOCENT_ECONFIG);
	assert_non_null(strstr(docent_error_message(), "DOCENT_SEARCH_K"));
	unsetenv("DOCENT_SEARCH_K");
	assert_null(c);
}

static void test_config__sizes(void **state)
{
	uint64_t v;
	assert_int_equal(config_parse_size("100MB", &v), 0);
	assert_int_equal(v, 100u << 20);
	assert_int_equal(config_parse_size("512k", &v), 0);
	assert_int_equal(v, 512u << 10);
	assert_int_equal(config_parse_size("2 GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(config_parse_size("12", &v), 0);
	assert_int_equal(v, 12);
	assert_int_not_equal(config_parse_size("MB", &v), 0);
	assert_int_not_equal(config_parse_size("5 parsecs", &v), 0);
}

/* The shipped docent.conf must load and name every key with its default. */
static void check_documented(void *ctx, const char *key, const char *value,
			     config_origin origin, const char *where, const char *desc)
{
	const char *conf = ctx;
	const char *dot = strchr(key, '.');
	char section[64], line[256];

	snprintf(section, sizeof section, "[%.*s]", (int)(dot - key), key);
	snprintf(line, sizeof line, "\n%s =", dot + 1);
	if (!strstr(conf, section) || !strstr(conf, line))
		fail_msg("config/docent.conf does not document %s", key);
	assert_true(desc && desc[0]);
}

static void test_config__shipped_file_documents_every_key(void **state)
{
	char path[4200];
	config *c;
	char *text;

	snprintf(path, sizeof path, "%s/config/docent.conf", DOCENT_SRC_DIR);
	text = slurp(path, NULL);
	assert_int_equal(config_load(&c, path), 0);
	config_foreach(c, check_documented, text);
	config_free(c);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config__defaults),
		cmocka_unit_test(test_config__layers),
		cmocka_unit_test(test_config__errors),
		cmocka_unit_test(test_config__sizes),
		cmocka_unit_test(test_config__shipped_file_documents_every_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
