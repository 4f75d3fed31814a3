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

#include "error.h"

#include <stdbool.h>

#define VMIG_DEFAULT_VERSION_TABLE "vmig_version"
#define VMIG_DEFAULT_LOCK_TIMEOUT  60
#define VMIG_DEFAULT_WAIT_TIMEOUT  30

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
} vmig_config;

/*
 * Resolves the settings.  On error returns VMIG_ERR_INPUT with a message that
 * names the file, the line and the key at fault; *out is then left zeroed.
 */
int vmig_config_load(const vmig_config_overrides *ov, vmig_config *out, vmig_error *err);

void vmig_config_free(vmig_config *cfg);

/*
 * Expands ${VAR} and ${VAR:-default} in text from the environment.
 * An unset ${VAR} without a default becomes "".  `$$` is a literal `$`.
 * On a malformed reference (no closing brace, bad name) returns VMIG_ERR_INPUT
 * with a message saying what is wrong; *out is a new string the caller frees.
 */
int vmig_config_expand(const char *text, char **out, vmig_error *err);

#endif
