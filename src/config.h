/*
 * config.h - vmig.yaml and the settings that flags and the environment override.
 *
 * Precedence (SPEC "vmig.yaml"):
 *   config file:     --config PATH, else $VMIG_CONFIG, else ./vmig.yaml if it exists
 *   database URL:    --database-url, else the file's database_url, else $DATABASE_URL
 *   migrations dir:  --dir, else the file's migrations_dir (relative to the file's
 *                    folder), else ./migrations
 * String values in the file take ${VAR} and ${VAR:-default}.
 */
#ifndef VMIG_CONFIG_H
#define VMIG_CONFIG_H

#include "envexpand.h"
#include "error.h"

#include <stdbool.h>

#define VMIG_DEFAULT_VERSION_TABLE "vmig_version"
#define VMIG_DEFAULT_LOCK_TIMEOUT  60
#define VMIG_DEFAULT_WAIT_TIMEOUT  30
#define VMIG_DEFAULT_TESTDB_POOL   2
#define VMIG_MAX_TESTDB_POOL       64

/* What the command line says; NULL / false where it says nothing. */
typedef struct vmig_config_overrides {
	const char *config_path;
	const char *database_url;
	const char *migrations_dir;
	bool single_transaction;
} vmig_config_overrides;

/* The resolved settings.  Every string is owned by the struct (vmig_config_free). */
typedef struct vmig_config {
	char *path;                 /* the config file read, or NULL when there was none */
	char *database_url;         /* NULL when no source gives one */
	char *migrations_dir;       /* never NULL */
	char *version_table;        /* never NULL */
	char *version_table_schema; /* NULL: the connection's default schema */
	bool transaction_per_migration;
	unsigned lock_timeout; /* seconds */
	unsigned wait_timeout; /* seconds */
	unsigned testdb_pool;  /* ready copies that `vmig testdb new` keeps */
	/* Not a key of the file: `--schemas` sets it, borrowed, on a copy made
	 * for one schema (the schema first on the search path); else NULL. */
	const char *search_path_first;
	/* Where the file set version_table and version_table_schema (0: it did
	 * not), for errors found later against what the database can hold. */
	unsigned version_table_line;
	unsigned version_table_schema_line;
} vmig_config;

/*
 * Resolves the settings: finds the config file, reads it with
 * vmig_config_parse (variables from the environment), then applies the flags
 * and the environment's fallbacks.  On error returns VMIG_ERR_INPUT with a
 * message that names the file, the line and the key at fault (or
 * VMIG_ERR_RUNTIME when memory runs out inside libyaml); *out is then zeroed.
 */
int vmig_config_load(const vmig_config_overrides *ov, vmig_config *out, vmig_error *err);

/*
 * Reads the settings of a config file already in memory: text[0..len), which
 * need not be NUL-terminated, as the file called name (used in messages, and
 * as the folder that migrations_dir is relative to).  Every key not in the
 * text has its default; migrations_dir defaults to "migrations".  String
 * values expand ${VAR} with lookup(lookup_ctx, VAR) (NULL: vmig_env_getenv).
 * No flag and no environment fallback ($DATABASE_URL) is applied: that is
 * vmig_config_load's.  Errors as vmig_config_load's; on success out->path is
 * a copy of name.  Touches no file and no global state.
 */
int vmig_config_parse(const char *name, const char *text, size_t len, vmig_env_lookup_fn *lookup,
                      void *lookup_ctx, vmig_config *out, vmig_error *err);

void vmig_config_free(vmig_config *cfg);

/*
 * Expands ${VAR} and ${VAR:-default} in the NUL-terminated text from the
 * environment: vmig_env_expand (envexpand.h, which gives the rules) with
 * vmig_env_getenv.  *out is a new string the caller frees, NULL on error.
 */
int vmig_config_expand(const char *text, char **out, vmig_error *err);

#endif
