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

/* The targets that `up` (and `stamp`) and `down` mean when none is given;
 * a caller that pins targets (vmig_plan_pin) resolves the default first. */
#define VMIG_PLAN_UP_DEFAULT   "head"
#define VMIG_PLAN_DOWN_DEFAULT "-1"

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

/*
 * Records what `stamp target` leaves applied, without running SQL: with S the
 * applied set, target, every head of S that is neither an ancestor nor a
 * descendant of target, and all their ancestors (`heads`: every head and its
 * ancestors; `base`: nothing).  -N is the revision N steps below the single
 * applied head, walked as `down -N` walks; a walk that ends below a merge
 * names no single revision and is an error.  Down steps (unrecord, children
 * first) come before up steps (record, parents first).
 */
int vmig_plan_stamp(const vmig_graph *g, const bool *applied, const char *target, vmig_plan *out,
                    vmig_error *err);

/* Releases the steps; every plan filled by the functions above must be freed. */
void vmig_plan_free(vmig_plan *p);

/*
 * For a relative target (+N, -N), the fixed target it names now: the id the
 * walk ends on for +N, the id below the revisions -N unapplies (or "base").
 * Planned again later, the pinned target does what the relative one did
 * now, and nothing once that is done.  *pinned is NULL for any other
 * target, and for NULL: resolve a default (VMIG_PLAN_DOWN_DEFAULT is -1)
 * before pinning.  Caller frees *pinned.
 */
int vmig_plan_pin(const vmig_graph *g, const bool *applied, const char *target, char **pinned,
                  vmig_error *err);

/* The applied heads: applied nodes none of whose children is applied, by id.
 * out (may be NULL) needs room for g->n entries; returns how many. */
size_t vmig_applied_heads(const vmig_graph *g, const bool *applied, size_t *out);

#endif
