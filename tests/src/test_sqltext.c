/*
 * test_sqltext.c - what vmig itself reads in a statement: transaction control.
 */
#include "testutil.h"

#include "sqltext.h"

#include <string.h>

static bool is_control(const char *stmt)
{
	return vmig_sql_is_transaction_control(stmt, strlen(stmt));
}

static void test_transaction_control(void **state)
{
	(void)state;
	static const char *const control[] = {
	    "BEGIN",
	    "begin transaction",
	    "START TRANSACTION",
	    "COMMIT",
	    "commit prepared 'x'",
	    "END",
	    "ABORT",
	    "ROLLBACK",
	    "ROLLBACK WORK",
	    "rollback prepared 'x'",
	    "PREPARE TRANSACTION 'x'",
	    "PREPARE /* c */ TRANSACTION 'x'",
	};
	static const char *const not_control[] = {
	    "ROLLBACK TO SAVEPOINT s",
	    "ROLLBACK TO s",
	    "ROLLBACK WORK TO SAVEPOINT s",
	    "ROLLBACK TRANSACTION TO s",
	    "SAVEPOINT s",
	    "RELEASE SAVEPOINT s",
	    "PREPARE q AS SELECT 1",
	    "CREATE TABLE begin_x (x int)",
	    "SELECT 'COMMIT'",
	    "BEGINNING",
	};
	for (size_t i = 0; i < sizeof control / sizeof *control; i++)
		if (!is_control(control[i]))
			fail_msg("not taken for transaction control: %s", control[i]);
	for (size_t i = 0; i < sizeof not_control / sizeof *not_control; i++)
		if (is_control(not_control[i]))
			fail_msg("taken for transaction control: %s", not_control[i]);
	vmig_error err = {0};
	assert_int_equal(vmig_sql_refuse_transaction_control("COMMIT", 6, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, "transaction off");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transaction_control),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
