/*
 * version_table.h - the one definition of the version table.
 *
 * The columns below, in this order, are the version table of shape
 * VMIG_TABLE_SHAPE.  Each driver renders its DDL, its INSERT and its SELECT
 * from this list (with its own type names and placeholders), and reads and
 * writes row values through vmig_vt_get / vmig_vt_set, so no driver writes a
 * column list of its own.  Beside the table each driver keeps
 * "<version_table>_meta" (key text primary key, value text) holding the row
 * ("shape", "<N>"), so that a later vmig can upgrade the table in place.
 *
 * Shapes:
 *   1  revision, parents, message, checksum, checksum_version, applied_at,
 *      duration_ms, down_sql, state ('applied' | 'pending')
 *   2  adds transactional (whether the revision's SQL ran in a transaction,
 *      so that its down SQL runs the same way when its file is gone) and
 *      seq (the order in which rows were applied); the in-progress state is
 *      stored as 'in_progress'.
 * Rows are always read in seq order, oldest first.  The SELECT list for an
 * older shape maps its columns onto the current ones, so that read-only
 * commands read it without changing it and an upgrade copies it with the
 * same expressions.
 */
#ifndef VMIG_VERSION_TABLE_H
#define VMIG_VERSION_TABLE_H

#include "applied.h"
#include "buf.h"
#include "error.h"

#include <stdbool.h>

#define VMIG_TABLE_SHAPE 2

#define VMIG_STATE_APPLIED     "applied"
#define VMIG_STATE_IN_PROGRESS "in_progress"

typedef enum vmig_coltype {
	VMIG_COLTYPE_TEXT,
	VMIG_COLTYPE_INTEGER,
	VMIG_COLTYPE_REAL,
	VMIG_COLTYPE_BOOLEAN,
	VMIG_NCOLTYPES
} vmig_coltype;

/* The columns, in table order (shape 1's columns first, in their order, so
 * that an upgraded table and a new one look alike). */
typedef enum vmig_vcol {
	VMIG_VCOL_REVISION,
	VMIG_VCOL_PARENTS,
	VMIG_VCOL_MESSAGE,
	VMIG_VCOL_CHECKSUM,
	VMIG_VCOL_CHECKSUM_VERSION,
	VMIG_VCOL_APPLIED_AT,
	VMIG_VCOL_DURATION_MS,
	VMIG_VCOL_DOWN_SQL,
	VMIG_VCOL_STATE,
	VMIG_VCOL_TRANSACTIONAL,
	VMIG_VCOL_SEQ,
	VMIG_NVCOLS
} vmig_vcol;

typedef struct vmig_column_def {
	const char *name;
	vmig_coltype type;
	bool nullable;
	bool primary_key;
	bool ids_only;     /* part of the cheap read that lets a no-op `up` finish in one query */
	const char *check; /* a CHECK expression, or NULL */
	/* The value of this column read from a shape-1 table, as portable SQL;
	 * NULL: the column of the same name.  "%s" stands for the driver's
	 * expression of shape 1's row order (SQLite: rowid). */
	const char *from_shape1;
} vmig_column_def;

extern const vmig_column_def vmig_version_columns[VMIG_NVCOLS];

/* SQL type names of one driver, indexed by vmig_coltype. */
typedef const char *const vmig_type_names[VMIG_NCOLTYPES];

/*
 * Renders "CREATE TABLE [IF NOT EXISTS] <table> (...)" of the current shape
 * into b, with the driver's type names.  table is already quoted.
 */
void vmig_vt_render_create(vmig_buf *b, const char *table, vmig_type_names types,
                           bool if_not_exists);

/* Renders "col, col, ..." of the current shape (all columns, or the ids-only ones). */
void vmig_vt_render_columns(vmig_buf *b, bool ids_only);

/* The columns that a read (all, or ids-only) returns, in order, into out
 * (room for VMIG_NVCOLS); returns how many. */
int vmig_vt_read_columns(bool ids_only, vmig_vcol out[VMIG_NVCOLS]);

/*
 * Renders the SELECT list that reads a table of shape `shape` as the current
 * columns (all, or ids-only), in order.  shape1_order is the driver's SQL for
 * shape 1's row order ("rowid"; "applied_at, revision").
 */
void vmig_vt_render_select_list(vmig_buf *b, int shape, bool ids_only, const char *shape1_order);

/* The ORDER BY expression for reading rows (the column seq). */
#define VMIG_VT_ORDER "seq"

/* One column's value of a row, as the drivers bind or quote it. */
typedef struct vmig_value {
	vmig_coltype type;
	const char *text;  /* TEXT: the string, or NULL for SQL NULL */
	long long integer; /* INTEGER, BOOLEAN (0 or 1) */
	double real;       /* REAL */
} vmig_value;

/*
 * The value of column col of row.  SEQ has no value in a row (the driver
 * computes it on insert); duration_ms is row->duration_ms, which the driver
 * may replace by what it measured.
 */
vmig_value vmig_vt_get(const vmig_applied *row, vmig_vcol col);

/*
 * Sets column col of row from the text a database returned (NULL: SQL
 * NULL).  Booleans accept t/f, true/false, 1/0.  Strings are copied.
 * VMIG_ERR_RUNTIME for a value that does not fit the column (a state that is
 * neither applied nor in progress, a number that is not one).
 */
int vmig_vt_set(vmig_applied *row, vmig_vcol col, const char *text, vmig_error *err);

/* Checks a shape read from the meta table: VMIG_OK for 1..VMIG_TABLE_SHAPE,
 * else VMIG_ERR_RUNTIME naming both shapes (table_shown names the table). */
int vmig_vt_check_shape(const char *value, const char *table_shown, int *shape, vmig_error *err);

#endif
