/*
 * applied.h - rows of the version table, as the drivers read and write them.
 *
 * The columns and their order are defined once, in version_table.h.  A
 * revision is applied exactly when its row is there with state "applied";
 * a row "in_progress" is a `transaction off` revision that began and did not
 * finish (dirty).
 */
#ifndef VMIG_APPLIED_H
#define VMIG_APPLIED_H

#include <stdbool.h>
#include <stddef.h>

typedef struct vmig_applied {
	char *revision;
	char *parents;
	char *message;
	char *checksum;
	int checksum_version;
	char *applied_at;
	double duration_ms;
	char *down_sql;     /* NULL: irreversible */
	bool transactional; /* its SQL runs in a transaction (down SQL too) */
	bool dirty;    /* state "in_progress": a transaction-off revision that did not finish */
	long long seq; /* the order of application, 1 for the first; 0 until written */
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
