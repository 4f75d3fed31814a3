/*
 * vmig.c - the entry point: common options, then one command from the table.
 *
 * The table says, for each command, which of the common options it uses
 * (git's cmd_struct: one line per command, its needs as flags).  Any other
 * common option given to it is refused as a usage error, and its help lists
 * the ones it takes, both from the same flags.
 */
#include "cli.h"

#include "alloc.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a command does, and so which common options mean something to it. */
enum cmd_needs {
	USE_FILES = 1 << 0,    /* reads the config and the migrations: -c, --dir */
	USE_DATABASE = 1 << 1, /* names a database: -d */
	USE_RUN = 1 << 2,      /* runs revisions in transactions: --single-transaction */
	USE_JSON = 1 << 3,     /* has machine output: --json */
	USE_SQL = 1 << 4,      /* can print its SQL instead of running it: --sql */
	USE_CONNECT = 1 << 5,  /* connects, so it can wait for the server: --wait */
	USE_MANY = 1 << 6, /* runs over many databases: -d twice, --targets, --schemas, --jobs */
};

#define DB_READ (USE_FILES | USE_DATABASE | USE_CONNECT)

struct cmd_struct {
	const char *name;
	cli_fn fn;
	const char *help;
	const char *summary; /* NULL for an alias: not listed in `vmig --help` */
	unsigned needs;
};

static const struct cmd_struct commands[] = {
    {"init", cmd_init, cmd_init_help, "create vmig.yaml and migrations/", 0},
    {"new", cmd_new, cmd_new_help, "create a revision whose parent is the current head", USE_FILES},
    {"up", cmd_up, cmd_up_help, "apply revisions (alias: upgrade)",
     DB_READ | USE_RUN | USE_SQL | USE_MANY},
    {"upgrade", cmd_up, cmd_up_help, NULL, DB_READ | USE_RUN | USE_SQL | USE_MANY},
    {"down", cmd_down, cmd_down_help, "unapply revisions (alias: downgrade)",
     DB_READ | USE_RUN | USE_SQL},
    {"downgrade", cmd_down, cmd_down_help, NULL, DB_READ | USE_RUN | USE_SQL},
    {"redo", cmd_redo, cmd_redo_help, "unapply the last revision and apply it again",
     DB_READ | USE_RUN},
    {"status", cmd_status, cmd_status_help, "every revision: applied or pending, and drift",
     DB_READ | USE_JSON | USE_MANY},
    {"current", cmd_current, cmd_current_help, "the database's applied heads",
     DB_READ | USE_JSON | USE_MANY},
    {"history", cmd_history, cmd_history_help, "the graph from heads to base",
     USE_FILES | USE_JSON},
    {"heads", cmd_heads, cmd_heads_help, "the heads of the graph", USE_FILES | USE_JSON},
    {"branches", cmd_branches, cmd_branches_help, "the branch points of the graph", USE_FILES},
    {"show", cmd_show, cmd_show_help, "one revision: parents, children, message, SQL", USE_FILES},
    {"merge", cmd_merge, cmd_merge_help, "create a merge revision", USE_FILES},
    {"stamp", cmd_stamp, cmd_stamp_help, "record a target as applied without running SQL",
     DB_READ | USE_SQL},
    {"validate", cmd_validate, cmd_validate_help, "check files and graph (no database)", USE_FILES},
    {"check", cmd_check, cmd_check_help, "validate, and the database is at head without drift",
     DB_READ | USE_MANY},
    {"create", cmd_create, cmd_create_help, "create the database the URL names",
     USE_FILES | USE_DATABASE | USE_CONNECT},
    {"drop", cmd_drop, cmd_drop_help, "drop the database the URL names (--force)",
     USE_FILES | USE_DATABASE | USE_CONNECT},
    {"testdb", cmd_testdb, cmd_testdb_help,
     "test databases: new (a migrated copy, its URL), drop URL..., gc",
     USE_FILES | USE_DATABASE | USE_JSON},
    {"import", cmd_import, cmd_import_help,
     "turn an Alembic history into vmig files (import alembic DIR)", USE_FILES | USE_DATABASE},
    {"adopt", cmd_adopt, cmd_adopt_help,
     "take over a database that Alembic migrated, running no SQL", DB_READ},
    {"lint", cmd_lint, cmd_lint_help, "report what in the up SQL locks or breaks a live database",
     USE_FILES | USE_DATABASE | USE_JSON},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* The common options, in the order the help lists them. */
enum option_id {
	OPT_CONFIG,
	OPT_DATABASE_URL,
	OPT_TARGETS,
	OPT_SCHEMAS,
	OPT_JOBS,
	OPT_DIR,
	OPT_SINGLE_TRANSACTION,
	OPT_WAIT,
	OPT_SQL,
	OPT_JSON,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_VERSION,
	OPT_COUNT
};

enum option_value { NO_VALUE, VALUE, OPTIONAL_VALUE };

static const struct common_option {
	const char *short_name; /* NULL: none */
	const char *long_name;
	enum option_value value;
	unsigned need; /* the command need it serves; 0: every command takes it */
	bool once;     /* single-valued: given twice is a usage error */
	const char *help;
} options[OPT_COUNT] = {
    [OPT_CONFIG] = {"-c", "--config", VALUE, USE_FILES, true,
                    "  -c, --config PATH        config file (default: $VMIG_CONFIG, else "
                    "./vmig.yaml)\n"},
    [OPT_DATABASE_URL] = {"-d", "--database-url", VALUE, USE_DATABASE, false,
                          "  -d, --database-url URL   database (default: the config's, else "
                          "$DATABASE_URL);\n"
                          "                           give it again for more (up, status, "
                          "check, current)\n"},
    [OPT_TARGETS] = {NULL, "--targets", VALUE, USE_MANY, true,
                     "      --targets FILE       the databases: one URL per line, # comments\n"},
    [OPT_SCHEMAS] = {NULL, "--schemas", VALUE, USE_MANY, true,
                     "      --schemas PATTERN    PostgreSQL: every schema whose name is LIKE "
                     "PATTERN,\n"
                     "                           each with its own version table\n"},
    [OPT_JOBS] = {NULL, "--jobs", VALUE, USE_MANY, true,
                  "      --jobs N             targets at once, one connection each "
                  "(default 4)\n"},
    [OPT_DIR] = {NULL, "--dir", VALUE, USE_FILES, true,
                 "      --dir DIR            migrations directory (default: the config's, "
                 "else ./migrations)\n"},
    [OPT_SINGLE_TRANSACTION] = {NULL, "--single-transaction", NO_VALUE, USE_RUN, false,
                                "      --single-transaction run the whole of up/down/redo in "
                                "one transaction\n"},
    [OPT_WAIT] = {NULL, "--wait", OPTIONAL_VALUE, USE_CONNECT, true,
                  "      --wait[=SECONDS]     retry connecting until the database is up\n"
                  "                           (default: the config's wait_timeout, 30)\n"},
    [OPT_SQL] = {NULL, "--sql", NO_VALUE, USE_SQL, false,
                 "      --sql                print the SQL script instead of running it,\n"
                 "                           connecting to nothing (up, down, stamp: [FROM:]TO)\n"},
    [OPT_JSON] = {NULL, "--json", NO_VALUE, USE_JSON, false,
                  "      --json               machine output (status, current, heads, "
                  "history,\n"
                  "                           lint, testdb new)\n"},
    [OPT_QUIET] = {"-q", "--quiet", NO_VALUE, 0, false,
                   "  -q, --quiet              no progress output\n"},
    [OPT_VERBOSE] = {"-v", "--verbose", NO_VALUE, 0, false,
                     "  -v, --verbose            more detail\n"},
    [OPT_HELP] = {"-h", "--help", NO_VALUE, 0, false,
                  "  -h, --help               this help (`vmig COMMAND --help`: a "
                  "command's)\n"},
    [OPT_VERSION] = {"-V", "--version", NO_VALUE, 0, false,
                     "  -V, --version            print the version\n"},
};

/* What parse_common found. */
struct given_options {
	const char *spelling[OPT_COUNT]; /* the argument as typed, NULL when not given */
	int repeated;                    /* the first single-valued option given twice, or -1 */
	bool quiet, version;
};

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
	fputs("\nOptions (before or after the command):\n", f);
	for (int k = 0; k < OPT_COUNT; k++)
		fputs(options[k].help, f);
	fputs("A command refuses an option it does not use; `vmig COMMAND --help` lists its own.\n"
	      "\n"
	      "Targets: head, heads, base, an id or unique prefix, +N, -N.\n"
	      "Exit codes: 0 done, 1 database or runtime failure, 2 bad input,\n"
	      "3 check or lint found problems.\n"
	      "See vmig(1) for the file format and configuration.\n",
	      f);
}

/* A command's help, then the common options it takes (from its needs). */
static void print_command_help(const struct cmd_struct *cmd)
{
	fputs(cmd->help, stdout);
	fputs("\nCommon options it takes (before or after the command):\n", stdout);
	for (int k = 0; k < OPT_COUNT; k++)
		if (k != OPT_VERSION && (options[k].need & cmd->needs) == options[k].need)
			fputs(options[k].help, stdout);
}

static const struct cmd_struct *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* A whole number from 0 to max, digits only. */
static bool parse_whole(const char *s, unsigned long max, unsigned *out)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	if (strlen(s) > 9)
		return false;
	unsigned long value = strtoul(s, NULL, 10);
	if (value > max)
		return false;
	*out = (unsigned)value;
	return true;
}

/* The option arg names ("-c", "--config", "--config=x"), or -1; *inline_value: after "=". */
static int match_option(const char *arg, const char **inline_value)
{
	*inline_value = NULL;
	for (int k = 0; k < OPT_COUNT; k++) {
		const struct common_option *opt = &options[k];
		size_t len = strlen(opt->long_name);
		if (opt->short_name && strcmp(arg, opt->short_name) == 0)
			return k;
		if (strncmp(arg, opt->long_name, len) != 0)
			continue;
		if (arg[len] == '\0')
			return k;
		if (arg[len] == '=' && opt->value != NO_VALUE) {
			*inline_value = arg + len + 1;
			return k;
		}
	}
	return -1;
}

/* "--name" or "-n/--name" for messages. */
static const char *option_name(int k, char *out, size_t size)
{
	if (options[k].short_name)
		snprintf(out, size, "%s/%s", options[k].short_name, options[k].long_name);
	else
		snprintf(out, size, "%s", options[k].long_name);
	return out;
}

/* Stores one option's value into the context. */
static int set_option(cli_ctx *ctx, int k, const char *value, struct given_options *given)
{
	cli_opts *opts = &ctx->opt;
	switch ((enum option_id)k) {
	case OPT_CONFIG:
		opts->config_path = value;
		break;
	case OPT_DATABASE_URL:
		if (!opts->database_url)
			opts->database_url = value;
		opts->database_urls[opts->ndatabase_urls++] = value;
		break;
	case OPT_TARGETS:
		opts->targets_file = value;
		break;
	case OPT_SCHEMAS:
		opts->schemas = value;
		break;
	case OPT_JOBS:
		if (!parse_whole(value, 1024, &opts->jobs) || opts->jobs < 1)
			return cli_usage_error(ctx, "--jobs %s: give a whole number from 1 to 1024",
			                       value);
		break;
	case OPT_DIR:
		opts->dir = value;
		break;
	case OPT_SINGLE_TRANSACTION:
		opts->single_transaction = true;
		break;
	case OPT_WAIT:
		opts->wait = true;
		if (value && !parse_whole(value, 86400, &opts->wait_s))
			return cli_usage_error(
			    ctx, "--wait=%s: give a whole number of seconds (0 to 86400)", value);
		break;
	case OPT_SQL:
		opts->sql = true;
		break;
	case OPT_JSON:
		opts->json = true;
		break;
	case OPT_QUIET:
		given->quiet = true;
		break;
	case OPT_VERBOSE:
		opts->verbosity++;
		break;
	case OPT_HELP:
		opts->help = true;
		break;
	case OPT_VERSION:
		given->version = true;
		break;
	case OPT_COUNT:
		break;
	}
	return 0;
}

/*
 * Takes the common options out of argv wherever they stand (until "--"),
 * leaving the command name and its own arguments, in order, in rest.
 * Returns 0, or an exit code after printing the error.
 */
static int parse_common(cli_ctx *ctx, int argc, char **argv, char **rest, int *nrest,
                        struct given_options *given)
{
	bool ended = false;
	*nrest = 0;
	given->repeated = -1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value;
		int k =
		    ended || arg[0] != '-' || cli_is_relative_target(arg) || strcmp(arg, "-") == 0
		        ? -1
		        : match_option(arg, &value);
		if (k < 0) {
			/* A word, a target, "--" or the command's own option. */
			ended = ended || strcmp(arg, "--") == 0;
			rest[(*nrest)++] = argv[i];
			continue;
		}
		if (options[k].value == VALUE && !value) {
			if (i + 1 >= argc)
				return cli_usage_error(ctx, "%s needs a value",
				                       options[k].long_name);
			value = argv[++i];
		}
		if (options[k].once && given->spelling[k] && given->repeated < 0)
			given->repeated = k;
		if (!given->spelling[k])
			given->spelling[k] = arg;
		int rc = set_option(ctx, k, value, given);
		if (rc)
			return rc;
	}
	return 0;
}

/* Refuses a repeated option, then every common option that cmd does not use. */
static int check_options(cli_ctx *ctx, const struct cmd_struct *cmd,
                         const struct given_options *given)
{
	char name[64];

	if (ctx->opt.ndatabase_urls > 1 && !(cmd->needs & USE_MANY))
		return cli_usage_error(ctx,
		                       "%s is given twice: `vmig %s` works on one database (up, "
		                       "status, check and current take several); give it once",
		                       option_name(OPT_DATABASE_URL, name, sizeof name), cmd->name);
	if (given->repeated >= 0)
		return cli_usage_error(ctx, "%s is given twice; give it once",
		                       option_name(given->repeated, name, sizeof name));
	for (int k = 0; k < OPT_COUNT; k++) {
		const char *typed = given->spelling[k];
		if (!typed || (options[k].need & cmd->needs) == options[k].need)
			continue;
		/* Over several databases, up and check also give a line per target. */
		if (k == OPT_JSON && (cmd->needs & USE_MANY) && cli_fanout_wanted(ctx))
			continue;
		/* As typed, without a value after "=" (a URL may hold a password). */
		int len = (int)strcspn(typed, "=");
		return cli_usage_error(
		    ctx, "`vmig %s` does not use %.*s%s", cmd->name, len, typed,
		    k == OPT_JSON ? " (machine output is for status, current, heads, "
		                    "history, lint, testdb new, and up and check over several "
		                    "databases)"
		                  : "");
	}
	return 0;
}

static int run_command(int argc, char **argv)
{
	cli_ctx ctx = {0};
	char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
	ctx.opt.database_urls = xcalloc((size_t)argc + 1, sizeof *ctx.opt.database_urls);
	int nrest = 0, rc;
	struct given_options given = {.quiet = false};
	const char *no_color = getenv("NO_COLOR");
	bool color = !(no_color && *no_color);
	ctx.color_out = color && isatty(1);
	ctx.color_err = color && isatty(2);

	rc = parse_common(&ctx, argc, argv, rest, &nrest, &given);
	if (rc)
		goto out;
	if (given.quiet) /* -q wins over -v, wherever each stands */
		ctx.opt.verbosity = -1;
	if (given.version) {
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
			print_command_help(c);
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
		print_command_help(cmd);
		goto out;
	}
	rc = check_options(&ctx, cmd, &given);
	if (!rc && (cmd->needs & USE_MANY) && cli_fanout_wanted(&ctx))
		rc = cli_fanout(&ctx, cmd->name, nrest - 1, rest + 1);
	else if (!rc)
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
	free(ctx.opt.database_urls);
	return rc;
}

int main(int argc, char **argv)
{
	/* Out of memory anywhere below: the connection is closed (rolling back
	 * an open transaction and releasing the lock) before we get here. */
	vmig_oom_frame frame;
	vmig_oom_enter(&frame);
	if (setjmp(frame.jmp)) {
		fputs("vmig: out of memory; stopped, and an open transaction was rolled back\n",
		      stderr);
		return 1;
	}
	int rc = run_command(argc, argv);
	vmig_oom_leave(&frame);
	return rc;
}
