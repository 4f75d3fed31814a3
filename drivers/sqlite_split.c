/*
 * sqlite_split.c - statement by statement with SQLite's parser (see sqlite_split.h).
 */
#include "sqlite_split.h"

#include "../src/alloc.h"
#include "../src/buf.h"

#include <limits.h>
#include <string.h>

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

size_t vmig_sqlite_comment_end(const char *sql, size_t len, size_t off)
{
	if (len - off < 2 ||
	    !((sql[off] == '-' && sql[off + 1] == '-') || (sql[off] == '/' && sql[off + 1] == '*')))
		return off;
	if (sql[off] == '-') {
		const char *nl = memchr(sql + off, '\n', len - off);
		return nl ? (size_t)(nl - sql) : len;
	}
	/* SQLite's block comments do not nest; an unclosed one runs to the end. */
	for (size_t p = off + 2; p + 1 < len; p++)
		if (sql[p] == '*' && sql[p + 1] == '/')
			return p + 2;
	return len;
}

size_t vmig_sqlite_quoted_end(const char *sql, size_t len, size_t off)
{
	char c = sql[off], close = c == '[' ? ']' : c;
	if (c != '\'' && c != '"' && c != '`' && c != '[')
		return vmig_sqlite_comment_end(sql, len, off);
	for (size_t p = off + 1; p < len; p++) {
		if (sql[p] != close)
			continue;
		if (close != ']' && p + 1 < len && sql[p + 1] == close)
			p++; /* a doubled quote stands for itself */
		else
			return p + 1;
	}
	return len;
}

/*
 * A ';' standing alone is skipped too: sqlite3_prepare_v2 passes over empty
 * statements by itself, so without this `;; COMMIT` would be prepared as
 * COMMIT while the text vmig looks at starts with ';'.
 */
size_t vmig_sqlite_skip_blank(const char *sql, size_t len, size_t off)
{
	while (off < len) {
		size_t past = vmig_sqlite_comment_end(sql, len, off);
		if (past != off)
			off = past;
		else if (is_space(sql[off]) || sql[off] == ';')
			off++;
		else
			break;
	}
	return off;
}

int vmig_sqlite_each_statement(sqlite3 *db, const char *sql, size_t len, vmig_sqlite_stmt_fn fn,
                               void *ctx, size_t *fail_offset, vmig_error *err)
{
	size_t off = 0;
	if (len > INT_MAX)
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "the SQL is larger than SQLite accepts (2 GiB)");
	while ((off = vmig_sqlite_skip_blank(sql, len, off)) < len) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		const char *start = sql + off;
		if (sqlite3_prepare_v2(db, start, (int)(len - off), &st, &tail) != SQLITE_OK) {
			*fail_offset = off;
			return vmig_fail(err, VMIG_ERR_RUNTIME, "SQLite error: %s",
			                 sqlite3_errmsg(db));
		}
		/* No statement although the text is not blank (only a comment SQLite
		 * reads differently): nothing more to run. */
		size_t next = tail && tail > start ? (size_t)(tail - sql) : len;
		if (!st)
			break;
		int rc = fn(ctx, st, start, off, next - off, err);
		sqlite3_finalize(st);
		if (rc) {
			*fail_offset = off;
			return rc;
		}
		off = next;
	}
	return VMIG_OK;
}

char *vmig_sqlite_lone_cr_to_lf(const char *sql, size_t len)
{
	char *copy = NULL;
	for (size_t i = 0; i < len; i++) {
		if (sql[i] != '\r' || (i + 1 < len && sql[i + 1] == '\n'))
			continue;
		if (!copy) {
			copy = xmalloc(len + 1);
			memcpy(copy, sql, len);
			copy[len] = '\0';
		}
		copy[i] = '\n';
	}
	return copy;
}

/*
 * A statement ends at the first ';' after which the text so far is complete
 * as sqlite3_complete() reads it: not inside a string, an identifier, a
 * comment or a trigger's BEGIN ... END.  Quotes and comments are skipped
 * here first, so that only a ';' outside them is a candidate: each
 * candidate is tested from the statement's own start, and a ';' inside an
 * unclosed string would otherwise make a large file quadratic.
 */
size_t vmig_sqlite_split_text(const char *sql, size_t len, vmig_sqlite_text_stmt *out, size_t max)
{
	vmig_buf cand = {0};
	size_t n = 0, start = vmig_sqlite_skip_blank(sql, len, 0);
	for (size_t i = start; i < len; i++) {
		size_t past = vmig_sqlite_quoted_end(sql, len, i);
		if (past != i) {
			i = past - 1;
			continue;
		}
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
		i = start - 1; /* the loop's i++ lands on start */
	}
	if (start < len) {
		if (n < max)
			out[n] = (vmig_sqlite_text_stmt){start, len - start, false};
		n++;
	}
	vmig_buf_free(&cand);
	return n;
}
