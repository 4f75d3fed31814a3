#include "cli.h"

#include "alloc.h"
#include "buf.h"

#include <string.h>

const char cmd_new_help[] =
    "usage: vmig new MESSAGE [--rev-id ID] [--down-revision ID...] [--no-transaction]\n"
    "\n"
    "Creates MIGRATIONS/<id>_<message>.sql whose parent is the current head and\n"
    "prints its path.  The id is 12 random hex digits unless --rev-id gives one.\n"
    "--down-revision names the parent(s) instead (several: a merge; `base`: a new\n"
    "root); with several heads and no --down-revision, merge them first\n"
    "(vmig merge heads -m MSG).\n"
    "--no-transaction writes `-- vmig:transaction off` (for CREATE INDEX\n"
    "CONCURRENTLY and the like).  The message may be given as several words\n"
    "(vmig new add users) or with -m MESSAGE.\n";

/* Whether arg is the option name, alone or as "name=value". */
static bool is_opt(const char *arg, const char *name)
{
	size_t len = strlen(name);
	return strncmp(arg, name, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

int cmd_new(cli_ctx *ctx, int argc, char **argv)
{
	const char *message = NULL, *rev_id = NULL;
	char **parents = xcalloc((size_t)argc + 1, sizeof *parents);
	size_t nparents = 0;
	bool given_parents = false, no_txn = false;
	vmig_buf words = {0}; /* `vmig new add users` means the message "add users" */
	int rc = 0;
	bool ended = false; /* after "--" every argument is a word of the message */
	for (int i = 0; i < argc && !rc; i++) {
		const char *a = argv[i];
		if (ended || strcmp(a, "--") == 0) {
			if (ended)
				vmig_buf_printf(&words, "%s%s", words.len ? " " : "", a);
			ended = true;
		} else if ((is_opt(a, "--rev-id") && rev_id) || (is_opt(a, "-m") && message) ||
		           (is_opt(a, "--message") && message))
			rc = cli_usage_error(ctx, "%s is given twice; give it once",
			                     is_opt(a, "--rev-id") ? "--rev-id" : "-m/--message");
		else if (strcmp(a, "--rev-id") == 0 && i + 1 < argc)
			rev_id = argv[++i];
		else if (strncmp(a, "--rev-id=", 9) == 0)
			rev_id = a + 9;
		else if ((strcmp(a, "-m") == 0 || strcmp(a, "--message") == 0) && i + 1 < argc)
			message = argv[++i];
		else if (strcmp(a, "--no-transaction") == 0)
			no_txn = true;
		else if (strcmp(a, "--down-revision") == 0 ||
		         strncmp(a, "--down-revision=", 16) == 0) {
			given_parents = true;
			if (a[15] == '=' && a[16])
				parents[nparents++] = (char *)a + 16;
			while (i + 1 < argc && argv[i + 1][0] != '-')
				parents[nparents++] = argv[++i];
			if (!nparents)
				rc = cli_usage_error(ctx, "--down-revision needs an id (or `base` "
				                          "for a new root)");
		} else if (a[0] == '-')
			rc = cli_usage_error(ctx, "unknown option %s", a);
		else
			vmig_buf_printf(&words, "%s%s", words.len ? " " : "", a);
	}
	if (!message && words.len)
		message = vmig_buf_str(&words);
	else if (!rc && message && words.len)
		rc = cli_usage_error(ctx, "give the message once: as words or with -m, not both");
	if (!rc && !message)
		rc = cli_usage_error(ctx, "give a message: vmig new \"add users\"");
	if (!rc)
		rc = cli_load_files(ctx);
	const char **ids = xcalloc(nparents + ctx->graph.nheads + 1, sizeof *ids);
	if (!rc && given_parents && nparents == 1 && strcmp(parents[0], "base") == 0) {
		nparents = 0; /* a new root */
	} else if (!rc && given_parents) {
		rc = cli_resolve_ids(ctx, parents, nparents, ids);
	} else if (!rc && ctx->graph.nheads > 1) {
		vmig_error err;
		vmig_fail(&err, VMIG_ERR_INPUT,
		          "there are %zu heads, so a new revision has no single parent: join them "
		          "with `vmig merge heads -m MESSAGE`, or name the parent with "
		          "--down-revision ID",
		          ctx->graph.nheads);
		rc = cli_report(ctx, &err);
	} else if (!rc && ctx->graph.nheads == 1) {
		ids[0] = ctx->graph.revs[ctx->graph.heads[0]]->id;
		nparents = 1;
	}
	if (!rc)
		rc = cli_write_revision(ctx, message, rev_id, (char *const *)ids, nparents, no_txn);
	free(ids);
	free(parents);
	vmig_buf_free(&words);
	return rc;
}
