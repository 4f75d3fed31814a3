/*
 * lint.h - `vmig lint`: findings as data, and linting revisions with their
 * driver's rules.
 *
 * A driver's lint() (driver.h) reads one revision's up SQL and adds findings
 * with byte offsets into it; vmig_lint_revision() turns those into file:line,
 * applies `-- vmig:lint-ignore RULE[,RULE...]` comments and reports unknown
 * rule names in them.  Nothing here prints; the CLI shows the findings.
 */
#ifndef VMIG_LINT_H
#define VMIG_LINT_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

struct vmig_driver;
struct vmig_revision;

enum vmig_lint_severity {
	VMIG_LINT_WARNING, /* works, but locks or breaks a live database */
	VMIG_LINT_ERROR,   /* cannot work as written */
};

typedef struct vmig_lint_finding {
	char *file;     /* the revision file (set by vmig_lint_revision) */
	char *revision; /* its id (likewise) */
	int line;       /* line in the file (likewise, from offset) */
	size_t offset;  /* byte offset in the up SQL where the finding points */
	size_t stmt;    /* byte offset of the first token of its statement */
	char *rule;     /* a name of the driver's lint_rules, or of lint.c's own */
	enum vmig_lint_severity severity;
	char *message; /* what is wrong, naming the table or column */
	char *safer;   /* the safer pattern */
} vmig_lint_finding;

typedef struct vmig_lint_findings {
	vmig_lint_finding *items;
	size_t n, cap;
} vmig_lint_findings;

/* Adds a finding (strings copied; message printf-style). */
void vmig_lint_add(vmig_lint_findings *out, size_t offset, size_t stmt, const char *rule,
                   enum vmig_lint_severity severity, const char *safer, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
void vmig_lint_findings_free(vmig_lint_findings *f);

/* The name of an ignore comment's rule that the driver does not have. */
#define VMIG_LINT_UNKNOWN_IGNORE "unknown-lint-ignore"

/*
 * Lints one revision's up section with driver's rules and appends the
 * findings that no ignore comment silences to *out, file, revision and line
 * set, in the order of their lines.  A driver without lint() adds nothing.
 * Errors: what the driver returns (it reports SQL it cannot read as
 * findings, not as errors).
 */
int vmig_lint_revision(const struct vmig_driver *driver, const struct vmig_revision *rev,
                       vmig_lint_findings *out, vmig_error *err);

/* How many findings of f are at error level. */
size_t vmig_lint_errors(const vmig_lint_findings *f);

#endif
