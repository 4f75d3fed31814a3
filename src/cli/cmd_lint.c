#include "cli.h"

#include "alloc.h"
#include "lint.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

const char cmd_lint_help[] =
    "usage: vmig lint [ID...] [--json]\n"
    "\n"
    "Reads the up SQL of revisions and reports what cannot work, what takes a long\n"
    "or strong lock on an existing table, and what breaks the running release\n"
    "during a rolling deploy, each as FILE:LINE: SEVERITY: RULE: what, then the\n"
    "safer pattern.  PostgreSQL projects are read with PostgreSQL's own parser,\n"
    "SQLite projects with SQLite's rules; the database URL's scheme decides, and\n"
    "nothing is connected to for that (no URL: PostgreSQL).\n"
    "\n"
    "Revisions: the IDs (or unique prefixes) given; else, when a database is given\n"
    "with -d, the revisions not yet applied there; else the revisions not applied\n"
    "in the configured database when it can be read, and all of them when it\n"
    "cannot (nothing is created, locked or written).\n"
    "\n"
    "A table created earlier in the same revision is not an existing table.  A\n"
    "comment line `-- vmig:lint-ignore RULE[,RULE...]` directly above a statement\n"
    "silences those rules for it (a reason may follow a ':' or a further `--`).\n"
    "The rules are listed in vmig(1), LINT.\n"
    "\n"
    "Exit status: 0 when no finding is an error, 3 when some is, 2 for an unknown\n"
    "revision or a migration file that does not parse, 1 when a database given\n"
    "with -d cannot be read.\n";

/* The revisions to lint when none is named: those not applied in the
 * database, or all.  Returns an exit code (0: *pending is filled). */
static int default_selection(cli_ctx *ctx, bool *pending, const char **why)
{
	const vmig_graph *g = &ctx->graph;
	vmig_error err = {0};
	vmig_state st;
	for (size_t i = 0; i < g->n; i++)
		pending[i] = true;
	*why = "all";
	if (!ctx->cfg.database_url)
		return 0;
	bool explicit_url = ctx->opt.database_url != NULL;
	int rc = vmig_db_open(&ctx->cfg, 0, NULL, NULL, &ctx->db, &err);
	if (!rc) {
		rc = vmig_state_load(&ctx->db, g, true, &st, &err);
		if (!rc)
			for (size_t i = 0; i < g->n; i++)
				pending[i] = !st.applied[i];
		vmig_state_free(&st);
	}
	if (rc && explicit_url)
		return cli_report(ctx, &err);
	if (rc) {
		/* The configured database is not there (yet): lint everything. */
		cli_verbose(ctx,
		            "lint: cannot read the configured database, so every revision "
		            "is linted: %s",
		            err.msg);
		for (size_t i = 0; i < g->n; i++)
			pending[i] = true;
		return 0;
	}
	*why = "not yet applied";
	return 0;
}

static void print_finding(cli_ctx *ctx, const vmig_lint_finding *f)
{
	bool error = f->severity == VMIG_LINT_ERROR;
	printf(
	    "%s:%d: %s %s: %s\n  safer: %s\n", f->file, f->line,
	    cli_paint(ctx->color_out, error ? CLI_RED : CLI_YELLOW, error ? "error:" : "warning:"),
	    f->rule, f->message, f->safer);
}

static cJSON *finding_json(const vmig_lint_finding *f)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "file", f->file);
	cJSON_AddNumberToObject(o, "line", f->line);
	cJSON_AddStringToObject(o, "revision", f->revision);
	cJSON_AddStringToObject(o, "rule", f->rule);
	cJSON_AddStringToObject(o, "severity",
	                        f->severity == VMIG_LINT_ERROR ? "error" : "warning");
	cJSON_AddStringToObject(o, "message", f->message);
	cJSON_AddStringToObject(o, "safer", f->safer);
	return o;
}

int cmd_lint(cli_ctx *ctx, int argc, char **argv)
{
	char **ids = xcalloc((size_t)argc + 1, sizeof *ids);
	size_t nids = 0;
	int rc = 0;
	for (int i = 0; i < argc && !rc; i++) {
		if (strcmp(argv[i], "--") == 0)
			continue;
		if (argv[i][0] == '-')
			rc = cli_usage_error(ctx, "unknown option %s", argv[i]);
		else
			ids[nids++] = argv[i];
	}
	if (!rc)
		rc = cli_load_files(ctx);
	vmig_error err = {0};
	const char *url =
	    ctx->cfg_loaded && ctx->cfg.database_url ? ctx->cfg.database_url : "postgresql://";
	const vmig_driver *driver = rc ? NULL : vmig_driver_for_url(url, &err);
	if (!rc && !driver)
		rc = cli_report(ctx, &err);
	const vmig_graph *g = &ctx->graph;
	bool *chosen = rc ? NULL : xcalloc(g->n ? g->n : 1, sizeof *chosen);
	const char **resolved = xcalloc(nids ? nids : 1, sizeof *resolved);
	const char *why = "named";
	if (!rc && nids) {
		rc = cli_resolve_ids(ctx, ids, nids, resolved);
		for (size_t k = 0; k < nids && !rc; k++)
			chosen[vmig_graph_find(g, resolved[k])] = true;
	} else if (!rc) {
		rc = default_selection(ctx, chosen, &why);
	}

	vmig_lint_findings found = {0};
	size_t nlinted = 0;
	cJSON *linted = ctx->opt.json ? cJSON_CreateArray() : NULL;
	for (size_t k = 0; !rc && k < g->n; k++) {
		const vmig_revision *r = g->revs[g->order[k]];
		if (!chosen[g->order[k]])
			continue;
		nlinted++;
		if (linted)
			cJSON_AddItemToArray(linted, cJSON_CreateString(r->id));
		if (vmig_lint_revision(driver, r, &found, &err))
			rc = cli_report(ctx, &err);
	}
	if (!rc) {
		size_t errors = vmig_lint_errors(&found);
		if (linted) {
			cJSON *o = cJSON_CreateObject(), *list = cJSON_CreateArray();
			cJSON_AddStringToObject(o, "dialect", driver->name);
			cJSON_AddItemToObject(o, "revisions", linted);
			linted = NULL;
			for (size_t i = 0; i < found.n; i++)
				cJSON_AddItemToArray(list, finding_json(&found.items[i]));
			cJSON_AddItemToObject(o, "findings", list);
			cJSON_AddNumberToObject(o, "errors", (double)errors);
			cJSON_AddNumberToObject(o, "warnings", (double)(found.n - errors));
			cli_print_json(o);
		} else {
			for (size_t i = 0; i < found.n; i++)
				print_finding(ctx, &found.items[i]);
		}
		cli_info(ctx, "lint: %zu revision(s) (%s, %s rules): %zu error(s), %zu warning(s)",
		         nlinted, why, driver->name, errors, found.n - errors);
		rc = errors ? 3 : 0;
	}
	cJSON_Delete(linted);
	vmig_lint_findings_free(&found);
	free(resolved);
	free(chosen);
	free(ids);
	return rc;
}
