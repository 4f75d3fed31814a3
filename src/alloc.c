#include "alloc.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static _Thread_local vmig_oom_frame *innermost;

void vmig_oom_enter(vmig_oom_frame *frame)
{
	frame->outer = innermost;
	frame->cleanups = NULL;
	innermost = frame;
}

void vmig_oom_leave(vmig_oom_frame *frame)
{
	/* What is still held outlives this frame: the outer frame, if any,
	 * releases it now, so that no cleanup points at a frame that is gone. */
	vmig_cleanup *c = frame->cleanups;
	while (c) {
		vmig_cleanup *next = c->next;
		c->frame = frame->outer;
		c->next = frame->outer ? frame->outer->cleanups : NULL;
		if (frame->outer)
			frame->outer->cleanups = c;
		c = next;
	}
	frame->cleanups = NULL;
	/* Frames nest: leaving one also leaves any a longjmp skipped over. */
	innermost = frame->outer;
}

void vmig_oom_defer(vmig_cleanup *c, void (*fn)(void *arg), void *arg)
{
	c->fn = fn;
	c->arg = arg;
	c->frame = innermost;
	c->next = NULL;
	if (innermost) {
		c->next = innermost->cleanups;
		innermost->cleanups = c;
	}
}

void vmig_oom_undefer(vmig_cleanup *c)
{
	if (!c->frame)
		return;
	for (vmig_cleanup **at = &c->frame->cleanups; *at; at = &(*at)->next)
		if (*at == c) {
			*at = c->next;
			break;
		}
	c->frame = NULL;
}

void vmig_cleanup_closedir(void *dir)
{
	closedir(dir);
}

void vmig_cleanup_fclose(void *file)
{
	fclose(file);
}

void vmig_cleanup_close_fd(void *fd)
{
	close(*(int *)fd);
}

/* Out of memory: release what the innermost frame registered, go back to it. */
_Noreturn void vmig_out_of_memory(void)
{
	vmig_oom_frame *f = innermost;
	if (!f)
		abort();
	innermost = f->outer;
	for (vmig_cleanup *c = f->cleanups; c; c = c->next) {
		c->frame = NULL;
		c->fn(c->arg);
	}
	f->cleanups = NULL;
	longjmp(f->jmp, 1);
}

static void *check(void *p)
{
	if (!p)
		vmig_out_of_memory();
	return p;
}

void *xmalloc(size_t n)
{
	return check(malloc(n ? n : 1));
}

void *xcalloc(size_t count, size_t size)
{
	return check(calloc(count ? count : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return check(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return check(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return check(strndup(s, n));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	return s;
}

void xgrow(void **array, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	*array = xrealloc(*array, c * elem);
	*cap = c;
}
