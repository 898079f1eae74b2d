/*
 * test_pack.c - the evidence packer: budget, numbering, byte offsets that
 * map back to the passage, table rows kept whole with their header, the
 * unit that answers first, coverage, and bad input (invalid UTF-8, empty
 * passages, text against a guard page).
 */
#include "../testutil.h"

#include "ingest/chunk.h"
#include "rag/pack.h"

#include <sys/mman.h>

static store_hit mkhit(const char *text, int64_t start)
{
	store_hit h;
	memset(&h, 0, sizeof h);
	h.text = (char *)text;
	h.path = (char *)"/docs/a.txt";
	h.start_byte = start;
	h.end_byte = start + (int64_t)strlen(text);
	return h;
}

static size_t total_tokens(const pack_item *items, size_t n, const pack_params *p)
{
	size_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += items[i].tokens + p->item_tokens;
	return t;
}

/* Every unit's text is the passage's text at its byte range. */
static void check_offsets(const pack_item *items, size_t n, const store_hit *hits)
{
	for (size_t i = 0; i < n; i++) {
		const pack_item *it = &items[i];
		const store_hit *h = &hits[it->hit];
		assert_true(it->start_byte >= h->start_byte);
		assert_true(it->end_byte <= h->end_byte);
		for (size_t j = 0; j < it->nunits; j++) {
			const pack_unit *u = &it->units[j];
			assert_int_equal(u->end_byte - u->start_byte, (int64_t)u->len);
			assert_true(u->off + u->len <= strlen(it->text));
			assert_memory_equal(it->text + u->off, h->text + (u->start_byte - h->start_byte),
					    u->len);
			if (j > 0)
				assert_true(u->start_byte >= it->units[j - 1].end_byte);
		}
		assert_int_equal(it->units[0].start_byte, it->start_byte);
		assert_int_equal(it->units[it->nunits - 1].end_byte, it->end_byte);
	}
}

static const char *const passages[] = {
	"The boundary layer thickens downstream of the leading edge. Heat transfer "
	"rates were measured at Mach 6 in the wind tunnel. The results agree with "
	"theory within ten percent. Skin friction was not measured.",
	"Aeroelastic models of heated aircraft must obey similarity laws. Thermal "
	"stresses change the stiffness of the wing. The flutter speed drops as the "
	"structure heats. Tests used scaled models of steel and aluminium.",
	"Composite slabs conduct heat slowly. Exact solutions exist for two layers. "
	"Numerical methods handle more layers at some cost.",
	"Chemical equilibrium is assumed in many flow solutions. The assumption "
	"fails when reactions are slow compared with the flow. Criteria for its "
	"validity compare the two time scales.",
};
#define NPASS (sizeof passages / sizeof *passages)

static void test_pack__budget_and_numbering(void **state)
{
	store_hit hits[NPASS];
	for (size_t i = 0; i < NPASS; i++)
		hits[i] = mkhit(passages[i], 1000 * (int64_t)(i + 1));
	static const size_t budgets[] = { 10, 25, 40, 60, 120, 1000 };
	for (int whole = 0; whole < 2; whole++) {
		for (size_t b = 0; b < sizeof budgets / sizeof *budgets; b++) {
			pack_params p = pack_default_params();
			pack_item *items;
			size_t n;
			p.budget_tokens = budgets[b];
			p.whole_passages = whole;
			assert_int_equal(pack_evidence("heat transfer in heated aircraft models "
						       "and slabs, chemical flow",
						       hits, NPASS, &p, &items, &n), 0);
			assert_true(total_tokens(items, n, &p) <= budgets[b]);
			for (size_t i = 0; i < n; i++) {
				assert_int_equal(items[i].n, (int)(i + 1));
				if (i > 0)
					assert_true(items[i].hit > items[i - 1].hit);
				assert_true(items[i].nunits > 0);
				assert_string_equal(items[i].path, "/docs/a.txt");
				token_counter c = token_counter_simple();
				assert_int_equal(items[i].tokens,
						 c.count(c.ctx, items[i].text, strlen(items[i].text)));
			}
			if (budgets[b] >= 1000) {
				assert_int_equal(n, whole ? NPASS : 4);
				if (whole)
					for (size_t i = 0; i < n; i++)
						assert_string_equal(items[i].text, passages[i]);
			}
			check_offsets(items, n, hits);
			pack_items_free(items, n);
		}
	}
}

static void test_pack__max_items(void **state)
{
	store_hit hits[NPASS];
	for (size_t i = 0; i < NPASS; i++)
		hits[i] = mkhit(passages[i], 0);
	pack_params p = pack_default_params();
	pack_item *items;
	size_t n;
	p.max_items = 2;
	assert_int_equal(pack_evidence("heat", hits, NPASS, &p, &items, &n), 0);
	assert_int_equal(n, 2);
	pack_items_free(items, n);
}

static void test_pack__answer_ranks_first(void **state)
{
	store_hit hits[NPASS];
	for (size_t i = 0; i < NPASS; i++)
		hits[i] = mkhit(passages[i], 0);
	pack_item *items;
	size_t n;
	pack_ref best[4];
	pack_params p = pack_default_params();
	/* the answer is in the third passage; the question's words are spread */
	assert_int_equal(pack_evidence("exact solutions for layers of composite slabs", hits,
				       NPASS, &p, &items, &n), 0);
	assert_true(n >= 1);
	size_t nb = pack_best_units(items, n, best, 4);
	assert_true(nb >= 1);
	const pack_unit *u = &items[best[0].item].units[best[0].unit];
	assert_int_equal(items[best[0].item].hit, 2);
	assert_memory_equal(items[best[0].item].text + u->off, "Exact solutions exist for two layers.",
			    u->len);
	for (size_t i = 1; i < nb; i++)
		assert_true(items[best[i].item].units[best[i].unit].score <= u->score);
	assert_true(pack_coverage("exact solutions for layers of composite slabs", items, n) > 0.99);
	pack_items_free(items, n);
}

static void test_pack__table_rows_with_header(void **state)
{
	const char *text = "Results of the runs are below.\n"
			   "Alloy | Melting point | Density\n"
			   "aluminium | 660 | 2.70\n"
			   "titanium | 1668 | 4.51\n"
			   "tungsten | 3422 | 19.3\n"
			   "Tungsten melts last of all the metals tested.";
	store_hit h = mkhit(text, 500);
	pack_params p = pack_default_params();
	pack_item *items;
	size_t n;
	p.budget_tokens = 30;
	assert_int_equal(pack_evidence("melting point of titanium", &h, 1, &p, &items, &n), 0);
	assert_int_equal(n, 1);
	check_offsets(items, n, &h);
	assert_non_null(strstr(items[0].text, "Alloy | Melting point | Density"));
	assert_non_null(strstr(items[0].text, "titanium | 1668 | 4.51"));
	/* rows are whole lines of the passage */
	for (size_t j = 0; j < items[0].nunits; j++) {
		const pack_unit *u = &items[0].units[j];
		size_t s = (size_t)(u->start_byte - h.start_byte), e = (size_t)(u->end_byte - h.start_byte);
		if (!memchr(text + s, '|', e - s))
			continue;
		assert_true(s == 0 || text[s - 1] == '\n');
		assert_true(text[e] == '\n' || text[e] == '\0');
	}
	pack_items_free(items, n);
}

static void test_pack__coverage(void **state)
{
	store_hit hits[NPASS];
	for (size_t i = 0; i < NPASS; i++)
		hits[i] = mkhit(passages[i], 0);
	pack_params p = pack_default_params();
	pack_item *items;
	size_t n;
	assert_int_equal(pack_evidence("recipes for chocolate cake", hits, NPASS, &p, &items, &n), 0);
	assert_int_equal(n, 0); /* nothing bears on it: no item */
	assert_true(pack_coverage("recipes for chocolate cake", items, n) == 0.0);
	pack_items_free(items, n);

	p.whole_passages = 1;
	assert_int_equal(pack_evidence("recipes for chocolate cake", hits, NPASS, &p, &items, &n), 0);
	assert_true(n > 0);
	assert_true(pack_coverage("recipes for chocolate cake", items, n) == 0.0);
	/* half the content words: "flutter" is there, "penguins" is not */
	assert_true(pack_coverage("Flutter of the penguins", items, n) == 0.5);
	/* only stop words: nothing to cover */
	assert_true(pack_coverage("what is the", items, n) == 0.0);
	assert_true(pack_coverage(NULL, items, n) == 0.0);
	pack_items_free(items, n);
	pack_items_free(NULL, 0);
}

static void test_pack__bad_input(void **state)
{
	store_hit hits[5];
	hits[0] = mkhit("", 0);
	hits[1] = mkhit("heat \xff\xfe\xc3 heat. Broken \xe2\x82 heat", 10);
	hits[2] = mkhit("   \n\n  ", 0);
	hits[3] = mkhit("heat", 7);
	hits[4] = mkhit("x", 0);
	hits[4].text = NULL;
	pack_params p = pack_default_params();
	pack_item *items;
	size_t n;
	assert_int_equal(pack_evidence("heat", hits, 5, &p, &items, &n), 0);
	assert_true(n >= 2);
	check_offsets(items, n, hits);
	pack_items_free(items, n);
	assert_int_equal(pack_evidence("heat", NULL, 0, &p, &items, &n), 0);
	assert_int_equal(n, 0);
	pack_items_free(items, n);
	assert_int_equal(pack_evidence(NULL, hits, 4, NULL, &items, &n), 0);
	assert_int_equal(n, 0);
	pack_items_free(items, n);
	assert_int_equal(pack_evidence("\xff\xfe heat", hits, 4, NULL, &items, &n), 0);
	assert_true(n >= 1);
	pack_items_free(items, n);
	/* a budget too small for anything */
	p.budget_tokens = 1;
	assert_int_equal(pack_evidence("heat", hits, 4, &p, &items, &n), 0);
	assert_int_equal(n, 0);
	pack_items_free(items, n);
}

/* The passage ends right before a page that cannot be read: any read past
 * its terminating NUL faults, with or without AddressSanitizer. */
static void test_pack__no_overread(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *mem = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	assert_true(mem != MAP_FAILED);
	assert_int_equal(mprotect(mem + pg, (size_t)pg, PROT_NONE), 0);
	static const char *const tails[] = {
		"Heat flows. Alloy | heat\nsteel | 3", "heat \xe2\x82", "heat.", "a | heat", "heat\n",
	};
	for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
		size_t len = strlen(tails[i]);
		char *text = mem + pg - len - 1;
		memcpy(text, tails[i], len + 1);
		store_hit h = mkhit(text, 0);
		pack_item *items;
		size_t n;
		for (int whole = 0; whole < 2; whole++) {
			pack_params p = pack_default_params();
			p.whole_passages = whole;
			assert_int_equal(pack_evidence("heat steel", &h, 1, &p, &items, &n), 0);
			assert_int_equal(n, 1);
			check_offsets(items, n, &h);
			(void)pack_coverage("heat steel", items, n);
			pack_items_free(items, n);
		}
	}
	munmap(mem, (size_t)pg * 2);
}

/* Consecutive chunks of a document overlap: a sentence they share is
 * packed once. */
static void test_pack__overlap_once(void **state)
{
	const char *full = "Wings bend under load. Flutter starts at high speed. "
			  "Damping delays flutter onset. Tests confirm the damping model.";
	const char *second = strstr(full, "Flutter starts");
	store_hit hits[2];
	hits[0] = mkhit(full, 100);
	hits[0].end_byte = 100 + (int64_t)(strstr(full, " Tests") - full);
	hits[1] = mkhit(second, 100 + (int64_t)(second - full));
	char *first = strndup(full, (size_t)(hits[0].end_byte - 100));
	hits[0].text = first;
	hits[0].doc_id = hits[1].doc_id = 7;
	hits[0].chunk_id = 1;
	hits[1].chunk_id = 2;
	pack_item *items;
	size_t n;
	assert_int_equal(pack_evidence("flutter damping onset", hits, 2, NULL, &items, &n), 0);
	check_offsets(items, n, hits);
	size_t seen = 0;
	for (size_t i = 0; i < n; i++) {
		const char *t = items[i].text;
		while ((t = strstr(t, "Damping delays flutter onset."))) {
			seen++;
			t++;
		}
		/* no two units of the context cover the same bytes */
		for (size_t j = 0; j < n; j++)
			for (size_t a = 0; a < items[i].nunits; a++)
				for (size_t b = 0; b < items[j].nunits; b++) {
					if (i == j && a == b)
						continue;
					const pack_unit *x = &items[i].units[a], *y = &items[j].units[b];
					assert_false(x->start_byte < y->end_byte &&
						     y->start_byte < x->end_byte);
				}
	}
	assert_int_equal(seen, 1);
	pack_items_free(items, n);
	free(first);
}

/* A counter that sees more tokens than the default: the budget still holds. */
static size_t count_chars(void *ctx, const char *text, size_t n)
{
	(void)ctx;
	(void)text;
	return n / 2 + 1;
}

static void test_pack__custom_counter(void **state)
{
	store_hit hits[NPASS];
	for (size_t i = 0; i < NPASS; i++)
		hits[i] = mkhit(passages[i], 0);
	pack_params p = pack_default_params();
	pack_item *items;
	size_t n;
	p.count = count_chars;
	p.budget_tokens = 120;
	assert_int_equal(pack_evidence("heat flow models slabs", hits, NPASS, &p, &items, &n), 0);
	assert_true(n > 0);
	assert_true(total_tokens(items, n, &p) <= p.budget_tokens);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(items[i].tokens, strlen(items[i].text) / 2 + 1);
	pack_items_free(items, n);
}

/* A question's unusual word decides: passages that share only its common
 * words ("office", "policy") do not answer it. */
static void test_pack__coverage_weighted(void **state)
{
	static const char *const texts[] = {
		"The office policy covers desks and meeting rooms in the office.",
		"Visitors to the office sign in at the front desk, as the policy says.",
		"The travel policy covers trips; book them through the office.",
		"Dogs are welcome in the office on Fridays, under the pet policy.",
	};
	store_hit hits[4];
	pack_item *items;
	size_t n;

	(void)state;
	for (size_t i = 0; i < 4; i++)
		hits[i] = mkhit(texts[i], 1000 * (int64_t)i);
	/* without the passage about dogs: the common words are all there is */
	assert_int_equal(pack_evidence("office policy on dogs", hits, 3, NULL, &items, &n), 0);
	assert_true(pack_coverage("office policy on dogs", items, n) >= PACK_COVERAGE_WEAK);
	size_t nterms, absent;
	assert_true(pack_coverage_weighted("office policy on dogs", hits, 3, items, n, &absent,
					   &nterms) < PACK_COVERAGE_WEIGHTED_WEAK);
	assert_int_equal(absent, 1);
	assert_int_equal(nterms, 3);
	pack_items_free(items, n);
	/* with it: the evidence answers */
	assert_int_equal(pack_evidence("office policy on dogs", hits, 4, NULL, &items, &n), 0);
	assert_true(pack_coverage_weighted("office policy on dogs", hits, 4, items, n, &absent,
					   NULL) >= PACK_COVERAGE_WEIGHTED_WEAK);
	assert_int_equal(absent, 0);
	/* a number is written many ways: its absence does not count */
	assert_true(pack_coverage_weighted("office policy 2000", hits, 4, items, n, &absent,
					   NULL) >= 0);
	assert_int_equal(absent, 0);
	pack_items_free(items, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack__budget_and_numbering),
		cmocka_unit_test(test_pack__max_items),
		cmocka_unit_test(test_pack__answer_ranks_first),
		cmocka_unit_test(test_pack__table_rows_with_header),
		cmocka_unit_test(test_pack__coverage),
		cmocka_unit_test(test_pack__bad_input),
		cmocka_unit_test(test_pack__no_overread),
		cmocka_unit_test(test_pack__custom_counter),
		cmocka_unit_test(test_pack__overlap_once),
		cmocka_unit_test(test_pack__coverage_weighted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
