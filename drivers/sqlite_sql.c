/*
 * sqlite_sql.c - the SQL the SQLite driver writes: quoted names, the version
 * tables, and offline scripts (`--sql`) for the sqlite3 shell.
 *
 * A script does what a run does, with what only a live connection can do
 * left out or handed to SQLite: the run lock is the write lock that each
 * BEGIN IMMEDIATE takes (the flock() of online runs needs a process that
 * holds it), and each row's time is SQLite's clock when the script runs.
 */
#include "sqlite_internal.h"
#include "sqlite_split.h"

#include "../src/alloc.h"
#include "../src/sqltext.h"
#include "../src/url.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

vmig_type_names vmig_sqlite_types = {
    [VMIG_COLTYPE_TEXT] = "TEXT",
    [VMIG_COLTYPE_INTEGER] = "INTEGER",
    [VMIG_COLTYPE_REAL] = "REAL",
    [VMIG_COLTYPE_BOOLEAN] = "INTEGER",
};

/* applied_at as vmig_utc_now writes it ("%f" is seconds with milliseconds). */
#define SCRIPT_APPLIED_AT "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

char *vmig_sqlite_quote_ident(const char *name, const char *suffix)
{
	vmig_buf b = {0};
	vmig_buf_putc(&b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			vmig_buf_putc(&b, '"');
		vmig_buf_putc(&b, *p);
	}
	vmig_buf_printf(&b, "%s\"", suffix);
	return vmig_buf_detach(&b);
}

void vmig_sqlite_add_create_tables(vmig_buf *q, const char *table, const char *meta, bool set_shape)
{
	vmig_vt_render_create(q, table, vmig_sqlite_types, true);
	vmig_buf_printf(q,
	                ";\nCREATE TABLE IF NOT EXISTS %s (key TEXT PRIMARY KEY NOT NULL, value "
	                "TEXT NOT NULL);\nINSERT OR %s INTO %s (key, value) VALUES ('shape', '%d')",
	                meta, set_shape ? "REPLACE" : "IGNORE", meta, VMIG_TABLE_SHAPE);
}

/*
 * A text literal.  The sqlite3 shell drops a CR before LF in what it reads,
 * inside string literals too, so a CR is written as char(13), never raw:
 * 'a' || char(13) || '<LF>b' for "a<CR><LF>b".
 */
static void add_text(vmig_buf *b, const char *s)
{
	if (!s) {
		vmig_buf_puts(b, "NULL");
		return;
	}
	for (bool first = true;; first = false) {
		size_t n = strcspn(s, "\r");
		char *q = sqlite3_mprintf("%.*Q", (int)n, s);
		if (!first)
			vmig_buf_puts(b, " || char(13) || ");
		vmig_buf_puts(b, q ? q : "''");
		sqlite3_free(q);
		if (!s[n])
			return;
		s += n + 1;
	}
}

static void add_value(vmig_buf *b, vmig_value v)
{
	switch (v.type) {
	case VMIG_COLTYPE_TEXT:
		add_text(b, v.text);
		break;
	case VMIG_COLTYPE_REAL:
		vmig_buf_printf(b, "%.3f", v.real);
		break;
	default:
		vmig_buf_printf(b, "%lld", v.integer);
		break;
	}
}

/* The bookkeeping statement of chg, with its values written out. */
static void add_row_op(vmig_buf *b, const char *table, const vmig_change *chg)
{
	vmig_applied row = *chg->row;
	switch (chg->op) {
	case VMIG_ROW_NONE:
		return;
	case VMIG_ROW_INSERT_APPLIED:
	case VMIG_ROW_INSERT_IN_PROGRESS:
		row.dirty = chg->op == VMIG_ROW_INSERT_IN_PROGRESS;
		row.duration_ms = 0; /* not measured offline */
		vmig_buf_printf(b, "INSERT INTO %s (", table);
		vmig_vt_render_columns(b, false);
		vmig_buf_puts(b, ") VALUES (");
		for (int i = 0; i < VMIG_NVCOLS; i++) {
			if (i)
				vmig_buf_puts(b, ", ");
			if (i == VMIG_VCOL_SEQ)
				vmig_buf_printf(b, "(SELECT coalesce(max(seq), 0) + 1 FROM %s)",
				                table);
			else if (i == VMIG_VCOL_APPLIED_AT)
				vmig_buf_puts(b, SCRIPT_APPLIED_AT);
			else
				add_value(b, vmig_vt_get(&row, (vmig_vcol)i));
		}
		vmig_buf_puts(b, ");\n");
		return;
	case VMIG_ROW_SET_APPLIED:
	case VMIG_ROW_SET_IN_PROGRESS:
		vmig_buf_printf(b, "UPDATE %s SET state = '%s' WHERE revision = ", table,
		                chg->op == VMIG_ROW_SET_APPLIED ? VMIG_STATE_APPLIED
		                                                : VMIG_STATE_IN_PROGRESS);
		break;
	case VMIG_ROW_DELETE:
		vmig_buf_printf(b, "DELETE FROM %s WHERE revision = ", table);
		break;
	}
	add_text(b, chg->row->revision);
	vmig_buf_puts(b, ";\n");
}

/* The change's SQL as the shell must read it, terminated where it is not. */
static int add_sql(vmig_buf *out, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	char *normalized = vmig_sqlite_lone_cr_to_lf(chg->sql, chg->sql_len);
	const char *sql = normalized ? normalized : chg->sql;
	size_t n = vmig_sqlite_split_text(sql, chg->sql_len, NULL, 0);
	vmig_sqlite_text_stmt *st = xcalloc(n ? n : 1, sizeof *st);
	vmig_sqlite_split_text(sql, chg->sql_len, st, n);
	int rc = VMIG_OK;
	for (size_t i = 0; rc == VMIG_OK && chg->txn != VMIG_TXN_NONE && i < n; i++) {
		rc = vmig_sql_refuse_transaction_control(sql + st[i].offset, st[i].len, err);
		if (rc)
			*fail_offset = st[i].offset;
	}
	if (rc == VMIG_OK) {
		vmig_buf_add(out, sql, chg->sql_len);
		if (chg->sql_len && sql[chg->sql_len - 1] != '\n')
			vmig_buf_putc(out, '\n');
		if (n && !st[n - 1].terminated)
			vmig_buf_puts(out, ";\n");
	}
	free(st);
	free(normalized);
	return rc;
}

int vmig_sqlite_script(const vmig_conn_opts *opts, enum vmig_script_call call,
                       const vmig_change *chg, vmig_buf *out, size_t *fail_offset, vmig_error *err)
{
	char *table = vmig_sqlite_quote_ident(opts->version_table, "");
	char *meta = vmig_sqlite_quote_ident(opts->version_table, "_meta");
	size_t ignored;
	int rc = VMIG_OK;
	if (!fail_offset)
		fail_offset = &ignored;
	*fail_offset = VMIG_NO_OFFSET;
	switch (call) {
	case VMIG_SCRIPT_LOCK:
		vmig_buf_puts(out, "-- the migration lock: each transaction below takes the "
		                   "database's write lock (BEGIN IMMEDIATE)\n");
		break;
	case VMIG_SCRIPT_UNLOCK:
		break;
	case VMIG_SCRIPT_BEGIN:
		vmig_buf_puts(out, "BEGIN IMMEDIATE;\n");
		break;
	case VMIG_SCRIPT_COMMIT:
		vmig_buf_puts(out, "COMMIT;\n");
		break;
	case VMIG_SCRIPT_PREPARE:
		vmig_sqlite_add_create_tables(out, table, meta, false);
		vmig_buf_puts(out, ";\n");
		break;
	case VMIG_SCRIPT_APPLY:
		if (chg->sql)
			rc = add_sql(out, chg, fail_offset, err);
		if (rc == VMIG_OK)
			add_row_op(out, table, chg);
		break;
	}
	free(table);
	free(meta);
	return rc;
}

static bool excluded(const char *name, const char *const *exclude)
{
	for (size_t i = 0; exclude && exclude[i]; i++)
		if (strcmp(name, exclude[i]) == 0)
			return true;
	return strncmp(name, "sqlite_", 7) == 0;
}

/* The schema is the SQL SQLite keeps for each object, in the order the
 * objects were made (rowid), which is an order that creates them. */
int vmig_sqlite_dump_schema(const char *url, const char *const *exclude, vmig_buf *out,
                            vmig_error *err)
{
	char *path = NULL;
	int rc = vmig_url_sqlite_path(url, &path, err);
	if (rc)
		return rc;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        db,
	        "SELECT name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL "
	        "ORDER BY rowid",
	        -1, &st, NULL) != SQLITE_OK) {
		rc = vmig_fail(err, VMIG_ERR_RUNTIME, "%s: cannot read its schema: %s", path,
		               db ? sqlite3_errmsg(db) : "out of memory");
	}
	int step = SQLITE_DONE;
	while (rc == VMIG_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *table = (const char *)sqlite3_column_text(st, 1);
		if (excluded(name, exclude) || excluded(table, exclude))
			continue;
		vmig_buf_printf(out, "%s;\n\n", (const char *)sqlite3_column_text(st, 2));
	}
	if (rc == VMIG_OK && step != SQLITE_DONE)
		rc = vmig_fail(err, VMIG_ERR_RUNTIME, "%s: cannot read its schema: %s", path,
		               sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return rc;
}
