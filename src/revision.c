/*
 * revision.c - parsing one migration file.
 *
 * The parser is a single pass over the lines with three states: the header
 * (directives, comments, blank lines), the up section and the down section.
 * Anything that looks like a directive is checked strictly, because a typo in
 * a directive must never silently change what a file means.
 *
 * One rule says where a line ends, for the parser, the line numbers in
 * messages and the checksum alike: at LF, at CRLF, or at a lone CR
 * (split_line below).
 */
#include "revision.h"

#include "alloc.h"
#include "buf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha2.h>

enum section { SEC_HEADER, SEC_UP, SEC_DOWN };

typedef struct parser {
	const char *path;
	vmig_revision *rev;
	enum section sec;
	int line;
	const char *up_start, *up_end;     /* byte range of the up SQL */
	const char *down_start, *down_end; /* byte range of the down SQL, if any */
	int seen_revision, seen_parents, seen_message, seen_transaction;
	vmig_error *err;
} parser;

static const char *const known_directives =
    "revision, down_revision, message, transaction, up, down";

/* How many bytes of a bad value a message repeats. */
#define MAX_QUOTED 80

/*
 * The line that starts at s (s < end): returns its length without its line
 * end, and sets *next to the start of the next line, past the LF, CRLF or
 * lone CR that ends it (or to end, for a last line without one).
 */
static size_t split_line(const char *s, const char *end, const char **next)
{
	const char *p = s;
	while (p < end && *p != '\n' && *p != '\r')
		p++;
	size_t len = (size_t)(p - s);
	if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n')
		p += 2;
	else if (p < end)
		p++;
	*next = p;
	return len;
}

/* How many line ends text[0..len) has that end at or before offset. */
static int line_ends_before(const char *text, size_t len, size_t offset)
{
	const char *s = text, *end = text + len, *next;
	int count = 0;
	while (s < end) {
		size_t line_len = split_line(s, end, &next);
		bool ended = (size_t)(next - s) > line_len;
		if (!ended || (size_t)(next - text) > offset)
			break;
		count++;
		s = next;
	}
	return count;
}

/* The n bytes at s as a message quotes them (control bytes escaped); kept in *scratch. */
static const char *quoted(vmig_buf *scratch, const char *s, size_t n)
{
	vmig_buf_reset(scratch);
	vmig_buf_put_escaped(scratch, s, n > MAX_QUOTED ? MAX_QUOTED : n);
	if (n > MAX_QUOTED)
		vmig_buf_puts(scratch, "...");
	return vmig_buf_str(scratch);
}

bool vmig_revision_id_valid(const char *s)
{
	size_t n = 0;
	if (!s || !isalnum((unsigned char)s[0]))
		return false;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_')
			return false;
	return n <= VMIG_ID_MAX;
}

static int fail_at(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail_at(parser *p, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return vmig_fail(p->err, VMIG_ERR_INPUT, "%s:%d: %s", p->path, p->line, what);
}

/*
 * If line (without its end-of-line) is a directive, sets name and value (value
 * trimmed) and returns true.  `--vmig:x` and `--  vmig:x` count as directives
 * too, so that they are checked rather than taken for comments.
 */
static bool parse_directive(const char *s, size_t len, char *name, size_t namesz,
                            const char **value, size_t *value_len)
{
	const char *end = s + len;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (end - s < 2 || s[0] != '-' || s[1] != '-')
		return false;
	s += 2;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (end - s < 5 || memcmp(s, "vmig:", 5) != 0)
		return false;
	s += 5;
	size_t n = 0;
	while (s < end && !isspace((unsigned char)*s)) {
		if (n + 1 < namesz)
			name[n++] = *s;
		s++;
	}
	name[n] = '\0';
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*value = s;
	*value_len = (size_t)(end - s);
	return true;
}

static int set_id(parser *p, const char *value, size_t len)
{
	char id[VMIG_ID_MAX + 2];
	if (len == 0)
		return fail_at(
		    p, "-- vmig:revision needs an id, e.g. `-- vmig:revision 3f2a9c1e7b10`");
	if (len > VMIG_ID_MAX)
		return fail_at(p, "revision id is longer than 64 characters");
	memcpy(id, value, len);
	id[len] = '\0';
	if (!vmig_revision_id_valid(id)) {
		vmig_buf scratch = {0};
		int rc = fail_at(p,
		                 "invalid revision id \"%s\": use 1-64 letters, digits and '_', "
		                 "starting with a letter or digit",
		                 quoted(&scratch, value, len));
		vmig_buf_free(&scratch);
		return rc;
	}
	p->rev->id = xstrdup(id);
	return VMIG_OK;
}

static int set_parents(parser *p, const char *pos, size_t len)
{
	const char *end = pos + len;
	p->rev->parents_line = p->line;
	while (pos < end) {
		while (pos < end && isspace((unsigned char)*pos))
			pos++;
		const char *word = pos;
		while (pos < end && !isspace((unsigned char)*pos))
			pos++;
		if (pos == word)
			break;
		char *id = xstrndup(word, (size_t)(pos - word));
		if (!vmig_revision_id_valid(id)) {
			vmig_buf scratch = {0};
			int rc = fail_at(p,
			                 "invalid parent id \"%s\" in -- vmig:down_revision: list "
			                 "parent ids separated by spaces",
			                 quoted(&scratch, word, (size_t)(pos - word)));
			vmig_buf_free(&scratch);
			free(id);
			return rc;
		}
		for (size_t i = 0; i < p->rev->nparents; i++) {
			if (strcmp(p->rev->parents[i], id) == 0) {
				int rc = fail_at(p, "parent \"%s\" is listed twice", id);
				free(id);
				return rc;
			}
		}
		p->rev->parents =
		    xrealloc(p->rev->parents, (p->rev->nparents + 1) * sizeof(char *));
		p->rev->parents[p->rev->nparents++] = id;
	}
	return VMIG_OK;
}

static int header_directive(parser *p, const char *name, const char *value, size_t len)
{
	int *seen;
	if (strcmp(name, "revision") == 0)
		seen = &p->seen_revision;
	else if (strcmp(name, "down_revision") == 0)
		seen = &p->seen_parents;
	else if (strcmp(name, "message") == 0)
		seen = &p->seen_message;
	else
		seen = &p->seen_transaction;
	if (p->sec != SEC_HEADER)
		return fail_at(p, "-- vmig:%s must come before -- vmig:up", name);
	if (*seen)
		return fail_at(p, "-- vmig:%s is given twice; keep one", name);
	*seen = 1;
	if (seen == &p->seen_revision)
		return set_id(p, value, len);
	if (seen == &p->seen_parents)
		return set_parents(p, value, len);
	if (seen == &p->seen_message) {
		/* The message is printed by status, history and show: a control
		 * byte (an escape sequence, say) would reach the terminal. */
		for (size_t i = 0; i < len; i++)
			if (((unsigned char)value[i] < 0x20 && value[i] != '\t') ||
			    value[i] == 0x7f) {
				vmig_buf shown = {0};
				vmig_buf_put_escaped(&shown, value, len);
				int rc = fail_at(p,
				                 "-- vmig:message holds a control byte (\"%s\"); "
				                 "remove it",
				                 vmig_buf_str(&shown));
				vmig_buf_free(&shown);
				return rc;
			}
		p->rev->message = xstrndup(value, len);
		return VMIG_OK;
	}
	if (len == 2 && memcmp(value, "on", 2) == 0)
		p->rev->transactional = true;
	else if (len == 3 && memcmp(value, "off", 3) == 0)
		p->rev->transactional = false;
	else
		return fail_at(p, "-- vmig:transaction takes `on` or `off`");
	return VMIG_OK;
}

static int section_directive(parser *p, const char *name, size_t vlen, const char *line_start,
                             const char *next_line)
{
	bool up = strcmp(name, "up") == 0;
	if (vlen)
		return fail_at(p, "-- vmig:%s takes no value; put the SQL on the lines after it",
		               name);
	if (up && p->sec != SEC_HEADER)
		return fail_at(p, "-- vmig:up %s%s",
		               p->sec == SEC_UP ? "is given twice; keep one"
		                                : "must come before -- vmig:down",
		               "");
	if (!up && p->sec == SEC_HEADER)
		return fail_at(p, "-- vmig:down must come after -- vmig:up");
	if (!up && p->sec == SEC_DOWN)
		return fail_at(p, "-- vmig:down is given twice; keep one");
	if (up) {
		p->sec = SEC_UP;
		p->up_start = next_line;
		p->rev->up_line = p->line + 1;
	} else {
		p->up_end = line_start;
		p->sec = SEC_DOWN;
		p->down_start = next_line;
		p->rev->down_line = p->line + 1;
	}
	return VMIG_OK;
}

static bool is_blank_or_comment(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	return i == len || (len - i >= 2 && s[i] == '-' && s[i + 1] == '-');
}

/* One line, without its line end; next is where the next line starts. */
static int parse_line(parser *p, const char *s, size_t len, const char *next)
{
	char name[32];
	const char *v;
	size_t vlen;
	if (!parse_directive(s, len, name, sizeof name, &v, &vlen)) {
		if (p->sec == SEC_HEADER && !is_blank_or_comment(s, len))
			return fail_at(p, "SQL before -- vmig:up; only comments and directives may "
			                  "stand before it: add a `-- vmig:up` line above the SQL");
		return VMIG_OK;
	}
	if (strcmp(name, "up") == 0 || strcmp(name, "down") == 0)
		return section_directive(p, name, vlen, s, next);
	if (strcmp(name, "revision") == 0 || strcmp(name, "down_revision") == 0 ||
	    strcmp(name, "message") == 0 || strcmp(name, "transaction") == 0)
		return header_directive(p, name, v, vlen);
	/* `vmig lint`'s comments (src/lint.c): SQL comments of the up and down sections. */
	if (strcmp(name, "lint-ignore") == 0 && p->sec != SEC_HEADER)
		return VMIG_OK;
	vmig_buf scratch = {0};
	int rc = fail_at(p, "unknown directive -- vmig:%s (known: %s)",
	                 quoted(&scratch, name, strlen(name)), known_directives);
	vmig_buf_free(&scratch);
	return rc;
}

static int finish(parser *p, const char *end)
{
	vmig_revision *r = p->rev;
	p->line = 1;
	if (!p->seen_revision)
		return fail_at(p, "no -- vmig:revision line; every migration file needs one");
	if (p->sec == SEC_HEADER)
		return fail_at(p,
		               "no -- vmig:up line; put the upgrade SQL after a `-- vmig:up` line");
	if (p->sec == SEC_UP)
		p->up_end = end;
	else
		p->down_end = end;
	r->up_sql = xstrndup(p->up_start, (size_t)(p->up_end - p->up_start));
	if (p->down_start)
		r->down_sql = xstrndup(p->down_start, (size_t)(p->down_end - p->down_start));
	if (!r->message)
		r->message = xstrdup("");
	return VMIG_OK;
}

int vmig_revision_parse(const char *path, const char *text, size_t len, vmig_revision *out,
                        vmig_error *err)
{
	parser p = {.path = path, .rev = out, .sec = SEC_HEADER, .err = err};
	const char *s = text, *end = text + len;
	memset(out, 0, sizeof *out);
	out->transactional = true;
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	int rc = VMIG_OK;
	while (s < end && rc == VMIG_OK) {
		const char *next;
		size_t line_len = split_line(s, end, &next);
		p.line++;
		rc = parse_line(&p, s, line_len, next);
		s = next;
	}
	const char *nul = rc == VMIG_OK ? memchr(text, '\0', len) : NULL;
	if (nul) {
		int line = 1 + line_ends_before(text, len, (size_t)(nul - text));
		rc = vmig_fail(err, VMIG_ERR_INPUT,
		               "%s:%d: contains a NUL byte; is it a text file? Migration files are "
		               "SQL text",
		               path, line);
	}
	if (rc == VMIG_OK)
		rc = finish(&p, end);
	if (rc != VMIG_OK) {
		vmig_revision_free(out);
		return rc;
	}
	out->path = xstrdup(path);
	return VMIG_OK;
}

int vmig_revision_read(const char *path, vmig_buf *buf, vmig_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmig_fail(err, VMIG_ERR_INPUT, "%s: cannot read: %s", path, strerror(errno));
	vmig_cleanup on_oom;
	vmig_oom_defer(&on_oom, vmig_cleanup_close_fd, &fd);
	vmig_buf_reset(buf);
	for (;;) {
		if (buf->cap - buf->len < 4096) {
			size_t cap = buf->cap ? buf->cap * 2 : 16384;
			buf->data = xrealloc(buf->data, cap);
			buf->cap = cap;
		}
		size_t room = buf->cap - buf->len - 1;
		ssize_t r = read(fd, buf->data + buf->len, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			vmig_oom_undefer(&on_oom);
			close(fd);
			return vmig_fail(err, VMIG_ERR_INPUT, "%s: cannot read: %s", path,
			                 strerror(e));
		}
		buf->len += (size_t)r;
		buf->data[buf->len] = '\0';
		/* A short read of a regular file means end of file: saves a read() per file. */
		if ((size_t)r < room)
			break;
	}
	vmig_oom_undefer(&on_oom);
	close(fd);
	return VMIG_OK;
}

int vmig_revision_load(const char *path, vmig_revision *out, vmig_error *err)
{
	vmig_buf buf = {0};
	memset(out, 0, sizeof *out);
	int rc = vmig_revision_read(path, &buf, err);
	if (rc == VMIG_OK)
		rc = vmig_revision_parse(path, vmig_buf_str(&buf), buf.len, out, err);
	vmig_buf_free(&buf);
	return rc;
}

void vmig_revision_free(vmig_revision *rev)
{
	free(rev->id);
	for (size_t i = 0; i < rev->nparents; i++)
		free(rev->parents[i]);
	free(rev->parents);
	free(rev->message);
	free(rev->up_sql);
	free(rev->down_sql);
	free(rev->path);
	memset(rev, 0, sizeof *rev);
}

/* Appends norm(s) to b: see vmig_checksum in revision.h. */
void vmig_text_normalize(vmig_buf *b, const char *s)
{
	size_t start = b->len;
	const char *end = s + strlen(s), *next;
	if (end - s >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (s < end) {
		size_t line_len = split_line(s, end, &next);
		size_t keep = line_len;
		while (keep && (s[keep - 1] == ' ' || s[keep - 1] == '\t' || s[keep - 1] == '\f' ||
		                s[keep - 1] == '\v'))
			keep--;
		vmig_buf_add(b, s, keep);
		bool ended = (size_t)(next - s) > line_len;
		s = next;
		if (!ended)
			break;
		vmig_buf_putc(b, '\n');
	}
	while (b->len > start && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
}

const char *vmig_revision_checksum(const vmig_revision *rev)
{
	/* Computed on first use: a no-op `up` never needs it. The cache is not
	 * part of the revision's value, hence the cast. */
	vmig_revision *r = (vmig_revision *)rev;
	if (!r->checksum[0])
		vmig_checksum(r->up_sql, r->down_sql, r->checksum);
	return r->checksum;
}

void vmig_sha256_hex(const void *data, size_t len, char *out, size_t nhex)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_SIZE];
	/* nettle's digest allocates nothing and cannot fail (OpenSSL's, used
	 * before, could, and an empty checksum was then recorded). */
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, len, len ? data : (const void *)"");
	sha256_digest(&ctx, sizeof md, md);
	size_t i = 0;
	for (; i < nhex && i / 2 < sizeof md; i++)
		out[i] = hex[i % 2 ? md[i / 2] & 15 : md[i / 2] >> 4];
	out[i] = '\0';
}

void vmig_checksum(const char *up_sql, const char *down_sql, char out[VMIG_CHECKSUM_HEX])
{
	vmig_buf b = {0};
	vmig_text_normalize(&b, up_sql ? up_sql : "");
	if (down_sql) {
		vmig_buf_puts(&b, "\n-- vmig:down\n");
		vmig_text_normalize(&b, down_sql);
	}
	vmig_sha256_hex(b.data, b.len, out, VMIG_CHECKSUM_HEX - 1);
	vmig_buf_free(&b);
}

int vmig_revision_line_at(const vmig_revision *rev, bool down, size_t offset)
{
	const char *sql = down ? rev->down_sql : rev->up_sql;
	int line = down ? rev->down_line : rev->up_line;
	if (!sql)
		return line;
	return line + line_ends_before(sql, strlen(sql), offset);
}

char *vmig_revision_slug(const char *message)
{
	vmig_buf b = {0};
	bool gap = false;
	for (const char *p = message; *p && b.len < 40; p++) {
		if (isalnum((unsigned char)*p)) {
			if (gap && b.len)
				vmig_buf_putc(&b, '_');
			vmig_buf_putc(&b, (char)tolower((unsigned char)*p));
			gap = false;
		} else {
			gap = true;
		}
	}
	return vmig_buf_detach(&b);
}
