/*
 * plan.c - resolving targets and turning them into steps.
 *
 * Every function here is pure: graph and applied mask in, plan or error out.
 * The rules follow Alembic's, which is where our users come from (SPEC
 * "Targets").
 */
#include "plan.h"

#include "alloc.h"
#include "buf.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t vmig_applied_heads(const vmig_graph *g, const bool *applied, size_t *out)
{
	size_t n = 0;
	for (size_t v = 0; v < g->n; v++) {
		if (!applied[v])
			continue;
		bool child_applied = false;
		for (size_t k = 0; k < g->nodes[v].nchildren && !child_applied; k++)
			child_applied = applied[g->nodes[v].children[k]];
		if (!child_applied) {
			if (out)
				out[n] = v;
			n++;
		}
	}
	return n;
}

/* "a, b, c" for a list of nodes; caller frees. */
static char *id_list(const vmig_graph *g, const size_t *nodes, size_t n)
{
	vmig_buf b = {0};
	for (size_t i = 0; i < n; i++)
		vmig_buf_printf(&b, "%s%s", i ? ", " : "", g->revs[nodes[i]]->id);
	return vmig_buf_detach(&b);
}

/* Parses "+N" or "-N" (sign given); returns N or 0 when target is not of that form. */
static long relative_steps(const char *target, char sign)
{
	if (target[0] != sign || !target[1])
		return 0;
	for (const char *p = target + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	long n = strtol(target + 1, NULL, 10);
	return n > 0 && n <= 1000000 ? n : 0;
}

static int several_heads(const vmig_graph *g, const size_t *heads, size_t n, const char *what,
                         vmig_error *err)
{
	char *list = id_list(g, heads, n);
	int rc = vmig_fail(err, VMIG_ERR_INPUT,
	                   "%s: there are %zu heads (%s); name one (vmig up ID), use `heads`, or "
	                   "join them with `vmig merge`",
	                   what, n, list);
	free(list);
	return rc;
}

/* The single head of the graph, for target "head"; VMIG_NONE when the graph is empty. */
static int single_head(const vmig_graph *g, size_t *node, vmig_error *err)
{
	for (size_t i = 0; g->nheads > 1 && i < g->nheads; i++) {
		const vmig_revision *r = g->revs[g->heads[i]];
		if (r->from_db)
			return vmig_fail(
			    err, VMIG_ERR_INPUT,
			    "head: revision %s is applied but its file is gone (applied "
			    "by a newer release?), so it is a head the files do not "
			    "have; restore its file, or unapply it first with `vmig down` "
			    "and its parent (its down SQL is kept in the version table)",
			    r->id);
	}
	if (g->nheads > 1)
		return several_heads(g, g->heads, g->nheads, "head", err);
	*node = g->nheads ? g->heads[0] : VMIG_NONE;
	return VMIG_OK;
}

/* The single applied head, for relative targets. */
static int single_applied_head(const vmig_graph *g, const bool *applied, const char *target,
                               size_t *node, vmig_error *err)
{
	size_t *heads = xmalloc((g->n ? g->n : 1) * sizeof *heads);
	size_t n = vmig_applied_heads(g, applied, heads);
	int rc = VMIG_OK;
	if (n > 1) {
		char *list = id_list(g, heads, n);
		rc = vmig_fail(err, VMIG_ERR_INPUT,
		               "%s: the database has %zu applied heads (%s); a relative target "
		               "needs one: name the revision instead (vmig %s ID)",
		               target, n, list, target[0] == '-' ? "down" : "up");
		free(list);
	}
	*node = n == 1 ? heads[0] : VMIG_NONE;
	free(heads);
	return rc;
}

/* Walks `up +N`: from the applied head (or the single root) N steps to only children. */
static int walk_up(const vmig_graph *g, const bool *applied, const char *target, long steps,
                   size_t *node, vmig_error *err)
{
	size_t cur;
	int rc = single_applied_head(g, applied, target, &cur, err);
	if (rc)
		return rc;
	bool from_base = cur == VMIG_NONE;
	if (cur == VMIG_NONE) {
		if (g->nroots == 0)
			return vmig_fail(err, VMIG_ERR_INPUT, "%s: there are no revisions", target);
		if (g->nroots > 1) {
			char *list = id_list(g, g->roots, g->nroots);
			rc = vmig_fail(err, VMIG_ERR_INPUT,
			               "%s: nothing is applied and there are %zu roots (%s); name "
			               "the revision to apply",
			               target, g->nroots, list);
			free(list);
			return rc;
		}
		cur = g->roots[0];
		steps--;
	}
	const char *from = from_base ? "base" : g->revs[cur]->id;
	for (long i = 0; i < steps; i++) {
		const vmig_node *nd = &g->nodes[cur];
		if (nd->nchildren == 0)
			return vmig_fail(
			    err, VMIG_ERR_INPUT,
			    "%s: there are only %ld revision(s) after %s; the walk runs "
			    "past the head %s",
			    target, i + (long)from_base, from, g->revs[cur]->id);
		if (nd->nchildren > 1) {
			char *list = id_list(g, nd->children, nd->nchildren);
			rc = vmig_fail(err, VMIG_ERR_INPUT,
			               "%s: %s is a branch point (children: %s); name the "
			               "revision to go to",
			               target, g->revs[cur]->id, list);
			free(list);
			return rc;
		}
		cur = nd->children[0];
	}
	*node = cur;
	return VMIG_OK;
}

static vmig_step *add_step(vmig_plan *p, size_t *cap, size_t node, bool down)
{
	XGROW(p->steps, *cap, p->n + 1);
	p->steps[p->n] = (vmig_step){.node = node, .down = down};
	return &p->steps[p->n++];
}

/* Steps for every marked, unapplied node, parents first. */
static void plan_marked_up(const vmig_graph *g, const bool *applied, const bool *mark,
                           vmig_plan *out, size_t *cap)
{
	for (size_t i = 0; i < g->n; i++) {
		size_t v = g->order[i];
		if (mark[v] && !applied[v])
			add_step(out, cap, v, false);
	}
}

/* Steps for every marked, applied node, children first. */
static void plan_marked_down(const vmig_graph *g, const bool *applied, const bool *mark,
                             vmig_plan *out, size_t *cap)
{
	for (size_t i = g->n; i-- > 0;) {
		size_t v = g->order[i];
		if (mark[v] && applied[v])
			add_step(out, cap, v, true);
	}
}

/*
 * Marks the nodes that `up target` must have applied: the target(s) and
 * all their ancestors.  *single is set to the single target node (VMIG_NONE
 * for heads and base), which stamp records.
 */
static int mark_up_target(const vmig_graph *g, const bool *applied, const char *target, bool *mark,
                          size_t *single, vmig_error *err)
{
	size_t node = VMIG_NONE;
	long steps;
	int rc = VMIG_OK;
	*single = VMIG_NONE;
	if (strcmp(target, "heads") == 0) {
		for (size_t i = 0; i < g->nheads; i++)
			vmig_graph_mark_ancestors(g, g->heads[i], true, mark);
		return VMIG_OK;
	}
	if (strcmp(target, "base") == 0)
		return VMIG_OK;
	if (strcmp(target, "head") == 0)
		rc = single_head(g, &node, err);
	else if ((steps = relative_steps(target, '+')) > 0)
		rc = walk_up(g, applied, target, steps, &node, err);
	else if (target[0] == '+' || target[0] == '-')
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s: not a target here; `up` takes head, heads, an id or +N, "
		                 "`down` takes base, an id or -N",
		                 target);
	else
		rc = vmig_graph_lookup(g, target, &node, err);
	if (rc == VMIG_OK && node != VMIG_NONE) {
		vmig_graph_mark_ancestors(g, node, true, mark);
		*single = node;
	}
	return rc;
}

int vmig_plan_up(const vmig_graph *g, const bool *applied, const char *target, vmig_plan *out,
                 vmig_error *err)
{
	bool *mark = xcalloc(g->n ? g->n : 1, sizeof *mark);
	size_t cap = 0, single;
	memset(out, 0, sizeof *out);
	int rc =
	    mark_up_target(g, applied, target ? target : VMIG_PLAN_UP_DEFAULT, mark, &single, err);
	if (rc == VMIG_OK)
		plan_marked_up(g, applied, mark, out, &cap);
	free(mark);
	return rc;
}

/* Walks `down -N`: unapplies the applied head, then its only parent, N times. */
static int walk_down(const vmig_graph *g, const bool *applied, const char *target, long steps,
                     bool *mark, size_t *lowest, vmig_error *err)
{
	size_t cur;
	int rc = single_applied_head(g, applied, target, &cur, err);
	if (rc)
		return rc;
	if (cur == VMIG_NONE)
		return vmig_fail(err, VMIG_ERR_INPUT, "%s: nothing is applied", target);
	for (long i = 0; i < steps; i++) {
		mark[cur] = true;
		if (lowest)
			*lowest = cur;
		if (i + 1 == steps)
			break;
		const vmig_node *nd = &g->nodes[cur];
		if (nd->nparents > 1) {
			char *list = id_list(g, nd->parents, nd->nparents);
			rc = vmig_fail(err, VMIG_ERR_INPUT,
			               "%s: %s is a merge of %s; below it the walk has no single "
			               "way down: name the revision to go down to (vmig down ID)",
			               target, g->revs[cur]->id, list);
			free(list);
			return rc;
		}
		if (nd->nparents == 0 || !applied[nd->parents[0]])
			return vmig_fail(err, VMIG_ERR_INPUT,
			                 "%s: only %ld revision(s) are applied on this line; the "
			                 "walk runs below base (use `vmig down base` to unapply "
			                 "everything)",
			                 target, i + 1);
		cur = nd->parents[0];
	}
	return VMIG_OK;
}

/* Marks what `down target` unapplies (applied or not; the caller filters). */
static int mark_down_target(const vmig_graph *g, const bool *applied, const char *target,
                            bool *mark, vmig_error *err)
{
	long steps = relative_steps(target, '-');
	size_t node = VMIG_NONE;
	int rc;
	if (steps > 0)
		return walk_down(g, applied, target, steps, mark, NULL, err);
	if (strcmp(target, "base") == 0) {
		for (size_t v = 0; v < g->n; v++)
			mark[v] = true;
		return VMIG_OK;
	}
	if (strcmp(target, "heads") == 0)
		return VMIG_OK;
	if (strcmp(target, "head") == 0)
		rc = single_head(g, &node, err);
	else if (target[0] == '+' || target[0] == '-')
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s: not a target here; `down` takes base, an id or -N", target);
	else
		rc = vmig_graph_lookup(g, target, &node, err);
	if (rc)
		return rc;
	if (node == VMIG_NONE)
		return VMIG_OK;
	if (!applied[node])
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s: revision %s is not applied, so there is nothing to go down "
		                 "to; `vmig current` shows what is applied",
		                 target, g->revs[node]->id);
	vmig_graph_mark_descendants(g, node, false, mark);
	return VMIG_OK;
}

static int check_reversible(const vmig_graph *g, const vmig_plan *p, vmig_error *err)
{
	for (size_t i = 0; i < p->n; i++) {
		const vmig_revision *r = g->revs[p->steps[i].node];
		if (r->down_sql)
			continue;
		return vmig_fail(
		    err, VMIG_ERR_INPUT,
		    "%s: revision %s is irreversible (it has no -- vmig:down section); "
		    "nothing was changed. Add a -- vmig:down section, or record the "
		    "state you want with `vmig stamp`",
		    r->from_db ? "(file gone; down SQL from the version table)" : r->path, r->id);
	}
	return VMIG_OK;
}

int vmig_plan_down(const vmig_graph *g, const bool *applied, const char *target, vmig_plan *out,
                   vmig_error *err)
{
	bool *mark = xcalloc(g->n ? g->n : 1, sizeof *mark);
	size_t cap = 0;
	memset(out, 0, sizeof *out);
	int rc = mark_down_target(g, applied, target ? target : VMIG_PLAN_DOWN_DEFAULT, mark, err);
	if (rc == VMIG_OK) {
		plan_marked_down(g, applied, mark, out, &cap);
		rc = check_reversible(g, out, err);
	}
	free(mark);
	if (rc)
		vmig_plan_free(out);
	return rc;
}

/*
 * `stamp -N`: the revision N steps below the single applied head (the walk
 * of `down -N`), or VMIG_NONE for base.  stamp records one target, so the
 * walk must land on one revision: ending below a merge is an error (which
 * parent?), as walking through one is.
 */
static int walk_stamp_down(const vmig_graph *g, const bool *applied, const char *target, long steps,
                           size_t *node, vmig_error *err)
{
	bool *mark = xcalloc(g->n ? g->n : 1, sizeof *mark);
	size_t lowest = VMIG_NONE;
	int rc = walk_down(g, applied, target, steps, mark, &lowest, err);
	free(mark);
	if (rc)
		return rc;
	const vmig_node *nd = &g->nodes[lowest];
	if (nd->nparents > 1) {
		char *list = id_list(g, nd->parents, nd->nparents);
		rc = vmig_fail(err, VMIG_ERR_INPUT,
		               "%s: the walk ends below %s, a merge of %s, so it names no single "
		               "revision to stamp: name it (vmig stamp ID)",
		               target, g->revs[lowest]->id, list);
		free(list);
		return rc;
	}
	*node = nd->nparents ? nd->parents[0] : VMIG_NONE;
	return VMIG_OK;
}

/*
 * SPEC "Targets": with S the applied set, `stamp X` leaves X, every head of
 * S that is neither an ancestor nor a descendant of X, and all their
 * ancestors applied; `stamp heads` every head and its ancestors; `stamp
 * base` nothing.  Unrecords first (children first), then records (parents
 * first), so that from a set closed under ancestors every step leaves one.
 */
int vmig_plan_stamp(const vmig_graph *g, const bool *applied, const char *target, vmig_plan *out,
                    vmig_error *err)
{
	size_t n = g->n ? g->n : 1;
	bool *keep = xcalloc(n, sizeof *keep);
	bool *drop = xcalloc(n, sizeof *drop);
	size_t cap = 0, node = VMIG_NONE;
	long steps;
	int rc = VMIG_OK;
	memset(out, 0, sizeof *out);
	if (!target)
		target = VMIG_PLAN_UP_DEFAULT;
	if (strcmp(target, "heads") == 0) {
		for (size_t i = 0; i < g->nheads; i++)
			vmig_graph_mark_ancestors(g, g->heads[i], true, keep);
	} else if (strcmp(target, "base") != 0) {
		if ((steps = relative_steps(target, '-')) > 0)
			rc = walk_stamp_down(g, applied, target, steps, &node, err);
		else
			rc = mark_up_target(g, applied, target, keep, &node, err);
	}
	if (rc == VMIG_OK && node != VMIG_NONE) {
		/* X's own line: X's ancestors and descendants (a scratch mask). */
		bool *line = drop;
		vmig_graph_mark_ancestors(g, node, true, keep);
		vmig_graph_mark_ancestors(g, node, true, line);
		vmig_graph_mark_descendants(g, node, true, line);
		size_t *heads = xmalloc(n * sizeof *heads);
		size_t nh = vmig_applied_heads(g, applied, heads);
		for (size_t i = 0; i < nh; i++)
			if (!line[heads[i]])
				vmig_graph_mark_ancestors(g, heads[i], true, keep);
		free(heads);
	}
	if (rc == VMIG_OK) {
		for (size_t v = 0; v < g->n; v++)
			drop[v] = !keep[v];
		plan_marked_down(g, applied, drop, out, &cap);
		plan_marked_up(g, applied, keep, out, &cap);
	}
	free(keep);
	free(drop);
	if (rc)
		vmig_plan_free(out);
	return rc;
}

void vmig_plan_free(vmig_plan *p)
{
	free(p->steps);
	memset(p, 0, sizeof *p);
}

/*
 * The revision to go down to for a walk whose last step unapplies node: its
 * parent (VMIG_NONE for a root).  A walk goes down through single parents,
 * but its last step may unapply a merge: then a parent that is no ancestor
 * of another one, so that `down` it unapplies node and what the walk passed,
 * and nothing of the other parents' lines.
 */
static size_t lowest_parent(const vmig_graph *g, size_t node)
{
	const vmig_node *nd = &g->nodes[node];
	if (nd->nparents < 2)
		return nd->nparents ? nd->parents[0] : VMIG_NONE;
	bool *anc = xcalloc(g->n, sizeof *anc);
	for (size_t i = 0; i < nd->nparents; i++)
		vmig_graph_mark_ancestors(g, nd->parents[i], false, anc);
	size_t pick = nd->parents[0];
	for (size_t i = nd->nparents; i-- > 0;)
		if (!anc[nd->parents[i]])
			pick = nd->parents[i];
	free(anc);
	return pick;
}

int vmig_plan_pin(const vmig_graph *g, const bool *applied, const char *target, char **pinned,
                  vmig_error *err)
{
	long up = target ? relative_steps(target, '+') : 0;
	long down = target ? relative_steps(target, '-') : 0;
	size_t node = VMIG_NONE;
	int rc = VMIG_OK;
	*pinned = NULL;
	if (up > 0) {
		rc = walk_up(g, applied, target, up, &node, err);
		if (rc == VMIG_OK)
			*pinned = xstrdup(g->revs[node]->id);
	} else if (down > 0) {
		bool *mark = xcalloc(g->n ? g->n : 1, sizeof *mark);
		rc = walk_down(g, applied, target, down, mark, &node, err);
		free(mark);
		if (rc == VMIG_OK) {
			size_t below = lowest_parent(g, node);
			*pinned = xstrdup(below == VMIG_NONE ? "base" : g->revs[below]->id);
		}
	}
	return rc;
}
