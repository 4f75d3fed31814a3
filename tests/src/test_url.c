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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_redact),
	    cmocka_unit_test(test_sqlite_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
