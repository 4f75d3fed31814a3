/*
 * cli.c - loaders and output helpers shared by the commands.
 */
#include "cli.h"

#include "alloc.h"
#include "buf.h"
#include "plan.h"
#include "scan.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_report(cli_ctx *ctx, const vmig_error *err)
{
	fprintf(stderr, "vmig: %s %s\n", cli_paint(ctx->color_err, CLI_RED, "error:"), err->msg);
	return err->code ? err->code : 1;
}

int cli_usage_error(cli_ctx *ctx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmig: %s %s\n", cli_paint(ctx->color_err, CLI_RED, "error:"), msg);
	if (ctx->command)
		fprintf(stderr, "see `vmig %s --help`\n", ctx->command);
	else
		fprintf(stderr, "see `vmig --help`\n");
	return VMIG_ERR_INPUT;
}

int cli_load_config(cli_ctx *ctx)
{
	vmig_error err = {0};
	if (ctx->cfg_loaded)
		return 0;
	vmig_config_overrides ov = {
	    .config_path = ctx->opt.config_path,
	    .database_url = ctx->opt.database_url,
	    .migrations_dir = ctx->opt.dir,
	    .single_transaction = ctx->opt.single_transaction,
	};
	if (vmig_config_load(&ov, &ctx->cfg, &err))
		return cli_report(ctx, &err);
	ctx->cfg_loaded = true;
	cli_verbose(ctx, "config: %s; migrations: %s", ctx->cfg.path ? ctx->cfg.path : "(none)",
	            ctx->cfg.migrations_dir);
	return 0;
}

int cli_load_files(cli_ctx *ctx)
{
	vmig_error err = {0};
	int rc = cli_load_config(ctx);
	if (rc || ctx->graph_loaded)
		return rc;
	if (vmig_scan_dir(ctx->cfg.migrations_dir, &ctx->revs, &ctx->nrevs, &err))
		return cli_report(ctx, &err);
	vmig_revision **ptrs = xmalloc((ctx->nrevs ? ctx->nrevs : 1) * sizeof *ptrs);
	for (size_t i = 0; i < ctx->nrevs; i++)
		ptrs[i] = &ctx->revs[i];
	rc = vmig_graph_build(ptrs, ctx->nrevs, false, &ctx->graph, &err);
	free(ptrs);
	if (rc)
		return cli_report(ctx, &err);
	ctx->graph_loaded = true;
	return 0;
}

static void on_wait(void *p, unsigned attempt, double delay_s, const vmig_error *last)
{
	cli_ctx *ctx = p;
	const char *msg = last->msg;
	/* One line per wait: the first line of the driver's message. */
	int len = (int)strcspn(msg, "\n");
	if (ctx->opt.verbosity >= 0)
		fprintf(stderr,
		        "vmig: waiting for the database (attempt %u, retry in %.2g s): %.*s\n",
		        attempt, delay_s, len, msg);
}

int cli_connect(cli_ctx *ctx)
{
	vmig_error err = {0};
	int rc = cli_load_files(ctx);
	if (rc)
		return rc;
	unsigned wait_s =
	    ctx->opt.wait ? (ctx->opt.wait_s ? ctx->opt.wait_s : ctx->cfg.wait_timeout) : 0;
	if (vmig_db_open(&ctx->cfg, wait_s, on_wait, ctx, &ctx->db, &err))
		return cli_report(ctx, &err);
	cli_verbose(ctx, "database: %s (%s driver)", ctx->db.redacted_url, ctx->db.driver->name);
	return 0;
}

void cli_info(cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	if (ctx->opt.verbosity < 0)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_verbose(cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	if (ctx->opt.verbosity < 1)
		return;
	fputs("vmig: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *cli_paint(bool on, const char *color, const char *s)
{
	static char bufs[4][512];
	static int next;
	if (!on)
		return s;
	char *b = bufs[next++ & 3];
	snprintf(b, sizeof bufs[0], "\033[%sm%s\033[0m", color, s);
	return b;
}

void cli_print_json(cJSON *json)
{
	char *s = cJSON_Print(json);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
	}
	free(s);
	cJSON_Delete(json);
}

bool cli_is_relative_target(const char *arg)
{
	if ((arg[0] != '-' && arg[0] != '+') || !arg[1])
		return false;
	for (const char *p = arg + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

static int random_id(char out[13], vmig_error *err)
{
	unsigned char raw[6];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, raw, sizeof raw) != (ssize_t)sizeof raw) {
		if (fd >= 0)
			close(fd);
		return vmig_fail(err, VMIG_ERR_RUNTIME, "cannot read /dev/urandom for a new id");
	}
	close(fd);
	for (int i = 0; i < 6; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return VMIG_OK;
}

/* The file text of a new revision. Caller frees. */
static char *revision_text(const char *id, char *const *parents, size_t nparents,
                           const char *message, bool transaction_off)
{
	vmig_buf b = {0};
	vmig_buf_printf(&b, "-- vmig:revision %s\n-- vmig:down_revision", id);
	for (size_t i = 0; i < nparents; i++)
		vmig_buf_printf(&b, " %s", parents[i]);
	vmig_buf_puts(&b, "\n-- vmig:message ");
	for (const char *p = message; *p; p++)
		vmig_buf_putc(&b, *p == '\n' || *p == '\r' ? ' ' : *p);
	vmig_buf_putc(&b, '\n');
	if (transaction_off)
		vmig_buf_puts(&b, "-- vmig:transaction off\n");
	vmig_buf_puts(&b, "\n-- vmig:up\n\n\n-- vmig:down\n\n");
	return vmig_buf_detach(&b);
}

static int write_new_file(const char *path, const char *text, vmig_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return vmig_fail(err, VMIG_ERR_RUNTIME, "%s: cannot create: %s", path,
		                 strerror(errno));
	size_t len = strlen(text), done = 0;
	int e = 0;
	while (done < len && !e) {
		ssize_t w = write(fd, text + done, len - done);
		if (w > 0)
			done += (size_t)w;
		else if (errno != EINTR)
			e = errno ? errno : EIO;
	}
	if (close(fd) != 0 && !e)
		e = errno;
	if (e) {
		unlink(path);
		return vmig_fail(err, VMIG_ERR_RUNTIME, "%s: cannot write: %s", path, strerror(e));
	}
	return VMIG_OK;
}

/*
 * Refuses parents of which one is an ancestor of another: the merge would
 * join nothing (the ancestor is applied before its descendant anyway).
 */
static int check_parents_apart(cli_ctx *ctx, char *const *parents, size_t nparents)
{
	const vmig_graph *g = &ctx->graph;
	bool *ancestor = xcalloc(g->n ? g->n : 1, sizeof *ancestor);
	int rc = 0;
	for (size_t j = 0; j < nparents && !rc; j++) {
		size_t descendant = vmig_graph_find(g, parents[j]);
		if (descendant == VMIG_NONE)
			continue;
		memset(ancestor, 0, g->n * sizeof *ancestor);
		vmig_graph_mark_ancestors(g, descendant, false, ancestor);
		for (size_t i = 0; i < nparents && !rc; i++) {
			size_t node = vmig_graph_find(g, parents[i]);
			if (i != j && node != VMIG_NONE && ancestor[node])
				rc = cli_usage_error(
				    ctx,
				    "%s is an ancestor of %s, so a revision with both "
				    "as parents joins nothing; name parents on "
				    "different branches (here %s alone)",
				    parents[i], parents[j], parents[j]);
		}
	}
	free(ancestor);
	return rc;
}

int cli_write_revision(cli_ctx *ctx, const char *message, const char *rev_id, char *const *parents,
                       size_t nparents, bool transaction_off)
{
	vmig_error err = {0};
	char idbuf[13];
	int rc = check_parents_apart(ctx, parents, nparents);
	if (rc)
		return rc;
	if (!rev_id) {
		if (random_id(idbuf, &err))
			return cli_report(ctx, &err);
		rev_id = idbuf;
	}
	if (!vmig_revision_id_valid(rev_id))
		return cli_usage_error(ctx,
		                       "invalid revision id \"%s\": use 1-64 letters, digits and "
		                       "'_', starting with a letter or digit",
		                       rev_id);
	size_t existing = vmig_graph_find(&ctx->graph, rev_id);
	if (existing != VMIG_NONE) {
		vmig_fail(&err, VMIG_ERR_INPUT, "revision id %s is already used by %s", rev_id,
		          ctx->graph.revs[existing]->path);
		return cli_report(ctx, &err);
	}
	char *name_part = vmig_revision_slug(message);
	char *path = xasprintf("%s/%s%s%s.sql", ctx->cfg.migrations_dir, rev_id,
	                       *name_part ? "_" : "", name_part);
	char *text = revision_text(rev_id, parents, nparents, message, transaction_off);
	rc = write_new_file(path, text, &err);
	if (rc == VMIG_OK)
		printf("%s\n", path);
	else
		cli_report(ctx, &err);
	free(name_part);
	free(path);
	free(text);
	return rc;
}

static void on_progress(void *p, const vmig_run_event *ev)
{
	cli_ctx *ctx = p;
	const char *verb =
	    ev->stamp ? (ev->down ? "unstamped" : "stamped") : (ev->down ? "reverted" : "applied");
	if (ctx->opt.verbosity < 0)
		return;
	fprintf(stderr, "%s %s%s%s (%.1f ms)\n",
	        cli_paint(ctx->color_err, ev->down ? CLI_YELLOW : CLI_GREEN, verb), ev->rev->id,
	        *ev->rev->message ? " " : "", ev->rev->message, ev->ms);
}

const char *cli_run_name(vmig_run_kind kind)
{
	static const char *const names[] = {"up", "down", "redo", "stamp", "adopt"};
	return names[kind];
}

int cli_run(cli_ctx *ctx, vmig_run_kind kind, const char *target)
{
	if (ctx->opt.sql)
		return cli_run_script(ctx, kind, target);
	vmig_run_opts run_opts = {.kind = kind, .target = target};
	return cli_run_opts(ctx, &run_opts);
}

int cli_run_opts(cli_ctx *ctx, vmig_run_opts *run_opts)
{
	vmig_error err = {0};
	vmig_run_result result;
	int rc = cli_connect(ctx);
	if (rc)
		return rc;
	run_opts->single_transaction = !ctx->cfg.transaction_per_migration;
	run_opts->progress = on_progress;
	run_opts->ctx = ctx;
	rc = vmig_run(&ctx->db, &ctx->graph, run_opts, &result, &err);
	if (rc)
		return cli_report(ctx, &err);
	if (ctx->opt.verbosity >= 0) {
		const char *heads = result.heads ? result.heads : "?";
		const char *name = cli_run_name(run_opts->kind);
		if (result.steps)
			fprintf(stderr, "%s: %zu step(s) in %.1f ms; database at %s\n", name,
			        result.steps, result.ms, heads);
		else
			fprintf(stderr, "%s: nothing to do; database at %s\n", name, heads);
	}
	free(result.heads);
	return 0;
}

int cli_one_target(cli_ctx *ctx, int argc, char **argv, const char **target, bool required)
{
	*target = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			continue;
		if (a[0] == '-' && !cli_is_relative_target(a))
			return cli_usage_error(ctx, "unknown option %s", a);
		if (*target)
			return cli_usage_error(ctx, "one target only (got \"%s\" and \"%s\")",
			                       *target, a);
		*target = a;
	}
	if (required && !*target)
		return cli_usage_error(ctx, "give a target: head, heads, base, an id, +N or -N");
	return 0;
}

int cli_no_args(cli_ctx *ctx, int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--") != 0)
			return argv[i][0] == '-' && !cli_is_relative_target(argv[i])
			           ? cli_usage_error(ctx, "unknown option %s", argv[i])
			           : cli_usage_error(ctx, "unexpected argument \"%s\"", argv[i]);
	return 0;
}

/* Resolves ids or prefixes into full ids (borrowed from the graph). */
int cli_resolve_ids(cli_ctx *ctx, char **ids, size_t n, const char **out)
{
	for (size_t i = 0; i < n; i++) {
		size_t v;
		vmig_error err = {0};
		if (vmig_graph_lookup(&ctx->graph, ids[i], &v, &err))
			return cli_report(ctx, &err);
		out[i] = ctx->graph.revs[v]->id;
		for (size_t k = 0; k < i; k++)
			if (out[k] == out[i])
				return cli_usage_error(ctx, "%s is named twice", out[i]);
	}
	return 0;
}

int cli_files_command(cli_ctx *ctx, int argc, char **argv)
{
	int rc = cli_no_args(ctx, argc, argv);
	return rc ? rc : cli_load_files(ctx);
}

int cli_load_state(cli_ctx *ctx, vmig_state *st)
{
	vmig_error err = {0};
	int rc = cli_connect(ctx);
	if (rc) {
		memset(st, 0, sizeof *st);
		return rc;
	}
	if (vmig_state_load(&ctx->db, &ctx->graph, false, st, &err)) {
		vmig_state_free(st);
		return cli_report(ctx, &err);
	}
	return 0;
}

int cli_state_command(cli_ctx *ctx, int argc, char **argv, vmig_state *st)
{
	int rc = cli_no_args(ctx, argc, argv);
	if (rc) {
		memset(st, 0, sizeof *st);
		return rc;
	}
	return cli_load_state(ctx, st);
}
