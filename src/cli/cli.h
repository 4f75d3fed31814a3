/*
 * cli.h - what the command functions share: parsed options, loaders that turn
 * core errors into messages, and output helpers.
 *
 * Adding a command: write cmd_NAME.c with `int cmd_NAME(cli_ctx *, int, char **)`
 * and a help text, declare both here, and add one line to the table in vmig.c.
 */
#ifndef VMIG_CLI_H
#define VMIG_CLI_H

#include "config.h"
#include "db.h"
#include "error.h"
#include "graph.h"
#include "revision.h"
#include "runner.h"

#include <stdbool.h>
#include <stdio.h>

/* Options that every command accepts, before or after its name. */
typedef struct cli_opts {
	const char *config_path;
	const char *database_url;   /* the first -d */
	const char **database_urls; /* every -d, in order */
	size_t ndatabase_urls;
	const char *targets_file; /* --targets */
	const char *schemas;      /* --schemas: a LIKE pattern */
	unsigned jobs;            /* --jobs; 0: CLI_DEFAULT_JOBS */
	const char *dir;
	bool single_transaction;
	bool json;
	bool sql;
	bool wait;
	unsigned wait_s; /* 0 with wait: the config's wait_timeout */
	int verbosity;   /* -1 quiet, 0 normal, 1+ verbose */
	bool help;
} cli_opts;

typedef struct cli_ctx {
	cli_opts opt;
	const char *command; /* the name as typed */
	vmig_config cfg;
	bool cfg_loaded;
	vmig_revision *revs; /* the migration files, owned */
	size_t nrevs;
	vmig_graph graph; /* over revs */
	bool graph_loaded;
	vmig_db db;
	bool color_out, color_err;
} cli_ctx;

typedef int (*cli_fn)(cli_ctx *ctx, int argc, char **argv);

/* Prints err to stderr as "vmig: error: ..." and returns its code. */
int cli_report(cli_ctx *ctx, const vmig_error *err);
/* Reports a usage error (exit 2) with a pointer to --help. */
int cli_usage_error(cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Loads the configuration once; returns an exit code (0 on success). */
int cli_load_config(cli_ctx *ctx);
/* Loads config and every migration file and builds the graph. */
int cli_load_files(cli_ctx *ctx);
/* Loads everything above and connects (honouring --wait). */
int cli_connect(cli_ctx *ctx);

/* Progress to stderr unless -q; printf-style. */
void cli_info(cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Extra detail with -v. */
void cli_verbose(cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ANSI colour around s when colour is on for that stream; returns a static buffer. */
const char *cli_paint(bool on, const char *color, const char *s);
#define CLI_GREEN  "32"
#define CLI_YELLOW "33"
#define CLI_RED    "31"
#define CLI_DIM    "2"

/* Writes a cJSON value to stdout (and frees it). */
struct cJSON;
void cli_print_json(struct cJSON *json);

/* True when arg is a relative target like -1 or +2 (never an option). */
bool cli_is_relative_target(const char *arg);

/* Creates a revision file (used by new and merge); prints its path. */
int cli_write_revision(cli_ctx *ctx, const char *message, const char *rev_id, char *const *parents,
                       size_t nparents, bool transaction_off);

/* Connects and runs up/down/redo/stamp with progress on stderr (with --sql:
 * cli_run_script). */
int cli_run(cli_ctx *ctx, vmig_run_kind kind, const char *target);
/* Connects and runs *opts (kind and target set by the caller; the rest here). */
int cli_run_opts(cli_ctx *ctx, vmig_run_opts *opts);
/* "up", "down", "redo", "stamp", "adopt". */
const char *cli_run_name(vmig_run_kind kind);
/* up/down/stamp --sql [FROM:]TO: the script on stdout, connecting to nothing. */
int cli_run_script(cli_ctx *ctx, vmig_run_kind kind, const char *range);
/* Takes at most one target from the command's arguments (required: exactly one). */
int cli_one_target(cli_ctx *ctx, int argc, char **argv, const char **target, bool required);
/* Fails with a usage error when the command got any argument. */
int cli_no_args(cli_ctx *ctx, int argc, char **argv);
/* The start of a command that takes no argument and reads only the files. */
int cli_files_command(cli_ctx *ctx, int argc, char **argv);
/* Connects and reads the database's state (st is zeroed on failure; free it either way). */
int cli_load_state(cli_ctx *ctx, vmig_state *st);
/* The start of a command that takes no argument and reads the database's state. */
int cli_state_command(cli_ctx *ctx, int argc, char **argv, vmig_state *st);

/* Resolves ids or unique prefixes to full ids (borrowed from the graph). */
int cli_resolve_ids(cli_ctx *ctx, char **ids, size_t n, const char **out);

/* `vmig validate` without its output: files, graph, one head. */
int cli_validate(cli_ctx *ctx);

/* --jobs when not given: targets run at once. */
#define CLI_DEFAULT_JOBS 4

/* True when the options name several targets (-d twice, --targets, --schemas). */
bool cli_fanout_wanted(const cli_ctx *ctx);
/* Runs up, status, check or current (command, as typed) over every target
 * the options name, --jobs at once; returns the worst exit code. */
int cli_fanout(cli_ctx *ctx, const char *command, int argc, char **argv);

/* The commands, one per file. */
#define CLI_COMMAND(name)                                                                          \
	int cmd_##name(cli_ctx *ctx, int argc, char **argv);                                       \
	extern const char cmd_##name##_help[]
CLI_COMMAND(init);
CLI_COMMAND(new);
CLI_COMMAND(up);
CLI_COMMAND(down);
CLI_COMMAND(redo);
CLI_COMMAND(status);
CLI_COMMAND(current);
CLI_COMMAND(history);
CLI_COMMAND(heads);
CLI_COMMAND(branches);
CLI_COMMAND(show);
CLI_COMMAND(merge);
CLI_COMMAND(stamp);
CLI_COMMAND(validate);
CLI_COMMAND(check);
CLI_COMMAND(adopt);
CLI_COMMAND(import);
CLI_COMMAND(create);
CLI_COMMAND(drop);
CLI_COMMAND(testdb);
CLI_COMMAND(lint);

#endif
