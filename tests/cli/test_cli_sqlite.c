/*
 * test_cli_sqlite.c - the CLI suite (cli_suite.c) against real SQLite files.
 */
#include "cli_suite.c"

int main(void)
{
	return cli_suite_run(&tu_backend_sqlite);
}
