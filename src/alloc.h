/*
 * alloc.h - allocation that cannot return NULL.
 *
 * Running out of memory is the one condition vmig does not turn into an error
 * value: every caller would only pass it up, and a migration runner that is
 * out of memory has nothing sensible left to do.  These wrappers print one
 * line and abort(), before any partial write can happen in the caller.
 */
#ifndef VMIG_ALLOC_H
#define VMIG_ALLOC_H

#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A newly allocated formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *array (of *cap elements of size elem) to hold at least need elements. */
void xgrow(void **array, size_t *cap, size_t need, size_t elem);
#define XGROW(arr, cap, need) xgrow((void **)&(arr), &(cap), (need), sizeof *(arr))

#endif
