#define _GNU_SOURCE /* strcasestr */
#include "url.h"

#include "alloc.h"
#include "buf.h"

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

/*
 * Appends s with the value of every parameter whose key ends in "password"
 * (password, sslpassword; any case, `key=value` or `key = 'value'`) replaced
 * by ***, for URL query strings and libpq's key=value strings alike.
 */
static void redact_params(vmig_buf *b, const char *s)
{
	const char *p = s;
	while ((p = strcasestr(p, "password")) != NULL) {
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
		vmig_buf_add(b, s, (size_t)(v - s));
		vmig_buf_puts(b, "***");
		if (*v == '\'' || *v == '"') {
			const char *close = strchr(v + 1, *v);
			v = close ? close + 1 : v + strlen(v);
		} else {
			v += strcspn(v, "& ");
		}
		s = p = v;
	}
	vmig_buf_puts(b, s);
}

bool vmig_url_password(const char *url, size_t *off, size_t *len)
{
	const char *sep = strstr(url, "://");
	if (!sep)
		return false;
	const char *auth = sep + 3;
	/* The userinfo ends at the last '@': a password written without
	 * percent-encoding may hold '@', '/', '?' or '#'.  An '@' in the query
	 * makes more than the password hidden, which is the safe mistake. */
	const char *at = strrchr(auth, '@');
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (!colon)
		return false;
	*off = (size_t)(colon + 1 - url);
	*len = (size_t)(at - colon - 1);
	return true;
}

char *vmig_url_redact(const char *url)
{
	vmig_buf b = {0};
	size_t off = 0, len = 0;
	if (vmig_url_password(url, &off, &len)) {
		vmig_buf_add(&b, url, off);
		vmig_buf_puts(&b, "***");
		off += len;
	}
	redact_params(&b, url + off);
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
