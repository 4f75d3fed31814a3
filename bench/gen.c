/*
 * gen.c - writes the synthetic migration histories and SQL scripts that
 * bench/run.sh measures.  Plain C99, no dependencies: `cc -O2 -o gen gen.c`.
 *
 *   gen tree linear|branchy N DIR   N revision files in DIR (which must exist)
 *   gen sql N                       the N CREATE TABLE statements, one per line
 *   gen sql-book N                  the same, each in its own transaction
 *                                   with a row in a bookkeeping table
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
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
	fputs("usage: gen tree linear|branchy N DIR\n"
	      "       gen sql N\n"
	      "       gen sql-book N\n",
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

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "tree") == 0) {
		tree(argv[2], parse_count(argv[3]), argv[4]);
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
