/*
 * lint.c - linting a revision with its driver's rules (see lint.h): line
 * numbers, and `-- vmig:lint-ignore RULE[,RULE...]` comments.
 *
 * An ignore comment is a line of its own, `--` then `vmig:lint-ignore` and
 * rule names separated by commas or spaces, then optionally a reason after
 * a ':' or a further `--`.  It silences those rules for the
 * statement that starts on the line below the run of `--` comment lines it
 * is part of (a blank line or any other text ends the run).  A name that is
 * no rule of the driver is itself a finding, so that a typo does not
 * silently leave a finding on.
 */
#include "lint.h"

#include "alloc.h"
#include "driver.h"
#include "revision.h"

#include <stdlib.h>
#include <string.h>

#define IGNORE_WORD "vmig:lint-ignore"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static bool is_eol(char c)
{
	return c == '\n' || c == '\r';
}

/* Where each line of the section starts (a line ends at LF, CRLF or a lone
 * CR, as for vmig_revision_line_at), so that a finding's line and the lines
 * above it are found without reading the text again: huge sections with
 * many findings stay linear. */
typedef struct line_index {
	size_t *start; /* start[0] is 0 */
	size_t n;
} line_index;

static line_index index_lines(const char *sql, size_t len)
{
	line_index li = {0};
	size_t cap = 0;
	XGROW(li.start, cap, 1);
	li.start[li.n++] = 0;
	for (size_t i = 0; i < len; i++)
		if (sql[i] == '\n' || (sql[i] == '\r' && (i + 1 >= len || sql[i + 1] != '\n'))) {
			XGROW(li.start, cap, li.n + 1);
			li.start[li.n++] = i + 1;
		}
	return li;
}

/* The index of the line holding off (the last start at or before it). */
static size_t line_of(const line_index *li, size_t off)
{
	size_t lo = 0, hi = li->n; /* start[lo] <= off < start[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (li->start[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Where line k's text ends (before its LF, CRLF or CR). */
static size_t line_end(const char *sql, size_t len, const line_index *li, size_t k)
{
	size_t e = k + 1 < li->n ? li->start[k + 1] : len;
	while (e > li->start[k] && is_eol(sql[e - 1]))
		e--;
	return e;
}

/* The first non-blank byte of the line starting at off, and where the line ends. */
static size_t skip_line_blank(const char *sql, size_t len, size_t off, size_t *eol)
{
	while (off < len && is_blank(sql[off]))
		off++;
	size_t e = off;
	while (e < len && !is_eol(sql[e]))
		e++;
	*eol = e;
	return off;
}

/*
 * When the line at [at, eol) is an ignore comment: where its names start,
 * and where they end (*eol moves): at a ':' or a further `--`, after which
 * the line is the reason, in words that are not rule names.
 */
static bool ignore_names(const char *sql, size_t at, size_t *eol_io, size_t *names)
{
	size_t eol = *eol_io;
	if (eol - at < 2 || sql[at] != '-' || sql[at + 1] != '-')
		return false;
	at += 2;
	while (at < eol && is_blank(sql[at]))
		at++;
	size_t w = strlen(IGNORE_WORD);
	if (eol - at < w || strncmp(sql + at, IGNORE_WORD, w) != 0)
		return false;
	at += w;
	if (at < eol && !is_blank(sql[at]) && sql[at] != ',')
		return false; /* vmig:lint-ignored..., another word */
	*names = at;
	for (size_t p = at; p < eol; p++)
		if (sql[p] == ':' || (sql[p] == '-' && p + 1 < eol && sql[p + 1] == '-')) {
			*eol_io = p;
			break;
		}
	return true;
}

/* The next name of an ignore comment in [*at, eol), or false. */
static bool next_name(const char *sql, size_t *at, size_t eol, size_t *start, size_t *len)
{
	size_t p = *at;
	while (p < eol && (is_blank(sql[p]) || sql[p] == ','))
		p++;
	if (p >= eol)
		return false;
	*start = p;
	while (p < eol && !is_blank(sql[p]) && sql[p] != ',')
		p++;
	*len = p - *start;
	*at = p;
	return true;
}

static bool known_rule(const vmig_driver *d, const char *name, size_t len)
{
	for (const char *const *r = d->lint_rules; r && *r; r++)
		if (strlen(*r) == len && strncmp(*r, name, len) == 0)
			return true;
	return false;
}

/* Reports every name of every ignore comment that is no rule of d. */
static void check_ignores(const vmig_driver *d, const char *sql, size_t len,
                          vmig_lint_findings *out)
{
	size_t off = 0;
	while (off < len) {
		size_t eol, names, start, n;
		size_t at = skip_line_blank(sql, len, off, &eol);
		size_t names_end = eol;
		if (ignore_names(sql, at, &names_end, &names)) {
			size_t p = names;
			bool any = false;
			while (next_name(sql, &p, names_end, &start, &n)) {
				any = true;
				if (!known_rule(d, sql + start, n))
					vmig_lint_add(
					    out, start, start, VMIG_LINT_UNKNOWN_IGNORE,
					    VMIG_LINT_WARNING,
					    "name a rule that `vmig lint` reports, as it "
					    "prints it",
					    "\"%.*s\" in a lint-ignore comment is no rule "
					    "of the %s lint, so it silences nothing",
					    (int)(n > 200 ? 200 : n), sql + start, d->name);
			}
			if (!any)
				vmig_lint_add(out, at, at, VMIG_LINT_UNKNOWN_IGNORE,
				              VMIG_LINT_WARNING,
				              "-- vmig:lint-ignore RULE[,RULE...]",
				              "a lint-ignore comment without a rule name silences "
				              "nothing");
		}
		off = eol;
		if (off < len && sql[off] == '\r')
			off++;
		if (off < len && sql[off] == '\n')
			off++;
	}
}

/* True when an ignore comment in the comment lines directly above the
 * statement at stmt names rule. */
static bool ignored(const char *sql, size_t len, const line_index *li, size_t stmt,
                    const char *rule)
{
	size_t rlen = strlen(rule);
	for (size_t k = line_of(li, stmt); k > 0; k--) {
		size_t eol = line_end(sql, len, li, k - 1), names, name, n;
		size_t at = li->start[k - 1];
		while (at < eol && is_blank(sql[at]))
			at++;
		if (eol - at < 2 || sql[at] != '-' || sql[at + 1] != '-')
			return false; /* a blank line or SQL ends the comment run */
		if (!ignore_names(sql, at, &eol, &names))
			continue;
		while (next_name(sql, &names, eol, &name, &n))
			if (n == rlen && strncmp(sql + name, rule, n) == 0)
				return true;
	}
	return false;
}

/* Orders findings by line, then as the driver gave them. */
typedef struct placed {
	int line;
	size_t index;
} placed;

static int by_line(const void *a, const void *b)
{
	const placed *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int vmig_lint_revision(const vmig_driver *driver, const vmig_revision *rev, vmig_lint_findings *out,
                       vmig_error *err)
{
	if (!driver->lint)
		return VMIG_OK;
	const char *sql = rev->up_sql;
	size_t len = strlen(sql);
	vmig_lint_findings found = {0};
	int rc = driver->lint(sql, len, rev->transactional, &found, err);
	if (rc) {
		vmig_lint_findings_free(&found);
		return rc;
	}
	check_ignores(driver, sql, len, &found);
	line_index li = index_lines(sql, len);
	placed *keep = xcalloc(found.n ? found.n : 1, sizeof *keep);
	size_t nkeep = 0;
	for (size_t i = 0; i < found.n; i++) {
		vmig_lint_finding *f = &found.items[i];
		size_t stmt = f->stmt <= len ? f->stmt : len;
		if (strcmp(f->rule, VMIG_LINT_UNKNOWN_IGNORE) != 0 &&
		    ignored(sql, len, &li, stmt, f->rule)) {
			free(f->rule);
			free(f->message);
			free(f->safer);
			continue;
		}
		f->file = xstrdup(rev->path);
		f->revision = xstrdup(rev->id);
		/* vmig_revision_line_at's count, from the index */
		f->line = rev->up_line + (int)line_of(&li, f->offset <= len ? f->offset : len);
		keep[nkeep++] = (placed){f->line, i};
	}
	/* In line order, keeping the driver's order on one line. */
	qsort(keep, nkeep, sizeof *keep, by_line);
	XGROW(out->items, out->cap, out->n + nkeep);
	for (size_t i = 0; i < nkeep; i++)
		out->items[out->n++] = found.items[keep[i].index];
	free(keep);
	free(li.start);
	free(found.items);
	return VMIG_OK;
}
