/*
 * test_util.c - the web server's pure helpers: route patterns, the
 * constant-time token check, safe upload names, query integers.
 */
#include "tests/testutil.h"

#include "core/error.h"
#include "web/web_int.h"

static void test_util__route_match(void **state)
{
	const char *args[4];
	size_t lens[4], n;

	assert_true(web_route_match("/api/health", "/api/health", args, lens, 4, &n));
	assert_int_equal(n, 0);
	assert_false(web_route_match("/api/health", "/api/health/", args, lens, 4, &n));
	assert_false(web_route_match("/api/health", "/api/healt", args, lens, 4, &n));
	assert_true(web_route_match("/api/documents/*/text", "/api/documents/42/text", args, lens,
				    4, &n));
	assert_int_equal(n, 1);
	assert_int_equal(lens[0], 2);
	assert_memory_equal(args[0], "42", 2);
	/* a star is one non-empty segment */
	assert_false(web_route_match("/api/documents/*", "/api/documents/", args, lens, 4, &n));
	assert_false(web_route_match("/api/documents/*", "/api/documents/4/text", args, lens, 4,
				     &n));
	assert_false(web_route_match("/api/documents/*/text", "/api/documents/4/texts", args,
				     lens, 4, &n));
	assert_true(web_route_match("/a/*/b/*", "/a/x/b/yy", args, lens, 4, &n));
	assert_int_equal(n, 2);
	assert_int_equal(lens[1], 2);
	/* more stars than room: no match rather than an overflow */
	assert_false(web_route_match("/a/*/*", "/a/x/y", args, lens, 1, &n));
}

static void test_util__ct_equal(void **state)
{
	assert_true(web_ct_equal("secret-token", "secret-token"));
	assert_false(web_ct_equal("secret-tokem", "secret-token"));
	assert_false(web_ct_equal("secret", "secret-token"));
	assert_false(web_ct_equal("secret-token-longer", "secret-token"));
	assert_false(web_ct_equal("", "x"));
	assert_true(web_ct_equal("", ""));
}

static void test_util__host_and_origin(void **state)
{
	assert_true(web_host_header_local(NULL));
	assert_true(web_host_header_local("127.0.0.1:8080"));
	assert_true(web_host_header_local("localhost"));
	assert_true(web_host_header_local("LOCALHOST:80"));
	assert_true(web_host_header_local("[::1]:8080"));
	assert_true(web_host_header_local("127.8.9.10"));
	assert_false(web_host_header_local("evil.example:8080"));
	assert_false(web_host_header_local("localhost.evil.example"));
	assert_false(web_host_header_local("192.168.1.5:8080"));
	assert_false(web_host_header_local("[::1"));
	assert_false(web_host_header_local(""));
	assert_false(web_host_header_local(":8080"));

	assert_true(web_origin_same(NULL, "127.0.0.1:8080"));
	assert_true(web_origin_same("http://127.0.0.1:8080", "127.0.0.1:8080"));
	assert_true(web_origin_same("HTTP://LocalHost:8080", "localhost:8080"));
	assert_false(web_origin_same("http://127.0.0.1:9999", "127.0.0.1:8080"));
	assert_false(web_origin_same("http://evil.example", "127.0.0.1:8080"));
	assert_false(web_origin_same("null", "127.0.0.1:8080"));
	assert_false(web_origin_same("http://127.0.0.1:8080", NULL));
}

static void test_util__bearer(void **state)
{
	assert_true(web_bearer_ok("Bearer abc", "abc"));
	assert_true(web_bearer_ok("bearer  abc", "abc"));
	assert_false(web_bearer_ok("Bearer abcd", "abc"));
	assert_false(web_bearer_ok("Basic abc", "abc"));
	assert_false(web_bearer_ok(NULL, "abc"));
	assert_false(web_bearer_ok("Bearer ", ""));
}

static void test_util__safe_name(void **state)
{
	char out[256];
	char longname[400];

	assert_int_equal(web_safe_name("report.pdf", out, sizeof out), 0);
	assert_string_equal(out, "report.pdf");
	assert_int_equal(web_safe_name("../../etc/passwd", out, sizeof out), 0);
	assert_string_equal(out, "passwd");
	assert_int_equal(web_safe_name("C:\\Users\\me\\notes.txt", out, sizeof out), 0);
	assert_string_equal(out, "notes.txt");
	assert_int_equal(web_safe_name("Grüße.md", out, sizeof out), 0);
	assert_string_equal(out, "Grüße.md");
	assert_int_equal(web_safe_name("..", out, sizeof out), DOCENT_EINVAL);
	assert_int_equal(web_safe_name("a/..", out, sizeof out), DOCENT_EINVAL);
	assert_int_equal(web_safe_name("dir/", out, sizeof out), DOCENT_EINVAL);
	assert_int_equal(web_safe_name("", out, sizeof out), DOCENT_EINVAL);
	assert_int_equal(web_safe_name(".hidden", out, sizeof out), DOCENT_EINVAL);
	assert_int_equal(web_safe_name("a\nb.txt", out, sizeof out), DOCENT_EINVAL);
	assert_int_equal(web_safe_name(NULL, out, sizeof out), DOCENT_EINVAL);
	/* a long name is cut on a character boundary, its extension kept */
	memset(longname, 0, sizeof longname);
	for (int i = 0; i < 150; i++)
		strcat(longname, "é");
	strcat(longname, ".docx");
	assert_int_equal(web_safe_name(longname, out, sizeof out), 0);
	assert_true(strlen(out) <= 200);
	assert_string_equal(out + strlen(out) - 5, ".docx");
	assert_int_not_equal(((unsigned char)out[strlen(out) - 6] & 0xC0), 0xC0);

	/* found by fuzz/fuzz_web.c: bytes that are not UTF-8 are cut, not
	 * walked back over to nothing */
	memset(longname, 0x86, 300);
	longname[0] = 'C';
	longname[300] = '\0';
	assert_int_equal(web_safe_name(longname, out, sizeof out), 0);
	assert_int_equal(strlen(out), 200);
	/* a buffer too small for the extension drops it rather than keep
	 * only ".docx" (a hidden file) or overflow */
	char small[6], tiny[3];
	assert_int_equal(web_safe_name("abcdefghij.docx", small, sizeof small), 0);
	assert_string_equal(small, "abcde");
	assert_int_equal(web_safe_name("abcdefghij.docx", tiny, sizeof tiny), 0);
	assert_string_equal(tiny, "ab");
}

static void test_util__parse_long(void **state)
{
	long v;

	assert_int_equal(web_parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(web_parse_long("101", 0, 100, &v), DOCENT_EINVAL);
	assert_int_equal(web_parse_long("-1", 0, 100, &v), DOCENT_EINVAL);
	assert_int_equal(web_parse_long("4x", 0, 100, &v), DOCENT_EINVAL);
	assert_int_equal(web_parse_long("", 0, 100, &v), DOCENT_EINVAL);
	assert_int_equal(web_parse_long("99999999999999999999999", 0, 100, &v), DOCENT_EINVAL);
}

static void test_util__utf8_floor(void **state)
{
	const char *s = "aé"; /* 'a', 0xC3, 0xA9 */

	assert_int_equal(web_utf8_floor(s, 3, 0), 0);
	assert_int_equal(web_utf8_floor(s, 3, 1), 1);
	assert_int_equal(web_utf8_floor(s, 3, 2), 1);
	assert_int_equal(web_utf8_floor(s, 3, 3), 3);
	assert_int_equal(web_utf8_floor(s, 3, 9), 3);
	/* at most 3 bytes back: more continuation bytes are not UTF-8 */
	assert_int_equal(web_utf8_floor("a\x86\x86\x86\x86\x86", 6, 5), 5);
	assert_int_equal(web_utf8_floor("\xe2\x82\xac", 3, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util__route_match),
		cmocka_unit_test(test_util__ct_equal),
		cmocka_unit_test(test_util__bearer),
		cmocka_unit_test(test_util__host_and_origin),
		cmocka_unit_test(test_util__safe_name),
		cmocka_unit_test(test_util__parse_long),
		cmocka_unit_test(test_util__utf8_floor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
