#define _GNU_SOURCE /* strcasestr */
#include "url.h"

#include "alloc.h"
#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

size_t vmig_url_scheme(const char *url, char *out, size_t outsz)
{
	const char *sep = strstr(url, "://");
	if (!sep || sep == url)
		return 0;
	size_t len = (size_t)(sep - url);
	const char *plus = memchr(url, '+', len);
	size_t base = plus ? (size_t)(plus - url) : len;
	if (out && outsz) {
		size_t n = base < outsz - 1 ? base : outsz - 1;
		memcpy(out, url, n);
		out[n] = '\0';
	}
	return len;
}

/* A byte range of a URL to be shown as "***". */
typedef struct span {
	size_t off, len;
} span;

#define MAX_SPANS 64

/* Whether url starts with "scheme://", the scheme as RFC 3986 spells one. */
static bool has_scheme(const char *url, const char **auth)
{
	const char *p = url;
	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '.' || *p == '-')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return false;
	*auth = p + 3;
	return true;
}

bool vmig_url_password(const char *url, size_t *off, size_t *len)
{
	const char *auth;
	if (!has_scheme(url, &auth))
		return false;
	/* The user name ends at the first ':' or '@'; only a ':' first starts a
	 * password.  The password ends at the LAST '@': written without
	 * percent-encoding it may hold '@', '/', '?' or '#'.  An '@' further on
	 * (in the query) makes more than the password hidden, the safe mistake. */
	size_t user = strcspn(auth, ":@");
	if (auth[user] != ':')
		return false;
	const char *at = strrchr(auth, '@');
	if (!at || at < auth + user)
		return false;
	*off = (size_t)(auth + user + 1 - url);
	*len = (size_t)(at - (auth + user + 1));
	return true;
}

/*
 * The value of every parameter whose key ends in "password" (password,
 * sslpassword; any case): in a URL, or after a '?', it runs to '&' or '#';
 * in libpq's key=value strings it is a quoted string or runs to white space.
 */
static size_t param_spans(const char *url, bool is_url, span *out, size_t n, size_t max)
{
	for (const char *p = url; n < max && (p = strcasestr(p, "password")) != NULL;) {
		const char *v = p + 8;
		while (*v == ' ')
			v++;
		if (*v != '=') {
			p += 8;
			continue;
		}
		v++;
		while (*v == ' ')
			v++;
		const char *e;
		/* In a query (after a '?') libpq reads the value to '&' or '#'. */
		if (is_url || memchr(url, '?', (size_t)(p - url)))
			e = v + strcspn(v, "&#");
		else if (*v == '\'' || *v == '"') {
			const char *close = strchr(v + 1, *v);
			e = close ? close + 1 : v + strlen(v);
		} else {
			e = v + strcspn(v, " \t\n");
		}
		/* The last slot: everything from here on is hidden. */
		if (n + 1 == max)
			e = v + strlen(v);
		out[n++] = (span){(size_t)(v - url), (size_t)(e - v)};
		p += 8; /* a value may hold another "password=": its spans merge */
	}
	return n;
}

static int span_cmp(const void *a, const void *b)
{
	const span *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

char *vmig_url_redact(const char *url)
{
	span spans[MAX_SPANS];
	size_t n = 0, off, len;
	const char *auth;
	bool is_url = has_scheme(url, &auth);
	if (vmig_url_password(url, &off, &len))
		spans[n++] = (span){off, len};
	n = param_spans(url, is_url, spans, n, MAX_SPANS);
	qsort(spans, n, sizeof *spans, span_cmp);
	/* Overlapping or touching spans become one "***". */
	vmig_buf b = {0};
	size_t at = 0;
	for (size_t i = 0; i < n;) {
		size_t start = spans[i].off, end = spans[i].off + spans[i].len;
		for (i++; i < n && spans[i].off <= end; i++)
			if (spans[i].off + spans[i].len > end)
				end = spans[i].off + spans[i].len;
		vmig_buf_add(&b, url + at, start - at);
		vmig_buf_puts(&b, "***");
		at = end;
	}
	vmig_buf_puts(&b, url + at);
	return vmig_buf_detach(&b);
}

int vmig_url_sqlite_path(const char *url, char **path, vmig_error *err)
{
	const char *sep = strstr(url, "://");
	*path = NULL;
	if (!sep) {
		char *redacted = vmig_url_redact(url);
		vmig_fail(err, VMIG_ERR_INPUT, "database URL %s is not a sqlite:// URL", redacted);
		free(redacted);
		return VMIG_ERR_INPUT;
	}
	const char *p = sep + 3;
	/* sqlite:///rel -> "/rel" after "://": the first slash ends the (empty) host. */
	const char *why = NULL;
	if (*p == '\0' || *p == '?') /* SQLAlchemy's sqlite:// is an in-memory database */
		why = "is an in-memory database, which cannot be migrated: use "
		      "sqlite:///relative.db or sqlite:////absolute.db";
	else if (*p != '/')
		why = "names a host, which SQLite does not have: use sqlite:///relative.db or "
		      "sqlite:////absolute.db";
	else if (p[1] == '\0' || p[1] == '?')
		why = "names no file, and an in-memory database cannot be migrated: use "
		      "sqlite:///relative.db or sqlite:////absolute.db";
	size_t n = why ? 0 : strcspn(p + 1, "?#");
	if (!why && ((n == 8 && strncmp(p + 1, ":memory:", 8) == 0) ||
	             strncmp(p + 1, "file::memory:", 13) == 0))
		why = "is an in-memory database, which cannot be migrated: use "
		      "sqlite:///relative.db or sqlite:////absolute.db";
	if (why) {
		char *redacted = vmig_url_redact(url);
		vmig_fail(err, VMIG_ERR_INPUT, "database URL %s %s", redacted, why);
		free(redacted);
		return VMIG_ERR_INPUT;
	}
	*path = xstrndup(p + 1, n);
	return VMIG_OK;
}
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) with %XX decoded.  Caller frees. */
static char *percent_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* Adds a secret, raw and decoded, to list (new strings). */
static void add_secret(char **list, size_t *n, const char *s, size_t len)
{
	if (len == 0 || *n + 2 > VMIG_URL_MAX_SECRETS)
		return;
	list[(*n)++] = xstrndup(s, len);
	char *dec = percent_decode(s, len);
	if (strcmp(dec, list[*n - 1]) != 0)
		list[(*n)++] = dec;
	else
		free(dec);
}

size_t vmig_url_secrets(const char *url, char *list[VMIG_URL_MAX_SECRETS])
{
	size_t n = 0, off, len;
	if (vmig_url_password(url, &off, &len)) {
		add_secret(list, &n, url + off, len);
		/* libpq ends the authority at '/', '?' or '#', and may then quote
		 * the password's first part as a port: that part is a secret too. */
		size_t head = strcspn(url + off, "/?#");
		if (head && head < len)
			add_secret(list, &n, url + off, head);
		/* libpq ends the userinfo at the first '@': each '@'-separated
		 * piece of a password holding '@' may be quoted on its own (the
		 * first as the password, the rest as the host). */
		const char *piece = url + off, *end = url + off + len;
		while (memchr(url + off, '@', len) && piece <= end) {
			const char *stop = memchr(piece, '@', (size_t)(end - piece));
			add_secret(list, &n, piece, (size_t)((stop ? stop : end) - piece));
			if (!stop)
				break;
			piece = stop + 1;
		}
	}
	for (const char *p = strcasestr(url, "password="); p; p = strcasestr(p + 1, "password=")) {
		const char *v = p + strlen("password=");
		add_secret(list, &n, v, strcspn(v, "&#"));
	}
	return n;
}

/* Replaces every occurrence of secret in b with "***".  A very short
 * password blots out more than itself: a garbled message beats a leak. */
static void scrub_one(vmig_buf *b, const char *secret)
{
	size_t slen = strlen(secret);
	if (!slen || !b->len)
		return;
	vmig_buf out = {0};
	const char *p = vmig_buf_str(b);
	for (const char *hit; (hit = strstr(p, secret)); p = hit + slen) {
		vmig_buf_add(&out, p, (size_t)(hit - p));
		vmig_buf_puts(&out, "***");
	}
	vmig_buf_puts(&out, p);
	vmig_buf_free(b);
	*b = out;
}

void vmig_url_scrub(vmig_buf *msg, const char *url)
{
	char *secrets[VMIG_URL_MAX_SECRETS];
	size_t n = vmig_url_secrets(url, secrets);
	for (size_t i = 0; i < n; i++) {
		scrub_one(msg, secrets[i]);
		free(secrets[i]);
	}
}
