#include "cli.h"

const char cmd_up_help[] =
    "usage: vmig up [TARGET] [--single-transaction] [--wait[=SECONDS]]\n"
    "       (alias: vmig upgrade)\n"
    "\n"
    "Applies TARGET and every ancestor of it that is not applied, parents first,\n"
    "each revision with its bookkeeping row in one transaction (all of them in one\n"
    "with --single-transaction or transaction_per_migration: false).\n"
    "TARGET: head (default), heads, an id or unique prefix, or +N.\n"
    "When nothing is pending, vmig up exits 0 after one query, without the lock.\n";

int cmd_up(cli_ctx *ctx, int argc, char **argv)
{
	const char *target;
	int rc = cli_one_target(ctx, argc, argv, &target, false);
	return rc ? rc : cli_run(ctx, VMIG_RUN_UP, target);
}
