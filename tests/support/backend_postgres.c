/*
 * backend_postgres.c - the PostgreSQL backend of the CLI and safety suites.
 *
 * A database is a fresh one on the test server (the ctest fixture `pg`),
 * created and dropped here with libpq as role vmig over the unix socket.
 * Its snapshot is a deterministic text dump of everything a migration can
 * change in the non-system schemas: the schemas themselves, every relation
 * with its kind and columns (type, NOT NULL, default), every row of every
 * table and sequence (each row as its text form, sorted), view definitions,
 * indexes (pg_indexes), constraints, functions and procedures (with a hash
 * of their body), triggers, user-defined types and enum labels, and the
 * installed extensions.  Equal snapshots mean unchanged contents.
 */
#include "backend_postgres.h"
#include "testutil.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The schemas that are PostgreSQL's own, as a condition on column `col`. */
#define USER_SCHEMA(col)                                                                           \
	col " NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND " col                    \
	    " !~ '^pg_(toast_)?temp_'"

char *tu_pg_file(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", VMIG_TEST_PG_DIR, name);
	char *s = tu_read(path, NULL);
	if (!s)
		fail_msg("no PostgreSQL test server: %s is missing. Start one with "
		         "tests/pg/pg_harness.sh start %s (ctest does so in the pg_start fixture)",
		         path, VMIG_TEST_PG_DIR);
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

/* Where the database name of a URL starts and how long it is:
 * scheme://authority/NAME?params. */
static void dbname_span(const char *url, size_t *start, size_t *len)
{
	const char *sep = strstr(url, "://");
	assert_non_null(sep);
	const char *p = sep + 3;
	p += strcspn(p, "/?#");
	if (*p == '/')
		p++;
	*start = (size_t)(p - url);
	*len = *p == '?' || *p == '#' ? 0 : strcspn(p, "?#");
}

char *tu_pg_url_for(const char *db)
{
	char *admin = tu_pg_file("url");
	size_t start, len;
	dbname_span(admin, &start, &len);
	char *url = malloc(strlen(admin) + strlen(db) + 2);
	memcpy(url, admin, start);
	/* "postgresql://host" with no slash before the parameters */
	size_t n = start;
	if (url[n - 1] != '/')
		url[n++] = '/';
	sprintf(url + n, "%s%s", db, admin + start + len);
	free(admin);
	return url;
}

/* The database name of a URL made by tu_pg_url_for.  Caller frees. */
static char *dbname_of(const char *url)
{
	size_t start, len;
	dbname_span(url, &start, &len);
	char *name = malloc(len + 1);
	memcpy(name, url + start, len);
	name[len] = '\0';
	return name;
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The reason of the last failure, for the messages of failed tests (a
 * failed assertion leaves by longjmp: nothing allocated may be left then). */
static char why[4096];

/* A libpq connection to url (a SQLAlchemy driver suffix such as +asyncpg
 * dropped), or NULL with the reason in why. */
static PGconn *open_url(const char *url)
{
	char *plain = strdup(url);
	char *plus = strchr(plain, '+');
	char *sep = strstr(plain, "://");
	if (plus && sep && plus < sep)
		memmove(plus, sep, strlen(sep) + 1);
	PGconn *pg = PQconnectdb(plain);
	free(plain);
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(why, sizeof why, "cannot connect to %s: %s", url, PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	PQsetNoticeProcessor(pg, quiet, NULL);
	return pg;
}

static PGconn *open_or_fail(const char *url)
{
	PGconn *pg = open_url(url);
	if (!pg)
		fail_msg("%s", why);
	return pg;
}

/* Runs sql on the admin database; fails the test when it fails. */
static void admin_exec(const char *sql)
{
	char *url = tu_pg_url_for("postgres");
	PGconn *pg = open_url(url);
	free(url);
	if (!pg)
		fail_msg("%s", why);
	PGresult *r = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		snprintf(why, sizeof why, "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(pg);
	if (!ok)
		fail_msg("%s", why);
}

static char *pg_new_database(const char *test_name)
{
	static unsigned counter;
	char safe[40];
	size_t n = 0;
	for (const char *p = test_name; *p && n < sizeof safe - 1; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		safe[n++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
	}
	safe[n] = '\0';
	char name[64];
	snprintf(name, sizeof name, "vt_%s_%ld_%u", safe, (long)getpid(), ++counter);

	char sql[256];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	admin_exec(sql);
	snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
	admin_exec(sql);
	return tu_pg_url_for(name);
}

/* A growing string. */
typedef struct sbuf {
	char *s;
	size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static char *sb_take(sbuf *b)
{
	if (!b->s)
		sb_add(b, "", 0);
	return b->s;
}

static char *pg_query(const char *url, const char *sql)
{
	PGconn *pg = open_url(url);
	if (!pg) {
		print_error("backend_postgres: %s", why);
		return NULL;
	}
	PGresult *r = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(r);
	char *out = NULL;
	if (st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY) {
		out = strdup("");
	} else if (st == PGRES_TUPLES_OK) {
		sbuf b = {0};
		for (int i = 0; i < PQntuples(r); i++) {
			if (i)
				sb_puts(&b, "\n");
			sb_puts(&b, PQgetisnull(r, i, 0) ? "NULL" : PQgetvalue(r, i, 0));
		}
		out = sb_take(&b);
	}
	PQclear(r);
	PQfinish(pg);
	return out;
}

/* Appends every row of sql's result to b, one line each: fields joined by
 * tabs, NULL as \N.  False, with the reason in why, when the query fails. */
static bool dump(PGconn *pg, sbuf *b, const char *title, const char *sql)
{
	PGresult *r = PQexec(pg, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(why, sizeof why, "snapshot query failed: %s\n%s", sql,
		         PQresultErrorMessage(r));
		PQclear(r);
		return false;
	}
	sb_puts(b, title);
	sb_puts(b, "\n");
	for (int i = 0; i < PQntuples(r); i++) {
		sb_puts(b, "  ");
		for (int k = 0; k < PQnfields(r); k++) {
			if (k)
				sb_puts(b, "\t");
			sb_puts(b, PQgetisnull(r, i, k) ? "\\N" : PQgetvalue(r, i, k));
		}
		sb_puts(b, "\n");
	}
	PQclear(r);
	return true;
}

static char *pg_snapshot(const char *url)
{
	PGconn *pg = open_or_fail(url);
	sbuf b = {0};
	char sql[1024];
	bool ok = true;

	ok = ok &&
	     dump(pg, &b, "schemas",
	          "SELECT nspname FROM pg_namespace WHERE " USER_SCHEMA("nspname") " ORDER BY 1");
	ok = ok &&
	     dump(pg, &b, "extensions", "SELECT extname, extversion FROM pg_extension ORDER BY 1");

	PGresult *rels = PQexec(pg, "SELECT format('%I.%I', n.nspname, c.relname), c.relkind, "
	                            "c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = "
	                            "c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', "
	                            "'f') AND " USER_SCHEMA("n.nspname") " ORDER BY n.nspname, "
	                                                                 "c.relname");
	if (PQresultStatus(rels) != PGRES_TUPLES_OK) {
		snprintf(why, sizeof why, "snapshot: listing the relations failed: %s",
		         PQresultErrorMessage(rels));
		ok = false;
	}
	for (int i = 0; ok && i < PQntuples(rels); i++) {
		const char *name = PQgetvalue(rels, i, 0);
		const char *kind = PQgetvalue(rels, i, 1);
		const char *oid = PQgetvalue(rels, i, 2);
		char title[512];
		snprintf(title, sizeof title, "relation %s kind %s columns", name, kind);
		snprintf(sql, sizeof sql,
		         "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
		         "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a LEFT JOIN pg_attrdef "
		         "d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = %s "
		         "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
		         oid);
		ok = ok && dump(pg, &b, title, sql);
		if (strcmp(kind, "v") == 0) {
			snprintf(title, sizeof title, "view %s definition", name);
			snprintf(sql, sizeof sql, "SELECT pg_get_viewdef(%s)", oid);
		} else if (strcmp(kind, "f") == 0) {
			continue; /* a foreign table's rows are elsewhere */
		} else if (strcmp(kind, "S") == 0) {
			snprintf(title, sizeof title, "sequence %s state", name);
			snprintf(sql, sizeof sql, "SELECT last_value, is_called FROM %s", name);
		} else {
			snprintf(title, sizeof title, "relation %s rows", name);
			snprintf(sql, sizeof sql, "SELECT x::text FROM %s x ORDER BY 1", name);
		}
		ok = ok && dump(pg, &b, title, sql);
	}
	PQclear(rels);

	ok = ok && dump(pg, &b, "indexes",
	                "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes "
	                "WHERE " USER_SCHEMA("schemaname") " ORDER BY 1, 2, 3");
	ok = ok &&
	     dump(pg, &b, "constraints",
	          "SELECT n.nspname, c.conrelid::regclass::text, c.conname, "
	          "pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = "
	          "c.connamespace WHERE " USER_SCHEMA("n.nspname") " ORDER BY 1, 2, 3, 4");
	ok = ok &&
	     dump(pg, &b, "functions",
	          "SELECT format('%I.%I(%s)', n.nspname, p.proname, "
	          "pg_get_function_identity_arguments(p.oid)), p.prokind, "
	          "pg_get_function_result(p.oid), md5(coalesce(p.prosrc, '')) FROM pg_proc p JOIN "
	          "pg_namespace n ON n.oid = p.pronamespace WHERE " USER_SCHEMA(
	              "n.nspname") " ORDER "
	                           "BY 1");
	ok =
	    ok &&
	    dump(
	        pg, &b, "triggers",
	        "SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid) FROM "
	        "pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = "
	        "c.relnamespace WHERE NOT t.tgisinternal AND " USER_SCHEMA("n.nspname") " ORDER BY "
	                                                                                "1, 2");
	ok =
	    ok &&
	    dump(
	        pg, &b, "types",
	        "SELECT format('%I.%I', n.nspname, t.typname), t.typtype, (SELECT "
	        "string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE "
	        "e.enumtypid = t.oid), format_type(t.typbasetype, t.typtypmod) FROM pg_type t JOIN "
	        "pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'r', 'm') "
	        "AND " USER_SCHEMA("n.nspname") " ORDER BY 1");
	PQfinish(pg);
	if (!ok) {
		free(b.s);
		fail_msg("%s", why);
	}
	return sb_take(&b);
}

static void pg_drop(const char *url)
{
	char *name = dbname_of(url);
	char sql[512];
	snprintf(sql, sizeof sql,
	         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND "
	         "pid <> pg_backend_pid()",
	         name);
	admin_exec(sql);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
	admin_exec(sql);
	free(name);
}

const tu_backend tu_backend_postgres = {
    .name = "postgresql",
    .new_database = pg_new_database,
    .query = pg_query,
    .snapshot = pg_snapshot,
    .drop = pg_drop,
};
