/*
 * lint_findings.c - the list of lint findings (lint.h), shared by the core
 * and the drivers' lint rules, the loadable PostgreSQL module's included.
 */
#include "lint.h"

#include "alloc.h"
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The length of the valid UTF-8 character at s[0, n) (1 for ASCII), or 0
 * when s does not start one (no overlong forms, surrogates or values past
 * U+10FFFF). */
static size_t utf8_char(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t k;
	unsigned min, cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		k = 2, min = 0x80, cp = c & 0x1Fu;
	else if ((c & 0xF0) == 0xE0)
		k = 3, min = 0x800, cp = c & 0x0Fu;
	else if ((c & 0xF8) == 0xF0)
		k = 4, min = 0x10000, cp = c & 0x07u;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t j = 1; j < k; j++) {
		if (((unsigned char)s[j] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | ((unsigned char)s[j] & 0x3Fu);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return k;
}

void vmig_lint_add(vmig_lint_findings *out, size_t offset, size_t stmt, const char *rule,
                   enum vmig_lint_severity severity, const char *safer, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	int full = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t n = strlen(msg);
	/* Cut short: without the last character when only part of it fits. */
	if (full >= (int)sizeof msg) {
		size_t lead = n;
		while (lead > 0 && ((unsigned char)msg[lead - 1] & 0xC0) == 0x80)
			lead--;
		if (lead > 0 && (unsigned char)msg[lead - 1] >= 0xC0 &&
		    utf8_char(msg + lead - 1, n - lead + 1) == 0)
			n = lead - 1;
	}
	/* Names in the message come from the file (and the parser's messages
	 * quote it): control bytes and bytes that are no UTF-8 are escaped. */
	vmig_buf b = {0};
	for (size_t i = 0; i < n;) {
		size_t k = utf8_char(msg + i, n - i);
		if (k > 1) {
			vmig_buf_add(&b, msg + i, k);
			i += k;
		} else if (k == 1) {
			vmig_buf_put_escaped(&b, msg + i, 1);
			i++;
		} else {
			vmig_buf_printf(&b, "\\x%02x", (unsigned char)msg[i]);
			i++;
		}
	}
	XGROW(out->items, out->cap, out->n + 1);
	out->items[out->n++] = (vmig_lint_finding){
	    .offset = offset,
	    .stmt = stmt,
	    .rule = xstrdup(rule),
	    .severity = severity,
	    .message = vmig_buf_detach(&b),
	    .safer = xstrdup(safer),
	};
}

void vmig_lint_findings_free(vmig_lint_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i].file);
		free(f->items[i].revision);
		free(f->items[i].rule);
		free(f->items[i].message);
		free(f->items[i].safer);
	}
	free(f->items);
	f->items = NULL;
	f->n = f->cap = 0;
}

size_t vmig_lint_errors(const vmig_lint_findings *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->items[i].severity == VMIG_LINT_ERROR;
	return n;
}
