/*
 * sqltext.h - the little that vmig reads in a statement's text itself.
 */
#ifndef VMIG_SQLTEXT_H
#define VMIG_SQLTEXT_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * True when the statement (starting at its first token) begins or ends a
 * transaction: BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK (but not
 * ROLLBACK TO a savepoint), ABORT, PREPARE TRANSACTION, COMMIT/ROLLBACK
 * PREPARED.  Inside a revision that vmig runs in a transaction such a
 * statement would break the revision's atomicity.
 */
bool vmig_sql_is_transaction_control(const char *stmt, size_t len);

/*
 * The drivers' shared refusal: VMIG_ERR_INPUT saying why and what to do when
 * the statement is transaction control, else VMIG_OK.
 */
int vmig_sql_refuse_transaction_control(const char *stmt, size_t len, vmig_error *err);

/* The message for SQL that ended vmig's transaction although no statement
 * looked like it (the database's own check caught it). */
#define VMIG_TXN_ENDED_MSG                                                                         \
	"the revision's SQL ended the transaction vmig opened for it, so part of it may have "     \
	"been committed on its own; what was still open was rolled back and the revision is not "  \
	"recorded as applied"

#endif
