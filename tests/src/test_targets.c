/*
 * test_targets.c - the --targets file: one database URL per line.
 */
#include "testutil.h"

#include "targets.h"

#include <stdlib.h>
#include <string.h>

static const char *lookup(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "PW") == 0)
		return "s3cret";
	if (strcmp(name, "HOST") == 0)
		return "db.internal";
	return NULL;
}

static int parse(const char *text, vmig_target_list *out, vmig_error *err)
{
	return vmig_targets_parse("tenants.txt", text, strlen(text), lookup, NULL, out, err);
}

static void test_lines_comments_and_blanks(void **state)
{
	(void)state;
	vmig_target_list l = {0};
	vmig_error err = {0};
	const char *text = "# the tenants\n"
	                   "\n"
	                   "postgresql://app@h/t1\n"
	                   "   \t\n"
	                   "  sqlite:///a.db\t \r\n"
	                   "\t# indented comment\n"
	                   "postgresql://app:${PW}@${HOST}/t2"; /* no newline at the end */
	assert_int_equal(parse(text, &l, &err), VMIG_OK);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.urls[0], "postgresql://app@h/t1");
	assert_int_equal(l.lines[0], 3);
	assert_string_equal(l.urls[1], "sqlite:///a.db");
	assert_int_equal(l.lines[1], 5);
	assert_string_equal(l.urls[2], "postgresql://app:s3cret@db.internal/t2");
	assert_int_equal(l.lines[2], 7);
	vmig_target_list_free(&l);
}

/* Each bad file: the line named, what to do said, no password shown, and
 * the list left as it was. */
static void test_bad_lines(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
	    {"postgresql://a@h/x\npostgresql://a@h/y # tenant y\n",
	     "tenants.txt:2: a space inside the line; give one URL per line"},
	    {"postgresql://a@h/x postgresql://a@h/y\n", "tenants.txt:1: a space inside the line"},
	    {"\n\ntenant_db\n", "tenants.txt:3: not a database URL (no scheme://)"},
	    {"postgres:/u:s3cret@h/x\n", "tenants.txt:1: not a database URL"},
	    {"${PW}\n", "tenants.txt:1: not a database URL"},
	    {"postgresql://u:s3cret@h/x\npostgresql://u:s3cret@h/x\n",
	     "tenants.txt:2: the same URL as on line 1"},
	    {"postgresql://u:${PW@h/x\n", "tenants.txt:1:"},
	    {"# only comments\n\n", "tenants.txt: no database URL in it"},
	    {"", "tenants.txt: no database URL in it"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		vmig_target_list l = {0};
		vmig_error err = {0};
		assert_int_equal(parse("sqlite:///kept.db\n", &l, &err), VMIG_OK);
		int rc = parse(cases[i].text, &l, &err);
		if (rc != VMIG_ERR_INPUT || !strstr(err.msg, cases[i].message))
			fail_msg("case %zu: rc %d, message \"%s\", expected \"%s\"", i, rc, err.msg,
			         cases[i].message);
		assert_null(strstr(err.msg, "s3cret"));
		assert_int_equal(l.n, 1);
		assert_string_equal(l.urls[0], "sqlite:///kept.db");
		vmig_target_list_free(&l);
	}
}

static void test_nul_byte(void **state)
{
	(void)state;
	vmig_target_list l = {0};
	vmig_error err = {0};
	static const char text[] = "sqlite:///a.db\nsqlite:///b\0.db\n";
	assert_int_equal(vmig_targets_parse("t", text, sizeof text - 1, lookup, NULL, &l, &err),
	                 VMIG_ERR_INPUT);
	assert_non_null(strstr(err.msg, "t:2: a NUL byte"));
	assert_int_equal(l.n, 0);
}

static void test_read_missing_file(void **state)
{
	(void)state;
	vmig_target_list l = {0};
	vmig_error err = {0};
	assert_int_equal(vmig_targets_read("/nonexistent/targets.txt", &l, &err), VMIG_ERR_INPUT);
	assert_non_null(strstr(err.msg, "/nonexistent/targets.txt: cannot read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines_comments_and_blanks),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_read_missing_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
