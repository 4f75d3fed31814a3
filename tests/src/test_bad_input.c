/*
 * test_bad_input.c - malformed migration files and graphs: every one is
 * refused with VMIG_ERR_INPUT and a message "PATH:LINE: ..." that says what is
 * wrong (SPEC "Migration files": a typo must never silently change meaning).
 * Checked on the parser, on the graph builder, and through `vmig validate`.
 */
#include "testutil.h"

#include "graph.h"
#include "revision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ID65 "a1234567890123456789012345678901234567890123456789012345678901234"

struct bad_file {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
	int line;
	const char *fragment;
};

static const struct bad_file bad_files[] = {
    {"unknown directive (typo)", "-- vmig:revision a1\n-- vmig:revison a2\n-- vmig:up\nSELECT 1;\n",
     0, 2, "unknown directive -- vmig:revison"},
    {"unknown directive without the space", "--vmig:revison a1\n-- vmig:up\nSELECT 1;\n", 0, 1,
     "unknown directive"},
    {"unknown directive inside the SQL",
     "-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n"
     "-- vmig:dwon\nSELECT 2;\n",
     0, 4, "unknown directive -- vmig:dwon"},
    {"unknown directive lists the known ones", "-- vmig:revision a1\n-- vmig:parent a0\n", 0, 2,
     "down_revision"},
    {"missing revision", "-- vmig:message no id\n-- vmig:up\nSELECT 1;\n", 0, 1,
     "no -- vmig:revision"},
    {"empty file", "", 0, 1, "no -- vmig:revision"},
    {"empty id", "-- vmig:revision\n-- vmig:up\nSELECT 1;\n", 0, 1, "needs an id"},
    {"empty id, spaces only", "-- vmig:revision   \n-- vmig:up\n", 0, 1, "needs an id"},
    {"id with a dash", "-- vmig:revision add-users\n-- vmig:up\n", 0, 1,
     "invalid revision id \"add-users\""},
    {"id starting with _", "-- vmig:revision _users\n-- vmig:up\n", 0, 1,
     "invalid revision id \"_users\""},
    {"id with a space", "-- vmig:revision a1 b2\n-- vmig:up\n", 0, 1, "invalid revision id"},
    {"id of 65 characters", "-- vmig:revision " ID65 "\n-- vmig:up\n", 0, 1, "longer than 64"},
    {"duplicate revision line",
     "-- vmig:revision a1\n-- vmig:message m\n"
     "-- vmig:revision a2\n-- vmig:up\n",
     0, 3, "-- vmig:revision is given twice"},
    {"duplicate down_revision line",
     "-- vmig:revision a1\n-- vmig:down_revision a0\n-- vmig:down_revision b0\n-- vmig:up\n", 0, 3,
     "-- vmig:down_revision is given twice"},
    {"duplicate message line",
     "-- vmig:revision a1\n-- vmig:message m\n-- vmig:message n\n-- vmig:up\n", 0, 3,
     "-- vmig:message is given twice"},
    {"message after up", "-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n-- vmig:message late\n", 0, 4,
     "-- vmig:message must come before -- vmig:up"},
    {"revision after up", "-- vmig:up\nSELECT 1;\n-- vmig:revision a1\n", 0, 3,
     "-- vmig:revision must come before -- vmig:up"},
    {"down_revision in the down section",
     "-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n-- vmig:down\n-- vmig:down_revision a0\n", 0, 5,
     "-- vmig:down_revision must come before -- vmig:up"},
    {"down before up", "-- vmig:revision a1\n-- vmig:down\nDROP TABLE t;\n-- vmig:up\n", 0, 2,
     "-- vmig:down must come after -- vmig:up"},
    {"two up lines", "-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n-- vmig:up\nSELECT 2;\n", 0, 4,
     "-- vmig:up is given twice"},
    {"up after down",
     "-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n-- vmig:down\nSELECT 2;\n"
     "-- vmig:up\n",
     0, 6, "must come before -- vmig:down"},
    {"two down lines",
     "-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n-- vmig:down\n"
     "SELECT 2;\n-- vmig:down\n",
     0, 6, "-- vmig:down is given twice"},
    {"up with a value", "-- vmig:revision a1\n-- vmig:up extra\nSELECT 1;\n", 0, 2,
     "-- vmig:up takes no value"},
    {"down with a value", "-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n-- vmig:down now\n", 0, 4,
     "-- vmig:down takes no value"},
    {"no up at all", "-- vmig:revision a1\n-- vmig:message nothing\n", 0, 1, "no -- vmig:up line"},
    {"SQL before up", "-- vmig:revision a1\nCREATE TABLE t (id integer);\n-- vmig:up\n", 0, 2,
     "SQL before -- vmig:up"},
    {"transaction maybe", "-- vmig:revision a1\n-- vmig:transaction maybe\n-- vmig:up\n", 0, 2,
     "-- vmig:transaction takes `on` or `off`"},
    {"transaction without a value", "-- vmig:revision a1\n-- vmig:transaction\n-- vmig:up\n", 0, 2,
     "takes `on` or `off`"},
    {"transaction twice",
     "-- vmig:revision a1\n-- vmig:transaction off\n-- vmig:transaction off\n-- vmig:up\n", 0, 3,
     "-- vmig:transaction is given twice"},
    {"parent listed twice", "-- vmig:revision a1\n-- vmig:down_revision a0 b0 a0\n-- vmig:up\n", 0,
     2, "parent \"a0\" is listed twice"},
    {"invalid parent id", "-- vmig:revision a1\n-- vmig:down_revision a0 b-0\n-- vmig:up\n", 0, 2,
     "invalid parent id \"b-0\""},
    {"parent ids separated by commas",
     "-- vmig:revision a1\n-- vmig:down_revision a0,b0\n-- vmig:up\n", 0, 2,
     "invalid parent id \"a0,b0\""},
    {"CRLF file, error on line 3", "-- vmig:revision a1\r\n-- vmig:up\r\n-- vmig:message late\r\n",
     0, 3, "must come before -- vmig:up"},
    {"BOM file, error on line 1", "\xEF\xBB\xBF-- vmig:revison a1\n-- vmig:up\n", 0, 1,
     "unknown directive"},
    /* A lone CR ends a line, as LF and CRLF do. */
    {"lone-CR file, error on line 3", "-- vmig:revision a1\r-- vmig:up\r-- vmig:message late\r", 0,
     3, "-- vmig:message must come before -- vmig:up"},
    {"mixed line ends, error on line 5",
     "-- vmig:revision a1\r\n-- vmig:up\rSELECT 1;\n\r-- vmig:dwon\r\n", 0, 5,
     "unknown directive -- vmig:dwon"},
    /* The file's control bytes are shown escaped, never sent to the terminal. */
    {"escape sequence in the id", "-- vmig:revision a1\x1b[2J\n-- vmig:up\n", 0, 1,
     "invalid revision id \"a1\\x1b[2J\""},
    {"DEL in a parent id", "-- vmig:revision a1\n-- vmig:down_revision a0 b\x7f\n-- vmig:up\n", 0,
     2, "invalid parent id \"b\\x7f\""},
    {"escape sequence in a directive name", "-- vmig:revison\x1b]0;x\x07 a1\n-- vmig:up\n", 0, 1,
     "unknown directive -- vmig:revison\\x1b]0;x\\x07 (known"},
    {"control byte in the id",
     "-- vmig:revision a\x01"
     "b\n-- vmig:up\n",
     0, 1, "invalid revision id \"a\\x01b\""},
};

#define NBAD (sizeof bad_files / sizeof bad_files[0])

static void test_bad_files_table(void **state)
{
	(void)state;
	size_t failures = 0;
	assert_true(NBAD >= 20);
	for (size_t i = 0; i < NBAD; i++) {
		const struct bad_file *b = &bad_files[i];
		size_t len = b->len ? b->len : strlen(b->text);
		vmig_revision r;
		memset(&r, 0x5a, sizeof r); /* must come back zeroed */
		vmig_error err = {0};
		int rc = vmig_revision_parse("migrations/x.sql", b->text, len, &r, &err);
		char prefix[64];
		snprintf(prefix, sizeof prefix, "migrations/x.sql:%d: ", b->line);
		const char *problem = NULL;
		if (rc != VMIG_ERR_INPUT)
			problem = "wrong status (expected VMIG_ERR_INPUT)";
		else if (err.code != VMIG_ERR_INPUT)
			problem = "err.code is not VMIG_ERR_INPUT";
		else if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
			problem = "message does not start with PATH:LINE:";
		else if (!strstr(err.msg, b->fragment))
			problem = "message lacks the expected fragment";
		else if (r.id || r.parents || r.up_sql || r.down_sql || r.path || r.message)
			problem = "the revision was not left zeroed";
		for (const char *m = err.msg; !problem && *m; m++)
			if ((unsigned char)*m < 0x20 || *m == 0x7f)
				problem = "the message holds a raw control byte";
		if (problem) {
			print_error("bad file \"%s\": %s\n  status %d, expected prefix [%s], "
			            "fragment [%s]\n  message [%s]\n",
			            b->name, problem, rc, prefix, b->fragment, err.msg);
			failures++;
		}
		if (rc == VMIG_OK)
			vmig_revision_free(&r);
	}
	if (failures)
		fail_msg("%zu of %zu bad files were not reported as expected", failures, NBAD);
}

/*
 * A NUL byte (a binary file, or UTF-16 saved by an editor) is refused, and
 * like every other file error the message gives the line it is on.
 */
static void test_nul_byte_names_its_line(void **state)
{
	(void)state;
	static const char in_sql[] = "-- vmig:revision a1\n-- vmig:up\nSELECT\0 1;\n";
	static const char in_header[] = "-- vmig:revision a1\0\n-- vmig:up\nSELECT 1;\n";
	vmig_revision r;
	vmig_error err = {0};
	assert_int_equal(vmig_revision_parse("m/x.sql", in_sql, sizeof in_sql - 1, &r, &err),
	                 VMIG_ERR_INPUT);
	assert_contains(err.msg, "NUL");
	assert_contains(err.msg, "m/x.sql:3: ");
	assert_null(r.id);
	assert_int_equal(vmig_revision_parse("m/y.sql", in_header, sizeof in_header - 1, &r, &err),
	                 VMIG_ERR_INPUT);
	assert_contains(err.msg, "NUL");
	assert_contains(err.msg, "m/y.sql:1: ");
	/* Its line counts lone CRs and CRLFs as one line end each. */
	static const char after_crs[] = "-- vmig:revision a1\r-- vmig:up\r\n\rSELECT\0 1;\r";
	assert_int_equal(vmig_revision_parse("m/z.sql", after_crs, sizeof after_crs - 1, &r, &err),
	                 VMIG_ERR_INPUT);
	assert_contains(err.msg, "m/z.sql:4: contains a NUL byte");
}

/* Parses text as path; the test fails when it does not parse. */
static void parse_as(const char *path, const char *text, vmig_revision *r)
{
	vmig_error err = {0};
	if (vmig_revision_parse(path, text, strlen(text), r, &err) != VMIG_OK)
		fail_msg("%s does not parse: %s", path, err.msg);
}

static void test_graph_duplicate_ids(void **state)
{
	(void)state;
	vmig_revision r[3];
	parse_as("m/a_first.sql", "-- vmig:revision aa\n-- vmig:up\n", &r[0]);
	parse_as("m/b_copy.sql", "-- vmig:revision aa\n-- vmig:up\n", &r[1]);
	parse_as("m/c.sql", "-- vmig:revision cc\n-- vmig:down_revision aa\n-- vmig:up\n", &r[2]);
	vmig_revision *ptrs[] = {&r[0], &r[1], &r[2]};
	vmig_graph g;
	vmig_error err = {0};
	assert_int_equal(vmig_graph_build(ptrs, 3, false, &g, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "m/a_first.sql");
	assert_contains(err.msg, "m/b_copy.sql");
	assert_contains(err.msg, "\"aa\"");
	/* A message that starts with one file and its line. */
	assert_true(strncmp(err.msg, "m/a_first.sql:1: ", 17) == 0 ||
	            strncmp(err.msg, "m/b_copy.sql:1: ", 16) == 0);
	for (int i = 0; i < 3; i++)
		vmig_revision_free(&r[i]);
}

static void test_graph_unknown_parent(void **state)
{
	(void)state;
	vmig_revision r[2];
	parse_as("m/a.sql", "-- vmig:revision aa\n-- vmig:up\n", &r[0]);
	parse_as(
	    "m/b.sql",
	    "-- vmig:revision bb\n-- vmig:message x\n-- vmig:down_revision aa zz\n-- vmig:up\n",
	    &r[1]);
	vmig_revision *ptrs[] = {&r[1], &r[0]};
	vmig_graph g;
	vmig_error err = {0};
	assert_int_equal(vmig_graph_build(ptrs, 2, false, &g, &err), VMIG_ERR_INPUT);
	assert_true(strncmp(err.msg, "m/b.sql:3: ", 11) == 0);
	assert_contains(err.msg, "\"zz\"");
	assert_contains(err.msg, "down_revision");

	/* Allowed (for rows whose files are gone): the unknown parent is dropped. */
	assert_int_equal(vmig_graph_build(ptrs, 2, true, &g, &err), VMIG_OK);
	assert_int_equal(g.nodes[vmig_graph_find(&g, "bb")].nparents, 1);
	vmig_graph_free(&g);
	for (int i = 0; i < 2; i++)
		vmig_revision_free(&r[i]);
}

static void test_graph_cycle(void **state)
{
	(void)state;
	/* root <- ok; c1 -> c3 -> c2 -> c1; hang hangs below the cycle. */
	static const char *const files[][2] = {
	    {"m/root.sql", "-- vmig:revision root\n-- vmig:up\n"},
	    {"m/ok.sql", "-- vmig:revision ok\n-- vmig:down_revision root\n-- vmig:up\n"},
	    {"m/c1.sql", "-- vmig:revision c1\n-- vmig:down_revision c2\n-- vmig:up\n"},
	    {"m/c2.sql", "-- vmig:revision c2\n-- vmig:down_revision c3\n-- vmig:up\n"},
	    {"m/c3.sql", "-- vmig:revision c3\n-- vmig:down_revision c1\n-- vmig:up\n"},
	    {"m/a_hang.sql", "-- vmig:revision a_hang\n-- vmig:down_revision c1\n-- vmig:up\n"},
	};
	vmig_revision r[6];
	vmig_revision *ptrs[6];
	for (int i = 0; i < 6; i++) {
		parse_as(files[i][0], files[i][1], &r[i]);
		ptrs[i] = &r[i];
	}
	vmig_graph g;
	vmig_error err = {0};
	assert_int_equal(vmig_graph_build(ptrs, 6, false, &g, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "cycle");
	assert_contains(err.msg, "c1");
	assert_contains(err.msg, "c2");
	assert_contains(err.msg, "c3");
	assert_contains(err.msg, ":2: "); /* the down_revision line */
	assert_not_contains(err.msg, "a_hang");
	assert_not_contains(err.msg, "root");
	for (int i = 0; i < 6; i++)
		vmig_revision_free(&r[i]);

	/* A revision that is its own parent. */
	parse_as("m/self.sql", "-- vmig:revision self\n-- vmig:down_revision self\n-- vmig:up\n",
	         &r[0]);
	ptrs[0] = &r[0];
	assert_int_equal(vmig_graph_build(ptrs, 1, false, &g, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "m/self.sql:2: ");
	assert_contains(err.msg, "cycle");
	vmig_revision_free(&r[0]);
}

/* A project folder with the given files under migrations/; caller frees. */
static char *project(const char *name, const char *const *files)
{
	char *dir = tu_tempdir(name);
	for (size_t i = 0; files[i]; i += 2) {
		char rel[512];
		snprintf(rel, sizeof rel, "migrations/%s", files[i]);
		tu_write(dir, rel, files[i + 1]);
	}
	return dir;
}

/* Runs `vmig --dir DIR/migrations validate` (no database) and checks code and message. */
static void validate_fails(const char *name, const char *const *files, const char *where,
                           const char *fragment)
{
	char *dir = project(name, files);
	char mig[4096], expect[8192];
	snprintf(mig, sizeof mig, "%s/migrations", dir);
	snprintf(expect, sizeof expect, "%s/%s", mig, where);
	tu_result r = tu_vmig(dir, NULL, "--dir", mig, "validate", NULL);
	if (r.status != 2)
		fail_msg("%s: vmig validate exited %d, expected 2\nstdout: %s\nstderr: %s", name,
		         r.status, r.out, r.err);
	if (*where)
		assert_contains(r.err, expect);
	assert_contains(r.err, fragment);
	assert_string_equal(r.out, "");
	tu_result_free(&r);
	tu_rmtree(dir);
	free(dir);
}

#define GOOD_ROOT "-- vmig:revision r1\n-- vmig:up\nCREATE TABLE a (id integer);\n"

static void test_validate_bad_files(void **state)
{
	(void)state;
	const char *typo[] = {"r1_a.sql", GOOD_ROOT, "r2_b.sql",
	                      "-- vmig:revision r2\n-- vmig:down_revison r1\n-- vmig:up\n", NULL};
	validate_fails("bad-typo", typo, "r2_b.sql:2: ", "unknown directive -- vmig:down_revison");

	const char *sql_first[] = {"sub/r1.sql",
	                           "CREATE TABLE a (id integer);\n"
	                           "-- vmig:revision r1\n-- vmig:up\n",
	                           NULL};
	validate_fails("bad-sqlfirst", sql_first, "sub/r1.sql:1: ", "SQL before -- vmig:up");

	const char *bad_id[] = {"r1.sql", "-- a comment\n-- vmig:revision r-1\n-- vmig:up\n", NULL};
	validate_fails("bad-id", bad_id, "r1.sql:2: ", "invalid revision id");

	const char *dup[] = {"r1_a.sql", GOOD_ROOT, "r1_b.sql", GOOD_ROOT, NULL};
	validate_fails("bad-dup", dup, "r1_", "r1_a.sql");

	const char *orphan[] = {"r1.sql", GOOD_ROOT, "r2.sql",
	                        "-- vmig:revision r2\n-- vmig:down_revision r0\n-- vmig:up\n",
	                        NULL};
	validate_fails("bad-orphan", orphan, "r2.sql:2: ", "\"r0\"");

	const char *cycle[] = {"x.sql", "-- vmig:revision x\n-- vmig:down_revision y\n-- vmig:up\n",
	                       "y.sql", "-- vmig:revision y\n-- vmig:down_revision x\n-- vmig:up\n",
	                       NULL};
	validate_fails("bad-cycle", cycle, "", "cycle");
}

static void test_validate_several_heads(void **state)
{
	(void)state;
	const char *files[] = {
	    "r1.sql", GOOD_ROOT,
	    "r2.sql", "-- vmig:revision r2\n-- vmig:down_revision r1\n-- vmig:up\n",
	    "r3.sql", "-- vmig:revision r3\n-- vmig:down_revision r1\n-- vmig:up\n",
	    NULL,
	};
	validate_fails("bad-heads", files, "r2.sql", "r3");
	char *dir = project("bad-heads2", files);
	tu_result r = tu_vmig(dir, NULL, "validate", NULL);
	assert_int_equal(r.status, 2);
	assert_contains(r.err, "2 heads");
	assert_contains(r.err, "r2");
	assert_contains(r.err, "r3");
	assert_contains(r.err, "vmig merge");
	tu_result_free(&r);
	tu_rmtree(dir);
	free(dir);
}

static void test_validate_ignores_dot_files_and_other_names(void **state)
{
	(void)state;
	const char *files[] = {
	    "r1.sql",
	    GOOD_ROOT,
	    ".draft.sql",
	    "this is not a migration",
	    ".hidden/r9.sql",
	    "neither is this",
	    "notes.txt",
	    "-- vmig:revison nonsense",
	    "nested/deeper/r2.sql",
	    "-- vmig:revision r2\n-- vmig:down_revision r1\n-- vmig:up\n",
	    NULL,
	};
	char *dir = project("validate-ok", files);
	tu_result r = tu_vmig(dir, NULL, "validate", NULL);
	if (r.status != 0)
		fail_msg("validate exited %d: %s", r.status, r.err);
	assert_contains(r.out, "2 revision(s)");
	assert_contains(r.out, "r2");
	tu_result_free(&r);
	tu_rmtree(dir);
	free(dir);
}

/* A symlink back up the tree must not make the scan loop or count a file twice. */
static void test_validate_survives_symlink_loops(void **state)
{
	(void)state;
	const char *files[] = {"r1.sql", GOOD_ROOT, NULL};
	char *dir = project("validate-loop", files);
	char link[4096], target[4096];
	snprintf(link, sizeof link, "%s/migrations/loop", dir);
	assert_int_equal(symlink(".", link), 0);
	snprintf(link, sizeof link, "%s/migrations/up", dir);
	snprintf(target, sizeof target, "..");
	assert_int_equal(symlink(target, link), 0);
	tu_result r = tu_vmig(dir, NULL, "validate", NULL);
	if (r.status != 0)
		fail_msg("validate exited %d: %s", r.status, r.err);
	assert_contains(r.out, "1 revision(s)");
	tu_result_free(&r);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_files_table),
	    cmocka_unit_test(test_nul_byte_names_its_line),
	    cmocka_unit_test(test_graph_duplicate_ids),
	    cmocka_unit_test(test_graph_unknown_parent),
	    cmocka_unit_test(test_graph_cycle),
	    cmocka_unit_test(test_validate_bad_files),
	    cmocka_unit_test(test_validate_several_heads),
	    cmocka_unit_test(test_validate_survives_symlink_loops),
	    cmocka_unit_test(test_validate_ignores_dot_files_and_other_names),
	};
	unsetenv("VMIG_CONFIG");
	unsetenv("DATABASE_URL");
	setenv("NO_COLOR", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
