/*
 * test_safety_postgres.c - the safety suite (safety_suite.c) against the
 * PostgreSQL test server (the ctest fixture `pg`), with the tests that only
 * PostgreSQL has: --wait against a server that starts later, and passwords.
 */
#include "safety_suite.c"

int main(void)
{
	return safety_suite_run(&tu_backend_postgres);
}
