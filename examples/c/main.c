/*
 * main.c - the vmig C library in a few lines: open a project, bring its
 * database up to date with a progress line per revision, then make (and
 * drop) a throwaway test database migrated the same way.
 *
 *     cc main.c $(pkg-config --cflags --libs vmig) -o vmig-example
 *     cd ../basic && /path/to/vmig-example        # or: vmig-example path/to/vmig.yaml
 */
#include <vmig.h>

#include <stdio.h>

static void on_step(void *ctx, const vmig_progress_event *ev)
{
	(void)ctx;
	printf("%s %s %s (%.1f ms)\n", ev->down ? "reverted" : "applied", ev->revision, ev->message,
	       ev->ms);
}

static int fail(const char *what, const vmig_error *err)
{
	fprintf(stderr, "vmig-example: %s: %s\n", what, err->msg);
	return err->code ? err->code : 1;
}

int main(int argc, char **argv)
{
	vmig_error err = {0};
	vmig_open_options open_opts = {.struct_version = VMIG_OPEN_OPTIONS_VERSION};
	if (argc > 1)
		open_opts.config_path = argv[1]; /* else ./vmig.yaml, as the vmig command */

	printf("libvmig %s\n", vmig_version());
	vmig_project *project;
	if (vmig_project_open(&open_opts, &project, &err))
		return fail("open", &err);

	vmig_migrate_options run_opts = {
	    .struct_version = VMIG_MIGRATE_OPTIONS_VERSION,
	    .progress = on_step,
	};
	vmig_migrate_result res;
	if (vmig_up(project, NULL, &run_opts, &res, &err)) {
		vmig_project_close(project);
		return fail("up", &err);
	}
	printf("up: %zu step(s); database at %s\n", res.steps, res.heads);
	vmig_free(res.heads);

	char *url;
	if (vmig_testdb_new(project, NULL, &url, &err)) {
		vmig_project_close(project);
		return fail("testdb new", &err);
	}
	printf("test database: %s\n", url);
	int rc = vmig_testdb_drop(project, url, NULL, &err);
	vmig_free(url);
	vmig_project_close(project);
	return rc ? fail("testdb drop", &err) : 0;
}
