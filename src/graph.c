/*
 * graph.c - building and querying the revision graph.
 *
 * Nodes live in arrays indexed like the sorted revisions; parents and
 * children are slices of two shared arrays, so building costs a handful of
 * allocations whatever the number of revisions.  The id lookup is an
 * open-addressing hash table; prefix lookups use binary search over the sorted
 * ids.
 */
#include "graph.h"

#include "alloc.h"
#include "buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_id(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int cmp_rev(const void *a, const void *b)
{
	return strcmp((*(vmig_revision *const *)a)->id, (*(vmig_revision *const *)b)->id);
}

size_t vmig_graph_find(const vmig_graph *g, const char *id)
{
	if (!g->nslots)
		return VMIG_NONE;
	size_t mask = g->nslots - 1;
	for (size_t i = hash_id(id) & mask;; i = (i + 1) & mask) {
		size_t v = g->slots[i];
		if (v == VMIG_NONE)
			return VMIG_NONE;
		if (strcmp(g->revs[v]->id, id) == 0)
			return v;
	}
}

static void index_ids(vmig_graph *g)
{
	g->nslots = 16;
	while (g->nslots < 2 * g->n)
		g->nslots *= 2;
	g->slots = xmalloc(g->nslots * sizeof *g->slots);
	memset(g->slots, 0xff, g->nslots * sizeof *g->slots);
	for (size_t v = 0; v < g->n; v++) {
		size_t i = hash_id(g->revs[v]->id) & (g->nslots - 1);
		while (g->slots[i] != VMIG_NONE)
			i = (i + 1) & (g->nslots - 1);
		g->slots[i] = v;
	}
}

static int check_unique(const vmig_graph *g, vmig_error *err)
{
	for (size_t i = 1; i < g->n; i++)
		if (strcmp(g->revs[i - 1]->id, g->revs[i]->id) == 0)
			return vmig_fail(err, VMIG_ERR_INPUT,
			                 "%s:1: revision id \"%s\" is also used by %s; give one of "
			                 "them a new id",
			                 g->revs[i]->path, g->revs[i]->id, g->revs[i - 1]->path);
	return VMIG_OK;
}

/* Resolves parent ids to indexes and fills children, CSR-style. */
static int link_nodes(vmig_graph *g, bool allow_missing, vmig_error *err)
{
	size_t total = 0;
	for (size_t v = 0; v < g->n; v++)
		total += g->revs[v]->nparents;
	size_t *par = xmalloc((total ? total : 1) * sizeof *par);
	size_t *nchild = xcalloc(g->n + 1, sizeof *nchild);
	size_t used = 0;
	g->nodes = xcalloc(g->n ? g->n : 1, sizeof *g->nodes);
	g->par_store = par;
	for (size_t v = 0; v < g->n; v++) {
		const vmig_revision *r = g->revs[v];
		g->nodes[v].parents = par + used;
		for (size_t k = 0; k < r->nparents; k++) {
			size_t p = vmig_graph_find(g, r->parents[k]);
			if (p == VMIG_NONE && allow_missing)
				continue;
			if (p == VMIG_NONE) {
				free(nchild);
				return vmig_fail(
				    err, VMIG_ERR_INPUT,
				    "%s:%d: parent \"%s\" of revision %s does not exist "
				    "(no file has -- vmig:revision %s); fix the "
				    "-- vmig:down_revision line",
				    r->path, r->parents_line, r->parents[k], r->id, r->parents[k]);
			}
			par[used++] = p;
			g->nodes[v].nparents++;
			nchild[p]++;
		}
	}
	size_t *kids = xmalloc((used ? used : 1) * sizeof *kids);
	g->child_store = kids;
	size_t off = 0;
	for (size_t v = 0; v < g->n; v++) {
		g->nodes[v].children = kids + off;
		off += nchild[v];
	}
	free(nchild);
	/* Visiting children in index order leaves every child list sorted by id. */
	for (size_t v = 0; v < g->n; v++)
		for (size_t k = 0; k < g->nodes[v].nparents; k++) {
			vmig_node *p = &g->nodes[g->nodes[v].parents[k]];
			p->children[p->nchildren++] = v;
		}
	return VMIG_OK;
}

/* Names one cycle among the nodes that the topological sort could not place. */
static int report_cycle(const vmig_graph *g, const size_t *indeg, vmig_error *err)
{
	size_t start = 0;
	while (indeg[start] == 0)
		start++;
	/* Walk to parents that are also stuck until a node repeats. */
	char *seen = xcalloc(g->n, 1);
	size_t v = start;
	while (!seen[v]) {
		seen[v] = 1;
		for (size_t k = 0; k < g->nodes[v].nparents; k++)
			if (indeg[g->nodes[v].parents[k]]) {
				v = g->nodes[v].parents[k];
				break;
			}
	}
	vmig_buf b = {0};
	size_t u = v;
	do {
		vmig_buf_printf(&b, "%s (%s) -> ", g->revs[u]->id, g->revs[u]->path);
		for (size_t k = 0; k < g->nodes[u].nparents; k++)
			if (indeg[g->nodes[u].parents[k]]) {
				u = g->nodes[u].parents[k];
				break;
			}
	} while (u != v);
	vmig_buf_puts(&b, g->revs[v]->id);
	int rc =
	    vmig_fail(err, VMIG_ERR_INPUT,
	              "%s:%d: the revisions form a cycle through their parents: %s; break it by "
	              "fixing a -- vmig:down_revision line",
	              g->revs[v]->path, g->revs[v]->parents_line, vmig_buf_str(&b));
	vmig_buf_free(&b);
	free(seen);
	return rc;
}

/*
 * Kahn's algorithm with a stack: a branch is finished before its sibling is
 * started, and ties go to the smaller id, so the order is stable.
 */
static int sort_topologically(vmig_graph *g, vmig_error *err)
{
	size_t *indeg = xmalloc((g->n ? g->n : 1) * sizeof *indeg);
	size_t *stack = xmalloc((g->n ? g->n : 1) * sizeof *stack);
	size_t top = 0, placed = 0;
	g->order = xmalloc((g->n ? g->n : 1) * sizeof *g->order);
	g->pos = xmalloc((g->n ? g->n : 1) * sizeof *g->pos);
	for (size_t v = g->n; v-- > 0;) {
		indeg[v] = g->nodes[v].nparents;
		if (!indeg[v])
			stack[top++] = v;
	}
	while (top) {
		size_t v = stack[--top];
		g->pos[v] = placed;
		g->order[placed++] = v;
		const vmig_node *nd = &g->nodes[v];
		for (size_t k = nd->nchildren; k-- > 0;)
			if (--indeg[nd->children[k]] == 0)
				stack[top++] = nd->children[k];
	}
	int rc = placed == g->n ? VMIG_OK : report_cycle(g, indeg, err);
	free(indeg);
	free(stack);
	return rc;
}

static void find_ends(vmig_graph *g)
{
	g->heads = xmalloc((g->n ? g->n : 1) * sizeof *g->heads);
	g->roots = xmalloc((g->n ? g->n : 1) * sizeof *g->roots);
	for (size_t v = 0; v < g->n; v++) {
		if (!g->nodes[v].nchildren)
			g->heads[g->nheads++] = v;
		if (!g->nodes[v].nparents)
			g->roots[g->nroots++] = v;
	}
}

int vmig_graph_build(vmig_revision *const *revs, size_t n, bool allow_missing_parents,
                     vmig_graph *g, vmig_error *err)
{
	memset(g, 0, sizeof *g);
	g->n = n;
	g->revs = xmalloc((n ? n : 1) * sizeof *g->revs);
	if (n) {
		memcpy(g->revs, revs, n * sizeof *revs);
		qsort(g->revs, n, sizeof *g->revs, cmp_rev);
	}
	int rc = check_unique(g, err);
	if (rc == VMIG_OK) {
		index_ids(g);
		rc = link_nodes(g, allow_missing_parents, err);
	}
	if (rc == VMIG_OK)
		rc = sort_topologically(g, err);
	if (rc == VMIG_OK)
		find_ends(g);
	if (rc != VMIG_OK)
		vmig_graph_free(g);
	return rc;
}

void vmig_graph_free(vmig_graph *g)
{
	free(g->revs);
	free(g->nodes);
	free(g->par_store);
	free(g->child_store);
	free(g->order);
	free(g->pos);
	free(g->heads);
	free(g->roots);
	free(g->slots);
	memset(g, 0, sizeof *g);
}

/* First index whose id is >= key (binary search over the sorted ids). */
static size_t lower_bound(const vmig_graph *g, const char *key)
{
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(g->revs[mid]->id, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int vmig_graph_lookup(const vmig_graph *g, const char *id, size_t *idx, vmig_error *err)
{
	size_t len = strlen(id);
	size_t exact = vmig_graph_find(g, id);
	if (exact != VMIG_NONE) {
		*idx = exact;
		return VMIG_OK;
	}
	size_t first = lower_bound(g, id), last = first;
	while (last < g->n && strncmp(g->revs[last]->id, id, len) == 0)
		last++;
	if (len && last - first == 1) {
		*idx = first;
		return VMIG_OK;
	}
	if (!len || last == first)
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "unknown revision \"%s\": no revision id is or starts with it; "
		                 "`vmig history` lists them",
		                 id);
	vmig_buf b = {0};
	for (size_t i = first; i < last && i < first + 10; i++)
		vmig_buf_printf(&b, "%s%s", i > first ? ", " : "", g->revs[i]->id);
	if (last - first > 10)
		vmig_buf_printf(&b, " and %zu more", last - first - 10);
	int rc =
	    vmig_fail(err, VMIG_ERR_INPUT,
	              "ambiguous revision \"%s\": it starts %zu ids (%s); give more characters", id,
	              last - first, vmig_buf_str(&b));
	vmig_buf_free(&b);
	return rc;
}

static void mark_walk(const vmig_graph *g, size_t node, bool include_self, bool *mark, bool up)
{
	size_t cap = 16, top = 0;
	size_t *stack = xmalloc(cap * sizeof *stack);
	if (include_self)
		mark[node] = true;
	stack[top++] = node;
	while (top) {
		const vmig_node *nd = &g->nodes[stack[--top]];
		const size_t *next = up ? nd->parents : nd->children;
		size_t cnt = up ? nd->nparents : nd->nchildren;
		for (size_t k = 0; k < cnt; k++) {
			if (mark[next[k]])
				continue;
			mark[next[k]] = true;
			XGROW(stack, cap, top + 1);
			stack[top++] = next[k];
		}
	}
	free(stack);
}

void vmig_graph_mark_ancestors(const vmig_graph *g, size_t node, bool include_self, bool *mark)
{
	mark_walk(g, node, include_self, mark, true);
}

void vmig_graph_mark_descendants(const vmig_graph *g, size_t node, bool include_self, bool *mark)
{
	mark_walk(g, node, include_self, mark, false);
}

size_t vmig_graph_branch_points(const vmig_graph *g, size_t *out)
{
	size_t n = 0;
	for (size_t v = 0; v < g->n; v++)
		if (g->nodes[v].nchildren > 1) {
			if (out)
				out[n] = v;
			n++;
		}
	return n;
}
