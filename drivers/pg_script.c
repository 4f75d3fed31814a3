/*
 * pg_script.c - offline scripts (`--sql`) for PostgreSQL: what a run sends,
 * written out for psql instead of sent.
 *
 * The statements are the driver's own (pg_vtable.c renders the tables and
 * the bookkeeping, pg_lock.c the lock's key), quoted without a connection.
 * What only a live connection can do is left to the server running the
 * script: where the version table resolves (the same expression the driver
 * sends), the time of each row (clock_timestamp()), and the wait for the run
 * lock, bounded by lock_timeout as online runs are.
 *
 * Online, the driver resolves where the version table lives once and then
 * names it qualified, so a revision that changes search_path for the session
 * (SET search_path, pg_dump's set_config) cannot move it.  A script cannot
 * name a schema it learns only when it runs, so it keeps the search_path it
 * started with in the setting vmig.search_path (taken with the lock) and
 * puts it back, for the rest of the transaction only, before each
 * bookkeeping statement and the unlock: the revisions' own change of the
 * session's search_path stays in force after them, as online.
 *
 * The transaction check that online runs add after a revision's SQL is not
 * written: the script is a review copy, and the text check below refuses
 * transaction control as apply() does.  psql splits the script itself, so
 * a `transaction off` revision's statements each run on their own.
 */
#include "pg_internal.h"
#include "pgsplit.h"

#include "../src/alloc.h"
#include "../src/sqltext.h"

#include <string.h>

/* applied_at as vmig_utc_now writes it, from the server's clock. */
#define SCRIPT_APPLIED_AT                                                                          \
	"pg_catalog.to_char(pg_catalog.clock_timestamp() AT TIME ZONE 'UTC', "                     \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
/* The time since the transaction began: the revision's SQL, in its own. */
#define SCRIPT_DURATION                                                                            \
	"(extract(epoch from pg_catalog.clock_timestamp() - pg_catalog.now()) * 1000)"

/* A connection that connects to nothing: names only, as opts give them. */
static void offline_conn(const vmig_conn_opts *opts, pg_conn *c)
{
	vmig_error ignored = {0};
	memset(c, 0, sizeof *c);
	c->table_name = xstrdup(opts->version_table);
	c->lock_timeout = opts->lock_timeout;
	if (opts->version_table_schema) {
		c->schema = xstrdup(opts->version_table_schema);
		pg_set_names(c, &ignored); /* quoting without a connection cannot fail */
		return;
	}
	/* Unqualified: the names resolve on the search_path where the script runs. */
	char *meta_name = xasprintf("%s_meta", c->table_name);
	c->table = pg_quote_ident(NULL, c->table_name);
	c->meta = pg_quote_ident(NULL, meta_name);
	c->table_shown = xstrdup(c->table_name);
	free(meta_name);
}

static void free_offline_conn(pg_conn *c)
{
	free(c->table_name);
	free(c->schema);
	free(c->table);
	free(c->meta);
	free(c->table_shown);
}

/* The search_path the script started with, for the rest of the transaction
 * (nothing when the version table is named with its schema). */
#define RESTORE_SEARCH_PATH                                                                        \
	"PERFORM pg_catalog.set_config('search_path', "                                            \
	"pg_catalog.current_setting('vmig.search_path'), true); "

static const char *restore_search_path(const pg_conn *c)
{
	return c->schema ? "" : RESTORE_SEARCH_PATH;
}

/* The run lock, waited for at most lock_timeout (a setting local to the
 * DO block's own transaction; the session lock outlives it). */
static void add_lock(vmig_buf *out, pg_conn *c, bool take)
{
	if (take)
		vmig_buf_printf(out,
		                "-- the migration lock (a session advisory lock), waiting at "
		                "most %u s for another runner\n"
		                "DO $vmig$ BEGIN %sPERFORM pg_catalog.set_config('lock_timeout', "
		                "'%us', true); PERFORM pg_catalog.pg_advisory_lock(",
		                c->lock_timeout,
		                c->schema ? ""
		                          : "PERFORM pg_catalog.set_config('vmig.search_path', "
		                            "pg_catalog.current_setting('search_path'), false); ",
		                c->lock_timeout);
	else
		vmig_buf_printf(out,
		                "-- the migration lock, released\n"
		                "DO $vmig$ BEGIN %sPERFORM pg_catalog.pg_advisory_unlock(",
		                restore_search_path(c));
	pg_add_lock_key(out, c);
	vmig_buf_puts(out, "); END $vmig$;\n");
}

/* Whether the SQL's last statement ends with its ';' (psql would otherwise
 * run it together with what follows). */
static bool terminated(const char *sql, size_t len, const vmig_pgstmt *st, size_t n)
{
	if (!n)
		return true;
	size_t end = st[n - 1].offset + st[n - 1].len;
	size_t next = vmig_pgsplit_skip_blank(sql, len, end);
	return next < len && sql[next] == ';';
}

/* The change's SQL as written, then a line break and ';' where needed. */
static int add_sql(vmig_buf *out, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	vmig_pgstmt *st = NULL;
	size_t n = 0, scan_at = VMIG_PGSPLIT_NO_OFFSET;
	int rc = vmig_pgsplit(chg->sql, chg->sql_len, &st, &n, &scan_at, err);
	if (rc) {
		/* Online, the server would refuse it: offline, nothing can run it. */
		*fail_offset = scan_at == VMIG_PGSPLIT_NO_OFFSET ? VMIG_NO_OFFSET : scan_at;
		return rc;
	}
	for (size_t i = 0; rc == VMIG_OK && chg->txn != VMIG_TXN_NONE && i < n; i++) {
		rc = vmig_sql_refuse_transaction_control(chg->sql + st[i].offset, st[i].len, err);
		if (rc)
			*fail_offset = st[i].offset;
	}
	if (rc == VMIG_OK) {
		vmig_buf_add(out, chg->sql, chg->sql_len);
		if (chg->sql_len && chg->sql[chg->sql_len - 1] != '\n')
			vmig_buf_putc(out, '\n');
		if (!terminated(chg->sql, chg->sql_len, st, n))
			vmig_buf_puts(out, ";\n");
	}
	free(st);
	return rc;
}

static int add_apply(vmig_buf *out, pg_conn *c, const vmig_change *chg, size_t *fail_offset,
                     vmig_error *err)
{
	int rc = chg->sql ? add_sql(out, chg, fail_offset, err) : VMIG_OK;
	if (rc || chg->op == VMIG_ROW_NONE)
		return rc;
	/* A transaction-off revision's statements each commit on their own:
	 * its time is not measured offline, and its row gets a transaction of
	 * its own, for the search_path put back to be local to it. */
	bool none = chg->txn == VMIG_TXN_NONE;
	const char *duration = chg->sql && !none ? SCRIPT_DURATION : "0";
	if (none && !c->schema)
		vmig_buf_puts(out, "BEGIN;\n");
	if (!c->schema)
		vmig_buf_printf(out, "DO $vmig$ BEGIN %sEND $vmig$;\n", restore_search_path(c));
	pg_add_row_op(out, c, chg, duration, SCRIPT_APPLIED_AT);
	vmig_buf_puts(out, ";\n");
	if (none && !c->schema)
		vmig_buf_puts(out, "COMMIT;\n");
	return VMIG_OK;
}

int pg_script(const vmig_conn_opts *opts, enum vmig_script_call call, const vmig_change *chg,
              vmig_buf *out, size_t *fail_offset, vmig_error *err)
{
	pg_conn c;
	int rc = VMIG_OK;
	size_t ignored;
	if (!fail_offset)
		fail_offset = &ignored;
	*fail_offset = VMIG_NO_OFFSET;
	offline_conn(opts, &c);
	switch (call) {
	case VMIG_SCRIPT_LOCK:
	case VMIG_SCRIPT_UNLOCK:
		add_lock(out, &c, call == VMIG_SCRIPT_LOCK);
		break;
	case VMIG_SCRIPT_BEGIN:
		vmig_buf_puts(out, "BEGIN;\n");
		break;
	case VMIG_SCRIPT_COMMIT:
		vmig_buf_puts(out, "COMMIT;\n");
		break;
	case VMIG_SCRIPT_PREPARE:
		/* A recorded shape stays: an older table is not upgraded offline,
		 * and the first bookkeeping row then fails on its columns. */
		pg_add_create_tables(out, &c, false);
		vmig_buf_puts(out, ";\n");
		break;
	case VMIG_SCRIPT_APPLY:
		rc = add_apply(out, &c, chg, fail_offset, err);
		break;
	}
	free_offline_conn(&c);
	return rc;
}
