/*
 * subprocess.h - running another program (Python with Alembic for
 * `vmig import alembic`, pg_dump for `--baseline`) and collecting what it
 * printed.
 */
#ifndef VMIG_SUBPROCESS_H
#define VMIG_SUBPROCESS_H

#include "buf.h"
#include "error.h"

#include <stdbool.h>

typedef struct vmig_proc {
	int status;     /* its exit code; -1 when a signal ended it */
	int signal;     /* the signal that ended it, or 0 */
	vmig_buf out;   /* its standard output */
	vmig_buf err;   /* its standard error */
	bool not_found; /* the program could not be started: no such file */
} vmig_proc;

/*
 * Runs argv[0] (looked up on PATH when it has no '/') with argv, standard
 * input from /dev/null, the environment of this process with the "NAME=value"
 * entries of env_set (may be NULL; NULL-terminated) set, and waits for it.
 * VMIG_OK once it ran (whatever its exit code: see p->status), with both of
 * its outputs in *p; p->not_found and VMIG_ERR_RUNTIME when it could not be
 * started.  Free *p with vmig_proc_free either way.
 */
int vmig_proc_run(const char *const *argv, const char *const *env_set, vmig_proc *p,
                  vmig_error *err);
void vmig_proc_free(vmig_proc *p);

/* The folder of the running executable (a new string), or NULL. */
char *vmig_exe_dir(void);

#endif
