/*
 * test_plan_model.c - the planner against a reference model, on random graphs.
 *
 * The model is written from SPEC "Targets" alone, over plain sets of
 * revisions: ancestors and descendants by a depth-first walk over the
 * generated parent lists, no code shared with plan.c or graph.c.  For each
 * seed a random graph (hundreds of revisions, lines, forks, merges, several
 * roots) is built, and a random sequence of up, down and stamp operations
 * runs from an empty database; each one is planned by vmig and by the model,
 * and the test checks that
 *   - vmig fails exactly where the model does (an input error, with the
 *     SPEC's reason in its message, and no steps), and otherwise
 *   - the plan, run step by step, leaves the model's applied set, changing
 *     each revision at most once, up plans applying parents first and down
 *     plans unapplying children first (stamp plans both);
 *   - the same inputs give the same plan again, also from a graph built
 *     from the files in another order;
 *   - a default target plans as the target the SPEC names, and a relative
 *     target pinned at the first look plans the same steps, and nothing
 *     once they are done (a runner that waited for the lock moves no more).
 * The applied state then becomes the model's, so later operations start
 * from states reached by real sequences.
 *
 * VMIG_TEST_SEED=N runs seed N alone; a failure prints the seed to replay.
 */
#include "testutil.h"

#include "graphutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPS_PER_GRAPH 500

/* The fixed seeds are 1 to SEEDS; odd seeds' graphs have irreversible revisions. */
#define SEEDS 40

/* ------------------------------------------------------------------ */
/* The reference model                                                   */

enum model_err {
	M_OK,
	M_SEVERAL_HEADS,         /* head, with several heads in the graph */
	M_SEVERAL_APPLIED_HEADS, /* +N / -N with several applied heads */
	M_SEVERAL_ROOTS,         /* +N on an empty database with several roots */
	M_FORK,                  /* a +N step meets several children */
	M_PAST_HEAD,             /* a +N step meets no child */
	M_MERGE,                 /* a -N step goes below a merge */
	M_BELOW_BASE,            /* a -N walk runs below base */
	M_NOTHING_APPLIED,       /* -N on an empty database */
	M_NOT_APPLIED,           /* down ID, ID not applied */
	M_UNKNOWN,               /* no id is or starts with the target */
	M_AMBIGUOUS,             /* a prefix of several ids */
	M_IRREVERSIBLE,          /* down through a revision without down SQL */
	M_NOT_A_TARGET,          /* -N for up, +N for down */
};

/* What vmig's message must say for each error. */
static const char *const err_words[] = {
    [M_SEVERAL_HEADS] = "heads (",     [M_SEVERAL_APPLIED_HEADS] = "applied heads",
    [M_SEVERAL_ROOTS] = "roots",       [M_FORK] = "branch point",
    [M_PAST_HEAD] = "past the head",   [M_MERGE] = "merge",
    [M_BELOW_BASE] = "below base",     [M_NOTHING_APPLIED] = "nothing is applied",
    [M_NOT_APPLIED] = "not applied",   [M_UNKNOWN] = "unknown revision",
    [M_AMBIGUOUS] = "ambiguous",       [M_IRREVERSIBLE] = "irreversible",
    [M_NOT_A_TARGET] = "not a target",
};

#define BASE ((size_t)-1)

typedef struct model {
	const tu_rgraph *r;
	size_t n;
	size_t **children; /* children[v]: v's children */
	size_t *nchildren;
	size_t *stack; /* scratch for the walks */
} model;

static void model_init(model *m, const tu_rgraph *r)
{
	m->r = r;
	m->n = r->n;
	m->children = calloc(r->n, sizeof *m->children);
	m->nchildren = calloc(r->n, sizeof *m->nchildren);
	m->stack = malloc(r->n * sizeof *m->stack);
	for (size_t v = 0; v < r->n; v++)
		for (size_t j = 0; j < r->nparents[v]; j++) {
			size_t p = r->parents[v][j];
			m->children[p] =
			    realloc(m->children[p], (m->nchildren[p] + 1) * sizeof(size_t));
			m->children[p][m->nchildren[p]++] = v;
		}
}

static void model_free(model *m)
{
	for (size_t v = 0; v < m->n; v++)
		free(m->children[v]);
	free(m->children);
	free(m->nchildren);
	free(m->stack);
}

/* Adds v and all its ancestors (up) or descendants (!up) to set. */
static void closure(const model *m, size_t v, bool up, bool *set)
{
	size_t top = 0;
	set[v] = true;
	m->stack[top++] = v;
	while (top) {
		size_t u = m->stack[--top];
		size_t cnt = up ? m->r->nparents[u] : m->nchildren[u];
		const size_t *next = up ? m->r->parents[u] : m->children[u];
		for (size_t k = 0; k < cnt; k++)
			if (!set[next[k]]) {
				set[next[k]] = true;
				m->stack[top++] = next[k];
			}
	}
}

/* The applied heads: applied revisions none of whose children is applied. */
static size_t applied_heads(const model *m, const bool *s, size_t *out)
{
	size_t n = 0;
	for (size_t v = 0; v < m->n; v++) {
		bool child = false;
		for (size_t k = 0; k < m->nchildren[v]; k++)
			child = child || s[m->children[v][k]];
		if (s[v] && !child)
			out[n++] = v;
	}
	return n;
}

/* An exact id, else the one id the prefix starts. */
static enum model_err lookup(const model *m, const char *t, size_t *v)
{
	size_t hits = 0;
	for (size_t u = 0; u < m->n; u++) {
		if (strcmp(m->r->ids[u], t) == 0) {
			*v = u;
			return M_OK;
		}
		if (strncmp(m->r->ids[u], t, strlen(t)) == 0) {
			*v = u;
			hits++;
		}
	}
	return hits == 1 ? M_OK : hits ? M_AMBIGUOUS : M_UNKNOWN;
}

/* N from "+N" or "-N" (sign given), 0 otherwise. */
static long rel(const char *t, char sign)
{
	if (!t || t[0] != sign || !t[1])
		return 0;
	for (const char *p = t + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return atol(t + 1);
}

/* The graph's single head for `head`. */
static enum model_err graph_head(const model *m, size_t *v)
{
	size_t n = 0;
	for (size_t u = 0; u < m->n; u++)
		if (m->nchildren[u] == 0) {
			*v = u;
			n++;
		}
	return n == 1 ? M_OK : M_SEVERAL_HEADS;
}

/* +N: N steps to the only child, from the single applied head or the single root. */
static enum model_err walk_up(const model *m, const bool *s, long n, size_t *v)
{
	size_t *h = malloc(m->n * sizeof *h);
	size_t nh = applied_heads(m, s, h);
	size_t cur = nh ? h[0] : BASE;
	free(h);
	if (nh > 1)
		return M_SEVERAL_APPLIED_HEADS;
	if (cur == BASE) {
		size_t roots = 0;
		for (size_t u = 0; u < m->n; u++)
			if (m->r->nparents[u] == 0) {
				cur = u;
				roots++;
			}
		if (roots != 1)
			return M_SEVERAL_ROOTS;
		n--;
	}
	for (; n > 0; n--) {
		if (m->nchildren[cur] == 0)
			return M_PAST_HEAD;
		if (m->nchildren[cur] > 1)
			return M_FORK;
		cur = m->children[cur][0];
	}
	*v = cur;
	return M_OK;
}

/* The single applied head, for -N. */
static enum model_err single_applied_head(const model *m, const bool *s, size_t *v)
{
	size_t *h = malloc(m->n * sizeof *h);
	size_t nh = applied_heads(m, s, h);
	*v = nh ? h[0] : BASE;
	free(h);
	return nh > 1 ? M_SEVERAL_APPLIED_HEADS : nh == 0 ? M_NOTHING_APPLIED : M_OK;
}

/* `down -N`: from the single applied head, one revision per step (a merge
 * may be the last one), each step on to the only parent; gone[] gets them. */
static enum model_err walk_down(const model *m, const bool *s, long n, bool *gone)
{
	size_t cur;
	enum model_err e = single_applied_head(m, s, &cur);
	for (long i = 0; e == M_OK && i < n; i++) {
		gone[cur] = true;
		if (i + 1 == n)
			break;
		if (m->r->nparents[cur] > 1)
			e = M_MERGE;
		else if (m->r->nparents[cur] == 0 || !s[m->r->parents[cur][0]])
			e = M_BELOW_BASE;
		else
			cur = m->r->parents[cur][0];
	}
	return e;
}

/* `stamp -N`: the revision N single-parent steps below the applied head. */
static enum model_err walk_stamp(const model *m, const bool *s, long n, size_t *v)
{
	size_t cur;
	enum model_err e = single_applied_head(m, s, &cur);
	for (long i = 0; e == M_OK && i < n; i++) {
		if (cur == BASE)
			e = M_BELOW_BASE;
		else if (m->r->nparents[cur] > 1)
			e = M_MERGE;
		else
			cur = m->r->nparents[cur] ? m->r->parents[cur][0] : BASE;
	}
	*v = cur;
	return e;
}

/* head, +N or an id: the one revision an up or stamp target names. */
static enum model_err one_target(const model *m, const bool *s, const char *t, size_t *v)
{
	if (strcmp(t, "head") == 0)
		return graph_head(m, v);
	if (rel(t, '+') > 0)
		return walk_up(m, s, rel(t, '+'), v);
	if (t[0] == '+' || t[0] == '-')
		return M_NOT_A_TARGET;
	return lookup(m, t, v);
}

static enum model_err model_up(const model *m, const bool *s, const char *t, bool *after)
{
	size_t x;
	memcpy(after, s, m->n * sizeof *after);
	if (!t)
		t = "head";
	if (strcmp(t, "heads") == 0) {
		for (size_t v = 0; v < m->n; v++)
			after[v] = true;
		return M_OK;
	}
	if (strcmp(t, "base") == 0)
		return M_OK;
	enum model_err e = one_target(m, s, t, &x);
	if (e == M_OK)
		closure(m, x, true, after);
	return e;
}

static enum model_err model_down(const model *m, const bool *s, const char *t, bool *after)
{
	enum model_err e = M_OK;
	bool *gone = calloc(m->n, sizeof *gone);
	size_t x;
	if (!t)
		t = "-1";
	if (rel(t, '-') > 0) {
		e = walk_down(m, s, rel(t, '-'), gone);
	} else if (strcmp(t, "base") == 0) {
		for (size_t v = 0; v < m->n; v++)
			gone[v] = true;
	} else if (t[0] == '+' || t[0] == '-') {
		e = M_NOT_A_TARGET;
	} else {
		e = strcmp(t, "head") == 0 ? graph_head(m, &x) : lookup(m, t, &x);
		if (e == M_OK && !s[x])
			e = M_NOT_APPLIED;
		if (e == M_OK) {
			closure(m, x, false, gone);
			gone[x] = false;
		}
	}
	for (size_t v = 0; v < m->n; v++) {
		after[v] = s[v] && !gone[v];
		if (e == M_OK && s[v] && gone[v] && m->r->irreversible[v])
			e = M_IRREVERSIBLE;
	}
	free(gone);
	return e;
}

static enum model_err model_stamp(const model *m, const bool *s, const char *t, bool *after)
{
	enum model_err e = M_OK;
	size_t x = BASE;
	memset(after, 0, m->n * sizeof *after);
	if (!t)
		t = "head";
	if (strcmp(t, "heads") == 0) {
		for (size_t v = 0; v < m->n; v++)
			after[v] = true;
		return M_OK;
	}
	if (strcmp(t, "base") == 0)
		return M_OK;
	if (rel(t, '-') > 0)
		e = walk_stamp(m, s, rel(t, '-'), &x);
	else
		e = one_target(m, s, t, &x);
	if (e != M_OK || x == BASE)
		return e;
	/* x, the heads of s off x's line, and all their ancestors */
	bool *line = calloc(m->n, sizeof *line);
	size_t *h = malloc(m->n * sizeof *h);
	closure(m, x, true, line);
	closure(m, x, false, line);
	closure(m, x, true, after);
	size_t nh = applied_heads(m, s, h);
	for (size_t i = 0; i < nh; i++)
		if (!line[h[i]])
			closure(m, h[i], true, after);
	free(line);
	free(h);
	return M_OK;
}

/* ------------------------------------------------------------------ */
/* Checking vmig against the model                                       */

enum op_kind { OP_UP, OP_DOWN, OP_STAMP };
static const char *const kind_names[] = {"up", "down", "stamp"};

typedef int (*plan_fn)(const vmig_graph *, const bool *, const char *, vmig_plan *, vmig_error *);
typedef enum model_err (*model_fn)(const model *, const bool *, const char *, bool *);
static const plan_fn plan_fns[] = {vmig_plan_up, vmig_plan_down, vmig_plan_stamp};
static const model_fn model_fns[] = {model_up, model_down, model_stamp};
static const char *const defaults[] = {"head", "-1", "head"};

typedef struct run {
	uint64_t seed;
	uint64_t rng;
	tu_rgraph r;
	model m;
	tu_graph t;          /* built from the spec, in spec order */
	vmig_graph g2;       /* the same revisions built in another order */
	size_t *m2v;         /* model index -> graph node */
	size_t *v2m;         /* graph node -> model index */
	bool *s;             /* the applied set, by model index */
	int op;              /* the operation's number */
	size_t counts[3][2]; /* per kind: plans, errors */
	size_t *errs;        /* per model error: how often */
	size_t *rel_ok;      /* relative targets planned: [0] +N, [1] -N */
	size_t steps;        /* steps checked */
} run;

/* Prints what failed with everything needed to replay it, then fails. */
static void fail_run(const run *x, enum op_kind k, const char *target, const char *f, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_run(const run *x, enum op_kind k, const char *target, const char *f, ...)
{
	size_t *h = malloc(x->m.n * sizeof *h);
	size_t nh = applied_heads(&x->m, x->s, h);
	fprintf(stderr,
	        "seed %" PRIu64 " (replay: VMIG_TEST_SEED=%" PRIu64 "), operation %d: `%s %s`\n",
	        x->seed, x->seed, x->op, kind_names[k], target ? target : "(no target)");
	fprintf(stderr, "applied heads before:");
	for (size_t i = 0; i < nh; i++)
		fprintf(stderr, " %s", x->r.ids[h[i]]);
	fprintf(stderr, "%s\n", nh ? "" : " (none)");
	va_list ap;
	va_start(ap, f);
	vfprintf(stderr, f, ap);
	va_end(ap);
	fprintf(stderr, "\ngraph: %s\n", x->r.spec);
	free(h);
	fail_msg("seed %" PRIu64 ": vmig and the model disagree (details above)", x->seed);
}

static bool *vmig_mask(const run *x, const bool *s)
{
	bool *mask = calloc(x->m.n, sizeof *mask);
	for (size_t v = 0; v < x->m.n; v++)
		mask[x->m2v[v]] = s[v];
	return mask;
}

static bool same_plan(const vmig_plan *a, const vmig_plan *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->steps[i].node != b->steps[i].node || a->steps[i].down != b->steps[i].down)
			return false;
	return true;
}

/* The plan as "+a -b", for messages.  Caller frees. */
static char *plan_str(const run *x, const vmig_plan *p)
{
	return tu_plan_str(&x->t, p);
}

/* Plans k target on mask; the plan (or the error) must equal first's. */
static void expect_same(const run *x, enum op_kind k, const vmig_graph *g, const bool *mask,
                        const char *target, int rc0, const vmig_plan *p0, const vmig_error *e0,
                        const char *what, const char *shown)
{
	vmig_plan p;
	vmig_error err = {0};
	int rc = plan_fns[k](g, mask, target, &p, &err);
	bool same = rc == rc0 && (rc ? strcmp(err.msg, e0->msg) == 0 : same_plan(&p, p0));
	if (!same) {
		char *a = rc0 ? strdup(e0->msg) : plan_str(x, p0);
		char *b = rc ? strdup(err.msg) : plan_str(x, &p);
		fail_run(x, k, shown, "%s gave another result:\n  first: %s\n  then:  %s", what, a,
		         b);
	}
	vmig_plan_free(&p);
}

/* Runs the plan step by step on a copy of mask, checking each step's order;
 * returns the applied set it leaves, by model index. */
static bool *run_plan(run *x, enum op_kind k, const char *target, const bool *mask,
                      const vmig_plan *p)
{
	const vmig_graph *g = &x->t.g;
	bool *cur = malloc(x->m.n * sizeof *cur);
	bool *seen = calloc(x->m.n, sizeof *seen);
	memcpy(cur, mask, x->m.n * sizeof *cur);
	char *shown = plan_str(x, p);
	for (size_t i = 0; i < p->n; i++) {
		size_t v = p->steps[i].node, mv = x->v2m[v];
		const char *id = g->revs[v]->id;
		if (v >= g->n || seen[v])
			fail_run(x, k, target, "plan %s: step %zu (%s) changes it a second time",
			         shown, i, id);
		seen[v] = true;
		if ((k == OP_UP && p->steps[i].down) || (k == OP_DOWN && !p->steps[i].down))
			fail_run(x, k, target, "plan %s: step %zu (%s) goes the wrong way", shown,
			         i, id);
		if (p->steps[i].down) {
			if (!cur[v])
				fail_run(x, k, target,
				         "plan %s: unapplies %s, which is not applied", shown, id);
			for (size_t c = 0; c < x->m.nchildren[mv]; c++)
				if (cur[x->m2v[x->m.children[mv][c]]])
					fail_run(x, k, target,
					         "plan %s: unapplies %s before its child %s", shown,
					         id, x->r.ids[x->m.children[mv][c]]);
			cur[v] = false;
		} else {
			if (cur[v])
				fail_run(x, k, target, "plan %s: applies %s, which is applied",
				         shown, id);
			for (size_t j = 0; j < x->r.nparents[mv]; j++)
				if (!cur[x->m2v[x->r.parents[mv][j]]])
					fail_run(x, k, target,
					         "plan %s: applies %s before its parent %s", shown,
					         id, x->r.ids[x->r.parents[mv][j]]);
			cur[v] = true;
		}
	}
	free(shown);
	free(seen);
	bool *after = malloc(x->m.n * sizeof *after);
	for (size_t v = 0; v < x->m.n; v++)
		after[v] = cur[x->m2v[v]];
	free(cur);
	x->steps += p->n;
	return after;
}

/* The model's set and vmig's differ: name the revisions. */
static void fail_sets(const run *x, enum op_kind k, const char *target, const vmig_plan *p,
                      const bool *want, const bool *got)
{
	char *shown = plan_str(x, p);
	size_t len = 0;
	char *diff = calloc(1, 1);
	for (size_t v = 0; v < x->m.n; v++)
		if (want[v] != got[v]) {
			diff = realloc(diff, len + strlen(x->r.ids[v]) + 40);
			len += (size_t)sprintf(diff + len, " %s (model: %s)", x->r.ids[v],
			                       want[v] ? "applied" : "not applied");
		}
	fail_run(x, k, target, "plan %s leaves another applied set; differing:%s", shown, diff);
}

/* One operation: vmig against the model, then the state moves on. */
static void check_op(run *x, enum op_kind k, const char *target)
{
	bool *mask = vmig_mask(x, x->s);
	bool *want = malloc(x->m.n * sizeof *want);
	vmig_plan p;
	vmig_error err = {0};
	int rc = plan_fns[k](&x->t.g, mask, target, &p, &err);
	enum model_err e = model_fns[k](&x->m, x->s, target, want);
	const char *shown = target ? target : "(default)";

	if (e != M_OK) {
		if (rc != VMIG_ERR_INPUT) {
			char *got = rc ? strdup(err.msg) : plan_str(x, &p);
			fail_run(x, k, target, "the model fails (\"%s\"); vmig gave %d: %s",
			         err_words[e], rc, got);
		}
		if (p.n != 0 || !strstr(err.msg, err_words[e]))
			fail_run(x, k, target,
			         "vmig's error should say \"%s\" and plan nothing: %s",
			         err_words[e], err.msg);
		x->counts[k][1]++;
		x->errs[e]++;
	} else {
		if (rc != VMIG_OK)
			fail_run(x, k, target, "the model plans; vmig fails: %s", err.msg);
		x->counts[k][0]++;
		const char *rt = target ? target : defaults[k];
		x->rel_ok[0] += rel(rt, '+') > 0;
		x->rel_ok[1] += rel(rt, '-') > 0;
	}

	/* the same again, and from a graph built in another order */
	expect_same(x, k, &x->t.g, mask, target, rc, &p, &err, "planned again", shown);
	expect_same(x, k, &x->g2, mask, target, rc, &p, &err, "the graph built in another order",
	            shown);
	/* no target: the SPEC's default */
	if (!target)
		expect_same(x, k, &x->t.g, mask, defaults[k], rc, &p, &err, "the default target",
		            shown);

	if (rc == VMIG_OK) {
		bool *got = run_plan(x, k, target, mask, &p);
		if (memcmp(got, want, x->m.n * sizeof *got) != 0)
			fail_sets(x, k, target, &p, want, got);
		/* a relative target pinned now: the same steps now, none once done */
		const char *rt = target ? target : defaults[k];
		char *pinned = NULL;
		vmig_error perr = {0};
		if (vmig_plan_pin(&x->t.g, mask, rt, &pinned, &perr) != VMIG_OK)
			fail_run(x, k, target, "pinning %s fails: %s", rt, perr.msg);
		if ((rel(rt, '+') > 0 || rel(rt, '-') > 0) != (pinned != NULL))
			fail_run(x, k, target, "pinning %s gives %s", rt,
			         pinned ? pinned : "nothing");
		if (pinned) {
			char what[160];
			snprintf(what, sizeof what, "the pinned target %s", pinned);
			expect_same(x, k, &x->t.g, mask, pinned, rc, &p, &err, what, shown);
			bool *later = vmig_mask(x, got);
			vmig_plan q;
			vmig_error qerr = {0};
			int qrc = plan_fns[k](&x->t.g, later, pinned, &q, &qerr);
			if (qrc != VMIG_OK || q.n != 0) {
				char *qs = qrc ? strdup(qerr.msg) : plan_str(x, &q);
				fail_run(
				    x, k, target,
				    "after the plan, the pinned target %s should do nothing: %s",
				    pinned, qs);
			}
			vmig_plan_free(&q);
			free(later);
		}
		free(pinned);
		memcpy(x->s, got, x->m.n * sizeof *got);
		free(got);
	}
	vmig_plan_free(&p);
	free(mask);
	free(want);
}

/* ------------------------------------------------------------------ */
/* Random operations                                                     */

static long random_n(run *x)
{
	return tu_rng_unit(&x->rng) < 0.85 ? 1 + (long)tu_rng_below(&x->rng, 3)
	                                   : 4 + (long)tu_rng_below(&x->rng, 30);
}

/* An id, a prefix of one, or something that names no single revision. */
static const char *random_id(run *x, char *buf, size_t size, bool applied_only)
{
	size_t v = tu_rng_below(&x->rng, x->m.n);
	if (applied_only) {
		size_t start = v;
		while (!x->s[v] && (v = (v + 1) % x->m.n) != start)
			;
	}
	const char *id = x->r.ids[v];
	double d = tu_rng_unit(&x->rng);
	if (d < 0.80) {
		snprintf(buf, size, "%s", id);
	} else if (d < 0.92) {
		size_t len = strlen(id), cut = len < 3 ? len : 2 + tu_rng_below(&x->rng, len - 1);
		snprintf(buf, size, "%.*s", (int)cut, id);
	} else if (d < 0.97) {
		snprintf(buf, size, "%c", "0123456789abcdef"[tu_rng_below(&x->rng, 16)]);
	} else {
		snprintf(buf, size, "zz%s", id);
	}
	return buf;
}

/* A random descendant of the single applied head (any revision when nothing
 * is applied), so that the database stays on one line for a while. */
static const char *line_id(run *x, size_t head, char *buf, size_t size)
{
	bool *d = calloc(x->m.n, sizeof *d);
	size_t n = 0, pick;
	if (head == BASE)
		memset(d, 1, x->m.n * sizeof *d);
	else
		closure(&x->m, head, false, d);
	for (size_t v = 0; v < x->m.n; v++)
		n += d[v];
	pick = tu_rng_below(&x->rng, n);
	for (size_t v = 0; v < x->m.n; v++)
		if (d[v] && pick-- == 0)
			snprintf(buf, size, "%s", x->r.ids[v]);
	free(d);
	return buf;
}

static void random_op(run *x)
{
	char buf[64];
	const char *t;
	double d = tu_rng_unit(&x->rng), e = tu_rng_unit(&x->rng);
	size_t *h = malloc(x->m.n * sizeof *h);
	size_t nh = applied_heads(&x->m, x->s, h), head = nh ? h[0] : BASE;
	free(h);
	if (d < 0.05) {
		/* back to an empty database now and then */
		check_op(x, e < 0.5 ? OP_DOWN : OP_STAMP, "base");
		return;
	}
	if (nh <= 1 && d < 0.45) {
		/* one applied head: walks and moves along its line */
		enum op_kind k = e < 0.35 ? OP_UP : e < 0.75 ? OP_DOWN : OP_STAMP;
		double f = tu_rng_unit(&x->rng);
		if (f < 0.45)
			snprintf(buf, sizeof buf, "%c%ld",
			         k == OP_UP || (k == OP_STAMP && f < 0.1) ? '+' : '-', random_n(x));
		else if (k == OP_DOWN && f < 0.55)
			snprintf(buf, sizeof buf, "-1");
		else if (k == OP_DOWN)
			random_id(x, buf, sizeof buf, true);
		else
			line_id(x, head, buf, sizeof buf);
		check_op(x, k, k == OP_DOWN && f >= 0.45 && f < 0.5 ? NULL : buf);
		return;
	}
	enum op_kind k = d < 0.65 ? OP_UP : d < 0.85 ? OP_DOWN : OP_STAMP;
	if (k == OP_UP) {
		t = e < 0.04   ? NULL
		    : e < 0.08 ? "head"
		    : e < 0.10 ? "heads"
		    : e < 0.12 ? "base"
		    : e < 0.14 ? "-1"
		    : e < 0.30 ? (snprintf(buf, sizeof buf, "+%ld", random_n(x)), buf)
		               : random_id(x, buf, sizeof buf, false);
	} else if (k == OP_DOWN) {
		t = e < 0.08   ? NULL
		    : e < 0.11 ? "base"
		    : e < 0.13 ? "+1"
		    : e < 0.15 ? "head"
		    : e < 0.35 ? (snprintf(buf, sizeof buf, "-%ld", random_n(x)), buf)
		               : random_id(x, buf, sizeof buf, tu_rng_unit(&x->rng) < 0.7);
	} else {
		t = e < 0.04   ? "heads"
		    : e < 0.07 ? "base"
		    : e < 0.10 ? "head"
		    : e < 0.12 ? NULL
		    : e < 0.24 ? (snprintf(buf, sizeof buf, "-%ld", random_n(x)), buf)
		    : e < 0.30 ? (snprintf(buf, sizeof buf, "+%ld", random_n(x)), buf)
		               : random_id(x, buf, sizeof buf, false);
	}
	check_op(x, k, t);
}

/* One seed: a graph and OPS_PER_GRAPH operations on it. */
static void run_seed(uint64_t seed, size_t totals[3][2], size_t *errs, size_t *rel_ok,
                     size_t *nodes, size_t *steps)
{
	run x = {.seed = seed, .rng = seed, .errs = errs, .rel_ok = rel_ok};
	tu_rgraph_opts o = {
	    .min_n = 150, .max_n = 400, .irreversible = seed % 2 == 1, .redundant_merges = true};
	tu_rgraph_make(&x.r, &x.rng, &o);
	model_init(&x.m, &x.r);
	tu_graph_make(&x.t, x.r.spec);
	assert_int_equal(x.t.g.n, x.r.n);
	x.m2v = malloc(x.r.n * sizeof *x.m2v);
	x.v2m = malloc(x.r.n * sizeof *x.v2m);
	for (size_t v = 0; v < x.r.n; v++) {
		x.m2v[v] = tu_node(&x.t, x.r.ids[v]);
		x.v2m[x.m2v[v]] = v;
	}
	/* the same revisions, handed over in a shuffled order */
	vmig_revision **perm = malloc(x.r.n * sizeof *perm);
	memcpy(perm, x.t.ptrs, x.r.n * sizeof *perm);
	for (size_t i = x.r.n; i > 1; i--) {
		size_t j = tu_rng_below(&x.rng, i);
		vmig_revision *tmp = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = tmp;
	}
	vmig_error err = {0};
	assert_int_equal(vmig_graph_build(perm, x.r.n, false, &x.g2, &err), VMIG_OK);
	x.s = calloc(x.r.n, sizeof *x.s);

	for (x.op = 1; x.op <= OPS_PER_GRAPH; x.op++)
		random_op(&x);

	for (int k = 0; k < 3; k++) {
		totals[k][0] += x.counts[k][0];
		totals[k][1] += x.counts[k][1];
	}
	*nodes += x.r.n;
	*steps += x.steps;
	free(x.s);
	free(perm);
	vmig_graph_free(&x.g2);
	free(x.m2v);
	free(x.v2m);
	tu_graph_free(&x.t);
	model_free(&x.m);
	tu_rgraph_free(&x.r);
}

static void test_random_graphs(void **state)
{
	(void)state;
	const char *env = getenv("VMIG_TEST_SEED");
	uint64_t one = env && *env ? strtoull(env, NULL, 10) : 0;
	size_t nseeds = env && *env ? 1 : SEEDS;
	size_t totals[3][2] = {{0}}, errs[M_NOT_A_TARGET + 1] = {0}, rel_ok[2] = {0};
	size_t nodes = 0, steps = 0;
	for (size_t i = 0; i < nseeds; i++)
		run_seed(env && *env ? one : i + 1, totals, errs, rel_ok, &nodes, &steps);
	print_message("%zu graphs (%zu revisions), %zu operations: up %zu planned / %zu refused, "
	              "down %zu / %zu, stamp %zu / %zu (+N planned %zu, -N %zu); %zu steps "
	              "checked\n",
	              nseeds, nodes, nseeds * OPS_PER_GRAPH, totals[0][0], totals[0][1],
	              totals[1][0], totals[1][1], totals[2][0], totals[2][1], rel_ok[0], rel_ok[1],
	              steps);
	print_message("refused:");
	for (size_t e = 1; e <= M_NOT_A_TARGET; e++)
		print_message(" %s %zu%s", err_words[e], errs[e], e < M_NOT_A_TARGET ? "," : "\n");
}

/* ------------------------------------------------------------------ */
/* The model itself, on the SPEC's examples                              */

/* The model's applied set after `kind target` from the applied ids, as ids. */
static char *model_says(const char *spec, const char *applied, enum op_kind k, const char *target)
{
	tu_graph t;
	tu_graph_make(&t, spec);
	tu_rgraph r = {0};
	r.n = t.n;
	r.ids = calloc(r.n, sizeof *r.ids);
	r.parents = calloc(r.n, sizeof *r.parents);
	r.nparents = calloc(r.n, sizeof *r.nparents);
	r.irreversible = calloc(r.n, sizeof *r.irreversible);
	for (size_t i = 0; i < r.n; i++) {
		r.ids[i] = strdup(t.revs[i].id);
		r.nparents[i] = t.revs[i].nparents;
		r.parents[i] = malloc((r.nparents[i] ? r.nparents[i] : 1) * sizeof(size_t));
		for (size_t j = 0; j < r.nparents[i]; j++)
			for (size_t u = 0; u < i; u++)
				if (strcmp(t.revs[u].id, t.revs[i].parents[j]) == 0)
					r.parents[i][j] = u;
		r.irreversible[i] = !t.revs[i].down_sql;
	}
	model m;
	model_init(&m, &r);
	bool *s = calloc(r.n, sizeof *s), *after = calloc(r.n, sizeof *after);
	bool *mask = tu_mask(&t, applied);
	for (size_t i = 0; i < r.n; i++)
		s[i] = mask[tu_node(&t, r.ids[i])];
	enum model_err e = model_fns[k](&m, s, target, after);
	char *out = calloc(1, 64 + 16 * r.n);
	if (e)
		sprintf(out, "error: %s", err_words[e]);
	for (size_t i = 0; !e && i < r.n; i++)
		if (after[i])
			sprintf(out + strlen(out), "%s%s", *out ? " " : "", r.ids[i]);
	free(s);
	free(after);
	free(mask);
	model_free(&m);
	tu_rgraph_free(&r);
	tu_graph_free(&t);
	return out;
}

#define EXPECT_MODEL(spec, applied, k, target, want)                                               \
	do {                                                                                       \
		char *got_ = model_says((spec), (applied), (k), (target));                         \
		assert_string_equal(got_, (want));                                                 \
		free(got_);                                                                        \
	} while (0)

static void test_model_examples(void **state)
{
	(void)state;
	/* M = merge(F, G) applied, D the parent of F: stamp D drops G's branch. */
	static const char mfg[] = "r d:r f:d g:r m:f,g";
	EXPECT_MODEL(mfg, "r d f g m", OP_STAMP, "d", "r d");
	EXPECT_MODEL(mfg, "r d f g m", OP_DOWN, "d", "r d g");
	EXPECT_MODEL(mfg, "r d f g m", OP_DOWN, "-1", "r d f g");
	EXPECT_MODEL(mfg, "r d f g m", OP_DOWN, "-2", "error: merge");
	EXPECT_MODEL(mfg, "r d f g m", OP_STAMP, "-1", "error: merge");
	EXPECT_MODEL(mfg, "r d f g", OP_DOWN, "-1", "error: applied heads");
	EXPECT_MODEL(mfg, "r d", OP_STAMP, "g", "r d g"); /* another branch: one more head */
	EXPECT_MODEL(mfg, "r d f g", OP_STAMP, "m", "r d f g m");
	EXPECT_MODEL(mfg, "r", OP_UP, "+1", "error: branch point");
	EXPECT_MODEL(mfg, "r d", OP_UP, "+2",
	             "r d f g m"); /* onto a merge: its other parents too */
	EXPECT_MODEL(mfg, "r d f g m", OP_UP, "+1", "error: past the head");
	EXPECT_MODEL(mfg, "r d f g m", OP_STAMP, "base", "");
	EXPECT_MODEL(mfg, "r", OP_STAMP, "heads", "r d f g m");
	EXPECT_MODEL("a b:a c:b", "a b c", OP_DOWN, "-4", "error: below base");
	EXPECT_MODEL("a b:a c:b", "a b c", OP_STAMP, "-3", "");
	EXPECT_MODEL("a b:a c!:b", "a b c", OP_DOWN, "a", "error: irreversible");
	EXPECT_MODEL("p q", "", OP_UP, "+1", "error: roots");
	EXPECT_MODEL("ab abc b", "", OP_UP, "ab", "ab");
	EXPECT_MODEL("abd abc b", "", OP_UP, "ab", "error: ambiguous");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_model_examples),
	    cmocka_unit_test(test_random_graphs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
