#include "strlist.h"

#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void vmig_strlist_sort(char **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof *v, cmp_str);
}
