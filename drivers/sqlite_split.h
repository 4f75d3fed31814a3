/*
 * sqlite_split.h - walking SQLite SQL text statement by statement, with
 * SQLite's own parser.
 *
 * SQLite can only tell where a statement ends by preparing it
 * (sqlite3_prepare_v2 knows triggers' BEGIN ... END and strings holding
 * ';'), and a statement can only be prepared once the statements before it
 * have run (it may name a table they create).  So the walk hands each
 * prepared statement to a callback, which runs it, before the next one is
 * prepared.
 */
#ifndef VMIG_SQLITE_SPLIT_H
#define VMIG_SQLITE_SPLIT_H

#include "../src/error.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Called for each statement, in order.  offset is the byte offset in the
 * text of the statement's first token (white space, comments and empty
 * statements before it skipped), len its length up to and including its ';'
 * if it has one.  st is owned by the walk.  A non-zero return stops the walk
 * and is returned by vmig_sqlite_each_statement; the callback fills err.
 */
typedef int (*vmig_sqlite_stmt_fn)(void *ctx, sqlite3_stmt *st, const char *text, size_t offset,
                                   size_t len, vmig_error *err);

/*
 * Prepares the statements of sql (len bytes) on db one after the other and
 * calls fn for each.  A statement that does not prepare: VMIG_ERR_RUNTIME
 * with SQLite's message.  On any failure *fail_offset is the offset of the
 * statement at fault (of its first token); it is untouched on success.
 */
int vmig_sqlite_each_statement(sqlite3 *db, const char *sql, size_t len, vmig_sqlite_stmt_fn fn,
                               void *ctx, size_t *fail_offset, vmig_error *err);

/* The offset of the first byte at or after off, before len, that is neither
 * white space, nor a ';' of an empty statement, nor inside a comment. */
size_t vmig_sqlite_skip_blank(const char *sql, size_t len, size_t off);

/*
 * SQLite's tokenizer on what a ';' must not be read inside of, off < len:
 * where the comment (`--` to the line end, block comments) starting at off
 * ends, or off when none starts there; and the same for a comment or a
 * quoted token ('string', "name", `name`, [name], a doubled quote standing
 * for itself).  An unclosed one runs to len.
 */
size_t vmig_sqlite_comment_end(const char *sql, size_t len, size_t off);
size_t vmig_sqlite_quoted_end(const char *sql, size_t len, size_t off);

/*
 * The SQL as SQLite must see it: vmig counts a lone CR as a line end (as
 * PostgreSQL does), SQLite ends a `--` comment only at LF, so a lone CR
 * becomes LF (one byte for one: offsets stay).  NULL: sql can be used as is;
 * else a new string (len bytes and a NUL) the caller frees.
 */
char *vmig_sqlite_lone_cr_to_lf(const char *sql, size_t len);

/* One statement found in the text alone (no database). */
typedef struct vmig_sqlite_text_stmt {
	size_t offset;   /* of its first token */
	size_t len;      /* up to and including its ';' */
	bool terminated; /* false for a last statement without its ';' */
} vmig_sqlite_text_stmt;

/*
 * Splits sql into statements by the text alone, with sqlite3_complete(), for
 * where there is no database to prepare them on (offline scripts).  Fills
 * up to max entries of out (may be NULL with max 0) and returns how many
 * statements there are; empty ones are left out.
 */
size_t vmig_sqlite_split_text(const char *sql, size_t len, vmig_sqlite_text_stmt *out, size_t max);

#endif
