#include "cli.h"

const char cmd_redo_help[] =
    "usage: vmig redo [--single-transaction]\n"
    "\n"
    "Unapplies the last applied revision (as `vmig down -1`) and applies it again:\n"
    "the quick way to try a revision you are editing.\n";

int cmd_redo(cli_ctx *ctx, int argc, char **argv)
{
	int rc = cli_no_args(ctx, argc, argv);
	return rc ? rc : cli_run(ctx, VMIG_RUN_REDO, NULL);
}
