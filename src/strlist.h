/*
 * strlist.h - arrays of C strings (char **, with a count).
 */
#ifndef VMIG_STRLIST_H
#define VMIG_STRLIST_H

#include <stddef.h>

/* Sorts the n strings at v in strcmp (byte) order: the order every listing of
 * vmig's is shown and compared in, whatever the locale. */
void vmig_strlist_sort(char **v, size_t n);

#endif
