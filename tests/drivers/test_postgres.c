/*
 * test_postgres.c - the PostgreSQL driver against a real server.
 *
 * The server is the ctest fixture `pg` (tests/pg/pg_harness.sh); its URLs are
 * in VMIG_TEST_PG_DIR.  Without it every test fails: a suite that quietly
 * skipped its database tests would prove nothing.  Each test works in a
 * database of its own, created here.
 */
#include "testutil.h"

#include "backend_postgres.h"

#include "driver.h"
#include "pg_internal.h"

#include <libpq-fe.h>
#include <pg_query.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PASSWORD "s3cret-pw-XYZ"

/* The trust URL (unix socket, role vmig) of database db.  Caller frees. */
static char *db_url(const char *db)
{
	char *sock = tu_pg_file("sockdir");
	char *port = tu_pg_file("port");
	char *url = malloc(strlen(sock) + strlen(port) + strlen(db) + 64);
	sprintf(url, "postgresql:///%s?host=%s&port=%s&user=vmig", db, sock, port);
	free(sock);
	free(port);
	return url;
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A direct libpq connection to db, for setting up and checking. */
static PGconn *admin(const char *db)
{
	char *url = db_url(db);
	PGconn *pg = PQconnectdb(url);
	free(url);
	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("cannot connect to the test server: %s", PQerrorMessage(pg));
	PQsetNoticeProcessor(pg, quiet, NULL);
	return pg;
}

/* Runs sql on pg; the first column of every row joined with '\n', or NULL
 * when it fails.  Caller frees. */
static char *q(PGconn *pg, const char *sql)
{
	PGresult *r = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		PQclear(r);
		return NULL;
	}
	size_t cap = 1;
	for (int i = 0; i < PQntuples(r); i++)
		cap += strlen(PQgetvalue(r, i, 0)) + 1;
	char *out = calloc(1, cap);
	for (int i = 0; i < PQntuples(r); i++) {
		if (i)
			strcat(out, "\n");
		strcat(out, PQgetvalue(r, i, 0));
	}
	PQclear(r);
	return out;
}

/* Asserts that sql on pg gives want (NULL: that it fails). */
static void expect_q(PGconn *pg, const char *sql, const char *want)
{
	char *got = q(pg, sql);
	if (!want) {
		if (got)
			fail_msg("expected %s to fail, got <%s>", sql, got);
		return;
	}
	if (!got)
		fail_msg("%s failed: %s", sql, PQerrorMessage(pg));
	assert_string_equal(got, want);
	free(got);
}

/* A fresh database for one test: vt_<name>_<pid>.  Caller frees the name. */
static char *fresh_db(const char *name)
{
	char *db = malloc(strlen(name) + 32);
	sprintf(db, "vt_%s_%ld", name, (long)getpid());
	PGconn *pg = admin("postgres");
	char sql[512];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"", db);
	PQclear(PQexec(pg, sql));
	snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", db);
	char *ok = q(pg, sql);
	if (!ok)
		fail_msg("CREATE DATABASE %s: %s", db, PQerrorMessage(pg));
	free(ok);
	PQfinish(pg);
	return db;
}

static void drop_db(char *db)
{
	PGconn *pg = admin("postgres");
	char sql[512];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db);
	PQclear(PQexec(pg, sql));
	PQfinish(pg);
	free(db);
}

static vmig_conn *open_conn(const char *url, const char *schema, unsigned lock_timeout)
{
	vmig_conn_opts o = {.version_table = "vmig_version",
	                    .version_table_schema = schema,
	                    .lock_timeout = lock_timeout};
	vmig_conn *c = NULL;
	vmig_error err = {0};
	if (vmig_postgres_driver.connect(url, &o, &c, &err) != VMIG_OK)
		fail_msg("connect failed: %s", err.msg);
	assert_non_null(c);
	assert_ptr_equal(c->driver, &vmig_postgres_driver);
	return c;
}

static vmig_conn *open_db(const char *db)
{
	char *url = db_url(db);
	vmig_conn *c = open_conn(url, NULL, 5);
	free(url);
	return c;
}

/* Runs one change for revision rev; returns the status, *off the offset. */
static int apply(vmig_conn *c, const char *sql, enum vmig_txn txn, enum vmig_row_op op,
                 const char *rev, size_t *off, vmig_error *err)
{
	vmig_applied row = {.revision = (char *)rev,
	                    .parents = "p1 p2",
	                    .message = "it's a message; with quotes",
	                    .checksum = "00ff",
	                    .checksum_version = 1,
	                    .applied_at = "2024-01-02T03:04:05Z",
	                    .down_sql = "DROP TABLE x; -- it's down"};
	vmig_change chg = {.sql = sql,
	                   .sql_len = sql ? strlen(sql) : 0,
	                   .txn = txn,
	                   .op = op,
	                   .row = op == VMIG_ROW_NONE ? NULL : &row};
	size_t ignored;
	memset(err, 0, sizeof *err);
	return vmig_postgres_driver.apply(c, &chg, off ? off : &ignored, err);
}

static void must_apply(vmig_conn *c, const char *sql, enum vmig_txn txn, enum vmig_row_op op,
                       const char *rev)
{
	vmig_error err;
	if (apply(c, sql, txn, op, rev, NULL, &err) != VMIG_OK)
		fail_msg("apply %s failed: %s", rev ? rev : "(no revision)", err.msg);
}

static size_t offset_of(const char *sql, const char *needle)
{
	const char *p = strstr(sql, needle);
	assert_non_null(p);
	return (size_t)(p - sql);
}

/* How many query strings database db has received since the log began. */
static int statements_logged(const char *db)
{
	char path[4096], needle[256];
	snprintf(path, sizeof path, "%s/server.log", VMIG_TEST_PG_DIR);
	snprintf(needle, sizeof needle, "vmig@%s LOG:  statement: ", db);
	char *log = tu_read(path, NULL);
	assert_non_null(log);
	int n = 0;
	for (const char *p = log; (p = strstr(p, needle)); p++)
		n++;
	free(log);
	return n;
}

/* ------------------------------------------------------------------ */

static void test_url_schemes(void **state)
{
	(void)state;
	char *port = tu_pg_file("port");
	char *sock = tu_pg_file("sockdir");
	static const char *const schemes[] = {"postgresql",          "postgres",
	                                      "postgresql+asyncpg",  "postgresql+psycopg",
	                                      "postgresql+psycopg2", NULL};
	char url[4096];

	for (const char *const *s = schemes; *s; s++) {
		snprintf(url, sizeof url, "%s://vmig@127.0.0.1:%s/postgres?sslmode=disable", *s,
		         port);
		vmig_postgres_driver.close(open_conn(url, NULL, 1));
		snprintf(url, sizeof url, "%s:///postgres?host=%s&port=%s&user=vmig", *s, sock,
		         port);
		vmig_postgres_driver.close(open_conn(url, NULL, 1));
	}

	/* application_name is vmig's unless the URL names one */
	PGconn *pg = admin("postgres");
	snprintf(url, sizeof url, "postgresql+psycopg://vmig@127.0.0.1:%s/postgres", port);
	vmig_conn *c = open_conn(url, NULL, 1);
	expect_q(pg, "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'vmig'",
	         "t");
	vmig_postgres_driver.close(c);
	snprintf(url, sizeof url,
	         "postgresql+asyncpg://vmig@127.0.0.1:%s/postgres?application_name=svc_migrate",
	         port);
	c = open_conn(url, NULL, 1);
	expect_q(pg, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'svc_migrate'",
	         "1");
	vmig_postgres_driver.close(c);
	PQfinish(pg);

	vmig_conn_opts o = {.version_table = "vmig_version"};
	vmig_error err = {0};
	c = (vmig_conn *)1;
	assert_int_equal(vmig_postgres_driver.connect("mysql://a:" PASSWORD "@h/db", &o, &c, &err),
	                 VMIG_ERR_INPUT);
	assert_null(c);
	assert_not_contains(err.msg, PASSWORD);
	free(port);
	free(sock);
}

/* Replaces the first `from` in s with `to`; a new string. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	assert_non_null(p);
	char *out = malloc(strlen(s) + strlen(to) + 1);
	sprintf(out, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return out;
}

static void expect_connect_fails(const char *url, const char *secret, const char *want,
                                 int transient)
{
	vmig_conn_opts o = {.version_table = "vmig_version", .lock_timeout = 1};
	vmig_conn *c = (vmig_conn *)1;
	vmig_error err = {0};
	assert_int_equal(vmig_postgres_driver.connect(url, &o, &c, &err), VMIG_ERR_RUNTIME);
	assert_null(c);
	assert_int_equal(err.code, VMIG_ERR_RUNTIME);
	if (secret)
		assert_not_contains(err.msg, secret);
	assert_contains(err.msg, want);
	if (err.transient != transient)
		fail_msg("transient %d, want %d, for: %s", err.transient, transient, err.msg);
}

static void test_connect_never_shows_password(void **state)
{
	(void)state;
	char *good = tu_pg_file("url_pw");
	char *port = tu_pg_file("port");
	char url[4096];

	/* the right password works over TCP with scram-sha-256 */
	vmig_postgres_driver.close(open_conn(good, NULL, 1));

	/* the right password, and a failure after it was accepted */
	snprintf(url, sizeof url, "postgresql://vmig_pw:" PASSWORD "@127.0.0.1:%s/no_such_db",
	         port);
	expect_connect_fails(url, PASSWORD, "does not exist", 0);

	char *bad = replace(good, PASSWORD, "Wr0ng-pw-QQQ");
	expect_connect_fails(bad, "Wr0ng-pw-QQQ", "password authentication failed", 0);
	expect_connect_fails(bad, "Wr0ng-pw-QQQ", "vmig_pw:***@", 0);
	free(bad);

	/* libpq quotes a malformed URL's parts; the password must not come along */
	snprintf(url, sizeof url, "postgresql://vmig_pw:Bad%%zzPw-QQQ@127.0.0.1:%s/vmig_pw", port);
	expect_connect_fails(url, "Bad%zzPw-QQQ", "cannot connect to", 0);
	snprintf(url, sizeof url, "postgresql://vmig_pw:Sekr1t-QQQ@127.0.0.1:%s/vmig_pw?bogus=1",
	         port);
	expect_connect_fails(url, "Sekr1t-QQQ", "bogus", 0);
	snprintf(url, sizeof url, "postgresql://vmig_pw@127.0.0.1:%s/vmig_pw?password=Par4m-QQQ",
	         port);
	expect_connect_fails(url, "Par4m-QQQ", "password authentication failed", 0);
	free(good);
	free(port);
}

static void test_connect_transient_or_not(void **state)
{
	(void)state;
	char *sock = tu_pg_file("sockdir");
	char *port = tu_pg_file("port");
	char url[4096];

	/* nothing listens: may pass later */
	expect_connect_fails("postgresql://u:Pw-QQQ@127.0.0.1:1/db", "Pw-QQQ", "refused", 1);
	snprintf(url, sizeof url, "postgresql:///db?host=%s/nonexistent&port=%s&user=vmig", sock,
	         port);
	expect_connect_fails(url, NULL, "No such file or directory", 1);
	/* a missing database or role will not appear by waiting */
	snprintf(url, sizeof url, "postgresql:///no_such_db?host=%s&port=%s&user=vmig", sock, port);
	expect_connect_fails(url, NULL, "does not exist", 0);
	snprintf(url, sizeof url, "postgresql:///postgres?host=%s&port=%s&user=nobody", sock, port);
	expect_connect_fails(url, NULL, "does not exist", 0);
	free(sock);
	free(port);
}

static void test_read_missing_table(void **state)
{
	(void)state;
	char *db = fresh_db("missing");
	vmig_conn *c = open_db(db);
	vmig_applied_set set = {0};
	vmig_error err = {0};

	assert_int_equal(vmig_postgres_driver.read_applied(c, true, &set, &err), VMIG_OK);
	assert_int_equal(set.n, 0);
	assert_int_equal(vmig_postgres_driver.read_applied(c, false, &set, &err), VMIG_OK);
	assert_int_equal(set.n, 0);
	vmig_applied_free(&set);

	/* inside a run-wide transaction the probe must not abort it */
	assert_int_equal(vmig_postgres_driver.begin(c, &err), VMIG_OK);
	assert_int_equal(vmig_postgres_driver.read_applied(c, true, &set, &err), VMIG_OK);
	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	must_apply(c, "CREATE TABLE t (a int)", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "r1");
	assert_int_equal(vmig_postgres_driver.read_applied(c, true, &set, &err), VMIG_OK);
	assert_int_equal(set.n, 1);
	assert_int_equal(vmig_postgres_driver.commit(c, &err), VMIG_OK);
	vmig_applied_free(&set);

	vmig_postgres_driver.close(c);
	drop_db(db);
}

static void test_prepare(void **state)
{
	(void)state;
	char *db = fresh_db("prepare");
	vmig_conn *c = open_db(db);
	PGconn *pg = admin(db);
	vmig_error err = {0};

	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	expect_q(pg, "SELECT key || '=' || value FROM vmig_version_meta", "shape=2");
	expect_q(pg,
	         "SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' "
	         "ORDER BY ordinal_position) FROM information_schema.columns "
	         "WHERE table_name = 'vmig_version'",
	         "revision text NO, parents text NO, message text NO, checksum text NO, "
	         "checksum_version integer NO, applied_at text NO, duration_ms double precision "
	         "NO, down_sql text YES, state text NO, transactional boolean NO, seq integer NO");
	expect_q(pg,
	         "INSERT INTO vmig_version (revision, checksum, checksum_version, applied_at, "
	         "state) VALUES ('x', '', 1, '', 'bogus')",
	         NULL);

	/* a table written by a newer vmig is refused */
	expect_q(pg, "UPDATE vmig_version_meta SET value = '3'", "");
	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_ERR_RUNTIME);
	assert_contains(err.msg, "shape 3");
	assert_contains(err.msg, "upgrade vmig");

	/* a lost meta table is re-created */
	expect_q(pg, "DROP TABLE vmig_version_meta", "");
	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	expect_q(pg, "SELECT value FROM vmig_version_meta", "2");

	PQfinish(pg);
	vmig_postgres_driver.close(c);
	drop_db(db);
}

static void test_apply_own(void **state)
{
	(void)state;
	char *db = fresh_db("own");
	vmig_conn *c = open_db(db);
	PGconn *pg = admin(db);
	vmig_applied_set set = {0};
	vmig_error err = {0};

	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	must_apply(c,
	           "CREATE TABLE users (id serial PRIMARY KEY, name text);\n"
	           "INSERT INTO users (name) VALUES ('a;b'), ('it''s');\n"
	           "SELECT pg_sleep(0.05); -- ends in a comment, no newline",
	           VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r1");
	expect_q(pg, "SELECT name FROM users ORDER BY id", "a;b\nit's");

	assert_int_equal(vmig_postgres_driver.read_applied(c, false, &set, &err), VMIG_OK);
	assert_int_equal(set.n, 1);
	vmig_applied *r = &set.rows[0];
	assert_string_equal(r->revision, "r1");
	assert_string_equal(r->parents, "p1 p2");
	assert_string_equal(r->message, "it's a message; with quotes");
	assert_string_equal(r->checksum, "00ff");
	assert_int_equal(r->checksum_version, 1);
	assert_string_equal(r->applied_at, "2024-01-02T03:04:05Z");
	assert_string_equal(r->down_sql, "DROP TABLE x; -- it's down");
	assert_false(r->dirty);
	/* measured on the server around the SQL, which slept 50 ms */
	if (r->duration_ms < 45 || r->duration_ms > 5000)
		fail_msg("duration_ms %f", r->duration_ms);
	vmig_applied_free(&set);

	assert_int_equal(vmig_postgres_driver.read_applied(c, true, &set, &err), VMIG_OK);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.rows[0].revision, "r1");
	assert_null(set.rows[0].checksum);
	vmig_applied_free(&set);

	PQfinish(pg);
	vmig_postgres_driver.close(c);
	drop_db(db);
}

/* After a failed change: nothing of it is there and the connection is usable. */
static void expect_rolled_back(vmig_conn *c, PGconn *pg, const char *table)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT to_regclass('%s') IS NULL", table);
	expect_q(pg, sql, "t");
	expect_q(pg, "SELECT count(*) FROM vmig_version WHERE revision = 'bad'", "0");
	must_apply(c, "SELECT 1", VMIG_TXN_OWN, VMIG_ROW_NONE, NULL);
}

static void expect_failure(vmig_conn *c, PGconn *pg, const char *sql, const char *at,
                           const char *msg, const char *table)
{
	vmig_error err;
	size_t off = 0;
	assert_int_equal(apply(c, sql, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "bad", &off, &err),
	                 VMIG_ERR_RUNTIME);
	assert_contains(err.msg, msg);
	if (off != offset_of(sql, at))
		fail_msg("offset %zu, want %zu (at <%s>) for: %s", off, offset_of(sql, at), at,
		         err.msg);
	expect_rolled_back(c, pg, table);
}

static void test_apply_own_failure(void **state)
{
	(void)state;
	char *db = fresh_db("fail");
	vmig_conn *c = open_db(db);
	PGconn *pg = admin(db);
	vmig_error err = {0};

	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	/* with a server position (multibyte text before it) */
	expect_failure(c, pg,
	               "-- é ü ✓\nCREATE TABLE t1 (a text DEFAULT 'ü✓');\n"
	               "SELECT a, nosuchcol FROM t1;\nSELECT 3;",
	               "nosuchcol", "ERROR 42703: column \"nosuchcol\" does not exist", "t1");
	expect_failure(c, pg, "CREATE TABLE t1 (a int);\nSELECT * FROM nosuchtable;", "nosuchtable",
	               "42P01", "t1");
	/* without one: the failing statement's first real line */
	expect_failure(c, pg,
	               "CREATE TABLE t2 (a int);\nINSERT INTO t2 VALUES (1);\n"
	               "-- this one fails:\nSELECT 1/0;\nSELECT 2;",
	               "SELECT 1/0", "ERROR 22012: division by zero", "t2");
	expect_failure(c, pg,
	               "CREATE TABLE t3 (a int PRIMARY KEY);;\nINSERT INTO t3 VALUES (1);\n"
	               "/* again */ INSERT INTO t3 VALUES (1);\nSELECT 3;",
	               "INSERT INTO t3 VALUES (1);\nSELECT", "DETAIL: Key (a)=(1) already exists.",
	               "t3");
	expect_failure(c, pg,
	               "CREATE TABLE t4 (a int);\n"
	               "DO $$ BEGIN RAISE EXCEPTION 'boom' USING HINT = 'try again'; END $$;",
	               "DO $$", "HINT: try again", "t4");
	/* a syntax error anywhere: nothing ran, reported where it is */
	expect_failure(c, pg, "CREATE TABLE t5 (a int);\nSELEC 1;", "SELEC", "42601", "t5");
	/* an unfinished last statement fails at vmig's `;` after it */
	expect_failure(c, pg, "CREATE TABLE t6 (a int);\nSELECT (1 +", "SELECT (1", "42601", "t6");

	/* the bookkeeping itself failing (a duplicate revision) has no offset */
	must_apply(c, "SELECT 1", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "dup");
	size_t off = 0;
	assert_int_equal(apply(c, "CREATE TABLE t7 (a int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED,
	                       "dup", &off, &err),
	                 VMIG_ERR_RUNTIME);
	assert_int_equal(off, VMIG_NO_OFFSET);
	assert_contains(err.msg, "23505");
	assert_contains(err.msg, "while recording revision dup");
	expect_q(pg, "SELECT to_regclass('t7') IS NULL", "t");

	/* an SQL text that swallows vmig's statements changes nothing */
	assert_int_equal(apply(c, "CREATE TABLE t8 (a int); SELECT $q$", VMIG_TXN_OWN,
	                       VMIG_ROW_INSERT_APPLIED, "bad", &off, &err),
	                 VMIG_ERR_RUNTIME);
	expect_rolled_back(c, pg, "t8");

	PQfinish(pg);
	vmig_postgres_driver.close(c);
	drop_db(db);
}

static void test_apply_postgres_features(void **state)
{
	(void)state;
	char *db = fresh_db("features");
	vmig_conn *c = open_db(db);
	PGconn *pg = admin(db);
	vmig_error err = {0};
	const char *sql =
	    "/* a migration; with comments */\n"
	    "CREATE TABLE t (id int PRIMARY KEY, note text, changed int DEFAULT 0);\n"
	    "CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
	    "BEGIN\n"
	    "  NEW.changed := OLD.changed + 1; -- a ; in a comment\n"
	    "  RETURN NEW;\n"
	    "END\n"
	    "$fn$;\n"
	    "CREATE TRIGGER t_bump BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION bump();\n"
	    "DO $$\nBEGIN\n  INSERT INTO t (id, note) VALUES (1, 'semi; colon');\nEND\n$$;\n"
	    "INSERT INTO t (id, note) VALUES (2, E'it\\'s; \"q\"');\n"
	    "CREATE FUNCTION two() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; "
	    "END;\n"
	    "UPDATE t SET note = note || '!' WHERE id = 1; -- trailing ; comment";

	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	must_apply(c, sql, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r1");
	expect_q(pg, "SELECT id || ':' || note || ':' || changed FROM t ORDER BY id",
	         "1:semi; colon!:1\n2:it's; \"q\":0");
	expect_q(pg, "SELECT two()", "2");
	expect_q(pg, "SELECT state FROM vmig_version", "applied");

	PQfinish(pg);
	vmig_postgres_driver.close(c);
	drop_db(db);
}

static void test_apply_transaction_off(void **state)
{
	(void)state;
	char *db = fresh_db("txnoff");
	vmig_conn *c = open_db(db);
	PGconn *pg = admin(db);
	vmig_applied_set set = {0};
	vmig_error err = {0};
	size_t off;

	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	must_apply(c, "CREATE TABLE t (a int, b int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r0");
	/* the runner's sequence: mark dirty, run, mark applied */
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_IN_PROGRESS, "r1");
	assert_int_equal(vmig_postgres_driver.read_applied(c, true, &set, &err), VMIG_OK);
	assert_int_equal(set.n, 2);
	assert_true(vmig_applied_find(&set, "r1")->dirty);
	vmig_applied_free(&set);
	must_apply(c,
	           "-- two concurrent builds\nCREATE INDEX CONCURRENTLY i_a ON t (a);\n"
	           "CREATE INDEX CONCURRENTLY i_b ON t (b); -- done",
	           VMIG_TXN_NONE, VMIG_ROW_SET_APPLIED, "r1");
	expect_q(pg, "SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1",
	         "i_a\ni_b");
	assert_int_equal(vmig_postgres_driver.read_applied(c, false, &set, &err), VMIG_OK);
	assert_false(vmig_applied_find(&set, "r1")->dirty);
	vmig_applied_free(&set);

	/* a failure: the statement before it stays, the row stays dirty */
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_IN_PROGRESS, "r2");
	const char *bad = "CREATE INDEX CONCURRENTLY i_c ON t (a);\n"
	                  "CREATE INDEX CONCURRENTLY i_d ON nosuch (b);\n";
	assert_int_equal(apply(c, bad, VMIG_TXN_NONE, VMIG_ROW_SET_APPLIED, "r2", &off, &err),
	                 VMIG_ERR_RUNTIME);
	/* CREATE INDEX names no position: the statement's start */
	assert_int_equal(off, offset_of(bad, "CREATE INDEX CONCURRENTLY i_d"));
	assert_contains(err.msg, "42P01");
	expect_q(pg, "SELECT state FROM vmig_version WHERE revision = 'r2'", "in_progress");
	expect_q(pg, "SELECT count(*) FROM pg_indexes WHERE indexname = 'i_c'", "1");
	const char *nopos = "SELECT 1;\n\nSELECT 1/0;";
	assert_int_equal(apply(c, nopos, VMIG_TXN_NONE, VMIG_ROW_SET_APPLIED, "r2", &off, &err),
	                 VMIG_ERR_RUNTIME);
	assert_int_equal(off, offset_of(nopos, "SELECT 1/0"));

	/* down through it: SET_DIRTY, then DELETE with the SQL */
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_SET_IN_PROGRESS, "r1");
	expect_q(pg, "SELECT state FROM vmig_version WHERE revision = 'r1'", "in_progress");
	must_apply(c, "DROP INDEX CONCURRENTLY i_a; DROP INDEX CONCURRENTLY i_b;", VMIG_TXN_NONE,
	           VMIG_ROW_DELETE, "r1");
	expect_q(pg, "SELECT count(*) FROM vmig_version WHERE revision = 'r1'", "0");
	expect_q(pg, "SELECT count(*) FROM pg_indexes WHERE indexname IN ('i_a', 'i_b')", "0");

	PQfinish(pg);
	vmig_postgres_driver.close(c);
	drop_db(db);
}

static void test_apply_outer(void **state)
{
	(void)state;
	char *db = fresh_db("outer");
	vmig_conn *c = open_db(db);
	PGconn *pg = admin(db);
	vmig_error err = {0};
	size_t off;

	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	/* all or nothing: a failure in the second rolls back the first */
	assert_int_equal(vmig_postgres_driver.begin(c, &err), VMIG_OK);
	must_apply(c, "CREATE TABLE a (x int)", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "ra");
	const char *bad = "CREATE TABLE b (x int);\nINSERT INTO b VALUES (1/0);";
	assert_int_equal(apply(c, bad, VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "rb", &off, &err),
	                 VMIG_ERR_RUNTIME);
	assert_int_equal(off, offset_of(bad, "INSERT"));
	vmig_postgres_driver.rollback(c);
	expect_q(pg, "SELECT count(*) FROM vmig_version", "0");
	expect_q(pg, "SELECT to_regclass('a') IS NULL", "t");

	/* a commit after a failure is an error, not a silent rollback */
	assert_int_equal(vmig_postgres_driver.begin(c, &err), VMIG_OK);
	assert_int_equal(apply(c, bad, VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "rb", &off, &err),
	                 VMIG_ERR_RUNTIME);
	assert_int_equal(vmig_postgres_driver.commit(c, &err), VMIG_ERR_RUNTIME);

	assert_int_equal(vmig_postgres_driver.begin(c, &err), VMIG_OK);
	must_apply(c, "CREATE TABLE a (x int)", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "ra");
	must_apply(c, "CREATE TABLE b (x int)", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "rb");
	must_apply(c, NULL, VMIG_TXN_OUTER, VMIG_ROW_DELETE, "ra");
	expect_q(pg, "SELECT count(*) FROM vmig_version", "0"); /* not yet committed */
	assert_int_equal(vmig_postgres_driver.commit(c, &err), VMIG_OK);
	expect_q(pg, "SELECT revision FROM vmig_version", "rb");
	expect_q(pg, "SELECT count(*) FROM a, b", "0");

	PQfinish(pg);
	vmig_postgres_driver.close(c);
	drop_db(db);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_lock(void **state)
{
	(void)state;
	char *db = fresh_db("lock");
	char *url = db_url(db);
	vmig_conn *a = open_conn(url, NULL, 1);
	vmig_conn *b = open_conn(url, "public", 1); /* same table, named differently */
	PGconn *pg = admin(db);
	vmig_error err = {0};

	assert_int_equal(vmig_postgres_driver.lock(a, &err), VMIG_OK);
	assert_int_equal(vmig_postgres_driver.lock(a, &err), VMIG_OK); /* already held */
	/* Other tests may hold advisory locks in their own databases meanwhile. */
	char *pid = q(pg, "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
	                  "AND database = (SELECT oid FROM pg_database "
	                  "WHERE datname = current_database())");
	assert_non_null(pid);
	assert_null(strchr(pid, '\n'));

	double t0 = now_s();
	assert_int_equal(vmig_postgres_driver.lock(b, &err), VMIG_ERR_RUNTIME);
	double waited = now_s() - t0;
	if (waited < 0.9 || waited > 5)
		fail_msg("waited %f s for a 1 s lock_timeout", waited);
	char want[128];
	snprintf(want, sizeof want, "held by pid %s (application_name vmig", pid);
	assert_contains(err.msg, "timed out after 1 s waiting for the migration lock");
	assert_contains(err.msg, want);

	/* released by unlock, and by close */
	vmig_postgres_driver.unlock(a);
	assert_int_equal(vmig_postgres_driver.lock(b, &err), VMIG_OK);
	vmig_postgres_driver.close(b);
	assert_int_equal(vmig_postgres_driver.lock(a, &err), VMIG_OK);
	vmig_postgres_driver.unlock(a);

	/* another version table is another lock */
	vmig_conn_opts o = {.version_table = "other_version", .lock_timeout = 0};
	vmig_conn *other;
	assert_int_equal(vmig_postgres_driver.lock(a, &err), VMIG_OK);
	assert_int_equal(vmig_postgres_driver.connect(url, &o, &other, &err), VMIG_OK);
	assert_int_equal(vmig_postgres_driver.lock(other, &err), VMIG_OK);
	vmig_postgres_driver.close(other);

	free(pid);
	PQfinish(pg);
	vmig_postgres_driver.close(a);
	free(url);
	drop_db(db);
}

/* The advisory locks held in this database (other tests hold theirs meanwhile). */
#define OWN_ADVISORY_LOCKS                                                                         \
	"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND "          \
	"database = (SELECT oid FROM pg_database WHERE datname = current_database())"

/*
 * Behind a connection pooler (pg_lock.c), set by hand here on direct
 * connections (a real PgBouncer is tests/pgbouncer/): the lock is taken by
 * each transaction; a change planned on a version table that another runner
 * changed meanwhile is refused, transient, before its SQL runs; a busy lock
 * is waited for up to lock_timeout; the full read under the lock waits for
 * a revision in progress.
 */
static void test_pooled_lock(void **state)
{
	(void)state;
	char *db = fresh_db("pooled");
	char *url = db_url(db);
	vmig_conn *a = open_conn(url, NULL, 1), *b = open_conn(url, NULL, 1);
	PGconn *pg = admin(db);
	vmig_applied_set set = {0};
	vmig_error err = {0};

	/* a direct connection takes the session lock in its first statement */
	assert_int_equal(vmig_postgres_driver.lock(a, &err), VMIG_OK);
	assert_false(((pg_conn *)a)->pooled);
	expect_q(pg, OWN_ADVISORY_LOCKS, "1");
	vmig_postgres_driver.unlock(a);
	assert_int_equal(vmig_postgres_driver.lock(b, &err), VMIG_OK);
	vmig_postgres_driver.unlock(b);
	((pg_conn *)a)->pooled = ((pg_conn *)b)->pooled = true;

	/* both plan on the same table; a applies r1, b's r1 is refused unrun */
	vmig_conn *both[] = {a, b};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(vmig_postgres_driver.lock(both[i], &err), VMIG_OK);
		assert_int_equal(vmig_postgres_driver.prepare(both[i], &err), VMIG_OK);
		assert_int_equal(vmig_postgres_driver.read_applied(both[i], false, &set, &err),
		                 VMIG_OK);
		assert_int_equal(set.n, 0);
		vmig_applied_free(&set);
	}
	expect_q(pg, OWN_ADVISORY_LOCKS, "0");
	must_apply(a, "CREATE TABLE t1 (a int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r1");
	must_apply(a, "CREATE TABLE t2 (a int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r2");
	assert_int_equal(apply(b, "CREATE TABLE t1 (a int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED,
	                       "r1", NULL, &err),
	                 VMIG_ERR_RUNTIME);
	assert_true(err.transient);
	assert_false(err.partial);
	assert_contains(err.msg, "changed since this run read it");
	/* and stays refused until it reads again */
	assert_int_equal(apply(b, "CREATE TABLE t3 (a int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED,
	                       "r3", NULL, &err),
	                 VMIG_ERR_RUNTIME);
	assert_true(err.transient);
	expect_q(pg, "SELECT string_agg(revision, ' ' ORDER BY seq) FROM vmig_version", "r1 r2");
	assert_int_equal(vmig_postgres_driver.read_applied(b, false, &set, &err), VMIG_OK);
	assert_int_equal(set.n, 2);
	vmig_applied_free(&set);
	must_apply(b, "CREATE TABLE t3 (a int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r3");
	/* a's own changes are what it expects; b's is not */
	assert_int_equal(apply(a, NULL, VMIG_TXN_OWN, VMIG_ROW_DELETE, "r2", NULL, &err),
	                 VMIG_ERR_RUNTIME);
	assert_true(err.transient);

	/* a transaction-off revision: marked, run, recorded; then a's next change goes on */
	assert_int_equal(vmig_postgres_driver.read_applied(a, false, &set, &err), VMIG_OK);
	vmig_applied_free(&set);
	must_apply(a, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_IN_PROGRESS, "r4");
	/* b's full read waits for it (lock_timeout 1 s), then returns it in progress */
	double t0 = now_s();
	assert_int_equal(vmig_postgres_driver.read_applied(b, false, &set, &err), VMIG_OK);
	double waited = now_s() - t0;
	if (waited < 0.9 || waited > 5)
		fail_msg("waited %f s for a revision in progress, lock_timeout 1 s", waited);
	assert_int_equal(set.n, 4);
	assert_true(set.rows[3].dirty);
	vmig_applied_free(&set);
	vmig_postgres_driver.unlock(b);
	must_apply(a, "CREATE INDEX CONCURRENTLY i1 ON t1 (a)", VMIG_TXN_NONE, VMIG_ROW_SET_APPLIED,
	           "r4");
	must_apply(a, "CREATE TABLE t5 (a int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r5");
	expect_q(pg,
	         "SELECT string_agg(revision || ' ' || state, ', ' ORDER BY seq) FROM vmig_version",
	         "r1 applied, r2 applied, r3 applied, r4 applied, r5 applied");

	/* a session holding the lock (a direct runner): waited for, then a time-out
	 * naming it; a's run has lasted longer than lock_timeout by now, but only
	 * its waiting counts */
	char *pid = q(pg, "SELECT pg_backend_pid()");
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%lld)", ((pg_conn *)a)->lock_key);
	expect_q(pg, sql, "");
	t0 = now_s();
	assert_int_equal(apply(a, "CREATE TABLE t6 (a int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED,
	                       "r6", NULL, &err),
	                 VMIG_ERR_RUNTIME);
	waited = now_s() - t0;
	if (waited < 0.9 || waited > 5)
		fail_msg("waited %f s for a 1 s lock_timeout", waited);
	assert_contains(err.msg, "timed out after 1 s waiting for the migration lock");
	char want[64];
	snprintf(want, sizeof want, "held by pid %s", pid);
	assert_contains(err.msg, want);
	expect_q(pg, "SELECT to_regclass('t6') IS NULL", "t");
	free(pid);

	vmig_postgres_driver.unlock(a);
	PQfinish(pg);
	vmig_postgres_driver.close(a);
	vmig_postgres_driver.close(b);
	free(url);
	drop_db(db);
}

static void test_version_table_schema(void **state)
{
	(void)state;
	char *db = fresh_db("schema");
	char *url = db_url(db);
	vmig_conn *c = open_conn(url, "Ops Schema", 5);
	PGconn *pg = admin(db);
	vmig_applied_set set = {0};
	vmig_error err = {0};

	/* reading is fine (nothing applied); creating needs the schema */
	assert_int_equal(vmig_postgres_driver.read_applied(c, true, &set, &err), VMIG_OK);
	assert_int_equal(set.n, 0);
	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "version_table_schema: the schema \"Ops Schema\" does not exist");
	assert_contains(err.msg, "CREATE SCHEMA");

	expect_q(pg, "CREATE SCHEMA \"Ops Schema\"", "");
	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	must_apply(c, "CREATE TABLE app (x int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r1");
	expect_q(pg, "SELECT revision FROM \"Ops Schema\".vmig_version", "r1");
	expect_q(pg, "SELECT value FROM \"Ops Schema\".vmig_version_meta", "2");
	expect_q(pg, "SELECT to_regclass('public.vmig_version') IS NULL", "t");
	assert_int_equal(vmig_postgres_driver.read_applied(c, false, &set, &err), VMIG_OK);
	assert_int_equal(set.n, 1);
	vmig_applied_free(&set);

	/* without the option, the connection's schema: nothing there */
	vmig_conn *d = open_conn(url, NULL, 5);
	assert_int_equal(vmig_postgres_driver.read_applied(d, true, &set, &err), VMIG_OK);
	assert_int_equal(set.n, 0);
	vmig_postgres_driver.close(d);

	PQfinish(pg);
	vmig_postgres_driver.close(c);
	free(url);
	drop_db(db);
}

/* The cost in round trips, counted in the server's statement log. */
static void test_round_trips(void **state)
{
	(void)state;
	char *db = fresh_db("trips");
	PGconn *pg = admin("postgres");
	char sql[256];
	snprintf(sql, sizeof sql, "ALTER DATABASE \"%s\" SET log_statement = 'all'", db);
	expect_q(pg, sql, "");
	PQfinish(pg);

	vmig_conn *c = open_db(db);
	vmig_applied_set set = {0};
	vmig_error err = {0};
	int n0 = statements_logged(db);

	/* a no-op `up`: connect, then one read (the table is not even there) */
	assert_int_equal(vmig_postgres_driver.read_applied(c, true, &set, &err), VMIG_OK);
	assert_int_equal(statements_logged(db) - n0, 1);
	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	assert_int_equal(vmig_postgres_driver.lock(c, &err), VMIG_OK);
	n0 = statements_logged(db);
	/* a revision in its own transaction: one round trip */
	must_apply(c, "CREATE TABLE t (a int); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);",
	           VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r1");
	assert_int_equal(statements_logged(db) - n0, 1);
	must_apply(c, "CREATE TABLE u (a int)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r2");
	assert_int_equal(statements_logged(db) - n0, 2);
	/* the lock, prepare and read of an existing table: one each */
	n0 = statements_logged(db);
	assert_int_equal(vmig_postgres_driver.prepare(c, &err), VMIG_OK);
	assert_int_equal(vmig_postgres_driver.read_applied(c, false, &set, &err), VMIG_OK);
	vmig_postgres_driver.unlock(c);
	assert_int_equal(statements_logged(db) - n0, 3);
	assert_int_equal(set.n, 2);
	vmig_applied_free(&set);

	/* transaction off: one per statement, then the bookkeeping */
	n0 = statements_logged(db);
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_IN_PROGRESS, "r3");
	must_apply(c,
	           "CREATE INDEX CONCURRENTLY ia ON t (a); CREATE INDEX CONCURRENTLY ib ON u (a);",
	           VMIG_TXN_NONE, VMIG_ROW_SET_APPLIED, "r3");
	assert_int_equal(statements_logged(db) - n0, 4);

	vmig_postgres_driver.close(c);
	drop_db(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_schemes),
	    cmocka_unit_test(test_connect_never_shows_password),
	    cmocka_unit_test(test_connect_transient_or_not),
	    cmocka_unit_test(test_read_missing_table),
	    cmocka_unit_test(test_prepare),
	    cmocka_unit_test(test_apply_own),
	    cmocka_unit_test(test_apply_own_failure),
	    cmocka_unit_test(test_apply_postgres_features),
	    cmocka_unit_test(test_apply_transaction_off),
	    cmocka_unit_test(test_apply_outer),
	    cmocka_unit_test(test_lock),
	    cmocka_unit_test(test_pooled_lock),
	    cmocka_unit_test(test_version_table_schema),
	    cmocka_unit_test(test_round_trips),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pg_query_exit(); /* libpg_query's top memory context, for valgrind */
	return rc;
}
