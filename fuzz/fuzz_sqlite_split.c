/*
 * fuzz_sqlite_split.c - the SQLite statement walk (drivers/sqlite_split.h).
 *
 * The walk prepares each statement on an in-memory database; the callback
 * here never steps one (fuzzer-made SQL must not run: it could ATTACH files),
 * it checks that each statement lies inside the text, after the previous
 * one, starts at a real token, and that `text` points at it; and that only
 * blanks (by SQLite's tokenizer) are left between and after the statements.
 */
#include "sqlite_split.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
	const char *sql;
	size_t size;
	size_t prev_end;
	size_t count;
};

static void check(int ok, const char *what, size_t i)
{
	if (!ok) {
		fprintf(stderr, "fuzz_sqlite_split: property violated at statement %zu: %s\n", i,
		        what);
		abort();
	}
}

/*
 * The harness's own reading of what lies between statements, after SQLite's
 * tokenizer rather than the walk's helper: white space (tab to CR, space),
 * `--` comments to LF, slash-star comments (not nested; an open one runs to
 * the end) and the ';' of empty statements.
 */
static size_t skip_blank(const char *sql, size_t len, size_t off)
{
	while (off < len) {
		char c = sql[off];
		if (c == ' ' || (c >= '\t' && c <= '\r') || c == ';') {
			off++;
		} else if (off + 1 < len && c == '-' && sql[off + 1] == '-') {
			while (off < len && sql[off] != '\n')
				off++;
		} else if (off + 1 < len && c == '/' && sql[off + 1] == '*') {
			size_t close = off + 2;
			while (close + 1 < len && !(sql[close] == '*' && sql[close + 1] == '/'))
				close++;
			off = close + 1 < len ? close + 2 : len;
		} else {
			break;
		}
	}
	return off;
}

static int on_statement(void *ctx, sqlite3_stmt *st, const char *text, size_t offset, size_t len,
                        vmig_error *err)
{
	struct walk *w = ctx;
	(void)err;
	check(st != NULL, "the statement is prepared", w->count);
	check(offset <= w->size && len <= w->size - offset, "the statement is inside the text",
	      w->count);
	check(len > 0, "the statement is not empty", w->count);
	check(offset >= w->prev_end, "statements are in order and do not overlap", w->count);
	check(text == w->sql + offset, "text points at the statement", w->count);
	check(skip_blank(w->sql, w->size, offset) == offset, "the statement starts at a real token",
	      w->count);
	/* A NUL ends the text for SQLite; revision files never hold one. */
	check(memchr(w->sql, '\0', offset) || skip_blank(w->sql, offset, w->prev_end) == offset,
	      "nothing but blanks is skipped before the statement", w->count);
	w->prev_end = offset + len;
	w->count++;
	return 0;
}

static sqlite3 *db;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db) {
		if (sqlite3_open(":memory:", &db) != SQLITE_OK)
			abort();
		/* Belt and braces: nothing is stepped, but no file is attached either. */
		sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	}
	/* Exactly size bytes: the walk takes a length, not a C string. */
	char *sql = malloc(size ? size : 1);
	if (!sql)
		return 0;
	if (size)
		memcpy(sql, data, size);
	struct walk w = {.sql = sql, .size = size};
	size_t fail_off = (size_t)-1;
	vmig_error err = {0};
	int rc = vmig_sqlite_each_statement(db, sql, size, on_statement, &w, &fail_off, &err);
	if (rc != VMIG_OK) {
		check(err.msg[0] != '\0', "a failure has a message", w.count);
		check(fail_off <= size, "the failure offset is in the text", w.count);
		check(fail_off >= w.prev_end, "the failure is after the statements walked",
		      w.count);
	} else {
		check(fail_off == (size_t)-1, "success leaves the failure offset alone", w.count);
		check(memchr(sql, '\0', size) || skip_blank(sql, size, w.prev_end) == size,
		      "nothing but blanks is left after the last statement", w.count);
	}
	free(sql);
	return 0;
}
