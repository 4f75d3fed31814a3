#include "cli.h"

#include "alembic_import.h"
#include "alloc.h"
#include "clock.h"
#include "subprocess.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_import_help[] =
    "usage: vmig import alembic DIR [--python PATH] [--baseline URL]\n"
    "\n"
    "Turns an Alembic project's history into vmig files in the migrations\n"
    "directory: one file per revision, with the same id, parents and message, and\n"
    "its upgrade and downgrade SQL as Alembic's own offline mode renders it for\n"
    "the database URL's dialect (-d postgresql:// or sqlite:// is enough; nothing\n"
    "connects).  DIR holds alembic.ini, or is the script directory.  Each\n"
    "revision is rendered on its own, with a minimal environment of vmig's (the\n"
    "project's env.py is not run); one that cannot be rendered offline (it reads\n"
    "the database, drops an unnamed constraint, raises, or made Alembic warn)\n"
    "becomes <rev>_<slug>.sql.todo with the reason and what did render, and the\n"
    "report lists it; vmig validate fails until a person makes it a .sql file.\n"
    "Branch labels and depends_on are reported and kept as comments.\n"
    "Running it again changes nothing; a file that differs is never overwritten\n"
    "(exit 2, nothing written).\n"
    "\n"
    "Needs Python with Alembic and the project importable (run it in the project's\n"
    "environment, e.g. `poetry run vmig import alembic .`):\n"
    "  --python PATH   the interpreter (default: python3 on PATH)\n"
    "  --baseline URL  instead, one revision with the Alembic head's id whose up SQL\n"
    "                  is the schema of the database at URL, which Alembic has\n"
    "                  migrated to head (PostgreSQL: pg_dump --schema-only; SQLite:\n"
    "                  its sqlite_master); for histories whose old revisions cannot\n"
    "                  be rendered.  Then `vmig adopt` that database.\n";

/* The helper: beside the executable (a build tree), or in ../share/vmig. */
static char *find_helper(cli_ctx *ctx, int *rc)
{
	char *exe = vmig_exe_dir();
	char *paths[2] = {NULL, NULL};
	if (exe) {
		paths[0] = xasprintf("%s/alembic_render.py", exe);
		paths[1] = xasprintf("%s/%s/alembic_render.py", exe, VMIG_DATA_RELDIR);
	}
	free(exe);
	char *found = NULL;
	for (int i = 0; i < 2 && !found; i++)
		if (paths[i] && access(paths[i], R_OK) == 0)
			found = xstrdup(paths[i]);
	if (!found)
		*rc =
		    cli_usage_error(ctx,
		                    "the Alembic helper alembic_render.py is not installed beside "
		                    "vmig (looked for %s and %s): reinstall vmig",
		                    paths[0] ? paths[0] : "?", paths[1] ? paths[1] : "?");
	free(paths[0]);
	free(paths[1]);
	return found;
}

/* The one head of the history: the revision nobody names as a parent. */
static int single_head(cli_ctx *ctx, const vmig_alembic_history *h, const char **head)
{
	vmig_buf heads = {0};
	size_t n = 0;
	for (size_t i = 0; i < h->n; i++) {
		bool parent = false;
		size_t len = strlen(h->revs[i].id);
		for (size_t k = 0; k < h->n && !parent; k++) {
			const char *p = h->revs[k].parents;
			while (!parent && (p = strstr(p, h->revs[i].id)) != NULL) {
				parent = (p == h->revs[k].parents || p[-1] == ' ') &&
				         (p[len] == ' ' || p[len] == '\0');
				p += len;
			}
		}
		if (!parent) {
			vmig_buf_printf(&heads, "%s%s", n++ ? ", " : "", h->revs[i].id);
			*head = h->revs[i].id;
		}
	}
	int rc = 0;
	if (n != 1)
		rc = cli_usage_error(
		    ctx,
		    "--baseline needs an Alembic history with one head; it has %s%s: "
		    "merge the heads in Alembic first",
		    n ? "several: " : "none", vmig_buf_str(&heads));
	vmig_buf_free(&heads);
	return rc;
}

/* The baseline file: the head's id, the schema of the database at url. */
static int baseline(cli_ctx *ctx, const vmig_alembic_history *h, const char *url,
                    vmig_import_file *f)
{
	vmig_error err = {0};
	const char *head = NULL;
	int rc = single_head(ctx, h, &head);
	if (rc)
		return rc;
	vmig_config cfg = ctx->cfg;
	cfg.database_url = (char *)url;
	vmig_db db;
	if (vmig_db_open(&cfg, 0, NULL, NULL, &db, &err))
		return cli_report(ctx, &err);
	char **ids = NULL;
	size_t n = 0;
	rc = db.driver->read_column(db.conn, "alembic_version", "version_num", &ids, &n, &err);
	if (rc)
		vmig_error_prefix(
		    &err,
		    "--baseline: %s is not a database that Alembic migrated (it has no "
		    "readable alembic_version)",
		    db.redacted_url);
	if (rc == VMIG_OK && (n != 1 || strcmp(ids[0], head) != 0))
		rc = vmig_fail(&err, VMIG_ERR_INPUT,
		               "--baseline: the database %s is at %s, not at the Alembic head %s: "
		               "run `alembic upgrade head` on it first",
		               db.redacted_url, n ? ids[0] : "base (alembic_version is empty)",
		               head);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	char *meta = xasprintf("%s_meta", ctx->cfg.version_table);
	const char *exclude[] = {"alembic_version", ctx->cfg.version_table, meta, NULL};
	vmig_buf schema = {0};
	if (rc == VMIG_OK && !db.driver->dump_schema)
		rc = vmig_fail(&err, VMIG_ERR_INPUT, "the %s driver cannot read a schema",
		               db.driver->name);
	if (rc == VMIG_OK)
		rc = db.driver->dump_schema(url, exclude, &schema, &err);
	if (rc == VMIG_OK)
		vmig_import_render_baseline(head, vmig_buf_str(&schema),
		                            strcmp(db.driver->name, "sqlite") == 0
		                                ? "SQLite's sqlite_master"
		                                : "pg_dump --schema-only",
		                            f);
	vmig_buf_free(&schema);
	free(meta);
	vmig_db_close(&db);
	return rc ? cli_report(ctx, &err) : 0;
}

/* One line per todo, grouped by reason (in the order reasons first occur). */
static void report_todos(const vmig_import_file *files, size_t n)
{
	bool *done = xcalloc(n ? n : 1, sizeof *done);
	for (size_t i = 0; i < n; i++) {
		if (!files[i].todo || done[i] || files[i].outcome == VMIG_IMPORT_RESOLVED)
			continue;
		printf("\n  %s:\n", vmig_import_reason_title(files[i].reason));
		for (size_t k = i; k < n; k++) {
			if (!files[k].todo || done[k] ||
			    strcmp(files[k].reason, files[i].reason) != 0 ||
			    files[k].outcome == VMIG_IMPORT_RESOLVED)
				continue;
			done[k] = true;
			printf("    %s  %s\n      %s\n", files[k].rev->id, files[k].name,
			       files[k].why);
		}
	}
	free(done);
}

static void report_labels(const vmig_alembic_history *h)
{
	for (size_t i = 0; i < h->n; i++) {
		const vmig_alembic_rev *r = &h->revs[i];
		if (r->branch_labels && *r->branch_labels)
			printf("  %s: branch labels %s (kept as a comment; vmig targets use ids)\n",
			       r->id, r->branch_labels);
		if (r->depends_on && *r->depends_on)
			printf(
			    "  %s: depends_on %s (kept as a comment; not a parent, not enforced)\n",
			    r->id, r->depends_on);
	}
}

static void report(cli_ctx *ctx, const vmig_alembic_history *h, const vmig_import_file *files,
                   size_t n, bool baseline_only, double ms)
{
	size_t written = 0, unchanged = 0, todo = 0, resolved = 0;
	for (size_t i = 0; i < n; i++) {
		written += files[i].outcome == VMIG_IMPORT_WRITTEN;
		unchanged += files[i].outcome == VMIG_IMPORT_UNCHANGED;
		resolved += files[i].outcome == VMIG_IMPORT_RESOLVED;
		todo += files[i].todo && files[i].outcome != VMIG_IMPORT_RESOLVED;
	}
	if (baseline_only)
		printf("import: the baseline %s of %zu Alembic revision(s) into %s: %s (%.0f ms)\n",
		       files[0].name, h->n, ctx->cfg.migrations_dir,
		       written ? "written" : "unchanged", ms);
	else
		printf("import: %zu Alembic revision(s) into %s: %zu file(s) written, %zu "
		       "unchanged, %zu resolved by hand, %zu need a person (.sql.todo) (%.0f ms)\n",
		       h->n, ctx->cfg.migrations_dir, written, unchanged, resolved, todo, ms);
	if (todo) {
		printf("\nneeds a person (%zu):", todo);
		report_todos(files, n);
	}
	bool labels = false;
	for (size_t i = 0; i < h->n; i++)
		labels = labels || (h->revs[i].branch_labels && *h->revs[i].branch_labels) ||
		         (h->revs[i].depends_on && *h->revs[i].depends_on);
	if (labels) {
		printf("\nAlembic features vmig does not have:\n");
		report_labels(h);
	}
	printf("\nnext: %sreview the files, `vmig validate`, then `vmig adopt` each database "
	       "that Alembic migrated\n",
	       todo ? "finish each .sql.todo and rename it to .sql, " : "");
}

static int parse_args(cli_ctx *ctx, int argc, char **argv, const char **dir, const char **python,
                      const char **baseline_url)
{
	const char *kind = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "--python") == 0 || strcmp(a, "--baseline") == 0) && i + 1 < argc)
			*(a[2] == 'p' ? python : baseline_url) = argv[++i];
		else if (strncmp(a, "--python=", 9) == 0)
			*python = a + 9;
		else if (strncmp(a, "--baseline=", 11) == 0)
			*baseline_url = a + 11;
		else if (strcmp(a, "--python") == 0 || strcmp(a, "--baseline") == 0)
			return cli_usage_error(ctx, "%s needs a value", a);
		else if (a[0] == '-' && strcmp(a, "--") != 0)
			return cli_usage_error(ctx, "unknown option %s", a);
		else if (strcmp(a, "--") == 0)
			continue;
		else if (!kind)
			kind = a;
		else if (!*dir)
			*dir = a;
		else
			return cli_usage_error(ctx, "unexpected argument \"%s\"", a);
	}
	if (!kind || strcmp(kind, "alembic") != 0)
		return cli_usage_error(ctx, "vmig imports from Alembic: `vmig import alembic DIR`");
	if (!*dir)
		return cli_usage_error(ctx, "give the Alembic project's folder: `vmig import "
		                            "alembic DIR` (the folder of alembic.ini)");
	return 0;
}

/* The dialect Alembic renders for: the URL's (the baseline's, else -d's). */
static int dialect_of(cli_ctx *ctx, const char *url, const char **dialect)
{
	vmig_error err = {0};
	if (!url)
		return cli_usage_error(ctx,
		                       "the import renders SQL for the database URL's dialect: "
		                       "pass -d postgresql:// or -d sqlite:// (nothing connects)");
	const vmig_driver *d = vmig_driver_for_url(url, &err);
	if (!d)
		return cli_report(ctx, &err);
	*dialect = d->name;
	return 0;
}

int cmd_import(cli_ctx *ctx, int argc, char **argv)
{
	const char *dir = NULL, *python = "python3", *baseline_url = NULL, *dialect = NULL;
	vmig_error err = {0};
	int rc = parse_args(ctx, argc, argv, &dir, &python, &baseline_url);
	if (!rc)
		rc = cli_load_config(ctx);
	if (!rc)
		rc = dialect_of(ctx, baseline_url ? baseline_url : ctx->cfg.database_url, &dialect);
	char *helper = rc ? NULL : find_helper(ctx, &rc);
	if (rc)
		return rc;
	double t0 = vmig_now_ms();
	vmig_alembic_history h;
	if (vmig_alembic_run(python, helper, dialect, dir, &h, &err)) {
		free(helper);
		return cli_report(ctx, &err);
	}
	free(helper);
	size_t n = baseline_url ? 1 : h.n;
	vmig_import_file *files = xcalloc(n ? n : 1, sizeof *files);
	if (baseline_url)
		rc = baseline(ctx, &h, baseline_url, &files[0]);
	for (size_t i = 0; !baseline_url && i < n; i++)
		vmig_import_render(&h.revs[i], &files[i]);
	if (!rc && vmig_import_write(ctx->cfg.migrations_dir, files, rc ? 0 : n, &err))
		rc = cli_report(ctx, &err);
	if (!rc)
		report(ctx, &h, files, n, baseline_url != NULL, vmig_now_ms() - t0);
	for (size_t i = 0; i < n; i++)
		vmig_import_file_free(&files[i]);
	free(files);
	vmig_alembic_free(&h);
	return rc;
}
