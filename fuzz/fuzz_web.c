/*
 * fuzz_web.c - the parts of an HTTP request that docent's own code reads
 * (web/util.c; libmicrohttpd parses the HTTP itself, and jansson the JSON
 * bodies): the path against every route pattern, the Authorization,
 * Host and Origin headers, an upload's file name, integers from the query
 * string. The
 * input is up to four NUL-separated strings after a first byte that sizes
 * the name buffer. Checks that an accepted upload name is one that is safe
 * to create: no folder, not hidden, no control character, within the
 * buffer and 200 bytes.
 */
#include "fuzz/fuzz.h"
#include "core/error.h"
#include "web/web_int.h"

static void check_name(const char *name, size_t cap)
{
	char *out = malloc(cap); /* exactly cap bytes, so an overflow is seen */

	if (!out)
		return;
	if (web_safe_name(name, out, cap) == 0) {
		size_t n = strlen(out);
		FUZZ_CHECK(n > 0 && n < cap && n <= 200);
		FUZZ_CHECK(out[0] != '.');
		FUZZ_CHECK(!strchr(out, '/') && !strchr(out, '\\'));
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7F);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *field[4] = { "", "", "", "" };
	size_t nf = 0;

	if (size < 1)
		return 0;
	size_t cap = 1 + data[0]; /* 1..256: the server passes 256 */
	if (!(buf = malloc(size)))
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (char *p = buf; nf < 4; nf++) {
		field[nf] = p;
		p += strlen(p);
		if (p == buf + size - 1)
			break;
		p++;
	}

	/* the path, against each route's pattern */
	for (size_t i = 0; i < web_nroutes; i++) {
		const char *args[4];
		size_t lens[4], n;
		if (web_route_match(web_routes[i].pattern, field[0], args, lens, 4, &n)) {
			for (size_t j = 0; j < n; j++) {
				FUZZ_CHECK(lens[j] > 0 && args[j] >= field[0]);
				FUZZ_CHECK(args[j] + lens[j] <= field[0] + strlen(field[0]));
				FUZZ_CHECK(!memchr(args[j], '/', lens[j]));
			}
		}
	}
	check_name(field[1], cap);
	check_name(field[0], 256);
	web_bearer_ok(field[2], field[3]);
	FUZZ_CHECK(web_bearer_ok(field[2], "") == 0);
	/* Host and Origin: a host accepted without a token names loopback; an
	 * Origin accepted for a change names the same authority */
	if (field[2][0] && web_host_header_local(field[2]))
		FUZZ_CHECK(strchr(field[2], ':') || strncasecmp(field[2], "localhost", 9) == 0 ||
			   strncmp(field[2], "127.", 4) == 0);
	if (web_origin_same(field[3], field[2])) {
		const char *a = strstr(field[3], "://");
		FUZZ_CHECK(a && strcasecmp(a + 3, field[2]) == 0);
	}
	long v;
	if (web_parse_long(field[3], -1000, 1000, &v) == 0)
		FUZZ_CHECK(v >= -1000 && v <= 1000);
	size_t len = strlen(field[1]);
	for (size_t pos = 0; pos <= len + 1 && pos < 300; pos++)
		FUZZ_CHECK(web_utf8_floor(field[1], len, pos) <= len);
	free(buf);
	docent_error_clear();
	return 0;
}
