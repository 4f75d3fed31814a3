/*
 * vmig.c - the entry point: common options, then one command from the table.
 */
#include "cli.h"

#include "alloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cmd_struct {
	const char *name;
	cli_fn fn;
	const char *help;
	const char *summary;
	bool json; /* has --json output */
};

static const struct cmd_struct commands[] = {
    {"init", cmd_init, cmd_init_help, "create vmig.yaml and migrations/", false},
    {"new", cmd_new, cmd_new_help, "create a revision whose parent is the current head", false},
    {"up", cmd_up, cmd_up_help, "apply revisions (alias: upgrade)", false},
    {"upgrade", cmd_up, cmd_up_help, NULL, false},
    {"down", cmd_down, cmd_down_help, "unapply revisions (alias: downgrade)", false},
    {"downgrade", cmd_down, cmd_down_help, NULL, false},
    {"redo", cmd_redo, cmd_redo_help, "unapply the last revision and apply it again", false},
    {"status", cmd_status, cmd_status_help, "every revision: applied or pending, and drift", true},
    {"current", cmd_current, cmd_current_help, "the database's applied heads", true},
    {"history", cmd_history, cmd_history_help, "the graph from heads to base", true},
    {"heads", cmd_heads, cmd_heads_help, "the heads of the graph", true},
    {"branches", cmd_branches, cmd_branches_help, "the branch points of the graph", false},
    {"show", cmd_show, cmd_show_help, "one revision: parents, children, message, SQL", false},
    {"merge", cmd_merge, cmd_merge_help, "create a merge revision", false},
    {"stamp", cmd_stamp, cmd_stamp_help, "record a target as applied without running SQL", false},
    {"validate", cmd_validate, cmd_validate_help, "check files and graph (no database)", false},
    {"check", cmd_check, cmd_check_help, "validate, and the database is at head without drift",
     false},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *f)
{
	fputs("usage: vmig [options] COMMAND [args]\n"
	      "\n"
	      "A versioned SQL migration runner for PostgreSQL and SQLite.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].summary)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	      "Options (before or after the command):\n"
	      "  -c, --config PATH        config file (default: $VMIG_CONFIG, else ./vmig.yaml)\n"
	      "  -d, --database-url URL   database (default: the config's, else $DATABASE_URL)\n"
	      "      --dir DIR            migrations directory (default: the config's, else "
	      "./migrations)\n"
	      "      --single-transaction run the whole of up/down/redo in one transaction\n"
	      "      --wait[=SECONDS]     retry connecting until the database is up\n"
	      "                           (default: the config's wait_timeout, 30)\n"
	      "      --sql                print the SQL instead of running it (not yet "
	      "available)\n"
	      "      --json               machine output (status, current, heads, history)\n"
	      "  -q, --quiet              no progress output\n"
	      "  -v, --verbose            more detail\n"
	      "  -h, --help               this help (`vmig COMMAND --help`: a command's)\n"
	      "  -V, --version            print the version\n"
	      "\n"
	      "Targets: head, heads, base, an id or unique prefix, +N, -N.\n"
	      "Exit codes: 0 done, 1 database or runtime failure, 2 bad input, 3 check failed.\n"
	      "See vmig(1) for the file format and configuration.\n",
	      f);
}

static const struct cmd_struct *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* "--name=value" or "--name value": sets *value and advances *i; NULL when missing. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	*missing = false;
	if (a[n] == '=')
		return a + n + 1;
	if (*i + 1 < argc) {
		(*i)++;
		return argv[*i];
	}
	*missing = true;
	return NULL;
}

static bool parse_seconds(const char *s, unsigned *out)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	unsigned long v = strtoul(s, NULL, 10);
	if (v > 86400)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool is_opt(const char *a, const char *shortname, const char *longname)
{
	size_t n = strlen(longname);
	return (shortname && strcmp(a, shortname) == 0) ||
	       (strncmp(a, longname, n) == 0 && (a[n] == '\0' || a[n] == '='));
}

/*
 * Takes the common options out of argv wherever they stand (until "--"),
 * leaving the command name and its own arguments, in order, in rest.
 * Returns 0, or an exit code after printing the error.
 */
static int parse_common(cli_ctx *ctx, int argc, char **argv, char **rest, int *nrest, bool *version,
                        bool *quiet)
{
	static const struct {
		const char *s, *l;
		int kind;
	} valued[] = {{"-c", "--config", 0}, {"-d", "--database-url", 1}, {NULL, "--dir", 2}};
	cli_opts *o = &ctx->opt;
	bool ended = false;
	*nrest = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (ended || a[0] != '-' || cli_is_relative_target(a) || strcmp(a, "-") == 0) {
			rest[(*nrest)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			ended = true;
			rest[(*nrest)++] = argv[i];
			continue;
		}
		bool handled = false;
		for (size_t k = 0; k < sizeof valued / sizeof valued[0] && !handled; k++) {
			if (!is_opt(a, valued[k].s, valued[k].l))
				continue;
			bool missing;
			const char *v = valued[k].s && strcmp(a, valued[k].s) == 0
			                    ? (i + 1 < argc ? argv[++i] : NULL)
			                    : option_value(argc, argv, &i, valued[k].l, &missing);
			if (!v)
				return cli_usage_error(ctx, "%s needs a value", valued[k].l);
			if (valued[k].kind == 0)
				o->config_path = v;
			else if (valued[k].kind == 1)
				o->database_url = v;
			else
				o->dir = v;
			handled = true;
		}
		if (handled)
			continue;
		if (strcmp(a, "--single-transaction") == 0)
			o->single_transaction = true;
		else if (strcmp(a, "--json") == 0)
			o->json = true;
		else if (strcmp(a, "--sql") == 0)
			o->sql = true;
		else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
			*quiet = true;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			o->verbosity++;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			o->help = true;
		else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)
			*version = true;
		else if (strcmp(a, "--wait") == 0)
			o->wait = true;
		else if (strncmp(a, "--wait=", 7) == 0) {
			o->wait = true;
			if (!parse_seconds(a + 7, &o->wait_s))
				return cli_usage_error(ctx,
				                       "--wait=%s: give a whole number of seconds "
				                       "(0 to 86400)",
				                       a + 7);
		} else
			rest[(*nrest)++] = argv[i]; /* the command's own option */
	}
	return 0;
}

int main(int argc, char **argv)
{
	cli_ctx ctx = {0};
	char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
	int nrest = 0, rc;
	bool version = false;
	const char *nc = getenv("NO_COLOR");
	bool color = !(nc && *nc);
	ctx.color_out = color && isatty(1);
	ctx.color_err = color && isatty(2);

	bool quiet = false;
	rc = parse_common(&ctx, argc, argv, rest, &nrest, &version, &quiet);
	if (rc)
		goto out;
	if (quiet) /* -q wins over -v, wherever each stands */
		ctx.opt.verbosity = -1;
	if (version) {
		printf("vmig %s\n", VMIG_VERSION);
		goto out;
	}
	if (nrest == 0 || rest[0][0] == '-') {
		if (nrest == 0 && ctx.opt.help) {
			print_help(stdout);
		} else if (nrest == 0) {
			print_help(stderr);
			rc = 2;
		} else {
			rc = cli_usage_error(&ctx, "unknown option %s", rest[0]);
		}
		goto out;
	}
	if (strcmp(rest[0], "help") == 0) { /* `vmig help [COMMAND]` as in git */
		const struct cmd_struct *c = nrest > 1 ? find_command(rest[1]) : NULL;
		if (c)
			fputs(c->help, stdout);
		else
			print_help(stdout);
		goto out;
	}
	const struct cmd_struct *cmd = find_command(rest[0]);
	if (!cmd) {
		rc = cli_usage_error(&ctx, "unknown command \"%s\"", rest[0]);
		goto out;
	}
	ctx.command = cmd->name;
	if (ctx.opt.help) {
		fputs(cmd->help, stdout);
		goto out;
	}
	if (ctx.opt.json && !cmd->json) {
		rc = cli_usage_error(&ctx, "--json is for status, current, heads and history");
		goto out;
	}
	if (ctx.opt.sql) {
		rc = cli_usage_error(&ctx, "--sql (offline SQL scripts) is not available yet in "
		                           "this version of vmig");
		goto out;
	}
	rc = cmd->fn(&ctx, nrest - 1, rest + 1);
out:
	if (ctx.db.conn)
		vmig_db_close(&ctx.db);
	if (ctx.graph_loaded)
		vmig_graph_free(&ctx.graph);
	for (size_t i = 0; i < ctx.nrevs; i++)
		vmig_revision_free(&ctx.revs[i]);
	free(ctx.revs);
	if (ctx.cfg_loaded)
		vmig_config_free(&ctx.cfg);
	free(rest);
	return rc;
}
