/*
 * url.h - database URLs: which kind, and how to show one without its password.
 */
#ifndef VMIG_URL_H
#define VMIG_URL_H

#include "buf.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * The URL as it may be shown: the password of a `scheme://user:pass@host`
 * URL, and of a `password=` query parameter, replaced by `***`.  Caller frees.
 */
char *vmig_url_redact(const char *url);

/*
 * Where the password of a "scheme://user:pass@host" URL stands: sets *off
 * and *len (bytes into url) and returns true; false when it has none.
 */
bool vmig_url_password(const char *url, size_t *off, size_t *len);

/* The most password spellings vmig_url_secrets finds in one URL. */
#define VMIG_URL_MAX_SECRETS 8

/*
 * The passwords a URL carries (userinfo and `password=` parameters), as
 * written and percent-decoded, into list; returns how many.  They are what
 * vmig_url_scrub removes from a database's messages, which may quote parts
 * of a malformed URL.  The strings are new; the caller frees each.
 */
size_t vmig_url_secrets(const char *url, char *list[VMIG_URL_MAX_SECRETS]);

/* Replaces every occurrence of every secret of url in msg by "***". */
void vmig_url_scrub(struct vmig_buf *msg, const char *url);

/*
 * The scheme without a SQLAlchemy driver suffix, written to out:
 * "postgresql+asyncpg://..." gives "postgresql".  Returns the length of the
 * original scheme (up to "://"), or 0 when url has no "scheme://".
 */
size_t vmig_url_scheme(const char *url, char *out, size_t outsz);

/*
 * The file path of a sqlite URL: "sqlite:///rel.db" gives "rel.db",
 * "sqlite:////abs.db" gives "/abs.db"; query parameters are dropped.
 * Errors (VMIG_ERR_INPUT): no path (an in-memory database cannot be migrated).
 * *path is new; caller frees.
 */
int vmig_url_sqlite_path(const char *url, char **path, vmig_error *err);

#endif
