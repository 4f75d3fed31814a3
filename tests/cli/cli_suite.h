/*
 * cli_suite.h - the integration tests of the vmig command line, run against a
 * real database chosen by a backend (tests/support/backend.h).
 *
 * A test program for one database is a main() that #includes cli_suite.c and
 * calls cli_suite_run() with its backend (see test_cli_sqlite.c).
 */
#ifndef VMIG_CLI_SUITE_H
#define VMIG_CLI_SUITE_H

#include "backend.h"

/* Runs every CLI test against backend; returns the number of failed tests. */
int cli_suite_run(const tu_backend *backend);

#endif
