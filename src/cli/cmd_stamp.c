#include "cli.h"

const char cmd_stamp_help[] =
    "usage: vmig stamp TARGET\n"
    "\n"
    "Records TARGET as applied without running any SQL.  Afterwards the applied\n"
    "revisions are TARGET, every applied head that is neither an ancestor nor a\n"
    "descendant of TARGET, and all their ancestors (Alembic's rule): heads on\n"
    "TARGET's line are replaced by it, and what was applied only below them goes\n"
    "with them; heads on unrelated branches stay.\n"
    "TARGET: an id or prefix, head, heads (every head), base (nothing), +N or -N.\n"
    "Also resolves a revision left in progress (one that started and did not\n"
    "finish): stamp it if it is now fully applied, or stamp its parent if it is not.\n";

int cmd_stamp(cli_ctx *ctx, int argc, char **argv)
{
	const char *target;
	int rc = cli_one_target(ctx, argc, argv, &target, true);
	return rc ? rc : cli_run(ctx, VMIG_RUN_STAMP, target);
}
