/*
 * sqlite_lint.c - `vmig lint` for SQLite: what SQLite's ALTER TABLE cannot
 * do, or does only on an empty table, and what breaks the running release.
 *
 * SQLite's parser is not a library, and preparing a statement needs the
 * tables it names, so the statements (split by sqlite3_complete(), see
 * sqlite_split.h) are read with a small tokenizer after SQLite's: white
 * space and comments, words, quoted names ("x", `x`, [x]), strings, numbers
 * and single-byte punctuation.  Only the statements the rules are about are
 * looked at (ALTER TABLE, DROP TABLE, CREATE TABLE, PRAGMA, transaction
 * control); anything else is left to SQLite.  Every message was checked
 * against sqlite3 3.40's own behaviour (doc/vmig.1, "LINT").
 */
#include "sqlite_lint.h"

#include "../src/alloc.h"
#include "sqlite_split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define R_UNIQUE        "add-column-unique"
#define R_NOT_NULL      "not-null-without-default"
#define R_NON_CONSTANT  "non-constant-default"
#define R_STORED        "add-column-stored"
#define R_REFERENCES    "references-with-default"
#define R_UNSUPPORTED   "alter-unsupported"
#define R_DROP_COLUMN   "drop-column"
#define R_RENAME_COLUMN "rename-column"
#define R_RENAME_TABLE  "rename-table"
#define R_DROP_TABLE    "drop-table"
#define R_PRAGMA        "pragma-in-transaction"
#define R_TXN_CONTROL   "transaction-control"
#define R_SEVERAL       "transaction-off-several-statements"

const char *const vmig_sqlite_lint_rules[] = {
    R_UNIQUE,      R_NOT_NULL,    R_NON_CONSTANT,  R_STORED,       R_REFERENCES,
    R_UNSUPPORTED, R_DROP_COLUMN, R_RENAME_COLUMN, R_RENAME_TABLE, R_DROP_TABLE,
    R_PRAGMA,      R_TXN_CONTROL, R_SEVERAL,       NULL,
};

#define SAFER_REBUILD                                                                              \
	"rebuild the table (SQLite's 12 steps: CREATE TABLE new_t ...; INSERT INTO new_t SELECT "  \
	"...; DROP TABLE t; ALTER TABLE new_t RENAME TO t; indexes and triggers again), in a "     \
	"`transaction off` revision that sets PRAGMA foreign_keys=OFF around a BEGIN ... COMMIT"

enum tok_kind { T_WORD, T_NAME, T_STRING, T_NUMBER, T_BLOB, T_PUNCT };

typedef struct tok {
	enum tok_kind kind;
	size_t off, len; /* in the section */
} tok;

typedef struct lint_state {
	const char *sql;
	bool transactional;
	vmig_lint_findings *out;
	char **created; /* tables this section created, as written (unquoted) */
	size_t ncreated, capcreated;
	size_t units, first_unit;
	int txn_depth;
	/* the statement at hand */
	tok *t;
	size_t n;
	size_t stmt;
} lint_state;

static bool word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || c >= 0x80;
}

/* Tokens of sql[off, end), into *t (grown). */
static size_t tokenize(const char *s, size_t off, size_t end, tok **t, size_t *cap)
{
	size_t n = 0;
	while (off < end) {
		unsigned char c = (unsigned char)s[off];
		size_t start = off;
		enum tok_kind kind = T_PUNCT;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			off++;
			continue;
		}
		size_t past = vmig_sqlite_comment_end(s, end, off);
		if (past != off) {
			off = past;
			continue;
		}
		if ((c == 'x' || c == 'X') && off + 1 < end && s[off + 1] == '\'') {
			kind = T_BLOB;
			off++;
			c = '\'';
		}
		if (c == '\'' || c == '"' || c == '`' || c == '[') {
			if (kind != T_BLOB)
				kind = c == '\'' ? T_STRING : T_NAME;
			off = vmig_sqlite_quoted_end(s, end, off);
		} else if (c >= '0' && c <= '9') {
			kind = T_NUMBER;
			while (off < end && (word_char((unsigned char)s[off]) || s[off] == '.'))
				off++;
		} else if (word_char(c)) {
			kind = T_WORD;
			while (off < end && word_char((unsigned char)s[off]))
				off++;
		} else {
			off++;
		}
		XGROW(*t, *cap, n + 1);
		(*t)[n++] = (tok){kind, start, off - start};
	}
	return n;
}

/* True when token i is the bare word w (any case). */
static bool kw(const lint_state *st, size_t i, const char *w)
{
	if (i >= st->n || st->t[i].kind != T_WORD)
		return false;
	size_t len = strlen(w);
	return st->t[i].len == len && strncasecmp(st->sql + st->t[i].off, w, len) == 0;
}

static bool punct(const lint_state *st, size_t i, char c)
{
	return i < st->n && st->t[i].kind == T_PUNCT && st->sql[st->t[i].off] == c;
}

/* Token i as a name: quotes removed (doubled quotes kept as they are). */
static char *name_at(const lint_state *st, size_t i)
{
	if (i >= st->n)
		return xstrdup("?");
	const tok *k = &st->t[i];
	const char *p = st->sql + k->off;
	if ((k->kind == T_NAME || k->kind == T_STRING) && k->len >= 2)
		return xstrndup(p + 1, k->len - 2);
	return xstrndup(p, k->len);
}

/* Reads [schema.]name at *i; returns the bare name (caller frees). */
static char *table_at(const lint_state *st, size_t *i)
{
	if (punct(st, *i + 1, '.'))
		*i += 2;
	char *name = name_at(st, *i);
	(*i)++;
	return name;
}

static bool is_created(const lint_state *st, const char *name)
{
	for (size_t i = 0; i < st->ncreated; i++)
		if (strcasecmp(st->created[i], name) == 0)
			return true;
	return false;
}

static void add_created(lint_state *st, char *name)
{
	XGROW(st->created, st->capcreated, st->ncreated + 1);
	st->created[st->ncreated++] = name;
}

static size_t off_of(const lint_state *st, size_t i)
{
	return i < st->n ? st->t[i].off : st->stmt;
}

/* Is the default value starting at token i a literal SQLite can add a
 * column with (a number, string, blob, NULL, TRUE/FALSE, signed, in
 * parentheses)?  *null: it is NULL. *next: the token after it. */
static bool constant_default(const lint_state *st, size_t i, bool *null, size_t *next)
{
	size_t depth = 0;
	*null = false;
	while (punct(st, i, '(')) {
		depth++;
		i++;
	}
	if (punct(st, i, '-') || punct(st, i, '+'))
		i++;
	bool ok = i < st->n && (st->t[i].kind == T_NUMBER || st->t[i].kind == T_STRING ||
	                        st->t[i].kind == T_BLOB || kw(st, i, "NULL") || kw(st, i, "TRUE") ||
	                        kw(st, i, "FALSE"));
	*null = kw(st, i, "NULL");
	i++;
	for (; depth > 0 && punct(st, i, ')'); depth--)
		i++;
	if (depth > 0) { /* an expression: skip to its closing parenthesis */
		ok = false;
		while (i < st->n && depth > 0) {
			depth += punct(st, i, '(');
			depth -= punct(st, i, ')');
			i++;
		}
	}
	*next = i;
	return ok;
}

static void add_column(lint_state *st, size_t i, const char *table, bool exists)
{
	char *col = name_at(st, i);
	bool not_null = false, has_default = false, null_default = true, references = false;
	bool stored = false;
	size_t depth = 0;
	for (i++; i < st->n; i++) {
		if (punct(st, i, '(')) {
			depth++;
			continue;
		}
		if (punct(st, i, ')')) {
			depth -= depth > 0;
			continue;
		}
		if (depth)
			continue;
		if (kw(st, i, "PRIMARY") || kw(st, i, "UNIQUE"))
			vmig_lint_add(
			    st->out, off_of(st, i), st->stmt, R_UNIQUE, VMIG_LINT_ERROR,
			    "add the column plain, then CREATE UNIQUE INDEX on it (a primary "
			    "key needs a table rebuild)",
			    "SQLite cannot ADD COLUMN \"%s\" with %s to \"%s\"", col,
			    kw(st, i, "PRIMARY") ? "PRIMARY KEY" : "UNIQUE", table);
		else if (kw(st, i, "NOT") && kw(st, i + 1, "NULL"))
			not_null = true;
		else if (kw(st, i, "REFERENCES"))
			references = true;
		else if (kw(st, i, "STORED"))
			stored = true;
		else if (kw(st, i, "DEFAULT")) {
			size_t next;
			bool null;
			has_default = true;
			if (!constant_default(st, i + 1, &null, &next)) {
				null_default = false;
				if (exists)
					vmig_lint_add(
					    st->out, off_of(st, i), st->stmt, R_NON_CONSTANT,
					    VMIG_LINT_WARNING,
					    "add it with a constant default (or none), then "
					    "UPDATE the rows",
					    "SQLite cannot ADD COLUMN \"%s\" with a non-constant "
					    "default (such as CURRENT_TIMESTAMP or an expression) "
					    "to \"%s\" when it has any row",
					    col, table);
			} else {
				null_default = null;
			}
			i = next - 1;
		}
	}
	if (exists && not_null && null_default)
		vmig_lint_add(
		    st->out, st->stmt, st->stmt, R_NOT_NULL, VMIG_LINT_WARNING,
		    "give it a non-NULL constant DEFAULT, or rebuild the table",
		    "SQLite cannot ADD COLUMN \"%s\" NOT NULL %s to \"%s\" when it has any "
		    "row",
		    col, has_default ? "with a NULL default" : "without a DEFAULT", table);
	if (exists && references && has_default && !null_default)
		vmig_lint_add(
		    st->out, st->stmt, st->stmt, R_REFERENCES, VMIG_LINT_WARNING,
		    "add it with a NULL default, then UPDATE the rows",
		    "SQLite cannot ADD COLUMN \"%s\" REFERENCES ... with a non-NULL default "
		    "to \"%s\" while foreign keys are enforced",
		    col, table);
	if (exists && stored)
		vmig_lint_add(
		    st->out, st->stmt, st->stmt, R_STORED, VMIG_LINT_WARNING,
		    "add it VIRTUAL, or rebuild the table",
		    "SQLite cannot ADD COLUMN \"%s\" ... STORED to \"%s\" when it has any "
		    "row",
		    col, table);
	free(col);
}

static void alter_table(lint_state *st)
{
	size_t i = 2;
	char *table = table_at(st, &i);
	bool exists = !is_created(st, table);
	if (kw(st, i, "RENAME") && kw(st, i + 1, "TO")) {
		if (exists)
			vmig_lint_add(
			    st->out, st->stmt, st->stmt, R_RENAME_TABLE, VMIG_LINT_WARNING,
			    "expand and contract: a new table kept in step (or a view under "
			    "the old name), the old one dropped in a later release",
			    "renaming \"%s\" breaks the running release, which still uses "
			    "the old name",
			    table);
		else
			add_created(st, name_at(st, i + 2));
	} else if (kw(st, i, "RENAME")) {
		size_t c = kw(st, i + 1, "COLUMN") ? i + 2 : i + 1;
		if (exists) {
			char *col = name_at(st, c);
			vmig_lint_add(
			    st->out, st->stmt, st->stmt, R_RENAME_COLUMN, VMIG_LINT_WARNING,
			    "expand and contract: add the new column, deploy code that uses "
			    "it, drop the old one in a later release",
			    "RENAME COLUMN \"%s\" of \"%s\" breaks the running release, which "
			    "still uses the old name",
			    col, table);
			free(col);
		}
	} else if (kw(st, i, "ADD") && !kw(st, i + 1, "CONSTRAINT") && !kw(st, i + 1, "PRIMARY") &&
	           !kw(st, i + 1, "UNIQUE") && !kw(st, i + 1, "CHECK") &&
	           !kw(st, i + 1, "FOREIGN") && i + 1 < st->n) {
		add_column(st, kw(st, i + 1, "COLUMN") ? i + 2 : i + 1, table, exists);
	} else if (kw(st, i, "DROP") && !kw(st, i + 1, "CONSTRAINT") && i + 1 < st->n) {
		if (exists) {
			char *col = name_at(st, kw(st, i + 1, "COLUMN") ? i + 2 : i + 1);
			vmig_lint_add(
			    st->out, st->stmt, st->stmt, R_DROP_COLUMN, VMIG_LINT_WARNING,
			    "first deploy code that no longer uses it, then drop it in a "
			    "later release (and drop its indexes, views and triggers first)",
			    "DROP COLUMN \"%s\" of \"%s\" breaks the running release if it "
			    "still uses the column, and SQLite refuses it when the column is "
			    "in the primary key, a UNIQUE constraint, an index, a foreign key, "
			    "a table CHECK, a view or a trigger",
			    col, table);
			free(col);
		}
	} else if (i < st->n) {
		char *what = name_at(st, i);
		char *next =
		    i + 1 < st->n && st->t[i + 1].kind == T_WORD ? name_at(st, i + 1) : xstrdup("");
		vmig_lint_add(st->out, off_of(st, i), st->stmt, R_UNSUPPORTED, VMIG_LINT_ERROR,
		              SAFER_REBUILD,
		              "SQLite's ALTER TABLE has only RENAME, RENAME COLUMN, ADD COLUMN and "
		              "DROP COLUMN: ALTER TABLE \"%s\" %s%s%s... is a syntax error there",
		              table, what, *next ? " " : "", next);
		free(next);
		free(what);
	}
	free(table);
}

static void lint_stmt(lint_state *st)
{
	bool pragma = kw(st, 0, "PRAGMA");
	bool opens = kw(st, 0, "BEGIN");
	bool ends = kw(st, 0, "COMMIT") || kw(st, 0, "END") ||
	            (kw(st, 0, "ROLLBACK") && !kw(st, 1, "TO") && !kw(st, 2, "TO"));
	if (st->transactional && (opens || ends))
		vmig_lint_add(st->out, st->stmt, st->stmt, R_TXN_CONTROL, VMIG_LINT_ERROR,
		              "leave transactions to vmig; for statements that need to run outside "
		              "one, use a revision with `-- vmig:transaction off`",
		              "vmig runs this revision in a transaction of its own and refuses "
		              "statements that begin or end one");
	if (!st->transactional) {
		if (opens && st->txn_depth++ == 0 && st->units++ == 0)
			st->first_unit = st->stmt;
		else if (ends && st->txn_depth > 0)
			st->txn_depth--;
		else if (!pragma && !opens && !ends && st->txn_depth == 0 && st->units++ == 0)
			st->first_unit = st->stmt;
	}
	if (pragma) {
		size_t i = punct(st, 2, '.') ? 3 : 1;
		if (st->transactional && (kw(st, i, "foreign_keys") || kw(st, i, "journal_mode")) &&
		    (punct(st, i + 1, '=') || punct(st, i + 1, '('))) {
			char *name = name_at(st, i);
			vmig_lint_add(
			    st->out, st->stmt, st->stmt, R_PRAGMA, VMIG_LINT_ERROR,
			    "put it in a revision with `-- vmig:transaction off`",
			    "PRAGMA %s does nothing inside a transaction, and this revision "
			    "runs in one",
			    name);
			free(name);
		}
	} else if (kw(st, 0, "ALTER") && kw(st, 1, "TABLE")) {
		alter_table(st);
	} else if (kw(st, 0, "CREATE")) {
		size_t i = 1;
		if (kw(st, i, "TEMP") || kw(st, i, "TEMPORARY") || kw(st, i, "VIRTUAL"))
			i++;
		if (kw(st, i, "TABLE")) {
			i++;
			if (kw(st, i, "IF") && kw(st, i + 1, "NOT") && kw(st, i + 2, "EXISTS"))
				i += 3;
			add_created(st, table_at(st, &i));
		}
	} else if (kw(st, 0, "DROP") && kw(st, 1, "TABLE")) {
		size_t i = 2;
		if (kw(st, i, "IF") && kw(st, i + 1, "EXISTS"))
			i += 2;
		char *table = table_at(st, &i);
		if (!is_created(st, table))
			vmig_lint_add(
			    st->out, st->stmt, st->stmt, R_DROP_TABLE, VMIG_LINT_WARNING,
			    "first deploy code that no longer uses it, then drop it in a "
			    "later release",
			    "DROP TABLE \"%s\" breaks the running release if it still uses "
			    "the table",
			    table);
		free(table);
	}
}

int vmig_sqlite_lint(const char *sql, size_t len, bool transactional, vmig_lint_findings *out,
                     vmig_error *err)
{
	(void)err;
	lint_state st = {.sql = sql, .transactional = transactional, .out = out};
	size_t n = vmig_sqlite_split_text(sql, len, NULL, 0);
	vmig_sqlite_text_stmt *stmts = xcalloc(n ? n : 1, sizeof *stmts);
	n = vmig_sqlite_split_text(sql, len, stmts, n);
	size_t cap = 0;
	for (size_t i = 0; i < n; i++) {
		st.stmt = stmts[i].offset;
		st.n = tokenize(sql, stmts[i].offset, stmts[i].offset + stmts[i].len, &st.t, &cap);
		if (st.n)
			lint_stmt(&st);
	}
	if (!transactional && st.units > 1)
		vmig_lint_add(out, st.first_unit, st.first_unit, R_SEVERAL, VMIG_LINT_WARNING,
		              "one statement per `transaction off` revision (PRAGMAs aside), or "
		              "wrap them in BEGIN ... COMMIT",
		              "this `transaction off` revision has %zu statements: if one fails, "
		              "those before it stay done and the revision is left dirty",
		              st.units);
	free(st.t);
	free(stmts);
	for (size_t i = 0; i < st.ncreated; i++)
		free(st.created[i]);
	free(st.created);
	return VMIG_OK;
}
