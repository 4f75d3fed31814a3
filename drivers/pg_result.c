/*
 * pg_result.c - what PostgreSQL answers: results, batches of statements in
 * one round trip, errors as vmig shows them, and error positions.
 */
#include "pg_internal.h"

#include "../src/alloc.h"

#include <string.h>

int pg_fail_result(vmig_error *err, PGconn *pg, const PGresult *r)
{
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	vmig_buf msg = {0};

	if (!primary) {
		/* The connection failed, not a statement: libpq's own text. */
		const char *m = r ? PQresultErrorMessage(r) : "";
		pg_add_trimmed(&msg, *m ? m : PQerrorMessage(pg));
		if (!msg.len)
			vmig_buf_puts(&msg, "lost the connection to the server");
		vmig_fail(err, VMIG_ERR_RUNTIME, "%s", vmig_buf_str(&msg));
		vmig_buf_free(&msg);
		return VMIG_ERR_RUNTIME;
	}
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	static const struct {
		int field;
		const char *label;
	} extra[] = {
	    {PG_DIAG_MESSAGE_DETAIL, "DETAIL"},
	    {PG_DIAG_MESSAGE_HINT, "HINT"},
	    {PG_DIAG_CONTEXT, "CONTEXT"},
	};

	vmig_fail(err, VMIG_ERR_RUNTIME, "%s %s: %s", sev ? sev : "ERROR", state ? state : "?????",
	          primary);
	for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
		const char *v = PQresultErrorField(r, extra[i].field);
		if (v && *v)
			vmig_error_append(err, "%s: %s", extra[i].label, v);
	}
	return VMIG_ERR_RUNTIME;
}

bool pg_result_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

bool pg_has_state(const PGresult *r, const char *sqlstate)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return s && strcmp(s, sqlstate) == 0;
}

void pg_batch_free(pg_batch *b)
{
	PQclear(b->failed);
	for (int i = 0; i < PG_BATCH_KEEP; i++)
		PQclear(b->ok[i]);
	free(b->last_tag);
	free(b->prev_tag);
	memset(b, 0, sizeof *b);
}

/* COPY ... FROM STDIN has no data to read in a migration: it is refused, and
 * COPY ... TO STDOUT's rows are drained and dropped. */
static void end_copy(PGconn *pg, ExecStatusType st)
{
	if (st == PGRES_COPY_IN) {
		PQputCopyEnd(pg, "vmig cannot feed COPY FROM STDIN: put the data in the SQL");
	} else if (st == PGRES_COPY_OUT) {
		char *row;
		while (PQgetCopyData(pg, &row, 0) > 0)
			PQfreemem(row);
	}
}

void pg_run_batch(PGconn *pg, const char *sql, pg_batch *b)
{
	memset(b, 0, sizeof *b);
	if (!PQsendQuery(pg, sql)) {
		b->failed = PQmakeEmptyPGresult(pg, PGRES_FATAL_ERROR);
		return;
	}
	for (PGresult *r; (r = PQgetResult(pg));) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
			end_copy(pg, st);
			PQclear(r);
			continue;
		}
		if (!pg_result_ok(r) || b->failed) {
			if (!b->failed && !pg_result_ok(r))
				b->failed = r;
			else
				PQclear(r);
			continue;
		}
		free(b->prev_tag);
		b->prev_tag = b->last_tag;
		b->last_tag = xstrdup(PQcmdStatus(r));
		if (b->n_ok < PG_BATCH_KEEP)
			b->ok[b->n_ok] = r;
		else
			PQclear(r);
		b->n_ok++;
	}
}

int pg_exec_simple(pg_conn *c, const char *sql, vmig_error *err)
{
	PGresult *r = PQexec(c->pg, sql);
	int rc = r && pg_result_ok(r) ? VMIG_OK : pg_fail_result(err, c->pg, r);
	PQclear(r);
	return rc;
}

void pg_rollback_if_open(pg_conn *c)
{
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	if (ts == PQTRANS_INERROR || ts == PQTRANS_INTRANS)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	c->txn_token[0] = '\0';
}

int pg_query_tolerant(pg_conn *c, const char *sql, const char *tolerated, pg_batch *b,
                      vmig_error *err)
{
	bool in_txn = PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
	if (!in_txn) {
		pg_run_batch(c->pg, sql, b);
	} else {
		char *wrapped =
		    xasprintf("SAVEPOINT vmig_probe; %s; RELEASE SAVEPOINT vmig_probe", sql);
		pg_run_batch(c->pg, wrapped, b);
		free(wrapped);
		/* Drop SAVEPOINT's result, so that b holds sql's own. */
		if (b->n_ok >= 1) {
			PQclear(b->ok[0]);
			memmove(b->ok, b->ok + 1, (PG_BATCH_KEEP - 1) * sizeof *b->ok);
			b->ok[PG_BATCH_KEEP - 1] = NULL;
			b->n_ok--;
		}
		if (b->failed && PQtransactionStatus(c->pg) == PQTRANS_INERROR)
			PQclear(PQexec(c->pg, "ROLLBACK TO SAVEPOINT vmig_probe; "
			                      "RELEASE SAVEPOINT vmig_probe"));
	}
	const char *state = b->failed ? PQresultErrorField(b->failed, PG_DIAG_SQLSTATE) : NULL;
	if (b->failed && !(state && strlen(state) == 5 && strstr(tolerated, state)))
		return pg_fail_result(err, c->pg, b->failed);
	return VMIG_OK;
}

size_t pg_char_to_byte(const pg_conn *c, const char *s, size_t len, long pos)
{
	size_t off = 0;

	if (pos < 1)
		return VMIG_NO_OFFSET;
	if (c->pos_in_bytes)
		return (size_t)(pos - 1) < len ? (size_t)(pos - 1) : len;
	int enc = PQclientEncoding(c->pg);
	for (long ch = 1; ch < pos && off < len; ch++) {
		int n = PQmblen(s + off, enc);
		off += n > 0 ? (size_t)n : 1;
	}
	return off < len ? off : len;
}
