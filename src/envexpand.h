/*
 * envexpand.h - ${VAR} and ${VAR:-default} in configuration strings.
 *
 * The rules (a small, strict subset of the shell's):
 *   ${NAME}           the variable's value; "" when it is unset
 *   ${NAME:-default}  the value when it is set and not empty, else the default,
 *                     which may itself hold references (${A:-${B:-x}})
 *   $$                a literal "$"
 *   any other "$"     kept as it is (passwords contain them)
 * NAME is ASCII letters, digits and "_", not starting with a digit.  A value
 * is inserted as it is, never expanded again.  Every reference in the text is
 * checked, also those in a default that is not used, so that a typo is an
 * error whatever the environment holds.  Defaults nest at most
 * VMIG_ENV_MAX_DEPTH deep.
 *
 * The function is pure apart from the lookup it is given: no globals, no
 * printing, and (with vmig_env_getenv) only getenv() as a source.
 */
#ifndef VMIG_ENVEXPAND_H
#define VMIG_ENVEXPAND_H

#include "error.h"

#include <stddef.h>

#define VMIG_ENV_MAX_DEPTH 16

/* The value of the variable name (NUL-terminated), or NULL when it is unset. */
typedef const char *vmig_env_lookup_fn(void *ctx, const char *name);

/* A vmig_env_lookup_fn that reads the process environment (ctx is unused). */
const char *vmig_env_getenv(void *ctx, const char *name);

/*
 * Expands the references in text[0..len) (which need not be NUL-terminated and
 * may hold any bytes) with lookup(ctx, NAME); lookup NULL means vmig_env_getenv.
 * On success returns VMIG_OK and sets *out to a new NUL-terminated string that
 * the caller frees, and *out_len (when not NULL) to its length.
 * On a malformed reference returns VMIG_ERR_INPUT with a message saying what
 * is wrong and how to write it (showing no more of the text than the
 * reference's name, since a default may hold a password); *out is then NULL
 * and *err_offset (when not NULL) the offset in text of the "$" that starts
 * the faulty reference.
 */
int vmig_env_expand(const char *text, size_t len, vmig_env_lookup_fn *lookup, void *ctx, char **out,
                    size_t *out_len, size_t *err_offset, vmig_error *err);

#endif
