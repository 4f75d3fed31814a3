/*
 * backend_sqlite.c - the SQLite backend of the CLI suite.
 *
 * A database is the file test.db in a tu_tempdir of its own, addressed as
 * sqlite:////abs/path/test.db.  Its snapshot is the SHA-256 of the file's
 * bytes (a missing file counts as an empty one), plus a note of any journal
 * or WAL file left beside it.
 */
#include "backend.h"
#include "testutil.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SQLITE_PREFIX "sqlite:///"

/* The file of a URL made by sqlite_new_database. */
static const char *path_of(const char *url)
{
	size_t n = strlen(SQLITE_PREFIX);
	assert_true(strncmp(url, SQLITE_PREFIX, n) == 0);
	return url + n;
}

static char *sqlite_new_database(const char *test_name)
{
	char name[256];
	snprintf(name, sizeof name, "db-%s", test_name);
	char *dir = tu_tempdir(name);
	char *url = malloc(strlen(dir) + 64);
	sprintf(url, "%s%s/test.db", SQLITE_PREFIX, dir);
	free(dir);
	return url;
}

static char *sqlite_query(const char *url, const char *sql)
{
	return tu_sqlite_query(path_of(url), sql);
}

static char *sqlite_snapshot(const char *url)
{
	static const char hex[] = "0123456789abcdef";
	const char *path = path_of(url);
	size_t len = 0;
	char *data = tu_read(path, &len);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_Digest(data ? data : "", data ? len : 0, md, &mdlen, EVP_sha256(), NULL);
	free(data);
	char *out = malloc(2 * mdlen + 64);
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * mdlen] = '\0';
	static const char *const sidecars[] = {"-journal", "-wal"};
	for (size_t i = 0; i < 2; i++) {
		char side[4096];
		snprintf(side, sizeof side, "%s%s", path, sidecars[i]);
		if (access(side, F_OK) == 0) {
			strcat(out, " +");
			strcat(out, sidecars[i] + 1);
		}
	}
	return out;
}

static void sqlite_drop(const char *url)
{
	char *dir = strdup(path_of(url));
	char *slash = strrchr(dir, '/');
	*slash = '\0';
	tu_rmtree(dir);
	free(dir);
}

const tu_backend tu_backend_sqlite = {
    .name = "sqlite",
    .new_database = sqlite_new_database,
    .query = sqlite_query,
    .snapshot = sqlite_snapshot,
    .drop = sqlite_drop,
};
