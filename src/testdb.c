/*
 * testdb.c - create, drop and test databases (see testdb.h).
 */
#include "testdb.h"

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "db.h"
#include "runner.h"
#include "url.h"
#include "version_table.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HASH_HEX 12
#define RAND_HEX 8

/* The server of a URL, through its driver. */
typedef struct server {
	const vmig_server_ops *ops;
	vmig_server *s;
	char *base;          /* the URL's database name, before its suffix */
	const char *suffix;  /* ".db" for SQLite, "" for PostgreSQL (borrowed from s) */
	vmig_cleanup on_oom; /* closes s (and so its locks) if memory runs out */
} server;

static void close_on_oom(void *arg)
{
	server *sv = arg;
	sv->ops->close(sv->s);
}

static int server_open(const vmig_config *cfg, const char *url, server *sv, vmig_error *err)
{
	memset(sv, 0, sizeof *sv);
	if (!url)
		return vmig_fail(
		    err, VMIG_ERR_INPUT,
		    "no database URL: set database_url in vmig.yaml, set $DATABASE_URL, "
		    "or pass -d URL");
	const vmig_driver *d = vmig_driver_for_url(url, err);
	if (!d)
		return err->code;
	if (!d->server)
		return vmig_fail(err, VMIG_ERR_INPUT, "the %s driver cannot create databases",
		                 d->name);
	sv->ops = d->server;
	int rc = sv->ops->open(url, cfg->lock_timeout, &sv->s, err);
	if (rc)
		return rc;
	vmig_oom_defer(&sv->on_oom, close_on_oom, sv);
	size_t stem;
	const char *name = sv->ops->name(sv->s, &stem);
	sv->base = xstrndup(name, stem);
	sv->suffix = name + stem;
	return VMIG_OK;
}

static void server_close(server *sv)
{
	vmig_oom_undefer(&sv->on_oom);
	if (sv->ops)
		sv->ops->close(sv->s);
	free(sv->base);
	memset(sv, 0, sizeof *sv);
}

/* How much of the base every name keeps: the same for every kind, cut so
 * that the longest name fits the server (and a prefix finds them all). */
static int base_len(const server *sv)
{
	size_t fixed = strlen("_vmig_x_") + HASH_HEX + 1 + RAND_HEX + strlen(sv->suffix);
	size_t room = sv->ops->max_name > fixed ? sv->ops->max_name - fixed : 1;
	return (int)(strlen(sv->base) < room ? strlen(sv->base) : room);
}

/* "<base>_vmig_<kind>_<hash>[_<rand>]<suffix>". */
static char *name_for(const server *sv, char kind, const char *hash, const char *rand_part)
{
	return xasprintf("%.*s_vmig_%c_%s%s%s%s", base_len(sv), sv->base, kind, hash,
	                 rand_part ? "_" : "", rand_part ? rand_part : "", sv->suffix);
}

/* What every name of a kind and hash starts with ("<base>_vmig_p_<hash>_");
 * kind 0: of every name vmig made for the base ("<base>_vmig_"). */
static char *prefix_for(const server *sv, char kind, const char *hash)
{
	if (!kind)
		return xasprintf("%.*s_vmig_", base_len(sv), sv->base);
	return xasprintf("%.*s_vmig_%c_%s_", base_len(sv), sv->base, kind, hash);
}

static int random_hex(char out[RAND_HEX + 1], vmig_error *err)
{
	unsigned char raw[RAND_HEX / 2];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && read(fd, raw, sizeof raw) == (ssize_t)sizeof raw;
	if (fd >= 0)
		close(fd);
	if (!ok)
		return vmig_fail(err, VMIG_ERR_RUNTIME, "cannot read /dev/urandom for a name");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return VMIG_OK;
}

static int cmp_revs(const void *a, const void *b)
{
	return strcmp((*(const vmig_revision *const *)a)->id,
	              (*(const vmig_revision *const *)b)->id);
}

/* The hash of everything a template's contents depend on. */
static void set_hash(const vmig_testdb_opts *o, char out[HASH_HEX + 1])
{
	const vmig_graph *g = o->files;
	vmig_buf b = {0};
	vmig_buf_printf(&b, "vmig testdb 1\nshape %d\ntarget %s\ntable %s.%s\n", VMIG_TABLE_SHAPE,
	                o->target ? o->target : "head",
	                o->cfg->version_table_schema ? o->cfg->version_table_schema : "",
	                o->cfg->version_table);
	const vmig_revision **revs = xmalloc((g->n ? g->n : 1) * sizeof *revs);
	for (size_t i = 0; i < g->n; i++)
		revs[i] = g->revs[i];
	qsort(revs, g->n, sizeof *revs, cmp_revs);
	for (size_t i = 0; i < g->n; i++)
		vmig_buf_printf(&b, "%s %s %d\n", revs[i]->id, vmig_revision_checksum(revs[i]),
		                revs[i]->transactional);
	free(revs);
	vmig_sha256_hex(b.data, b.len, out, HASH_HEX);
	vmig_buf_free(&b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int exists(server *sv, const char *name, bool *yes, vmig_error *err)
{
	char **names;
	size_t n;
	int rc = sv->ops->list(sv->s, name, &names, &n, err);
	*yes = false;
	for (size_t i = 0; rc == VMIG_OK && i < n; i++)
		*yes = *yes || strcmp(names[i], name) == 0;
	free_names(names, n);
	return rc;
}

/* Migrates database `name` (just created) to the target. */
static int migrate(const vmig_testdb_opts *o, server *sv, const char *name, vmig_error *err)
{
	vmig_config cfg = *o->cfg;
	char *url = sv->ops->url_for(sv->s, name);
	cfg.database_url = url;
	vmig_db db;
	int rc = vmig_db_open(&cfg, 0, NULL, NULL, &db, err);
	if (rc == VMIG_OK) {
		vmig_run_opts ro = {.kind = VMIG_RUN_UP, .target = o->target};
		vmig_run_result res;
		rc = vmig_run(&db, o->files, &ro, &res, err);
		if (rc == VMIG_OK)
			free(res.heads);
		vmig_db_close(&db);
	}
	free(url);
	return rc;
}

/* Builds the template unless it is there: under a lock, as a building
 * database renamed into place once migrated. */
static int ensure_template(const vmig_testdb_opts *o, server *sv, const char *hash,
                           const char *tname, bool *built, vmig_error *err)
{
	bool there, got;
	*built = false;
	int rc = exists(sv, tname, &there, err);
	if (rc || there)
		return rc;
	char *key = xasprintf("vmig_build_%s", tname);
	if ((rc = sv->ops->lock(sv->s, key, true, &got, err))) {
		free(key);
		return rc;
	}
	rc = exists(sv, tname, &there, err); /* another caller may have built it meanwhile */
	char rnd[RAND_HEX + 1];
	if (rc == VMIG_OK && !there)
		rc = random_hex(rnd, err);
	if (rc == VMIG_OK && !there) {
		char *bname = name_for(sv, 'b', hash, rnd);
		bool existed, missing;
		rc = sv->ops->create(sv->s, bname, NULL, &existed, err);
		if (rc == VMIG_OK)
			rc = migrate(o, sv, bname, err);
		if (rc == VMIG_OK)
			rc = sv->ops->rename(sv->s, bname, tname, &missing, err);
		if (rc) {
			vmig_error ignored = {0};
			sv->ops->drop(sv->s, bname, true, &missing, &ignored);
			vmig_error_prefix(err, "building the test template %s", tname);
		}
		*built = rc == VMIG_OK;
		free(bname);
	}
	sv->ops->unlock(sv->s, key);
	free(key);
	return rc;
}

/* Takes a ready copy from the pool: renamed to `dname` (NULL when none). */
static int claim(server *sv, const char *hash, const char *dname, bool *claimed, vmig_error *err)
{
	char *p = prefix_for(sv, 'p', hash);
	char **names;
	size_t n;
	int rc = sv->ops->list(sv->s, p, &names, &n, err);
	*claimed = false;
	for (size_t i = 0; rc == VMIG_OK && !*claimed && i < n; i++) {
		bool missing;
		rc = sv->ops->rename(sv->s, names[i], dname, &missing, err);
		*claimed = rc == VMIG_OK && !missing; /* missing: another caller won it */
	}
	free_names(names, n);
	free(p);
	return rc;
}

int vmig_core_testdb_new(const vmig_testdb_opts *o, vmig_testdb_result *res, vmig_error *err)
{
	double t0 = vmig_now_ms();
	server sv;
	char hash[HASH_HEX + 1], rnd[RAND_HEX + 1];
	memset(res, 0, sizeof *res);
	set_hash(o, hash);
	int rc = server_open(o->cfg, o->cfg->database_url, &sv, err);
	if (rc)
		return rc;
	char *tname = name_for(&sv, 't', hash, NULL), *dname = NULL;
	rc = random_hex(rnd, err);
	if (rc == VMIG_OK) {
		dname = name_for(&sv, 'd', hash, rnd);
		rc = claim(&sv, hash, dname, &res->from_pool, err);
	}
	if (rc == VMIG_OK && !res->from_pool)
		rc = ensure_template(o, &sv, hash, tname, &res->built, err);
	if (rc == VMIG_OK && !res->from_pool) {
		bool existed;
		rc = sv.ops->create(sv.s, dname, tname, &existed, err);
	}
	if (rc == VMIG_OK) {
		res->url = sv.ops->url_for(sv.s, dname);
		res->template_name = tname;
		tname = NULL;
		res->waited_ms = vmig_now_ms() - t0;
	}
	free(tname);
	free(dname);
	server_close(&sv);
	return rc;
}

void vmig_testdb_result_free(vmig_testdb_result *res)
{
	free(res->url);
	free(res->template_name);
	memset(res, 0, sizeof *res);
}

static int count_prefix(server *sv, const char *prefix, size_t *n, vmig_error *err)
{
	char **names;
	int rc = sv->ops->list(sv->s, prefix, &names, n, err);
	free_names(names, *n);
	return rc;
}

int vmig_core_testdb_fill(const vmig_testdb_opts *o, unsigned *made, vmig_error *err)
{
	server sv;
	char hash[HASH_HEX + 1];
	unsigned count = 0;
	set_hash(o, hash);
	int rc = server_open(o->cfg, o->cfg->database_url, &sv, err);
	if (rc)
		return rc;
	char *tname = name_for(&sv, 't', hash, NULL);
	char *key = xasprintf("vmig_fill_%s", tname);
	char *pool = prefix_for(&sv, 'p', hash);
	/*
	 * The lock is only tried: a filler that finds it held leaves the work to
	 * the holder.  So the holder counts again after it unlocks, and goes on
	 * while the pool is short: a copy handed out between its last count and
	 * its unlock would otherwise be replaced by nobody (its own filler gave
	 * up on the lock).  Each pass makes at most what the pool lacks.
	 */
	for (unsigned pass = 0; rc == VMIG_OK && pass <= o->cfg->testdb_pool; pass++) {
		bool got = false, there = false;
		size_t ready = 0;
		rc = sv.ops->lock(sv.s, key, false, &got, err);
		if (rc || !got)
			break;
		rc = exists(&sv, tname, &there, err);
		for (unsigned round = 0; rc == VMIG_OK && there && round < o->cfg->testdb_pool;
		     round++) {
			char rnd[RAND_HEX + 1];
			if ((rc = count_prefix(&sv, pool, &ready, err)) ||
			    ready >= o->cfg->testdb_pool)
				break;
			if ((rc = random_hex(rnd, err)))
				break;
			char *fname = name_for(&sv, 'f', hash, rnd);
			char *pname = name_for(&sv, 'p', hash, rnd);
			bool existed, missing;
			rc = sv.ops->create(sv.s, fname, tname, &existed, err);
			if (rc == VMIG_OK)
				rc = sv.ops->rename(sv.s, fname, pname, &missing, err);
			count += rc == VMIG_OK;
			free(fname);
			free(pname);
		}
		sv.ops->unlock(sv.s, key);
		if (rc || !there || (rc = count_prefix(&sv, pool, &ready, err)) ||
		    ready >= o->cfg->testdb_pool)
			break;
	}
	if (made)
		*made = count;
	free(pool);
	free(key);
	free(tname);
	server_close(&sv);
	return rc;
}

/* The kind letter and the hash of a name vmig made under prefix, or 0. */
static char kind_of(const char *name, const char *prefix, char hash[HASH_HEX + 1])
{
	size_t n = strlen(prefix);
	if (strncmp(name, prefix, n) != 0 || !name[n] || name[n + 1] != '_')
		return 0;
	snprintf(hash, HASH_HEX + 1, "%.*s", HASH_HEX, name + n + 2);
	return strchr("tbpfd", name[n]) ? name[n] : 0;
}

int vmig_testdb_gc(const vmig_testdb_opts *o, bool all, size_t *dropped, vmig_error *err)
{
	server sv;
	char hash[HASH_HEX + 1];
	*dropped = 0;
	set_hash(o, hash);
	int rc = server_open(o->cfg, o->cfg->database_url, &sv, err);
	if (rc)
		return rc;
	char *prefix = prefix_for(&sv, 0, NULL); /* "<base>_vmig_" */
	char *tname = name_for(&sv, 't', hash, NULL);
	char *fill_key = xasprintf("vmig_fill_%s", tname);
	char **names = NULL;
	size_t n = 0;
	vmig_buf in_use = {0};
	bool got;
	/* A filler at work finishes first, and none starts while gc drops. */
	rc = sv.ops->lock(sv.s, fill_key, true, &got, err);
	if (rc == VMIG_OK)
		rc = sv.ops->list(sv.s, prefix, &names, &n, err);
	/* Copies first, templates last: a copy being made needs its template. */
	for (int pass = 0; rc == VMIG_OK && pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			char h[HASH_HEX + 1];
			char kind = kind_of(names[i], prefix, h);
			if (!kind || (kind == 't') != (pass == 1) ||
			    (kind == 't' && !all && strcmp(h, hash) == 0))
				continue;
			bool missing;
			vmig_error one = {0};
			if (sv.ops->drop(sv.s, names[i], false, &missing, &one) == VMIG_OK)
				*dropped += !missing;
			else
				vmig_buf_printf(&in_use, "\n  %s", one.msg);
		}
	}
	if (rc == VMIG_OK && in_use.len)
		rc = vmig_fail(err, VMIG_ERR_RUNTIME,
		               "%zu test database(s) dropped; these could not be:%s", *dropped,
		               vmig_buf_str(&in_use));
	vmig_buf_free(&in_use);
	free_names(names, n);
	free(prefix);
	free(fill_key);
	free(tname);
	server_close(&sv); /* releases the fill lock */
	return rc;
}

int vmig_core_testdb_drop(const vmig_config *cfg, const char *url, bool *missing, vmig_error *err)
{
	server sv;
	*missing = false;
	int rc = server_open(cfg, url, &sv, err);
	if (rc)
		return rc;
	size_t stem;
	const char *name = sv.ops->name(sv.s, &stem);
	const char *mark = strstr(name, "_vmig_");
	char hash[HASH_HEX + 1];
	if (!mark || !strchr("pfdb", mark[6]) || mark[7] != '_' ||
	    !kind_of(mark + 1, "vmig_", hash)) {
		char *shown = vmig_url_redact(url);
		rc = vmig_fail(err, VMIG_ERR_INPUT,
		               "%s is not a test database that vmig made (their names hold "
		               "_vmig_d_); use `vmig drop` for any other",
		               shown);
		free(shown);
	} else {
		rc = sv.ops->drop(sv.s, name, true, missing, err);
	}
	server_close(&sv);
	return rc;
}

int vmig_database_create(const vmig_config *cfg, bool *existed, vmig_error *err)
{
	server sv;
	int rc = server_open(cfg, cfg->database_url, &sv, err);
	if (rc == VMIG_OK) {
		size_t stem;
		rc = sv.ops->create(sv.s, sv.ops->name(sv.s, &stem), NULL, existed, err);
	}
	server_close(&sv);
	return rc;
}

int vmig_database_drop(const vmig_config *cfg, bool force, bool *missing, vmig_error *err)
{
	server sv;
	int rc = server_open(cfg, cfg->database_url, &sv, err);
	if (rc == VMIG_OK) {
		size_t stem;
		rc = sv.ops->drop(sv.s, sv.ops->name(sv.s, &stem), force, missing, err);
	}
	server_close(&sv);
	return rc;
}
