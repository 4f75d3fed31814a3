/*
 * scan.h - finding and loading every revision file under a directory.
 */
#ifndef VMIG_SCAN_H
#define VMIG_SCAN_H

#include "error.h"
#include "revision.h"

/*
 * Loads every `*.sql` file under dir (subfolders included, names starting with
 * '.' skipped), in path order.  A missing directory is an error that says to run
 * `vmig init` or pass --dir.  The first bad file stops the scan: returns
 * VMIG_ERR_INPUT with file:line.  A `*.sql.todo` file (an imported revision
 * that needs a person) is VMIG_ERR_INPUT naming it.  On success *revs (count *n) is owned by the
 * caller: free each with vmig_revision_free() and the array with free().
 */
int vmig_scan_dir(const char *dir, vmig_revision **revs, size_t *n, vmig_error *err);

#endif
