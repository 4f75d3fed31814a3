/*
 * safety_airtight.c - the schema and the version table never disagree,
 * whatever a revision's SQL contains and whatever runs beside it.  Part of
 * the safety suite (#included by safety_suite.c, whose helpers it uses).
 *
 * Each test here failed before the fix it names:
 *   - transaction control behind an empty statement (SQLite);
 *   - PREPARE TRANSACTION in a transactional revision;
 *   - a `transaction off` revision that leaves a transaction open;
 *   - the down SQL of a `transaction off` revision whose file is gone;
 *   - a revision that changes search_path (PostgreSQL);
 *   - a version_table name too long for the database (PostgreSQL);
 *   - the whole wait for another runner bounded by lock_timeout;
 *   - the SQLite run lock released before SQLite's own locks;
 *   - SQL after a `--` comment in a file with lone CR line ends.
 */

/* ------------------------------------------------------------------ */
/* g. Airtight state changes                                            */

/* The tables t1..t9 that exist, '\n'-joined; the version rows likewise. */
#define NOTHING_CHANGED(f, before) assert_string_equal(keep(B->snapshot((f)->url)), (before))

static void test_commit_behind_empty_statement(void **state)
{
	fx *f = fx_open(state, "empty_stmt_commit");
	write_rev(f->dir, "001_r1.sql", "r1", NULL, NULL, "CREATE TABLE t1 (x int);",
	          "DROP TABLE t1;");
	tu_result r = VM(f, "up");
	expect_exit(&r, 0, "up r1");
	/* line 6: the COMMIT hidden behind `;;` */
	tu_write(f->dir, "002_r2.sql",
	         "-- vmig:revision r2\n"
	         "-- vmig:down_revision r1\n"
	         "\n"
	         "-- vmig:up\n"
	         "CREATE TABLE t2 (x int);;\n"
	         "COMMIT;\n"
	         "CREATE TABLE t3 (x int);\n");
	char *before = keep(B->snapshot(f->url));
	r = VM(f, "up");
	expect_exit(&r, 2, "up with COMMIT behind an empty statement");
	assert_contains(r.err, "002_r2.sql:6:");
	assert_contains(r.err, "transaction");
	NOTHING_CHANGED(f, before);
	assert_string_equal(t_tables(f->url), "t1");
	assert_string_equal(versions(f->url), "r1");

	/* the same behind a comment, and PREPARE TRANSACTION */
	tu_write(f->dir, "002_r2.sql",
	         "-- vmig:revision r2\n"
	         "-- vmig:down_revision r1\n"
	         "\n"
	         "-- vmig:up\n"
	         "CREATE TABLE t2 (x int); /* c */ ;\n"
	         "PREPARE TRANSACTION 'vmig_test';\n");
	r = VM(f, "up");
	/* refused as transaction control, also where SQLite cannot even parse it */
	expect_exit(&r, 2, "up with PREPARE TRANSACTION");
	assert_contains(r.err, "002_r2.sql:6:");
	NOTHING_CHANGED(f, before);
	if (is_pg())
		expect_q(f->url, "SELECT count(*) FROM pg_prepared_xacts", "0");
}

static void test_transaction_off_left_open(void **state)
{
	fx *f = fx_open(state, "txn_off_open");
	write_rev(f->dir, "001_r1.sql", "r1", NULL, "-- vmig:transaction off\n",
	          "BEGIN;\nCREATE TABLE t1 (x int);", "DROP TABLE t1;");
	tu_result r = VM(f, "up");
	expect_exit(&r, 1, "up with a transaction-off revision that leaves a transaction open");
	assert_contains(r.err, "r1");
	assert_contains(r.err, "transaction open");
	assert_not_contains(r.err, "applied r1");
	/* its work was rolled back, and the revision stays in progress */
	assert_string_equal(t_tables(f->url), "");
	assert_string_equal(dirty_versions(f->url), "r1");
	r = VM(f, "up");
	expect_exit(&r, 1, "up after it");
	assert_contains(r.err, "in progress");

	/* BEGIN ... COMMIT inside a transaction-off revision is fine */
	r = VM(f, "stamp", "base");
	expect_exit(&r, 0, "stamp base");
	write_rev(f->dir, "001_r1.sql", "r1", NULL, "-- vmig:transaction off\n",
	          "BEGIN;\nCREATE TABLE t1 (x int);\nCOMMIT;", "DROP TABLE t1;");
	r = VM(f, "up");
	expect_exit(&r, 0, "up with BEGIN ... COMMIT in a transaction-off revision");
	assert_string_equal(t_tables(f->url), "t1");
	assert_string_equal(dirty_versions(f->url), "");
}

/*
 * The newer release applied r2, a `transaction off` revision whose down SQL
 * cannot run in a transaction; the older release (no r2 file) rolls it back.
 */
static void test_down_transaction_off_file_gone(void **state)
{
	fx *f = fx_open(state, "txn_off_gone");
	write_rev(f->dir, "001_r1.sql", "r1", NULL, NULL,
	          "CREATE TABLE t1 (x int);\nCREATE INDEX t1_x ON t1 (x);", "DROP TABLE t1;");
	write_rev(f->dir, "002_r2.sql", "r2", "r1", "-- vmig:transaction off\n",
	          is_pg() ? "CREATE INDEX CONCURRENTLY t1_x2 ON t1 (x);" : "VACUUM;",
	          is_pg() ? "DROP INDEX CONCURRENTLY t1_x2;" : "VACUUM;");
	tu_result r = VM(f, "up");
	expect_exit(&r, 0, "up");
	expect_q(f->url, "SELECT transactional FROM vmig_version WHERE revision = 'r2'",
	         is_pg() ? "f" : "0");
	tu_rmtree(fmt("%s/002_r2.sql", f->dir));
	r = VM(f, "down");
	expect_exit(&r, 0, "down of a transaction-off revision whose file is gone");
	assert_string_equal(versions(f->url), "r1");
	if (is_pg())
		assert_string_equal(indexes_of(f->url, "t1"), "t1_x");
}

/*
 * A file with lone CR line ends: vmig reads them as line ends, so the SQL
 * after a `--` comment runs on every database (SQLite's own scanner ends a
 * comment only at LF).
 */
static void test_lone_cr_comment(void **state)
{
	fx *f = fx_open(state, "lone_cr");
	tu_write(f->dir, "001_r1.sql",
	         "-- vmig:revision r1\r-- vmig:up\r-- the table\rCREATE TABLE t1 (x int);\r"
	         "-- and a row\rINSERT INTO t1 VALUES (1);\r-- vmig:down\rDROP TABLE t1;\r");
	tu_result r = VM(f, "up");
	expect_exit(&r, 0, "up of a file with lone CR line ends");
	expect_q(f->url, "SELECT count(*) FROM t1", "1");
	r = VM(f, "down");
	expect_exit(&r, 0, "down of it");
	assert_string_equal(t_tables(f->url), "");
}

/*
 * PostgreSQL: the check that vmig's transaction is still open.  RESET ALL
 * (or any setting) in a revision does not trip it; a COMMIT that the text
 * check cannot see (here: a backslash-quoted string, read one way by the
 * server with standard_conforming_strings off and another by the scanner)
 * is caught, the rest is rolled back, and the revision stays in progress.
 */
static void test_pg_transaction_check(void **state)
{
	fx *f = fx_open(state, "txn_check");
	write_rev(f->dir, "001_r1.sql", "r1", NULL, NULL,
	          "SET LOCAL lock_timeout = '5s';\nCREATE TABLE t1 (x int);\nRESET ALL;",
	          "DROP TABLE t1;");
	tu_result r = VM(f, "up");
	expect_exit(&r, 0, "up with RESET ALL in a revision");
	assert_string_equal(versions(f->url), "r1");
	assert_string_equal(dirty_versions(f->url), "");

	q(f->url, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET "
	          "standard_conforming_strings = off', current_database()); END $$");
	write_rev(f->dir, "002_r2.sql", "r2", "r1", NULL,
	          "CREATE TABLE t2 (x int);\nSELECT 'x\\''; COMMIT; SELECT '';\n"
	          "CREATE TABLE t3 (x int);",
	          "DROP TABLE t2;");
	r = VM(f, "up");
	expect_exit(&r, 1, "up with a COMMIT the text check cannot see");
	assert_contains(r.err, "may have been committed");
	assert_contains(r.err, "in progress");
	assert_string_equal(t_tables(f->url), "t1\nt2");
	assert_string_equal(dirty_versions(f->url), "r2");
}

/* PostgreSQL: revisions that change search_path cannot move the bookkeeping. */
static void test_search_path_changed(void **state)
{
	fx *f = fx_open(state, "search_path");
	write_rev(f->dir, "001_r1.sql", "r1", NULL, NULL,
	          "CREATE SCHEMA app;\nSET search_path TO app;\nCREATE TABLE t1 (x int);",
	          "DROP SCHEMA app CASCADE;");
	write_rev(f->dir, "002_r2.sql", "r2", "r1", NULL,
	          "SELECT pg_catalog.set_config('search_path', '', false);\n"
	          "CREATE TABLE public.t2 (x int);",
	          "DROP TABLE public.t2;");
	write_rev(f->dir, "003_r3.sql", "r3", "r2", "-- vmig:transaction off\n",
	          "SET search_path TO app;\nCREATE TABLE t3 (x int);", "DROP TABLE app.t3;");
	tu_result r = VM(f, "up");
	expect_exit(&r, 0, "up with revisions that change search_path");
	assert_string_equal(versions(f->url), "r1\nr2\nr3");
	expect_q(f->url, "SELECT to_regclass('app.vmig_version') IS NULL", "t");
	expect_q(f->url, "SELECT count(*) FROM app.t1", "0");
	r = VM(f, "down", "base");
	expect_exit(&r, 0, "down base");
	assert_string_equal(versions(f->url), "");
	r = VM(f, "check");
	expect_exit(&r, 3, "check: behind");
}

/* PostgreSQL keeps 63 bytes of a name: "<table>_meta" must fit. */
static void test_long_version_table(void **state)
{
	fx *f = fx_open(state, "long_table");
	char name[64];
	memset(name, 'v', 63);
	name[63] = '\0';
	write_rev(f->dir, "001_r1.sql", "r1", NULL, NULL, "CREATE TABLE t1 (x int);",
	          "DROP TABLE t1;");
	tu_write(f->work, "vmig.yaml", fmt("lock_timeout: 5\nversion_table: %s\n", name));
	char *before = keep(B->snapshot(f->url));
	tu_result r = VM(f, "up");
	if (is_pg()) {
		expect_exit(&r, 2, "up with a 63-byte version_table");
		assert_contains(r.err, "vmig.yaml:2: version_table");
		assert_contains(r.err, "at most 62");
		NOTHING_CHANGED(f, before);
	} else {
		expect_exit(&r, 0, "up with a 63-byte version_table on SQLite");
		expect_q(f->url, fmt("SELECT revision FROM %s", name), "r1");
	}
	if (!is_pg())
		return;
	/* 62 bytes: PostgreSQL cuts "<name>_meta" to 63, which is not the name itself */
	tu_write(f->work, "vmig.yaml", fmt("version_table: %.62s\n", name));
	r = VM(f, "up");
	expect_exit(&r, 0, "up with a 62-byte version_table");
	r = VM(f, "check");
	expect_exit(&r, 0, "check");
}

/* version_table_schema that the database cannot honour: exit 2, naming the key. */
static void test_version_table_schema_refused(void **state)
{
	fx *f = fx_open(state, "bad_schema");
	write_rev(f->dir, "001_r1.sql", "r1", NULL, NULL, "CREATE TABLE t1 (x int);",
	          "DROP TABLE t1;");
	tu_write(f->work, "vmig.yaml", "lock_timeout: 5\nversion_table_schema: no_such_schema\n");
	char *before = keep(B->snapshot(f->url));
	tu_result r = VM(f, "up");
	expect_exit(&r, 2, "up with a version_table_schema the database cannot use");
	assert_contains(r.err, "version_table_schema");
	/* PostgreSQL: the schema does not exist; SQLite: there are no schemas */
	assert_contains(r.err, is_pg() ? "CREATE SCHEMA" : "no schemas");
	NOTHING_CHANGED(f, before);
}

/*
 * While one runner is inside a long revision, a second one gives up after
 * lock_timeout in all (not three times that), saying it waited for the
 * migration lock (SQLite: not "database is locked").
 */
static void test_lock_wait_bounded(void **state)
{
	fx *f = fx_open(state, "lock_wait");
	write_rev(f->dir, "001_r1.sql", "r1", NULL, NULL,
	          is_pg() ? "SELECT pg_sleep(6);"
	                  : "CREATE TABLE t1 (x int);\n"
	                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
	                    "WHERE x < 200000000) SELECT count(*) FROM c;",
	          NULL);
	tu_write(f->work, "vmig.yaml", "lock_timeout: 1\n");
	const char *args[] = {"-d", f->url, "--dir", f->dir, "up", NULL};
	f->child =
	    spawn_vmig(f->work, args, fmt("%s/a.out", f->work), fmt("%s/a.err", f->work), -1, -1);
	sleep_s(0.5); /* the first runner is inside r1 by now */
	double t0 = now_s();
	tu_result r = VM(f, "up");
	double took = now_s() - t0;
	expect_exit(&r, 1, "a second up while the first runs");
	assert_contains(r.err, "waiting for the migration lock");
	assert_not_contains(r.err, "database is locked");
	print_message("lock wait (%s): gave up after %.2f s with lock_timeout 1\n", B->name, took);
	if (took > 2.5)
		FAIL("the second runner waited %.2f s with lock_timeout 1:\n%s", took, r.err);
	kill_and_reap(f->child);
	f->child = 0;
	settle(f->url); /* the server ends the killed runner's sleep in its own time */
}

/*
 * SQLite: no descriptor of the database file is closed while SQLite holds
 * locks on it: closing any descriptor drops every POSIX lock the process
 * has on the file.  Checked on what vmig does, with strace: the descriptor
 * that holds the run lock (flock) is closed after SQLite's own descriptor of
 * the file, and nothing else opened on the file is closed in between.
 */
static void test_sqlite_lock_released_last(void **state)
{
	fx *f = fx_open(state, "lock_order");
	write_rev(f->dir, "001_r1.sql", "r1", NULL, NULL, "CREATE TABLE t1 (x int);",
	          "DROP TABLE t1;");
	const char *path = f->url + strlen("sqlite:///");
	const char *trace = fmt("%s/strace.txt", f->work);
	const char *argv[] = {"strace", "-f", "-o",   trace,   "-e",   "trace=openat,close,flock",
	                      VMIG_BIN, "-d", f->url, "--dir", f->dir, "up",
	                      NULL};
	/* LeakSanitizer cannot run under ptrace; the rest of the suite checks leaks */
	int st = run_argv(argv, "ASAN_OPTIONS=detect_leaks=0", NULL);
	if (st != 0)
		FAIL("strace vmig up exited %d (is strace installed?):\n%s", st, slurp(trace));
	/* SQLite's descriptors of the file are opened read-write; the run lock's read-only */
	const char *t = slurp(trace);
	const char *quoted = fmt("\"%s\"", path);
	int sqlite_fds[16], nsqlite = 0, lock_fd = -1, opened = 0;
	for (const char *line = t; *line;) {
		size_t len = strcspn(line, "\n");
		char *l = keep(strndup(line, len));
		line += len + (line[len] == '\n');
		const char *eq = strrchr(l, '=');
		if (strstr(l, "openat(") && strstr(l, quoted) && eq && atoi(eq + 1) >= 0) {
			opened++;
			if (strstr(l, "O_RDWR") && nsqlite < 16)
				sqlite_fds[nsqlite++] = atoi(eq + 1);
		} else if (strstr(l, "flock(") && strstr(l, "LOCK_EX") && eq && atoi(eq + 1) == 0) {
			lock_fd = atoi(strchr(l, '(') + 1);
		} else if (strstr(l, "close(")) {
			int fd = atoi(strstr(l, "close(") + 6);
			for (int i = 0; i < nsqlite; i++)
				if (sqlite_fds[i] == fd)
					sqlite_fds[i] = sqlite_fds[--nsqlite];
			if (fd == lock_fd && nsqlite > 0)
				FAIL("the run lock's descriptor %d was closed while SQLite had %s "
				     "open "
				     "(its POSIX locks go with it):\n%s",
				     fd, path, t);
		}
	}
	if (opened < 2 || lock_fd < 0)
		FAIL("strace shows %d descriptors of %s and no flock:\n%s", opened, path, t);
	assert_string_equal(versions(f->url), "r1");
}

/*
 * PostgreSQL: an offline script takes the very lock that online runs take
 * (same key, computed by the server from where the version table
 * resolves), so a script being applied and a migrate container starting
 * serialize.  The script's own lock statement is run on a connection of
 * the test's; an online `up` then waits for it and gives up after
 * lock_timeout; once the connection is gone, `up` runs.
 */
static void test_offline_script_takes_the_online_lock(void **state)
{
	fx *f = fx_open(state, "offline_lock");
	write_rev(f->dir, "001_r1.sql", "r1", NULL, NULL, "CREATE TABLE t1 (x int);", NULL);
	tu_write(f->work, "vmig.yaml", "lock_timeout: 1\n");
	tu_result script = VM(f, "up", "--sql");
	expect_exit(&script, 0, "up --sql");
	const char *lock = strstr(script.out, "pg_catalog.pg_advisory_lock(");
	while (lock && lock > script.out && lock[-1] != '\n')
		lock--; /* the start of its line: the DO block */
	if (!lock)
		FAIL("no lock statement in the script:\n%s", script.out);
	char *stmt = keep(strndup(lock, strcspn(lock, "\n")));
	PGconn *holder = PQconnectdb(f->url);
	PGresult *res = PQexec(holder, stmt);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		FAIL("the script's lock statement failed: %s", PQerrorMessage(holder));
	PQclear(res);
	tu_result r = VM(f, "up");
	expect_exit(&r, 1, "up while a script holds the lock");
	assert_contains(r.err, "waiting for the migration lock");
	PQfinish(holder); /* the session lock goes with its connection */
	r = VM(f, "up");
	expect_exit(&r, 0, "up once the script's session is gone");
}
