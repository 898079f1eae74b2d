/*
 * model_spec.c - parsing the string that names a model (see model_spec.h).
 *
 * The forms are told apart by their start: "http://" and "https://" are
 * OpenAI-compatible servers, "ollama://" and "ollama:" are Ollama, anything
 * else ending in ".gguf" is a file. Surrounding white space is ignored (it
 * creeps in from configuration files and environment variables). Nothing
 * is checked on disk or on the network here: opening the model does that.
 */
#include "engine/model_spec.h"
#include "core/error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FORMS \
	"use one of: /path/to/model.gguf, name.gguf (in the models directory), " \
	"http://HOST:PORT/v1#MODEL (an OpenAI-compatible server), " \
	"ollama://HOST:PORT#MODEL or ollama:MODEL (Ollama)"

#define OLLAMA_DEFAULT "http://127.0.0.1:11434"

static int bad(const char *spec, const char *why)
{
	return docent_error_set(DOCENT_EINVAL, "model \"%.200s%s\": %s; %s", spec,
				strlen(spec) > 200 ? "..." : "", why, FORMS);
}

/* Non-zero when s[0..n) holds white space or a control character. */
static int has_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isspace((unsigned char)s[i]) || (unsigned char)s[i] < 0x20)
			return 1;
	return 0;
}

/* Copies s[0..n) into dst[cap] as a string; non-zero when it does not fit. */
static int copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* Checks and copies the model name after '#' (or after "ollama:"). */
static int set_model(const char *spec, model_spec *out, const char *m, size_t n)
{
	if (n == 0)
		return bad(spec, "the model name is missing (it goes after '#')");
	if (has_space(m, n))
		return bad(spec, "the model name contains white space");
	if (copy(out->model, sizeof out->model, m, n))
		return bad(spec, "the model name is too long");
	return 0;
}

/* The host part "HOST[:PORT][/path]" must at least name a host. */
static int host_ok(const char *h, size_t n)
{
	return n > 0 && h[0] != '/' && h[0] != ':' && h[0] != '#' && !has_space(h, n);
}

static int parse_openai(const char *spec, const char *s, size_t n, model_spec *out)
{
	const char *hash = memchr(s, '#', n);
	size_t scheme = strncmp(s, "https://", 8) == 0 ? 8 : 7;

	if (!hash)
		return bad(spec, "a server URL needs the model name after '#', as in "
				 "http://127.0.0.1:8080/v1#my-model");
	size_t ulen = (size_t)(hash - s);
	while (ulen > scheme && s[ulen - 1] == '/')
		ulen--;
	if (!host_ok(s + scheme, ulen - scheme))
		return bad(spec, "the URL names no host");
	if (copy(out->url, sizeof out->url, s, ulen))
		return bad(spec, "the URL is too long");
	out->backend = MODEL_OPENAI;
	return set_model(spec, out, hash + 1, (size_t)(s + n - hash - 1));
}

static int parse_ollama_url(const char *spec, const char *s, size_t n, model_spec *out)
{
	const char *host = s + 9; /* after "ollama://" */
	const char *hash = memchr(s, '#', n);

	if (!hash)
		return bad(spec, "an Ollama URL needs the model name after '#', as in "
				 "ollama://127.0.0.1:11434#nomic-embed-text");
	size_t hlen = (size_t)(hash - host);
	while (hlen > 0 && host[hlen - 1] == '/')
		hlen--;
	if (!host_ok(host, hlen) || memchr(host, '/', hlen))
		return bad(spec, "an Ollama URL is ollama://HOST:PORT#MODEL, with no path");
	/* A host without a port gets Ollama's; "]" ends an IPv6 address. */
	const char *rb = memchr(host, ']', hlen);
	const char *from = rb ? rb : host;
	int has_port = memchr(from, ':', hlen - (size_t)(from - host)) != NULL;
	int w = snprintf(out->url, sizeof out->url, "http://%.*s%s", (int)hlen, host,
			 has_port ? "" : ":11434");
	if (w < 0 || (size_t)w >= sizeof out->url)
		return bad(spec, "the URL is too long");
	out->backend = MODEL_OLLAMA;
	return set_model(spec, out, hash + 1, (size_t)(s + n - hash - 1));
}

static int parse_gguf(const char *spec, const char *s, size_t n, const char *models_dir,
		      model_spec *out)
{
	int w;

	if (!memchr(s, '/', n) && models_dir && *models_dir) {
		size_t dl = strlen(models_dir);
		while (dl > 1 && models_dir[dl - 1] == '/')
			dl--;
		w = snprintf(out->path, sizeof out->path, "%.*s/%.*s", (int)dl, models_dir,
			     (int)n, s);
	} else {
		w = snprintf(out->path, sizeof out->path, "%.*s", (int)n, s);
	}
	if (w < 0 || (size_t)w >= sizeof out->path)
		return bad(spec, "the path is too long");
	out->backend = MODEL_GGUF;
	return 0;
}

int model_spec_parse(const char *spec, const char *models_dir, model_spec *out)
{
	memset(out, 0, sizeof *out);
	if (!spec)
		return bad("", "no model was given");

	const char *s = spec;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return bad(spec, "no model was given");

	if (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0)
		return parse_openai(spec, s, n, out);
	if (strncmp(s, "ollama://", 9) == 0)
		return parse_ollama_url(spec, s, n, out);
	if (strncmp(s, "ollama:", 7) == 0) {
		memcpy(out->url, OLLAMA_DEFAULT, sizeof OLLAMA_DEFAULT);
		out->backend = MODEL_OLLAMA;
		return set_model(spec, out, s + 7, n - 7);
	}
	const char *colon_slash = strstr(s, "://");
	if (colon_slash && (size_t)(colon_slash - s) < n)
		return bad(spec, "that kind of URL is not supported (only http, https and ollama)");
	if (n > 5 && strncasecmp(s + n - 5, ".gguf", 5) == 0)
		return parse_gguf(spec, s, n, models_dir, out);
	return bad(spec, "this is neither a .gguf file nor a server URL");
}

void model_spec_id(const model_spec *spec, char *out, size_t cap)
{
	const char *slash;

	switch (spec->backend) {
	case MODEL_GGUF:
		slash = strrchr(spec->path, '/');
		snprintf(out, cap, "%s", slash ? slash + 1 : spec->path);
		break;
	case MODEL_OPENAI:
	case MODEL_OLLAMA:
		snprintf(out, cap, "%s:%s", spec->backend == MODEL_OLLAMA ? "ollama" : "openai",
			 spec->model);
		break;
	default:
		snprintf(out, cap, "%s", "");
	}
}
