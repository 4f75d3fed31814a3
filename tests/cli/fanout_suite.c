/*
 * fanout_suite.c - up, status, check and current over many databases at once
 * (SPEC "Many databases at once"): repeated -d, --targets, --schemas, --jobs.
 *
 * Part of the CLI suite (included by cli_suite.c, on both backends).
 */

#include "url.h"

/* Up to 8 more fresh databases beside the test's own. */
typedef struct many {
	char *url[8];
	size_t n;
} many;

static void many_new(many *m, const proj *p, size_t n)
{
	char name[128];
	for (m->n = 0; m->n < n; m->n++) {
		snprintf(name, sizeof name, "%s-%zu", p->name, m->n);
		m->url[m->n] = B->new_database(name);
		assert_non_null(m->url[m->n]);
	}
}

static void many_free(many *m)
{
	for (size_t i = 0; i < m->n; i++) {
		B->drop(m->url[i]);
		free(m->url[i]);
	}
}

/* The line of out that starts with word and names url (redacted), or NULL. */
static char *target_line(const char *out, const char *word, const char *url)
{
	char *shown = vmig_url_redact(url);
	char want[4200];
	snprintf(want, sizeof want, "%-6s %s:", word, shown);
	free(shown);
	for (const char *l = out; l && *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (strncmp(l, want, strlen(want)) == 0)
			return strndup(l, len);
		l = end ? end + 1 : NULL;
	}
	return NULL;
}

static void assert_target_line(const tu_result *r, const char *word, const char *url,
                               const char *fragment)
{
	char *line = target_line(r->out, word, url);
	if (!line)
		fail_msg("no `%s` line for %s in:\n%s--- stderr ---\n%s", word, url, r->out,
		         r->err);
	if (fragment && !strstr(line, fragment))
		fail_msg("the line for %s has no \"%s\": %s", url, fragment, line);
	free(line);
}

static char *count_rows(const char *url)
{
	return B->query(url, "SELECT count(*) FROM vmig_version");
}

static void assert_rows(const char *url, const char *expect)
{
	char *rows = count_rows(url);
	if (!rows || strcmp(rows, expect) != 0)
		fail_msg("%s: %s version rows, expected %s", url, rows ? rows : "no", expect);
	free(rows);
}

static void test_fanout_many_databases(void **state)
{
	proj *p = *state;
	three(p);
	many m;
	many_new(&m, p, 3);
	tu_result r =
	    vm_expect(p, 0, HERE, ARGS("up", "-d", m.url[0], "-d", m.url[1], "-d", m.url[2]));
	assert_target_line(&r, "ok", p->url, "3 applied");
	for (size_t i = 0; i < m.n; i++) {
		assert_target_line(&r, "ok", m.url[i], "3 applied");
		assert_rows(m.url[i], "3");
	}
	assert_rows(p->url, "3");
	assert_non_null(strstr(r.out, "up: 4 targets in "));
	assert_non_null(strstr(r.out, ": 4 ok, 0 failed"));
	tu_result_free(&r);

	/* Again: nothing to do anywhere. */
	r = vm_expect(p, 0, HERE, ARGS("up", "-d", m.url[0], "-d", m.url[1], "-d", m.url[2]));
	for (size_t i = 0; i < m.n; i++)
		assert_target_line(&r, "ok", m.url[i], "nothing to do; at " R3);
	tu_result_free(&r);

	/* One database behind: check says so for it alone, and exits 3. */
	char *fresh = B->new_database("fanout-behind");
	r = vm_expect(p, 3, HERE, ARGS("check", "-d", m.url[0], "-d", fresh));
	assert_target_line(&r, "ok", m.url[0], "at head " R3);
	assert_target_line(&r, "behind", fresh, "3 pending");
	assert_non_null(strstr(r.out, "1 behind or drifted"));
	tu_result_free(&r);

	/* status and current, one line each. */
	r = vm_expect(p, 0, HERE, ARGS("status", "-d", fresh));
	assert_target_line(&r, "ok", fresh, "0 applied, 3 pending");
	assert_target_line(&r, "ok", p->url, "3 applied, 0 pending");
	tu_result_free(&r);
	r = vm_expect(p, 0, HERE, ARGS("current", "-d", fresh));
	assert_target_line(&r, "ok", fresh, "base");
	assert_target_line(&r, "ok", p->url, R3);
	tu_result_free(&r);
	B->drop(fresh);
	free(fresh);
	many_free(&m);
}

/* A target that fails never stops the others; the exit code is the worst. */
static void test_fanout_failure_does_not_stop_the_others(void **state)
{
	proj *p = *state;
	three(p);
	many m;
	many_new(&m, p, 2);
	const char *dead = "postgresql://fan:s3cr3t-pw@127.0.0.1:1/nowhere";
	tu_result r = vm_expect(
	    p, 1, HERE, ARGS("up", "--jobs", "1", "-d", dead, "-d", m.url[0], "-d", m.url[1]));
	assert_target_line(&r, "failed", dead, "cannot connect");
	assert_target_line(&r, "ok", m.url[0], "3 applied");
	assert_target_line(&r, "ok", m.url[1], "3 applied");
	assert_non_null(strstr(r.out, ": 3 ok, 1 failed"));
	tu_assert_not_contains(r.out, "s3cr3t-pw", HERE, __LINE__);
	tu_assert_not_contains(r.err, "s3cr3t-pw", HERE, __LINE__);
	tu_result_free(&r);
	assert_rows(m.url[0], "3");

	/* A revision that fails on one database: exit 1, the others at head. */
	char *broken = B->new_database("fanout-broken");
	tu_result first = run_args(p, false, NULL, ARGS("up", R2, "-d", broken, "--dir", p->mig));
	STATUS(first, 0);
	tu_result_free(&first);
	char *none = B->query(broken, "CREATE TABLE tags (id integer PRIMARY KEY)");
	assert_non_null(none);
	free(none);
	r = vm_expect(p, 1, HERE, ARGS("up", "-d", broken, "-d", m.url[0]));
	assert_target_line(&r, "failed", broken, R3);
	assert_target_line(&r, "ok", m.url[0], "nothing to do");
	tu_result_free(&r);
	assert_rows(broken, "2"); /* the revisions before the failing one stay */
	/* Behind beats ok, a failure beats behind: check exits 1. */
	r = vm_expect(p, 1, HERE, ARGS("check", "-d", dead, "-d", broken));
	assert_target_line(&r, "behind", broken, "1 pending");
	assert_target_line(&r, "failed", dead, NULL);
	tu_result_free(&r);
	B->drop(broken);
	free(broken);
	many_free(&m);
}

static void test_fanout_targets_file(void **state)
{
	proj *p = *state;
	three(p);
	many m;
	many_new(&m, p, 2);
	char text[8192];
	setenv("VMIG_TEST_SECOND_URL", m.url[1], 1);
	snprintf(text, sizeof text,
	         "# tenants\n\n  %s\t\n# the second, from the environment\n"
	         "${VMIG_TEST_SECOND_URL}\r\n",
	         m.url[0]);
	tu_write(p->dir, "targets.txt", text);
	tu_result r =
	    run_args(p, false, NULL, ARGS("up", "--dir", p->mig, "--targets", "targets.txt"));
	STATUS(r, 0);
	assert_target_line(&r, "ok", m.url[0], "3 applied");
	assert_target_line(&r, "ok", m.url[1], "3 applied");
	assert_non_null(strstr(r.out, "up: 2 targets"));
	tu_result_free(&r);
	unsetenv("VMIG_TEST_SECOND_URL");

	/* A bad line: exit 2 naming file and line, and no database touched. */
	char *before = snap(p);
	snprintf(text, sizeof text, "%s\n# fine so far\n%s # a comment after it\n", p->url,
	         m.url[0]);
	tu_write(p->dir, "bad.txt", text);
	REJECT(p, 2, "bad.txt:3: a space inside the line", "up", "--targets", "bad.txt");
	snprintf(text, sizeof text, "%s\nnot-a-url\n", p->url);
	tu_write(p->dir, "bad.txt", text);
	REJECT(p, 2, "bad.txt:2: not a database URL", "up", "--targets", "bad.txt");
	snprintf(text, sizeof text, "%s\n%s\n", m.url[0], m.url[0]);
	tu_write(p->dir, "bad.txt", text);
	REJECT(p, 2, "bad.txt:2:", "up", "--targets", "bad.txt");
	tu_write(p->dir, "bad.txt", "# nothing\n\n");
	REJECT(p, 2, "bad.txt: no database URL in it", "up", "--targets", "bad.txt");
	REJECT(p, 2, "missing.txt: cannot read", "up", "--targets", "missing.txt");
	assert_unchanged(p, before, HERE);
	free(before);
	many_free(&m);
}

static void test_fanout_json(void **state)
{
	proj *p = *state;
	three(p);
	many m;
	many_new(&m, p, 1);
	const char *dead = "postgresql://fan:s3cr3t-pw@127.0.0.1:1/nowhere";
	tu_result r = vm_expect(p, 1, HERE, ARGS("up", "--json", "-d", m.url[0], "-d", dead));
	size_t lines = 0, ok = 0;
	for (char *l = r.out; l && *l; lines++) {
		char *end = strchr(l, '\n');
		assert_non_null(end);
		*end = '\0';
		cJSON *o = parse_json(l);
		const char *db = json_str(o, "database");
		assert_null(strstr(db, "s3cr3t"));
		assert_string_equal(json_str(o, "command"), "up");
		cJSON *okv = cJSON_GetObjectItem(o, "ok");
		if (cJSON_IsTrue(okv)) {
			ok++;
			assert_int_equal(cJSON_GetObjectItem(o, "applied")->valueint, 3);
			assert_string_equal(json_str(o, "heads"), R3);
		} else {
			assert_int_equal(cJSON_GetObjectItem(o, "exit")->valueint, 1);
			assert_non_null(strstr(json_str(o, "error"), "cannot connect"));
		}
		cJSON_Delete(o);
		l = end + 1;
	}
	assert_int_equal(lines, 3);
	assert_int_equal(ok, 2);
	tu_assert_not_contains(r.err, "s3cr3t-pw", HERE, __LINE__);
	tu_result_free(&r);
	/* --json is still refused where there is one database and no machine output. */
	REJECT(p, 2, "does not use --json", "up", "--json");
	many_free(&m);
}

/* What takes one database refuses several; what is wrong with --jobs is said. */
static void test_fanout_usage(void **state)
{
	proj *p = *state;
	three(p);
	char *before = snap(p);
	REJECT(p, 2, "works on one database", "down", "-d", p->url);
	REJECT(p, 2, "works on one database", "stamp", "head", "-d", p->url);
	REJECT(p, 2, "--jobs 0: give a whole number from 1 to 1024", "up", "-d", p->url, "--jobs",
	       "0");
	REJECT(p, 2, "--jobs x: give a whole number", "up", "-d", p->url, "--jobs", "x");
	REJECT(p, 2, "does not use --targets", "down", "--targets", "t.txt");
	REJECT(p, 2, "does not use --schemas", "redo", "--schemas", "t%");
	REJECT(p, 2, "--sql writes one script for one database", "up", "--sql", "-d", p->url);
	assert_unchanged(p, before, HERE);
	free(before);
}

/*
 * --schemas: on PostgreSQL every matching schema gets its own version table
 * and the revisions' tables, and at most --jobs connections are open at once;
 * SQLite, which has no schemas, refuses it.  With --jobs 1 the targets run
 * one after another, in order.
 */
static void test_fanout_schemas_and_jobs(void **state)
{
	proj *p = *state;
	if (strcmp(B->name, "postgresql") != 0) {
		char *before = snap(p);
		REJECT(p, 2, "--schemas: sqlite has no schemas", "up", "--schemas", "t%");
		assert_unchanged(p, before, HERE);
		free(before);
		many m;
		many_new(&m, p, 3);
		three(p);
		tu_result r = vm_expect(
		    p, 0, HERE,
		    ARGS("up", "--jobs", "1", "-d", m.url[0], "-d", m.url[1], "-d", m.url[2]));
		char *a = strstr(r.out, m.url[0]), *b = strstr(r.out, m.url[1]),
		     *c = strstr(r.out, m.url[2]);
		assert_true(a && b && c && a < b && b < c);
		tu_result_free(&r);
		many_free(&m);
		return;
	}
	enum { SCHEMAS = 6, JOBS = 2 };
	for (int i = 1; i <= SCHEMAS; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "CREATE SCHEMA tenant_%d", i);
		free(B->query(p->url, sql));
	}
	free(B->query(p->url, "CREATE SCHEMA other"));
	free(B->query(p->url, "CREATE TABLE public.seen (n bigint)"));
	/* Each records how many vmig sessions are open, while it holds one. */
	const revspec probe = {.id = "5e00ee000001",
	                       .parents = "",
	                       .message = "probe",
	                       .up =
	                           "CREATE TABLE users (id integer PRIMARY KEY);\n"
	                           "INSERT INTO public.seen SELECT count(*) FROM pg_stat_activity "
	                           "WHERE application_name = 'vmig' AND datname = "
	                           "current_database();\n"
	                           "SELECT pg_sleep(0.2);",
	                       .down = "DROP TABLE users;"};
	write_rev(p, &probe);
	tu_result r = vm_expect(p, 0, HERE, ARGS("up", "--schemas", "tenant\\_%", "--jobs", "2"));
	for (int i = 1; i <= SCHEMAS; i++) {
		char schema[64], sql[256];
		snprintf(schema, sizeof schema, "schema tenant_%d: 1 applied", i);
		assert_non_null(strstr(r.out, schema));
		snprintf(sql, sizeof sql,
		         "SELECT count(*) FROM tenant_%d.vmig_version WHERE revision = '%s'", i,
		         probe.id);
		assert_query(p, sql, "1", HERE);
		snprintf(sql, sizeof sql,
		         "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_%d' AND "
		         "tablename = 'users'",
		         i);
		assert_query(p, sql, "1", HERE);
	}
	assert_non_null(strstr(r.out, "up: 6 targets"));
	tu_result_free(&r);
	/* Nothing outside the pattern: no table in public or other. */
	assert_query(p,
	             "SELECT count(*) FROM pg_tables WHERE tablename IN ('users', 'vmig_version') "
	             "AND schemaname NOT LIKE 'tenant%'",
	             "0", HERE);
	char *most = B->query(p->url, "SELECT max(n) FROM public.seen");
	assert_non_null(most);
	if (atoi(most) < 1 || atoi(most) > JOBS)
		fail_msg("%s vmig sessions were open at once with --jobs %d", most, JOBS);
	free(most);
	assert_query(p, "SELECT count(*) FROM public.seen", "6", HERE);
	/* status over the same schemas; a pattern that matches none is refused. */
	r = vm_expect(p, 0, HERE, ARGS("status", "--schemas", "tenant\\_%"));
	assert_non_null(strstr(r.out, "schema tenant_3: 1 applied, 0 pending"));
	tu_result_free(&r);
	REJECT(p, 2, "--schemas nobody%: no schema matches", "up", "--schemas", "nobody%");
}
