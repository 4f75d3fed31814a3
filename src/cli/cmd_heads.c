#include "cli.h"

#include <cjson/cJSON.h>

const char cmd_heads_help[] =
    "usage: vmig heads [--json]\n"
    "\n"
    "Prints the heads of the revision graph (revisions without children), one per\n"
    "line with their message.  No database is needed.\n";

int cmd_heads(cli_ctx *ctx, int argc, char **argv)
{
	int rc = cli_files_command(ctx, argc, argv);
	if (rc)
		return rc;
	const vmig_graph *g = &ctx->graph;
	cJSON *list = ctx->opt.json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < g->nheads; i++) {
		const vmig_revision *r = g->revs[g->heads[i]];
		if (list) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "revision", r->id);
			cJSON_AddStringToObject(o, "message", r->message);
			cJSON_AddStringToObject(o, "path", r->path);
			cJSON_AddItemToArray(list, o);
		} else {
			printf("%s (head)%s%s\n", r->id, *r->message ? " " : "", r->message);
		}
	}
	if (list)
		cli_print_json(list);
	return 0;
}
