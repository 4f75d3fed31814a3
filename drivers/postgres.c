/*
 * postgres.c - the PostgreSQL driver, on libpq.
 *
 * Round trips are what a migration run costs on a remote database, so the
 * driver counts them:
 *   - a no-op `up` reads the version table with one query, and a missing
 *     table is that query's error (42P01), not a second existence check;
 *   - a revision in its own transaction is ONE query string,
 *     "BEGIN; <sql> ; <bookkeeping>; COMMIT;", sent with the simple protocol;
 *     the bookkeeping row measures its duration on the server;
 *   - when that fails, the statement at fault is found from the results the
 *     server sent back before the error (one per statement that ran), so no
 *     statement is ever run a second time to find it.
 * A `transaction off` revision is sent statement by statement (the server
 * runs a multi-statement string as one implicit transaction), split with
 * PostgreSQL's own grammar (pgsplit.h).
 *
 * The run lock is a session-level advisory lock, so it lasts across the
 * run's transactions and dies with the connection.
 */
#include "driver.h"
#include "pgsplit.h"

#include "../src/alloc.h"
#include "../src/sqltext.h"
#include "../src/buf.h"
#include "../src/url.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct pg_conn {
	vmig_conn base; /* first: the core holds this as a vmig_conn * */
	PGconn *pg;
	char *table;      /* version table as SQL: "schema"."name" or "name" */
	char *meta;       /* its meta table as SQL, likewise */
	char *shown;      /* version table for messages: schema.name or name */
	char *key_source; /* SQL text expression naming the table for the lock key */
	char *schema;     /* version_table_schema, or NULL */
	unsigned lock_timeout;
	bool locked;
	long long lock_key; /* valid once have_key */
	bool have_key;
	bool pos_in_bytes; /* SQL_ASCII server: error positions count bytes */
} pg_conn;

/* The duration of everything the current query string ran so far, in ms. */
#define SERVER_DURATION "(extract(epoch from clock_timestamp() - statement_timestamp()) * 1000)"

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	long long ns = (long long)(ms * 1e6);
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000),
	                      .tv_nsec = (long)(ns % 1000000000)};
	nanosleep(&ts, NULL);
}

/* libpq's messages end in a newline that vmig's error lines must not have. */
static void add_trimmed(vmig_buf *b, const char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	vmig_buf_add(b, s, n);
}

/* Server notices (CREATE ... IF NOT EXISTS, RAISE NOTICE) must not reach
 * libpq's default processor, which prints them: a driver never prints. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* ------------------------------------------------------------------ */
/* Connecting                                                           */

/* The URL as libpq takes it: a SQLAlchemy driver suffix dropped from the
 * scheme ("postgresql+asyncpg://" -> "postgresql://").  Caller frees. */
static char *libpq_url(const char *url)
{
	char base[32];
	size_t len = vmig_url_scheme(url, base, sizeof base);
	return xasprintf("%s%s", base, url + len);
}

/* postgresql:// or postgres://, with or without a driver suffix: the
 * registry picks the exact schemes; this only keeps other URLs from libpq. */
static bool scheme_known(const char *url)
{
	char base[32];
	if (!vmig_url_scheme(url, base, sizeof base))
		return false;
	return strcmp(base, "postgresql") == 0 || strcmp(base, "postgres") == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) with %XX decoded.  Caller frees. */
static char *percent_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* Adds a secret, raw and decoded, to list (of at most 4; new strings). */
/* The password spellings a URL can carry (see url_secrets). */
#define VMIG_MAX_SECRETS 8

static void add_secret(char **list, size_t *n, const char *s, size_t len)
{
	if (len == 0 || *n + 2 > VMIG_MAX_SECRETS)
		return;
	list[(*n)++] = xstrndup(s, len);
	char *dec = percent_decode(s, len);
	if (strcmp(dec, list[*n - 1]) != 0)
		list[(*n)++] = dec;
	else
		free(dec);
}

/*
 * The passwords a URL carries (userinfo and `password=` parameter), as
 * written and percent-decoded, into list; returns how many.  They are
 * scrubbed from libpq's messages, which may quote parts of a malformed URL.
 * The strings are new; the caller frees each.
 */
static size_t url_secrets(const char *url, char *list[VMIG_MAX_SECRETS])
{
	size_t n = 0, off, len;
	if (vmig_url_password(url, &off, &len)) {
		add_secret(list, &n, url + off, len);
		/* libpq ends the authority at '/', '?' or '#', and may then quote
		 * the password's first part as a port: scrub that part too. */
		size_t head = strcspn(url + off, "/?#");
		if (head && head < len)
			add_secret(list, &n, url + off, head);
	}
	for (const char *p = strstr(url, "password="); p; p = strstr(p + 1, "password=")) {
		if (p == url || (p[-1] != '?' && p[-1] != '&'))
			continue;
		const char *v = p + strlen("password=");
		add_secret(list, &n, v, strcspn(v, "&#"));
	}
	return n;
}

/* Replaces every occurrence of secret in b with "***".  A very short
 * password blots out more than itself: a garbled message beats a leak. */
static void scrub(vmig_buf *b, const char *secret)
{
	size_t slen = strlen(secret);
	if (!slen || !b->len)
		return;
	vmig_buf out = {0};
	const char *p = vmig_buf_str(b);
	for (const char *hit; (hit = strstr(p, secret)); p = hit + slen) {
		vmig_buf_add(&out, p, (size_t)(hit - p));
		vmig_buf_puts(&out, "***");
	}
	vmig_buf_puts(&out, p);
	vmig_buf_free(b);
	*b = out;
}

/*
 * Whether a failed connection may succeed if tried again: the server is not
 * up yet (refused, no socket, starting up, name not resolvable yet in a
 * Compose network), busy, or slow.  Authentication failures and a missing
 * database or role are not: waiting will not fix them.
 */
static bool connect_transient(const char *msg)
{
	static const char *const permanent[] = {
	    "authentication failed", "does not exist", "no pg_hba.conf entry",
	    "no password supplied",  "invalid ",       "permission denied",
	    "not permitted to log",  "certificate",    "SSL",
	};
	static const char *const transient[] = {
	    "Connection refused",
	    "No such file or directory",
	    "the database system is starting up",
	    "the database system is shutting down",
	    "the database system is in recovery mode",
	    "the database system is not yet accepting connections",
	    "the database system is not accepting connections",
	    "timeout expired",
	    "Connection timed out",
	    "could not translate host name",
	    "Temporary failure in name resolution",
	    "server closed the connection unexpectedly",
	    "Connection reset by peer",
	    "No route to host",
	    "Network is unreachable",
	    "too many clients",
	    "remaining connection slots are reserved",
	};
	for (size_t i = 0; i < sizeof permanent / sizeof *permanent; i++)
		if (strstr(msg, permanent[i]))
			return false;
	for (size_t i = 0; i < sizeof transient / sizeof *transient; i++)
		if (strstr(msg, transient[i]))
			return true;
	return false;
}

/* VMIG_ERR_RUNTIME for a failed connection, with no password in it. */
static int connect_failed(const char *url, PGconn *pg, vmig_error *err)
{
	vmig_buf msg = {0};
	char *shown = vmig_url_redact(url);
	char *secrets[VMIG_MAX_SECRETS];
	size_t nsecrets = url_secrets(url, secrets);

	vmig_buf_printf(&msg, "cannot connect to %s: ", shown);
	add_trimmed(&msg, pg ? PQerrorMessage(pg) : "out of memory");
	for (size_t i = 0; i < nsecrets; i++) {
		scrub(&msg, secrets[i]);
		free(secrets[i]);
	}
	vmig_fail(err, VMIG_ERR_RUNTIME, "%s", vmig_buf_str(&msg));
	if (err) /* judged on libpq's words alone, not on the URL's */
		err->transient = pg && connect_transient(PQerrorMessage(pg));
	vmig_buf_free(&msg);
	free(shown);
	return VMIG_ERR_RUNTIME;
}

/* A quoted identifier (PQescapeIdentifier) as a new string the caller frees. */
static char *quote_ident(PGconn *pg, const char *name)
{
	char *q = PQescapeIdentifier(pg, name, strlen(name));
	if (!q)
		return NULL;
	char *copy = xstrdup(q);
	PQfreemem(q);
	return copy;
}

/* A quoted literal, or NULL for s == NULL, appended to b.  False when libpq
 * cannot quote it (not valid in the client encoding); the message is in pg. */
static bool add_literal(vmig_buf *b, PGconn *pg, const char *s)
{
	if (!s) {
		vmig_buf_puts(b, "NULL");
		return true;
	}
	char *q = PQescapeLiteral(pg, s, strlen(s));
	if (!q)
		return false;
	vmig_buf_puts(b, q);
	PQfreemem(q);
	return true;
}

/* Fills the names of the version and meta tables; false when a name cannot
 * be quoted (invalid in the client encoding). */
static bool set_names(pg_conn *c, const vmig_conn_opts *opts)
{
	const char *schema = opts->version_table_schema;
	char *meta_name = xasprintf("%s_meta", opts->version_table);
	char *qt = quote_ident(c->pg, opts->version_table);
	char *qm = quote_ident(c->pg, meta_name);
	char *qs = schema ? quote_ident(c->pg, schema) : NULL;
	vmig_buf key = {0};
	bool ok = qt && qm && (!schema || qs);

	if (ok) {
		c->table = schema ? xasprintf("%s.%s", qs, qt) : xstrdup(qt);
		c->meta = schema ? xasprintf("%s.%s", qs, qm) : xstrdup(qm);
		c->shown = schema ? xasprintf("%s.%s", schema, opts->version_table)
		                  : xstrdup(opts->version_table);
		/* The key names the schema the table really is in, so a runner
		 * naming `public` and one relying on the search path agree. */
		vmig_buf_puts(&key, "'vmig:' || coalesce(");
		ok = add_literal(&key, c->pg, schema);
		vmig_buf_puts(&key, "::text, current_schema()::text, '') || '.' || ");
		ok = ok && add_literal(&key, c->pg, opts->version_table);
		c->key_source = vmig_buf_detach(&key);
	}
	c->schema = schema ? xstrdup(schema) : NULL;
	free(meta_name);
	free(qt);
	free(qm);
	free(qs);
	return ok;
}

static void pg_close(vmig_conn *vc)
{
	pg_conn *c = (pg_conn *)vc;
	if (!c)
		return;
	if (c->pg)
		PQfinish(c->pg); /* also releases the session's advisory lock */
	free(c->table);
	free(c->meta);
	free(c->shown);
	free(c->key_source);
	free(c->schema);
	free(c);
}

/*
 * Defaults that the URL (and libpq's PG* environment variables) may
 * override: application_name shows vmig in pg_stat_activity (and in the
 * lock-holder message), a short connect_timeout lets `--wait` retry a host
 * that does not answer, and UTF-8 is what migration files are written in.
 * Keywords placed before the expanded URL are overridden by it.
 */
static PGconn *open_pg(const char *conninfo)
{
	const char *keys[5];
	const char *vals[5];
	int k = 0;

	if (!getenv("PGAPPNAME")) {
		keys[k] = "application_name";
		vals[k++] = "vmig";
	}
	if (!getenv("PGCONNECT_TIMEOUT")) {
		keys[k] = "connect_timeout";
		vals[k++] = "10";
	}
	if (!getenv("PGCLIENTENCODING")) {
		keys[k] = "client_encoding";
		vals[k++] = "UTF8";
	}
	keys[k] = "dbname";
	vals[k++] = conninfo;
	keys[k] = NULL;
	vals[k] = NULL;
	return PQconnectdbParams(keys, vals, 1);
}

static int pg_connect(const char *url, const vmig_conn_opts *opts, vmig_conn **out, vmig_error *err)
{
	*out = NULL;
	if (!scheme_known(url)) {
		char *shown = vmig_url_redact(url);
		vmig_fail(err, VMIG_ERR_INPUT, "database URL %s is not a PostgreSQL URL", shown);
		free(shown);
		return VMIG_ERR_INPUT;
	}

	char *conninfo = libpq_url(url);
	PGconn *pg = open_pg(conninfo);
	free(conninfo);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		connect_failed(url, pg, err);
		PQfinish(pg);
		return VMIG_ERR_RUNTIME;
	}
	PQsetNoticeProcessor(pg, ignore_notice, NULL);

	pg_conn *c = xcalloc(1, sizeof *c); /* freed by pg_close */
	c->base.driver = &vmig_postgres_driver;
	c->pg = pg;
	c->lock_timeout = opts->lock_timeout;
	const char *senc = PQparameterStatus(pg, "server_encoding");
	c->pos_in_bytes = senc && strcmp(senc, "SQL_ASCII") == 0;
	if (!set_names(c, opts)) {
		vmig_buf msg = {0};
		add_trimmed(&msg, PQerrorMessage(pg));
		vmig_fail(err, VMIG_ERR_INPUT, "version table name: %s", vmig_buf_str(&msg));
		vmig_buf_free(&msg);
		pg_close(&c->base);
		return VMIG_ERR_INPUT;
	}
	*out = &c->base;
	return VMIG_OK;
}

/* ------------------------------------------------------------------ */
/* Results and errors                                                   */

/*
 * The database's error as vmig shows it: "ERROR 42P01: message", then
 * DETAIL, HINT and CONTEXT lines where the server sent them.  r may be NULL
 * (nothing came back: the connection's own message is used).
 */
static int fail_result(vmig_error *err, PGconn *pg, const PGresult *r)
{
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	vmig_buf msg = {0};

	if (!primary) {
		/* The connection failed, not a statement: libpq's own text. */
		const char *m = r ? PQresultErrorMessage(r) : "";
		add_trimmed(&msg, *m ? m : PQerrorMessage(pg));
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

static bool result_ok(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

static bool has_state(const PGresult *r, const char *sqlstate)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return s && strcmp(s, sqlstate) == 0;
}

/*
 * What came back for one query string of one or more statements.  The
 * server sends one result per statement that ran; after an error it skips
 * the rest.  So `n_ok` is also the index of the statement that failed.
 */
typedef struct pg_batch {
	int n_ok;         /* statements that succeeded, before any error */
	PGresult *failed; /* the error, or NULL; owned (batch_free) */
	PGresult *rows;   /* the last result with rows (a SELECT's), or NULL; owned */
	char *last_tag;   /* the last success's command tag ("COMMIT"); owned */
	char *prev_tag;   /* the tag of the success before it, or NULL; owned */
} pg_batch;

static void batch_free(pg_batch *b)
{
	PQclear(b->failed);
	PQclear(b->rows);
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

/* Sends sql in one round trip and collects what came back into *b. */
static void run_batch(PGconn *pg, const char *sql, pg_batch *b)
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
		if (!result_ok(r)) {
			if (!b->failed)
				b->failed = r;
			else
				PQclear(r);
			continue;
		}
		if (b->failed) {
			PQclear(r);
			continue;
		}
		b->n_ok++;
		free(b->prev_tag);
		b->prev_tag = b->last_tag;
		b->last_tag = xstrdup(PQcmdStatus(r));
		if (st == PGRES_TUPLES_OK) {
			PQclear(b->rows);
			b->rows = r;
		} else {
			PQclear(r);
		}
	}
}

/* Runs one statement; VMIG_OK or the database's error. */
static int exec_simple(pg_conn *c, const char *sql, vmig_error *err)
{
	PGresult *r = PQexec(c->pg, sql);
	int rc = r && result_ok(r) ? VMIG_OK : fail_result(err, c->pg, r);
	PQclear(r);
	return rc;
}

/* Ends a transaction that an error left open (failed or not). */
static void rollback_if_open(pg_conn *c)
{
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	if (ts == PQTRANS_INERROR || ts == PQTRANS_INTRANS)
		PQclear(PQexec(c->pg, "ROLLBACK"));
}

/*
 * Runs a one-statement query whose error `tolerated` means "nothing there"
 * (42P01: no such table).  *res is the result, or NULL when the tolerated
 * error happened; caller PQclear()s it.  Outside a transaction this is one
 * plain query.  Inside one (a run-wide transaction), an error would abort
 * the caller's transaction, so the query runs under a savepoint.
 */
static int query_tolerant(pg_conn *c, const char *sql, const char *tolerated, PGresult **res,
                          vmig_error *err)
{
	*res = NULL;
	if (PQtransactionStatus(c->pg) != PQTRANS_INTRANS) {
		PGresult *r = PQexec(c->pg, sql);
		if (r && PQresultStatus(r) == PGRES_TUPLES_OK) {
			*res = r;
			return VMIG_OK;
		}
		int rc = has_state(r, tolerated) ? VMIG_OK : fail_result(err, c->pg, r);
		PQclear(r);
		return rc;
	}

	char *wrapped = xasprintf("SAVEPOINT vmig_probe; %s; RELEASE SAVEPOINT vmig_probe", sql);
	pg_batch b;
	run_batch(c->pg, wrapped, &b);
	free(wrapped);
	int rc = VMIG_OK;
	if (b.failed) {
		if (!has_state(b.failed, tolerated))
			rc = fail_result(err, c->pg, b.failed);
		if (b.n_ok >= 1)
			PQclear(PQexec(c->pg, "ROLLBACK TO SAVEPOINT vmig_probe; "
			                      "RELEASE SAVEPOINT vmig_probe"));
		batch_free(&b);
		return rc;
	}
	*res = b.rows; /* the query's: SAVEPOINT and RELEASE return no rows */
	b.rows = NULL;
	batch_free(&b);
	return VMIG_OK;
}

/* ------------------------------------------------------------------ */
/* The version table                                                    */

/* A column's value as a new string (caller frees), or NULL for SQL NULL. */
static char *col_dup(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

static void fill_row(const PGresult *r, int i, bool ids_only, vmig_applied *row)
{
	row->revision = col_dup(r, i, 0);
	row->dirty = strcmp(PQgetvalue(r, i, 1), "applied") != 0;
	if (ids_only)
		return;
	row->parents = col_dup(r, i, 2);
	row->message = col_dup(r, i, 3);
	row->checksum = col_dup(r, i, 4);
	row->checksum_version = atoi(PQgetvalue(r, i, 5));
	row->applied_at = col_dup(r, i, 6);
	row->duration_ms = strtod(PQgetvalue(r, i, 7), NULL);
	row->down_sql = col_dup(r, i, 8);
}

static int pg_read_applied(vmig_conn *vc, bool ids_only, vmig_applied_set *set, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	/* Shape 1 has no insertion counter: applied_at (to the second), then
	 * the id, is the order. */
	char *sql = xasprintf("SELECT revision, state%s FROM %s ORDER BY applied_at, revision",
	                      ids_only ? ""
	                               : ", parents, message, checksum, checksum_version, "
	                                 "applied_at, duration_ms, down_sql",
	                      c->table);
	PGresult *r;
	int rc = query_tolerant(c, sql, "42P01", &r, err);
	free(sql);
	if (rc || !r)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		fill_row(r, i, ids_only, vmig_applied_add(set));
	PQclear(r);
	return VMIG_OK;
}

/* Checks the shape the meta table names against what this vmig knows. */
static int check_shape(pg_conn *c, const char *value, vmig_error *err)
{
	char *end;
	long shape = strtol(value, &end, 10);
	if (end == value || *end || shape < 1)
		return vmig_fail(err, VMIG_ERR_RUNTIME,
		                 "the version table %s has an unreadable shape '%s' in %s_meta",
		                 c->shown, value, c->shown);
	if (shape > VMIG_TABLE_SHAPE)
		return vmig_fail(
		    err, VMIG_ERR_RUNTIME,
		    "the version table %s has shape %ld, written by a newer vmig; this "
		    "vmig knows shapes up to %d: upgrade vmig",
		    c->shown, shape, VMIG_TABLE_SHAPE);
	return VMIG_OK;
}

/* The clear message for a version table that has no schema to live in. */
static void no_schema(pg_conn *c, vmig_error *err)
{
	if (!c->schema) {
		vmig_error_append(err,
		                  "no schema to create the version table %s in: the search_path "
		                  "names no existing schema; set version_table_schema",
		                  c->shown);
		return;
	}
	char *q = quote_ident(c->pg, c->schema);
	vmig_error_append(err,
	                  "the schema \"%s\" given as version_table_schema does not exist: create "
	                  "it first (CREATE SCHEMA %s) or change version_table_schema",
	                  c->schema, q ? q : c->schema);
	free(q);
}

/* Creates both tables and records the shape, in one round trip.  Inside a
 * run-wide transaction it joins it; else it is a transaction of its own. */
static int create_tables(pg_conn *c, vmig_error *err)
{
	bool own = PQtransactionStatus(c->pg) != PQTRANS_INTRANS;
	char *sql = xasprintf(
	    "%s"
	    "CREATE TABLE IF NOT EXISTS %s (\n"
	    "  revision text PRIMARY KEY,\n"
	    "  parents text NOT NULL DEFAULT '',\n"
	    "  message text NOT NULL DEFAULT '',\n"
	    "  checksum text NOT NULL,\n"
	    "  checksum_version integer NOT NULL,\n"
	    "  applied_at text NOT NULL,\n"
	    "  duration_ms double precision NOT NULL DEFAULT 0,\n"
	    "  down_sql text,\n"
	    "  state text NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'pending')));\n"
	    "CREATE TABLE IF NOT EXISTS %s (key text PRIMARY KEY, value text NOT NULL);\n"
	    "INSERT INTO %s (key, value) VALUES ('shape', '%d') ON CONFLICT (key) DO NOTHING;\n"
	    "SELECT value FROM %s WHERE key = 'shape'%s",
	    own ? "BEGIN;\n" : "", c->table, c->meta, c->meta, VMIG_TABLE_SHAPE, c->meta,
	    own ? ";\nCOMMIT" : "");
	pg_batch b;
	run_batch(c->pg, sql, &b);
	free(sql);

	int rc = VMIG_OK;
	if (b.failed) {
		rc = fail_result(err, c->pg, b.failed);
		if (has_state(b.failed, "3F000"))
			no_schema(c, err);
		if (own)
			rollback_if_open(c);
	} else if (!b.rows || PQntuples(b.rows) != 1) {
		rc = vmig_fail(err, VMIG_ERR_RUNTIME,
		               "the shape of the version table %s was not "
		               "recorded in %s_meta",
		               c->shown, c->shown);
	} else {
		rc = check_shape(c, PQgetvalue(b.rows, 0, 0), err);
	}
	batch_free(&b);
	return rc;
}

static int pg_prepare(vmig_conn *vc, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	char *sql = xasprintf("SELECT value FROM %s WHERE key = 'shape'", c->meta);
	PGresult *r;
	int rc = query_tolerant(c, sql, "42P01", &r, err);
	free(sql);
	if (rc)
		return rc;
	if (r && PQntuples(r) == 1) {
		/* The common case: the tables are there; one query. */
		rc = check_shape(c, PQgetvalue(r, 0, 0), err);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	return create_tables(c, err);
}

/* ------------------------------------------------------------------ */
/* The run lock                                                         */

/* One try at the lock.  The first try also learns the key, a 64-bit hash
 * the server computes of "vmig:schema.table" (hashtextextended, PG 11+). */
static int try_lock(pg_conn *c, bool *got, vmig_error *err)
{
	char *sql;
	if (!c->have_key)
		sql = xasprintf("SELECT k, pg_try_advisory_lock(k) FROM (SELECT %s(%s%s) AS k) s",
		                PQserverVersion(c->pg) >= 110000 ? "hashtextextended" : "hashtext",
		                c->key_source, PQserverVersion(c->pg) >= 110000 ? ", 0" : "");
	else
		sql =
		    xasprintf("SELECT %lld, pg_try_advisory_lock(%lld)", c->lock_key, c->lock_key);
	PGresult *r = PQexec(c->pg, sql);
	free(sql);
	int rc = VMIG_OK;
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		c->lock_key = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		c->have_key = true;
		*got = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	} else {
		rc = fail_result(err, c->pg, r);
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

static int pg_lock(vmig_conn *vc, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	double deadline = mono_ms() + 1000.0 * c->lock_timeout;
	double delay = 10;
	bool got = false;

	if (c->locked)
		return VMIG_OK; /* advisory locks nest; one unlock must release it */
	for (;;) {
		int rc = try_lock(c, &got, err);
		if (rc)
			return rc;
		if (got) {
			c->locked = true;
			return VMIG_OK;
		}
		double now = mono_ms();
		if (now >= deadline)
			break;
		sleep_ms(delay < deadline - now ? delay : deadline - now);
		delay = delay * 2 < 200 ? delay * 2 : 200;
	}
	vmig_buf msg = {0};
	vmig_buf_printf(&msg, "timed out after %u s waiting for the migration lock on %s; ",
	                c->lock_timeout, c->shown);
	describe_holder(c, &msg);
	vmig_fail(err, VMIG_ERR_RUNTIME, "%s", vmig_buf_str(&msg));
	vmig_buf_free(&msg);
	return VMIG_ERR_RUNTIME;
}

/* A failed transaction makes the unlock fail too; the lock then goes with
 * the connection (close). */
static void pg_unlock(vmig_conn *vc)
{
	pg_conn *c = (pg_conn *)vc;
	if (!c->locked)
		return;
	char *sql = xasprintf("SELECT pg_advisory_unlock(%lld)", c->lock_key);
	PQclear(PQexec(c->pg, sql));
	free(sql);
	c->locked = false;
}

/* ------------------------------------------------------------------ */
/* Transactions                                                         */

static int pg_begin(vmig_conn *vc, vmig_error *err)
{
	return exec_simple((pg_conn *)vc, "BEGIN", err);
}

/* COMMIT of a failed transaction "succeeds" as ROLLBACK: that is an error. */
static int pg_commit(vmig_conn *vc, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	if (PQtransactionStatus(c->pg) == PQTRANS_INERROR) {
		rollback_if_open(c);
		return vmig_fail(err, VMIG_ERR_RUNTIME,
		                 "the transaction had failed and was rolled back");
	}
	PGresult *r = PQexec(c->pg, "COMMIT");
	int rc = VMIG_OK;
	if (!r || !result_ok(r))
		rc = fail_result(err, c->pg, r);
	else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		rc =
		    vmig_fail(err, VMIG_ERR_RUNTIME, "COMMIT was answered with %s", PQcmdStatus(r));
	PQclear(r);
	return rc;
}

static void pg_rollback(vmig_conn *vc)
{
	rollback_if_open((pg_conn *)vc);
}

/* ------------------------------------------------------------------ */
/* Applying a change                                                    */

/* The verb of the bookkeeping statement's command tag. */
static const char *book_verb(enum vmig_book_op op)
{
	switch (op) {
	case VMIG_BOOK_INSERT:
	case VMIG_BOOK_INSERT_DIRTY:
		return "INSERT";
	case VMIG_BOOK_SET_APPLIED:
	case VMIG_BOOK_SET_DIRTY:
		return "UPDATE";
	case VMIG_BOOK_DELETE:
		return "DELETE";
	case VMIG_BOOK_NONE:
		break;
	}
	return NULL;
}

static bool add_insert(vmig_buf *b, pg_conn *c, const vmig_change *chg, const char *duration)
{
	const vmig_applied *row = chg->row;
	const char *nn[] = {row->revision, row->parents, row->message, row->checksum};
	bool ok = true;

	vmig_buf_printf(b,
	                "INSERT INTO %s (revision, parents, message, checksum, checksum_version, "
	                "applied_at, duration_ms, down_sql, state) VALUES (",
	                c->table);
	for (size_t i = 0; i < sizeof nn / sizeof *nn; i++) {
		ok = ok && add_literal(b, c->pg, nn[i] ? nn[i] : "");
		vmig_buf_puts(b, ", ");
	}
	vmig_buf_printf(b, "%d, ", row->checksum_version);
	ok = ok && add_literal(b, c->pg, row->applied_at ? row->applied_at : "");
	vmig_buf_printf(b, ", %s, ", duration);
	ok = ok && add_literal(b, c->pg, row->down_sql);
	vmig_buf_printf(b, ", '%s')", chg->op == VMIG_BOOK_INSERT ? "applied" : "pending");
	return ok;
}

/*
 * Appends chg's bookkeeping statement (no ';') to b; nothing for
 * VMIG_BOOK_NONE.  duration is the SQL expression for duration_ms.  False
 * when a value cannot be quoted (libpq's message is in the connection).
 */
static bool add_bookkeeping(vmig_buf *b, pg_conn *c, const vmig_change *chg, const char *duration)
{
	const char *rev = chg->row ? chg->row->revision : NULL;
	switch (chg->op) {
	case VMIG_BOOK_NONE:
		return true;
	case VMIG_BOOK_INSERT:
	case VMIG_BOOK_INSERT_DIRTY:
		return add_insert(b, c, chg, duration);
	case VMIG_BOOK_SET_APPLIED:
		vmig_buf_printf(b, "UPDATE %s SET state = 'applied'", c->table);
		if (chg->sql)
			vmig_buf_printf(b, ", duration_ms = %s", duration);
		break;
	case VMIG_BOOK_SET_DIRTY:
		vmig_buf_printf(b, "UPDATE %s SET state = 'pending'", c->table);
		break;
	case VMIG_BOOK_DELETE:
		vmig_buf_printf(b, "DELETE FROM %s", c->table);
		break;
	}
	vmig_buf_puts(b, " WHERE revision = ");
	return add_literal(b, c->pg, rev ? rev : "");
}

/* The byte offset of 1-based character position pos in s, as the server
 * counts characters (the client encoding's; bytes on SQL_ASCII). */
static size_t char_to_byte(const pg_conn *c, const char *s, size_t len, long pos)
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

/*
 * Where in chg->sql a failure of the batch `sent` happened.  With a
 * position, that position.  Without one (a run-time error: a division by
 * zero, a unique violation), the statement at index n_ok - prefix_stmts:
 * the server answered each statement before the failing one.  A failure
 * after the SQL (the bookkeeping, or a deferred constraint at COMMIT) has no
 * offset and says so.
 */
static size_t locate_failure(pg_conn *c, const vmig_change *chg, const pg_batch *b,
                             const char *sent, size_t prefix_len, int prefix_stmts, vmig_error *err)
{
	const char *posf = PQresultErrorField(b->failed, PG_DIAG_STATEMENT_POSITION);
	long idx = (long)b->n_ok - prefix_stmts;
	vmig_pgstmt *st = NULL;
	size_t n = 0, at = VMIG_NO_OFFSET;

	if (posf) {
		at = char_to_byte(c, sent, strlen(sent), atol(posf));
		if (at != VMIG_NO_OFFSET && at >= prefix_len && at - prefix_len < chg->sql_len)
			return at - prefix_len;
		/* A syntax error just past the SQL: its last statement is unfinished. */
		if (at != VMIG_NO_OFFSET && at >= prefix_len && has_state(b->failed, "42601"))
			idx = LONG_MAX;
	}
	if (vmig_pgsplit(chg->sql, chg->sql_len, &st, &n, NULL, NULL) != VMIG_OK)
		return VMIG_NO_OFFSET;
	if (idx == LONG_MAX && n > 0)
		at = st[n - 1].offset;
	else if (idx >= 0 && (size_t)idx < n)
		at = st[idx].offset;
	else if (idx >= 0 && (size_t)idx == n && chg->op != VMIG_BOOK_NONE)
		vmig_error_append(err, "while recording revision %s in the version table %s",
		                  chg->row && chg->row->revision ? chg->row->revision : "?",
		                  c->shown);
	else if (idx > (long)n)
		vmig_error_append(err, "at COMMIT, after all the statements had run");
	else
		at = VMIG_NO_OFFSET;
	free(st);
	return at;
}

/* Whether the batch ran vmig's own statements after the SQL: an SQL text
 * ending inside a quote or comment could swallow them. */
static bool batch_complete(const pg_conn *c, const vmig_change *chg, const pg_batch *b, bool own)
{
	const char *verb = book_verb(chg->op);
	const char *book_tag = own ? b->prev_tag : b->last_tag;

	if (own && (!b->last_tag || strcmp(b->last_tag, "COMMIT") != 0 ||
	            PQtransactionStatus(c->pg) != PQTRANS_IDLE))
		return false;
	return !verb || (book_tag && strncmp(book_tag, verb, strlen(verb)) == 0);
}

/*
 * VMIG_TXN_OWN and VMIG_TXN_OUTER: the SQL and its bookkeeping in ONE query
 * string, one round trip.  The newline before the `;` ends a trailing `--`
 * comment.  statement_timestamp() is when the server received the string,
 * so the bookkeeping measures the SQL's time on the server.
 */
/*
 * A transactional revision must not begin or end a transaction itself: its
 * statements would then commit apart from its bookkeeping.  Checked before
 * anything is sent, with PostgreSQL's own scanner.
 */
static int refuse_transaction_control(const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	vmig_pgstmt *stmts = NULL;
	size_t n = 0, scan_err;
	vmig_error ignored = {0};
	int rc = VMIG_OK;
	/* A text the scanner rejects goes to the server, which explains it better. */
	if (vmig_pgsplit(chg->sql, chg->sql_len, &stmts, &n, &scan_err, &ignored) != VMIG_OK)
		return VMIG_OK;
	for (size_t i = 0; i < n && rc == VMIG_OK; i++)
		if (vmig_sql_is_transaction_control(chg->sql + stmts[i].offset, stmts[i].len)) {
			*fail_offset = stmts[i].offset;
			rc = vmig_fail(err, VMIG_ERR_INPUT, VMIG_TXN_CONTROL_MSG);
		}
	free(stmts);
	return rc;
}

static int apply_batch(pg_conn *c, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	bool own = chg->txn == VMIG_TXN_OWN;
	const char *prefix = own ? "BEGIN;\n" : "";
	vmig_buf q = {0};
	pg_batch b;
	int rc = VMIG_OK;

	if (chg->sql && (rc = refuse_transaction_control(chg, fail_offset, err)))
		return rc;
	vmig_buf_puts(&q, prefix);
	if (chg->sql) {
		vmig_buf_add(&q, chg->sql, chg->sql_len);
		vmig_buf_puts(&q, "\n;\n");
	}
	if (!add_bookkeeping(&q, c, chg, chg->sql ? SERVER_DURATION : "0")) {
		rc = fail_result(err, c->pg, NULL);
		vmig_buf_free(&q);
		return rc;
	}
	if (own)
		vmig_buf_puts(&q, ";\nCOMMIT");
	if (!own && !chg->sql && chg->op == VMIG_BOOK_NONE) {
		vmig_buf_free(&q);
		return VMIG_OK;
	}

	run_batch(c->pg, vmig_buf_str(&q), &b);
	if (b.failed) {
		rc = fail_result(err, c->pg, b.failed);
		if (chg->sql)
			*fail_offset = locate_failure(c, chg, &b, vmig_buf_str(&q), strlen(prefix),
			                              own ? 1 : 0, err);
		if (own)
			rollback_if_open(c);
	} else if (!batch_complete(c, chg, &b, own)) {
		if (own)
			rollback_if_open(c);
		rc = vmig_fail(err, VMIG_ERR_RUNTIME,
		               "the SQL did not end where vmig expected: does it end inside a "
		               "quoted string, comment or dollar quote?%s",
		               own ? " Nothing was changed." : "");
	}
	batch_free(&b);
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

	if (!r || !result_ok(r)) {
		rc = fail_result(err, c->pg, r);
		const char *posf = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
		size_t at = posf ? char_to_byte(c, text, s->len, atol(posf)) : VMIG_NO_OFFSET;
		*fail_offset = s->offset + (at != VMIG_NO_OFFSET && at < s->len ? at : 0);
	}
	PQclear(r);
	free(text);
	return rc;
}

/*
 * VMIG_TXN_NONE: each statement is its own query (a multi-statement string
 * would be one implicit transaction, which CREATE INDEX CONCURRENTLY
 * refuses), then the bookkeeping on its own.  Text the splitter cannot scan
 * goes to the server whole, which reports the error.
 */
static int apply_none(pg_conn *c, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	double t0 = mono_ms();
	int rc = VMIG_OK;

	if (chg->sql) {
		vmig_pgstmt *st = NULL;
		size_t n = 0;
		vmig_pgstmt whole = {0, chg->sql_len};
		if (vmig_pgsplit(chg->sql, chg->sql_len, &st, &n, NULL, NULL) != VMIG_OK) {
			st = NULL;
			n = 0;
			rc = run_one(c, chg, &whole, fail_offset, err);
		}
		for (size_t i = 0; rc == VMIG_OK && i < n; i++)
			rc = run_one(c, chg, &st[i], fail_offset, err);
		free(st);
		if (rc)
			return rc;
	}

	char duration[64];
	vmig_buf q = {0};
	snprintf(duration, sizeof duration, "%.3f", mono_ms() - t0);
	if (!add_bookkeeping(&q, c, chg, duration))
		rc = fail_result(err, c->pg, NULL);
	else if (q.len)
		rc = exec_simple(c, vmig_buf_str(&q), err);
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
	if (chg->op != VMIG_BOOK_NONE && (!chg->row || !chg->row->revision))
		return vmig_fail(err, VMIG_ERR_INPUT, "bookkeeping change without a revision");
	if (chg->txn == VMIG_TXN_NONE)
		return apply_none(c, chg, fail_offset, err);
	return apply_batch(c, chg, fail_offset, err);
}

const vmig_driver vmig_postgres_driver = {
    .version = VMIG_DRIVER_VERSION,
    .name = "postgresql",
    .connect = pg_connect,
    .close = pg_close,
    .lock = pg_lock,
    .unlock = pg_unlock,
    .read_applied = pg_read_applied,
    .prepare = pg_prepare,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .apply = pg_apply,
};
