/*
 * alembic_import.c - an Alembic history into vmig files (see alembic_import.h).
 */
#include "alembic_import.h"

#include "alloc.h"
#include "revision.h"
#include "subprocess.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "vmig-alembic-render 1\n"

/* ------------------------------------------------------------ parsing */

typedef struct cursor {
	const char *p, *end;
	size_t line;
} cursor;

/* The next line (without its LF) as a new string; NULL at the end. */
static char *next_line(cursor *c)
{
	if (c->p >= c->end)
		return NULL;
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	const char *stop = nl ? nl : c->end;
	char *line = xstrndup(c->p, (size_t)(stop - c->p));
	c->p = nl ? nl + 1 : c->end;
	c->line++;
	return line;
}

static int malformed(const cursor *c, const char *what, vmig_error *err)
{
	return vmig_fail(err, VMIG_ERR_RUNTIME,
	                 "the Alembic helper's output is malformed at line %zu: %s (a helper "
	                 "from another vmig version?)",
	                 c->line, what);
}

static char **field_slot(vmig_alembic_rev *r, const char *name)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
	    {"parents", offsetof(vmig_alembic_rev, parents)},
	    {"message", offsetof(vmig_alembic_rev, message)},
	    {"file", offsetof(vmig_alembic_rev, file)},
	    {"branch_labels", offsetof(vmig_alembic_rev, branch_labels)},
	    {"depends_on", offsetof(vmig_alembic_rev, depends_on)},
	    {"up", offsetof(vmig_alembic_rev, up)},
	    {"down", offsetof(vmig_alembic_rev, down)},
	    {"up_reason", offsetof(vmig_alembic_rev, up_reason)},
	    {"up_detail", offsetof(vmig_alembic_rev, up_detail)},
	    {"down_reason", offsetof(vmig_alembic_rev, down_reason)},
	    {"down_detail", offsetof(vmig_alembic_rev, down_detail)},
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strcmp(fields[i].name, name) == 0)
			return (char **)((char *)r + fields[i].offset);
	return NULL;
}

/* "field NAME NBYTES" then the bytes and a LF. */
static int parse_field(cursor *c, const char *line, vmig_alembic_rev *r, vmig_error *err)
{
	char name[64];
	unsigned long long nbytes;
	int used = 0;
	if (sscanf(line, "field %63s %llu%n", name, &nbytes, &used) != 2 || line[used] != '\0')
		return malformed(c, "expected \"field NAME NBYTES\"", err);
	if (nbytes > (unsigned long long)(c->end - c->p) ||
	    (size_t)nbytes == (size_t)(c->end - c->p) || c->p[nbytes] != '\n')
		return malformed(c, "a field's bytes run past the end", err);
	if (memchr(c->p, '\0', (size_t)nbytes))
		return malformed(c, "a field holds a NUL byte", err);
	char *value = xstrndup(c->p, (size_t)nbytes);
	for (const char *p = c->p; p < c->p + nbytes; p++)
		c->line += *p == '\n';
	c->p += nbytes + 1;
	c->line++;
	char **slot = field_slot(r, name);
	if (strcmp(name, "transaction") == 0) {
		r->transaction_off = strcmp(value, "off") == 0;
		free(value);
	} else if (slot) {
		free(*slot);
		*slot = value;
	} else {
		free(value); /* a field this vmig does not read */
	}
	return VMIG_OK;
}

static void rev_free(vmig_alembic_rev *r)
{
	free(r->id);
	free(r->parents);
	free(r->message);
	free(r->file);
	free(r->branch_labels);
	free(r->depends_on);
	free(r->up);
	free(r->down);
	free(r->up_reason);
	free(r->up_detail);
	free(r->down_reason);
	free(r->down_detail);
}

/* Ids separated by single spaces, none before or after ("" for none). */
static void normalize_ids(char **ids)
{
	vmig_buf b = {0};
	for (const char *p = *ids ? *ids : ""; *p;) {
		size_t gap = strspn(p, " \t\n\r");
		p += gap;
		size_t len = strcspn(p, " \t\n\r");
		if (len)
			vmig_buf_printf(&b, "%s%.*s", b.len ? " " : "", (int)len, p);
		p += len;
	}
	free(*ids);
	*ids = b.len ? vmig_buf_detach(&b) : xstrdup("");
	vmig_buf_free(&b);
}

/* Whether every id of "a b c" is a valid vmig id. */
static bool ids_valid(const char *ids)
{
	bool ok = true;
	char *copy = xstrdup(ids);
	for (char *save = NULL, *t = strtok_r(copy, " ", &save); t && ok;
	     t = strtok_r(NULL, " ", &save))
		ok = vmig_revision_id_valid(t);
	free(copy);
	return ok;
}

int vmig_alembic_parse(const char *text, size_t len, vmig_alembic_history *h, vmig_error *err)
{
	cursor c = {text, text + len, 0};
	memset(h, 0, sizeof *h);
	if (len < strlen(MAGIC) || memcmp(text, MAGIC, strlen(MAGIC)) != 0)
		return malformed(&c, "it does not start with \"vmig-alembic-render 1\"", err);
	c.p += strlen(MAGIC);
	c.line = 1;
	int rc = VMIG_OK;
	vmig_alembic_rev *cur = NULL;
	char *line;
	while (rc == VMIG_OK && (line = next_line(&c)) != NULL) {
		if (strncmp(line, "revision ", 9) == 0 && !cur && line[9]) {
			XGROW(h->revs, h->cap, h->n + 1);
			cur = &h->revs[h->n++];
			memset(cur, 0, sizeof *cur);
			cur->id = xstrdup(line + 9);
		} else if (strncmp(line, "field ", 6) == 0 && cur) {
			rc = parse_field(&c, line, cur, err);
		} else if (strcmp(line, "end") == 0 && cur) {
			normalize_ids(&cur->parents);
			if (!cur->message)
				cur->message = xstrdup("");
			cur = NULL;
		} else {
			rc = malformed(
			    &c, cur ? "expected \"field\" or \"end\"" : "expected \"revision ID\"",
			    err);
		}
		free(line);
	}
	if (rc == VMIG_OK && cur)
		rc = malformed(&c, "the last revision has no \"end\"", err);
	if (rc)
		vmig_alembic_free(h);
	return rc;
}

void vmig_alembic_free(vmig_alembic_history *h)
{
	for (size_t i = 0; i < h->n; i++)
		rev_free(&h->revs[i]);
	free(h->revs);
	memset(h, 0, sizeof *h);
}

/* ------------------------------------------------------------ running the helper */

/* The helper's last line of standard error: what it says went wrong. */
static char *last_words(const vmig_buf *b)
{
	const char *s = vmig_buf_str(b);
	size_t n = b->len;
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	size_t start = n;
	while (start && s[start - 1] != '\n')
		start--;
	vmig_buf out = {0};
	vmig_buf_put_escaped(&out, s + start, n - start);
	return vmig_buf_detach(&out);
}

int vmig_alembic_run(const char *python, const char *helper, const char *dialect, const char *dir,
                     vmig_alembic_history *h, vmig_error *err)
{
	const char *argv[] = {python, helper, "--dialect", dialect, dir, NULL};
	/* Two imports must be byte-identical: the helper itself keeps the sets
	 * that SQLAlchemy orders by address (a table's indexes) in source order,
	 * and a fixed hash seed settles what hashing orders.  No .pyc files are
	 * left in the user's project. */
	const char *env[] = {"PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1",
	                     "PYTHONIOENCODING=utf-8", NULL};
	vmig_proc p;
	memset(h, 0, sizeof *h);
	int rc = vmig_proc_run(argv, env, &p, err);
	if (rc && p.not_found) {
		rc = vmig_fail(err, VMIG_ERR_RUNTIME,
		               "no Python interpreter \"%s\"%s: run the import where the project's "
		               "Python with Alembic is (e.g. `poetry run vmig import alembic .`), "
		               "or pass --python PATH",
		               python, strchr(python, '/') ? "" : " on PATH");
	} else if (rc == VMIG_OK && p.status == 3) {
		char *why = last_words(&p.err);
		rc = vmig_fail(err, VMIG_ERR_RUNTIME,
		               "the Python interpreter \"%s\" cannot import Alembic (%s): run the "
		               "import in the project's environment (e.g. `poetry run vmig import "
		               "alembic .`), or pass --python PATH to one that has it",
		               python, why);
		free(why);
	} else if (rc == VMIG_OK && p.status == 2) {
		char *why = last_words(&p.err);
		rc = vmig_fail(err, VMIG_ERR_INPUT, "%s: %s", dir, why);
		free(why);
	} else if (rc == VMIG_OK && p.status != 0) {
		char *why = last_words(&p.err);
		rc = vmig_fail(err, VMIG_ERR_RUNTIME,
		               "the Alembic helper (%s %s) failed (exit %d%s): %s", python, helper,
		               p.status, p.signal ? ", killed by a signal" : "", why);
		free(why);
	} else if (rc == VMIG_OK) {
		rc = vmig_alembic_parse(vmig_buf_str(&p.out), p.out.len, h, err);
	}
	vmig_proc_free(&p);
	return rc;
}

/* ------------------------------------------------------------ rendering files */

const char *vmig_import_reason_title(const char *reason)
{
	static const struct {
		const char *code, *title;
	} titles[] = {
	    {"reads_database", "reads the database (query results, reflection): write its SQL by "
	                       "hand"},
	    {"unnamed_constraint", "a constraint without a name: look its name up in a migrated "
	                           "database and write the SQL with it"},
	    {"plugin_operation", "an operation from outside Alembic (a plugin) that cannot render "
	                         "offline"},
	    {"raises", "raises on purpose (an irreversible downgrade?): write the SQL, or for an "
	               "irreversible one drop the -- vmig:down section"},
	    {"warning", "Alembic warned while rendering (an argument ignored?): the SQL may not "
	                "mean what the revision says"},
	    {"import_error", "the revision's module could not be imported"},
	    {"python_error", "failed while rendering"},
	    {"invalid_id", "its id is not a valid vmig revision id"},
	    {"vmig_format", "what Alembic rendered is not a valid vmig file"},
	};
	for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
		if (strcmp(titles[i].code, reason) == 0)
			return titles[i].title;
	return "could not be rendered offline";
}

/* A value on one line of a comment or directive: control bytes as spaces. */
static void put_one_line(vmig_buf *b, const char *s)
{
	for (; s && *s; s++)
		vmig_buf_putc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

/* SQL as a section's body: ends with one LF, no trailing blank lines. */
static void put_sql(vmig_buf *b, const char *sql)
{
	size_t n = sql ? strlen(sql) : 0;
	while (n && (sql[n - 1] == '\n' || sql[n - 1] == ' ' || sql[n - 1] == '\t'))
		n--;
	if (n) {
		vmig_buf_add(b, sql, n);
		vmig_buf_putc(b, '\n');
	}
}

/* An id that vmig accepts, for a file name only: [A-Za-z0-9_], else '_'. */
static char *safe_id(const char *id)
{
	vmig_buf b = {0};
	for (const char *p = id; *p && b.len < VMIG_ID_MAX; p++)
		vmig_buf_putc(&b, (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                          (*p >= '0' && *p <= '9')
		                      ? *p
		                      : '_');
	if (!b.len || b.data[0] == '_')
		vmig_buf_puts(&b, "x");
	return vmig_buf_detach(&b);
}

static void add_todo_line(vmig_import_file *f, const char *direction, const char *reason,
                          const char *detail)
{
	vmig_buf b = {0};
	if (f->why)
		vmig_buf_printf(&b, "%s; ", f->why);
	vmig_buf_printf(&b, "%s: ", direction);
	put_one_line(&b, detail && *detail ? detail : reason);
	free(f->why);
	f->why = vmig_buf_detach(&b);
	if (!f->reason)
		f->reason = xstrdup(reason);
	f->todo = true;
}

/* The header: directives, then what Alembic said beside them, as comments. */
static void put_header(vmig_buf *b, const vmig_alembic_rev *r, const vmig_import_file *f)
{
	vmig_buf_puts(b, "-- vmig:revision ");
	put_one_line(b, r->id);
	vmig_buf_puts(b, "\n-- vmig:down_revision");
	if (*r->parents) {
		vmig_buf_putc(b, ' ');
		put_one_line(b, r->parents);
	}
	vmig_buf_puts(b, "\n-- vmig:message ");
	put_one_line(b, r->message);
	vmig_buf_putc(b, '\n');
	if (r->transaction_off)
		vmig_buf_puts(b, "-- vmig:transaction off\n");
	vmig_buf_puts(b, "--\n-- Imported from Alembic");
	if (r->file) {
		vmig_buf_puts(b, ": ");
		put_one_line(b, r->file);
	}
	vmig_buf_putc(b, '\n');
	if (r->branch_labels && *r->branch_labels) {
		vmig_buf_puts(b, "-- Alembic branch labels (vmig has none; use the id): ");
		put_one_line(b, r->branch_labels);
		vmig_buf_putc(b, '\n');
	}
	if (r->depends_on && *r->depends_on) {
		vmig_buf_puts(b,
		              "-- Alembic depends_on (not a parent; vmig does not enforce it): ");
		put_one_line(b, r->depends_on);
		vmig_buf_putc(b, '\n');
	}
	if (f->todo) {
		vmig_buf_puts(b, "--\n-- TODO: Alembic's offline mode could not render all of this "
		                 "revision.\n-- ");
		put_one_line(b, f->why);
		vmig_buf_puts(b,
		              "\n-- What did render is below.  Write the missing SQL, then rename "
		              "this file\n-- from .sql.todo to .sql (vmig validate fails until "
		              "then).\n");
	}
}

/* A section; for one that failed, the reason, and that Alembic stopped
 * there: what its function does after that point did not render either. */
static void put_section(vmig_buf *b, const vmig_alembic_rev *r, bool down)
{
	const char *reason = down ? r->down_reason : r->up_reason;
	vmig_buf_printf(b, "\n-- vmig:%s\n", down ? "down" : "up");
	if (reason) {
		vmig_buf_printf(b, "-- TODO (%s): ", reason);
		put_one_line(b, down ? r->down_detail : r->up_detail);
		vmig_buf_printf(b,
		                "\n-- TODO: Alembic stopped there; what %s() does after that point "
		                "is not below either: write it from ",
		                down ? "downgrade" : "upgrade");
		put_one_line(b, r->file ? r->file : "the Alembic file");
		vmig_buf_puts(b, ". Below: the SQL that rendered before it.\n");
	}
	put_sql(b, down ? r->down : r->up);
}

/* A file that vmig cannot read back is a todo too, saying why. */
static void check_readable(vmig_import_file *f)
{
	vmig_revision parsed;
	vmig_error err = {0};
	if (vmig_revision_parse(f->name, f->text, strlen(f->text), &parsed, &err) == VMIG_OK) {
		vmig_revision_free(&parsed);
		return;
	}
	add_todo_line(f, "file", "vmig_format", err.msg);
}

static void render_text(const vmig_alembic_rev *r, vmig_import_file *f)
{
	vmig_buf b = {0};
	put_header(&b, r, f);
	put_section(&b, r, false);
	put_section(&b, r, true);
	free(f->text);
	f->text = vmig_buf_detach(&b);
}

void vmig_import_render(const vmig_alembic_rev *r, vmig_import_file *f)
{
	memset(f, 0, sizeof *f);
	f->rev = r;
	if (!vmig_revision_id_valid(r->id) || !ids_valid(r->parents))
		add_todo_line(f, "id", "invalid_id",
		              "an Alembic id here (the revision's or a parent's) is not 1-64 "
		              "letters, digits and '_': give it a valid id here and in its "
		              "children");
	if (r->up_reason)
		add_todo_line(f, "upgrade", r->up_reason, r->up_detail);
	if (r->down_reason)
		add_todo_line(f, "downgrade", r->down_reason, r->down_detail);
	char *id = safe_id(r->id), *slug = vmig_revision_slug(r->message);
	f->name = xasprintf("%s%s%s.sql", id, *slug ? "_" : "", slug);
	free(id);
	free(slug);
	render_text(r, f);
	if (!f->todo) {
		check_readable(f);
		if (f->todo)
			render_text(r, f); /* again, with the reason in its header */
	}
	if (f->todo) {
		char *todo_name = xasprintf("%s.todo", f->name);
		free(f->name);
		f->name = todo_name;
	}
}

void vmig_import_render_baseline(const char *id, const char *schema, const char *source,
                                 vmig_import_file *f)
{
	vmig_buf b = {0};
	memset(f, 0, sizeof *f);
	vmig_buf_printf(&b,
	                "-- vmig:revision %s\n-- vmig:down_revision\n-- vmig:message baseline at "
	                "Alembic head %s\n--\n-- The schema of a database that Alembic migrated to "
	                "%s, read with %s.\n-- Irreversible: it has no -- vmig:down section.\n"
	                "\n-- vmig:up\n",
	                id, id, id, source);
	put_sql(&b, schema);
	f->text = vmig_buf_detach(&b);
	f->name = xasprintf("%s_baseline.sql", id);
}

void vmig_import_file_free(vmig_import_file *f)
{
	free(f->name);
	free(f->text);
	free(f->reason);
	free(f->why);
	memset(f, 0, sizeof *f);
}

/* ------------------------------------------------------------ writing */

/* The file's contents, or NULL when it does not exist (errno ENOENT). */
static char *read_existing(const char *path)
{
	vmig_buf b = {0};
	if (vmig_revision_read(path, &b, &(vmig_error){0}) != VMIG_OK) {
		vmig_buf_free(&b);
		return NULL;
	}
	return vmig_buf_detach(&b);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int write_whole(const char *path, const char *text, vmig_error *err)
{
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	FILE *fp = fopen(tmp, "wx");
	int rc = VMIG_OK;
	if (!fp) {
		rc =
		    vmig_fail(err, VMIG_ERR_RUNTIME, "%s: cannot create: %s", tmp, strerror(errno));
	} else {
		bool ok = fputs(text, fp) >= 0;
		ok = fflush(fp) == 0 && ok;
		ok = fsync(fileno(fp)) == 0 && ok;
		ok = fclose(fp) == 0 && ok;
		if (!ok || rename(tmp, path) != 0) {
			rc = vmig_fail(err, VMIG_ERR_RUNTIME, "%s: cannot write: %s", path,
			               strerror(errno));
			unlink(tmp);
		}
	}
	free(tmp);
	return rc;
}

/* Whether two file texts are the same as the checksum sees them: a checkout
 * with CRLF line ends, or an editor's trailing white space, is no change. */
static bool same_text(const char *a, const char *b)
{
	vmig_buf na = {0}, nb = {0};
	vmig_text_normalize(&na, a);
	vmig_text_normalize(&nb, b);
	bool same = na.len == nb.len && memcmp(vmig_buf_str(&na), vmig_buf_str(&nb), na.len) == 0;
	vmig_buf_free(&na);
	vmig_buf_free(&nb);
	return same;
}

/* A file of the migrations directory: its name and the id it declares. */
typedef struct present {
	char *name, *id, *text;
} present;

/* The id after "-- vmig:revision " on a line of its own, or NULL. */
static char *declared_id(const char *text)
{
	for (const char *line = text; line && *line;) {
		if (strncmp(line, "-- vmig:revision ", 17) == 0) {
			size_t n = strcspn(line + 17, " \t\r\n");
			return xstrndup(line + 17, n);
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return NULL;
}

/* The .sql and .sql.todo files directly in dir, with their ids. */
static present *list_present(const char *dir, size_t *n)
{
	present *out = NULL;
	size_t cap = 0;
	*n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		bool sql = len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0;
		bool todo = len > 9 && strcmp(de->d_name + len - 9, ".sql.todo") == 0;
		if (de->d_name[0] == '.' || (!sql && !todo))
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		char *text = read_existing(path);
		free(path);
		char *id = text ? declared_id(text) : NULL;
		if (!id) {
			free(text);
			continue;
		}
		XGROW(out, cap, *n + 1);
		out[(*n)++] = (present){xstrdup(de->d_name), id, text};
	}
	if (d)
		closedir(d);
	return out;
}

/* A file other than f's own two names that declares f's revision. */
static const present *same_revision(const vmig_import_file *f, const present *have, size_t n)
{
	size_t base = strlen(f->name) - (f->todo ? 5 : 0); /* without ".todo" */
	for (size_t i = 0; f->rev && i < n; i++) {
		bool own =
		    strncmp(have[i].name, f->name, base) == 0 &&
		    (have[i].name[base] == '\0' || strcmp(have[i].name + base, ".todo") == 0);
		if (!own && strcmp(have[i].id, f->rev->id) == 0)
			return &have[i];
	}
	return NULL;
}

/* What stands in the way of f in dir, appended to problems; sets f->outcome. */
static void check_one(const char *dir, vmig_import_file *f, const present *have_all, size_t nhave,
                      vmig_buf *problems)
{
	char *path = xasprintf("%s/%s", dir, f->name);
	/* The other spelling: .sql for a .sql.todo, and the other way round. */
	char *other = f->todo ? xstrndup(path, strlen(path) - 5) : xasprintf("%s.todo", path);
	char *have = read_existing(path);
	f->outcome = VMIG_IMPORT_WRITTEN;
	if (f->todo && exists(other))
		f->outcome = VMIG_IMPORT_RESOLVED; /* a person has written its .sql */
	else if (have && same_text(have, f->text))
		f->outcome = VMIG_IMPORT_UNCHANGED;
	else if (have)
		vmig_buf_printf(problems, "\n  %s differs from what the import writes", path);
	else if (exists(path))
		vmig_buf_printf(problems, "\n  %s is in the way and cannot be read", path);
	else if (!f->todo && exists(other))
		vmig_buf_printf(problems,
		                "\n  %s is still there: it now renders, as %s; remove the .todo",
		                other, path);
	const present *renamed =
	    f->outcome == VMIG_IMPORT_WRITTEN && !have ? same_revision(f, have_all, nhave) : NULL;
	size_t len = renamed ? strlen(renamed->name) : 0;
	bool renamed_sql = renamed && len > 4 && strcmp(renamed->name + len - 4, ".sql") == 0;
	if (renamed && ((f->todo && renamed_sql) || same_text(renamed->text, f->text)))
		f->outcome = f->todo ? VMIG_IMPORT_RESOLVED : VMIG_IMPORT_UNCHANGED; /* renamed */
	else if (renamed)
		vmig_buf_printf(problems, "\n  %s/%s already holds revision %s, and differs", dir,
		                renamed->name, f->rev->id);
	free(have);
	free(path);
	free(other);
}

/* mkdir -p: dir and the folders above it that are missing. */
static int make_dirs(const char *dir)
{
	if (exists(dir))
		return 0;
	char *copy = xstrdup(dir);
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (!exists(copy) && mkdir(copy, 0755) != 0 && errno != EEXIST) {
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	return mkdir(dir, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int vmig_import_write(const char *dir, vmig_import_file *files, size_t n, vmig_error *err)
{
	vmig_buf problems = {0};
	if (make_dirs(dir) != 0)
		return vmig_fail(err, VMIG_ERR_RUNTIME,
		                 "%s: cannot create the migrations directory: %s", dir,
		                 strerror(errno));
	size_t nhave;
	present *have = list_present(dir, &nhave);
	for (size_t i = 0; i < n; i++)
		check_one(dir, &files[i], have, nhave, &problems);
	for (size_t i = 0; i < nhave; i++) {
		free(have[i].name);
		free(have[i].id);
		free(have[i].text);
	}
	free(have);
	if (problems.len) {
		int rc = vmig_fail(err, VMIG_ERR_INPUT,
		                   "the import would overwrite files that differ, so it wrote "
		                   "nothing:%s\nmove them away (or import into an empty --dir) and "
		                   "run it again",
		                   vmig_buf_str(&problems));
		vmig_buf_free(&problems);
		return rc;
	}
	int rc = VMIG_OK;
	for (size_t i = 0; rc == VMIG_OK && i < n; i++) {
		if (files[i].outcome != VMIG_IMPORT_WRITTEN)
			continue;
		char *path = xasprintf("%s/%s", dir, files[i].name);
		rc = write_whole(path, files[i].text, err);
		free(path);
	}
	return rc;
}
