/*
 * pg_schemas.c - the schemas of a database that a LIKE pattern names
 * (`--schemas`: one target per tenant schema).
 */
#include "pg_internal.h"

#include "../src/alloc.h"

#include <stdlib.h>
#include <string.h>

int pg_list_schemas(const char *url, const char *like, char ***names, size_t *n, vmig_error *err)
{
	*names = NULL;
	*n = 0;
	vmig_conn_opts opts = {.struct_version = VMIG_CONN_OPTS_VERSION,
	                       .version_table = "vmig_version"};
	vmig_conn *vc;
	int rc = pg_connect(url, &opts, &vc, err);
	if (rc)
		return rc;
	pg_conn *c = (pg_conn *)vc;
	/* The server's own schemas are never a tenant's, whatever the pattern. */
	const char *sql = "SELECT nspname::text FROM pg_catalog.pg_namespace "
	                  "WHERE nspname LIKE $1 AND nspname !~ '^pg_' "
	                  "AND nspname <> 'information_schema' ORDER BY nspname COLLATE \"C\"";
	const char *params[1] = {like};
	PGresult *r = PQexecParams(c->pg, sql, 1, NULL, params, NULL, NULL, 0);
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK) {
		int rows = PQntuples(r);
		*names = xcalloc(rows ? (size_t)rows : 1, sizeof **names);
		for (int i = 0; i < rows; i++)
			(*names)[(*n)++] = xstrdup(PQgetvalue(r, i, 0));
	} else {
		rc = pg_fail_result(err, c->pg, r);
	}
	PQclear(r);
	pg_close(vc);
	return rc;
}
