/*
 * conformance.c - the driver conformance suite (see conformance.h).
 *
 * Every test calls the driver only through its table (vmig_driver), and
 * looks at the database only through the harness, so the same tests run
 * against every driver.  Each test has a fresh database of its own.
 */
#include "testutil.h"

#include "conformance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const conf_harness *H;
#define D (H->driver)

/* ------------------------------------------------------------------ fixture */

typedef struct fx {
	const char *name;
	char *url;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	f->name = *state;
	f->url = H->db->new_database(f->name);
	*state = f;
	return f->url ? 0 : -1;
}

static int teardown(void **state)
{
	fx *f = *state;
	H->db->drop(f->url);
	free(f->url);
	free(f);
	return 0;
}

/* ------------------------------------------------------------------ helpers */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static vmig_conn_opts opts_for(const char *table, const char *schema, unsigned lock_timeout)
{
	vmig_conn_opts o = {.struct_version = VMIG_CONN_OPTS_VERSION,
	                    .version_table = table,
	                    .version_table_schema = schema,
	                    .lock_timeout = lock_timeout};
	return o;
}

static vmig_conn *conn_with(const char *url, const vmig_conn_opts *o)
{
	vmig_conn *c = NULL;
	vmig_error err = {0};
	if (D->connect(url, o, &c, &err) != VMIG_OK)
		fail_msg("connect failed: %s", err.msg);
	assert_non_null(c);
	assert_ptr_equal(c->driver, D);
	return c;
}

/* A connection to the test's database, version table vmig_version. */
static vmig_conn *conn(const fx *f, unsigned lock_timeout)
{
	vmig_conn_opts o = opts_for("vmig_version", NULL, lock_timeout);
	return conn_with(f->url, &o);
}

static void must(int rc, const vmig_error *err, const char *what)
{
	if (rc != VMIG_OK)
		fail_msg("%s failed (%d): %s", what, rc, err->msg);
}

static void must_prepare(vmig_conn *c)
{
	vmig_error err = {0};
	must(D->prepare(c, &err), &err, "prepare");
}

/* A row with every field set, as the core hands it to the driver. */
static vmig_applied row_for(const char *rev)
{
	vmig_applied r = {.revision = (char *)rev,
	                  .parents = "p1 p2",
	                  .message = "a message",
	                  .checksum = "c0ffee",
	                  .checksum_version = 1,
	                  .applied_at = "2024-01-02T03:04:05.006Z",
	                  .down_sql = "DROP TABLE x;",
	                  .transactional = true};
	return r;
}

static int apply_row(vmig_conn *c, const char *sql, enum vmig_txn txn, enum vmig_row_op op,
                     const vmig_applied *row, size_t *off, vmig_error *err)
{
	vmig_change chg = {.struct_version = VMIG_CHANGE_VERSION,
	                   .sql = sql,
	                   .sql_len = sql ? strlen(sql) : 0,
	                   .txn = txn,
	                   .op = op,
	                   .row = row};
	size_t ignored;
	memset(err, 0, sizeof *err);
	return D->apply(c, &chg, off ? off : &ignored, err);
}

/* Runs a change for revision rev (NULL: no bookkeeping row). */
static int apply(vmig_conn *c, const char *sql, enum vmig_txn txn, enum vmig_row_op op,
                 const char *rev, size_t *off, vmig_error *err)
{
	vmig_applied row = row_for(rev ? rev : "");
	return apply_row(c, sql, txn, op, rev ? &row : NULL, off, err);
}

static void must_apply(vmig_conn *c, const char *sql, enum vmig_txn txn, enum vmig_row_op op,
                       const char *rev)
{
	vmig_error err;
	size_t off;
	if (apply(c, sql, txn, op, rev, &off, &err) != VMIG_OK)
		fail_msg("apply of %s failed: %s", sql ? sql : "(bookkeeping only)", err.msg);
}

static void read_all(vmig_conn *c, bool ids_only, vmig_applied_set *set)
{
	vmig_error err = {0};
	memset(set, 0, sizeof *set);
	int rc = D->read_applied(c, ids_only, set, &err);
	if (rc != VMIG_OK) {
		vmig_applied_free(set);
		fail_msg("read_applied failed: %s", err.msg);
	}
}

/* The revisions read, joined with ' ' in the order read. */
static char *ids_read(vmig_conn *c)
{
	vmig_applied_set set;
	read_all(c, true, &set);
	char *out = calloc(1, 1);
	size_t len = 0;
	for (size_t i = 0; i < set.n; i++) {
		size_t n = strlen(set.rows[i].revision);
		out = realloc(out, len + n + 2);
		if (i)
			out[len++] = ' ';
		memcpy(out + len, set.rows[i].revision, n + 1);
		len += n;
	}
	vmig_applied_free(&set);
	return out;
}

static void expect_ids(vmig_conn *c, const char *want)
{
	char *got = ids_read(c);
	if (strcmp(got, want) != 0)
		fail_msg("read_applied gave <%s>, expected <%s>", got, want);
	free(got);
}

static char *query(const fx *f, const char *sql)
{
	return H->db->query(f->url, sql);
}

/* Asserts that a raw query gives want; want NULL: that the query fails. */
static void expect_q(const fx *f, const char *sql, const char *want)
{
	char *got = query(f, sql);
	if (!want) {
		if (got)
			fail_msg("expected the query to fail: %s\ngot <%s>", sql, got);
		return;
	}
	if (!got)
		fail_msg("the query failed: %s", sql);
	if (strcmp(got, want) != 0)
		fail_msg("%s\ngave <%s>\nexpected <%s>", sql, got, want);
	free(got);
}

static void raw_exec(const fx *f, const char *sql)
{
	char *got = query(f, sql);
	if (!got)
		fail_msg("raw statement failed: %s", sql);
	free(got);
}

static bool table_exists(const fx *f, const char *table)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	char *got = query(f, sql);
	free(got);
	return got != NULL;
}

static char *snap(const fx *f)
{
	return H->db->snapshot(f->url);
}

static void expect_snap(const fx *f, char *before, const char *what)
{
	char *after = snap(f);
	if (strcmp(before, after) != 0)
		fail_msg("%s changed the database:\n--- before\n%s\n--- after\n%s", what, before,
		         after);
	free(after);
	free(before);
}

/* The columns vmig_version_columns defines, one a line. */
static char *expected_columns(void)
{
	char *out = calloc(1, 1024);
	for (int i = 0; i < VMIG_NVCOLS; i++) {
		if (i)
			strcat(out, "\n");
		strcat(out, vmig_version_columns[i].name);
	}
	return out;
}

static void expect_columns(const fx *f, const char *table)
{
	char sql[1024];
	snprintf(sql, sizeof sql, H->columns_sql, table);
	char *want = expected_columns();
	expect_q(f, sql, want);
	free(want);
}

/* Whether msg names the number n as a number of its own (not part of another). */
static bool mentions_number(const char *msg, int n)
{
	char num[16];
	snprintf(num, sizeof num, "%d", n);
	size_t len = strlen(num);
	for (const char *p = msg; (p = strstr(p, num)); p++) {
		bool before = p == msg || p[-1] < '0' || p[-1] > '9';
		bool after = p[len] < '0' || p[len] > '9';
		if (before && after)
			return true;
	}
	return false;
}

/* Skips from off over white space: where the statement at off starts. */
static size_t skip_space(const char *sql, size_t off)
{
	while (sql[off] == ' ' || sql[off] == '\n' || sql[off] == '\t' || sql[off] == '\r')
		off++;
	return off;
}

static size_t offset_of(const char *sql, const char *needle)
{
	const char *p = strstr(sql, needle);
	assert_non_null(p);
	return (size_t)(p - sql);
}

static void expect_offset(const char *sql, size_t got, size_t want)
{
	if (got == VMIG_NO_OFFSET)
		fail_msg("fail_offset: VMIG_NO_OFFSET, expected %zu (\"%.30s\") in:\n%s", want,
		         sql + want, sql);
	if (got != want)
		fail_msg("fail_offset: %zu (\"%.30s\"), expected %zu (\"%.30s\") in:\n%s", got,
		         sql + got, want, sql + want, sql);
}

static void check_no_secret(const vmig_error *err, const char *secret, const char *what)
{
	if (strstr(err->msg, secret))
		fail_msg("%s: the message shows the password: %s", what, err->msg);
}

/* Failures collected over the cases of one test, so that every case runs
 * and the test fails listing all of them. */
typedef struct fails {
	char text[8192];
	int n;
} fails;

static void note_fail(fails *fl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_fail(fails *fl, const char *fmt, ...)
{
	size_t len = strlen(fl->text);
	va_list ap;
	va_start(ap, fmt);
	if (len + 2 < sizeof fl->text) {
		vsnprintf(fl->text + len, sizeof fl->text - len - 1, fmt, ap);
		strcat(fl->text, "\n");
	}
	va_end(ap);
	fl->n++;
}

static void check_fails(const fails *fl)
{
	if (fl->n)
		fail_msg("%d case(s) failed:\n%s", fl->n, fl->text);
}

/* Visible in cmocka's output and summary: what this driver cannot be asked. */
#define SKIP_BECAUSE(...)                                                                          \
	do {                                                                                       \
		print_message("[   NOTE   ] %s: ", D->name);                                       \
		print_message(__VA_ARGS__);                                                        \
		print_message("\n");                                                               \
		skip();                                                                            \
	} while (0)

/* ------------------------------------------------------------ the table */

static void test_driver_table(void **state)
{
	(void)state;
	assert_int_equal(D->version, VMIG_DRIVER_VERSION);
	assert_non_null(D->name);
	assert_true(D->name[0] != '\0');
	const unsigned known = VMIG_CAP_TRANSACTIONAL_DDL | VMIG_CAP_SESSION_LOCK |
	                       VMIG_CAP_SCHEMAS | VMIG_CAP_NON_TRANSACTIONAL_STATEMENTS;
	if (D->caps & ~known)
		fail_msg("caps 0x%x has bits no capability defines", D->caps);
	assert_non_null(D->connect);
	assert_non_null(D->close);
	assert_non_null(D->lock);
	assert_non_null(D->unlock);
	assert_non_null(D->read_applied);
	assert_non_null(D->prepare);
	assert_non_null(D->begin);
	assert_non_null(D->commit);
	assert_non_null(D->rollback);
	assert_non_null(D->apply);
	assert_non_null(D->read_column);
	print_message("[   INFO   ] %s: caps%s%s%s%s, max_identifier %zu\n", D->name,
	              D->caps & VMIG_CAP_TRANSACTIONAL_DDL ? " transactional-ddl" : "",
	              D->caps & VMIG_CAP_SESSION_LOCK ? " session-lock" : "",
	              D->caps & VMIG_CAP_SCHEMAS ? " schemas" : "",
	              D->caps & VMIG_CAP_NON_TRANSACTIONAL_STATEMENTS ? " non-transactional" : "",
	              D->max_identifier);
	/* NULL is a no-op. */
	D->close(NULL);
}

static void test_connect_bad_urls(void **state)
{
	(void)state;
	vmig_conn_opts o = opts_for("vmig_version", NULL, 1);
	static const char *const generic[] = {
	    "nosuchscheme://u:" CONF_SECRET "@host/db",
	    "",
	    "no url at all",
	    NULL,
	};
	fails fl = {0};
	for (int pass = 0; pass < 2; pass++) {
		const char *const *urls = pass ? H->bad_urls : generic;
		for (size_t i = 0; urls && urls[i]; i++) {
			vmig_conn *c = (vmig_conn *)&o; /* must be reset */
			vmig_error err = {0};
			int rc = D->connect(urls[i], &o, &c, &err);
			if (rc != VMIG_ERR_INPUT || err.code != VMIG_ERR_INPUT)
				note_fail(&fl, "connect(\"%s\"): %d (%s), expected VMIG_ERR_INPUT",
				          urls[i], rc, err.msg);
			if (c && rc != VMIG_OK)
				note_fail(&fl, "connect(\"%s\") failed but set *out", urls[i]);
			if (rc == VMIG_OK)
				D->close(c);
			if (!err.msg[0])
				note_fail(&fl, "connect(\"%s\"): no message", urls[i]);
			if (strstr(err.msg, CONF_SECRET))
				note_fail(&fl,
				          "connect(\"%s\"): the message shows the password: %s",
				          urls[i], err.msg);
		}
	}
	check_fails(&fl);
}

static void test_connect_unreachable(void **state)
{
	(void)state;
	if (!H->unreachable_url)
		SKIP_BECAUSE("connects to no server: no unreachable-server case");
	vmig_conn_opts o = opts_for("vmig_version", NULL, 1);
	vmig_conn *c = (vmig_conn *)&o;
	vmig_error err = {0};
	assert_int_equal(D->connect(H->unreachable_url, &o, &c, &err), VMIG_ERR_RUNTIME);
	assert_null(c);
	assert_true(err.transient);
	check_no_secret(&err, CONF_SECRET, "unreachable server");
}

/* ------------------------------------------------------------ read_applied */

static void test_read_missing_table(void **state)
{
	fx *f = *state;
	char *before = snap(f);
	vmig_conn *c = conn(f, 1);
	vmig_applied_set set;
	read_all(c, false, &set);
	assert_int_equal(set.n, 0);
	vmig_applied_free(&set);
	read_all(c, true, &set);
	assert_int_equal(set.n, 0);
	vmig_applied_free(&set);
	D->close(c);
	expect_snap(f, before, "read_applied on a missing table");
	assert_false(table_exists(f, "vmig_version"));
	assert_false(table_exists(f, "vmig_version_meta"));
}

/* ------------------------------------------------------------ prepare */

static void test_prepare_creates_the_tables(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	must_prepare(c);
	D->close(c);
	expect_columns(f, "vmig_version");
	char want[16];
	snprintf(want, sizeof want, "%d", VMIG_TABLE_SHAPE);
	expect_q(f, "SELECT value FROM vmig_version_meta WHERE key = 'shape'", want);
	expect_q(f, "SELECT count(*) FROM vmig_version", "0");

	/* Idempotent: on the same connection, and on a new one. */
	char *before = snap(f);
	c = conn(f, 1);
	must_prepare(c);
	must_prepare(c);
	D->close(c);
	expect_snap(f, before, "prepare of a prepared database");
	expect_q(f, "SELECT value FROM vmig_version_meta", want);
}

/* prepare inside the caller's transaction: it goes with a rollback. */
static void test_prepare_in_callers_transaction(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	vmig_error err = {0};
	must(D->begin(c, &err), &err, "begin");
	must_prepare(c);
	must_apply(c, "CREATE TABLE p1 (x integer)", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "r1");
	D->rollback(c);
	D->close(c);
	assert_false(table_exists(f, "vmig_version"));
	assert_false(table_exists(f, "vmig_version_meta"));
	assert_false(table_exists(f, "p1"));
}

static void expect_newer_shape_error(int rc, const vmig_error *err, const char *what)
{
	if (rc != VMIG_ERR_RUNTIME)
		fail_msg("%s of a shape-3 table: %d (%s), expected VMIG_ERR_RUNTIME", what, rc,
		         err->msg);
	if (!mentions_number(err->msg, 3) || !mentions_number(err->msg, VMIG_TABLE_SHAPE))
		fail_msg("%s: the message does not name shape 3 and shape %d: %s", what,
		         VMIG_TABLE_SHAPE, err->msg);
}

static void test_newer_shape_refused(void **state)
{
	fx *f = *state;
	vmig_conn *old = conn(f, 1);
	must_prepare(old);
	must_apply(old, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r1");
	raw_exec(f, "UPDATE vmig_version_meta SET value = '3' WHERE key = 'shape'");
	char *before = snap(f);

	/* A connection that prepared before the change, and a new one. */
	vmig_conn *conns[2] = {old, conn(f, 1)};
	for (int i = 0; i < 2; i++) {
		vmig_conn *c = conns[i];
		vmig_applied_set set = {0};
		vmig_error err = {0};
		expect_newer_shape_error(D->read_applied(c, false, &set, &err), &err,
		                         "read_applied");
		vmig_applied_free(&set);
		memset(&set, 0, sizeof set);
		expect_newer_shape_error(D->read_applied(c, true, &set, &err), &err,
		                         "read_applied (ids only)");
		vmig_applied_free(&set);
		memset(&err, 0, sizeof err);
		expect_newer_shape_error(D->prepare(c, &err), &err, "prepare");
		memset(&err, 0, sizeof err);
		must(D->lock(c, &err), &err, "lock");
		expect_newer_shape_error(D->prepare(c, &err), &err, "prepare under the lock");
		D->unlock(c);
	}
	D->close(conns[1]);
	D->close(old);
	expect_snap(f, before, "refusing a newer shape");
	expect_q(f, "SELECT value FROM vmig_version_meta WHERE key = 'shape'", "3");
}

/* The first release's table, with rows applied out of id order, one pending. */
static void make_shape1(const fx *f)
{
	if (H->create)
		H->create(f->url);
	for (const char *const *s = H->shape1_ddl; *s; s++)
		raw_exec(f, *s);
	raw_exec(f, "INSERT INTO vmig_version (revision, parents, message, checksum, "
	            "checksum_version, applied_at, duration_ms, down_sql, state) VALUES ('c3', "
	            "'', 'first', 'ck1', 1, '2024-01-01T00:00:01.000Z', 1.5, 'DROP TABLE a;', "
	            "'applied')");
	raw_exec(f, "INSERT INTO vmig_version (revision, parents, message, checksum, "
	            "checksum_version, applied_at, duration_ms, down_sql, state) VALUES ('a1', "
	            "'c3', 'second', 'ck2', 1, '2024-01-01T00:00:02.000Z', 2.5, NULL, 'pending')");
	raw_exec(f, "INSERT INTO vmig_version (revision, parents, message, checksum, "
	            "checksum_version, applied_at, duration_ms, down_sql, state) VALUES ('b2', "
	            "'a1', 'third', 'ck3', 1, '2024-01-01T00:00:03.000Z', 3.5, 'DROP TABLE c;', "
	            "'applied')");
	expect_q(f, "SELECT value FROM vmig_version_meta WHERE key = 'shape'", "1");
}

/* What make_shape1's rows read as in the current shape. */
static void expect_shape1_rows(vmig_conn *c)
{
	vmig_applied_set set;
	read_all(c, false, &set);
	assert_int_equal(set.n, 3);
	static const char *const ids[] = {"c3", "a1", "b2"}, *const parents[] = {"", "c3", "a1"},
	                         *const msgs[] = {"first", "second", "third"},
	                         *const downs[] = {"DROP TABLE a;", NULL, "DROP TABLE c;"};
	for (size_t i = 0; i < 3; i++) {
		const vmig_applied *r = &set.rows[i];
		assert_string_equal(r->revision, ids[i]);
		assert_string_equal(r->parents, parents[i]);
		assert_string_equal(r->message, msgs[i]);
		assert_int_equal(r->checksum_version, 1);
		assert_true(r->duration_ms == 1.5 + (double)i);
		if (downs[i])
			assert_string_equal(r->down_sql, downs[i]);
		else
			assert_null(r->down_sql);
		assert_true(r->transactional);
		assert_int_equal(r->dirty, i == 1);
		assert_int_equal(r->seq, (long long)i + 1);
	}
	assert_string_equal(set.rows[0].checksum, "ck1");
	assert_string_equal(set.rows[2].applied_at, "2024-01-01T00:00:03.000Z");
	vmig_applied_free(&set);
	read_all(c, true, &set);
	assert_int_equal(set.n, 3);
	assert_string_equal(set.rows[0].revision, "c3");
	assert_string_equal(set.rows[1].revision, "a1");
	assert_true(set.rows[1].dirty);
	assert_string_equal(set.rows[2].revision, "b2");
	vmig_applied_free(&set);
}

static void test_shape1_read_unchanged(void **state)
{
	fx *f = *state;
	make_shape1(f);
	char *before = snap(f);
	vmig_conn *c = conn(f, 1);
	expect_shape1_rows(c);
	D->close(c);
	expect_snap(f, before, "read_applied of a shape-1 table");
}

#define ROWS_SQL                                                                                   \
	"SELECT revision || ':' || seq || ':' || state || ':' || CASE WHEN transactional THEN "    \
	"'t' ELSE 'f' END FROM vmig_version ORDER BY seq"

static void test_shape1_upgraded_by_prepare(void **state)
{
	fx *f = *state;
	make_shape1(f);
	vmig_conn *c = conn(f, 1);
	vmig_error err = {0};
	must(D->lock(c, &err), &err, "lock");
	must_prepare(c);
	/* the same connection writes to the new table at once */
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "d4");
	D->unlock(c);
	D->close(c);

	char want[16];
	snprintf(want, sizeof want, "%d", VMIG_TABLE_SHAPE);
	expect_q(f, "SELECT value FROM vmig_version_meta WHERE key = 'shape'", want);
	expect_columns(f, "vmig_version");
	expect_q(f, ROWS_SQL, "c3:1:applied:t\na1:2:in_progress:t\nb2:3:applied:t\nd4:4:applied:t");
	assert_false(table_exists(f, "vmig_version_upgrade"));

	c = conn(f, 1);
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_DELETE, "d4");
	expect_shape1_rows(c);
	char *before = snap(f);
	must_prepare(c);
	D->close(c);
	expect_snap(f, before, "prepare of an upgraded table");
}

/* The upgrade is one transaction: the caller's, when it opened one. */
static void test_shape1_upgrade_rolls_back(void **state)
{
	fx *f = *state;
	make_shape1(f);
	char *before = snap(f);
	vmig_conn *c = conn(f, 1);
	vmig_error err = {0};
	must(D->begin(c, &err), &err, "begin");
	must_prepare(c);
	D->rollback(c);
	D->close(c);
	expect_snap(f, before, "an upgrade rolled back");
}

/* ------------------------------------------------------------ bookkeeping */

static void expect_row(const vmig_applied *got, const vmig_applied *want, long long seq, bool dirty)
{
	assert_string_equal(got->revision, want->revision);
	assert_string_equal(got->parents, want->parents);
	assert_string_equal(got->message, want->message);
	assert_string_equal(got->checksum, want->checksum);
	assert_int_equal(got->checksum_version, want->checksum_version);
	assert_string_equal(got->applied_at, want->applied_at);
	if (want->down_sql)
		assert_string_equal(got->down_sql, want->down_sql);
	else
		assert_null(got->down_sql);
	assert_int_equal(got->transactional, want->transactional);
	assert_int_equal(got->dirty, dirty);
	assert_int_equal(got->seq, seq);
	assert_true(got->duration_ms >= 0 && got->duration_ms < 60000);
}

static void test_version_table_round_trip(void **state)
{
	fx *f = *state;
	vmig_applied a = {
	    .revision = "zz9",
	    .parents = "p1 p2",
	    .message = "it's \"quoted\"; -- not a comment\n\\ na\xc3\xafve \xe2\x9c\x93",
	    .checksum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    .checksum_version = 7,
	    .applied_at = "2024-05-06T07:08:09.123Z",
	    .duration_ms = 12345, /* the driver measures it */
	    .down_sql = NULL,
	    .transactional = false};
	vmig_applied b = {.revision = "aa1",
	                  .parents = "zz9",
	                  .message = "",
	                  .checksum = "00",
	                  .checksum_version = 1,
	                  .applied_at = "2024-05-06T07:08:10.000Z",
	                  .down_sql = "DROP TABLE x; -- it's 'down'\n$$ \xe2\x82\xac $$",
	                  .transactional = true};
	vmig_conn *c = conn(f, 1);
	vmig_error err;
	must_prepare(c);
	must(apply_row(c, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, &a, NULL, &err), &err,
	     "INSERT_APPLIED");
	must(apply_row(c, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_IN_PROGRESS, &b, NULL, &err), &err,
	     "INSERT_IN_PROGRESS");

	vmig_conn *c2 = conn(f, 1); /* read back on a connection of its own */
	vmig_applied_set set;
	read_all(c2, false, &set);
	assert_int_equal(set.n, 2);
	expect_row(&set.rows[0], &a, 1, false);
	assert_true(set.rows[0].duration_ms < 12345);
	expect_row(&set.rows[1], &b, 2, true);
	vmig_applied_free(&set);

	/* ids_only: revision and dirty, nothing else */
	read_all(c2, true, &set);
	assert_int_equal(set.n, 2);
	for (size_t i = 0; i < 2; i++) {
		const vmig_applied *r = &set.rows[i];
		assert_null(r->parents);
		assert_null(r->message);
		assert_null(r->checksum);
		assert_null(r->applied_at);
		assert_null(r->down_sql);
		assert_int_equal(r->checksum_version, 0);
		assert_int_equal(r->seq, 0);
		assert_false(r->transactional);
	}
	assert_string_equal(set.rows[0].revision, "zz9");
	assert_false(set.rows[0].dirty);
	assert_string_equal(set.rows[1].revision, "aa1");
	assert_true(set.rows[1].dirty);
	vmig_applied_free(&set);

	/* SET_APPLIED, SET_IN_PROGRESS, DELETE, and seq after a delete */
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_SET_APPLIED, "aa1");
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_SET_IN_PROGRESS, "zz9");
	read_all(c2, false, &set);
	assert_int_equal(set.n, 2);
	expect_row(&set.rows[0], &a, 1, true);
	expect_row(&set.rows[1], &b, 2, false);
	vmig_applied_free(&set);
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_DELETE, "zz9");
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "mm5");
	expect_ids(c2, "aa1 mm5");
	expect_q(f, "SELECT seq FROM vmig_version ORDER BY seq", "2\n3");
	expect_q(f, "SELECT state FROM vmig_version ORDER BY seq", "applied\napplied");
	D->close(c2);
	D->close(c);
}

/* A bookkeeping change names its revision. */
static void test_row_op_without_revision(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	must_prepare(c);
	vmig_error err;
	assert_int_equal(
	    apply_row(c, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, NULL, NULL, &err),
	    VMIG_ERR_INPUT);
	vmig_applied none = {0};
	assert_int_equal(apply_row(c, NULL, VMIG_TXN_OWN, VMIG_ROW_DELETE, &none, NULL, &err),
	                 VMIG_ERR_INPUT);
	expect_ids(c, "");
	D->close(c);
}

/* A row op on a revision that has no row fails: the bookkeeping changed
 * nothing, so the run must not go on as if it had. */
static void test_row_op_on_missing_row(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	must_prepare(c);
	vmig_error err;
	static const enum vmig_row_op ops[] = {VMIG_ROW_SET_APPLIED, VMIG_ROW_SET_IN_PROGRESS,
	                                       VMIG_ROW_DELETE};
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
		assert_int_equal(apply(c, NULL, VMIG_TXN_NONE, ops[i], "absent", NULL, &err),
		                 VMIG_ERR_RUNTIME);
		assert_int_equal(apply(c, NULL, VMIG_TXN_OWN, ops[i], "absent", NULL, &err),
		                 VMIG_ERR_RUNTIME);
	}
	expect_ids(c, "");
	D->close(c);
}

/* commit() after a change failed inside the caller's transaction commits nothing. */
static void test_commit_after_failed_change(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	must_prepare(c);
	vmig_error err;
	must(D->begin(c, &err), &err, "begin");
	must_apply(c, "CREATE TABLE t1 (x int);", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "r1");
	assert_int_equal(apply(c, "CREATE TABLE t2 (x int); SELECT * FROM no_such_table;",
	                       VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "r2", NULL, &err),
	                 VMIG_ERR_RUNTIME);
	assert_int_not_equal(D->commit(c, &err), VMIG_OK);
	D->rollback(c);
	expect_ids(c, "");
	assert_false(table_exists(f, "t1"));
	assert_false(table_exists(f, "t2"));
	D->close(c);
}

/* ------------------------------------------------------------ apply: own */

static void test_apply_own_commits_together(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	must_prepare(c);
	must_apply(c,
	           "CREATE TABLE t1 (x integer);\nINSERT INTO t1 VALUES (1);\nINSERT INTO t1 "
	           "VALUES (2);",
	           VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r1");
	expect_q(f, "SELECT count(*) FROM t1", "2");
	expect_q(f, "SELECT revision FROM vmig_version", "r1");
	/* SQL without bookkeeping, and a downgrade */
	must_apply(c, "INSERT INTO t1 VALUES (3)", VMIG_TXN_OWN, VMIG_ROW_NONE, NULL);
	expect_q(f, "SELECT count(*) FROM t1", "3");
	must_apply(c, "DROP TABLE t1;", VMIG_TXN_OWN, VMIG_ROW_DELETE, "r1");
	assert_false(table_exists(f, "t1"));
	expect_q(f, "SELECT count(*) FROM vmig_version", "0");
	D->close(c);
}

static void expect_own_failure(const fx *f, vmig_conn *c, const char *sql, size_t from, size_t to)
{
	char *before = snap(f);
	vmig_error err;
	size_t off = 0;
	int rc = apply(c, sql, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "bad", &off, &err);
	if (rc != VMIG_ERR_RUNTIME)
		fail_msg("failing SQL gave %d (%s), expected VMIG_ERR_RUNTIME:\n%s", rc, err.msg,
		         sql);
	assert_true(err.msg[0] != '\0');
	if (from == to)
		expect_offset(sql, off, from);
	else if (off == VMIG_NO_OFFSET || off < from || off >= to)
		fail_msg("fail_offset %zu is not within the failing statement [%zu, %zu) of:\n%s",
		         off, from, to, sql);
	expect_snap(f, before, "a failed revision");
	assert_false(table_exists(f, "t2"));
	expect_ids(c, "");
}

static void test_apply_own_failure(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	must_prepare(c);
	/* A run-time error in the 3rd statement: the offset of that statement. */
	const char *dup = "CREATE TABLE t2 (x integer PRIMARY KEY);\nINSERT INTO t2 VALUES (1);\n"
	                  "INSERT INTO t2 VALUES (1);\nCREATE TABLE t3 (x integer);\n";
	size_t at = offset_of(dup, "INSERT INTO t2 VALUES (1);\nCREATE");
	expect_own_failure(f, c, dup, at, at);
	/* An error with a position (no such table): within the 3rd statement. */
	const char *missing = "CREATE TABLE t2 (x integer);\nINSERT INTO t2 VALUES (1);\n"
	                      "INSERT INTO nosuch VALUES (2);\nCREATE TABLE t3 (x integer);\n";
	size_t from = offset_of(missing, "INSERT INTO nosuch");
	expect_own_failure(f, c, missing, from, offset_of(missing, "CREATE TABLE t3"));
	assert_false(table_exists(f, "t3"));
	/* the connection is usable afterwards */
	must_apply(c, "CREATE TABLE t4 (x integer)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "ok");
	expect_ids(c, "ok");
	D->close(c);
}

/* ------------------------------------------------------------ transaction control */

static const char *const txn_control[] = {
    "BEGIN;",    "BEGIN TRANSACTION;",       "COMMIT;", "commit;", "END;",
    "ROLLBACK;", "PREPARE TRANSACTION 'x';", NULL,
};

static void expect_refused(fails *fl, const fx *f, vmig_conn *c, enum vmig_txn txn, const char *sql,
                           size_t at)
{
	const char *mode = txn == VMIG_TXN_OWN ? "own" : "outer";
	char *before = snap(f);
	vmig_error err = {0};
	size_t off = 0;
	if (txn == VMIG_TXN_OUTER)
		must(D->begin(c, &err), &err, "begin");
	int rc = apply(c, sql, txn, VMIG_ROW_INSERT_APPLIED, "tc", &off, &err);
	if (rc != VMIG_ERR_INPUT)
		note_fail(fl, "%s: %d (%s), expected VMIG_ERR_INPUT for: %s", mode, rc, err.msg,
		          sql);
	else if (off == VMIG_NO_OFFSET || skip_space(sql, off) != at)
		note_fail(fl, "%s: fail_offset %zu, expected %zu (\"%.12s\") in: %s", mode, off, at,
		          sql + at, sql);
	if (txn == VMIG_TXN_OUTER)
		D->rollback(c);
	char *after = snap(f);
	if (strcmp(before, after) != 0)
		note_fail(fl, "%s: the database changed after refusing: %s", mode, sql);
	free(before);
	free(after);
	vmig_applied_set set;
	read_all(c, true, &set);
	if (set.n)
		note_fail(fl, "%s: a row was written for: %s", mode, sql);
	vmig_applied_free(&set);
}

static void test_transaction_control_refused(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	must_prepare(c);
	fails fl = {0};
	static const enum vmig_txn modes[] = {VMIG_TXN_OWN, VMIG_TXN_OUTER};
	for (size_t m = 0; m < 2; m++) {
		for (const char *const *t = txn_control; *t; t++) {
			char sql[256];
			snprintf(sql, sizeof sql,
			         "CREATE TABLE tc (x integer);\n%s\nCREATE TABLE td (x integer);",
			         *t);
			expect_refused(&fl, f, c, modes[m], sql, offset_of(sql, *t));
			/* the first statement, too */
			expect_refused(&fl, f, c, modes[m], *t, 0);
		}
		/* An empty statement must not hide the COMMIT after it. */
		const char *empty = "CREATE TABLE tc (x integer);;\nCOMMIT;\nCREATE TABLE td (x "
		                    "integer);";
		expect_refused(&fl, f, c, modes[m], empty, offset_of(empty, "COMMIT"));
		const char *empties = "CREATE TABLE tc (x integer); ; ;\n  ;COMMIT;";
		expect_refused(&fl, f, c, modes[m], empties, offset_of(empties, "COMMIT"));
	}
	/* ROLLBACK TO a savepoint stays inside the transaction: not refused. */
	vmig_error err;
	const char *sp = "SAVEPOINT s1;\nCREATE TABLE ts (x integer);\nROLLBACK TO SAVEPOINT s1;";
	if (apply(c, sp, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "sp", NULL, &err) != VMIG_OK)
		note_fail(&fl, "ROLLBACK TO SAVEPOINT was refused: %s", err.msg);
	char *ids = ids_read(c);
	D->close(c);
	if (strcmp(ids, "sp") != 0)
		note_fail(&fl, "rows after the savepoint revision: <%s>, expected <sp>", ids);
	free(ids);
	if (table_exists(f, "tc") || table_exists(f, "ts"))
		note_fail(&fl, "a table of refused or rolled-back SQL exists");
	check_fails(&fl);
}

/* ------------------------------------------------------------ apply: none */

static void test_apply_none_runs_outside_a_transaction(void **state)
{
	fx *f = *state;
	if (!(D->caps & VMIG_CAP_NON_TRANSACTIONAL_STATEMENTS))
		SKIP_BECAUSE("no VMIG_CAP_NON_TRANSACTIONAL_STATEMENTS: nothing must run outside "
		             "a transaction");
	vmig_conn *c = conn(f, 1);
	must_prepare(c);
	if (H->non_txn_setup)
		must_apply(c, H->non_txn_setup, VMIG_TXN_OWN, VMIG_ROW_NONE, NULL);
	/* It really cannot run in a transaction... */
	vmig_error err;
	size_t off;
	int rc = apply(c, H->non_txn_sql, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "n0", &off, &err);
	if (rc != VMIG_ERR_RUNTIME)
		fail_msg("%s in a transaction: %d (%s), expected the database to refuse it",
		         H->non_txn_sql, rc, err.msg);
	expect_ids(c, "");
	/* ...and it runs outside one, then its row is written. */
	must_apply(c, H->non_txn_sql, VMIG_TXN_NONE, VMIG_ROW_INSERT_APPLIED, "n1");
	expect_ids(c, "n1");
	char *two = malloc(strlen(H->non_txn_sql) + 64);
	sprintf(two, "CREATE TABLE n2 (x integer);\n%s;\nINSERT INTO n2 VALUES (1);",
	        H->non_txn_sql);
	must_apply(c, two, VMIG_TXN_NONE, VMIG_ROW_INSERT_IN_PROGRESS, "n2");
	free(two);
	expect_q(f, "SELECT count(*) FROM n2", "1");
	must_apply(c, NULL, VMIG_TXN_NONE, VMIG_ROW_SET_APPLIED, "n2");
	vmig_applied_set set;
	read_all(c, true, &set);
	assert_int_equal(set.n, 2);
	assert_false(set.rows[1].dirty);
	vmig_applied_free(&set);

	/* Statement by statement: a failure keeps what ran before it, writes no row. */
	const char *bad = "CREATE TABLE n3 (x integer);\nINSERT INTO nosuch VALUES (1);\n";
	rc = apply(c, bad, VMIG_TXN_NONE, VMIG_ROW_SET_APPLIED, "n1", &off, &err);
	assert_int_equal(rc, VMIG_ERR_RUNTIME);
	size_t from = offset_of(bad, "INSERT");
	if (off == VMIG_NO_OFFSET || off < from || off >= strlen(bad))
		fail_msg("fail_offset %zu is not within the failing statement at %zu", off, from);
	assert_true(table_exists(f, "n3"));
	must_apply(c, NULL, VMIG_TXN_NONE, VMIG_ROW_SET_IN_PROGRESS, "n1");
	rc = apply(c, bad + from, VMIG_TXN_NONE, VMIG_ROW_SET_APPLIED, "n1", &off, &err);
	assert_int_equal(rc, VMIG_ERR_RUNTIME);
	read_all(c, true, &set);
	assert_true(set.rows[0].dirty); /* not set applied */
	vmig_applied_free(&set);
	D->close(c);
}

static void test_apply_none_left_open(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	must_prepare(c);
	const char *sql = "BEGIN;\nCREATE TABLE t (x integer);";
	vmig_error err;
	size_t off;
	int rc = apply(c, sql, VMIG_TXN_NONE, VMIG_ROW_INSERT_APPLIED, "lo", &off, &err);
	if (rc != VMIG_ERR_RUNTIME)
		fail_msg("SQL that leaves a transaction open: %d (%s), expected VMIG_ERR_RUNTIME",
		         rc, err.msg);
	assert_false(table_exists(f, "t"));
	expect_ids(c, "");
	expect_q(f, "SELECT count(*) FROM vmig_version", "0");
	/* the connection is idle and usable */
	must_apply(c, "CREATE TABLE u (x integer);", VMIG_TXN_NONE, VMIG_ROW_INSERT_APPLIED, "ok");
	must_apply(c, "CREATE TABLE v (x integer);", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "ok2");
	expect_ids(c, "ok ok2");
	/* BEGIN ... COMMIT inside a transaction-off change is the SQL's own business */
	must_apply(c, "BEGIN;\nCREATE TABLE w (x integer);\nCOMMIT;", VMIG_TXN_NONE,
	           VMIG_ROW_INSERT_APPLIED, "ok3");
	assert_true(table_exists(f, "w"));
	D->close(c);
	assert_true(table_exists(f, "u"));
	assert_true(table_exists(f, "v"));
}

/* ------------------------------------------------------------ apply: outer */

static void test_outer_transaction(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	vmig_error err = {0};
	must_prepare(c);
	char *before = snap(f);

	/* several changes, then rollback: nothing */
	must(D->begin(c, &err), &err, "begin");
	must_apply(c, "CREATE TABLE o1 (x integer);", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED,
	           "o1");
	must_apply(c, "CREATE TABLE o2 (x integer);\nINSERT INTO o2 VALUES (1);", VMIG_TXN_OUTER,
	           VMIG_ROW_INSERT_APPLIED, "o2");
	must_apply(c, NULL, VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "o3");
	D->rollback(c);
	expect_snap(f, before, "a rolled-back transaction");
	before = snap(f);
	D->rollback(c); /* no transaction: a no-op */
	expect_ids(c, "");

	/* a change in no transaction at all is refused */
	size_t off;
	int rc = apply(c, "CREATE TABLE o0 (x integer);", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED,
	               "o0", &off, &err);
	assert_int_not_equal(rc, VMIG_OK);
	expect_snap(f, before, "an outer change without a transaction");

	/* commit keeps them all */
	must(D->begin(c, &err), &err, "begin");
	must_apply(c, "CREATE TABLE o1 (x integer);", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED,
	           "o1");
	must_apply(c, "CREATE TABLE o2 (x integer);\nINSERT INTO o2 VALUES (1);", VMIG_TXN_OUTER,
	           VMIG_ROW_INSERT_APPLIED, "o2");
	must_apply(c, "DROP TABLE o1;", VMIG_TXN_OUTER, VMIG_ROW_DELETE, "o1");
	must(D->commit(c, &err), &err, "commit");
	assert_false(table_exists(f, "o1"));
	expect_q(f, "SELECT count(*) FROM o2", "1");
	expect_ids(c, "o2");

	/* commit with no transaction open fails */
	memset(&err, 0, sizeof err);
	assert_int_equal(D->commit(c, &err), VMIG_ERR_RUNTIME);
	assert_true(err.msg[0] != '\0');

	/* a failed change: rolled back by the caller, nothing of it stays */
	before = snap(f);
	must(D->begin(c, &err), &err, "begin");
	must_apply(c, "CREATE TABLE o4 (x integer);", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED,
	           "o4");
	const char *bad = "CREATE TABLE o5 (x integer);\nINSERT INTO nosuch VALUES (1);";
	rc = apply(c, bad, VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "o5", &off, &err);
	assert_int_equal(rc, VMIG_ERR_RUNTIME);
	if (off == VMIG_NO_OFFSET || off < offset_of(bad, "INSERT"))
		fail_msg("fail_offset %zu, expected within the INSERT at %zu", off,
		         offset_of(bad, "INSERT"));
	D->rollback(c);
	expect_snap(f, before, "a failed outer transaction");
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "after");
	expect_ids(c, "o2 after");
	D->close(c);
}

/* close() rolls back an open transaction. */
static void test_close_rolls_back(void **state)
{
	fx *f = *state;
	vmig_conn *c = conn(f, 1);
	vmig_error err = {0};
	must_prepare(c);
	char *before = snap(f);
	must(D->begin(c, &err), &err, "begin");
	must_apply(c, "CREATE TABLE cl (x integer);", VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED,
	           "cl");
	D->close(c);
	expect_snap(f, before, "close with an open transaction");
}

/* ------------------------------------------------------------ lock */

/* Takes the lock on c, which must time out: VMIG_ERR_RUNTIME about the
 * migration lock, after lock_timeout (1 s) and not much more. */
static void expect_lock_timeout(vmig_conn *c)
{
	vmig_error err = {0};
	double t0 = now_ms();
	int rc = D->lock(c, &err);
	double ms = now_ms() - t0;
	if (rc != VMIG_ERR_RUNTIME)
		fail_msg("lock() while another connection holds it: %d (%s)", rc, err.msg);
	assert_contains(err.msg, "migration lock");
	print_message("[   INFO   ] %s: lock() timed out after %.0f ms (lock_timeout 1 s)\n",
	              D->name, ms);
	if (ms < 950 || ms > 1600)
		fail_msg("lock() gave up after %.0f ms; lock_timeout is 1000 ms", ms);
}

static void test_lock(void **state)
{
	fx *f = *state;
	vmig_conn *a = conn(f, 1), *b = conn(f, 1);
	vmig_error err = {0};

	/* taken twice, released by one unlock */
	must(D->lock(a, &err), &err, "lock");
	must(D->lock(a, &err), &err, "lock again");
	expect_lock_timeout(b);
	D->close(b);
	b = conn(f, 1);
	D->unlock(a);
	must(D->lock(b, &err), &err, "lock after the holder's unlock");
	D->unlock(b);
	D->unlock(b); /* not held: a no-op */
	D->close(b);

	/* released at close */
	b = conn(f, 1);
	must(D->lock(a, &err), &err, "lock");
	expect_lock_timeout(b);
	D->close(b);
	b = conn(f, 1);
	D->close(a);
	double t0 = now_ms();
	must(D->lock(b, &err), &err, "lock after the holder's close");
	assert_true(now_ms() - t0 < 900);
	D->unlock(b);
	D->close(b);
}

/* The lock holds across the holder's transactions (VMIG_CAP_SESSION_LOCK). */
static void test_lock_across_transactions(void **state)
{
	fx *f = *state;
	if (!(D->caps & VMIG_CAP_SESSION_LOCK))
		SKIP_BECAUSE("no VMIG_CAP_SESSION_LOCK: the lock need not outlive a transaction");
	vmig_conn *a = conn(f, 1), *b = conn(f, 1);
	vmig_error err = {0};
	must(D->lock(a, &err), &err, "lock");
	must_prepare(a);
	must_apply(a, "CREATE TABLE l1 (x integer);", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "l1");
	must(D->begin(a, &err), &err, "begin");
	must_apply(a, NULL, VMIG_TXN_OUTER, VMIG_ROW_INSERT_APPLIED, "l2");
	must(D->commit(a, &err), &err, "commit");
	must_apply(a, "CREATE TABLE l3 (x integer);", VMIG_TXN_NONE, VMIG_ROW_INSERT_APPLIED, "l3");
	expect_lock_timeout(b);
	D->unlock(a);
	must(D->lock(b, &err), &err, "lock after unlock");
	expect_ids(b, "l1 l2 l3");
	D->unlock(b);
	D->close(b);
	D->close(a);
}

/* A reader while a runner that holds the lock has written. */
static void test_read_while_a_runner_writes(void **state)
{
	fx *f = *state;
	vmig_conn *a = conn(f, 1), *b = conn(f, 1);
	vmig_error err = {0};
	must(D->lock(a, &err), &err, "lock");
	must_prepare(a);
	must_apply(a, "CREATE TABLE w1 (x integer);", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "w1");

	vmig_applied_set set = {0};
	double t0 = now_ms();
	int rc = D->read_applied(b, true, &set, &err);
	double ms = now_ms() - t0;
	vmig_applied_free(&set);
	if (H->readers_wait_for_writer) {
		if (rc != VMIG_ERR_RUNTIME)
			fail_msg("read_applied while a runner writes: %d, expected a time-out", rc);
		assert_contains(err.msg, "migration lock");
		assert_not_contains(err.msg, "database is locked");
		print_message("[   INFO   ] %s: read_applied waited %.0f ms for the writer "
		              "(lock_timeout 1 s)\n",
		              D->name, ms);
		if (ms < 950 || ms > 1600)
			fail_msg("read_applied gave up after %.0f ms; lock_timeout is 1000 ms", ms);
	} else {
		must(rc, &err, "read_applied while a runner holds the lock");
		print_message("[   INFO   ] %s: readers do not wait for a writer (%.0f ms)\n",
		              D->name, ms);
		if (ms > 900)
			fail_msg("read_applied took %.0f ms although readers do not wait", ms);
	}
	D->unlock(a);
	expect_ids(b, "w1");
	D->close(a);
	D->close(b);
}

/* ------------------------------------------------------------ names */

static void test_version_table_schema(void **state)
{
	fx *f = *state;
	if (!(D->caps & VMIG_CAP_SCHEMAS))
		SKIP_BECAUSE("no VMIG_CAP_SCHEMAS: version_table_schema has no meaning");
	raw_exec(f, "CREATE SCHEMA conf_s");
	vmig_conn_opts o = opts_for("vmig_version", "conf_s", 1);
	vmig_conn *c = conn_with(f->url, &o);
	vmig_error err = {0};
	must(D->lock(c, &err), &err, "lock");
	must_prepare(c);
	must_apply(c, "CREATE TABLE conf_s.s1 (x integer)", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED,
	           "s1");
	expect_ids(c, "s1");
	expect_q(f, "SELECT revision FROM conf_s.vmig_version", "s1");
	expect_q(f, "SELECT value FROM conf_s.vmig_version_meta WHERE key = 'shape'", "2");
	assert_false(table_exists(f, "vmig_version"));
	/* a runner on the default schema has a table (and a lock) of its own */
	vmig_conn *d = conn(f, 1);
	expect_ids(d, "");
	must(D->lock(d, &err), &err, "lock of the default schema's table");
	D->close(d);
	D->unlock(c);
	D->close(c);
}

/* A version table whose meta table's name is as long as the database keeps. */
static void test_longest_table_name(void **state)
{
	fx *f = *state;
	/* the longest the core accepts: one byte short of what the database keeps,
	 * so that "<name>_meta", cut by the database, is not the name itself */
	size_t n = D->max_identifier ? D->max_identifier - 1 : 120;
	char *name = malloc(n + 1);
	memset(name, 'v', n);
	name[n] = '\0';
	vmig_conn_opts o = opts_for(name, NULL, 1);
	vmig_conn *c = conn_with(f->url, &o);
	vmig_error err = {0};
	must(D->lock(c, &err), &err, "lock");
	must_prepare(c);
	must_apply(c, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r1");
	expect_ids(c, "r1");
	D->close(c);
	expect_columns(f, name);
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT revision FROM %s", name);
	expect_q(f, sql, "r1");
	snprintf(sql, sizeof sql, "SELECT value FROM %s_meta", name); /* cut alike */
	expect_q(f, sql, "2");
	free(name);
}

/* ------------------------------------------------------------ passwords */

static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	assert_non_null(p);
	char *out = malloc(strlen(s) + strlen(to) + 1);
	sprintf(out, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return out;
}

static void test_password_never_in_messages(void **state)
{
	(void)state;
	if (!H->password_url)
		SKIP_BECAUSE(
		    "its URLs carry no password (bad URLs with one: test_connect_bad_urls)");
	char *url = H->password_url();
	assert_non_null(strstr(url, CONF_SECRET));
	char table[64];
	snprintf(table, sizeof table, "conf_pw_%ld", (long)getpid());
	vmig_conn_opts o = opts_for(table, NULL, 1);
	vmig_error err = {0};

	/* a wrong password: neither it nor the right one shows */
	char *wrong = replace(url, CONF_SECRET, "Wr0ng-pw-QQQ");
	vmig_conn *c = NULL;
	assert_int_equal(D->connect(wrong, &o, &c, &err), VMIG_ERR_RUNTIME);
	check_no_secret(&err, "Wr0ng-pw-QQQ", "wrong password");
	check_no_secret(&err, CONF_SECRET, "wrong password");
	free(wrong);

	/* errors of a connection made with a password */
	c = conn_with(url, &o);
	vmig_conn *c2 = conn_with(url, &o);
	must(D->lock(c, &err), &err, "lock");
	must_prepare(c);
	size_t off;
	assert_int_equal(apply(c, "SELECT * FROM nosuch", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED,
	                       "r1", &off, &err),
	                 VMIG_ERR_RUNTIME);
	check_no_secret(&err, CONF_SECRET, "SQL error");
	assert_int_equal(
	    apply(c, "COMMIT", VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED, "r1", &off, &err),
	    VMIG_ERR_INPUT);
	check_no_secret(&err, CONF_SECRET, "transaction control");
	memset(&err, 0, sizeof err);
	assert_int_equal(D->lock(c2, &err), VMIG_ERR_RUNTIME);
	check_no_secret(&err, CONF_SECRET, "lock time-out");
	assert_int_equal(D->commit(c, &err), VMIG_ERR_RUNTIME);
	check_no_secret(&err, CONF_SECRET, "commit without a transaction");

	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE %s_meta SET value = '3'", table);
	free(H->db->query(url, sql));
	vmig_applied_set set = {0};
	assert_int_equal(D->read_applied(c2, false, &set, &err), VMIG_ERR_RUNTIME);
	vmig_applied_free(&set);
	check_no_secret(&err, CONF_SECRET, "newer shape");
	D->close(c2);
	D->close(c);
	snprintf(sql, sizeof sql, "DROP TABLE %s; DROP TABLE %s_meta", table, table);
	free(H->db->query(url, sql));
	free(url);
}

/* ------------------------------------------------- other tools' tables */

static void test_read_column(void **state)
{
	fx *f = *state;
	if (H->create)
		H->create(f->url);
	raw_exec(f, "CREATE TABLE other_version (version_num varchar(32))");
	raw_exec(f, "INSERT INTO other_version (version_num) VALUES ('b2'), (NULL), ('a1')");
	vmig_conn *c = conn(f, 1);
	char *before = H->db->snapshot(f->url);
	char **v = NULL;
	size_t n = 9;
	vmig_error err = {0};
	must(D->read_column(c, "other_version", "version_num", &v, &n, &err), &err, "read_column");
	assert_int_equal(n, 2); /* NULL left out, sorted */
	assert_string_equal(v[0], "a1");
	assert_string_equal(v[1], "b2");
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	assert_int_equal(D->read_column(c, "no_such_table", "version_num", &v, &n, &err),
	                 VMIG_ERR_INPUT);
	assert_non_null(strstr(err.msg, "no_such_table"));
	assert_int_equal(n, 0);
	assert_int_equal(D->read_column(c, "other_version", "no_such_column", &v, &n, &err),
	                 VMIG_ERR_INPUT);
	D->close(c);
	char *after = H->db->snapshot(f->url);
	assert_string_equal(before, after); /* changes nothing */
	free(before);
	free(after);
}

/* ------------------------------------------------------------ scripts */

static int script(const vmig_conn_opts *o, enum vmig_script_call call, const char *sql,
                  enum vmig_txn txn, enum vmig_row_op op, const vmig_applied *row, vmig_buf *out,
                  size_t *off, vmig_error *err)
{
	vmig_change chg = {.struct_version = VMIG_CHANGE_VERSION,
	                   .sql = sql,
	                   .sql_len = sql ? strlen(sql) : 0,
	                   .txn = txn,
	                   .op = op,
	                   .row = row};
	return D->script(o, call, call == VMIG_SCRIPT_APPLY ? &chg : NULL, out, off, err);
}

/*
 * A script does on the database what the calls it stands for do: run
 * through the driver as SQL outside any transaction, it leaves the tables
 * and the rows that lock, prepare and apply would have.
 */
static void test_script_does_what_apply_does(void **state)
{
	fx *f = *state;
	if (!D->script) {
		print_message("[   INFO   ] %s writes no offline scripts\n", D->name);
		return;
	}
	vmig_conn_opts o = opts_for("vmig_version", NULL, 5);
	vmig_buf b = {0};
	vmig_error err = {0};
	size_t off;
	vmig_applied r1 = row_for("s1"), r2 = row_for("s2");
	r2.transactional = false;
	r2.down_sql = "it's a 'quoted' \\ down;";
	static const enum vmig_script_call calls[] = {
	    VMIG_SCRIPT_LOCK,  VMIG_SCRIPT_BEGIN, VMIG_SCRIPT_PREPARE, VMIG_SCRIPT_COMMIT,
	    VMIG_SCRIPT_BEGIN, VMIG_SCRIPT_APPLY, VMIG_SCRIPT_COMMIT};
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		must(script(&o, calls[i], "CREATE TABLE s1 (x integer)", VMIG_TXN_OWN,
		            VMIG_ROW_INSERT_APPLIED, &r1, &b, &off, &err),
		     &err, "script");
	must(script(&o, VMIG_SCRIPT_APPLY, NULL, VMIG_TXN_OWN, VMIG_ROW_INSERT_IN_PROGRESS, &r2, &b,
	            &off, &err),
	     &err, "script in progress");
	must(script(&o, VMIG_SCRIPT_APPLY, "CREATE TABLE s2 (x integer); -- no newline",
	            VMIG_TXN_NONE, VMIG_ROW_SET_APPLIED, &r2, &b, &off, &err),
	     &err, "script none");
	must(
	    script(&o, VMIG_SCRIPT_UNLOCK, NULL, VMIG_TXN_OWN, VMIG_ROW_NONE, NULL, &b, &off, &err),
	    &err, "script unlock");
	/* Transaction control is refused as apply refuses it, at its offset. */
	vmig_buf ignored = {0};
	const char *bad = "CREATE TABLE s3 (x integer);\nCOMMIT;";
	assert_int_equal(script(&o, VMIG_SCRIPT_APPLY, bad, VMIG_TXN_OWN, VMIG_ROW_INSERT_APPLIED,
	                        &r1, &ignored, &off, &err),
	                 VMIG_ERR_INPUT);
	assert_int_equal(off, offset_of(bad, "COMMIT"));
	vmig_buf_free(&ignored);

	vmig_conn *c = conn(f, 5);
	must(apply(c, vmig_buf_str(&b), VMIG_TXN_NONE, VMIG_ROW_NONE, NULL, &off, &err), &err,
	     "running the script");
	assert_true(table_exists(f, "s1"));
	assert_true(table_exists(f, "s2"));
	vmig_applied_set set;
	read_all(c, false, &set);
	assert_int_equal(set.n, 2);
	for (size_t i = 0; i < 2; i++) {
		const vmig_applied *want = i ? &r2 : &r1, *got = &set.rows[i];
		assert_string_equal(got->revision, want->revision);
		assert_string_equal(got->parents, want->parents);
		assert_string_equal(got->message, want->message);
		assert_string_equal(got->checksum, want->checksum);
		assert_string_equal(got->down_sql, want->down_sql);
		assert_int_equal(got->transactional, want->transactional);
		assert_false(got->dirty);
		assert_int_equal(got->seq, (long long)i + 1);
		assert_int_equal(strlen(got->applied_at), 24); /* 2024-01-02T03:04:05.006Z */
	}
	vmig_applied_free(&set);
	/* A second run of the same script fails on the rows already there,
	 * changing nothing: it is for a database at FROM only. */
	D->close(c);
	vmig_buf_free(&b);
}

/* ------------------------------------------------------------ schema dumps */

static void test_dump_schema(void **state)
{
	fx *f = *state;
	if (!D->dump_schema) {
		print_message("[   INFO   ] %s cannot dump a schema\n", D->name);
		return;
	}
	vmig_conn *c = conn(f, 1);
	must_prepare(c);
	D->close(c);
	raw_exec(f, "CREATE TABLE kept (id integer PRIMARY KEY, name text NOT NULL)");
	raw_exec(f, "CREATE INDEX kept_name ON kept (name)");
	raw_exec(f, "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL)");
	const char *exclude[] = {"alembic_version", "vmig_version", "vmig_version_meta", NULL};
	vmig_buf a = {0}, b = {0};
	vmig_error err = {0};
	must(D->dump_schema(f->url, exclude, &a, &err), &err, "dump_schema");
	must(D->dump_schema(f->url, exclude, &b, &err), &err, "dump_schema again");
	const char *s = vmig_buf_str(&a);
	assert_non_null(strstr(s, "kept"));
	assert_non_null(strstr(s, "kept_name"));
	assert_null(strstr(s, "alembic_version"));
	assert_null(strstr(s, "vmig_version"));
	assert_string_equal(s, vmig_buf_str(&b)); /* the same database, the same text */
	vmig_buf_free(&a);
	vmig_buf_free(&b);
}

/* ------------------------------------------------------------ the server */

static vmig_server *server_of(const fx *f)
{
	vmig_server *s = NULL;
	vmig_error err = {0};
	if (D->server->open(f->url, 2, &s, &err) != VMIG_OK)
		fail_msg("server open failed: %s", err.msg);
	return s;
}

static bool listed(vmig_server *s, const char *prefix, const char *name)
{
	char **names;
	size_t n;
	vmig_error err = {0};
	must(D->server->list(s, prefix, &names, &n, &err), &err, "list");
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		found = found || strcmp(names[i], name) == 0;
		free(names[i]);
	}
	free(names);
	return found;
}

/* create / rename / drop / list, and locks between two handles. */
static void test_server_ops(void **state)
{
	fx *f = *state;
	const vmig_server_ops *ops = D->server;
	assert_non_null(ops);
	if (H->create)
		H->create(f->url);
	vmig_server *s = server_of(f);
	size_t stem;
	const char *base = ops->name(s, &stem);
	char a[600], b[600], prefix[256];
	snprintf(prefix, sizeof prefix, "%.*s_conf_", (int)stem, base);
	snprintf(a, sizeof a, "%sa%s", prefix, base + stem);
	snprintf(b, sizeof b, "%sb%s", prefix, base + stem);
	vmig_error err = {0};
	bool flag = true;
	must(ops->create(s, a, NULL, &flag, &err), &err, "create");
	assert_false(flag);
	must(ops->create(s, a, NULL, &flag, &err), &err, "create again");
	assert_true(flag); /* there already: no error */
	assert_true(listed(s, prefix, a));
	/* A copy of the test's own database (with a table in it). */
	raw_exec(f, "CREATE TABLE copied (x integer)");
	char *c = ops->url_for(s, b);
	must(ops->create(s, b, base, &flag, &err), &err, "create from a template");
	char *rows = H->db->query(c, "SELECT count(*) FROM copied");
	assert_non_null(rows);
	free(rows);
	bool missing = true;
	must(ops->drop(s, b, false, &missing, &err), &err, "drop the copy");
	assert_false(missing);
	/* Renaming: the second caller finds the name gone. */
	must(ops->rename(s, a, b, &missing, &err), &err, "rename");
	assert_false(missing);
	must(ops->rename(s, a, b, &missing, &err), &err, "rename again");
	assert_true(missing);
	assert_false(listed(s, prefix, a));
	assert_true(listed(s, prefix, b));
	must(ops->drop(s, b, false, &missing, &err), &err, "drop");
	assert_false(missing);
	must(ops->drop(s, b, false, &missing, &err), &err, "drop again");
	assert_true(missing);
	/* A lock: a second handle does not get it until the first lets go. */
	vmig_server *s2 = server_of(f);
	bool got = false;
	must(ops->lock(s, "conf_key", true, &got, &err), &err, "lock");
	assert_true(got);
	must(ops->lock(s2, "conf_key", false, &got, &err), &err, "try the lock");
	assert_false(got);
	assert_int_equal(ops->lock(s2, "conf_key", true, &got, &err), VMIG_ERR_RUNTIME);
	ops->unlock(s, "conf_key");
	must(ops->lock(s2, "conf_key", false, &got, &err), &err, "lock once free");
	assert_true(got);
	ops->close(s2); /* releases it */
	must(ops->lock(s, "conf_key", false, &got, &err), &err, "lock after close");
	assert_true(got);
	ops->close(s);
	free(c);
}

/* ------------------------------------------------------------------ run */

#define T(f) cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)#f)

int conformance_run(const conf_harness *h)
{
	const struct CMUnitTest tests[] = {
	    T(test_driver_table),
	    T(test_connect_bad_urls),
	    T(test_connect_unreachable),
	    T(test_read_missing_table),
	    T(test_prepare_creates_the_tables),
	    T(test_prepare_in_callers_transaction),
	    T(test_newer_shape_refused),
	    T(test_shape1_read_unchanged),
	    T(test_shape1_upgraded_by_prepare),
	    T(test_shape1_upgrade_rolls_back),
	    T(test_version_table_round_trip),
	    T(test_row_op_without_revision),
	    T(test_row_op_on_missing_row),
	    T(test_commit_after_failed_change),
	    T(test_apply_own_commits_together),
	    T(test_apply_own_failure),
	    T(test_transaction_control_refused),
	    T(test_apply_none_runs_outside_a_transaction),
	    T(test_apply_none_left_open),
	    T(test_outer_transaction),
	    T(test_close_rolls_back),
	    T(test_lock),
	    T(test_lock_across_transactions),
	    T(test_read_while_a_runner_writes),
	    T(test_version_table_schema),
	    T(test_longest_table_name),
	    T(test_password_never_in_messages),
	    T(test_read_column),
	    T(test_script_does_what_apply_does),
	    T(test_dump_schema),
	    T(test_server_ops),
	};
	H = h;
	char title[64];
	snprintf(title, sizeof title, "conformance_%s", h->driver->name);
	return cmocka_run_group_tests_name(title, tests, NULL, NULL);
}
