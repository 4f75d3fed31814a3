/*
 * buf.h - a growable byte buffer that is always NUL-terminated.
 *
 * Used for building SQL, paths and messages.  A zeroed vmig_buf is an empty
 * buffer; the caller owns `data` and releases it with vmig_buf_free() or takes
 * it with vmig_buf_detach().  Allocation failure unwinds (see alloc.h).
 */
#ifndef VMIG_BUF_H
#define VMIG_BUF_H

#include <stddef.h>

typedef struct vmig_buf {
	char *data; /* NULL while empty and never grown */
	size_t len;
	size_t cap;
} vmig_buf;

void vmig_buf_add(vmig_buf *b, const void *p, size_t n);
void vmig_buf_puts(vmig_buf *b, const char *s);
void vmig_buf_putc(vmig_buf *b, char c);
void vmig_buf_printf(vmig_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Appends the n bytes at p as a message may quote them: a control byte (below
 * 0x20, and 0x7f) is written escaped, as \t, \n, \r or \xNN (two lowercase
 * hex digits), so that a file's content can never move the cursor, clear the
 * screen or change colours when the message is shown on a terminal; every other
 * byte, invalid UTF-8 included, is written as it is.
 */
void vmig_buf_put_escaped(vmig_buf *b, const void *p, size_t n);
void vmig_buf_reset(vmig_buf *b);
/* The contents ("" when empty); stays valid until the next change. */
const char *vmig_buf_str(const vmig_buf *b);
/* Hands the string to the caller (who frees it) and leaves the buffer empty. */
char *vmig_buf_detach(vmig_buf *b);
void vmig_buf_free(vmig_buf *b);

#endif
