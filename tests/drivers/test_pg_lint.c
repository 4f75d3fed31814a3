/*
 * test_pg_lint.c - `vmig lint`'s PostgreSQL rules (drivers/pg_lint.c) and
 * the core around them (src/lint.c): every rule fires where it must and
 * stays quiet where it must not, lines, ignore comments.  No server needed.
 */
#include "testutil.h"

#include "lintcase.h"

#include <stdlib.h>

#define T  true  /* transactional revision */
#define NT false /* `-- vmig:transaction off` */

static const lint_case cases[] = {
    {"SELEC 1;\n", T, "syntax-error", true, 1},
    {"SELECT 1;\nALTER TABLE t\n  ADD COLUMN a int NOT NULL DEFAULT 0,\n  ADD COLUMN b\n", T,
     "syntax-error", true, 0},
    {"SELECT 'unterminated;\n", T, "syntax-error", true, 1},
    {"SELECT 1;\n", T, "syntax-error", false, 0},
    /* the statements around one that does not parse are still linted */
    {"SELEC 1;\nCREATE INDEX i ON t (a);\n", T, "index-not-concurrent", true, 2},

    {"CREATE INDEX CONCURRENTLY i ON t (a);\n", T, "needs-transaction-off", true, 1},
    {"CREATE INDEX CONCURRENTLY i ON t (a);\n", NT, "needs-transaction-off", false, 0},
    {"DROP INDEX CONCURRENTLY i;\n", T, "needs-transaction-off", true, 1},
    {"VACUUM t;\n", T, "needs-transaction-off", true, 1},
    {"REINDEX (CONCURRENTLY) INDEX i;\n", T, "needs-transaction-off", true, 1},
    {"ALTER TABLE t DETACH PARTITION p CONCURRENTLY;\n", T, "needs-transaction-off", true, 1},
    {"VACUUM t;\n", NT, "needs-transaction-off", false, 0},
    {"REINDEX SCHEMA s;\n", T, "needs-transaction-off", true, 1},
    {"REINDEX SCHEMA s;\n", NT, "needs-transaction-off", false, 0},
    {"REINDEX TABLE t;\n", T, "needs-transaction-off", false, 0},

    {"COMMIT;\n", T, "transaction-control", true, 1},
    {"BEGIN;\nSELECT 1;\n", T, "transaction-control", true, 1},
    {"SAVEPOINT a;\nRELEASE a;\n", T, "transaction-control", false, 0},
    {"BEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\n", NT, "transaction-control", false, 0},

    {"\n-- an index\nCREATE INDEX i ON t (a);\n", T, "index-not-concurrent", true, 3},
    {"DROP INDEX i;\n", T, "index-not-concurrent", true, 1},
    {"REINDEX TABLE t;\n", T, "index-not-concurrent", true, 1},
    {"CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);\n", T, "index-not-concurrent", false, 0},
    {"CREATE TABLE s.t (a int);\nCREATE INDEX i ON s.t (a);\nDROP INDEX s.i;\n", T,
     "index-not-concurrent", false, 0},
    {"CREATE INDEX CONCURRENTLY i ON t (a);\n", NT, "index-not-concurrent", false, 0},

    {"ALTER TABLE t ADD CONSTRAINT u UNIQUE (a);\n", T, "constraint-builds-index", true, 1},
    {"ALTER TABLE t ADD PRIMARY KEY (a);\n", T, "constraint-builds-index", true, 1},
    {"ALTER TABLE t ADD COLUMN a int UNIQUE;\n", T, "constraint-builds-index", true, 1},
    {"ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i;\n", T, "constraint-builds-index", false,
     0},

    {"ALTER TABLE t\n  ALTER COLUMN a TYPE bigint;\n", T, "alter-column-type", true, 2},
    {"CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;\n", T, "alter-column-type",
     false, 0},

    {"ALTER TABLE t SET LOGGED;\n", T, "table-rewrite", true, 1},
    {"VACUUM FULL t;\n", NT, "table-rewrite", true, 1},
    {"CLUSTER t USING i;\n", T, "table-rewrite", true, 1},
    {"ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a * 2) STORED;\n", T, "table-rewrite",
     true, 1},
    {"ALTER TABLE t SET (fillfactor = 70);\n", T, "table-rewrite", false, 0},

    {"ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n", T, "set-not-null", true, 1},
    {"ALTER TABLE t VALIDATE CONSTRAINT a_not_null;\nALTER TABLE t ALTER COLUMN a SET NOT "
     "NULL;\n",
     T, "set-not-null", false, 0},
    {"CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;\n", T, "set-not-null",
     false, 0},

    {"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id);\n", T,
     "constraint-not-valid", true, 1},
    {"ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\n", T, "constraint-not-valid", true, 1},
    {"ALTER TABLE t ADD COLUMN u_id bigint REFERENCES u (id);\n", T, "constraint-not-valid", true,
     1},
    {"ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE "
     "CONSTRAINT c;\n",
     T, "constraint-not-valid", true, 2},
    {"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) NOT VALID;\n", T,
     "constraint-not-valid", false, 0},
    {"ALTER TABLE t VALIDATE CONSTRAINT c;\n", T, "constraint-not-valid", false, 0},
    {"ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE "
     "CONSTRAINT c;\n",
     NT, "constraint-not-valid", false, 0},
    {"CREATE TABLE t (a int REFERENCES u (id));\nALTER TABLE t ADD CHECK (a > 0);\n", T,
     "constraint-not-valid", false, 0},

    {"ALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid();\n", T, "volatile-default", true,
     1},
    {"ALTER TABLE t ADD COLUMN n bigserial;\n", T, "volatile-default", true, 1},
    {"ALTER TABLE t ADD COLUMN r float DEFAULT random() * 10;\n", T, "volatile-default", true, 1},
    {"ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now();\n", T, "volatile-default", false, 0},
    {"ALTER TABLE t ADD COLUMN c timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP;\n", T,
     "volatile-default", false, 0},
    {"ALTER TABLE t ADD COLUMN s text DEFAULT 'x'::text;\n", T, "volatile-default", false, 0},
    {"CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid();\n", T,
     "volatile-default", false, 0},

    {"ALTER TABLE t ADD COLUMN b int NOT NULL;\n", T, "not-null-without-default", true, 1},
    {"ALTER TABLE t ADD COLUMN b int NOT NULL DEFAULT 0;\n", T, "not-null-without-default", false,
     0},
    {"ALTER TABLE t ADD COLUMN b bigserial NOT NULL;\n", T, "not-null-without-default", false, 0},
    {"CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int NOT NULL;\n", T,
     "not-null-without-default", false, 0},

    {"ALTER TABLE t RENAME COLUMN a TO b;\n", T, "rename-column", true, 1},
    {"CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;\n", T, "rename-column", false,
     0},
    {"ALTER TABLE t RENAME TO u;\n", T, "rename-table", true, 1},
    {"ALTER VIEW v RENAME TO w;\n", T, "rename-table", true, 1},
    {"ALTER INDEX i RENAME TO j;\n", T, "rename-table", false, 0},
    /* a table created here keeps being new under its new name */
    {"CREATE TABLE t_new (a int);\nALTER TABLE t_new RENAME TO t;\nCREATE INDEX i ON t (a);\n", T,
     "index-not-concurrent", false, 0},

    {"ALTER TABLE t DROP COLUMN a;\n", T, "drop-column", true, 1},
    {"CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN a;\n", T, "drop-column", false, 0},
    {"DROP TABLE IF EXISTS s.t, u;\n", T, "drop-table", true, 1},
    {"CREATE TABLE s.t (a int);\nDROP TABLE s.t;\n", T, "drop-table", false, 0},
    {"DROP VIEW v;\n", T, "drop-table", false, 0},

    {"CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY j ON t (b);\n", NT,
     "transaction-off-several-statements", true, 1},
    {"SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY i ON t (a);\n", NT,
     "transaction-off-several-statements", false, 0},
    {"BEGIN;\nALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD COLUMN b int;\nCOMMIT;\n", NT,
     "transaction-off-several-statements", false, 0},
    {"CREATE TABLE t (a int);\nCREATE TABLE u (a int);\n", T, "transaction-off-several-statements",
     false, 0},
    /* steps that can all be run again */
    {"DROP INDEX CONCURRENTLY IF EXISTS i;\nCREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX "
     "CONCURRENTLY IF EXISTS j;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS j ON t (b);\n",
     NT, "transaction-off-several-statements", false, 0},
    {"CREATE TABLE IF NOT EXISTS t (a int);\nALTER TABLE t ADD COLUMN IF NOT EXISTS b int;\nDROP "
     "TABLE IF EXISTS u;\n",
     NT, "transaction-off-several-statements", false, 0},
    /* IF NOT EXISTS skips the INVALID index a failed CONCURRENTLY build leaves */
    {"CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nCREATE INDEX CONCURRENTLY IF NOT "
     "EXISTS j ON t (b);\n",
     NT, "transaction-off-several-statements", true, 1},
    {"DROP INDEX CONCURRENTLY IF EXISTS i;\nCREATE INDEX CONCURRENTLY j ON t (a);\n", NT,
     "transaction-off-several-statements", true, 1},

    {"ALTER TABLE t ADD COLUMN a int;\n", T, "lock-timeout", true, 1},
    {"CREATE INDEX i ON t (a);\n", T, "lock-timeout", true, 1},
    {"CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\n", T, "lock-timeout",
     true, 1},
    {"SET lock_timeout = 0;\nALTER TABLE t ADD COLUMN a int;\n", T, "lock-timeout", true, 2},
    {"SET LOCAL lock_timeout = '1s';\nALTER TABLE t ADD COLUMN a int;\n", T, "lock-timeout", false,
     0},
    {"SET lock_timeout TO 500;\nDROP TABLE t;\n", T, "lock-timeout", false, 0},
    /* half a second is a timeout, not 0 */
    {"SET lock_timeout = '0.5s';\nALTER TABLE t ADD COLUMN a int;\n", T, "lock-timeout", false, 0},
    {"SET lock_timeout = '0ms';\nALTER TABLE t ADD COLUMN a int;\n", T, "lock-timeout", true, 2},
    {"CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\n", T, "lock-timeout", false, 0},
    {"ALTER TABLE t VALIDATE CONSTRAINT c;\n", T, "lock-timeout", false, 0},
    {"ALTER TABLE t SET (fillfactor = 70);\n", T, "lock-timeout", false, 0},
    {"TRUNCATE t;\n", T, "lock-timeout", true, 1},
    {"REINDEX INDEX i;\n", T, "lock-timeout", true, 1},
    {"CREATE TABLE t (a int);\nREINDEX TABLE t;\n", T, "lock-timeout", false, 0},
    {"REFRESH MATERIALIZED VIEW v;\n", T, "lock-timeout", true, 1},
    {"REFRESH MATERIALIZED VIEW CONCURRENTLY v;\n", T, "lock-timeout", false, 0},
    /* a new table's foreign key locks the existing table it references */
    {"CREATE TABLE t (a int REFERENCES u (id));\n", T, "lock-timeout", true, 1},
    {"CREATE TABLE t (a int, FOREIGN KEY (a) REFERENCES u (id));\n", T, "lock-timeout", true, 1},
    {"CREATE TABLE t (a int);\nALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u (id);\n", T,
     "lock-timeout", true, 2},
    {"CREATE TABLE u (id int PRIMARY KEY);\nCREATE TABLE t (a int REFERENCES u (id));\n", T,
     "lock-timeout", false, 0},
    /* ATTACH PARTITION: SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the table */
    {"CREATE TABLE p2 (a int);\nALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2);\n", T,
     "lock-timeout", false, 0},
    {"ALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2);\n", T, "lock-timeout", true, 1},
    /* SET LOCAL outside a transaction does nothing */
    {"SET LOCAL lock_timeout = '1s';\nALTER TABLE t ALTER COLUMN a SET NOT NULL;\n", NT,
     "lock-timeout", true, 2},
    {"BEGIN;\nSET LOCAL lock_timeout = '1s';\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\n", NT,
     "lock-timeout", false, 0},

    {"BEGIN;\nSET LOCAL lock_timeout = '1s';\nCOMMIT;\nALTER TABLE t ADD COLUMN a int;\n", NT,
     "lock-timeout", true, 4},
    {"ALTER TABLE t SET (user_catalog_table = true);\n", T, "lock-timeout", true, 1},
    {"CREATE TABLE p2 PARTITION OF p FOR VALUES IN (2);\n", T, "lock-timeout", true, 1},
    {"CREATE TABLE p (a int) PARTITION BY LIST (a);\nCREATE TABLE p2 PARTITION OF p FOR VALUES "
     "IN (2);\n",
     T, "lock-timeout", false, 0},

    {"DROP DATABASE scratch;\n", NT, "drop-database", true, 1},
    {"DROP DATABASE IF EXISTS scratch;\n", T, "drop-database", true, 1},
    {"DROP SCHEMA scratch;\n", T, "drop-database", false, 0},

    {"TRUNCATE t;\n", T, "truncate", true, 1},
    {"TRUNCATE TABLE s.t CASCADE;\n", T, "truncate", true, 1},
    {"CREATE TABLE t (a int);\nTRUNCATE t;\n", T, "truncate", false, 0},

    {"ALTER TABLE p DETACH PARTITION c;\n", T, "detach-partition-not-concurrent", true, 1},
    {"ALTER TABLE p DETACH PARTITION c CONCURRENTLY;\n", NT, "detach-partition-not-concurrent",
     false, 0},
    {"CREATE TABLE p (a int) PARTITION BY LIST (a);\nALTER TABLE p DETACH PARTITION c;\n", T,
     "detach-partition-not-concurrent", false, 0},

    {"ALTER TYPE e ADD VALUE 'v';\nUPDATE t SET s = 'v' WHERE s = 'w';\n", T,
     "enum-value-used-in-transaction", true, 2},
    {"ALTER TYPE e ADD VALUE IF NOT EXISTS 'v';\nALTER TABLE t ALTER COLUMN s SET DEFAULT "
     "'v'::e;\n",
     T, "enum-value-used-in-transaction", true, 2},
    {"ALTER TYPE e ADD VALUE 'v';\nUPDATE t SET s = 'w';\n", T, "enum-value-used-in-transaction",
     false, 0},
    {"ALTER TYPE e ADD VALUE 'v';\nUPDATE t SET s = 'v';\n", NT, "enum-value-used-in-transaction",
     false, 0},
    {"UPDATE t SET s = 'v';\nALTER TYPE e ADD VALUE 'v';\n", T, "enum-value-used-in-transaction",
     false, 0},

    {"ALTER TABLE t ALTER COLUMN a DROP NOT NULL;\n", T, "drop-not-null", true, 1},
    {"CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;\n", T,
     "drop-not-null", false, 0},

    {"SET LOCAL lock_timeout = '5s';\nALTER TABLE t ADD COLUMN a int;\n", NT,
     "set-local-outside-transaction", true, 1},
    {"SET LOCAL lock_timeout = '5s';\nALTER TABLE t ADD COLUMN a int;\n", T,
     "set-local-outside-transaction", false, 0},
    {"BEGIN;\nSET LOCAL statement_timeout = '5s';\nUPDATE t SET a = 1;\nCOMMIT;\n", NT,
     "set-local-outside-transaction", false, 0},
    {"SET lock_timeout = '5s';\nALTER TABLE t ADD COLUMN a int;\n", NT,
     "set-local-outside-transaction", false, 0},

    {"REFRESH MATERIALIZED VIEW v;\n", T, "refresh-not-concurrent", true, 1},
    {"REFRESH MATERIALIZED VIEW CONCURRENTLY v;\n", T, "refresh-not-concurrent", false, 0},
    {"CREATE MATERIALIZED VIEW v AS SELECT 1 AS a;\nREFRESH MATERIALIZED VIEW v;\n", T,
     "refresh-not-concurrent", false, 0},
};

static void test_rules(void **state)
{
	(void)state;
	lint_run_cases(&vmig_postgres_driver, cases, sizeof cases / sizeof *cases);
}

static size_t count(const vmig_lint_findings *f, const char *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += strcmp(f->items[i].rule, rule) == 0;
	return n;
}

static void test_lock_timeout_once_per_revision(void **state)
{
	(void)state;
	vmig_lint_findings f;
	lint_sql(&vmig_postgres_driver,
	         "ALTER TABLE t ADD COLUMN a int;\nALTER TABLE u ADD COLUMN b int;\n", true, &f);
	assert_int_equal(count(&f, "lock-timeout"), 1);
	assert_int_equal(lint_find(&f, "lock-timeout")->line, 3);
	vmig_lint_findings_free(&f);
}

static void test_ignore_comments(void **state)
{
	(void)state;
	vmig_lint_findings f;
	/* silenced: directly above, among other comment lines, several names */
	lint_sql(&vmig_postgres_driver,
	         "SET LOCAL lock_timeout = '1s';\n"
	         "-- vmig:lint-ignore drop-column\n"
	         "ALTER TABLE t DROP COLUMN a;\n"
	         "-- vmig:lint-ignore rename-column, drop-table\n"
	         "-- the old name is unused since release 12\n"
	         "ALTER TABLE t RENAME COLUMN b TO c;\n",
	         true, &f);
	lint_print(&f);
	assert_int_equal(f.n, 0);
	vmig_lint_findings_free(&f);

	/* not silenced: a blank line between, another statement's, another rule */
	lint_sql(&vmig_postgres_driver,
	         "SET LOCAL lock_timeout = '1s';\n"
	         "-- vmig:lint-ignore drop-column\n"
	         "\n"
	         "ALTER TABLE t DROP COLUMN a;\n"
	         "-- vmig:lint-ignore rename-column\n"
	         "ALTER TABLE t DROP COLUMN b;\n",
	         true, &f);
	assert_int_equal(count(&f, "drop-column"), 2);
	assert_int_equal(f.n, 2);
	vmig_lint_findings_free(&f);

	/* a typo is reported where it is, and silences nothing */
	lint_sql(&vmig_postgres_driver,
	         "SET LOCAL lock_timeout = '1s';\n"
	         "-- vmig:lint-ignore drop-colum\n"
	         "ALTER TABLE t DROP COLUMN a;\n"
	         "--vmig:lint-ignore\n"
	         "SELECT 1;\n",
	         true, &f);
	assert_int_equal(count(&f, "drop-column"), 1);
	assert_int_equal(count(&f, VMIG_LINT_UNKNOWN_IGNORE), 2);
	const vmig_lint_finding *u = lint_find(&f, VMIG_LINT_UNKNOWN_IGNORE);
	assert_int_equal(u->line, 4);
	assert_int_equal(u->severity, VMIG_LINT_WARNING);
	assert_contains(u->message, "\"drop-colum\"");
	/* in line order */
	for (size_t i = 1; i < f.n; i++)
		assert_true(f.items[i - 1].line <= f.items[i].line);
	vmig_lint_findings_free(&f);
}

static void test_severity_and_names(void **state)
{
	(void)state;
	vmig_lint_findings f;
	lint_sql(&vmig_postgres_driver,
	         "CREATE INDEX CONCURRENTLY i ON \"Users\" (a);\nALTER TABLE \"Users\" DROP COLUMN "
	         "\"E\x1b[31m\";\n",
	         true, &f);
	const vmig_lint_finding *e = lint_find(&f, "needs-transaction-off");
	assert_non_null(e);
	assert_int_equal(e->severity, VMIG_LINT_ERROR);
	const vmig_lint_finding *w = lint_find(&f, "drop-column");
	assert_int_equal(w->severity, VMIG_LINT_WARNING);
	/* names as written (case kept when quoted), control bytes escaped */
	assert_contains(w->message, "\"Users\"");
	assert_contains(w->message, "E\\x1b[31m");
	assert_int_equal(vmig_lint_errors(&f), 1);
	vmig_lint_findings_free(&f);
}

/* A NUL in the section, and text PostgreSQL's scanner rejects: one finding. */
static void test_bad_text(void **state)
{
	(void)state;
	vmig_lint_findings f = {0};
	vmig_error err = {0};
	static const char sql[] = "SELECT 1;\nSELECT $$x;\n";
	assert_int_equal(vmig_postgres_driver.lint(sql, sizeof sql - 1, true, &f, &err), VMIG_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.items[0].rule, "syntax-error");
	vmig_lint_findings_free(&f);
	static const char nul[] = "SELECT 1;\0DROP TABLE t;";
	assert_int_equal(vmig_postgres_driver.lint(nul, sizeof nul - 1, true, &f, &err), VMIG_OK);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.items[0].offset, 9);
	vmig_lint_findings_free(&f);
}

/* A parse tree deeper than cJSON reads (400 nested calls in a default) is
 * still linted: what is too deep counts as not known to be stable. */
static void test_deep_nesting(void **state)
{
	(void)state;
	vmig_buf sql = {0};
	vmig_buf_puts(&sql, "ALTER TABLE t ADD COLUMN c int DEFAULT ");
	for (int i = 0; i < 400; i++)
		vmig_buf_puts(&sql, "lower(");
	vmig_buf_puts(&sql, "'x'");
	for (int i = 0; i < 400; i++)
		vmig_buf_putc(&sql, ')');
	vmig_buf_puts(&sql, ";\n");
	vmig_lint_findings f;
	lint_sql(&vmig_postgres_driver, sql.data, true, &f);
	const vmig_lint_finding *v = lint_find(&f, "volatile-default");
	assert_non_null(v);
	assert_contains(v->message, "nested too deeply");
	assert_null(lint_find(&f, "syntax-error"));
	vmig_lint_findings_free(&f);
	vmig_buf_free(&sql);
}

/* A scan error's statement is the section's first token, so that an ignore
 * comment above it works like one above any statement. */
static void test_scan_error_statement(void **state)
{
	(void)state;
	vmig_lint_findings f = {0};
	vmig_error err = {0};
	static const char sql[] = "\t\n  SELECT 'unterminated;\n";
	assert_int_equal(vmig_postgres_driver.lint(sql, sizeof sql - 1, true, &f, &err), VMIG_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.items[0].rule, "syntax-error");
	assert_int_equal(f.items[0].stmt, 4);
	assert_true(f.items[0].offset >= f.items[0].stmt);
	vmig_lint_findings_free(&f);
	lint_sql(&vmig_postgres_driver, "-- vmig:lint-ignore syntax-error\nSELECT $$x;\n", true,
	         &f);
	assert_int_equal(f.n, 0);
	vmig_lint_findings_free(&f);
}

static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t k = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : 3;
		if (*p >= 0x80 && (*p & 0xC0) == 0x80)
			return false;
		for (p++; k > 0; k--, p++)
			if ((*p & 0xC0) != 0x80)
				return false;
	}
	return true;
}

/* Messages are UTF-8: the parser quotes half a character after a number
 * ("trailing junk"), and a long message is not cut inside one. */
static void test_messages_utf8(void **state)
{
	(void)state;
	vmig_lint_findings f;
	lint_sql(&vmig_postgres_driver, "SELECT 9\xe0\xbc\xb0;\n", true, &f);
	const vmig_lint_finding *s = lint_find(&f, "syntax-error");
	assert_non_null(s);
	assert_true(utf8_ok(s->message));
	assert_contains(s->message, "\\xe0");
	vmig_lint_findings_free(&f);

	char name[1100];
	memset(name, 'a', 1022);
	strcpy(name + 1022, "\xc3\xa9tail");
	memset(&f, 0, sizeof f);
	vmig_lint_add(&f, 0, 0, "drop-table", VMIG_LINT_WARNING, "x", "%s", name);
	assert_true(utf8_ok(f.items[0].message));
	assert_int_equal(strlen(f.items[0].message), 1022);
	vmig_lint_findings_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_lock_timeout_once_per_revision),
	    cmocka_unit_test(test_ignore_comments),
	    cmocka_unit_test(test_severity_and_names),
	    cmocka_unit_test(test_bad_text),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_scan_error_statement),
	    cmocka_unit_test(test_messages_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
