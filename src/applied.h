/*
 * applied.h - rows of the version table, as the drivers read and write them.
 *
 * Version-table shape 1 (see drivers/driver.h for the DDL of each database):
 *   revision          the revision id (primary key)
 *   parents           the parent ids, space-separated ("" for a root)
 *   message           the revision's message
 *   checksum          lowercase hex SHA-256 of the normalized SQL
 *   checksum_version  the checksum algorithm's version (revision.h)
 *   applied_at        when it was applied, UTC, "YYYY-MM-DDTHH:MM:SS.mmmZ"
 *   duration_ms       how long its SQL took
 *   down_sql          its downgrade SQL; NULL when irreversible
 *   state             "applied", or "pending" while a `transaction off`
 *                     revision runs (a row left "pending" is dirty)
 * A revision is applied exactly when its row is there with state "applied".
 */
#ifndef VMIG_APPLIED_H
#define VMIG_APPLIED_H

#include <stdbool.h>
#include <stddef.h>

#define VMIG_TABLE_SHAPE 1

typedef struct vmig_applied {
	char *revision;
	char *parents;
	char *message;
	char *checksum;
	int checksum_version;
	char *applied_at;
	double duration_ms;
	char *down_sql; /* NULL: irreversible */
	bool dirty;     /* state "pending": a transaction-off revision that did not finish */
} vmig_applied;

/* A list of rows in applied order (oldest first).  Owns everything in it. */
typedef struct vmig_applied_set {
	vmig_applied *rows;
	size_t n;
	size_t cap;
} vmig_applied_set;

/* Appends a zeroed row and returns it (for drivers filling the set). */
vmig_applied *vmig_applied_add(vmig_applied_set *set);
void vmig_applied_free(vmig_applied_set *set);
/* The row for revision id, or NULL. Linear; callers that loop build an index. */
const vmig_applied *vmig_applied_find(const vmig_applied_set *set, const char *id);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ" in out. */
void vmig_utc_now(char out[32]);

#endif
