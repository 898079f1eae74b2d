/*
 * test_gate.c - the generation gate: slots then a bounded line (busy
 * beyond it), waiters served in admission order, a cancelled waiter
 * leaving its place, slot numbers reused.
 */
#include "tests/testutil.h"

#include <pthread.h>
#include <unistd.h>

#include "core/error.h"
#include "core/gate.h"

static void test_gate__slots_then_line_then_busy(void **state)
{
	gate *g;
	gate_ticket a, b, c, d;
	int running, waiting;

	assert_int_equal(gate_new(&g, 1, 2), 0);
	assert_int_equal(gate_admit(g, &a), 0);
	assert_int_equal(gate_wait(g, &a, NULL), 0);
	assert_int_equal(a.slot, 0);
	assert_int_equal(gate_admit(g, &b), 0);
	assert_int_equal(gate_admit(g, &c), 0);
	assert_int_equal(gate_admit(g, &d), DOCENT_EBUSY);
	assert_non_null(strstr(docent_error_message(), "busy"));
	gate_counts(g, &running, &waiting);
	assert_int_equal(running, 1);
	assert_int_equal(waiting, 2);
	gate_leave(g, &a);
	assert_int_equal(gate_wait(g, &b, NULL), 0);
	assert_int_equal(b.slot, 0);
	/* the line has room again */
	assert_int_equal(gate_admit(g, &d), 0);
	gate_leave(g, &b);
	assert_int_equal(gate_wait(g, &c, NULL), 0);
	gate_leave(g, &c);
	assert_int_equal(gate_wait(g, &d, NULL), 0);
	gate_leave(g, &d);
	gate_counts(g, &running, &waiting);
	assert_int_equal(running + waiting, 0);
	gate_free(g);
}

static void test_gate__two_slots(void **state)
{
	gate *g;
	gate_ticket a, b;

	assert_int_equal(gate_new(&g, 2, 0), 0);
	assert_int_equal(gate_admit(g, &a), 0);
	assert_int_equal(gate_admit(g, &b), 0);
	assert_int_equal(gate_wait(g, &a, NULL), 0);
	assert_int_equal(gate_wait(g, &b, NULL), 0);
	assert_int_not_equal(a.slot, b.slot);
	gate_leave(g, &a);
	gate_leave(g, &b);
	gate_free(g);
}

static void test_gate__cancelled_waiter_leaves_its_place(void **state)
{
	gate *g;
	gate_ticket a, b, c;
	volatile int cancel = 1;

	assert_int_equal(gate_new(&g, 1, 2), 0);
	assert_int_equal(gate_admit(g, &a), 0);
	assert_int_equal(gate_wait(g, &a, NULL), 0);
	assert_int_equal(gate_admit(g, &b), 0);
	assert_int_equal(gate_admit(g, &c), 0);
	assert_int_equal(gate_wait(g, &b, &cancel), DOCENT_ECANCELLED);
	gate_leave(g, &b); /* a no-op after a cancelled wait */
	gate_leave(g, &a);
	/* c came after b, which withdrew: c is not held up */
	cancel = 0;
	assert_int_equal(gate_wait(g, &c, &cancel), 0);
	gate_leave(g, &c);
	gate_free(g);
}

typedef struct waiter {
	gate *g;
	gate_ticket t;
	int rc;
	int *order, *norder;
	pthread_mutex_t *mu;
} waiter;

static void *wait_thread(void *arg)
{
	waiter *w = arg;
	w->rc = gate_wait(w->g, &w->t, NULL);
	pthread_mutex_lock(w->mu);
	w->order[(*w->norder)++] = (int)w->t.number;
	pthread_mutex_unlock(w->mu);
	usleep(2000);
	gate_leave(w->g, &w->t);
	return NULL;
}

static void test_gate__waiters_in_admission_order(void **state)
{
	gate *g;
	gate_ticket first;
	waiter w[4];
	pthread_t th[4];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int order[4], norder = 0;

	assert_int_equal(gate_new(&g, 1, 4), 0);
	assert_int_equal(gate_admit(g, &first), 0);
	assert_int_equal(gate_wait(g, &first, NULL), 0);
	for (int i = 0; i < 4; i++) {
		w[i] = (waiter){ .g = g, .order = order, .norder = &norder, .mu = &mu };
		assert_int_equal(gate_admit(g, &w[i].t), 0);
	}
	/* started in reverse: the turn still goes by admission */
	for (int i = 3; i >= 0; i--)
		pthread_create(&th[i], NULL, wait_thread, &w[i]);
	usleep(20000);
	gate_leave(g, &first);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(norder, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(w[i].rc, 0);
		assert_int_equal(order[i], (int)w[i].t.number);
	}
	gate_free(g);
}

static void test_gate__bad_sizes(void **state)
{
	gate *g;
	assert_int_equal(gate_new(&g, 0, 1), DOCENT_EINVAL);
	assert_null(g);
	gate_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate__slots_then_line_then_busy),
		cmocka_unit_test(test_gate__two_slots),
		cmocka_unit_test(test_gate__cancelled_waiter_leaves_its_place),
		cmocka_unit_test(test_gate__waiters_in_admission_order),
		cmocka_unit_test(test_gate__bad_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
