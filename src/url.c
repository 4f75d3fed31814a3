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
	if (!sep)
		return vmig_fail(err, VMIG_ERR_INPUT, "not a sqlite URL: %s", url);
	const char *p = sep + 3;
	/* sqlite:///rel -> "/rel" after "://": the first slash ends the (empty) host. */
	if (*p != '/' || p[1] == '\0' || p[1] == '?')
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "database URL %s names no file; an in-memory database cannot be "
		                 "migrated: use sqlite:///relative.db or sqlite:////absolute.db",
		                 url);
	p++;
	size_t n = strcspn(p, "?#");
	if ((n == 8 && strncmp(p, ":memory:", 8) == 0) || strncmp(p, "file::memory:", 13) == 0)
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "database URL %s is an in-memory database, which cannot be "
		                 "migrated: use sqlite:///relative.db or sqlite:////absolute.db",
		                 url);
	*path = xstrndup(p, n);
	return VMIG_OK;
}
