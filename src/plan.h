/*
 * plan.h - from the applied set and a target, the list of steps to run.
 *
 * Targets (SPEC "Targets"): head, heads, base, an id or unique prefix, +N, -N.
 * The planner is pure: it reads the graph and a mask of applied nodes and
 * writes a plan; it never touches a database.  Errors are VMIG_ERR_INPUT and
 * name the target and what to do (several heads, ambiguous prefix, unknown id,
 * irreversible downgrade, a walk that runs out or meets a fork).
 */
#ifndef VMIG_PLAN_H
#define VMIG_PLAN_H

#include "error.h"
#include "graph.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct vmig_step {
	size_t node; /* index in the graph */
	bool down;   /* false: apply (or record); true: unapply (or unrecord) */
} vmig_step;

typedef struct vmig_plan {
	vmig_step *steps;
	size_t n;
} vmig_plan;

/* Applies target and its unapplied ancestors, parents first. */
int vmig_plan_up(const vmig_graph *g, const bool *applied, const char *target, vmig_plan *out,
                 vmig_error *err);

/* Unapplies target's applied descendants (or walks -N), children first.
 * Fails before anything runs when a step has no down SQL (irreversible). */
int vmig_plan_down(const vmig_graph *g, const bool *applied, const char *target, vmig_plan *out,
                   vmig_error *err);

/* Makes target and its ancestors applied and its descendants unapplied, by
 * recording (up steps) and unrecording (down steps) without running SQL. */
int vmig_plan_stamp(const vmig_graph *g, const bool *applied, const char *target, vmig_plan *out,
                    vmig_error *err);

/* Releases the steps; every plan filled by the functions above must be freed. */
void vmig_plan_free(vmig_plan *p);

/*
 * For a relative target (+N, -N), the fixed target it names now: the id the
 * walk ends on for +N, the id below the revisions -N unapplies (or "base").
 * *pinned is NULL for any other target.  Caller frees *pinned.
 */
int vmig_plan_pin(const vmig_graph *g, const bool *applied, const char *target, char **pinned,
                  vmig_error *err);

/* The applied heads: applied nodes none of whose children is applied, by id.
 * out (may be NULL) needs room for g->n entries; returns how many. */
size_t vmig_applied_heads(const vmig_graph *g, const bool *applied, size_t *out);

#endif
