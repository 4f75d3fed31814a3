#include "cli.h"

#include <string.h>

const char cmd_adopt_help[] =
    "usage: vmig adopt [--alembic-table NAME]\n"
    "\n"
    "Takes over a database that Alembic has migrated, running no migration SQL:\n"
    "reads the revisions recorded in Alembic's version table (default\n"
    "alembic_version; NAME may be schema.table) and records them and all their\n"
    "ancestors as applied in vmig's version table, with the checksums and down\n"
    "SQL of the migration files (import them first: vmig import alembic DIR).\n"
    "One transaction under the migration lock.  alembic_version is left as it\n"
    "is, so the Alembic-based release keeps working.  A revision there that no\n"
    "file has is refused (exit 2) and nothing is written.  Run again, it does\n"
    "nothing.\n";

int cmd_adopt(cli_ctx *ctx, int argc, char **argv)
{
	vmig_run_opts o = {.kind = VMIG_RUN_ADOPT,
	                   .adopt_table = "alembic_version",
	                   .adopt_column = "version_num"};
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--alembic-table") == 0 && i + 1 < argc)
			o.adopt_table = argv[++i];
		else if (strncmp(a, "--alembic-table=", 16) == 0)
			o.adopt_table = a + 16;
		else if (strcmp(a, "--alembic-table") == 0)
			return cli_usage_error(ctx, "--alembic-table needs a table name");
		else if (strcmp(a, "--") != 0)
			return a[0] == '-' ? cli_usage_error(ctx, "unknown option %s", a)
			                   : cli_usage_error(ctx, "unexpected argument \"%s\"", a);
	}
	if (!*o.adopt_table)
		return cli_usage_error(ctx, "--alembic-table needs a table name");
	return cli_run_opts(ctx, &o);
}
