/*
 * pgsplit.c - statement splitting with libpg_query (see pgsplit.h).
 */
#include "pgsplit.h"

#include "../src/alloc.h"

#include <pg_query.h>
#include <string.h>

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Skips a slash-star comment starting at off; PostgreSQL's nest. */
static size_t skip_block_comment(const char *s, size_t end, size_t off)
{
	int depth = 0;

	while (off < end) {
		if (off + 1 < end && s[off] == '/' && s[off + 1] == '*') {
			depth++;
			off += 2;
		} else if (off + 1 < end && s[off] == '*' && s[off + 1] == '/') {
			off += 2;
			if (--depth == 0)
				return off;
		} else {
			off++;
		}
	}
	return end;
}

size_t vmig_pgsplit_skip_blank(const char *sql, size_t end, size_t off)
{
	while (off < end) {
		if (is_space(sql[off])) {
			off++;
		} else if (off + 1 < end && sql[off] == '-' && sql[off + 1] == '-') {
			/* PostgreSQL's scanner ends a comment at CR too */
			while (off < end && sql[off] != '\n' && sql[off] != '\r')
				off++;
		} else if (off + 1 < end && sql[off] == '/' && sql[off + 1] == '*') {
			off = skip_block_comment(sql, end, off);
		} else {
			break;
		}
	}
	return off;
}

size_t vmig_pgsplit_char_offset(const char *s, size_t len, int pos)
{
	if (pos <= 0)
		return VMIG_PGSPLIT_NO_OFFSET;
	size_t off = 0;
	for (int ch = 1; ch < pos && off < len; ch++) {
		unsigned char c = (unsigned char)s[off];
		size_t k = (c & 0xE0) == 0xC0   ? 2
		           : (c & 0xF0) == 0xE0 ? 3
		           : (c & 0xF8) == 0xF0 ? 4
		                                : 1;
		off += k < len - off ? k : len - off;
	}
	return off;
}

static void push(vmig_pgstmt **stmts, size_t *n, size_t *cap, size_t start, size_t end)
{
	XGROW(*stmts, *cap, *n + 1);
	(*stmts)[*n].offset = start;
	(*stmts)[*n].len = end - start;
	(*n)++;
}

/* Adds text[start, end) as a statement, blanks around it dropped, if any is left. */
static void add_stmt(const char *text, size_t start, size_t end, vmig_pgstmt **stmts, size_t *n,
                     size_t *cap)
{
	start = vmig_pgsplit_skip_blank(text, end, start);
	while (end > start && is_space(text[end - 1]))
		end--;
	if (start < end)
		push(stmts, n, cap, start, end);
}

/*
 * Text between two statements should be blanks, comments and `;`.  The
 * scanner's split drops a statement that has no keyword or unbalanced
 * parentheses (invalid SQL either way); such text is kept as a statement of
 * its own, so that nothing is ever skipped silently: the server reports it.
 */
static void add_gap(const char *text, size_t start, size_t end, vmig_pgstmt **stmts, size_t *n,
                    size_t *cap)
{
	for (;;) {
		start = vmig_pgsplit_skip_blank(text, end, start);
		if (start >= end || text[start] != ';')
			break;
		start++;
	}
	while (end > start && (is_space(text[end - 1]) || text[end - 1] == ';'))
		end--;
	add_stmt(text, start, end, stmts, n, cap);
}

/* Copies the split result into *stmts, in order, with any text it left out. */
static void collect(const char *text, size_t len, const PgQuerySplitResult *r, vmig_pgstmt **stmts,
                    size_t *n)
{
	size_t cap = 0, prev_end = 0;

	*stmts = NULL;
	*n = 0;
	for (int i = 0; i < r->n_stmts; i++) {
		size_t start = (size_t)r->stmts[i]->stmt_location;
		size_t end = start + (size_t)r->stmts[i]->stmt_len;

		if (end > len)
			end = len;
		if (start < prev_end || start > end)
			continue; /* never seen; kept out of the arithmetic below */
		add_gap(text, prev_end, start, stmts, n, &cap);
		add_stmt(text, start, end, stmts, n, &cap);
		prev_end = end;
	}
	add_gap(text, prev_end, len, stmts, n, &cap);
}

int vmig_pgsplit(const char *sql, size_t len, vmig_pgstmt **stmts, size_t *n, size_t *err_offset,
                 vmig_error *err)
{
	*stmts = NULL;
	*n = 0;
	if (err_offset)
		*err_offset = VMIG_PGSPLIT_NO_OFFSET;
	if (memchr(sql, '\0', len)) {
		if (err_offset)
			*err_offset = (size_t)((const char *)memchr(sql, '\0', len) - sql);
		return vmig_fail(err, VMIG_ERR_INPUT, "the SQL contains a NUL byte");
	}

	/* libpg_query wants a C string; this copy is freed below. */
	char *text = xstrndup(sql, len);
	PgQuerySplitResult r = pg_query_split_with_parser(text);
	if (r.error) {
		pg_query_free_split_result(r);
		r = pg_query_split_with_scanner(text);
	}

	int rc = VMIG_OK;
	if (r.error) {
		if (err_offset)
			*err_offset = vmig_pgsplit_char_offset(text, len, r.error->cursorpos);
		rc = vmig_fail(err, VMIG_ERR_INPUT, "%s", r.error->message);
	} else {
		collect(text, len, &r, stmts, n);
	}
	pg_query_free_split_result(r);
	free(text);
	return rc;
}
