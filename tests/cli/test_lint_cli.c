/*
 * test_lint_cli.c - `vmig lint` from the command line, on a SQLite project
 * with real database files: exit codes, file:line, --json, lint-ignore,
 * -q, the default selection (what the database has not applied), and that
 * linting creates, locks and writes nothing.
 */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char rev1[] = "-- vmig:revision 0001\n"
                           "-- vmig:message users\n"
                           "\n"
                           "-- vmig:up\n"
                           "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n"
                           "ALTER TABLE users ADD COLUMN n INT NOT NULL;\n"
                           "\n"
                           "-- vmig:down\n"
                           "DROP TABLE users;\n";
static const char rev2[] = "-- vmig:revision 0002\n"
                           "-- vmig:down_revision 0001\n"
                           "\n"
                           "-- vmig:up\n"
                           "-- vmig:lint-ignore rename-column\n"
                           "ALTER TABLE users RENAME COLUMN email TO mail;\n"
                           "ALTER TABLE users DROP COLUMN n;\n";
static const char rev3[] = "-- vmig:revision 0003\n"
                           "-- vmig:down_revision 0002\n"
                           "\n"
                           "-- vmig:up\n"
                           "ALTER TABLE users ADD COLUMN u INT UNIQUE;\n";

static char *project(const char *name)
{
	char *dir = tu_tempdir(name);
	char yaml[600];
	snprintf(yaml, sizeof yaml, "database_url: sqlite:///%s/app.db\n", dir);
	tu_write(dir, "vmig.yaml", yaml);
	tu_write(dir, "migrations/0001_users.sql", rev1);
	tu_write(dir, "migrations/0002_rename.sql", rev2);
	tu_write(dir, "migrations/0003_unique.sql", rev3);
	return dir;
}

static void test_exit_codes_and_lines(void **state)
{
	(void)state;
	char *dir = project("lint_exit");
	tu_result r = tu_vmig(dir, NULL, "lint", "0001", "0002", NULL);
	assert_int_equal(r.status, 0);
	/* the table made in the same revision is not "existing"; the ignore works */
	assert_not_contains(r.out, "0001_users.sql");
	assert_not_contains(r.out, "rename-column");
	assert_contains(r.out, "migrations/0002_rename.sql:7: warning: drop-column: ");
	assert_contains(r.out, "\n  safer: ");
	assert_contains(r.err,
	                "lint: 2 revision(s) (named, sqlite rules): 0 error(s), 1 warning(s)");
	tu_result_free(&r);

	r = tu_vmig(dir, NULL, "lint", NULL);
	assert_int_equal(r.status, 3);
	assert_contains(r.out, "migrations/0003_unique.sql:5: error: add-column-unique: ");
	tu_result_free(&r);

	r = tu_vmig(dir, NULL, "lint", "-q", "0003", NULL);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.err, "");
	tu_result_free(&r);

	r = tu_vmig(dir, NULL, "lint", "nope", NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "\"nope\"");
	tu_result_free(&r);

	r = tu_vmig(dir, NULL, "lint", "--wait", NULL);
	assert_int_equal(r.status, 2);
	tu_result_free(&r);

	/* a migration file that is not a revision is bad input, with file:line */
	tu_write(dir, "migrations/0004_bad.sql", "-- vmig:revision 0004\nSELECT 1;\n");
	r = tu_vmig(dir, NULL, "lint", NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "0004_bad.sql:2");
	tu_result_free(&r);

	/* linting created no database */
	char db[600];
	snprintf(db, sizeof db, "%s/app.db", dir);
	assert_int_not_equal(access(db, F_OK), 0);
	tu_rmtree(dir);
	free(dir);
}

static void test_json(void **state)
{
	(void)state;
	char *dir = project("lint_json");
	tu_result r = tu_vmig(dir, NULL, "lint", "--json", NULL);
	assert_int_equal(r.status, 3);
	cJSON *o = cJSON_Parse(r.out);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "dialect")->valuestring, "sqlite");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "revisions")), 3);
	assert_int_equal(cJSON_GetObjectItem(o, "errors")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(o, "warnings")->valueint, 1);
	cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "findings"), 1);
	assert_string_equal(cJSON_GetObjectItem(f, "file")->valuestring,
	                    "migrations/0003_unique.sql");
	assert_int_equal(cJSON_GetObjectItem(f, "line")->valueint, 5);
	assert_string_equal(cJSON_GetObjectItem(f, "revision")->valuestring, "0003");
	assert_string_equal(cJSON_GetObjectItem(f, "rule")->valuestring, "add-column-unique");
	assert_string_equal(cJSON_GetObjectItem(f, "severity")->valuestring, "error");
	assert_true(strlen(cJSON_GetObjectItem(f, "safer")->valuestring) > 10);
	cJSON_Delete(o);
	tu_result_free(&r);
	tu_rmtree(dir);
	free(dir);
}

/* With a database: only what it has not applied, and it is left as it was. */
static void test_default_selection(void **state)
{
	(void)state;
	char *dir = project("lint_pending");
	tu_result r = tu_vmig(dir, NULL, "up", "0002", NULL);
	assert_int_equal(r.status, 0);
	tu_result_free(&r);
	char db[600], copy[600], other[600];
	snprintf(db, sizeof db, "%s/app.db", dir);
	snprintf(copy, sizeof copy, "%s/app.db.before", dir);
	snprintf(other, sizeof other, "%s/other.db", dir);
	tu_copy(db, copy);

	r = tu_vmig(dir, NULL, "lint", NULL);
	assert_int_equal(r.status, 3);
	assert_not_contains(r.out, "0002_rename.sql");
	assert_contains(r.out, "0003_unique.sql:5: error:");
	assert_contains(r.err, "lint: 1 revision(s) (not yet applied, sqlite rules)");
	tu_result_free(&r);
	assert_true(tu_same_file(db, copy));

	/* -d names the database: the same; a missing SQLite file: all, none created */
	char url[600];
	snprintf(url, sizeof url, "sqlite:///%s/other.db", dir);
	r = tu_vmig(dir, NULL, "lint", "-d", url, NULL);
	assert_int_equal(r.status, 3);
	assert_contains(r.out, "0002_rename.sql:7: warning: drop-column:");
	assert_contains(r.err, "lint: 3 revision(s)");
	tu_result_free(&r);
	assert_int_not_equal(access(other, F_OK), 0);

	/* what lint said cannot work, does not */
	r = tu_vmig(dir, NULL, "up", NULL);
	assert_int_not_equal(r.status, 0);
	assert_contains(r.err, "Cannot add a UNIQUE column");
	tu_result_free(&r);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_codes_and_lines),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_default_selection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
