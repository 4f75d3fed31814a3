#include "cli.h"

const char cmd_branches_help[] =
    "usage: vmig branches\n"
    "\n"
    "Prints the branch points of the revision graph (revisions with more than one\n"
    "child) as `ID -> CHILD, CHILD  MESSAGE`.  No database is needed.\n";

int cmd_branches(cli_ctx *ctx, int argc, char **argv)
{
	int rc = cli_files_command(ctx, argc, argv);
	if (rc)
		return rc;
	const vmig_graph *g = &ctx->graph;
	for (size_t i = 0; i < g->n; i++) {
		size_t v = g->order[i];
		const vmig_node *nd = &g->nodes[v];
		if (nd->nchildren < 2)
			continue;
		printf("%s ->", g->revs[v]->id);
		for (size_t k = 0; k < nd->nchildren; k++)
			printf("%s %s", k ? "," : "", g->revs[nd->children[k]]->id);
		printf("  %s\n", g->revs[v]->message);
	}
	return 0;
}
