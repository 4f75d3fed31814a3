/*
 * test_scan.c - reading a migrations directory: a large one is read by
 * several threads, with the same result and the same first error as when
 * one reads it all.
 */
#include "testutil.h"

#include "revision.h"
#include "scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 600 /* enough for several threads */

static char *write_chain(const char *name, int bad_a, int bad_b)
{
	char *dir = tu_tempdir(name);
	for (int i = 1; i <= N; i++) {
		char rel[64], text[512];
		snprintf(rel, sizeof rel, "r%04d.sql", i);
		if (i == bad_a || i == bad_b)
			snprintf(text, sizeof text, "-- vmig:revision r%04d\n-- no up section\n",
			         i);
		else if (i == 1)
			snprintf(text, sizeof text,
			         "-- vmig:revision r0001\n-- vmig:down_revision\n-- vmig:up\n"
			         "CREATE TABLE t1 (id integer);\n");
		else
			snprintf(text, sizeof text,
			         "-- vmig:revision r%04d\n-- vmig:down_revision r%04d\n-- vmig:up\n"
			         "CREATE TABLE t%d (id integer);\n",
			         i, i - 1, i);
		tu_write(dir, rel, text);
	}
	return dir;
}

static void test_large_directory_read_whole(void **state)
{
	(void)state;
	char *dir = write_chain("scan-large", 0, 0);
	vmig_revision *revs;
	size_t n;
	vmig_error err = {0};
	assert_int_equal(vmig_scan_dir(dir, &revs, &n, &err), VMIG_OK);
	assert_int_equal(n, N);
	for (size_t i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "r%04zu", i + 1);
		assert_string_equal(revs[i].id, id); /* in name order, every one */
		assert_non_null(strstr(revs[i].up_sql, "CREATE TABLE"));
		vmig_revision_free(&revs[i]);
	}
	free(revs);
	tu_rmtree(dir);
	free(dir);
}

/* Two bad files far apart (in different threads' runs): the first is named. */
static void test_first_bad_file_named(void **state)
{
	(void)state;
	char *dir = write_chain("scan-bad", 450, 20);
	vmig_revision *revs = NULL;
	size_t n = 99;
	vmig_error err = {0};
	assert_int_equal(vmig_scan_dir(dir, &revs, &n, &err), VMIG_ERR_INPUT);
	assert_non_null(strstr(err.msg, "r0020.sql"));
	assert_null(strstr(err.msg, "r0450.sql"));
	assert_null(revs);
	assert_int_equal(n, 0);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_large_directory_read_whole),
	    cmocka_unit_test(test_first_bad_file_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
