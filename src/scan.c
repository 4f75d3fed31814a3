#include "scan.h"

#include "alloc.h"
#include "buf.h"
#include "strlist.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	vmig_buf text = {0};
	size_t loaded = 0;
	for (size_t i = 0; rc == VMIG_OK && i < paths.n; i++) {
		rc = vmig_revision_read(paths.items[i], &text, err);
		if (rc == VMIG_OK)
			rc = vmig_revision_parse(paths.items[i], vmig_buf_str(&text), text.len,
			                         &out[i], err);
		if (rc == VMIG_OK)
			loaded++;
	}
	vmig_buf_free(&text);
	for (size_t i = 0; i < paths.n; i++)
		free(paths.items[i]);
	free(paths.items);
	free(paths.seen);
	if (rc != VMIG_OK) {
		for (size_t i = 0; i < loaded; i++)
			vmig_revision_free(&out[i]);
		free(out);
		return rc;
	}
	*revs = out;
	*n = loaded;
	return VMIG_OK;
}
