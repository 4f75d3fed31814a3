/*
 * gen.c - writes the synthetic migration histories and SQL scripts that
 * bench/run.sh measures.  Plain C99, no dependencies: `cc -O2 -o gen gen.c`.
 *
 *   gen tree linear|branchy N DIR   N revision files in DIR (which must exist)
 *   gen sql N                       the N CREATE TABLE statements, one per line
 *   gen sql-book N                  the same, each in its own transaction
 *                                   with a row in a bookkeeping table
 *   gen schema pg|sqlite DIR        the schema that bench/testdb.sh measures:
 *                                   250 revisions, 100 tables (see below)
 *   gen dbmate N DIR                the linear history's N revisions as dbmate
 *                                   migration files (bench/run.sh runs dbmate
 *                                   beside vmig when it is installed)
 *   gen readall DIR                 reads every file in DIR and does nothing
 *                                   else: the floor of a no-op `vmig up`'s
 *                                   file reading (one open, read and close
 *                                   per file, as vmig does)
 *
 * Revision k (1..N) creates table tk and drops it on the way down.  Ids are
 * 12 hex digits derived from k, so every run writes the same files, but
 * sorting the file names does not give the graph's order.
 *
 * linear:  1 <- 2 <- 3 <- ... <- N
 * branchy: blocks of 10 revisions.  In each block the first revision is a
 *          branch point with two branches of three revisions each, which
 *          the eighth revision merges; the last two follow in a line:
 *
 *              +- b1 <- b2 <- b3 -+
 *          b0 <+                  +- b7 <- b8 <- b9  (next block's b0)
 *              +- b4 <- b5 <- b6 -+
 *
 * schema:  250 revisions in a line, the shape of an application's history
 *          rather than of a stress test (ids from 1,000,001 on, so never
 *          those of the other modes):
 *            1..100   CREATE TABLE tk, a foreign key to t(k-1) and to an
 *                     earlier table, two indexes
 *          101..200   a column and its index on t(k-100); on PostgreSQL the
 *                     column is a foreign key to a later table
 *          201..240   a unique index on t(k-200) and a view joining it to
 *                     its parent
 *          241..250   pg: five plpgsql functions, each with a trigger on
 *                     the tables; sqlite (no functions): five triggers,
 *                     five indexes
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	fputs("usage: gen tree linear|branchy N DIR\n"
	      "       gen sql N\n"
	      "       gen sql-book N\n"
	      "       gen schema pg|sqlite DIR\n"
	      "       gen dbmate N DIR\n"
	      "       gen readall DIR\n",
	      stderr);
	exit(2);
}

/* 12 hex digits for revision k (splitmix64; unique for the sizes used here). */
static void rev_id(long k, char out[13])
{
	uint64_t z = (uint64_t)k * 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	snprintf(out, 13, "%012llx", (unsigned long long)(z & 0xFFFFFFFFFFFFull));
}

static long parse_count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < 1 || n > 10000000)
		usage();
	return n;
}

/* Writes revision k with parents p1 and p2 (0: none). */
static void write_rev(const char *dir, long k, long p1, long p2)
{
	char id[13], a[13], b[13], path[4096];
	rev_id(k, id);
	snprintf(path, sizeof path, "%s/%s_create_t%ld.sql", dir, id, k);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fprintf(f, "-- vmig:revision %s\n-- vmig:down_revision", id);
	if (p1) {
		rev_id(p1, a);
		fprintf(f, " %s", a);
	}
	if (p2) {
		rev_id(p2, b);
		fprintf(f, " %s", b);
	}
	fprintf(f,
	        "\n-- vmig:message create t%ld\n\n"
	        "-- vmig:up\nCREATE TABLE t%ld (id integer PRIMARY KEY);\n\n"
	        "-- vmig:down\nDROP TABLE t%ld;\n",
	        k, k, k);
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void tree(const char *shape, long n, const char *dir)
{
	if (strcmp(shape, "linear") == 0) {
		for (long k = 1; k <= n; k++)
			write_rev(dir, k, k - 1, 0);
		return;
	}
	if (strcmp(shape, "branchy") != 0)
		usage();
	long head = 0; /* the revision the next block starts from */
	long k = 1;
	while (k <= n) {
		if (n - k + 1 < 10) { /* a short last block: a plain line */
			write_rev(dir, k, head, 0);
			head = k++;
			continue;
		}
		long b0 = k;
		write_rev(dir, b0, head, 0);
		write_rev(dir, b0 + 1, b0, 0); /* branch one */
		write_rev(dir, b0 + 2, b0 + 1, 0);
		write_rev(dir, b0 + 3, b0 + 2, 0);
		write_rev(dir, b0 + 4, b0, 0); /* branch two */
		write_rev(dir, b0 + 5, b0 + 4, 0);
		write_rev(dir, b0 + 6, b0 + 5, 0);
		write_rev(dir, b0 + 7, b0 + 3, b0 + 6); /* the merge */
		write_rev(dir, b0 + 8, b0 + 7, 0);
		write_rev(dir, b0 + 9, b0 + 8, 0);
		head = b0 + 9;
		k += 10;
	}
}

/* One revision of the schema: k's file with parent k-1, up and down SQL. */
static void write_schema_rev(const char *dir, long k, const char *msg, const char *up,
                             const char *down)
{
	char id[13], parent[13], path[4096];
	rev_id(1000000 + k, id);
	rev_id(1000000 + k - 1, parent);
	snprintf(path, sizeof path, "%s/%s_%03ld.sql", dir, id, k);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fprintf(f,
	        "-- vmig:revision %s\n-- vmig:down_revision%s%s\n-- vmig:message %s\n\n"
	        "-- vmig:up\n%s\n-- vmig:down\n%s",
	        id, k > 1 ? " " : "", k > 1 ? parent : "", msg, up, down);
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

#define SCHEMA_TABLES 100
#define SCHEMA_REVS   250

static void schema(const char *kind, const char *dir)
{
	int pg = strcmp(kind, "pg") == 0;
	if (!pg && strcmp(kind, "sqlite") != 0)
		usage();
	char up[4096], down[1024], msg[128];
	for (long k = 1; k <= SCHEMA_REVS; k++) {
		if (k <= SCHEMA_TABLES) {
			long other = k > 2 ? (k * 37) % (k - 1) + 1 : 0; /* an earlier table */
			char fk[256] = "";
			if (k > 1)
				snprintf(
				    fk, sizeof fk,
				    "    parent_id %s REFERENCES t%ld (id) ON DELETE CASCADE,\n"
				    "    owner_id %s%s%ld%s,\n",
				    pg ? "bigint" : "INTEGER", k - 1, pg ? "bigint" : "INTEGER",
				    other ? " REFERENCES t" : "", other, other ? " (id)" : "");
			if (k > 1 && !other) /* t2: a second link to t1 */
				snprintf(fk, sizeof fk,
				         "    parent_id %s REFERENCES t1 (id) ON DELETE CASCADE,\n"
				         "    owner_id %s REFERENCES t1 (id),\n",
				         pg ? "bigint" : "INTEGER", pg ? "bigint" : "INTEGER");
			snprintf(up, sizeof up,
			         "CREATE TABLE t%ld (\n"
			         "    id %s,\n%s"
			         "    name text NOT NULL,\n"
			         "    qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0),\n"
			         "    price %s,\n"
			         "    created_at %s,\n"
			         "    note text\n);\n"
			         "CREATE INDEX t%ld_name_idx ON t%ld (name);\n"
			         "CREATE INDEX t%ld_created_idx ON t%ld (created_at);\n",
			         k,
			         pg ? "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
			            : "INTEGER PRIMARY KEY",
			         fk, pg ? "numeric(12, 2)" : "REAL",
			         pg ? "timestamptz NOT NULL DEFAULT now()"
			            : "TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP",
			         k, k, k, k);
			snprintf(down, sizeof down, "DROP TABLE t%ld;\n", k);
			snprintf(msg, sizeof msg, "create t%ld", k);
		} else if (k <= 2 * SCHEMA_TABLES) {
			long j = k - SCHEMA_TABLES, later = j % SCHEMA_TABLES + 1;
			if (pg)
				snprintf(up, sizeof up,
				         "ALTER TABLE t%ld ADD COLUMN ref_id bigint REFERENCES "
				         "t%ld (id);\n"
				         "CREATE INDEX t%ld_ref_idx ON t%ld (ref_id);\n",
				         j, later, j, j);
			else
				snprintf(up, sizeof up,
				         "ALTER TABLE t%ld ADD COLUMN status TEXT NOT NULL DEFAULT "
				         "'new';\n"
				         "CREATE INDEX t%ld_status_idx ON t%ld (status);\n",
				         j, j, j);
			snprintf(down, sizeof down,
			         "DROP INDEX t%ld_%s_idx;\nALTER TABLE t%ld DROP COLUMN %s;\n", j,
			         pg ? "ref" : "status", j, pg ? "ref_id" : "status");
			snprintf(msg, sizeof msg, "t%ld.%s", j, pg ? "ref_id" : "status");
		} else if (k <= 240) {
			long i = k - 2 * SCHEMA_TABLES;
			snprintf(
			    up, sizeof up,
			    "CREATE UNIQUE INDEX t%ld_name_created_uq ON t%ld (name, created_at);\n"
			    "CREATE VIEW v%ld AS\n"
			    "    SELECT c.id, c.name, c.qty, p.name AS parent_name\n"
			    "    FROM t%ld c LEFT JOIN t%ld p ON p.id = c.%s;\n",
			    i, i, i, i, i > 1 ? i - 1 : 1, i > 1 ? "parent_id" : "id");
			snprintf(down, sizeof down,
			         "DROP VIEW v%ld;\nDROP INDEX t%ld_name_created_uq;\n", i, i);
			snprintf(msg, sizeof msg, "v%ld", i);
		} else {
			long i = k - 240, t = 10 * i; /* t10, t20, ..., t100 */
			if (pg && i % 2 == 1) {
				snprintf(
				    up, sizeof up,
				    "CREATE FUNCTION f%ld() RETURNS trigger LANGUAGE plpgsql AS "
				    "$$\n"
				    "BEGIN\n"
				    "    IF NEW.qty < 0 THEN\n"
				    "        RAISE EXCEPTION 'qty of %% below zero', NEW.name;\n"
				    "    END IF;\n"
				    "    NEW.note := coalesce(NEW.note, '') || ';';\n"
				    "    RETURN NEW;\n"
				    "END\n$$;\n",
				    i);
				snprintf(down, sizeof down, "DROP FUNCTION f%ld();\n", i);
				snprintf(msg, sizeof msg, "function f%ld", i);
			} else if (pg) {
				snprintf(
				    up, sizeof up,
				    "CREATE TRIGGER t%ld_f%ld BEFORE INSERT OR UPDATE ON t%ld\n"
				    "    FOR EACH ROW EXECUTE FUNCTION f%ld();\n"
				    "CREATE TRIGGER t%ld_f%ld BEFORE INSERT OR UPDATE ON t%ld\n"
				    "    FOR EACH ROW EXECUTE FUNCTION f%ld();\n",
				    t, i - 1, t, i - 1, t - 5, i - 1, t - 5, i - 1);
				snprintf(down, sizeof down,
				         "DROP TRIGGER t%ld_f%ld ON t%ld;\nDROP TRIGGER t%ld_f%ld "
				         "ON t%ld;\n",
				         t, i - 1, t, t - 5, i - 1, t - 5);
				snprintf(msg, sizeof msg, "triggers on t%ld and t%ld", t, t - 5);
			} else if (i % 2 == 1) {
				snprintf(up, sizeof up,
				         "CREATE TRIGGER t%ld_touch AFTER UPDATE ON t%ld\n"
				         "BEGIN\n"
				         "    UPDATE t%ld SET note = coalesce(note, '') || ';' "
				         "WHERE id = NEW.id;\n"
				         "END;\n",
				         t, t, t);
				snprintf(down, sizeof down, "DROP TRIGGER t%ld_touch;\n", t);
				snprintf(msg, sizeof msg, "trigger on t%ld", t);
			} else {
				snprintf(up, sizeof up,
				         "CREATE INDEX t%ld_qty_idx ON t%ld (qty, price);\n", t, t);
				snprintf(down, sizeof down, "DROP INDEX t%ld_qty_idx;\n", t);
				snprintf(msg, sizeof msg, "index on t%ld", t);
			}
		}
		write_schema_rev(dir, k, msg, up, down);
	}
}

/* Revision k of the linear history in dbmate's format: a version that sorts
 * in order, then "-- migrate:up" and "-- migrate:down" sections. */
static void write_dbmate(const char *dir, long n)
{
	char path[4096];
	for (long k = 1; k <= n; k++) {
		snprintf(path, sizeof path, "%s/%08ld_create_t%ld.sql", dir, k, k);
		FILE *f = fopen(path, "w");
		if (!f) {
			perror(path);
			exit(1);
		}
		fprintf(f,
		        "-- migrate:up\nCREATE TABLE t%ld (id integer PRIMARY KEY);\n\n"
		        "-- migrate:down\nDROP TABLE t%ld;\n",
		        k, k);
		if (fclose(f) != 0) {
			perror(path);
			exit(1);
		}
	}
}

/* Reads each file of dir into one buffer, by name relative to the folder. */
static void read_all(const char *dir)
{
	static char buf[65536];
	DIR *d = opendir(dir);
	int dfd = d ? dirfd(d) : -1;
	if (!d) {
		perror(dir);
		exit(1);
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		int fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, buf, sizeof buf) < 0) {
			perror(e->d_name);
			exit(1);
		}
		close(fd);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "tree") == 0) {
		tree(argv[2], parse_count(argv[3]), argv[4]);
	} else if (argc == 4 && strcmp(argv[1], "dbmate") == 0) {
		write_dbmate(argv[3], parse_count(argv[2]));
	} else if (argc == 3 && strcmp(argv[1], "readall") == 0) {
		read_all(argv[2]);
	} else if (argc == 4 && strcmp(argv[1], "schema") == 0) {
		schema(argv[2], argv[3]);
	} else if (argc == 3 && strcmp(argv[1], "sql") == 0) {
		long n = parse_count(argv[2]);
		for (long k = 1; k <= n; k++)
			printf("CREATE TABLE t%ld (id integer PRIMARY KEY);\n", k);
	} else if (argc == 3 && strcmp(argv[1], "sql-book") == 0) {
		long n = parse_count(argv[2]);
		char id[13];
		puts("CREATE TABLE IF NOT EXISTS book (revision text PRIMARY KEY, applied_at "
		     "text);");
		for (long k = 1; k <= n; k++) {
			rev_id(k, id);
			printf("BEGIN;\nCREATE TABLE t%ld (id integer PRIMARY KEY);\n"
			       "INSERT INTO book VALUES ('%s', CURRENT_TIMESTAMP);\nCOMMIT;\n",
			       k, id);
		}
	} else {
		usage();
	}
	return ferror(stdout) || fflush(stdout) != 0;
}
