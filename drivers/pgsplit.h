/*
 * pgsplit.h - splitting PostgreSQL SQL text into statements as the server
 * sees them, with PostgreSQL's own grammar and scanner (libpg_query).
 *
 * The PostgreSQL driver needs the statements of a migration for two things:
 * a `transaction off` revision is sent one statement at a time (the server
 * runs a multi-statement string as one implicit transaction), and an error
 * without a position is reported at the start of the statement that failed.
 */
#ifndef VMIG_PGSPLIT_H
#define VMIG_PGSPLIT_H

#include "../src/error.h"

#include <stddef.h>

typedef struct vmig_pgstmt {
	size_t offset; /* byte offset in the text of the statement's first token */
	size_t len;    /* bytes from there to the statement's end, ';' excluded */
} vmig_pgstmt;

/*
 * Splits sql (len bytes, UTF-8) into its statements, in order; empty ones
 * (";;", only comments) are left out.  Leading white space and comments are
 * not part of a statement, so `offset` is where its first real line starts.
 * The parser's split is used where the text parses (it knows `BEGIN ATOMIC`
 * bodies), else the scanner's (the SQL may use syntax newer than the parser).
 *
 * On success *stmts is a new array of *n entries (NULL when *n is 0) that
 * the caller frees with free().  On a scan error (an unterminated string,
 * comment or dollar quote) returns VMIG_ERR_INPUT with the scanner's message,
 * sets *err_offset (if not NULL) to the byte offset of the error, or
 * VMIG_PGSPLIT_NO_OFFSET, and leaves *stmts NULL.
 */
#define VMIG_PGSPLIT_NO_OFFSET ((size_t)-1)
int vmig_pgsplit(const char *sql, size_t len, vmig_pgstmt **stmts, size_t *n, size_t *err_offset,
                 vmig_error *err);

/*
 * The byte offset in s[0, len) of libpg_query's 1-based character position
 * pos (an error's cursorpos), counting characters as PostgreSQL does, by
 * each lead byte's UTF-8 length, so also in text that is not valid UTF-8;
 * at most len.  VMIG_PGSPLIT_NO_OFFSET when pos is not positive.
 */
size_t vmig_pgsplit_char_offset(const char *s, size_t len, int pos);

/* The offset of the first byte at or after off, before end, that is neither
 * white space nor inside a comment (`--` to end of line, nested slash-star). */
size_t vmig_pgsplit_skip_blank(const char *sql, size_t end, size_t off);

#endif
