#include "cli.h"

const char cmd_show_help[] =
    "usage: vmig show ID\n"
    "\n"
    "Prints one revision (an id or unique prefix): its parents, children, message,\n"
    "file, transaction mode, checksum and SQL.  No database is needed.\n";

static void print_ids(const char *label, const vmig_graph *g, const size_t *idx, size_t n)
{
	printf("%-12s", label);
	if (!n)
		fputs(" (none)", stdout);
	for (size_t k = 0; k < n; k++)
		printf(" %s", g->revs[idx[k]]->id);
	putchar('\n');
}

int cmd_show(cli_ctx *ctx, int argc, char **argv)
{
	const char *id;
	size_t v;
	vmig_error err = {0};
	int rc = cli_one_target(ctx, argc, argv, &id, false);
	if (!rc && !id)
		rc = cli_usage_error(ctx, "give a revision id or a unique prefix of one");
	if (!rc)
		rc = cli_load_files(ctx);
	if (rc)
		return rc;
	if (vmig_graph_lookup(&ctx->graph, id, &v, &err))
		return cli_report(ctx, &err);
	const vmig_graph *g = &ctx->graph;
	const vmig_revision *r = g->revs[v];
	printf("%-12s %s\n", "revision:", r->id);
	print_ids("parents:", g, g->nodes[v].parents, g->nodes[v].nparents);
	print_ids("children:", g, g->nodes[v].children, g->nodes[v].nchildren);
	printf("%-12s %s\n", "message:", r->message);
	printf("%-12s %s\n", "file:", r->path);
	printf("%-12s %s\n", "transaction:", r->transactional ? "on" : "off");
	printf("%-12s sha256 v%d %s\n", "checksum:", VMIG_CHECKSUM_VERSION,
	       vmig_revision_checksum(r));
	printf("\n-- vmig:up\n%s", r->up_sql);
	if (r->down_sql)
		printf("-- vmig:down\n%s", r->down_sql);
	else
		printf("(no -- vmig:down: irreversible)\n");
	return 0;
}
