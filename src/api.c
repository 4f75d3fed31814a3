/*
 * api.c - the public library (include/vmig.h) on the core.
 *
 * A vmig_project is what the command line loads before a command: the
 * resolved settings, the revision files and their graph.  Each operation
 * connects, does what the matching command does through the same core
 * functions, and disconnects.  Nothing here prints.
 */
#include "vmig.h"

#include "alloc.h"
#include "config.h"
#include "db.h"
#include "graph.h"
#include "runner.h"
#include "scan.h"
#include "testdb.h"
#include "url.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

struct vmig_project {
	vmig_config cfg;
	vmig_revision *revs; /* nrevs, owned; the graph points into them */
	size_t nrevs;
	vmig_graph graph;
};

/*
 * Every entry point that allocates runs its work under an out-of-memory
 * frame (alloc.h): memory running out anywhere below closes the connection
 * the call opened (rolling back its transaction and releasing its lock) and
 * comes back here as an error value.  The project is not changed by any
 * operation, so it stays usable.  Outputs are set only on success, so on
 * this path they keep the NULLs the call began with.  err may be NULL in
 * every public call; the core always has somewhere to write its message.
 */
static int out_of_memory(const char *fn, vmig_error *err)
{
	int rc = vmig_fail(err, VMIG_ERR_RUNTIME,
	                   "%s: out of memory; the call was abandoned: its transaction, if "
	                   "one was open, was rolled back and its connection closed",
	                   fn);
	if (err)
		err->transient = 1;
	return rc;
}

/* One public call's arguments, for guarded(): only what the call uses is set. */
typedef struct api_call api_call;
struct api_call {
	int (*body)(const api_call *c, vmig_error *err);
	vmig_project *p;
	const vmig_open_options *open_opts;
	vmig_project **project_out;
	vmig_run_kind kind;
	const char *target;
	const vmig_migrate_options *opts;
	vmig_migrate_result *res;
	vmig_status_report **report_out;
	const char *url;
	char **url_out;
	unsigned *made;
	int *missing;
};

/* Runs c->body under an out-of-memory frame.  What setjmp's caller reads
 * after the jump back is volatile, so the jump cannot have clobbered it. */
static int guarded(const char *fn, const api_call *c, vmig_error *err)
{
	vmig_error own; /* the core always writes its message somewhere */
	vmig_error *volatile e = err ? err : &own;
	const char *volatile name = fn;
	const api_call *volatile call = c;
	vmig_oom_frame frame;
	vmig_oom_enter(&frame);
	if (setjmp(frame.jmp))
		return out_of_memory(name, e);
	int rc = call->body(call, e);
	vmig_oom_leave(&frame);
	return rc;
}

const char *vmig_version(void)
{
	return VMIG_VERSION;
}

void vmig_free(void *p)
{
	free(p);
}

static void free_revs(vmig_revision *revs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vmig_revision_free(&revs[i]);
	free(revs);
}

static int project_open_impl(const vmig_open_options *opts, vmig_project **out, vmig_error *err)
{
	vmig_config_overrides ov = {0};
	if (out)
		*out = NULL;
	if (!out)
		return vmig_fail(err, VMIG_ERR_INPUT, "vmig_project_open: out is NULL");
	if (opts) {
		ov.config_path = opts->config_path;
		ov.database_url = opts->database_url;
		ov.migrations_dir = opts->migrations_dir;
	}
	vmig_project *p = xcalloc(1, sizeof *p);
	int rc = vmig_config_load(&ov, &p->cfg, err);
	if (rc) {
		free(p);
		return rc;
	}
	rc = vmig_scan_dir(p->cfg.migrations_dir, &p->revs, &p->nrevs, err);
	if (!rc) {
		vmig_revision **ptrs = xmalloc((p->nrevs ? p->nrevs : 1) * sizeof *ptrs);
		for (size_t i = 0; i < p->nrevs; i++)
			ptrs[i] = &p->revs[i];
		rc = vmig_graph_build(ptrs, p->nrevs, false, &p->graph, err);
		free(ptrs);
		if (rc) {
			free_revs(p->revs, p->nrevs);
			p->revs = NULL;
		}
	}
	if (rc) {
		vmig_config_free(&p->cfg);
		free(p);
		return rc;
	}
	*out = p;
	return VMIG_OK;
}

static int open_body(const api_call *c, vmig_error *err)
{
	return project_open_impl(c->open_opts, c->project_out, err);
}

int vmig_project_open(const vmig_open_options *opts, vmig_project **out, vmig_error *err)
{
	if (out)
		*out = NULL;
	api_call c = {.body = open_body, .open_opts = opts, .project_out = out};
	return guarded("vmig_project_open", &c, err);
}

void vmig_project_close(vmig_project *p)
{
	if (!p)
		return;
	vmig_graph_free(&p->graph);
	free_revs(p->revs, p->nrevs);
	vmig_config_free(&p->cfg);
	free(p);
}

const char *vmig_project_config_path(const vmig_project *p)
{
	return p ? p->cfg.path : NULL;
}

const char *vmig_project_migrations_dir(const vmig_project *p)
{
	return p ? p->cfg.migrations_dir : NULL;
}

static int redact_body(const api_call *c, vmig_error *err)
{
	(void)err;
	*c->url_out = vmig_url_redact(c->p->cfg.database_url);
	return VMIG_OK;
}

char *vmig_project_database_url_redacted(const vmig_project *p)
{
	char *url = NULL;
	if (p && p->cfg.database_url) {
		api_call c = {.body = redact_body, .p = (vmig_project *)p, .url_out = &url};
		guarded("vmig_project_database_url_redacted", &c, NULL);
	}
	return url;
}

size_t vmig_project_revision_count(const vmig_project *p)
{
	return p ? p->nrevs : 0;
}

/* ------------------------------------------------------------- migrating */

/* The caller's callback, behind the runner's. */
typedef struct progress_relay {
	vmig_progress_cb cb;
	void *ctx;
} progress_relay;

static void relay_progress(void *p, const vmig_run_event *ev)
{
	const progress_relay *r = p;
	vmig_progress_event out = {
	    .revision = ev->rev->id,
	    .message = ev->rev->message,
	    .down = ev->down,
	    .stamp = ev->stamp,
	    .ms = ev->ms,
	};
	r->cb(r->ctx, &out);
}

static int need_project(const vmig_project *p, const char *fn, vmig_error *err)
{
	return p ? VMIG_OK : vmig_fail(err, VMIG_ERR_INPUT, "%s: project is NULL", fn);
}

static int run_impl(vmig_project *p, vmig_run_kind kind, const char *target,
                    const vmig_migrate_options *opts, vmig_migrate_result *res, vmig_error *err)
{
	static const char *const names[] = {"vmig_up", "vmig_down", "vmig_redo", "vmig_stamp"};
	if (res)
		memset(res, 0, sizeof *res);
	int rc = need_project(p, names[kind], err);
	if (rc)
		return rc;
	if (kind == VMIG_RUN_STAMP && !target)
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "vmig_stamp: give a target: head, heads, base, an id, +N or -N");
	progress_relay relay = {0};
	vmig_run_opts ro = {
	    .kind = kind,
	    .target = target,
	    .single_transaction = !p->cfg.transaction_per_migration,
	};
	unsigned wait_s = 0;
	if (opts) {
		if (opts->single_transaction)
			ro.single_transaction = true;
		if (opts->progress) {
			relay.cb = opts->progress;
			relay.ctx = opts->progress_ctx;
			ro.progress = relay_progress;
			ro.ctx = &relay;
		}
		wait_s = opts->wait_seconds;
	}
	vmig_db db;
	rc = vmig_db_open(&p->cfg, wait_s, NULL, NULL, &db, err);
	if (rc)
		return rc;
	vmig_run_result rr = {0};
	rc = vmig_run(&db, &p->graph, &ro, &rr, err);
	vmig_db_close(&db);
	if (rc) {
		free(rr.heads);
		return rc;
	}
	if (res) {
		res->steps = rr.steps;
		res->ms = rr.ms;
		res->heads = rr.heads;
	} else {
		free(rr.heads);
	}
	return VMIG_OK;
}

static int run_body(const api_call *c, vmig_error *err)
{
	return run_impl(c->p, c->kind, c->target, c->opts, c->res, err);
}

static int run_guarded(const char *fn, vmig_run_kind kind, vmig_project *p, const char *target,
                       const vmig_migrate_options *opts, vmig_migrate_result *res, vmig_error *err)
{
	api_call c = {
	    .body = run_body, .p = p, .kind = kind, .target = target, .opts = opts, .res = res};
	return guarded(fn, &c, err);
}

int vmig_up(vmig_project *p, const char *target, const vmig_migrate_options *opts,
            vmig_migrate_result *res, vmig_error *err)
{
	return run_guarded("vmig_up", VMIG_RUN_UP, p, target, opts, res, err);
}

int vmig_down(vmig_project *p, const char *target, const vmig_migrate_options *opts,
              vmig_migrate_result *res, vmig_error *err)
{
	return run_guarded("vmig_down", VMIG_RUN_DOWN, p, target, opts, res, err);
}

int vmig_stamp(vmig_project *p, const char *target, const vmig_migrate_options *opts,
               vmig_migrate_result *res, vmig_error *err)
{
	return run_guarded("vmig_stamp", VMIG_RUN_STAMP, p, target, opts, res, err);
}

/* ---------------------------------------------------------------- status */

/* The report's strings are its own copies (vmig_status_free frees them). */
static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int status_get_impl(vmig_project *p, const vmig_migrate_options *opts,
                           vmig_status_report **out, vmig_error *err)
{
	if (out)
		*out = NULL;
	int rc = need_project(p, "vmig_status_get", err);
	if (rc)
		return rc;
	if (!out)
		return vmig_fail(err, VMIG_ERR_INPUT, "vmig_status_get: out is NULL");
	vmig_db db;
	rc = vmig_db_open(&p->cfg, opts ? opts->wait_seconds : 0, NULL, NULL, &db, err);
	if (rc)
		return rc;
	vmig_state st;
	rc = vmig_state_load(&db, &p->graph, false, &st, err);
	if (rc) {
		vmig_state_free(&st);
		vmig_db_close(&db);
		return rc;
	}
	size_t n = st.graph->n;
	vmig_status_report *r = xcalloc(1, sizeof *r);
	r->database = xstrdup(db.redacted_url);
	r->entries = xcalloc(n ? n : 1, sizeof *r->entries);
	r->count = n;
	for (size_t i = 0; i < n; i++) {
		size_t v = st.graph->order[i];
		const vmig_revision *rev = st.graph->revs[v];
		const vmig_applied *row = st.row_of[v];
		vmig_status_entry *e = &r->entries[i];
		e->revision = xstrdup(rev->id);
		e->message = xstrdup(rev->message);
		e->path = rev->from_db ? NULL : dup_or_null(rev->path);
		e->applied_at = row ? dup_or_null(row->applied_at) : NULL;
		e->state = vmig_state_of(&st, v);
		e->applied = st.applied[v];
	}
	vmig_state_counts counts;
	vmig_state_count(&st, &counts);
	r->applied = counts.applied;
	r->pending = counts.pending;
	r->drifted = counts.drifted;
	r->in_progress = counts.in_progress;
	vmig_state_free(&st);
	vmig_db_close(&db);
	*out = r;
	return VMIG_OK;
}

static int status_body(const api_call *c, vmig_error *err)
{
	return status_get_impl(c->p, c->opts, c->report_out, err);
}

int vmig_status_get(vmig_project *p, const vmig_migrate_options *opts, vmig_status_report **out,
                    vmig_error *err)
{
	if (out)
		*out = NULL;
	api_call c = {.body = status_body, .p = p, .opts = opts, .report_out = out};
	return guarded("vmig_status_get", &c, err);
}

void vmig_status_free(vmig_status_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++) {
		vmig_status_entry *e = &r->entries[i];
		free((char *)e->revision);
		free((char *)e->message);
		free((char *)e->path);
		free((char *)e->applied_at);
	}
	free(r->entries);
	free((char *)r->database);
	free(r);
}

/* -------------------------------------------------------- test databases */

static int testdb_new_impl(vmig_project *p, const char *target, char **url, vmig_error *err)
{
	if (url)
		*url = NULL;
	int rc = need_project(p, "vmig_testdb_new", err);
	if (rc)
		return rc;
	if (!url)
		return vmig_fail(err, VMIG_ERR_INPUT, "vmig_testdb_new: url is NULL");
	vmig_testdb_opts o = {.cfg = &p->cfg, .files = &p->graph, .target = target};
	vmig_testdb_result res = {0};
	rc = vmig_core_testdb_new(&o, &res, err);
	if (rc == VMIG_OK) {
		*url = res.url;
		res.url = NULL;
	}
	vmig_testdb_result_free(&res);
	return rc;
}

static int testdb_fill_impl(vmig_project *p, const char *target, unsigned *made, vmig_error *err)
{
	if (made)
		*made = 0;
	int rc = need_project(p, "vmig_testdb_fill", err);
	if (rc)
		return rc;
	vmig_testdb_opts o = {.cfg = &p->cfg, .files = &p->graph, .target = target};
	return vmig_core_testdb_fill(&o, made, err);
}

static int testdb_drop_impl(vmig_project *p, const char *url, int *missing, vmig_error *err)
{
	if (missing)
		*missing = 0;
	int rc = need_project(p, "vmig_testdb_drop", err);
	if (rc)
		return rc;
	if (!url)
		return vmig_fail(err, VMIG_ERR_INPUT, "vmig_testdb_drop: url is NULL");
	bool gone = false;
	rc = vmig_core_testdb_drop(&p->cfg, url, &gone, err);
	if (missing)
		*missing = gone;
	return rc;
}

static int testdb_new_body(const api_call *c, vmig_error *err)
{
	return testdb_new_impl(c->p, c->target, c->url_out, err);
}

static int testdb_fill_body(const api_call *c, vmig_error *err)
{
	return testdb_fill_impl(c->p, c->target, c->made, err);
}

static int testdb_drop_body(const api_call *c, vmig_error *err)
{
	return testdb_drop_impl(c->p, c->url, c->missing, err);
}

int vmig_testdb_new(vmig_project *p, const char *target, char **url, vmig_error *err)
{
	if (url)
		*url = NULL;
	api_call c = {.body = testdb_new_body, .p = p, .target = target, .url_out = url};
	return guarded("vmig_testdb_new", &c, err);
}

int vmig_testdb_fill(vmig_project *p, const char *target, unsigned *made, vmig_error *err)
{
	if (made)
		*made = 0;
	api_call c = {.body = testdb_fill_body, .p = p, .target = target, .made = made};
	return guarded("vmig_testdb_fill", &c, err);
}

int vmig_testdb_drop(vmig_project *p, const char *url, int *missing, vmig_error *err)
{
	if (missing)
		*missing = 0;
	api_call c = {.body = testdb_drop_body, .p = p, .url = url, .missing = missing};
	return guarded("vmig_testdb_drop", &c, err);
}
