/*
 * cmd_serve.c - `docent serve`: the web page and the JSON API over HTTP
 * (web/server.h), until SIGINT or SIGTERM. The signals are blocked in
 * every thread and taken here with sigwait(), so a handler never runs in
 * the middle of a request and shutdown is an ordinary function call.
 */
#include "cli/cli.h"
#include "core/error.h"
#include "web/server.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

void help_serve(FILE *out)
{
	fprintf(out,
		"Usage: docent serve [--host HOST] [--port PORT] [--token-file FILE]\n\n"
		"Serves the web page and the JSON API (docs/api.md) from this computer.\n"
		"On loopback (127.0.0.1, ::1, localhost: the default) no token is needed.\n"
		"Any other address needs an access token, set as server.token in the\n"
		"configuration file, in DOCENT_TOKEN, or read from --token-file; every API\n"
		"request must then send 'Authorization: Bearer TOKEN'.\n\n"
		"Options:\n"
		"      --host HOST        address to listen on (default: server.host, 127.0.0.1)\n"
		"      --port PORT        port (default: server.port, 8080; 0: the system picks)\n"
		"      --token-file FILE  read the access token from the first line of FILE\n\n"
		"Prints 'docent: serving http://HOST:PORT/' on stderr once listening, then\n"
		"one line per request (method, path, status, milliseconds). Ctrl-C or\n"
		"SIGTERM stops it: requests in progress get 10 seconds to finish.\n"
		"Limits: server.max_body, server.max_upload, server.timeout,\n"
		"server.max_connections (docent config shows them).\n");
}

/* The first line of path, without its line end; NULL (printed) on error. */
static char *read_token_file(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "docent serve: cannot read the token file %s\n", path);
		return NULL;
	}
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (!line[0]) {
		fprintf(stderr, "docent serve: the token file %s is empty\n", path);
		return NULL;
	}
	return strdup(line);
}

int cmd_serve(cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "token-file", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	web_server_params p = web_server_default_params();
	const char *token_file = NULL;
	char *token = NULL;
	web_server *srv = NULL;
	sigset_t sigs;
	uint64_t size;
	int opt, sig, rc;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'H':
			if (cli_set_flag(c, "server.host", optarg, "--host"))
				return CLI_USAGE;
			break;
		case 'p': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 || v > 65535)
				return cli_usage(c, "--port takes a number from 0 to 65535, not '%s'",
						 optarg);
			if (cli_set_flag(c, "server.port", optarg, "--port"))
				return CLI_USAGE;
			break;
		}
		case 'T': token_file = optarg; break;
		default: return cli_usage(c, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage(c, "serve takes no arguments ('%s')", argv[optind]);
	if (token_file && !(token = read_token_file(token_file)))
		return CLI_FAIL;
	p.host = config_get(c->cfg, "server.host");
	p.port = atoi(config_get(c->cfg, "server.port"));
	p.token = token ? token : config_get(c->cfg, "server.token");
	if (config_parse_size(config_get(c->cfg, "server.max_body"), &size) == 0)
		p.max_body = size;
	if (config_parse_size(config_get(c->cfg, "server.max_upload"), &size) == 0)
		p.max_upload = size;
	p.timeout_s = atoi(config_get(c->cfg, "server.timeout"));
	p.max_connections = atoi(config_get(c->cfg, "server.max_connections"));
	p.max_per_ip = atoi(config_get(c->cfg, "server.max_per_ip"));
	p.workers = atoi(config_get(c->cfg, "server.workers"));
	p.version = DOCENT_VERSION;
	p.log = stderr;
	if (p.port < 0 || p.port > 65535 || p.timeout_s < 1 || p.max_connections < 1) {
		free(token);
		fprintf(stderr, "docent serve: server.port must be 0-65535, server.timeout and "
			"server.max_connections at least 1\n");
		return CLI_USAGE;
	}
	if (!web_host_is_loopback(p.host) && !(p.token && p.token[0])) {
		free(token);
		fprintf(stderr, "docent serve: serving on %s, beyond this computer, needs an access "
			"token.\nSet one in the environment, e.g.\n"
			"  DOCENT_TOKEN=$(openssl rand -hex 32) docent serve --host %s\n"
			"or as server.token in the configuration file, or pass --token-file FILE.\n"
			"Clients then send 'Authorization: Bearer TOKEN'.\n", p.host, p.host);
		return CLI_FAIL;
	}
	/* a first run may serve before anything is ingested: the page uploads */
	if (!cli_store(c, 1)) {
		free(token);
		return CLI_FAIL;
	}
	store_close(c->st);
	c->st = NULL;

	/* every thread the server starts inherits the blocked signals */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = web_server_start(&srv, c->cfg, &p);
	if (rc) {
		free(token);
		return cli_fail(rc, "cannot serve");
	}
	if (strchr(p.host, ':'))
		fprintf(stderr, "docent: serving http://[%s]:%d/\n", p.host, web_server_port(srv));
	else
		fprintf(stderr, "docent: serving http://%s:%d/\n", p.host, web_server_port(srv));
	fflush(stderr);
	sig = 0;
	sigwait(&sigs, &sig);
	fprintf(stderr, "docent: %s: stopping (requests in progress get 10 s)\n",
		sig == SIGINT ? "interrupted" : "terminated");
	web_server_stop(srv, 10000);
	fprintf(stderr, "docent: stopped\n");
	free(token);
	return CLI_OK;
}
