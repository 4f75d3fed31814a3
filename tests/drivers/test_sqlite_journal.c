/*
 * test_sqlite_journal.c - the journal mode of a SQLite database around a vmig
 * run that writes: WAL for the run, the database's own mode afterwards, and
 * a run killed in WAL mode put right by the next vmig that reads it.
 */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fx {
	char *dir, *db, *url, *marker;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	f->dir = tu_tempdir("sqlite-journal");
	f->db = malloc(strlen(f->dir) + 16);
	sprintf(f->db, "%s/app.db", f->dir);
	f->url = malloc(strlen(f->db) + 16);
	sprintf(f->url, "sqlite:///%s", f->db);
	f->marker = malloc(strlen(f->db) + 16);
	sprintf(f->marker, "%s-vmig-wal", f->db);
	for (int i = 1; i <= 3; i++) {
		char rel[64], text[512];
		snprintf(rel, sizeof rel, "migrations/r%d.sql", i);
		snprintf(text, sizeof text,
		         "-- vmig:revision r%d\n-- vmig:down_revision %s\n-- vmig:message r%d\n"
		         "-- vmig:up\nCREATE TABLE t%d (id integer PRIMARY KEY);\n"
		         "-- vmig:down\nDROP TABLE t%d;\n",
		         i, i > 1 ? (i == 2 ? "r1" : "r2") : "", i, i, i);
		tu_write(f->dir, rel, text);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->db);
	free(f->url);
	free(f->marker);
	free(f);
	return 0;
}

static void vmig_ok(fx *f, const char *a, const char *b)
{
	tu_result r = tu_vmig(f->dir, NULL, "-d", f->url, a, b, NULL);
	if (r.status != 0)
		fail_msg("vmig %s %s exited %d:\n%s%s", a, b ? b : "", r.status, r.out, r.err);
	tu_result_free(&r);
}

static void expect_mode(fx *f, const char *mode)
{
	char *got = tu_sqlite_query(f->db, "PRAGMA journal_mode");
	assert_non_null(got);
	assert_string_equal(got, mode);
	free(got);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* What a run killed in WAL mode leaves: the database in WAL mode and the
 * marker beside it (the run's own connection is gone with the process). */
static void leave_as_a_killed_run(fx *f)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	tu_write("/", f->marker, "");
	expect_mode(f, "wal");
}

static void test_delete_mode_kept(void **state)
{
	fx *f = *state;
	vmig_ok(f, "up", "r2");
	expect_mode(f, "delete");
	vmig_ok(f, "up", NULL);
	expect_mode(f, "delete");
	vmig_ok(f, "down", "base");
	expect_mode(f, "delete");
	assert_false(exists(f->marker));
	char wal[4200];
	snprintf(wal, sizeof wal, "%s-wal", f->db);
	assert_false(exists(wal));
}

/* The application's own WAL mode stays, and vmig leaves no marker. */
static void test_wal_of_its_own_kept(void **state)
{
	fx *f = *state;
	vmig_ok(f, "up", "r1");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	vmig_ok(f, "up", NULL);
	expect_mode(f, "wal");
	assert_false(exists(f->marker));
	vmig_ok(f, "status", NULL);
	expect_mode(f, "wal");
}

/* Killed in WAL mode with nothing left to do: a no-op up puts DELETE back. */
static void test_killed_run_restored_by_a_noop_up(void **state)
{
	fx *f = *state;
	vmig_ok(f, "up", NULL);
	leave_as_a_killed_run(f);
	vmig_ok(f, "up", NULL);
	expect_mode(f, "delete");
	assert_false(exists(f->marker));
}

/* ... and by a run that writes, and by a read-only command. */
static void test_killed_run_restored_by_the_next_runs(void **state)
{
	fx *f = *state;
	vmig_ok(f, "up", "r1");
	leave_as_a_killed_run(f);
	vmig_ok(f, "up", NULL);
	expect_mode(f, "delete");
	assert_false(exists(f->marker));
	char *n = tu_sqlite_query(f->db, "SELECT count(*) FROM vmig_version");
	assert_string_equal(n, "3");
	free(n);
	leave_as_a_killed_run(f);
	vmig_ok(f, "status", NULL);
	expect_mode(f, "delete");
	assert_false(exists(f->marker));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_delete_mode_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wal_of_its_own_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_killed_run_restored_by_a_noop_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_killed_run_restored_by_the_next_runs, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
