/*
 * pg_server.c - databases as a whole on a PostgreSQL server (create, drop,
 * rename, list, and locks between processes), through one connection to the
 * server's maintenance database ("postgres", else "template1"), as
 * createdb and dropdb do.
 *
 * Renaming is how test databases change hands: ALTER DATABASE ... RENAME is
 * one catalog change, so of several callers renaming the same ready copy
 * one wins and the others find it gone.  A database that CREATE DATABASE is
 * still copying is not in pg_database for anyone else until it is whole.
 */
#include "pg_internal.h"

#include "../src/alloc.h"
#include "../src/clock.h"
#include "../src/url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct vmig_server {
	PGconn *pg;
	char *url;  /* as given (its scheme kept for url_for) */
	char *name; /* the database the URL names */
	vmig_waiter wait;
};

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The dbname the URL gives (libpq's parse), or its user's name, as libpq does. */
static char *database_of(const char *libpq_url)
{
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(libpq_url, &errmsg);
	char *name = NULL, *user = NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (strcmp(o->keyword, "dbname") == 0 && o->val && *o->val)
			name = xstrdup(o->val);
		if (strcmp(o->keyword, "user") == 0 && o->val && *o->val)
			user = xstrdup(o->val);
	}
	PQconninfoFree(opts);
	PQfreemem(errmsg);
	if (!name)
		name = user;
	else
		free(user);
	return name;
}

static int fail_conn(const char *url, PGconn *pg, vmig_error *err)
{
	vmig_buf msg = {0};
	char *shown = vmig_url_redact(url);
	pg_add_trimmed(&msg, pg ? PQerrorMessage(pg) : "out of memory");
	vmig_url_scrub(&msg, url);
	int rc = vmig_fail(err, VMIG_ERR_RUNTIME, "cannot connect to the server of %s: %s", shown,
	                   vmig_buf_str(&msg));
	err->transient = 1;
	vmig_buf_free(&msg);
	free(shown);
	return rc;
}

/* A connection to maintenance database `db` of the URL's server. */
static PGconn *connect_to(const char *libpq_url, const char *db)
{
	const char *keys[] = {"dbname", "dbname", "application_name", "connect_timeout", NULL};
	const char *values[] = {libpq_url, db, "vmig", "10", NULL};
	return PQconnectdbParams(keys, values, 1);
}

static int server_open(const char *url, unsigned lock_timeout, vmig_server **out, vmig_error *err)
{
	char *plain = pg_libpq_url(url);
	char *name = database_of(plain);
	*out = NULL;
	if (!name) {
		free(plain);
		char *shown = vmig_url_redact(url);
		int rc = vmig_fail(err, VMIG_ERR_INPUT, "%s names no database: add it to the URL",
		                   shown);
		free(shown);
		return rc;
	}
	PGconn *pg = connect_to(plain, "postgres");
	if (PQstatus(pg) != CONNECTION_OK &&
	    strstr(PQerrorMessage(pg), "\"postgres\" does not exist")) {
		PQfinish(pg);
		pg = connect_to(plain, "template1");
	}
	free(plain);
	if (PQstatus(pg) != CONNECTION_OK) {
		int rc = fail_conn(url, pg, err);
		PQfinish(pg);
		free(name);
		return rc;
	}
	PQsetNoticeProcessor(pg, ignore_notice, NULL);
	vmig_server *s = xcalloc(1, sizeof *s);
	s->pg = pg;
	s->url = xstrdup(url);
	s->name = name;
	s->wait = vmig_waiter_new(lock_timeout * 1000.0, 10, 200);
	*out = s;
	return VMIG_OK;
}

static void server_close(vmig_server *s)
{
	if (!s)
		return;
	/* The locks go now, not when the server gets round to ending the
	 * session: the next caller may ask for them at once. */
	PQclear(PQexec(s->pg, "SELECT pg_catalog.pg_advisory_unlock_all()"));
	PQfinish(s->pg);
	free(s->url);
	free(s->name);
	free(s);
}

static const char *server_name(vmig_server *s, size_t *stem_len)
{
	*stem_len = strlen(s->name);
	return s->name;
}

static void put_encoded(vmig_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '_' || c == '-' || c == '.' || c == '~')
			vmig_buf_putc(b, (char)c);
		else
			vmig_buf_printf(b, "%%%02X", c);
	}
}

/* The URL with its path (the database) replaced, and a dbname= parameter too. */
static char *server_url_for(vmig_server *s, const char *name)
{
	const char *u = s->url, *auth = strstr(u, "://");
	auth = auth ? auth + 3 : u;
	size_t auth_len = strcspn(auth, "/?");
	const char *rest = auth + auth_len;
	const char *query = strchr(rest, '?');
	vmig_buf b = {0};
	vmig_buf_add(&b, u, (size_t)(auth + auth_len - u));
	vmig_buf_putc(&b, '/');
	put_encoded(&b, name);
	for (const char *p = query; p && *p;) {
		size_t len = strcspn(p + 1, "&");
		vmig_buf_putc(&b, *p);
		if (strncmp(p + 1, "dbname=", 7) == 0) {
			vmig_buf_puts(&b, "dbname=");
			put_encoded(&b, name);
		} else {
			vmig_buf_add(&b, p + 1, len);
		}
		p += 1 + len;
	}
	return vmig_buf_detach(&b);
}

/* Runs one statement; *state is its SQLSTATE on failure (5 chars and NUL). */
static int run(vmig_server *s, const char *sql, char state[6], vmig_error *err)
{
	PGresult *r = PQexec(s->pg, sql);
	int rc = VMIG_OK;
	state[0] = '\0';
	if (!pg_result_ok(r)) {
		const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		snprintf(state, 6, "%s", st ? st : "");
		rc = pg_fail_result(err, s->pg, r);
	}
	PQclear(r);
	return rc;
}

static char *quoted(vmig_server *s, const char *name)
{
	char *q = pg_quote_ident(s->pg, name);
	return q ? q : xstrdup("\"\"");
}

static int server_create(vmig_server *s, const char *name, const char *template_name, bool *existed,
                         vmig_error *err)
{
	char *qn = quoted(s, name), *qt = template_name ? quoted(s, template_name) : NULL;
	char *sql = xasprintf("CREATE DATABASE %s%s%s", qn, qt ? " TEMPLATE " : "", qt ? qt : "");
	char state[6];
	*existed = false;
	int rc = run(s, sql, state, err);
	if (rc && strcmp(state, "42P04") == 0) { /* duplicate_database */
		*existed = true;
		rc = VMIG_OK;
	} else if (rc) {
		vmig_error_prefix(err, "creating database %s", name);
	}
	free(sql);
	free(qn);
	free(qt);
	return rc;
}

static int server_drop(vmig_server *s, const char *name, bool force, bool *missing, vmig_error *err)
{
	char *qn = quoted(s, name);
	bool with_force = force && PQserverVersion(s->pg) >= 130000;
	if (force && !with_force) { /* before PostgreSQL 13: end the sessions ourselves */
		const char *params[] = {name};
		PQclear(PQexecParams(s->pg,
		                     "SELECT pg_catalog.pg_terminate_backend(pid) FROM "
		                     "pg_catalog.pg_stat_activity WHERE datname = $1",
		                     1, NULL, params, NULL, NULL, 0));
	}
	char *sql = xasprintf("DROP DATABASE %s%s", qn, with_force ? " WITH (FORCE)" : "");
	char state[6];
	*missing = false;
	int rc = run(s, sql, state, err);
	if (rc && strcmp(state, "3D000") == 0) { /* invalid_catalog_name */
		*missing = true;
		rc = VMIG_OK;
	} else if (rc) {
		vmig_error_prefix(err, "dropping database %s", name);
		if (strcmp(state, "55006") == 0)
			vmig_error_append(err, "other sessions use it: end them, or use --force");
	}
	free(sql);
	free(qn);
	return rc;
}

static int server_rename(vmig_server *s, const char *from, const char *to, bool *missing,
                         vmig_error *err)
{
	char *qf = quoted(s, from), *qt = quoted(s, to);
	char *sql = xasprintf("ALTER DATABASE %s RENAME TO %s", qf, qt);
	char state[6];
	*missing = false;
	int rc = run(s, sql, state, err);
	if (rc && strcmp(state, "3D000") == 0) {
		*missing = true;
		rc = VMIG_OK;
	} else if (rc) {
		vmig_error_prefix(err, "renaming database %s to %s", from, to);
	}
	free(sql);
	free(qf);
	free(qt);
	return rc;
}

static int server_list(vmig_server *s, const char *prefix, char ***names, size_t *n,
                       vmig_error *err)
{
	const char *params[] = {prefix};
	PGresult *r = PQexecParams(s->pg,
	                           "SELECT datname FROM pg_catalog.pg_database WHERE "
	                           "left(datname, length($1)) = $1 ORDER BY datname COLLATE \"C\"",
	                           1, NULL, params, NULL, NULL, 0);
	*names = NULL;
	*n = 0;
	int rc = VMIG_OK;
	if (!pg_result_ok(r)) {
		rc = pg_fail_result(err, s->pg, r);
	} else {
		int rows = PQntuples(r);
		*names = xcalloc(rows ? (size_t)rows : 1, sizeof **names);
		for (int i = 0; i < rows; i++)
			(*names)[(*n)++] = xstrdup(PQgetvalue(r, i, 0));
	}
	PQclear(r);
	return rc;
}

static int try_lock(vmig_server *s, const char *key, const char *fn, bool *got, vmig_error *err)
{
	const char *params[] = {key};
	char *sql = xasprintf("SELECT pg_catalog.%s(pg_catalog.hashtextextended($1, 0))", fn);
	PGresult *r = PQexecParams(s->pg, sql, 1, NULL, params, NULL, NULL, 0);
	free(sql);
	int rc = VMIG_OK;
	if (!pg_result_ok(r) || PQntuples(r) != 1)
		rc = pg_fail_result(err, s->pg, r);
	else
		*got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return rc;
}

static int server_lock(vmig_server *s, const char *key, bool wait, bool *got, vmig_error *err)
{
	int rc;
	*got = false;
	vmig_waiter_start(&s->wait);
	do {
		if ((rc = try_lock(s, key, "pg_try_advisory_lock", got, err)) || *got || !wait)
			return rc;
	} while (vmig_waiter_pause(&s->wait));
	return vmig_fail(err, VMIG_ERR_RUNTIME,
	                 "timed out waiting for the lock %s (another vmig builds or fills it)",
	                 key);
}

static void server_unlock(vmig_server *s, const char *key)
{
	bool ignored;
	vmig_error e = {0};
	try_lock(s, key, "pg_advisory_unlock", &ignored, &e);
}

const vmig_server_ops pg_server_ops = {
    .max_name = 63, /* NAMEDATALEN - 1 */
    .open = server_open,
    .close = server_close,
    .name = server_name,
    .url_for = server_url_for,
    .create = server_create,
    .drop = server_drop,
    .rename = server_rename,
    .list = server_list,
    .lock = server_lock,
    .unlock = server_unlock,
};
