/*
 * test_config.c - vmig.yaml, the flags and the environment (SPEC "vmig.yaml").
 */
#include "testutil.h"

#include "config.h"
#include "buf.h"
#include "envexpand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every test runs in its own empty folder with none of the variables it reads set. */
struct fixture {
	char *dir;
	char *old_cwd;
};

static void clear_env(void)
{
	unsetenv("VMIG_CONFIG");
	unsetenv("DATABASE_URL");
	unsetenv("VMIG_T_HOST");
	unsetenv("VMIG_T_EMPTY");
	unsetenv("VMIG_T_UNSET");
	unsetenv("HOST");
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	f->old_cwd = getcwd(NULL, 0);
	f->dir = tu_tempdir("config");
	if (!f->old_cwd || chdir(f->dir) != 0)
		return -1;
	clear_env();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = chdir(f->old_cwd);

	clear_env();
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->old_cwd);
	free(f);
	return rc;
}

static void write_file(const char *rel, const char *text)
{
	tu_write(".", rel, text);
}

/* Loads with the given flags and fails the test, showing the message, on an error. */
static vmig_config load(const vmig_config_overrides *ov)
{
	vmig_config cfg;
	vmig_error err = {0};
	int rc = vmig_config_load(ov, &cfg, &err);

	if (rc != VMIG_OK)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(rc, VMIG_OK);
	return cfg;
}

/* Loads expecting a config error; returns its message (static) and checks *out stays zeroed. */
static const char *load_error(const vmig_config_overrides *ov)
{
	static vmig_error err;
	static const vmig_config zero;
	vmig_config cfg;

	memset(&err, 0, sizeof err);
	memset(&cfg, 0x5a, sizeof cfg);
	assert_int_equal(vmig_config_load(ov, &cfg, &err), VMIG_ERR_INPUT);
	assert_int_equal(err.code, VMIG_ERR_INPUT);
	assert_memory_equal(&cfg, &zero, sizeof cfg);
	return err.msg;
}

static char *expand(const char *text)
{
	char *out = NULL;
	vmig_error err = {0};

	if (vmig_config_expand(text, &out, &err) != VMIG_OK)
		print_error("unexpected error: %s\n", err.msg);
	assert_non_null(out);
	return out;
}

static void assert_expands(const char *text, const char *want)
{
	char *got = expand(text);

	assert_string_equal(got, want);
	free(got);
}

/* ---- defaults ---- */

static void test_defaults_without_file(void **state)
{
	(void)state;
	vmig_config cfg = load(NULL);

	assert_null(cfg.path);
	assert_null(cfg.database_url);
	assert_string_equal(cfg.migrations_dir, "migrations");
	assert_string_equal(cfg.version_table, "vmig_version");
	assert_null(cfg.version_table_schema);
	assert_true(cfg.transaction_per_migration);
	assert_int_equal(cfg.lock_timeout, 60);
	assert_int_equal(cfg.wait_timeout, 30);
	assert_int_equal(cfg.testdb_pool, 2);
	vmig_config_free(&cfg);
}

static void test_empty_and_comment_only_files_give_defaults(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    "",
	    "# nothing configured yet\n\n   # indented comment\n",
	    "---\n# an empty document\n",
	    "~\n",
	};

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		write_file("vmig.yaml", texts[i]);
		vmig_config cfg = load(NULL);
		assert_string_equal(cfg.path, "vmig.yaml");
		assert_string_equal(cfg.migrations_dir, "migrations");
		assert_string_equal(cfg.version_table, "vmig_version");
		assert_true(cfg.transaction_per_migration);
		assert_int_equal(cfg.lock_timeout, 60);
		assert_int_equal(cfg.wait_timeout, 30);
		vmig_config_free(&cfg);
	}
}

static void test_every_key_is_read(void **state)
{
	(void)state;
	write_file("vmig.yaml", "# the whole set\n"
	                        "database_url: postgresql://app@db:5432/app\n"
	                        "migrations_dir: db/migrations   # relative to this file\n"
	                        "version_table: schema_history\n"
	                        "version_table_schema: ops\n"
	                        "transaction_per_migration: false\n"
	                        "lock_timeout: 5\n"
	                        "wait_timeout: 0\n"
	                        "testdb_pool: 5\n");
	vmig_config cfg = load(NULL);

	assert_string_equal(cfg.path, "vmig.yaml");
	assert_string_equal(cfg.database_url, "postgresql://app@db:5432/app");
	assert_string_equal(cfg.migrations_dir, "db/migrations");
	assert_string_equal(cfg.version_table, "schema_history");
	assert_string_equal(cfg.version_table_schema, "ops");
	assert_false(cfg.transaction_per_migration);
	assert_int_equal(cfg.lock_timeout, 5);
	assert_int_equal(cfg.wait_timeout, 0);
	assert_int_equal(cfg.testdb_pool, 5);
	vmig_config_free(&cfg);
}

static void test_yaml_boolean_spellings(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		bool want;
	} cases[] = {
	    {"transaction_per_migration: yes\n", true},
	    {"transaction_per_migration: On\n", true},
	    {"transaction_per_migration: TRUE\n", true},
	    {"transaction_per_migration: no\n", false},
	    {"transaction_per_migration: off\n", false},
	    {"transaction_per_migration: 'false'\n", false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		write_file("vmig.yaml", cases[i].text);
		vmig_config cfg = load(NULL);
		assert_int_equal(cfg.transaction_per_migration, cases[i].want);
		vmig_config_free(&cfg);
	}
}

/* ---- ${VAR} ---- */

static void test_expand_references(void **state)
{
	(void)state;
	setenv("VMIG_T_HOST", "db.internal", 1);
	setenv("VMIG_T_EMPTY", "", 1);

	assert_expands("postgresql://${VMIG_T_HOST}/app", "postgresql://db.internal/app");
	assert_expands("${VMIG_T_HOST:-localhost}", "db.internal");
	assert_expands("${VMIG_T_UNSET:-localhost}", "localhost");
	assert_expands("${VMIG_T_EMPTY:-localhost}", "localhost");
	assert_expands("[${VMIG_T_UNSET}]", "[]");
	assert_expands("${VMIG_T_UNSET:-${VMIG_T_HOST}}:5432", "db.internal:5432");
	assert_expands("${VMIG_T_UNSET:-}", "");
	assert_expands("cost: $$5, $${VMIG_T_HOST}", "cost: $5, ${VMIG_T_HOST}");
	/* A "$" that starts no reference is kept: passwords contain them. */
	assert_expands("postgresql://u:pa$word@h/db$", "postgresql://u:pa$word@h/db$");
}

static void test_expand_malformed_references(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *shown;
	} cases[] = {
	    {"${VMIG_T_HOST", "\"${VMIG_T_HOST\" has no closing"},
	    {"x${}", "\"${}\" is not a valid reference"},
	    {"${1ABC}", "\"${1ABC}\" is not a valid reference"},
	    {"${A-b}", "\"${A-\" is not a valid reference"},
	    {"${A:-${B}", "no closing"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = (char *)"untouched";
		vmig_error err = {0};
		assert_int_equal(vmig_config_expand(cases[i].text, &out, &err), VMIG_ERR_INPUT);
		assert_null(out);
		assert_contains(err.msg, cases[i].shown);
		assert_contains(err.msg, "${NAME");
	}
}

/* A fixed environment for vmig_env_expand: NAME=VALUE pairs in an array. */
static const char *table_lookup(void *ctx, const char *name)
{
	const char *const *pairs = ctx;

	for (size_t i = 0; pairs[i]; i += 2)
		if (strcmp(pairs[i], name) == 0)
			return pairs[i + 1];
	return NULL;
}

static const char *const test_env[] = {"HOST", "db", "EMPTY", "", "DOLLAR", "${HOST}$$", NULL};

static void test_expand_with_a_lookup(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
	    {"postgresql://${HOST}/app", "postgresql://db/app"},
	    {"${NOPE:-${EMPTY:-${HOST}}}", "db"},
	    {"${EMPTY}|${NOPE}", "|"},
	    /* A value is inserted as it is, never expanded again. */
	    {"${DOLLAR}", "${HOST}$$"},
	    {"${HOST:-}:${NOPE:-a$$b}:$}", "db:a$b:$}"},
	    {"", ""},
	};
	/* The environment of the process plays no part. */
	setenv("HOST", "from-the-environment", 1);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = NULL;
		size_t out_len = 99, at = 99;
		vmig_error err = {0};
		int rc = vmig_env_expand(cases[i].text, strlen(cases[i].text), table_lookup,
		                         (void *)test_env, &out, &out_len, &at, &err);
		if (rc != VMIG_OK)
			print_error("case %zu: %s\n", i, err.msg);
		assert_int_equal(rc, VMIG_OK);
		assert_string_equal(out, cases[i].want);
		assert_int_equal(out_len, strlen(cases[i].want));
		assert_int_equal(at, 99); /* only set on an error */
		free(out);
	}
	unsetenv("HOST");
}

static void test_expand_takes_a_length_and_any_bytes(void **state)
{
	(void)state;
	static const char text[] = "a\0${HOST}\0b${HOST}";
	char *out = NULL;
	size_t out_len = 0;
	vmig_error err = {0};

	/* Not NUL-terminated where it stops: the second reference is cut off. */
	assert_int_equal(
	    vmig_env_expand(text, 12, table_lookup, (void *)test_env, &out, &out_len, NULL, &err),
	    VMIG_OK);
	assert_int_equal(out_len, 7);
	assert_memory_equal(out, "a\0db\0b$", 8);
	free(out);
	/* With the environment (lookup NULL) and no out_len. */
	setenv("VMIG_T_HOST", "h", 1);
	assert_int_equal(vmig_env_expand("${VMIG_T_HOST}", 14, NULL, NULL, &out, NULL, NULL, &err),
	                 VMIG_OK);
	assert_string_equal(out, "h");
	free(out);
	assert_int_equal(vmig_env_expand(NULL, 0, NULL, NULL, &out, &out_len, NULL, &err), VMIG_OK);
	assert_string_equal(out, "");
	free(out);
}

static void test_expand_errors_give_their_position(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t at;
		const char *says;
	} cases[] = {
	    {"ab${HOST", 2, "\"${HOST\" has no closing \"}\""},
	    {"${HOST:-x}${A-b}", 10, "\"${A-\" is not a valid reference"},
	    {"${NOPE:-${1x}}", 8, "\"${1x}\" is not a valid reference"},
	    /* A default that is not used is checked all the same: a typo must not
	     * wait for the machine where the variable is unset. */
	    {"${HOST:-${bad name}}", 8, "\"${bad \" is not a valid reference"},
	    {"${HOST:-${A}", 0, "\"${HOST\" has no closing"},
	    /* Control bytes are shown escaped; nothing of a default is shown. */
	    {"${A\x1b[2J}", 0, "\"${A\\x1b\" is not a valid reference"},
	    {"${A\n}", 0, "\"${A\\n\""},
	    {"${PW:-s3cret", 0, "\"${PW\" has no closing"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out = (char *)"untouched";
		size_t at = 99;
		vmig_error err = {0};
		assert_int_equal(vmig_env_expand(cases[i].text, strlen(cases[i].text), table_lookup,
		                                 (void *)test_env, &out, NULL, &at, &err),
		                 VMIG_ERR_INPUT);
		assert_null(out);
		assert_int_equal(err.code, VMIG_ERR_INPUT);
		if (at != cases[i].at)
			print_error("case %zu: offset %zu, expected %zu\n", i, at, cases[i].at);
		assert_int_equal(at, cases[i].at);
		assert_contains(err.msg, cases[i].says);
		assert_contains(err.msg, "${NAME:-default}");
		assert_not_contains(err.msg, "s3cret");
		for (const char *m = err.msg; *m; m++)
			assert_false((unsigned char)*m < 0x20);
	}
}

static void test_expand_nesting_is_bounded(void **state)
{
	(void)state;
	vmig_buf text = {0};
	char *out = NULL;
	size_t at = 0;
	vmig_error err = {0};

	for (int depth = 1; depth <= VMIG_ENV_MAX_DEPTH + 1; depth++) {
		vmig_buf_reset(&text);
		for (int i = 0; i < depth; i++)
			vmig_buf_puts(&text, "${NOPE:-");
		vmig_buf_puts(&text, "x");
		for (int i = 0; i < depth; i++)
			vmig_buf_putc(&text, '}');
		int rc = vmig_env_expand(vmig_buf_str(&text), text.len, table_lookup,
		                         (void *)test_env, &out, NULL, &at, &err);
		if (depth <= VMIG_ENV_MAX_DEPTH) {
			assert_int_equal(rc, VMIG_OK);
			assert_string_equal(out, "x");
			free(out);
		} else {
			assert_int_equal(rc, VMIG_ERR_INPUT);
			assert_contains(err.msg, "more than 16 deep");
			assert_int_equal(at, 8 * VMIG_ENV_MAX_DEPTH);
		}
	}
	vmig_buf_free(&text);
}

static void test_file_values_are_expanded(void **state)
{
	(void)state;
	setenv("VMIG_T_HOST", "db.internal", 1);
	write_file("vmig.yaml", "database_url: postgresql://${VMIG_T_HOST}/app\n"
	                        "migrations_dir: ${VMIG_T_UNSET:-sql}\n"
	                        "version_table: ${VMIG_T_UNSET:-history}\n"
	                        "version_table_schema: ${VMIG_T_UNSET}\n");
	vmig_config cfg = load(NULL);

	assert_string_equal(cfg.database_url, "postgresql://db.internal/app");
	assert_string_equal(cfg.migrations_dir, "sql");
	assert_string_equal(cfg.version_table, "history");
	/* An unset variable leaves the connection's default schema. */
	assert_null(cfg.version_table_schema);
	vmig_config_free(&cfg);
}

/* ---- precedence ---- */

static void test_database_url_precedence(void **state)
{
	(void)state;
	vmig_config_overrides flag = {.database_url = "sqlite:///flag.db"};
	vmig_config cfg;

	setenv("DATABASE_URL", "sqlite:///env.db", 1);
	cfg = load(NULL);
	assert_string_equal(cfg.database_url, "sqlite:///env.db");
	vmig_config_free(&cfg);

	write_file("vmig.yaml", "database_url: sqlite:///file.db\n");
	cfg = load(NULL);
	assert_string_equal(cfg.database_url, "sqlite:///file.db");
	vmig_config_free(&cfg);

	cfg = load(&flag);
	assert_string_equal(cfg.database_url, "sqlite:///flag.db");
	vmig_config_free(&cfg);

	/* The SPEC's own example: the file defers to a variable that is unset. */
	write_file("vmig.yaml", "database_url: ${VMIG_T_UNSET}\n");
	cfg = load(NULL);
	assert_string_equal(cfg.database_url, "sqlite:///env.db");
	vmig_config_free(&cfg);

	unsetenv("DATABASE_URL");
	cfg = load(NULL);
	assert_null(cfg.database_url);
	vmig_config_free(&cfg);
}

static void test_migrations_dir_precedence(void **state)
{
	(void)state;
	vmig_config_overrides flag = {.migrations_dir = "elsewhere/sql"};
	vmig_config cfg;

	cfg = load(&flag);
	assert_string_equal(cfg.migrations_dir, "elsewhere/sql");
	vmig_config_free(&cfg);

	write_file("vmig.yaml", "migrations_dir: db\n");
	cfg = load(NULL);
	assert_string_equal(cfg.migrations_dir, "db");
	vmig_config_free(&cfg);

	/* --dir is relative to the current directory, not to the config's folder. */
	write_file("conf/vmig.yaml", "migrations_dir: db\n");
	flag.config_path = "conf/vmig.yaml";
	cfg = load(&flag);
	assert_string_equal(cfg.migrations_dir, "elsewhere/sql");
	vmig_config_free(&cfg);
}

static void test_config_file_precedence(void **state)
{
	(void)state;
	vmig_config_overrides flag = {.config_path = "flag.yaml"};
	vmig_config cfg;

	write_file("vmig.yaml", "version_table: from_default\n");
	write_file("env.yaml", "version_table: from_env\n");
	write_file("flag.yaml", "version_table: from_flag\n");

	cfg = load(NULL);
	assert_string_equal(cfg.path, "vmig.yaml");
	assert_string_equal(cfg.version_table, "from_default");
	vmig_config_free(&cfg);

	setenv("VMIG_CONFIG", "env.yaml", 1);
	cfg = load(NULL);
	assert_string_equal(cfg.path, "env.yaml");
	assert_string_equal(cfg.version_table, "from_env");
	vmig_config_free(&cfg);

	cfg = load(&flag);
	assert_string_equal(cfg.path, "flag.yaml");
	assert_string_equal(cfg.version_table, "from_flag");
	vmig_config_free(&cfg);
}

/* An error about a value quotes it as written, never its expansion, which may
 * hold a password (found by fuzzing). */
static void test_expanded_password_not_shown(void **state)
{
	(void)state;
	vmig_config_overrides none = {0};
	setenv("DATABASE_URL", "postgresql://app:s3cret-XYZ@db/app", 1);
	write_file("vmig.yaml", "version_table: ${DATABASE_URL}\n");
	const char *msg = load_error(&none);
	assert_contains(msg, "vmig.yaml:1: version_table");
	assert_contains(msg, "${DATABASE_URL}");
	assert_not_contains(msg, "s3cret-XYZ");
	write_file("vmig.yaml", "version_table: postgresql://app:s3cret-XYZ@db/app\n");
	assert_not_contains(load_error(&none), "s3cret-XYZ");
}

static void test_missing_config_file_is_an_error(void **state)
{
	(void)state;
	vmig_config_overrides flag = {.config_path = "conf/nope.yaml"};
	const char *msg;

	write_file("vmig.yaml", "version_table: must_not_be_used\n");
	msg = load_error(&flag);
	assert_contains(msg, "\"conf/nope.yaml\"");
	assert_contains(msg, "--config");
	assert_contains(msg, "does not exist");

	setenv("VMIG_CONFIG", "also-nope.yaml", 1);
	msg = load_error(NULL);
	assert_contains(msg, "\"also-nope.yaml\"");
	assert_contains(msg, "VMIG_CONFIG");
}

static void test_migrations_dir_is_relative_to_the_config_folder(void **state)
{
	struct fixture *f = *state;
	vmig_config_overrides flag = {.config_path = "sub/vmig.yaml"};
	vmig_config cfg;
	char abs_config[4096], want[4096];

	write_file("sub/vmig.yaml", "migrations_dir: migrations\n");
	cfg = load(&flag);
	assert_string_equal(cfg.migrations_dir, "sub/migrations");
	vmig_config_free(&cfg);

	write_file("sub/vmig.yaml", "migrations_dir: ./db/sql\n");
	cfg = load(&flag);
	assert_string_equal(cfg.migrations_dir, "sub/db/sql");
	vmig_config_free(&cfg);

	write_file("sub/vmig.yaml", "migrations_dir: /srv/migrations\n");
	cfg = load(&flag);
	assert_string_equal(cfg.migrations_dir, "/srv/migrations");
	vmig_config_free(&cfg);

	/* An absolute config path gives an absolute folder. */
	write_file("sub/vmig.yaml", "migrations_dir: migrations\n");
	snprintf(abs_config, sizeof abs_config, "%s/sub/vmig.yaml", f->dir);
	snprintf(want, sizeof want, "%s/sub/migrations", f->dir);
	setenv("VMIG_CONFIG", abs_config, 1);
	cfg = load(NULL);
	assert_string_equal(cfg.migrations_dir, want);
	vmig_config_free(&cfg);
}

static void test_single_transaction_flag_overrides_the_file(void **state)
{
	(void)state;
	vmig_config_overrides flag = {.single_transaction = true};
	vmig_config cfg;

	write_file("vmig.yaml", "transaction_per_migration: true\n");
	cfg = load(&flag);
	assert_false(cfg.transaction_per_migration);
	vmig_config_free(&cfg);

	cfg = load(NULL);
	assert_true(cfg.transaction_per_migration);
	vmig_config_free(&cfg);
}

/* ---- bad input ---- */

#define HEAD "# vmig settings\ndatabase_url: sqlite:///app.db\n\n"

static const struct bad_case {
	const char *text;
	int line;
	const char *key;      /* NULL where the error is not about one key */
	const char *fragment; /* what the message says is wrong or what to do */
} bad_cases[] = {
    {HEAD "lock_timout: 5\n", 4, "\"lock_timout\"", "did you mean \"lock_timeout\""},
    {HEAD "lock_timeout: abc\n", 4, "lock_timeout",
     "expected a whole number of seconds, got \"abc\""},
    {HEAD "wait_timeout: 10\nlock_timeout: -1\n", 5, "lock_timeout", "got \"-1\""},
    {HEAD "lock_timeout: 1.5\n", 4, "lock_timeout", "got \"1.5\""},
    {HEAD "lock_timeout: 0x10\n", 4, "lock_timeout", "got \"0x10\""},
    {HEAD "wait_timeout: 99999999999\n", 4, "wait_timeout", "up to"},
    {HEAD "wait_timeout: ${WAIT}\n", 4, "wait_timeout", "string values only"},
    {HEAD "testdb_pool: two\n", 4, "testdb_pool",
     "expected a whole number of ready copies, got \"two\""},
    {HEAD "testdb_pool: 65\n", 4, "testdb_pool", "up to 64"},
    {HEAD "transaction_per_migration: maybe\n", 4, "transaction_per_migration",
     "expected true or false, got \"maybe\""},
    {HEAD "transaction_per_migration:\n", 4, "transaction_per_migration", "got \"\""},
    {HEAD "version_table: vmig-version\n", 4, "version_table", "plain SQL identifier"},
    {HEAD "version_table: a234567890123456789012345678901234567890123456789012345678901234\n", 4,
     "version_table", "at most 63"},
    {HEAD "version_table: \"x; DROP TABLE users\"\n", 4, "version_table", "identifier"},
    {HEAD "version_table_schema: 1public\n", 4, "version_table_schema", "identifier"},
    {HEAD "migrations_dir: ''\n", 4, "migrations_dir", "is empty"},
    {"database_url:\n  host: db\n  port: 5432\n", 1, "database_url", "got a mapping"},
    {HEAD "migrations_dir: [a, b]\n", 4, "migrations_dir", "got a list"},
    {HEAD "lock_timeout: 5\nlock_timeout: 6\n", 5, "lock_timeout", "given twice (first on line 4)"},
    {HEAD "\"lock_timeout\": soon\n", 4, "lock_timeout", "got \"soon\""},
    {"database_url: \"${DATABASE_URL\"\n", 1, "database_url", "has no closing"},
    {"- lock_timeout: 5\n", 1, NULL, "expected settings as \"key: value\" lines"},
    {"# header\n\njust some words\n", 3, NULL, "got a single value"},
    {HEAD "lock_timeout: [1,\nwait_timeout: 2\n", 4, NULL,
     "flow sequence that starts on this line"},
    {HEAD "lock_timeout: 1\n\twait_timeout: 2\n", 5, NULL, "tab"},
    {HEAD "migrations_dir: a: b\n", 4, NULL, "not valid YAML"},
    {HEAD "lock_timeout: 1\n---\nwait_timeout: 2\n", 5, NULL, "second YAML document"},
    /* Lines come from the YAML parser, not from a scan of the text for "KEY:". */
    {"database_url: |\n  lock_timeout: 5\nlock_timeout: abc\n", 3, "lock_timeout", "got \"abc\""},
    {"# lock_timeout: 1\nwait_timeout: 2\nlock_timeout: x\n", 3, "lock_timeout", "got \"x\""},
    {"{\n  lock_timeout: 1,\n  lock_timout: 2\n}\n", 3, "\"lock_timout\"", "did you mean"},
    {"{lock_timeout: 1,\n lock_timeout: 2}\n", 2, "lock_timeout", "given twice (first on line 1)"},
    {"&k lock_timeout: 5\n*k : 6\n", 2, "lock_timeout", "given twice (first on line 1)"},
    {"lock_timeout: 1\rwait_timeout: soon\r", 2, "wait_timeout", "got \"soon\""},
    {"lock_timeout: 1\r\nwait_timeout: soon\r\n", 2, "wait_timeout", "got \"soon\""},
    /* Aliases: of a single value they work; of anything else, or of nothing, not. */
    {"wait_timeout: &m {a: 1}\nlock_timeout: *m\n", 1, "wait_timeout", "got a mapping"},
    {"lock_timeout: 1\nversion_table: &l [a]\n", 2, "version_table", "got a list"},
    {"--- &top\nlock_timeout: *top\n", 2, "lock_timeout", "got a mapping"},
    {HEAD "lock_timeout: *nope\n", 4, "lock_timeout", "alias \"*nope\" names no anchor"},
    {HEAD "*nope : 5\n", 4, NULL, "alias \"*nope\" names no anchor"},
    {HEAD "? [lock_timeout]\n: 5\n", 4, NULL,
     "expected a key such as \"lock_timeout\", got a list"},
    /* cyaml's strings end at a NUL: "5\0junk" must not read as 5. */
    {HEAD "lock_timeout: \"5\\0junk\"\n", 4, "lock_timeout", "NUL byte"},
    {HEAD "\"lock_timeout\\0\": 5\n", 4, "\"lock_timeout\\x00\"", "unknown key"},
    /* Control bytes from the file are shown escaped, never sent to the terminal. */
    {HEAD "lock_timeout: \"\\e[2J\\r5\"\n", 4, "lock_timeout", "got \"\\x1b[2J\\r5\""},
    {HEAD "\"lock\\ttimeout\": 5\n", 4, "\"lock\\ttimeout\"", "did you mean \"lock_timeout\""},
    {HEAD "version_table: \"a\\x7fb\"\n", 4, "version_table", "got \"a\\x7fb\""},
    {HEAD "migrations_dir: \"${A\\x1b}\"\n", 4, "migrations_dir", "\"${A\\x1b\" is not a valid"},
};

static void test_bad_input_names_file_line_and_key(void **state)
{
	(void)state;
	char where[96];

	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		write_file("vmig.yaml", c->text);
		const char *msg = load_error(NULL);
		/* A bad value reads "vmig.yaml:N: KEY: ..."; an unknown key is quoted later. */
		if (c->key && c->key[0] != '"')
			snprintf(where, sizeof where, "vmig.yaml:%d: %s: ", c->line, c->key);
		else
			snprintf(where, sizeof where, "vmig.yaml:%d: ", c->line);
		if (strncmp(msg, where, strlen(where)) != 0)
			print_error("case %zu: want \"%s\" at the start of: %s\n", i, where, msg);
		assert_true(strncmp(msg, where, strlen(where)) == 0);
		if (c->key)
			assert_contains(msg, c->key);
		assert_contains(msg, c->fragment);
		for (const char *m = msg; *m; m++)
			if ((unsigned char)*m < 0x20 || *m == 0x7f)
				fail_msg("case %zu: a raw control byte 0x%02x in: %s", i, *m, msg);
	}
}

static void test_errors_name_the_config_path_given(void **state)
{
	(void)state;
	vmig_config_overrides flag = {.config_path = "deploy/vmig.yaml"};

	write_file("deploy/vmig.yaml", "\n\nlock_timeout: abc\n");
	assert_contains(load_error(&flag), "deploy/vmig.yaml:3: lock_timeout: ");
}

/* ---- in memory ---- */

static void test_parse_a_buffer(void **state)
{
	(void)state;
	static const char text[] =
	    "database_url: postgresql://${HOST}/app\n"
	    "migrations_dir: sql\n"
	    "lock_timeout: 7\n"
	    "wait_timeout: 9"; /* no final newline, and not NUL-terminated: */
	char *copy = malloc(sizeof text - 1);
	vmig_config cfg;
	vmig_error err = {0};

	memcpy(copy, text, sizeof text - 1);
	/* Neither the environment nor the current folder's vmig.yaml plays a part. */
	setenv("DATABASE_URL", "sqlite:///env.db", 1);
	write_file("vmig.yaml", "lock_timeout: 1\n");
	if (vmig_config_parse("conf/app.yaml", copy, sizeof text - 1, table_lookup,
	                      (void *)test_env, &cfg, &err) != VMIG_OK)
		fail_msg("unexpected error: %s", err.msg);
	assert_string_equal(cfg.path, "conf/app.yaml");
	assert_string_equal(cfg.database_url, "postgresql://db/app");
	assert_string_equal(cfg.migrations_dir, "conf/sql");
	assert_string_equal(cfg.version_table, "vmig_version");
	assert_true(cfg.transaction_per_migration);
	assert_int_equal(cfg.lock_timeout, 7);
	assert_int_equal(cfg.wait_timeout, 9);
	vmig_config_free(&cfg);
	free(copy);

	/* Empty: the defaults, and no $DATABASE_URL (that is vmig_config_load's). */
	assert_int_equal(vmig_config_parse("x.yaml", "", 0, NULL, NULL, &cfg, &err), VMIG_OK);
	assert_string_equal(cfg.path, "x.yaml");
	assert_null(cfg.database_url);
	assert_string_equal(cfg.migrations_dir, "migrations");
	assert_int_equal(cfg.lock_timeout, 60);
	vmig_config_free(&cfg);
	assert_int_equal(vmig_config_parse("x.yaml", NULL, 0, NULL, NULL, &cfg, &err), VMIG_OK);
	vmig_config_free(&cfg);
}

static void test_parse_errors_name_the_buffer(void **state)
{
	(void)state;
	static const vmig_config zero;
	static const struct {
		const char *text;
		size_t len; /* 0: strlen */
		const char *says;
	} cases[] = {
	    {"\n\nlock_timeout: x\n", 0, "inline.yaml:3: lock_timeout: "},
	    {"database_url: ${HOST:-${1}}\n", 0, "inline.yaml:1: database_url: \"${1}\""},
	    /* A NUL byte in the text is not YAML. */
	    {"lock_timeout: 5\n\0\n", 18, "inline.yaml:2: not valid YAML text: control characters"},
	    {"lock_timeout: 5\r\rx: \x01\n", 0, "inline.yaml:3: not valid YAML text"},
	    {"lock_timeout: 5\n\xff\n", 0, "(byte 0xff at offset 16)"},
	    /* The length counts, not a NUL: the text stops inside the quotes. */
	    {"version_table: \"abc\"\n", 19, "inline.yaml:1: not valid YAML"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		vmig_config cfg;
		vmig_error err = {0};
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		memset(&cfg, 0x5a, sizeof cfg);
		assert_int_equal(vmig_config_parse("inline.yaml", cases[i].text, len, table_lookup,
		                                   (void *)test_env, &cfg, &err),
		                 VMIG_ERR_INPUT);
		assert_memory_equal(&cfg, &zero, sizeof cfg);
		if (!strstr(err.msg, cases[i].says))
			print_error("case %zu: [%s] not in: %s\n", i, cases[i].says, err.msg);
		assert_contains(err.msg, cases[i].says);
	}
}

static void test_free_zeroes_the_struct(void **state)
{
	(void)state;
	static const vmig_config zero;
	vmig_config cfg;

	write_file("vmig.yaml", "database_url: sqlite:///a.db\nversion_table_schema: s\n");
	cfg = load(NULL);
	vmig_config_free(&cfg);
	assert_memory_equal(&cfg, &zero, sizeof cfg);
	vmig_config_free(&cfg); /* and freeing twice is harmless */
	vmig_config_free(NULL);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_defaults_without_file),
	    TEST(test_expanded_password_not_shown),
	    TEST(test_empty_and_comment_only_files_give_defaults),
	    TEST(test_every_key_is_read),
	    TEST(test_yaml_boolean_spellings),
	    TEST(test_expand_references),
	    TEST(test_expand_malformed_references),
	    TEST(test_expand_with_a_lookup),
	    TEST(test_expand_takes_a_length_and_any_bytes),
	    TEST(test_expand_errors_give_their_position),
	    TEST(test_expand_nesting_is_bounded),
	    TEST(test_file_values_are_expanded),
	    TEST(test_database_url_precedence),
	    TEST(test_migrations_dir_precedence),
	    TEST(test_config_file_precedence),
	    TEST(test_missing_config_file_is_an_error),
	    TEST(test_migrations_dir_is_relative_to_the_config_folder),
	    TEST(test_single_transaction_flag_overrides_the_file),
	    TEST(test_bad_input_names_file_line_and_key),
	    TEST(test_errors_name_the_config_path_given),
	    TEST(test_parse_a_buffer),
	    TEST(test_parse_errors_name_the_buffer),
	    TEST(test_free_zeroes_the_struct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
