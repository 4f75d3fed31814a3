/*
 * sqltext.h - the little that vmig reads in a statement's text itself.
 */
#ifndef VMIG_SQLTEXT_H
#define VMIG_SQLTEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when the statement (starting at its first token) begins or ends a
 * transaction: BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK (but not
 * ROLLBACK TO a savepoint), ABORT.  Inside a revision that vmig runs in a
 * transaction such a statement would break the revision's atomicity.
 */
bool vmig_sql_is_transaction_control(const char *stmt, size_t len);

/* The message for such a statement, for the drivers to share. */
#define VMIG_TXN_CONTROL_MSG                                                                       \
	"the revision's SQL begins or ends a transaction itself (BEGIN, COMMIT, END or "           \
	"ROLLBACK), which would commit part of it on its own; remove that statement (vmig runs "   \
	"each revision in a transaction), or mark the revision `-- vmig:transaction off`"

#endif
