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
	char **named = xcalloc((size_t)argc + 1, sizeof *named);
	size_t nnamed = 0;
	bool heads = false;
	int rc = 0;
	for (int i = 0; i < argc && !rc; i++) {
		const char *arg = argv[i];
		bool is_message = strcmp(arg, "-m") == 0 || strcmp(arg, "--message") == 0;
		if ((is_message || strcmp(arg, "--rev-id") == 0) && i + 1 >= argc)
			rc = cli_usage_error(ctx, "%s needs a value", arg);
		else if (is_message && message)
			rc = cli_usage_error(ctx, "-m/--message is given twice; give it once");
		else if (is_message)
			message = argv[++i];
		else if (strcmp(arg, "--rev-id") == 0 && rev_id)
			rc = cli_usage_error(ctx, "--rev-id is given twice; give it once");
		else if (strcmp(arg, "--rev-id") == 0)
			rev_id = argv[++i];
		else if (arg[0] == '-' && strcmp(arg, "--") != 0)
			rc = cli_usage_error(ctx, "unknown option %s", arg);
		else if (strcmp(arg, "heads") == 0)
			heads = true;
		else if (strcmp(arg, "--") != 0)
			named[nnamed++] = argv[i];
	}
	if (!rc && !message)
		rc = cli_usage_error(ctx, "give a message with -m MESSAGE");
	if (!rc)
		rc = cli_load_files(ctx);
	const char **parents = xcalloc(nnamed + ctx->graph.nheads + 1, sizeof *parents);
	if (!rc)
		rc = cli_resolve_ids(ctx, named, nnamed, parents);
	size_t nparents = nnamed;
	for (size_t h = 0; !rc && heads && h < ctx->graph.nheads; h++) {
		const char *head = ctx->graph.revs[ctx->graph.heads[h]]->id;
		bool already = false;
		for (size_t k = 0; k < nparents; k++)
			already = already || parents[k] == head;
		if (!already)
			parents[nparents++] = head;
	}
	if (!rc && nparents < 2)
		rc = cli_usage_error(ctx, "a merge needs at least two distinct parents (got %zu)",
		                     nparents);
	if (!rc)
		rc = cli_write_revision(ctx, message, rev_id, (char *const *)parents, nparents,
		                        false);
	free(parents);
	free(named);
	return rc;
}
