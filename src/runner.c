/*
 * runner.c - executing a plan: transactions, bookkeeping, progress.
 */
#include "runner.h"

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "plan.h"

#include <string.h>

static int plan_redo(const vmig_state *st, vmig_plan *plan, vmig_error *err)
{
	int rc = vmig_plan_down(st->graph, st->applied, "-1", plan, err);
	if (rc || !plan->n)
		return rc;
	const vmig_revision *r = st->graph->revs[plan->steps[0].node];
	if (r->from_db) {
		vmig_plan_free(plan);
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "redo: the file of revision %s is gone, so it cannot be applied "
		                 "again; use `vmig down` instead",
		                 r->id);
	}
	plan->steps = xrealloc(plan->steps, 2 * sizeof *plan->steps);
	plan->steps[1] = (vmig_step){.node = plan->steps[0].node, .down = false};
	plan->n = 2;
	return VMIG_OK;
}

/* Whether the run only records (stamp, adopt): no SQL of a revision runs. */
static bool records_only(const vmig_run_opts *o)
{
	return o->kind == VMIG_RUN_STAMP || o->kind == VMIG_RUN_ADOPT;
}

/* The revisions the other tool's table names, and their ancestors, that are
 * not applied yet: planned as `up` of each, one after the other. */
static int plan_adopt(vmig_db *db, const vmig_state *st, const vmig_run_opts *o, vmig_plan *plan,
                      vmig_error *err)
{
	const vmig_graph *g = st->graph;
	char **ids = NULL;
	size_t n = 0;
	int rc = db->driver->read_column(db->conn, o->adopt_table, o->adopt_column, &ids, &n, err);
	for (size_t i = 0; rc == VMIG_OK && i < n; i++) {
		size_t v = vmig_graph_find(g, ids[i]);
		if (v == VMIG_NONE || g->revs[v]->from_db)
			rc = vmig_fail(err, VMIG_ERR_INPUT,
			               "%s names revision %s, which no migration file has; import "
			               "the Alembic history first (`vmig import alembic DIR`), or "
			               "check --dir; nothing was written",
			               o->adopt_table, ids[i]);
	}
	bool *mask = xmalloc((g->n ? g->n : 1) * sizeof *mask);
	memcpy(mask, st->applied, g->n * sizeof *mask);
	for (size_t i = 0; rc == VMIG_OK && i < n; i++) {
		vmig_plan one = {0};
		rc = vmig_plan_up(g, mask, ids[i], &one, err);
		plan->steps = xrealloc(plan->steps, (plan->n + one.n + 1) * sizeof *plan->steps);
		for (size_t k = 0; rc == VMIG_OK && k < one.n; k++) {
			mask[one.steps[k].node] = true;
			plan->steps[plan->n++] = one.steps[k];
		}
		vmig_plan_free(&one);
	}
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(mask);
	if (rc)
		vmig_plan_free(plan);
	return rc;
}

static int make_plan(const vmig_state *st, const vmig_run_opts *o, vmig_plan *plan, vmig_error *err)
{
	switch (o->kind) {
	case VMIG_RUN_UP:
		return vmig_plan_up(st->graph, st->applied, o->target, plan, err);
	case VMIG_RUN_DOWN:
		return vmig_plan_down(st->graph, st->applied, o->target, plan, err);
	case VMIG_RUN_REDO:
		return plan_redo(st, plan, err);
	default:
		return vmig_plan_stamp(st->graph, st->applied, o->target ? o->target : "head", plan,
		                       err);
	}
}

/* A transaction-off revision cannot run inside a run-wide transaction. */
static int check_single_transaction(const vmig_state *st, const vmig_plan *plan, vmig_error *err)
{
	for (size_t i = 0; i < plan->n; i++) {
		const vmig_revision *r = st->graph->revs[plan->steps[i].node];
		if (!r->transactional)
			return vmig_fail(err, VMIG_ERR_INPUT,
			                 "%s: revision %s runs without a transaction "
			                 "(-- vmig:transaction off), so it cannot be part of a "
			                 "single-transaction run; run without --single-transaction "
			                 "(and with transaction_per_migration: true)",
			                 r->path, r->id);
	}
	return VMIG_OK;
}

void vmig_run_row(const vmig_revision *r, const char *now, vmig_applied *row)
{
	vmig_buf parents = {0};
	for (size_t i = 0; i < r->nparents; i++)
		vmig_buf_printf(&parents, "%s%s", i ? " " : "", r->parents[i]);
	memset(row, 0, sizeof *row);
	row->revision = r->id;
	row->parents = vmig_buf_detach(&parents);
	row->message = r->message;
	row->checksum = (char *)vmig_revision_checksum(r);
	row->checksum_version = VMIG_CHECKSUM_VERSION;
	row->applied_at = (char *)now;
	row->down_sql = r->down_sql;
	row->transactional = r->transactional;
}

/* Adds "file:line: revision X failed" in front of the driver's message. */
static int explain_failure(const vmig_revision *r, bool down, size_t offset, vmig_error *err)
{
	const char *sql = down ? r->down_sql : r->up_sql;
	if (r->from_db)
		vmig_error_prefix(err, "revision %s (down SQL from the version table) failed",
		                  r->id);
	else if (offset != VMIG_NO_OFFSET && sql && offset <= strlen(sql))
		vmig_error_prefix(err, "%s:%d: revision %s failed", r->path,
		                  vmig_revision_line_at(r, down, offset), r->id);
	else
		vmig_error_prefix(err, "%s:%d: revision %s failed", r->path,
		                  down ? r->down_line : r->up_line, r->id);
	return err->code;
}

typedef struct exec_ctx {
	vmig_db *db;
	const vmig_state *st;
	const vmig_run_opts *o;
	bool outer; /* inside one run-wide transaction, begun by the caller */
} exec_ctx;

static int apply(exec_ctx *x, const char *sql, enum vmig_txn txn, enum vmig_row_op op,
                 const vmig_applied *row, size_t *offset, vmig_error *err)
{
	vmig_change chg = {.struct_version = VMIG_CHANGE_VERSION,
	                   .sql = sql,
	                   .sql_len = sql ? strlen(sql) : 0,
	                   .txn = txn,
	                   .op = op,
	                   .row = row};
	return x->db->driver->apply(x->db->conn, &chg, offset, err);
}

/*
 * After SQL that may have committed in part (it ended vmig's transaction),
 * the revision is recorded as in progress, as a `transaction off` revision
 * that failed is: every later run refuses to go on until a person has
 * looked, so the version table never claims less than the schema holds.
 */
static void record_partial(exec_ctx *x, const vmig_applied *row, bool down, vmig_error *err)
{
	vmig_error ignored = {0};
	size_t off;
	int rc = apply(x, NULL, VMIG_TXN_OWN,
	               down ? VMIG_ROW_SET_IN_PROGRESS : VMIG_ROW_INSERT_IN_PROGRESS, row, &off,
	               &ignored);
	if (rc == VMIG_OK)
		vmig_error_append(err,
		                  "revision %s is now marked in progress; check the database, then "
		                  "record the outcome with `vmig stamp`",
		                  row->revision);
	else
		vmig_error_append(err, "marking revision %s in progress failed too: %s",
		                  row->revision, ignored.msg);
}

static int run_step(exec_ctx *x, const vmig_step *s, vmig_error *err)
{
	const vmig_revision *r = x->st->graph->revs[s->node];
	bool stamp = records_only(x->o);
	const char *sql = stamp ? NULL : s->down ? r->down_sql : r->up_sql;
	char now[32];
	vmig_applied row;
	size_t offset = VMIG_NO_OFFSET;
	int rc;

	vmig_utc_now(now);
	vmig_run_row(r, now, &row);
	enum vmig_row_op done_op = s->down ? VMIG_ROW_DELETE : VMIG_ROW_INSERT_APPLIED;
	if (x->outer || stamp) {
		rc = apply(x, sql, VMIG_TXN_OUTER, done_op, &row, &offset, err);
	} else if (r->transactional) {
		rc = apply(x, sql, VMIG_TXN_OWN, done_op, &row, &offset, err);
	} else {
		/* Marked in progress first, so that a failure or a kill leaves a trace. */
		rc = apply(x, NULL, VMIG_TXN_OWN,
		           s->down ? VMIG_ROW_SET_IN_PROGRESS : VMIG_ROW_INSERT_IN_PROGRESS, &row,
		           &offset, err);
		if (rc == VMIG_OK)
			rc = apply(x, sql, VMIG_TXN_NONE,
			           s->down ? VMIG_ROW_DELETE : VMIG_ROW_SET_APPLIED, &row, &offset,
			           err);
	}
	if (rc && err->partial && r->transactional) {
		if (x->outer) /* what is left of the caller's transaction goes first */
			x->db->driver->rollback(x->db->conn);
		record_partial(x, &row, s->down, err);
	}
	free(row.parents);
	if (rc && !stamp && sql)
		return explain_failure(r, s->down, offset, err);
	return rc;
}

static void say_failure_scope(const exec_ctx *x, const vmig_revision *r, size_t done,
                              vmig_error *err)
{
	if (x->o->offline)
		vmig_error_append(err, "no script was written");
	if (err->partial || x->o->offline)
		return; /* what happened is already said */
	else if (x->outer)
		vmig_error_append(err, "the whole run was rolled back: nothing was changed");
	else if (!r->transactional)
		vmig_error_append(err,
		                  "it ran without a transaction, so part of it may have taken "
		                  "effect; it stays marked in progress until you resolve it with "
		                  "`vmig stamp`");
	else if (done)
		vmig_error_append(err,
		                  "revision %s was rolled back; the %zu revision(s) before it in "
		                  "this run stay applied",
		                  r->id, done);
	else
		vmig_error_append(err, "revision %s was rolled back; nothing was %s", r->id,
		                  x->o->kind == VMIG_RUN_UP ? "applied" : "reverted");
}

static void report(const exec_ctx *x, const vmig_run_event *ev, size_t n)
{
	for (size_t i = 0; x->o->progress && i < n; i++)
		x->o->progress(x->o->ctx, &ev[i]);
}

static int execute(exec_ctx *x, const vmig_plan *plan, vmig_run_result *res, vmig_error *err)
{
	const vmig_driver *d = x->db->driver;
	int rc = VMIG_OK;
	double start = vmig_now_ms();
	/* Inside one transaction a step is done only at the commit: report then. */
	vmig_run_event *done = xcalloc(plan->n + x->st->ndirty + 1, sizeof *done);
	/* stamp clears dirty rows first; the plan re-records those it keeps */
	for (size_t i = 0; rc == VMIG_OK && x->o->kind == VMIG_RUN_STAMP && i < x->st->ndirty;
	     i++) {
		size_t off, v = vmig_graph_find(x->st->graph, x->st->dirty[i]->revision);
		rc = apply(x, NULL, VMIG_TXN_OUTER, VMIG_ROW_DELETE, x->st->dirty[i], &off, err);
		if (rc == VMIG_OK && v != VMIG_NONE)
			done[res->steps++] = (vmig_run_event){
			    .rev = x->st->graph->revs[v], .down = true, .stamp = true};
	}
	for (size_t i = 0; rc == VMIG_OK && i < plan->n; i++) {
		double t0 = vmig_now_ms();
		const vmig_step *s = &plan->steps[i];
		rc = run_step(x, s, err);
		if (rc) {
			if (!records_only(x->o))
				say_failure_scope(x, x->st->graph->revs[s->node], res->steps, err);
			break;
		}
		done[res->steps++] = (vmig_run_event){.rev = x->st->graph->revs[s->node],
		                                      .down = s->down,
		                                      .stamp = records_only(x->o),
		                                      .ms = vmig_now_ms() - t0};
		if (!x->outer)
			report(x, &done[res->steps - 1], 1);
	}
	if (x->outer) {
		if (rc == VMIG_OK)
			rc = d->commit(x->db->conn, err);
		else
			d->rollback(x->db->conn);
		if (rc)
			res->steps = 0;
		report(x, done, res->steps);
	}
	free(done);
	res->ms = vmig_now_ms() - start;
	return rc;
}

/*
 * Reads the state and makes the plan; with under_lock the full read.  The
 * first look (not under the lock) leaves a revision in progress to the read
 * under the lock, setting *in_progress: it may be another runner's at work.
 */
static int read_and_plan(vmig_db *db, const vmig_graph *files, const vmig_run_opts *o,
                         bool under_lock, vmig_state *st, vmig_plan *plan, bool *in_progress,
                         vmig_error *err)
{
	bool ids_only = !under_lock && o->kind == VMIG_RUN_UP;
	int rc = vmig_state_load(db, files, ids_only, st, err);
	*in_progress = rc == VMIG_OK && o->kind != VMIG_RUN_STAMP && st->ndirty;
	if (*in_progress && !under_lock)
		return VMIG_OK;
	if (rc == VMIG_OK && o->kind != VMIG_RUN_STAMP)
		rc = vmig_state_refuse_dirty(st, err);
	if (rc == VMIG_OK && o->kind == VMIG_RUN_ADOPT)
		rc = plan_adopt(db, st, o, plan, err);
	else if (rc == VMIG_OK)
		rc = make_plan(st, o, plan, err);
	return rc;
}

/* "a, b" for the applied heads of st with the plan's steps done (or "base"). */
static char *heads_after(const vmig_state *st, const vmig_plan *plan, size_t done)
{
	const vmig_graph *g = st->graph;
	bool *mask = xmalloc((g->n ? g->n : 1) * sizeof *mask);
	size_t *heads = xmalloc((g->n ? g->n : 1) * sizeof *heads);
	vmig_buf b = {0};
	memcpy(mask, st->applied, g->n * sizeof *mask);
	for (size_t i = 0; i < done && i < plan->n; i++)
		mask[plan->steps[i].node] = !plan->steps[i].down;
	size_t n = vmig_applied_heads(g, mask, heads);
	for (size_t i = 0; i < n; i++)
		vmig_buf_printf(&b, "%s%s", i ? ", " : "", g->revs[heads[i]]->id);
	if (!n)
		vmig_buf_puts(&b, "base");
	free(mask);
	free(heads);
	return vmig_buf_detach(&b);
}

int vmig_run(vmig_db *db, const vmig_graph *files, const vmig_run_opts *o, vmig_run_result *res,
             vmig_error *err)
{
	vmig_state st;
	vmig_plan plan = {0};
	memset(res, 0, sizeof *res);
	/* No target: the kind's default, resolved here once, so that it is planned
	 * and pinned below exactly as if it had been given. */
	vmig_run_opts given = *o;
	if (!given.target && o->kind != VMIG_RUN_REDO && o->kind != VMIG_RUN_ADOPT)
		given.target =
		    o->kind == VMIG_RUN_DOWN ? VMIG_PLAN_DOWN_DEFAULT : VMIG_PLAN_UP_DEFAULT;
	o = &given;

	/* First look, without the lock: is there anything to do at all? */
	bool in_progress;
	int rc = read_and_plan(db, files, o, false, &st, &plan, &in_progress, err);
	bool work = plan.n > 0 || (o->kind == VMIG_RUN_STAMP && st.ndirty);
	if (rc == VMIG_OK && work && o->single_transaction && !records_only(o))
		rc = check_single_transaction(&st, &plan, err);
	char *pinned = NULL;
	if (rc == VMIG_OK && work && given.target && o->kind != VMIG_RUN_REDO)
		rc = vmig_plan_pin(st.graph, st.applied, o->target, &pinned, err);
	work = work || in_progress;
	if (rc == VMIG_OK && !work)
		res->heads = heads_after(&st, &plan, 0);
	vmig_plan_free(&plan);
	vmig_state_free(&st);
	if (rc || !work) {
		free(pinned);
		return rc;
	}
	vmig_run_opts pinned_opts = *o;
	if (pinned)
		pinned_opts.target = pinned;

	if ((rc = db->driver->lock(db->conn, err))) {
		free(pinned);
		return rc;
	}
	/* A run-wide transaction starts before the version table is created, so
	 * that a failed run leaves nothing behind. */
	bool outer = o->single_transaction || records_only(o);
	memset(&st, 0, sizeof st);
	if (outer)
		rc = db->driver->begin(db->conn, err);
	if (rc == VMIG_OK)
		rc = db->driver->prepare(db->conn, err);
	/* Under the lock: another runner may have done some or all of the work.
	 * A driver whose lock is taken by each transaction (PostgreSQL behind a
	 * pooler) refuses a change with a transient error, changing nothing,
	 * when the version table is no longer as read: read and plan again. */
	for (int replans = 0; rc == VMIG_OK; replans++) {
		rc = read_and_plan(db, files, &pinned_opts, true, &st, &plan, &in_progress, err);
		if (rc == VMIG_OK && o->single_transaction && !records_only(o))
			rc = check_single_transaction(&st, &plan, err);
		if (rc) {
			if (outer)
				db->driver->rollback(db->conn);
			break;
		}
		exec_ctx x = {.db = db, .st = &st, .o = o, .outer = outer};
		vmig_run_result part = {0};
		rc = execute(&x, &plan, &part, err);
		res->steps += part.steps;
		res->ms += part.ms;
		if (rc == VMIG_OK)
			res->heads = heads_after(&st, &plan, part.steps);
		if (rc == VMIG_OK || outer || !err->transient || err->partial || replans >= 1000)
			break;
		vmig_plan_free(&plan);
		vmig_state_free(&st);
		memset(&st, 0, sizeof st);
		vmig_error_clear(err);
		rc = VMIG_OK;
	}
	db->driver->unlock(db->conn);
	vmig_plan_free(&plan);
	vmig_state_free(&st);
	free(pinned);
	return rc;
}
