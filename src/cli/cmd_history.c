#include "cli.h"

#include <cjson/cJSON.h>

const char cmd_history_help[] =
    "usage: vmig history [--json] [-v]\n"
    "\n"
    "Prints the revision graph from the heads down to base, one revision per line:\n"
    "  PARENTS -> ID (head) (branchpoint) (mergepoint), MESSAGE\n"
    "No database is needed.  -v adds each revision's file.\n";

static void print_line(cli_ctx *ctx, size_t v)
{
	const vmig_graph *g = &ctx->graph;
	const vmig_node *nd = &g->nodes[v];
	const vmig_revision *r = g->revs[v];
	if (!nd->nparents)
		fputs("<base>", stdout);
	for (size_t k = 0; k < nd->nparents; k++)
		printf("%s%s", k ? ", " : "", g->revs[nd->parents[k]]->id);
	printf(" -> %s%s%s%s", r->id, nd->nchildren ? "" : " (head)",
	       nd->nchildren > 1 ? " (branchpoint)" : "", nd->nparents > 1 ? " (mergepoint)" : "");
	if (*r->message)
		printf(", %s", r->message);
	if (ctx->opt.verbosity > 0)
		printf("  [%s]", r->path);
	putchar('\n');
}

static cJSON *id_array(const vmig_graph *g, const size_t *idx, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t k = 0; k < n; k++)
		cJSON_AddItemToArray(a, cJSON_CreateString(g->revs[idx[k]]->id));
	return a;
}

static cJSON *json_entry(const vmig_graph *g, size_t v)
{
	const vmig_node *nd = &g->nodes[v];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "revision", g->revs[v]->id);
	cJSON_AddItemToObject(o, "parents", id_array(g, nd->parents, nd->nparents));
	cJSON_AddItemToObject(o, "children", id_array(g, nd->children, nd->nchildren));
	cJSON_AddStringToObject(o, "message", g->revs[v]->message);
	cJSON_AddStringToObject(o, "path", g->revs[v]->path);
	cJSON_AddBoolToObject(o, "head", nd->nchildren == 0);
	cJSON_AddBoolToObject(o, "branch_point", nd->nchildren > 1);
	cJSON_AddBoolToObject(o, "merge", nd->nparents > 1);
	return o;
}

int cmd_history(cli_ctx *ctx, int argc, char **argv)
{
	int rc = cli_files_command(ctx, argc, argv);
	if (rc)
		return rc;
	const vmig_graph *g = &ctx->graph;
	cJSON *list = ctx->opt.json ? cJSON_CreateArray() : NULL;
	for (size_t i = g->n; i-- > 0;) {
		if (list)
			cJSON_AddItemToArray(list, json_entry(g, g->order[i]));
		else
			print_line(ctx, g->order[i]);
	}
	if (list)
		cli_print_json(list);
	return 0;
}
