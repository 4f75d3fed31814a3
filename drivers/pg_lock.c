/*
 * pg_lock.c - the run lock: a session-level advisory lock, so that it lasts
 * across the run's transactions and dies with the connection.
 *
 * Its key is a 64-bit hash the server computes of "vmig:<schema>.<table>"
 * (hashtextextended, PostgreSQL 11+), with the schema the version table
 * really lives in, so a runner naming `public` and one relying on the
 * search path agree.
 */
#include "pg_internal.h"

#include "../src/alloc.h"
#include "../src/clock.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEY_PREFIX "vmig:"

void pg_add_lock_key(vmig_buf *q, pg_conn *c)
{
	vmig_buf_puts(q, "pg_catalog.hashtextextended(");
	if (c->schema) {
		char *text = xasprintf(KEY_PREFIX "%s.%s", c->schema, c->table_name);
		pg_add_literal(q, c->pg, text);
		free(text);
	} else {
		char *schema = pg_resolve_schema_sql(c);
		char *dot_table = xasprintf(".%s", c->table_name);
		vmig_buf_printf(q, "'" KEY_PREFIX "' || (%s) || ", schema);
		pg_add_literal(q, c->pg, dot_table);
		free(dot_table);
		free(schema);
	}
	vmig_buf_puts(q, ", 0)");
}

/* One try at the lock.  The first try also learns the key. */
static int try_lock(pg_conn *c, bool *got, vmig_error *err)
{
	vmig_buf q = {0};
	if (!c->have_key && PQserverVersion(c->pg) >= 110000) {
		vmig_buf_puts(&q, "SELECT k, pg_try_advisory_lock(k) FROM (SELECT ");
		pg_add_lock_key(&q, c);
		vmig_buf_puts(&q, " AS k) s");
	} else if (!c->have_key) { /* PostgreSQL 10 has only the 32-bit hash */
		char *text = xasprintf(KEY_PREFIX "%s.%s", c->schema, c->table_name);
		vmig_buf_puts(&q, "SELECT k, pg_try_advisory_lock(k) FROM (SELECT hashtext(");
		pg_add_literal(&q, c->pg, text);
		vmig_buf_puts(&q, ") AS k) s");
		free(text);
	} else {
		vmig_buf_printf(&q, "SELECT %lld, pg_try_advisory_lock(%lld)", c->lock_key,
		                c->lock_key);
	}
	PGresult *r = PQexec(c->pg, vmig_buf_str(&q));
	vmig_buf_free(&q);
	int rc = VMIG_OK;
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		c->lock_key = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		c->have_key = true;
		*got = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	} else {
		rc = pg_fail_result(err, c->pg, r);
	}
	PQclear(r);
	return rc;
}

/* Appends " (label value" or ", label value" for a column that is not NULL. */
static void add_detail(vmig_buf *b, const PGresult *r, int col, const char *label, bool *first)
{
	if (PQgetisnull(r, 0, col) || !*PQgetvalue(r, 0, col))
		return;
	vmig_buf_printf(b, "%s%s%s", *first ? " (" : ", ", label, PQgetvalue(r, 0, col));
	*first = false;
}

/* "held by pid P (...)" for the session holding the lock, as far as this
 * role may see it; pg_locks shows a bigint key as classid (high half) and
 * objid (low half) with objsubid 1. */
static void describe_holder(pg_conn *c, vmig_buf *out)
{
	uint64_t k = (uint64_t)c->lock_key;
	char *sql = xasprintf(
	    "SELECT l.pid, a.application_name, host(a.client_addr), "
	    "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "a.state, to_char(a.state_change AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	    "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
	    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
	    "AND l.classid = '%u'::oid AND l.objid = '%u'::oid AND l.database = "
	    "(SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
	    (unsigned)(k >> 32), (unsigned)(k & 0xffffffffu));
	PGresult *r = PQexec(c->pg, sql);
	free(sql);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		vmig_buf_puts(out, "held by another session");
		PQclear(r);
		return;
	}
	bool first = true;
	vmig_buf_printf(out, "held by pid %s", PQgetvalue(r, 0, 0));
	add_detail(out, r, 1, "application_name ", &first);
	add_detail(out, r, 2, "client ", &first);
	add_detail(out, r, 3, "connected since ", &first);
	add_detail(out, r, 4, "", &first);
	add_detail(out, r, 5, "since ", &first);
	if (!first)
		vmig_buf_putc(out, ')');
	PQclear(r);
}

int pg_lock(vmig_conn *vc, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	bool got = false;

	if (c->lock_held)
		return VMIG_OK; /* advisory locks nest; one unlock must release it */
	int rc = pg_ensure_names(c, err);
	if (rc)
		return rc;
	vmig_waiter_start(&c->wait);
	do {
		if ((rc = try_lock(c, &got, err)))
			return rc;
		if (got) {
			c->lock_held = true;
			return VMIG_OK;
		}
	} while (vmig_waiter_pause(&c->wait));
	vmig_buf msg = {0};
	vmig_buf_printf(&msg, "timed out after %u s waiting for the migration lock on %s; ",
	                c->lock_timeout, c->table_shown);
	describe_holder(c, &msg);
	vmig_fail(err, VMIG_ERR_RUNTIME, "%s", vmig_buf_str(&msg));
	vmig_buf_free(&msg);
	return VMIG_ERR_RUNTIME;
}

/* A failed transaction makes the unlock fail too; the lock then goes with
 * the connection (close). */
void pg_unlock(vmig_conn *vc)
{
	pg_conn *c = (pg_conn *)vc;
	vmig_waiter_reset(&c->wait, 10); /* the next run waits on a budget of its own */
	if (!c->lock_held)
		return;
	char *sql = xasprintf("SELECT pg_advisory_unlock(%lld)", c->lock_key);
	PQclear(PQexec(c->pg, sql));
	free(sql);
	c->lock_held = false;
}
