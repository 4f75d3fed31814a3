/*
 * test_api.c - the public library (include/vmig.h) on a SQLite project of
 * two revisions: open, up with progress, status, down, stamp, test
 * databases; errors (a bad config, a missing folder, an unknown target) come
 * back as values with messages; and the library writes nothing to stdout or
 * stderr while it works.
 */
#include "testutil.h"

#include "vmig.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define R1 "a1000000001"
#define R2 "b2000000002"

/* Everything the library might write to fd 1 or 2 goes to a file meanwhile. */
typedef struct capture {
	int saved_out, saved_err;
	char path[4096];
} capture;

static void capture_start(capture *c, const char *dir)
{
	fflush(stdout);
	fflush(stderr);
	snprintf(c->path, sizeof c->path, "%s/captured", dir);
	int fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	c->saved_out = dup(1);
	c->saved_err = dup(2);
	assert_true(c->saved_out >= 0 && c->saved_err >= 0);
	assert_true(dup2(fd, 1) == 1 && dup2(fd, 2) == 2);
	close(fd);
}

/* Restores fds 1 and 2 and fails when anything was written. */
static void capture_end(capture *c)
{
	fflush(stdout);
	fflush(stderr);
	dup2(c->saved_out, 1);
	dup2(c->saved_err, 2);
	close(c->saved_out);
	close(c->saved_err);
	size_t len = 0;
	char *got = tu_read(c->path, &len);
	assert_non_null(got);
	if (len)
		fail_msg("the library wrote: %s", got);
	free(got);
}

typedef struct fixture {
	char *dir;
	char *config;
	capture cap;
} fixture;

static const char r1_text[] = "-- vmig:revision " R1 "\n"
                              "-- vmig:down_revision\n"
                              "-- vmig:message create items\n"
                              "\n-- vmig:up\nCREATE TABLE items (id integer PRIMARY KEY);\n"
                              "\n-- vmig:down\nDROP TABLE items;\n";
static const char r2_text[] = "-- vmig:revision " R2 "\n"
                              "-- vmig:down_revision " R1 "\n"
                              "-- vmig:message add name\n"
                              "\n-- vmig:up\nALTER TABLE items ADD COLUMN name text;\n"
                              "\n-- vmig:down\nALTER TABLE items DROP COLUMN name;\n";

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	f->dir = tu_tempdir("api");
	char yaml[8192];
	snprintf(yaml, sizeof yaml,
	         "database_url: sqlite:///%s/app.db\nmigrations_dir: migrations\n", f->dir);
	tu_write(f->dir, "vmig.yaml", yaml);
	tu_write(f->dir, "migrations/" R1 "_create_items.sql", r1_text);
	tu_write(f->dir, "migrations/" R2 "_add_name.sql", r2_text);
	size_t n = strlen(f->dir) + sizeof "/vmig.yaml";
	f->config = malloc(n);
	snprintf(f->config, n, "%s/vmig.yaml", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->config);
	free(f);
	return 0;
}

static vmig_project *open_project(fixture *f)
{
	vmig_error err = {0};
	vmig_open_options o = {.struct_version = VMIG_OPEN_OPTIONS_VERSION,
	                       .config_path = f->config};
	vmig_project *p = NULL;
	int rc = vmig_project_open(&o, &p, &err);
	if (rc)
		fail_msg("open: %s", err.msg);
	assert_int_equal(err.code, VMIG_OK);
	assert_non_null(p);
	return p;
}

/* The ids the progress callback saw, "+id" applied, "-id" reverted. */
typedef struct seen {
	char log[1024];
	int calls;
} seen;

static void on_step(void *ctx, const vmig_progress_event *ev)
{
	seen *s = ctx;
	size_t len = strlen(s->log);
	snprintf(s->log + len, sizeof s->log - len, "%s%c%s%s", len ? " " : "",
	         ev->down ? '-' : '+', ev->stamp ? "stamp:" : "", ev->revision);
	assert_non_null(ev->message);
	assert_true(ev->ms >= 0);
	s->calls++;
}

static void expect_states(vmig_project *p, const char *s1, const char *s2, size_t applied,
                          size_t pending)
{
	static const char *const names[] = {"applied", "pending", "in_progress", "edited", "gone"};
	vmig_error err = {0};
	vmig_status_report *r = NULL;
	if (vmig_status_get(p, NULL, &r, &err))
		fail_msg("status: %s", err.msg);
	assert_non_null(r);
	assert_int_equal(r->count, 2);
	assert_string_equal(r->entries[0].revision, R1);
	assert_string_equal(r->entries[0].message, "create items");
	assert_non_null(r->entries[0].path);
	assert_string_equal(r->entries[1].revision, R2);
	assert_string_equal(names[r->entries[0].state], s1);
	assert_string_equal(names[r->entries[1].state], s2);
	assert_int_equal(r->entries[0].applied, r->entries[0].state == VMIG_REV_APPLIED);
	assert_int_equal(r->applied, applied);
	assert_int_equal(r->pending, pending);
	assert_int_equal(r->drifted, 0);
	assert_int_equal(r->in_progress, 0);
	assert_true((r->entries[0].applied_at != NULL) == (r->entries[0].applied != 0));
	assert_non_null(strstr(r->database, "app.db"));
	vmig_status_free(r);
}

static void test_version(void **state)
{
	(void)state;
	char want[64];
	snprintf(want, sizeof want, "%d.%d.%d", VMIG_VERSION_MAJOR, VMIG_VERSION_MINOR,
	         VMIG_VERSION_PATCH);
	assert_string_equal(vmig_version(), want);
	vmig_free(NULL);
	vmig_project_close(NULL);
	vmig_status_free(NULL);
	vmig_error err = {.code = VMIG_ERR_RUNTIME, .msg = "x"};
	vmig_error_clear(&err);
	assert_int_equal(err.code, VMIG_OK);
	assert_string_equal(err.msg, "");
}

static void test_up_status_down(void **state)
{
	fixture *f = *state;
	capture_start(&f->cap, f->dir);
	vmig_project *p = open_project(f);
	assert_int_equal(vmig_project_revision_count(p), 2);
	assert_string_equal(vmig_project_config_path(p), f->config);
	assert_non_null(strstr(vmig_project_migrations_dir(p), "migrations"));
	char *url = vmig_project_database_url_redacted(p);
	assert_non_null(strstr(url, "app.db"));
	vmig_free(url);

	expect_states(p, "pending", "pending", 0, 2);

	vmig_error err = {0};
	seen s = {0};
	vmig_migrate_options o = {.struct_version = VMIG_MIGRATE_OPTIONS_VERSION,
	                          .progress = on_step,
	                          .progress_ctx = &s};
	vmig_migrate_result res;
	if (vmig_up(p, NULL, &o, &res, &err))
		fail_msg("up: %s", err.msg);
	assert_int_equal(res.steps, 2);
	assert_string_equal(res.heads, R2);
	assert_string_equal(s.log, "+" R1 " +" R2);
	vmig_free(res.heads);
	expect_states(p, "applied", "applied", 2, 0);

	/* up again: nothing to do; no result wanted, no options */
	assert_int_equal(vmig_up(p, NULL, NULL, NULL, &err), VMIG_OK);

	/* down: -1 by default */
	s = (seen){0};
	if (vmig_down(p, NULL, &o, &res, &err))
		fail_msg("down: %s", err.msg);
	assert_int_equal(res.steps, 1);
	assert_string_equal(res.heads, R1);
	assert_string_equal(s.log, "-" R2);
	vmig_free(res.heads);
	expect_states(p, "applied", "pending", 1, 1);

	/* to base, by prefix-free name */
	if (vmig_down(p, "base", NULL, &res, &err))
		fail_msg("down base: %s", err.msg);
	assert_string_equal(res.heads, "base");
	vmig_free(res.heads);
	expect_states(p, "pending", "pending", 0, 2);

	/* stamp: recorded, no SQL ran (the table is not there) */
	s = (seen){0};
	if (vmig_stamp(p, "b2", &o, &res, &err))
		fail_msg("stamp: %s", err.msg);
	assert_string_equal(s.log, "+stamp:" R1 " +stamp:" R2);
	vmig_free(res.heads);
	expect_states(p, "applied", "applied", 2, 0);
	vmig_project_close(p);
	capture_end(&f->cap);

	char db[4096];
	snprintf(db, sizeof db, "%s/app.db", f->dir);
	char *tables =
	    tu_sqlite_query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'items'");
	assert_string_equal(tables, "0");
	free(tables);
}

static void test_errors_are_values(void **state)
{
	fixture *f = *state;
	capture_start(&f->cap, f->dir);
	vmig_project *p = open_project(f);
	vmig_error err = {0};
	vmig_migrate_result res = {.steps = 7};

	assert_int_equal(vmig_up(p, "nosuchrev", NULL, &res, &err), VMIG_ERR_INPUT);
	assert_int_equal(err.code, VMIG_ERR_INPUT);
	assert_non_null(strstr(err.msg, "nosuchrev"));
	assert_int_equal(res.steps, 0);
	assert_null(res.heads);

	vmig_error_clear(&err);
	assert_int_equal(vmig_stamp(p, NULL, NULL, NULL, &err), VMIG_ERR_INPUT);
	assert_non_null(strstr(err.msg, "target"));

	/* err may be NULL */
	assert_int_equal(vmig_down(p, "nosuchrev", NULL, NULL, NULL), VMIG_ERR_INPUT);
	assert_int_equal(vmig_up(NULL, NULL, NULL, NULL, &err), VMIG_ERR_INPUT);
	vmig_project_close(p);

	/* a bad config: the file and the key named, no project */
	tu_write(f->dir, "bad.yaml", "lock_timeout: soon\n");
	char bad[4096];
	snprintf(bad, sizeof bad, "%s/bad.yaml", f->dir);
	vmig_open_options o = {.struct_version = VMIG_OPEN_OPTIONS_VERSION, .config_path = bad};
	p = (vmig_project *)&o;
	vmig_error_clear(&err);
	assert_int_equal(vmig_project_open(&o, &p, &err), VMIG_ERR_INPUT);
	assert_null(p);
	assert_non_null(strstr(err.msg, "bad.yaml"));
	assert_non_null(strstr(err.msg, "lock_timeout"));

	/* a config file that is not there */
	snprintf(bad, sizeof bad, "%s/missing.yaml", f->dir);
	vmig_error_clear(&err);
	assert_int_equal(vmig_project_open(&o, &p, &err), VMIG_ERR_INPUT);
	assert_null(p);
	assert_non_null(strstr(err.msg, "missing.yaml"));

	/* a migrations folder that is not there */
	o.config_path = f->config;
	o.migrations_dir = "/nonexistent/vmig-migrations";
	vmig_error_clear(&err);
	assert_int_equal(vmig_project_open(&o, &p, &err), VMIG_ERR_INPUT);
	assert_null(p);
	assert_non_null(strstr(err.msg, "vmig-migrations"));

	/* no database URL: opening works, connecting says so */
	o.migrations_dir = NULL;
	o.database_url = "mysql://h/db";
	p = NULL;
	if (vmig_project_open(&o, &p, &err))
		fail_msg("open: %s", err.msg);
	vmig_error_clear(&err);
	assert_int_equal(vmig_up(p, NULL, NULL, NULL, &err), VMIG_ERR_INPUT);
	assert_non_null(strstr(err.msg, "mysql"));
	vmig_status_report *r = (vmig_status_report *)&o;
	assert_int_equal(vmig_status_get(p, NULL, &r, &err), VMIG_ERR_INPUT);
	assert_null(r);
	vmig_project_close(p);
	capture_end(&f->cap);
}

static void test_testdb(void **state)
{
	fixture *f = *state;
	capture_start(&f->cap, f->dir);
	vmig_project *p = open_project(f);
	vmig_error err = {0};
	char *url = NULL;
	if (vmig_testdb_new(p, NULL, &url, &err))
		fail_msg("testdb new: %s", err.msg);
	assert_non_null(strstr(url, "app_vmig_d_"));
	const char *path = url + strlen("sqlite://");
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	char *cols = tu_sqlite_query(path, "SELECT count(*) FROM vmig_version");
	assert_string_equal(cols, "2");
	free(cols);

	int missing = 7;
	if (vmig_testdb_drop(p, url, &missing, &err))
		fail_msg("testdb drop: %s", err.msg);
	assert_int_equal(missing, 0);
	assert_int_not_equal(stat(path, &sb), 0);
	assert_int_equal(vmig_testdb_drop(p, url, &missing, &err), VMIG_OK);
	assert_int_equal(missing, 1);
	vmig_free(url);

	/* the project's own database is not a test database */
	char own[4096];
	snprintf(own, sizeof own, "sqlite:///%s/app.db", f->dir);
	assert_int_equal(vmig_testdb_drop(p, own, NULL, &err), VMIG_ERR_INPUT);
	assert_true(err.msg[0] != '\0');

	unsigned made = 99;
	if (vmig_testdb_fill(p, NULL, &made, &err))
		fail_msg("testdb fill: %s", err.msg);
	assert_true(made <= 64);
	vmig_project_close(p);
	capture_end(&f->cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version),
	    cmocka_unit_test_setup_teardown(test_up_status_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors_are_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_testdb, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
