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

/* enum vmig_status, VMIG_ERROR_MAX, the vmig_error struct and
 * vmig_error_clear are public: include/vmig.h. */
#include "vmig.h"

#include <stddef.h>

/* Stores code and the formatted message in err (which may be NULL); returns code. */
int vmig_fail(vmig_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "PREFIX: " to an existing message (for adding a file name or a key). */
void vmig_error_prefix(vmig_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends a further line ("\nTEXT") to an existing message. */
void vmig_error_append(vmig_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
