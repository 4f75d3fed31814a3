/*
 * alembic_import.h - `vmig import alembic`: an Alembic history rendered by
 * Alembic's own offline mode, turned into vmig files.
 *
 * Only Alembic can run its revision files, so a helper in Python
 * (share/alembic_render.py, installed beside vmig) renders each revision's
 * upgrade and downgrade on its own, with an offline environment of its own
 * (never the project's env.py), and prints one record per revision in a
 * byte-counted format:
 *
 *     vmig-alembic-render 1
 *     revision <id>
 *     field <name> <nbytes>
 *     <nbytes bytes>
 *     ...
 *     end
 *
 * Fields: parents, message, file, branch_labels, depends_on, up, down,
 * transaction ("off"), up_reason/up_detail and down_reason/down_detail for a
 * direction that did not render.  Unknown fields are ignored, so the helper
 * can say more than this vmig reads.
 */
#ifndef VMIG_ALEMBIC_IMPORT_H
#define VMIG_ALEMBIC_IMPORT_H

#include "buf.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct vmig_alembic_rev {
	char *id;
	char *parents; /* ids separated by single spaces; "" for a root */
	char *message;
	char *file; /* the revision's module, relative to the project */
	char *branch_labels, *depends_on;
	char *up, *down; /* what rendered (NULL: nothing) */
	/* Why a direction did not render (NULL: it did) and what failed. */
	char *up_reason, *up_detail, *down_reason, *down_detail;
	bool transaction_off;
} vmig_alembic_rev;

typedef struct vmig_alembic_history {
	vmig_alembic_rev *revs;
	size_t n, cap;
} vmig_alembic_history;

/* Parses the helper's output.  VMIG_ERR_RUNTIME saying where it is malformed. */
int vmig_alembic_parse(const char *text, size_t len, vmig_alembic_history *h, vmig_error *err);
void vmig_alembic_free(vmig_alembic_history *h);

/*
 * Runs the helper at `helper` with `python` on the project at dir for
 * dialect ("postgresql", "sqlite") and parses what it printed.  Errors name
 * the interpreter tried: not found or without Alembic (VMIG_ERR_RUNTIME),
 * dir not an Alembic project (VMIG_ERR_INPUT, the helper's message).
 */
int vmig_alembic_run(const char *python, const char *helper, const char *dialect, const char *dir,
                     vmig_alembic_history *h, vmig_error *err);

/* One file the import writes. */
typedef struct vmig_import_file {
	char *name; /* "<rev>_<slug>.sql" or "<rev>_<slug>.sql.todo" */
	char *text; /* its contents */
	bool todo;  /* needs a person before it becomes a revision */
	const vmig_alembic_rev *rev;
	char *reason; /* todo: the reason code that groups it in the report */
	char *why;    /* todo: one line per direction that failed */
	/* set by vmig_import_write */
	enum { VMIG_IMPORT_WRITTEN, VMIG_IMPORT_UNCHANGED, VMIG_IMPORT_RESOLVED } outcome;
} vmig_import_file;

/* The file for one revision (dialect for its comments). */
void vmig_import_render(const vmig_alembic_rev *r, vmig_import_file *f);

/* The file of a baseline: revision `id`, a root, up SQL `schema`, no down. */
void vmig_import_render_baseline(const char *id, const char *schema, const char *source,
                                 vmig_import_file *f);

/*
 * Writes the files into dir (created if missing): a file that is there with
 * the same contents is left alone (also under another name, found by the
 * revision id it declares), and so is a .sql.todo whose revision a person
 * has written as a .sql; any other file in the way (different contents, the
 * same revision differing under another name, or a .sql.todo where the .sql
 * is to go) is VMIG_ERR_INPUT naming every one, and then nothing is
 * written.  Each file is written whole (a temporary file renamed into
 * place).
 */
int vmig_import_write(const char *dir, vmig_import_file *files, size_t n, vmig_error *err);
void vmig_import_file_free(vmig_import_file *f);

/* The report's heading for a reason code. */
const char *vmig_import_reason_title(const char *reason);

#endif
