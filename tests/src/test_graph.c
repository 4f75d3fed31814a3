/*
 * test_graph.c - the revision graph: heads, roots, branch points, merges,
 * a stable topological order, id lookup and ancestor/descendant walks.
 */
#include "testutil.h"

#include "graphutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two roots; a is a branch point (b, c); m merges b and c; x hangs off r2. */
#define SHAPES "r1 r2 a:r1 b:a c:a m:b,c x:r2"

static void assert_ids(const tu_graph *t, const size_t *nodes, size_t n, const char *expect)
{
	char *s = tu_ids(t, nodes, n);
	assert_string_equal(s, expect);
	free(s);
}

static void test_heads_roots_branches_merges(void **state)
{
	(void)state;
	tu_graph t;
	tu_graph_make(&t, SHAPES);
	const vmig_graph *g = &t.g;
	assert_int_equal(g->n, 7);
	assert_ids(&t, g->heads, g->nheads, "m x");
	assert_ids(&t, g->roots, g->nroots, "r1 r2");

	size_t bp[8];
	assert_int_equal(vmig_graph_branch_points(g, NULL), 1);
	assert_int_equal(vmig_graph_branch_points(g, bp), 1);
	assert_ids(&t, bp, 1, "a");

	const vmig_node *a = &g->nodes[tu_node(&t, "a")];
	assert_ids(&t, a->children, a->nchildren, "b c");
	const vmig_node *m = &g->nodes[tu_node(&t, "m")];
	assert_ids(&t, m->parents, m->nparents, "b c");
	assert_int_equal(m->nchildren, 0);

	/* Parents keep the file's order; children are by id. */
	tu_graph_free(&t);
	tu_graph_make(&t, "z y a:z,y c:a b:a");
	m = &t.g.nodes[tu_node(&t, "a")];
	assert_ids(&t, m->parents, m->nparents, "z y");
	assert_ids(&t, m->children, m->nchildren, "b c");
	assert_ids(&t, t.g.roots, t.g.nroots, "y z");
	tu_graph_free(&t);
}

static void test_empty_graph(void **state)
{
	(void)state;
	vmig_graph g;
	vmig_error err = {0};
	size_t idx;
	vmig_revision *none[1] = {NULL};
	assert_int_equal(vmig_graph_build(none, 0, false, &g, &err), VMIG_OK);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.nheads, 0);
	assert_int_equal(g.nroots, 0);
	assert_int_equal(vmig_graph_find(&g, "a"), VMIG_NONE);
	assert_int_equal(vmig_graph_lookup(&g, "a", &idx, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "unknown revision \"a\"");
	vmig_graph_free(&g);
}

/* Every parent stands before its child in the order, and pos[] agrees with order[]. */
static void assert_parents_first(const tu_graph *t)
{
	const vmig_graph *g = &t->g;
	for (size_t i = 0; i < g->n; i++)
		assert_int_equal(g->pos[g->order[i]], i);
	for (size_t v = 0; v < g->n; v++)
		for (size_t k = 0; k < g->nodes[v].nparents; k++)
			if (g->pos[g->nodes[v].parents[k]] >= g->pos[v])
				fail_msg("%s stands before its parent %s in the order",
				         g->revs[v]->id, g->revs[g->nodes[v].parents[k]]->id);
}

static void test_order_parents_first_and_stable(void **state)
{
	(void)state;
	static const char spec[] = "r1 r2 a:r1 b:a c:a d:b e:c m:d,e n:m x:r2 y:x q:y,n";
	tu_graph t;
	tu_graph_make(&t, spec);
	assert_parents_first(&t);
	char *expect = tu_order(&t);
	/* Depth first, smaller ids first, a branch finished before its sibling starts. */
	assert_string_equal(expect, "r1 a b d c e m n r2 x y q");

	/* Shuffled input orders (deterministic generator) give the very same order. */
	unsigned seed = 12345;
	for (int round = 0; round < 50; round++) {
		for (size_t i = t.n; i > 1; i--) {
			seed = seed * 1103515245u + 12345u;
			size_t j = (seed >> 16) % i;
			vmig_revision *tmp = t.ptrs[i - 1];
			t.ptrs[i - 1] = t.ptrs[j];
			t.ptrs[j] = tmp;
		}
		vmig_error err = {0};
		assert_int_equal(tu_graph_link(&t, &err), VMIG_OK);
		assert_parents_first(&t);
		char *got = tu_order(&t);
		assert_string_equal(got, expect);
		free(got);
	}
	/* Reversed input as well. */
	for (size_t i = 0; i < t.n / 2; i++) {
		vmig_revision *tmp = t.ptrs[i];
		t.ptrs[i] = t.ptrs[t.n - 1 - i];
		t.ptrs[t.n - 1 - i] = tmp;
	}
	vmig_error err = {0};
	assert_int_equal(tu_graph_link(&t, &err), VMIG_OK);
	char *got = tu_order(&t);
	assert_string_equal(got, expect);
	free(got);
	free(expect);
	tu_graph_free(&t);
}

static void test_lookup(void **state)
{
	(void)state;
	tu_graph t;
	tu_graph_make(&t, "ab abc123 abc124 abd:ab f00:abd");
	vmig_error err = {0};
	size_t idx;

	/* An exact id wins over a prefix that other ids share. */
	assert_int_equal(vmig_graph_lookup(&t.g, "ab", &idx, &err), VMIG_OK);
	assert_string_equal(t.g.revs[idx]->id, "ab");
	assert_int_equal(vmig_graph_lookup(&t.g, "abc123", &idx, &err), VMIG_OK);
	assert_string_equal(t.g.revs[idx]->id, "abc123");

	/* A unique prefix. */
	assert_int_equal(vmig_graph_lookup(&t.g, "abd", &idx, &err), VMIG_OK);
	assert_string_equal(t.g.revs[idx]->id, "abd");
	assert_int_equal(vmig_graph_lookup(&t.g, "f", &idx, &err), VMIG_OK);
	assert_string_equal(t.g.revs[idx]->id, "f00");
	assert_int_equal(vmig_graph_lookup(&t.g, "abc124", &idx, &err), VMIG_OK);
	assert_string_equal(t.g.revs[idx]->id, "abc124");

	/* Ambiguous: lists the matches and nothing else. */
	assert_int_equal(vmig_graph_lookup(&t.g, "abc", &idx, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "ambiguous");
	assert_contains(err.msg, "abc123");
	assert_contains(err.msg, "abc124");
	assert_not_contains(err.msg, "abd");
	assert_int_equal(vmig_graph_lookup(&t.g, "abc12", &idx, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "abc123, abc124");

	/* Unknown ids, and an id longer than any match. */
	assert_int_equal(vmig_graph_lookup(&t.g, "zz", &idx, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "unknown revision \"zz\"");
	assert_int_equal(vmig_graph_lookup(&t.g, "abc1234", &idx, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "unknown revision");
	assert_int_equal(vmig_graph_lookup(&t.g, "", &idx, &err), VMIG_ERR_INPUT);
	assert_int_equal(vmig_graph_lookup(&t.g, "AB", &idx, &err), VMIG_ERR_INPUT);
	tu_graph_free(&t);
}

static void test_lookup_many_matches_is_bounded(void **state)
{
	(void)state;
	char spec[1024] = "";
	for (int i = 0; i < 14; i++) {
		char tok[32];
		snprintf(tok, sizeof tok, "%sdeadbeef%02d", i ? " " : "", i);
		strcat(spec, tok);
	}
	tu_graph t;
	tu_graph_make(&t, spec);
	vmig_error err = {0};
	size_t idx;
	assert_int_equal(vmig_graph_lookup(&t.g, "dead", &idx, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "14");
	assert_contains(err.msg, "deadbeef00");
	assert_contains(err.msg, "and 4 more");
	assert_not_contains(err.msg, "deadbeef13");
	tu_graph_free(&t);
}

static void test_mark_ancestors_descendants(void **state)
{
	(void)state;
	tu_graph t;
	tu_graph_make(&t, SHAPES " n:m");
	bool *mark = calloc(t.g.n, sizeof *mark);
	char *s;

	vmig_graph_mark_ancestors(&t.g, tu_node(&t, "m"), true, mark);
	s = tu_marked(&t, mark);
	assert_string_equal(s, "a b c m r1");
	free(s);

	memset(mark, 0, t.g.n);
	vmig_graph_mark_ancestors(&t.g, tu_node(&t, "m"), false, mark);
	s = tu_marked(&t, mark);
	assert_string_equal(s, "a b c r1");
	free(s);

	memset(mark, 0, t.g.n);
	vmig_graph_mark_descendants(&t.g, tu_node(&t, "a"), false, mark);
	s = tu_marked(&t, mark);
	assert_string_equal(s, "b c m n");
	free(s);

	memset(mark, 0, t.g.n);
	vmig_graph_mark_descendants(&t.g, tu_node(&t, "b"), true, mark);
	s = tu_marked(&t, mark);
	assert_string_equal(s, "b m n");
	free(s);

	/* Marks are added to, never cleared. */
	memset(mark, 0, t.g.n);
	mark[tu_node(&t, "x")] = true;
	vmig_graph_mark_ancestors(&t.g, tu_node(&t, "b"), true, mark);
	s = tu_marked(&t, mark);
	assert_string_equal(s, "a b r1 x");
	free(s);

	/* A root has no ancestors, a head no descendants. */
	memset(mark, 0, t.g.n);
	vmig_graph_mark_ancestors(&t.g, tu_node(&t, "r2"), false, mark);
	vmig_graph_mark_descendants(&t.g, tu_node(&t, "n"), false, mark);
	s = tu_marked(&t, mark);
	assert_string_equal(s, "");
	free(s);
	free(mark);
	tu_graph_free(&t);
}

#define LONG_CHAIN 10000

static void test_long_chain(void **state)
{
	(void)state;
	size_t cap = (size_t)LONG_CHAIN * 16;
	char *spec = malloc(cap);
	size_t len = 0;
	for (int i = 0; i < LONG_CHAIN; i++) {
		if (i == 0)
			len += (size_t)snprintf(spec + len, cap - len, "r%05d", i);
		else
			len += (size_t)snprintf(spec + len, cap - len, " r%05d:r%05d", i, i - 1);
	}
	tu_graph t;
	tu_graph_parse(&t, spec);
	free(spec);
	/* Given newest first: the worst case for a naive walk. */
	for (size_t i = 0; i < t.n / 2; i++) {
		vmig_revision *tmp = t.ptrs[i];
		t.ptrs[i] = t.ptrs[t.n - 1 - i];
		t.ptrs[t.n - 1 - i] = tmp;
	}
	vmig_error err = {0};
	assert_int_equal(tu_graph_link(&t, &err), VMIG_OK);
	assert_int_equal(t.g.n, LONG_CHAIN);
	assert_int_equal(t.g.nheads, 1);
	assert_string_equal(t.g.revs[t.g.heads[0]]->id, "r09999");
	assert_int_equal(t.g.nroots, 1);
	for (size_t i = 0; i < t.g.n; i++) {
		char id[32];
		snprintf(id, sizeof id, "r%05zu", i);
		assert_string_equal(t.g.revs[t.g.order[i]]->id, id);
	}
	bool *mark = calloc(t.g.n, sizeof *mark);
	vmig_graph_mark_ancestors(&t.g, t.g.heads[0], true, mark);
	size_t marked = 0;
	for (size_t v = 0; v < t.g.n; v++)
		marked += mark[v];
	assert_int_equal(marked, LONG_CHAIN);
	memset(mark, 0, t.g.n);
	vmig_graph_mark_descendants(&t.g, t.g.roots[0], false, mark);
	marked = 0;
	for (size_t v = 0; v < t.g.n; v++)
		marked += mark[v];
	assert_int_equal(marked, LONG_CHAIN - 1);
	free(mark);
	tu_graph_free(&t);
}

/* A cycle hidden at the end of a long chain is still found and named. */
static void test_long_chain_with_cycle(void **state)
{
	(void)state;
	size_t cap = 5000 * 16;
	char *spec = malloc(cap);
	size_t len = (size_t)snprintf(spec, cap, "r00000");
	for (int i = 1; i < 5000; i++)
		len += (size_t)snprintf(spec + len, cap - len, " r%05d:r%05d", i, i - 1);
	snprintf(spec + len, cap - len, " y1:y2 y2:y1,r04999");
	tu_graph t;
	tu_graph_parse(&t, spec);
	free(spec);
	vmig_error err = {0};
	assert_int_equal(tu_graph_link(&t, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "cycle");
	assert_contains(err.msg, "y1");
	assert_contains(err.msg, "y2");
	assert_not_contains(err.msg, "r04999 (");
	tu_graph_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_heads_roots_branches_merges),
	    cmocka_unit_test(test_empty_graph),
	    cmocka_unit_test(test_order_parents_first_and_stable),
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_lookup_many_matches_is_bounded),
	    cmocka_unit_test(test_mark_ancestors_descendants),
	    cmocka_unit_test(test_long_chain),
	    cmocka_unit_test(test_long_chain_with_cycle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
