/*
 * sqlite_server.c - databases as a whole for SQLite: files in the folder of
 * the URL's file.
 *
 * A copy is written under a temporary name and linked into place, so that
 * it appears only whole and never replaces a file that is there; a rename()
 * hands a ready copy to exactly one of the callers that race for it (the
 * others find its name gone).  Locks between processes are flock() on a
 * hidden file beside the databases, held until unlock or close.
 */
#include "sqlite_internal.h"

#include "../src/alloc.h"
#include "../src/clock.h"
#include "../src/strlist.h"
#include "../src/url.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct held_lock {
	char *key;
	int fd;
} held_lock;

struct vmig_server {
	char *url_head; /* the URL up to the file name: "sqlite:///dir/" */
	char *url_tail; /* what follows the file name: "?mode=..." or "" */
	char *dir;      /* the folder, as a path ("." for none) */
	char *name;     /* the URL's file name */
	vmig_waiter wait;
	held_lock *locks;
	size_t nlocks, cap;
};

static int server_open(const char *url, unsigned lock_timeout, vmig_server **out, vmig_error *err)
{
	char *path = NULL;
	int rc = vmig_url_sqlite_path(url, &path, err);
	*out = NULL;
	if (rc)
		return rc;
	vmig_server *s = xcalloc(1, sizeof *s);
	char *slash = strrchr(path, '/');
	s->dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup(".");
	s->name = xstrdup(slash ? slash + 1 : path);
	size_t end = strcspn(url, "?");
	size_t start = end;
	while (start > 0 && url[start - 1] != '/')
		start--;
	s->url_head = xstrndup(url, start);
	s->url_tail = xstrdup(url + end);
	s->wait = vmig_waiter_new(lock_timeout * 1000.0, 5, 100);
	free(path);
	if (!*s->name) {
		char *shown = xstrdup(url);
		rc =
		    vmig_fail(err, VMIG_ERR_INPUT, "%s names a folder, not a database file", shown);
		free(shown);
		free(s->dir);
		free(s->name);
		free(s->url_head);
		free(s->url_tail);
		free(s);
		return rc;
	}
	*out = s;
	return VMIG_OK;
}

static void server_close(vmig_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nlocks; i++) {
		close(s->locks[i].fd); /* releases the flock */
		free(s->locks[i].key);
	}
	free(s->locks);
	free(s->url_head);
	free(s->url_tail);
	free(s->dir);
	free(s->name);
	free(s);
}

static const char *server_name(vmig_server *s, size_t *stem_len)
{
	const char *dot = strrchr(s->name, '.');
	*stem_len = dot && dot > s->name ? (size_t)(dot - s->name) : strlen(s->name);
	return s->name;
}

static char *server_url_for(vmig_server *s, const char *name)
{
	return xasprintf("%s%s%s", s->url_head, name, s->url_tail);
}

static char *path_of(const vmig_server *s, const char *name)
{
	return xasprintf("%s/%s", s->dir, name);
}

static int fail_errno(const char *what, const char *path, vmig_error *err)
{
	return vmig_fail(err, VMIG_ERR_RUNTIME, "%s %s: %s", what, path, strerror(errno));
}

/* Copies the file at from to a new file at to (which must not exist). */
static int copy_file(const char *from, const char *to, vmig_error *err)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail_errno("cannot read the template", from, err);
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return fail_errno("cannot create", to, err);
	}
	char buf[1 << 16];
	ssize_t r;
	int rc = VMIG_OK;
	while (rc == VMIG_OK && (r = read(in, buf, sizeof buf)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		for (ssize_t done = 0; rc == VMIG_OK && r > 0 && done < r;) {
			ssize_t w = write(out, buf + done, (size_t)(r - done));
			if (w < 0 && errno != EINTR)
				rc = fail_errno("cannot write", to, err);
			done += w > 0 ? w : 0;
		}
		if (r < 0)
			rc = fail_errno("cannot read the template", from, err);
	}
	close(in);
	if (close(out) != 0 && rc == VMIG_OK)
		rc = fail_errno("cannot write", to, err);
	if (rc)
		unlink(to);
	return rc;
}

static int server_create(vmig_server *s, const char *name, const char *template_name, bool *existed,
                         vmig_error *err)
{
	char *path = path_of(s, name);
	char *tmp = xasprintf("%s/.%s.%ld.tmp", s->dir, name, (long)getpid());
	int rc = VMIG_OK;
	*existed = false;
	if (template_name) {
		char *from = path_of(s, template_name);
		unlink(tmp); /* a leftover of this pid's own */
		rc = copy_file(from, tmp, err);
		free(from);
	} else {
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		rc = fd < 0 ? fail_errno("cannot create", tmp, err) : VMIG_OK;
		if (fd >= 0)
			close(fd);
	}
	/* link() never replaces: an existing database stays as it is. */
	if (rc == VMIG_OK && link(tmp, path) != 0) {
		if (errno == EEXIST)
			*existed = true;
		else
			rc = fail_errno("cannot create", path, err);
	}
	unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

static int server_drop(vmig_server *s, const char *name, bool force, bool *missing, vmig_error *err)
{
	(void)force; /* other connections to a file do not stop its removal */
	static const char *const sidecars[] = {"-journal", "-wal", "-shm"};
	char *path = path_of(s, name);
	int rc = VMIG_OK;
	*missing = false;
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			*missing = true;
		else
			rc = fail_errno("cannot remove", path, err);
	}
	for (size_t i = 0; rc == VMIG_OK && i < 3; i++) {
		char *side = xasprintf("%s%s", path, sidecars[i]);
		unlink(side);
		free(side);
	}
	free(path);
	return rc;
}

static int server_rename(vmig_server *s, const char *from, const char *to, bool *missing,
                         vmig_error *err)
{
	char *a = path_of(s, from), *b = path_of(s, to);
	int rc = VMIG_OK;
	*missing = false;
	if (rename(a, b) != 0) {
		if (errno == ENOENT)
			*missing = true;
		else
			rc = fail_errno("cannot rename", a, err);
	}
	free(a);
	free(b);
	return rc;
}

static int server_list(vmig_server *s, const char *prefix, char ***names, size_t *n,
                       vmig_error *err)
{
	size_t cap = 0, len = strlen(prefix);
	*names = NULL;
	*n = 0;
	DIR *d = opendir(s->dir);
	if (!d)
		return fail_errno("cannot read the folder", s->dir, err);
	vmig_cleanup on_oom;
	vmig_oom_defer(&on_oom, vmig_cleanup_closedir, d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (strncmp(de->d_name, prefix, len) != 0 ||
		    (nl > 8 && (strcmp(de->d_name + nl - 8, "-journal") == 0)) ||
		    (nl > 4 && (strcmp(de->d_name + nl - 4, "-wal") == 0 ||
		                strcmp(de->d_name + nl - 4, "-shm") == 0)))
			continue;
		XGROW(*names, cap, *n + 1);
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	vmig_oom_undefer(&on_oom);
	closedir(d);
	vmig_strlist_sort(*names, *n);
	return VMIG_OK;
}

static int server_lock(vmig_server *s, const char *key, bool wait, bool *got, vmig_error *err)
{
	/* Room and the key first: once the lock is held, recording it allocates
	 * nothing, so running out of memory cannot leave a lock no close finds. */
	XGROW(s->locks, s->cap, s->nlocks + 1);
	char *held_key = xstrdup(key);
	char *path = xasprintf("%s/.%s.lock", s->dir, key);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	*got = false;
	if (fd < 0) {
		int rc = fail_errno("cannot open the lock file", path, err);
		free(path);
		free(held_key);
		return rc;
	}
	free(path);
	vmig_waiter_start(&s->wait);
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			free(held_key);
			return vmig_fail(err, VMIG_ERR_RUNTIME, "cannot take the lock %s: %s", key,
			                 strerror(errno));
		}
		if (!wait || !vmig_waiter_pause(&s->wait)) {
			close(fd);
			free(held_key);
			return wait ? vmig_fail(err, VMIG_ERR_RUNTIME,
			                        "timed out waiting for the lock %s (another vmig "
			                        "builds or fills it)",
			                        key)
			            : VMIG_OK;
		}
	}
	s->locks[s->nlocks++] = (held_lock){held_key, fd};
	*got = true;
	return VMIG_OK;
}

static void server_unlock(vmig_server *s, const char *key)
{
	for (size_t i = 0; i < s->nlocks; i++) {
		if (strcmp(s->locks[i].key, key) != 0)
			continue;
		close(s->locks[i].fd);
		free(s->locks[i].key);
		s->locks[i] = s->locks[--s->nlocks];
		return;
	}
}

const vmig_server_ops vmig_sqlite_server_ops = {
    .max_name = 200, /* a file name, with room for a folder around it */
    .open = server_open,
    .close = server_close,
    .name = server_name,
    .url_for = server_url_for,
    .create = server_create,
    .drop = server_drop,
    .rename = server_rename,
    .list = server_list,
    .lock = server_lock,
    .unlock = server_unlock,
};
