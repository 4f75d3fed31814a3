#include "targets.h"

#include "alloc.h"
#include "buf.h"
#include "revision.h"
#include "url.h"

#include <stdlib.h>
#include <string.h>

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void add(vmig_target_list *out, char *url, unsigned line)
{
	if (out->n == out->cap) {
		size_t cap = out->cap;
		XGROW(out->urls, cap, out->n + 1);
		out->lines = xrealloc(out->lines, cap * sizeof *out->lines);
		out->cap = cap;
	}
	out->urls[out->n] = url;
	out->lines[out->n++] = line;
}

/* One line, without its newline: VMIG_OK with *url NULL when it holds none. */
static int parse_line(const char *path, unsigned line, const char *s, size_t len,
                      vmig_env_lookup_fn *lookup, void *ctx, char **url, vmig_error *err)
{
	*url = NULL;
	while (len && blank(*s))
		s++, len--;
	while (len && blank(s[len - 1]))
		len--;
	if (!len || *s == '#')
		return VMIG_OK;
	if (memchr(s, '\0', len))
		return vmig_fail(err, VMIG_ERR_INPUT, "%s:%u: a NUL byte; the file must be text",
		                 path, line);
	for (size_t i = 0; i < len; i++)
		if (blank(s[i]))
			return vmig_fail(err, VMIG_ERR_INPUT,
			                 "%s:%u: a space inside the line; give one URL per line, "
			                 "with comments on lines of their own (starting with #)",
			                 path, line);
	char *expanded;
	size_t at;
	if (vmig_env_expand(s, len, lookup, ctx, &expanded, NULL, &at, err)) {
		vmig_error_prefix(err, "%s:%u", path, line);
		return err->code;
	}
	if (!vmig_url_scheme(expanded, NULL, 0)) {
		/* Not shown: what is no URL cannot be redacted, and may hold a
		 * password (a URL with a slash missing, a variable's value). */
		free(expanded);
		return vmig_fail(
		    err, VMIG_ERR_INPUT,
		    "%s:%u: not a database URL (no scheme://); give one per line, such "
		    "as postgresql://user@host/db or sqlite:///path/app.db",
		    path, line);
	}
	*url = expanded;
	return VMIG_OK;
}

int vmig_targets_parse(const char *path, const char *text, size_t len, vmig_env_lookup_fn *lookup,
                       void *ctx, vmig_target_list *out, vmig_error *err)
{
	size_t first = out->n;
	unsigned line = 0;
	int rc = VMIG_OK;
	for (size_t at = 0; rc == VMIG_OK && at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;
		char *url;
		line++;
		rc = parse_line(path, line, text + at, end - at, lookup, ctx, &url, err);
		at = end + 1;
		if (rc || !url)
			continue;
		/* The URL is not shown: only a well-formed one could be redacted. */
		for (size_t i = first; i < out->n && !rc; i++)
			if (strcmp(out->urls[i], url) == 0)
				rc = vmig_fail(
				    err, VMIG_ERR_INPUT,
				    "%s:%u: the same URL as on line %u; give each database once",
				    path, line, out->lines[i]);
		if (rc)
			free(url);
		else
			add(out, url, line);
	}
	if (rc == VMIG_OK && out->n == first)
		rc = vmig_fail(err, VMIG_ERR_INPUT,
		               "%s: no database URL in it; give one per line (# starts a comment)",
		               path);
	if (rc && first == 0) {
		/* Nothing of the caller's in it: it is left as empty as it came. */
		vmig_target_list_free(out);
	} else if (rc) {
		for (size_t i = first; i < out->n; i++)
			free(out->urls[i]);
		out->n = first;
	}
	return rc;
}

int vmig_targets_read(const char *path, vmig_target_list *out, vmig_error *err)
{
	vmig_buf text = {0};
	int rc = vmig_revision_read(path, &text, err);
	if (rc == VMIG_OK)
		rc = vmig_targets_parse(path, text.data ? text.data : "", text.len, NULL, NULL, out,
		                        err);
	vmig_buf_free(&text);
	return rc;
}

void vmig_target_list_free(vmig_target_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->urls[i]);
	free(list->urls);
	free(list->lines);
	*list = (vmig_target_list){0};
}
