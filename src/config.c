/*
 * config.c - reads vmig.yaml and merges it with the flags and the environment.
 *
 * The work is split three ways:
 *  - a plain libyaml pass finds syntax errors, a second document and a top
 *    level that is not a mapping, because only libyaml knows the line of each;
 *  - libcyaml checks the document against the schema: which keys exist, that
 *    each holds a single value, that none is given twice;
 *  - this file converts the values.  The schema loads every value as a
 *    string on purpose: cyaml's BOOL reads any unknown word ("maybe") as
 *    true and its UINT reads "1.5" as 1 and "010" as 8, and a typo in a
 *    setting must be an error, not a different setting.
 * cyaml names the failing key only in its log and gives no reliable line, so
 * its log is captured and the key's line is found by scanning the text.
 */
#include "config.h"

#include "alloc.h"
#include "buf.h"

#include <cyaml/cyaml.h>
#include <yaml.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_CONFIG_FILE    "vmig.yaml"
#define DEFAULT_MIGRATIONS_DIR "migrations"
#define MAX_IDENTIFIER         63 /* PostgreSQL's NAMEDATALEN - 1 */
/* Timeouts end up in milliseconds (PostgreSQL's lock_timeout is an int of ms). */
#define MAX_SECONDS (INT_MAX / 1000)
/* How much of a bad value an error message repeats. */
#define SHOWN 60

/* The order of the schema's fields below. */
enum key_id {
	KEY_DATABASE_URL,
	KEY_MIGRATIONS_DIR,
	KEY_VERSION_TABLE,
	KEY_VERSION_TABLE_SCHEMA,
	KEY_TRANSACTION_PER_MIGRATION,
	KEY_LOCK_TIMEOUT,
	KEY_WAIT_TIMEOUT,
	KEY_COUNT
};

/* The file as cyaml loads it: one string per key, NULL where the key is absent. */
struct raw_settings {
	char *value[KEY_COUNT];
};

#define FIELD(name, id)                                                                            \
	CYAML_FIELD_STRING_PTR(name, CYAML_FLAG_OPTIONAL, struct raw_settings, value[id], 0,       \
	                       CYAML_UNLIMITED)

static const cyaml_schema_field_t schema_fields[] = {
    FIELD("database_url", KEY_DATABASE_URL),
    FIELD("migrations_dir", KEY_MIGRATIONS_DIR),
    FIELD("version_table", KEY_VERSION_TABLE),
    FIELD("version_table_schema", KEY_VERSION_TABLE_SCHEMA),
    FIELD("transaction_per_migration", KEY_TRANSACTION_PER_MIGRATION),
    FIELD("lock_timeout", KEY_LOCK_TIMEOUT),
    FIELD("wait_timeout", KEY_WAIT_TIMEOUT),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct raw_settings, schema_fields),
};

static const char *key_name(int key)
{
	return schema_fields[key].key;
}

/* ---- ${VAR} expansion ---- */

/* ASCII on purpose: both shell names and plain SQL identifiers are ASCII. */
#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

static bool is_name_char(char c)
{
	return c != '\0' && strchr(NAME_CHARS, c) != NULL;
}

/* The "}" that closes a reference whose body starts at p, skipping nested ones. */
static const char *find_close(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (p[0] == '$' && p + 1 < end && (p[1] == '$' || p[1] == '{')) {
			depth += p[1] == '{';
			p++;
		} else if (*p == '}' && depth-- == 0) {
			return p;
		}
	}
	return NULL;
}

static int expand_span(vmig_buf *b, const char *s, const char *end, vmig_error *err);

/*
 * Expands the reference whose body ("NAME}" or "NAME:-default}") starts at p
 * and sets *next past it.  Messages show no more than the name: a default
 * may be a URL with a password in it.
 */
static int expand_ref(vmig_buf *b, const char *p, const char *end, const char **next,
                      vmig_error *err)
{
	const char *close = find_close(p, end);
	const char *stop = close ? close : end;
	size_t n = 0;

	while (p + n < stop && is_name_char(p[n]))
		n++;
	if (!close)
		return vmig_fail(
		    err, VMIG_ERR_INPUT,
		    "\"${%.*s\" has no closing \"}\"; write ${NAME} or ${NAME:-default} "
		    "(and \"$$\" for a literal \"$\")",
		    (int)n, p);
	const char *rest = p + n;
	bool has_default = close - rest >= 2 && rest[0] == ':' && rest[1] == '-';
	if (n == 0 || isdigit((unsigned char)p[0]) || (rest != close && !has_default))
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "\"${%.*s\" is not a valid reference; write ${NAME} or "
		                 "${NAME:-default}, NAME being letters, digits and _ (and \"$$\" "
		                 "for a literal \"$\")",
		                 (int)(n + 1), p);

	char *name = xstrndup(p, n);
	const char *value = getenv(name);
	free(name);
	*next = close + 1;
	/* As in the shell, ":-" also replaces a variable that is set but empty. */
	if (value && *value)
		vmig_buf_puts(b, value);
	else if (has_default)
		return expand_span(b, rest + 2, close, err);
	return VMIG_OK;
}

static int expand_span(vmig_buf *b, const char *s, const char *end, vmig_error *err)
{
	while (s < end) {
		if (s[0] == '$' && s + 1 < end && s[1] == '{') {
			int rc = expand_ref(b, s + 2, end, &s, err);
			if (rc)
				return rc;
			continue;
		}
		/* "$$" is one "$"; any other "$" stays, since passwords may hold one. */
		if (s[0] == '$' && s + 1 < end && s[1] == '$')
			s++;
		vmig_buf_putc(b, *s++);
	}
	return VMIG_OK;
}

int vmig_config_expand(const char *text, char **out, vmig_error *err)
{
	vmig_buf b = {0};
	int rc = expand_span(&b, text, text + strlen(text), err);

	if (rc) {
		vmig_buf_free(&b);
		*out = NULL;
		return rc;
	}
	*out = vmig_buf_detach(&b);
	return VMIG_OK;
}

/* ---- values ---- */

static void set_string(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

/* Digits only, so that neither "1.5" nor "0x10" nor "${VAR}" slips through. */
static int parse_seconds(const char *s, unsigned *out, vmig_error *err)
{
	size_t n = strlen(s);
	unsigned long v = 0;

	if (n == 0 || strspn(s, "0123456789") != n)
		return vmig_fail(
		    err, VMIG_ERR_INPUT, "expected a whole number of seconds, got \"%.*s\"%s",
		    SHOWN, s, strstr(s, "${") ? " (${VAR} is expanded in string values only)" : "");
	for (const char *p = s; *p && v <= MAX_SECONDS; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (v > MAX_SECONDS)
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "expected a whole number of seconds up to %d (about %d days), "
		                 "got \"%.*s\"",
		                 MAX_SECONDS, MAX_SECONDS / 86400, SHOWN, s);
	*out = (unsigned)v;
	return VMIG_OK;
}

/* YAML 1.1's spellings; anything else is a typo rather than a quiet "true". */
static int parse_bool(const char *s, bool *out, vmig_error *err)
{
	static const char *const spellings[][2] = {{"true", "false"}, {"yes", "no"}, {"on", "off"}};

	for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
		for (int j = 0; j < 2; j++) {
			if (strcasecmp(s, spellings[i][j]) == 0) {
				*out = j == 0;
				return VMIG_OK;
			}
		}
	}
	return vmig_fail(err, VMIG_ERR_INPUT, "expected true or false, got \"%.*s\"", SHOWN, s);
}

/* The table name is put into SQL unquoted, so only plain identifiers are safe. */
static int check_identifier(const char *s, vmig_error *err)
{
	size_t n = strlen(s);

	if (n > 0 && n <= MAX_IDENTIFIER && strspn(s, NAME_CHARS) == n &&
	    !isdigit((unsigned char)s[0]))
		return VMIG_OK;
	return vmig_fail(err, VMIG_ERR_INPUT,
	                 "expected a plain SQL identifier (letters, digits and _, not starting "
	                 "with a digit, at most %d characters), got \"%.*s\"",
	                 MAX_IDENTIFIER, SHOWN + 20, s);
}

/*
 * dir relative to the folder of the config file, kept relative when that path
 * is: "sub/vmig.yaml" with "migrations" gives "sub/migrations".
 */
static char *resolve_dir(const char *config_path, const char *dir)
{
	const char *slash = strrchr(config_path, '/');
	int folder = slash ? (int)(slash - config_path) : -1;

	if (dir[0] == '/')
		return xstrdup(dir);
	while (dir[0] == '.' && dir[1] == '/')
		dir += 2;
	if (strcmp(dir, ".") == 0)
		dir = "";
	if (folder < 0 || (folder == 1 && config_path[0] == '.'))
		return xstrdup(*dir ? dir : ".");
	if (!*dir)
		return folder ? xstrndup(config_path, (size_t)folder) : xstrdup("/");
	return xasprintf("%.*s/%s", folder, config_path, dir);
}

/* Stores a string key's expanded value s into cfg; frees s unless cfg keeps it. */
static int set_string_key(vmig_config *cfg, int key, char *s, vmig_error *err)
{
	char **slot = NULL;
	int rc = VMIG_OK;

	switch (key) {
	case KEY_DATABASE_URL:
		/* Empty (an unset ${DATABASE_URL}) lets $DATABASE_URL's fallback apply. */
		slot = &cfg->database_url;
		break;
	case KEY_VERSION_TABLE_SCHEMA:
		/* Empty means the connection's default schema. */
		rc = *s ? check_identifier(s, err) : VMIG_OK;
		slot = &cfg->version_table_schema;
		break;
	case KEY_VERSION_TABLE:
		rc = check_identifier(s, err);
		slot = &cfg->version_table;
		break;
	case KEY_MIGRATIONS_DIR:
		if (!*s)
			rc = vmig_fail(err, VMIG_ERR_INPUT,
			               "is empty; name a folder, or leave the key out for \"%s\"",
			               DEFAULT_MIGRATIONS_DIR);
		else
			set_string(&cfg->migrations_dir, resolve_dir(cfg->path, s));
		break;
	}
	if (rc || !slot || !*s) {
		if (!rc && slot)
			set_string(slot, NULL);
		free(s);
		return rc;
	}
	set_string(slot, s);
	return VMIG_OK;
}

static int apply_key(vmig_config *cfg, int key, const char *value, vmig_error *err)
{
	char *s;
	int rc;

	switch (key) {
	case KEY_TRANSACTION_PER_MIGRATION:
		return parse_bool(value, &cfg->transaction_per_migration, err);
	case KEY_LOCK_TIMEOUT:
		return parse_seconds(value, &cfg->lock_timeout, err);
	case KEY_WAIT_TIMEOUT:
		return parse_seconds(value, &cfg->wait_timeout, err);
	}
	rc = vmig_config_expand(value, &s, err);
	return rc ? rc : set_string_key(cfg, key, s, err);
}

/* ---- locating errors ---- */

/* Whether the line text p (past its indentation) starts a "KEY:" entry. */
static bool starts_entry(const char *p, const char *key, size_t klen)
{
	bool quoted = *p == '"' || *p == '\'';

	if (strncmp(p + quoted, key, klen) != 0)
		return false;
	p += quoted + klen;
	if (quoted && (*p == '"' || *p == '\''))
		p++;
	p += strspn(p, " \t");
	return *p == ':';
}

/*
 * The line where the nth (1-based) "KEY:" entry starts, 0 when there is none.
 * A scan of the text, matching the block style vmig.yaml is written in (the
 * key may be quoted); for a flow mapping the caller falls back on cyaml's line.
 */
static unsigned key_line(const char *text, const char *key, int nth)
{
	size_t klen = strlen(key);
	unsigned line = 1;

	if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
		text += 3;
	for (const char *s = text; s; line++) {
		const char *p = s + strspn(s, " \t");
		const char *nl = strchr(s, '\n');

		s = nl ? nl + 1 : NULL;
		if (starts_entry(p, key, klen) && --nth == 0)
			return line;
	}
	return 0;
}

/* The Levenshtein distance, ignoring case, of two short strings (0-127 chars). */
static size_t distance(const char *a, const char *b)
{
	size_t row[128], la = strlen(a), lb = strlen(b);

	if (la > 127 || lb > 127)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost =
			    tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int unknown_key(const char *where, const char *key, vmig_error *err)
{
	vmig_buf known = {0};
	const char *guess = NULL;
	size_t best = 4; /* a guess further off than 3 edits is noise */

	for (int k = 0; k < KEY_COUNT; k++) {
		size_t d = distance(key, key_name(k));
		if (d < best) {
			best = d;
			guess = key_name(k);
		}
		vmig_buf_printf(&known, "%s%s", k ? ", " : "", key_name(k));
	}
	vmig_fail(err, VMIG_ERR_INPUT, "%s unknown key \"%s\" (known keys: %s)%s%s%s", where, key,
	          vmig_buf_str(&known), guess ? "; did you mean \"" : "", guess ? guess : "",
	          guess ? "\"?" : "");
	vmig_buf_free(&known);
	return VMIG_ERR_INPUT;
}

/* ---- cyaml's log ---- */

/* What cyaml's log says about a failure: the only place that names the key. */
struct cyaml_report {
	char key[128];     /* the key at fault; "" when not known */
	char got[64];      /* for "Expecting STRING, got event: X", the X */
	char problem[256]; /* the first error message, without "Load: " */
	unsigned line;     /* cyaml's own line, right only for simple cases */
	bool duplicate;
};

static void copy_text(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static bool skip_prefix(const char **s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(*s, prefix, n) != 0)
		return false;
	*s += n;
	return true;
}

/* Reads the first error and the backtrace below it (see libcyaml's load.c). */
static void note_cyaml_message(struct cyaml_report *rep, const char *s)
{
	const char *p = strstr(s, "(line: ");

	if (skip_prefix(&s, "  in mapping field '")) {
		if (!rep->key[0])
			copy_text(rep->key, sizeof rep->key, s, strcspn(s, "'"));
		if (p && !rep->line)
			rep->line = (unsigned)strtoul(p + 7, NULL, 10);
		return;
	}
	if (skip_prefix(&s, "  in mapping ")) {
		if (p && !rep->line)
			rep->line = (unsigned)strtoul(p + 7, NULL, 10);
		return;
	}
	if (!skip_prefix(&s, "Load: ") || rep->problem[0] || strcmp(s, "Backtrace:") == 0)
		return;
	copy_text(rep->problem, sizeof rep->problem, s, strlen(s));
	if (skip_prefix(&s, "Unexpected key: ")) {
		copy_text(rep->key, sizeof rep->key, s, strlen(s));
	} else if (skip_prefix(&s, "Mapping field already seen: ")) {
		copy_text(rep->key, sizeof rep->key, s, strlen(s));
		rep->duplicate = true;
	} else if ((p = strstr(s, "got event: ")) != NULL) {
		copy_text(rep->got, sizeof rep->got, p + 11, strlen(p + 11));
	}
}

static void on_cyaml_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	char msg[512];

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(msg, sizeof msg, fmt, args);
	msg[strcspn(msg, "\n")] = '\0';
	note_cyaml_message(ctx, msg);
}

/* cyaml allocates through the project's allocator, which aborts on exhaustion. */
static void *cyaml_alloc(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	return xrealloc(ptr, size);
}

static const char *describe_event(const char *event)
{
	if (strcmp(event, "MAPPING_START") == 0)
		return "a mapping";
	if (strcmp(event, "SEQUENCE_START") == 0)
		return "a list";
	return event;
}

static int duplicate_key(const char *where, const char *key, unsigned first, vmig_error *err)
{
	char seen[48] = "";

	if (first)
		snprintf(seen, sizeof seen, " (first on line %u)", first);
	return vmig_fail(err, VMIG_ERR_INPUT, "%s %s: given twice%s; keep one", where, key, seen);
}

static int cyaml_failure(const char *path, const char *text, const struct cyaml_report *rep,
                         cyaml_err_t code, vmig_error *err)
{
	unsigned line;
	char where[4096 + 32];

	/* Without an error message, cyaml's key is only the last field it saw. */
	if (!rep->problem[0] || !rep->key[0])
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s:%u: cannot read the settings (%s); write one \"key: value\" "
		                 "setting per line",
		                 path, rep->line ? rep->line : 1,
		                 rep->problem[0] ? rep->problem : cyaml_strerror(code));
	line = key_line(text, rep->key, rep->duplicate ? 2 : 1);
	snprintf(where, sizeof where, "%s:%u:", path, line ? line : rep->line ? rep->line : 1);
	if (code == CYAML_ERR_INVALID_KEY)
		return unknown_key(where, rep->key, err);
	if (rep->duplicate)
		return duplicate_key(where, rep->key, key_line(text, rep->key, 1), err);
	if (rep->got[0])
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s %s: expected a single value, got %s; write the value on the "
		                 "key's line, in quotes if it starts with \"{\", \"[\" or \"- \"",
		                 where, rep->key, describe_event(rep->got));
	return vmig_fail(err, VMIG_ERR_INPUT, "%s %s: %s", where, rep->key, rep->problem);
}

/* ---- the libyaml pass ---- */

/* What the libyaml pass learns: whether there are settings at all. */
struct outline {
	int documents;
	bool seen_top;
	bool empty; /* no top-level node, or a null one ("---" alone, "~") */
};

static bool is_null_scalar(const yaml_event_t *ev)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		if (strcmp(v, nulls[i]) == 0)
			return true;
	return false;
}

/* Checks the first document's top-level node: it must be a mapping (or nothing). */
static int note_top(const char *path, const yaml_event_t *ev, struct outline *o, vmig_error *err)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	const char *got = "a list";

	o->seen_top = true;
	if (ev->type == YAML_MAPPING_START_EVENT)
		return VMIG_OK;
	if (ev->type == YAML_SCALAR_EVENT && is_null_scalar(ev)) {
		o->empty = true;
		return VMIG_OK;
	}
	if (ev->type != YAML_SEQUENCE_START_EVENT)
		got = "a single value";
	return vmig_fail(err, VMIG_ERR_INPUT,
	                 "%s:%u: expected settings as \"key: value\" lines, got %s; write one "
	                 "setting per line, e.g. \"lock_timeout: 60\"",
	                 path, line, got);
}

static int note_event(const char *path, const yaml_event_t *ev, struct outline *o, vmig_error *err)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++o->documents < 2)
			return VMIG_OK;
		/* cyaml would quietly ignore the rest: settings there would not apply. */
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s:%zu: a second YAML document starts here; vmig reads only the "
		                 "first, so move these settings up and remove the \"---\"",
		                 path, ev->start_mark.line + 1);
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return o->seen_top ? VMIG_OK : note_top(path, ev, o, err);
	default:
		return VMIG_OK;
	}
}

/*
 * libyaml notices an unclosed "[" or quote only where the text runs out, so
 * for those the line that opened it is the one to fix.
 */
static int syntax_error(const char *path, const yaml_parser_t *parser, vmig_error *err)
{
	const char *ctx = parser->context;
	size_t noticed = parser->problem_mark.line + 1;
	size_t started = parser->context_mark.line + 1;
	bool unclosed = ctx && (strstr(ctx, "flow") || strstr(ctx, "quoted"));
	char detail[160] = "";

	if (parser->error == YAML_MEMORY_ERROR)
		return vmig_fail(err, VMIG_ERR_RUNTIME, "%s: out of memory reading it", path);
	if (unclosed && started != noticed)
		snprintf(detail, sizeof detail,
		         " (%s that starts on this line; noticed on line %zu)", ctx, noticed);
	else if (ctx && started != noticed)
		snprintf(detail, sizeof detail, " (%s that started on line %zu)", ctx, started);
	else if (ctx)
		snprintf(detail, sizeof detail, " (%s)", ctx);
	return vmig_fail(err, VMIG_ERR_INPUT,
	                 "%s:%zu: not valid YAML: %s%s; check the indentation (spaces, not "
	                 "tabs) and quote values that contain \": \" or \" #\"",
	                 path, unclosed ? started : noticed,
	                 parser->problem ? parser->problem : "unreadable", detail);
}

static int outline_yaml(const char *path, const char *text, size_t len, struct outline *o,
                        vmig_error *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int rc = VMIG_OK;

	if (!yaml_parser_initialize(&parser))
		return syntax_error(path, &parser, err);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && !rc) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = syntax_error(path, &parser, err);
			break;
		}
		rc = note_event(path, &ev, o, err);
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (!o->seen_top)
		o->empty = true;
	return rc;
}

/* ---- the file ---- */

static int apply_file(vmig_config *cfg, const char *text, const struct raw_settings *raw,
                      vmig_error *err)
{
	for (int k = 0; k < KEY_COUNT; k++) {
		if (!raw->value[k])
			continue;
		int rc = apply_key(cfg, k, raw->value[k], err);
		if (rc) {
			unsigned line = key_line(text, key_name(k), 1);
			vmig_error_prefix(err, "%s:%u: %s", cfg->path, line ? line : 1,
			                  key_name(k));
			return rc;
		}
	}
	return VMIG_OK;
}

/* Reads the settings in text (the file cfg->path) into cfg. */
static int load_file(vmig_config *cfg, const char *text, size_t len, vmig_error *err)
{
	struct outline o = {0};
	struct cyaml_report rep = {.duplicate = false};
	struct raw_settings *raw = NULL;
	const cyaml_config_t cyaml = {
	    .log_fn = on_cyaml_log,
	    .log_ctx = &rep,
	    .mem_fn = cyaml_alloc,
	    .log_level = CYAML_LOG_ERROR,
	};
	cyaml_err_t code;
	int rc = outline_yaml(cfg->path, text, len, &o, err);

	if (rc || o.empty)
		return rc;
	code = cyaml_load_data((const uint8_t *)text, len, &cyaml, &schema, (cyaml_data_t **)&raw,
	                       NULL);
	if (code != CYAML_OK)
		return cyaml_failure(cfg->path, text, &rep, code, err);
	if (!raw)
		return VMIG_OK;
	rc = apply_file(cfg, text, raw, err);
	cyaml_free(&cyaml, &schema, raw, 0);
	return rc;
}

/* The whole file into out; 0 or an errno value. */
static int read_text(const char *path, vmig_buf *out)
{
	char chunk[4096];
	size_t n;
	int e = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return errno;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		vmig_buf_add(out, chunk, n);
	if (ferror(f))
		e = errno ? errno : EIO;
	fclose(f);
	return e;
}

/* Which file to read and its text: --config, else $VMIG_CONFIG, else ./vmig.yaml. */
static int find_config(const vmig_config_overrides *ov, char **path, vmig_buf *text,
                       vmig_error *err)
{
	const char *env = getenv("VMIG_CONFIG");
	const char *given = ov->config_path ? ov->config_path : env && *env ? env : NULL;
	const char *source = ov->config_path ? "--config" : "$VMIG_CONFIG";
	int e;

	e = read_text(given ? given : DEFAULT_CONFIG_FILE, text);
	if (!given && e == ENOENT)
		return VMIG_OK; /* no config file at all is fine */
	*path = xstrdup(given ? given : DEFAULT_CONFIG_FILE);
	if (given && (e == ENOENT || e == ENOTDIR))
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "config file \"%s\" (from %s) does not exist; check the path%s",
		                 given, source, ov->config_path ? "" : " or unset VMIG_CONFIG");
	if (e)
		return vmig_fail(err, VMIG_ERR_INPUT, "cannot read config file \"%s\": %s", *path,
		                 strerror(e));
	return VMIG_OK;
}

/* The flags win over the file; the environment only fills what is still missing. */
static void apply_overrides(vmig_config *cfg, const vmig_config_overrides *ov)
{
	const char *env_url = getenv("DATABASE_URL");

	if (ov->database_url && *ov->database_url)
		set_string(&cfg->database_url, xstrdup(ov->database_url));
	else if (!cfg->database_url && env_url && *env_url)
		cfg->database_url = xstrdup(env_url);
	if (ov->migrations_dir && *ov->migrations_dir)
		set_string(&cfg->migrations_dir, xstrdup(ov->migrations_dir));
	else if (!cfg->migrations_dir)
		cfg->migrations_dir = xstrdup(DEFAULT_MIGRATIONS_DIR);
	if (ov->single_transaction)
		cfg->transaction_per_migration = false;
}

int vmig_config_load(const vmig_config_overrides *ov, vmig_config *out, vmig_error *err)
{
	static const vmig_config_overrides none;
	vmig_config cfg = {
	    .version_table = xstrdup(VMIG_DEFAULT_VERSION_TABLE),
	    .transaction_per_migration = true,
	    .lock_timeout = VMIG_DEFAULT_LOCK_TIMEOUT,
	    .wait_timeout = VMIG_DEFAULT_WAIT_TIMEOUT,
	};
	vmig_buf text = {0};
	int rc;

	memset(out, 0, sizeof *out);
	if (!ov)
		ov = &none;
	rc = find_config(ov, &cfg.path, &text, err);
	if (!rc && cfg.path)
		rc = load_file(&cfg, vmig_buf_str(&text), text.len, err);
	vmig_buf_free(&text);
	if (rc) {
		vmig_config_free(&cfg);
		return rc;
	}
	apply_overrides(&cfg, ov);
	*out = cfg;
	return VMIG_OK;
}

void vmig_config_free(vmig_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->database_url);
	free(cfg->migrations_dir);
	free(cfg->version_table);
	free(cfg->version_table_schema);
	memset(cfg, 0, sizeof *cfg);
}
