#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void mkdirs(const char *path)
{
	char *p = strdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0777);
			*s = '/';
		}
	}
	mkdir(p, 0777);
	free(p);
}

char *tu_tempdir(const char *name)
{
	char *path = malloc(strlen(VMIG_TEST_TMP) + strlen(name) + 32);
	sprintf(path, "%s/%s.%ld", VMIG_TEST_TMP, name, (long)getpid());
	tu_rmtree(path);
	mkdirs(path);
	return path;
}

void tu_rmtree(const char *path)
{
	pid_t pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", path, (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
}

void tu_write(const char *dir, const char *rel, const char *text)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	mkdirs(path);
	*slash = '/';
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

char *tu_read(const char *path, size_t *len)
{
	if (len)
		*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

bool tu_same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *da = tu_read(a, &la), *db = tu_read(b, &lb);
	bool same = (!da && !db) || (da && db && la == lb && memcmp(da, db, la) == 0);
	free(da);
	free(db);
	return same;
}

void tu_copy(const char *from, const char *to)
{
	size_t n;
	char *d = tu_read(from, &n);
	if (!d) {
		unlink(to);
		return;
	}
	FILE *f = fopen(to, "wb");
	assert_non_null(f);
	fwrite(d, 1, n, f);
	fclose(f);
	free(d);
}

static char *slurp_fd(int fd)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (cap - n < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return buf;
}

tu_result tu_vmigv(const char *cwd, const char *const *env_extra, const char *const *argv)
{
	char outpath[] = "/tmp/vmig-test-out.XXXXXX";
	char errpath[] = "/tmp/vmig-test-err.XXXXXX";
	int ofd = mkstemp(outpath), efd = mkstemp(errpath);
	assert_true(ofd >= 0 && efd >= 0);
	unlink(outpath);
	unlink(errpath);

	size_t argc = 0;
	while (argv[argc])
		argc++;
	const char **args = calloc(argc + 2, sizeof *args);
	args[0] = VMIG_BIN;
	for (size_t i = 0; i < argc; i++)
		args[i + 1] = argv[i];

	pid_t pid = fork();
	if (pid == 0) {
		int nullfd = open("/dev/null", O_RDONLY);
		dup2(nullfd, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		if (cwd && chdir(cwd) != 0)
			_exit(126);
		for (const char *const *e = env_extra; e && *e; e++)
			putenv((char *)*e);
		execv(VMIG_BIN, (char *const *)args);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	free(args);
	tu_result r;
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	r.out = slurp_fd(ofd);
	r.err = slurp_fd(efd);
	close(ofd);
	close(efd);
	return r;
}

tu_result tu_vmig(const char *cwd, const char *const *env_extra, ...)
{
	const char *argv[64];
	size_t n = 0;
	va_list ap;
	va_start(ap, env_extra);
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL && n < 63)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return tu_vmigv(cwd, env_extra, argv);
}

void tu_result_free(tu_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *tu_sqlite_query(const char *dbpath, const char *sql)
{
	sqlite3 *db;
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	size_t cap = 256, n = 0;
	char *out = malloc(cap);
	out[0] = '\0';
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (!v)
			v = "NULL";
		size_t need = n + strlen(v) + 2;
		if (need > cap) {
			cap = need * 2;
			out = realloc(out, cap);
		}
		if (n)
			out[n++] = '\n';
		strcpy(out + n, v);
		n += strlen(v);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (rc != SQLITE_DONE) {
		free(out);
		return NULL;
	}
	return out;
}

void tu_assert_contains(const char *haystack, const char *needle, const char *file, int line)
{
	if (!haystack || !strstr(haystack, needle)) {
		print_error("%s:%d: expected to find\n  [%s]\nin\n  [%s]\n", file, line, needle,
		            haystack ? haystack : "(null)");
		_fail(file, line);
	}
}

void tu_assert_not_contains(const char *haystack, const char *needle, const char *file, int line)
{
	if (haystack && strstr(haystack, needle)) {
		print_error("%s:%d: did not expect to find\n  [%s]\nin\n  [%s]\n", file, line,
		            needle, haystack);
		_fail(file, line);
	}
}
