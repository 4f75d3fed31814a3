/*
 * parallel.h - running the same work over many items with a bounded number
 * of threads (`--jobs`: many databases at once).
 */
#ifndef VMIG_PARALLEL_H
#define VMIG_PARALLEL_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Calls work(ctx, i) for every i in [0, n), in at most `jobs` threads at once
 * (0 is taken as 1; never more threads than items), items started in order.
 * After each item, done(ctx, i, oom) is called with a lock held, so that
 * done calls never overlap: oom is true when the item was abandoned because
 * memory ran out (its work unwound as alloc.h says; the others go on).
 * work must be safe to run in several threads at once.  Returns when every
 * item is done.  Errors: VMIG_ERR_RUNTIME when not even one thread could be
 * started (then nothing ran).
 */
int vmig_parallel_for(size_t n, unsigned jobs, void (*work)(void *ctx, size_t i),
                      void (*done)(void *ctx, size_t i, bool oom), void *ctx, vmig_error *err);

#endif
