/*
 * fuzz_url.c - database URL parsing and redaction (src/url.h).
 *
 * Beyond crashes, two properties of vmig_url_redact:
 *  - the password that vmig_url_password finds is not in the redacted URL
 *    (when it is long enough to tell and occurs nowhere else in the URL);
 *  - no part of the value of a `password=` query parameter is in it either.
 * And vmig_url_sqlite_path's errors, which are shown, hold no password.
 * A violation aborts, so that libFuzzer reports it with the input.
 */
#define _GNU_SOURCE /* memmem, strcasestr */
#include "url.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Below this a password may well be in the URL by chance ("***", "@h"). */
#define MIN_SECRET 4

static void violated(const char *what, const char *url, const char *redacted)
{
	fprintf(stderr, "fuzz_url: property violated: %s\n  url:      %s\n  redacted: %s\n", what,
	        url, redacted ? redacted : "(null)");
	abort();
}

static size_t count_occurrences(const char *hay, size_t haylen, const char *needle, size_t n)
{
	size_t count = 0;
	const char *p = hay, *end = hay + haylen;
	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), needle, n);
		if (!hit)
			break;
		count++;
		p = hit + 1;
	}
	return count;
}

/* A secret the redacted URL must not hold: long enough, unique in the URL,
 * and free of the characters the redaction itself writes. */
static int is_checkable(const char *url, const char *secret, size_t n)
{
	if (n < MIN_SECRET || memchr(secret, '*', n))
		return 0;
	return count_occurrences(url, strlen(url), secret, n) == 1;
}

static void check_userinfo_password(const char *url, const char *redacted)
{
	size_t off = 0, len = 0;
	if (!vmig_url_password(url, &off, &len))
		return;
	size_t ulen = strlen(url);
	if (off > ulen || len > ulen - off)
		violated("vmig_url_password is out of range", url, redacted);
	if (is_checkable(url, url + off, len) && memmem(redacted, strlen(redacted), url + off, len))
		violated("the userinfo password survives redaction", url, redacted);
}

/*
 * Every `password=VALUE` parameter after the first '?', VALUE running to the
 * next '&' or '#' (as libpq reads a URI's query), spaces around it aside.
 * No part of it may survive: every MIN_SECRET-byte piece of it that occurs
 * once in the URL must be gone from the redacted one.
 */
static void check_query_passwords(const char *url, const char *redacted)
{
	const char *q = strchr(url, '?');
	if (!q)
		return;
	const char *end = q + strcspn(q, "#");
	for (const char *p = q + 1; p < end;) {
		size_t item = strcspn(p, "&#");
		const char *eq = memchr(p, '=', item);
		if (eq && eq - p == 8 && strncasecmp(p, "password", 8) == 0) {
			const char *v = eq + 1, *vend = p + item;
			while (v < vend && *v == ' ')
				v++;
			while (vend > v && vend[-1] == ' ')
				vend--;
			for (const char *w = v; w + MIN_SECRET <= vend; w++) {
				if (is_checkable(url, w, MIN_SECRET) &&
				    memmem(redacted, strlen(redacted), w, MIN_SECRET)) {
					fprintf(stderr, "fuzz_url: the value: %.*s\n",
					        (int)(vend - v), v);
					violated("part of a password= parameter survives redaction",
					         url, redacted);
				}
			}
		}
		p += item + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* URLs are C strings: the input up to its first NUL. */
	char *url = malloc(size + 1);
	if (!url)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';

	char *redacted = vmig_url_redact(url);
	if (!redacted)
		violated("vmig_url_redact returned NULL", url, NULL);
	check_userinfo_password(url, redacted);
	check_query_passwords(url, redacted);

	char scheme[32] = "";
	size_t slen = vmig_url_scheme(url, scheme, sizeof scheme);
	if (slen > strlen(url) || strlen(scheme) > slen)
		violated("vmig_url_scheme is out of range", url, redacted);
	(void)vmig_url_scheme(url, NULL, 0);
	(void)vmig_url_scheme(url, scheme, 1);

	char *path = NULL;
	vmig_error err = {0};
	if (vmig_url_sqlite_path(url, &path, &err) == VMIG_OK) {
		if (!path || strlen(path) > strlen(url))
			violated("vmig_url_sqlite_path gave no path or a longer one", url,
			         redacted);
	} else if (path || !err.msg[0]) {
		violated("a failed vmig_url_sqlite_path left a path or no message", url, redacted);
	} else if (strcmp(scheme, "sqlite") == 0) {
		/* Errors are output too: no password in them either. */
		size_t off = 0, len = 0;
		if (vmig_url_password(url, &off, &len) && is_checkable(url, url + off, len) &&
		    memmem(err.msg, strlen(err.msg), url + off, len))
			violated("vmig_url_sqlite_path's error shows the password", url, err.msg);
	}
	free(path);
	free(redacted);
	free(url);
	return 0;
}
