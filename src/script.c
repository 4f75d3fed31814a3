/*
 * script.c - the script database of offline runs (see script.h).
 *
 * The connection keeps a copy of the dialect's driver table with its
 * functions replaced by the ones below, so that the driver's name and
 * capabilities stay what the runner and the messages see.  It writes BEGIN
 * and COMMIT itself around what runs in a transaction of its own
 * (VMIG_TXN_OWN, and creating the tables outside a run-wide transaction),
 * and a comment before each revision naming it, its message and its file.
 */
#include "script.h"

#include "alloc.h"
#include "buf.h"
#include "plan.h"

#include <string.h>

typedef struct script_conn {
	vmig_conn base;    /* first: base.driver is &table */
	vmig_driver table; /* the dialect's, with the functions below */
	const vmig_driver *dialect;
	vmig_conn_opts opts; /* strings borrowed from the config */
	const vmig_graph *files;
	vmig_run_kind kind;
	vmig_applied_set from; /* the rows of the applied set FROM, in order */
	vmig_buf out;
	bool in_txn;
	char *last_rev; /* the revision whose comment was written last */
} script_conn;

static script_conn *conn_of(vmig_conn *c)
{
	return (script_conn *)c;
}

static int call(script_conn *sc, enum vmig_script_call what, const vmig_change *chg,
                size_t *fail_offset, vmig_error *err)
{
	return sc->dialect->script(&sc->opts, what, chg, &sc->out, fail_offset, err);
}

static void script_close(vmig_conn *c)
{
	script_conn *sc = conn_of(c);
	if (!sc)
		return;
	vmig_applied_free(&sc->from);
	vmig_buf_free(&sc->out);
	free(sc->last_rev);
	free(sc);
}

static int script_lock(vmig_conn *c, vmig_error *err)
{
	vmig_buf_putc(&conn_of(c)->out, '\n');
	return call(conn_of(c), VMIG_SCRIPT_LOCK, NULL, NULL, err);
}

static void script_unlock(vmig_conn *c)
{
	vmig_error ignored = {0};
	vmig_buf_putc(&conn_of(c)->out, '\n');
	call(conn_of(c), VMIG_SCRIPT_UNLOCK, NULL, NULL, &ignored);
}

static void copy_row(const vmig_applied *from, vmig_applied *to)
{
	*to = *from;
	to->revision = xstrdup(from->revision);
	to->parents = from->parents ? xstrdup(from->parents) : NULL;
	to->message = from->message ? xstrdup(from->message) : NULL;
	to->checksum = from->checksum ? xstrdup(from->checksum) : NULL;
	to->applied_at = from->applied_at ? xstrdup(from->applied_at) : NULL;
	to->down_sql = from->down_sql ? xstrdup(from->down_sql) : NULL;
}

/* The database "is" at FROM, before and after: the script changes nothing here. */
static int script_read_applied(vmig_conn *c, bool ids_only, vmig_applied_set *set, vmig_error *err)
{
	(void)ids_only;
	(void)err;
	const script_conn *sc = conn_of(c);
	for (size_t i = 0; i < sc->from.n; i++)
		copy_row(&sc->from.rows[i], vmig_applied_add(set));
	return VMIG_OK;
}

static int script_begin(vmig_conn *c, vmig_error *err)
{
	conn_of(c)->in_txn = true;
	return call(conn_of(c), VMIG_SCRIPT_BEGIN, NULL, NULL, err);
}

static int script_commit(vmig_conn *c, vmig_error *err)
{
	conn_of(c)->in_txn = false;
	return call(conn_of(c), VMIG_SCRIPT_COMMIT, NULL, NULL, err);
}

static void script_rollback(vmig_conn *c)
{
	conn_of(c)->in_txn = false; /* nothing to undo: the script is discarded */
}

static int script_prepare(vmig_conn *c, vmig_error *err)
{
	script_conn *sc = conn_of(c);
	bool own = !sc->in_txn;
	vmig_buf_puts(&sc->out, "\n-- the version table, if this database has none yet\n");
	int rc = own ? call(sc, VMIG_SCRIPT_BEGIN, NULL, NULL, err) : VMIG_OK;
	if (rc == VMIG_OK)
		rc = call(sc, VMIG_SCRIPT_PREPARE, NULL, NULL, err);
	if (rc == VMIG_OK && own)
		rc = call(sc, VMIG_SCRIPT_COMMIT, NULL, NULL, err);
	return rc;
}

/* "-- revision ID: message (file)" before the first change of a revision. */
static void add_comment(script_conn *sc, const vmig_change *chg)
{
	const char *id = chg->row->revision;
	if (sc->last_rev && strcmp(sc->last_rev, id) == 0)
		return;
	free(sc->last_rev);
	sc->last_rev = xstrdup(id);
	size_t node = vmig_graph_find(sc->files, id);
	const vmig_revision *r = node != VMIG_NONE ? sc->files->revs[node] : NULL;
	bool down = chg->op == VMIG_ROW_DELETE || chg->op == VMIG_ROW_SET_IN_PROGRESS;
	const char *what = sc->kind == VMIG_RUN_STAMP ? (down ? "unrecord" : "record")
	                   : down                     ? "unapply"
	                                              : "apply";
	/* Escaped: a message or a file name must not end the comment. */
	vmig_buf_printf(&sc->out, "\n-- %s revision ", what);
	vmig_buf_put_escaped(&sc->out, id, strlen(id));
	if (r && r->message[0]) {
		vmig_buf_puts(&sc->out, ": ");
		vmig_buf_put_escaped(&sc->out, r->message, strlen(r->message));
	}
	if (r && r->path) {
		vmig_buf_puts(&sc->out, " (");
		vmig_buf_put_escaped(&sc->out, r->path, strlen(r->path));
		vmig_buf_putc(&sc->out, ')');
	}
	if (r && !r->transactional && sc->kind != VMIG_RUN_STAMP)
		vmig_buf_puts(&sc->out, " -- transaction off: outside any transaction");
	vmig_buf_putc(&sc->out, '\n');
}

static int script_apply(vmig_conn *c, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	script_conn *sc = conn_of(c);
	size_t ignored;
	if (!fail_offset)
		fail_offset = &ignored;
	*fail_offset = VMIG_NO_OFFSET;
	if (chg->row && chg->row->revision)
		add_comment(sc, chg);
	bool own = chg->txn == VMIG_TXN_OWN;
	int rc = own ? call(sc, VMIG_SCRIPT_BEGIN, NULL, NULL, err) : VMIG_OK;
	if (rc == VMIG_OK)
		rc = call(sc, VMIG_SCRIPT_APPLY, chg, fail_offset, err);
	if (rc == VMIG_OK && own)
		rc = call(sc, VMIG_SCRIPT_COMMIT, NULL, NULL, err);
	return rc;
}

/*
 * The applied set FROM: each comma-separated target applied on top of the
 * ones before it, as `vmig up` would, so that the rows have the order
 * (seq) an online run gives them.
 */
static int load_from(script_conn *sc, const char *from, vmig_error *err)
{
	const vmig_graph *g = sc->files;
	bool *applied = xcalloc(g->n ? g->n : 1, sizeof *applied);
	char *list = xstrdup(from ? from : "base");
	int rc = VMIG_OK;
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t && rc == VMIG_OK;
	     t = strtok_r(NULL, ",", &save)) {
		vmig_plan plan = {0};
		t += strspn(t, " "); /* "a, b" as well as "a,b" */
		t[strcspn(t, " ")] = '\0';
		if (!*t || strcmp(t, "base") == 0)
			continue;
		rc = vmig_plan_up(g, applied, t, &plan, err);
		for (size_t i = 0; rc == VMIG_OK && i < plan.n; i++) {
			const vmig_revision *r = g->revs[plan.steps[i].node];
			vmig_applied row;
			applied[plan.steps[i].node] = true;
			vmig_run_row(r, "", &row);
			row.seq = (long long)sc->from.n + 1;
			copy_row(&row, vmig_applied_add(&sc->from));
			free(row.parents);
		}
		vmig_plan_free(&plan);
	}
	if (rc)
		vmig_error_prefix(err, "FROM (the part of `FROM:TO` before ':')");
	free(list);
	free(applied);
	return rc;
}

int vmig_script_open(const vmig_config *cfg, const vmig_graph *files, const char *from,
                     vmig_run_kind kind, vmig_db *db, vmig_error *err)
{
	vmig_conn_opts opts;
	int rc = vmig_db_choose(cfg, db, &opts, err);
	if (rc)
		return rc;
	if (!db->driver->script) {
		rc = vmig_fail(err, VMIG_ERR_INPUT, "the %s driver cannot write offline scripts",
		               db->driver->name);
		vmig_db_close(db);
		return rc;
	}
	script_conn *sc = xcalloc(1, sizeof *sc);
	sc->dialect = db->driver;
	sc->opts = opts;
	sc->files = files;
	sc->kind = kind;
	sc->table = *db->driver;
	sc->table.connect = NULL;
	sc->table.close = script_close;
	sc->table.lock = script_lock;
	sc->table.unlock = script_unlock;
	sc->table.read_applied = script_read_applied;
	sc->table.prepare = script_prepare;
	sc->table.begin = script_begin;
	sc->table.commit = script_commit;
	sc->table.rollback = script_rollback;
	sc->table.apply = script_apply;
	sc->base.driver = &sc->table;
	db->driver = &sc->table;
	db->conn = &sc->base;
	rc = load_from(sc, from, err);
	if (rc)
		vmig_db_close(db);
	return rc;
}

const char *vmig_script_text(const vmig_db *db)
{
	return vmig_buf_str(&((const script_conn *)db->conn)->out);
}
