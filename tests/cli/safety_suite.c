/*
 * safety_suite.c - vmig's guarantees under failure, concurrency and kills,
 * run through the real binary against one backend (see safety_suite.h).
 *
 * Every test works in a database of its own (tu_backend.new_database) and
 * writes the revisions it needs into a tu_tempdir of its own; vmig runs with
 * -d URL --dir DIR in an empty working folder, so no vmig.yaml is picked up.
 * The teardown drops the databases, kills a vmig still running and stops a
 * second PostgreSQL server, also when a test failed half-way; and everything
 * a test allocates is kept on a list the teardown frees (keep()), so that a
 * failed assertion, which leaves the test by longjmp, leaks nothing either.
 *
 * A test program #includes this file and calls safety_suite_run() with its
 * backend (test_safety_sqlite.c, test_safety_postgres.c).
 */
#include "safety_suite.h"

#include "backend_postgres.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PASSWORD       "s3cret-pw-XYZ"
#define WRONG_PASSWORD "wr0ng-pw-QQQ"

static const tu_backend *B;

static bool is_pg(void)
{
	return strcmp(B->name, "postgresql") == 0;
}

/* ------------------------------------------------------------------ */
/* Memory: freed at teardown                                            */

static void **garbage;
static size_t ngarbage, capgarbage;

/* Frees p at the end of the test; returns it. */
static void *keep(void *p)
{
	if (ngarbage == capgarbage) {
		capgarbage = capgarbage ? 2 * capgarbage : 64;
		garbage = realloc(garbage, capgarbage * sizeof *garbage);
	}
	garbage[ngarbage++] = p;
	return p;
}

static void free_garbage(void)
{
	for (size_t i = 0; i < ngarbage; i++)
		free(garbage[i]);
	free(garbage);
	garbage = NULL;
	ngarbage = capgarbage = 0;
}

/* A new string (kept): printf into it. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	char *s = keep(malloc((size_t)n + 1));
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

/* A file's contents (kept), "" when it cannot be read. */
static char *slurp(const char *path)
{
	char *s = tu_read(path, NULL);
	return keep(s ? s : strdup(""));
}

/* Prints a long diagnostic in full (cmocka's own messages are cut short),
 * then fails the test at file:line. */
static void fail_at(const char *file, int line, const char *f, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void fail_at(const char *file, int line, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	fprintf(stderr, "%s:%d: ", file, line);
	vfprintf(stderr, f, ap);
	fputc('\n', stderr);
	va_end(ap);
	_fail(file, line);
	abort(); /* not reached */
}
#define FAIL(...) fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* How many times needle occurs in haystack. */
static int count_of(const char *haystack, const char *needle)
{
	int n = 0;
	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* How many lines of s contain needle. */
static int lines_with(const char *s, const char *needle)
{
	int n = 0;
	while (*s) {
		size_t len = strcspn(s, "\n");
		const char *hit = strstr(s, needle);
		if (hit && hit < s + len)
			n++;
		s += len;
		if (*s)
			s++;
	}
	return n;
}

/* splitmix64: a small seeded generator, so that a failing run can be repeated. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	socklen_t len = sizeof a;
	int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	         getsockname(fd, (struct sockaddr *)&a, &len) == 0;
	close(fd);
	assert_true(ok);
	return ntohs(a.sin_port);
}

/* ------------------------------------------------------------------ */
/* Processes                                                            */

/*
 * Starts vmig ARGS in cwd with its stdout and stderr going to the files out
 * and err.  With gate >= 0 the child first waits for end-of-file on that
 * pipe (the parent closes gate_w to start them all at once); it closes its
 * own copy of gate_w first so that the end-of-file can come.
 */
static pid_t spawn_vmig(const char *cwd, const char *const *args, const char *out, const char *err,
                        int gate, int gate_w)
{
	const char *argv[64];
	size_t n = 0;
	argv[n++] = VMIG_BIN;
	for (; *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (gate_w >= 0)
			close(gate_w);
		if (gate >= 0) {
			char c;
			while (read(gate, &c, 1) < 0 && errno == EINTR)
				;
			close(gate);
		}
		int in = open("/dev/null", O_RDONLY);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (in < 0 || o < 0 || e < 0 || chdir(cwd) != 0)
			_exit(126);
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(VMIG_BIN, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Waits for pid at most timeout_s: its exit code (128+N for signal N), or
 * -1 when it is still running (it is left running). */
static int wait_exit(pid_t pid, double timeout_s)
{
	double end = now_s() + timeout_s;
	for (;;) {
		int st;
		pid_t got = waitpid(pid, &st, WNOHANG);
		if (got == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (got < 0 && errno != EINTR)
			fail_msg("waitpid(%ld): %s", (long)pid, strerror(errno));
		if (now_s() > end)
			return -1;
		sleep_s(0.002);
	}
}

/* Runs argv (argv[0] looked up in PATH) to completion with the NAME=VALUE
 * env (or NULL) added, its output appended to the file log (or dropped);
 * returns its exit code. */
static int run_argv(const char *const *argv, const char *env, const char *log)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in < 0 || o < 0)
			_exit(126);
		dup2(in, 0);
		dup2(o, 1);
		dup2(o, 2);
		if (env)
			putenv((char *)env);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void kill_and_reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static const char *harness(void)
{
	return fmt("%s/tests/pg/pg_harness.sh", VMIG_SOURCE_DIR);
}

static void stop_pg_server(const char *dir)
{
	const char *argv[] = {"bash", harness(), "stop", dir, NULL};
	run_argv(argv, NULL, NULL);
	tu_rmtree(dir);
}

/* ------------------------------------------------------------------ */
/* The fixture                                                          */

typedef struct fx {
	char *url;       /* the test's database */
	char *dir;       /* its migrations */
	char *work;      /* the working folder vmig runs in, and outputs */
	char *extra_url; /* another database, dropped at teardown */
	char *extra_dir; /* another folder, removed at teardown */
	char *pg_dir;    /* a second PostgreSQL server's state folder, stopped at teardown */
	pid_t child;     /* a vmig still running, killed at teardown */
	pid_t children[16];
} fx;

static int fx_setup(void **state)
{
	*state = calloc(1, sizeof(fx));
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;
	kill_and_reap(f->child);
	for (size_t i = 0; i < sizeof f->children / sizeof *f->children; i++)
		kill_and_reap(f->children[i]);
	if (f->pg_dir)
		stop_pg_server(f->pg_dir);
	if (f->extra_url)
		B->drop(f->extra_url);
	if (f->url)
		B->drop(f->url);
	if (f->extra_dir)
		tu_rmtree(f->extra_dir);
	if (f->dir)
		tu_rmtree(f->dir);
	if (f->work)
		tu_rmtree(f->work);
	free(f);
	free_garbage();
	return 0;
}

/* A database, a migrations folder and a working folder for test `name`. */
static fx *fx_open(void **state, const char *name)
{
	fx *f = *state;
	f->url = keep(B->new_database(name));
	f->dir = keep(tu_tempdir(fmt("safety-%s-%s-migrations", B->name, name)));
	f->work = keep(tu_tempdir(fmt("safety-%s-%s-work", B->name, name)));
	return f;
}

/* ------------------------------------------------------------------ */
/* Running vmig                                                         */

/* vmig -d url --dir dir ARGS... in folder cwd; the output is kept. */
static tu_result vmv(const char *cwd, const char *url, const char *dir, const char *const *args)
{
	const char *argv[64];
	size_t n = 0;
	argv[n++] = "-d";
	argv[n++] = url;
	argv[n++] = "--dir";
	argv[n++] = dir;
	for (; *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	tu_result r = tu_vmigv(cwd, NULL, argv);
	keep(r.out);
	keep(r.err);
	return r;
}

#define VM(f, ...)       vmv((f)->work, (f)->url, (f)->dir, (const char *const[]){__VA_ARGS__, NULL})
#define VMU(f, url, ...) vmv((f)->work, (url), (f)->dir, (const char *const[]){__VA_ARGS__, NULL})

/* Fails with vmig's output when r did not exit with want. */
#define expect_exit(r, want, what) expect_exit_at((r), (want), (what), __FILE__, __LINE__)
static void expect_exit_at(const tu_result *r, int want, const char *what, const char *file,
                           int line)
{
	if (r->status != want)
		fail_at(file, line,
		        "%s: exit %d, expected %d\n--- stdout ---\n%s\n--- stderr ---\n%s", what,
		        r->status, want, r->out, r->err);
}

/* ------------------------------------------------------------------ */
/* Revisions and the database's state                                   */

/*
 * Writes dir/file: revision id with parent (NULL: a root), the extra header
 * lines head (NULL: none), the up SQL and, unless NULL, the down SQL.
 */
static void write_rev(const char *dir, const char *file, const char *id, const char *parent,
                      const char *head, const char *up, const char *down)
{
	tu_write(dir, file,
	         fmt("-- vmig:revision %s\n%s%s%s-- vmig:message revision %s\n%s\n-- "
	             "vmig:up\n%s\n%s%s",
	             id, parent ? "-- vmig:down_revision " : "", parent ? parent : "",
	             parent ? "\n" : "", id, head ? head : "", up, down ? "\n-- vmig:down\n" : "",
	             down ? down : ""));
}

/* B->query, kept; the test fails when the query fails. */
static char *q(const char *url, const char *sql)
{
	char *r = B->query(url, sql);
	if (!r)
		FAIL("query failed on %s: %s", url, sql);
	return keep(r);
}

/* Asserts that sql on url gives want (NULL: that the query fails, e.g. no
 * such table). */
#define expect_q(url, sql, want) expect_q_at((url), (sql), (want), __FILE__, __LINE__)
static void expect_q_at(const char *url, const char *sql, const char *want, const char *file,
                        int line)
{
	char *got = B->query(url, sql);
	if (got)
		keep(got);
	if (want ? !got || strcmp(got, want) != 0 : got != NULL)
		fail_at(file, line, "%s\n  gave [%s]\n  expected [%s]", sql,
		        got ? got : "(query failed)", want ? want : "(query fails)");
}

/* The revisions in the version table, sorted, '\n'-joined; "" for none
 * (also when the table does not exist yet). */
static char *versions(const char *url)
{
	char *r = B->query(url, "SELECT revision FROM vmig_version ORDER BY revision");
	return r ? keep(r) : "";
}

/* Revisions whose row is not in state "applied" (dirty), likewise. */
static char *dirty_versions(const char *url)
{
	char *r = B->query(url, "SELECT revision FROM vmig_version WHERE state <> 'applied' "
	                        "ORDER BY revision");
	return r ? keep(r) : "";
}

/* The tables named t followed by digits, sorted, '\n'-joined. */
static char *t_tables(const char *url)
{
	return q(url, is_pg() ? "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND "
	                        "tablename ~ '^t[0-9]+$' ORDER BY 1"
	                      : "SELECT name FROM sqlite_master WHERE type = 'table' AND name "
	                        "GLOB 't[0-9]*' ORDER BY 1");
}

/* Every table of the database, sorted, '\n'-joined. */
static char *all_tables(const char *url)
{
	return q(url, is_pg() ? "SELECT tablename FROM pg_tables WHERE schemaname NOT IN "
	                        "('pg_catalog', 'information_schema') ORDER BY 1"
	                      : "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1");
}

/* The indexes on table, sorted, '\n'-joined. */
static char *indexes_of(const char *url, const char *table)
{
	return q(url, is_pg() ? fmt("SELECT indexname FROM pg_indexes WHERE tablename = '%s' "
	                            "ORDER BY 1",
	                            table)
	                      : fmt("SELECT name FROM sqlite_master WHERE type = 'index' AND "
	                            "tbl_name = '%s' ORDER BY 1",
	                            table));
}

/* On PostgreSQL, waits until no session but ours is left on url's database:
 * the server process of a killed vmig may still be running its query string
 * (and commit it), and the checks must see the final state. */
static void settle(const char *url)
{
	if (!is_pg())
		return;
	double end = now_s() + 20;
	while (strcmp(q(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
	                     "current_database() AND pid <> pg_backend_pid()"),
	              "0") != 0) {
		if (now_s() > end)
			fail_msg("sessions of a killed vmig still run on %s after 20 s", url);
		sleep_s(0.01);
	}
}

/* ------------------------------------------------------------------ */
/* a. A failing revision in the middle of a run                          */

/*
 * Five revisions r1..r5, each creating table tN with one row; r3 fails at
 * its fourth statement, which starts on line 10 of its file: a unique
 * violation (a run-time error, which carries no position) after a string
 * literal holding a `;`, a `--` and a line break.
 */
static void write_failing_chain(const char *dir)
{
	static const char *const ids[] = {"r1", "r2", "r3", "r4", "r5"};
	for (int i = 0; i < 5; i++)
		if (i != 2)
			write_rev(dir, fmt("00%d_%s.sql", i + 1, ids[i]), ids[i],
			          i ? ids[i - 1] : NULL, NULL,
			          fmt("CREATE TABLE t%d (id integer PRIMARY KEY);\n"
			              "INSERT INTO t%d (id) VALUES (%d);",
			              i + 1, i + 1, i + 1),
			          fmt("DROP TABLE t%d;", i + 1));
	tu_write(dir, "003_r3.sql",
	         "-- vmig:revision r3\n"                                  /* 1 */
	         "-- vmig:down_revision r2\n"                             /* 2 */
	         "-- vmig:message three fails\n"                          /* 3 */
	         "\n"                                                     /* 4 */
	         "-- vmig:up\n"                                           /* 5 */
	         "CREATE TABLE t3 (id integer PRIMARY KEY, note text);\n" /* 6 */
	         "INSERT INTO t3 (id, note) VALUES (1, 'one; -- not a\n"  /* 7 */
	         "comment');\n"                                           /* 8 */
	         "INSERT INTO t3 (id, note) VALUES (2, 'two');\n"         /* 9 */
	         "INSERT INTO t3 (id, note)\n"                            /* 10 */
	         "    VALUES (1, 'duplicate');\n"                         /* 11 */
	         "INSERT INTO t3 (id, note) VALUES (3, 'three');\n"       /* 12 */
	         "\n"                                                     /* 13 */
	         "-- vmig:down\n"                                         /* 14 */
	         "DROP TABLE t3;\n");
}

/* The database's own words for r3's failure. */
static const char *r3_db_message(void)
{
	return is_pg() ? "duplicate key value violates unique constraint \"t3_pkey\""
	               : "UNIQUE constraint failed: t3.id";
}

static void expect_r3_failure_message(const tu_result *r)
{
	assert_contains(r->err, "003_r3.sql:10:");
	assert_contains(r->err, "r3");
	assert_contains(r->err, r3_db_message());
}

static void test_failing_revision_keeps_earlier_ones(void **state)
{
	fx *f = fx_open(state, "fail_middle");
	write_failing_chain(f->dir);

	tu_result r = VM(f, "up");
	expect_exit(&r, 1, "up with r3 failing");
	expect_r3_failure_message(&r);
	assert_contains(r.err, "applied r1");
	assert_contains(r.err, "applied r2");
	assert_not_contains(r.err, "applied r3");

	assert_string_equal(versions(f->url), "r1\nr2");
	assert_string_equal(dirty_versions(f->url), "");
	expect_q(f->url, "SELECT count(*) FROM t1", "1");
	expect_q(f->url, "SELECT count(*) FROM t2", "1");
	expect_q(f->url, "SELECT count(*) FROM t3", NULL);
	expect_q(f->url, "SELECT count(*) FROM t4", NULL);
	expect_q(f->url, "SELECT count(*) FROM t5", NULL);

	/* again: the same failure, and the database stays as it is */
	char *before = keep(B->snapshot(f->url));
	r = VM(f, "up");
	expect_exit(&r, 1, "up with r3 failing, again");
	expect_r3_failure_message(&r);
	assert_string_equal(keep(B->snapshot(f->url)), before);

	/* the database is behind (check: 3), not broken */
	r = VM(f, "check");
	expect_exit(&r, 3, "check after the failure");
}

static void test_failing_revision_single_transaction(void **state)
{
	fx *f = fx_open(state, "fail_single");
	write_failing_chain(f->dir);

	tu_result r = VM(f, "up", "r1");
	expect_exit(&r, 0, "up r1");
	char *before = keep(B->snapshot(f->url));

	r = VM(f, "up", "--single-transaction");
	expect_exit(&r, 1, "up --single-transaction with r3 failing");
	expect_r3_failure_message(&r);
	/* nothing is reported as applied by a run that was rolled back */
	assert_not_contains(r.err, "applied r2");
	assert_string_equal(keep(B->snapshot(f->url)), before);
	assert_string_equal(versions(f->url), "r1");
	expect_q(f->url, "SELECT count(*) FROM t2", NULL);
}

/*
 * The same failing --single-transaction run on a database that was never
 * written: all or nothing means nothing, not even the version table (vmig
 * itself says "nothing was changed").
 */
static void test_failing_single_transaction_fresh_database(void **state)
{
	fx *f = fx_open(state, "fail_single_fresh");
	write_failing_chain(f->dir);

	char *before = keep(B->snapshot(f->url));
	tu_result r = VM(f, "up", "--single-transaction");
	expect_exit(&r, 1, "up --single-transaction on a fresh database");
	expect_r3_failure_message(&r);
	assert_contains(r.err, "nothing was changed");
	if (strcmp(keep(B->snapshot(f->url)), before) != 0)
		FAIL("a failed --single-transaction run (\"nothing was changed\") changed a fresh "
		     "database: it now has the tables [%s]",
		     all_tables(f->url));
}

/* ------------------------------------------------------------------ */
/* b. Concurrent runners                                                */

#define CONC_REVS  40
#define CONC_PROCS 8

static void test_concurrent_runners(void **state)
{
	fx *f = fx_open(state, "concurrent");
	write_rev(f->dir, "000_runlog.sql", "r00", NULL, NULL,
	          "CREATE TABLE runlog (rev text NOT NULL);", "DROP TABLE runlog;");
	for (int i = 1; i <= CONC_REVS; i++)
		write_rev(f->dir, fmt("%03d_r%02d.sql", i, i), fmt("r%02d", i), fmt("r%02d", i - 1),
		          NULL,
		          fmt("CREATE TABLE t%d (id integer PRIMARY KEY);\n"
		              "INSERT INTO runlog (rev) VALUES ('r%d');",
		              i, i),
		          NULL);

	int gate[2];
	assert_int_equal(pipe(gate), 0);
	const char *args[] = {"-d", f->url, "--dir", f->dir, "up", NULL};
	for (int i = 0; i < CONC_PROCS; i++)
		f->children[i] = spawn_vmig(f->work, args, fmt("%s/out.%d", f->work, i),
		                            fmt("%s/err.%d", f->work, i), gate[0], gate[1]);
	close(gate[0]);
	close(gate[1]); /* go */

	int failed = 0;
	for (int i = 0; i < CONC_PROCS; i++) {
		int st = wait_exit(f->children[i], 120);
		if (st >= 0)
			f->children[i] = 0;
		if (st != 0) {
			fprintf(stderr, "runner %d: exit %d\n%s\n", i, st,
			        slurp(fmt("%s/err.%d", f->work, i)));
			failed++;
		}
	}
	if (failed)
		fail_msg("%d of %d concurrent runners failed", failed, CONC_PROCS);

	expect_q(f->url, "SELECT count(*) FROM runlog", "40");
	expect_q(f->url, "SELECT count(DISTINCT rev) FROM runlog", "40");
	expect_q(f->url, "SELECT count(*) FROM vmig_version", "41");
	expect_q(f->url, "SELECT count(*) FROM vmig_version WHERE state = 'applied'", "41");
	assert_int_equal(count_of(t_tables(f->url), "t"), CONC_REVS);
	tu_result r = VM(f, "check");
	expect_exit(&r, 0, "check after the concurrent runs");
}

/*
 * Several `vmig down` (no target), `vmig down -1` or `vmig redo` started at
 * once: each names one revision at its first look, so together they move the
 * database one revision, not one each.  Every runner has its first look
 * before the first one changes anything: on PostgreSQL the top revision's
 * down SQL waits until the other sessions poll for the advisory lock; on
 * SQLite, whose writer keeps others from even reading, the test holds the
 * run lock (flock on the file) until every runner waits for it.
 */
#define DOWN_REVS  5
#define DOWN_PROCS 4

static const char *slow_down_sql(void)
{
	if (!is_pg())
		return "";
	return fmt("DO $$\nDECLARE t0 timestamptz := clock_timestamp();\nBEGIN\n"
	           "  WHILE NOT EXISTS (SELECT 1 FROM gate)\n"
	           "    AND clock_timestamp() < t0 + interval '10 seconds'\n"
	           "    AND (SELECT count(*) FROM pg_stat_activity WHERE datname = "
	           "current_database()\n"
	           "         AND pid <> pg_backend_pid() AND query LIKE "
	           "'%%advisory_lock%%') < %d LOOP\n"
	           "    PERFORM pg_sleep(0.02);\n"
	           "    PERFORM pg_stat_clear_snapshot();\n"
	           "  END LOOP;\nEND $$;\n"
	           "INSERT INTO gate (n) VALUES (1);\n",
	           DOWN_PROCS - 1);
}

/* How many descriptors of process pid are open on the file path. */
static int fds_on(pid_t pid, const char *path)
{
	char dir[64], link[PATH_MAX + 1];
	snprintf(dir, sizeof dir, "/proc/%ld/fd", (long)pid);
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		ssize_t len = readlinkat(dirfd(d), e->d_name, link, sizeof link - 1);
		if (len > 0) {
			link[len] = '\0';
			n += strcmp(link, path) == 0;
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* Runs DOWN_PROCS copies of `vmig ARGS` at once; all must exit 0. */
static void run_together(fx *f, const char *const *args, const char *what)
{
	const char *argv[16] = {"-d", f->url, "--dir", f->dir};
	size_t n = 4;
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	char db[PATH_MAX];
	int held = -1;
	if (!is_pg()) {
		assert_non_null(realpath(f->url + strlen("sqlite:///"), db));
		held = open(db, O_RDONLY | O_CLOEXEC);
		assert_true(held >= 0);
		assert_int_equal(flock(held, LOCK_EX), 0);
	}
	int gate[2];
	assert_int_equal(pipe(gate), 0);
	for (int i = 0; i < DOWN_PROCS; i++)
		f->children[i] = spawn_vmig(f->work, argv, fmt("%s/out.%d", f->work, i),
		                            fmt("%s/err.%d", f->work, i), gate[0], gate[1]);
	close(gate[0]);
	close(gate[1]); /* go */
	if (held >= 0) {
		/* A runner waiting for the lock has a second descriptor on the file. */
		int waiting = 0;
		for (double end = now_s() + 30; waiting < DOWN_PROCS && now_s() < end;) {
			sleep_s(0.01);
			waiting = 0;
			for (int i = 0; i < DOWN_PROCS; i++)
				waiting += fds_on(f->children[i], db) >= 2;
		}
		if (waiting < DOWN_PROCS)
			fprintf(stderr,
			        "%s: only %d of %d runners were seen waiting for the lock\n", what,
			        waiting, DOWN_PROCS);
		close(held);
	}
	int failed = 0;
	for (int i = 0; i < DOWN_PROCS; i++) {
		int st = wait_exit(f->children[i], 120);
		if (st >= 0)
			f->children[i] = 0;
		if (st != 0) {
			fprintf(stderr, "%s, runner %d: exit %d\n%s\n", what, i, st,
			        slurp(fmt("%s/err.%d", f->work, i)));
			failed++;
		}
	}
	if (failed)
		fail_msg("%s: %d of %d runners started at once failed", what, failed, DOWN_PROCS);
}

static void test_concurrent_down(void **state)
{
	fx *f = fx_open(state, "concurrent_down");
	write_rev(f->dir, "01_r01.sql", "r01", NULL, NULL,
	          "CREATE TABLE gate (n integer);\nCREATE TABLE runlog (what text NOT NULL);",
	          "DROP TABLE runlog;\nDROP TABLE gate;");
	for (int i = 2; i <= DOWN_REVS; i++)
		write_rev(f->dir, fmt("%02d_r%02d.sql", i, i), fmt("r%02d", i), fmt("r%02d", i - 1),
		          NULL,
		          fmt("CREATE TABLE t%d (id integer PRIMARY KEY);\n"
		              "INSERT INTO runlog (what) VALUES ('up r%02d');",
		              i, i),
		          fmt("%sDROP TABLE t%d;\nINSERT INTO runlog (what) VALUES ('down r%02d');",
		              i == DOWN_REVS ? slow_down_sql() : "", i, i));
	static const char all[] = "r01\nr02\nr03\nr04\nr05";

	static const char *const kinds[][3] = {{"down", NULL}, {"down", "-1", NULL}};
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		const char *what = kinds[k][1] ? "down -1" : "down";
		tu_result r = VM(f, "up");
		expect_exit(&r, 0, "up before the concurrent downs");
		assert_string_equal(versions(f->url), all);
		q(f->url, "DELETE FROM gate");
		q(f->url, "DELETE FROM runlog");
		run_together(f, kinds[k], what);
		const char *v = versions(f->url);
		if (strcmp(v, "r01\nr02\nr03\nr04") != 0)
			FAIL("%d runners of `vmig %s` started at once should unapply r05 only; the "
			     "database now has [%s] (runlog [%s])",
			     DOWN_PROCS, what, v,
			     q(f->url, "SELECT what FROM runlog ORDER BY what"));
		expect_q(f->url, "SELECT what FROM runlog", "down r05");
		assert_int_equal(count_of(t_tables(f->url), "t"), DOWN_REVS - 2);
	}

	/* redo: each runner redoes the top revision, and only that one. */
	tu_result r = VM(f, "up");
	expect_exit(&r, 0, "up before the concurrent redos");
	q(f->url, "DELETE FROM gate");
	q(f->url, "DELETE FROM runlog");
	run_together(f, (const char *const[]){"redo", NULL}, "redo");
	assert_string_equal(versions(f->url), all);
	expect_q(f->url, "SELECT count(*) FROM runlog WHERE what = 'down r05'",
	         fmt("%d", DOWN_PROCS));
	expect_q(f->url, "SELECT count(*) FROM runlog WHERE what = 'up r05'",
	         fmt("%d", DOWN_PROCS));
	expect_q(f->url, "SELECT count(*) FROM runlog", fmt("%d", 2 * DOWN_PROCS));
	r = VM(f, "check");
	expect_exit(&r, 0, "check after the concurrent redos");
}

/* ------------------------------------------------------------------ */
/* c. SIGKILL at random moments                                         */

#define KILL_REVS   30
#define KILL_TRIALS 20

/* The rows each revision's table gets. */
static int kill_rows(void)
{
	return is_pg() ? 100 : 5000;
}

/* 30 revisions that each take a little time: rNN creates tNN and fills it. */
static void write_slow_chain(const char *dir)
{
	for (int i = 1; i <= KILL_REVS; i++) {
		const char *up =
		    is_pg()
		        ? fmt("SELECT pg_sleep(0.02);\n"
		              "CREATE TABLE t%02d (id integer PRIMARY KEY, v text);\n"
		              "INSERT INTO t%02d (id, v) SELECT i, 'row ' || i FROM "
		              "generate_series(1, %d) i;",
		              i, i, kill_rows())
		        : fmt("CREATE TABLE t%02d (id integer PRIMARY KEY, v text);\n"
		              "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
		              "WHERE i < %d)\nINSERT INTO t%02d (id, v) SELECT i, 'row ' || i || "
		              "hex(zeroblob(100)) FROM c;",
		              i, kill_rows(), i);
		write_rev(dir, fmt("%03d_r%02d.sql", i, i), fmt("r%02d", i),
		          i > 1 ? fmt("r%02d", i - 1) : NULL, NULL, up,
		          fmt("DROP TABLE t%02d;", i));
	}
}

/* The tables tNN that the revisions rNN in v ('\n'-joined) create. */
static char *tables_for(const char *v)
{
	char *t = keep(strdup(v));
	for (char *p = t; *p; p++)
		if (*p == 'r' && (p == t || p[-1] == '\n'))
			*p = 't';
	return t;
}

/*
 * Checks that url is at a revision boundary: the tables there are exactly
 * those of the revisions recorded, each with all its rows, and no revision
 * is dirty; or, where the database cannot be read at all (a SQLite file
 * that was never created), that it is as fresh (snapshot) as before the run.
 * Returns how many revisions are applied.
 */
static int expect_boundary(const char *url, int trial, const char *fresh)
{
	char *t = B->query(url, is_pg() ? "SELECT tablename FROM pg_tables WHERE schemaname = "
	                                  "'public' AND tablename ~ '^t[0-9]+$' ORDER BY 1"
	                                : "SELECT name FROM sqlite_master WHERE type = 'table' "
	                                  "AND name GLOB 't[0-9]*' ORDER BY 1");
	if (!t) {
		if (!fresh || strcmp(keep(B->snapshot(url)), fresh) != 0)
			fail_msg("trial %d: the database cannot be read, and is not fresh", trial);
		return 0;
	}
	keep(t);
	char *v = versions(url);
	char *d = dirty_versions(url);
	if (*d || strcmp(t, tables_for(v)) != 0)
		FAIL("trial %d: not at a revision boundary:\n  versions: [%s]\n  dirty: [%s]\n"
		     "  tables: [%s]",
		     trial, v, d, t);
	for (char *p = t; *p;) {
		size_t len = strcspn(p, "\n");
		expect_q(url, fmt("SELECT count(*) FROM %.*s", (int)len, p),
		         fmt("%d", kill_rows()));
		p += len;
		if (*p)
			p++;
	}
	return *v ? count_of(v, "\n") + 1 : 0;
}

/* SQLite: the database is back in DELETE mode, with no WAL file or marker
 * beside it, whatever happened to the run that had it in WAL mode. */
static void expect_journal_restored(const char *url, int trial)
{
	expect_q(url, "PRAGMA journal_mode", "delete");
	const char *path = url + strlen("sqlite:///");
	const char *left[] = {"-wal", "-vmig-wal", "-shm"};
	for (size_t i = 0; i < sizeof left / sizeof left[0]; i++)
		if (access(fmt("%s%s", path, left[i]), F_OK) == 0)
			FAIL("trial %d: %s%s is left beside the database", trial, path, left[i]);
}

/* Runs `vmig up` on url in the background and SIGKILLs it after delay
 * seconds, unless it finished first; true when it was killed. */
static bool up_and_kill(fx *f, const char *url, double delay)
{
	const char *args[] = {"-d", url, "--dir", f->dir, "up", NULL};
	const char *err = fmt("%s/kill.err", f->work);
	f->child = spawn_vmig(f->work, args, fmt("%s/kill.out", f->work), err, -1, -1);
	int st = wait_exit(f->child, delay);
	bool killed = st < 0;
	if (killed) {
		kill(f->child, SIGKILL);
		st = wait_exit(f->child, 30);
		killed = st != 0; /* else it finished just before the signal came */
	}
	f->child = 0;
	if (!killed && st != 0)
		FAIL("vmig up exited %d before it was killed:\n%s", st, slurp(err));
	if (killed && st != 128 + SIGKILL)
		FAIL("vmig up was killed but ended with %d:\n%s", st, slurp(err));
	return killed;
}

static void test_sigkill_at_random_moments(void **state)
{
	fx *f = fx_open(state, "sigkill");
	write_slow_chain(f->dir);

	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	const char *env = getenv("VMIG_SAFETY_SEED");
	if (env && *env)
		seed = strtoull(env, NULL, 10);
	rng_state = seed;
	print_message("sigkill (%s): seed %llu (set VMIG_SAFETY_SEED=%llu to repeat)\n", B->name,
	              (unsigned long long)seed, (unsigned long long)seed);

	/* how long a whole run takes: the quicker of two (one may meet a cold cache) */
	double full = 0;
	for (int i = 0; i < 2; i++) {
		const char *url = i ? keep(B->new_database("sigkill_calibrate")) : f->url;
		f->extra_url = i ? (char *)url : NULL;
		double t0 = now_s();
		tu_result r = VMU(f, url, "up");
		double took = now_s() - t0;
		expect_exit(&r, 0, "a full run");
		assert_int_equal(expect_boundary(url, 0, NULL), KILL_REVS);
		full = i == 0 || took < full ? took : full;
		if (i) {
			B->drop(url);
			f->extra_url = NULL;
		}
	}
	print_message("sigkill (%s): a full run takes %.0f ms\n", B->name, full * 1000);

	int midway = 0;
	double t_start = now_s();
	for (int trial = 1; trial <= KILL_TRIALS; trial++) {
		f->extra_url = keep(B->new_database(fmt("sigkill_%d", trial)));
		const char *fresh = keep(B->snapshot(f->extra_url));
		/* one delay in each of KILL_TRIALS slices of the run's duration */
		double delay = full * ((trial - 1) + rng_unit()) / KILL_TRIALS;
		bool killed = up_and_kill(f, f->extra_url, delay);
		settle(f->extra_url);
		int n = expect_boundary(f->extra_url, trial, fresh);
		print_message("sigkill (%s): trial %d: %s after %.0f ms at %d of %d revisions\n",
		              B->name, trial, killed ? "killed" : "finished", delay * 1000, n,
		              KILL_REVS);
		if (killed && n > 0 && n < KILL_REVS)
			midway++;

		tu_result r = VMU(f, f->extra_url, "up");
		expect_exit(&r, 0, "up after the kill");
		r = VMU(f, f->extra_url, "check");
		expect_exit(&r, 0, "check after the kill and an up");
		assert_int_equal(expect_boundary(f->extra_url, trial, NULL), KILL_REVS);
		if (!is_pg()) /* the WAL mode of the killed run is gone, and its marker */
			expect_journal_restored(f->extra_url, trial);

		B->drop(f->extra_url);
		f->extra_url = NULL;
	}
	print_message("sigkill (%s): %d trials in %.1f s, %d killed between revisions 1 and %d\n",
	              B->name, KILL_TRIALS, now_s() - t_start, midway, KILL_REVS - 1);
	/* the delays cover the run, so most kills land inside it */
	if (midway < KILL_TRIALS / 3)
		fail_msg("only %d of %d kills landed inside a run: the delays do not cover it",
		         midway, KILL_TRIALS);
}

/* ------------------------------------------------------------------ */
/* e. transaction off                                                   */

static void expect_refused_dirty(fx *f, const char *cmd, const char *target)
{
	tu_result r = target ? VM(f, cmd, target) : VM(f, cmd);
	expect_exit(&r, 1,
	            fmt("%s%s%s with r3 dirty", cmd, target ? " " : "", target ? target : ""));
	assert_contains(r.err, "r3");
	assert_contains(r.err, "vmig stamp");
}

/*
 * r2 runs outside a transaction and succeeds; r3 does too, and its second
 * statement fails after its first took effect.  On PostgreSQL the
 * statements are CREATE INDEX CONCURRENTLY, which a transaction refuses.
 */
static void test_transaction_off(void **state)
{
	fx *f = fx_open(state, "txn_off");
	const char *conc = is_pg() ? " CONCURRENTLY" : "";
	/* the index names on items, PostgreSQL's primary key index included */
	const char *pkey = is_pg() ? "\nitems_pkey" : "";

	write_rev(f->dir, "001_r1.sql", "r1", NULL, NULL,
	          "CREATE TABLE items (id integer PRIMARY KEY, a integer, b integer);\n"
	          "INSERT INTO items VALUES (1, 2, 3);",
	          "DROP TABLE items;");
	write_rev(f->dir, "002_r2.sql", "r2", "r1", "-- vmig:transaction off\n",
	          fmt("CREATE INDEX%s items_a ON items (a);\nCREATE INDEX%s items_b ON items (b);",
	              conc, conc),
	          "DROP INDEX items_a;\nDROP INDEX items_b;");

	tu_result r = VM(f, "up");
	expect_exit(&r, 0, "up with a transaction-off revision");
	assert_string_equal(indexes_of(f->url, "items"), fmt("items_a\nitems_b%s", pkey));
	expect_q(f->url, "SELECT state FROM vmig_version WHERE revision = 'r2'", "applied");

	write_rev(f->dir, "003_r3.sql", "r3", "r2", "-- vmig:transaction off\n",
	          fmt("CREATE INDEX%s items_c ON items (a, b);\n"
	              "CREATE INDEX%s items_bad ON no_such_table (x);",
	              conc, conc),
	          "DROP INDEX items_c;");
	r = VM(f, "up");
	expect_exit(&r, 1, "up with a failing transaction-off revision");
	assert_contains(r.err, "003_r3.sql:8:");
	assert_contains(r.err, "no_such_table");
	assert_contains(r.err, "vmig stamp");
	assert_string_equal(indexes_of(f->url, "items"), fmt("items_a\nitems_b\nitems_c%s", pkey));
	expect_q(f->url, "SELECT state FROM vmig_version WHERE revision = 'r3'", "in_progress");

	/* every later run refuses, names r3 and says how to resolve it */
	char *before = keep(B->snapshot(f->url));
	expect_refused_dirty(f, "up", NULL);
	expect_refused_dirty(f, "up", "r3");
	expect_refused_dirty(f, "down", NULL);
	expect_refused_dirty(f, "down", "base");
	expect_refused_dirty(f, "redo", NULL);
	expect_refused_dirty(f, "check", NULL);
	assert_string_equal(keep(B->snapshot(f->url)), before);

	/* resolved as not applied: r3's row is gone, the database is behind */
	r = VM(f, "stamp", "r2");
	expect_exit(&r, 0, "stamp r2");
	expect_q(f->url, "SELECT count(*) FROM vmig_version WHERE revision = 'r3'", "0");
	assert_string_equal(versions(f->url), "r1\nr2");
	assert_string_equal(dirty_versions(f->url), "");
	r = VM(f, "check");
	expect_exit(&r, 3, "check with r3 not applied");

	/* the file fixed, up applies it */
	write_rev(f->dir, "003_r3.sql", "r3", "r2", "-- vmig:transaction off\n",
	          fmt("CREATE INDEX%s IF NOT EXISTS items_c ON items (a, b);\n"
	              "CREATE INDEX%s items_d ON items (b, a);",
	              conc, conc),
	          "DROP INDEX items_c;\nDROP INDEX items_d;");
	r = VM(f, "up");
	expect_exit(&r, 0, "up with r3 fixed");
	expect_q(f->url, "SELECT state FROM vmig_version WHERE revision = 'r3'", "applied");
	assert_string_equal(indexes_of(f->url, "items"),
	                    fmt("items_a\nitems_b\nitems_c\nitems_d%s", pkey));
	r = VM(f, "check");
	expect_exit(&r, 0, "check at the end");

	/* and down through transaction-off revisions */
	r = VM(f, "down", "r1");
	expect_exit(&r, 0, "down r1");
	assert_string_equal(indexes_of(f->url, "items"), is_pg() ? "items_pkey" : "");
	assert_string_equal(versions(f->url), "r1");
	assert_string_equal(dirty_versions(f->url), "");
}

/* ------------------------------------------------------------------ */
/* d. --wait (PostgreSQL)                                               */

/*
 * One try at: `vmig up --wait=30` against a free port where a second server
 * starts about 3 s later.  False when vmig met the harness's window between
 * the server accepting connections and the role vmig being created: a role
 * that does not exist is not worth waiting for, so vmig rightly gives up;
 * the test then tries again.
 */
static bool wait_for_late_server(fx *f, int attempt)
{
	int port = free_port();
	const char *url = fmt("postgresql://vmig@127.0.0.1:%d/postgres", port);
	const char *err = fmt("%s/wait.err.%d", f->work, attempt);
	const char *log = fmt("%s/harness.log.%d", f->work, attempt);
	f->pg_dir = keep(tu_tempdir(fmt("safety-pgwait-%d", attempt)));

	const char *args[] = {"-d", url, "--dir", f->dir, "up", "--wait=30", NULL};
	double t0 = now_s();
	f->child = spawn_vmig(f->work, args, fmt("%s/wait.out", f->work), err, -1, -1);
	sleep_s(3);
	if (wait_exit(f->child, 0) >= 0) {
		f->child = 0;
		FAIL("vmig up --wait=30 ended before the server started:\n%s", slurp(err));
	}

	const char *hargv[] = {"bash", harness(), "start", f->pg_dir, NULL};
	int hst = run_argv(hargv, fmt("VMIG_PG_PORT=%d", port), log);
	if (hst != 0)
		FAIL("pg_harness.sh start on port %d failed (%d):\n%s", port, hst, slurp(log));
	if (atoi(slurp(fmt("%s/port", f->pg_dir))) != port)
		FAIL("the second server took port %s, not %d (taken meanwhile?)",
		     slurp(fmt("%s/port", f->pg_dir)), port);

	int st = wait_exit(f->child, 45);
	if (st >= 0)
		f->child = 0;
	double took = now_s() - t0;
	const char *e = slurp(err);
	bool ok = !(st == 1 && strstr(e, "role \"vmig\" does not exist"));
	if (!ok) {
		print_message("wait: attempt %d met the harness creating its roles; again\n",
		              attempt);
	} else {
		if (st != 0)
			FAIL("vmig up --wait=30 exited %d after %.1f s:\n%s", st, took, e);
		int waits = lines_with(e, "waiting for the database");
		print_message("wait: exit 0 after %.1f s, %d waiting lines\n", took, waits);
		if (waits < 3)
			FAIL("expected several 'waiting for the database' lines, got %d:\n%s",
			     waits, e);
		assert_contains(e, "Connection refused");
		char *admin = slurp(fmt("%s/url", f->pg_dir));
		admin[strcspn(admin, "\n")] = '\0';
		assert_string_equal(versions(admin), "w1\nw2");
		expect_q(admin, "SELECT count(*) FROM w2", "0");
	}
	stop_pg_server(f->pg_dir);
	f->pg_dir = NULL;
	return ok;
}

static void test_wait_for_server(void **state)
{
	fx *f = fx_open(state, "wait");
	write_rev(f->dir, "001_w1.sql", "w1", NULL, NULL, "CREATE TABLE w1 (id integer);",
	          "DROP TABLE w1;");
	write_rev(f->dir, "002_w2.sql", "w2", "w1", NULL, "CREATE TABLE w2 (id integer);",
	          "DROP TABLE w2;");

	bool ok = false;
	for (int attempt = 1; attempt <= 3 && !ok; attempt++)
		ok = wait_for_late_server(f, attempt);
	if (!ok)
		fail_msg("vmig met the harness's role creation three times running");

	/* nothing ever listens: exit 1 after about the wait, with the last error */
	const char *url = fmt("postgresql://vmig@127.0.0.1:%d/postgres", free_port());
	double t0 = now_s();
	tu_result r = VMU(f, url, "up", "--wait=2");
	double took = now_s() - t0;
	expect_exit(&r, 1, "up --wait=2 with no server");
	print_message("wait: no server: exit 1 after %.2f s\n", took);
	if (took < 1.5 || took > 5)
		FAIL("up --wait=2 with no server took %.2f s, expected about 2 s:\n%s", took,
		     r.err);
	assert_true(lines_with(r.err, "waiting for the database") >= 2);
	/* the last line is the error, with libpq's reason */
	const char *last = strstr(r.err, "vmig: error:");
	assert_non_null(last);
	assert_contains(last, "Connection refused");
	assert_contains(last, "gave up waiting");
}

/* ------------------------------------------------------------------ */
/* f. Passwords (PostgreSQL)                                            */

/* Runs vmig ARGS with url and dir; checks the exit code, that no password
 * is shown, and (show) that the URL is shown with *** for its password. */
static void pw_run(fx *f, const char *url, const char *dir, int want, bool show,
                   const char *const *args)
{
	tu_result r = vmv(f->work, url, dir, args);
	const char *what =
	    fmt("%s %s%s%s", url, args[0], args[1] ? " " : "", args[1] ? args[1] : "");
	if (strstr(r.out, PASSWORD) || strstr(r.err, PASSWORD) || strstr(r.out, WRONG_PASSWORD) ||
	    strstr(r.err, WRONG_PASSWORD))
		FAIL("%s: a password is shown:\n--- stdout ---\n%s\n--- stderr ---\n%s", what,
		     r.out, r.err);
	expect_exit(&r, want, what);
	if (show && !strstr(r.out, ":***@") && !strstr(r.err, ":***@"))
		FAIL("%s: the URL is not shown with *** for its password:\n--- stdout ---\n%s\n--- "
		     "stderr ---\n%s",
		     what, r.out, r.err);
}

#define PW(f, url, dir, want, show, ...)                                                           \
	pw_run((f), (url), (dir), (want), (show), (const char *const[]){__VA_ARGS__, NULL})

static void test_passwords_never_shown(void **state)
{
	fx *f = fx_open(state, "passwords");
	const char *url_pw = keep(tu_pg_file("url_pw"));
	const char *port = keep(tu_pg_file("port"));
	assert_non_null(strstr(url_pw, ":" PASSWORD "@"));

	/* vmig_pw is the server's own database, shared: start it empty */
	const char *admin = keep(tu_pg_url_for("vmig_pw"));
	const char *clean = "DROP TABLE IF EXISTS vmig_version, vmig_version_meta, pw1, pw2, pw3";
	q(admin, clean);

	write_rev(f->dir, "001_pw1.sql", "pw1", NULL, NULL, "CREATE TABLE pw1 (id integer);",
	          "DROP TABLE pw1;");
	write_rev(f->dir, "002_pw2.sql", "pw2", "pw1", NULL, "CREATE TABLE pw2 (id integer);",
	          "DROP TABLE pw2;");
	const char *bad = f->extra_dir = keep(tu_tempdir("safety-postgresql-passwords-bad"));
	write_rev(bad, "001_pw1.sql", "pw1", NULL, NULL, "CREATE TABLE pw1 (id integer);",
	          "DROP TABLE pw1;");
	write_rev(bad, "002_pw2.sql", "pw2", "pw1", NULL, "CREATE TABLE pw2 (id integer);",
	          "DROP TABLE pw2;");
	write_rev(bad, "003_pw3.sql", "pw3", "pw2", NULL,
	          "CREATE TABLE pw3 (id integer);\nSELECT 1 FROM no_such_table;", NULL);

	/* postgresql://vmig_pw:PASSWORD@127.0.0.1:PORT/vmig_pw, and with +asyncpg */
	const char *urls[] = {url_pw, fmt("postgresql+asyncpg://%s", strstr(url_pw, "://") + 3)};
	for (int i = 0; i < 2; i++) {
		const char *u = urls[i];
		PW(f, u, f->dir, 0, false, "up");
		PW(f, u, f->dir, 0, true, "status");
		PW(f, u, f->dir, 0, true, "status", "--json");
		PW(f, u, f->dir, 0, false, "current", "--json");
		PW(f, u, f->dir, 2, false, "history"); /* -d is not for history: refused, unshown */
		PW(f, u, f->dir, 0, true, "-v", "up");
		PW(f, u, f->dir, 0, true, "-v", "check");
		PW(f, u, bad, 1, false, "up");      /* a failing revision */
		PW(f, u, bad, 1, true, "-v", "up"); /* the same, verbose */
	}
	assert_string_equal(versions(admin), "pw1\npw2");

	/* a wrong password: refused, and neither password shown */
	const char *wrong =
	    fmt("postgresql://vmig_pw:" WRONG_PASSWORD "@127.0.0.1:%s/vmig_pw", port);
	PW(f, wrong, f->dir, 1, true, "up");
	PW(f, wrong, f->dir, 1, true, "status");
	PW(f, wrong, f->dir, 1, true, "up", "--wait=1");
	PW(f, fmt("postgresql+asyncpg://vmig_pw:" WRONG_PASSWORD "@127.0.0.1:%s/vmig_pw", port),
	   f->dir, 1, true, "up");
	tu_result r = VMU(f, wrong, "up");
	assert_contains(r.err, "password authentication failed");

	/* a host that does not exist, waited for */
	const char *bad_host =
	    fmt("postgresql://vmig_pw:" PASSWORD "@no-such-host.invalid:%s/vmig_pw", port);
	PW(f, bad_host, f->dir, 1, true, "up", "--wait=1");
	PW(f, bad_host, f->dir, 1, true, "-v", "status", "--wait=1");
	/* a port where nothing listens, waited for */
	PW(f, fmt("postgresql://vmig_pw:" PASSWORD "@127.0.0.1:%d/vmig_pw", free_port()), f->dir, 1,
	   true, "up", "--wait=1");

	q(admin, clean);
}

#include "safety_airtight.c"

/* ------------------------------------------------------------------ */

int safety_suite_run(const tu_backend *b)
{
	B = b;
	static const struct CMUnitTest common[] = {
	    cmocka_unit_test_setup_teardown(test_failing_revision_keeps_earlier_ones, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_failing_revision_single_transaction, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_failing_single_transaction_fresh_database,
	                                    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_runners, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_down, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_sigkill_at_random_moments, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_transaction_off, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_commit_behind_empty_statement, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_transaction_off_left_open, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_down_transaction_off_file_gone, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_long_version_table, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_lock_wait_bounded, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_lone_cr_comment, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_version_table_schema_refused, fx_setup,
	                                    fx_teardown),
	};
	static const struct CMUnitTest sqlite_only[] = {
	    cmocka_unit_test_setup_teardown(test_sqlite_lock_released_last, fx_setup, fx_teardown),
	};
	static const struct CMUnitTest pg_only[] = {
	    cmocka_unit_test_setup_teardown(test_wait_for_server, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_passwords_never_shown, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_search_path_changed, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pg_transaction_check, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_offline_script_takes_the_online_lock, fx_setup,
	                                    fx_teardown),
	};
	char name[64];
	snprintf(name, sizeof name, "safety (%s)", b->name);
	int failed = cmocka_run_group_tests_name(name, common, NULL, NULL);
	if (is_pg()) {
		snprintf(name, sizeof name, "safety (%s only)", b->name);
		failed += cmocka_run_group_tests_name(name, pg_only, NULL, NULL);
	} else {
		snprintf(name, sizeof name, "safety (%s only)", b->name);
		failed += cmocka_run_group_tests_name(name, sqlite_only, NULL, NULL);
	}
	return failed;
}
