#include "applied.h"

#include "alloc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

vmig_applied *vmig_applied_add(vmig_applied_set *set)
{
	XGROW(set->rows, set->cap, set->n + 1);
	vmig_applied *row = &set->rows[set->n++];
	memset(row, 0, sizeof *row);
	return row;
}

void vmig_applied_free(vmig_applied_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		vmig_applied *r = &set->rows[i];
		free(r->revision);
		free(r->parents);
		free(r->message);
		free(r->checksum);
		free(r->applied_at);
		free(r->down_sql);
	}
	free(set->rows);
	memset(set, 0, sizeof *set);
}

const vmig_applied *vmig_applied_find(const vmig_applied_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->rows[i].revision, id) == 0)
			return &set->rows[i];
	return NULL;
}

void vmig_utc_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}
