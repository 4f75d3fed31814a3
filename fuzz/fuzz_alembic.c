/*
 * fuzz_alembic.c - the parser of the Alembic helper's records
 * (src/alembic_import.h), and the files the import renders from them.
 *
 * The input is the helper's whole output.  On success every revision must
 * render to a file whose name is one path component ending in .sql or
 * .sql.todo; a .sql file must read back (vmig_revision_parse) as the
 * revision it came from: same id, parents and message; a .sql.todo must say
 * why.  Error messages hold no control byte but LF.
 */
#include "alembic_import.h"
#include "revision.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_alembic: property violated: %s\n", what);
		abort();
	}
}

static void check_message(const char *msg)
{
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		check(*p >= 0x20 || *p == '\n', "control byte in an error message");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The file's parents, joined by single spaces, as the record spells them. */
static void check_same(const vmig_alembic_rev *r, const vmig_revision *parsed)
{
	char joined[4096] = "";
	size_t len = 0;
	check(strcmp(parsed->id, r->id) == 0, "the file's id is not the revision's");
	for (size_t i = 0; i < parsed->nparents && len < sizeof joined - 100; i++)
		len += (size_t)snprintf(joined + len, sizeof joined - len, "%s%s", i ? " " : "",
		                        parsed->parents[i]);
	if (len < sizeof joined - 100)
		check(strcmp(joined, r->parents) == 0, "the file's parents are not the revision's");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vmig_alembic_history h;
	vmig_error err = {0};
	if (vmig_alembic_parse((const char *)data, size, &h, &err) != VMIG_OK) {
		check(err.code == VMIG_ERR_RUNTIME, "a parse error is not VMIG_ERR_RUNTIME");
		check_message(err.msg);
		return 0;
	}
	for (size_t i = 0; i < h.n; i++) {
		vmig_import_file f;
		vmig_import_render(&h.revs[i], &f);
		check(strchr(f.name, '/') == NULL && f.name[0] != '.',
		      "a file name is not one component");
		check(ends_with(f.name, f.todo ? ".sql.todo" : ".sql"),
		      "a file name's suffix is wrong");
		if (f.todo) {
			check(f.reason && f.why && strstr(f.text, "TODO") != NULL,
			      "a todo without a reason");
		} else {
			vmig_revision parsed;
			vmig_error perr = {0};
			check(vmig_revision_parse(f.name, f.text, strlen(f.text), &parsed, &perr) ==
			          VMIG_OK,
			      "a .sql file the import wrote does not parse");
			check_same(&h.revs[i], &parsed);
			vmig_revision_free(&parsed);
		}
		vmig_import_file_free(&f);
	}
	vmig_alembic_free(&h);
	return 0;
}
