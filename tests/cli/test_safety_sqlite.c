/*
 * test_safety_sqlite.c - the safety suite (safety_suite.c) against real SQLite files.
 */
#include "safety_suite.c"

int main(void)
{
	return safety_suite_run(&tu_backend_sqlite);
}
