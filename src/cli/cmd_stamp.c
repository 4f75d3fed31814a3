#include "cli.h"

const char cmd_stamp_help[] =
    "usage: vmig stamp TARGET\n"
    "\n"
    "Records TARGET and its ancestors as applied and its descendants as not applied,\n"
    "without running any SQL; applied heads on unrelated branches stay.\n"
    "TARGET: an id or prefix, head, heads (every head), base (nothing), +N or -N.\n"
    "Also resolves a revision left in progress (a transaction-off revision that\n"
    "started and did not finish): stamp it if it is now fully applied, or stamp its\n"
    "parent if it is not.\n";

int cmd_stamp(cli_ctx *ctx, int argc, char **argv)
{
	const char *target;
	int rc = cli_one_target(ctx, argc, argv, &target, true);
	return rc ? rc : cli_run(ctx, VMIG_RUN_STAMP, target);
}
