/*
 * pg_lint.h - `vmig lint` for PostgreSQL (the driver's lint() and its rules;
 * see driver.h and pg_lint.c).
 */
#ifndef VMIG_PG_LINT_H
#define VMIG_PG_LINT_H

#include "../src/error.h"
#include "../src/lint.h"

#include <stdbool.h>
#include <stddef.h>

int vmig_pg_lint(const char *sql, size_t len, bool transactional, vmig_lint_findings *out,
                 vmig_error *err);
extern const char *const vmig_pg_lint_rules[];

#endif
