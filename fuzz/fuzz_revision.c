/*
 * fuzz_revision.c - the migration file parser (src/revision.h).
 *
 * The input is a whole file.  On success the revision must be one the rest
 * of vmig can rely on (a valid id and valid parents, an up section, line
 * numbers that grow with the offset), its checksum 64 lowercase hex digits,
 * vmig_revision_line_at must accept every offset in its sections, and the
 * same file with LF line ends must be the same revision (LF, CRLF and a lone
 * CR are all one line end).  Error messages hold no control byte but LF.
 */
#include "revision.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_revision: property violated: %s\n", what);
		abort();
	}
}

/* Line ends in s: LF, CRLF and a lone CR count one each (revision.h). */
static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n' || (*s == '\r' && s[1] != '\n');
	return n;
}

/* Messages show the file's control bytes escaped: none but LF in them. */
static void check_message(const char *msg)
{
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		check((*p >= 0x20 && *p != 0x7f) || *p == '\n', "a message holds a control byte");
}

/* text with every line end (CRLF, lone CR, LF) made LF; *n in, new length out. */
static char *to_lf(const char *text, size_t *n)
{
	char *out = malloc(*n ? *n : 1);
	size_t o = 0;
	if (!out)
		abort();
	for (size_t i = 0; i < *n; i++) {
		if (text[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < *n && text[i + 1] == '\n')
				i++;
		} else {
			out[o++] = text[i];
		}
	}
	*n = o;
	return out;
}

static int same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * Every line end is the same to the parser and the checksum, so the file
 * with LF line ends must read as the same revision.
 */
static void check_line_ends(const char *text, size_t size, vmig_revision *rev)
{
	size_t n = size;
	char *lf = to_lf(text, &n);
	vmig_revision other;
	vmig_error err = {0};
	if (vmig_revision_parse("fuzz.sql", lf, n, &other, &err) != VMIG_OK) {
		fprintf(stderr, "fuzz_revision: with LF line ends: %s\n", err.msg);
		check(0, "the file with LF line ends parses too");
	}
	check(strcmp(rev->id, other.id) == 0 && rev->nparents == other.nparents &&
	          same_string(rev->message, other.message) &&
	          rev->transactional == other.transactional && rev->up_line == other.up_line &&
	          rev->down_line == other.down_line && rev->parents_line == other.parents_line &&
	          (rev->down_sql == NULL) == (other.down_sql == NULL),
	      "the file with LF line ends is the same revision");
	for (size_t i = 0; i < rev->nparents; i++)
		check(strcmp(rev->parents[i], other.parents[i]) == 0,
		      "the file with LF line ends has the same parents");
	check(strcmp(vmig_revision_checksum(rev), vmig_revision_checksum(&other)) == 0,
	      "the file with LF line ends has the same checksum");
	vmig_revision_free(&other);
	free(lf);
}

static void check_section(const vmig_revision *rev, int down)
{
	const char *sql = down ? rev->down_sql : rev->up_sql;
	int first = down ? rev->down_line : rev->up_line;
	size_t len = strlen(sql);
	int prev = vmig_revision_line_at(rev, down, 0);

	check(prev == first, "line_at(0) is the section's first line");
	/* Every offset for a short section, a sample of them for a long one. */
	size_t step = len < 512 ? 1 : len / 256;
	for (size_t off = 0; off <= len; off += step) {
		int line = vmig_revision_line_at(rev, down, off);
		check(line >= prev, "line_at grows with the offset");
		check(line <= first + count_lines(sql), "line_at stays inside the section");
		prev = line;
	}
	check(vmig_revision_line_at(rev, down, len) == first + count_lines(sql),
	      "line_at(end) is the section's last line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes, not NUL-terminated: the parser takes a length. */
	char *text = malloc(size ? size : 1);
	vmig_revision rev;
	vmig_error err = {0};

	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	int rc = vmig_revision_parse("fuzz.sql", text, size, &rev, &err);
	if (rc != VMIG_OK) {
		check(rc == VMIG_ERR_INPUT, "a parse error is VMIG_ERR_INPUT");
		check(err.code == rc && err.msg[0] != '\0', "a parse error has a message");
		check_message(err.msg);
		check(rev.id == NULL && rev.up_sql == NULL, "a failed parse leaves *out zeroed");
		free(text);
		return 0;
	}
	check(rev.id && vmig_revision_id_valid(rev.id), "the id is valid");
	for (size_t i = 0; i < rev.nparents; i++)
		check(vmig_revision_id_valid(rev.parents[i]), "every parent id is valid");
	check(rev.up_sql != NULL && rev.message != NULL, "up_sql and message are set");
	check(rev.up_line >= 1, "up_line is a line number");
	check_section(&rev, 0);
	if (rev.down_sql) {
		check(rev.down_line > rev.up_line, "the down section comes after the up section");
		check_section(&rev, 1);
	}

	const char *sum = vmig_revision_checksum(&rev);
	check(strlen(sum) == 64 && strspn(sum, "0123456789abcdef") == 64,
	      "the checksum is 64 lowercase hex digits");
	check(vmig_revision_checksum(&rev) == sum, "the checksum is kept");
	char again[VMIG_CHECKSUM_HEX];
	vmig_checksum(rev.up_sql, rev.down_sql, again);
	check(strcmp(again, sum) == 0, "the checksum is deterministic");

	check_line_ends(text, size, &rev);

	vmig_revision_free(&rev);
	free(text);
	return 0;
}
