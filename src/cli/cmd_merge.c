#include "cli.h"

#include "alloc.h"

#include <string.h>

const char cmd_merge_help[] =
    "usage: vmig merge ID ID... -m MESSAGE [--rev-id ID]\n"
    "       vmig merge heads -m MESSAGE\n"
    "\n"
    "Creates a merge revision whose parents are the given revisions (ids or\n"
    "unique prefixes; `heads` stands for every head) and prints its path.\n";

int cmd_merge(cli_ctx *ctx, int argc, char **argv)
{
	const char *message = NULL, *rev_id = NULL;
	char **names = xcalloc((size_t)argc + 1, sizeof *names);
	size_t nnames = 0;
	bool heads = false;
	int rc = 0;
	for (int i = 0; i < argc && !rc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "-m") == 0 || strcmp(a, "--message") == 0) && i + 1 < argc)
			message = argv[++i];
		else if (strcmp(a, "--rev-id") == 0 && i + 1 < argc)
			rev_id = argv[++i];
		else if (a[0] == '-' && strcmp(a, "--") != 0)
			rc = cli_usage_error(ctx, "unknown option %s", a);
		else if (strcmp(a, "heads") == 0)
			heads = true;
		else if (strcmp(a, "--") != 0)
			names[nnames++] = argv[i];
	}
	if (!rc && !message)
		rc = cli_usage_error(ctx, "give a message with -m MESSAGE");
	if (!rc)
		rc = cli_load_files(ctx);
	const char **ids = xcalloc(nnames + ctx->graph.nheads + 1, sizeof *ids);
	if (!rc)
		rc = cli_resolve_ids(ctx, names, nnames, ids);
	size_t n = nnames;
	for (size_t h = 0; !rc && heads && h < ctx->graph.nheads; h++) {
		const char *id = ctx->graph.revs[ctx->graph.heads[h]]->id;
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup = dup || ids[k] == id;
		if (!dup)
			ids[n++] = id;
	}
	if (!rc && n < 2)
		rc = cli_usage_error(ctx, "a merge needs at least two distinct parents (got %zu)",
		                     n);
	if (!rc)
		rc = cli_write_revision(ctx, message, rev_id, (char *const *)ids, n, false);
	free(ids);
	free(names);
	return rc;
}
