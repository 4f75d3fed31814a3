/*
 * graph.h - the revision graph: ids, parents, children, heads, a stable order.
 *
 * Nodes are indexes into `revs`, which is sorted by id so that every order the
 * graph produces is the same on every run and machine, whatever order the
 * filesystem listed the files in.  Building is O(n log n) for the sort and
 * linear after it.
 */
#ifndef VMIG_GRAPH_H
#define VMIG_GRAPH_H

#include "error.h"
#include "revision.h"

#include <stdbool.h>
#include <stddef.h>

#define VMIG_NONE ((size_t)-1)

typedef struct vmig_node {
	size_t *parents; /* indexes, in the order the file lists them */
	size_t nparents;
	size_t *children; /* indexes, ascending (= by id) */
	size_t nchildren;
} vmig_node;

typedef struct vmig_graph {
	vmig_revision **revs; /* n revisions, sorted by id; the array is owned, the
	                         revisions are borrowed from the caller */
	vmig_node *nodes;     /* n nodes, nodes[i] belongs to revs[i] */
	size_t n;
	size_t *order; /* n indexes, parents before children (topological, stable) */
	size_t *pos;   /* pos[i]: where node i stands in order */
	size_t *heads; /* nodes without children, by id */
	size_t nheads;
	size_t *roots; /* nodes without parents, by id */
	size_t nroots;
	/* private: open-addressing table of id -> index, and the arrays that the
	 * nodes' parents and children point into */
	size_t *slots;
	size_t nslots;
	size_t *par_store;
	size_t *child_store;
} vmig_graph;

/*
 * Builds a graph over n revisions, which the caller keeps owning and must keep
 * alive as long as the graph (the graph holds pointers to them).  Checks
 * that ids are unique, that every parent exists and that there is no cycle;
 * errors are VMIG_ERR_INPUT naming the file(s) and line.
 * With allow_missing_parents, unknown parents are dropped instead (used for
 * revisions rebuilt from the version table whose ancestors' files are gone).
 */
int vmig_graph_build(vmig_revision *const *revs, size_t n, bool allow_missing_parents,
                     vmig_graph *g, vmig_error *err);

void vmig_graph_free(vmig_graph *g);

/* Index of the revision with exactly this id, or VMIG_NONE. */
size_t vmig_graph_find(const vmig_graph *g, const char *id);

/*
 * Resolves an id or a unique prefix of one (an exact id wins).  Errors
 * (VMIG_ERR_INPUT): unknown id; ambiguous prefix, listing the matches.
 */
int vmig_graph_lookup(const vmig_graph *g, const char *id_or_prefix, size_t *idx, vmig_error *err);

/*
 * Marks in mark[] (n bools, not cleared first) node and all its ancestors
 * (include_self decides for node itself).
 */
void vmig_graph_mark_ancestors(const vmig_graph *g, size_t node, bool include_self, bool *mark);
void vmig_graph_mark_descendants(const vmig_graph *g, size_t node, bool include_self, bool *mark);

/* Number of nodes with more than one child (branch points), written to out if not NULL. */
size_t vmig_graph_branch_points(const vmig_graph *g, size_t *out);

#endif
