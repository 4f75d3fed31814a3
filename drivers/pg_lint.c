/*
 * pg_lint.c - `vmig lint` for PostgreSQL: rules over libpg_query's parse
 * tree (its JSON form, read with cJSON) of each statement of an up section.
 *
 * Every statement is parsed on its own (the split is vmig_pgsplit's), so a
 * statement the parser rejects is one "syntax-error" finding and the others
 * are still linted.  A table is "existing" unless CREATE TABLE (or CREATE
 * TABLE AS, or a rename of such a table) made it earlier in the same section.
 * The rules assume PostgreSQL 11 or later (ADD COLUMN with a constant or
 * stable default does not rewrite the table; SET NOT NULL skips its scan
 * when a validated CHECK (col IS NOT NULL) exists).  See doc/vmig.1, "LINT".
 */
#include "pg_lint.h"

#include "../src/alloc.h"
#include "../src/buf.h"
#include "pgsplit.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <pg_query.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R_SYNTAX        "syntax-error"
#define R_NEEDS_TXN_OFF "needs-transaction-off"
#define R_TXN_CONTROL   "transaction-control"
#define R_INDEX         "index-not-concurrent"
#define R_BUILDS_INDEX  "constraint-builds-index"
#define R_COLUMN_TYPE   "alter-column-type"
#define R_REWRITE       "table-rewrite"
#define R_SET_NOT_NULL  "set-not-null"
#define R_NOT_VALID     "constraint-not-valid"
#define R_VOLATILE      "volatile-default"
#define R_NOT_NULL      "not-null-without-default"
#define R_RENAME_COLUMN "rename-column"
#define R_RENAME_TABLE  "rename-table"
#define R_DROP_COLUMN   "drop-column"
#define R_DROP_TABLE    "drop-table"
#define R_SEVERAL       "transaction-off-several-statements"
#define R_LOCK_TIMEOUT  "lock-timeout"
#define R_DROP_DATABASE "drop-database"
#define R_TRUNCATE      "truncate"
#define R_DETACH        "detach-partition-not-concurrent"
#define R_ENUM_USED     "enum-value-used-in-transaction"
#define R_DROP_NOT_NULL "drop-not-null"
#define R_SET_LOCAL     "set-local-outside-transaction"
#define R_REFRESH       "refresh-not-concurrent"

/* What stands for a part of a parse tree too deep for cJSON (prune_deep). */
#define PRUNED_KEY "VmigPruned"
#define TOO_DEEP   "an expression nested too deeply to check"

const char *const vmig_pg_lint_rules[] = {
    R_SYNTAX,      R_NEEDS_TXN_OFF, R_TXN_CONTROL,   R_INDEX,       R_BUILDS_INDEX,
    R_COLUMN_TYPE, R_REWRITE,       R_SET_NOT_NULL,  R_NOT_VALID,   R_VOLATILE,
    R_NOT_NULL,    R_RENAME_COLUMN, R_RENAME_TABLE,  R_DROP_COLUMN, R_DROP_TABLE,
    R_SEVERAL,     R_LOCK_TIMEOUT,  R_DROP_DATABASE, R_TRUNCATE,    R_DETACH,
    R_ENUM_USED,   R_DROP_NOT_NULL, R_SET_LOCAL,     R_REFRESH,     NULL,
};

#define SAFER_TXN_OFF                                                                              \
	"put it in a revision of its own with `-- vmig:transaction off` (and IF NOT EXISTS / "     \
	"IF EXISTS, so that a rerun after a failure works)"
#define SAFER_TXN_OFF_INDEX                                                                        \
	"put it in a revision of its own with `-- vmig:transaction off`, after DROP INDEX "        \
	"CONCURRENTLY IF EXISTS of the same name (a failed build leaves an INVALID index, which "  \
	"IF NOT EXISTS would skip on a rerun)"
#define SAFER_INDEX                                                                                \
	"CREATE INDEX CONCURRENTLY (DROP INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY) in a "      \
	"revision of its own with `-- vmig:transaction off`"
#define SAFER_NOT_VALID                                                                            \
	"ADD CONSTRAINT ... NOT VALID (brief lock, no scan), then ALTER TABLE ... VALIDATE "       \
	"CONSTRAINT in a later revision (scans without blocking writes)"
#define SAFER_EXPAND                                                                               \
	"expand and contract: add the new one, deploy code that uses it, and remove the old "      \
	"one in a later release, once no running code uses it"

/* A table name as the parser gives it (case folded, quotes gone). */
typedef struct relname {
	char *schema; /* NULL: unqualified */
	char *name;
} relname;

typedef struct lint_state {
	const char *sql;
	bool transactional;
	vmig_lint_findings *out;
	relname *created; /* tables this section created so far */
	size_t ncreated, capcreated;
	relname *validated; /* tables with a constraint validated (for SET NOT NULL) */
	size_t nvalidated, capvalidated;
	char **created_index; /* index names this section created */
	size_t nindex, capindex;
	char **not_valid; /* "table\x1fconstraint" added NOT VALID here */
	size_t nnot_valid, capnot_valid;
	bool lock_timeout;  /* a SET lock_timeout (not 0) came before */
	bool lock_reported; /* the lock-timeout finding is made once */
	size_t units;       /* statements that count as steps (transaction off) */
	size_t first_unit;
	int txn_depth;             /* inside BEGIN ... COMMIT of a transaction-off section */
	bool timeout_before_block; /* lock_timeout when that block began */
	bool local_in_block;       /* a SET LOCAL lock_timeout in that block */
	bool rerunnable;           /* every step so far can be run again (transaction off) */
	char **dropped_index;      /* DROP INDEX ... IF EXISTS names (transaction off) */
	size_t ndropped, capdropped;
	char **enum_vals; /* values ALTER TYPE ... ADD VALUE added (transactional) */
	size_t nenum, capenum;
	/* the statement at hand */
	size_t base; /* where the text given to the parser starts (its locations count from it) */
	size_t stmt;
} lint_state;

static cJSON *get(const cJSON *o, const char *key)
{
	return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool flag(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(get(o, key));
}

static bool is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

/* The offset in the section of a node's "location", or the statement's. */
static size_t at(const lint_state *st, const cJSON *node)
{
	const cJSON *loc = get(node, "location");
	if (cJSON_IsNumber(loc) && loc->valuedouble >= 0)
		return st->base + (size_t)loc->valuedouble;
	return st->stmt;
}

/* "schema.name" or "name", for messages. */
static char *rel_text(const cJSON *rangevar)
{
	const char *schema = str(rangevar, "schemaname"), *name = str(rangevar, "relname");
	return schema ? xasprintf("%s.%s", schema, name ? name : "?") : xstrdup(name ? name : "?");
}

static bool rel_match(const relname *r, const char *schema, const char *name)
{
	return strcmp(r->name, name) == 0 &&
	       (!r->schema || !schema || strcmp(r->schema, schema) == 0);
}

static bool in_list(const relname *list, size_t n, const cJSON *rangevar)
{
	const char *name = str(rangevar, "relname");
	if (!name)
		return false;
	for (size_t i = 0; i < n; i++)
		if (rel_match(&list[i], str(rangevar, "schemaname"), name))
			return true;
	return false;
}

static void add_rel(relname **list, size_t *n, size_t *cap, const char *schema, const char *name)
{
	if (!name)
		return;
	XGROW(*list, *cap, *n + 1);
	(*list)[*n].schema = schema ? xstrdup(schema) : NULL;
	(*list)[*n].name = xstrdup(name);
	(*n)++;
}

static bool existing(const lint_state *st, const cJSON *rangevar)
{
	return !in_list(st->created, st->ncreated, rangevar);
}

static void finding(lint_state *st, size_t offset, const char *rule, enum vmig_lint_severity sev,
                    const char *safer, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void finding(lint_state *st, size_t offset, const char *rule, enum vmig_lint_severity sev,
                    const char *safer, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	vmig_lint_add(st->out, offset, st->stmt, rule, sev, safer, "%s", msg);
}

/* Table lock modes that matter here, weakest first (PostgreSQL's names). */
enum lock_mode {
	LOCK_NONE,
	LOCK_SHARE_UPDATE_EXCLUSIVE,
	LOCK_SHARE,
	LOCK_SHARE_ROW_EXCLUSIVE,
	LOCK_EXCLUSIVE,
	LOCK_ACCESS_EXCLUSIVE
};

static const char *lock_name(enum lock_mode m)
{
	switch (m) {
	case LOCK_SHARE_UPDATE_EXCLUSIVE:
		return "a SHARE UPDATE EXCLUSIVE";
	case LOCK_SHARE:
		return "a SHARE";
	case LOCK_SHARE_ROW_EXCLUSIVE:
		return "a SHARE ROW EXCLUSIVE";
	case LOCK_EXCLUSIVE:
		return "an EXCLUSIVE";
	case LOCK_ACCESS_EXCLUSIVE:
		return "an ACCESS EXCLUSIVE";
	case LOCK_NONE:
		break;
	}
	return "a";
}

/* The lock-timeout rule: called for each statement that takes a lock that
 * blocks reads or writes of an existing table while it waits for it (SHARE
 * or stronger; SHARE UPDATE EXCLUSIVE blocks neither). */
static void strong_lock(lint_state *st, const char *what, const char *table, enum lock_mode lock)
{
	if (st->lock_timeout || st->lock_reported || lock < LOCK_SHARE)
		return;
	st->lock_reported = true;
	finding(st, st->stmt, R_LOCK_TIMEOUT, VMIG_LINT_WARNING,
	        st->transactional
	            ? "SET LOCAL lock_timeout = '5s'; before it in this revision (and retry on "
	              "failure)"
	            : "SET lock_timeout = '5s'; before it in this revision (and retry on failure)",
	        "%s takes %s lock on \"%s\" with no lock_timeout set before it in this "
	        "revision: while it waits behind a long query, every %s \"%s\" waits behind it",
	        what, lock_name(lock), table,
	        lock == LOCK_ACCESS_EXCLUSIVE ? "query on" : "write to", table);
}

/* The last name of a qualified name list ([{"String":{"sval":...}}...]). */
static const char *last_name(const cJSON *names)
{
	const cJSON *last = NULL, *n;
	cJSON_ArrayForEach(n, names) last = n;
	return last ? str(get(last, "String"), "sval") : NULL;
}

/* Functions that a column default may call without rewriting the table
 * (stable or immutable, PostgreSQL's catalog says). */
static const char *const stable_functions[] = {
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_timestamp",
    "lower",
    "upper",
    "btrim",
    "length",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "to_jsonb",
    "to_json",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array_fill",
    "make_interval",
    "make_date",
    "make_timestamp",
    "make_timestamptz",
    "to_timestamp",
    "to_date",
    "to_char",
    "current_setting",
    "abs",
    "concat",
    "replace",
    "substring",
    "timezone",
    "date_trunc",
    "jsonb_typeof",
    NULL,
};

/* The first function call in a default expression that is not known to be
 * stable, or NULL. */
static const char *volatile_call(const cJSON *node)
{
	if (!node)
		return NULL;
	if (cJSON_IsObject(node)) {
		const cJSON *fc = get(node, "FuncCall");
		if (fc) {
			const char *name = last_name(get(fc, "funcname"));
			bool known = false;
			for (const char *const *f = stable_functions; name && *f; f++)
				known = known || strcmp(*f, name) == 0;
			if (!known) /* no name: pruned (prune_deep) */
				return name ? name : TOO_DEEP;
		}
		if (get(node, "SubLink"))
			return "a subquery";
		if (get(node, PRUNED_KEY))
			return TOO_DEEP;
	}
	const cJSON *child;
	cJSON_ArrayForEach(child, node)
	{
		const char *v = volatile_call(child);
		if (v)
			return v;
	}
	return NULL;
}

static bool is_serial(const cJSON *typeName)
{
	const char *t = last_name(get(typeName, "names"));
	static const char *const serials[] = {"serial",  "bigserial", "smallserial",
	                                      "serial2", "serial4",   "serial8"};
	for (size_t i = 0; t && i < sizeof serials / sizeof *serials; i++)
		if (strcmp(t, serials[i]) == 0)
			return true;
	return false;
}

/* CHECK or FOREIGN KEY (or an index-backed constraint) added to an existing table. */
static void added_constraint(lint_state *st, const cJSON *con, const char *table,
                             const char *column)
{
	const char *type = str(con, "contype");
	size_t off = at(st, con);
	if (is(type, "CONSTR_FOREIGN") || is(type, "CONSTR_CHECK")) {
		if (flag(con, "skip_validation"))
			return;
		const char *what = is(type, "CONSTR_FOREIGN") ? "a foreign key" : "a check";
		if (column)
			finding(
			    st, off, R_NOT_VALID, VMIG_LINT_WARNING,
			    "add the column without it, then ADD CONSTRAINT ... NOT VALID and "
			    "VALIDATE CONSTRAINT in a later revision",
			    "ADD COLUMN \"%s\" with %s validates it over all of \"%s\" at once, "
			    "under a lock that blocks writes",
			    column, what, table);
		else
			finding(st, off, R_NOT_VALID, VMIG_LINT_WARNING, SAFER_NOT_VALID,
			        "adding %s without NOT VALID scans all of \"%s\" under a lock that "
			        "blocks %s",
			        what, table,
			        is(type, "CONSTR_FOREIGN") ? "writes to both tables"
			                                   : "reads and writes");
	} else if ((is(type, "CONSTR_PRIMARY") || is(type, "CONSTR_UNIQUE") ||
	            is(type, "CONSTR_EXCLUSION")) &&
	           !str(con, "indexname")) {
		const char *what = is(type, "CONSTR_PRIMARY")  ? "PRIMARY KEY"
		                   : is(type, "CONSTR_UNIQUE") ? "UNIQUE"
		                                               : "EXCLUDE";
		finding(
		    st, off, R_BUILDS_INDEX, VMIG_LINT_WARNING,
		    "CREATE UNIQUE INDEX CONCURRENTLY in a `transaction off` revision, then "
		    "ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) USING INDEX",
		    "a %s constraint on \"%s\" builds its index under an ACCESS EXCLUSIVE lock, "
		    "blocking reads and writes while it builds",
		    what, table);
	}
}

static void add_column(lint_state *st, const cJSON *cmd, const char *table)
{
	const cJSON *col = get(get(cmd, "def"), "ColumnDef");
	const char *name = str(col, "colname");
	size_t off = at(st, col);
	bool not_null = false, has_default = false, generated = false;
	const cJSON *c;
	if (!name)
		name = "?";
	cJSON_ArrayForEach(c, get(col, "constraints"))
	{
		const cJSON *con = get(c, "Constraint");
		const char *type = str(con, "contype");
		if (is(type, "CONSTR_NOTNULL") || is(type, "CONSTR_PRIMARY"))
			not_null = true;
		if (is(type, "CONSTR_DEFAULT")) {
			has_default = true;
			const char *v = volatile_call(get(con, "raw_expr"));
			if (v)
				finding(
				    st, off, R_VOLATILE, VMIG_LINT_WARNING,
				    "add the column without the default (or with a constant "
				    "one), then ALTER COLUMN ... SET DEFAULT and backfill in "
				    "batches",
				    "ADD COLUMN \"%s\" with a DEFAULT that calls %s%s, which is "
				    "volatile or not known to be stable: it rewrites \"%s\" "
				    "under an ACCESS EXCLUSIVE lock",
				    name, v, strchr(v, ' ') ? "" : "()", table);
		}
		if (is(type, "CONSTR_IDENTITY") || is(type, "CONSTR_GENERATED")) {
			generated = true;
			finding(st, off, R_REWRITE, VMIG_LINT_WARNING,
			        "add a plain column, fill it in batches, then attach the identity "
			        "or the trigger",
			        "ADD COLUMN \"%s\" %s computes a value for every row: it rewrites "
			        "\"%s\" under an ACCESS EXCLUSIVE lock",
			        name,
			        is(type, "CONSTR_IDENTITY") ? "GENERATED AS IDENTITY"
			                                    : "GENERATED ALWAYS AS (...) STORED",
			        table);
		}
		added_constraint(st, con, table, name);
	}
	if (is_serial(get(col, "typeName"))) {
		generated = true;
		finding(st, off, R_VOLATILE, VMIG_LINT_WARNING,
		        "add a plain bigint column, set its default to nextval() of a new "
		        "sequence, and backfill in batches",
		        "ADD COLUMN \"%s\" of a serial type fills every row from a sequence: it "
		        "rewrites \"%s\" under an ACCESS EXCLUSIVE lock",
		        name, table);
	}
	if (not_null && !has_default && !generated)
		finding(
		    st, off, R_NOT_NULL, VMIG_LINT_WARNING,
		    "add it with a DEFAULT, or nullable, backfill, then SET NOT NULL after a "
		    "validated CHECK (col IS NOT NULL)",
		    "ADD COLUMN \"%s\" NOT NULL without a DEFAULT fails when \"%s\" has any row",
		    name, table);
}

static bool has_validated(const lint_state *st, const cJSON *rel)
{
	return in_list(st->validated, st->nvalidated, rel);
}

static char *constraint_key(const char *table, const char *name)
{
	return xasprintf("%s\x1f%s", table, name ? name : "");
}

static bool has_string(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool def_elem(const cJSON *list, const char *name)
{
	const cJSON *d;
	cJSON_ArrayForEach(d, list) if (is(str(get(d, "DefElem"), "defname"), name)) return true;
	return false;
}

/* The lock an ALTER TABLE subcommand takes on its table (PostgreSQL's
 * ALTER TABLE page; ACCESS EXCLUSIVE unless it says otherwise). */
static enum lock_mode cmd_lock(const cJSON *cmd)
{
	static const char *const share_update_exclusive[] = {
	    "AT_SetStatistics",   "AT_SetOptions",
	    "AT_ResetOptions",    "AT_SetRelOptions",
	    "AT_ResetRelOptions", "AT_ValidateConstraint",
	    "AT_ClusterOn",       "AT_DropCluster",
	    "AT_AttachPartition", NULL,
	};
	static const char *const share_row_exclusive[] = {
	    "AT_EnableTrig",     "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig",
	    "AT_DisableTrig",    "AT_EnableTrigAll",    "AT_DisableTrigAll",
	    "AT_EnableTrigUser", "AT_DisableTrigUser",  NULL,
	};
	const char *sub = str(cmd, "subtype");
	if (is(sub, "AT_SetRelOptions") || is(sub, "AT_ResetRelOptions")) {
		/* fillfactor, autovacuum, toast and planner parameters: SHARE UPDATE
		 * EXCLUSIVE; user_catalog_table: ACCESS EXCLUSIVE */
		if (def_elem(get(get(get(cmd, "def"), "List"), "items"), "user_catalog_table"))
			return LOCK_ACCESS_EXCLUSIVE;
		return LOCK_SHARE_UPDATE_EXCLUSIVE;
	}
	for (const char *const *p = share_update_exclusive; *p; p++)
		if (is(sub, *p))
			return LOCK_SHARE_UPDATE_EXCLUSIVE;
	for (const char *const *p = share_row_exclusive; *p; p++)
		if (is(sub, *p))
			return LOCK_SHARE_ROW_EXCLUSIVE;
	if (is(sub, "AT_DetachPartition") &&
	    flag(get(get(cmd, "def"), "PartitionCmd"), "concurrent"))
		return LOCK_SHARE_UPDATE_EXCLUSIVE;
	if (is(sub, "AT_AddConstraint") &&
	    is(str(get(get(cmd, "def"), "Constraint"), "contype"), "CONSTR_FOREIGN"))
		return LOCK_SHARE_ROW_EXCLUSIVE;
	return LOCK_ACCESS_EXCLUSIVE;
}

/* A foreign key takes SHARE ROW EXCLUSIVE on the table it references. */
static void fk_target(lint_state *st, const cJSON *con, const char *what)
{
	const cJSON *pk = get(con, "pktable");
	if (!is(str(con, "contype"), "CONSTR_FOREIGN") || !pk || !existing(st, pk))
		return;
	char *t = rel_text(pk);
	strong_lock(st, what, t, LOCK_SHARE_ROW_EXCLUSIVE);
	free(t);
}

/* The foreign keys of a column definition's constraints. */
static void column_fks(lint_state *st, const cJSON *coldef, const char *what)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, get(coldef, "constraints")) fk_target(st, get(c, "Constraint"), what);
}

static void alter_table(lint_state *st, const cJSON *stmt)
{
	const cJSON *rel = get(stmt, "relation"), *item;
	char *table = rel_text(rel);
	bool is_table = is(str(stmt, "objtype"), "OBJECT_TABLE");
	bool exists = existing(st, rel);
	enum lock_mode lock = LOCK_NONE;
	cJSON_ArrayForEach(item, get(stmt, "cmds"))
	{
		const cJSON *cmd = get(item, "AlterTableCmd");
		const char *sub = str(cmd, "subtype");
		const cJSON *def = get(cmd, "def");
		const char *col = str(cmd, "name");
		if (is(sub, "AT_DetachPartition") && flag(get(def, "PartitionCmd"), "concurrent")) {
			if (st->transactional)
				finding(st, st->stmt, R_NEEDS_TXN_OFF, VMIG_LINT_ERROR,
				        SAFER_TXN_OFF,
				        "DETACH PARTITION CONCURRENTLY cannot run inside a "
				        "transaction, and this revision runs in one");
			continue;
		}
		if (is(sub, "AT_ValidateConstraint")) {
			add_rel(&st->validated, &st->nvalidated, &st->capvalidated,
			        str(rel, "schemaname"), str(rel, "relname"));
			char *key = constraint_key(table, col);
			if (st->transactional && exists &&
			    has_string(st->not_valid, st->nnot_valid, key))
				finding(
				    st, st->stmt, R_NOT_VALID, VMIG_LINT_WARNING,
				    "VALIDATE CONSTRAINT in a later revision",
				    "VALIDATE CONSTRAINT \"%s\" in the same transaction as its ADD "
				    "... NOT VALID: the ADD's lock on \"%s\" is held through the "
				    "whole scan",
				    col ? col : "?", table);
			free(key);
			continue;
		}
		enum lock_mode m = cmd_lock(cmd);
		lock = m > lock ? m : lock;
		/* on an existing table the lock on it is reported below */
		if (!exists && is(sub, "AT_AddConstraint"))
			fk_target(st, get(def, "Constraint"), "ALTER TABLE ... ADD FOREIGN KEY");
		if (!exists && is(sub, "AT_AddColumn"))
			column_fks(st, get(def, "ColumnDef"), "ALTER TABLE ... REFERENCES");
		if (is(sub, "AT_AttachPartition")) {
			/* SHARE UPDATE EXCLUSIVE on the parent (PostgreSQL 12+), ACCESS
			 * EXCLUSIVE on the table attached */
			const cJSON *part = get(get(def, "PartitionCmd"), "name");
			if (part && existing(st, part)) {
				char *p = rel_text(part);
				strong_lock(st, "ATTACH PARTITION", p, LOCK_ACCESS_EXCLUSIVE);
				free(p);
			}
		}
		if (!exists || !is_table)
			continue;
		if (is(sub, "AT_DetachPartition")) {
			const cJSON *part = get(get(def, "PartitionCmd"), "name");
			char *p = rel_text(part);
			finding(st, st->stmt, R_DETACH, VMIG_LINT_WARNING,
			        "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (PostgreSQL "
			        "14+) in a "
			        "revision of its own with `-- vmig:transaction off`",
			        "DETACH PARTITION \"%s\" without CONCURRENTLY takes an ACCESS "
			        "EXCLUSIVE "
			        "lock on \"%s\", blocking every query on it",
			        p, table);
			free(p);
		} else if (is(sub, "AT_DropNotNull")) {
			finding(
			    st, st->stmt, R_DROP_NOT_NULL, VMIG_LINT_WARNING,
			    "first deploy code that handles NULL in the column (reads and writes), "
			    "then drop NOT NULL in a later release",
			    "DROP NOT NULL on \"%s\".\"%s\": the running release may assume it "
			    "is never NULL, and during a rolling deploy new code may write NULLs "
			    "that old code reads",
			    table, col ? col : "?");
		}
		if (is(sub, "AT_AddColumn")) {
			add_column(st, cmd, table);
		} else if (is(sub, "AT_AlterColumnType")) {
			finding(
			    st, at(st, get(def, "ColumnDef")), R_COLUMN_TYPE, VMIG_LINT_WARNING,
			    "add a column of the new type, write both from the code, backfill in "
			    "batches, switch reads, then drop the old column",
			    "ALTER COLUMN \"%s\" TYPE rewrites \"%s\" and its indexes under an "
			    "ACCESS EXCLUSIVE lock (unless the types are binary compatible, such "
			    "as varchar(n) to text), and the running release may not handle "
			    "the new type",
			    col ? col : "?", table);
		} else if (is(sub, "AT_SetNotNull")) {
			if (!has_validated(st, rel))
				finding(
				    st, st->stmt, R_SET_NOT_NULL, VMIG_LINT_WARNING,
				    "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE "
				    "CONSTRAINT c in a later revision; then SET NOT NULL (no scan) "
				    "and DROP CONSTRAINT c",
				    "SET NOT NULL on \"%s\".\"%s\" scans all of \"%s\" under an "
				    "ACCESS EXCLUSIVE lock (no validated CHECK (%s IS NOT NULL) "
				    "comes before it in this revision)",
				    table, col ? col : "?", table, col ? col : "col");
		} else if (is(sub, "AT_AddConstraint")) {
			const cJSON *con = get(def, "Constraint");
			added_constraint(st, con, table, NULL);
			if (flag(con, "skip_validation")) {
				XGROW(st->not_valid, st->capnot_valid, st->nnot_valid + 1);
				st->not_valid[st->nnot_valid++] =
				    constraint_key(table, str(con, "conname"));
			} else if (is(str(con, "contype"), "CONSTR_CHECK")) {
				add_rel(&st->validated, &st->nvalidated, &st->capvalidated,
				        str(rel, "schemaname"), str(rel, "relname"));
			}
		} else if (is(sub, "AT_DropColumn")) {
			finding(
			    st, st->stmt, R_DROP_COLUMN, VMIG_LINT_WARNING,
			    "first deploy code that no longer reads or writes it (an ORM must "
			    "stop selecting it), then drop it in a later release",
			    "DROP COLUMN \"%s\" of \"%s\" breaks the running release if it still "
			    "uses the column",
			    col ? col : "?", table);
		} else if (is(sub, "AT_SetLogged") || is(sub, "AT_SetUnLogged") ||
		           is(sub, "AT_SetTableSpace") || is(sub, "AT_SetAccessMethod")) {
			finding(st, st->stmt, R_REWRITE, VMIG_LINT_WARNING,
			        "do it in a maintenance window, or copy into a new table online",
			        "%s rewrites \"%s\" under an ACCESS EXCLUSIVE lock",
			        is(sub, "AT_SetLogged")       ? "SET LOGGED"
			        : is(sub, "AT_SetUnLogged")   ? "SET UNLOGGED"
			        : is(sub, "AT_SetTableSpace") ? "SET TABLESPACE"
			                                      : "SET ACCESS METHOD",
			        table);
		}
	}
	if (exists && is_table)
		strong_lock(st, "ALTER TABLE", table, lock);
	free(table);
}

/* "a.b" from a DROP's object name list. */
static char *dotted(const cJSON *list)
{
	vmig_buf b = {0};
	const cJSON *n;
	cJSON_ArrayForEach(n, get(get(list, "List"), "items"))
	{
		const char *s = str(get(n, "String"), "sval");
		vmig_buf_printf(&b, "%s%s", b.len ? "." : "", s ? s : "?");
	}
	return vmig_buf_detach(&b);
}

static void drop(lint_state *st, const cJSON *stmt)
{
	const char *type = str(stmt, "removeType");
	bool concurrent = flag(stmt, "concurrent");
	const cJSON *obj;
	if (concurrent && st->transactional)
		finding(
		    st, st->stmt, R_NEEDS_TXN_OFF, VMIG_LINT_ERROR, SAFER_TXN_OFF,
		    "DROP INDEX CONCURRENTLY cannot run inside a transaction, and this revision "
		    "runs in one");
	cJSON_ArrayForEach(obj, get(stmt, "objects"))
	{
		char *name = dotted(obj);
		const char *bare = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
		if (is(type, "OBJECT_TABLE")) {
			char *schema =
			    bare == name ? NULL : xstrndup(name, (size_t)(bare - 1 - name));
			bool created = false;
			for (size_t i = 0; i < st->ncreated && !created; i++)
				created = rel_match(&st->created[i], schema, bare);
			free(schema);
			if (!created) {
				finding(
				    st, st->stmt, R_DROP_TABLE, VMIG_LINT_WARNING,
				    "first deploy code that no longer uses it, then drop it in a "
				    "later release",
				    "DROP TABLE \"%s\" breaks the running release if it still uses "
				    "the table",
				    name);
				strong_lock(st, "DROP TABLE", name, LOCK_ACCESS_EXCLUSIVE);
			}
		} else if (is(type, "OBJECT_INDEX") && !concurrent &&
		           !has_string(st->created_index, st->nindex, bare)) {
			finding(st, st->stmt, R_INDEX, VMIG_LINT_WARNING, SAFER_INDEX,
			        "DROP INDEX \"%s\" without CONCURRENTLY blocks reads and writes of "
			        "its table while it waits for its lock",
			        name);
			strong_lock(st, "DROP INDEX", name, LOCK_ACCESS_EXCLUSIVE);
		}
		free(name);
	}
}

static bool timeout_value_zero(const cJSON *args)
{
	const cJSON *c = get(cJSON_GetArrayItem(args, 0), "A_Const");
	if (!c)
		return false;
	const cJSON *iv = get(c, "ival");
	if (iv)
		return !cJSON_IsNumber(get(iv, "ival")) || get(iv, "ival")->valuedouble == 0;
	/* '0', '0ms', '0.0s' are zero; '0.5s' and '5s' are not. */
	const char *s = str(get(c, "sval"), "sval");
	if (!s)
		return false;
	bool digit = false;
	for (; isdigit((unsigned char)*s) || *s == '.'; s++) {
		if (*s != '0' && *s != '.')
			return false;
		digit = digit || *s == '0';
	}
	return digit;
}

static void add_string(char ***v, size_t *n, size_t *cap, const char *s)
{
	XGROW(*v, *cap, *n + 1);
	(*v)[(*n)++] = xstrdup(s);
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The first string constant in node that is one of vals, or NULL. */
static const cJSON *uses_value(const cJSON *node, char **vals, size_t n)
{
	if (!node)
		return NULL;
	if (cJSON_IsObject(node)) {
		const cJSON *c = get(node, "A_Const");
		const char *v = str(get(c, "sval"), "sval");
		if (v && has_string(vals, n, v))
			return c;
	}
	const cJSON *child;
	cJSON_ArrayForEach(child, node)
	{
		const cJSON *u = uses_value(child, vals, n);
		if (u)
			return u;
	}
	return NULL;
}

/* Whether a step of a transaction-off revision can be run again after a
 * later step failed: IF [NOT] EXISTS forms and steps that are idempotent.
 * CREATE INDEX CONCURRENTLY IF NOT EXISTS is not enough: a failed build
 * leaves an INVALID index that the rerun would skip, so it needs a DROP
 * INDEX ... IF EXISTS of the same name before it. */
static bool rerunnable(lint_state *st, const cJSON *node)
{
	const cJSON *s;
	if ((s = get(node, "DropStmt"))) {
		if (!flag(s, "missing_ok"))
			return false;
		if (is(str(s, "removeType"), "OBJECT_INDEX")) {
			const cJSON *obj;
			cJSON_ArrayForEach(obj, get(s, "objects"))
			{
				const char *name = last_name(get(get(obj, "List"), "items"));
				if (name)
					add_string(&st->dropped_index, &st->ndropped,
					           &st->capdropped, name);
			}
		}
		return true;
	}
	if ((s = get(node, "IndexStmt"))) {
		const char *idx = str(s, "idxname");
		if (flag(s, "concurrent"))
			return idx && has_string(st->dropped_index, st->ndropped, idx);
		return flag(s, "if_not_exists");
	}
	if ((s = get(node, "CreateStmt")) || (s = get(node, "CreateTableAsStmt")) ||
	    (s = get(node, "CreateSeqStmt")) || (s = get(node, "CreateExtensionStmt")) ||
	    (s = get(node, "CreateSchemaStmt")))
		return flag(s, "if_not_exists");
	if ((s = get(node, "AlterEnumStmt")))
		return flag(s, "skipIfNewValExists");
	if (get(node, "VacuumStmt") || get(node, "SelectStmt"))
		return true;
	if ((s = get(node, "AlterTableStmt"))) {
		static const char *const idempotent[] = {
		    "AT_ColumnDefault", "AT_SetNotNull",      "AT_DropNotNull",
		    "AT_SetStatistics", "AT_SetOptions",      "AT_ResetOptions",
		    "AT_SetRelOptions", "AT_ResetRelOptions", "AT_ValidateConstraint",
		    "AT_SetLogged",     "AT_SetUnLogged",     NULL,
		};
		const cJSON *item;
		cJSON_ArrayForEach(item, get(s, "cmds"))
		{
			const cJSON *cmd = get(item, "AlterTableCmd");
			const char *sub = str(cmd, "subtype");
			bool ok = (is(sub, "AT_AddColumn") || is(sub, "AT_DropColumn") ||
			           is(sub, "AT_DropConstraint")) &&
			          flag(cmd, "missing_ok");
			for (const char *const *p = idempotent; !ok && *p; p++)
				ok = is(sub, *p);
			if (!ok)
				return false;
		}
		return true;
	}
	return false;
}

/* One parsed statement (the node under "stmt"). */
static void lint_stmt(lint_state *st, const cJSON *node)
{
	const cJSON *s;
	if (st->nenum > 0 && !get(node, "AlterEnumStmt")) {
		const cJSON *u = uses_value(node, st->enum_vals, st->nenum);
		if (u)
			finding(
			    st, at(st, u), R_ENUM_USED, VMIG_LINT_ERROR,
			    "add the value in a revision of its own, and use it in a later one",
			    "'%s' is an enum value that ALTER TYPE ... ADD VALUE added earlier in "
			    "this transaction: PostgreSQL 12+ refuses to use it before the "
			    "transaction commits (\"unsafe use of new value\")",
			    str(get(u, "sval"), "sval"));
	}
	if ((s = get(node, "VariableSetStmt"))) {
		bool no_effect = flag(s, "is_local") && !st->transactional && st->txn_depth == 0;
		if (no_effect)
			finding(st, st->stmt, R_SET_LOCAL, VMIG_LINT_WARNING,
			        "SET (for the session) in a `transaction off` revision, or a "
			        "transactional revision",
			        "SET LOCAL %s outside a transaction has no effect (PostgreSQL only "
			        "warns), and this revision runs without one",
			        str(s, "name") ? str(s, "name") : "");
		else if (is(str(s, "name"), "lock_timeout")) {
			st->lock_timeout = is(str(s, "kind"), "VAR_SET_VALUE") &&
			                   !timeout_value_zero(get(s, "args"));
			if (!st->transactional && st->txn_depth > 0 && flag(s, "is_local"))
				st->local_in_block = true;
		}
		return;
	}
	if (get(node, "VariableShowStmt"))
		return;
	if ((s = get(node, "TransactionStmt"))) {
		const char *k = str(s, "kind");
		bool opens = is(k, "TRANS_STMT_BEGIN") || is(k, "TRANS_STMT_START");
		bool ends = is(k, "TRANS_STMT_COMMIT") || is(k, "TRANS_STMT_ROLLBACK") ||
		            is(k, "TRANS_STMT_PREPARE");
		if (st->transactional && (opens || ends || is(k, "TRANS_STMT_COMMIT_PREPARED") ||
		                          is(k, "TRANS_STMT_ROLLBACK_PREPARED")))
			finding(
			    st, st->stmt, R_TXN_CONTROL, VMIG_LINT_ERROR,
			    "leave transactions to vmig; for statements that cannot run in one, "
			    "use a revision with `-- vmig:transaction off`",
			    "vmig runs this revision in a transaction of its own and refuses "
			    "statements that begin or end one");
		if (!st->transactional && opens && st->txn_depth == 0) {
			st->timeout_before_block = st->lock_timeout;
			st->local_in_block = false;
		}
		if (!st->transactional && opens && st->txn_depth++ == 0 && st->units++ == 0)
			st->first_unit = st->stmt;
		if (!st->transactional && ends && st->txn_depth > 0 && --st->txn_depth == 0 &&
		    st->local_in_block) {
			/* a SET LOCAL ends with its transaction */
			st->lock_timeout = st->timeout_before_block;
			st->local_in_block = false;
		}
		return;
	}
	if (!st->transactional && st->txn_depth == 0 && st->units++ == 0)
		st->first_unit = st->stmt;
	if (!st->transactional && !rerunnable(st, node))
		st->rerunnable = false;

	if ((s = get(node, "CreateStmt"))) {
		const cJSON *rel = get(s, "relation"), *e;
		add_rel(&st->created, &st->ncreated, &st->capcreated, str(rel, "schemaname"),
		        str(rel, "relname"));
		/* PARTITION OF takes ACCESS EXCLUSIVE on the partitioned table */
		const cJSON *parent =
		    get(cJSON_GetArrayItem(get(s, "inhRelations"), 0), "RangeVar");
		if (get(s, "partbound") && parent && existing(st, parent)) {
			char *p = rel_text(parent);
			strong_lock(st, "CREATE TABLE ... PARTITION OF", p, LOCK_ACCESS_EXCLUSIVE);
			free(p);
		}
		cJSON_ArrayForEach(e, get(s, "tableElts"))
		{
			column_fks(st, get(e, "ColumnDef"), "CREATE TABLE ... REFERENCES");
			fk_target(st, get(e, "Constraint"), "CREATE TABLE ... REFERENCES");
		}
	} else if ((s = get(node, "AlterEnumStmt"))) {
		if (st->transactional && str(s, "newVal") && !str(s, "oldVal"))
			add_string(&st->enum_vals, &st->nenum, &st->capenum, str(s, "newVal"));
	} else if ((s = get(node, "RefreshMatViewStmt"))) {
		const cJSON *rel = get(s, "relation");
		if (!flag(s, "concurrent") && existing(st, rel)) {
			char *view = rel_text(rel);
			finding(
			    st, st->stmt, R_REFRESH, VMIG_LINT_WARNING,
			    "REFRESH MATERIALIZED VIEW CONCURRENTLY (it needs a unique index on "
			    "plain columns of the view, with no WHERE; it may run in a "
			    "transaction)",
			    "REFRESH MATERIALIZED VIEW \"%s\" without CONCURRENTLY blocks every "
			    "read of it until the refresh ends",
			    view);
			strong_lock(st, "REFRESH MATERIALIZED VIEW", view, LOCK_ACCESS_EXCLUSIVE);
			free(view);
		}
	} else if ((s = get(node, "CreateTableAsStmt"))) {
		const cJSON *rel = get(get(s, "into"), "rel");
		add_rel(&st->created, &st->ncreated, &st->capcreated, str(rel, "schemaname"),
		        str(rel, "relname"));
	} else if ((s = get(node, "IndexStmt"))) {
		const cJSON *rel = get(s, "relation");
		const char *idx = str(s, "idxname");
		if (idx) {
			XGROW(st->created_index, st->capindex, st->nindex + 1);
			st->created_index[st->nindex++] = xstrdup(idx);
		}
		if (flag(s, "concurrent")) {
			if (st->transactional)
				finding(
				    st, st->stmt, R_NEEDS_TXN_OFF, VMIG_LINT_ERROR,
				    SAFER_TXN_OFF_INDEX,
				    "CREATE INDEX CONCURRENTLY cannot run inside a transaction, "
				    "and this revision runs in one");
		} else if (existing(st, rel)) {
			char *table = rel_text(rel);
			finding(st, st->stmt, R_INDEX, VMIG_LINT_WARNING, SAFER_INDEX,
			        "CREATE INDEX on existing table \"%s\" without CONCURRENTLY blocks "
			        "writes to it while the index builds",
			        table);
			strong_lock(st, "CREATE INDEX", table, LOCK_SHARE);
			free(table);
		}
	} else if ((s = get(node, "AlterTableStmt"))) {
		alter_table(st, s);
	} else if ((s = get(node, "DropStmt"))) {
		drop(st, s);
	} else if ((s = get(node, "RenameStmt"))) {
		const char *type = str(s, "renameType");
		const cJSON *rel = get(s, "relation");
		char *table = rel_text(rel);
		bool column =
		    is(type, "OBJECT_COLUMN") && is(str(s, "relationType"), "OBJECT_TABLE");
		bool whole = is(type, "OBJECT_TABLE") || is(type, "OBJECT_VIEW") ||
		             is(type, "OBJECT_MATVIEW");
		if (!existing(st, rel)) {
			if (is(type, "OBJECT_TABLE"))
				add_rel(&st->created, &st->ncreated, &st->capcreated,
				        str(rel, "schemaname"), str(s, "newname"));
		} else if (column) {
			finding(st, st->stmt, R_RENAME_COLUMN, VMIG_LINT_WARNING, SAFER_EXPAND,
			        "RENAME COLUMN \"%s\" of \"%s\" breaks the running release, which "
			        "still uses the old name",
			        str(s, "subname") ? str(s, "subname") : "?", table);
			strong_lock(st, "RENAME COLUMN", table, LOCK_ACCESS_EXCLUSIVE);
		} else if (whole) {
			finding(
			    st, st->stmt, R_RENAME_TABLE, VMIG_LINT_WARNING,
			    "expand and contract (a new table kept in step, or a view under the "
			    "old name), and drop the old name in a later release",
			    "renaming \"%s\" to \"%s\" breaks the running release, which still "
			    "uses the old name",
			    table, str(s, "newname") ? str(s, "newname") : "?");
			strong_lock(st, "RENAME", table, LOCK_ACCESS_EXCLUSIVE);
		}
		free(table);
	} else if ((s = get(node, "ReindexStmt"))) {
		if (def_elem(get(s, "params"), "concurrently")) {
			if (st->transactional)
				finding(st, st->stmt, R_NEEDS_TXN_OFF, VMIG_LINT_ERROR,
				        SAFER_TXN_OFF,
				        "REINDEX CONCURRENTLY cannot run inside a transaction, and "
				        "this revision runs in one");
		} else {
			const cJSON *rel = get(s, "relation");
			const char *kind = str(s, "kind");
			bool index = is(kind, "REINDEX_OBJECT_INDEX");
			if (st->transactional && (is(kind, "REINDEX_OBJECT_SCHEMA") ||
			                          is(kind, "REINDEX_OBJECT_SYSTEM") ||
			                          is(kind, "REINDEX_OBJECT_DATABASE")))
				finding(st, st->stmt, R_NEEDS_TXN_OFF, VMIG_LINT_ERROR,
				        SAFER_TXN_OFF,
				        "REINDEX SCHEMA, DATABASE or SYSTEM cannot run inside a "
				        "transaction, and this revision runs in one");
			bool fresh =
			    rel &&
			    (index ? has_string(st->created_index, st->nindex,
			                        str(rel, "relname") ? str(rel, "relname") : "")
			           : !existing(st, rel));
			if (!fresh) {
				finding(
				    st, st->stmt, R_INDEX, VMIG_LINT_WARNING, SAFER_INDEX,
				    "REINDEX without CONCURRENTLY blocks writes to the table (and "
				    "reads through the index) while it rebuilds");
				char *name = rel ? rel_text(rel)
				                 : xstrdup(str(s, "name") ? str(s, "name") : "?");
				/* SHARE on the table, ACCESS EXCLUSIVE on each index rebuilt */
				strong_lock(st, "REINDEX", name, LOCK_SHARE);
				free(name);
			}
		}
	} else if ((s = get(node, "VacuumStmt"))) {
		if (flag(s, "is_vacuumcmd") && st->transactional)
			finding(st, st->stmt, R_NEEDS_TXN_OFF, VMIG_LINT_ERROR, SAFER_TXN_OFF,
			        "VACUUM cannot run inside a transaction, and this revision runs in "
			        "one");
		if (def_elem(get(s, "options"), "full"))
			finding(st, st->stmt, R_REWRITE, VMIG_LINT_WARNING,
			        "plain VACUUM (no lock on reads and writes), or an online repack "
			        "tool",
			        "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock");
	} else if (get(node, "ClusterStmt")) {
		finding(st, st->stmt, R_REWRITE, VMIG_LINT_WARNING,
		        "do it in a maintenance window, or use an online repack tool",
		        "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock");
	} else if ((s = get(node, "DropdbStmt"))) {
		if (st->transactional)
			finding(
			    st, st->stmt, R_NEEDS_TXN_OFF, VMIG_LINT_ERROR, SAFER_TXN_OFF,
			    "DROP DATABASE cannot run inside a transaction, and this revision runs "
			    "in one");
		finding(st, st->stmt, R_DROP_DATABASE, VMIG_LINT_WARNING,
		        "drop databases by hand, outside migrations",
		        "DROP DATABASE \"%s\" in a migration: it destroys a whole database, and "
		        "cannot be undone",
		        str(s, "dbname") ? str(s, "dbname") : "?");
	} else if (get(node, "CreatedbStmt") || get(node, "AlterSystemStmt") ||
	           get(node, "CreateTableSpaceStmt") || get(node, "DropTableSpaceStmt")) {
		if (st->transactional)
			finding(st, st->stmt, R_NEEDS_TXN_OFF, VMIG_LINT_ERROR, SAFER_TXN_OFF,
			        "this statement cannot run inside a transaction, and this revision "
			        "runs in one");
	} else if ((s = get(node, "CreateTrigStmt"))) {
		const cJSON *rel = get(s, "relation");
		if (existing(st, rel)) {
			char *table = rel_text(rel);
			strong_lock(st, "CREATE TRIGGER", table, LOCK_SHARE_ROW_EXCLUSIVE);
			free(table);
		}
	} else if ((s = get(node, "TruncateStmt"))) {
		const cJSON *r;
		bool cascade = is(str(s, "behavior"), "DROP_CASCADE");
		cJSON_ArrayForEach(r, get(s, "relations"))
		{
			const cJSON *rel = get(r, "RangeVar");
			if (!rel || !existing(st, rel))
				continue;
			char *table = rel_text(rel);
			finding(st, st->stmt, R_TRUNCATE, VMIG_LINT_WARNING,
			        "delete the rows in batches (DELETE ... WHERE, by key ranges), or "
			        "leave emptying tables out of migrations",
			        "TRUNCATE \"%s\" deletes every row of an existing table%s", table,
			        cascade
			            ? ", and CASCADE also empties every table with a foreign key "
			              "to it"
			            : "");
			strong_lock(st, "TRUNCATE", table, LOCK_ACCESS_EXCLUSIVE);
			free(table);
		}
	}
}

/*
 * cJSON refuses a tree nested deeper than CJSON_NESTING_LIMIT, which a
 * statement PostgreSQL takes can be (a default of 400 nested function
 * calls): the parse tree json, with every object or array that would open
 * past the limit replaced by {"VmigPruned":true}, or NULL when it is not
 * that deep.  json is libpg_query's, so well formed.
 */
#define PRUNE_DEPTH (CJSON_NESTING_LIMIT - 2)

static char *prune_deep(const char *json)
{
	int depth = 0, max = 0;
	for (const char *p = json; *p; p++) {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				break;
		} else if (*p == '{' || *p == '[') {
			max = ++depth > max ? depth : max;
		} else if (*p == '}' || *p == ']') {
			depth--;
		}
	}
	if (max <= PRUNE_DEPTH)
		return NULL;
	vmig_buf b = {0};
	depth = 0;
	for (const char *p = json; *p; p++) {
		if (*p == '"') {
			const char *q = p;
			for (q++; *q && *q != '"'; q++)
				if (*q == '\\' && q[1])
					q++;
			size_t n = (size_t)(q - p) + (*q ? 1 : 0);
			if (depth <= PRUNE_DEPTH)
				vmig_buf_add(&b, p, n);
			p += n - 1;
			if (!*q)
				break;
			continue;
		}
		if (*p == '{' || *p == '[') {
			if (depth++ == PRUNE_DEPTH)
				vmig_buf_puts(&b, "{\"" PRUNED_KEY "\":true}");
		} else if (*p == '}' || *p == ']') {
			if (depth-- > PRUNE_DEPTH)
				continue;
		}
		if (depth <= PRUNE_DEPTH)
			vmig_buf_putc(&b, *p);
	}
	return vmig_buf_detach(&b);
}

static void lint_text(lint_state *st, const char *sql, size_t len)
{
	vmig_pgstmt *stmts = NULL;
	size_t n = 0, err_off = 0;
	vmig_error serr = {0};
	if (vmig_pgsplit(sql, len, &stmts, &n, &err_off, &serr)) {
		/* No statement is known: the finding's is the section's first token. */
		size_t off = err_off == VMIG_PGSPLIT_NO_OFFSET || err_off > len ? len : err_off;
		st->stmt = vmig_pgsplit_skip_blank(sql, off, 0);
		finding(st, err_off == VMIG_PGSPLIT_NO_OFFSET ? st->stmt : off, R_SYNTAX,
		        VMIG_LINT_ERROR, "fix the SQL: PostgreSQL will refuse it", "%s", serr.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *text = xstrndup(sql + stmts[i].offset, stmts[i].len);
		st->base = st->stmt = stmts[i].offset;
		PgQueryParseResult r = pg_query_parse(text);
		if (r.error) {
			size_t off =
			    r.error->cursorpos > 0
			        ? vmig_pgsplit_char_offset(text, stmts[i].len, r.error->cursorpos)
			        : 0;
			finding(st, st->stmt + off, R_SYNTAX, VMIG_LINT_ERROR,
			        "fix the SQL (PostgreSQL 15's parser; newer syntax may need a "
			        "lint-ignore)",
			        "%s", r.error->message);
		} else {
			char *pruned = prune_deep(r.parse_tree);
			cJSON *tree = cJSON_Parse(pruned ? pruned : r.parse_tree);
			free(pruned);
			if (!tree)
				vmig_out_of_memory();
			const cJSON *raw;
			cJSON_ArrayForEach(raw, get(tree, "stmts"))
			{
				const cJSON *loc = get(raw, "stmt_location");
				st->stmt = stmts[i].offset +
				           (cJSON_IsNumber(loc) ? (size_t)loc->valuedouble : 0);
				st->stmt = vmig_pgsplit_skip_blank(sql, len, st->stmt);
				lint_stmt(st, get(raw, "stmt"));
			}
			cJSON_Delete(tree);
		}
		pg_query_free_parse_result(r);
		free(text);
	}
	free(stmts);
}

static void free_rels(relname *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].schema);
		free(v[i].name);
	}
	free(v);
}

int vmig_pg_lint(const char *sql, size_t len, bool transactional, vmig_lint_findings *out,
                 vmig_error *err)
{
	(void)err;
	lint_state st = {
	    .sql = sql, .transactional = transactional, .out = out, .rerunnable = true};
	lint_text(&st, sql, len);
	if (!transactional && st.units > 1 && !st.rerunnable) {
		st.stmt = st.first_unit;
		finding(&st, st.first_unit, R_SEVERAL, VMIG_LINT_WARNING,
		        "one statement per `transaction off` revision (SET lock_timeout aside), or "
		        "statements that can be rerun (IF NOT EXISTS / IF EXISTS; for CREATE INDEX "
		        "CONCURRENTLY, DROP INDEX CONCURRENTLY IF EXISTS first: a failed build "
		        "leaves an INVALID index that IF NOT EXISTS skips)",
		        "this `transaction off` revision has %zu statements: if one fails, those "
		        "before it stay done and the revision is left dirty",
		        st.units);
	}
	free_rels(st.created, st.ncreated);
	free_rels(st.validated, st.nvalidated);
	for (size_t i = 0; i < st.nindex; i++)
		free(st.created_index[i]);
	free(st.created_index);
	for (size_t i = 0; i < st.nnot_valid; i++)
		free(st.not_valid[i]);
	free(st.not_valid);
	free_strings(st.dropped_index, st.ndropped);
	free_strings(st.enum_vals, st.nenum);
	return VMIG_OK;
}
