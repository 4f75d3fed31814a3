/*
 * pg_connect.c - connecting to PostgreSQL, quoting, and where the version
 * table lives.
 *
 * The version table's schema is resolved once, before any revision runs: the
 * configured version_table_schema, else the schema where the bare name
 * resolves on the connection's search_path (or where CREATE would put it).
 * Every bookkeeping statement then names the table with that schema, so a
 * revision that changes search_path (pg_dump's set_config('search_path',
 * '', false), say) cannot send the bookkeeping elsewhere.
 */
#include "pg_internal.h"

#include "../src/alloc.h"
#include "../src/url.h"

#include <stdlib.h>
#include <string.h>

void pg_add_trimmed(vmig_buf *b, const char *s)
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

char *pg_libpq_url(const char *url)
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
	char *redacted = vmig_url_redact(url);

	vmig_buf_printf(&msg, "cannot connect to %s: ", redacted);
	pg_add_trimmed(&msg, pg ? PQerrorMessage(pg) : "out of memory");
	vmig_url_scrub(&msg, url);
	vmig_fail(err, VMIG_ERR_RUNTIME, "%s", vmig_buf_str(&msg));
	if (err) /* judged on libpq's words alone, not on the URL's */
		err->transient = pg && connect_transient(PQerrorMessage(pg));
	vmig_buf_free(&msg);
	free(redacted);
	return VMIG_ERR_RUNTIME;
}

/*
 * Quoting without a connection, for offline scripts: what libpq does for a
 * UTF-8 client.  A literal with a backslash is written E'...' with the
 * backslashes doubled, so that it reads the same whatever
 * standard_conforming_strings says where the script runs.
 */
static char *quote_offline(const char *s, char quote)
{
	vmig_buf b = {0};
	bool backslash = quote == '\'' && strchr(s, '\\');
	if (backslash)
		vmig_buf_puts(&b, " E");
	vmig_buf_putc(&b, quote);
	for (const char *p = s; *p; p++) {
		if (*p == quote || (backslash && *p == '\\'))
			vmig_buf_putc(&b, *p);
		vmig_buf_putc(&b, *p);
	}
	vmig_buf_putc(&b, quote);
	return vmig_buf_detach(&b);
}

char *pg_quote_ident(PGconn *pg, const char *name)
{
	if (!pg)
		return quote_offline(name, '"');
	char *q = PQescapeIdentifier(pg, name, strlen(name));
	if (!q)
		return NULL;
	char *copy = xstrdup(q);
	PQfreemem(q);
	return copy;
}

bool pg_add_literal(vmig_buf *b, PGconn *pg, const char *s)
{
	if (!s) {
		vmig_buf_puts(b, "NULL");
		return true;
	}
	if (!pg) {
		char *own = quote_offline(s, '\'');
		vmig_buf_puts(b, own);
		free(own);
		return true;
	}
	char *q = PQescapeLiteral(pg, s, strlen(s));
	if (!q)
		return false;
	vmig_buf_puts(b, q);
	PQfreemem(q);
	return true;
}

int pg_set_names(pg_conn *c, vmig_error *err)
{
	char *meta_name = xasprintf("%s_meta", c->table_name);
	char *qt = pg_quote_ident(c->pg, c->table_name);
	char *qm = pg_quote_ident(c->pg, meta_name);
	char *qs = pg_quote_ident(c->pg, c->schema);
	int rc = VMIG_OK;
	if (qt && qm && qs) {
		free(c->table);
		free(c->meta);
		free(c->table_shown);
		c->table = xasprintf("%s.%s", qs, qt);
		c->meta = xasprintf("%s.%s", qs, qm);
		c->table_shown = xasprintf("%s.%s", c->schema, c->table_name);
		c->names_set = true;
	} else {
		vmig_buf msg = {0};
		pg_add_trimmed(&msg, PQerrorMessage(c->pg));
		rc = vmig_fail(err, VMIG_ERR_INPUT, "version_table / version_table_schema: %s",
		               vmig_buf_str(&msg));
		vmig_buf_free(&msg);
	}
	free(meta_name);
	free(qt);
	free(qm);
	free(qs);
	return rc;
}

char *pg_resolve_schema_sql(pg_conn *c)
{
	vmig_buf b = {0};
	char *q = pg_quote_ident(c->pg, c->table_name);
	vmig_buf_puts(&b, "SELECT coalesce((SELECT n.nspname FROM pg_catalog.pg_class r JOIN "
	                  "pg_catalog.pg_namespace n ON n.oid = r.relnamespace WHERE r.oid = "
	                  "pg_catalog.to_regclass(");
	/* q is NULL only for a name invalid in the client encoding: connect refused it. */
	pg_add_literal(&b, c->pg, q ? q : "");
	vmig_buf_puts(&b, ")), pg_catalog.current_schema())");
	free(q);
	return vmig_buf_detach(&b);
}

int pg_fail_no_schema(pg_conn *c, vmig_error *err)
{
	if (!c->schema)
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "no schema to create the version table %s in: the connection's "
		                 "search_path names no existing schema; set version_table_schema, "
		                 "or create the schema",
		                 c->table_name);
	char *q = pg_quote_ident(c->pg, c->schema);
	int rc = vmig_fail(err, VMIG_ERR_INPUT,
	                   "version_table_schema: the schema \"%s\" does not exist: create it "
	                   "first (CREATE SCHEMA %s) or change version_table_schema",
	                   c->schema, q ? q : c->schema);
	free(q);
	return rc;
}

int pg_ensure_names(pg_conn *c, vmig_error *err)
{
	if (c->names_set)
		return VMIG_OK;
	char *sql = pg_resolve_schema_sql(c);
	PGresult *r = PQexec(c->pg, sql);
	free(sql);
	int rc = VMIG_OK;
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		rc = pg_fail_result(err, c->pg, r);
	else if (PQgetisnull(r, 0, 0))
		rc = pg_fail_no_schema(c, err);
	else {
		c->schema = xstrdup(PQgetvalue(r, 0, 0));
		rc = pg_set_names(c, err);
	}
	PQclear(r);
	return rc;
}

void pg_close(vmig_conn *vc)
{
	pg_conn *c = (pg_conn *)vc;
	if (!c)
		return;
	if (c->pg)
		PQfinish(c->pg); /* also releases the session's advisory lock */
	free(c->table_name);
	free(c->schema);
	free(c->table);
	free(c->meta);
	free(c->table_shown);
	free(c->expect_rev);
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

/* Puts schema before the search path the server and the URL gave the
 * session, so that the revisions' bare names resolve there first.  Behind a
 * connection pooler (the server's pid is not the one libpq was given, as in
 * pg_lock.c) a session setting would neither last until the revisions run
 * nor stay with vmig: refused, before anything is set. */
static int put_first_on_search_path(pg_conn *c, const char *schema, vmig_error *err)
{
	char *quoted = pg_quote_ident(c->pg, schema);
	if (!quoted)
		return vmig_fail(err, VMIG_ERR_INPUT, "schema \"%s\" cannot be quoted", schema);
	vmig_buf q = {0};
	vmig_buf_printf(&q,
	                "SELECT CASE WHEN pg_catalog.pg_backend_pid() = %d THEN "
	                "pg_catalog.set_config('search_path', ",
	                PQbackendPID(c->pg));
	pg_add_literal(&q, c->pg, quoted);
	vmig_buf_puts(&q, " || pg_catalog.rtrim(', ' || pg_catalog.current_setting('search_path'), "
	                  "', '), false) END");
	free(quoted);
	PGresult *r = PQexec(c->pg, vmig_buf_str(&q));
	vmig_buf_free(&q);
	int rc = VMIG_OK;
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		rc = pg_fail_result(err, c->pg, r);
	else if (PQgetisnull(r, 0, 0))
		rc = vmig_fail(
		    err, VMIG_ERR_INPUT,
		    "schema %s: --schemas needs a direct connection to PostgreSQL; behind "
		    "a connection pooler (PgBouncer) the search path would not last from "
		    "one transaction to the next; connect to the server itself",
		    schema);
	PQclear(r);
	return rc;
}

int pg_connect(const char *url, const vmig_conn_opts *opts, vmig_conn **out, vmig_error *err)
{
	*out = NULL;
	if (!scheme_known(url)) {
		char *redacted = vmig_url_redact(url);
		vmig_fail(err, VMIG_ERR_INPUT, "database URL %s is not a PostgreSQL URL", redacted);
		free(redacted);
		return VMIG_ERR_INPUT;
	}

	char *conninfo = pg_libpq_url(url);
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
	c->wait = vmig_waiter_new(1000.0 * opts->lock_timeout, 10, 200);
	c->table_name = xstrdup(opts->version_table);
	const char *senc = PQparameterStatus(pg, "server_encoding");
	c->pos_in_bytes = senc && strcmp(senc, "SQL_ASCII") == 0;
	char *probe = pg_quote_ident(pg, opts->version_table);
	int rc = VMIG_OK;
	if (!probe) {
		vmig_buf msg = {0};
		pg_add_trimmed(&msg, PQerrorMessage(pg));
		rc = vmig_fail(err, VMIG_ERR_INPUT, "version_table: %s", vmig_buf_str(&msg));
		vmig_buf_free(&msg);
	} else if (opts->version_table_schema) {
		c->schema = xstrdup(opts->version_table_schema);
		rc = pg_set_names(c, err);
	}
	if (rc == VMIG_OK && probe && opts->search_path_first)
		rc = put_first_on_search_path(c, opts->search_path_first, err);
	free(probe);
	if (rc) {
		pg_close(&c->base);
		return rc;
	}
	*out = &c->base;
	return VMIG_OK;
}
