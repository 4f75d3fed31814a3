/*
 * pg_dump.c - a database's schema as SQL, read by PostgreSQL's own pg_dump
 * (`vmig import alembic --baseline`).
 *
 * pg_dump knows every kind of object and the order that creates them; vmig
 * only takes out what would change a vmig run beyond the schema: the SET
 * lines and the search_path it empties (they would stay in force for the
 * revisions after the baseline), its comments (they carry versions and
 * differ between machines) and psql meta-commands.  The password goes to
 * pg_dump in its environment, never on its command line.
 */
#include "pg_internal.h"

#include "../src/alloc.h"
#include "../src/subprocess.h"
#include "../src/url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int hex(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

static char *percent_decode(const char *s, size_t n)
{
	vmig_buf b = {0};
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			vmig_buf_putc(&b, (char)(hex(s[i + 1]) * 16 + hex(s[i + 2])));
			i += 2;
		} else {
			vmig_buf_putc(&b, s[i]);
		}
	}
	return vmig_buf_detach(&b);
}

/* A line that pg_dump writes between statements and vmig leaves out. */
static bool dropped(const char *line, size_t n)
{
	static const char *const prefixes[] = {"SET ", "SELECT pg_catalog.set_config(", "--", "\\"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (n >= strlen(prefixes[i]) &&
		    strncmp(line, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* pg_dump's output without what `dropped` names, at statement starts only
 * (a function body may hold such lines), blank lines folded. */
static void filter(const char *text, size_t len, vmig_buf *out)
{
	bool at_start = true, blank = true;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		const char *line = text + i;
		i += n + (nl ? 1 : 0);
		if (at_start && (n == 0 || dropped(line, n))) {
			if (n == 0 && !blank && out->len) {
				vmig_buf_putc(out, '\n');
				blank = true;
			}
			continue;
		}
		vmig_buf_add(out, line, n);
		vmig_buf_putc(out, '\n');
		blank = false;
		size_t end = n;
		while (end && (line[end - 1] == ' ' || line[end - 1] == '\r'))
			end--;
		at_start = end && line[end - 1] == ';';
	}
}

static int explain(const vmig_proc *p, const char *url, vmig_error *err)
{
	vmig_buf msg = {0};
	vmig_buf_put_escaped(&msg, vmig_buf_str(&p->err), p->err.len);
	vmig_url_scrub(&msg, url);
	int rc;
	if (strstr(vmig_buf_str(&p->err), "server version mismatch"))
		rc = vmig_fail(
		    err, VMIG_ERR_RUNTIME,
		    "pg_dump is older than the server, so it cannot read its schema: "
		    "install the PostgreSQL client of the server's major version (Debian: "
		    "postgresql-client-N) and put its pg_dump first on PATH (%s)",
		    vmig_buf_str(&msg));
	else
		rc = vmig_fail(err, VMIG_ERR_RUNTIME, "pg_dump failed (exit %d): %s", p->status,
		               vmig_buf_str(&msg));
	vmig_buf_free(&msg);
	return rc;
}

int pg_dump_schema(const char *url, const char *const *exclude, vmig_buf *out, vmig_error *err)
{
	char *plain = pg_libpq_url(url), *password = NULL;
	size_t off, n;
	if (vmig_url_password(plain, &off, &n)) {
		password = percent_decode(plain + off, n);
		/* "user:pass@" becomes "user@" */
		memmove(plain + off - 1, plain + off + n, strlen(plain + off + n) + 1);
	}
	size_t nex = 0;
	while (exclude && exclude[nex])
		nex++;
	const char **argv = xcalloc(nex + 8, sizeof *argv);
	char **owned = xcalloc(nex + 2, sizeof *owned);
	size_t a = 0;
	argv[a++] = "pg_dump";
	argv[a++] = "--schema-only";
	argv[a++] = "--no-owner";
	argv[a++] = "--no-privileges";
	for (size_t i = 0; i < nex; i++)
		argv[a++] = owned[i] = xasprintf("--exclude-table=%s", exclude[i]);
	argv[a++] = owned[nex] = xasprintf("--dbname=%s", plain);
	char *pw_env = password ? xasprintf("PGPASSWORD=%s", password) : NULL;
	const char *env[] = {pw_env, NULL};
	vmig_proc p;
	int rc = vmig_proc_run(argv, env, &p, err);
	if (rc && p.not_found)
		rc =
		    vmig_fail(err, VMIG_ERR_RUNTIME,
		              "pg_dump is not on PATH; it reads the baseline's schema: install the "
		              "PostgreSQL client (Debian: apt-get install postgresql-client)");
	else if (rc == VMIG_OK && p.status != 0)
		rc = explain(&p, url, err);
	else if (rc == VMIG_OK)
		filter(vmig_buf_str(&p.out), p.out.len, out);
	vmig_proc_free(&p);
	for (size_t i = 0; i <= nex; i++)
		free(owned[i]);
	free(owned);
	free(argv);
	free(pw_env);
	free(password);
	free(plain);
	return rc;
}
