/*
 * web/acceptor.h - accepts the server's connections on a thread of its
 * own and hands them in turn to the libmicrohttpd daemons (one per
 * worker thread), so that the threads share them evenly.
 *
 * Left to MHD's own pool, each of its threads accepts for itself, and
 * the one not busy takes most of a burst (42 and 58 of 64 connections
 * seen): MHD serves a thread's connections in a strict round, so that
 * thread's clients wait for rounds twice as long or more. MHD's
 * MHD_add_connection on a pool picks the thread by the socket's number,
 * which is no better: a thread that closes its connections frees numbers
 * of its own kind, and the next burst takes them (42 of 64 seen).
 *
 * The acceptor also keeps the limits: beyond server.max_connections, a
 * new connection waits in the listen queue until one closes; beyond
 * server.max_per_ip from one address, it is closed at once. Each
 * daemon's own limit must be set well above (web_acceptor_mhd_limit),
 * since libmicrohttpd 0.9.75 mishandles a handed connection that meets
 * its limit, and MHD's per-address limit left off. The count follows
 * MHD's connection notifications: pass web_acceptor_notify as
 * MHD_OPTION_NOTIFY_CONNECTION to every daemon.
 *
 * Thread-safe as used: web_acceptor_notify runs on MHD's threads, the
 * rest on the server's.
 */
#ifndef DOCENT_WEB_ACCEPTOR_H
#define DOCENT_WEB_ACCEPTOR_H

#include <microhttpd.h>

typedef struct web_acceptor web_acceptor;

/* A new acceptor for the listening socket `fd` (borrowed: the caller
 * closes it after web_acceptor_free; made non-blocking here), keeping at
 * most `max_connections` open, `max_per_ip` of them from one address
 * (0: as many as max_connections; one more is closed at once). 0, or
 * DOCENT_ENOMEM with the message set. */
int web_acceptor_new(web_acceptor **out, int fd, int max_connections, int max_per_ip);

/* The connection limit to give each daemon (MHD_OPTION_CONNECTION_LIMIT):
 * every connection, and as many closing, so MHD never refuses one handed
 * to it. */
unsigned web_acceptor_mhd_limit(int max_connections);

/* MHD's connection notification (cls: the acceptor). */
void web_acceptor_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			 enum MHD_ConnectionNotificationCode code);

/* Starts accepting for the `n` daemons `d` (borrowed, array and daemons,
 * until web_acceptor_stop); `report` (may be NULL) receives a line, with
 * `ctx`, when a connection is refused (the per-address limit) or
 * accepting fails (out of file descriptors). 0, or DOCENT_ENOMEM when
 * the thread cannot start. */
int web_acceptor_start(web_acceptor *a, struct MHD_Daemon **d, int n,
		       void (*report)(void *ctx, const char *message), void *ctx);

/* Stops accepting: a connection not yet accepted waits in the listen
 * queue until the socket closes. Returns once the thread has ended. */
void web_acceptor_stop(web_acceptor *a);

/* Frees the acceptor (stopping it first); NULL is fine. */
void web_acceptor_free(web_acceptor *a);

#endif
