#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vmig_fail(vmig_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
		err->transient = 0;
		err->partial = 0;
	}
	return code;
}

void vmig_error_prefix(vmig_error *err, const char *fmt, ...)
{
	char prefix[1024];
	char old[VMIG_ERROR_MAX];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	/* Truncation is fine: the message is cut, never overrun. */
	size_t n = strlen(prefix);
	if (n + 2 >= sizeof err->msg)
		n = sizeof err->msg - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	size_t room = sizeof err->msg - n - 2;
	size_t olen = strnlen(old, room - 1);
	memcpy(err->msg + n + 2, old, olen);
	err->msg[n + 2 + olen] = '\0';
}

void vmig_error_append(vmig_error *err, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!err)
		return;
	len = strlen(err->msg);
	if (len + 2 >= sizeof err->msg)
		return;
	err->msg[len++] = '\n';
	va_start(ap, fmt);
	vsnprintf(err->msg + len, sizeof err->msg - len, fmt, ap);
	va_end(ap);
}

void vmig_error_clear(vmig_error *err)
{
	if (err) {
		err->code = VMIG_OK;
		err->transient = 0;
		err->partial = 0;
		err->msg[0] = '\0';
	}
}
