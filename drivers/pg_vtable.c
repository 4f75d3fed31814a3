/*
 * pg_vtable.c - the version table on PostgreSQL: reading it (every shape),
 * creating and upgrading it, and the SQL of the bookkeeping statements, all
 * rendered from the one definition in src/version_table.h.
 *
 * Round trips are what a run costs on a remote database: a no-op `up` reads
 * the table in ONE query string (the schema resolution when still needed,
 * the shape, the rows), and a missing table is that string's error (42P01),
 * not a second existence check.
 */
#include "pg_internal.h"

#include "../src/alloc.h"

#include <stdio.h>
#include <string.h>

static vmig_type_names pg_types = {
    [VMIG_COLTYPE_TEXT] = "text",
    [VMIG_COLTYPE_INTEGER] = "integer",
    [VMIG_COLTYPE_REAL] = "double precision",
    [VMIG_COLTYPE_BOOLEAN] = "boolean",
};

/* Shape 1 had no insertion counter: applied_at (to the millisecond), then the id. */
#define SHAPE1_ORDER "applied_at, revision"

static void render_select(vmig_buf *q, const char *table, int shape, bool ids_only)
{
	vmig_buf_puts(q, "SELECT ");
	vmig_vt_render_select_list(q, shape, ids_only, SHAPE1_ORDER);
	vmig_buf_printf(q, " FROM %s ORDER BY %s", table,
	                shape == 1 ? SHAPE1_ORDER : VMIG_VT_ORDER);
}

static int fill_rows(const PGresult *r, bool ids_only, vmig_applied_set *set, vmig_error *err)
{
	vmig_vcol cols[VMIG_NVCOLS];
	int ncols = vmig_vt_read_columns(ids_only, cols);
	if (PQnfields(r) != ncols)
		return vmig_fail(err, VMIG_ERR_RUNTIME,
		                 "the version table read returned %d columns, "
		                 "not %d",
		                 PQnfields(r), ncols);
	for (int i = 0, n = PQntuples(r); i < n; i++) {
		vmig_applied *row = vmig_applied_add(set);
		for (int col = 0; col < ncols; col++) {
			const char *v = PQgetisnull(r, i, col) ? NULL : PQgetvalue(r, i, col);
			int rc = vmig_vt_set(row, cols[col], v, err);
			if (rc)
				return rc;
		}
	}
	return VMIG_OK;
}

/* The shape named by a result of "SELECT value FROM meta WHERE key = 'shape'". */
static int shape_of(pg_conn *c, const PGresult *r, int *shape, vmig_error *err)
{
	const char *shown = c->table_shown ? c->table_shown : c->table_name;
	if (PQntuples(r) != 1)
		return vmig_fail(err, VMIG_ERR_RUNTIME,
		                 "the shape of the version table %s is not recorded in %s_meta",
		                 shown, shown);
	return vmig_vt_check_shape(PQgetvalue(r, 0, 0), shown, shape, err);
}

/*
 * The shape of a version table whose meta table is gone (dropped by hand):
 * told by its columns.  0 when there is no version table either.
 */
static int shape_from_columns(pg_conn *c, const char *table, int *shape, vmig_error *err)
{
	vmig_buf q = {0};
	pg_batch b;
	vmig_buf_puts(&q, "SELECT ");
	vmig_vt_render_columns(&q, false);
	vmig_buf_printf(&q, " FROM %s LIMIT 0", table);
	int rc = pg_query_tolerant(c, vmig_buf_str(&q), "42P01 42703 3F000", &b, err);
	vmig_buf_free(&q);
	*shape = !b.failed ? VMIG_TABLE_SHAPE : pg_has_state(b.failed, "42703") ? 1 : 0;
	pg_batch_free(&b);
	return rc;
}

/* The version and meta tables as the read names them: qualified once the
 * schema is known, else by their bare names (nothing has run yet, so the
 * connection's own search_path is in force). */
static void read_names(pg_conn *c, char **table, char **meta)
{
	if (c->names_set) {
		*table = xstrdup(c->table);
		*meta = xstrdup(c->meta);
		return;
	}
	char *meta_name = xasprintf("%s_meta", c->table_name);
	*table = pg_quote_ident(c->pg, c->table_name);
	*meta = pg_quote_ident(c->pg, meta_name);
	free(meta_name);
}

/*
 * Reads a table that lacks the current columns: shape 1 (its meta table
 * says so, or, when that is gone, its columns do), read as the current
 * shape, changing nothing.
 */
static int read_older_shape(pg_conn *c, const char *table, const char *meta, bool ids_only,
                            vmig_applied_set *set, vmig_error *err)
{
	vmig_buf q = {0};
	pg_batch b;
	int shape = 0;
	vmig_buf_printf(&q, "SELECT value FROM %s WHERE key = 'shape'", meta);
	int rc = pg_query_tolerant(c, vmig_buf_str(&q), "42P01", &b, err);
	if (rc == VMIG_OK && b.n_ok >= 1 && PQntuples(b.ok[0]) == 1)
		rc = shape_of(c, b.ok[0], &shape, err);
	else if (rc == VMIG_OK)
		rc = shape_from_columns(c, table, &shape, err);
	pg_batch_free(&b);
	if (rc == VMIG_OK && shape != 1)
		rc = vmig_fail(
		    err, VMIG_ERR_RUNTIME,
		    "the version table %s has columns of neither shape 1 nor %d (its meta "
		    "table says %d); was it changed by hand?",
		    c->table_shown ? c->table_shown : c->table_name, VMIG_TABLE_SHAPE, shape);
	if (rc == VMIG_OK) {
		vmig_buf_reset(&q);
		render_select(&q, table, 1, ids_only);
		rc = pg_query_tolerant(c, vmig_buf_str(&q), "42P01", &b, err);
		if (rc == VMIG_OK && b.n_ok >= 1)
			rc = fill_rows(b.ok[0], ids_only, set, err);
		pg_batch_free(&b);
	}
	vmig_buf_free(&q);
	return rc;
}

/*
 * One round trip in the common cases: the rows as the current shape, then
 * the shape.  A missing table stops the string at the rows (nothing
 * applied); a table of shape 1 stops it there too (42703, no such column),
 * and is read again with shape 1's SELECT list.  A newer shape is refused
 * even though its rows were read.
 */
static int read_rows(pg_conn *c, bool ids_only, bool locked, vmig_applied_set *set, vmig_error *err)
{
	char *table, *meta;
	bool resolve = !c->names_set;
	vmig_buf q = {0};
	pg_batch b;
	int rc, at = resolve ? 1 : 0, shape = 0;

	read_names(c, &table, &meta);
	if (locked) { /* under the lock, with the fingerprint of what it reads (pg_lock.c) */
		vmig_buf_puts(&q, "BEGIN;\n");
		pg_add_xact_lock(&q, c);
		vmig_buf_puts(&q, ";\nSELECT ");
		pg_add_fingerprint(&q, c, NULL);
		vmig_buf_puts(&q, ";\n");
		at += 3;
	}
	if (resolve) {
		char *sql = pg_resolve_schema_sql(c);
		vmig_buf_printf(&q, "%s;\n", sql);
		free(sql);
	}
	render_select(&q, table, VMIG_TABLE_SHAPE, ids_only);
	vmig_buf_printf(&q, ";\nSELECT value FROM %s WHERE key = 'shape'", meta);
	if (locked) {
		vmig_buf_puts(&q, ";\nCOMMIT");
		rc = pg_run_locked(c, vmig_buf_str(&q), &b, err);
		if (rc == VMIG_OK && !b.failed) {
			pg_expect(c, PQgetvalue(b.ok[2], 0, 0), NULL, NULL);
		} else if (rc == VMIG_OK) { /* no table, or an old one: read as anywhere else */
			pg_batch_free(&b);
			pg_rollback_if_open(c);
			vmig_buf_free(&q);
			free(table);
			free(meta);
			return read_rows(c, ids_only, false, set, err);
		}
	} else {
		rc = pg_query_tolerant(c, vmig_buf_str(&q), "42P01 42703 3F000", &b, err);
	}
	vmig_buf_reset(&q);
	if (rc == VMIG_OK && resolve && b.n_ok > at - 1 && !PQgetisnull(b.ok[at - 1], 0, 0)) {
		c->schema = xstrdup(PQgetvalue(b.ok[at - 1], 0, 0));
		rc = pg_set_names(c, err);
	}
	if (rc == VMIG_OK && b.n_ok > at + 1 && PQntuples(b.ok[at + 1]) == 1) /* rows and shape */
		rc = shape_of(c, b.ok[at + 1], &shape, err);
	if (rc == VMIG_OK && b.n_ok > at) /* rows (the meta table may be gone) */
		rc = fill_rows(b.ok[at], ids_only, set, err);
	else if (rc == VMIG_OK && pg_has_state(b.failed, "42703"))
		rc = read_older_shape(c, table, meta, ids_only, set, err);
	pg_batch_free(&b);
	vmig_buf_free(&q);
	free(table);
	free(meta);
	return rc;
}

static bool any_dirty(const vmig_applied_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->rows[i].dirty)
			return true;
	return false;
}

/*
 * Behind a pooler, the full read under the lock (the one the run plans on)
 * runs in a transaction that holds the lock, and a `transaction off`
 * revision in progress may be another runner's at work (its SQL runs
 * outside any lock): the read waits for it to finish, up to lock_timeout,
 * and returns what it found then.
 */
int pg_read_applied(vmig_conn *vc, bool ids_only, vmig_applied_set *set, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	bool locked =
	    c->pooled && c->lock_held && !ids_only && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
	int rc = read_rows(c, ids_only, locked, set, err);
	if (rc || !locked || !any_dirty(set))
		return rc;
	vmig_waiter w;
	pg_wait_begin(c, &w);
	while (rc == VMIG_OK && any_dirty(set) && vmig_waiter_pause(&w)) {
		vmig_applied_free(set);
		memset(set, 0, sizeof *set);
		rc = read_rows(c, ids_only, locked, set, err);
	}
	pg_wait_end(c, &w);
	return rc;
}

void pg_add_create_tables(vmig_buf *q, const pg_conn *c, bool set_shape)
{
	vmig_vt_render_create(q, c->table, pg_types, true);
	vmig_buf_printf(q,
	                ";\nCREATE TABLE IF NOT EXISTS %s (key text PRIMARY KEY, value text NOT "
	                "NULL);\nINSERT INTO %s (key, value) VALUES ('shape', '%d') ON CONFLICT "
	                "(key) DO %s",
	                c->meta, c->meta, VMIG_TABLE_SHAPE,
	                set_shape ? "UPDATE SET value = excluded.value" : "NOTHING");
}

/* Creates both tables and records the shape, in one round trip; locked
 * (behind a pooler): in a transaction of its own that takes the lock. */
static int create_tables(pg_conn *c, bool locked, vmig_error *err)
{
	vmig_buf q = {0};
	pg_batch b;
	int rc = VMIG_OK;
	if (locked) {
		vmig_buf_puts(&q, "BEGIN;\n");
		pg_add_xact_lock(&q, c);
		vmig_buf_puts(&q, ";\n");
	}
	pg_add_create_tables(&q, c, true);
	if (locked) {
		vmig_buf_puts(&q, ";\nCOMMIT");
		rc = pg_run_locked(c, vmig_buf_str(&q), &b, err);
	} else {
		pg_run_batch(c->pg, vmig_buf_str(&q), &b);
	}
	vmig_buf_free(&q);
	if (rc)
		return rc;
	if (b.failed)
		rc = pg_has_state(b.failed, "3F000") ? pg_fail_no_schema(c, err)
		                                     : pg_fail_result(err, c->pg, b.failed);
	pg_batch_free(&b);
	if (locked)
		pg_rollback_if_open(c);
	return rc;
}

/*
 * Shape 1 to the current one, in place: the two new columns, the row order
 * and the in-progress state's new name filled in with the expressions that
 * read shape 1, and the state's CHECK replaced.
 */
static int upgrade_from_shape1(pg_conn *c, vmig_error *err)
{
	vmig_buf q = {0};
	pg_batch b;
	const vmig_column_def *state = &vmig_version_columns[VMIG_VCOL_STATE];

	/* The CHECK that shape 1 created on state has a name PostgreSQL chose. */
	vmig_buf_puts(&q, "SELECT conname FROM pg_catalog.pg_constraint WHERE contype = 'c' AND "
	                  "pg_catalog.pg_get_constraintdef(oid) LIKE '%state%pending%' AND "
	                  "conrelid = ");
	pg_add_literal(&q, c->pg, c->table);
	vmig_buf_puts(&q, "::regclass");
	pg_run_batch(c->pg, vmig_buf_str(&q), &b);
	vmig_buf_reset(&q);
	if (b.failed) {
		int rc = pg_fail_result(err, c->pg, b.failed);
		pg_batch_free(&b);
		return rc;
	}
	vmig_buf_printf(&q,
	                "ALTER TABLE %s ADD COLUMN transactional %s NOT NULL DEFAULT true, "
	                "ADD COLUMN seq %s",
	                c->table, pg_types[VMIG_COLTYPE_BOOLEAN], pg_types[VMIG_COLTYPE_INTEGER]);
	for (int i = 0; b.n_ok >= 1 && i < PQntuples(b.ok[0]); i++) {
		char *name = pg_quote_ident(c->pg, PQgetvalue(b.ok[0], i, 0));
		vmig_buf_printf(&q, ", DROP CONSTRAINT %s", name ? name : "\"?\"");
		free(name);
	}
	pg_batch_free(&b);
	vmig_buf_printf(&q,
	                ";\nUPDATE %s t SET seq = o.n, state = %s FROM (SELECT revision, "
	                "row_number() OVER (ORDER BY " SHAPE1_ORDER ") AS n FROM %s) o WHERE "
	                "t.revision = o.revision",
	                c->table, state->from_shape1, c->table);
	vmig_buf_printf(&q,
	                ";\nALTER TABLE %s ALTER COLUMN seq SET NOT NULL, ALTER COLUMN "
	                "transactional DROP DEFAULT, ADD CHECK (%s)",
	                c->table, state->check);
	pg_run_batch(c->pg, vmig_buf_str(&q), &b);
	vmig_buf_free(&q);
	int rc = VMIG_OK;
	if (b.failed) {
		rc = pg_fail_result(err, c->pg, b.failed);
		vmig_error_prefix(err, "upgrading the version table %s from shape 1 to %d",
		                  c->table_shown, VMIG_TABLE_SHAPE);
	}
	pg_batch_free(&b);
	return rc;
}

int pg_prepare(vmig_conn *vc, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	int rc = pg_ensure_names(c, err), shape = 0;
	if (rc)
		return rc;
	char *sql = xasprintf("SELECT value FROM %s WHERE key = 'shape'", c->meta);
	pg_batch b;
	rc = pg_query_tolerant(c, sql, "42P01 3F000", &b, err);
	free(sql);
	bool recorded = b.n_ok >= 1 && PQntuples(b.ok[0]) == 1;
	if (rc == VMIG_OK && recorded)
		rc = shape_of(c, b.ok[0], &shape, err);
	else if (rc == VMIG_OK)
		rc = shape_from_columns(c, c->table, &shape, err);
	pg_batch_free(&b);
	if (rc || (recorded && shape == VMIG_TABLE_SHAPE))
		return rc; /* the common case: one query */

	/* Created or upgraded in one transaction: the caller's, or one of its own
	 * (behind a pooler, one that takes the lock: pg_lock.c). */
	bool own = PQtransactionStatus(c->pg) != PQTRANS_INTRANS;
	bool pooled = own && c->pooled && c->lock_held;
	if (pooled && shape == 0) /* one query string: statement pooling takes it too */
		return create_tables(c, true, err);
	if (own && (rc = pooled ? pg_begin_locked(c, NULL, err) : pg_exec_simple(c, "BEGIN", err)))
		return rc;
	if (shape == 1)
		rc = upgrade_from_shape1(c, err);
	if (rc == VMIG_OK) /* the tables, or the meta row if it was lost */
		rc = create_tables(c, false, err);
	if (rc == VMIG_OK && own)
		rc = pg_exec_simple(c, "COMMIT", err);
	if (rc && own)
		pg_rollback_if_open(c);
	return rc;
}

const char *pg_row_op_verb(enum vmig_row_op op)
{
	switch (op) {
	case VMIG_ROW_INSERT_APPLIED:
	case VMIG_ROW_INSERT_IN_PROGRESS:
		return "INSERT";
	case VMIG_ROW_SET_APPLIED:
	case VMIG_ROW_SET_IN_PROGRESS:
		return "UPDATE";
	case VMIG_ROW_DELETE:
		return "DELETE";
	case VMIG_ROW_NONE:
		break;
	}
	return NULL;
}

static bool add_value(vmig_buf *b, pg_conn *c, vmig_value v)
{
	switch (v.type) {
	case VMIG_COLTYPE_TEXT:
		return pg_add_literal(b, c->pg, v.text);
	case VMIG_COLTYPE_BOOLEAN:
		vmig_buf_puts(b, v.integer ? "true" : "false");
		return true;
	case VMIG_COLTYPE_REAL:
		vmig_buf_printf(b, "%.3f", v.real);
		return true;
	default:
		vmig_buf_printf(b, "%lld", v.integer);
		return true;
	}
}

static bool add_insert(vmig_buf *b, pg_conn *c, const vmig_change *chg, const char *duration,
                       const char *applied_at)
{
	vmig_applied row = *chg->row;
	bool ok = true;
	row.dirty = chg->op == VMIG_ROW_INSERT_IN_PROGRESS;
	vmig_buf_printf(b, "INSERT INTO %s (", c->table);
	vmig_vt_render_columns(b, false);
	vmig_buf_puts(b, ") VALUES (");
	for (int i = 0; i < VMIG_NVCOLS; i++) {
		if (i)
			vmig_buf_puts(b, ", ");
		if (i == VMIG_VCOL_DURATION_MS)
			vmig_buf_puts(b, duration);
		else if (i == VMIG_VCOL_APPLIED_AT && applied_at)
			vmig_buf_puts(b, applied_at);
		else if (i == VMIG_VCOL_SEQ)
			vmig_buf_printf(b, "(SELECT coalesce(max(seq), 0) + 1 FROM %s)", c->table);
		else
			ok = ok && add_value(b, c, vmig_vt_get(&row, (vmig_vcol)i));
	}
	vmig_buf_putc(b, ')');
	return ok;
}

bool pg_add_row_op(vmig_buf *b, pg_conn *c, const vmig_change *chg, const char *duration,
                   const char *applied_at)
{
	switch (chg->op) {
	case VMIG_ROW_NONE:
		return true;
	case VMIG_ROW_INSERT_APPLIED:
	case VMIG_ROW_INSERT_IN_PROGRESS:
		return add_insert(b, c, chg, duration, applied_at);
	case VMIG_ROW_SET_APPLIED:
		vmig_buf_printf(b, "UPDATE %s SET state = '" VMIG_STATE_APPLIED "'", c->table);
		if (chg->sql)
			vmig_buf_printf(b, ", duration_ms = %s", duration);
		break;
	case VMIG_ROW_SET_IN_PROGRESS:
		vmig_buf_printf(b, "UPDATE %s SET state = '" VMIG_STATE_IN_PROGRESS "'", c->table);
		break;
	case VMIG_ROW_DELETE:
		vmig_buf_printf(b, "DELETE FROM %s", c->table);
		break;
	}
	vmig_buf_puts(b, " WHERE revision = ");
	return pg_add_literal(b, c->pg, chg->row->revision);
}

/* "schema.name" or "name" as SQL, each part quoted. */
static char *quote_qualified(pg_conn *c, const char *table)
{
	const char *dot = strchr(table, '.');
	if (!dot)
		return pg_quote_ident(c->pg, table);
	char *schema = xstrndup(table, (size_t)(dot - table));
	char *qs = pg_quote_ident(c->pg, schema), *qt = pg_quote_ident(c->pg, dot + 1);
	char *q = qs && qt ? xasprintf("%s.%s", qs, qt) : NULL;
	free(schema);
	free(qs);
	free(qt);
	return q;
}

int pg_read_column(vmig_conn *vc, const char *table, const char *column, char ***values, size_t *n,
                   vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	char *qt = quote_qualified(c, table), *qc = pg_quote_ident(c->pg, column);
	*values = NULL;
	*n = 0;
	if (!qt || !qc) {
		free(qt);
		free(qc);
		return vmig_fail(err, VMIG_ERR_INPUT, "the table name \"%s\" cannot be quoted",
		                 table);
	}
	char *sql =
	    xasprintf("SELECT %s::text FROM %s WHERE %s IS NOT NULL ORDER BY 1", qc, qt, qc);
	pg_batch b;
	int rc = pg_query_tolerant(c, sql, "42P01 42703 3F000", &b, err);
	free(sql);
	if (rc == VMIG_OK && b.failed)
		rc = vmig_fail(err, VMIG_ERR_INPUT, "%s %s.%s: %s",
		               pg_has_state(b.failed, "42703") ? "no column" : "no table", table,
		               column, PQresultErrorField(b.failed, PG_DIAG_MESSAGE_PRIMARY));
	else if (rc == VMIG_OK && b.n_ok >= 1) {
		int rows = PQntuples(b.ok[0]);
		*values = xcalloc(rows ? (size_t)rows : 1, sizeof **values);
		for (int i = 0; i < rows; i++)
			(*values)[(*n)++] = xstrdup(PQgetvalue(b.ok[0], i, 0));
	}
	pg_batch_free(&b);
	free(qt);
	free(qc);
	return rc;
}
