#include "cli.h"

const char cmd_check_help[] =
    "usage: vmig check\n"
    "\n"
    "Runs `vmig validate`, then checks the database: every revision applied (the\n"
    "database is at head) and no drift (no applied revision edited since, none\n"
    "whose file is gone).  Exit 0 when all holds, 3 when the database is behind or\n"
    "has drift (each problem listed on stderr), 2 for bad files, 1 when the\n"
    "database cannot be read or a revision is in progress (a transaction-off\n"
    "revision that started and did not finish).\n";

int cmd_check(cli_ctx *ctx, int argc, char **argv)
{
	vmig_state st;
	vmig_error err = {0};
	int rc = cli_no_args(ctx, argc, argv);
	if (!rc)
		rc = cli_validate(ctx);
	if (rc)
		return rc;
	if ((rc = cli_load_state(ctx, &st)))
		return rc;
	if (vmig_state_refuse_dirty(&st, &err)) {
		vmig_state_free(&st);
		return cli_report(ctx, &err);
	}
	size_t problems = 0;
	for (size_t i = 0; i < st.graph->n; i++) {
		size_t v = st.graph->order[i];
		const vmig_revision *r = st.graph->revs[v];
		const char *what = NULL;
		if (r->from_db)
			what = "is applied but its file is gone";
		else if (!st.applied[v])
			what = "is not applied (the database is behind; run `vmig up`)";
		else if (vmig_state_drifted(&st, v))
			what = "was edited after it was applied (its checksum differs)";
		if (what) {
			fprintf(stderr, "vmig: check: %s (%s) %s\n", r->id,
			        r->from_db ? "version table" : r->path, what);
			problems++;
		}
	}
	vmig_state_free(&st);
	if (problems) {
		fprintf(stderr, "vmig: check failed: %zu problem(s)\n", problems);
		return VMIG_ERR_CHECK;
	}
	if (ctx->graph.n)
		printf("ok: database at head %s, no drift\n",
		       ctx->graph.revs[ctx->graph.heads[0]]->id);
	else
		printf("ok: no revisions\n");
	return 0;
}
