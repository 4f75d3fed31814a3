/*
 * config.c - reads vmig.yaml and merges it with the flags and the environment.
 *
 * The work is split three ways:
 *  - a libyaml pass over the events finds syntax errors, a second document and
 *    a top level that is not a mapping, and checks the top-level mapping's
 *    entries: unknown and repeated keys, values that are not single values,
 *    aliases that name no anchor.  It also notes the line of every key, so
 *    that every error names the line, from libyaml's own positions;
 *  - libcyaml then loads the document, which that pass has made sure fits
 *    the schema (cyaml's log is not read: its wording is not an interface);
 *  - this file converts the values.  The schema loads every value as a
 *    string on purpose: cyaml's BOOL reads any unknown word ("maybe") as
 *    true and its UINT reads "1.5" as 1 and "010" as 8, and a typo in a
 *    setting must be an error, not a different setting.
 * ${VAR} expansion is envexpand.c's.
 */
#include "config.h"

#include "alloc.h"
#include "buf.h"
#include "url.h"

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
/* How many bytes of a bad value or key an error message repeats. */
#define MAX_QUOTED 80

/* The order of the schema's fields below. */
enum key_id {
	KEY_DATABASE_URL,
	KEY_MIGRATIONS_DIR,
	KEY_VERSION_TABLE,
	KEY_VERSION_TABLE_SCHEMA,
	KEY_TRANSACTION_PER_MIGRATION,
	KEY_LOCK_TIMEOUT,
	KEY_WAIT_TIMEOUT,
	KEY_TESTDB_POOL,
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
    FIELD("testdb_pool", KEY_TESTDB_POOL),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct raw_settings, schema_fields),
};

static const char *key_name(int key)
{
	return schema_fields[key].key;
}

/* ---- quoting ---- */

/*
 * The n bytes at s as a message quotes them: control bytes escaped, cut after
 * MAX_QUOTED bytes (then followed by "...").  The text lives in *scratch.
 */
static const char *quoted(vmig_buf *scratch, const char *s, size_t n)
{
	vmig_buf_reset(scratch);
	vmig_buf_put_escaped(scratch, s, n > MAX_QUOTED ? MAX_QUOTED : n);
	if (n > MAX_QUOTED)
		vmig_buf_puts(scratch, "...");
	return vmig_buf_str(scratch);
}

/* ---- values ---- */

/* What converting the values needs besides the config: where ${VAR} looks. */
struct expansion {
	vmig_env_lookup_fn *lookup;
	void *ctx;
};

static void set_string(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

/* Digits only, so that neither "1.5" nor "0x10" nor "${VAR}" slips through;
 * at most max.  what: "seconds", "ready copies", for the message. */
static int parse_whole(const char *s, unsigned long max, const char *what, unsigned *out,
                       vmig_error *err)
{
	size_t len = strlen(s);
	unsigned long n = 0;
	vmig_buf scratch = {0};
	int rc = VMIG_OK;

	if (len == 0 || strspn(s, "0123456789") != len) {
		rc =
		    vmig_fail(err, VMIG_ERR_INPUT, "expected a whole number of %s, got \"%s\"%s",
		              what, quoted(&scratch, s, len),
		              strstr(s, "${") ? " (${VAR} is expanded in string values only)" : "");
	} else {
		for (const char *p = s; *p && n <= max; p++)
			n = n * 10 + (unsigned long)(*p - '0');
		if (n > max)
			rc = vmig_fail(err, VMIG_ERR_INPUT,
			               "expected a whole number of %s up to %lu, got \"%s\"", what,
			               max, quoted(&scratch, s, len));
		else
			*out = (unsigned)n;
	}
	vmig_buf_free(&scratch);
	return rc;
}

static int parse_seconds(const char *s, unsigned *out, vmig_error *err)
{
	return parse_whole(s, MAX_SECONDS, "seconds", out, err);
}

/* YAML 1.1's spellings; anything else is a typo rather than a quiet "true". */
static int parse_bool(const char *s, bool *out, vmig_error *err)
{
	static const char *const spellings[][2] = {{"true", "false"}, {"yes", "no"}, {"on", "off"}};
	vmig_buf scratch = {0};

	for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
		for (int j = 0; j < 2; j++) {
			if (strcasecmp(s, spellings[i][j]) == 0) {
				*out = j == 0;
				return VMIG_OK;
			}
		}
	}
	vmig_fail(err, VMIG_ERR_INPUT, "expected true or false, got \"%s\"",
	          quoted(&scratch, s, strlen(s)));
	vmig_buf_free(&scratch);
	return VMIG_ERR_INPUT;
}

static bool is_identifier_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* The table name is put into SQL unquoted, so only plain identifiers are safe. */
/*
 * s is the value after ${VAR} expansion, raw as the file writes it.  The
 * message quotes the value as written (an expansion may hold a password:
 * `version_table: ${DATABASE_URL}`), with any password in it hidden.
 */
static int check_identifier(const char *s, const char *raw, vmig_error *err)
{
	size_t len = strlen(s), plain = 0;
	vmig_buf scratch = {0};

	while (plain < len && is_identifier_char(s[plain]))
		plain++;
	if (len > 0 && len <= MAX_IDENTIFIER && plain == len && !isdigit((unsigned char)s[0]))
		return VMIG_OK;
	char *shown = vmig_url_redact(raw);
	vmig_fail(err, VMIG_ERR_INPUT,
	          "expected a plain SQL identifier (letters, digits and _, not starting "
	          "with a digit, at most %d characters), got \"%s\"%s",
	          MAX_IDENTIFIER, quoted(&scratch, shown, strlen(shown)),
	          strcmp(s, raw) != 0 ? " (once expanded)" : "");
	free(shown);
	vmig_buf_free(&scratch);
	return VMIG_ERR_INPUT;
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

/* Stores a string key's expanded value s (raw: as written) into cfg; frees s
 * unless cfg keeps it. */
static int set_string_key(vmig_config *cfg, int key, char *s, const char *raw, vmig_error *err)
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
		rc = *s ? check_identifier(s, raw, err) : VMIG_OK;
		slot = &cfg->version_table_schema;
		break;
	case KEY_VERSION_TABLE:
		rc = check_identifier(s, raw, err);
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

static int apply_key(vmig_config *cfg, const struct expansion *env, int key, const char *value,
                     vmig_error *err)
{
	char *expanded;
	int rc;

	switch (key) {
	case KEY_TRANSACTION_PER_MIGRATION:
		return parse_bool(value, &cfg->transaction_per_migration, err);
	case KEY_LOCK_TIMEOUT:
		return parse_seconds(value, &cfg->lock_timeout, err);
	case KEY_WAIT_TIMEOUT:
		return parse_seconds(value, &cfg->wait_timeout, err);
	case KEY_TESTDB_POOL:
		return parse_whole(value, VMIG_MAX_TESTDB_POOL, "ready copies", &cfg->testdb_pool,
		                   err);
	}
	rc = vmig_env_expand(value, strlen(value), env->lookup, env->ctx, &expanded, NULL, NULL,
	                     err);
	return rc ? rc : set_string_key(cfg, key, expanded, value, err);
}

/* ---- the libyaml pass ---- */

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

/* What a node is, for aliases that stand for one. */
enum node_kind { NODE_SCALAR, NODE_MAPPING, NODE_LIST };

static const char *const node_words[] = {"a single value", "a mapping", "a list"};

/* An anchor ("&name") on a key or a value of the top-level mapping. */
struct anchor {
	char *name;
	enum node_kind kind;
	char *text; /* a scalar's value (text_len bytes), NULL for the others */
	size_t text_len;
};

/* The first thing wrong with the top-level mapping's entries, in file order. */
enum problem_kind {
	PROBLEM_NONE,
	PROBLEM_UNKNOWN_KEY,  /* text: the key */
	PROBLEM_REPEATED_KEY, /* key, first_line */
	PROBLEM_NOT_SINGLE,   /* key, got */
	PROBLEM_KEY_NOT_NAME, /* got */
	PROBLEM_NO_ANCHOR,    /* key (or -1 for a key that is an alias), text: the alias */
	PROBLEM_NUL_BYTE,     /* key */
};

struct problem {
	enum problem_kind kind;
	unsigned line;
	int key; /* the known key it is about, -1 when none */
	char *text;
	size_t text_len;
	unsigned first_line;
	enum node_kind got;
};

/* What the libyaml pass learns. */
struct outline {
	int documents;
	bool seen_top;
	bool empty;        /* no top-level node, or a null one ("---" alone, "~") */
	unsigned top_line; /* where the top-level mapping starts */
	int depth;         /* 1 inside the top-level mapping, more inside its values */
	bool want_key;     /* at depth 1: the next node is a key, not a value */
	int value_key;     /* the known key whose value comes next; -1 for an unknown one */
	unsigned key_line[KEY_COUNT]; /* 0: the key is not in the file */
	struct problem problem;
	struct anchor *anchors;
	size_t nanchors, anchors_cap;
};

static void outline_free(struct outline *o)
{
	for (size_t i = 0; i < o->nanchors; i++) {
		free(o->anchors[i].name);
		free(o->anchors[i].text);
	}
	free(o->anchors);
	free(o->problem.text);
}

static unsigned line_of(const yaml_event_t *ev)
{
	return (unsigned)ev->start_mark.line + 1;
}

/* Records p unless an earlier problem is recorded already (p.text is then freed). */
static void note_problem(struct outline *o, struct problem p)
{
	if (o->problem.kind != PROBLEM_NONE) {
		free(p.text);
		return;
	}
	o->problem = p;
}

static void add_anchor(struct outline *o, const yaml_char_t *name, enum node_kind kind,
                       const yaml_event_t *scalar)
{
	struct anchor *a;

	if (!name)
		return;
	XGROW(o->anchors, o->anchors_cap, o->nanchors + 1);
	a = &o->anchors[o->nanchors++];
	a->name = xstrdup((const char *)name);
	a->kind = kind;
	a->text = NULL;
	a->text_len = 0;
	if (scalar) {
		a->text_len = scalar->data.scalar.length;
		a->text = xmalloc(a->text_len + 1);
		memcpy(a->text, scalar->data.scalar.value, a->text_len);
		a->text[a->text_len] = '\0';
	}
}

/* The anchor an alias names (the latest of that name), or NULL. */
static const struct anchor *find_anchor(const struct outline *o, const yaml_char_t *name)
{
	for (size_t i = o->nanchors; i-- > 0;)
		if (strcmp(o->anchors[i].name, (const char *)name) == 0)
			return &o->anchors[i];
	return NULL;
}

static struct problem no_anchor(const yaml_event_t *ev, int key)
{
	const char *name = (const char *)ev->data.alias.anchor;

	return (struct problem){.kind = PROBLEM_NO_ANCHOR,
	                        .line = line_of(ev),
	                        .key = key,
	                        .text = xstrdup(name),
	                        .text_len = strlen(name)};
}

/* A key of the top-level mapping, text_len bytes at text, on line. */
static void note_key(struct outline *o, const char *text, size_t text_len, unsigned line)
{
	o->value_key = -1;
	for (int k = 0; k < KEY_COUNT; k++) {
		if (strlen(key_name(k)) != text_len || memcmp(text, key_name(k), text_len) != 0)
			continue;
		o->value_key = k;
		if (o->key_line[k])
			note_problem(o, (struct problem){.kind = PROBLEM_REPEATED_KEY,
			                                 .line = line,
			                                 .key = k,
			                                 .first_line = o->key_line[k]});
		else
			o->key_line[k] = line;
		return;
	}
	char *copy = xmalloc(text_len + 1);
	memcpy(copy, text, text_len);
	copy[text_len] = '\0';
	note_problem(o, (struct problem){.kind = PROBLEM_UNKNOWN_KEY,
	                                 .line = line,
	                                 .key = -1,
	                                 .text = copy,
	                                 .text_len = text_len});
}

/* A key node at depth 1: a scalar, an alias of one, or (wrongly) a collection. */
static void note_key_event(struct outline *o, const yaml_event_t *ev)
{
	const struct anchor *a;

	/* After the first problem nothing more is reported, so nothing is noted. */
	if (o->problem.kind != PROBLEM_NONE)
		return;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		add_anchor(o, ev->data.scalar.anchor, NODE_SCALAR, ev);
		note_key(o, (const char *)ev->data.scalar.value, ev->data.scalar.length,
		         line_of(ev));
		return;
	case YAML_ALIAS_EVENT:
		a = find_anchor(o, ev->data.alias.anchor);
		if (!a) {
			o->value_key = -1;
			note_problem(o, no_anchor(ev, -1));
		} else if (a->kind == NODE_SCALAR) {
			note_key(o, a->text, a->text_len, line_of(ev));
		} else {
			o->value_key = -1;
			note_problem(o, (struct problem){.kind = PROBLEM_KEY_NOT_NAME,
			                                 .line = line_of(ev),
			                                 .key = -1,
			                                 .got = a->kind});
		}
		return;
	default: /* a mapping or a list used as a key */
		o->value_key = -1;
		note_problem(o, (struct problem){.kind = PROBLEM_KEY_NOT_NAME,
		                                 .line = line_of(ev),
		                                 .key = -1,
		                                 .got = ev->type == YAML_MAPPING_START_EVENT
		                                            ? NODE_MAPPING
		                                            : NODE_LIST});
		return;
	}
}

/* A value node at depth 1: it must be a single value (or an alias of one). */
static void note_value_event(struct outline *o, const yaml_event_t *ev)
{
	int key = o->value_key;
	const struct anchor *a;
	enum node_kind got = NODE_SCALAR;

	if (o->problem.kind != PROBLEM_NONE)
		return;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		add_anchor(o, ev->data.scalar.anchor, NODE_SCALAR, ev);
		/* cyaml's strings end at a NUL, so "5\0junk" would quietly read as 5. */
		if (key >= 0 && memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
			note_problem(o, (struct problem){.kind = PROBLEM_NUL_BYTE,
			                                 .line = o->key_line[key],
			                                 .key = key});
		return;
	case YAML_ALIAS_EVENT:
		a = find_anchor(o, ev->data.alias.anchor);
		if (!a && key >= 0) {
			note_problem(o, no_anchor(ev, key));
			return;
		}
		if (!a || a->kind == NODE_SCALAR)
			return;
		got = a->kind;
		break;
	case YAML_MAPPING_START_EVENT:
		add_anchor(o, ev->data.mapping_start.anchor, NODE_MAPPING, NULL);
		got = NODE_MAPPING;
		break;
	default:
		add_anchor(o, ev->data.sequence_start.anchor, NODE_LIST, NULL);
		got = NODE_LIST;
		break;
	}
	if (key >= 0)
		note_problem(o, (struct problem){.kind = PROBLEM_NOT_SINGLE,
		                                 .line = o->key_line[key],
		                                 .key = key,
		                                 .got = got});
}

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
	const char *got = "a list";

	o->seen_top = true;
	if (ev->type == YAML_MAPPING_START_EVENT) {
		add_anchor(o, ev->data.mapping_start.anchor, NODE_MAPPING, NULL);
		o->top_line = line_of(ev);
		o->depth = 1;
		o->want_key = true;
		return VMIG_OK;
	}
	if (ev->type == YAML_SCALAR_EVENT && is_null_scalar(ev)) {
		o->empty = true;
		return VMIG_OK;
	}
	if (ev->type != YAML_SEQUENCE_START_EVENT)
		got = "a single value";
	return vmig_fail(err, VMIG_ERR_INPUT,
	                 "%s:%u: expected settings as \"key: value\" lines, got %s; write one "
	                 "setting per line, e.g. \"lock_timeout: 60\"",
	                 path, line_of(ev), got);
}

/* A node event inside the top-level mapping (depth >= 1). */
static void note_entry_event(struct outline *o, const yaml_event_t *ev)
{
	bool starts = ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT;
	bool ends = ev->type == YAML_MAPPING_END_EVENT || ev->type == YAML_SEQUENCE_END_EVENT;

	if (ends) {
		o->depth--;
		if (o->depth == 1) /* a key or value that was a collection is complete */
			o->want_key = !o->want_key;
		return;
	}
	if (o->depth == 1) {
		if (o->want_key)
			note_key_event(o, ev);
		else
			note_value_event(o, ev);
		if (!starts)
			o->want_key = !o->want_key;
	}
	if (starts)
		o->depth++;
}

static int note_event(const char *path, const yaml_event_t *ev, struct outline *o, vmig_error *err)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++o->documents < 2)
			return VMIG_OK;
		/* cyaml would quietly ignore the rest: settings there would not apply. */
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s:%u: a second YAML document starts here; vmig reads only the "
		                 "first, so move these settings up and remove the \"---\"",
		                 path, line_of(ev));
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (o->depth >= 1) {
			note_entry_event(o, ev);
			return VMIG_OK;
		}
		return o->seen_top ? VMIG_OK : note_top(path, ev, o, err);
	default:
		return VMIG_OK;
	}
}

/* The line (1-based) of byte offset in text: LF, CRLF and lone CR end a line, as in YAML. */
static size_t line_at_offset(const char *text, size_t len, size_t offset)
{
	size_t line = 1;

	for (size_t i = 0; i < offset && i < len; i++)
		line +=
		    text[i] == '\n' || (text[i] == '\r' && (i + 1 >= len || text[i + 1] != '\n'));
	return line;
}

/*
 * libyaml notices an unclosed "[" or quote only where the text runs out, so
 * for those the line that opened it is the one to fix.  Its reader (bad
 * bytes) gives an offset instead of a line.
 */
static int syntax_error(const char *path, const char *text, size_t len, const yaml_parser_t *parser,
                        vmig_error *err)
{
	const char *ctx = parser->context;
	size_t noticed = parser->problem_mark.line + 1;
	size_t started = parser->context_mark.line + 1;
	bool unclosed = ctx && (strstr(ctx, "flow") || strstr(ctx, "quoted"));
	char detail[160] = "";

	if (parser->error == YAML_MEMORY_ERROR)
		return vmig_fail(err, VMIG_ERR_RUNTIME, "%s: out of memory reading it", path);
	if (parser->error == YAML_READER_ERROR)
		return vmig_fail(
		    err, VMIG_ERR_INPUT,
		    "%s:%zu: not valid YAML text: %s (byte 0x%02x at offset %zu); save "
		    "the file as UTF-8 text without control characters",
		    path, line_at_offset(text, len, parser->problem_offset),
		    parser->problem ? parser->problem : "unreadable",
		    (unsigned)parser->problem_value & 0xffu, parser->problem_offset);
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
		return syntax_error(path, text, len, &parser, err);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && !rc) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = syntax_error(path, text, len, &parser, err);
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

/* ---- reporting the libyaml pass's problem ---- */

static int unknown_key(const char *path, const struct problem *p, vmig_error *err)
{
	vmig_buf known = {0}, scratch = {0};
	const char *guess = NULL;
	size_t best = 4; /* a guess further off than 3 edits is noise */

	for (int k = 0; k < KEY_COUNT; k++) {
		size_t d = distance(p->text, key_name(k));
		if (d < best) {
			best = d;
			guess = key_name(k);
		}
		vmig_buf_printf(&known, "%s%s", k ? ", " : "", key_name(k));
	}
	vmig_fail(err, VMIG_ERR_INPUT, "%s:%u: unknown key \"%s\" (known keys: %s)%s%s%s", path,
	          p->line, quoted(&scratch, p->text, p->text_len), vmig_buf_str(&known),
	          guess ? "; did you mean \"" : "", guess ? guess : "", guess ? "\"?" : "");
	vmig_buf_free(&known);
	vmig_buf_free(&scratch);
	return VMIG_ERR_INPUT;
}

static int report_problem(const char *path, const struct problem *p, vmig_error *err)
{
	vmig_buf scratch = {0};
	const char *key = p->key >= 0 ? key_name(p->key) : NULL;

	switch (p->kind) {
	case PROBLEM_UNKNOWN_KEY:
		return unknown_key(path, p, err);
	case PROBLEM_REPEATED_KEY:
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s:%u: %s: given twice (first on line %u); keep one", path,
		                 p->line, key, p->first_line);
	case PROBLEM_NOT_SINGLE:
		return vmig_fail(
		    err, VMIG_ERR_INPUT,
		    "%s:%u: %s: expected a single value, got %s; write the value on the "
		    "key's line, in quotes if it starts with \"{\", \"[\" or \"- \"",
		    path, p->line, key, node_words[p->got]);
	case PROBLEM_KEY_NOT_NAME:
		return vmig_fail(
		    err, VMIG_ERR_INPUT,
		    "%s:%u: expected a key such as \"lock_timeout\", got %s; write one "
		    "\"key: value\" setting per line",
		    path, p->line, node_words[p->got]);
	case PROBLEM_NO_ANCHOR: {
		const char *alias = quoted(&scratch, p->text, p->text_len);
		vmig_fail(err, VMIG_ERR_INPUT,
		          "%s:%u: %s%salias \"*%s\" names no anchor above it; write the value "
		          "itself, or mark it \"&%s\" where it is first given",
		          path, p->line, key ? key : "", key ? ": " : "", alias, alias);
		vmig_buf_free(&scratch);
		return VMIG_ERR_INPUT;
	}
	case PROBLEM_NUL_BYTE:
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s:%u: %s: the value holds a NUL byte (\"\\0\"); remove it", path,
		                 p->line, key);
	case PROBLEM_NONE:
		break;
	}
	return VMIG_OK;
}

/* ---- the settings ---- */

/* cyaml's allocations fail as cyaml expects (NULL, and it reports
 * CYAML_ERR_OOM): never a longjmp through its frames (see alloc.h). */
static void *cyaml_alloc(void *ctx, void *ptr, size_t size)
{
	(void)ctx;
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, size);
}

static int apply_settings(vmig_config *cfg, const struct expansion *env,
                          const struct raw_settings *raw, const struct outline *o, vmig_error *err)
{
	for (int k = 0; k < KEY_COUNT; k++) {
		if (!raw->value[k])
			continue;
		int rc = apply_key(cfg, env, k, raw->value[k], err);
		if (k == KEY_VERSION_TABLE)
			cfg->version_table_line = o->key_line[k];
		else if (k == KEY_VERSION_TABLE_SCHEMA)
			cfg->version_table_schema_line = o->key_line[k];
		if (rc) {
			vmig_error_prefix(err, "%s:%u: %s", cfg->path,
			                  o->key_line[k] ? o->key_line[k] : o->top_line,
			                  key_name(k));
			return rc;
		}
	}
	return VMIG_OK;
}

/* Reads the settings in text (the file cfg->path) into cfg. */
static int read_settings(vmig_config *cfg, const struct expansion *env, const char *text,
                         size_t len, vmig_error *err)
{
	struct outline o = {.value_key = -1};
	struct raw_settings *raw = NULL;
	const cyaml_config_t cyaml = {
	    .log_fn = NULL, /* every error is found and placed by the libyaml pass */
	    .mem_fn = cyaml_alloc,
	    .log_level = CYAML_LOG_ERROR,
	};
	cyaml_err_t code;
	int rc = outline_yaml(cfg->path, text, len, &o, err);

	if (!rc && o.problem.kind != PROBLEM_NONE)
		rc = report_problem(cfg->path, &o.problem, err);
	if (rc || o.empty) {
		outline_free(&o);
		return rc;
	}
	code = cyaml_load_data((const uint8_t *)text, len, &cyaml, &schema, (cyaml_data_t **)&raw,
	                       NULL);
	if (code == CYAML_ERR_OOM) {
		rc = vmig_fail(err, VMIG_ERR_RUNTIME, "%s: out of memory reading the settings",
		               cfg->path);
	} else if (code != CYAML_OK) {
		/* Not expected after the libyaml pass; still an error, never a guess. */
		rc = vmig_fail(err, VMIG_ERR_INPUT,
		               "%s:%u: cannot read the settings (%s); write one \"key: value\" "
		               "setting per line",
		               cfg->path, o.top_line ? o.top_line : 1, cyaml_strerror(code));
	} else if (raw) {
		rc = apply_settings(cfg, env, raw, &o, err);
		cyaml_free(&cyaml, &schema, raw, 0);
	}
	outline_free(&o);
	return rc;
}

static void set_defaults(vmig_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->version_table = xstrdup(VMIG_DEFAULT_VERSION_TABLE);
	cfg->transaction_per_migration = true;
	cfg->lock_timeout = VMIG_DEFAULT_LOCK_TIMEOUT;
	cfg->wait_timeout = VMIG_DEFAULT_WAIT_TIMEOUT;
	cfg->testdb_pool = VMIG_DEFAULT_TESTDB_POOL;
}

int vmig_config_parse(const char *name, const char *text, size_t len, vmig_env_lookup_fn *lookup,
                      void *lookup_ctx, vmig_config *out, vmig_error *err)
{
	const struct expansion env = {.lookup = lookup ? lookup : vmig_env_getenv,
	                              .ctx = lookup_ctx};
	vmig_config cfg;
	int rc;

	set_defaults(&cfg);
	cfg.path = xstrdup(name);
	rc = read_settings(&cfg, &env, text ? text : "", text ? len : 0, err);
	if (rc) {
		vmig_config_free(&cfg);
		memset(out, 0, sizeof *out);
		return rc;
	}
	if (!cfg.migrations_dir)
		cfg.migrations_dir = xstrdup(DEFAULT_MIGRATIONS_DIR);
	*out = cfg;
	return VMIG_OK;
}

/* ---- the file ---- */

/* The whole file into out; 0 or an errno value. */
static int read_text(const char *path, vmig_buf *out)
{
	char chunk[4096];
	size_t n;
	int e = 0;
	FILE *f = fopen(path, "rb");
	vmig_cleanup on_oom;

	if (!f)
		return errno;
	vmig_oom_defer(&on_oom, vmig_cleanup_fclose, f);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		vmig_buf_add(out, chunk, n);
	if (ferror(f))
		e = errno ? errno : EIO;
	vmig_oom_undefer(&on_oom);
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
	vmig_config cfg;
	char *path = NULL;
	vmig_buf text = {0};
	int rc;

	memset(out, 0, sizeof *out);
	if (!ov)
		ov = &none;
	rc = find_config(ov, &path, &text, err);
	if (!rc && path)
		rc = vmig_config_parse(path, vmig_buf_str(&text), text.len, vmig_env_getenv, NULL,
		                       &cfg, err);
	else if (!rc)
		set_defaults(&cfg);
	free(path);
	vmig_buf_free(&text);
	if (rc)
		return rc;
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

int vmig_config_expand(const char *text, char **out, vmig_error *err)
{
	return vmig_env_expand(text, strlen(text), vmig_env_getenv, NULL, out, NULL, NULL, err);
}
