/*
 * web/util.c - the web server's pure helpers: route patterns, the
 * constant-time token check, safe upload names, integers from query
 * strings. No I/O, so tests/web/test_util.c checks them alone.
 */
#include "web/web_int.h"
#include "core/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int web_route_match(const char *pattern, const char *path, const char **args, size_t *lens,
		    size_t max, size_t *n)
{
	const char *p = pattern, *s = path;

	*n = 0;
	while (*p) {
		if (*p == '*') {
			const char *end = s;
			while (*end && *end != '/')
				end++;
			if (end == s)
				return 0;
			if (*n >= max)
				return 0;
			args[*n] = s;
			lens[*n] = (size_t)(end - s);
			(*n)++;
			s = end;
			p++;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *s == '\0';
}

int web_ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);

	/* walk the expected length whatever the input, so the time says
	 * nothing about how much of a guess was right */
	for (size_t i = 0; i < lb; i++) {
		unsigned char ca = i < la ? (unsigned char)a[i] : 0;
		diff |= (unsigned char)(ca ^ (unsigned char)b[i]);
	}
	return diff == 0;
}

int web_bearer_ok(const char *header, const char *token)
{
	if (!header || !token || !token[0])
		return 0;
	if (strncasecmp(header, "Bearer ", 7) != 0)
		return 0;
	header += 7;
	while (*header == ' ')
		header++;
	return web_ct_equal(header, token);
}

int web_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!host || !host[0])
		return 1;
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* Splits an HTTP authority "name", "name:port", "[v6]" or "[v6]:port" into
 * the name (brackets off) in name[n]; 0, or -1 when malformed or too long. */
static int authority_name(const char *a, char *name, size_t n)
{
	const char *end;
	size_t len;

	if (a[0] == '[') {
		if (!(end = strchr(a, ']')) || (end[1] && end[1] != ':'))
			return -1;
		a++;
	} else {
		end = strchr(a, ':');
		if (!end)
			end = a + strlen(a);
	}
	len = (size_t)(end - a);
	if (len == 0 || len >= n)
		return -1;
	memcpy(name, a, len);
	name[len] = '\0';
	return 0;
}

int web_host_header_local(const char *host)
{
	char name[256];

	if (!host)
		return 1; /* HTTP/1.0 without Host: not a browser */
	return authority_name(host, name, sizeof name) == 0 && web_host_is_loopback(name);
}

int web_origin_same(const char *origin, const char *host)
{
	const char *a;

	if (!origin)
		return 1;
	if (!host)
		return 0;
	if (strncasecmp(origin, "http://", 7) == 0)
		a = origin + 7;
	else if (strncasecmp(origin, "https://", 8) == 0)
		a = origin + 8;
	else
		return 0; /* "null" (a sandboxed page, a file) and anything else */
	return strcasecmp(a, host) == 0;
}

size_t web_utf8_floor(const char *s, size_t len, size_t pos)
{
	size_t at = pos;

	if (pos >= len)
		return len;
	/* a character has at most 3 continuation bytes; more are not UTF-8,
	 * and a cut anywhere in them will do (walking back over them all could
	 * reach 0 and leave nothing) */
	while (at > 0 && pos - at < 3 && ((unsigned char)s[at] & 0xC0) == 0x80)
		at--;
	return ((unsigned char)s[at] & 0xC0) == 0x80 ? pos : at;
}

int web_safe_name(const char *name, char *out, size_t n)
{
	const char *base = name, *p;
	size_t len, j = 0;
	enum { MAX_NAME = 200 };

	if (!name)
		return docent_error_set(DOCENT_EINVAL, "a file part has no file name");
	for (p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	len = strlen(base);
	if (len == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return docent_error_set(DOCENT_EINVAL, "'%s' is not a usable file name", name);
	if (base[0] == '.')
		return docent_error_set(DOCENT_EINVAL, "'%s': names starting with '.' are not "
					"accepted (hidden files are not ingested)", base);
	for (p = base; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			return docent_error_set(DOCENT_EINVAL, "a file name holds a control character");
	if (n < 2)
		return docent_error_set(DOCENT_EINVAL, "no room for a file name");
	if (len > MAX_NAME || len + 1 > n) {
		/* keep the extension: it chooses the extractor */
		size_t room = (n - 1 < MAX_NAME ? n - 1 : MAX_NAME);
		const char *dot = strrchr(base, '.');
		size_t ext = dot && strlen(dot) <= 16 ? strlen(dot) : 0;
		if (ext + 4 > room)
			ext = 0; /* a buffer too small to keep it */
		size_t head = web_utf8_floor(base, len, room - ext);
		if (head == 0)
			return docent_error_set(DOCENT_EINVAL, "no room for a file name");
		memcpy(out, base, head);
		memcpy(out + head, base + len - ext, ext);
		out[head + ext] = '\0';
		return 0;
	}
	for (p = base; *p; p++)
		out[j++] = *p;
	out[j] = '\0';
	return 0;
}

int web_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return docent_error_set(DOCENT_EINVAL, "an empty number");
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return docent_error_set(DOCENT_EINVAL, "'%s' is not a number from %ld to %ld",
					s, min, max);
	*out = v;
	return 0;
}
