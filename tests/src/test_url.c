/*
 * test_url.c - database URLs shown without their passwords, whatever their
 * spelling, and the paths of SQLite URLs.
 */
#include "testutil.h"

#include "url.h"

#include <stdlib.h>
#include <string.h>

static void expect_redacted(const char *url, const char *secret, const char *shown)
{
	char *got = vmig_url_redact(url);
	assert_not_contains(got, secret);
	if (shown)
		assert_string_equal(got, shown);
	free(got);
}

static void test_redact(void **state)
{
	(void)state;
	expect_redacted("postgresql://app:s3cret@db:5432/app", "s3cret",
	                "postgresql://app:***@db:5432/app");
	expect_redacted("postgresql+asyncpg://app:s3cret@db/app?sslmode=require", "s3cret",
	                "postgresql+asyncpg://app:***@db/app?sslmode=require");
	/* a password that was not percent-encoded */
	expect_redacted("postgresql://u:p@ss/w?rd#x@127.0.0.1:5/db", "ss/w", NULL);
	expect_redacted("postgresql://u:SECRET5?x@127.0.0.1:1/db", "SECRET5", NULL);
	/* parameters, in URLs and in libpq key=value strings */
	expect_redacted("postgresql://u@h/db?password=S4&application_name=x", "S4",
	                "postgresql://u@h/db?password=***&application_name=x");
	expect_redacted("postgresql://h/db?sslpassword=S3", "S3",
	                "postgresql://h/db?sslpassword=***");
	expect_redacted("host=localhost password = SECRET1", "SECRET1", NULL);
	expect_redacted("host=localhost password='SEC RET2' user=x", "RET2",
	                "host=localhost password=*** user=x");
	expect_redacted("sqlite:///app.db", "x", "sqlite:///app.db");
	expect_redacted("postgresql://app@db/app", "x", "postgresql://app@db/app");
	/* password= values anywhere, with '@', spaces or quotes in them (found by fuzzing) */
	expect_redacted("postgresql://u@h/db?password=hunter22&application_name=ops:alice@e.com",
	                "hunter22", NULL);
	expect_redacted("host=db password=hunter22 dbname=x://a:b@c", "hunter22", NULL);
	expect_redacted("postgresql://u@h:5432/db?password=p@ssw0rd", "ssw0rd",
	                "postgresql://u@h:5432/db?password=***");
	expect_redacted("postgresql://u:pw@h/db?password=x@secretpart", "secretpart", NULL);
	expect_redacted("postgresql://u@h/db?password=correct horse battery", "horse",
	                "postgresql://u@h/db?password=***");
	expect_redacted("postgresql://u@h/db?password='abc'hunter22", "hunter22", NULL);
	expect_redacted("password=postgresql://u@h/db?password=\"dq pw\"", " pw", NULL);
}

static void test_sqlite_paths(void **state)
{
	(void)state;
	char *path;
	vmig_error err = {0};
	assert_int_equal(vmig_url_sqlite_path("sqlite:///app.db", &path, &err), VMIG_OK);
	assert_string_equal(path, "app.db");
	free(path);
	assert_int_equal(
	    vmig_url_sqlite_path("sqlite+aiosqlite:////var/db/app.db?x=1", &path, &err), VMIG_OK);
	assert_string_equal(path, "/var/db/app.db");
	free(path);
	assert_int_equal(vmig_url_sqlite_path("sqlite://", &path, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "in-memory");
	assert_int_equal(vmig_url_sqlite_path("sqlite:///:memory:", &path, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "in-memory");
}

/* What a database's message may quote of a URL is scrubbed: libpq splits
 * a password holding '@' at its first '@' and may quote the rest as a host. */
static void test_scrub(void **state)
{
	(void)state;
	static const char url[] = "postgresql://u:s3c@r3tpart@127.0.0.1:1/db";
	vmig_buf msg = {0};
	vmig_buf_puts(&msg, "could not translate host name \"r3tpart@127.0.0.1\" to address; "
	                    "password s3c@r3tpart, s3c");
	vmig_url_scrub(&msg, url);
	assert_not_contains(vmig_buf_str(&msg), "r3tpart");
	assert_not_contains(vmig_buf_str(&msg), "s3c");
	vmig_buf_free(&msg);
	/* percent-encoded passwords, raw and decoded */
	vmig_buf_puts(&msg, "p%40ss and p@ss");
	vmig_url_scrub(&msg, "postgresql://u:p%40ss@h/db");
	assert_string_equal(vmig_buf_str(&msg), "*** and ***");
	vmig_buf_free(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_redact),
	    cmocka_unit_test(test_sqlite_paths),
	    cmocka_unit_test(test_scrub),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
