/*
 * cli_fanout.c - up, status, check and current over many databases at once:
 * repeated -d, --targets FILE, --schemas PATTERN, --jobs N.
 *
 * Each target is a database URL, and with --schemas one schema of it (its
 * own version table there, the schema first on the search path).  At most
 * --jobs targets run at once, each on one connection of its own, so no more
 * connections are open than that however many targets there are.  A line
 * per target is printed as it finishes (in the order they finish), then a
 * summary; a target that fails never stops the others, and the exit code is
 * the worst of all, ranked 0 < 3 (check: behind or drifted) < 1 (database)
 * < 2 (bad input).
 */
#include "cli.h"

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "parallel.h"
#include "plan.h"
#include "targets.h"
#include "url.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum fan_kind { FAN_UP, FAN_STATUS, FAN_CHECK, FAN_CURRENT } fan_kind;

typedef struct fan_target {
	char *url;    /* owned */
	char *schema; /* owned; NULL without --schemas */
	char *shown;  /* the redacted URL, and the schema: for lines */
	/* The outcome, written by the worker that ran it. */
	int rc;
	vmig_error err;
	double ms;
	size_t steps;            /* up: revisions applied */
	char *heads;             /* up, current: the applied heads afterwards ("base": none) */
	vmig_state_counts count; /* status, check */
} fan_target;

typedef struct fan {
	cli_ctx *ctx;
	fan_kind kind;
	const char *name;   /* the command, for lines */
	const char *target; /* up's TARGET, or NULL */
	unsigned wait_s;
	fan_target *t;
	size_t n, cap;
	size_t ok, behind, failed; /* as the lines say */
	int worst;
} fan;

/* ---------------------------------------------------------------- targets */

static void add_target(fan *f, const char *url, const char *schema)
{
	XGROW(f->t, f->cap, f->n + 1);
	fan_target *t = &f->t[f->n++];
	*t = (fan_target){.url = xstrdup(url), .schema = schema ? xstrdup(schema) : NULL};
	char *redacted = vmig_url_redact(url);
	t->shown = schema ? xasprintf("%s schema %s", redacted, schema) : xstrdup(redacted);
	free(redacted);
}

/* A target that failed before it could run (its schemas could not be listed). */
static void add_failed(fan *f, const char *url, const vmig_error *err)
{
	add_target(f, url, NULL);
	fan_target *t = &f->t[f->n - 1];
	t->rc = err->code ? err->code : VMIG_ERR_RUNTIME;
	t->err = *err;
	t->ms = -1; /* not run: the worker leaves it as it is */
}

/* The URLs: every -d, then the lines of --targets; else the configured one. */
static int collect_urls(cli_ctx *ctx, vmig_target_list *urls)
{
	vmig_error err = {0};
	for (size_t i = 0; i < ctx->opt.ndatabase_urls; i++) {
		const char *u = ctx->opt.database_urls[i];
		for (size_t j = 0; j < urls->n; j++)
			if (strcmp(urls->urls[j], u) == 0) {
				char *shown = vmig_url_redact(u);
				int rc = cli_usage_error(
				    ctx, "-d %s is given twice; give each database once", shown);
				free(shown);
				return rc;
			}
		XGROW(urls->urls, urls->cap, urls->n + 1);
		urls->urls[urls->n++] = xstrdup(u);
	}
	if (ctx->opt.targets_file) {
		vmig_target_list file = {0};
		if (vmig_targets_read(ctx->opt.targets_file, &file, &err))
			return cli_report(ctx, &err);
		for (size_t i = 0; i < file.n; i++) {
			XGROW(urls->urls, urls->cap, urls->n + 1);
			urls->urls[urls->n++] = file.urls[i];
			file.urls[i] = NULL;
		}
		vmig_target_list_free(&file);
	}
	if (!urls->n && ctx->cfg.database_url) {
		XGROW(urls->urls, urls->cap, urls->n + 1);
		urls->urls[urls->n++] = xstrdup(ctx->cfg.database_url);
	}
	if (!urls->n)
		return cli_usage_error(ctx, "no database: give -d URL (as often as needed), "
		                            "--targets FILE, or database_url in vmig.yaml");
	return 0;
}

/* With --schemas: a target per matching schema of each URL. */
static int expand_schemas(cli_ctx *ctx, fan *f, const vmig_target_list *urls)
{
	const char *like = ctx->opt.schemas;
	for (size_t i = 0; i < urls->n; i++) {
		vmig_error err = {0};
		const char *url = urls->urls[i];
		const vmig_driver *d = vmig_driver_for_url(url, &err);
		if (d && !d->list_schemas) {
			char *shown = vmig_url_redact(url);
			int rc = cli_usage_error(ctx,
			                         "--schemas: %s has no schemas (%s); leave "
			                         "--schemas out for %s databases",
			                         d->name, shown, d->name);
			free(shown);
			return rc;
		}
		char **names = NULL;
		size_t n = 0;
		if (!d || d->list_schemas(url, like, &names, &n, &err)) {
			vmig_error_prefix(&err, "--schemas %s", like);
			add_failed(f, url, &err);
			continue;
		}
		if (!n) {
			char *shown = vmig_url_redact(url);
			cli_info(ctx, "vmig: %s: no schema matches %s", shown, like);
			free(shown);
		}
		for (size_t k = 0; k < n; k++) {
			add_target(f, url, names[k]);
			free(names[k]);
		}
		free(names);
	}
	if (!f->n)
		return cli_usage_error(ctx,
		                       "--schemas %s: no schema matches (a LIKE pattern: %% is any "
		                       "run of characters, _ any one)",
		                       like);
	return 0;
}

/* ---------------------------------------------------------------- running */

static int run_up(fan *f, fan_target *t, vmig_db *db)
{
	vmig_run_opts o = {.kind = VMIG_RUN_UP,
	                   .target = f->target,
	                   .single_transaction = !f->ctx->cfg.transaction_per_migration};
	vmig_run_result res = {0};
	int rc = vmig_run(db, &f->ctx->graph, &o, &res, &t->err);
	t->steps = res.steps;
	t->heads = res.heads;
	return rc;
}

static int run_read(fan *f, fan_target *t, vmig_db *db)
{
	vmig_state st;
	int rc = vmig_state_load(db, &f->ctx->graph, false, &st, &t->err);
	if (rc == VMIG_OK && f->kind == FAN_CHECK)
		rc = vmig_state_refuse_dirty(&st, &t->err);
	if (rc == VMIG_OK) {
		vmig_state_count(&st, &t->count);
		const vmig_graph *g = st.graph;
		size_t *heads = xmalloc((g->n ? g->n : 1) * sizeof *heads);
		size_t n = vmig_applied_heads(g, st.applied, heads);
		vmig_buf b = {0};
		for (size_t i = 0; i < n; i++)
			vmig_buf_printf(&b, "%s%s", i ? ", " : "", g->revs[heads[i]]->id);
		t->heads = n ? vmig_buf_detach(&b) : xstrdup("base");
		vmig_buf_free(&b);
		free(heads);
		if (f->kind == FAN_CHECK && (t->count.pending || t->count.drifted))
			rc = VMIG_ERR_CHECK;
	}
	vmig_state_free(&st);
	return rc;
}

/* One target, in a worker thread: its own config copy and connection. */
static void run_target(void *arg, size_t i)
{
	fan *f = arg;
	fan_target *t = &f->t[i];
	if (t->ms < 0)
		return;
	double t0 = vmig_now_ms();
	vmig_config cfg = f->ctx->cfg; /* borrowed strings; only these change */
	cfg.database_url = t->url;
	if (t->schema) {
		cfg.version_table_schema = t->schema;
		cfg.version_table_schema_line = 0;
		cfg.search_path_first = t->schema;
	}
	vmig_db db;
	int rc = vmig_db_open(&cfg, f->wait_s, NULL, NULL, &db, &t->err);
	if (rc == VMIG_OK) {
		rc = f->kind == FAN_UP ? run_up(f, t, &db) : run_read(f, t, &db);
		vmig_db_close(&db);
	}
	t->rc = rc;
	t->ms = vmig_now_ms() - t0;
}

/* ---------------------------------------------------------------- output */

static int rank(int code)
{
	static const int ranks[] = {
	    [VMIG_OK] = 0, [VMIG_ERR_CHECK] = 1, [VMIG_ERR_RUNTIME] = 2, [VMIG_ERR_INPUT] = 3};
	return code >= 0 && code <= VMIG_ERR_CHECK ? ranks[code] : 2;
}

/* What the line says after the target's name, on success or a failed check. */
static char *outcome(const fan *f, const fan_target *t)
{
	const vmig_state_counts *c = &t->count;
	switch (f->kind) {
	case FAN_UP:
		return t->steps
		           ? xasprintf("%zu applied in %.0f ms; at %s", t->steps, t->ms, t->heads)
		           : xasprintf("nothing to do; at %s", t->heads);
	case FAN_STATUS:
		return xasprintf("%zu applied, %zu pending, %zu drifted, %zu in progress",
		                 c->applied, c->pending, c->drifted, c->in_progress);
	case FAN_CHECK:
		if (t->rc == VMIG_ERR_CHECK)
			return xasprintf("%zu pending, %zu drifted (run `vmig up`; `vmig status` "
			                 "lists them)",
			                 c->pending, c->drifted);
		return xasprintf("at head %s, no drift", t->heads);
	case FAN_CURRENT:
		return xstrdup(t->heads);
	}
	return xstrdup("");
}

/* The error's lines as one, for a line per target. */
static char *one_line(const char *msg)
{
	vmig_buf b = {0};
	for (const char *p = msg; *p; p++)
		if (*p == '\n') {
			vmig_buf_puts(&b, "; ");
			while (p[1] == '\t' || p[1] == ' ')
				p++;
		} else {
			vmig_buf_putc(&b, *p);
		}
	return vmig_buf_detach(&b);
}

static void print_json_line(const fan *f, const fan_target *t, const char *text)
{
	cJSON *o = cJSON_CreateObject();
	char *redacted = vmig_url_redact(t->url);
	cJSON_AddStringToObject(o, "database", redacted);
	free(redacted);
	if (t->schema)
		cJSON_AddStringToObject(o, "schema", t->schema);
	else
		cJSON_AddNullToObject(o, "schema");
	cJSON_AddStringToObject(o, "command", f->name);
	cJSON_AddBoolToObject(o, "ok", t->rc == VMIG_OK);
	cJSON_AddNumberToObject(o, "exit", t->rc);
	cJSON_AddNumberToObject(o, "ms", t->ms < 0 ? 0 : round(t->ms * 10) / 10);
	if (t->rc && t->rc != VMIG_ERR_CHECK)
		cJSON_AddStringToObject(o, "error", t->err.msg);
	else
		cJSON_AddNullToObject(o, "error");
	if (t->rc == VMIG_OK || t->rc == VMIG_ERR_CHECK) {
		if (f->kind == FAN_UP)
			cJSON_AddNumberToObject(o, "applied", (double)t->steps);
		if (f->kind == FAN_STATUS || f->kind == FAN_CHECK) {
			cJSON_AddNumberToObject(o, "applied", (double)t->count.applied);
			cJSON_AddNumberToObject(o, "pending", (double)t->count.pending);
			cJSON_AddNumberToObject(o, "drifted", (double)t->count.drifted);
			cJSON_AddNumberToObject(o, "in_progress", (double)t->count.in_progress);
		}
		cJSON_AddStringToObject(o, "heads", t->heads ? t->heads : "");
		cJSON_AddStringToObject(o, "summary", text);
	}
	char *s = cJSON_PrintUnformatted(o);
	if (s)
		puts(s);
	free(s);
	cJSON_Delete(o);
}

/* A target finished: its line, at once (done calls never overlap). */
static void target_done(void *arg, size_t i, bool oom)
{
	fan *f = arg;
	fan_target *t = &f->t[i];
	cli_ctx *ctx = f->ctx;
	if (oom) {
		t->rc = VMIG_ERR_RUNTIME;
		vmig_fail(&t->err, VMIG_ERR_RUNTIME,
		          "out of memory; this target was abandoned and its open transaction "
		          "rolled back");
	}
	if (rank(t->rc) > rank(f->worst))
		f->worst = t->rc;
	const char *word, *color;
	if (t->rc == VMIG_OK) {
		f->ok++;
		word = "ok", color = CLI_GREEN;
	} else if (t->rc == VMIG_ERR_CHECK) {
		f->behind++;
		word = "behind", color = CLI_YELLOW;
	} else {
		f->failed++;
		word = "failed", color = CLI_RED;
	}
	char *text =
	    t->rc == VMIG_OK || t->rc == VMIG_ERR_CHECK ? outcome(f, t) : one_line(t->err.msg);
	if (ctx->opt.json) {
		print_json_line(f, t, text);
	} else {
		char padded[8];
		snprintf(padded, sizeof padded, "%-6s", word);
		printf("%s %s: %s\n", cli_paint(ctx->color_out, color, padded), t->shown, text);
	}
	fflush(stdout);
	free(text);
}

static void print_summary(const fan *f, double ms, unsigned jobs)
{
	cli_ctx *ctx = f->ctx;
	vmig_buf b = {0};
	vmig_buf_printf(&b, "%s: %zu target%s in %.2f s (--jobs %u): %zu ok", f->name, f->n,
	                f->n == 1 ? "" : "s", ms / 1000, jobs, f->ok);
	if (f->kind == FAN_CHECK)
		vmig_buf_printf(&b, ", %zu behind or drifted", f->behind);
	vmig_buf_printf(&b, ", %zu failed", f->failed);
	if (ctx->opt.json)
		cli_info(ctx, "vmig: %s", vmig_buf_str(&b));
	else
		printf("%s\n", vmig_buf_str(&b));
	vmig_buf_free(&b);
}

/* ---------------------------------------------------------------- entry */

bool cli_fanout_wanted(const cli_ctx *ctx)
{
	return ctx->opt.ndatabase_urls > 1 || ctx->opt.targets_file || ctx->opt.schemas;
}

static int parse_args(cli_ctx *ctx, fan *f, int argc, char **argv)
{
	if (f->kind == FAN_UP)
		return cli_one_target(ctx, argc, argv, &f->target, false);
	return cli_no_args(ctx, argc, argv);
}

int cli_fanout(cli_ctx *ctx, const char *command, int argc, char **argv)
{
	fan f = {.ctx = ctx, .name = command};
	if (strcmp(command, "up") == 0 || strcmp(command, "upgrade") == 0)
		f.kind = FAN_UP, f.name = "up";
	else if (strcmp(command, "status") == 0)
		f.kind = FAN_STATUS;
	else if (strcmp(command, "check") == 0)
		f.kind = FAN_CHECK;
	else
		f.kind = FAN_CURRENT;
	if (ctx->opt.sql)
		return cli_usage_error(ctx, "--sql writes one script for one database; leave out "
		                            "-d (given twice), --targets and --schemas");
	int rc = parse_args(ctx, &f, argc, argv);
	if (!rc)
		rc = f.kind == FAN_CHECK ? cli_validate(ctx) : cli_load_files(ctx);
	if (rc)
		return rc;
	vmig_target_list urls = {0};
	rc = collect_urls(ctx, &urls);
	if (!rc && ctx->opt.schemas)
		rc = expand_schemas(ctx, &f, &urls);
	else if (!rc)
		for (size_t i = 0; i < urls.n; i++)
			add_target(&f, urls.urls[i], NULL);
	vmig_target_list_free(&urls);
	if (!rc) {
		/* Computed once here: the workers then only read the revisions. */
		for (size_t i = 0; i < ctx->nrevs; i++)
			(void)vmig_revision_checksum(&ctx->revs[i]);
		f.wait_s =
		    ctx->opt.wait ? (ctx->opt.wait_s ? ctx->opt.wait_s : ctx->cfg.wait_timeout) : 0;
		unsigned jobs = ctx->opt.jobs ? ctx->opt.jobs : CLI_DEFAULT_JOBS;
		vmig_error err = {0};
		double t0 = vmig_now_ms();
		if (vmig_parallel_for(f.n, jobs, run_target, target_done, &f, &err))
			rc = cli_report(ctx, &err);
		else {
			print_summary(&f, vmig_now_ms() - t0, jobs);
			rc = f.worst;
		}
	}
	for (size_t i = 0; i < f.n; i++) {
		free(f.t[i].url);
		free(f.t[i].schema);
		free(f.t[i].shown);
		free(f.t[i].heads);
	}
	free(f.t);
	return rc;
}
