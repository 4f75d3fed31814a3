/*
 * test_cli_postgres.c - the CLI suite (cli_suite.c) against the PostgreSQL
 * test server (the ctest fixture `pg`): each test in a fresh database.
 */
#include "cli_suite.c"

#include "backend_postgres.h"

int main(void)
{
	return cli_suite_run(&tu_backend_postgres);
}
