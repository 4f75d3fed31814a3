/*
 * sqlite_lint.h - `vmig lint` for SQLite (the driver's lint() and its rules;
 * see driver.h and sqlite_lint.c).
 */
#ifndef VMIG_SQLITE_LINT_H
#define VMIG_SQLITE_LINT_H

#include "../src/error.h"
#include "../src/lint.h"

#include <stdbool.h>
#include <stddef.h>

int vmig_sqlite_lint(const char *sql, size_t len, bool transactional, vmig_lint_findings *out,
                     vmig_error *err);
extern const char *const vmig_sqlite_lint_rules[];

#endif
