/*
 * test_pgsplit.c - splitting PostgreSQL SQL into statements (drivers/pgsplit.c).
 * No server needed: this is PostgreSQL's own scanner and grammar, offline.
 */
#include "testutil.h"

#include "pgsplit.h"

#include <pg_query.h>
#include <stdlib.h>
#include <string.h>

/* Splits sql and checks it gave exactly the statements in want (NULL-ended),
 * each compared as text. */
static void expect_split(const char *sql, const char *const *want)
{
	vmig_pgstmt *st = NULL;
	size_t n = 0;
	vmig_error err = {0};
	size_t nwant = 0;

	assert_int_equal(vmig_pgsplit(sql, strlen(sql), &st, &n, NULL, &err), VMIG_OK);
	while (want[nwant])
		nwant++;
	if (n != nwant) {
		for (size_t i = 0; i < n; i++)
			print_message("got [%zu] <%.*s>\n", i, (int)st[i].len, sql + st[i].offset);
	}
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++) {
		char *got = strndup(sql + st[i].offset, st[i].len);
		assert_string_equal(got, want[i]);
		free(got);
	}
	free(st);
}

static void test_simple(void **state)
{
	(void)state;
	expect_split("SELECT 1; SELECT 2", (const char *[]){"SELECT 1", "SELECT 2", NULL});
	expect_split("SELECT 1;\nSELECT 2;\n", (const char *[]){"SELECT 1", "SELECT 2", NULL});
}

static void test_dollar_quotes_with_tags(void **state)
{
	(void)state;
	const char *fn = "CREATE FUNCTION f() RETURNS int AS $fn$\n"
	                 "BEGIN\n  PERFORM 1; -- ; inside\n  RETURN $$;$$::text;\nEND\n"
	                 "$fn$ LANGUAGE plpgsql";
	char *sql = malloc(strlen(fn) + 32);
	strcpy(sql, fn);
	strcat(sql, ";\nSELECT f();");
	expect_split(sql, (const char *[]){fn, "SELECT f()", NULL});
	free(sql);

	expect_split(
	    "DO $x$ BEGIN RAISE NOTICE 'a;b'; END $x$; SELECT 2",
	    (const char *[]){"DO $x$ BEGIN RAISE NOTICE 'a;b'; END $x$", "SELECT 2", NULL});
	/* $1 is a parameter, not a quote; $a$ inside $b$ is text */
	expect_split("SELECT $b$ $a$ ; $a$ $b$; SELECT 3",
	             (const char *[]){"SELECT $b$ $a$ ; $a$ $b$", "SELECT 3", NULL});
}

static void test_escape_strings(void **state)
{
	(void)state;
	expect_split("SELECT E'it\\'s; here'; SELECT 'a''b;c'",
	             (const char *[]){"SELECT E'it\\'s; here'", "SELECT 'a''b;c'", NULL});
}

static void test_quoted_identifiers(void **state)
{
	(void)state;
	expect_split("CREATE TABLE \"a;b\" (\"c;\"\"d\" int); SELECT 1",
	             (const char *[]){"CREATE TABLE \"a;b\" (\"c;\"\"d\" int)", "SELECT 1", NULL});
}

static void test_nested_block_comments(void **state)
{
	(void)state;
	expect_split("SELECT 1 /* /* ; */ still ; */; /* lead; /* x */ */ SELECT 2",
	             (const char *[]){"SELECT 1 /* /* ; */ still ; */", "SELECT 2", NULL});
}

static void test_line_comments(void **state)
{
	(void)state;
	expect_split("-- header; not a statement\nSELECT 1; -- tail; too\n-- more ;\nSELECT 2",
	             (const char *[]){"SELECT 1", "SELECT 2", NULL});
}

static void test_empty_statements(void **state)
{
	(void)state;
	expect_split("SELECT 1;  ;  \n", (const char *[]){"SELECT 1", NULL});
	expect_split("SELECT 1;;;SELECT 2;;", (const char *[]){"SELECT 1", "SELECT 2", NULL});
	expect_split("", (const char *[]){NULL});
	expect_split(" ; ; -- only a comment\n/* and ; this */", (const char *[]){NULL});
}

static void test_offsets_skip_leading_comments(void **state)
{
	(void)state;
	const char *sql = "SELECT 1;\n\n-- explain\n/* more */\nSELECT 1/0;";
	vmig_pgstmt *st;
	size_t n;
	vmig_error err = {0};
	assert_int_equal(vmig_pgsplit(sql, strlen(sql), &st, &n, NULL, &err), VMIG_OK);
	assert_int_equal(n, 2);
	assert_int_equal(st[0].offset, 0);
	assert_int_equal(st[1].offset, (size_t)(strstr(sql, "SELECT 1/0") - sql));
	free(st);
}

static void test_begin_atomic_and_rules(void **state)
{
	(void)state;
	expect_split(
	    "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; "
	    "END; SELECT 3",
	    (const char *[]){"CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC "
	                     "SELECT 1; SELECT 2; END",
	                     "SELECT 3", NULL});
	expect_split(
	    "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2); SELECT 3",
	    (const char *[]){"CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)",
	                     "SELECT 3", NULL});
}

/* Text the grammar refuses (newer syntax, a typo) still splits by the scanner. */
static void test_unparsable_falls_back_to_scanner(void **state)
{
	(void)state;
	expect_split("CREATE TABLE t (a int) NEWFANGLED; SELECT 2",
	             (const char *[]){"CREATE TABLE t (a int) NEWFANGLED", "SELECT 2", NULL});
	/* what the scanner's split leaves out (no keyword, an open parenthesis)
	 * is kept, never dropped: the server is to report it */
	expect_split("SELEC 1; SELECT 2", (const char *[]){"SELEC 1", "SELECT 2", NULL});
	expect_split("CREATE TABLE t (a int);\nSELECT (1 +",
	             (const char *[]){"CREATE TABLE t (a int)", "SELECT (1 +", NULL});
	expect_split("SELECT 1; SELECT (2 +; SELECT 3;; ",
	             (const char *[]){"SELECT 1", "SELECT (2 +; SELECT 3", NULL});
}

static void test_scan_error(void **state)
{
	(void)state;
	const char *sql = "SELECT 'é';\nSELECT $$never closed";
	vmig_pgstmt *st = (vmig_pgstmt *)1;
	size_t n = 99, off = 0;
	vmig_error err = {0};
	assert_int_equal(vmig_pgsplit(sql, strlen(sql), &st, &n, &off, &err), VMIG_ERR_INPUT);
	assert_null(st);
	assert_int_equal(n, 0);
	assert_contains(err.msg, "unterminated dollar-quoted string");
	assert_int_equal(off, (size_t)(strstr(sql, "$$") - sql));

	const char *q = "SELECT 1; SELECT 'open";
	assert_int_equal(vmig_pgsplit(q, strlen(q), &st, &n, &off, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "unterminated quoted string");
	assert_int_equal(off, 17);

	const char *c = "SELECT 1 /* /* */";
	assert_int_equal(vmig_pgsplit(c, strlen(c), &st, &n, NULL, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "unterminated /* comment");
}

/* The parser counts the characters before an error as PostgreSQL does, by
 * each lead byte's length, also where the text is not valid UTF-8: the
 * offset is the error's byte there too (it was counted by continuation
 * bytes, and landed two bytes early after a lone 0xe9). */
static void test_scan_error_after_invalid_utf8(void **state)
{
	(void)state;
	const char *sql = "SELECT '\xe9"
	                  "ab', $$never closed";
	vmig_pgstmt *st = NULL;
	size_t n = 0, off = 0;
	vmig_error err = {0};
	assert_int_equal(vmig_pgsplit(sql, strlen(sql), &st, &n, &off, &err), VMIG_ERR_INPUT);
	assert_int_equal(off, (size_t)(strstr(sql, "$$") - sql));
}

static void test_not_nul_terminated(void **state)
{
	(void)state;
	const char buf[] = "SELECT 1; SELECT 2; garbage that is not passed";
	vmig_pgstmt *st;
	size_t n;
	vmig_error err = {0};
	assert_int_equal(vmig_pgsplit(buf, 18, &st, &n, NULL, &err), VMIG_OK);
	assert_int_equal(n, 2);
	assert_int_equal(st[1].offset, 10);
	assert_int_equal(st[1].len, 8);
	free(st);

	const char nul[] = "SELECT 1;\0SELECT 2";
	size_t off;
	assert_int_equal(vmig_pgsplit(nul, sizeof nul - 1, &st, &n, &off, &err), VMIG_ERR_INPUT);
	assert_int_equal(off, 9);
}

static void test_skip_blank(void **state)
{
	(void)state;
	const char *s = "  -- a\n /* b /* c */ d */\tX";
	assert_int_equal(vmig_pgsplit_skip_blank(s, strlen(s), 0), strlen(s) - 1);
	assert_int_equal(vmig_pgsplit_skip_blank(s, 3, 0), 2); /* a lone "-" is no comment */
	assert_int_equal(vmig_pgsplit_skip_blank("/* open", 7, 0), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simple),
	    cmocka_unit_test(test_dollar_quotes_with_tags),
	    cmocka_unit_test(test_escape_strings),
	    cmocka_unit_test(test_quoted_identifiers),
	    cmocka_unit_test(test_nested_block_comments),
	    cmocka_unit_test(test_line_comments),
	    cmocka_unit_test(test_empty_statements),
	    cmocka_unit_test(test_offsets_skip_leading_comments),
	    cmocka_unit_test(test_begin_atomic_and_rules),
	    cmocka_unit_test(test_unparsable_falls_back_to_scanner),
	    cmocka_unit_test(test_scan_error),
	    cmocka_unit_test(test_scan_error_after_invalid_utf8),
	    cmocka_unit_test(test_not_nul_terminated),
	    cmocka_unit_test(test_skip_blank),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pg_query_exit(); /* libpg_query's top memory context, for valgrind */
	return rc;
}
