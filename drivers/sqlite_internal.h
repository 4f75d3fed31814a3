/*
 * sqlite_internal.h - what the files of the SQLite driver share.
 *
 *   sqlite.c        connecting, the run lock, the version table, applying
 *   sqlite_split.c  statement by statement, with SQLite's parser
 *   sqlite_sql.c    the SQL the driver writes: names, the tables, and
 *                   offline scripts (--sql)
 *   sqlite_server.c databases as files: create, drop, rename, list, locks
 */
#ifndef VMIG_SQLITE_INTERNAL_H
#define VMIG_SQLITE_INTERNAL_H

#include "driver.h"

#include "../src/buf.h"
#include "../src/version_table.h"

#include <stdbool.h>

/* The type names in which the version table is created. */
extern vmig_type_names vmig_sqlite_types;

/* name (then suffix) as a quoted identifier; a new string the caller frees. */
char *vmig_sqlite_quote_ident(const char *name, const char *suffix);

/* Appends the statements (';'-separated, none after the last) that create
 * the version and meta tables if missing and record the shape: set_shape
 * overwrites a recorded shape, otherwise a recorded one stays.  table and
 * meta are quoted. */
void vmig_sqlite_add_create_tables(vmig_buf *q, const char *table, const char *meta,
                                   bool set_shape);

/* The driver's `script` entry (driver.h). */
int vmig_sqlite_script(const vmig_conn_opts *opts, enum vmig_script_call call,
                       const vmig_change *chg, vmig_buf *out, size_t *fail_offset, vmig_error *err);

/* The driver's `dump_schema` entry (driver.h). */
int vmig_sqlite_dump_schema(const char *url, const char *const *exclude, vmig_buf *out,
                            vmig_error *err);

/* Databases as a whole: files in the folder of the URL's (sqlite_server.c). */
extern const vmig_server_ops vmig_sqlite_server_ops;

#endif
