/*
 * testutil.h - what the tests share: temporary projects, running the real
 * vmig binary, and reading files back.
 *
 * cmocka wants these includes in this order in every test file.
 */
#ifndef VMIG_TESTUTIL_H
#define VMIG_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>

/* The result of one run of the vmig binary.  Free with tu_result_free. */
typedef struct tu_result {
	int status; /* exit code; 128+N when killed by signal N */
	char *out;  /* standard output, NUL-terminated */
	char *err;  /* standard error */
} tu_result;

/* A new empty directory under the build tree's tests/tmp; caller frees the string. */
char *tu_tempdir(const char *name);
/* Removes a directory tree (rm -rf). */
void tu_rmtree(const char *path);

/* Writes text to dir/rel (creating parent folders). */
void tu_write(const char *dir, const char *rel, const char *text);
/* Reads a whole file; NULL if it cannot be read.  *len may be NULL. */
char *tu_read(const char *path, size_t *len);
/* True when both files exist and hold the same bytes (or neither exists). */
bool tu_same_file(const char *a, const char *b);
/* Copies a file byte for byte (for "unchanged" checks). */
void tu_copy(const char *from, const char *to);

/*
 * Runs the vmig binary in directory cwd with the given arguments (NULL
 * terminated), with no standard input.  env_extra is NULL or a NULL-terminated
 * list of "NAME=VALUE" added to the environment.
 */
tu_result tu_vmig(const char *cwd, const char *const *env_extra, ...) __attribute__((sentinel));
tu_result tu_vmigv(const char *cwd, const char *const *env_extra, const char *const *argv);
void tu_result_free(tu_result *r);

/* Runs one SQL statement on an existing SQLite file and returns the first column
 * of every row, joined with '\n' ("" for no rows, "NULL" for NULL); NULL when it
 * fails.  Caller frees. */
char *tu_sqlite_query(const char *dbpath, const char *sql);

/* Asserts that haystack contains needle, printing both when it does not. */
#define assert_contains(haystack, needle)                                                          \
	tu_assert_contains((haystack), (needle), __FILE__, __LINE__)
#define assert_not_contains(haystack, needle)                                                      \
	tu_assert_not_contains((haystack), (needle), __FILE__, __LINE__)
void tu_assert_contains(const char *haystack, const char *needle, const char *file, int line);
void tu_assert_not_contains(const char *haystack, const char *needle, const char *file, int line);

#endif
