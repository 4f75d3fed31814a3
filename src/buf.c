#include "buf.h"

#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void grow(vmig_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void vmig_buf_add(vmig_buf *b, const void *p, size_t n)
{
	grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void vmig_buf_puts(vmig_buf *b, const char *s)
{
	vmig_buf_add(b, s, strlen(s));
}

void vmig_buf_putc(vmig_buf *b, char c)
{
	vmig_buf_add(b, &c, 1);
}

void vmig_buf_printf(vmig_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void vmig_buf_put_escaped(vmig_buf *b, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c != 0x7f) {
			vmig_buf_putc(b, (char)c);
		} else if (c == '\t' || c == '\n' || c == '\r') {
			char esc[2] = {'\\', c == '\t' ? 't' : c == '\n' ? 'n' : 'r'};
			vmig_buf_add(b, esc, 2);
		} else {
			char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
			vmig_buf_add(b, esc, 4);
		}
	}
}

void vmig_buf_reset(vmig_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

const char *vmig_buf_str(const vmig_buf *b)
{
	return b->data ? b->data : "";
}

char *vmig_buf_detach(vmig_buf *b)
{
	char *s = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void vmig_buf_free(vmig_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
