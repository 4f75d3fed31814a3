/*
 * subprocess.c - running another program and collecting its output (see subprocess.h).
 */
#include "subprocess.h"

#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* environ with env_set's entries replacing those of the same names. */
static char **merged_env(const char *const *env_set)
{
	size_t n = 0, extra = 0, k = 0;
	while (environ[n])
		n++;
	while (env_set && env_set[extra])
		extra++;
	char **env = xcalloc(n + extra + 1, sizeof *env);
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;
		for (size_t j = 0; j < extra && !replaced; j++) {
			size_t len = strcspn(env_set[j], "=");
			replaced =
			    strncmp(environ[i], env_set[j], len) == 0 && environ[i][len] == '=';
		}
		if (!replaced)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < extra; j++)
		env[k++] = (char *)env_set[j];
	return env;
}

/* A pipe whose ends are not inherited (the child gets dup2'ed copies). */
static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) != 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Reads both pipes until both are closed (a child that fills one pipe
 * while we wait on the other would block forever). */
static void drain(int out_fd, int err_fd, vmig_proc *p)
{
	struct pollfd fds[2] = {{.fd = out_fd, .events = POLLIN}, {.fd = err_fd, .events = POLLIN}};
	vmig_buf *bufs[2] = {&p->out, &p->err};
	int open_fds = 2;
	char chunk[65536];
	while (open_fds > 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(fds[i].fd, chunk, sizeof chunk);
			if (r > 0) {
				vmig_buf_add(bufs[i], chunk, (size_t)r);
			} else if (r == 0 || errno != EINTR) {
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
}

int vmig_proc_run(const char *const *argv, const char *const *env_set, vmig_proc *p,
                  vmig_error *err)
{
	int out_pipe[2], err_pipe[2];
	memset(p, 0, sizeof *p);
	if (cloexec_pipe(out_pipe) != 0)
		return vmig_fail(err, VMIG_ERR_RUNTIME, "cannot run %s: %s", argv[0],
		                 strerror(errno));
	if (cloexec_pipe(err_pipe) != 0) {
		close(out_pipe[0]);
		close(out_pipe[1]);
		return vmig_fail(err, VMIG_ERR_RUNTIME, "cannot run %s: %s", argv[0],
		                 strerror(errno));
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
	char **env = merged_env(env_set);
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(out_pipe[1]);
	close(err_pipe[1]);
	if (e != 0) {
		close(out_pipe[0]);
		close(err_pipe[0]);
		p->not_found = e == ENOENT;
		return vmig_fail(err, VMIG_ERR_RUNTIME, "cannot run %s: %s", argv[0], strerror(e));
	}
	drain(out_pipe[0], err_pipe[0], p);
	close(out_pipe[0]);
	close(err_pipe[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	p->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	return VMIG_OK;
}

void vmig_proc_free(vmig_proc *p)
{
	vmig_buf_free(&p->out);
	vmig_buf_free(&p->err);
}

char *vmig_exe_dir(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n <= 0)
		return NULL;
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return xstrdup(path);
}
