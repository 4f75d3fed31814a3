/*
 * test_plan.c - the planner: from a graph, an applied mask and a target to
 * the steps to run (SPEC "Targets").  A plan is written "+a +b -c": apply a,
 * apply b, unapply c, in that order.
 */
#include "testutil.h"

#include "graphutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a - b - c - d */
#define LINE "a b:a c:b d:c"
/* a - b - c, and b - x - y: b is a branch point */
#define FORK "a b:a c:b x:b y:x"
/* a branches to b and c, m merges them, n follows */
#define DIAMOND "a b:a c:a m:b,c n:m"

typedef int (*plan_fn)(const vmig_graph *, const bool *, const char *, vmig_plan *, vmig_error *);

/* Plans target on spec with the applied ids; asserts success and the plan. */
static void expect_plan(plan_fn fn, const char *spec, const char *applied, const char *target,
                        const char *expect)
{
	tu_graph t;
	tu_graph_make(&t, spec);
	bool *mask = tu_mask(&t, applied);
	vmig_plan p;
	vmig_error err = {0};
	int rc = fn(&t.g, mask, target, &p, &err);
	if (rc != VMIG_OK)
		fail_msg("graph \"%s\", applied \"%s\", target \"%s\": expected plan \"%s\", got "
		         "error %d: %s",
		         spec, applied, target ? target : "(default)", expect, rc, err.msg);
	char *got = tu_plan_str(&t, &p);
	if (strcmp(got, expect) != 0)
		fail_msg("graph \"%s\", applied \"%s\", target \"%s\": expected plan \"%s\", got "
		         "\"%s\"",
		         spec, applied, target ? target : "(default)", expect, got);
	free(got);
	vmig_plan_free(&p);
	free(mask);
	tu_graph_free(&t);
}

/* Plans target; asserts VMIG_ERR_INPUT, an empty plan and each fragment (NULL-terminated). */
static void expect_error(plan_fn fn, const char *spec, const char *applied, const char *target, ...)
{
	tu_graph t;
	tu_graph_make(&t, spec);
	bool *mask = tu_mask(&t, applied);
	vmig_plan p;
	vmig_error err = {0};
	int rc = fn(&t.g, mask, target, &p, &err);
	if (rc != VMIG_ERR_INPUT) {
		char *got = rc == VMIG_OK ? tu_plan_str(&t, &p) : strdup(err.msg);
		fail_msg("graph \"%s\", applied \"%s\", target \"%s\": expected an input error, "
		         "got %d (%s)",
		         spec, applied, target ? target : "(default)", rc, got);
	}
	assert_int_equal(err.code, VMIG_ERR_INPUT);
	/* Nothing to run: an error comes before any step. */
	assert_int_equal(p.n, 0);
	va_list ap;
	va_start(ap, target);
	const char *frag;
	while ((frag = va_arg(ap, const char *)) != NULL)
		assert_contains(err.msg, frag);
	va_end(ap);
	vmig_plan_free(&p);
	free(mask);
	tu_graph_free(&t);
}

#define UP(...)        expect_plan(vmig_plan_up, __VA_ARGS__)
#define DOWN(...)      expect_plan(vmig_plan_down, __VA_ARGS__)
#define STAMP(...)     expect_plan(vmig_plan_stamp, __VA_ARGS__)
#define UP_ERR(...)    expect_error(vmig_plan_up, __VA_ARGS__, NULL)
#define DOWN_ERR(...)  expect_error(vmig_plan_down, __VA_ARGS__, NULL)
#define STAMP_ERR(...) expect_error(vmig_plan_stamp, __VA_ARGS__, NULL)

static void test_up_head(void **state)
{
	(void)state;
	UP(LINE, "", "head", "+a +b +c +d");
	UP(LINE, "", NULL, "+a +b +c +d"); /* the default */
	UP(LINE, "a b", "head", "+c +d");
	UP(LINE, "a b c d", "head", ""); /* nothing to do */
	UP(DIAMOND, "", "head", "+a +b +c +m +n");
	UP(DIAMOND, "a b", "head", "+c +m +n");
	UP_ERR(FORK, "", "head", "2 heads", "c, y");
	UP_ERR(FORK, "a b c", NULL, "c, y");
}

static void test_up_heads(void **state)
{
	(void)state;
	UP(FORK, "", "heads", "+a +b +c +x +y");
	UP(FORK, "a b c", "heads", "+x +y");
	UP(FORK, "a b c x y", "heads", "");
	UP("p q r:p", "", "heads", "+p +r +q");
}

static void test_up_id_and_prefix(void **state)
{
	(void)state;
	UP(LINE, "", "b", "+a +b");
	UP(LINE, "a b c", "b", ""); /* already applied: nothing to do */
	UP(FORK, "", "c", "+a +b +c");
	UP(FORK, "a b c", "y", "+x +y"); /* alongside: the database then has two heads */
	UP(DIAMOND, "a b", "m", "+c +m");
	UP("base01 feat01:base01 feat02:feat01", "", "feat02", "+base01 +feat01 +feat02");
	UP("base01 feat01:base01 feat02:feat01", "", "base", "");
	UP("base01 feat01:base01 feat02:feat01", "", "bas", "+base01");
	UP_ERR("base01 feat01:base01 feat02:feat01", "", "feat0", "ambiguous", "feat01, feat02");
	UP_ERR(LINE, "", "zz", "unknown revision \"zz\"");
}

static void test_up_relative(void **state)
{
	(void)state;
	UP(LINE, "", "+1", "+a"); /* from the single root */
	UP(LINE, "", "+3", "+a +b +c");
	UP(LINE, "a", "+2", "+b +c");
	UP(LINE, "a b c", "+1", "+d");
	/* +1 onto a merge also applies its other parents. */
	UP(DIAMOND, "a b", "+1", "+c +m");
	UP(DIAMOND, "a b c m", "+1", "+n");
}

static void test_up_relative_errors(void **state)
{
	(void)state;
	UP_ERR(LINE, "a b c", "+2", "past the head");
	UP_ERR(LINE, "a b c d", "+1", "past the head");
	UP_ERR(LINE, "", "+5", "past the head");
	UP_ERR(FORK, "a b", "+1", "branch point", "c, x");
	UP_ERR(FORK, "a", "+2", "branch point");
	UP_ERR(DIAMOND, "a", "+1", "branch point", "b, c");
	UP_ERR(FORK, "a b c x", "+1", "applied heads", "c, x");
	UP_ERR("p q", "", "+1", "roots", "p, q");
	UP_ERR(LINE, "", "-1", "not a target");
	UP_ERR(LINE, "", "+x", "not a target");
}

static void test_down_relative(void **state)
{
	(void)state;
	DOWN(LINE, "a b c d", NULL, "-d"); /* the default is -1 */
	DOWN(LINE, "a b c d", "-1", "-d");
	DOWN(LINE, "a b c d", "-2", "-d -c");
	DOWN(LINE, "a b c d", "-4", "-d -c -b -a");
	DOWN(LINE, "a b", "-1", "-b");
	/* Unapplying a merge is one step. */
	DOWN(DIAMOND, "a b c m n", "-2", "-n -m");
	DOWN(DIAMOND, "a b c m", "-1", "-m");
	/* A merge whose first parent is an ancestor of its second: still one step. */
	DOWN("a b:a m:a,b", "a b m", "-1", "-m");
	DOWN("a b:a m:a,b", "a b m", "b", "-m");
	DOWN("a b:a m:a,b", "a b m", "a", "-m -b");
	/* On a fork with one applied head, the walk follows that line. */
	DOWN(FORK, "a b x y", "-3", "-y -x -b");
}

static void test_down_relative_errors(void **state)
{
	(void)state;
	DOWN_ERR(LINE, "a b c d", "-5", "below base");
	DOWN_ERR(LINE, "a b", "-3", "below base");
	DOWN_ERR(LINE, "", "-1", "nothing is applied");
	/* Below a merge there is no single way down. */
	DOWN_ERR(DIAMOND, "a b c m n", "-3", "merge", "b, c");
	DOWN_ERR(DIAMOND, "a b c m", "-2", "merge");
	/* Several applied heads: name them, and say `down ID`. */
	DOWN_ERR(FORK, "a b c x y", "-1", "applied heads", "c, y", "vmig down ID");
	DOWN_ERR(LINE, "a b c d", "+1", "not a target");
}

static void test_down_id(void **state)
{
	(void)state;
	DOWN(LINE, "a b c d", "b", "-d -c"); /* b itself stays */
	DOWN(LINE, "a b c d", "d", "");
	DOWN(LINE, "a b", "a", "-b");
	DOWN(FORK, "a b c x y", "x", "-y"); /* the other branch stays */
	DOWN(FORK, "a b c x y", "b", "-y -x -c");
	DOWN(DIAMOND, "a b c m n", "b", "-n -m");
	DOWN(DIAMOND, "a b c m n", "a", "-n -m -c -b");
	DOWN("base01 feat01:base01 feat02:feat01", "base01 feat01 feat02", "feat01", "-feat02");
	DOWN("base01 feat01:base01 feat02:feat01", "base01 feat01 feat02", "base0",
	     "-feat02 -feat01");
	DOWN_ERR(LINE, "a b", "c", "not applied");
	DOWN_ERR(LINE, "a b", "zz", "unknown revision");
	DOWN_ERR("base01 feat01:base01 feat02:feat01", "base01 feat01 feat02", "feat", "ambiguous");
}

static void test_down_base(void **state)
{
	(void)state;
	DOWN(LINE, "a b c d", "base", "-d -c -b -a");
	DOWN(FORK, "a b c x y", "base", "-y -x -c -b -a");
	DOWN(DIAMOND, "a b c m n", "base", "-n -m -c -b -a");
	DOWN(LINE, "", "base", "");
	DOWN(FORK, "a b x", "base", "-x -b -a");
}

static void test_down_irreversible(void **state)
{
	(void)state;
	static const char spec[] = "a b:a c!:b d:c";
	DOWN(spec, "a b c d", "-1", "-d"); /* c not touched: fine */
	DOWN_ERR(spec, "a b c d", "-2", "irreversible", "m/c.sql", "revision c");
	DOWN_ERR(spec, "a b c d", "base", "irreversible", "m/c.sql");
	DOWN_ERR(spec, "a b c d", "a", "irreversible");
	DOWN_ERR(spec, "a b c", "-1", "irreversible");
	/* stamp runs no SQL, so it may pass an irreversible revision. */
	STAMP(spec, "a b c d", "a", "-d -c -b");
}

static void test_stamp(void **state)
{
	(void)state;
	STAMP(LINE, "", "c", "+a +b +c");     /* ancestors added */
	STAMP(LINE, "a b c d", "b", "-d -c"); /* descendants removed */
	STAMP(LINE, "a b c d", "d", "");
	STAMP(FORK, "a b x y", "c", "+c");   /* the other branch stays applied */
	STAMP(FORK, "a b c x y", "x", "-y"); /* c stays */
	STAMP(FORK, "a b c", "y", "+x +y");
	STAMP(FORK, "", "heads", "+a +b +c +x +y");
	STAMP(FORK, "a b c", "heads", "+x +y");
	STAMP(FORK, "a b c x y", "base", "-y -x -c -b -a");
	STAMP(LINE, "", "base", "");
	STAMP(LINE, "a b c d", "-1", "-d");
	STAMP(LINE, "a b", "+1", "+c");
	STAMP(LINE, "", "head", "+a +b +c +d");
	/* Heads on b's line are replaced by b; c was applied only as an ancestor of
	 * m, so it goes with it (Alembic's rule; `down b` would keep c). */
	STAMP(DIAMOND, "a b c m n", "b", "-n -m -c");
	STAMP(DIAMOND, "a b c m", "c", "-m -b");
	STAMP(DIAMOND, "a b c m n", "a", "-n -m -c -b");
	STAMP(DIAMOND, "a b c m n", "m", "-n");
	STAMP(DIAMOND, "a b", "c", "+c"); /* b is on another line: it stays */
	STAMP(DIAMOND, "a b c", "m", "+m");
	/* The SPEC's example: M = merge(F, G) applied, D the parent of F. */
	STAMP("r d:r f:d g:r m:f,g", "r d f g m", "d", "-m -g -f");
	/* A head on an unrelated branch stays, also past a merge elsewhere. */
	STAMP("a b:a c:a m:b,c p q:p", "a b c m p q", "b", "-m -c");
	STAMP("a b:a c:a m:b,c p q:p", "a b c m p", "q", "+q");
	/* Stamping a revision of another branch adds it as one more head. */
	STAMP(FORK, "a b c", "y", "+x +y");
	/* heads: every head and its ancestors, whatever was applied. */
	STAMP(DIAMOND, "a b", "heads", "+c +m +n");
	STAMP(DIAMOND, "a b c m n", "heads", "");
	/* -N is the revision N below the single applied head: one revision. */
	STAMP(LINE, "a b c d", "-3", "-d -c -b");
	STAMP(LINE, "a b c d", "-4", "-d -c -b -a");
	STAMP(DIAMOND, "a b c m n", "-1", "-n");
	STAMP_ERR(DIAMOND, "a b c m n", "-2", "merge", "b, c", "vmig stamp ID");
	STAMP_ERR(DIAMOND, "a b c m", "-1", "merge", "b, c");
	STAMP_ERR(LINE, "a b c d", "-5", "below base");
	STAMP_ERR(LINE, "", "-1", "nothing is applied");
	STAMP_ERR(FORK, "a b c x y", "-1", "applied heads", "c, y");
	STAMP(LINE, "a b c d", NULL, ""); /* the default: head */
	STAMP(LINE, "a b", NULL, "+c +d");
	/* A sibling of an applied head is recorded alongside it. */
	STAMP(FORK, "a b c", "x", "+x");
	/* Down and up at once (a database with a gap): unrecords first, then records. */
	STAMP(LINE, "a c d", "b", "-d -c +b");
	STAMP_ERR(FORK, "", "head", "heads");
	STAMP_ERR(LINE, "", "zz", "unknown revision");
}

static void test_applied_heads(void **state)
{
	(void)state;
	tu_graph t;
	tu_graph_make(&t, FORK);
	size_t heads[8];
	bool *mask = tu_mask(&t, "a b c x");
	assert_int_equal(vmig_applied_heads(&t.g, mask, heads), 2);
	char *s = tu_ids(&t, heads, 2);
	assert_string_equal(s, "c x");
	free(s);
	free(mask);
	mask = tu_mask(&t, "");
	assert_int_equal(vmig_applied_heads(&t.g, mask, NULL), 0);
	free(mask);
	mask = tu_mask(&t, "a b");
	assert_int_equal(vmig_applied_heads(&t.g, mask, heads), 1);
	assert_string_equal(t.g.revs[heads[0]]->id, "b");
	free(mask);
	tu_graph_free(&t);
}

static void test_long_chain_plans(void **state)
{
	(void)state;
	size_t cap = 3000 * 16;
	char *spec = malloc(cap);
	size_t len = (size_t)snprintf(spec, cap, "r0000");
	for (int i = 1; i < 3000; i++)
		len += (size_t)snprintf(spec + len, cap - len, " r%04d:r%04d", i, i - 1);
	tu_graph t;
	tu_graph_make(&t, spec);
	free(spec);
	bool *none = calloc(t.g.n, sizeof *none);
	vmig_plan p;
	vmig_error err = {0};
	assert_int_equal(vmig_plan_up(&t.g, none, NULL, &p, &err), VMIG_OK);
	assert_int_equal(p.n, 3000);
	for (size_t i = 0; i < p.n; i++) {
		char id[32];
		snprintf(id, sizeof id, "r%04zu", i);
		assert_false(p.steps[i].down);
		assert_string_equal(t.g.revs[p.steps[i].node]->id, id);
	}
	vmig_plan_free(&p);
	bool *all = calloc(t.g.n, sizeof *all);
	memset(all, 1, t.g.n);
	assert_int_equal(vmig_plan_down(&t.g, all, "base", &p, &err), VMIG_OK);
	assert_int_equal(p.n, 3000);
	assert_string_equal(t.g.revs[p.steps[0].node]->id, "r2999");
	assert_string_equal(t.g.revs[p.steps[2999].node]->id, "r0000");
	vmig_plan_free(&p);
	assert_int_equal(vmig_plan_down(&t.g, all, "-2999", &p, &err), VMIG_OK);
	assert_int_equal(p.n, 2999);
	vmig_plan_free(&p);
	free(none);
	free(all);
	tu_graph_free(&t);
}

/* What a relative target names now, so that a run that waited for the lock
 * applies that and no more (two `up +1` at once must not move two steps). */
static void expect_pin(const char *spec, const char *applied, const char *target,
                       const char *expect)
{
	tu_graph t;
	tu_graph_make(&t, spec);
	bool *mask = tu_mask(&t, applied);
	char *pinned = NULL;
	vmig_error err = {0};
	assert_int_equal(vmig_plan_pin(&t.g, mask, target, &pinned, &err), VMIG_OK);
	if (!expect)
		assert_null(pinned);
	else
		assert_string_equal(pinned, expect);
	free(pinned);
	free(mask);
	tu_graph_free(&t);
}

static void test_pin_relative_targets(void **state)
{
	(void)state;
	expect_pin(LINE, "a b", "+1", "c");
	expect_pin(LINE, "", "+2", "b");
	expect_pin(LINE, "a b c", "-1", "b");
	expect_pin(LINE, "a b c", "-3", "base");
	expect_pin(DIAMOND, "a b c m", "-1", "b");
	/* A merge whose first parent is also an ancestor of the other: `down a`
	 * would unapply b too, so the pin names b. */
	expect_pin("a b:a m:a,b", "a b m", "-1", "b");
	expect_pin("a b:a c:b m:a,c n:m", "a b c m n", "-2", "c");
	expect_pin(LINE, "a", "head", NULL);
	expect_pin(LINE, "a", "c", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_up_head),
	    cmocka_unit_test(test_up_heads),
	    cmocka_unit_test(test_up_id_and_prefix),
	    cmocka_unit_test(test_up_relative),
	    cmocka_unit_test(test_up_relative_errors),
	    cmocka_unit_test(test_down_relative),
	    cmocka_unit_test(test_down_relative_errors),
	    cmocka_unit_test(test_down_id),
	    cmocka_unit_test(test_down_base),
	    cmocka_unit_test(test_down_irreversible),
	    cmocka_unit_test(test_stamp),
	    cmocka_unit_test(test_applied_heads),
	    cmocka_unit_test(test_long_chain_plans),
	    cmocka_unit_test(test_pin_relative_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
