/*
 * test_sqlite_split.c - splitting SQLite SQL into statements by its text
 * (drivers/sqlite_split.c: vmig_sqlite_split_text, used to report the
 * statement at fault and by `vmig lint`): where statements end around
 * strings, names, comments and trigger bodies, and agreement with the plain
 * reading (every ';' tested with sqlite3_complete) on text built from those
 * pieces.
 */
#include "testutil.h"

#include "buf.h"
#include "sqlite_split.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* The plain reading: each ';' ends a statement when the text from the
 * statement's start up to it is complete. */
static size_t reference_split(const char *sql, size_t len, vmig_sqlite_text_stmt *out, size_t max)
{
	vmig_buf cand = {0};
	size_t n = 0, start = vmig_sqlite_skip_blank(sql, len, 0);
	for (size_t i = start; i < len; i++) {
		if (sql[i] != ';')
			continue;
		vmig_buf_reset(&cand);
		vmig_buf_add(&cand, sql + start, i + 1 - start);
		if (!sqlite3_complete(vmig_buf_str(&cand)))
			continue;
		if (n < max)
			out[n] = (vmig_sqlite_text_stmt){start, i + 1 - start, true};
		n++;
		start = vmig_sqlite_skip_blank(sql, len, i + 1);
		i = start - 1;
	}
	if (start < len) {
		if (n < max)
			out[n] = (vmig_sqlite_text_stmt){start, len - start, false};
		n++;
	}
	vmig_buf_free(&cand);
	return n;
}

static void expect_same(const char *sql, size_t len)
{
	vmig_sqlite_text_stmt got[64], want[64];
	size_t n = vmig_sqlite_split_text(sql, len, got, 64);
	size_t m = reference_split(sql, len, want, 64);
	if (n != m)
		fail_msg("%zu statements where sqlite3_complete finds %zu in:\n%.*s", n, m,
		         (int)len, sql);
	for (size_t i = 0; i < n && i < 64; i++)
		if (got[i].offset != want[i].offset || got[i].len != want[i].len ||
		    got[i].terminated != want[i].terminated)
			fail_msg(
			    "statement %zu: at %zu+%zu (%d), sqlite3_complete: %zu+%zu (%d), in:\n"
			    "%.*s",
			    i, got[i].offset, got[i].len, got[i].terminated, want[i].offset,
			    want[i].len, want[i].terminated, (int)len, sql);
}

static void test_statement_ends(void **state)
{
	(void)state;
	static const struct {
		const char *sql;
		size_t n; /* statements */
		int last_terminated;
	} cases[] = {
	    {"SELECT 1; SELECT 2;", 2, 1},
	    {"SELECT ';'; SELECT 2;", 2, 1},
	    {"SELECT 'it''s;'; SELECT 2;", 2, 1},
	    {"SELECT \"a;b\" FROM t; SELECT 2;", 2, 1},
	    {"SELECT `a;b`, [c;d] FROM t; SELECT 2;", 2, 1},
	    {"SELECT 1 -- ; not here\n; SELECT 2;", 2, 1},
	    {"SELECT 1 /* ; nor here */; SELECT 2;", 2, 1},
	    {"SELECT x';'; SELECT 2;", 2, 1},
	    {"CREATE TRIGGER r AFTER INSERT ON t BEGIN UPDATE t SET a = 1; DELETE FROM u; END; "
	     "SELECT 2;",
	     2, 1},
	    {"CREATE TEMP TRIGGER r AFTER INSERT ON t BEGIN SELECT ';'; END;", 1, 1},
	    {"SELECT 'unclosed; SELECT 2;", 1, 0},
	    {"SELECT 1 /* unclosed; SELECT 2;", 1, 0},
	    {"SELECT [unclosed; SELECT 2;", 1, 0},
	    {"SELECT 1; SELECT 2", 2, 0},
	    {"SELECT 5--3;\n;SELECT 2;", 2, 1},
	    {"SELECT 1 / 2; SELECT 3 - 4;", 2, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *sql = cases[i].sql;
		vmig_sqlite_text_stmt st[8];
		size_t n = vmig_sqlite_split_text(sql, strlen(sql), st, 8);
		if (n != cases[i].n)
			fail_msg("%zu statements, expected %zu, in: %s", n, cases[i].n, sql);
		assert_int_equal(st[n - 1].terminated, cases[i].last_terminated);
		expect_same(sql, strlen(sql));
	}
}

/* Text made of pieces that open and close strings, names, comments and
 * trigger bodies, in many orders: the same statements as the plain reading. */
static void test_agrees_with_sqlite3_complete(void **state)
{
	(void)state;
	static const char *const pieces[] = {
	    "SELECT 1", ";",  " ",  "'",  "''",
	    "\"",       "`",  "[",  "]",  "--",
	    "\n",       "/*", "*/", "x'", "CREATE TRIGGER r AFTER INSERT ON t BEGIN ",
	    " END",     "-",  "/",  "a",  "CASE WHEN 1 THEN 2 END",
	};
	size_t npieces = sizeof pieces / sizeof *pieces;
	unsigned seed = 12345;
	for (int round = 0; round < 20000; round++) {
		vmig_buf sql = {0};
		int k = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;
		for (int j = 0; j < k; j++) {
			seed = seed * 1103515245u + 12345u;
			vmig_buf_puts(&sql, pieces[(seed >> 16) % npieces]);
		}
		expect_same(sql.data, sql.len);
		vmig_buf_free(&sql);
	}
}

/* An unclosed string before a long tail of ';': one incomplete statement.
 * (Every ';' in it was a candidate tested from the start, so a file of a
 * few megabytes took minutes.) */
static void test_unclosed_string_before_a_long_tail(void **state)
{
	(void)state;
	vmig_buf sql = {0};
	vmig_buf_puts(&sql, "SELECT 1;\nINSERT INTO t VALUES ('unclosed);\n");
	for (int i = 0; i < 200000; i++)
		vmig_buf_puts(&sql, "UPDATE t SET a = 1;\n");
	vmig_sqlite_text_stmt st[4];
	size_t n = vmig_sqlite_split_text(sql.data, sql.len, st, 4);
	assert_int_equal(n, 2);
	assert_true(st[0].terminated);
	assert_false(st[1].terminated);
	assert_int_equal(st[1].offset, 10);
	assert_int_equal(st[1].len, sql.len - 10);
	vmig_buf_free(&sql);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_statement_ends),
	    cmocka_unit_test(test_agrees_with_sqlite3_complete),
	    cmocka_unit_test(test_unclosed_string_before_a_long_tail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
