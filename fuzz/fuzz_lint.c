/*
 * fuzz_lint.c - `vmig lint`: the PostgreSQL rules (drivers/pg_lint.h) and the
 * SQLite rules (drivers/sqlite_lint.h), alone and through
 * vmig_lint_revision (src/lint.h: lines, `-- vmig:lint-ignore` comments).
 *
 * The first byte picks the driver (bit 0: SQLite) and whether the revision
 * runs in a transaction (bit 1: `transaction off`); the rest is the up SQL.
 * The driver's lint() gets exactly those bytes (no NUL after them) and must
 * succeed (SQL it cannot read is a finding, never an error).  Properties of
 * every finding: offset and stmt inside the text, stmt <= offset and at a
 * real byte (not white space), a rule of the driver's lint_rules (or
 * "unknown-lint-ignore" through vmig_lint_revision), a non-empty message
 * without control bytes, valid UTF-8 (whatever the SQL), and a non-empty
 * safer pattern.  Through vmig_lint_revision: file, revision and a line
 * inside the section, findings in line order, and, without any ignore
 * comment, the driver's findings one for one.
 */
#include "../drivers/driver.h"
#include "../drivers/pg_lint.h"
#include "../drivers/sqlite_lint.h"
#include "../src/lint.h"
#include "../src/revision.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UP_LINE 3

/* The finding being checked, shown with a violation. */
static const vmig_lint_finding *current;

static void check(int ok, const char *what, size_t i)
{
	if (!ok) {
		fprintf(stderr, "fuzz_lint: property violated at finding %zu: %s\n", i, what);
		if (current)
			fprintf(stderr, "fuzz_lint: rule %s, offset %zu, stmt %zu, line %d: %s\n",
			        current->rule ? current->rule : "(null)", current->offset,
			        current->stmt, current->line,
			        current->message ? current->message : "(null)");
		abort();
	}
}

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* True when s[0, n) is valid UTF-8 (no overlong forms, no surrogates). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		unsigned min;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1, min = 0x80, cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2, min = 0x800, cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k + 1;
	}
	return true;
}

static bool contains(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);
	for (size_t i = 0; i + w <= n; i++)
		if (memcmp(s + i, word, w) == 0)
			return true;
	return false;
}

static bool in_rules(const char *const *rules, const char *rule)
{
	for (; *rules; rules++)
		if (strcmp(*rules, rule) == 0)
			return true;
	return false;
}

static void check_finding(const vmig_driver *d, const char *sql, size_t len, bool utf8,
                          const vmig_lint_finding *f, bool via_revision, size_t i)
{
	current = f;
	check(f->rule && (in_rules(d->lint_rules, f->rule) ||
	                  (via_revision && strcmp(f->rule, VMIG_LINT_UNKNOWN_IGNORE) == 0)),
	      "the rule is one of the driver's", i);
	check(f->offset <= len, "the offset is inside the text", i);
	check(f->stmt <= len, "the statement is inside the text", i);
	check(f->stmt <= f->offset, "the statement starts at or before the offset", i);
	/* The parser places a syntax error by characters, which invalid UTF-8 leaves
	 * undefined (the splitter's and the parser's counts may differ by a byte). */
	check(f->stmt == len || !is_space(sql[f->stmt]) ||
	          (!utf8 && strcmp(f->rule, "syntax-error") == 0),
	      "the statement starts at a real byte", i);
	check(f->message && f->message[0], "the message is not empty", i);
	check(f->safer && f->safer[0], "the safer pattern is not empty", i);
	for (const char *p = f->message; *p; p++)
		check((unsigned char)*p >= 0x20 && *p != 0x7f, "the message has no control byte",
		      i);
	check(utf8_valid((const unsigned char *)f->message, strlen(f->message)),
	      "the message is UTF-8", i);
	check(f->severity == VMIG_LINT_WARNING || f->severity == VMIG_LINT_ERROR,
	      "the severity is a level", i);
}

/* The line of off in sql after UP_LINE (LF, CRLF or a lone CR end a line). */
static int line_of(const char *sql, size_t off)
{
	int line = UP_LINE;
	for (size_t i = 0; i < off; i++)
		if (sql[i] == '\n' || (sql[i] == '\r' && sql[i + 1] != '\n'))
			line++;
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool sqlite = data[0] & 1, transactional = !(data[0] & 2);
	size_t len = size - 1;
	vmig_driver d = {
	    .version = VMIG_DRIVER_VERSION,
	    .name = sqlite ? "sqlite" : "postgresql",
	    .lint = sqlite ? vmig_sqlite_lint : vmig_pg_lint,
	    .lint_rules = sqlite ? vmig_sqlite_lint_rules : vmig_pg_lint_rules,
	};

	/* Exactly len bytes: lint() takes a length, not a C string. */
	char *sql = malloc(len ? len : 1);
	if (!sql)
		return 0;
	if (len)
		memcpy(sql, data + 1, len);
	bool utf8 = utf8_valid((const unsigned char *)sql, len);
	vmig_lint_findings f = {0};
	vmig_error err = {0};
	check(d.lint(sql, len, transactional, &f, &err) == VMIG_OK, "lint() succeeds", 0);
	for (size_t i = 0; i < f.n; i++) {
		check(f.items[i].file == NULL && f.items[i].line == 0,
		      "lint() leaves file and line alone", i);
		check_finding(&d, sql, len, utf8, &f.items[i], false, i);
	}
	size_t direct = f.n;
	current = NULL;
	vmig_lint_findings_free(&f);

	/* Through vmig_lint_revision, as `vmig lint` reads a file (to its first NUL). */
	size_t text_len = strnlen(sql, len);
	char *up = malloc(text_len + 1);
	if (!up) {
		free(sql);
		return 0;
	}
	memcpy(up, sql, text_len);
	up[text_len] = '\0';
	vmig_revision rev = {
	    .id = "r1",
	    .message = "",
	    .transactional = transactional,
	    .up_sql = up,
	    .up_line = UP_LINE,
	    .path = "fz/r1.sql",
	};
	check(vmig_lint_revision(&d, &rev, &f, &err) == VMIG_OK, "vmig_lint_revision succeeds", 0);
	bool ignores = contains(up, text_len, "vmig:lint-ignore");
	int prev_line = 0;
	for (size_t i = 0; i < f.n; i++) {
		const vmig_lint_finding *x = &f.items[i];
		check_finding(&d, up, text_len, utf8, x, true, i);
		check(x->file && strcmp(x->file, "fz/r1.sql") == 0, "the file is set", i);
		check(x->revision && strcmp(x->revision, "r1") == 0, "the revision is set", i);
		check(x->line == line_of(up, x->offset), "the line is the offset's", i);
		check(x->line >= prev_line, "findings are in line order", i);
		prev_line = x->line;
		check(ignores || strcmp(x->rule, VMIG_LINT_UNKNOWN_IGNORE) != 0,
		      "unknown-lint-ignore only with an ignore comment", i);
	}
	if (!ignores && text_len == len)
		check(f.n == direct, "without ignore comments, the driver's findings one for one",
		      f.n);
	current = NULL;
	vmig_lint_findings_free(&f);
	free(up);
	free(sql);
	return 0;
}
