/*
 * graphutil.h - small revision graphs written as one string, for the graph
 * and planner tests.
 *
 * A spec is a list of revisions separated by spaces, each `ID` (a root) or
 * `ID:PARENT,PARENT` (parents in that order); a `!` right after the ID
 * makes the revision irreversible (no -- vmig:down section):
 *     "a b:a c:a m:b,c d!:m"
 * Every revision is parsed from a real file text (path "m/ID.sql") with
 * vmig_revision_parse, so the tests see what the loader would give them.
 */
#ifndef VMIG_TEST_GRAPHUTIL_H
#define VMIG_TEST_GRAPHUTIL_H

#include "graph.h"
#include "plan.h"
#include "revision.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tu_graph {
	vmig_revision *revs;  /* n parsed revisions, in spec order */
	vmig_revision **ptrs; /* n pointers into revs, the order given to the build */
	size_t n;
	vmig_graph g;
	bool built;
} tu_graph;

/* Parses the spec into t->revs (asserting every revision parses); no graph yet. */
void tu_graph_parse(tu_graph *t, const char *spec);
/* Builds t->g from t->ptrs in their current order; returns the build's status. */
int tu_graph_link(tu_graph *t, vmig_error *err);
/* Parse and link; the test fails with the message when the build fails. */
void tu_graph_make(tu_graph *t, const char *spec);
void tu_graph_free(tu_graph *t);

/* The node of id; the test fails when there is none. */
size_t tu_node(const tu_graph *t, const char *id);
/* The ids of nodes, space-separated ("" for none).  Caller frees. */
char *tu_ids(const tu_graph *t, const size_t *nodes, size_t n);
/* The graph's topological order as "a b c".  Caller frees. */
char *tu_order(const tu_graph *t);
/* A mask with exactly the listed ids (space-separated) set.  Caller frees. */
bool *tu_mask(const tu_graph *t, const char *ids);
/* The marked ids in id order, space-separated.  Caller frees. */
char *tu_marked(const tu_graph *t, const bool *mark);
/* A plan as "+a +b -c" (+ apply, - unapply), in step order.  Caller frees. */
char *tu_plan_str(const tu_graph *t, const vmig_plan *p);

/* splitmix64: a small seeded generator, so that a failing run can be repeated. */
uint64_t tu_rng_next(uint64_t *state);
/* Uniform in [0, n) (0 for n == 0). */
size_t tu_rng_below(uint64_t *state, size_t n);
/* Uniform in [0, 1). */
double tu_rng_unit(uint64_t *state);

/*
 * A random revision graph for property tests: between min_n and max_n
 * revisions (more when heads are joined), in generation order, which is
 * parents before children.  The shape is drawn from the generator too:
 * long lines, forks, merges of two or three branches, up to four roots,
 * sometimes joined into a single head at the end.  Ids are short random hex
 * strings, so that prefixes collide; a few ids are another id plus a
 * character or two (an exact id that is also a prefix of another).
 */
typedef struct tu_rgraph_opts {
	size_t min_n, max_n;
	bool irreversible;     /* a few revisions without down SQL (`!` in the spec) */
	bool redundant_merges; /* merges whose parents may be ancestors of each other */
} tu_rgraph_opts;

typedef struct tu_rgraph {
	size_t n;
	char **ids;         /* n ids */
	size_t **parents;   /* parents[i]: indexes (< i) of i's parents, in order */
	size_t *nparents;   /* how many */
	bool *irreversible; /* no down SQL */
	char *spec;         /* the graph as a spec for tu_graph_make */
} tu_rgraph;

void tu_rgraph_make(tu_rgraph *r, uint64_t *rng, const tu_rgraph_opts *o);
void tu_rgraph_free(tu_rgraph *r);

#endif
