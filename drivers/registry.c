/*
 * registry.c - the list of drivers and the choice of one by URL scheme.
 * A new driver is one more line in `drivers`.
 */
#include "driver.h"

#include "../src/buf.h"
#include "../src/url.h"

#include <stdlib.h>
#include <string.h>

static const vmig_driver *const drivers[] = {
	&vmig_postgres_driver,
	&vmig_sqlite_driver,
};

#define NDRIVERS (sizeof drivers / sizeof drivers[0])

const vmig_driver *vmig_driver_for_url(const char *url, vmig_error *err)
{
	const char *sep = strstr(url, "://");
	size_t len = sep ? (size_t)(sep - url) : 0;
	vmig_buf known = {0};
	for (size_t i = 0; i < NDRIVERS; i++)
		for (const char *const *s = drivers[i]->schemes; *s; s++) {
			if (len && strlen(*s) == len && strncmp(url, *s, len) == 0) {
				vmig_buf_free(&known);
				return drivers[i];
			}
			vmig_buf_printf(&known, "%s%s://", known.len ? ", " : "", *s);
		}
	char *shown = vmig_url_redact(url);
	vmig_fail(err, VMIG_ERR_INPUT, "database URL %s: unsupported scheme; vmig supports %s", shown,
		  vmig_buf_str(&known));
	free(shown);
	vmig_buf_free(&known);
	return NULL;
}
