/* POSIX_SPAWN_SETSID */
#define _GNU_SOURCE

#include "cli.h"

#include "testdb.h"
#include "url.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

const char cmd_testdb_help[] =
    "usage: vmig testdb new [--target TARGET] [--json]\n"
    "       vmig testdb drop URL...\n"
    "       vmig testdb gc [--all]\n"
    "\n"
    "new prints the URL of a fresh database migrated to head (or TARGET), for one\n"
    "test or one test worker; its name is derived from the URL's database\n"
    "(<name>_vmig_d_<hash>_<random>).  The migrations are applied once to a\n"
    "template whose name carries a hash of the revision ids and checksums, built\n"
    "under a lock by whichever caller needs it first; each new database is a\n"
    "copy of it.  vmig keeps testdb_pool (default 2) ready copies, made in the\n"
    "background after each `new`, so that the next caller gets one at once.\n"
    "--json: {\"url\", \"template\", \"from_pool\", \"waited_ms\"}.  The URL keeps\n"
    "the scheme and credentials of the one given: it is for connecting.\n"
    "drop drops test databases that vmig made (any other URL is refused).\n"
    "gc drops every test database and ready copy vmig made for the URL, and every\n"
    "template but the current one (--all: that one too).\n";

static int parse_flags(cli_ctx *ctx, int argc, char **argv, const char **target, bool *all)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (target && strcmp(a, "--target") == 0 && i + 1 < argc)
			*target = argv[++i];
		else if (target && strncmp(a, "--target=", 9) == 0)
			*target = a + 9;
		else if (all && strcmp(a, "--all") == 0)
			*all = true;
		else if (strcmp(a, "--") != 0)
			return a[0] == '-' ? cli_usage_error(ctx, "unknown option %s", a)
			                   : cli_usage_error(ctx, "unexpected argument \"%s\"", a);
	}
	return 0;
}

/*
 * The pool is refilled by a process of its own, started here and not
 * waited for: the caller has its database already.  It is detached (a
 * session of its own, standard streams on /dev/null) and gets the URL on a
 * pipe, not on its command line, where others could read a password.  It
 * exits as soon as the pool is full, or at once when another is filling it.
 * posix_spawn (a vfork underneath) costs far less than fork() of a process
 * that has libpq loaded, and this runs on every `testdb new`.
 */
static void start_filler(cli_ctx *ctx, const char *target)
{
	int fds[2];
	if (pipe(fds) != 0)
		return;
	const char *argv[12];
	int n = 0;
	argv[n++] = "vmig";
	if (ctx->cfg.path) {
		argv[n++] = "-c";
		argv[n++] = ctx->cfg.path;
	}
	argv[n++] = "--dir";
	argv[n++] = ctx->cfg.migrations_dir;
	argv[n++] = "testdb";
	argv[n++] = "fill";
	if (target) {
		argv[n++] = "--target";
		argv[n++] = target;
	}
	argv[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* Nothing else of the caller's: a reader waiting for the end of a pipe
	 * that vmig inherited (`url=$(vmig testdb new 3>&1)`, bats) must not
	 * wait for the filler too. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	pid_t pid;
	/* /proc/self/exe: this very binary, whatever its name. */
	int e = posix_spawn(&pid, "/proc/self/exe", &fa, &attr, (char *const *)argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (e == 0) {
		const char *url = ctx->cfg.database_url;
		signal(SIGPIPE, SIG_IGN);
		if (write(fds[1], url, strlen(url)) < 0 || write(fds[1], "\n", 1) < 0)
			(void)0; /* the filler found nothing to read: it makes nothing */
	}
	close(fds[1]);
	/* Not waited for: vmig exits next, and the filler is reparented. */
}

static int testdb_new(cli_ctx *ctx, int argc, char **argv)
{
	const char *target = NULL;
	vmig_error err = {0};
	vmig_testdb_result res;
	int rc = parse_flags(ctx, argc, argv, &target, NULL);
	if (!rc)
		rc = cli_load_files(ctx);
	if (rc)
		return rc;
	vmig_testdb_opts o = {.cfg = &ctx->cfg, .files = &ctx->graph, .target = target};
	if (vmig_core_testdb_new(&o, &res, &err))
		return cli_report(ctx, &err);
	if (ctx->opt.json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "url", res.url);
		cJSON_AddStringToObject(j, "template", res.template_name);
		cJSON_AddBoolToObject(j, "from_pool", res.from_pool);
		cJSON_AddNumberToObject(j, "waited_ms", res.waited_ms);
		cli_print_json(j);
	} else {
		printf("%s\n", res.url);
	}
	fflush(stdout);
	cli_verbose(ctx, "testdb: %s in %.1f ms (template %s%s)",
	            res.from_pool ? "a ready copy" : "a new copy", res.waited_ms, res.template_name,
	            res.built ? ", built now" : "");
	if (ctx->cfg.testdb_pool)
		start_filler(ctx, target);
	vmig_testdb_result_free(&res);
	return 0;
}

/* The background refill: the URL comes on standard input. */
static int testdb_fill(cli_ctx *ctx, int argc, char **argv)
{
	const char *target = NULL;
	char line[8192];
	vmig_error err = {0};
	int rc = parse_flags(ctx, argc, argv, &target, NULL);
	if (rc)
		return rc;
	ssize_t n = read(0, line, sizeof line - 1);
	if (n <= 0)
		return 1;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	ctx->opt.database_url = line;
	if ((rc = cli_load_files(ctx)))
		return rc;
	vmig_testdb_opts o = {.cfg = &ctx->cfg, .files = &ctx->graph, .target = target};
	return vmig_core_testdb_fill(&o, NULL, &err) ? cli_report(ctx, &err) : 0;
}

static int testdb_drop(cli_ctx *ctx, int argc, char **argv)
{
	int rc = cli_load_config(ctx), worst = 0, n = 0;
	for (int i = 0; !rc && i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			continue;
		if (argv[i][0] == '-')
			return cli_usage_error(ctx, "unknown option %s", argv[i]);
		vmig_error err = {0};
		bool missing;
		char *shown = vmig_url_redact(argv[i]);
		n++;
		if (vmig_core_testdb_drop(&ctx->cfg, argv[i], &missing, &err)) {
			int code = cli_report(ctx, &err);
			worst = code > worst ? code : worst;
		} else {
			cli_verbose(ctx, missing ? "%s was gone already" : "dropped %s", shown);
		}
		free(shown);
	}
	if (!rc && !n)
		return cli_usage_error(ctx, "give the URLs of the test databases to drop");
	return rc ? rc : worst;
}

static int testdb_gc(cli_ctx *ctx, int argc, char **argv)
{
	bool all = false;
	size_t dropped = 0;
	vmig_error err = {0};
	int rc = parse_flags(ctx, argc, argv, NULL, &all);
	if (!rc)
		rc = cli_load_files(ctx);
	if (rc)
		return rc;
	vmig_testdb_opts o = {.cfg = &ctx->cfg, .files = &ctx->graph};
	rc = vmig_testdb_gc(&o, all, &dropped, &err);
	if (rc)
		return cli_report(ctx, &err);
	cli_info(ctx, "testdb gc: %zu database(s) dropped", dropped);
	return 0;
}

int cmd_testdb(cli_ctx *ctx, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "new") == 0)
		return testdb_new(ctx, argc - 1, argv + 1);
	if (strcmp(sub, "drop") == 0)
		return testdb_drop(ctx, argc - 1, argv + 1);
	if (strcmp(sub, "gc") == 0)
		return testdb_gc(ctx, argc - 1, argv + 1);
	if (strcmp(sub, "fill") == 0)
		return testdb_fill(ctx, argc - 1, argv + 1);
	return cli_usage_error(ctx, "vmig testdb new, drop URL... or gc");
}
