/*
 * gate.c - slots and a bounded line (gate.h): one mutex, one condition
 * variable; admission numbers tickets, and a waiter may take a slot only
 * when every ticket admitted before it has one, so the line is fair.
 */
#include "core/gate.h"
#include "core/error.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* the slot of a ticket withdrawn by a cancelled wait: nothing to give back */
#define GONE (-2)

struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int slots, queue;
	int running, waiting;   /* holding a slot; admitted and not holding one */
	unsigned char *busy;    /* busy[i]: slot i is held */
	unsigned long next;     /* the next admission number */
	unsigned long served;   /* tickets below this have had their turn */
	unsigned long *gone;    /* numbers withdrawn while waiting (skipped) */
	size_t ngone, capgone;
};

int gate_new(gate **out, int slots, int queue)
{
	gate *g;

	*out = NULL;
	if (slots < 1 || queue < 0)
		return docent_error_set(DOCENT_EINVAL, "a gate needs at least one slot and a "
					"line of zero or more (got %d and %d)", slots, queue);
	if (!(g = calloc(1, sizeof *g)) || !(g->busy = calloc((size_t)slots, 1))) {
		free(g);
		return docent_error_set(DOCENT_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->slots = slots;
	g->queue = queue;
	*out = g;
	return 0;
}

void gate_free(gate *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g->busy);
	free(g->gone);
	free(g);
}

int gate_admit(gate *g, gate_ticket *t)
{
	int rc = 0;

	pthread_mutex_lock(&g->mu);
	if (g->running + g->waiting >= g->slots + g->queue) {
		rc = docent_error_set(DOCENT_EBUSY, "busy: %d answer%s being written and %d "
				      "waiting; try again shortly", g->running,
				      g->running == 1 ? "" : "s", g->waiting);
	} else {
		t->number = g->next++;
		t->slot = -1;
		g->waiting++;
	}
	pthread_mutex_unlock(&g->mu);
	return rc;
}

/* Moves `served` past tickets that withdrew, so they hold up nobody.
 * Called with the mutex held. */
static void skip_gone(gate *g)
{
	for (size_t i = 0; i < g->ngone;) {
		if (g->gone[i] == g->served) {
			g->served++;
			g->gone[i] = g->gone[--g->ngone];
			i = 0;
		} else {
			i++;
		}
	}
}

static int withdraw(gate *g, gate_ticket *t)
{
	/* a ticket that cannot be remembered as gone would block the line:
	 * the array only grows with waiters, which the queue bounds */
	if (g->ngone == g->capgone) {
		size_t cap = g->capgone ? g->capgone * 2 : 8;
		unsigned long *p = realloc(g->gone, cap * sizeof *p);
		if (!p)
			return -1;
		g->gone = p;
		g->capgone = cap;
	}
	g->gone[g->ngone++] = t->number;
	g->waiting--;
	skip_gone(g);
	pthread_cond_broadcast(&g->cv);
	return 0;
}

int gate_wait(gate *g, gate_ticket *t, const volatile int *cancel)
{
	pthread_mutex_lock(&g->mu);
	for (;;) {
		if (t->number == g->served && g->running < g->slots) {
			int i = 0;
			while (g->busy[i])
				i++;
			g->busy[i] = 1;
			t->slot = i;
			g->running++;
			g->waiting--;
			g->served++;
			skip_gone(g);
			pthread_cond_broadcast(&g->cv);
			pthread_mutex_unlock(&g->mu);
			return 0;
		}
		if (cancel && *cancel) {
			while (withdraw(g, t) != 0) {
				/* out of memory: wait for the turn, then give it back */
				pthread_mutex_unlock(&g->mu);
				gate_wait(g, t, NULL);
				gate_leave(g, t);
				t->slot = GONE;
				return docent_error_set(DOCENT_ECANCELLED, "stopped while waiting");
			}
			t->slot = GONE;
			pthread_mutex_unlock(&g->mu);
			return docent_error_set(DOCENT_ECANCELLED, "stopped while waiting");
		}
		if (cancel) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 50 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&g->cv, &g->mu, &ts);
		} else {
			pthread_cond_wait(&g->cv, &g->mu);
		}
	}
}

void gate_leave(gate *g, gate_ticket *t)
{
	if (t->slot == GONE)
		return;
	pthread_mutex_lock(&g->mu);
	if (t->slot >= 0) {
		g->busy[t->slot] = 0;
		g->running--;
		t->slot = -1;
	} else if (withdraw(g, t) != 0) {
		/* cannot note it: take the turn and give it back at once */
		pthread_mutex_unlock(&g->mu);
		gate_wait(g, t, NULL);
		gate_leave(g, t);
		return;
	}
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

void gate_counts(gate *g, int *running, int *waiting)
{
	pthread_mutex_lock(&g->mu);
	*running = g->running;
	*waiting = g->waiting;
	pthread_mutex_unlock(&g->mu);
}
