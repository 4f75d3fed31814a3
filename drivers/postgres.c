/*
 * postgres.c - the PostgreSQL driver, on libpq: transactions, applying a
 * change, and the driver table.  (The other concerns are in the pg_*.c files
 * listed in pg_internal.h.)
 *
 * Round trips are what a migration run costs on a remote database, so the
 * driver counts them: a revision in its own transaction is ONE query string,
 * "BEGIN; <mark>; <sql> ; <check>; <bookkeeping>; COMMIT", sent with the
 * simple protocol; the bookkeeping row measures its duration on the server;
 * when it fails, the statement at fault is found from the results the
 * server sent back before the error (one per statement that ran), so no
 * statement is ever run a second time to find it.
 *
 * <mark> takes a transaction-level advisory lock (shared, on a key of
 * this connection's own) that only the end of the transaction releases:
 * no SET, RESET or unlock call in the SQL can drop it.  <check> fails
 * unless the lock is still held, with an error that names itself: if the
 * SQL ended vmig's transaction in any way the text check did not see, the
 * bookkeeping is never written, and what runs after the end is rolled back
 * with the failed statement.
 *
 * A `transaction off` revision is sent statement by statement (the server
 * runs a multi-statement string as one implicit transaction), split with
 * PostgreSQL's own grammar (pgsplit.h), and the connection must be idle
 * after it.
 *
 * Behind a connection pooler (pg_lock.c) each of these transactions also
 * takes the run lock right after BEGIN and, before any SQL, checks that the
 * version table is as this run last saw it: "BEGIN; <lock>; <guard>;
 * <mark>; <sql> ; <check>; <bookkeeping>; COMMIT", still one round trip.
 */
#include "pg_internal.h"
#include "pg_lint.h"
#include "pgsplit.h"

#include "../src/alloc.h"
#include "../src/clock.h"
#include "../src/sqltext.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The duration of everything the current query string ran so far, in ms. */
#define SERVER_DURATION "(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000)"

/* The advisory lock space of the marks: "vmig" as a 32-bit number. */
#define MARK_SPACE 1986881895

/*
 * The mark's second half: a transaction-local setting holding the token.
 * The check reads it first and scans pg_locks for the lock only when it does
 * not match (after a RESET ALL in the SQL, say): the server builds pg_locks
 * by copying its whole lock table, and a transaction that has created a
 * thousand tables holds thousands of locks, so one scan per revision made
 * `up --single-transaction` quadratic.  The end of the transaction drops
 * both the setting and the lock, and nothing in the SQL can bring back the
 * lock, so the check cannot pass once vmig's transaction has ended.
 */
#define MARK_SETTING "vmig.transaction_mark"

/* The words in the check's error that say what it found. */
#define MARK_GONE "vmig: the transaction vmig opened has ended"

/* A new token for the transaction about to begin; the SQL that marks it. */
static char *mark_transaction(pg_conn *c)
{
	c->txn_count = c->txn_count % 2147483647 + 1;
	snprintf(c->txn_token, sizeof c->txn_token, "%lu", c->txn_count);
	return xasprintf("SELECT pg_catalog.pg_advisory_xact_lock_shared(%d, %s), "
	                 "pg_catalog.set_config('" MARK_SETTING "', '%s', true)",
	                 MARK_SPACE, c->txn_token, c->txn_token);
}

/*
 * The statement that fails unless the token's transaction is still open.
 * The cast of a string that is not a number fails only when the CASE takes
 * that branch: current_setting() is not a constant, so the planner does not
 * evaluate it ahead.
 */
static void add_check(vmig_buf *q, const pg_conn *c)
{
	vmig_buf_printf(q,
	                "SELECT CASE WHEN pg_catalog.current_setting('" MARK_SETTING
	                "', true) = '%s' "
	                "THEN 0 WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = "
	                "'advisory' AND pid = pg_catalog.pg_backend_pid() AND classid = %d AND "
	                "objid = %s AND objsubid = 2) THEN 0 ELSE (pg_catalog.current_setting("
	                "'server_version_num') || ' " MARK_GONE "')::int END",
	                c->txn_token, MARK_SPACE, c->txn_token);
}

/* Whether a failed batch's error is the check's. */
static bool mark_gone(const PGresult *failed)
{
	const char *msg = failed ? PQresultErrorField(failed, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	return msg && strstr(msg, MARK_GONE);
}

static int pg_begin(vmig_conn *vc, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	char *mark = mark_transaction(c);
	int rc;
	if (c->pooled && c->lock_held) { /* the lock for the whole of this transaction */
		rc = pg_begin_locked(c, mark, err);
	} else {
		char *sql = xasprintf("BEGIN; %s", mark);
		rc = pg_exec_simple(c, sql, err);
		free(sql);
	}
	free(mark);
	if (rc)
		pg_rollback_if_open(c);
	return rc;
}

/* COMMIT of a failed transaction "succeeds" as ROLLBACK: that is an error. */
static int pg_commit(vmig_conn *vc, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	if (ts != PQTRANS_INTRANS || !c->txn_token[0]) {
		pg_rollback_if_open(c);
		return vmig_fail(err, VMIG_ERR_RUNTIME,
		                 ts == PQTRANS_INERROR
		                     ? "the transaction had failed and was rolled back"
		                     : "the transaction vmig opened was no longer open at COMMIT");
	}
	/* The check goes with the COMMIT: one round trip, and a transaction
	 * that is not vmig's is not committed. */
	vmig_buf q = {0};
	pg_batch b;
	add_check(&q, c);
	vmig_buf_puts(&q, ";\nCOMMIT");
	pg_run_batch(c->pg, vmig_buf_str(&q), &b);
	vmig_buf_free(&q);
	int rc = VMIG_OK;
	if (b.failed && mark_gone(b.failed)) {
		rc = vmig_fail(err, VMIG_ERR_RUNTIME, VMIG_TXN_ENDED_MSG);
		err->partial = 1;
	} else if (b.failed) {
		rc = pg_fail_result(err, c->pg, b.failed);
	} else if (!b.last_tag || strcmp(b.last_tag, "COMMIT") != 0) {
		rc = vmig_fail(err, VMIG_ERR_RUNTIME, "COMMIT was answered with %s",
		               b.last_tag ? b.last_tag : "nothing");
	}
	pg_batch_free(&b);
	pg_rollback_if_open(c);
	return rc;
}

static void pg_rollback(vmig_conn *vc)
{
	pg_rollback_if_open((pg_conn *)vc);
}

/* Where the statements of a batch stand: prefix, the SQL's, then vmig's own. */
typedef struct batch_layout {
	int prefix; /* BEGIN and the mark (own), or none */
	long nsql;  /* the SQL's statements, as the server counts them */
	bool check; /* the transaction check follows the SQL */
} batch_layout;

/*
 * Where in chg->sql a failure of the batch `sent` happened.  With a
 * position, that position.  Without one (a run-time error: a division by
 * zero, a unique violation), the statement the server stopped at: it
 * answered each one before it.  A failure in vmig's own statements after
 * the SQL has no offset and says so.
 */
static size_t locate_failure(pg_conn *c, const vmig_change *chg, const pg_batch *b,
                             const char *sent, size_t prefix_len, const batch_layout *l,
                             vmig_error *err)
{
	const char *posf = PQresultErrorField(b->failed, PG_DIAG_STATEMENT_POSITION);
	long idx = (long)b->n_ok - l->prefix;
	vmig_pgstmt *st = NULL;
	size_t n = 0, at = VMIG_NO_OFFSET;

	if (vmig_pgsplit(chg->sql, chg->sql_len, &st, &n, NULL, NULL) != VMIG_OK)
		n = 0;
	if (posf) {
		at = pg_char_to_byte(c, sent, strlen(sent), atol(posf));
		if (at != VMIG_NO_OFFSET && at >= prefix_len && at - prefix_len < chg->sql_len) {
			free(st);
			return at - prefix_len;
		}
		at = VMIG_NO_OFFSET;
		/* A syntax error just past the SQL: its last statement is unfinished. */
		if (pg_has_state(b->failed, "42601") && n > 0) {
			at = st[n - 1].offset;
			free(st);
			return at;
		}
	}
	long after = idx - (long)n; /* 0: the check (or the bookkeeping), ... */
	if (l->check && mark_gone(b->failed)) {
		/* Whatever the count says: the scanner may not have split the SQL. */
		vmig_fail(err, VMIG_ERR_RUNTIME, VMIG_TXN_ENDED_MSG);
		err->partial = 1;
	} else if (idx >= 0 && (size_t)idx < n)
		at = st[idx].offset;
	else if (after == (l->check ? 1 : 0) && chg->op != VMIG_ROW_NONE)
		vmig_error_append(err, "while recording revision %s in the version table %s",
		                  chg->row->revision, c->table_shown);
	else if (after > 0)
		vmig_error_append(err, "at COMMIT, after all the statements had run");
	free(st);
	return at;
}

/* Whether a command tag ("INSERT 0 1", "UPDATE 1", "DELETE 1") says one row changed. */
static bool changed_one(const char *tag)
{
	const char *last = strrchr(tag, ' ');
	return last && strcmp(last, " 1") == 0;
}

/* Whether the batch ran vmig's own statements after the SQL: an SQL text
 * ending inside a quote or comment could swallow them. */
static bool batch_complete(const pg_conn *c, const vmig_change *chg, const pg_batch *b, bool own)
{
	const char *verb = pg_row_op_verb(chg->op);
	const char *row_tag = own ? b->prev_tag : b->last_tag;

	if (own && (!b->last_tag || strcmp(b->last_tag, "COMMIT") != 0 ||
	            PQtransactionStatus(c->pg) != PQTRANS_IDLE))
		return false;
	return !verb ||
	       (row_tag && strncmp(row_tag, verb, strlen(verb)) == 0 && changed_one(row_tag));
}

/*
 * A transactional revision must not begin or end a transaction itself: its
 * statements would then commit apart from its bookkeeping.  Checked before
 * anything is sent, with PostgreSQL's own scanner; *nsql is the number of
 * statements (-1 when the scanner rejects the text: the server explains
 * that better).
 */
static int refuse_transaction_control(const vmig_change *chg, long *nsql, size_t *fail_offset,
                                      vmig_error *err)
{
	vmig_pgstmt *stmts = NULL;
	size_t n = 0, scan_err;
	vmig_error ignored = {0};
	int rc = VMIG_OK;
	*nsql = -1;
	if (vmig_pgsplit(chg->sql, chg->sql_len, &stmts, &n, &scan_err, &ignored) != VMIG_OK)
		return VMIG_OK;
	*nsql = (long)n;
	for (size_t i = 0; i < n && rc == VMIG_OK; i++) {
		rc = vmig_sql_refuse_transaction_control(chg->sql + stmts[i].offset, stmts[i].len,
		                                         err);
		if (rc)
			*fail_offset = stmts[i].offset;
	}
	free(stmts);
	return rc;
}

/* The state a change leaves its row in (NULL: no row). */
static const char *state_after(const pg_conn *c, enum vmig_row_op op)
{
	switch (op) {
	case VMIG_ROW_INSERT_APPLIED:
	case VMIG_ROW_SET_APPLIED:
		return VMIG_STATE_APPLIED;
	case VMIG_ROW_INSERT_IN_PROGRESS:
	case VMIG_ROW_SET_IN_PROGRESS:
		return VMIG_STATE_IN_PROGRESS;
	case VMIG_ROW_DELETE:
		return NULL;
	case VMIG_ROW_NONE:
		break;
	}
	return c->expect_state;
}

/* The revision whose row a change writes: the one the run changed last when none. */
static const char *row_of(const pg_conn *c, const vmig_change *chg)
{
	return chg->op == VMIG_ROW_NONE ? c->expect_rev : chg->row->revision;
}

/*
 * VMIG_TXN_OWN and VMIG_TXN_OUTER: the SQL, the check and the bookkeeping
 * in ONE query string, one round trip.  The newline before each `;` ends a
 * trailing `--` comment.  statement_timestamp() is when the server received
 * the string, so the bookkeeping measures the SQL's time on the server.
 */
static int apply_batch(pg_conn *c, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	bool own = chg->txn == VMIG_TXN_OWN;
	bool guard = own && c->pooled && c->lock_held; /* pg_lock.c */
	batch_layout l = {.prefix = own ? (guard ? 4 : 2) : 0, .check = chg->sql != NULL};
	vmig_buf q = {0};
	pg_batch b;
	int rc = VMIG_OK;

	if (chg->sql && (rc = refuse_transaction_control(chg, &l.nsql, fail_offset, err)))
		return rc;
	if (!own && !chg->sql && chg->op == VMIG_ROW_NONE)
		return VMIG_OK;
	if (!own && !c->txn_token[0])
		return vmig_fail(err, VMIG_ERR_RUNTIME, "no transaction is open for this change");
	if (guard && !c->expect_known)
		return pg_fail_stale(c, err);
	if (own) {
		char *mark = mark_transaction(c);
		vmig_buf_puts(&q, "BEGIN;\n");
		if (guard) {
			pg_add_xact_lock(&q, c);
			vmig_buf_puts(&q, ";\n");
			pg_add_guard(&q, c, row_of(c, chg));
			vmig_buf_puts(&q, ";\n");
		}
		vmig_buf_printf(&q, "%s;\n", mark);
		free(mark);
	}
	size_t prefix_len = q.len;
	if (chg->sql) {
		vmig_buf_add(&q, chg->sql, chg->sql_len);
		vmig_buf_puts(&q, "\n;\n");
		add_check(&q, c);
		vmig_buf_puts(&q, ";\n");
	}
	if (!pg_add_row_op(&q, c, chg, chg->sql ? SERVER_DURATION : "0", NULL)) {
		rc = pg_fail_result(err, c->pg, NULL);
		vmig_buf_free(&q);
		if (own)
			c->txn_token[0] = '\0';
		return rc;
	}
	if (own)
		vmig_buf_puts(&q, ";\nCOMMIT");

	if (guard)
		rc = pg_run_locked(c, vmig_buf_str(&q), &b, err);
	else
		pg_run_batch(c->pg, vmig_buf_str(&q), &b);
	if (rc) {
		/* timed out waiting for the lock, or the connection is gone */
	} else if (guard && pg_is_stale(b.failed)) {
		pg_rollback_if_open(c);
		rc = pg_fail_stale(c, err);
	} else if (b.failed) {
		rc = pg_fail_result(err, c->pg, b.failed);
		if (chg->sql)
			*fail_offset =
			    locate_failure(c, chg, &b, vmig_buf_str(&q), prefix_len, &l, err);
		if (own)
			pg_rollback_if_open(c);
	} else if (!batch_complete(c, chg, &b, own)) {
		if (own)
			pg_rollback_if_open(c);
		rc = vmig_fail(err, VMIG_ERR_RUNTIME,
		               "the SQL did not end where vmig expected: does it end inside a "
		               "quoted string, comment or dollar quote?%s",
		               own ? " Nothing was changed." : "");
	} else if (guard) { /* the guard's answer: the fingerprint but this row's */
		pg_expect(c, PQgetvalue(b.ok[2], 0, 0), row_of(c, chg), state_after(c, chg->op));
	}
	if (own)
		c->txn_token[0] = '\0';
	pg_batch_free(&b);
	vmig_buf_free(&q);
	return rc;
}

/* Runs one statement of a transaction-off change; on error *fail_offset is
 * its error position, else its start. */
static int run_one(pg_conn *c, const vmig_change *chg, const vmig_pgstmt *s, size_t *fail_offset,
                   vmig_error *err)
{
	char *text = xstrndup(chg->sql + s->offset, s->len); /* freed below */
	PGresult *r = PQexec(c->pg, text);
	int rc = VMIG_OK;

	if (!r || !pg_result_ok(r)) {
		rc = pg_fail_result(err, c->pg, r);
		const char *posf = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
		size_t at = posf ? pg_char_to_byte(c, text, s->len, atol(posf)) : VMIG_NO_OFFSET;
		*fail_offset = s->offset + (at != VMIG_NO_OFFSET && at < s->len ? at : 0);
	}
	PQclear(r);
	free(text);
	return rc;
}

/* Runs the statements of a transaction-off change one by one. */
static int run_statements(pg_conn *c, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	vmig_pgstmt *st = NULL;
	size_t n = 0;
	int rc = VMIG_OK;
	if (vmig_pgsplit(chg->sql, chg->sql_len, &st, &n, NULL, NULL) != VMIG_OK) {
		/* Text the splitter cannot scan goes to the server whole, which reports the error.
		 */
		vmig_pgstmt whole = {0, chg->sql_len};
		return run_one(c, chg, &whole, fail_offset, err);
	}
	for (size_t i = 0; rc == VMIG_OK && i < n; i++)
		rc = run_one(c, chg, &st[i], fail_offset, err);
	free(st);
	return rc;
}

/* The bookkeeping of a transaction-off change answered with `tag`, not one row. */
static int fail_no_row(const pg_conn *c, const vmig_change *chg, const char *tag, vmig_error *err)
{
	return vmig_fail(err, VMIG_ERR_RUNTIME,
	                 "recording revision %s in the version table %s changed no row (%s)",
	                 chg->row->revision, c->table_shown, tag ? tag : "no answer");
}

/*
 * Behind a pooler, a transaction-off change's bookkeeping after its SQL, in
 * a transaction under the lock.  It is written whatever happened meanwhile
 * (the SQL has run): a version table found otherwise than expected only
 * makes the run's next change read it again.
 */
static int record_locked(pg_conn *c, const vmig_change *chg, const char *duration, vmig_error *err)
{
	vmig_buf q = {0};
	pg_batch b;
	vmig_buf_puts(&q, "BEGIN;\n");
	pg_add_xact_lock(&q, c);
	vmig_buf_puts(&q, ";\nSELECT ");
	if (c->expect_known)
		pg_add_as_expected(&q, c);
	else
		vmig_buf_puts(&q, "false");
	vmig_buf_puts(&q, ", ");
	pg_add_fingerprint(&q, c, chg->row->revision);
	vmig_buf_puts(&q, ";\n");
	if (!pg_add_row_op(&q, c, chg, duration, NULL)) {
		vmig_buf_free(&q);
		return pg_fail_result(err, c->pg, NULL);
	}
	vmig_buf_puts(&q, ";\nCOMMIT");
	int rc = pg_run_locked(c, vmig_buf_str(&q), &b, err);
	vmig_buf_free(&q);
	if (rc)
		return rc;
	if (b.failed)
		rc = pg_fail_result(err, c->pg, b.failed);
	else if (!b.prev_tag || !changed_one(b.prev_tag))
		rc = fail_no_row(c, chg, b.prev_tag, err);
	else if (strcmp(PQgetvalue(b.ok[2], 0, 0), "t") == 0)
		pg_expect(c, PQgetvalue(b.ok[2], 0, 1), chg->row->revision,
		          state_after(c, chg->op));
	else
		c->expect_known = false;
	pg_rollback_if_open(c);
	pg_batch_free(&b);
	return rc;
}

/*
 * VMIG_TXN_NONE: each statement is its own query (a multi-statement string
 * would be one implicit transaction, which CREATE INDEX CONCURRENTLY
 * refuses), then the bookkeeping on its own, once the connection is idle.
 */
static int apply_none(pg_conn *c, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	double t0 = vmig_now_ms();
	int rc = chg->sql ? run_statements(c, chg, fail_offset, err) : VMIG_OK;
	if (rc == VMIG_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		pg_rollback_if_open(c);
		return vmig_fail(
		    err, VMIG_ERR_RUNTIME,
		    "the SQL left a transaction open at its end (a BEGIN without its "
		    "COMMIT); vmig rolled that transaction back, so its statements did "
		    "not take effect; end it with COMMIT in the revision");
	}
	if (rc) {
		pg_rollback_if_open(c);
		return rc;
	}
	char duration[64];
	vmig_buf q = {0};
	snprintf(duration, sizeof duration, "%.3f", vmig_now_ms() - t0);
	if (c->pooled && c->lock_held && chg->op != VMIG_ROW_NONE)
		rc = record_locked(c, chg, duration, err);
	else if (!pg_add_row_op(&q, c, chg, duration, NULL))
		rc = pg_fail_result(err, c->pg, NULL);
	else if (q.len) {
		PGresult *r = PQexec(c->pg, vmig_buf_str(&q));
		if (!r || !pg_result_ok(r))
			rc = pg_fail_result(err, c->pg, r);
		else if (!changed_one(PQcmdStatus(r)))
			rc = fail_no_row(c, chg, PQcmdStatus(r), err);
		PQclear(r);
	}
	vmig_buf_free(&q);
	return rc;
}

static int pg_apply(vmig_conn *vc, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	size_t ignored;

	if (!fail_offset)
		fail_offset = &ignored;
	*fail_offset = VMIG_NO_OFFSET;
	if (chg->op != VMIG_ROW_NONE && (!chg->row || !chg->row->revision))
		return vmig_fail(err, VMIG_ERR_INPUT, "bookkeeping change without a revision");
	int rc = pg_ensure_names(c, err);
	if (rc)
		return rc;
	if (chg->txn == VMIG_TXN_NONE)
		return apply_none(c, chg, fail_offset, err);
	return apply_batch(c, chg, fail_offset, err);
}

const vmig_driver vmig_postgres_driver = {
    .version = VMIG_DRIVER_VERSION,
    .name = "postgresql",
    .caps = VMIG_CAP_TRANSACTIONAL_DDL | VMIG_CAP_SESSION_LOCK | VMIG_CAP_SCHEMAS |
            VMIG_CAP_NON_TRANSACTIONAL_STATEMENTS,
    .max_identifier = 63, /* NAMEDATALEN - 1 */
    .connect = pg_connect,
    .close = pg_close,
    .lock = pg_lock,
    .unlock = pg_unlock,
    .read_applied = pg_read_applied,
    .read_column = pg_read_column,
    .prepare = pg_prepare,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .apply = pg_apply,
    .script = pg_script,
    .dump_schema = pg_dump_schema,
    .server = &pg_server_ops,
    .lint = vmig_pg_lint,
    .lint_rules = vmig_pg_lint_rules,
    .list_schemas = pg_list_schemas,
};
