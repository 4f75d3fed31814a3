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

/* Replaces the value of every `password=` query (or key=value) parameter. */
static void redact_params(vmig_buf *b, const char *s)
{
	while (*s) {
		const char *hit = strstr(s, "password=");
		if (!hit || (hit != s && hit[-1] != '?' && hit[-1] != '&' && hit[-1] != ' ')) {
			if (!hit) {
				vmig_buf_puts(b, s);
				return;
			}
			vmig_buf_add(b, s, (size_t)(hit - s) + 9);
			s = hit + 9;
			continue;
		}
		vmig_buf_add(b, s, (size_t)(hit - s) + 9);
		vmig_buf_puts(b, "***");
		s = hit + 9;
		s += strcspn(s, "& ");
	}
}

bool vmig_url_password(const char *url, size_t *off, size_t *len)
{
	const char *sep = strstr(url, "://");
	if (!sep)
		return false;
	const char *auth = sep + 3;
	size_t auth_len = strcspn(auth, "/?#");
	const char *at = NULL;
	/* The userinfo ends at the last '@' of the authority (a password may hold '@'). */
	for (const char *p = auth; p < auth + auth_len; p++)
		if (*p == '@')
			at = p;
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
	*path = xstrndup(p, strcspn(p, "?#"));
	return VMIG_OK;
}
