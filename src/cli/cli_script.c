/*
 * cli_script.c - `up/down/stamp --sql [FROM:]TO`: the run written out as a
 * script on standard output, connecting to nothing.
 */
#include "cli.h"

#include "alloc.h"
#include "script.h"

#include <string.h>

/* How the dialect's own shell applies a script, for its first lines. */
static const char *how_to_apply(const vmig_driver *d)
{
	return strcmp(d->name, "sqlite") == 0 ? "sqlite3 -bail DATABASE_FILE < SCRIPT"
	                                      : "psql -v ON_ERROR_STOP=1 -f SCRIPT";
}

/* Splits "FROM:TO" (FROM may be empty: base; TO may be empty: the default). */
static int split_range(cli_ctx *ctx, vmig_run_kind kind, const char *arg, char **from, char **to)
{
	const char *colon = arg ? strchr(arg, ':') : NULL;
	*from = NULL;
	*to = NULL;
	if (kind == VMIG_RUN_DOWN && (!colon || colon == arg))
		return cli_usage_error(ctx,
		                       "down --sql needs FROM:TO: offline there is no database to "
		                       "say where it is (e.g. `vmig down --sql head:base`)");
	if (!colon) {
		*to = arg ? xstrdup(arg) : NULL;
		return 0;
	}
	if (colon > arg)
		*from = xstrndup(arg, (size_t)(colon - arg));
	if (colon[1])
		*to = xstrdup(colon + 1);
	if (*to && strchr(*to, ':'))
		return cli_usage_error(ctx, "--sql takes one range FROM:TO, not \"%s\"", arg);
	return 0;
}

int cli_run_script(cli_ctx *ctx, vmig_run_kind kind, const char *range)
{
	vmig_error err = {0};
	vmig_run_result result = {0};
	vmig_db db = {0};
	char *from = NULL, *to = NULL;
	if (ctx->opt.wait)
		return cli_usage_error(ctx, "--sql connects to nothing, so --wait does not apply");
	int rc = split_range(ctx, kind, range, &from, &to);
	if (rc == 0)
		rc = cli_load_files(ctx);
	if (rc == 0 && vmig_script_open(&ctx->cfg, &ctx->graph, from, kind, &db, &err))
		rc = cli_report(ctx, &err);
	vmig_run_opts run_opts = {
	    .kind = kind,
	    .target = to,
	    .single_transaction = !ctx->cfg.transaction_per_migration,
	    .offline = true,
	};
	if (rc == 0 && vmig_run(&db, &ctx->graph, &run_opts, &result, &err))
		rc = cli_report(ctx, &err);
	if (rc == 0) {
		/* Written only once the whole script is known: never half a script. */
		printf("-- vmig %s offline script (%s): %s from %s to %s%s\n", VMIG_VERSION,
		       db.driver->name, cli_run_name(kind), from ? from : "base",
		       to                      ? to
		       : kind == VMIG_RUN_DOWN ? "-1"
		                               : "head",
		       run_opts.single_transaction ? ", in one transaction" : "");
		printf("-- Apply it to a database at %s only, with: %s\n", from ? from : "base",
		       how_to_apply(db.driver));
		fputs(vmig_script_text(&db), stdout);
		if (result.steps)
			printf("\n-- end: %zu step(s); the database is then at %s\n", result.steps,
			       result.heads ? result.heads : "?");
		else
			printf("\n-- nothing to do: the database stays at %s\n",
			       result.heads ? result.heads : "?");
		if (fflush(stdout) != 0)
			rc = cli_usage_error(ctx, "cannot write the script to standard output");
	}
	if (rc == 0 && ctx->opt.verbosity >= 0)
		fprintf(stderr, "%s --sql: %zu step(s) written; the database would be at %s\n",
		        cli_run_name(kind), result.steps, result.heads ? result.heads : "?");
	free(result.heads);
	vmig_db_close(&db);
	free(from);
	free(to);
	return rc;
}
