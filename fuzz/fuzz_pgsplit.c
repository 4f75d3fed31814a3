/*
 * fuzz_pgsplit.c - the PostgreSQL statement splitter (drivers/pgsplit.h).
 *
 * Properties, on success: every statement lies inside the text, is not empty,
 * starts at a real token and ends before trailing white space; statements
 * come in order and do not overlap; and the text between them is only white
 * space, comments and `;` (nothing is skipped silently), where blank is
 * what PostgreSQL's scanner says it is.  On a scan error no
 * statements are returned and the error offset is inside the text or unknown.
 */
#include "pgsplit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, size_t i)
{
	if (!ok) {
		fprintf(stderr, "fuzz_pgsplit: property violated at statement %zu: %s\n", i, what);
		abort();
	}
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * The harness's own reading of what is blank, after PostgreSQL's scanner
 * (scan.l) rather than the splitter's helper, so that the two can disagree:
 * white space, `--` comments, which end at LF or CR, and slash-star
 * comments, which nest.
 */
static size_t skip_blank(const char *sql, size_t end, size_t off)
{
	while (off < end) {
		if (is_space(sql[off])) {
			off++;
		} else if (off + 1 < end && sql[off] == '-' && sql[off + 1] == '-') {
			while (off < end && sql[off] != '\n' && sql[off] != '\r')
				off++;
		} else if (off + 1 < end && sql[off] == '/' && sql[off + 1] == '*') {
			int depth = 0;
			while (off < end) {
				if (off + 1 < end && sql[off] == '/' && sql[off + 1] == '*') {
					depth++;
					off += 2;
				} else if (off + 1 < end && sql[off] == '*' &&
				           sql[off + 1] == '/') {
					off += 2;
					if (--depth == 0)
						break;
				} else {
					off++;
				}
			}
		} else {
			break;
		}
	}
	return off;
}

/* True when sql[from, to) holds only blanks, comments and ';'. */
static int only_blanks(const char *sql, size_t from, size_t to)
{
	for (;;) {
		from = skip_blank(sql, to, from);
		if (from >= to)
			return 1;
		if (sql[from] != ';')
			return 0;
		from++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes: the splitter takes a length, not a C string. */
	char *sql = malloc(size ? size : 1);
	vmig_pgstmt *st = NULL;
	size_t n = 0, err_off = 0;
	vmig_error err = {0};

	if (!sql)
		return 0;
	if (size)
		memcpy(sql, data, size);
	int rc = vmig_pgsplit(sql, size, &st, &n, &err_off, &err);
	if (rc != VMIG_OK) {
		check(rc == VMIG_ERR_INPUT && err.msg[0],
		      "an error is VMIG_ERR_INPUT with a message", 0);
		check(st == NULL && n == 0, "an error returns no statements", 0);
		check(err_off == VMIG_PGSPLIT_NO_OFFSET || err_off <= size,
		      "the error offset is in the text", 0);
		free(sql);
		return 0;
	}
	check((n == 0) == (st == NULL), "NULL exactly when there are no statements", 0);
	size_t prev_end = 0;
	for (size_t i = 0; i < n; i++) {
		size_t off = st[i].offset, len = st[i].len;
		check(off <= size && len <= size - off, "the statement is inside the text", i);
		check(len > 0, "the statement is not empty", i);
		check(off >= prev_end, "statements are in order and do not overlap", i);
		check(skip_blank(sql, size, off) == off, "the statement starts at a real token", i);
		check(!is_space(sql[off + len - 1]), "the statement ends before white space", i);
		check(only_blanks(sql, prev_end, off), "the text before it is only blanks and ;",
		      i);
		prev_end = off + len;
	}
	check(only_blanks(sql, prev_end, size), "the text after the last is only blanks and ;", n);

	free(st);
	free(sql);
	return 0;
}
