/*
 * error.h - the error value every core function returns.
 *
 * Core code never prints and never exits: a function that can fail takes a
 * `vmig_error *` as its last argument, fills it on failure and returns the
 * same status code it stored there.  Only the CLI decides how a message is
 * shown and which exit code it becomes.  The status codes are the exit codes
 * of the contract so that the mapping is the identity.
 */
#ifndef VMIG_ERROR_H
#define VMIG_ERROR_H

#include <stddef.h>

enum vmig_status {
	VMIG_OK = 0,
	VMIG_ERR_RUNTIME = 1, /* database unreachable, SQL error, lock timeout, dirty revision */
	VMIG_ERR_INPUT = 2,   /* usage, config, migration files, graph, target, irreversible */
	VMIG_ERR_CHECK = 3,   /* `check`: database behind or drifted */
};

#define VMIG_ERROR_MAX 4096

typedef struct vmig_error {
	int code;                 /* one of enum vmig_status */
	int transient;            /* set by a failure that may pass if tried again */
	int partial;              /* set by a driver when SQL it ran may have committed in part */
	char msg[VMIG_ERROR_MAX]; /* one or more lines, no trailing newline */
} vmig_error;

/* Stores code and the formatted message in err (which may be NULL); returns code. */
int vmig_fail(vmig_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "PREFIX: " to an existing message (for adding a file name or a key). */
void vmig_error_prefix(vmig_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends a further line ("\nTEXT") to an existing message. */
void vmig_error_append(vmig_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void vmig_error_clear(vmig_error *err);

#endif
