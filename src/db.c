#include "db.h"

#include "alloc.h"
#include "clock.h"
#include "url.h"

#include <string.h>
#include <stdio.h>

/*
 * What the configuration asks of the driver, checked against what it can
 * do before anything connects: a setting the database cannot honour is a
 * configuration error (exit 2), not something a driver quietly ignores.
 */
static int check_driver_fits(const vmig_driver *d, const vmig_config *cfg, unsigned *key_line,
                             vmig_error *err)
{
	*key_line = cfg->version_table_schema_line;
	if (cfg->version_table_schema && !(d->caps & VMIG_CAP_SCHEMAS))
		return vmig_fail(
		    err, VMIG_ERR_INPUT,
		    "version_table_schema: %s has no schemas; remove the setting for a "
		    "%s database",
		    d->name, d->name);
	/* The database cuts "<table>_meta" to max_identifier bytes, the same way
	 * every time, which is harmless (vmig 0.1 made such tables) unless the cut
	 * name is the table's own. */
	*key_line = cfg->version_table_line;
	if (d->max_identifier && strlen(cfg->version_table) >= d->max_identifier)
		return vmig_fail(
		    err, VMIG_ERR_INPUT,
		    "version_table: \"%s\" is %zu bytes; %s keeps %zu bytes of a name, "
		    "so the table beside it, \"%s_meta\", would be cut to the same name: "
		    "use a name of at most %zu bytes",
		    cfg->version_table, strlen(cfg->version_table), d->name, d->max_identifier,
		    cfg->version_table, d->max_identifier - 1);
	*key_line = cfg->version_table_schema_line;
	if (d->max_identifier && cfg->version_table_schema &&
	    strlen(cfg->version_table_schema) > d->max_identifier)
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "version_table_schema: \"%s\" is longer than the %zu bytes %s "
		                 "keeps in a name",
		                 cfg->version_table_schema, d->max_identifier, d->name);
	return VMIG_OK;
}

int vmig_db_choose(const vmig_config *cfg, vmig_db *db, vmig_conn_opts *opts, vmig_error *err)
{
	memset(db, 0, sizeof *db);
	if (!cfg->database_url)
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "no database URL: set database_url in vmig.yaml, set "
		                 "$DATABASE_URL, or pass -d URL");
	db->driver = vmig_driver_for_url(cfg->database_url, err);
	if (!db->driver)
		return err->code;
	unsigned line = 0;
	int rc = check_driver_fits(db->driver, cfg, &line, err);
	if (rc && cfg->path && line)
		vmig_error_prefix(err, "%s:%u", cfg->path, line);
	if (rc) {
		db->driver = NULL;
		return rc;
	}
	db->redacted_url = vmig_url_redact(cfg->database_url);
	*opts = (vmig_conn_opts){
	    .struct_version = VMIG_CONN_OPTS_VERSION,
	    .version_table = cfg->version_table,
	    .version_table_schema = cfg->version_table_schema,
	    .lock_timeout = cfg->lock_timeout,
	    .search_path_first = cfg->search_path_first,
	};
	return VMIG_OK;
}

/* Out of memory with a connection open: closing it rolls back what it had
 * begun and releases its lock. */
static void close_on_oom(void *arg)
{
	vmig_db *db = arg;
	db->driver->close(db->conn);
	db->conn = NULL;
}

int vmig_db_open(const vmig_config *cfg, unsigned wait_s, vmig_wait_fn on_wait, void *ctx,
                 vmig_db *db, vmig_error *err)
{
	vmig_conn_opts opts;
	int rc = vmig_db_choose(cfg, db, &opts, err);
	if (rc)
		return rc;
	/* The last wait is cut to the deadline, for one last try at it. */
	vmig_waiter wait = vmig_waiter_new(wait_s * 1000.0, 250, 2000);
	vmig_waiter_start(&wait);
	for (unsigned attempt = 1;; attempt++) {
		rc = db->driver->connect(cfg->database_url, &opts, &db->conn, err);
		if (rc == VMIG_OK) {
			vmig_oom_defer(&db->on_oom, close_on_oom, db);
			return VMIG_OK;
		}
		double left = vmig_waiter_left(&wait);
		if (!err->transient || left <= 0) {
			if (wait_s && err->transient)
				vmig_error_append(
				    err, "gave up waiting for the database after %u s", wait_s);
			vmig_db_close(db);
			return rc;
		}
		if (on_wait)
			on_wait(ctx, attempt,
			        (wait.delay_ms < left ? wait.delay_ms : left) / 1000.0, err);
		vmig_waiter_pause(&wait);
	}
}

void vmig_db_close(vmig_db *db)
{
	vmig_oom_undefer(&db->on_oom);
	if (db->driver && db->conn)
		db->driver->close(db->conn);
	free(db->redacted_url);
	memset(db, 0, sizeof *db);
}

/* Splits "a b c" into a new array of new strings. */
static char **split_ids(const char *s, size_t *n)
{
	char **out = NULL;
	size_t cap = 0;
	*n = 0;
	while (s && *s) {
		while (*s == ' ')
			s++;
		size_t len = strcspn(s, " ");
		if (!len)
			break;
		XGROW(out, cap, *n + 1);
		out[(*n)++] = xstrndup(s, len);
		s += len;
	}
	return out;
}

/* A revision rebuilt from the row of an applied revision whose file is gone. */
static void orphan_from_row(const vmig_applied *row, vmig_revision *rev)
{
	memset(rev, 0, sizeof *rev);
	rev->id = xstrdup(row->revision);
	rev->parents = split_ids(row->parents, &rev->nparents);
	rev->message = xstrdup(row->message ? row->message : "");
	rev->transactional = row->transactional;
	rev->down_sql = row->down_sql ? xstrdup(row->down_sql) : NULL;
	rev->path = xasprintf("(%s: file gone)", row->revision);
	snprintf(rev->checksum, sizeof rev->checksum, "%s", row->checksum ? row->checksum : "");
	rev->from_db = true;
}

static int build_with_orphans(vmig_state *st, const vmig_graph *files, vmig_error *err)
{
	size_t n = files->n + st->norphans, k = 0;
	vmig_revision **all = xmalloc(n * sizeof *all);
	st->orphans = xcalloc(st->norphans, sizeof *st->orphans);
	memcpy(all, files->revs, files->n * sizeof *all);
	for (size_t i = 0; i < st->rows.n; i++)
		if (vmig_graph_find(files, st->rows.rows[i].revision) == VMIG_NONE) {
			orphan_from_row(&st->rows.rows[i], &st->orphans[k]);
			all[files->n + k] = &st->orphans[k];
			k++;
		}
	int rc = vmig_graph_build(all, n, true, &st->own_graph, err);
	free(all);
	if (rc)
		vmig_error_prefix(err, "the version table");
	st->graph = &st->own_graph;
	return rc;
}

int vmig_state_load(vmig_db *db, const vmig_graph *files, bool ids_only, vmig_state *st,
                    vmig_error *err)
{
	memset(st, 0, sizeof *st);
	st->graph = files;
	int rc = db->driver->read_applied(db->conn, ids_only, &st->rows, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < st->rows.n; i++)
		if (vmig_graph_find(files, st->rows.rows[i].revision) == VMIG_NONE)
			st->norphans++;
	if (st->norphans && !ids_only && (rc = build_with_orphans(st, files, err)))
		return rc;
	const vmig_graph *g = st->graph;
	st->applied = xcalloc(g->n ? g->n : 1, sizeof *st->applied);
	st->row_of = xcalloc(g->n ? g->n : 1, sizeof *st->row_of);
	st->dirty = xcalloc(st->rows.n ? st->rows.n : 1, sizeof *st->dirty);
	for (size_t i = 0; i < st->rows.n; i++) {
		const vmig_applied *row = &st->rows.rows[i];
		size_t v = vmig_graph_find(g, row->revision);
		if (row->dirty)
			st->dirty[st->ndirty++] = row;
		if (v == VMIG_NONE)
			continue;
		st->row_of[v] = row;
		st->applied[v] = !row->dirty;
	}
	return VMIG_OK;
}

void vmig_state_free(vmig_state *st)
{
	if (st->graph == &st->own_graph)
		vmig_graph_free(&st->own_graph);
	for (size_t i = 0; st->orphans && i < st->norphans; i++)
		vmig_revision_free(&st->orphans[i]);
	free(st->orphans);
	free(st->applied);
	free(st->row_of);
	free(st->dirty);
	vmig_applied_free(&st->rows);
	memset(st, 0, sizeof *st);
}

int vmig_state_refuse_dirty(const vmig_state *st, vmig_error *err)
{
	if (!st->ndirty)
		return VMIG_OK;
	const vmig_applied *row = st->dirty[0];
	size_t v = vmig_graph_find(st->graph, row->revision);
	const char *path = v != VMIG_NONE ? st->graph->revs[v]->path : "its file is gone";
	return vmig_fail(
	    err, VMIG_ERR_RUNTIME,
	    "revision %s (%s) is in progress: it began and did not finish (it runs "
	    "without a transaction, or its SQL ended vmig's transaction), so part of it "
	    "may have taken effect. Check the database and "
	    "finish or undo it by hand, then record the outcome: `vmig stamp %s` if it "
	    "is now fully applied, or `vmig stamp` with its parent (or `base`) if it "
	    "is not",
	    row->revision, path, row->revision);
}

vmig_revision_state vmig_state_of(const vmig_state *st, size_t node)
{
	const vmig_applied *row = st->row_of[node];
	if (row && row->dirty) /* a transaction-off revision that started and did not finish */
		return VMIG_REV_IN_PROGRESS;
	if (st->graph->revs[node]->from_db)
		return VMIG_REV_GONE;
	if (vmig_state_drifted(st, node))
		return VMIG_REV_EDITED;
	return st->applied[node] ? VMIG_REV_APPLIED : VMIG_REV_PENDING;
}

void vmig_state_count(const vmig_state *st, vmig_state_counts *out)
{
	*out = (vmig_state_counts){0};
	for (size_t v = 0; v < st->graph->n; v++) {
		vmig_revision_state s = vmig_state_of(st, v);
		out->applied += st->applied[v];
		out->pending += !st->row_of[v];
		out->drifted += s == VMIG_REV_EDITED || s == VMIG_REV_GONE;
		out->in_progress += s == VMIG_REV_IN_PROGRESS;
	}
}

bool vmig_state_drifted(const vmig_state *st, size_t node)
{
	const vmig_applied *row = st->row_of[node];
	const vmig_revision *rev = st->graph->revs[node];
	if (!row || rev->from_db || !row->checksum ||
	    row->checksum_version != VMIG_CHECKSUM_VERSION)
		return false;
	return strcmp(row->checksum, vmig_revision_checksum(rev)) != 0;
}
