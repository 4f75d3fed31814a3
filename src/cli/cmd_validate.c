#include "cli.h"

#include "alloc.h"
#include "buf.h"

const char cmd_validate_help[] =
    "usage: vmig validate\n"
    "\n"
    "Checks the migration files and the graph without a database: every file\n"
    "parses, ids are unique, parents exist, there is no cycle, and there is one\n"
    "head.  Exit 0 when valid, 2 otherwise (a CI gate).\n";

int cli_validate(cli_ctx *ctx)
{
	int rc = cli_load_files(ctx);
	if (rc)
		return rc;
	const vmig_graph *g = &ctx->graph;
	if (g->nheads > 1) {
		vmig_buf b = {0};
		vmig_error err;
		for (size_t i = 0; i < g->nheads; i++)
			vmig_buf_printf(&b, "%s%s (%s)", i ? ", " : "", g->revs[g->heads[i]]->id,
			                g->revs[g->heads[i]]->path);
		vmig_fail(&err, VMIG_ERR_INPUT,
		          "%zu heads: %s; join them with `vmig merge heads -m MESSAGE`", g->nheads,
		          vmig_buf_str(&b));
		vmig_buf_free(&b);
		return cli_report(ctx, &err);
	}
	return 0;
}

int cmd_validate(cli_ctx *ctx, int argc, char **argv)
{
	int rc = cli_no_args(ctx, argc, argv);
	if (!rc)
		rc = cli_validate(ctx);
	if (rc)
		return rc;
	const vmig_graph *g = &ctx->graph;
	if (g->n)
		printf("valid: %zu revision(s), head %s\n", g->n, g->revs[g->heads[0]]->id);
	else
		printf("valid: no revisions yet\n");
	return 0;
}
