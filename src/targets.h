/*
 * targets.h - the file of database URLs that `--targets FILE` names: one URL
 * per line, for running a command over many databases at once.
 *
 * The format: a URL per line, with ${VAR} and ${VAR:-default} expanded as in
 * vmig.yaml (so passwords can stay in the environment); blank lines and
 * lines whose first non-blank character is `#` are skipped; spaces and tabs
 * around a URL are ignored, within one they are an error (a comment after a
 * URL, or two URLs on a line).  The same URL twice is an error, as is a file
 * with none.
 */
#ifndef VMIG_TARGETS_H
#define VMIG_TARGETS_H

#include "envexpand.h"
#include "error.h"

#include <stddef.h>

typedef struct vmig_target_list {
	char **urls;     /* expanded; owned */
	unsigned *lines; /* the line each came from */
	size_t n, cap;
} vmig_target_list;

/*
 * Parses text[0..len) (any bytes), read from `path` (named in errors as
 * "path:line: ..."), appending to *out; lookup as vmig_env_expand's.
 * Errors: VMIG_ERR_INPUT naming the line and what to write instead, never
 * showing a password; *out is then left as it was.
 */
int vmig_targets_parse(const char *path, const char *text, size_t len, vmig_env_lookup_fn *lookup,
                       void *ctx, vmig_target_list *out, vmig_error *err);

/* Reads the file at path and parses it as above. */
int vmig_targets_read(const char *path, vmig_target_list *out, vmig_error *err);

void vmig_target_list_free(vmig_target_list *list);

#endif
