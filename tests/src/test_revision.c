/*
 * test_revision.c - one migration file: parsing, line numbers, checksum
 * (SPEC "Migration files" and "Bookkeeping").
 */
#include "testutil.h"

#include "revision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses text as file "m/x.sql"; the test fails with the message when it does not parse. */
static void parse_ok(const char *text, vmig_revision *rev)
{
	vmig_error err = {0};
	int rc = vmig_revision_parse("m/x.sql", text, strlen(text), rev, &err);
	if (rc != VMIG_OK)
		fail_msg("expected the file to parse, got %d: %s\n--- file ---\n%s", rc, err.msg,
		         text);
}

static const char full_file[] = "-- vmig:revision 9b41d07e2c55\n"                     /* 1 */
                                "-- vmig:down_revision 3f2a9c1e7b10\n"                /* 2 */
                                "-- vmig:message add real estate\n"                   /* 3 */
                                "-- vmig:transaction off\n"                           /* 4 */
                                "\n"                                                  /* 5 */
                                "-- vmig:up\n"                                        /* 6 */
                                "CREATE TABLE real_estate (\n"                        /* 7 */
                                "    id integer PRIMARY KEY,\n"                       /* 8 */
                                "    address text NOT NULL -- where; it is\n"         /* 9 */
                                ");\n"                                                /* 10 */
                                "CREATE INDEX re_address ON real_estate (address);\n" /* 11 */
                                "\n"                                                  /* 12 */
                                "-- vmig:down\n"                                      /* 13 */
                                "DROP TABLE real_estate;\n";                          /* 14 */

static void test_full_file(void **state)
{
	(void)state;
	vmig_revision r;
	parse_ok(full_file, &r);
	assert_string_equal(r.id, "9b41d07e2c55");
	assert_int_equal(r.nparents, 1);
	assert_string_equal(r.parents[0], "3f2a9c1e7b10");
	assert_int_equal(r.parents_line, 2);
	assert_string_equal(r.message, "add real estate");
	assert_false(r.transactional);
	assert_string_equal(r.up_sql, "CREATE TABLE real_estate (\n"
	                              "    id integer PRIMARY KEY,\n"
	                              "    address text NOT NULL -- where; it is\n"
	                              ");\n"
	                              "CREATE INDEX re_address ON real_estate (address);\n"
	                              "\n");
	assert_int_equal(r.up_line, 7);
	assert_string_equal(r.down_sql, "DROP TABLE real_estate;\n");
	assert_int_equal(r.down_line, 14);
	assert_string_equal(r.path, "m/x.sql");
	assert_false(r.from_db);
	vmig_revision_free(&r);
}

static void test_root_defaults(void **state)
{
	(void)state;
	vmig_revision r;
	parse_ok("-- vmig:revision 3f2a9c1e7b10\n"
	         "-- a plain comment before the SQL\n"
	         "\n"
	         "-- vmig:up\n"
	         "CREATE TABLE users (id integer PRIMARY KEY);\n"
	         "-- vmig:down\n"
	         "DROP TABLE users;\n",
	         &r);
	assert_string_equal(r.id, "3f2a9c1e7b10");
	assert_int_equal(r.nparents, 0);
	assert_null(r.parents);
	assert_int_equal(r.parents_line, 0);
	assert_string_equal(r.message, "");
	assert_true(r.transactional);
	assert_int_equal(r.up_line, 5);
	assert_int_equal(r.down_line, 7);
	vmig_revision_free(&r);

	/* An empty down_revision line is a root too. */
	parse_ok("-- vmig:revision a1\n-- vmig:down_revision\n-- vmig:transaction on\n"
	         "-- vmig:up\nSELECT 1;\n",
	         &r);
	assert_int_equal(r.nparents, 0);
	assert_true(r.transactional);
	vmig_revision_free(&r);
}

static void test_merge_parents_in_order(void **state)
{
	(void)state;
	vmig_revision r;
	parse_ok("-- vmig:revision m1\n"
	         "-- vmig:down_revision  zz9 \t aa1   mm5\n"
	         "-- vmig:message   merge   the three  \n"
	         "-- vmig:up\n"
	         "-- vmig:down\n",
	         &r);
	assert_int_equal(r.nparents, 3);
	assert_string_equal(r.parents[0], "zz9");
	assert_string_equal(r.parents[1], "aa1");
	assert_string_equal(r.parents[2], "mm5");
	/* The value is trimmed at both ends, inner spaces kept. */
	assert_string_equal(r.message, "merge   the three");
	assert_string_equal(r.up_sql, "");
	assert_string_equal(r.down_sql, "");
	vmig_revision_free(&r);
}

static void test_no_down_is_irreversible(void **state)
{
	(void)state;
	vmig_revision r;
	parse_ok("-- vmig:revision a1\n-- vmig:up\nCREATE TABLE t (id integer);\n", &r);
	assert_null(r.down_sql);
	assert_int_equal(r.down_line, 0);
	assert_string_equal(r.up_sql, "CREATE TABLE t (id integer);\n");
	vmig_revision_free(&r);
}

static void test_empty_down_is_noop(void **state)
{
	(void)state;
	vmig_revision r;
	parse_ok("-- vmig:revision a1\n-- vmig:up\nCREATE TABLE t (id integer);\n-- vmig:down\n",
	         &r);
	assert_non_null(r.down_sql);
	assert_string_equal(r.down_sql, "");
	vmig_revision_free(&r);

	/* The same with no newline after the down line. */
	parse_ok("-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n-- vmig:down", &r);
	assert_non_null(r.down_sql);
	assert_string_equal(r.down_sql, "");
	assert_string_equal(r.up_sql, "SELECT 1;\n");
	vmig_revision_free(&r);

	/* Only blank lines and comments in it: still a reversible revision. */
	parse_ok("-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n-- vmig:down\n\n-- nothing to do\n",
	         &r);
	assert_non_null(r.down_sql);
	vmig_revision_free(&r);
}

static void test_crlf_file(void **state)
{
	(void)state;
	vmig_revision r, lf;
	parse_ok("-- vmig:revision a1\r\n"
	         "-- vmig:down_revision p1 p2\r\n"
	         "-- vmig:message windows file\r\n"
	         "-- vmig:transaction off\r\n"
	         "-- vmig:up\r\n"
	         "CREATE TABLE t (id integer);\r\n"
	         "-- vmig:down\r\n"
	         "DROP TABLE t;\r\n",
	         &r);
	assert_string_equal(r.id, "a1");
	assert_int_equal(r.nparents, 2);
	assert_string_equal(r.parents[1], "p2");
	assert_string_equal(r.message, "windows file");
	assert_false(r.transactional);
	assert_int_equal(r.up_line, 6);
	assert_int_equal(r.down_line, 8);
	/* The SQL is passed on as written... */
	assert_string_equal(r.up_sql, "CREATE TABLE t (id integer);\r\n");
	/* ...but checksums like the LF file. */
	parse_ok("-- vmig:revision a1\n-- vmig:down_revision p1 p2\n-- vmig:message windows file\n"
	         "-- vmig:transaction off\n-- vmig:up\nCREATE TABLE t (id integer);\n"
	         "-- vmig:down\nDROP TABLE t;\n",
	         &lf);
	assert_string_equal(vmig_revision_checksum(&r), vmig_revision_checksum(&lf));
	vmig_revision_free(&r);
	vmig_revision_free(&lf);
}

/* A lone CR (classic Mac OS, some generators) ends a line as LF and CRLF do. */
static void test_lone_cr_file(void **state)
{
	(void)state;
	vmig_revision r, lf;
	parse_ok("-- vmig:revision a1\r"
	         "-- vmig:down_revision p1 p2\r"
	         "-- vmig:message old mac file\r"
	         "-- vmig:transaction off\r"
	         "-- vmig:up\r"
	         "CREATE TABLE t (id integer);\r"
	         "-- vmig:down\r"
	         "DROP TABLE t;\r",
	         &r);
	assert_string_equal(r.id, "a1");
	assert_int_equal(r.nparents, 2);
	assert_string_equal(r.parents[0], "p1");
	assert_string_equal(r.parents[1], "p2");
	assert_string_equal(r.message, "old mac file");
	assert_false(r.transactional);
	assert_int_equal(r.up_line, 6);
	assert_int_equal(r.down_line, 8);
	assert_string_equal(r.up_sql, "CREATE TABLE t (id integer);\r"); /* as written */
	assert_string_equal(r.down_sql, "DROP TABLE t;\r");
	parse_ok("-- vmig:revision a1\n-- vmig:down_revision p1 p2\n-- vmig:message old mac file\n"
	         "-- vmig:transaction off\n-- vmig:up\nCREATE TABLE t (id integer);\n"
	         "-- vmig:down\nDROP TABLE t;\n",
	         &lf);
	assert_string_equal(vmig_revision_checksum(&r), vmig_revision_checksum(&lf));
	vmig_revision_free(&r);
	vmig_revision_free(&lf);
}

/* LF, CRLF and lone CR mixed in one file: each is one line end. */
static void test_mixed_line_ends(void **state)
{
	(void)state;
	vmig_revision r;
	parse_ok("-- vmig:revision a1\r\n" /* 1 */
	         "-- vmig:message mixed\n" /* 2 */
	         "\r"                      /* 3 */
	         "-- vmig:up\r"            /* 4 */
	         "SELECT 1;\r\r\n"         /* 5, 6 */
	         "SELECT 2;\n"             /* 7 */
	         "-- vmig:down\r\n"        /* 8 */
	         "SELECT 3;",              /* 9 */
	         &r);
	assert_string_equal(r.message, "mixed");
	assert_int_equal(r.up_line, 5);
	assert_int_equal(r.down_line, 9);
	assert_string_equal(r.up_sql, "SELECT 1;\r\r\nSELECT 2;\n");
	assert_int_equal(vmig_revision_line_at(&r, false, strlen("SELECT 1;")), 5);
	assert_int_equal(vmig_revision_line_at(&r, false, strlen("SELECT 1;\r")), 6);
	assert_int_equal(vmig_revision_line_at(&r, false, strlen("SELECT 1;\r\r")), 6);
	assert_int_equal(vmig_revision_line_at(&r, false, strlen("SELECT 1;\r\r\n")), 7);
	assert_int_equal(vmig_revision_line_at(&r, true, 3), 9);
	char want[VMIG_CHECKSUM_HEX];
	vmig_checksum("SELECT 1;\n\nSELECT 2;\n", "SELECT 3;", want);
	assert_string_equal(vmig_revision_checksum(&r), want);
	vmig_revision_free(&r);
}

static void test_leading_bom(void **state)
{
	(void)state;
	vmig_revision r;
	parse_ok("\xEF\xBB\xBF-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n", &r);
	assert_string_equal(r.id, "a1");
	assert_int_equal(r.up_line, 3);
	vmig_revision_free(&r);
}

static void test_directive_spellings(void **state)
{
	(void)state;
	vmig_revision r;
	/* `--vmig:` without the space, and extra spaces, are directives all the same. */
	parse_ok("--vmig:revision a1\n"
	         "--  vmig:message tight\n"
	         "--vmig:up\n"
	         "SELECT 1;\n"
	         "  -- vmig:down\n"
	         "SELECT 2;\n",
	         &r);
	assert_string_equal(r.id, "a1");
	assert_string_equal(r.message, "tight");
	assert_string_equal(r.up_sql, "SELECT 1;\n");
	assert_string_equal(r.down_sql, "SELECT 2;\n");
	vmig_revision_free(&r);

	/* A comment that merely mentions vmig is not a directive. */
	parse_ok("-- vmig:revision a1\n-- see the vmig: docs\n-- vmig:up\n-- vmig is great\n"
	         "SELECT 1;\n",
	         &r);
	assert_string_equal(r.up_sql, "-- vmig is great\nSELECT 1;\n");
	vmig_revision_free(&r);
}

static void test_id_rules(void **state)
{
	(void)state;
	char id64[65], id65[66];
	memset(id64, 'a', 64);
	id64[64] = '\0';
	memset(id65, 'a', 65);
	id65[65] = '\0';
	assert_true(vmig_revision_id_valid("a"));
	assert_true(vmig_revision_id_valid("9"));
	assert_true(vmig_revision_id_valid("A_b_9"));
	assert_true(vmig_revision_id_valid(id64));
	assert_false(vmig_revision_id_valid(id65));
	assert_false(vmig_revision_id_valid(""));
	assert_false(vmig_revision_id_valid("_a"));
	assert_false(vmig_revision_id_valid("a-b"));
	assert_false(vmig_revision_id_valid("a b"));
	assert_false(vmig_revision_id_valid("a.b"));
	assert_false(vmig_revision_id_valid("\xc3\xa9t\xc3\xa9"));

	/* 64 characters parse. */
	char text[256];
	vmig_revision r;
	snprintf(text, sizeof text, "-- vmig:revision %s\n-- vmig:up\n", id64);
	parse_ok(text, &r);
	assert_string_equal(r.id, id64);
	vmig_revision_free(&r);
}

static void test_line_at(void **state)
{
	(void)state;
	vmig_revision r;
	parse_ok(full_file, &r);
	assert_int_equal(vmig_revision_line_at(&r, false, 0), 7);
	size_t second = strlen("CREATE TABLE real_estate (\n");
	assert_int_equal(vmig_revision_line_at(&r, false, second), 8);
	const char *idx = strstr(r.up_sql, "CREATE INDEX");
	assert_int_equal(vmig_revision_line_at(&r, false, (size_t)(idx - r.up_sql)), 11);
	/* The middle of a line is still that line. */
	assert_int_equal(vmig_revision_line_at(&r, false, (size_t)(idx - r.up_sql) + 7), 11);
	assert_int_equal(vmig_revision_line_at(&r, true, 0), 14);
	assert_int_equal(vmig_revision_line_at(&r, true, 5), 14);
	vmig_revision_free(&r);

	/* CRLF: one line per CRLF, not two. */
	parse_ok("-- vmig:revision a1\r\n-- vmig:up\r\nSELECT 1;\r\nSELECT 2;\r\n", &r);
	assert_int_equal(vmig_revision_line_at(&r, false, strlen("SELECT 1;\r\n")), 4);
	vmig_revision_free(&r);

	/* Lone CR: one line each, as the parser counts them. */
	parse_ok("-- vmig:revision a1\r-- vmig:up\rSELECT 1;\rSELECT 2;\rSELECT 3;\r", &r);
	assert_int_equal(r.up_line, 3);
	assert_int_equal(vmig_revision_line_at(&r, false, strlen("SELECT 1;\r")), 4);
	assert_int_equal(vmig_revision_line_at(&r, false, strlen("SELECT 1;\rSELECT 2;\r")), 5);
	vmig_revision_free(&r);
}

static void test_load_from_disk(void **state)
{
	(void)state;
	char *dir = tu_tempdir("revision-load");
	tu_write(dir, "sub/a1_first.sql", "-- vmig:revision a1\n-- vmig:up\nSELECT 1;\n");
	char path[4096];
	snprintf(path, sizeof path, "%s/sub/a1_first.sql", dir);
	vmig_revision r;
	vmig_error err = {0};
	assert_int_equal(vmig_revision_load(path, &r, &err), VMIG_OK);
	assert_string_equal(r.id, "a1");
	assert_string_equal(r.path, path);
	vmig_revision_free(&r);

	snprintf(path, sizeof path, "%s/missing.sql", dir);
	assert_int_equal(vmig_revision_load(path, &r, &err), VMIG_ERR_INPUT);
	assert_contains(err.msg, path);
	tu_rmtree(dir);
	free(dir);
}

static void sum(const char *up, const char *down, char out[VMIG_CHECKSUM_HEX])
{
	vmig_checksum(up, down, out);
	assert_int_equal(strlen(out), 64);
}

static void test_checksum_normalization(void **state)
{
	(void)state;
	char base[VMIG_CHECKSUM_HEX], other[VMIG_CHECKSUM_HEX];
	sum("CREATE TABLE t (id integer);\nINSERT INTO t VALUES (1);\n", "DROP TABLE t;\n", base);

	sum("CREATE TABLE t (id integer);\r\nINSERT INTO t VALUES (1);\r\n", "DROP TABLE t;\r\n",
	    other);
	assert_string_equal(base, other); /* CRLF */
	sum("CREATE TABLE t (id integer);\rINSERT INTO t VALUES (1);\r", "DROP TABLE t;\r", other);
	assert_string_equal(base, other); /* lone CR */
	sum("CREATE TABLE t (id integer);   \nINSERT INTO t VALUES (1);\t\n", "DROP TABLE t; \n",
	    other);
	assert_string_equal(base, other); /* trailing white space */
	sum("CREATE TABLE t (id integer);\nINSERT INTO t VALUES (1);\n\n\n  \n",
	    "DROP TABLE t;\n\n\n", other);
	assert_string_equal(base, other); /* trailing blank lines */
	sum("CREATE TABLE t (id integer);\nINSERT INTO t VALUES (1);", "DROP TABLE t;", other);
	assert_string_equal(base, other); /* no final newline */
	sum("\xEF\xBB\xBF"
	    "CREATE TABLE t (id integer);\nINSERT INTO t VALUES (1);\n",
	    "DROP TABLE t;\n", other);
	assert_string_equal(base, other); /* leading BOM */
}

static void test_checksum_sensitivity(void **state)
{
	(void)state;
	char base[VMIG_CHECKSUM_HEX], other[VMIG_CHECKSUM_HEX];
	sum("CREATE TABLE t (id integer);\n", "DROP TABLE t;\n", base);

	sum("CREATE TABLE t (id bigint);\n", "DROP TABLE t;\n", other);
	assert_string_not_equal(base, other); /* up SQL changed */
	sum("CREATE TABLE t (id integer);\n", "DROP TABLE IF EXISTS t;\n", other);
	assert_string_not_equal(base, other); /* down SQL changed */
	sum("CREATE TABLE t (id integer);\n", NULL, other);
	assert_string_not_equal(base, other); /* down section removed: now irreversible */
	char none[VMIG_CHECKSUM_HEX];
	sum("CREATE TABLE t (id integer);\n", "", none);
	assert_string_not_equal(other, none); /* irreversible is not the same as a no-op down */
	sum("  CREATE TABLE t (id integer);\n", "DROP TABLE t;\n", other);
	assert_string_not_equal(base, other); /* leading white space counts */
	sum("CREATE TABLE t\n(id integer);\n", "DROP TABLE t;\n", other);
	assert_string_not_equal(base, other); /* a line break moved */
	sum("DROP TABLE t;\n", "CREATE TABLE t (id integer);\n", other);
	assert_string_not_equal(base, other); /* up and down swapped */
	sum("CREATE TABLE t (id integer);\n\n", "\nDROP TABLE t;\n", other);
	assert_string_not_equal(base, other); /* a blank line at the start of down counts */
}

/*
 * The documented algorithm, pinned: SHA-256 of
 * "CREATE TABLE t (id integer);\n-- vmig:down\nDROP TABLE t;"
 * (computed independently with `printf ... | sha256sum`).  If this fails, the
 * algorithm changed: every database would report drift, so bump
 * VMIG_CHECKSUM_VERSION instead.
 */
static void test_checksum_known_value(void **state)
{
	(void)state;
	static const char pinned[] =
	    "1d3feda79e967df081e834ed2de6a9b31b0d7682e5a1ffb211a627fdf8d09061";
	char out[VMIG_CHECKSUM_HEX];
	sum("CREATE TABLE t (id integer);\n", "DROP TABLE t;\n", out);
	assert_string_equal(out, pinned);
	assert_int_equal(VMIG_CHECKSUM_VERSION, 1);

	vmig_revision r;
	parse_ok("-- vmig:revision a1\n-- vmig:message pinned\n\n-- vmig:up\n"
	         "CREATE TABLE t (id integer);\n\n-- vmig:down\nDROP TABLE t;\n\n",
	         &r);
	assert_string_equal(vmig_revision_checksum(&r), pinned);
	/* Computed once and kept. */
	assert_string_equal(r.checksum, pinned);
	vmig_revision_free(&r);

	/* The same SQL with CRLF or lone CR line ends: the same value. */
	sum("CREATE TABLE t (id integer);\r\n", "DROP TABLE t;\r\n", out);
	assert_string_equal(out, pinned);
	sum("CREATE TABLE t (id integer);\r", "DROP TABLE t;\r\r", out);
	assert_string_equal(out, pinned);

	/* Without a down section: SHA-256 of "SELECT 1;" alone. */
	sum("SELECT 1;\n", NULL, out);
	assert_string_equal(out,
	                    "17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a");
}

static void test_checksum_of_file_ignores_header(void **state)
{
	(void)state;
	vmig_revision a, b;
	/* Header edits (message, comments) do not count as drift: only the SQL does. */
	parse_ok("-- vmig:revision a1\n-- vmig:message one\n-- vmig:up\nSELECT 1;\n-- vmig:down\n",
	         &a);
	parse_ok("-- vmig:revision a1\n-- vmig:message two\n-- a comment\n\n-- vmig:up\nSELECT "
	         "1;   \n\n-- vmig:down\n\n",
	         &b);
	assert_string_equal(vmig_revision_checksum(&a), vmig_revision_checksum(&b));
	vmig_revision_free(&a);
	vmig_revision_free(&b);
}

/* A message with a terminal escape would reach the terminal in status and history. */
static void test_message_control_byte(void **state)
{
	(void)state;
	static const char text[] = "-- vmig:revision r1\n"
	                           "-- vmig:message red \x1b[31m text\n"
	                           "-- vmig:up\nSELECT 1;\n";
	vmig_revision r = {0};
	vmig_error err = {0};
	assert_int_equal(vmig_revision_parse("m/x.sql", text, strlen(text), &r, &err),
	                 VMIG_ERR_INPUT);
	assert_contains(err.msg, "m/x.sql:2:");
	assert_contains(err.msg, "\\x1b");
	assert_null(strchr(err.msg, 0x1b));
	/* a tab is fine */
	parse_ok("-- vmig:revision r1\n-- vmig:message a\tb\n-- vmig:up\nSELECT 1;\n", &r);
	assert_string_equal(r.message, "a\tb");
	vmig_revision_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_file),
	    cmocka_unit_test(test_root_defaults),
	    cmocka_unit_test(test_merge_parents_in_order),
	    cmocka_unit_test(test_no_down_is_irreversible),
	    cmocka_unit_test(test_empty_down_is_noop),
	    cmocka_unit_test(test_crlf_file),
	    cmocka_unit_test(test_lone_cr_file),
	    cmocka_unit_test(test_mixed_line_ends),
	    cmocka_unit_test(test_leading_bom),
	    cmocka_unit_test(test_directive_spellings),
	    cmocka_unit_test(test_id_rules),
	    cmocka_unit_test(test_line_at),
	    cmocka_unit_test(test_load_from_disk),
	    cmocka_unit_test(test_checksum_normalization),
	    cmocka_unit_test(test_checksum_sensitivity),
	    cmocka_unit_test(test_checksum_known_value),
	    cmocka_unit_test(test_checksum_of_file_ignores_header),
	    cmocka_unit_test(test_message_control_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
