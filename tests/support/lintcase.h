/*
 * lintcase.h - what the lint rule tests share: a revision made of an up
 * section, linted with a driver's rules (src/lint.c: lines, ignore comments),
 * and cases that must or must not fire a rule.  Include after testutil.h.
 */
#ifndef VMIG_LINTCASE_H
#define VMIG_LINTCASE_H

#include "buf.h"
#include "driver.h"
#include "lint.h"
#include "revision.h"

#include <stdio.h>
#include <string.h>

/* One case: the up SQL, whether the revision runs in a transaction, the
 * rule, and whether it must fire (at line `line` of the file when not 0). */
typedef struct lint_case {
	const char *sql;
	bool transactional;
	const char *rule;
	bool fires;
	int line;
} lint_case;

#define LINT_HEADER_LINES 2 /* "-- vmig:revision" and "-- vmig:up" (+1 for transaction off) */

/* Lints sql as the up section of a revision file; the findings in *out. */
static inline void lint_sql(const vmig_driver *d, const char *sql, bool transactional,
                            vmig_lint_findings *out)
{
	vmig_buf text = {0};
	vmig_revision rev;
	vmig_error err = {0};
	vmig_buf_printf(&text, "-- vmig:revision r1\n%s-- vmig:up\n%s",
	                transactional ? "" : "-- vmig:transaction off\n", sql);
	assert_int_equal(vmig_revision_parse("m/r1.sql", text.data, text.len, &rev, &err), VMIG_OK);
	memset(out, 0, sizeof *out);
	assert_int_equal(vmig_lint_revision(d, &rev, out, &err), VMIG_OK);
	vmig_revision_free(&rev);
	vmig_buf_free(&text);
}

/* The first finding of rule, or NULL. */
static inline const vmig_lint_finding *lint_find(const vmig_lint_findings *f, const char *rule)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->items[i].rule, rule) == 0)
			return &f->items[i];
	return NULL;
}

static inline void lint_print(const vmig_lint_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		print_message("  %s:%d: %s: %s\n", f->items[i].file, f->items[i].line,
		              f->items[i].rule, f->items[i].message);
}

/* Runs every case; each rule of the driver must have a case that fires and
 * one that does not. */
static inline void lint_run_cases(const vmig_driver *d, const lint_case *cases, size_t n)
{
	for (const char *const *r = d->lint_rules; *r; r++) {
		bool fires = false, quiet = false;
		for (size_t i = 0; i < n; i++)
			if (strcmp(cases[i].rule, *r) == 0)
				*(cases[i].fires ? &fires : &quiet) = true;
		if (!fires || !quiet)
			fail_msg("rule %s has no case that %s", *r,
			         fires ? "stays quiet" : "fires");
	}
	for (size_t i = 0; i < n; i++) {
		vmig_lint_findings f;
		lint_sql(d, cases[i].sql, cases[i].transactional, &f);
		const vmig_lint_finding *hit = lint_find(&f, cases[i].rule);
		if (!hit != !cases[i].fires) {
			print_message("case %zu: %s expected %s in:\n%s\nfound:\n", i,
			              cases[i].rule, cases[i].fires ? "to fire" : "to stay quiet",
			              cases[i].sql);
			lint_print(&f);
			fail();
		}
		if (hit) {
			assert_string_equal(hit->file, "m/r1.sql");
			assert_string_equal(hit->revision, "r1");
			assert_true(hit->message[0] && hit->safer[0]);
			if (cases[i].line)
				assert_int_equal(hit->line, cases[i].line + LINT_HEADER_LINES +
				                                !cases[i].transactional);
		}
		vmig_lint_findings_free(&f);
	}
}

#endif
