#include "cli.h"

#include "alloc.h"
#include "plan.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

const char cmd_current_help[] =
    "usage: vmig current [--json]\n"
    "\n"
    "Prints the database's applied heads (one per line: id, `(head)` when it is a\n"
    "head of the graph, message).  Nothing applied: prints nothing on standard\n"
    "output (and a note on standard error unless -q).\n";

int cmd_current(cli_ctx *ctx, int argc, char **argv)
{
	vmig_state st;
	int rc = cli_state_command(ctx, argc, argv, &st);
	if (rc)
		return rc;
	const vmig_graph *g = st.graph;
	size_t *heads = xmalloc((g->n ? g->n : 1) * sizeof *heads);
	size_t n = vmig_applied_heads(g, st.applied, heads);
	cJSON *list = ctx->opt.json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < n; i++) {
		const vmig_revision *r = g->revs[heads[i]];
		bool is_head = !r->from_db && g->nodes[heads[i]].nchildren == 0;
		if (list) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "revision", r->id);
			cJSON_AddStringToObject(o, "message", r->message);
			cJSON_AddBoolToObject(o, "head", is_head);
			cJSON_AddItemToArray(list, o);
		} else {
			printf("%s%s%s%s\n", r->id, is_head ? " (head)" : "",
			       *r->message ? " " : "", r->message);
		}
	}
	if (list)
		cli_print_json(list);
	else if (!n)
		cli_info(ctx, "no revision is applied");
	free(heads);
	vmig_state_free(&st);
	return 0;
}
