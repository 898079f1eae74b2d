/*
 * web/acceptor.c - the server's own accepting thread (see acceptor.h).
 *
 * Each open connection has a slot, with its address for the per-address
 * limit, from its accept() until MHD says it closed. A connection handed
 * to MHD is only queued for its thread, which may still fail to take it
 * (out of memory) without a notification; so a slot stays HANDED until
 * MHD says the connection started, and one whose socket number comes
 * back from accept() was closed unstarted: its slot is free then.
 *
 * Both limits are kept here, not by MHD: MHD tells of a closed
 * connection before it forgets its address, so a client that closed one
 * connection and opened another at once could be refused by MHD's own
 * per-address count.
 */
#include "web/acceptor.h"
#include "core/error.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REPORT_EVERY_S 10

/* An open connection, from its accept() to MHD's notice that it closed */
typedef struct conn_slot {
	int state;              /* FREE, HANDED (to MHD, not yet started), OPEN */
	int fd;
	struct sockaddr_storage addr;
} conn_slot;
enum { FREE, HANDED, OPEN };

struct web_acceptor {
	int fd;                 /* listening, borrowed */
	int wake[2];            /* a byte here stops the thread's poll */
	struct MHD_Daemon **d;  /* borrowed */
	int nd;
	void (*report)(void *ctx, const char *message);
	void *report_ctx;
	pthread_t thread;
	int started;
	int max, max_per_ip;
	pthread_mutex_t lock;   /* everything below */
	pthread_cond_t room;    /* a connection closed, or stop */
	int stop;
	int open;               /* slots not FREE */
	conn_slot *slots;       /* max of them */
	int next;               /* the daemon the next connection goes to */
};

unsigned web_acceptor_mhd_limit(int max_connections)
{
	/* twice the count covers connections MHD has reported closed but
	 * not yet freed */
	return 2u * (unsigned)max_connections;
}

int web_acceptor_new(web_acceptor **out, int fd, int max_connections, int max_per_ip)
{
	web_acceptor *a;
	int flags;

	*out = NULL;
	a = calloc(1, sizeof *a);
	if (!a)
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	a->max = max_connections > 0 ? max_connections : 1;
	a->max_per_ip = max_per_ip > 0 ? max_per_ip : a->max;
	a->slots = calloc((size_t)a->max, sizeof *a->slots);
	if (!a->slots || pipe2(a->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		free(a->slots);
		free(a);
		return docent_error_set(DOCENT_ENOMEM, "cannot set up the server's acceptor: %s",
					strerror(errno));
	}
	/* poll() may say a connection waits, which the client then resets:
	 * accept() must not block for the next one then */
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	a->fd = fd;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->room, NULL);
	*out = a;
	return 0;
}

static void slot_free(web_acceptor *a, conn_slot *c)
{
	c->state = FREE;
	a->open--;
	pthread_cond_signal(&a->room);
}

/* The slot of a socket handed over and not yet started, or NULL. */
static conn_slot *slot_handed(web_acceptor *a, int fd)
{
	for (int i = 0; i < a->max; i++)
		if (a->slots[i].state == HANDED && a->slots[i].fd == fd)
			return &a->slots[i];
	return NULL;
}

static int same_address(const struct sockaddr_storage *x, const struct sockaddr_storage *y)
{
	if (x->ss_family != y->ss_family)
		return 0;
	if (x->ss_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)x)->sin_addr,
			       &((const struct sockaddr_in *)y)->sin_addr, sizeof(struct in_addr));
	if (x->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)x)->sin6_addr,
			       &((const struct sockaddr_in6 *)y)->sin6_addr, sizeof(struct in6_addr));
	return 1;
}

void web_acceptor_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			 enum MHD_ConnectionNotificationCode code)
{
	web_acceptor *a = cls;
	const union MHD_ConnectionInfo *ci;
	conn_slot *slot;

	pthread_mutex_lock(&a->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		slot = ci ? slot_handed(a, ci->connect_fd) : NULL;
		if (slot)
			slot->state = OPEN;
		*socket_context = slot;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		slot_free(a, *socket_context);
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&a->lock);
}

/* Waits for room under the limit; 0 when the acceptor is to stop. */
static int wait_room(web_acceptor *a)
{
	int go;

	pthread_mutex_lock(&a->lock);
	while (a->open >= a->max && !a->stop)
		pthread_cond_wait(&a->room, &a->lock);
	go = !a->stop;
	pthread_mutex_unlock(&a->lock);
	return go;
}

/* Out of file descriptors or memory: a line now and then, a pause. */
static void accept_failed(web_acceptor *a, int err, time_t *last_report)
{
	struct timespec pause = { 0, 100 * 1000000L };
	time_t now = time(NULL);

	if (a->report && now - *last_report >= REPORT_EVERY_S) {
		char msg[256];
		snprintf(msg, sizeof msg, "cannot accept a connection: %s (raise the limit of "
			 "open files, ulimit -n, or lower server.max_connections); trying again",
			 strerror(err));
		a->report(a->report_ctx, msg);
		*last_report = now;
	}
	nanosleep(&pause, NULL);
}

/* Takes a slot for a new connection and hands it to MHD, or closes it
 * when its address has max_per_ip open. Called with room for it. */
static void hand_over(web_acceptor *a, int cfd, const struct sockaddr_storage *ss,
		      socklen_t len)
{
	conn_slot *slot = NULL;
	struct MHD_Daemon *d = NULL;
	int same = 0;

	pthread_mutex_lock(&a->lock);
	/* a number accept() gives again was closed: if MHD never started
	 * that connection (out of memory), its slot is free now */
	if ((slot = slot_handed(a, cfd)) != NULL)
		slot_free(a, slot);
	slot = NULL;
	for (int i = 0; i < a->max; i++) {
		if (a->slots[i].state == FREE)
			slot = slot ? slot : &a->slots[i];
		else
			same += same_address(&a->slots[i].addr, ss);
	}
	assert(slot); /* wait_room() let this connection in */
	if (same < a->max_per_ip) {
		slot->state = HANDED;
		slot->fd = cfd;
		slot->addr = *ss;
		a->open++;
		/* in turn: the fewest open would count those closing, and a
		 * daemon that noticed its closes first would get a whole burst */
		d = a->d[a->next];
		a->next = (a->next + 1) % a->nd;
	}
	pthread_mutex_unlock(&a->lock);
	if (same >= a->max_per_ip) {
		close(cfd);
		if (a->report) {
			char msg[200];
			snprintf(msg, sizeof msg, "a connection closed at once: server.max_per_ip "
				 "(%d) connections from its address are open (the per-address "
				 "connection limit; raise it if one client needs more)",
				 a->max_per_ip);
			a->report(a->report_ctx, msg);
		}
		return;
	}
	/* MHD closes the socket if it cannot take it */
	if (MHD_add_connection(d, cfd, (const struct sockaddr *)ss, len) != MHD_YES) {
		pthread_mutex_lock(&a->lock);
		if ((slot = slot_handed(a, cfd)) != NULL)
			slot_free(a, slot);
		pthread_mutex_unlock(&a->lock);
	}
}

static void *acceptor_main(void *arg)
{
	web_acceptor *a = arg;
	time_t last_report = 0;

	while (wait_room(a)) {
		struct pollfd pf[2] = { { a->fd, POLLIN, 0 }, { a->wake[0], POLLIN, 0 } };
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int cfd;

		if (poll(pf, 2, -1) < 0)
			continue; /* EINTR */
		if (pf[1].revents)
			break;
		cfd = accept4(a->fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd >= 0)
			hand_over(a, cfd, &ss, len);
		else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			accept_failed(a, errno, &last_report);
		/* else the client left before it was accepted, or a signal */
	}
	return NULL;
}

int web_acceptor_start(web_acceptor *a, struct MHD_Daemon **d, int n,
		       void (*report)(void *ctx, const char *message), void *ctx)
{
	a->d = d;
	a->nd = n;
	a->report = report;
	a->report_ctx = ctx;
	if (pthread_create(&a->thread, NULL, acceptor_main, a) != 0)
		return docent_error_set(DOCENT_ENOMEM, "cannot start the server's acceptor thread");
	a->started = 1;
	return 0;
}

void web_acceptor_stop(web_acceptor *a)
{
	if (!a || !a->started)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = 1;
	pthread_cond_broadcast(&a->room);
	pthread_mutex_unlock(&a->lock);
	if (write(a->wake[1], "", 1) < 0) {
		/* the pipe is full: a byte is already there to wake it */
	}
	pthread_join(a->thread, NULL);
	a->started = 0;
}

void web_acceptor_free(web_acceptor *a)
{
	if (!a)
		return;
	web_acceptor_stop(a);
	close(a->wake[0]);
	close(a->wake[1]);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->room);
	free(a->slots);
	free(a);
}
