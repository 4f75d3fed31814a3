/*
 * test_api_oom.c - the library runs out of memory and says so.
 *
 * This program replaces malloc, calloc, realloc and free (glibc lets a
 * program do that: every allocation in the process, SQLite's and libc's
 * included, then goes through them) and makes allocations fail while a
 * public call runs: one allocation, the Nth of the call, for every N; and
 * every allocation from the Nth on, as when memory is really gone.  Every
 * call must come back with VMIG_OK or an error value with a message; then,
 * with memory back, the project must still work: `up` reaches head, nothing
 * is left in progress, and no descriptor (so no connection and no lock) is
 * left open.  Nothing may be printed meanwhile.
 *
 * Not built with the sanitizers, which own malloc themselves.
 */
#include "testutil.h"

#include "vmig.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the allocator ---- */

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static int armed;     /* counting: inside a public call */
static long seen;     /* allocations counted since armed */
static long fail_at;  /* 0: none fails; else the first one that does */
static int fail_rest; /* nonzero: every one from fail_at on fails */
static long failures; /* how many were refused */

static int refuse(void)
{
	if (!armed)
		return 0;
	seen++;
	if (fail_at && (seen == fail_at || (fail_rest && seen > fail_at))) {
		failures++;
		return 1;
	}
	return 0;
}

void *malloc(size_t n)
{
	return refuse() ? NULL : __libc_malloc(n);
}

void *calloc(size_t count, size_t size)
{
	return refuse() ? NULL : __libc_calloc(count, size);
}

void *realloc(void *p, size_t n)
{
	/* realloc(p, 0) frees: a refusal there would be no refusal at all. */
	if (p && n == 0)
		return __libc_realloc(p, n);
	return refuse() ? NULL : __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

/* ---- the project ---- */

static const char r1_text[] =
    "-- vmig:revision a1000000001\n"
    "-- vmig:down_revision\n"
    "-- vmig:message create items\n"
    "\n-- vmig:up\nCREATE TABLE items (id integer PRIMARY KEY, name text);\n"
    "INSERT INTO items (name) VALUES ('one'), ('two');\n"
    "\n-- vmig:down\nDROP TABLE items;\n";
static const char r2_text[] = "-- vmig:revision b2000000002\n"
                              "-- vmig:down_revision a1000000001\n"
                              "-- vmig:message add tags\n"
                              "\n-- vmig:up\nCREATE TABLE tags (id integer PRIMARY KEY);\n"
                              "CREATE INDEX items_name ON items (name);\n"
                              "\n-- vmig:down\nDROP INDEX items_name;\nDROP TABLE tags;\n";
static const char r3_text[] = "-- vmig:revision c3000000003\n"
                              "-- vmig:down_revision b2000000002\n"
                              "-- vmig:message add a view\n"
                              "\n-- vmig:up\nCREATE VIEW named AS SELECT name FROM items;\n"
                              "\n-- vmig:down\nDROP VIEW named;\n";

typedef struct fixture {
	char *dir;
	char config[4096];
	char db[4096];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	f->dir = tu_tempdir("oom");
	char yaml[8192];
	snprintf(f->db, sizeof f->db, "%s/app.db", f->dir);
	snprintf(yaml, sizeof yaml, "database_url: sqlite:///%s\nmigrations_dir: migrations\n",
	         f->db);
	tu_write(f->dir, "vmig.yaml", yaml);
	tu_write(f->dir, "migrations/a1000000001_create_items.sql", r1_text);
	tu_write(f->dir, "migrations/b2000000002_add_tags.sql", r2_text);
	tu_write(f->dir, "migrations/c3000000003_add_a_view.sql", r3_text);
	snprintf(f->config, sizeof f->config, "%s/vmig.yaml", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* How many descriptors are open; names (may be NULL) gets what they are. */
static int open_fds_named(char *names, size_t size)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	size_t len = 0;
	if (names && size)
		names[0] = '\0';
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		n++;
		char link[4096], to[4096] = "";
		snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
		ssize_t k = readlink(link, to, sizeof to - 1);
		to[k > 0 ? k : 0] = '\0';
		if (names && len < size)
			len += (size_t)snprintf(names + len, size - len, " %s=%s", e->d_name, to);
	}
	closedir(d);
	return n;
}

static int open_fds(void)
{
	return open_fds_named(NULL, 0);
}

/* The scenario's first problem ("" when none): reported once fds 1 and 2
 * are back, since a failure while they point at the capture would vanish. */
static char problem[8192];

static void note_problem(const char *what, const char *fmt, const char *detail, int rc)
{
	if (problem[0])
		return;
	int len = snprintf(problem, sizeof problem, "%s (allocation %ld%s): ", what, fail_at,
	                   fail_rest ? " and all after it" : "");
	snprintf(problem + len, sizeof problem - (size_t)len, fmt, rc, detail);
}

/* A call's result: fine, or an error with a message (never a bare code). */
static void expect_outcome(const char *what, int rc, const vmig_error *err)
{
	if (rc == VMIG_OK)
		return;
	if (rc != VMIG_ERR_RUNTIME && rc != VMIG_ERR_INPUT)
		note_problem(what, "unexpected code %d: %s", err->msg, rc);
	else if (err->code != rc || !err->msg[0])
		note_problem(what, "code %d without its message%s", "", rc);
}

static void expect_nothing_out(const char *what, int rc, const void *out)
{
	if (rc && out)
		note_problem(what, "failed (%d) but handed something out%s", "", rc);
}

/* What a user's program does: open, up, status, a test database, down one. */
static void scenario(const fixture *f)
{
	vmig_open_options o = {.struct_version = VMIG_OPEN_OPTIONS_VERSION,
	                       .config_path = f->config};
	vmig_project *p = NULL;
	vmig_error err = {0};
	armed = 1;
	seen = 0;
	int rc = vmig_project_open(&o, &p, &err);
	expect_outcome("vmig_project_open", rc, &err);
	expect_nothing_out("vmig_project_open", rc, p);
	if (!p) {
		armed = 0;
		return;
	}
	vmig_migrate_result res = {0};
	rc = vmig_up(p, NULL, NULL, &res, &err);
	expect_outcome("vmig_up", rc, &err);
	expect_nothing_out("vmig_up", rc, res.heads);
	vmig_free(res.heads);
	vmig_status_report *r = NULL;
	rc = vmig_status_get(p, NULL, &r, &err);
	expect_outcome("vmig_status_get", rc, &err);
	expect_nothing_out("vmig_status_get", rc, r);
	vmig_status_free(r);
	char *url = NULL;
	rc = vmig_testdb_new(p, NULL, &url, &err);
	expect_outcome("vmig_testdb_new", rc, &err);
	expect_nothing_out("vmig_testdb_new", rc, url);
	if (url) {
		rc = vmig_testdb_drop(p, url, NULL, &err);
		expect_outcome("vmig_testdb_drop", rc, &err);
	}
	vmig_free(url);
	char *shown = vmig_project_database_url_redacted(p);
	vmig_free(shown);
	rc = vmig_down(p, "-1", NULL, NULL, &err);
	expect_outcome("vmig_down", rc, &err);
	/* No message wanted: the library must still have somewhere to put one. */
	rc = vmig_up(p, "nosuchrevision", NULL, NULL, NULL);
	if (rc == VMIG_OK)
		note_problem("vmig_up nosuchrevision", "succeeded (%d)%s", "", rc);
	armed = 0;
	vmig_project_close(p);
}

/* With memory back: the database is whole and the project works. */
static void expect_recovered(const fixture *f)
{
	vmig_open_options o = {.struct_version = VMIG_OPEN_OPTIONS_VERSION,
	                       .config_path = f->config};
	vmig_project *p = NULL;
	vmig_error err = {0};
	if (vmig_project_open(&o, &p, &err))
		fail_msg("after allocation %ld failed: open: %s", fail_at, err.msg);
	if (vmig_up(p, NULL, NULL, NULL, &err))
		fail_msg("after allocation %ld failed: up: %s", fail_at, err.msg);
	vmig_status_report *r = NULL;
	if (vmig_status_get(p, NULL, &r, &err))
		fail_msg("after allocation %ld failed: status: %s", fail_at, err.msg);
	if (r->applied != 3 || r->pending || r->in_progress || r->drifted) {
		char *rows = tu_sqlite_query(
		    f->db, "SELECT revision || ' ' || quote(checksum) || ' ' || quote(message) || "
		           "' ' || quote(parents) FROM vmig_version");
		fail_msg("after allocation %ld failed: %zu applied, %zu pending, %zu in progress, "
		         "%zu drifted; the version table:\n%s",
		         fail_at, r->applied, r->pending, r->in_progress, r->drifted, rows);
	}
	vmig_status_free(r);
	vmig_project_close(p);
	if (fail_at % 16 == 1) { /* the sqlite3 shell is slow to start: a sample */
		char *rows = tu_sqlite_query(f->db, "SELECT count(*) FROM items");
		assert_string_equal(rows, "2");
		free(rows);
		char *ok = tu_sqlite_query(f->db, "PRAGMA integrity_check");
		assert_string_equal(ok, "ok");
		free(ok);
	}
}

/* Every database, template and lock file gone: each try starts the same. */
static void remove_databases(const fixture *f)
{
	DIR *d = opendir(f->dir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, "vmig.yaml") || !strcmp(e->d_name, "migrations") ||
		    !strcmp(e->d_name, "printed"))
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
		assert_int_equal(unlink(path), 0);
	}
	closedir(d);
}

/* Runs the scenario with fds 1 and 2 on the file at out, and fails if
 * anything was written there. */
static void scenario_silent(const fixture *f, int out)
{
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1), saved_err = dup(2);
	assert_true(saved_out >= 0 && saved_err >= 0);
	assert_true(dup2(out, 1) == 1 && dup2(out, 2) == 2);
	problem[0] = '\0';
	scenario(f);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	if (problem[0])
		fail_msg("%s", problem);
	struct stat st;
	assert_int_equal(fstat(out, &st), 0);
	if (st.st_size)
		fail_msg("allocation %ld failed: the library wrote %lld bytes", fail_at,
		         (long long)st.st_size);
}

/* Every allocation point of the scenario, failed once or for good. */
static void sweep(fixture *f, int rest)
{
	fail_at = 0;
	/* The first run pays for one-time set-up (libc's, SQLite's),
	 * which later runs do not: the second run is the one counted. */
	for (int run = 0; run < 2; run++) {
		remove_databases(f);
		scenario(f);
	}
	long total = seen;
	assert_true(total > 100);
	/* About 600 points spread evenly, a different 600 in each mode: every
	 * call and every kind of allocation in it, in about 15 s. */
	long step = total > 600 ? total / 600 : 1;
	char path[4096];
	snprintf(path, sizeof path, "%s/printed", f->dir);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(out >= 0);
	int fds = open_fds();
	long refused = 0;
	for (long n = 1 + (rest ? step / 2 : 0); n <= total; n += step) {
		remove_databases(f);
		fail_at = n;
		fail_rest = rest;
		failures = 0;
		scenario_silent(f, out);
		refused += failures > 0;
		fail_at = 0;
		char names[8192];
		int now = open_fds_named(names, sizeof names);
		if (now != fds)
			fail_msg("allocation %ld failed%s: %d descriptors open after, %d before:%s",
			         n, rest ? " (and all after it)" : "", now, fds, names);
		fail_at = n;
		expect_recovered(f);
		fail_at = 0;
	}
	close(out);
	if (refused < total / step - 1)
		fail_msg("only %ld of %ld points reached", refused, total / step);
	print_message("%ld allocation points, every %ld tried%s; %ld of them were reached\n", total,
	              step, rest ? " with every later one failing too" : "", refused);
}

static void test_one_allocation_fails(void **state)
{
	sweep(*state, 0);
}

static void test_memory_runs_out(void **state)
{
	sweep(*state, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_one_allocation_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_memory_runs_out, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
