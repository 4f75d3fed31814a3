/*
 * script.h - offline runs (`--sql`): a database that is only a script.
 *
 * vmig_script_open gives a vmig_db whose connection connects to nothing.
 * It reads as the applied set FROM (a target and its ancestors, or several
 * separated by commas), and every call the runner makes on it (lock,
 * prepare, begin, apply, commit, unlock) is written out as SQL by the
 * driver's `script` entry.  vmig_run drives it exactly as it drives a real
 * connection, so the script is, by construction, what an online run from
 * FROM does, in the same order.
 */
#ifndef VMIG_SCRIPT_H
#define VMIG_SCRIPT_H

#include "config.h"
#include "db.h"
#include "error.h"
#include "graph.h"
#include "runner.h"

/*
 * Opens the script database for cfg's URL (its scheme picks the dialect;
 * nothing connects) at `from` (NULL or "base": nothing applied) on the
 * revisions of `files` (borrowed; must outlive db).  Errors: no URL, an
 * unsupported scheme or setting (as vmig_db_open), a driver that writes no
 * scripts, a bad FROM (VMIG_ERR_INPUT naming it).  Release with vmig_db_close.
 */
int vmig_script_open(const vmig_config *cfg, const vmig_graph *files, const char *from,
                     vmig_run_kind kind, vmig_db *db, vmig_error *err);

/* The script written so far on a database vmig_script_open opened. */
const char *vmig_script_text(const vmig_db *db);

#endif
