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

void vmig_lint_add(vmig_lint_findings *out, size_t offset, size_t stmt, const char *rule,
                   enum vmig_lint_severity severity, const char *safer, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Names in the message come from the file: their control bytes are escaped. */
	vmig_buf b = {0};
	vmig_buf_put_escaped(&b, msg, strlen(msg));
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
