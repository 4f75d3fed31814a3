/*
 * cli_suite.c - every vmig command, run as the real binary against a real
 * database (SPEC "Commands", "Targets", "Transactions, locking, failure",
 * "Output and exit codes").
 *
 * The tests know the database only through the backend (backend.h), so the
 * same suite runs against SQLite and PostgreSQL; the SQL in the migrations
 * is written to work on both.  Every test has its own project folder and its
 * own fresh database.  Every command that is refused is checked to leave the
 * database exactly as it was (backend->snapshot before and after).
 */
#include "cli_suite.h"

#include "testutil.h"

#include "revision.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const tu_backend *B;

/* ------------------------------------------------------------------ fixture */

typedef struct proj {
	const char *name; /* the test's name */
	char *dir;        /* project folder: the working directory of every run */
	char *mig;        /* dir/migrations */
	char *url;        /* the test's database */
} proj;

static int setup(void **state)
{
	proj *p = calloc(1, sizeof *p);
	p->name = *state; /* the prestate: the test's name */
	char name[256];
	snprintf(name, sizeof name, "cli-%s-%s", B->name, p->name);
	p->dir = tu_tempdir(name);
	p->mig = malloc(strlen(p->dir) + 16);
	sprintf(p->mig, "%s/migrations", p->dir);
	mkdir(p->mig, 0777);
	p->url = B->new_database(p->name);
	*state = p;
	return p->url ? 0 : -1;
}

static int teardown(void **state)
{
	proj *p = *state;
	B->drop(p->url);
	tu_rmtree(p->dir);
	free(p->url);
	free(p->mig);
	free(p->dir);
	free(p);
	return 0;
}

/* ------------------------------------------------------------ revisions */

typedef struct revspec {
	const char *id;
	const char *parents; /* space-separated; "" for a root */
	const char *message;
	const char *up;
	const char *down; /* NULL: irreversible */
	bool no_transaction;
} revspec;

#define R1 "1f00aa000001"
#define R2 "2b00bb000002"
#define R3 "3c00cc000003"
#define RA "4d00aa000004"
#define RB "4d00bb000005"

#define R1_UP                                                                                      \
	"CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL);\n"                       \
	"INSERT INTO users (id, name) VALUES (1, 'ada; lovelace'); -- a comment; with ';'"
#define R1_DOWN "DROP TABLE users;"
#define R2_UP                                                                                      \
	"CREATE TABLE posts (id integer PRIMARY KEY, user_id integer NOT NULL, title text);\n"     \
	"CREATE INDEX posts_user ON posts (user_id);"
#define R2_DOWN "DROP INDEX posts_user;\nDROP TABLE posts;"
#define R3_UP   "CREATE TABLE tags (id integer PRIMARY KEY, name text);"
#define R3_DOWN "DROP TABLE tags;"

static const revspec S1 = {R1, "", "create users", R1_UP, R1_DOWN, false};
static const revspec S2 = {R2, R1, "create posts", R2_UP, R2_DOWN, false};
static const revspec S3 = {R3, R2, "create tags", R3_UP, R3_DOWN, false};
/* Two branches off S1. */
static const revspec SA = {.id = RA,
                           .parents = R1,
                           .message = "branch a",
                           .up = "CREATE TABLE branch_a (id integer PRIMARY KEY);",
                           .down = "DROP TABLE branch_a;"};
static const revspec SB = {.id = RB,
                           .parents = R1,
                           .message = "branch b",
                           .up = "CREATE TABLE branch_b (id integer PRIMARY KEY);",
                           .down = "DROP TABLE branch_b;"};

/* The file of a revision: MIG/<id>_<message with '_' for ' '>.sql.  Caller frees. */
static char *rev_path(const proj *p, const revspec *r)
{
	char *path = malloc(strlen(p->mig) + strlen(r->id) + strlen(r->message) + 16);
	sprintf(path, "%s/%s_%s.sql", p->mig, r->id, r->message);
	for (char *s = path + strlen(p->mig) + 1; *s; s++)
		if (*s == ' ')
			*s = '_';
	return path;
}

/*
 * Writes a revision file.  Its lines: 1 revision, 2 down_revision, 3 message,
 * 4 transaction or blank, 5 `-- vmig:up`, 6.. the up SQL; so the k-th line
 * of the up SQL is line 5+k.
 */
static void write_rev(const proj *p, const revspec *r)
{
	size_t cap = strlen(r->up) + (r->down ? strlen(r->down) : 0) + 512;
	char *text = malloc(cap);
	snprintf(text, cap,
	         "-- vmig:revision %s\n"
	         "-- vmig:down_revision %s\n"
	         "-- vmig:message %s\n"
	         "%s\n"
	         "-- vmig:up\n"
	         "%s\n"
	         "%s%s%s",
	         r->id, r->parents, r->message, r->no_transaction ? "-- vmig:transaction off" : "",
	         r->up, r->down ? "-- vmig:down\n" : "", r->down ? r->down : "",
	         r->down ? "\n" : "");
	char *path = rev_path(p, r);
	tu_write("/", path, text);
	free(path);
	free(text);
}

static void remove_rev(const proj *p, const revspec *r)
{
	char *path = rev_path(p, r);
	assert_int_equal(unlink(path), 0);
	free(path);
}

/* The three linear revisions users <- posts <- tags. */
static void three(const proj *p)
{
	write_rev(p, &S1);
	write_rev(p, &S2);
	write_rev(p, &S3);
}

/* S1 with two children SA and SB: two heads. */
static void fork_graph(const proj *p)
{
	write_rev(p, &S1);
	write_rev(p, &SA);
	write_rev(p, &SB);
}

static size_t count_sql_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		n += len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0;
	}
	closedir(d);
	return n;
}

/* ------------------------------------------------------------ running vmig */

#define STR2(x)   #x
#define STR(x)    STR2(x)
#define HERE      __FILE__ ":" STR(__LINE__)
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The commands that connect to the database (and so take -d). */
static bool connects(const char *command)
{
	static const char *const names[] = {"up",     "upgrade", "down",  "downgrade", "redo",
	                                    "status", "current", "stamp", "check",     "adopt",
	                                    "create", "drop",    "testdb"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(command, names[i]) == 0)
			return true;
	return false;
}

/*
 * Runs vmig in the project folder.  With common, the options the command uses
 * are appended, as a user would give them: `-d URL --dir MIG` to a command
 * that connects, `--dir MIG` to one that reads only the files, nothing to
 * init (a command refuses an option it does not use).  Without a command
 * word (`--help`, `-h`), both.
 */
static tu_result run_args(const proj *p, bool common, const char *const *env,
                          const char *const *args)
{
	const char *argv[64];
	const char *command = NULL;
	size_t n = 0;
	while (args[n] && n < 58) {
		if (!command && args[n][0] != '-')
			command = args[n];
		argv[n] = args[n];
		n++;
	}
	if (common && (!command || connects(command) || strcmp(command, "help") == 0)) {
		argv[n++] = "-d";
		argv[n++] = p->url;
	}
	if (common && (!command || strcmp(command, "init") != 0)) {
		argv[n++] = "--dir";
		argv[n++] = p->mig;
	}
	argv[n] = NULL;
	return tu_vmigv(p->dir, env, argv);
}

static char *join_args(const char *const *args)
{
	size_t len = 1;
	for (size_t i = 0; args[i]; i++)
		len += strlen(args[i]) + 1;
	char *s = calloc(1, len);
	for (size_t i = 0; args[i]; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, args[i]);
	}
	return s;
}

/* Asserts r's exit code; on a mismatch shows the output, frees r and fails. */
static void check_status(tu_result *r, int code, const char *where, const char *const *args)
{
	if (r->status == code)
		return;
	char *cmd = join_args(args);
	print_error("%s: `vmig %s` exited %d, expected %d\n--- stdout ---\n%s--- stderr ---\n%s\n",
	            where, cmd, r->status, code, r->out, r->err);
	free(cmd);
	tu_result_free(r);
	fail();
}

/* Asserts the exit code of a run made by hand (tu_vmig). */
#define STATUS(r, code) check_status(&(r), (code), HERE, ARGS("(the command at this line)"))

/* Runs with the common options and asserts the exit code; caller frees the result. */
static tu_result vm_expect(const proj *p, int code, const char *where, const char *const *args)
{
	tu_result r = run_args(p, true, NULL, args);
	check_status(&r, code, where, args);
	return r;
}

static void vm_ok(const proj *p, const char *where, const char *const *args)
{
	tu_result r = vm_expect(p, 0, where, args);
	tu_result_free(&r);
}

/* The database's snapshot.  Caller frees. */
static char *snap(const proj *p)
{
	char *s = B->snapshot(p->url);
	assert_non_null(s);
	return s;
}

static void assert_unchanged(const proj *p, const char *before, const char *where)
{
	char *after = snap(p);
	bool same = strcmp(before, after) == 0;
	if (!same)
		print_error("%s: the database changed (snapshot before [%s], after [%s])\n", where,
		            before, after);
	free(after);
	if (!same)
		fail();
}

/*
 * A command that must be refused: exit code `code`, fragment on stderr, and
 * the database exactly as it was.  common: append `-d URL --dir MIG`.
 */
static void vm_reject(const proj *p, bool common, int code, const char *fragment, const char *where,
                      const char *const *args)
{
	char *before = snap(p);
	tu_result r = run_args(p, common, NULL, args);
	char *after = snap(p);
	bool bad_code = r.status != code, bad_msg = !strstr(r.err, fragment),
	     changed = strcmp(before, after) != 0;
	if (bad_code || bad_msg || changed) {
		char *cmd = join_args(args);
		print_error("%s: `vmig %s` was not refused as expected:\n", where, cmd);
		if (bad_code)
			print_error("  exited %d, expected %d\n", r.status, code);
		if (bad_msg)
			print_error("  [%s] is not on stderr\n", fragment);
		if (changed)
			print_error("  the database changed (snapshot before [%s], after [%s])\n",
			            before, after);
		print_error("--- stdout ---\n%s--- stderr ---\n%s\n", r.out, r.err);
		free(cmd);
	}
	tu_result_free(&r);
	free(before);
	free(after);
	if (bad_code || bad_msg || changed)
		fail();
}

#define EXPECT(p, code, ...) vm_expect((p), (code), HERE, ARGS(__VA_ARGS__))
#define RUN(p, ...)          vm_ok((p), HERE, ARGS(__VA_ARGS__))
#define REJECT(p, code, fragment, ...)                                                             \
	vm_reject((p), true, (code), (fragment), HERE, ARGS(__VA_ARGS__))
#define REJECT_RAW(p, code, fragment, ...)                                                         \
	vm_reject((p), false, (code), (fragment), HERE, ARGS(__VA_ARGS__))

/* ------------------------------------------------------------ the database */

/* The query's result; the test fails when the query fails.  Caller frees. */
static char *q(const proj *p, const char *sql)
{
	char *s = B->query(p->url, sql);
	if (!s)
		fail_msg("query failed: %s", sql);
	return s;
}

static void assert_query(const proj *p, const char *sql, const char *expect, const char *where)
{
	char *got = q(p, sql);
	if (strcmp(got, expect) != 0)
		fail_msg("%s: %s\n  expected [%s]\n  got      [%s]", where, sql, expect, got);
	free(got);
}

static bool has_table(const proj *p, const char *table)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	char *s = B->query(p->url, sql);
	free(s);
	return s != NULL;
}

/* The ids in the version table, by id, '\n'-separated. */
#define ROWS(p, expect)                                                                            \
	assert_query((p), "SELECT revision FROM vmig_version ORDER BY revision", (expect), HERE)
#define QUERY(p, sql, expect) assert_query((p), (sql), (expect), HERE)
#define TABLE(p, t)           assert_true(has_table((p), (t)))
#define NO_TABLE(p, t)        assert_false(has_table((p), (t)))

/* The column of revision id's row. Caller frees. */
static char *row_value(const proj *p, const char *column, const char *id)
{
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT %s FROM vmig_version WHERE revision = '%s'", column, id);
	return q(p, sql);
}

/* The line of text that contains needle (NULL if none).  Caller frees. */
static char *line_with(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	if (!at)
		return NULL;
	const char *start = at;
	while (start > text && start[-1] != '\n')
		start--;
	size_t len = strcspn(start, "\n");
	char *line = malloc(len + 1);
	memcpy(line, start, len);
	line[len] = '\0';
	return line;
}

/* Asserts that the line of text holding id also holds word. */
#define LINE_HAS(text, id, word)                                                                   \
	do {                                                                                       \
		char *l_ = line_with((text), (id));                                                \
		if (!l_ || !strstr(l_, (word)))                                                    \
			fail_msg("%s: no line with both [%s] and [%s] in\n%s", HERE, (id), (word), \
			         (text));                                                          \
		free(l_);                                                                          \
	} while (0)

static cJSON *parse_json(const char *text)
{
	cJSON *j = cJSON_ParseWithOpts(text, NULL, 1);
	if (!j)
		fail_msg("stdout is not one JSON document:\n%s", text);
	return j;
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsString(v))
		fail_msg("JSON key \"%s\" is not a string", key);
	return v->valuestring;
}

/* "YYYY-MM-DDTHH:MM:SSZ", optionally with fractions of a second before the Z. */
static void assert_utc_timestamp(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(s);
	bool ok = n >= 20 && s[n - 1] == 'Z';
	for (size_t i = 0; ok && i < 19; i++)
		ok = shape[i] == 'd' ? s[i] >= '0' && s[i] <= '9' : s[i] == shape[i];
	if (ok && n > 20) {
		ok = s[19] == '.' && n > 21;
		for (size_t i = 20; ok && i < n - 1; i++)
			ok = s[i] >= '0' && s[i] <= '9';
	}
	if (!ok)
		fail_msg("not a UTC timestamp like 2025-01-31T12:00:00Z: [%s]", s);
}

/* ===================================================================== init */

static void test_init(void **state)
{
	proj *p = *state;
	tu_result r = EXPECT(p, 0, "init", "app");
	char path[4096];
	snprintf(path, sizeof path, "%s/app/vmig.yaml", p->dir);
	assert_contains(r.out, "vmig.yaml");
	char *yaml = tu_read(path, NULL);
	assert_non_null(yaml);
	assert_contains(yaml, "database_url:");
	assert_contains(yaml, "migrations_dir: migrations");
	free(yaml);
	snprintf(path, sizeof path, "%s/app/migrations", p->dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	tu_result_free(&r);

	/* Never overwrites: a second init fails and leaves the file as the user edited it. */
	snprintf(path, sizeof path, "%s/app/vmig.yaml", p->dir);
	tu_write("/", path, "# mine\nversion_table: my_versions\n");
	REJECT(p, 2, "already exists", "init", "app");
	char *after = tu_read(path, NULL);
	assert_string_equal(after, "# mine\nversion_table: my_versions\n");
	free(after);

	/* In the current folder, without an argument. */
	char appdir[4096];
	snprintf(appdir, sizeof appdir, "%s/app", p->dir);
	r = tu_vmig(appdir, NULL, "init", NULL);
	STATUS(r, 2);
	assert_contains(r.err, "already exists");
	tu_result_free(&r);
	after = tu_read(path, NULL);
	assert_string_equal(after, "# mine\nversion_table: my_versions\n");
	free(after);
}

/* init, new, up: the first minutes of a new user, driven by the written vmig.yaml. */
static void test_init_then_new_and_up(void **state)
{
	proj *p = *state;
	char appdir[4096], env_url[4096];
	snprintf(appdir, sizeof appdir, "%s/svc", p->dir);
	tu_result r = tu_vmig(p->dir, NULL, "init", "svc", NULL);
	STATUS(r, 0);
	tu_result_free(&r);

	r = tu_vmig(appdir, NULL, "new", "create users", NULL);
	STATUS(r, 0);
	assert_contains(r.out, "migrations/");
	assert_contains(r.out, "_create_users.sql");
	tu_result_free(&r);
	char mig[4200];
	snprintf(mig, sizeof mig, "%s/migrations", appdir);
	assert_int_equal(count_sql_files(mig), 1);

	/* The template's database_url is ${DATABASE_URL:-...}. */
	snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", p->url);
	const char *env[] = {env_url, NULL};
	r = tu_vmig(appdir, env, "up", NULL);
	STATUS(r, 0);
	tu_result_free(&r);
	QUERY(p, "SELECT count(*) FROM vmig_version", "1");
}

/* ====================================================================== new */

/* The path `vmig new` printed (its only line), loaded; the test fails if it does not parse. */
static void load_printed(const tu_result *r, const proj *p, vmig_revision *rev)
{
	char *path = strdup(r->out);
	path[strcspn(path, "\n")] = '\0';
	assert_true(strncmp(path, p->mig, strlen(p->mig)) == 0);
	assert_string_equal(r->out + strlen(path), "\n");
	vmig_error err = {0};
	if (vmig_revision_load(path, rev, &err) != VMIG_OK)
		fail_msg("the new file does not load: %s", err.msg);
	free(path);
}

static void test_new(void **state)
{
	proj *p = *state;
	vmig_revision a, b, c;

	tu_result r = EXPECT(p, 0, "new", "Create Users!");
	load_printed(&r, p, &a);
	assert_int_equal(strlen(a.id), 12);
	assert_int_equal(strspn(a.id, "0123456789abcdef"), 12);
	assert_int_equal(a.nparents, 0);
	assert_string_equal(a.message, "Create Users!");
	assert_true(a.transactional);
	assert_non_null(a.down_sql); /* the template has a down section to fill in */
	char expect[4096];
	snprintf(expect, sizeof expect, "%s/%s_create_users.sql\n", p->mig, a.id);
	assert_string_equal(r.out, expect);
	tu_result_free(&r);

	/* The parent is the current head. */
	r = EXPECT(p, 0, "new", "add posts");
	load_printed(&r, p, &b);
	assert_int_equal(b.nparents, 1);
	assert_string_equal(b.parents[0], a.id);
	assert_string_not_equal(b.id, a.id);
	tu_result_free(&r);

	r = EXPECT(p, 0, "new", "third", "--rev-id", "third_rev", "--no-transaction");
	snprintf(expect, sizeof expect, "%s/third_rev_third.sql\n", p->mig);
	assert_string_equal(r.out, expect);
	load_printed(&r, p, &c);
	assert_string_equal(c.id, "third_rev");
	assert_string_equal(c.parents[0], b.id);
	assert_false(c.transactional);
	tu_result_free(&r);
	vmig_revision_free(&c);

	/* --down-revision names the parent (a prefix will do): a second head. */
	char prefix[8];
	snprintf(prefix, sizeof prefix, "%.6s", a.id);
	r = EXPECT(p, 0, "new", "side", "--rev-id", "side1", "--down-revision", prefix);
	load_printed(&r, p, &c);
	assert_int_equal(c.nparents, 1);
	assert_string_equal(c.parents[0], a.id);
	tu_result_free(&r);
	vmig_revision_free(&c);

	/* Two heads: no single parent; nothing written. */
	REJECT(p, 2, "2 heads", "new", "after the fork");
	assert_int_equal(count_sql_files(p->mig), 4);

	/* Several --down-revision ids: a merge. */
	r = EXPECT(p, 0, "new", "join", "--rev-id", "join1", "--down-revision", "third_rev",
	           "side1");
	load_printed(&r, p, &c);
	assert_int_equal(c.nparents, 2);
	assert_string_equal(c.parents[0], "third_rev");
	assert_string_equal(c.parents[1], "side1");
	tu_result_free(&r);
	vmig_revision_free(&c);

	REJECT(p, 2, "already used", "new", "again", "--rev-id", "join1");
	REJECT(p, 2, "invalid revision id", "new", "bad", "--rev-id", "bad-id");
	REJECT(p, 2, "give a message", "new");
	REJECT(p, 2, "unknown revision", "new", "orphan", "--down-revision", "nosuch");
	REJECT(p, 2, "unknown option --frob", "new", "x", "--frob");
	assert_int_equal(count_sql_files(p->mig), 5);

	/* What new wrote is valid and runs (its SQL sections are still empty). */
	r = EXPECT(p, 0, "validate");
	assert_contains(r.out, "head join1");
	tu_result_free(&r);
	RUN(p, "up");
	QUERY(p, "SELECT count(*) FROM vmig_version", "5");
	vmig_revision_free(&a);
	vmig_revision_free(&b);
}

/* --down-revision with no id must not quietly start a second root (two heads). */
static void test_new_down_revision_needs_an_id(void **state)
{
	proj *p = *state;
	three(p);
	REJECT(p, 2, "--down-revision", "new", "rootless", "--down-revision");
	assert_int_equal(count_sql_files(p->mig), 3);
	RUN(p, "validate");
}

/* ======================================================================= up */

static void test_up_applies_everything(void **state)
{
	proj *p = *state;
	three(p);
	char today[16], tomorrow[16];
	time_t now = time(NULL), later = now + 120;
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));

	tu_result r = EXPECT(p, 0, "up");
	LINE_HAS(r.err, R1, "applied");
	LINE_HAS(r.err, R2, "applied");
	LINE_HAS(r.err, R3, "applied");
	LINE_HAS(r.err, R3, "create tags");
	LINE_HAS(r.err, R1, " ms)"); /* one line per revision, with its time */
	LINE_HAS(r.err, R3, " ms)");
	assert_contains(r.err, "3 step(s)");
	assert_string_equal(r.out, ""); /* progress goes to stderr */
	tu_result_free(&r);
	strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", gmtime(&later));

	TABLE(p, "users");
	TABLE(p, "posts");
	TABLE(p, "tags");
	/* The SQL went to the database as written: a ';' in a string and a comment. */
	QUERY(p, "SELECT name FROM users", "ada; lovelace");

	ROWS(p, R1 "\n" R2 "\n" R3);
	QUERY(p, "SELECT parents FROM vmig_version WHERE revision = '" R1 "'", "");
	QUERY(p, "SELECT parents FROM vmig_version WHERE revision = '" R2 "'", R1);
	QUERY(p, "SELECT message FROM vmig_version WHERE revision = '" R3 "'", "create tags");
	QUERY(p, "SELECT checksum_version FROM vmig_version ORDER BY revision", "1\n1\n1");
	QUERY(p, "SELECT count(*) FROM vmig_version WHERE duration_ms >= 0", "3");
	QUERY(p, "SELECT down_sql FROM vmig_version WHERE revision = '" R2 "'", R2_DOWN "\n");
	QUERY(p, "SELECT value FROM vmig_version_meta WHERE key = 'shape'", "2");

	/* The checksum is the documented one of the file's SQL. */
	const revspec *specs[] = {&S1, &S2, &S3};
	for (int i = 0; i < 3; i++) {
		char sum[VMIG_CHECKSUM_HEX];
		vmig_checksum(specs[i]->up, specs[i]->down, sum);
		char *got = row_value(p, "checksum", specs[i]->id);
		assert_string_equal(got, sum);
		free(got);
		/* applied_at: UTC ISO 8601, now. */
		got = row_value(p, "applied_at", specs[i]->id);
		assert_utc_timestamp(got);
		if (strncmp(got, today, 10) != 0 && strncmp(got, tomorrow, 10) != 0)
			fail_msg("applied_at %s is not today (%s)", got, today);
		free(got);
	}
}

static void test_up_twice_is_a_noop(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up");
	char *before = snap(p);
	tu_result r = EXPECT(p, 0, "up");
	assert_contains(r.err, "nothing to do");
	assert_unchanged(p, before, HERE);
	tu_result_free(&r);
	/* The alias, and an explicit head. */
	RUN(p, "upgrade");
	RUN(p, "up", "head");
	RUN(p, "up", R2);
	assert_unchanged(p, before, HERE);
	free(before);
}

static void test_up_targets(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up", R2);
	ROWS(p, R1 "\n" R2);
	TABLE(p, "posts");
	NO_TABLE(p, "tags");

	RUN(p, "down", "base");
	RUN(p, "up", "+1");
	ROWS(p, R1);
	RUN(p, "up", "+1");
	ROWS(p, R1 "\n" R2);
	RUN(p, "up", "3c0"); /* a unique prefix */
	ROWS(p, R1 "\n" R2 "\n" R3);
	TABLE(p, "tags");
	REJECT(p, 2, "past the head", "up", "+1");

	RUN(p, "down", "base");
	RUN(p, "up", "+2");
	ROWS(p, R1 "\n" R2);
	REJECT(p, 2, "past the head", "up", "+2");
	REJECT(p, 2, "unknown revision \"zzz\"", "up", "zzz");
	REJECT(p, 2, "not a target", "up", "-1");
	ROWS(p, R1 "\n" R2);
}

static void test_up_on_branches(void **state)
{
	proj *p = *state;
	fork_graph(p);
	REJECT(p, 2, "2 heads", "up");
	REJECT(p, 2, RA, "up", "head");
	REJECT(p, 2, "ambiguous", "up", "4d00");
	REJECT(p, 2, RB, "up", "4d00");
	RUN(p, "up", R1);
	REJECT(p, 2, "branch point", "up", "+1");
	RUN(p, "up", RB);
	ROWS(p, R1 "\n" RB);
	REJECT(p, 2, "past the head", "up", "+1");
	/* The other branch, alongside: two applied heads. */
	RUN(p, "up", "4d00a");
	ROWS(p, R1 "\n" RA "\n" RB);
	TABLE(p, "branch_a");
	TABLE(p, "branch_b");
	tu_result r = EXPECT(p, 0, "current");
	assert_contains(r.out, RA);
	assert_contains(r.out, RB);
	tu_result_free(&r);
	REJECT(p, 2, "applied heads", "down");
	REJECT(p, 2, "applied heads", "down", "-1");
	REJECT(p, 2, "applied heads", "up", "+1");
	RUN(p, "down", R1);
	ROWS(p, R1);
	RUN(p, "up", "heads");
	ROWS(p, R1 "\n" RA "\n" RB);
}

/* ===================================================================== down */

static void test_down_targets(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up");
	tu_result r = EXPECT(p, 0, "down");
	LINE_HAS(r.err, R3, "reverted");
	assert_not_contains(r.err, "reverted " R2);
	assert_contains(r.err, "database at " R2);
	tu_result_free(&r);
	ROWS(p, R1 "\n" R2);
	NO_TABLE(p, "tags");
	TABLE(p, "posts");

	RUN(p, "up");
	RUN(p, "down", "-2");
	ROWS(p, R1);
	NO_TABLE(p, "posts");
	NO_TABLE(p, "tags");
	TABLE(p, "users");

	RUN(p, "up");
	RUN(p, "down", R1); /* R1's descendants; R1 stays */
	ROWS(p, R1);
	RUN(p, "up");
	RUN(p, "downgrade", "2b0");
	ROWS(p, R1 "\n" R2);

	RUN(p, "up");
	REJECT(p, 2, "below base", "down", "-4");
	r = EXPECT(p, 0, "down", "base");
	LINE_HAS(r.err, R1, "reverted");
	assert_contains(r.err, "database at base");
	tu_result_free(&r);
	ROWS(p, "");
	NO_TABLE(p, "users");
	NO_TABLE(p, "posts");
	NO_TABLE(p, "tags");

	REJECT(p, 2, "nothing is applied", "down");
	REJECT(p, 2, "nothing is applied", "down", "-1");
	REJECT(p, 2, "not applied", "down", R2);
	REJECT(p, 2, "not a target", "down", "+1");
	RUN(p, "down", "base"); /* nothing to do is fine */
}

static void test_down_irreversible(void **state)
{
	proj *p = *state;
	revspec s2 = S2;
	s2.down = NULL;
	write_rev(p, &S1);
	write_rev(p, &s2);
	write_rev(p, &S3);
	RUN(p, "up");
	QUERY(p, "SELECT count(*) FROM vmig_version WHERE down_sql IS NULL", "1");
	RUN(p, "down"); /* R3 has a down section */
	ROWS(p, R1 "\n" R2);
	RUN(p, "up");

	char *path = rev_path(p, &s2);
	/* The downgrade stops before anything changed, naming the file. */
	REJECT(p, 2, "irreversible", "down", "-2");
	REJECT(p, 2, path, "down", "-2");
	REJECT(p, 2, "irreversible", "down", "base");
	REJECT(p, 2, "irreversible", "down", R1);
	ROWS(p, R1 "\n" R2 "\n" R3);
	TABLE(p, "tags");
	free(path);

	/* stamp runs no SQL, so it gets past it. */
	RUN(p, "stamp", R1);
	ROWS(p, R1);
	TABLE(p, "posts");
}

/* The previous release rolls back a revision only the newer release had. */
static void test_down_with_file_gone(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up");
	remove_rev(p, &S3);
	tu_result r = EXPECT(p, 0, "status");
	LINE_HAS(r.out, R3, "gone");
	tu_result_free(&r);
	r = EXPECT(p, 0, "down");
	LINE_HAS(r.err, R3, "reverted");
	tu_result_free(&r);
	NO_TABLE(p, "tags"); /* the stored down SQL ran */
	ROWS(p, R1 "\n" R2);
	RUN(p, "up");
	ROWS(p, R1 "\n" R2);
	write_rev(p, &S3);
	RUN(p, "up");
	remove_rev(p, &S3);
	/* redo cannot apply again what has no file. */
	REJECT(p, 2, "gone", "redo");
	RUN(p, "down");
	ROWS(p, R1 "\n" R2);
	r = EXPECT(p, 0, "up");
	assert_contains(r.err, "nothing to do");
	tu_result_free(&r);

	/* Two revisions only the newer release had: both roll back from their rows. */
	write_rev(p, &S3);
	RUN(p, "up");
	remove_rev(p, &S2);
	remove_rev(p, &S3);
	r = EXPECT(p, 0, "status");
	LINE_HAS(r.out, R2, "gone");
	LINE_HAS(r.out, R3, "gone");
	tu_result_free(&r);
	RUN(p, "down", "-2");
	ROWS(p, R1);
	NO_TABLE(p, "posts");
	NO_TABLE(p, "tags");
	TABLE(p, "users");
	write_rev(p, &S2);
	RUN(p, "up");
	ROWS(p, R1 "\n" R2);

	/* An irreversible revision whose file is gone cannot be rolled back either. */
	revspec s3 = S3;
	s3.down = NULL;
	write_rev(p, &s3);
	RUN(p, "up");
	remove_rev(p, &s3);
	REJECT(p, 2, "irreversible", "down");
	ROWS(p, R1 "\n" R2 "\n" R3);
}

/* ===================================================================== redo */

static void test_redo(void **state)
{
	proj *p = *state;
	three(p);
	REJECT(p, 2, "nothing is applied", "redo");
	RUN(p, "up");
	free(q(p, "INSERT INTO tags (id, name) VALUES (7, 'left over')"));
	QUERY(p, "SELECT count(*) FROM tags", "1");
	tu_result r = EXPECT(p, 0, "redo");
	LINE_HAS(r.err, R3, "reverted");
	char *second = strstr(r.err, "applied " R3);
	assert_non_null(second);
	assert_true(second > strstr(r.err, "reverted"));
	tu_result_free(&r);
	/* Down then up: the table was dropped and created again. */
	QUERY(p, "SELECT count(*) FROM tags", "0");
	ROWS(p, R1 "\n" R2 "\n" R3);
	REJECT(p, 2, "unexpected argument", "redo", R2);
}

/* ====================================================== status and drift */

static void test_status_and_drift(void **state)
{
	proj *p = *state;
	three(p);
	tu_result r = EXPECT(p, 0, "status");
	LINE_HAS(r.out, R1, "pending");
	assert_contains(r.out, "0 applied, 3 pending");
	tu_result_free(&r);

	RUN(p, "up", R2);
	r = EXPECT(p, 0, "status");
	LINE_HAS(r.out, R1, "applied");
	LINE_HAS(r.out, R2, "applied");
	LINE_HAS(r.out, R2, "create posts");
	LINE_HAS(r.out, R3, "pending");
	assert_contains(r.out, "2 applied, 1 pending, 0 drifted");
	/* In order, parents first. */
	assert_true(strstr(r.out, R1) < strstr(r.out, R2));
	assert_true(strstr(r.out, R2) < strstr(r.out, R3));
	tu_result_free(&r);

	/* A checkout with CRLF line endings and trailing spaces is no drift. */
	char *path = rev_path(p, &S1);
	tu_write("/", path,
	         "-- vmig:revision " R1 "  \r\n-- vmig:message create users\r\n\r\n-- vmig:up\r\n"
	         "CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL);   \r\n"
	         "INSERT INTO users (id, name) VALUES (1, 'ada; lovelace'); -- a comment; with "
	         "';'\t\r\n\r\n-- vmig:down\r\nDROP TABLE users;\r\n\r\n\r\n");
	free(path);
	r = EXPECT(p, 0, "status");
	LINE_HAS(r.out, R1, "applied");
	assert_contains(r.out, "0 drifted");
	tu_result_free(&r);
	r = EXPECT(p, 3, "check"); /* behind, but without drift */
	LINE_HAS(r.err, R3, "not applied");
	assert_not_contains(r.err, "edited");
	tu_result_free(&r);
}

static void test_status_edited_and_gone(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up");
	revspec s1 = S1;
	s1.up = R1_UP "\nCREATE INDEX users_name ON users (name);";
	write_rev(p, &s1);
	remove_rev(p, &S3);
	char *before = snap(p);
	tu_result r = EXPECT(p, 0, "status");
	LINE_HAS(r.out, R1, "edited");
	LINE_HAS(r.out, R2, "applied");
	LINE_HAS(r.out, R3, "gone");
	assert_contains(r.out, "2 drifted");
	tu_result_free(&r);
	assert_unchanged(p, before, HERE); /* status only reads */
	free(before);

	r = EXPECT(p, 0, "status", "--json");
	cJSON *j = parse_json(r.out);
	const cJSON *revs = cJSON_GetObjectItemCaseSensitive(j, "revisions");
	assert_int_equal(cJSON_GetArraySize(revs), 3);
	const cJSON *e1 = cJSON_GetArrayItem(revs, 0), *e3 = cJSON_GetArrayItem(revs, 2);
	assert_string_equal(json_str(e1, "state"), "edited");
	assert_string_equal(json_str(e3, "revision"), R3);
	assert_string_equal(json_str(e3, "state"), "gone");
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e3, "path")));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "drifted")->valueint, 2);
	cJSON_Delete(j);
	tu_result_free(&r);

	/* A down section edited afterwards is drift too. */
	revspec s2 = S2;
	s2.down = "DROP TABLE posts;";
	write_rev(p, &s2);
	r = EXPECT(p, 0, "status");
	LINE_HAS(r.out, R2, "edited");
	tu_result_free(&r);
}

static void test_json_outputs(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up", R2);

	tu_result r = EXPECT(p, 0, "status", "--json");
	cJSON *j = parse_json(r.out);
	const cJSON *revs = cJSON_GetObjectItemCaseSensitive(j, "revisions");
	assert_true(cJSON_IsArray(revs));
	assert_int_equal(cJSON_GetArraySize(revs), 3);
	const cJSON *e1 = cJSON_GetArrayItem(revs, 0), *e3 = cJSON_GetArrayItem(revs, 2);
	assert_string_equal(json_str(e1, "revision"), R1);
	assert_string_equal(json_str(e1, "state"), "applied");
	assert_string_equal(json_str(e1, "message"), "create users");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e1, "applied")));
	assert_utc_timestamp(json_str(e1, "applied_at"));
	assert_contains(json_str(e1, "path"), R1 "_create_users.sql");
	assert_string_equal(json_str(e3, "revision"), R3);
	assert_string_equal(json_str(e3, "state"), "pending");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e3, "applied")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e3, "applied_at")));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "applied")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "pending")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "drifted")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "in_progress")->valueint, 0);
	assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "database")));
	cJSON_Delete(j);
	tu_result_free(&r);

	r = EXPECT(p, 0, "current", "--json");
	j = parse_json(r.out);
	assert_true(cJSON_IsArray(j));
	assert_int_equal(cJSON_GetArraySize(j), 1);
	assert_string_equal(json_str(cJSON_GetArrayItem(j, 0), "revision"), R2);
	assert_string_equal(json_str(cJSON_GetArrayItem(j, 0), "message"), "create posts");
	assert_true(
	    cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(j, 0), "head")));
	cJSON_Delete(j);
	tu_result_free(&r);

	r = EXPECT(p, 0, "heads", "--json");
	j = parse_json(r.out);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	assert_string_equal(json_str(cJSON_GetArrayItem(j, 0), "revision"), R3);
	assert_contains(json_str(cJSON_GetArrayItem(j, 0), "path"), R3 "_create_tags.sql");
	cJSON_Delete(j);
	tu_result_free(&r);

	r = EXPECT(p, 0, "history", "--json");
	j = parse_json(r.out);
	assert_int_equal(cJSON_GetArraySize(j), 3);
	const cJSON *h0 = cJSON_GetArrayItem(j, 0), *h2 = cJSON_GetArrayItem(j, 2);
	assert_string_equal(json_str(h0, "revision"), R3); /* from the heads down */
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h0, "head")));
	const cJSON *par = cJSON_GetObjectItemCaseSensitive(h0, "parents");
	assert_int_equal(cJSON_GetArraySize(par), 1);
	assert_string_equal(cJSON_GetArrayItem(par, 0)->valuestring, R2);
	assert_string_equal(json_str(h2, "revision"), R1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(h2, "parents")), 0);
	assert_string_equal(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(h2, "children"), 0)->valuestring,
	    R2);
	assert_string_equal(json_str(h2, "message"), "create users");
	cJSON_Delete(j);
	tu_result_free(&r);

	/* Nothing applied: an empty list, still JSON. */
	RUN(p, "down", "base");
	r = EXPECT(p, 0, "current", "--json");
	j = parse_json(r.out);
	assert_int_equal(cJSON_GetArraySize(j), 0);
	cJSON_Delete(j);
	tu_result_free(&r);
}

/* ======================================== current, history, heads, branches */

static void test_current(void **state)
{
	proj *p = *state;
	three(p);
	tu_result r = EXPECT(p, 0, "current");
	assert_string_equal(r.out, "");
	tu_result_free(&r);
	RUN(p, "up", R2);
	r = EXPECT(p, 0, "current");
	assert_string_equal(r.out, R2 " create posts\n");
	tu_result_free(&r);
	RUN(p, "up");
	r = EXPECT(p, 0, "current");
	assert_string_equal(r.out, R3 " (head) create tags\n");
	tu_result_free(&r);
}

static void test_history_heads_branches(void **state)
{
	proj *p = *state;
	three(p);
	/* None of these needs a database: no -d at all. */
	tu_result r = run_args(p, false, NULL, ARGS("history", "--dir", p->mig));
	STATUS(r, 0);
	assert_string_equal(r.out, R2 " -> " R3 " (head), create tags\n" R1 " -> " R2
	                              ", create posts\n<base> -> " R1 ", create users\n");
	tu_result_free(&r);

	r = run_args(p, false, NULL, ARGS("heads", "--dir", p->mig));
	STATUS(r, 0);
	assert_string_equal(r.out, R3 " (head) create tags\n");
	tu_result_free(&r);

	r = run_args(p, false, NULL, ARGS("branches", "--dir", p->mig));
	STATUS(r, 0);
	assert_string_equal(r.out, "");
	tu_result_free(&r);

	write_rev(p, &SA);
	write_rev(p, &SB);
	r = run_args(p, false, NULL, ARGS("branches", "--dir", p->mig));
	STATUS(r, 0);
	assert_string_equal(r.out, R1 " -> " R2 ", " RA ", " RB "  create users\n");
	tu_result_free(&r);
	r = run_args(p, false, NULL, ARGS("heads", "--dir", p->mig));
	STATUS(r, 0);
	assert_contains(r.out, R3 " (head)");
	assert_contains(r.out, RA " (head)");
	assert_contains(r.out, RB " (head)");
	tu_result_free(&r);
	r = run_args(p, false, NULL, ARGS("history", "--dir", p->mig));
	STATUS(r, 0);
	LINE_HAS(r.out, "<base> -> " R1, "(branchpoint)");
	tu_result_free(&r);
}

static void test_show(void **state)
{
	proj *p = *state;
	three(p);
	tu_result r = run_args(p, false, NULL, ARGS("show", "2b0", "--dir", p->mig));
	check_status(&r, 0, HERE, ARGS("show"));
	LINE_HAS(r.out, "revision:", R2);
	LINE_HAS(r.out, "parents:", R1);
	LINE_HAS(r.out, "children:", R3);
	LINE_HAS(r.out, "message:", "create posts");
	LINE_HAS(r.out, "transaction:", "on");
	char *path = rev_path(p, &S2);
	LINE_HAS(r.out, "file:", path);
	free(path);
	char sum[VMIG_CHECKSUM_HEX];
	vmig_checksum(R2_UP, R2_DOWN, sum);
	LINE_HAS(r.out, "checksum:", sum);
	assert_contains(r.out, "-- vmig:up\n" R2_UP "\n");
	assert_contains(r.out, "-- vmig:down\n" R2_DOWN "\n");
	tu_result_free(&r);

	revspec s3 = S3;
	s3.down = NULL;
	s3.no_transaction = true;
	write_rev(p, &s3);
	r = EXPECT(p, 0, "show", R3);
	LINE_HAS(r.out, "children:", "(none)");
	LINE_HAS(r.out, "transaction:", "off");
	assert_contains(r.out, "irreversible");
	tu_result_free(&r);
	REJECT(p, 2, "unknown revision", "show", "zzz");
	REJECT(p, 2, "give a revision id", "show");
}

/* ==================================================================== merge */

static void test_merge(void **state)
{
	proj *p = *state;
	fork_graph(p);
	REJECT(p, 2, "2 heads", "validate");
	REJECT(p, 2, "-m MESSAGE", "merge", RA, RB);
	REJECT(p, 2, "at least two", "merge", RA, "-m", "alone");
	REJECT(p, 2, "ambiguous", "merge", "4d00", R1, "-m", "which");
	assert_int_equal(count_sql_files(p->mig), 3);

	tu_result r =
	    EXPECT(p, 0, "merge", "4d00a", "4d00b", "-m", "join branches", "--rev-id", "m1");
	char expect[4096];
	snprintf(expect, sizeof expect, "%s/m1_join_branches.sql\n", p->mig);
	assert_string_equal(r.out, expect);
	vmig_revision m;
	load_printed(&r, p, &m);
	assert_int_equal(m.nparents, 2);
	assert_string_equal(m.parents[0], RA);
	assert_string_equal(m.parents[1], RB);
	assert_string_equal(m.message, "join branches");
	vmig_revision_free(&m);
	tu_result_free(&r);

	RUN(p, "validate");
	RUN(p, "up");
	ROWS(p, R1 "\n" RA "\n" RB "\nm1");
	QUERY(p, "SELECT parents FROM vmig_version WHERE revision = 'm1'", RA " " RB);
	TABLE(p, "branch_a");
	TABLE(p, "branch_b");
	r = EXPECT(p, 0, "current");
	assert_string_equal(r.out, "m1 (head) join branches\n");
	tu_result_free(&r);
	/* Unapplying the merge is one step; below it, name the revision. */
	RUN(p, "down", "-1");
	ROWS(p, R1 "\n" RA "\n" RB);
	RUN(p, "up");
	REJECT(p, 2, "merge", "down", "-2");
}

static void test_merge_heads(void **state)
{
	proj *p = *state;
	fork_graph(p);
	write_rev(p, &S2); /* a third head */
	tu_result r = EXPECT(p, 0, "merge", "heads", "-m", "all together");
	vmig_revision m;
	load_printed(&r, p, &m);
	assert_int_equal(m.nparents, 3);
	assert_string_equal(m.parents[0], R2);
	assert_string_equal(m.parents[1], RA);
	assert_string_equal(m.parents[2], RB);
	vmig_revision_free(&m);
	tu_result_free(&r);
	RUN(p, "validate");
	REJECT(p, 2, "at least two", "merge", "heads", "-m", "only one head now");
}

/* A parent that is an ancestor of another parent joins nothing: refused, naming both. */
static void test_merge_refuses_an_ancestor_as_parent(void **state)
{
	proj *p = *state;
	three(p);
	REJECT(p, 2, R1 " is an ancestor of " R3, "merge", R1, R3, "-m", "not a merge");
	REJECT(p, 2, R2 " is an ancestor of " R3, "merge", R3, R2, "-m", "not a merge");
	REJECT(p, 2, R1 " is an ancestor of " R3, "merge", "heads", R1, "-m", "not a merge");
	/* The same for new with several parents. */
	REJECT(p, 2, R1 " is an ancestor of " R2, "new", "not a merge", "--down-revision", R1, R2);
	assert_int_equal(count_sql_files(p->mig), 3);
	RUN(p, "validate");

	/* Parents on different branches still merge. */
	write_rev(p, &SA);
	REJECT(p, 2, R1 " is an ancestor of " RA, "merge", RA, R1, "-m", "not a merge");
	tu_result r = EXPECT(p, 0, "merge", R3, RA, "-m", "a real merge", "--rev-id", "m1");
	tu_result_free(&r);
	assert_int_equal(count_sql_files(p->mig), 5);
	RUN(p, "validate");
}

/* ==================================================================== stamp */

static void test_stamp(void **state)
{
	proj *p = *state;
	three(p);
	tu_result r = EXPECT(p, 0, "stamp", R2);
	LINE_HAS(r.err, R2, "stamped");
	tu_result_free(&r);
	ROWS(p, R1 "\n" R2);
	NO_TABLE(p, "users"); /* no SQL ran */
	NO_TABLE(p, "posts");
	char *sum = row_value(p, "checksum", R2);
	char expect[VMIG_CHECKSUM_HEX];
	vmig_checksum(R2_UP, R2_DOWN, expect);
	assert_string_equal(sum, expect);
	free(sum);

	RUN(p, "stamp", "heads");
	ROWS(p, R1 "\n" R2 "\n" R3);
	NO_TABLE(p, "tags");
	RUN(p, "stamp", R1); /* descendants are unrecorded */
	ROWS(p, R1);
	RUN(p, "stamp", "base");
	ROWS(p, "");
	NO_TABLE(p, "users");

	REJECT(p, 2, "give a target", "stamp");
	REJECT(p, 2, "unknown revision", "stamp", "zzz");

	/* After stamping R1, up runs only R2 and R3. */
	RUN(p, "stamp", R1);
	RUN(p, "up");
	ROWS(p, R1 "\n" R2 "\n" R3);
	NO_TABLE(p, "users");
	TABLE(p, "posts");
	TABLE(p, "tags");
}

/* ==================================================================== adopt */

static void test_adopt(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up", R1); /* a database, with an empty version table */
	RUN(p, "down", "base");
	free(q(p, "CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)"));
	free(q(p, "INSERT INTO alembic_version (version_num) VALUES ('" R2 "')"));
	/* A revision that no file has: refused before anything is written. */
	free(q(p, "CREATE TABLE stale_version (version_num varchar(32) NOT NULL)"));
	free(q(p, "INSERT INTO stale_version (version_num) VALUES ('deadbeef0000')"));
	REJECT(p, 2, "stale_version names revision deadbeef0000, which no migration file has",
	       "adopt", "--alembic-table", "stale_version");
	REJECT(p, 2, "nope", "adopt", "--alembic-table", "nope");
	REJECT(p, 2, "--alembic-table needs a table name", "adopt", "--alembic-table");

	tu_result r = EXPECT(p, 0, "adopt");
	LINE_HAS(r.err, R1, "stamped");
	LINE_HAS(r.err, R2, "stamped");
	tu_result_free(&r);
	ROWS(p, R1 "\n" R2);  /* what alembic_version names, and its ancestors */
	NO_TABLE(p, "users"); /* no migration SQL ran */
	QUERY(p, "SELECT version_num FROM alembic_version", R2); /* left in place */
	char *sum = row_value(p, "checksum", R2), *down = row_value(p, "down_sql", R2);
	char expect[VMIG_CHECKSUM_HEX];
	vmig_checksum(R2_UP, R2_DOWN, expect);
	assert_string_equal(sum, expect);
	assert_string_equal(down, R2_DOWN "\n");
	free(sum);
	free(down);

	/* Run again: nothing to do, nothing written. */
	char *before = snap(p);
	r = EXPECT(p, 0, "adopt");
	assert_contains(r.err, "nothing to do");
	tu_result_free(&r);
	assert_unchanged(p, before, HERE);
	free(before);

	/* Then vmig carries on from there. */
	RUN(p, "up");
	ROWS(p, R1 "\n" R2 "\n" R3);
	TABLE(p, "tags");
	RUN(p, "check");
}

/* ========================================================== offline SQL */

/* --sql connects to nothing: the database is not even created or opened. */
static void test_sql_writes_a_script_and_changes_nothing(void **state)
{
	proj *p = *state;
	three(p);
	char *before = snap(p);
	tu_result r = EXPECT(p, 0, "up", "--sql");
	assert_contains(r.out, "offline script");
	assert_contains(r.out, "vmig_version");
	assert_contains(r.out, "-- apply revision " R1 ": create users");
	assert_contains(r.out, "CREATE TABLE tags");
	assert_not_contains(r.out, p->url);
	tu_result_free(&r);
	r = EXPECT(p, 0, "down", "--sql", R3 ":" R1);
	assert_contains(r.out, "DROP TABLE tags;");
	assert_contains(r.out, "DROP INDEX posts_user;");
	assert_not_contains(r.out, "DROP TABLE users;");
	tu_result_free(&r);
	r = EXPECT(p, 0, "stamp", "--sql", R1 ":" R3);
	assert_not_contains(r.out, "CREATE TABLE tags"); /* stamp runs no SQL */
	tu_result_free(&r);
	assert_unchanged(p, before, HERE);
	free(before);

	REJECT(p, 2, "unknown revision", "up", "--sql", "zzz:head");
	REJECT(p, 2, "unknown revision", "up", "--sql", R1 ":zzz");
	/* Transaction control in a transactional revision is refused with its line. */
	revspec bad = {"5e00ee000005",   R3,   "bad", "CREATE TABLE t5 (id integer);\nCOMMIT;",
	               "DROP TABLE t5;", false};
	write_rev(p, &bad);
	r = EXPECT(p, 2, "up", "--sql");
	assert_contains(r.err, "_bad.sql:7");
	assert_contains(r.err, "no script was written");
	assert_string_equal(r.out, "");
	tu_result_free(&r);
}

/* An imported revision left for a person stops every command that reads the files. */
static void test_todo_file_stops_everything(void **state)
{
	proj *p = *state;
	three(p);
	char *path = malloc(strlen(p->mig) + 64);
	sprintf(path, "%s/5e00ee000005_data.sql.todo", p->mig);
	tu_write("/", path, "-- vmig:revision 5e00ee000005\n-- vmig:up\n");
	REJECT(p, 2, "5e00ee000005_data.sql.todo: an imported revision", "up");
	tu_result r = run_args(p, false, NULL, ARGS("validate", "--dir", p->mig));
	STATUS(r, 2);
	assert_contains(r.err, ".sql.todo");
	tu_result_free(&r);
	unlink(path);
	free(path);
	RUN(p, "up");
}

/* ============================================================ databases */

static void test_create_and_drop(void **state)
{
	proj *p = *state;
	three(p);
	tu_result r = EXPECT(p, 0, "drop");
	tu_result_free(&r);
	r = EXPECT(p, 0, "drop");
	assert_contains(r.err, "does not exist");
	tu_result_free(&r);
	r = EXPECT(p, 0, "create");
	assert_contains(r.err, "created");
	tu_result_free(&r);
	r = EXPECT(p, 0, "create");
	assert_contains(r.err, "exists already");
	tu_result_free(&r);
	RUN(p, "up");
	ROWS(p, R1 "\n" R2 "\n" R3);
	REJECT(p, 2, "unexpected argument", "drop", "now");
}

/* The test databases vmig made for p's database, by name, '\n'-separated. */
static char *test_dbs(const proj *p)
{
	const char *db = strstr(p->url, ":///") ? strstr(p->url, ":///") + 4 : p->url;
	size_t len = strcspn(db, "?");
	const char *slash = NULL;
	for (size_t i = 0; i < len; i++)
		slash = db[i] == '/' ? db + i : slash;
	if (strcmp(B->name, "sqlite") == 0 && slash) { /* the folder of the file */
		char *dir = strndup(db, (size_t)(slash - db));
		char *stem = strndup(slash + 1, strcspn(slash + 1, "."));
		char *cmd = malloc(strlen(dir) + strlen(stem) + 64);
		sprintf(cmd, "cd '/%s' && ls | grep '^%s_vmig_' | sort",
		        dir[0] == '/' ? dir + 1 : dir, stem);
		FILE *f = popen(cmd, "r");
		char buf[8192];
		size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		buf[n] = '\0';
		if (f)
			pclose(f);
		while (n && buf[n - 1] == '\n')
			buf[--n] = '\0';
		free(cmd);
		free(stem);
		free(dir);
		return strdup(buf);
	}
	char sql[512];
	snprintf(sql, sizeof sql,
	         "SELECT datname FROM pg_database WHERE datname LIKE '%.*s\\_vmig\\_%%' ORDER BY "
	         "datname COLLATE \"C\"",
	         (int)len, db);
	return q(p, sql);
}

static size_t count_lines(const char *s)
{
	size_t n = *s ? 1 : 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Whether process pid (a directory name under /proc) holds the file with inode ino. */
static bool holds_inode(const char *pid, ino_t ino)
{
	char path[300];
	snprintf(path, sizeof path, "/proc/%s/fd", pid);
	DIR *d = opendir(path);
	struct dirent *de;
	bool found = false;
	while (d && !found && (de = readdir(d)) != NULL) {
		struct stat st;
		char fd[600];
		snprintf(fd, sizeof fd, "%s/%s", path, de->d_name);
		found = de->d_name[0] != '.' && stat(fd, &st) == 0 && st.st_ino == ino;
	}
	if (d)
		closedir(d);
	return found;
}

static int fillers_holding(const proj *p, ino_t ino);

/* The background refills working in p's folder (their cwd is the project's). */
static int fillers(const proj *p)
{
	return fillers_holding(p, 0);
}

/* Those of them that hold inode ino (0: all of them). */
static int fillers_holding(const proj *p, ino_t ino)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	char real_dir[4096];
	if (!d || !realpath(p->dir, real_dir)) {
		if (d)
			closedir(d);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char link[300], cwd[4096], cmd[4096];
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(link, sizeof link, "/proc/%s/cwd", de->d_name);
		ssize_t len = readlink(link, cwd, sizeof cwd - 1);
		if (len <= 0)
			continue;
		cwd[len] = '\0';
		snprintf(link, sizeof link, "/proc/%s/cmdline", de->d_name);
		FILE *f = fopen(link, "r");
		size_t got = f ? fread(cmd, 1, sizeof cmd - 1, f) : 0;
		if (f)
			fclose(f);
		for (size_t i = 0; i < got; i++)
			cmd[i] = cmd[i] ? cmd[i] : ' ';
		cmd[got] = '\0';
		n += strcmp(cwd, real_dir) == 0 && strstr(cmd, "testdb fill") != NULL &&
		     (!ino || holds_inode(de->d_name, ino));
	}
	closedir(d);
	return n;
}

/* No background refill outlives its work: waits up to 10 s for them to end. */
static void assert_fillers_end(const proj *p)
{
	/* Up to 30 s: on a loaded machine a refill's CREATE DATABASE takes seconds. */
	for (int i = 0; i < 300 && fillers(p) > 0; i++)
		usleep(100 * 1000);
	assert_int_equal(fillers(p), 0);
}

/* `testdb new` until it hands out a ready copy (the pool fills in the background). */
static char *new_from_pool(proj *p)
{
	for (int i = 0; i < 50; i++) {
		tu_result r = EXPECT(p, 0, "testdb", "new", "--json");
		cJSON *j = parse_json(r.out);
		bool pooled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "from_pool"));
		char *url = strdup(json_str(j, "url"));
		cJSON_Delete(j);
		tu_result_free(&r);
		if (pooled)
			return url;
		free(url);
		usleep(100 * 1000);
	}
	fail_msg("no ready copy was handed out in 50 tries");
	return NULL;
}

static void test_testdb(void **state)
{
	proj *p = *state;
	three(p);
	tu_result r = EXPECT(p, 0, "testdb", "new");
	char *url = strndup(r.out, strcspn(r.out, "\n"));
	tu_result_free(&r);
	assert_non_null(strstr(url, "_vmig_d_"));
	/* Fully migrated, with vmig's own rows: `vmig check` passes on it. */
	char *rows = B->query(url, "SELECT revision FROM vmig_version ORDER BY revision");
	assert_non_null(rows);
	assert_string_equal(rows, R1 "\n" R2 "\n" R3);
	free(rows);
	tu_result c = run_args(p, false, NULL, ARGS("check", "-d", url, "--dir", p->mig));
	STATUS(c, 0);
	tu_result_free(&c);
	NO_TABLE(p, "users"); /* the base database is not touched */

	/* A descriptor the caller left open (a pipe someone reads to its end)
	 * is not kept open by the background refill. */
	assert_fillers_end(p); /* so that the next refill has copies to make */
	tu_write(p->dir, "vmig.yaml", "testdb_pool: 20\n");
	int fds[2];
	assert_int_equal(pipe(fds), 0); /* inherited by vmig: no O_CLOEXEC */
	struct stat pst;
	assert_int_equal(fstat(fds[1], &pst), 0);
	r = EXPECT(p, 0, "testdb", "new");
	tu_result_free(&r);
	assert_int_equal(fillers_holding(p, pst.st_ino), 0);
	close(fds[0]);
	close(fds[1]);
	assert_fillers_end(p);
	char cfg[4096];
	snprintf(cfg, sizeof cfg, "%s/vmig.yaml", p->dir);
	unlink(cfg);

	/* The pool: a ready copy, distinct, migrated too. */
	char *pooled = new_from_pool(p);
	assert_string_not_equal(pooled, url);
	rows = B->query(pooled, "SELECT count(*) FROM tags");
	assert_non_null(rows);
	free(rows);

	/* An edited migration: a new template, never the stale one. */
	r = EXPECT(p, 0, "testdb", "new", "--json");
	cJSON *j = parse_json(r.out);
	char *old_template = strdup(json_str(j, "template"));
	cJSON_Delete(j);
	tu_result_free(&r);
	revspec s3b = S3;
	s3b.up = "CREATE TABLE tags (id integer PRIMARY KEY, name text, colour text);";
	write_rev(p, &s3b);
	r = EXPECT(p, 0, "testdb", "new", "--json");
	j = parse_json(r.out);
	assert_string_not_equal(json_str(j, "template"), old_template);
	char *fresh = strdup(json_str(j, "url"));
	cJSON_Delete(j);
	tu_result_free(&r);
	rows = B->query(fresh, "SELECT count(colour) FROM tags");
	assert_non_null(rows); /* the edited revision's column */
	free(rows);

	/* drop: test databases only. */
	r = EXPECT(p, 0, "testdb", "drop", url);
	tu_result_free(&r);
	rows = B->query(url, "SELECT count(*) FROM tags");
	assert_null(rows);
	REJECT(p, 2, "not a test database that vmig made", "testdb", "drop", p->url);

	/* gc: every copy and the stale template go; the current template stays. */
	usleep(300 * 1000); /* let a filler start: gc waits for it */
	RUN(p, "testdb", "gc");
	char *left = test_dbs(p);
	assert_int_equal(count_lines(left), 1);
	assert_non_null(strstr(left, "_vmig_t_"));
	free(left);
	RUN(p, "testdb", "gc", "--all");
	left = test_dbs(p);
	assert_string_equal(left, "");
	free(left);
	assert_fillers_end(p);
	free(url);
	free(pooled);
	free(fresh);
	free(old_template);
}

/* A migration that fails: no template, nothing left behind, the error named. */
static void test_testdb_failing_migration(void **state)
{
	proj *p = *state;
	write_rev(p, &S1);
	revspec bad = {R2,
	               R1,
	               "bad",
	               "CREATE TABLE posts (id integer);\nSELECT * FROM nowhere;",
	               "DROP TABLE posts;",
	               false};
	write_rev(p, &bad);
	tu_result r = EXPECT(p, 1, "testdb", "new");
	assert_contains(r.err, "building the test template");
	assert_contains(r.err, "_bad.sql:7");
	assert_string_equal(r.out, "");
	tu_result_free(&r);
	char *left = test_dbs(p);
	assert_string_equal(left, "");
	free(left);
}

/* Parallel workers: every caller gets a database of its own. */
static void test_testdb_parallel(void **state)
{
	proj *p = *state;
	three(p);
	enum { WORKERS = 4, EACH = 5 };
	char path[4096];
	snprintf(path, sizeof path, "%s/urls", p->dir);
	pid_t pids[WORKERS];
	for (int w = 0; w < WORKERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			for (int i = 0; i < EACH; i++) {
				tu_result r = run_args(p, true, NULL, ARGS("testdb", "new"));
				FILE *f = fopen(path, "a");
				if (r.status != 0 || !f)
					_exit(1);
				fprintf(f, "%s", r.out); /* one line, written at once */
				fclose(f);
				tu_result_free(&r);
			}
			_exit(0);
		}
	}
	for (int w = 0; w < WORKERS; w++) {
		int st;
		waitpid(pids[w], &st, 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "sort -u '%s' | wc -l", path);
	FILE *f = popen(cmd, "r");
	int distinct = 0;
	assert_int_equal(fscanf(f, "%d", &distinct), 1);
	pclose(f);
	assert_int_equal(distinct, WORKERS * EACH);
	FILE *urls = fopen(path, "r");
	char line[2048];
	while (fgets(line, sizeof line, urls)) {
		line[strcspn(line, "\n")] = '\0';
		char *rows = B->query(line, "SELECT count(*) FROM vmig_version");
		assert_non_null(rows);
		assert_string_equal(rows, "3");
		free(rows);
	}
	fclose(urls);
	assert_fillers_end(p); /* the pool full, the refills gone */
	char *pool = test_dbs(p);
	assert_true(count_lines(pool) >= 20 + 1 + 2); /* handed out, the template, the pool */
	free(pool);
	RUN(p, "testdb", "gc", "--all");
	char *left = test_dbs(p);
	assert_string_equal(left, "");
	free(left);
}

/* ========================================================= validate, check */

static void test_validate(void **state)
{
	proj *p = *state;
	tu_result r = run_args(p, false, NULL, ARGS("validate", "--dir", p->mig));
	STATUS(r, 0);
	assert_contains(r.out, "no revisions");
	tu_result_free(&r);
	three(p);
	/* No database is touched: even an unusable $DATABASE_URL is fine... */
	const char *bad_url[] = {"DATABASE_URL=mysql://x/y", NULL};
	r = run_args(p, false, bad_url, ARGS("validate", "--dir", p->mig));
	check_status(&r, 0, HERE, ARGS("validate"));
	assert_contains(r.out, "3 revision(s)");
	assert_contains(r.out, R3);
	tu_result_free(&r);
	/* ...and -d, which it would not use, is a usage error. */
	r = run_args(p, false, NULL, ARGS("validate", "--dir", p->mig, "-d", "mysql://x/y"));
	check_status(&r, 2, HERE, ARGS("validate -d mysql://x/y"));
	assert_contains(r.err, "`vmig validate` does not use -d");
	tu_result_free(&r);

	tu_write(p->mig, "bad.sql",
	         "-- vmig:revision bad\n-- vmig:down_revision " R3
	         "\n-- vmig:transaction sometimes\n-- vmig:up\n");
	char where[4096];
	snprintf(where, sizeof where, "%s/bad.sql:3:", p->mig);
	REJECT(p, 2, where, "validate");
	snprintf(where, sizeof where, "%s/bad.sql", p->mig);
	assert_int_equal(unlink(where), 0);

	char missing[4096];
	snprintf(missing, sizeof missing, "%s/nope", p->dir);
	r = run_args(p, false, NULL, ARGS("validate", "--dir", missing));
	STATUS(r, 2);
	assert_contains(r.err, missing);
	assert_contains(r.err, "vmig init");
	tu_result_free(&r);
}

static void test_check(void **state)
{
	proj *p = *state;
	three(p);
	REJECT(p, 3, R1, "check"); /* nothing applied: behind */
	RUN(p, "up", R2);
	REJECT(p, 3, R3, "check");
	REJECT(p, 3, "behind", "check");
	RUN(p, "up");
	tu_result r = EXPECT(p, 0, "check");
	assert_contains(r.out, "ok");
	tu_result_free(&r);

	/* Drift: an applied file edited. */
	revspec s2 = S2;
	s2.up = R2_UP "\nCREATE INDEX posts_title ON posts (title);";
	write_rev(p, &s2);
	REJECT(p, 3, "edited", "check");
	REJECT(p, 3, R2, "check");
	write_rev(p, &S2);
	RUN(p, "check");

	/* Bad files: 2, before the database is read. */
	tu_write(p->mig, "zz_bad.sql", "-- vmig:revision zz\n-- vmig:dwon_revision " R3 "\n");
	REJECT(p, 2, "unknown directive", "check");
	char bad[4096];
	snprintf(bad, sizeof bad, "%s/zz_bad.sql", p->mig);
	unlink(bad);

	/* Several heads: 2. */
	write_rev(p, &SA);
	REJECT(p, 2, "heads", "check");
	remove_rev(p, &SA);

	/* An applied revision whose file is gone. */
	remove_rev(p, &S3);
	REJECT(p, 3, "gone", "check");
}

/* ================================================= failures in the middle */

static const revspec S3_FAILS = {R3,
                                 R2,
                                 "create tags",
                                 "CREATE TABLE tags (id integer PRIMARY KEY, name text);\n"
                                 "INSERT INTO tags (id, name) VALUES (1, 'first');\n"
                                 "-- the mistake comes next; it is on line 10\n"
                                 "\n"
                                 "INSERT INTO no_such_table (id) VALUES (1);\n"
                                 "INSERT INTO tags (id, name) VALUES (2, 'never');",
                                 R3_DOWN,
                                 false};

/* A COMMIT inside a revision would commit part of it apart from its
 * bookkeeping: refused (exit 2) before the revision's SQL runs. */
static void test_commit_inside_revision_refused(void **state)
{
	proj *p = *state;
	write_rev(p, &S1);
	revspec s2 = {"5e00ee000007",
	              R1,
	              "commits by itself",
	              "CREATE TABLE half (id integer PRIMARY KEY);\nCOMMIT;\n"
	              "CREATE TABLE other (id integer PRIMARY KEY);",
	              "DROP TABLE other; DROP TABLE half;",
	              false};
	write_rev(p, &s2);
	tu_result r = EXPECT(p, 2, "up");
	assert_contains(r.err, "begins or ends a transaction itself");
	tu_result_free(&r);
	ROWS(p, R1);
	NO_TABLE(p, "half");
	NO_TABLE(p, "other");
}

static void test_failure_mid_run(void **state)
{
	proj *p = *state;
	write_rev(p, &S1);
	write_rev(p, &S2);
	write_rev(p, &S3_FAILS);
	revspec s4 = {"5e00ee000006",      R3,
	              "after tags",        "CREATE TABLE later (id integer PRIMARY KEY);",
	              "DROP TABLE later;", false};
	write_rev(p, &s4);

	tu_result r = EXPECT(p, 1, "up");
	char *path = rev_path(p, &S3_FAILS);
	char where[4096];
	snprintf(where, sizeof where, "%s:10:", path); /* the fifth line of the up SQL */
	assert_contains(r.err, where);
	assert_contains(r.err, "no_such_table"); /* the database's own message */
	LINE_HAS(r.err, R1, "applied");
	LINE_HAS(r.err, R2, "applied");
	tu_result_free(&r);
	free(path);
	/* The revisions before it stay applied; it and those after it are not. */
	ROWS(p, R1 "\n" R2);
	TABLE(p, "posts");
	NO_TABLE(p, "tags");
	NO_TABLE(p, "later");

	/* Running it again changes nothing. */
	char *before = snap(p);
	r = EXPECT(p, 1, "up");
	assert_contains(r.err, "no_such_table");
	assert_unchanged(p, before, HERE);
	tu_result_free(&r);
	free(before);

	/* Fixed, it goes on from there. */
	write_rev(p, &S3);
	RUN(p, "up");
	ROWS(p, R1 "\n" R2 "\n" R3 "\n5e00ee000006");
}

static void test_failure_single_transaction(void **state)
{
	proj *p = *state;
	write_rev(p, &S1);
	write_rev(p, &S2);
	write_rev(p, &S3_FAILS);
	RUN(p, "up", R1);
	char *before = snap(p);
	tu_result r = EXPECT(p, 1, "up", "--single-transaction");
	assert_contains(r.err, "no_such_table");
	assert_contains(r.err, ":10:");
	assert_contains(r.err, "rolled back");
	tu_result_free(&r);
	assert_unchanged(p, before, HERE);
	ROWS(p, R1);
	NO_TABLE(p, "posts");
	free(before);

	/* From an empty database: all or nothing, nothing. */
	RUN(p, "down", "base");
	r = EXPECT(p, 1, "up", "--single-transaction");
	tu_result_free(&r);
	if (has_table(p, "vmig_version")) /* the empty table may stay: no revision is applied */
		ROWS(p, "");
	NO_TABLE(p, "users");
	NO_TABLE(p, "posts");
}

/* The same through vmig.yaml (transaction_per_migration: false), found in the working folder. */
static void test_config_file(void **state)
{
	proj *p = *state;
	write_rev(p, &S1);
	write_rev(p, &S2);
	write_rev(p, &S3_FAILS);
	tu_write(p->dir, "vmig.yaml",
	         "database_url: ${VMIG_TEST_URL}\n"
	         "migrations_dir: migrations\n"
	         "version_table: my_versions\n"
	         "transaction_per_migration: false\n");
	char env_url[4096];
	snprintf(env_url, sizeof env_url, "VMIG_TEST_URL=%s", p->url);
	const char *env[] = {env_url, NULL};
	char *before = snap(p);
	tu_result r = tu_vmig(p->dir, env, "up", NULL);
	STATUS(r, 1);
	assert_contains(r.err, "no_such_table");
	tu_result_free(&r);
	assert_false(has_table(p, "users"));
	if (has_table(p, "my_versions"))
		QUERY(p, "SELECT count(*) FROM my_versions", "0");
	free(before);

	write_rev(p, &S3);
	r = tu_vmig(p->dir, env, "up", NULL);
	STATUS(r, 0);
	tu_result_free(&r);
	QUERY(p, "SELECT revision FROM my_versions ORDER BY revision", R1 "\n" R2 "\n" R3);
	NO_TABLE(p, "vmig_version");

	/* -c from another folder: migrations_dir is relative to the config file. */
	char cfg[4096];
	snprintf(cfg, sizeof cfg, "%s/vmig.yaml", p->dir);
	r = tu_vmig("/", env, "-c", cfg, "down", "-1", NULL);
	STATUS(r, 0);
	tu_result_free(&r);
	QUERY(p, "SELECT revision FROM my_versions ORDER BY revision", R1 "\n" R2);

	/* A bad config: 2, naming the key and line; nothing touched. */
	tu_write(p->dir, "bad.yaml", "database_url: sqlite:///x.db\nlock_timeout: soon\n");
	before = snap(p);
	r = tu_vmig(p->dir, env, "-c", "bad.yaml", "-d", p->url, "up", NULL);
	STATUS(r, 2);
	assert_contains(r.err, "lock_timeout");
	assert_contains(r.err, "2");
	tu_result_free(&r);
	assert_unchanged(p, before, HERE);
	free(before);
}

static void test_dirty_revision(void **state)
{
	proj *p = *state;
	revspec s2 = {R2,
	              R1,
	              "half done",
	              "CREATE TABLE half (id integer PRIMARY KEY);\n"
	              "INSERT INTO no_such_table (id) VALUES (1);",
	              "DROP TABLE half;",
	              true};
	write_rev(p, &S1);
	write_rev(p, &s2);
	write_rev(p, &S3);
	tu_result r = EXPECT(p, 1, "up");
	char *path = rev_path(p, &s2);
	char where[4096];
	snprintf(where, sizeof where, "%s:7:", path);
	assert_contains(r.err, where);
	assert_contains(r.err, "vmig stamp");
	tu_result_free(&r);
	free(path);
	TABLE(p, "half"); /* outside a transaction: part of it took effect */
	NO_TABLE(p, "tags");
	/* Its row is there, marked as not finished (whatever word the table uses). */
	QUERY(p,
	      "SELECT count(*) FROM vmig_version WHERE revision = '" R2 "' AND state <> 'applied'",
	      "1");

	/* status calls it "in progress"; "pending" keeps meaning "not applied". */
	r = EXPECT(p, 0, "status");
	LINE_HAS(r.out, R2, "in progress");
	LINE_HAS(r.out, R3, "pending");
	assert_contains(r.out, "1 applied, 1 pending, 0 drifted, 1 in progress");
	assert_not_contains(r.out, "1 dirty");
	tu_result_free(&r);
	r = EXPECT(p, 0, "status", "--json");
	cJSON *j = parse_json(r.out);
	const cJSON *revs = cJSON_GetObjectItemCaseSensitive(j, "revisions");
	assert_string_equal(json_str(cJSON_GetArrayItem(revs, 1), "revision"), R2);
	assert_string_equal(json_str(cJSON_GetArrayItem(revs, 1), "state"), "in_progress");
	assert_string_equal(json_str(cJSON_GetArrayItem(revs, 2), "state"), "pending");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "in_progress")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "pending")->valueint, 1);
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "dirty"));
	cJSON_Delete(j);
	tu_result_free(&r);

	/* Every later run refuses, names the revision and says how to resolve it. */
	REJECT(p, 1, R2, "up");
	REJECT(p, 1, "vmig stamp", "up");
	REJECT(p, 1, R2, "down");
	REJECT(p, 1, R2, "redo");
	REJECT(p, 1, R2, "check");

	/* Resolved by hand: undo it, record the parent, fix the file, go on. */
	free(q(p, "DROP TABLE half"));
	RUN(p, "stamp", R1);
	ROWS(p, R1);
	s2.up = "CREATE TABLE half (id integer PRIMARY KEY);";
	write_rev(p, &s2);
	RUN(p, "up");
	ROWS(p, R1 "\n" R2 "\n" R3);
	QUERY(p, "SELECT state FROM vmig_version ORDER BY revision", "applied\napplied\napplied");
	RUN(p, "check");
}

/* Several runners at once: each revision applied once, every runner exits 0. */
static void test_concurrent_runners(void **state)
{
	proj *p = *state;
	three(p);
	enum { N = 4 };
	pid_t pids[N];
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			tu_result r = run_args(p, true, NULL, ARGS("up", "-q"));
			if (r.status)
				fprintf(stderr, "runner %d: %s", i, r.err);
			_exit(r.status);
		}
	}
	for (int i = 0; i < N; i++) {
		int st = 0;
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	ROWS(p, R1 "\n" R2 "\n" R3);
	QUERY(p, "SELECT count(*) FROM users", "1");
}

/* A refused single-transaction run (a `transaction off` revision in it) changes nothing. */
static void test_single_transaction_refuses_transaction_off(void **state)
{
	proj *p = *state;
	revspec s2 = S2;
	s2.no_transaction = true;
	write_rev(p, &S1);
	write_rev(p, &s2);
	write_rev(p, &S3);
	/* On a fresh database: not even the version table may appear. */
	REJECT(p, 2, "single-transaction", "up", "--single-transaction");
	NO_TABLE(p, "users");
	RUN(p, "up", R1);
	REJECT(p, 2, "single-transaction", "up", "--single-transaction");
	ROWS(p, R1);
	RUN(p, "up");
	ROWS(p, R1 "\n" R2 "\n" R3);
	REJECT(p, 2, "single-transaction", "down", "base", "--single-transaction");
	ROWS(p, R1 "\n" R2 "\n" R3);
}

/* Bad files stop every command before the database is touched, even a fresh one. */
static void test_bad_files_change_nothing(void **state)
{
	proj *p = *state;
	three(p);
	tu_write(p->mig, "zz_bad.sql",
	         "-- vmig:revision zz\n-- vmig:down_revision " R3
	         "\n-- vmig:up\nCREATE TABLE zz (id integer);\n-- vmig:up\n");
	char bad[4200], where[4300];
	snprintf(bad, sizeof bad, "%s/zz_bad.sql", p->mig);
	snprintf(where, sizeof where, "%s:5:", bad);
	REJECT(p, 2, where, "up");
	REJECT(p, 2, where, "up", R1);
	REJECT(p, 2, where, "stamp", "heads");
	REJECT(p, 2, where, "status");
	REJECT(p, 2, where, "current");
	NO_TABLE(p, "users");
	assert_int_equal(unlink(bad), 0);
	RUN(p, "up");
	tu_write(p->mig, "zz_bad.sql",
	         "-- vmig:revision zz\n-- vmig:down_revision nosuch\n"
	         "-- vmig:up\n");
	REJECT(p, 2, "nosuch", "down", "base");
	REJECT(p, 2, "nosuch", "redo");
	ROWS(p, R1 "\n" R2 "\n" R3);

	/* A missing migrations directory: say how to create one. */
	char missing[4200];
	snprintf(missing, sizeof missing, "%s/no-such-dir", p->dir);
	REJECT_RAW(p, 2, "vmig init", "down", "base", "-d", p->url, "--dir", missing);
	REJECT_RAW(p, 2, missing, "new", "x", "--dir", missing);
	ROWS(p, R1 "\n" R2 "\n" R3);
}

static void test_down_failure(void **state)
{
	proj *p = *state;
	revspec s2 = S2;
	s2.down = "DROP INDEX posts_user;\nDROP TABLE no_such_table;";
	write_rev(p, &S1);
	write_rev(p, &s2);
	write_rev(p, &S3);
	RUN(p, "up");
	char *path = rev_path(p, &s2);
	char where[4096];
	/* Lines: 6-7 up, 8 `-- vmig:down`, 9-10 down. */
	snprintf(where, sizeof where, "%s:10:", path);
	free(path);

	char *before = snap(p);
	tu_result r = EXPECT(p, 1, "down", "base", "--single-transaction");
	assert_contains(r.err, where);
	assert_contains(r.err, "no_such_table");
	tu_result_free(&r);
	assert_unchanged(p, before, HERE); /* all or nothing */
	free(before);
	TABLE(p, "tags");

	r = EXPECT(p, 1, "down", "base");
	assert_contains(r.err, where);
	LINE_HAS(r.err, R3, "reverted");
	tu_result_free(&r);
	ROWS(p, R1 "\n" R2); /* R3 went down; R2 was rolled back */
	NO_TABLE(p, "tags");
	TABLE(p, "posts");
}

/* The version table of a newer vmig is refused, and left alone. */
static void test_newer_table_shape(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up", R1);
	free(q(p, "UPDATE vmig_version_meta SET value = '3' WHERE key = 'shape'"));
	REJECT(p, 1, "newer vmig", "up");
	ROWS(p, R1);
}

/* SPEC: config file from --config, else $VMIG_CONFIG, else ./vmig.yaml; URL from
 * --database-url, else the config's, else $DATABASE_URL. */
static void test_config_precedence(void **state)
{
	proj *p = *state;
	three(p);
	char elsewhere[4200], cfg[4300], env_cfg[4400], env_url[4400];
	snprintf(elsewhere, sizeof elsewhere, "%s/conf", p->dir);
	snprintf(cfg, sizeof cfg, "%s/vmig-ci.yaml", elsewhere);
	snprintf(env_cfg, sizeof env_cfg, "VMIG_CONFIG=%s", cfg);
	snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", p->url);
	/* A config with no URL; migrations_dir relative to the config's folder. */
	tu_write(elsewhere, "vmig-ci.yaml", "migrations_dir: ../migrations\n");
	/* A ./vmig.yaml that must lose against $VMIG_CONFIG. */
	tu_write(p->dir, "vmig.yaml", "migrations_dir: nowhere\n");

	const char *env[] = {env_cfg, env_url, NULL};
	tu_result r = tu_vmig(p->dir, env, "up", R1, NULL);
	STATUS(r, 0);
	tu_result_free(&r);
	ROWS(p, R1);

	/* -d wins over the config's URL, which wins over $DATABASE_URL. */
	tu_write(elsewhere, "vmig-ci.yaml",
	         "database_url: mysql://nobody@nowhere/x\nmigrations_dir: ../migrations\n");
	r = tu_vmig(p->dir, env, "up", R2, NULL);
	STATUS(r, 2);
	assert_contains(r.err, "mysql");
	tu_result_free(&r);
	r = tu_vmig(p->dir, env, "up", R2, "-d", p->url, NULL);
	STATUS(r, 0);
	tu_result_free(&r);
	ROWS(p, R1 "\n" R2);

	/* --config wins over $VMIG_CONFIG (whose URL is the unusable one). */
	size_t cap = strlen(p->url) + 128;
	char *other = malloc(cap);
	snprintf(other, cap, "database_url: \"%s\"\nmigrations_dir: migrations\n", p->url);
	tu_write(p->dir, "other.yaml", other);
	free(other);
	r = tu_vmig(p->dir, env, "-c", "other.yaml", "up", NULL);
	STATUS(r, 0);
	tu_result_free(&r);
	ROWS(p, R1 "\n" R2 "\n" R3);
}

/* sqlite:///relative.db is relative to the working folder; SQLAlchemy's driver suffix works. */
static void test_sqlite_url_forms(void **state)
{
	proj *p = *state;
	write_rev(p, &S1);
	tu_result r =
	    tu_vmig(p->dir, NULL, "--dir", "migrations", "-d", "sqlite:///rel.db", "up", NULL);
	check_status(&r, 0, HERE, ARGS("-d sqlite:///rel.db up"));
	tu_result_free(&r);
	char path[4200];
	snprintf(path, sizeof path, "%s/rel.db", p->dir);
	char *rows = tu_sqlite_query(path, "SELECT revision FROM vmig_version");
	assert_non_null(rows);
	assert_string_equal(rows, R1);
	free(rows);

	r = tu_vmig(p->dir, NULL, "--dir", "migrations", "-d", "sqlite+aiosqlite:///rel.db",
	            "current", NULL);
	check_status(&r, 0, HERE, ARGS("-d sqlite+aiosqlite:///rel.db current"));
	assert_contains(r.out, R1);
	tu_result_free(&r);
}

/* A password never appears in any output, errors included (SPEC "Database URLs"). */
static void test_password_never_shown(void **state)
{
	proj *p = *state;
	three(p);
	static const char *const urls[] = {
	    "postgresql://bob:s3cretpw@127.0.0.1:1/app",
	    "postgres://bob:s3cretpw@127.0.0.1:1/app?sslmode=disable",
	    "postgresql+asyncpg://bob:s3cretpw@127.0.0.1:1/app",
	    "postgresql://127.0.0.1:1/app?user=bob&password=s3cretpw",
	};
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		tu_result r =
		    tu_vmig(p->dir, NULL, "-v", "--dir", p->mig, "-d", urls[i], "status", NULL);
		STATUS(r, 1);
		assert_contains(r.err, "***");
		assert_not_contains(r.err, "s3cretpw");
		assert_not_contains(r.out, "s3cretpw");
		tu_result_free(&r);
	}
	/* --wait retries a connection that is refused, then gives up (exit 1). */
	tu_result r = tu_vmig(p->dir, NULL, "--dir", p->mig, "-d", urls[0], "up", "--wait=1", NULL);
	STATUS(r, 1);
	assert_contains(r.err, "waiting for the database");
	assert_not_contains(r.err, "s3cretpw");
	tu_result_free(&r);
}

/* Colour only on a terminal: never in a pipe, even with NO_COLOR unset. */
static void test_no_colour_in_pipes(void **state)
{
	proj *p = *state;
	three(p);
	const char *env[] = {"NO_COLOR=", NULL};
	const char *const cmds[][2] = {
	    {"up", NULL}, {"status", NULL}, {"down", NULL}, {"frobnicate", NULL}};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		tu_result r = run_args(p, true, env, cmds[i]);
		assert_not_contains(r.out, "\033[");
		assert_not_contains(r.err, "\033[");
		tu_result_free(&r);
	}
}

/* ====================================================== the command line */

static void test_options_anywhere(void **state)
{
	proj *p = *state;
	three(p);
	tu_result r = tu_vmig(p->dir, NULL, "-d", p->url, "--dir", p->mig, "up", R1, NULL);
	check_status(&r, 0, HERE, ARGS("-d URL --dir DIR up R1"));
	tu_result_free(&r);
	ROWS(p, R1);
	r = tu_vmig(p->dir, NULL, "up", "+1", "-d", p->url, "--dir", p->mig, NULL);
	check_status(&r, 0, HERE, ARGS("up +1 -d URL --dir DIR"));
	tu_result_free(&r);
	ROWS(p, R1 "\n" R2);
	char dir_eq[4096], url_eq[4096];
	snprintf(dir_eq, sizeof dir_eq, "--dir=%s", p->mig);
	snprintf(url_eq, sizeof url_eq, "--database-url=%s", p->url);
	r = tu_vmig(p->dir, NULL, dir_eq, "up", url_eq, NULL);
	check_status(&r, 0, HERE, ARGS("--dir=DIR up --database-url=URL"));
	tu_result_free(&r);
	ROWS(p, R1 "\n" R2 "\n" R3);

	/* -1 is a target, wherever it stands, never an option. */
	r = tu_vmig(p->dir, NULL, "down", "-d", p->url, "-1", "--dir", p->mig, NULL);
	check_status(&r, 0, HERE, ARGS("down -d URL -1 --dir DIR"));
	LINE_HAS(r.err, R3, "reverted");
	tu_result_free(&r);
	ROWS(p, R1 "\n" R2);
	r = tu_vmig(p->dir, NULL, "-q", "down", "-2", "-d", p->url, "--dir", p->mig, NULL);
	check_status(&r, 0, HERE, ARGS("-q down -2 -d URL --dir DIR"));
	assert_string_equal(r.err, ""); /* -q: no progress */
	tu_result_free(&r);
	ROWS(p, "");
	/* Options before "--", the target after it. */
	r = tu_vmig(p->dir, NULL, "-d", p->url, "--dir", p->mig, "up", "--", R1, NULL);
	check_status(&r, 0, HERE, ARGS("-d URL --dir DIR up -- R1"));
	tu_result_free(&r);
	ROWS(p, R1);
}

static void test_bad_urls(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up", R1);
	char *before = snap(p);
	tu_result r = tu_vmig(p->dir, NULL, "up", "--dir", p->mig, "-d",
	                      "mysql://root:hunter2@db:3306/app", NULL);
	STATUS(r, 2);
	assert_contains(r.err, "postgresql");
	assert_contains(r.err, "sqlite");
	assert_not_contains(r.err, "hunter2"); /* a password never appears */
	assert_not_contains(r.out, "hunter2");
	tu_result_free(&r);

	r = tu_vmig(p->dir, NULL, "status", "--dir", p->mig, "-d", "just-a-path.db", NULL);
	STATUS(r, 2);
	tu_result_free(&r);

	/* No URL from anywhere. */
	r = tu_vmig(p->dir, NULL, "up", "--dir", p->mig, NULL);
	STATUS(r, 2);
	assert_contains(r.err, "database");
	tu_result_free(&r);
	assert_unchanged(p, before, HERE);
	free(before);
}

static void test_usage_errors(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up", R1);
	REJECT(p, 2, "unknown command \"frobnicate\"", "frobnicate");
	REJECT(p, 2, "unknown option --frobnicate", "up", "--frobnicate");
	REJECT_RAW(p, 2, "unknown option --frobnicate", "--frobnicate", "up", "-d", p->url, "--dir",
	           p->mig);
	REJECT(p, 2, "one target only", "up", R2, R3);
	REJECT(p, 2, "unexpected argument", "status", "extra");
	REJECT(p, 2, "unexpected argument", "current", R1);
	REJECT_RAW(p, 2, "needs a value", "up", "--dir", p->mig, "-d");
	REJECT(p, 2, "--wait", "up", "--wait=soon");
	ROWS(p, R1);
}

/* A single-valued option given twice is refused, naming it, rather than the last one winning. */
static void test_repeated_options_are_refused(void **state)
{
	proj *p = *state;
	three(p);
	tu_write(p->dir, "a.yaml", "version_table: from_a\n");
	tu_write(p->dir, "b.yaml", "version_table: from_b\n");
	REJECT(p, 2, "-c/--config is given twice", "-c", "a.yaml", "up", "--config", "b.yaml");
	REJECT(p, 2, "-c/--config is given twice", "--config=a.yaml", "status", "-c", "b.yaml");
	REJECT(p, 2, "--dir is given twice", "up", "--dir", p->mig);
	REJECT(p, 2, "--dir is given twice", "validate", "--dir=elsewhere");
	REJECT(p, 2, "--wait is given twice", "up", "--wait", "--wait=1");
	REJECT(p, 2, "--wait is given twice", "--wait=2", "status", "--wait=1");
	/* -d: several databases for up, status, check and current, but each once;
	 * the other commands take one. */
	REJECT(p, 2, "is given twice; give each database once", "up", "-d", p->url);
	REJECT(p, 2, "is given twice; give each database once", "check", "--database-url", p->url);
	REJECT(p, 2, "-d/--database-url is given twice: `vmig down` works on one database", "down",
	       "--database-url", p->url);
	/* The commands' own single-valued options too. */
	REJECT(p, 2, "-m/--message is given twice", "new", "-m", "one", "-m", "two");
	REJECT(p, 2, "--rev-id is given twice", "new", "x", "--rev-id", "a1", "--rev-id", "b2");
	REJECT(p, 2, "-m/--message is given twice", "merge", R1, R2, "-m", "one", "--message",
	       "two");
	REJECT(p, 2, "--rev-id is given twice", "merge", R1, R2, "-m", "m", "--rev-id", "a1",
	       "--rev-id", "b2");
	assert_int_equal(count_sql_files(p->mig), 3);
	NO_TABLE(p, "vmig_version");
	NO_TABLE(p, "from_a");
	NO_TABLE(p, "from_b");
	/* Flags may repeat: -v -v is more detail, --json twice is --json. */
	RUN(p, "-v", "-v", "status", "--json", "--json");
}

/* SPEC: an option that a command does not use is a usage error, not silently ignored. */
static void test_unused_options_are_refused(void **state)
{
	proj *p = *state;
	three(p);
	RUN(p, "up", R1);
	REJECT(p, 2, "`vmig status` does not use --single-transaction", "status",
	       "--single-transaction");
	REJECT(p, 2, "`vmig stamp` does not use --single-transaction", "stamp", R2,
	       "--single-transaction");
	REJECT(p, 2, "`vmig validate` does not use --wait", "validate", "--wait");
	REJECT(p, 2, "`vmig heads` does not use --wait", "heads", "--wait=5");
	REJECT(p, 2, "`vmig history` does not use -d", "history", "-d", p->url);
	REJECT(p, 2, "`vmig show` does not use --sql", "show", R1, "--sql");
	REJECT(p, 2, "`vmig check` does not use --json", "check", "--json");
	REJECT(p, 2, "`vmig new` does not use --single-transaction", "new", "x",
	       "--single-transaction");
	REJECT_RAW(p, 2, "`vmig init` does not use --dir", "init", "app", "--dir", p->mig);
	REJECT_RAW(p, 2, "`vmig init` does not use -c", "-c", "x.yaml", "init", "app");
	/* --sql is used by up, down and stamp; offline, down needs FROM and
	 * --wait has nothing to wait for. */
	REJECT(p, 2, "down --sql needs FROM:TO", "down", "--sql");
	REJECT(p, 2, "--wait does not apply", "up", "--sql", "--wait=1");
	/* Named as typed, without its value: a URL may hold a password. */
	tu_result r = run_args(
	    p, false, NULL,
	    ARGS("validate", "--dir", p->mig, "--database-url=postgresql://u:s3cret@h/db"));
	STATUS(r, 2);
	assert_contains(r.err, "`vmig validate` does not use --database-url");
	assert_not_contains(r.err, "s3cret");
	tu_result_free(&r);
	char path[4096];
	snprintf(path, sizeof path, "%s/app", p->dir);
	struct stat st;
	assert_true(stat(path, &st) != 0); /* init wrote nothing */
	assert_int_equal(count_sql_files(p->mig), 3);
	ROWS(p, R1);
	/* What a command uses is still taken. */
	RUN(p, "up", R2, "--single-transaction", "--wait=1");
	RUN(p, "status", "--wait", "--json");
	RUN(p, "heads", "-q", "-v");
	ROWS(p, R1 "\n" R2);
}

/*
 * `vmig COMMAND --help` is true: it lists exactly the common options the
 * command takes.  Each command runs here on an empty migrations folder, so
 * that whatever it accepts changes nothing.
 */
static void test_command_help_lists_the_options_it_takes(void **state)
{
	proj *p = *state;
	static const char *const commands[] = {
	    "init", "new",    "up",      "upgrade",  "down",  "downgrade",
	    "redo", "status", "current", "history",  "heads", "branches",
	    "show", "merge",  "stamp",   "validate", "check",
	};
	static const struct {
		const char *name; /* as the help lists it */
		const char *arg, *value;
	} opts[] = {
	    {"--config", "-c", "nowhere.yaml"},
	    {"--database-url", "-d", NULL}, /* the test's URL */
	    {"--dir", "--dir", NULL},       /* the test's folder */
	    {"--single-transaction", "--single-transaction", NULL},
	    {"--wait", "--wait=1", NULL},
	    {"--sql", "--sql", NULL},
	    {"--json", "--json", NULL},
	};
	char *before = snap(p);
	for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
		tu_result help = run_args(p, false, NULL, ARGS(commands[c], "--help"));
		STATUS(help, 0);
		const char *common = strstr(help.out, "Common options it takes");
		if (!common)
			fail_msg("`vmig %s --help` lists no common options:\n%s", commands[c],
			         help.out);
		for (size_t o = 0; o < sizeof opts / sizeof opts[0]; o++) {
			const char *value = opts[o].value;
			if (!value && strcmp(opts[o].name, "--database-url") == 0)
				value = p->url;
			else if (!value && strcmp(opts[o].name, "--dir") == 0)
				value = p->mig;
			bool listed = strstr(common, opts[o].name) != NULL;
			tu_result r = run_args(p, false, NULL,
			                       value ? ARGS(commands[c], opts[o].arg, value)
			                             : ARGS(commands[c], opts[o].arg));
			bool refused = strstr(r.err, "does not use") != NULL;
			if (listed == refused)
				fail_msg("`vmig %s --help` %s %s, but `vmig %s %s` %s it:\n%s",
				         commands[c], listed ? "lists" : "does not list",
				         opts[o].name, commands[c], opts[o].arg,
				         refused ? "refuses" : "takes", r.err);
			tu_result_free(&r);
		}
		tu_result_free(&help);
	}
	assert_unchanged(p, before, HERE);
	free(before);
	assert_int_equal(count_sql_files(p->mig), 0);
}

static void test_help_and_version(void **state)
{
	proj *p = *state;
	three(p);
	char *before = snap(p);
	tu_result r = EXPECT(p, 0, "--help");
	assert_contains(r.out, "usage: vmig");
	assert_contains(r.out, "Commands:");
	tu_result_free(&r);
	r = EXPECT(p, 0, "up", "--help");
	assert_contains(r.out, "usage: vmig up");
	tu_result_free(&r);
	r = EXPECT(p, 0, "-h", "down");
	assert_contains(r.out, "usage: vmig down");
	tu_result_free(&r);
	/* --help never runs the command. */
	assert_unchanged(p, before, HERE);
	NO_TABLE(p, "users");

	r = run_args(p, false, NULL, ARGS("--version"));
	STATUS(r, 0);
	assert_string_equal(r.out, "vmig " VMIG_VERSION "\n");
	tu_result_free(&r);

	/* No command: the help, on stderr, and exit 2. */
	r = run_args(p, false, NULL, ARGS("-q"));
	STATUS(r, 2);
	assert_contains(r.err, "usage: vmig");
	tu_result_free(&r);
	assert_unchanged(p, before, HERE);
	free(before);
}

#include "fanout_suite.c"

/* ================================================================= the suite */

#define T(f) cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, (void *)#f)

int cli_suite_run(const tu_backend *backend)
{
	const struct CMUnitTest tests[] = {
	    T(test_init),
	    T(test_init_then_new_and_up),
	    T(test_new),
	    T(test_new_down_revision_needs_an_id),
	    T(test_up_applies_everything),
	    T(test_up_twice_is_a_noop),
	    T(test_up_targets),
	    T(test_up_on_branches),
	    T(test_down_targets),
	    T(test_down_irreversible),
	    T(test_down_with_file_gone),
	    T(test_redo),
	    T(test_status_and_drift),
	    T(test_status_edited_and_gone),
	    T(test_json_outputs),
	    T(test_current),
	    T(test_history_heads_branches),
	    T(test_show),
	    T(test_merge),
	    T(test_merge_heads),
	    T(test_merge_refuses_an_ancestor_as_parent),
	    T(test_stamp),
	    T(test_adopt),
	    T(test_sql_writes_a_script_and_changes_nothing),
	    T(test_todo_file_stops_everything),
	    T(test_create_and_drop),
	    T(test_testdb),
	    T(test_testdb_parallel),
	    T(test_testdb_failing_migration),
	    T(test_validate),
	    T(test_check),
	    T(test_failure_mid_run),
	    T(test_commit_inside_revision_refused),
	    T(test_failure_single_transaction),
	    T(test_config_file),
	    T(test_dirty_revision),
	    T(test_single_transaction_refuses_transaction_off),
	    T(test_bad_files_change_nothing),
	    T(test_down_failure),
	    T(test_newer_table_shape),
	    T(test_config_precedence),
	    T(test_sqlite_url_forms),
	    T(test_password_never_shown),
	    T(test_no_colour_in_pipes),
	    T(test_concurrent_runners),
	    T(test_options_anywhere),
	    T(test_bad_urls),
	    T(test_usage_errors),
	    T(test_repeated_options_are_refused),
	    T(test_unused_options_are_refused),
	    T(test_command_help_lists_the_options_it_takes),
	    T(test_help_and_version),
	    T(test_fanout_many_databases),
	    T(test_fanout_failure_does_not_stop_the_others),
	    T(test_fanout_targets_file),
	    T(test_fanout_json),
	    T(test_fanout_usage),
	    T(test_fanout_schemas_and_jobs),
	};
	B = backend;
	unsetenv("DATABASE_URL");
	unsetenv("VMIG_CONFIG");
	setenv("NO_COLOR", "1", 1);
	return cmocka_run_group_tests_name(backend->name, tests, NULL, NULL);
}
