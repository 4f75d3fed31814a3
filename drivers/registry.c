/*
 * registry.c - the list of drivers and the choice of one by URL scheme.
 *
 * A driver is either built in (SQLite) or a module loaded with dlopen() when
 * its scheme is first used (PostgreSQL: libpq and its dependencies cost more
 * to load than a whole no-op run on SQLite).  A new driver is one more line in
 * `drivers`.
 */
/* dladdr() */
#define _GNU_SOURCE
#include "driver.h"

#include "../src/alloc.h"
#include "../src/buf.h"
#include "../src/subprocess.h"
#include "../src/url.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct driver_entry {
	const char *name;
	const char *const *schemes;
	const vmig_driver *builtin; /* NULL: load `module` */
	const char *module;
} driver_entry;

static const char *const pg_schemes[] = {"postgresql",          "postgres",
                                         "postgresql+asyncpg",  "postgresql+psycopg",
                                         "postgresql+psycopg2", NULL};
static const char *const sqlite_schemes[] = {"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite", NULL};

static const driver_entry drivers[] = {
    {"postgresql", pg_schemes, NULL, "vmig_postgres.so"},
    {"sqlite", sqlite_schemes, &vmig_sqlite_driver, NULL},
};

#define NDRIVERS (sizeof drivers / sizeof drivers[0])

/*
 * The folder of the shared library this code is in, when it is one (libvmig.so
 * used by a program installed anywhere); NULL when the code is linked into the
 * executable itself, whose folder is searched anyway.
 */
static char *library_dir(void)
{
	Dl_info info;
	if (!dladdr((void *)&vmig_driver_for_url, &info) || !info.dli_fname ||
	    info.dli_fname[0] != '/')
		return NULL;
	char lib[PATH_MAX], exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (!realpath(info.dli_fname, lib) || (n > 0 && (exe[n] = '\0', !strcmp(lib, exe))))
		return NULL;
	*strrchr(lib, '/') = '\0';
	return xstrdup(lib);
}

/*
 * Looks for the module in $VMIG_DRIVER_DIR, next to the executable (a build
 * tree), then in ../lib/vmig relative to it (an installed tree), then in vmig/
 * beside libvmig.so (where `cmake --install` puts both).
 */
static const vmig_driver *load_module(const driver_entry *e, vmig_error *err)
{
	char *dirs[4] = {0};
	const char *env = getenv("VMIG_DRIVER_DIR");
	char *exe = vmig_exe_dir();
	char *lib = library_dir();
	size_t nd = 0;
	if (env && *env)
		dirs[nd++] = xstrdup(env);
	if (exe) {
		dirs[nd++] = xstrdup(exe);
		dirs[nd++] = xasprintf("%s/%s", exe, VMIG_MODULE_RELDIR);
	}
	if (lib)
		dirs[nd++] = xasprintf("%s/vmig", lib);
	free(exe);
	free(lib);
	vmig_buf tried = {0};
	const vmig_driver *d = NULL;
	for (size_t i = 0; i < nd && !d; i++) {
		char *path = xasprintf("%s/%s", dirs[i], e->module);
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (h) {
			const vmig_driver *(*entry)(void) =
			    (const vmig_driver *(*)(void))dlsym(h, "vmig_driver_entry");
			d = entry ? entry() : NULL;
			if (!d)
				vmig_buf_printf(&tried, "\n  %s: no vmig_driver_entry", path);
		} else if (access(path, F_OK) == 0) {
			vmig_buf_printf(&tried, "\n  %s", dlerror());
		} else {
			vmig_buf_printf(&tried, "\n  %s: not found", path);
		}
		free(path);
	}
	for (size_t i = 0; i < nd; i++)
		free(dirs[i]);
	if (d && d->version != VMIG_DRIVER_VERSION) {
		vmig_fail(err, VMIG_ERR_RUNTIME,
		          "the %s driver module has interface version %d, this vmig needs %d; "
		          "install the module that came with this vmig",
		          e->name, d->version, VMIG_DRIVER_VERSION);
		d = NULL;
	} else if (!d) {
		vmig_fail(err, VMIG_ERR_RUNTIME,
		          "%s support is not available: cannot load %s (set VMIG_DRIVER_DIR to its "
		          "folder, or install it with vmig):%s",
		          e->name, e->module, vmig_buf_str(&tried));
	}
	vmig_buf_free(&tried);
	return d;
}

const vmig_driver *vmig_driver_for_url(const char *url, vmig_error *err)
{
	const char *sep = strstr(url, "://");
	size_t len = sep ? (size_t)(sep - url) : 0;
	vmig_buf known = {0};
	for (size_t i = 0; i < NDRIVERS; i++)
		for (const char *const *s = drivers[i].schemes; *s; s++) {
			if (len && strlen(*s) == len && strncmp(url, *s, len) == 0) {
				vmig_buf_free(&known);
				return drivers[i].builtin ? drivers[i].builtin
				                          : load_module(&drivers[i], err);
			}
			vmig_buf_printf(&known, "%s%s://", known.len ? ", " : "", *s);
		}
	char *redacted = vmig_url_redact(url);
	vmig_fail(err, VMIG_ERR_INPUT, "database URL %s: unsupported scheme; vmig supports %s",
	          redacted, vmig_buf_str(&known));
	free(redacted);
	vmig_buf_free(&known);
	return NULL;
}
