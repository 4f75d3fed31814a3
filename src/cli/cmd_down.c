#include "cli.h"

const char cmd_down_help[] =
    "usage: vmig down [TARGET] [--single-transaction]\n"
    "       (alias: vmig downgrade)\n"
    "\n"
    "Unapplies revisions, children first, running their -- vmig:down SQL.\n"
    "TARGET: -N (default -1: the last revision), an id (unapplies its applied\n"
    "descendants; the id itself stays), or base (unapplies everything).\n"
    "A revision without a -- vmig:down section stops the downgrade before anything\n"
    "is changed (exit 2).  Where a revision's file is gone, the down SQL stored in\n"
    "the version table is used.\n";

int cmd_down(cli_ctx *ctx, int argc, char **argv)
{
	const char *target;
	int rc = cli_one_target(ctx, argc, argv, &target, false);
	return rc ? rc : cli_run(ctx, VMIG_RUN_DOWN, target);
}
