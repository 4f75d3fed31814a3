/*
 * test_sqlite_lint.c - `vmig lint`'s SQLite rules (drivers/sqlite_lint.c):
 * every rule fires where it must and stays quiet where it must not.  Each
 * error-level case is also run on a real SQLite database, which must refuse
 * it as the finding says.
 */
#include "testutil.h"

#include "lintcase.h"

#include <sqlite3.h>
#include <stdlib.h>

#define T  true
#define NT false

static const lint_case cases[] = {
    {"ALTER TABLE t ADD COLUMN c INTEGER PRIMARY KEY;\n", T, "add-column-unique", true, 1},
    {"ALTER TABLE t ADD c INT CONSTRAINT u UNIQUE;\n", T, "add-column-unique", true, 1},
    {"CREATE TABLE n (a INT);\nALTER TABLE n ADD COLUMN c INT UNIQUE;\n", T, "add-column-unique",
     true, 2},
    {"ALTER TABLE t ADD COLUMN c INT REFERENCES u (id);\n", T, "add-column-unique", false, 0},

    {"ALTER TABLE t ADD COLUMN c INT NOT NULL;\n", T, "not-null-without-default", true, 1},
    {"ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT NULL;\n", T, "not-null-without-default", true,
     1},
    {"ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT -1;\n", T, "not-null-without-default", false,
     0},
    {"ALTER TABLE t ADD COLUMN c TEXT NOT NULL DEFAULT ('x');\n", T, "not-null-without-default",
     false, 0},
    {"CREATE TABLE n (a INT);\nALTER TABLE n ADD COLUMN c INT NOT NULL;\n", T,
     "not-null-without-default", false, 0},

    {"ALTER TABLE t ADD COLUMN c TEXT DEFAULT CURRENT_TIMESTAMP;\n", T, "non-constant-default",
     true, 1},
    {"ALTER TABLE t ADD COLUMN c INT DEFAULT (1 + 1);\n", T, "non-constant-default", true, 1},
    {"ALTER TABLE t ADD COLUMN c INT DEFAULT (random());\n", T, "non-constant-default", true, 1},
    {"ALTER TABLE t ADD COLUMN c INT DEFAULT (5);\n", T, "non-constant-default", false, 0},
    {"ALTER TABLE t ADD COLUMN c BLOB DEFAULT x'00';\n", T, "non-constant-default", false, 0},
    {"CREATE TABLE n (a INT);\nALTER TABLE n ADD COLUMN c TEXT DEFAULT CURRENT_TIMESTAMP;\n", T,
     "non-constant-default", false, 0},

    {"ALTER TABLE t ADD COLUMN c INT GENERATED ALWAYS AS (a + 1) STORED;\n", T, "add-column-stored",
     true, 1},
    {"ALTER TABLE t ADD COLUMN c INT AS (a + 1) VIRTUAL;\n", T, "add-column-stored", false, 0},

    {"ALTER TABLE t ADD COLUMN c INT REFERENCES u (x) DEFAULT 1;\n", T, "references-with-default",
     true, 1},
    {"ALTER TABLE t ADD COLUMN c INT REFERENCES u (x);\n", T, "references-with-default", false, 0},

    {"ALTER TABLE t ALTER COLUMN a TYPE TEXT;\n", T, "alter-unsupported", true, 1},
    {"ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\n", T, "alter-unsupported", true, 1},
    {"ALTER TABLE t DROP CONSTRAINT c;\n", T, "alter-unsupported", true, 1},
    {"ALTER TABLE t ADD COLUMN \"check\" INT;\n", T, "alter-unsupported", false, 0},

    {"ALTER TABLE t DROP COLUMN a;\n", T, "drop-column", true, 1},
    {"CREATE TABLE n (a INT, b INT);\nALTER TABLE n DROP COLUMN b;\n", T, "drop-column", false, 0},
    {"ALTER TABLE t RENAME COLUMN a TO b;\n", T, "rename-column", true, 1},
    {"ALTER TABLE t RENAME a TO b;\n", T, "rename-column", true, 1},
    {"CREATE TABLE [n] (a INT);\nALTER TABLE N RENAME a TO b;\n", T, "rename-column", false, 0},
    {"ALTER TABLE main.t RENAME TO u;\n", T, "rename-table", true, 1},
    {"CREATE TABLE t_new (a INT);\nALTER TABLE t_new RENAME TO t;\nALTER TABLE t DROP COLUMN "
     "a;\n",
     T, "drop-column", false, 0},
    {"CREATE TABLE t_new (a INT);\nALTER TABLE t_new RENAME TO t;\n", T, "rename-table", false, 0},
    {"DROP TABLE IF EXISTS t;\n", T, "drop-table", true, 1},
    {"CREATE VIRTUAL TABLE IF NOT EXISTS v USING fts5(a);\nDROP TABLE v;\n", T, "drop-table", false,
     0},
    {"CREATE TEMP TABLE IF NOT EXISTS x (a);\nDROP TABLE x;\n", T, "drop-table", false, 0},

    {"PRAGMA foreign_keys = OFF;\n", T, "pragma-in-transaction", true, 1},
    {"PRAGMA foreign_keys = OFF;\n", NT, "pragma-in-transaction", false, 0},
    {"PRAGMA foreign_key_check;\n", T, "pragma-in-transaction", false, 0},

    {"BEGIN;\nCREATE TABLE x (a);\nCOMMIT;\n", T, "transaction-control", true, 1},
    {"SAVEPOINT a;\nROLLBACK TO a;\nRELEASE a;\n", T, "transaction-control", false, 0},

    {"CREATE TABLE x (a);\nCREATE TABLE y (a);\n", NT, "transaction-off-several-statements", true,
     1},
    {"PRAGMA foreign_keys=OFF;\nBEGIN;\nCREATE TABLE x (a);\nDROP TABLE t;\nCOMMIT;\nPRAGMA "
     "foreign_keys=ON;\n",
     NT, "transaction-off-several-statements", false, 0},
    {"CREATE TABLE x (a);\nCREATE TABLE y (a);\n", T, "transaction-off-several-statements", false,
     0},
};

static void test_rules(void **state)
{
	(void)state;
	lint_run_cases(&vmig_sqlite_driver, cases, sizeof cases / sizeof *cases);
}

/* What the rules say SQLite refuses, SQLite refuses: each firing case of
 * the rules below on a database with t (one row) and u. */
static void test_sqlite_agrees(void **state)
{
	(void)state;
	static const char *const refused[] = {"add-column-unique",       "not-null-without-default",
	                                      "non-constant-default",    "add-column-stored",
	                                      "references-with-default", "alter-unsupported"};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		bool check = false;
		for (size_t k = 0; k < sizeof refused / sizeof *refused; k++)
			check = check || strcmp(cases[i].rule, refused[k]) == 0;
		if (!check)
			continue;
		sqlite3 *db;
		assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db,
		                              "PRAGMA foreign_keys=ON; CREATE TABLE u (x INTEGER "
		                              "PRIMARY KEY); CREATE TABLE t (a INT); INSERT INTO t "
		                              "VALUES (1);",
		                              NULL, NULL, NULL),
		                 SQLITE_OK);
		int rc = sqlite3_exec(db, cases[i].sql, NULL, NULL, NULL);
		if ((rc != SQLITE_OK) != cases[i].fires)
			fail_msg("SQLite %s: %s", rc ? "refused" : "ran", cases[i].sql);
		sqlite3_close(db);
	}
}

/* A huge section with a finding per statement, on one line or many: every
 * finding on its line.  (Lines and ignore comments were found by reading the
 * text from its start for each finding: 40,000 findings took a minute;
 * a return of that would show in the suite's time.) */
static void test_huge_section(void **state)
{
	(void)state;
	for (int one_line = 0; one_line < 2; one_line++) {
		vmig_buf sql = {0};
		for (int i = 0; i < 40000; i++)
			vmig_buf_printf(&sql, "ALTER TABLE t%d DROP COLUMN a;%s", i,
			                one_line ? " " : "\r\n");
		vmig_lint_findings f;
		lint_sql(&vmig_sqlite_driver, sql.data, true, &f);
		assert_int_equal(f.n, 40000);
		assert_int_equal(f.items[f.n - 1].line,
		                 LINT_HEADER_LINES + 1 + (one_line ? 0 : 39999));
		vmig_lint_findings_free(&f);
		vmig_buf_free(&sql);
	}
}

/* An ignore comment may give its reason after a ':' or a further `--`: the
 * reason's words are not rule names (they were each reported as an unknown
 * rule, and the rule stayed on). */
static void test_ignore_reason(void **state)
{
	(void)state;
	static const char *const sql[] = {
	    "-- vmig:lint-ignore drop-column: nothing reads it since release 12\n"
	    "ALTER TABLE t DROP COLUMN a;\n",
	    "-- vmig:lint-ignore drop-column, rename-table -- unused since release 12\n"
	    "ALTER TABLE t DROP COLUMN a;\n",
	    "-- vmig:lint-ignore drop-column:reason\n"
	    "ALTER TABLE t DROP COLUMN a;\n",
	};
	for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
		vmig_lint_findings f;
		lint_sql(&vmig_sqlite_driver, sql[i], true, &f);
		lint_print(&f);
		assert_int_equal(f.n, 0);
		vmig_lint_findings_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_sqlite_agrees),
	    cmocka_unit_test(test_huge_section),
	    cmocka_unit_test(test_ignore_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
