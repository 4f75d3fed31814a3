#include "cli.h"

#include "clock.h"
#include "testdb.h"
#include "url.h"

#include <stdlib.h>
#include <string.h>

const char cmd_create_help[] =
    "usage: vmig create [--wait[=SECONDS]]\n"
    "\n"
    "Creates the database the URL names: on PostgreSQL through the server's\n"
    "maintenance database (postgres, else template1), on SQLite an empty file.\n"
    "A database that exists already is no error: it says so and exits 0.\n";

const char cmd_drop_help[] =
    "usage: vmig drop [--force]\n"
    "\n"
    "Drops the database the URL names (SQLite: removes the file and its journal).\n"
    "--force first ends the other sessions on it (PostgreSQL).  A database that\n"
    "is not there is no error: it says so and exits 0.\n";

/* Runs create or drop, retrying a server that is not up yet with --wait. */
static int create_or_drop(cli_ctx *ctx, bool create, bool force)
{
	vmig_error err = {0};
	bool flag = false;
	int rc = cli_load_config(ctx);
	if (rc)
		return rc;
	unsigned wait_s =
	    ctx->opt.wait ? (ctx->opt.wait_s ? ctx->opt.wait_s : ctx->cfg.wait_timeout) : 0;
	vmig_waiter wait = vmig_waiter_new(wait_s * 1000.0, 250, 2000);
	vmig_waiter_start(&wait);
	do {
		memset(&err, 0, sizeof err);
		rc = create ? vmig_database_create(&ctx->cfg, &flag, &err)
		            : vmig_database_drop(&ctx->cfg, force, &flag, &err);
	} while (rc && err.transient && wait_s && vmig_waiter_pause(&wait));
	if (rc)
		return cli_report(ctx, &err);
	char *shown = vmig_url_redact(ctx->cfg.database_url);
	if (create)
		cli_info(ctx, flag ? "%s exists already" : "created %s", shown);
	else
		cli_info(ctx, flag ? "%s does not exist" : "dropped %s", shown);
	free(shown);
	return 0;
}

int cmd_create(cli_ctx *ctx, int argc, char **argv)
{
	int rc = cli_no_args(ctx, argc, argv);
	return rc ? rc : create_or_drop(ctx, true, false);
}

int cmd_drop(cli_ctx *ctx, int argc, char **argv)
{
	bool force = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = true;
		else if (strcmp(argv[i], "--") != 0)
			return argv[i][0] == '-'
			           ? cli_usage_error(ctx, "unknown option %s", argv[i])
			           : cli_usage_error(ctx, "unexpected argument \"%s\"", argv[i]);
	}
	return create_or_drop(ctx, false, force);
}
