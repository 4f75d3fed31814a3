#include "scan.h"

#include "alloc.h"
#include "buf.h"
#include "parallel.h"
#include "strlist.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct path_list {
	char **items;
	size_t n, cap;
	char *first_todo; /* the first .sql.todo file met, and how many there are */
	size_t ntodo;
	/* folders already walked, by device and inode: a symlink loop (or two
	 * links to one folder) must not be walked twice */
	struct stat *seen;
	size_t nseen, seen_cap;
} path_list;

/* Records dir as walked; false when it was walked already. */
static bool first_visit(path_list *out, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return true; /* opendir will report it */
	for (size_t i = 0; i < out->nseen; i++)
		if (out->seen[i].st_dev == st.st_dev && out->seen[i].st_ino == st.st_ino)
			return false;
	XGROW(out->seen, out->seen_cap, out->nseen + 1);
	out->seen[out->nseen++] = st;
	return true;
}

static bool ends_with_sql(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".sql") == 0;
}

static bool ends_with_todo(const char *name)
{
	size_t n = strlen(name);
	return n > 9 && strcmp(name + n - 9, ".sql.todo") == 0;
}

static bool is_dir(const char *path, const struct dirent *de)
{
	struct stat st;
	if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
		return de->d_type == DT_DIR;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int collect(const char *dir, path_list *out, vmig_error *err)
{
	if (!first_visit(out, dir))
		return VMIG_OK;
	DIR *d = opendir(dir);
	if (!d)
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s: cannot open the migrations directory: %s", dir,
		                 strerror(errno));
	vmig_cleanup on_oom;
	vmig_oom_defer(&on_oom, vmig_cleanup_closedir, d);
	struct dirent *de;
	int rc = VMIG_OK;
	while (rc == VMIG_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		if (is_dir(path, de)) {
			rc = collect(path, out, err);
			free(path);
		} else if (ends_with_sql(de->d_name)) {
			XGROW(out->items, out->cap, out->n + 1);
			out->items[out->n++] = path;
		} else if (ends_with_todo(de->d_name)) {
			/* The first by name, so that the message is the same every time. */
			out->ntodo++;
			if (!out->first_todo || strcmp(path, out->first_todo) < 0) {
				free(out->first_todo);
				out->first_todo = path;
			} else {
				free(path);
			}
		} else {
			free(path);
		}
	}
	vmig_oom_undefer(&on_oom);
	closedir(d);
	return rc;
}

/*
 * Reading the files is mostly the kernel's work (open, read, close: three
 * system calls a file, a no-op `up` of 1,000 revisions spends most of its
 * time there), so a large directory is read by a few threads at once, each a
 * run of consecutive files.  Each run stops at its first bad file; the error
 * reported is that of the first bad file in name order, as when one thread
 * reads them all.
 */
#define FILES_PER_THREAD 128
#define MAX_THREADS      4

typedef struct load_run {
	const path_list *paths;
	vmig_revision *out;
	bool *loaded;
	size_t from, to; /* the files [from, to) */
	size_t failed;   /* the first bad one, or `to` */
	vmig_error err;
	bool oom;
} load_run;

static void load_range(void *arg, size_t k)
{
	load_run *run = &((load_run *)arg)[k];
	vmig_buf text = {0};
	run->failed = run->to;
	for (size_t i = run->from; i < run->to; i++) {
		const char *path = run->paths->items[i];
		int rc = vmig_revision_read(path, &text, &run->err);
		if (rc == VMIG_OK)
			rc = vmig_revision_parse(path, vmig_buf_str(&text), text.len, &run->out[i],
			                         &run->err);
		if (rc != VMIG_OK) {
			run->failed = i;
			break;
		}
		run->loaded[i] = true;
	}
	vmig_buf_free(&text);
}

static void range_done(void *arg, size_t k, bool oom)
{
	((load_run *)arg)[k].oom = oom;
}

static int load_all(const path_list *paths, vmig_revision *out, bool *loaded, vmig_error *err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t threads = paths->n / FILES_PER_THREAD;
	if (threads > (size_t)(cpus > 0 ? cpus : 1))
		threads = (size_t)(cpus > 0 ? cpus : 1);
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if (threads < 1)
		threads = 1;
	load_run *runs = xcalloc(threads, sizeof *runs);
	for (size_t k = 0; k < threads; k++)
		runs[k] = (load_run){.paths = paths,
		                     .out = out,
		                     .loaded = loaded,
		                     .from = paths->n * k / threads,
		                     .to = paths->n * (k + 1) / threads};
	int rc = VMIG_OK;
	if (threads == 1) {
		load_range(runs, 0);
	} else if (vmig_parallel_for(threads, (unsigned)threads, load_range, range_done, runs,
	                             err)) {
		free(runs);
		return err ? err->code : VMIG_ERR_RUNTIME;
	}
	bool oom = false;
	for (size_t k = 0; k < threads && rc == VMIG_OK; k++) {
		oom = oom || runs[k].oom;
		if (!runs[k].oom && runs[k].failed < runs[k].to) {
			rc = runs[k].err.code;
			if (err)
				*err = runs[k].err;
		}
	}
	free(runs);
	if (oom) /* in this thread now: the caller's frame unwinds */
		vmig_out_of_memory();
	return rc;
}

int vmig_scan_dir(const char *dir, vmig_revision **revs, size_t *n, vmig_error *err)
{
	path_list paths = {0};
	struct stat st;
	*revs = NULL;
	*n = 0;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s: is a file, not a migrations directory; point --dir or "
		                 "migrations_dir at the folder of the .sql files",
		                 dir);
	if (stat(dir, &st) != 0)
		return vmig_fail(err, VMIG_ERR_INPUT,
		                 "%s: no such migrations directory; run `vmig init` to create one, "
		                 "or point --dir or migrations_dir at yours",
		                 dir);
	int rc = collect(dir, &paths, err);
	/* An imported revision left for a person: the history has a hole
	 * until it becomes a .sql file, so nothing may run on it. */
	if (rc == VMIG_OK && paths.ntodo)
		rc = vmig_fail(err, VMIG_ERR_INPUT,
		               "%s: an imported revision that Alembic could not render offline "
		               "(%zu such .sql.todo file(s) in all): write the SQL its TODO lines "
		               "ask for, then rename it to .sql",
		               paths.first_todo, paths.ntodo);
	free(paths.first_todo);
	if (rc == VMIG_OK)
		vmig_strlist_sort(paths.items, paths.n);
	vmig_revision *out = xcalloc(paths.n, sizeof *out);
	bool *loaded = xcalloc(paths.n ? paths.n : 1, sizeof *loaded);
	if (rc == VMIG_OK)
		rc = load_all(&paths, out, loaded, err);
	for (size_t i = 0; i < paths.n; i++)
		free(paths.items[i]);
	free(paths.items);
	free(paths.seen);
	if (rc != VMIG_OK) {
		for (size_t i = 0; i < paths.n; i++)
			if (loaded[i])
				vmig_revision_free(&out[i]);
		free(out);
		free(loaded);
		return rc;
	}
	free(loaded);
	*revs = out;
	*n = paths.n;
	return VMIG_OK;
}
