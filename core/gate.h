/*
 * gate.h - a bounded number of concurrent jobs with a bounded line of
 * waiters: the web server's language-model generations, which hold a
 * model context (not shareable) for seconds each.
 *
 * A job is admitted first (gate_admit: refused with DOCENT_EBUSY when
 * every slot is taken and the line is full, so the caller can answer at
 * once, e.g. HTTP 503), then waits for a slot (gate_wait, which a cancel
 * flag can end: a client that went away), then leaves (gate_leave). A slot
 * has a number 0..slots-1, so the caller can keep per-slot resources (one
 * model instance a slot) used by one job at a time. Waiters are served in
 * the order they were admitted.
 *
 * Ownership: gate_new() returns a gate freed with gate_free() once no job
 * holds or waits for a slot. Thread-safe: every call may come from any
 * thread.
 */
#ifndef DOCENT_CORE_GATE_H
#define DOCENT_CORE_GATE_H

typedef struct gate gate;

/* slots >= 1 jobs at once, at most `queue` >= 0 more waiting. */
int gate_new(gate **out, int slots, int queue);
void gate_free(gate *g);

/* A ticket: admitted, then holding a slot. */
typedef struct gate_ticket {
	unsigned long number;   /* order of admission */
	int slot;               /* the slot held; -1 while waiting, -2 once
	                           withdrawn by a cancelled wait */
} gate_ticket;

/* Admits a job when one of the slots or a place in the line is free;
 * DOCENT_EBUSY (with a message) otherwise. */
int gate_admit(gate *g, gate_ticket *t);

/*
 * Waits for a slot for the admitted ticket t (its turn in admission
 * order); t->slot is then the slot's number. `cancel` (may be NULL) is
 * polled every 50 ms: non-zero gives DOCENT_ECANCELLED, the ticket then
 * withdrawn (gate_leave is then a no-op).
 */
int gate_wait(gate *g, gate_ticket *t, const volatile int *cancel);

/* Gives the slot back (or withdraws a ticket that never waited). */
void gate_leave(gate *g, gate_ticket *t);

/* Jobs holding a slot and jobs waiting, for logs and tests. */
void gate_counts(gate *g, int *running, int *waiting);

#endif
